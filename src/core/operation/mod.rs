//! The durable state of one failover, switchover or drill leg, folded from its journal events.
//! Pure: no I/O, no clock; the journal (in `failover/`) stores the [`OpEvent`]s as JSON lines
//! and any baton rebuilds the operation with [`Operation::replay`] to resume it.
//!
//! # Event model
//!
//! `Begun` (always first) records the confirmed plan's steps. Each step then goes
//! `StepStarted` → (`StepProgress`)* → `StepDone` | `StepSkipped` | `StepFailed`. A step may also
//! be skipped straight from pending when its precondition shows it done. A failed or
//! interrupted step (started, never ended: the crash case) is resumed by starting it again.
//!
//! Legal order: a step starts only when every earlier step of its leg is done or skipped, except
//! the partner it is declared concurrent with (detach ∥ isolate in a failover), which need only
//! have started. Nothing follows `Finished`.
//!
//! `AbortRequested` halts the operation: running steps may end, nothing new starts until the
//! operator picks a [`RollbackMode`] with `RollbackChosen`. The options depend on detach:
//! before it started, `RestoreEndpoint` (the disks never left the old master); once it started,
//! `ReattachOld` (the disks may already be off). `RollForward` (carry on) is offered until the
//! operation ends. `RestoreEndpoint` and `ReattachOld` open a *rollback leg* towards the old
//! master (see [`rollback_leg`]); later step events address that leg. A rollback leg is chosen at
//! most once. `Finished` checks its outcome: `Succeeded` needs every plan step ended,
//! `RolledBack` every rollback step, `Failed` a failed step, `Aborted` an abort request; and no
//! step may be running.

mod apply;
mod events;

pub use events::{OpEvent, Outcome, PlannedStep, RollbackMode, StepError};

use crate::core::plan::{OperationKind, StepKind};
use serde::Serialize;
use std::time::Duration;
use thiserror::Error;
use time::OffsetDateTime;

/// Where one step stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepState {
    /// Not started yet.
    Pending,
    /// Started and not ended (after a crash: interrupted).
    Running,
    /// Postcondition verified.
    Done,
    /// Observed already done; nothing changed.
    Skipped,
    /// The last attempt failed.
    Failed,
}

impl StepState {
    /// True for `Done` and `Skipped`.
    pub fn is_ended_well(self) -> bool {
        matches!(self, StepState::Done | StepState::Skipped)
    }
}

/// A timestamped note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Note {
    /// When.
    pub at: OffsetDateTime,
    /// Who wrote it (`None` for progress notes from the executor).
    pub by: Option<String>,
    /// What.
    pub text: String,
}

/// One step's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepRecord {
    /// Which step.
    pub kind: StepKind,
    /// Plain words from the plan (or the rollback leg).
    pub what: String,
    /// The earlier step it may run alongside.
    pub concurrent_with: Option<StepKind>,
    /// Where it stands.
    pub state: StepState,
    /// How many times it was started.
    pub attempts: u32,
    /// First start.
    pub first_started_at: Option<OffsetDateTime>,
    /// Latest start.
    pub last_started_at: Option<OffsetDateTime>,
    /// When it was done, skipped or failed (latest).
    pub ended_at: Option<OffsetDateTime>,
    /// Progress notes, oldest first.
    pub notes: Vec<Note>,
    /// Request ids of its writes.
    pub request_ids: Vec<String>,
    /// The latest error, kept after a successful retry for the record.
    pub error: Option<StepError>,
    /// Why it was skipped.
    pub skip_reason: Option<String>,
}

impl StepRecord {
    fn new(kind: StepKind, what: String, concurrent_with: Option<StepKind>) -> StepRecord {
        StepRecord {
            kind,
            what,
            concurrent_with,
            state: StepState::Pending,
            attempts: 0,
            first_started_at: None,
            last_started_at: None,
            ended_at: None,
            notes: Vec::new(),
            request_ids: Vec::new(),
            error: None,
            skip_reason: None,
        }
    }

    /// Wall time from the first start to the end, retries included; `None` until it ended well.
    /// A step skipped from pending took no time.
    pub fn duration(&self) -> Option<Duration> {
        if !self.state.is_ended_well() {
            return None;
        }
        let end = self.ended_at?;
        Some(
            self.first_started_at
                .map_or(Duration::ZERO, |s| span(s, end)),
        )
    }
}

/// Who asked to abort, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AbortRecord {
    /// When.
    pub at: OffsetDateTime,
    /// Who.
    pub by: String,
}

/// The operator's latest choice after an abort or failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RollbackRecord {
    /// When.
    pub at: OffsetDateTime,
    /// Who.
    pub by: String,
    /// What.
    pub mode: RollbackMode,
    /// The rollback leg's steps (empty for `RollForward`).
    pub steps: Vec<StepRecord>,
}

/// The state of one operation, as folded from its events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Operation {
    /// Unique id.
    pub op_id: String,
    /// Role name.
    pub role: String,
    /// What was asked for.
    pub kind: OperationKind,
    /// Old master / non-target holders.
    pub from: Option<String>,
    /// Target VM.
    pub to: String,
    /// Who confirmed it.
    pub operator: String,
    /// When it began.
    pub begun_at: OffsetDateTime,
    /// The plan's steps, in order.
    pub steps: Vec<StepRecord>,
    /// The latest abort request.
    pub abort: Option<AbortRecord>,
    /// The latest rollback choice (a leg, or roll forward).
    pub rollback: Option<RollbackRecord>,
    /// How and when it ended.
    pub finished: Option<(OffsetDateTime, Outcome)>,
    /// Human comments.
    pub comments: Vec<Note>,
    halted: bool,
}

/// Why an event cannot be applied.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TransitionError {
    /// The journal is empty.
    #[error("the journal has no events")]
    Empty,
    /// The first event is not `Begun`.
    #[error("the first event must be `begun`")]
    NotBegun,
    /// A second `Begun`.
    #[error("the operation has already begun")]
    AlreadyBegun,
    /// The plan in `Begun` is unusable.
    #[error("invalid plan: {0}")]
    InvalidPlan(String),
    /// Something after `Finished`.
    #[error("the operation is finished")]
    Finished,
    /// A step that is not in the active leg.
    #[error("step {} is not part of the {leg}", .step.label())]
    UnknownStep {
        /// The step.
        step: StepKind,
        /// `plan` or `rollback leg`.
        leg: &'static str,
    },
    /// A step started before an earlier one ended.
    #[error("step {} cannot start before {} has {}", .step.label(), .waiting_for.label(), if *.partner { "started" } else { "ended" })]
    OutOfOrder {
        /// The step.
        step: StepKind,
        /// The earlier step it waits for.
        waiting_for: StepKind,
        /// True when it only waits for its concurrent partner to start.
        partner: bool,
    },
    /// Progress, done or failed on a step that is not running.
    #[error("step {} is {state:?}, not running", .step.label())]
    NotRunning {
        /// The step.
        step: StepKind,
        /// Its state.
        state: StepState,
    },
    /// Start or skip of a step that already ended well.
    #[error("step {} has already ended ({state:?})", .step.label())]
    AlreadyEnded {
        /// The step.
        step: StepKind,
        /// Its state.
        state: StepState,
    },
    /// A start while the operation is halted by an abort request.
    #[error("an abort was requested: choose how to go on before starting {}", .step.label())]
    Halted {
        /// The step.
        step: StepKind,
    },
    /// A second abort request while already halted.
    #[error("an abort is already requested")]
    AlreadyHalted,
    /// A choice or an end while steps run.
    #[error("steps still running: {running:?}")]
    StepsRunning {
        /// The running steps.
        running: Vec<StepKind>,
    },
    /// A rollback mode that is not offered now.
    #[error("{} is not possible now (offered: {offered:?})", .mode.label())]
    RollbackNotOffered {
        /// The mode asked for.
        mode: RollbackMode,
        /// What is offered.
        offered: Vec<RollbackMode>,
    },
    /// `Finished` with an outcome the steps do not support.
    #[error("cannot finish as {outcome:?}: {why}")]
    OutcomeNotReached {
        /// The claimed outcome.
        outcome: Outcome,
        /// Why not.
        why: String,
    },
    /// Replay failed at this event (0-based).
    #[error("event {index}: {error}")]
    AtEvent {
        /// Index in the journal.
        index: usize,
        /// The error.
        error: Box<TransitionError>,
    },
}

/// The steps of a rollback leg towards the old master, in order.
///
/// `RestoreEndpoint`: start the app again (a no-op when fence never stopped it), verify, expose,
/// commit. `ReattachOld`: stop the app on the target, detach, release, attach back to the old
/// master, start, verify, expose, commit. Each is idempotent, as in the plan.
pub fn rollback_leg(mode: RollbackMode) -> &'static [StepKind] {
    use StepKind::*;
    match mode {
        RollbackMode::RestoreEndpoint => &[Start, Verify, Expose, Commit],
        RollbackMode::ReattachOld => &[
            Fence, Detach, Release, Attach, Start, Verify, Expose, Commit,
        ],
        RollbackMode::RollForward => &[],
    }
}

/// `b - a` as a std duration, zero when `b` is earlier (clocks of two batons may disagree).
fn span(a: OffsetDateTime, b: OffsetDateTime) -> Duration {
    Duration::try_from(b - a).unwrap_or(Duration::ZERO)
}

impl Operation {
    /// Rebuilds an operation from its journal; the first event must be `Begun`.
    pub fn replay<'e>(
        events: impl IntoIterator<Item = &'e OpEvent>,
    ) -> Result<Operation, TransitionError> {
        let mut events = events.into_iter();
        let first = events.next().ok_or(TransitionError::Empty)?;
        let mut op = Operation::begin(first).map_err(|e| at_event(0, e))?;
        for (i, ev) in events.enumerate() {
            op.apply(ev).map_err(|e| at_event(i + 1, e))?;
        }
        Ok(op)
    }

    /// True once `Finished` was applied.
    pub fn is_finished(&self) -> bool {
        self.finished.is_some()
    }

    /// The outcome, once finished.
    pub fn outcome(&self) -> Option<Outcome> {
        self.finished.map(|(_, o)| o)
    }

    /// True after an abort request until the operator chose how to go on.
    pub fn is_halted(&self) -> bool {
        self.halted
    }

    /// The steps the executor works on: the rollback leg once chosen, else the plan.
    pub fn active_steps(&self) -> &[StepRecord] {
        match &self.rollback {
            Some(r) if !r.steps.is_empty() => &r.steps,
            _ => &self.steps,
        }
    }

    /// A plan step's record.
    pub fn step(&self, kind: StepKind) -> Option<&StepRecord> {
        self.steps.iter().find(|s| s.kind == kind)
    }

    /// What to do next: the first step of the active leg not yet done or skipped (a pending,
    /// failed or interrupted one). `None` when finished, halted, or every step ended well.
    pub fn next_step(&self) -> Option<StepKind> {
        if self.is_finished() || self.halted {
            return None;
        }
        self.active_steps()
            .iter()
            .find(|s| !s.state.is_ended_well())
            .map(|s| s.kind)
    }

    /// The first step that started and never ended (when the log stopped there: a crash).
    pub fn interrupted_step(&self) -> Option<StepKind> {
        self.running_steps().first().copied()
    }

    /// Every running step of the active leg (two while isolate ∥ detach).
    pub fn running_steps(&self) -> Vec<StepKind> {
        if self.is_finished() {
            return Vec::new();
        }
        self.active_steps()
            .iter()
            .filter(|s| s.state == StepState::Running)
            .map(|s| s.kind)
            .collect()
    }

    /// Time since it began; stops at the end once finished.
    pub fn elapsed(&self, now: OffsetDateTime) -> Duration {
        let end = self.finished.map_or(now, |(at, _)| at);
        span(self.begun_at, end)
    }

    /// Duration of every plan step that ended well, in plan order.
    pub fn step_durations(&self) -> Vec<(StepKind, Duration)> {
        self.steps
            .iter()
            .filter_map(|s| s.duration().map(|d| (s.kind, d)))
            .collect()
    }

    /// Measured recovery time: from `Begun` to the plan's expose ending well.
    pub fn rto(&self) -> Option<Duration> {
        let expose = self.step(StepKind::Expose)?;
        if !expose.state.is_ended_well() {
            return None;
        }
        Some(span(self.begun_at, expose.ended_at?))
    }

    /// What the operator may choose now (see the module doc); empty while a step runs, once a
    /// rollback leg was chosen, or when finished.
    pub fn rollback_options(&self) -> Vec<RollbackMode> {
        let leg_chosen = self.rollback.as_ref().is_some_and(|r| !r.steps.is_empty());
        if self.is_finished() || leg_chosen || !self.running_steps().is_empty() {
            return Vec::new();
        }
        let state = |k: StepKind| self.step(k).map_or(StepState::Pending, |s| s.state);
        if state(StepKind::Expose).is_ended_well() {
            return vec![RollbackMode::RollForward];
        }
        let back = if state(StepKind::Detach) == StepState::Pending {
            RollbackMode::RestoreEndpoint
        } else {
            RollbackMode::ReattachOld
        };
        if self.from.is_some() {
            vec![back, RollbackMode::RollForward]
        } else {
            vec![RollbackMode::RollForward]
        }
    }
}

fn at_event(index: usize, error: TransitionError) -> TransitionError {
    TransitionError::AtEvent {
        index,
        error: Box::new(error),
    }
}

#[cfg(test)]
mod tests;
