//! Drills from the cockpit: `d` plans with the drill runner (the switchover plan plus the
//! incident blocker), a confirmed drill runs as `drill::Drill::run` with `failover.drill_hold`; its
//! legs' journal events go to the UI like any operation's, and after every drill update the
//! drill's saved record goes to the UI as `EngineMsg::Drill` (the hold's probe counts patched in
//! between saves). An abort of either leg (or between them) stops the drill.
//!
//! Forcing a drill during an incident is left to `baton drill --force-during-incident`: the
//! cockpit shows the incident blocker and never lifts it.

use super::Ops;
use crate::core::drill::DrillRecord;
use crate::core::operation::OpEvent;
use crate::core::snapshot::Severity;
use crate::drill::{Drill, DrillRequest, DrillUpdate};
use crate::failover::ExecutorOptions;
use crate::protocol::{EngineMsg, PlanFailure};
use std::path::PathBuf;
use time::OffsetDateTime;
use tokio::sync::mpsc;

impl Ops {
    /// A drill runner for `role`, with fresh channels for its leg events and updates.
    fn drill_runner(
        &self,
        role: &str,
    ) -> Option<(Drill, mpsc::Receiver<OpEvent>, mpsc::Receiver<DrillUpdate>)> {
        let config = &self.setup.config;
        let role = config.role(role)?.clone();
        let (events_tx, events) = mpsc::channel(256);
        let (updates_tx, updates) = mpsc::channel(64);
        let drill = Drill::new(
            self.setup.arm.clone(),
            (**config).clone(),
            role,
            self.setup.state_dir.clone(),
            self.setup.operator.clone(),
            ExecutorOptions::from_config(config),
            events_tx,
            updates_tx,
        )
        .with_store(self.store.clone());
        Some((drill, events, updates))
    }

    /// A drill of the configured hold (`failover.drill_hold`), reports in the state directory.
    fn drill_request(&self, to: Option<String>) -> DrillRequest {
        DrillRequest {
            to,
            hold: self.setup.config.failover.drill_hold,
            ..DrillRequest::default()
        }
    }

    pub(super) async fn plan_drill(&self, role: &str, target: Option<String>) {
        let Some((drill, _, _)) = self.drill_runner(role) else {
            return self
                .tell_ui(EngineMsg::PlanError(PlanFailure::UnknownRole {
                    role: role.into(),
                }))
                .await;
        };
        let req = self.drill_request(target);
        let msg = match drill.plan(&req).await {
            Ok(plan) => EngineMsg::Plan(plan.out),
            Err(e) => EngineMsg::PlanError(PlanFailure::Refused {
                reason: e.to_string(),
            }),
        };
        self.tell_ui(msg).await;
    }

    pub(super) async fn start_drill(&self, role: &str, target: String, confirmed: &str) {
        if !self.confirmed(role, confirmed).await {
            return;
        }
        let Some((drill, events, updates)) = self.drill_runner(role) else {
            return;
        };
        let req = self.drill_request(Some(target));
        // Plan again at confirmation time: the world (or the incident) may have moved.
        let plan = match drill.plan(&req).await {
            Ok(plan) if plan.can_confirm() => plan,
            Ok(plan) => {
                let why: Vec<String> = plan.blockers().iter().map(ToString::to_string).collect();
                let text = format!("drill not started, blocked now: {}", why.join("; "));
                return self.log(Severity::Critical, role, &text).await;
            }
            Err(e) => return self.log(Severity::Critical, role, &e.to_string()).await,
        };
        let abort = self.register_abort(None);
        let forward = tokio::spawn(self.clone().forward(events, abort.0.clone()));
        let records = tokio::spawn(self.clone().forward_drill(updates, role.to_string()));
        self.mark_running(role, true);
        let result = drill.run(&req, &plan, "typed role name", abort.1).await;
        drop(drill); // closes both channels so the forwarders end
        let _ = records.await;
        let _ = forward.await;
        self.settle(role).await;
        match result {
            Ok(outcome) => {
                for lost in &outcome.audit_lost {
                    self.log(Severity::Critical, role, lost).await;
                }
            }
            Err(e) => self.log(Severity::Critical, role, &e.to_string()).await,
        }
    }

    /// Sends the drill's record to the UI after each update.
    async fn forward_drill(self, mut updates: mpsc::Receiver<DrillUpdate>, role: String) {
        let mut current: Option<DrillRecord> = None;
        while let Some(update) = updates.recv().await {
            let drill_id = match (&update, &current) {
                (DrillUpdate::Begun { drill_id, .. }, _) => drill_id.clone(),
                (_, Some(r)) => r.drill_id.clone(),
                (_, None) => continue,
            };
            let Ok((mut record, _)) = self.store.load_drill(&role, &drill_id).await else {
                continue;
            };
            let report = patch(&mut record, &update);
            current = Some(record.clone());
            let msg = EngineMsg::Drill {
                record: Box::new(record),
                report,
            };
            if self.ch.ui.send(msg).await.is_err() {
                return;
            }
        }
    }
}

/// Brings a saved record up to an update that may be ahead of the last save (hold probes are
/// saved every few probes; the end is saved before `Finished`, but never trust the order);
/// returns the Markdown report's path once there is one.
fn patch(record: &mut DrillRecord, update: &DrillUpdate) -> Option<PathBuf> {
    match update {
        DrillUpdate::HoldProbe { n_ok, n_failed, .. } => {
            if let Some(hold) = record.hold.as_mut() {
                hold.probes_ok = hold.probes_ok.max(*n_ok);
                hold.probes_failed = hold.probes_failed.max(*n_failed);
            }
            None
        }
        DrillUpdate::Finished {
            verdict, reports, ..
        } => {
            if record.finished_at.is_none() {
                record.finished_at = Some(OffsetDateTime::now_utc());
            }
            record.verdict.get_or_insert(*verdict);
            Some(reports.markdown.clone())
        }
        // Only the hold counts and the end run ahead of the save; these have nothing to patch.
        DrillUpdate::Begun { .. }
        | DrillUpdate::Resumed { .. }
        | DrillUpdate::LegStarted { .. }
        | DrillUpdate::LegEnded { .. }
        | DrillUpdate::HoldStarted { .. }
        | DrillUpdate::HoldEnded { .. } => None,
    }
}
