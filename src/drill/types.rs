//! The drill's vocabulary: what the operator asks for, the plan, the progress updates, the
//! outcome and the errors. Plain data; the runner is in the parent module.

use super::report::ReportPaths;
use crate::core::drill::{DrillRecord, Verdict};
use crate::core::operation::{DrillLeg, OpEvent, Outcome};
use crate::core::plan::{Blocker, IncidentRole, Plan};
use crate::failover::ExecError;
use crate::fleet::FleetReadError;
use crate::store::StoreError;
use serde::Serialize;
use std::path::PathBuf;
use std::time::Duration;
use time::OffsetDateTime;

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

/// One item of a running operation's or drill's stream, in the order it happened: an
/// operation event (a drill's legs are operations too) or a drill update with the drill's
/// record as it stands after it. `crate::ops` hands it out; it is defined here, below the ops
/// module, because the drill runner is the producer that interleaves both kinds.
#[derive(Debug, Clone, PartialEq)]
pub enum OpStreamEvent {
    /// One journalled event of an operation (on disk before it is sent).
    Op {
        /// The operation it belongs to, known before its `Begun`.
        op_id: String,
        /// The event.
        event: OpEvent,
    },
    /// A drill's progress.
    Drill {
        /// What happened.
        update: DrillUpdate,
        /// The drill's record after it (the hold's counts included, which are saved to the
        /// store only now and then).
        record: Box<DrillRecord>,
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
    /// Audit records that could not be written (the drill's and its legs'), one message each.
    pub audit_lost: Vec<String>,
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
    Fleet(#[from] FleetReadError),
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
            DrillError::Fleet(e) => e.is_auth(),
            _ => false,
        }
    }
}

fn blockers_text(blockers: &[Blocker]) -> String {
    let all: Vec<String> = blockers.iter().map(ToString::to_string).collect();
    all.join("; ")
}
