//! The cockpit's side of failovers, switchovers, drills and lock breaks (`unlock`): turns the
//! UI's operation effects into [`Runner`] calls and the handle's one ordered stream into UI
//! messages.
//!
//! It exists only when the cockpit was given a runner (operator and demo modes): in read-only
//! and wall modes nothing here is built, so nothing can write. The runner owns every rule
//! (confirmation, planning again at confirmation time, ids) and the engines under it own the
//! rest (lock, journal, audit, cooldown); this task only routes. An operation's abort switch is
//! registered under the id the runner assigned before it started (a drill's legs under the ids
//! their `LegStarted` names), so an abort works from the first event on.

use crate::core::name::RoleName;
use crate::core::operation::{Operation, RollbackMode};
use crate::core::plan::OperationKind;
use crate::core::snapshot::{EngineEvent, Severity};
use crate::drill::{DrillRequest, DrillUpdate};
use crate::failover::Request;
use crate::ops::{
    AbortSwitch, Confirmation, OpEnd, OpHandle, OpStreamEvent, Runner, StartError, StartRequest,
};
use crate::protocol::{EngineMsg, OpEffect, PlanFailure};
use crate::store::StoreExt;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use time::OffsetDateTime;
use tokio::sync::{mpsc, watch};

mod plans;
mod unlock;

/// Longest an ended operation's role waits for a fresh inventory before it stops showing
/// FAILING OVER.
const SETTLE_LIMIT: std::time::Duration = std::time::Duration::from_secs(30);

/// Channels the operations task talks on.
pub(super) struct OpsChannels {
    /// Plans, plan errors, operation events, interrupted operations — to the UI.
    pub ui: mpsc::Sender<EngineMsg>,
    /// The event log.
    pub events: mpsc::Sender<EngineEvent>,
    /// Roles with an operation running (the snapshot shows them FAILING OVER).
    pub running: watch::Sender<BTreeSet<RoleName>>,
    /// Asks the inventory loop for a refresh now.
    pub refresh_now: Arc<tokio::sync::Notify>,
    /// The inventory, to know when facts read after an operation's end have arrived.
    pub inventory: watch::Receiver<super::inventory::InventoryState>,
}

/// Shared state of the task and the runs it spawns.
#[derive(Clone)]
struct Ops {
    runner: Runner,
    ch: Arc<OpsChannels>,
    /// Abort switches of running operations by operation id (a drill's under each leg's id).
    aborts: Arc<Mutex<BTreeMap<String, AbortSwitch>>>,
    /// The role of every operation this task offered or streamed, so a resume or rollback
    /// asked for by id reads that one journal.
    roles: Arc<Mutex<BTreeMap<String, String>>>,
}

/// Offers interrupted operations, then serves operation effects until the channel closes.
pub(super) async fn run(runner: Runner, ch: OpsChannels, mut effects: mpsc::Receiver<OpEffect>) {
    let ops = Ops {
        runner,
        ch: Arc::new(ch),
        aborts: Arc::default(),
        roles: Arc::default(),
    };
    let interrupted = ops.runner.store().unfinished_operations().await;
    ops.remember_roles(&interrupted);
    if !interrupted.is_empty()
        && ops
            .ch
            .ui
            .send(EngineMsg::Interrupted(interrupted))
            .await
            .is_err()
    {
        return;
    }
    while let Some(effect) = effects.recv().await {
        let ops = ops.clone();
        match effect {
            OpEffect::RequestPlan {
                role,
                kind: OperationKind::Drill,
                target,
            } => {
                tokio::spawn(async move { ops.plan_drill(role.as_str(), target).await });
            }
            OpEffect::RequestPlan { role, kind, target } => {
                tokio::spawn(async move { ops.plan(role.as_str(), kind, target).await });
            }
            OpEffect::StartOperation {
                role,
                kind: OperationKind::Drill,
                target,
                confirmed_name,
            } => {
                let request = StartRequest::Drill {
                    role: role.as_str().to_owned(),
                    request: ops.drill_request(Some(target)),
                    confirmation: Confirmation::Typed(confirmed_name),
                };
                tokio::spawn(async move { ops.launch(role.as_str(), request).await });
            }
            OpEffect::StartOperation {
                role,
                kind,
                target,
                confirmed_name,
            } => {
                let request = StartRequest::Operation {
                    role: role.as_str().to_owned(),
                    request: Request {
                        to: Some(target),
                        ..Request::new(kind)
                    },
                    confirmation: Confirmation::Typed(confirmed_name),
                };
                tokio::spawn(async move { ops.launch(role.as_str(), request).await });
            }
            OpEffect::AbortOperation { op_id } => ops.abort(&op_id),
            OpEffect::ChooseRollback { op_id, mode } => {
                tokio::spawn(async move { ops.continue_op(&op_id, Some(mode)).await });
            }
            OpEffect::ResumeOperation { op_id } => {
                tokio::spawn(async move { ops.continue_op(&op_id, None).await });
            }
            OpEffect::ReadLock { role } => {
                tokio::spawn(async move { ops.read_lock(role).await });
            }
            OpEffect::BreakLock {
                role,
                epoch,
                confirmed_name,
            } => {
                tokio::spawn(async move { ops.break_lock(role, epoch, confirmed_name).await });
            }
        }
    }
}

impl Ops {
    /// A drill of the configured hold (`failover.drill_hold`), reports in the state directory.
    /// Forcing a drill during an incident is left to `baton drill --force-during-incident`:
    /// the cockpit shows the incident blocker and never lifts it.
    fn drill_request(&self, to: Option<String>) -> DrillRequest {
        DrillRequest {
            to,
            hold: self.runner.config().failover.drill_hold,
            ..DrillRequest::default()
        }
    }

    async fn continue_op(&self, op_id: &str, rollback: Option<RollbackMode>) {
        let role = self.roles.lock().ok().and_then(|r| r.get(op_id).cloned());
        let Some(role) = role else {
            return self
                .tell_ui(EngineMsg::PlanError(PlanFailure::OperationNotFound {
                    op_id: op_id.to_string(),
                }))
                .await;
        };
        let request = StartRequest::Resume {
            role: role.clone(),
            op_id: op_id.to_owned(),
            rollback,
            force_detach: false,
            override_cooldown: None,
        };
        self.launch(&role, request).await;
    }

    /// Starts through the runner and follows the handle to its end.
    async fn launch(&self, role: &str, request: StartRequest) {
        match self.runner.start(request).await {
            Ok(handle) => self.follow(handle).await,
            Err(StartError::OperationNotFound { op_id, .. }) => {
                let failure = PlanFailure::OperationNotFound { op_id };
                self.tell_ui(EngineMsg::PlanError(failure)).await;
            }
            Err(e) => self.log(Severity::Critical, role, &e.to_string()).await,
        }
    }

    async fn follow(&self, handle: OpHandle) {
        let OpHandle {
            id,
            role,
            abort,
            mut events,
            done,
        } = handle;
        let mut ids = vec![id.as_str().to_owned()];
        self.register(&ids[0], &role, &abort);
        self.mark_running(&role, true);
        let mut ui_open = true;
        while let Some(item) = events.recv().await {
            let msg = match item {
                OpStreamEvent::Op { op_id, event } => EngineMsg::OpEvent { op_id, event },
                OpStreamEvent::Drill { update, record } => {
                    if let DrillUpdate::LegStarted { op_id, .. } = &update {
                        self.register(op_id, &role, &abort);
                        ids.push(op_id.clone());
                    }
                    EngineMsg::Drill {
                        record,
                        report: report_of(&update),
                    }
                }
            };
            // A closed UI (the cockpit quitting) stops the messages, not the run: the stream is
            // still drained so the run never waits on it.
            ui_open = ui_open && self.ch.ui.send(msg).await.is_ok();
        }
        let end = done.await;
        self.settle(&role).await;
        if let Ok(mut aborts) = self.aborts.lock() {
            for id in &ids {
                aborts.remove(id);
            }
        }
        let lost = match end {
            Ok(OpEnd::Operation(Ok(report))) => report.audit_lost,
            Ok(OpEnd::Drill(Ok(outcome))) => outcome.audit_lost,
            Ok(OpEnd::Operation(Err(e))) => vec![e.to_string()],
            Ok(OpEnd::Drill(Err(e))) => vec![e.to_string()],
            Err(e) => vec![format!("the run ended abnormally: {e}")],
        };
        for text in &lost {
            self.log(Severity::Critical, &role, text).await;
        }
    }

    fn register(&self, op_id: &str, role: &str, abort: &AbortSwitch) {
        if let Ok(mut aborts) = self.aborts.lock() {
            aborts.insert(op_id.to_owned(), abort.clone());
        }
        if let Ok(mut roles) = self.roles.lock() {
            roles.insert(op_id.to_owned(), role.to_owned());
        }
    }

    fn remember_roles(&self, ops: &[Operation]) {
        if let Ok(mut roles) = self.roles.lock() {
            for op in ops {
                roles.insert(op.op_id.clone(), op.role.clone());
            }
        }
    }

    fn abort(&self, op_id: &str) {
        if let Ok(aborts) = self.aborts.lock() {
            if let Some(switch) = aborts.get(op_id) {
                switch.abort();
            }
        }
    }

    /// An operation of `role` ended: it keeps showing FAILING OVER until the inventory has been
    /// read again after the end (asked for at once), so the last pre-end read — the endpoint
    /// not yet exposed — never shows as NO MASTER. Bounded: a throttled refresh does not hold
    /// the role for longer than [`SETTLE_LIMIT`].
    async fn settle(&self, role: &str) {
        let ended = OffsetDateTime::now_utc();
        let mut inventory = self.ch.inventory.clone();
        self.ch.refresh_now.notify_one();
        let fresh = inventory.wait_for(|s| s.facts_began.is_some_and(|b| b > ended));
        let _ = tokio::time::timeout(SETTLE_LIMIT, fresh).await;
        self.mark_running(role, false);
    }

    fn mark_running(&self, role: &str, running: bool) {
        self.ch.running.send_modify(|set| {
            if running {
                set.insert(RoleName::from(role));
            } else {
                set.remove(&RoleName::from(role));
            }
        });
    }

    async fn tell_ui(&self, msg: EngineMsg) {
        let _ = self.ch.ui.send(msg).await;
    }

    async fn log(&self, severity: Severity, role: &str, text: &str) {
        let event = EngineEvent {
            at: OffsetDateTime::now_utc(),
            severity,
            role: Some(role.to_string()),
            text: text.to_string(),
        };
        let _ = self.ch.events.send(event).await;
    }
}

/// The Markdown report's path, once the drill has one.
fn report_of(update: &DrillUpdate) -> Option<PathBuf> {
    match update {
        DrillUpdate::Finished { reports, .. } => Some(reports.markdown.clone()),
        DrillUpdate::Begun { .. }
        | DrillUpdate::Resumed { .. }
        | DrillUpdate::LegStarted { .. }
        | DrillUpdate::LegEnded { .. }
        | DrillUpdate::HoldStarted { .. }
        | DrillUpdate::HoldProbe { .. }
        | DrillUpdate::HoldEnded { .. } => None,
    }
}
