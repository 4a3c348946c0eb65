//! emulator (under construction).
