//! The executor: runs a confirmed plan as an event-sourced operation, one step at a time,
//! through the ARM adapter, with the role lock held, every event journalled before the next
//! action, and every mutating call audited. See the module doc of `failover` for the steps,
//! what each verifies, and resume/rollback. Must not print and must not build plans itself (it
//! asks `core::plan::build`).

mod drive;
mod observe;
mod recorder;
mod steps;

pub use drive::{RunEnd, RunReport};

use super::audit::{Audit, AuditEvent};
use super::journal::JournalError;
use super::lock::LockError;
use super::operator::Operator;
use crate::azure::{ArmClient, ArmError};
use crate::config::{Config, RoleConfig};
use crate::core::model::ProbeStatus;
use crate::core::operation::{DrillLeg, DrillLink, OpEvent, Operation, TransitionError};
use crate::core::plan::{build, Blocker, OperationKind, Plan, PlanInput, StepKind, StepTimings};
use crate::store::{SharedStore, StoreError, StoreExt};
use std::time::Duration;
use time::OffsetDateTime;
use tokio::sync::mpsc;

/// How often verify probes the new master's service: each probe is one small HTTP request to
/// one VM, so probing four times a second while a failover waits on it costs nothing.
pub const VERIFY_CADENCE: Duration = Duration::from_millis(250);

/// Knobs of the executor; [`ExecutorOptions::from_config`] takes them from the config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecutorOptions {
    /// Per-step estimates and timeouts (`[failover.timeouts]`).
    pub timings: StepTimings,
    /// Healthy service probes in a row that verify wants (default 3).
    pub verify_successes: u32,
    /// Time between two verify probes: [`VERIFY_CADENCE`], or the heartbeat interval when that
    /// is shorter. Short, so the N-in-a-row rule costs N × 250 ms, not N heartbeats.
    pub verify_interval: Duration,
    /// Timeout of one probe (the heartbeat timeout).
    pub probe_timeout: Duration,
    /// Time between two reads of a disk while waiting for its release or attachment, once
    /// the likely window is over (default 2 s).
    pub release_poll: Duration,
    /// Time between two reads of a disk while its release is likely: the first ⁴⁄₃ × the
    /// release estimate of the wait (default 0.25 s; never more than `release_poll`).
    pub release_poll_fast: Duration,
    /// Time after a finished move before the role may move again (default 10 min).
    pub cooldown: Duration,
    /// How long a detach from an unreachable VM may run before baton powers that VM off and
    /// detaches again (default 3 × the detach estimate: 45 s).
    pub detach_window: Duration,
}

impl Default for ExecutorOptions {
    fn default() -> Self {
        ExecutorOptions {
            timings: StepTimings::default(),
            verify_successes: 3,
            verify_interval: VERIFY_CADENCE,
            probe_timeout: Duration::from_millis(800),
            release_poll: Duration::from_secs(2),
            release_poll_fast: Duration::from_millis(250),
            cooldown: Duration::from_secs(10 * 60),
            detach_window: StepTimings::default().get(StepKind::Detach).estimate * 3,
        }
    }
}

impl ExecutorOptions {
    /// Timeouts from `[failover.timeouts]`, probe cadence from `[heartbeat]`.
    pub fn from_config(config: &Config) -> ExecutorOptions {
        let mut timings = StepTimings::default();
        let t = &config.failover.timeouts;
        for (kind, timeout) in [
            (StepKind::Isolate, t.isolate),
            (StepKind::Fence, t.fence),
            (StepKind::Detach, t.detach),
            (StepKind::Release, t.release),
            (StepKind::Attach, t.attach),
            (StepKind::Start, t.start),
            (StepKind::Verify, t.verify),
            (StepKind::Expose, t.expose),
        ] {
            timings.get_mut(kind).timeout = timeout;
        }
        ExecutorOptions {
            detach_window: timings.get(StepKind::Detach).estimate * 3,
            timings,
            verify_interval: VERIFY_CADENCE.min(config.heartbeat.interval),
            probe_timeout: config.heartbeat.timeout,
            ..ExecutorOptions::default()
        }
    }
}

/// What the operator asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Failover or switchover.
    pub kind: OperationKind,
    /// The target, else the first healthy standby.
    pub to: Option<String>,
    /// Break-glass: detach with `ForceDetach` (may lose writes in flight). The caller must
    /// have obtained its own confirmation of that risk.
    pub force_detach: bool,
    /// Move despite the cooldown; the operator's reason (audited).
    pub override_cooldown: Option<String>,
    /// The drill this operation is a leg of (journalled on `Begun`). A drill's way back is not
    /// held up by the cooldown its own way out started.
    pub drill: Option<DrillLink>,
}

impl Request {
    /// A plain request of this kind.
    pub fn new(kind: OperationKind) -> Request {
        Request {
            kind,
            to: None,
            force_detach: false,
            override_cooldown: None,
            drill: None,
        }
    }
}

/// Why the executor could not run (as opposed to a step failing, which is a [`RunEnd`]).
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    /// Another baton holds the role lock.
    #[error(transparent)]
    Locked(#[from] LockError),
    /// The plan has blockers; nothing was done.
    #[error("cannot {} role {}: {}", .0.kind.as_str(), .0.role, blockers_text(&.0.blockers))]
    Blocked(Box<Plan>),
    /// An operation of this role was interrupted; resume it first.
    #[error("operation {op_id} of role {role} was interrupted at step {step}: resume it (--resume) before starting another")]
    Interrupted {
        /// The role.
        role: String,
        /// The interrupted operation.
        op_id: String,
        /// Where it stopped.
        step: String,
    },
    /// Nothing to resume.
    #[error("no interrupted operation of role {0}")]
    NothingToResume(String),
    /// The journal could not be read or written.
    #[error(transparent)]
    Journal(#[from] JournalError),
    /// The store could not be read or written.
    #[error(transparent)]
    Store(Box<StoreError>),
    /// A record that justifies the operation (confirmation, force-detach, cooldown override)
    /// could not be audited, so the operation was refused before any write.
    #[error("refusing to {kind} role {role}: the {record} record could not be written to the audit log, so nothing was changed: {source}")]
    AuditRefused {
        /// Failover or switchover.
        kind: &'static str,
        /// The role.
        role: String,
        /// The audit record that failed (`confirmed`, `force_detach`…).
        record: &'static str,
        /// Why.
        source: Box<StoreError>,
    },
    /// Local state could not be written mid-operation (disk full, permissions): the operation
    /// stopped unfinished, in a resumable state.
    #[error("{source}; operation {op_id} stopped unfinished: once that is fixed, resume it with `{resume}`")]
    StoppedByStore {
        /// The operation.
        op_id: String,
        /// The command that resumes it.
        resume: String,
        /// Why.
        source: Box<StoreError>,
    },
    /// Azure could not be read for the plan.
    #[error("reading Azure: {0}")]
    Arm(#[from] ArmError),
    /// An event was illegal for the operation (a bug, or a rollback not offered).
    #[error("illegal transition: {0}")]
    Transition(#[from] TransitionError),
    /// The operation belongs to another role, or is otherwise unusable.
    #[error("{0}")]
    Invalid(String),
}

impl ExecError {
    /// A store error, keeping a lock held by someone else as [`ExecError::Locked`].
    pub fn from_store(e: StoreError) -> ExecError {
        match e {
            StoreError::Locked(lock) => ExecError::Locked(lock),
            StoreError::Journal(j) => ExecError::Journal(j),
            other => ExecError::Store(Box::new(other)),
        }
    }

    /// True for credential and authorization failures (the CLI exits 2 for them).
    pub fn is_auth(&self) -> bool {
        match self {
            ExecError::Arm(ArmError::Credential { .. }) => true,
            ExecError::Arm(e) => matches!(e.status(), Some(401 | 403)),
            _ => false,
        }
    }
}

impl From<StoreError> for ExecError {
    fn from(e: StoreError) -> ExecError {
        ExecError::from_store(e)
    }
}

fn blockers_text(blockers: &[Blocker]) -> String {
    blockers
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Runs failovers and switchovers of one role.
pub struct Executor {
    arm: ArmClient,
    role: RoleConfig,
    store: SharedStore,
    audit: Audit,
    opts: ExecutorOptions,
    events: mpsc::Sender<OpEvent>,
    http: reqwest::Client,
    /// Audit records lost during the current run, for its report.
    audit_lost: std::sync::Mutex<Vec<String>>,
}

impl Executor {
    /// An executor for `role`, acting through `arm`, keeping its state in `store` (a
    /// `StateDir` is the local store), streaming every operation event to `events` (bounded;
    /// the executor waits when it is full, never drops).
    pub fn new(
        arm: ArmClient,
        role: RoleConfig,
        store: impl Into<SharedStore>,
        operator: Operator,
        opts: ExecutorOptions,
        events: mpsc::Sender<OpEvent>,
    ) -> Executor {
        let store = store.into();
        let audit = Audit::new(store.clone(), operator);
        Executor {
            arm,
            role,
            store,
            audit,
            opts,
            events,
            http: crate::probe::http_client(),
            audit_lost: std::sync::Mutex::default(),
        }
    }

    /// The same executor streaming to `events` instead: one per run, so each run's stream
    /// closes when its executor is dropped (a drill's legs, the runner's operations).
    pub fn with_events(&self, events: mpsc::Sender<OpEvent>) -> Executor {
        Executor {
            arm: self.arm.clone(),
            role: self.role.clone(),
            store: self.store.clone(),
            audit: self.audit.clone(),
            opts: self.opts.clone(),
            events,
            http: self.http.clone(),
            audit_lost: std::sync::Mutex::default(),
        }
    }

    /// The write client it acts through.
    pub fn arm(&self) -> &ArmClient {
        &self.arm
    }

    /// The store it keeps its state in.
    pub fn store(&self) -> &SharedStore {
        &self.store
    }

    /// The role this executor acts on.
    pub fn role(&self) -> &RoleConfig {
        &self.role
    }

    /// The audit log it writes.
    pub fn audit(&self) -> &Audit {
        &self.audit
    }

    /// Unfinished operations of this role, from their journals.
    pub async fn interrupted(&self) -> Vec<Operation> {
        self.store
            .unfinished_operations()
            .await
            .into_iter()
            .filter(|op| crate::core::model::same_name(&op.role, &self.role.spec.name))
            .collect()
    }

    /// Builds the plan over a fresh inventory and probe round, with the lock holder (if someone
    /// else holds it), the cooldown and any interrupted operation as blockers. Takes nothing.
    /// With `override_cooldown` the cooldown blocker is left out (and audited when run).
    pub async fn plan(&self, req: &Request) -> Result<Plan, ExecError> {
        let lock = self
            .store
            .lock_holder(&self.role.spec.name)
            .await
            .map_err(ExecError::from_store)?
            .map(|i| i.holder());
        let running = !self.interrupted().await.is_empty();
        self.plan_with(req, lock, running).await
    }

    async fn plan_with(
        &self,
        req: &Request,
        lock: Option<crate::core::plan::LockHolder>,
        running: bool,
    ) -> Result<Plan, ExecError> {
        let view = observe::view(
            self.arm.reader(),
            &self.role,
            &self.http,
            self.opts.probe_timeout,
            running,
        )
        .await?;
        let now = OffsetDateTime::now_utc();
        let cooldown_until = self
            .store
            .last_move(&self.role.spec.name)
            .await
            .map(|t| t + self.opts.cooldown)
            .filter(|_| req.override_cooldown.is_none() && !is_way_back(req));
        Ok(build(PlanInput {
            kind: req.kind,
            spec: &self.role.spec,
            status: &view.status,
            facts: Some(&view.facts),
            requested_target: req.to.as_deref(),
            lock,
            cooldown_until,
            now,
            read_only: false,
            timings: &self.opts.timings,
            verify_successes: self.opts.verify_successes,
        }))
    }

    /// One check of the service probe of `vm` of this role, with the executor's probe timeout
    /// (the same check verify makes), for callers that watch a master (a drill's hold).
    pub async fn service_probe(&self, vm: &str) -> ProbeStatus {
        observe::service_probe(&self.role, &self.http, vm, self.opts.probe_timeout).await
    }

    /// The executor's options.
    pub fn options(&self) -> &ExecutorOptions {
        &self.opts
    }

    /// Audits a record written after the fact; a failure is kept for the run's report.
    async fn note_audit(&self, op_id: Option<&str>, event: AuditEvent) {
        if let Some(lost) = self.audit.note(&self.role.spec.name, op_id, &event).await {
            if let Ok(mut all) = self.audit_lost.lock() {
                all.push(lost);
            }
        }
    }

    /// Audits a record that justifies what follows; the operation is refused when it fails.
    async fn require_audit(
        &self,
        kind: OperationKind,
        op_id: &str,
        event: AuditEvent,
    ) -> Result<(), ExecError> {
        let name = event.name();
        self.audit
            .record(&self.role.spec.name, Some(op_id), &event)
            .await
            .map_err(|source| ExecError::AuditRefused {
                kind: kind.as_str(),
                role: self.role.spec.name.clone(),
                record: name,
                source: Box::new(source),
            })
    }

    /// The audit failures of the run so far, taken.
    fn take_audit_lost(&self) -> Vec<String> {
        self.audit_lost
            .lock()
            .map(|mut all| std::mem::take(&mut *all))
            .unwrap_or_default()
    }
}

/// True for the back leg of a drill: its cooldown was started by the drill's own way out.
fn is_way_back(req: &Request) -> bool {
    req.drill.as_ref().is_some_and(|d| d.leg == DrillLeg::Back)
}
