//! Why an event cannot be applied to an operation: one variant per broken rule, with the facts.

use super::{Outcome, RollbackMode, StepState};
use crate::core::plan::StepKind;
use thiserror::Error;

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
