//! probe (under construction).
