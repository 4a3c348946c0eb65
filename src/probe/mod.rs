//! Heartbeat probes: one HTTP or TCP check of one target, turned into a [`ProbeStatus`].
//!
//! This module only performs single checks; scheduling and history belong to the engine.
//! It never panics on a bad answer: every failure becomes `Down` with a short reason.

mod once;

pub use once::{check, check_http, check_tcp, http_client};
