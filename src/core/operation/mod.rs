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
//! the partner it is declared concurrent with (detach ∥ isolate, release ∥ fence in a
//! failover) and, transitively, that partner's own partner (start ∥ expose ∥ fence), which need
//! only have started. Nothing follows `Finished`.
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
mod error;
mod events;
mod query;

pub use error::TransitionError;
pub use events::{DrillLeg, DrillLink, OpEvent, Outcome, PlannedStep, RollbackMode, StepError};

use crate::core::plan::{OperationKind, StepKind};
use serde::Serialize;
use std::time::Duration;
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
    /// The drill this operation is a leg of.
    pub drill: Option<DrillLink>,
    halted: bool,
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

/// Plain words for a rollback leg step, towards the old master.
pub(super) fn leg_what(op: &Operation, kind: StepKind) -> String {
    let old = op.from.as_deref().unwrap_or("the old master");
    let target = &op.to;
    match kind {
        StepKind::Fence => format!("stop the app on {target} if it was started"),
        StepKind::Detach => format!("detach the role's disks from {target}"),
        StepKind::Release => "wait until the role's disks are free".to_string(),
        StepKind::Attach => format!("attach the role's disks to {old} at their LUNs"),
        StepKind::Start => format!("run the start command on {old}"),
        StepKind::Verify => format!("wait for healthy service probes on {old}"),
        StepKind::Expose => format!("put the endpoint back on {old}'s NIC"),
        StepKind::Commit => {
            "close the journal, release the role lock, write the audit record".to_string()
        }
        other => format!("{} towards {old}", other.label()),
    }
}

/// `b - a` as a std duration, zero when `b` is earlier (clocks of two batons may disagree).
fn span(a: OffsetDateTime, b: OffsetDateTime) -> Duration {
    Duration::try_from(b - a).unwrap_or(Duration::ZERO)
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_rollback;
