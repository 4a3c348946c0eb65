//! The cockpit's view of failovers and switchovers: the operations it follows (folded from the
//! engine's journal events with `Operation::apply`) and the queue of modal dialogs (plan
//! preview, abort confirmation, rollback choice, interrupted operation, summary, unlock).
//!
//! Plain data and read-only questions; only `update` changes it. Must not do I/O or decide
//! what an operation may do next: that is `core::operation` (`rollback_options`, `next_step`).

use crate::core::drill::DrillRecord;
use crate::core::name::typed_name_confirms;
use crate::core::operation::{Operation, Outcome, RollbackMode, StepState};
use crate::core::plan::{OperationKind, Plan};
use crate::protocol::LockView;
use std::collections::VecDeque;
use std::time::Duration;

/// Default RTO target when none is configured (the config's default).
pub const DEFAULT_RTO_TARGET: Duration = Duration::from_secs(5 * 60);
/// Longest confirmation text kept (a role name is far shorter).
pub const MAX_TYPED: usize = 64;

/// One operation the cockpit follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpView {
    /// The operation as folded so far.
    pub op: Operation,
    /// Found unfinished at start-up (`EngineMsg::Interrupted`), not begun while we watched.
    pub interrupted: bool,
    /// The operator already answered the pending choice; do not ask again until the operation
    /// moves on.
    pub choice_sent: bool,
    /// Run by another baton (`operator@host`), streamed from the shared journal: shown
    /// read-only, never aborted, resumed or rolled back from here.
    pub remote: Option<String>,
}

impl OpView {
    /// True when the operation waits for the operator: halted by an abort, a failed step, or
    /// interrupted, with no step running and a choice on offer.
    pub fn needs_choice(&self) -> bool {
        let op = &self.op;
        if self.remote.is_some()
            || op.is_finished()
            || self.choice_sent
            || !op.running_steps().is_empty()
        {
            return false;
        }
        let failed = op
            .active_steps()
            .iter()
            .any(|s| s.state == StepState::Failed);
        (op.is_halted() || failed) && !op.rollback_options().is_empty()
    }
}

/// One answer in a choice dialog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    /// Carry on from where the interrupted operation stopped.
    Resume,
    /// One of `Operation::rollback_options()`.
    Rollback(RollbackMode),
}

impl Choice {
    /// Words for the dialog.
    pub fn label(self) -> &'static str {
        match self {
            Choice::Resume => "resume where it stopped",
            Choice::Rollback(mode) => mode.label(),
        }
    }
}

/// The plan preview: waiting for a plan, or showing one with the confirmation input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    /// The role (raw name, as in the snapshot).
    pub role: String,
    /// Failover or switchover.
    pub kind: OperationKind,
    /// The target asked for (`None`: let the planner choose).
    pub target: Option<String>,
    /// The role's standbys (raw names), the targets `tab` cycles through.
    pub standbys: Vec<String>,
    /// The engine's answer; `None` while it plans.
    pub plan: Option<Plan>,
    /// Why planning failed.
    pub error: Option<String>,
    /// What the operator typed so far.
    pub typed: String,
    /// First step line shown (the step list scrolls).
    pub scroll: usize,
}

impl Preview {
    /// True when Enter would start the operation: a plan without blockers for this role and
    /// the role's name typed as [`typed_name_confirms`] demands.
    pub fn confirmable(&self) -> bool {
        self.plan.as_ref().is_some_and(|p| {
            p.can_confirm() && p.role == self.role && typed_name_confirms(&p.role, &self.typed)
        })
    }
}

/// A modal dialog; the front of the queue is shown and gets the keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dialog {
    /// Plan preview with typed confirmation (boxed: it carries the whole plan).
    Preview(Box<Preview>),
    /// "Abort this operation?" (typing the role name, then Enter, confirms).
    Abort {
        /// The operation.
        op_id: String,
        /// What the operator has typed so far (must equal the role name).
        typed: String,
    },
    /// How to go on after an abort, a failure, or an interrupted operation found at start-up.
    Choose {
        /// The operation.
        op_id: String,
        /// Exactly what may be chosen (resume first for interrupted operations).
        options: Vec<Choice>,
        /// The highlighted option.
        cursor: usize,
        /// Opened for an operation found interrupted at start-up.
        interrupted: bool,
        /// What the operator has typed so far (must equal the role name to pick).
        typed: String,
    },
    /// The operation finished: outcome, step durations, RTO against the target.
    Summary {
        /// The operation.
        op_id: String,
    },
    /// A drill finished: verdict, both legs against the RTO target, the hold, the report.
    DrillSummary {
        /// The drill.
        drill_id: String,
    },
    /// Break another baton's lock of a role (boxed: it carries the lock as read).
    Unlock(Box<UnlockDialog>),
}

/// The unlock dialog: the lock as the store has it, then the typed role name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnlockDialog {
    /// The role (raw name, as in the snapshot).
    pub role: String,
    /// The holder the snapshot named (`operator@host`) when the dialog opened.
    pub by: String,
    /// The lock as read for this dialog; `None` while it is read.
    pub lock: Option<LockView>,
    /// Why the lock cannot be broken from here (unreadable, free now, refused).
    pub error: Option<String>,
    /// What the operator typed so far.
    pub typed: String,
}

impl UnlockDialog {
    /// The lock it shows, while someone holds it: the only state in which it takes typing.
    pub fn held(&self) -> Option<&LockView> {
        self.lock
            .as_ref()
            .filter(|l| l.held && self.error.is_none())
    }

    /// True when Enter would break it: a held lock and the role's exact name typed.
    pub fn confirmable(&self) -> bool {
        self.held().is_some() && typed_name_confirms(&self.role, &self.typed)
    }
}

impl Dialog {
    /// The operation the dialog is about, if any.
    pub fn op_id(&self) -> Option<&str> {
        match self {
            Dialog::Preview(_) | Dialog::DrillSummary { .. } | Dialog::Unlock(_) => None,
            Dialog::Abort { op_id, .. }
            | Dialog::Choose { op_id, .. }
            | Dialog::Summary { op_id } => Some(op_id),
        }
    }
}

/// Everything about operations in the cockpit state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpsState {
    /// A move slower than this missed its RTO.
    pub rto_target: Duration,
    /// Operations followed, oldest first.
    pub ops: Vec<OpView>,
    /// Modal dialogs; the front one is shown.
    pub dialogs: VecDeque<Dialog>,
    /// Drills followed, oldest first (their legs are in `ops`).
    pub drills: Vec<DrillView>,
}

/// One drill the cockpit follows, as the engine last reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrillView {
    /// The drill's record (legs, hold, verdict).
    pub record: DrillRecord,
    /// Where its Markdown report was written, once it was.
    pub report: Option<std::path::PathBuf>,
}

impl Default for OpsState {
    fn default() -> Self {
        OpsState {
            rto_target: DEFAULT_RTO_TARGET,
            ops: Vec::new(),
            dialogs: VecDeque::new(),
            drills: Vec::new(),
        }
    }
}

impl OpsState {
    /// The operation with this id.
    pub fn get(&self, op_id: &str) -> Option<&OpView> {
        self.ops.iter().find(|v| v.op.op_id == op_id)
    }

    /// The operation with this id, mutable.
    pub fn get_mut(&mut self, op_id: &str) -> Option<&mut OpView> {
        self.ops.iter_mut().find(|v| v.op.op_id == op_id)
    }

    /// The newest operation of a role (finished ones stay until their summary is closed).
    pub fn for_role(&self, role: &str) -> Option<&OpView> {
        self.ops.iter().rev().find(|v| v.op.role == role)
    }

    /// True while any followed operation has not finished.
    pub fn any_running(&self) -> bool {
        self.ops.iter().any(|v| !v.op.is_finished())
    }

    /// The drill with this id.
    pub fn drill(&self, drill_id: &str) -> Option<&DrillView> {
        self.drills.iter().find(|d| d.record.drill_id == drill_id)
    }

    /// The newest drill of a role.
    pub fn drill_of(&self, role: &str) -> Option<&DrillView> {
        self.drills.iter().rev().find(|d| d.record.role == role)
    }

    /// True while any followed drill has not finished (header DRILL badge).
    pub fn any_drill_running(&self) -> bool {
        self.drills.iter().any(|d| !d.record.is_finished())
    }

    /// True when `view` is a leg of a drill the cockpit follows: its own summary is skipped,
    /// the drill's summary comes at the end.
    pub fn is_followed_drill_leg(&self, view: &OpView) -> bool {
        view.op
            .drill
            .as_ref()
            .is_some_and(|link| self.drill(&link.drill_id).is_some())
    }

    /// True when a dialog about this operation is queued.
    pub fn has_dialog(&self, op_id: &str, pred: impl Fn(&Dialog) -> bool) -> bool {
        self.dialogs
            .iter()
            .any(|d| d.op_id() == Some(op_id) && pred(d))
    }
}

/// Upper-case outcome word for screens and the log.
pub fn outcome_word(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Succeeded => "SUCCEEDED",
        Outcome::Failed => "FAILED",
        Outcome::Aborted => "ABORTED",
        Outcome::RolledBack => "ROLLED BACK",
    }
}
