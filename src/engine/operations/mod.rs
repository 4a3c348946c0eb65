//! The cockpit's side of failovers, switchovers and drills: turns the UI's operation effects
//! into executor (or drill runner, `drills`) calls and their journalled events into UI messages.
//!
//! It exists only when the cockpit was given an [`ArmClient`] (operator and demo modes): in
//! read-only and wall modes nothing here is built, so nothing can write. The executor owns
//! every rule (lock, journal, audit, cooldown); this task only routes.

use crate::azure::ArmClient;
use crate::config::Config;
use crate::core::name::{typed_name_confirms, RoleName};
use crate::core::operation::{OpEvent, Operation, RollbackMode};
use crate::core::plan::OperationKind;
use crate::core::snapshot::{EngineEvent, Severity};
use crate::failover::{Executor, ExecutorOptions, Operator, Request, RunReport, StateDir};
use crate::protocol::{EngineMsg, OpEffect, PlanFailure};
use crate::store::{SharedStore, StoreExt};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use time::OffsetDateTime;
use tokio::sync::{mpsc, watch};

mod drills;

/// Longest an ended operation's role waits for a fresh inventory before it stops showing
/// FAILING OVER.
const SETTLE_LIMIT: std::time::Duration = std::time::Duration::from_secs(30);

/// What the operations task needs.
#[derive(Clone)]
pub struct OpsSetup {
    /// The validated config (roles, timeouts).
    pub config: Arc<Config>,
    /// The write client.
    pub arm: ArmClient,
    /// Where journals, locks and the audit live.
    pub state_dir: StateDir,
    /// Who is acting.
    pub operator: Operator,
}

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
    setup: OpsSetup,
    ch: Arc<OpsChannels>,
    aborts: Arc<Mutex<BTreeMap<String, watch::Sender<bool>>>>,
    /// The store of `setup.state_dir`, shared by every run.
    store: SharedStore,
}

/// Offers interrupted operations, then serves operation effects until the channel closes.
pub(super) async fn run(setup: OpsSetup, ch: OpsChannels, mut effects: mpsc::Receiver<OpEffect>) {
    let ops = Ops {
        store: setup.state_dir.clone().into(),
        setup,
        ch: Arc::new(ch),
        aborts: Arc::default(),
    };
    let interrupted = ops.store.unfinished_operations().await;
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
                tokio::spawn(async move {
                    ops.start_drill(role.as_str(), target, &confirmed_name)
                        .await
                });
            }
            OpEffect::StartOperation {
                role,
                kind,
                target,
                confirmed_name,
            } => {
                tokio::spawn(async move {
                    ops.start(role.as_str(), kind, target, &confirmed_name)
                        .await
                });
            }
            OpEffect::AbortOperation { op_id } => ops.abort(&op_id),
            OpEffect::ChooseRollback { op_id, mode } => {
                tokio::spawn(async move { ops.continue_op(&op_id, Some(mode)).await });
            }
            OpEffect::ResumeOperation { op_id } => {
                tokio::spawn(async move { ops.continue_op(&op_id, None).await });
            }
        }
    }
}

impl Ops {
    /// An executor for `role` whose events go to a fresh channel.
    fn executor(&self, role: &str) -> Option<(Executor, mpsc::Receiver<OpEvent>)> {
        let role = self.setup.config.role(role)?.clone();
        let (tx, rx) = mpsc::channel(256);
        let exec = Executor::new(
            self.setup.arm.clone(),
            role,
            self.store.clone(),
            self.setup.operator.clone(),
            ExecutorOptions::from_config(&self.setup.config),
            tx,
        );
        Some((exec, rx))
    }

    async fn plan(&self, role: &str, kind: OperationKind, target: Option<String>) {
        let Some((exec, _)) = self.executor(role) else {
            return self
                .tell_ui(EngineMsg::PlanError(PlanFailure::UnknownRole {
                    role: role.into(),
                }))
                .await;
        };
        let req = Request {
            to: target,
            ..Request::new(kind)
        };
        let msg = match exec.plan(&req).await {
            Ok(plan) => EngineMsg::Plan(plan),
            Err(e) => EngineMsg::PlanError(PlanFailure::Refused {
                reason: e.to_string(),
            }),
        };
        self.tell_ui(msg).await;
    }

    async fn start(&self, role: &str, kind: OperationKind, target: String, confirmed: &str) {
        if !self.confirmed(role, confirmed).await {
            return;
        }
        let Some((exec, rx)) = self.executor(role) else {
            return;
        };
        let req = Request {
            to: Some(target),
            ..Request::new(kind)
        };
        // Plan again at confirmation time: the world may have moved since the preview.
        let plan = match exec.plan(&req).await {
            Ok(plan) if plan.can_confirm() => plan,
            Ok(plan) => {
                let why: Vec<String> = plan.blockers.iter().map(ToString::to_string).collect();
                let text = format!("not started, blocked now: {}", why.join("; "));
                return self.log(Severity::Critical, role, &text).await;
            }
            Err(e) => return self.log(Severity::Critical, role, &e.to_string()).await,
        };
        let abort = self.register_abort(None);
        let forward = tokio::spawn(self.clone().forward(rx, abort.0.clone()));
        self.mark_running(role, true);
        let result = exec.run(&req, &plan, "typed role name", abort.1).await;
        drop(exec); // closes the event channel so the forwarder ends
        self.finish(role, result, forward).await;
    }

    /// True when the typed name confirms the role (the UI checked it too: this is the
    /// engine's own check); else logs that nothing was done.
    async fn confirmed(&self, role: &str, typed: &str) -> bool {
        if typed_name_confirms(role, typed) {
            return true;
        }
        let text = "confirmation did not match: nothing done";
        self.log(Severity::Critical, role, text).await;
        false
    }

    async fn continue_op(&self, op_id: &str, mode: Option<RollbackMode>) {
        let Some(op) = self.find(op_id).await else {
            return self
                .tell_ui(EngineMsg::PlanError(PlanFailure::OperationNotFound {
                    op_id: op_id.to_string(),
                }))
                .await;
        };
        let role = op.role.clone();
        let Some((exec, rx)) = self.executor(&role) else {
            return;
        };
        let req = Request {
            to: Some(op.to.clone()),
            ..Request::new(op.kind)
        };
        let abort = self.register_abort(Some(op_id));
        let forward = tokio::spawn(self.clone().forward_known(rx, op_id.to_string()));
        self.mark_running(&role, true);
        let result = match mode {
            Some(mode) => exec.rollback(op, mode, &req, abort.1).await,
            None => exec.resume(op, &req, abort.1).await,
        };
        drop(exec); // closes the event channel so the forwarder ends
        self.finish(&role, result, forward).await;
    }

    async fn find(&self, op_id: &str) -> Option<Operation> {
        self.store
            .unfinished_operations()
            .await
            .into_iter()
            .find(|op| op.op_id == op_id)
    }

    fn abort(&self, op_id: &str) {
        if let Ok(aborts) = self.aborts.lock() {
            if let Some(tx) = aborts.get(op_id) {
                let _ = tx.send(true);
            }
        }
    }

    /// A fresh abort switch, registered under `op_id` now or once `Begun` names it.
    fn register_abort(&self, op_id: Option<&str>) -> (watch::Sender<bool>, watch::Receiver<bool>) {
        let (tx, rx) = watch::channel(false);
        if let (Some(id), Ok(mut aborts)) = (op_id, self.aborts.lock()) {
            aborts.insert(id.to_string(), tx.clone());
        }
        (tx, rx)
    }

    /// Forwards a new operation's events; its id comes with `Begun`.
    async fn forward(self, mut rx: mpsc::Receiver<OpEvent>, abort: watch::Sender<bool>) {
        let mut op_id = String::new();
        while let Some(event) = rx.recv().await {
            if let OpEvent::Begun { op_id: id, .. } = &event {
                op_id = id.clone();
                if let Ok(mut aborts) = self.aborts.lock() {
                    aborts.insert(op_id.clone(), abort.clone());
                }
            }
            let msg = EngineMsg::OpEvent {
                op_id: op_id.clone(),
                event,
            };
            if self.ch.ui.send(msg).await.is_err() {
                return;
            }
        }
    }

    async fn forward_known(self, mut rx: mpsc::Receiver<OpEvent>, op_id: String) {
        while let Some(event) = rx.recv().await {
            let msg = EngineMsg::OpEvent {
                op_id: op_id.clone(),
                event,
            };
            if self.ch.ui.send(msg).await.is_err() {
                return;
            }
        }
    }

    async fn finish(
        &self,
        role: &str,
        result: Result<RunReport, crate::failover::ExecError>,
        forward: tokio::task::JoinHandle<()>,
    ) {
        // The executor is dropped by now, so the forwarder drains and ends.
        let _ = forward.await;
        self.settle(role).await;
        match result {
            Ok(report) => {
                if let Ok(mut aborts) = self.aborts.lock() {
                    aborts.remove(&report.op_id);
                }
                for lost in &report.audit_lost {
                    self.log(Severity::Critical, role, lost).await;
                }
            }
            Err(e) => self.log(Severity::Critical, role, &e.to_string()).await,
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
