//! The writes of [`ArmClient`]: endpoint moves (NIC PUT), disk attach/detach, run command,
//! power off and start. Every write is one *attempt* run under the client's retry policy:
//! observe the resource (skip when already in the desired state), send the write through the
//! builder's `.send()`, follow it with baton's poller to its end, verify the result. Re-running
//! an attempt is therefore safe. It must never `.await` a write builder directly (the crates'
//! built-in long-running-operation handling is broken).

mod disks;
mod endpoint;
mod vm;

pub use endpoint::MoveOutcome;
pub use vm::RunCommandOutput;

use crate::azure::capture;
use crate::azure::client::{ArmClient, RawResponse};
use crate::azure::error::ArmError;
use crate::azure::lro::{self, Finished, WriteKind};
use crate::azure::progress::ArmEvent;
use std::future::Future;
use std::sync::Mutex;

/// Whether a write changed anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteStatus {
    /// The write was sent and its operation succeeded.
    Applied,
    /// The resource was already in the desired state; nothing was sent.
    AlreadyDone,
}

/// What a successful write did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteOutcome {
    /// Applied or already done.
    pub status: WriteStatus,
    /// `x-ms-request-id` of every write request sent (one per attempt that got an answer).
    pub request_ids: Vec<String>,
    /// Attempts made (1 when nothing was retried).
    pub attempts: u32,
}

/// Request ids of the writes sent by the attempts of one operation.
#[derive(Debug, Default)]
pub(crate) struct Ids(Mutex<Vec<String>>);

impl Ids {
    fn push(&self, id: Option<String>) {
        if let (Some(id), Ok(mut ids)) = (id, self.0.lock()) {
            ids.push(id);
        }
    }

    fn take(&self) -> Vec<String> {
        self.0
            .lock()
            .map(|mut v| std::mem::take(&mut *v))
            .unwrap_or_default()
    }
}

impl ArmClient {
    /// Runs a write's attempts under the retry policy in one call scope, then reports the end.
    pub(crate) async fn write<T, F, Fut>(
        &self,
        operation: &str,
        attempt: F,
    ) -> Result<(T, u32), ArmError>
    where
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = Result<T, ArmError>>,
    {
        let reader = self.reader();
        let fut = reader
            .retry_policy()
            .run(reader.progress(), operation, attempt);
        let (result, _) = capture::scoped(reader.progress(), fut).await;
        let outcome = match &result {
            Ok(_) => "succeeded".to_owned(),
            Err(e) => e.to_string(),
        };
        reader
            .progress()
            .emit(ArmEvent::Finished {
                operation: operation.to_owned(),
                outcome,
            })
            .await;
        result
    }

    /// Sends a write (`fut` is the builder's `.send()`), records its request id, and follows
    /// its operation to the end.
    pub(crate) async fn send_and_wait<R, Fut>(
        &self,
        operation: &str,
        kind: &WriteKind,
        ids: &Ids,
        fut: Fut,
    ) -> Result<Finished, ArmError>
    where
        R: Into<azure_core::Response>,
        Fut: Future<Output = azure_core::Result<R>>,
    {
        let method = match kind {
            WriteKind::PutOrPatch(_) => "PUT",
            WriteKind::Post => "POST",
        };
        // Right before the write leaves: a lease lost during the step's reads stops it here.
        if let Some(reason) = self.write_gate_closed().await {
            return Err(ArmError::LeaseLost {
                operation: operation.to_owned(),
                reason,
            });
        }
        let resp = match fut.await {
            Ok(r) => r.into(),
            Err(e) => {
                let err = ArmError::from_azure(&e, method, operation);
                ids.push(err.request_id().map(str::to_owned));
                return Err(err);
            }
        };
        let initial = RawResponse::collect(resp, method, operation).await?;
        ids.push(initial.request_id());
        lro::await_operation(self.reader(), operation, kind, &initial).await
    }

    /// `/subscriptions/{sub}/resourceGroups/{rg}/providers/{provider}/{name}`.
    pub(crate) fn resource_id(&self, resource_group: &str, provider: &str, name: &str) -> String {
        format!(
            "/subscriptions/{}/resourceGroups/{}/providers/{}/{}",
            self.reader().subscription_id(),
            resource_group,
            provider,
            name
        )
    }
}

/// Builds the outcome of a finished write.
pub(crate) fn outcome(status: WriteStatus, ids: &Ids, attempts: u32) -> WriteOutcome {
    WriteOutcome {
        status,
        request_ids: ids.take(),
        attempts,
    }
}
