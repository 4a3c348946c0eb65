//! Drills: a timed switchover to the standby, a hold verified by service probes, and a
//! switchover back, with a report and a durable record. Owns running drills and their files;
//! must not decide verdicts (that is `core::drill`) or run steps itself (each leg is an
//! ordinary operation of `failover::Executor`).

pub mod store;
