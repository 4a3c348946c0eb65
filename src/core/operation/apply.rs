//! Legal transitions of an operation: each event is checked against the state before it is
//! folded in, so a journal that replays is a journal that makes sense.

use super::{
    leg_what, rollback_leg, AbortRecord, Note, OpEvent, Operation, Outcome, RollbackMode,
    RollbackRecord, StepRecord, StepState, TransitionError,
};
use crate::core::plan::StepKind;
use time::OffsetDateTime;

impl Operation {
    /// Starts an operation from its `Begun` event, checking the plan it carries.
    pub fn begin(ev: &OpEvent) -> Result<Operation, TransitionError> {
        let OpEvent::Begun {
            op_id,
            role,
            kind,
            from,
            to,
            operator,
            at,
            plan_steps,
            drill,
        } = ev
        else {
            return Err(TransitionError::NotBegun);
        };
        check_plan(plan_steps.iter().map(|s| (s.kind, s.concurrent_with)))?;
        Ok(Operation {
            op_id: op_id.clone(),
            role: role.clone(),
            kind: *kind,
            from: from.clone(),
            to: to.clone(),
            operator: operator.clone(),
            begun_at: *at,
            steps: plan_steps
                .iter()
                .map(|s| StepRecord::new(s.kind, s.what.clone(), s.concurrent_with))
                .collect(),
            abort: None,
            rollback: None,
            finished: None,
            comments: Vec::new(),
            drill: drill.clone(),
            halted: false,
        })
    }

    /// Applies one event if it is legal now; on error the operation is unchanged.
    pub fn apply(&mut self, ev: &OpEvent) -> Result<(), TransitionError> {
        if self.is_finished() {
            return Err(TransitionError::Finished);
        }
        match ev {
            OpEvent::Begun { .. } => Err(TransitionError::AlreadyBegun),
            OpEvent::StepStarted { step, at } => self.start(*step, *at),
            OpEvent::StepProgress { step, at, note } => {
                let rec = self.running_mut(*step)?;
                rec.notes.push(Note {
                    at: *at,
                    by: None,
                    text: note.clone(),
                });
                Ok(())
            }
            OpEvent::StepDone {
                step,
                at,
                request_ids,
            } => {
                let rec = self.running_mut(*step)?;
                rec.state = StepState::Done;
                rec.ended_at = Some(*at);
                rec.request_ids.extend(request_ids.iter().cloned());
                Ok(())
            }
            OpEvent::StepSkipped { step, at, reason } => self.skip(*step, *at, reason),
            OpEvent::StepFailed { step, at, error } => {
                let rec = self.running_mut(*step)?;
                rec.state = StepState::Failed;
                rec.ended_at = Some(*at);
                rec.error = Some(error.clone());
                Ok(())
            }
            OpEvent::AbortRequested { at, by } => self.request_abort(*at, by),
            OpEvent::RollbackChosen { at, by, mode } => self.choose(*at, by, *mode),
            OpEvent::Finished { at, outcome } => self.finish(*at, *outcome),
            OpEvent::Comment { at, by, text } => {
                self.comments.push(Note {
                    at: *at,
                    by: Some(by.clone()),
                    text: text.clone(),
                });
                Ok(())
            }
        }
    }

    /// Whether `step` may start now; the error says what it waits for.
    pub fn can_start(&self, step: StepKind) -> Result<(), TransitionError> {
        if self.is_finished() {
            return Err(TransitionError::Finished);
        }
        if self.halted {
            return Err(TransitionError::Halted { step });
        }
        let steps = self.active_steps();
        let index = self.index_of(step)?;
        let rec = &steps[index];
        if rec.state.is_ended_well() {
            return Err(TransitionError::AlreadyEnded {
                step,
                state: rec.state,
            });
        }
        let partners = partner_chain(steps, rec.concurrent_with);
        for earlier in &steps[..index] {
            let partner = partners.contains(&earlier.kind);
            let ready = if partner {
                earlier.state != StepState::Pending
            } else {
                earlier.state.is_ended_well()
            };
            if !ready {
                return Err(TransitionError::OutOfOrder {
                    step,
                    waiting_for: earlier.kind,
                    partner,
                });
            }
        }
        Ok(())
    }

    fn leg_name(&self) -> &'static str {
        match &self.rollback {
            Some(r) if !r.steps.is_empty() => "rollback leg",
            _ => "plan",
        }
    }

    fn index_of(&self, step: StepKind) -> Result<usize, TransitionError> {
        self.active_steps()
            .iter()
            .position(|s| s.kind == step)
            .ok_or(TransitionError::UnknownStep {
                step,
                leg: self.leg_name(),
            })
    }

    fn active_mut(&mut self) -> &mut Vec<StepRecord> {
        match &mut self.rollback {
            Some(r) if !r.steps.is_empty() => &mut r.steps,
            _ => &mut self.steps,
        }
    }

    fn record_mut(&mut self, step: StepKind) -> Result<&mut StepRecord, TransitionError> {
        let index = self.index_of(step)?;
        Ok(&mut self.active_mut()[index])
    }

    fn running_mut(&mut self, step: StepKind) -> Result<&mut StepRecord, TransitionError> {
        let rec = self.record_mut(step)?;
        if rec.state != StepState::Running {
            return Err(TransitionError::NotRunning {
                step,
                state: rec.state,
            });
        }
        Ok(rec)
    }

    fn start(&mut self, step: StepKind, at: OffsetDateTime) -> Result<(), TransitionError> {
        self.can_start(step)?;
        let rec = self.record_mut(step)?;
        rec.state = StepState::Running;
        rec.attempts += 1;
        rec.first_started_at.get_or_insert(at);
        rec.last_started_at = Some(at);
        rec.ended_at = None;
        Ok(())
    }

    /// A running step may be skipped at any time (its precondition showed it done); a pending or
    /// failed one only when it could start.
    fn skip(
        &mut self,
        step: StepKind,
        at: OffsetDateTime,
        why: &str,
    ) -> Result<(), TransitionError> {
        let running = self.record_mut(step)?.state == StepState::Running;
        if !running {
            self.can_start(step)?;
        }
        let rec = self.record_mut(step)?;
        rec.state = StepState::Skipped;
        rec.ended_at = Some(at);
        rec.skip_reason = Some(why.to_string());
        Ok(())
    }

    fn request_abort(&mut self, at: OffsetDateTime, by: &str) -> Result<(), TransitionError> {
        if self.halted {
            return Err(TransitionError::AlreadyHalted);
        }
        self.halted = true;
        self.abort = Some(AbortRecord {
            at,
            by: by.to_string(),
        });
        Ok(())
    }

    fn choose(
        &mut self,
        at: OffsetDateTime,
        by: &str,
        mode: RollbackMode,
    ) -> Result<(), TransitionError> {
        let running = self.running_steps();
        if !running.is_empty() {
            return Err(TransitionError::StepsRunning { running });
        }
        let offered = self.rollback_options();
        if !offered.contains(&mode) {
            return Err(TransitionError::RollbackNotOffered { mode, offered });
        }
        let steps = rollback_leg(mode)
            .iter()
            .map(|&kind| StepRecord::new(kind, leg_what(self, kind), None))
            .collect();
        self.rollback = Some(RollbackRecord {
            at,
            by: by.to_string(),
            mode,
            steps,
        });
        self.halted = false;
        Ok(())
    }

    fn finish(&mut self, at: OffsetDateTime, outcome: Outcome) -> Result<(), TransitionError> {
        let running = self.running_steps();
        if !running.is_empty() {
            return Err(TransitionError::StepsRunning { running });
        }
        let why = self.outcome_gap(outcome);
        if let Some(why) = why {
            return Err(TransitionError::OutcomeNotReached { outcome, why });
        }
        self.finished = Some((at, outcome));
        self.halted = false;
        Ok(())
    }

    /// Why the steps do not support this outcome, or `None` when they do.
    fn outcome_gap(&self, outcome: Outcome) -> Option<String> {
        let leg = self.rollback.as_ref().filter(|r| !r.steps.is_empty());
        let first_open = |steps: &[StepRecord]| {
            steps
                .iter()
                .find(|s| !s.state.is_ended_well())
                .map(|s| format!("step {} is {:?}", s.kind.label(), s.state))
        };
        match outcome {
            Outcome::Succeeded if leg.is_some() => Some("a rollback leg was chosen".into()),
            Outcome::Succeeded => first_open(&self.steps),
            Outcome::RolledBack => match leg {
                None => Some("no rollback leg was chosen".into()),
                Some(r) => first_open(&r.steps),
            },
            Outcome::Failed => (!self
                .active_steps()
                .iter()
                .any(|s| s.state == StepState::Failed))
            .then(|| "no step failed".to_string()),
            Outcome::Aborted => self
                .abort
                .is_none()
                .then(|| "no abort was requested".to_string()),
        }
    }
}

/// The steps `first` names and, through each one's own partner, every step they run alongside:
/// a step running alongside a partner does not wait for what that partner does not wait for
/// (start ∥ expose ∥ fence: start needs the power-off started, not ended).
fn partner_chain(steps: &[StepRecord], first: Option<StepKind>) -> Vec<StepKind> {
    crate::core::plan::chain_of_partners(first, |kind| {
        steps
            .iter()
            .find(|s| s.kind == kind)
            .and_then(|s| s.concurrent_with)
    })
}

/// A plan is usable when it has steps, no step twice, and each concurrency names an earlier step.
fn check_plan(
    steps: impl Iterator<Item = (StepKind, Option<StepKind>)>,
) -> Result<(), TransitionError> {
    let mut seen: Vec<StepKind> = Vec::new();
    for (kind, concurrent) in steps {
        if seen.contains(&kind) {
            return Err(TransitionError::InvalidPlan(format!(
                "step {} appears twice",
                kind.label()
            )));
        }
        if let Some(partner) = concurrent.filter(|p| !seen.contains(p)) {
            return Err(TransitionError::InvalidPlan(format!(
                "step {} is concurrent with {}, which does not come before it",
                kind.label(),
                partner.label()
            )));
        }
        seen.push(kind);
    }
    if seen.is_empty() {
        return Err(TransitionError::InvalidPlan("no steps".into()));
    }
    Ok(())
}
