//! Read-only questions about an operation: what next, what was interrupted, how long, which
//! rollback choices exist. No transitions here.

use super::{
    span, OpEvent, Operation, Outcome, RollbackMode, StepKind, StepRecord, StepState,
    TransitionError,
};
use std::time::Duration;
use time::OffsetDateTime;

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
