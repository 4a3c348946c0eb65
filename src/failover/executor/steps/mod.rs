//! One step's work: observe the resources (skip when already done), act through the ARM
//! adapter, verify on the resource itself. Every step works towards the leg's *destination*
//! (the target, or the old master in a rollback leg) from whatever the facts show, never from
//! what the plan assumed, so re-running a step after a crash or a failure is safe.

mod app;
mod disks;
mod endpoint;

use super::drive::Session;
use super::observe::{self, View};
use super::recorder::{self, Recorder};
use super::{ExecError, Executor};
use crate::azure::lro::window_wait;
use crate::azure::{ArmClient, ArmError, WriteOutcome, WriteStatus};
use crate::config::RoleConfig;
use crate::core::model::same_name;
use crate::core::operation::{Operation, StepError};
use crate::core::plan::{OperationKind, StepKind};
use crate::failover::audit::AuditEvent;
use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// How a step ended well.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StepOutcome {
    /// Acted and verified; the request ids of the writes.
    Done(Vec<String>),
    /// Observed already done; nothing changed.
    Skipped(String),
}

/// The leg being driven: where everything goes, and how the other holders are fenced.
#[derive(Debug, Clone)]
pub(crate) struct Leg {
    /// The VM that must end up holding the role.
    pub dest: String,
    /// Fence by stopping the app (planned kinds and every rollback leg) rather than powering
    /// off an unreachable holder (unplanned failover).
    pub graceful: bool,
    /// What the operation is.
    pub kind: OperationKind,
    /// The VMs the plan moves the role away from (its `from`): a failover's power-off runs
    /// after isolate and detach took everything from them, so they hold nothing by then.
    pub from: Vec<String>,
}

impl Leg {
    /// The active leg of the operation.
    pub fn of(op: &Operation, role: &RoleConfig) -> Result<Leg, ExecError> {
        let rollback = op.rollback.as_ref().is_some_and(|r| !r.steps.is_empty());
        if !rollback {
            let from = op
                .from
                .iter()
                .flat_map(|f| f.split(','))
                .map(str::trim)
                .filter(|v| role.spec.vms.iter().any(|r| same_name(r, v)))
                .map(str::to_owned)
                .collect();
            return Ok(Leg {
                dest: op.to.clone(),
                graceful: op.kind.is_planned(),
                kind: op.kind,
                from,
            });
        }
        let old = op.from.as_deref().unwrap_or_default();
        let dest = role
            .spec
            .vms
            .iter()
            .find(|v| same_name(v, old))
            .cloned()
            .ok_or_else(|| {
                ExecError::Invalid(format!(
                    "cannot roll back: the old master `{old}` is not one VM of role {}",
                    role.spec.name
                ))
            })?;
        Ok(Leg {
            dest,
            graceful: true,
            kind: op.kind,
            from: Vec::new(),
        })
    }
}

/// Everything one step needs.
pub(crate) struct Ctx<'a> {
    pub exec: &'a Executor,
    /// The client for this step; its progress goes to this step's notes.
    pub arm: ArmClient,
    pub rec: &'a Mutex<Recorder>,
    pub step: StepKind,
    pub leg: &'a Leg,
    pub op_id: &'a str,
    pub session: &'a Session,
}

/// What a step returns.
pub(crate) type StepResult = Result<StepOutcome, StepError>;

impl Ctx<'_> {
    /// Dispatches to the step's work. Each step's future is boxed: they are large (inventory
    /// reads, probes, polls) and an enum of all of them would sit on the caller's stack.
    pub async fn run(&self) -> StepResult {
        let work: Pin<Box<dyn Future<Output = StepResult> + Send + '_>> = match self.step {
            StepKind::Preflight => Box::pin(self.preflight()),
            StepKind::Isolate => Box::pin(self.isolate()),
            StepKind::Fence if self.leg.graceful => Box::pin(self.fence_stop()),
            StepKind::Fence => Box::pin(self.fence_power_off()),
            StepKind::Detach => Box::pin(self.detach()),
            StepKind::Release => Box::pin(self.release()),
            StepKind::Attach => Box::pin(self.attach()),
            StepKind::Start => Box::pin(self.start()),
            StepKind::Verify => Box::pin(self.verify()),
            StepKind::Expose => Box::pin(self.expose()),
            StepKind::Commit => return Ok(StepOutcome::Done(Vec::new())),
        };
        work.await
    }

    fn role(&self) -> &RoleConfig {
        &self.exec.role
    }

    fn rg(&self) -> &str {
        &self.exec.role.spec.resource_group
    }

    /// Records a progress note for this step.
    async fn note(&self, text: String) {
        recorder::note(self.rec, self.step, text).await;
    }

    /// A fresh read of the role's Azure facts, no probes.
    async fn facts(&self) -> Result<crate::core::model::AzureFacts, StepError> {
        observe::facts(self.arm.reader(), self.role())
            .await
            .map_err(|e| arm_error(&e))
    }

    /// A fresh view of the role (inventory + probes).
    async fn view(&self) -> Result<View, StepError> {
        observe::view(
            self.arm.reader(),
            self.role(),
            &self.exec.http,
            self.exec.opts.probe_timeout,
            true,
        )
        .await
        .map_err(|e| arm_error(&e))
    }

    /// Audits one mutating call and turns its result into request ids or a step error.
    async fn audited(
        &self,
        operation: &str,
        result: Result<WriteOutcome, ArmError>,
    ) -> Result<WriteOutcome, StepError> {
        let (outcome, ids) = match &result {
            Ok(w) if w.status == WriteStatus::AlreadyDone => ("already done".to_owned(), vec![]),
            Ok(w) => ("applied".to_owned(), w.request_ids.clone()),
            Err(e) => (
                e.to_string(),
                e.request_id().map(str::to_owned).into_iter().collect(),
            ),
        };
        self.exec
            .note_audit(
                Some(self.op_id),
                AuditEvent::ArmCall {
                    step: self.step,
                    operation: operation.to_owned(),
                    outcome,
                    request_ids: ids,
                },
            )
            .await;
        result.map_err(|e| arm_error(&e))
    }

    /// Polls `check` (at once, then as `cadence` says) until it returns `Ok`, noting each new
    /// `waiting` text. Bounded by the step's timeout (the caller's).
    async fn poll_until<T, F, Fut>(&self, cadence: Cadence, mut check: F) -> Result<T, StepError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<Result<T, String>, StepError>>,
    {
        let mut last: Option<String> = None;
        let started = Instant::now();
        loop {
            match check().await? {
                Ok(v) => return Ok(v),
                Err(waiting) => {
                    if last.as_deref() != Some(waiting.as_str()) {
                        self.note(waiting.clone()).await;
                        last = Some(waiting);
                    }
                }
            }
            tokio::time::sleep(cadence.wait(started.elapsed())).await;
        }
    }
}

/// How often a step re-reads what it waits for: `fast` until `until` after the wait began,
/// then backing off (half the overrun) up to `slow`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cadence {
    pub fast: Duration,
    pub until: Duration,
    pub slow: Duration,
}

impl Cadence {
    /// A fixed interval.
    pub fn every(interval: Duration) -> Cadence {
        Cadence {
            fast: interval,
            until: Duration::ZERO,
            slow: interval,
        }
    }

    /// The wait after `elapsed` of waiting.
    pub fn wait(&self, elapsed: Duration) -> Duration {
        window_wait(elapsed, self.until, self.fast, self.slow)
    }
}

/// An ARM error as the journal keeps it: code, message, request id, HTTP status.
pub(crate) fn arm_error(e: &ArmError) -> StepError {
    let code = e.code().map(str::to_owned).unwrap_or_else(|| {
        match e {
            ArmError::Transport { .. } => "ConnectionFailed",
            ArmError::OperationTimeout { .. } => "OperationTimeout",
            ArmError::StatusUnreadable { .. } => "StatusUnreadable",
            ArmError::Credential { .. } => "CredentialFailed",
            ArmError::NotApplied { .. } => "NotApplied",
            ArmError::Decode { .. } => "DecodeFailed",
            ArmError::Invalid(_) => "InvalidRequest",
            _ => "AzureError",
        }
        .to_owned()
    });
    StepError {
        code,
        message: e.to_string(),
        request_id: e.request_id().map(str::to_owned),
        http_status: e.status(),
    }
}

/// A step error of baton's own.
pub(crate) fn own_error(code: &str, message: String) -> StepError {
    StepError {
        code: code.to_owned(),
        message,
        request_id: None,
        http_status: None,
    }
}

#[cfg(test)]
mod tests {
    use super::Cadence;
    use std::time::Duration;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn disk_reads_are_fast_while_the_release_is_likely_then_back_off() {
        let c = Cadence {
            fast: ms(250),
            until: ms(6_667),
            slow: ms(2_000),
        };
        assert_eq!(c.wait(Duration::ZERO), ms(250));
        assert_eq!(c.wait(ms(6_000)), ms(250));
        assert_eq!(c.wait(ms(8_667)), ms(1_000));
        assert_eq!(c.wait(ms(60_000)), ms(2_000));
        // Reads over the first minute of a disk that never lets go: 27 fast, then backing off.
        let (mut at, mut reads) = (Duration::ZERO, 1);
        while at < Duration::from_secs(60) {
            at += c.wait(at);
            reads += 1;
        }
        assert!(reads <= 60, "{reads}");
    }

    #[test]
    fn a_fast_interval_above_the_slow_one_is_cut_to_it() {
        let c = Cadence {
            fast: ms(250),
            until: ms(6_667),
            slow: ms(5),
        };
        assert_eq!(c.wait(Duration::ZERO), ms(5));
        assert_eq!(Cadence::every(ms(10)).wait(ms(123)), ms(10));
    }
}
