//! config (under construction).
