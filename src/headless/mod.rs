//! The headless commands `baton failover` / `baton switchover` ([`operation`]) and `baton
//! drill` ([`drill`]): each builds one `crate::ops::Runner`, prints the preview, asks for the
//! role name, starts through the runner and prints the handle's one ordered stream. Owns the
//! terminal side (prompts, lines, exit codes); must not construct an executor or a drill runner
//! (the runner does) and writes only to the writers it is given. `baton unlock` ([`unlock`])
//! breaks a dead holder's shared lock. Sits above `ops`, `failover` and `drill`, so none of
//! them imports it.

pub mod drill;
pub mod operation;
mod term;
pub mod unlock;
mod wait;

pub use term::{
    confirm_role, event_line, lease_lost, prepare, print_event, print_plan, refuse_blocked,
    warn_audit_lost, Terminal, LEASE_LOST,
};
