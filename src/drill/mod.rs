//! Drills: a timed switchover to the standby, a hold verified by service probes, and a
//! switchover back, with a report and a durable record. Owns running drills and their files;
//! must not decide verdicts (that is `core::drill`) or run steps itself (each leg is an
//! ordinary operation of `failover::Executor`, journalled, locked and audited like any other).
//!
//! # A drill
//!
//! [`Drill::plan`] builds the way out exactly like a switchover (`OperationKind::Drill`, every
//! blocker of a switchover: target not running, lock, cooldown, unfinished operation, split…)
//! and adds the *incident* blocker: one fresh read of the whole fleet (`fleet::read`) and
//! every role MASTER DOWN or SPLIT is named ("role app is MASTER DOWN"). A non-empty comment
//! ([`DrillRequest::force_during_incident`]) lifts it; the comment goes to the record, the
//! report and the audit. An unfinished drill of the role refuses a new one ([`DrillError::Unfinished`]).
//!
//! [`Drill::run`] then:
//! 1. saves a [`DrillRecord`] (`$STATE/drills/<role>/<id>.json`, replaced atomically after
//!    every phase) and audits `drill_begun`;
//! 2. **leg out**: `Executor::run` with a [`DrillLink`](crate::core::operation::DrillLink) (`Begun` carries it, so the journal, the
//!    cockpit and `baton history` know the operation is a drill leg);
//! 3. **hold**: the new master's service probe every `verify_interval` for the hold time
//!    (the probe the executor's verify uses), each probe counted ok or failed;
//! 4. **leg back** to the original master (unless `switch_back` is off). It is not held up by
//!    the cooldown its own way out started. A failed hold still switches back — a drill must
//!    not leave the role on the standby silently — and the report says the hold failed;
//! 5. judges (`DrillRecord::judge`: both legs succeeded within `failover.rto_target`, the hold
//!    verified), writes the reports ([`report`]), saves the record with the verdict, audits
//!    `drill_finished`.
//!
//! Progress goes out as [`DrillUpdate`]s, each with the record as it stands after it, on one
//! bounded channel of [`OpStreamEvent`]s (waited on, never dropped) that also carries the legs'
//! own [`OpEvent`]s exactly as the executor sends them: one sender, so the stream is in the
//! order things happened. Each leg's operation id is chosen before the leg runs, so
//! `LegStarted` names it before the leg's `Begun`.
//!
//! # When it does not go to plan
//!
//! A leg that stops (a step failed), halts (abort) or cannot start ends the drill: verdict FAIL,
//! and [`DrillRecord::stopped`] says why and where the role was left ("web is mid-way from
//! web-a to web-b…; resume it with `baton switchover web --resume`"): the leg's operation stays
//! resumable through its journal like any operation. The abort watch is also checked between
//! phases and during the hold. A *crash* (process killed, future dropped) leaves the record
//! unfinished: [`Drill::resume`] resumes the interrupted leg's operation (`Executor::resume`),
//! then the remaining phases (an interrupted hold starts again, counts kept), appends who
//! resumed it to `resumed`, and the report says "resumed after an interruption".
//!
//! # Reports
//!
//! `<role>-<yyyymmddThhmmssZ>-<id8>.md` and `.json` in `--report DIR`, else `$STATE/reports/`.
//! See [`report`] for the layout and how step durations add up to each leg's time.

mod hold;
mod legs;
mod plan;
pub mod report;
mod run;
/// Drill records on disk (moved to `crate::store::drill`).
pub use crate::store::drill as store;

mod types;

pub use plan::incident_roles;
pub use types::{DrillError, DrillOutcome, DrillPlan, DrillRequest, DrillUpdate, OpStreamEvent};

use crate::azure::ArmClient;
use crate::config::{Config, RoleConfig};
use crate::core::drill::DrillRecord;
use crate::core::operation::OpEvent;
use crate::failover::{Audit, Executor, ExecutorOptions, Operator, StateDir};
use crate::store::{Precondition, RecordVersion, SharedStore, StoreExt};
use std::collections::HashMap;
use std::sync::Mutex;
use tokio::sync::mpsc;

/// Runs drills of one role.
pub struct Drill {
    /// The executor every leg (and plan) is a copy of, streaming elsewhere.
    exec: Executor,
    arm: ArmClient,
    fleet: Config,
    role: RoleConfig,
    /// Where reports go by default (`reports/`).
    dir: StateDir,
    store: SharedStore,
    /// The version of each drill record as this runner last saw it, the condition of its next
    /// save: a record changed behind its back is a conflict, not silently overwritten.
    versions: Mutex<HashMap<String, RecordVersion>>,
    /// Audit records lost so far (the drill's and its legs'), for the outcome.
    audit_lost: Mutex<Vec<String>>,
    operator: Operator,
    opts: ExecutorOptions,
    stream: mpsc::Sender<OpStreamEvent>,
}

impl Drill {
    /// A drill runner for the role of `exec`, whose legs run as copies of `exec` (same client,
    /// store, operator and options); `fleet` is the whole config (every role for the incident
    /// check, `failover.rto_target`), `dir` where reports go by default. The legs' events and
    /// the drill's updates go, in the order they happen, to `stream` (bounded; waited on).
    /// Outside tests of the drill itself, build it through `crate::ops::Runner`.
    pub fn new(
        exec: Executor,
        fleet: Config,
        dir: StateDir,
        stream: mpsc::Sender<OpStreamEvent>,
    ) -> Drill {
        Drill {
            arm: exec.arm().clone(),
            role: exec.role().clone(),
            store: exec.store().clone(),
            operator: exec.audit().operator().clone(),
            opts: exec.options().clone(),
            exec,
            fleet,
            dir,
            versions: Mutex::default(),
            audit_lost: Mutex::default(),
            stream,
        }
    }

    /// The role drilled.
    pub fn role(&self) -> &RoleConfig {
        &self.role
    }

    /// The audit log the drill and its legs write.
    pub fn audit(&self) -> Audit {
        Audit::new(self.store.clone(), self.operator.clone())
    }

    /// The oldest unfinished drill of this role (interrupted by a crash), if any.
    pub async fn unfinished(&self) -> Option<DrillRecord> {
        let (record, version) = self
            .store
            .unfinished_drills()
            .await
            .into_iter()
            .find(|(r, _)| crate::core::model::same_name(&r.role, &self.role.spec.name))?;
        if let Ok(mut versions) = self.versions.lock() {
            versions.insert(record.drill_id.clone(), version);
        }
        Some(record)
    }

    /// The drill `drill_id` of this role as stored, remembered as the version to save over.
    pub async fn load(&self, drill_id: &str) -> Result<DrillRecord, DrillError> {
        let (record, version) = self
            .store
            .load_drill(&self.role.spec.name, drill_id)
            .await?;
        if let Ok(mut versions) = self.versions.lock() {
            versions.insert(record.drill_id.clone(), version);
        }
        Ok(record)
    }

    /// Saves the record on the condition that it is still the version this runner saw last
    /// (or absent, for a new drill).
    async fn save(&self, record: &DrillRecord) -> Result<(), DrillError> {
        let known = self
            .versions
            .lock()
            .ok()
            .and_then(|v| v.get(&record.drill_id).cloned());
        let condition = known.map_or(Precondition::Absent, Precondition::Matches);
        let version = self.store.save_drill(record, &condition).await?;
        if let Ok(mut versions) = self.versions.lock() {
            versions.insert(record.drill_id.clone(), version);
        }
        Ok(())
    }

    /// Keeps audit failures for the drill's outcome.
    fn note_audit_lost(&self, lost: impl IntoIterator<Item = String>) {
        if let Ok(mut all) = self.audit_lost.lock() {
            all.extend(lost);
        }
    }

    /// An executor for one leg or plan, streaming to `tx`.
    fn executor(&self, tx: mpsc::Sender<OpEvent>) -> Executor {
        self.exec.with_events(tx)
    }

    /// Sends an update with the record as it stands after it, into the same stream as the
    /// legs' events: one sender, so the order they are sent in is the order they arrive in.
    async fn update(&self, update: DrillUpdate, record: &DrillRecord) {
        let record = Box::new(record.clone());
        let _ = self
            .stream
            .send(OpStreamEvent::Drill { update, record })
            .await;
    }
}
