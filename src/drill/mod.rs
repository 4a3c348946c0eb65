//! Drills: a timed switchover to the standby, a hold verified by service probes, and a
//! switchover back, with a report and a durable record. Owns running drills and their files;
//! must not decide verdicts (that is `core::drill`) or run steps itself (each leg is an
//! ordinary operation of `failover::Executor`, journalled, locked and audited like any other).
//!
//! # A drill
//!
//! [`Drill::plan`] builds the way out exactly like a switchover (`OperationKind::Drill`, every
//! blocker of a switchover: target not running, lock, cooldown, unfinished operation, split…)
//! and adds the *incident* blocker: one fresh read of the whole fleet (`status::collect`) and
//! every role MASTER DOWN or SPLIT is named ("role app is MASTER DOWN"). A non-empty comment
//! ([`DrillRequest::force_during_incident`]) lifts it; the comment goes to the record, the
//! report and the audit. An unfinished drill of the role refuses a new one ([`DrillError::Unfinished`]).
//!
//! [`Drill::run`] then:
//! 1. saves a [`DrillRecord`] (`$STATE/drills/<role>/<id>.json`, replaced atomically after
//!    every phase) and audits `drill_begun`;
//! 2. **leg out**: `Executor::run` with a [`DrillLink`] (`Begun` carries it, so the journal, the
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
//! Progress goes out as [`DrillUpdate`]s on a bounded channel (waited on, never dropped); the
//! legs' own [`OpEvent`]s go to the events channel, exactly as the executor sends them.
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

pub mod headless;
mod hold;
mod legs;
mod plan;
pub mod report;
mod run;
pub mod store;

pub use plan::incident_roles;

use crate::azure::ArmClient;
use crate::config::{Config, RoleConfig};
use crate::core::drill::{DrillRecord, Verdict};
use crate::core::operation::{DrillLeg, OpEvent, Outcome};
use crate::core::plan::{Blocker, IncidentRole, Plan};
use crate::failover::{Audit, ExecError, Executor, ExecutorOptions, Operator, StateDir};
use crate::status::StatusError;
use report::ReportPaths;
use serde::Serialize;
use std::path::PathBuf;
use std::time::Duration;
use store::StoreError;
use time::OffsetDateTime;
use tokio::sync::mpsc;

/// What the operator asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrillRequest {
    /// The standby to visit, else the first healthy standby.
    pub to: Option<String>,
    /// How long to hold on the standby (whole seconds are recorded).
    pub hold: Duration,
    /// Come back to the original master (false with `--no-switch-back`).
    pub switch_back: bool,
    /// Run despite an incident; the operator's reason (must not be empty).
    pub force_during_incident: Option<String>,
    /// A comment kept with the record and the report.
    pub comment: Option<String>,
    /// Where the reports go (else `$STATE/reports/`).
    pub report_dir: Option<PathBuf>,
}

impl Default for DrillRequest {
    fn default() -> Self {
        DrillRequest {
            to: None,
            hold: Duration::from_secs(30),
            switch_back: true,
            force_during_incident: None,
            comment: None,
            report_dir: None,
        }
    }
}

/// The plan of a drill: the way out (with every blocker, the incident included), and what
/// follows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DrillPlan {
    /// The leg out, planned as a switchover of kind `Drill`; its blockers include the incident.
    pub out: Plan,
    /// Roles in trouble at planning time (also when forced, for the record).
    pub incident: Vec<IncidentRole>,
    /// The hold.
    #[serde(serialize_with = "ser_secs")]
    pub hold: Duration,
    /// Whether it comes back.
    pub switch_back: bool,
    /// Each leg's RTO target.
    #[serde(serialize_with = "ser_secs")]
    pub rto_target: Duration,
}

fn ser_secs<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

impl DrillPlan {
    /// True when nothing blocks the way out.
    pub fn can_confirm(&self) -> bool {
        self.out.can_confirm()
    }

    /// Every reason it cannot run now.
    pub fn blockers(&self) -> &[Blocker] {
        &self.out.blockers
    }
}

/// Drill-level progress, for `--json`, the headless lines and the cockpit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "drill", rename_all = "snake_case")]
pub enum DrillUpdate {
    /// The drill began (record saved).
    Begun {
        /// Its id.
        drill_id: String,
        /// Role.
        role: String,
        /// The master it leaves and comes back to.
        from: String,
        /// The standby it visits.
        to: String,
        /// Hold in seconds.
        hold_secs: u64,
    },
    /// An interrupted drill goes on.
    Resumed {
        /// Its id.
        drill_id: String,
        /// Who resumed it.
        by: String,
    },
    /// A leg's operation began (or was resumed).
    LegStarted {
        /// Which leg.
        leg: DrillLeg,
        /// Its operation.
        op_id: String,
    },
    /// A leg ended.
    LegEnded {
        /// Which leg.
        leg: DrillLeg,
        /// How (none when it stopped unfinished).
        outcome: Option<Outcome>,
        /// Measured RTO in ms.
        rto_ms: Option<u64>,
    },
    /// The hold began.
    HoldStarted {
        /// The VM watched.
        vm: String,
        /// When it ends.
        #[serde(with = "time::serde::rfc3339")]
        until: OffsetDateTime,
    },
    /// One service probe of the hold.
    HoldProbe {
        /// This probe was healthy.
        ok: bool,
        /// Healthy so far.
        n_ok: u32,
        /// Failed so far.
        n_failed: u32,
    },
    /// The hold ended.
    HoldEnded {
        /// Verified (no failed probe).
        passed: bool,
    },
    /// The drill ended.
    Finished {
        /// Pass or fail.
        verdict: Verdict,
        /// The one-line verdict.
        summary: String,
        /// The reports.
        reports: ReportPaths,
    },
}

/// How a drill ended.
#[derive(Debug, Clone)]
pub struct DrillOutcome {
    /// The record as saved.
    pub record: DrillRecord,
    /// Pass or fail.
    pub verdict: Verdict,
    /// The one-line verdict (Markdown bold around PASS/FAIL).
    pub summary: String,
    /// The report files.
    pub reports: ReportPaths,
}

/// Why a drill could not run or go on (a leg failing is a FAIL verdict, not an error).
#[derive(Debug, thiserror::Error)]
pub enum DrillError {
    /// The request is not usable (an empty incident comment, no single master).
    #[error("{0}")]
    Usage(String),
    /// The plan has blockers; nothing was done.
    #[error("cannot drill role {}: {}", .0.out.role, blockers_text(.0.blockers()))]
    Blocked(Box<DrillPlan>),
    /// A drill of this role was interrupted; resume it first.
    #[error(
        "drill {drill_id} of role {role} was interrupted: resume it (baton drill {role} --resume)"
    )]
    Unfinished {
        /// The role.
        role: String,
        /// The interrupted drill.
        drill_id: String,
    },
    /// Nothing to resume.
    #[error("no interrupted drill of role {0}")]
    NothingToResume(String),
    /// The executor could not plan or run a leg.
    #[error(transparent)]
    Exec(#[from] ExecError),
    /// The fleet could not be read for the incident check.
    #[error("reading the fleet: {0}")]
    Status(#[from] StatusError),
    /// The drill record could not be saved or read.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A report could not be written.
    #[error("report {path}: {source}")]
    Report {
        /// The folder or file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

impl DrillError {
    /// True for credential and authorization failures (the CLI exits 2 for them).
    pub fn is_auth(&self) -> bool {
        match self {
            DrillError::Exec(e) => e.is_auth(),
            DrillError::Status(e) => e.is_auth(),
            _ => false,
        }
    }
}

fn blockers_text(blockers: &[Blocker]) -> String {
    let all: Vec<String> = blockers.iter().map(ToString::to_string).collect();
    all.join("; ")
}

/// Runs drills of one role.
pub struct Drill {
    arm: ArmClient,
    fleet: Config,
    role: RoleConfig,
    dir: StateDir,
    operator: Operator,
    opts: ExecutorOptions,
    events: mpsc::Sender<OpEvent>,
    updates: mpsc::Sender<DrillUpdate>,
}

impl Drill {
    /// A drill runner for `role`, acting through `arm` like an [`Executor`]; `fleet` is the
    /// whole config (every role for the incident check, `failover.rto_target`). The legs'
    /// events go to `events`, drill progress to `updates` (both bounded; waited on).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        arm: ArmClient,
        fleet: Config,
        role: RoleConfig,
        dir: StateDir,
        operator: Operator,
        opts: ExecutorOptions,
        events: mpsc::Sender<OpEvent>,
        updates: mpsc::Sender<DrillUpdate>,
    ) -> Drill {
        Drill {
            arm,
            fleet,
            role,
            dir,
            operator,
            opts,
            events,
            updates,
        }
    }

    /// The role drilled.
    pub fn role(&self) -> &RoleConfig {
        &self.role
    }

    /// The audit log the drill and its legs write.
    pub fn audit(&self) -> Audit {
        Audit::new(&self.dir, self.operator.clone())
    }

    /// The oldest unfinished drill of this role (interrupted by a crash), if any.
    pub fn unfinished(&self) -> Option<DrillRecord> {
        store::unfinished(&self.dir)
            .into_iter()
            .find(|r| crate::core::model::same_name(&r.role, &self.role.spec.name))
    }

    /// An executor for one leg or plan, streaming to `tx`.
    fn executor(&self, tx: mpsc::Sender<OpEvent>) -> Executor {
        Executor::new(
            self.arm.clone(),
            self.role.clone(),
            self.dir.clone(),
            self.operator.clone(),
            self.opts.clone(),
            tx,
        )
    }

    /// Sends an update, then yields twice: a consumer polled alongside in the same `join!`
    /// (the headless printer; `join!` rotates which branch goes first) is then polled before
    /// the next event is produced, so updates and events print in the order they happened.
    async fn update(&self, u: DrillUpdate) {
        let _ = self.updates.send(u).await;
        tokio::task::yield_now().await;
        tokio::task::yield_now().await;
    }
}
