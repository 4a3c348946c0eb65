//! The operation loop: start (lock, journal, `Begun`), resume (reopen the journal), choose a
//! rollback, and drive the active leg: every step the operation lets start runs, alongside the
//! others its plan declares concurrent; an abort starts nothing new; a failed step stops what
//! waits for it and leaves the operation resumable.

use super::recorder::{self, Recorder};
use super::steps::{self, Leg, StepOutcome};
use super::{ExecError, Executor, Request};
use crate::azure::Progress;
use crate::core::operation::{OpEvent, Operation, Outcome, RollbackMode, StepError};
use crate::core::plan::{beside_line, Plan, StepKind};
use crate::failover::audit::AuditEvent;
use crate::store::journal::JournalError;
use crate::store::LockGuard;
use crate::store::StoreError;
use futures::stream::{FuturesUnordered, StreamExt};
use time::OffsetDateTime;
use tokio::sync::{mpsc, watch, Mutex};

/// How a run of the executor ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunEnd {
    /// The operation finished (`Succeeded`, `RolledBack`, or `Failed` at preflight).
    Finished(Outcome),
    /// A step failed; the operation is unfinished and safe to resume, roll back or give up.
    Stopped {
        /// The failed step.
        step: StepKind,
        /// Why.
        error: StepError,
    },
    /// An abort was requested between steps; choose a rollback to go on.
    Halted,
}

/// What a run did.
#[derive(Debug, Clone)]
pub struct RunReport {
    /// The operation id.
    pub op_id: String,
    /// How the run ended.
    pub end: RunEnd,
    /// The operation as journalled.
    pub operation: Operation,
    /// Audit records that could not be written during the run (after its justifying records
    /// were stored), one message each, for the operator's screen.
    pub audit_lost: Vec<String>,
}

/// What one run carries besides the recorder.
pub(super) struct Session {
    pub force_detach: bool,
    /// The drill the operation is a leg of (from the request, or the journal on resume).
    pub drill: Option<crate::core::operation::DrillLink>,
    pub override_cooldown: Option<String>,
    pub abort: watch::Receiver<bool>,
    /// The role lock's lease, asked by the ARM client right before every write.
    pub lease: crate::store::LeaseWatch,
}

impl Executor {
    /// Runs a confirmed plan: takes the lock (another holder is [`ExecError::Locked`]), refuses
    /// when an operation of the role is unfinished, journals `Begun`, then drives every step.
    /// `confirmation` says how the operator confirmed (`typed role name`, `--yes`), for the audit.
    /// The operation gets a fresh id; [`Executor::run_as`] takes the caller's.
    pub async fn run(
        &self,
        req: &Request,
        plan: &Plan,
        confirmation: &str,
        abort: watch::Receiver<bool>,
    ) -> Result<RunReport, ExecError> {
        let op_id = uuid::Uuid::new_v4().to_string();
        self.run_as(&op_id, req, plan, confirmation, abort).await
    }

    /// [`Executor::run`] under the id `op_id`, assigned by the caller before the run, so the
    /// caller can name the operation (and abort it) before its `Begun` is journalled.
    pub async fn run_as(
        &self,
        op_id: &str,
        req: &Request,
        plan: &Plan,
        confirmation: &str,
        abort: watch::Receiver<bool>,
    ) -> Result<RunReport, ExecError> {
        let op_id = op_id.to_owned();
        let role = self.role.spec.name.clone();
        self.take_audit_lost();
        let acquired = self
            .store
            .acquire_lock(&role, self.audit.operator(), None)
            .await;
        let mut lock = match acquired {
            Ok(l) => l,
            Err(e) => {
                let reasons = vec![e.to_string()];
                self.note_audit(None, AuditEvent::Refused { reasons }).await;
                return Err(e.into());
            }
        };
        if let Some(op) = self.interrupted().await.into_iter().next() {
            return Err(interrupted(op));
        }
        lock.set_op(&op_id).await?;
        // Stored before anything else is: an operation nobody can account for never starts.
        let confirmed = AuditEvent::Confirmed {
            kind: plan.kind,
            from: plan.from.clone(),
            to: plan.to.clone().unwrap_or_default(),
            how: confirmation.to_owned(),
        };
        self.require_audit(plan.kind, &op_id, confirmed).await?;
        self.audit_choices(&op_id, req).await?;
        let begun = OpEvent::begun_from_plan(
            plan,
            &op_id,
            &self.audit.operator().user,
            OffsetDateTime::now_utc(),
        )
        .ok_or_else(|| ExecError::Blocked(Box::new(plan.clone())))?
        .with_drill(req.drill.clone());
        let journal = self.store.create_journal(&role, &op_id).await?;
        let rec = Recorder::begin(journal, begun, self.events.clone()).await?;
        let session = Session {
            force_detach: req.force_detach,
            drill: req.drill.clone(),
            override_cooldown: req.override_cooldown.clone(),
            abort,
            lease: lock.watch(),
        };
        Box::pin(self.drive(Mutex::new(rec), session, lock)).await
    }

    /// Continues an interrupted operation from its journal: re-takes the lock, reopens the
    /// journal (cutting a torn last line), and drives the remaining steps; an interrupted step is
    /// started again (it observes first, so re-running it is safe). A halted operation (abort
    /// requested) rolls forward unless [`Executor::rollback`] is used instead.
    pub async fn resume(
        &self,
        op: Operation,
        req: &Request,
        abort: watch::Receiver<bool>,
    ) -> Result<RunReport, ExecError> {
        self.resume_with(op, req, abort, None).await
    }

    /// Resumes a halted or stopped operation with the operator's rollback choice (journalled
    /// and audited), then drives the chosen leg through the same step machinery.
    pub async fn rollback(
        &self,
        op: Operation,
        mode: RollbackMode,
        req: &Request,
        abort: watch::Receiver<bool>,
    ) -> Result<RunReport, ExecError> {
        self.resume_with(op, req, abort, Some(mode)).await
    }

    async fn resume_with(
        &self,
        op: Operation,
        req: &Request,
        abort: watch::Receiver<bool>,
        mode: Option<RollbackMode>,
    ) -> Result<RunReport, ExecError> {
        if !crate::core::model::same_name(&op.role, &self.role.spec.name) {
            return Err(ExecError::Invalid(format!(
                "operation {} belongs to role {}, not {}",
                op.op_id, op.role, self.role.spec.name
            )));
        }
        let role = self.role.spec.name.clone();
        self.take_audit_lost();
        let lock = self
            .store
            .acquire_lock(&role, self.audit.operator(), Some(&op.op_id))
            .await?;
        // Re-read under the lock: the caller's copy may be stale.
        let (journal, loaded) = self.store.reopen_journal(&role, &op.op_id).await?;
        let op = loaded.operation()?;
        if op.is_finished() {
            return Err(ExecError::NothingToResume(role));
        }
        let resumed = AuditEvent::Resumed {
            at_step: op.next_step().or(op.interrupted_step()),
        };
        self.require_audit(op.kind, &op.op_id, resumed).await?;
        self.audit_choices(&op.op_id, req).await?;
        let op_id = op.op_id.clone();
        let drill = op.drill.clone();
        let mut rec = Recorder::resume(journal, op, self.events.clone());
        let mode = mode.or_else(|| rec.op().is_halted().then_some(RollbackMode::RollForward));
        if let Some(mode) = mode {
            let chosen = AuditEvent::RollbackChosen { mode };
            self.require_audit(rec.op().kind, &op_id, chosen).await?;
            let by = self.audit.operator().user.clone();
            rec.record(OpEvent::RollbackChosen {
                at: OffsetDateTime::now_utc(),
                by,
                mode,
            })
            .await?;
        }
        let session = Session {
            force_detach: req.force_detach,
            drill,
            override_cooldown: req.override_cooldown.clone(),
            abort,
            lease: lock.watch(),
        };
        Box::pin(self.drive(Mutex::new(rec), session, lock)).await
    }

    /// Stores the break-glass and override records before the operation may act on them.
    async fn audit_choices(&self, op_id: &str, req: &Request) -> Result<(), ExecError> {
        if req.force_detach {
            let ev = AuditEvent::ForceDetach { confirmed: true };
            self.require_audit(req.kind, op_id, ev).await?;
        }
        if let Some(comment) = &req.override_cooldown {
            let ev = AuditEvent::CooldownOverride {
                comment: comment.clone(),
            };
            self.require_audit(req.kind, op_id, ev).await?;
        }
        Ok(())
    }

    /// Drives the active leg until it finishes, a step fails, or an abort halts it. The lock is
    /// held for the whole drive and released when it returns (or is cancelled).
    async fn drive(
        &self,
        rec: Mutex<Recorder>,
        session: Session,
        lock: Box<dyn LockGuard>,
    ) -> Result<RunReport, ExecError> {
        let (op_id, kind) = {
            let r = rec.lock().await;
            (r.op().op_id.clone(), r.op().kind)
        };
        let drill = session.drill.clone();
        let driven = self.drive_leg(&rec, session, lock.as_ref()).await;
        if let Err(e) = lock.release().await {
            tracing::warn!(error = %e, "role lock not released cleanly");
        }
        let end = driven.map_err(|e| match e {
            ExecError::Store(source) if source.is_local_io() => ExecError::StoppedByStore {
                resume: resume_command(kind, &self.role.spec.name, drill.as_ref()),
                op_id: op_id.clone(),
                source,
            },
            ExecError::Journal(j) if matches!(j, JournalError::Io { .. }) => {
                ExecError::StoppedByStore {
                    resume: resume_command(kind, &self.role.spec.name, drill.as_ref()),
                    op_id: op_id.clone(),
                    source: Box::new(StoreError::Journal(j)),
                }
            }
            other => other,
        })?;
        let operation = rec.lock().await.op().clone();
        Ok(RunReport {
            op_id: operation.op_id.clone(),
            end,
            operation,
            audit_lost: self.take_audit_lost(),
        })
    }

    /// Drives the active leg until it finishes, a step fails, or an abort halts it: every step
    /// the operation lets start (`Operation::can_start`: its earlier steps ended, its partners
    /// started) is started, in plan order, and runs alongside the others. A failed step stops
    /// only what waits for it; the run then ends `Stopped` once the running steps ended. An
    /// abort lets the running steps end and starts nothing new. Nothing new starts unless the
    /// role lock is still held within its margin.
    async fn drive_leg(
        &self,
        rec: &Mutex<Recorder>,
        session: Session,
        lock: &dyn LockGuard,
    ) -> Result<RunEnd, ExecError> {
        let mut abort = session.abort.clone();
        let mut abort_open = true;
        let mut running = FuturesUnordered::new();
        let mut in_flight: Vec<StepKind> = Vec::new();
        let mut failed: Vec<(StepKind, StepError)> = Vec::new();
        let mut halted = false;
        // A running step may hold the recorder while its event waits for room in the stream:
        // every wait of this loop keeps polling the running steps (`alongside`), or it would
        // wait for the lock that step holds.
        let mut ended = Vec::new();
        let end = loop {
            for (step, result) in ended.drain(..) {
                in_flight.retain(|s| *s != step);
                if let Some(error) = result? {
                    failed.push((step, error));
                }
            }
            let op = alongside(&mut running, &mut ended, async {
                rec.lock().await.op().clone()
            })
            .await;
            if !halted && *abort.borrow_and_update() && !op.is_halted() {
                let by = self.audit.operator().user.clone();
                let at = OffsetDateTime::now_utc();
                alongside(&mut running, &mut ended, async {
                    rec.lock()
                        .await
                        .record(OpEvent::AbortRequested { at, by })
                        .await
                })
                .await?;
                self.note_audit(Some(&op.op_id), AuditEvent::AbortRequested)
                    .await;
                halted = true;
                continue;
            }
            halted |= op.is_halted();
            if !halted && failed.is_empty() && in_flight.is_empty() && op.next_step().is_none() {
                let outcome = match &op.rollback {
                    Some(r) if !r.steps.is_empty() => Outcome::RolledBack,
                    _ => Outcome::Succeeded,
                };
                self.finish(rec, &op.op_id, outcome).await?;
                break RunEnd::Finished(outcome);
            }
            if !halted {
                // The lock must be held within its margin before anything new may start.
                if let Some(reason) = lock.watch().lost() {
                    let reason = alongside(&mut running, &mut ended, async {
                        self.journal_lease_lost(rec, reason).await
                    })
                    .await;
                    return Err(ExecError::Store(Box::new(StoreError::LeaseLost {
                        role: self.role.spec.name.clone(),
                        reason,
                    })));
                }
                for step in startable(&op, &in_flight, &failed) {
                    let at = OffsetDateTime::now_utc();
                    alongside(&mut running, &mut ended, async {
                        rec.lock()
                            .await
                            .record(OpEvent::StepStarted { step, at })
                            .await
                    })
                    .await?;
                    in_flight.push(step);
                    let (session, op) = (&session, op.clone());
                    running
                        .push(async move { (step, self.run_step(rec, session, &op, step).await) });
                }
            }
            if !ended.is_empty() {
                continue;
            }
            if running.is_empty() {
                break match failed.first().cloned() {
                    _ if halted => RunEnd::Halted,
                    Some((StepKind::Preflight, _)) => {
                        self.finish(rec, &op.op_id, Outcome::Failed).await?;
                        RunEnd::Finished(Outcome::Failed)
                    }
                    Some((step, error)) => RunEnd::Stopped { step, error },
                    None => return Err(stuck(&op)),
                };
            }
            tokio::select! {
                next = running.next() => ended.extend(next),
                changed = abort.changed(), if abort_open && !halted => {
                    abort_open = changed.is_ok();
                }
            }
        };
        abort.mark_unchanged();
        Ok(end)
    }

    /// Journals that the lease is lost (a comment: the next holder reads why this one stopped)
    /// and returns the reason. Best effort: the journal is not fenced by the lease, but a new
    /// holder that reopened it meanwhile makes this append fail on its position, never twice.
    async fn journal_lease_lost(&self, rec: &Mutex<Recorder>, reason: String) -> String {
        let by = self.audit.operator().user.clone();
        let text = format!("{reason}; stopped before the next Azure write");
        let comment = OpEvent::Comment {
            at: OffsetDateTime::now_utc(),
            by,
            text,
        };
        let op_id = {
            let mut r = rec.lock().await;
            if let Err(e) = r.record(comment).await {
                tracing::warn!(error = %e, "lease lost not journalled");
            }
            r.op().op_id.clone()
        };
        let lost = AuditEvent::LeaseLost {
            reason: reason.clone(),
        };
        self.note_audit(Some(&op_id), lost).await;
        reason
    }

    async fn finish(
        &self,
        rec: &Mutex<Recorder>,
        op_id: &str,
        outcome: Outcome,
    ) -> Result<(), ExecError> {
        let at = OffsetDateTime::now_utc();
        rec.lock()
            .await
            .record(OpEvent::Finished { at, outcome })
            .await?;
        self.note_audit(Some(op_id), AuditEvent::Finished { outcome })
            .await;
        Ok(())
    }

    /// Runs one step the caller journalled as started: act under its timeout with ARM progress
    /// forwarded as notes, then done, skipped or failed. Returns the error when it failed.
    async fn run_step(
        &self,
        rec: &Mutex<Recorder>,
        session: &Session,
        op: &Operation,
        step: StepKind,
    ) -> Result<Option<StepError>, ExecError> {
        let leg = Leg::of(op, &self.role)?;
        let partner = op
            .active_steps()
            .iter()
            .find(|r| r.kind == step)
            .and_then(|r| r.concurrent_with);
        if let Some(partner) = partner {
            // Says in the step's stream (and headless lines) that it runs beside its partner.
            recorder::note(rec, step, beside_line(partner)).await;
        }
        let timing = self.opts.timings.get(step);
        let (tx, rx) = mpsc::channel(256);
        let lease = session.lease.clone();
        let arm = self
            .arm
            .clone()
            .with_progress(Progress::new(tx))
            .with_write_gate(crate::azure::WriteGate::new(move || {
                let lease = lease.clone();
                Box::pin(async move { lease.confirm().await })
            }));
        let work = async move {
            let ctx = steps::Ctx {
                exec: self,
                arm,
                rec,
                step,
                leg: &leg,
                op_id: &op.op_id,
                session,
            };
            // The step's estimate tells the poller when its operations are likely to end.
            let work = crate::azure::lro::expecting(timing.estimate, ctx.run());
            tokio::time::timeout(timing.timeout, work).await
        };
        let (result, ()) = tokio::join!(work, recorder::forward(rx, rec, step));
        let at = OffsetDateTime::now_utc();
        let (ev, failed) = match result {
            Ok(Ok(StepOutcome::Done(request_ids))) => (
                OpEvent::StepDone {
                    step,
                    at,
                    request_ids,
                },
                None,
            ),
            Ok(Ok(StepOutcome::Skipped(reason))) => {
                (OpEvent::StepSkipped { step, at, reason }, None)
            }
            Ok(Err(error)) => (
                OpEvent::StepFailed {
                    step,
                    at,
                    error: error.clone(),
                },
                Some(error),
            ),
            Err(_) => {
                let waiting = rec.lock().await.last_note(step).map(str::to_owned);
                let error = StepError {
                    code: "Timeout".into(),
                    message: format!(
                        "step {} did not finish within {} s{}",
                        step.label(),
                        timing.timeout.as_secs(),
                        waiting
                            .map(|w| format!("; last seen: {w}"))
                            .unwrap_or_default()
                    ),
                    request_id: None,
                    http_status: None,
                };
                (
                    OpEvent::StepFailed {
                        step,
                        at,
                        error: error.clone(),
                    },
                    Some(error),
                )
            }
        };
        rec.lock().await.record(ev).await?;
        if let Some(error) = &failed {
            self.note_audit(
                Some(&op.op_id),
                AuditEvent::StepFailed {
                    step,
                    error: error.to_string(),
                },
            )
            .await;
        }
        Ok(failed)
    }
}

/// The command that resumes an operation: its drill's when it is a drill leg.
fn resume_command(
    kind: crate::core::plan::OperationKind,
    role: &str,
    drill: Option<&crate::core::operation::DrillLink>,
) -> String {
    match drill {
        Some(_) => format!("baton drill {role} --resume"),
        None => format!("baton {} {role} --resume", kind.as_str()),
    }
}

fn interrupted(op: Operation) -> ExecError {
    let step = op
        .interrupted_step()
        .or(op.next_step())
        .map(|s| s.label().to_owned())
        .unwrap_or_else(|| "(halted: choose a rollback)".to_owned());
    ExecError::Interrupted {
        role: op.role,
        op_id: op.op_id,
        step,
    }
}

/// The steps of the active leg that may start now, in plan order: not ended well, not running
/// in this drive, not failed in it (a failure waits for the operator), and allowed by the fold.
/// A step the journal shows running (a crash) is started again: it observes first.
fn startable(
    op: &Operation,
    in_flight: &[StepKind],
    failed: &[(StepKind, StepError)],
) -> Vec<StepKind> {
    let mut ready = Vec::new();
    let mut probe = op.clone();
    for rec in op.active_steps() {
        let step = rec.kind;
        if rec.state.is_ended_well()
            || in_flight.contains(&step)
            || failed.iter().any(|(f, _)| *f == step)
        {
            continue;
        }
        // Fold the start into a copy so a later step sees this one started (its partner).
        let started = OpEvent::StepStarted {
            step,
            at: OffsetDateTime::UNIX_EPOCH,
        };
        if probe.apply(&started).is_ok() {
            ready.push(step);
        }
    }
    ready
}

/// Awaits `work` while polling the running steps, keeping what they return in `ended`.
async fn alongside<S, T>(
    running: &mut S,
    ended: &mut Vec<S::Item>,
    work: impl std::future::Future<Output = T>,
) -> T
where
    S: futures::Stream + Unpin + futures::stream::FusedStream,
{
    tokio::pin!(work);
    loop {
        tokio::select! {
            biased;
            v = &mut work => return v,
            Some(e) = running.next(), if !running.is_terminated() => ended.push(e),
        }
    }
}

/// Nothing runs, nothing failed, nothing may start, yet steps are left: a bug in the plan.
fn stuck(op: &Operation) -> ExecError {
    let why = op
        .next_step()
        .and_then(|s| op.can_start(s).err())
        .map_or_else(|| "no step may start".to_owned(), |e| e.to_string());
    ExecError::Invalid(format!("operation {} cannot go on: {why}", op.op_id))
}
