//! Progress reporting: the [`ArmEvent`]s the adapter emits while it works (every HTTP request,
//! every poll, every retry, the end of each write) and the [`Progress`] sink they go to. It must
//! not drop events: a full channel makes the adapter wait (the caller sizes the channel); a
//! closed channel (receiver gone) silently turns reporting off.

use crate::azure::error::ArmError;
use std::time::Duration;
use tokio::sync::mpsc;

/// One thing the adapter did, in the order it did it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArmEvent {
    /// An HTTP request went out and (unless `status` is `None`) an answer came back.
    Request {
        /// HTTP method.
        method: String,
        /// Full URL, query included.
        url: String,
        /// HTTP status, `None` when the connection failed or was dropped.
        status: Option<u16>,
        /// `x-ms-request-id` of the answer.
        request_id: Option<String>,
    },
    /// A long-running operation's status was read.
    Poll {
        /// What the operation is (`attach disks to web-b`).
        operation: String,
        /// The status URL polled.
        operation_url: String,
        /// `InProgress`, `Succeeded`…, or `unreadable (…)` when the status URL failed.
        status: String,
        /// How long baton waits before the next poll (zero when done).
        next_wait: Duration,
    },
    /// A call or a whole write is about to be retried.
    Retry {
        /// What is retried.
        operation: String,
        /// The attempt that is about to start (2 = first retry).
        attempt: u32,
        /// How long baton waits first.
        wait: Duration,
        /// The error that caused the retry.
        cause: ArmError,
    },
    /// A write finished (successfully, already done, or with an error).
    Finished {
        /// What the write was.
        operation: String,
        /// `succeeded` (applied or already done), or the error text.
        outcome: String,
    },
}

/// Where [`ArmEvent`]s go; cheap to clone; the default reports nowhere.
#[derive(Debug, Clone, Default)]
pub struct Progress {
    tx: Option<mpsc::Sender<ArmEvent>>,
}

impl Progress {
    /// Reports into this channel; the adapter waits when it is full, so size it for bursts.
    pub fn new(tx: mpsc::Sender<ArmEvent>) -> Self {
        Progress { tx: Some(tx) }
    }

    /// Reports nowhere.
    pub fn none() -> Self {
        Progress { tx: None }
    }

    /// True when events go somewhere.
    pub fn is_enabled(&self) -> bool {
        self.tx.as_ref().is_some_and(|tx| !tx.is_closed())
    }

    /// Sends one event; waits while the channel is full; ignores a closed channel.
    pub async fn emit(&self, event: ArmEvent) {
        tracing::debug!(?event, "arm event");
        if let Some(tx) = &self.tx {
            // A closed receiver means nobody listens any more: nothing to keep.
            let _ = tx.send(event).await;
        }
    }
}
