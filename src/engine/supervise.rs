//! Supervision of the engine's background tasks. Every task runs for as long as the cockpit
//! does, so a task that ends on its own — a panic, or a return while the UI still listens — is
//! a broken engine: the cockpit must stop with a message rather than keep drawing stale data
//! (or a terminal the panic hook already restored). Each task reports its own end here; an
//! abort (the normal shutdown) drops the task before it can report, so it never does.

use futures::FutureExt;
use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// A background task of the engine that stopped while it should still run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the engine's {task} task {reason}; the cockpit cannot go on without it")]
pub struct TaskFailure {
    /// Which task (`inventory`, `snapshots`, `effects`, `operations`).
    pub task: &'static str,
    /// `panicked: …` or `stopped unexpectedly`.
    pub reason: String,
}

/// Spawns `task`, reporting its panic or its end to `failures`.
pub(super) fn spawn<F>(
    task: &'static str,
    future: F,
    failures: &mpsc::Sender<TaskFailure>,
) -> JoinHandle<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    let failures = failures.clone();
    tokio::spawn(async move {
        let reason = match AssertUnwindSafe(future).catch_unwind().await {
            Ok(()) => "stopped unexpectedly".to_string(),
            Err(panic) => format!("panicked: {}", panic_text(panic.as_ref())),
        };
        // Nobody listening means the cockpit is already gone: nothing left to warn.
        let _ = failures.try_send(TaskFailure { task, reason });
    })
}

/// The message a panic was raised with, when it is text.
fn panic_text(panic: &(dyn Any + Send)) -> String {
    if let Some(text) = panic.downcast_ref::<&str>() {
        (*text).to_string()
    } else if let Some(text) = panic.downcast_ref::<String>() {
        text.clone()
    } else {
        "(no message)".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panic_is_reported_with_its_message() {
        let (tx, mut rx) = mpsc::channel(4);
        let task = spawn(
            "inventory",
            async { panic!("overflow adding duration to date") },
            &tx,
        );
        let failure = rx.recv().await.expect("a failure is reported");
        assert_eq!(failure.task, "inventory");
        assert_eq!(failure.reason, "panicked: overflow adding duration to date");
        assert!(task.await.is_ok(), "the panic is caught, not propagated");
    }

    #[tokio::test]
    async fn an_early_end_is_reported() {
        let (tx, mut rx) = mpsc::channel(4);
        let _task = spawn("snapshots", async {}, &tx);
        let failure = rx.recv().await.expect("a failure is reported");
        assert_eq!(
            failure.to_string(),
            "the engine's snapshots task stopped unexpectedly; the cockpit cannot go on without it"
        );
    }

    #[tokio::test]
    async fn an_abort_is_not_a_failure() {
        let (tx, mut rx) = mpsc::channel(4);
        let task = spawn("effects", std::future::pending(), &tx);
        task.abort();
        assert!(task.await.is_err_and(|e| e.is_cancelled()));
        drop(tx);
        assert_eq!(rx.recv().await, None, "an aborted task reports nothing");
    }
}
