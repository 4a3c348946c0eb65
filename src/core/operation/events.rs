//! The events of one operation, exactly as the journal stores them (one JSON object per line,
//! tagged by `"event"`, times in RFC 3339). Plain data: legality lives in `apply`.

use crate::core::plan::{OperationKind, Plan, PlanStep, StepKind};
use serde::{Deserialize, Serialize};
use std::fmt;
use time::OffsetDateTime;

/// One step as the journal records it at the start of an operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedStep {
    /// Which step.
    pub kind: StepKind,
    /// Plain words from the plan preview.
    pub what: String,
    /// The earlier step it may run alongside.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrent_with: Option<StepKind>,
}

impl From<&PlanStep> for PlannedStep {
    fn from(step: &PlanStep) -> Self {
        PlannedStep {
            kind: step.kind,
            what: step.what.clone(),
            concurrent_with: step.concurrent_with,
        }
    }
}

/// An error that ended one attempt of a step, with everything ARM said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepError {
    /// ARM error code (`ConflictingUserInput`), or baton's own (`Timeout`, `Interrupted`).
    pub code: String,
    /// Human message (sanitize before drawing).
    pub message: String,
    /// `x-ms-request-id` of the failing request, when there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// HTTP status, when the error came from an HTTP answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
}

impl fmt::Display for StepError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(status) = self.http_status {
            write!(f, "HTTP {status} ")?;
        }
        write!(f, "{}: {}", self.code, self.message)?;
        if let Some(id) = &self.request_id {
            write!(f, " (request id {id})")?;
        }
        Ok(())
    }
}

/// What the operator chose after an abort or a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RollbackMode {
    /// Before any disk left the old master: put the endpoint back on it (and restart its app).
    RestoreEndpoint,
    /// After detach started: bring the disks and the endpoint back to the old master.
    ReattachOld,
    /// Carry on with the plan towards the target.
    RollForward,
}

impl RollbackMode {
    /// Lower-case words for screens and the audit.
    pub fn label(self) -> &'static str {
        match self {
            RollbackMode::RestoreEndpoint => "restore endpoint on the old master",
            RollbackMode::ReattachOld => "re-attach to the old master",
            RollbackMode::RollForward => "roll forward",
        }
    }
}

/// Which leg of a drill an operation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DrillLeg {
    /// Switchover from the master to the standby.
    Out,
    /// Switchover back to the original master.
    Back,
}

impl DrillLeg {
    /// Lower-case word for screens and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            DrillLeg::Out => "out",
            DrillLeg::Back => "back",
        }
    }
}

/// Ties an operation to the drill it is a leg of (see `core::drill`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrillLink {
    /// The drill's id (a UUID).
    pub drill_id: String,
    /// Which leg.
    pub leg: DrillLeg,
}

/// How an operation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Every step of the plan done: the target is the master.
    Succeeded,
    /// Given up after a step failed; the state is what the steps left.
    Failed,
    /// Stopped by the operator between steps; the state is what the steps left.
    Aborted,
    /// The rollback leg finished: the old master holds the role again.
    RolledBack,
}

/// One entry of an operation's journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum OpEvent {
    /// The operation was confirmed; always the first event.
    Begun {
        /// Unique id of the operation (a UUID).
        op_id: String,
        /// Role name.
        role: String,
        /// Failover, switchover or drill leg.
        kind: OperationKind,
        /// The old master or the non-target holders, as planned.
        from: Option<String>,
        /// The target VM.
        to: String,
        /// Who confirmed it.
        operator: String,
        /// When.
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
        /// The plan's steps in execution order.
        plan_steps: Vec<PlannedStep>,
        /// The drill this operation is a leg of (absent for plain operations and old journals).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        drill: Option<DrillLink>,
    },
    /// A step began (or began again: retry, resume after a crash).
    StepStarted {
        /// The step.
        step: StepKind,
        /// When.
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
    /// Something happened inside a running step (LRO status, a retry, waiting for release).
    StepProgress {
        /// The step.
        step: StepKind,
        /// When.
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
        /// Plain words.
        note: String,
    },
    /// A running step's postcondition was verified on the resource.
    StepDone {
        /// The step.
        step: StepKind,
        /// When.
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
        /// `x-ms-request-id` of the writes it made.
        request_ids: Vec<String>,
    },
    /// The step's precondition showed it already done; nothing was changed.
    StepSkipped {
        /// The step.
        step: StepKind,
        /// When.
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
        /// What was observed.
        reason: String,
    },
    /// A running step failed; the operation waits for a retry, a rollback or an end.
    StepFailed {
        /// The step.
        step: StepKind,
        /// When.
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
        /// What went wrong.
        error: StepError,
    },
    /// The operator asked to stop after the running step.
    AbortRequested {
        /// When.
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
        /// Who.
        by: String,
    },
    /// The operator chose how to go on after an abort or a failure.
    RollbackChosen {
        /// When.
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
        /// Who.
        by: String,
        /// What they chose.
        mode: RollbackMode,
    },
    /// The operation ended; nothing may follow.
    Finished {
        /// When.
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
        /// How.
        outcome: Outcome,
    },
    /// A note from a human, kept with the record.
    Comment {
        /// When.
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
        /// Who.
        by: String,
        /// What they said.
        text: String,
    },
}

impl OpEvent {
    /// When the event happened.
    pub fn at(&self) -> OffsetDateTime {
        match self {
            OpEvent::Begun { at, .. }
            | OpEvent::StepStarted { at, .. }
            | OpEvent::StepProgress { at, .. }
            | OpEvent::StepDone { at, .. }
            | OpEvent::StepSkipped { at, .. }
            | OpEvent::StepFailed { at, .. }
            | OpEvent::AbortRequested { at, .. }
            | OpEvent::RollbackChosen { at, .. }
            | OpEvent::Finished { at, .. }
            | OpEvent::Comment { at, .. } => *at,
        }
    }

    /// The step the event concerns, if it is a step event.
    pub fn step(&self) -> Option<StepKind> {
        match self {
            OpEvent::StepStarted { step, .. }
            | OpEvent::StepProgress { step, .. }
            | OpEvent::StepDone { step, .. }
            | OpEvent::StepSkipped { step, .. }
            | OpEvent::StepFailed { step, .. } => Some(*step),
            _ => None,
        }
    }

    /// The `Begun` event of a confirmed plan; `None` when the plan has no target.
    pub fn begun_from_plan(
        plan: &Plan,
        op_id: &str,
        operator: &str,
        at: OffsetDateTime,
    ) -> Option<OpEvent> {
        Some(OpEvent::Begun {
            op_id: op_id.to_string(),
            role: plan.role.clone(),
            kind: plan.kind,
            from: plan.from.clone(),
            to: plan.to.clone()?,
            operator: operator.to_string(),
            at,
            plan_steps: plan.steps.iter().map(PlannedStep::from).collect(),
            drill: None,
        })
    }

    /// The same event tied to a drill (only `Begun` carries the link; others are unchanged).
    pub fn with_drill(mut self, link: Option<DrillLink>) -> OpEvent {
        if let OpEvent::Begun { drill, .. } = &mut self {
            *drill = link;
        }
        self
    }
}
