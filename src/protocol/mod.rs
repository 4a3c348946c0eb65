//! The protocol between the cockpit and the engine: what the cockpit asks for ([`Effect`]) and
//! what the engine answers ([`EngineMsg`]). Both sides import it; neither imports the other.
//!
//! Effects are nested by who executes them, so every router names every case it receives and a
//! new request cannot compile into a silent no-op: the cockpit's own loop handles
//! [`Effect::Ui`]; the engine serves [`Effect::Read`] (every mode: reads only) and
//! [`Effect::Chaos`] (demo only), and hands [`Effect::Op`] to its operations task (absent in
//! read-only and wall modes, where nothing may write).
//!
//! Failures travel as typed values ([`PlanFailure`], [`HistoryFailure`]) and paths as
//! [`PathBuf`], so a receiver can branch on them instead of parsing text.

mod failure;

pub use failure::{HistoryFailure, PlanFailure};

use crate::core::drill::DrillRecord;
use crate::core::history::History;
use crate::core::name::RoleName;
use crate::core::operation::{OpEvent, Operation, RollbackMode};
use crate::core::plan::{OperationKind, Plan};
use std::path::PathBuf;
use time::OffsetDateTime;

/// What the cockpit asks its surroundings to do, grouped by who does it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// The cockpit's own loop does it (terminal, not engine).
    Ui(UiEffect),
    /// A read the engine serves in every mode.
    Read(ReadEffect),
    /// Demo only: break or heal a VM in the emulator.
    Chaos(ChaosRequest),
    /// A request that can write to Azure; served only by the operations task.
    Op(OpEffect),
}

/// Effects the cockpit's terminal loop executes itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UiEffect {
    /// Leave: restore the terminal and return from `run`.
    Quit,
    /// Ring the terminal bell (a role went MASTER DOWN or SPLIT).
    Bell,
}

/// Reads the engine serves in every mode, read-only included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadEffect {
    /// Refresh the Azure inventory now.
    RefreshInventory,
    /// Read the run history from the state directory; answered by [`EngineMsg::History`].
    LoadHistory,
    /// Write the role's newest operation as a Markdown timeline; the engine logs the file.
    ExportTimeline {
        /// The role (raw name).
        role: RoleName,
    },
}

/// Demo-mode chaos on one VM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChaosRequest {
    /// The VM (raw name as in the snapshot).
    pub vm: String,
    /// What to do to it.
    pub action: ChaosAction,
}

/// Demo-mode chaos the emulator understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChaosAction {
    /// Stop the VM's service (service probe fails, VM stays up).
    KillService,
    /// Hang the whole VM (both probes fail).
    HangVm,
    /// Undo any chaos on the VM.
    Heal,
}

/// Failover, switchover and drill requests: the only effects that can write to Azure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpEffect {
    /// Plan an operation; the engine answers [`EngineMsg::Plan`] or [`EngineMsg::PlanError`].
    RequestPlan {
        /// The role (raw name).
        role: RoleName,
        /// Failover, switchover or drill.
        kind: OperationKind,
        /// The standby the operator picked; `None` lets the planner choose.
        target: Option<String>,
    },
    /// Start the previewed plan once the operator typed the role's name
    /// (see [`crate::core::name::typed_name_confirms`]); the engine checks the typed name again.
    StartOperation {
        /// The role (raw name).
        role: RoleName,
        /// Failover, switchover or drill.
        kind: OperationKind,
        /// The target of the previewed plan.
        target: String,
        /// What the operator typed.
        confirmed_name: String,
    },
    /// Halt a running operation after its running step (confirmed by the operator).
    AbortOperation {
        /// The operation.
        op_id: String,
    },
    /// How to go on after an abort, a failure or an interruption.
    ChooseRollback {
        /// The operation.
        op_id: String,
        /// One of the operation's `rollback_options()`.
        mode: RollbackMode,
    },
    /// Carry on with an operation found interrupted at start-up.
    ResumeOperation {
        /// The operation.
        op_id: String,
    },
    /// Read the role's lock as the store has it, for the unlock dialog; answered by
    /// [`EngineMsg::Lock`]. A read, but only the unlock flow (operator and demo) asks for it.
    ReadLock {
        /// The role (raw name).
        role: RoleName,
    },
    /// Break another baton's lock of the role once the operator typed the role's name; the
    /// engine checks the name again, refuses a lock whose epoch is no longer `epoch`, audits
    /// `lock_broken` before breaking, and answers [`EngineMsg::LockBroken`].
    BreakLock {
        /// The role (raw name).
        role: RoleName,
        /// The holder's epoch the dialog showed.
        epoch: u64,
        /// What the operator typed.
        confirmed_name: String,
    },
}

/// The audit comment of a lock broken from the cockpit (its dialog has no comment field; the
/// dialog says this text, the engine records it).
pub const COCKPIT_UNLOCK_COMMENT: &str = "from the cockpit";

/// A role's lock as the unlock dialog shows it (plain data copied from the store's answer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockView {
    /// The holder written on the lock, if it names one.
    pub holder: Option<LockHolderView>,
    /// The holder's epoch.
    pub epoch: u64,
    /// The lease state as the service says it (`leased`, `expired`, `broken`…).
    pub lease: String,
    /// True while someone holds it.
    pub held: bool,
    /// When the lock blob was last written (Azure records no renew), if known.
    pub last_written: Option<OffsetDateTime>,
}

/// Who holds a lock, as written on it (raw strings: sanitize before drawing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockHolderView {
    /// The operator.
    pub who: String,
    /// Their host.
    pub host: String,
    /// The holding baton's process id.
    pub pid: u32,
    /// The operation it runs, once known.
    pub op_id: Option<String>,
    /// Since when it holds the lock.
    pub since: OffsetDateTime,
}

/// What a confirmed unlock did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockBreak {
    /// True when the lease was broken now; false when it had ended by itself meanwhile.
    pub broken: bool,
    /// The holder it named (`operator@host`), if any.
    pub was: Option<String>,
    /// The holder's epoch.
    pub epoch: u64,
    /// The command that resumes the role's unfinished operation from any host, if one is.
    pub resume: Option<String>,
}

/// What the engine tells the cockpit besides snapshots and log events (those have their own
/// channels: a latest-wins watch and a never-dropping queue).
#[derive(Debug, Clone)]
pub enum EngineMsg {
    /// The answer to [`OpEffect::RequestPlan`] (ignored unless its preview is open).
    Plan(Plan),
    /// Planning failed (shown in the open preview).
    PlanError(PlanFailure),
    /// One journalled event of an operation, in journal order (never dropped).
    OpEvent {
        /// The operation it belongs to (`Begun` carries it too).
        op_id: String,
        /// The event.
        event: OpEvent,
    },
    /// Unfinished operations found at start-up (their journals replayed); each opens a dialog.
    Interrupted(Vec<Operation>),
    /// A drill's record after one of its phases (legs, hold, verdict); its legs' steps come
    /// as `OpEvent`s like any operation's.
    Drill {
        /// The record as saved.
        record: Box<DrillRecord>,
        /// The Markdown report, once written.
        report: Option<PathBuf>,
    },
    /// The answer to [`ReadEffect::LoadHistory`]: the history, or why it could not be read.
    /// Sent in every mode: it is a read.
    History(Result<History, HistoryFailure>),
    /// One journalled event of an operation another baton runs (read from the shared store),
    /// in journal order. Sent in every mode: it is a read, shown read-only.
    RemoteEvent {
        /// The operation it belongs to.
        op_id: String,
        /// Its holder, `operator@host`.
        by: String,
        /// The event.
        event: OpEvent,
    },
    /// The answer to [`OpEffect::ReadLock`]: the lock (`None`: never taken), or why it could
    /// not be read.
    Lock {
        /// The role (raw name).
        role: RoleName,
        /// The lock, or the store's error in words.
        status: Result<Option<LockView>, String>,
    },
    /// The answer to [`OpEffect::BreakLock`]: what was done, or why nothing was.
    LockBroken {
        /// The role (raw name).
        role: RoleName,
        /// The outcome, or the refusal in words.
        result: Result<LockBreak, String>,
    },
}

impl EngineMsg {
    /// True for messages about operations and lock breaks, which read-only and wall cockpits
    /// drop (nothing there may open an operation or unlock dialog).
    pub fn is_operation(&self) -> bool {
        match self {
            EngineMsg::Plan(_)
            | EngineMsg::PlanError(_)
            | EngineMsg::OpEvent { .. }
            | EngineMsg::Interrupted(_)
            | EngineMsg::Drill { .. }
            | EngineMsg::Lock { .. }
            | EngineMsg::LockBroken { .. } => true,
            EngineMsg::History(_) | EngineMsg::RemoteEvent { .. } => false,
        }
    }
}
