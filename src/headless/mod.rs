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

use crate::ops::{OpEnd, OpHandle, OpStreamEvent};

/// Follows a started operation or drill to its end: Ctrl-C pulls its abort switch (the run
/// stops at a safe point, journalled and resumable), each streamed item goes to `print` in
/// the order it happened, then the task's end.
async fn follow(
    mut handle: OpHandle,
    mut print: impl FnMut(OpStreamEvent),
) -> Result<OpEnd, tokio::task::JoinError> {
    let abort = handle.abort.clone();
    let ctrl_c = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            abort.abort();
        }
    });
    while let Some(item) = handle.events.recv().await {
        print(item);
    }
    let end = handle.done.await;
    ctrl_c.abort();
    end
}
