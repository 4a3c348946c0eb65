//! azure (under construction).
