//! Leader state derivation (under construction).
