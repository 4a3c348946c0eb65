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
}

impl EngineMsg {
    /// True for messages about operations, which read-only and wall cockpits drop (nothing
    /// there may open an operation dialog).
    pub fn is_operation(&self) -> bool {
        match self {
            EngineMsg::Plan(_)
            | EngineMsg::PlanError(_)
            | EngineMsg::OpEvent { .. }
            | EngineMsg::Interrupted(_)
            | EngineMsg::Drill { .. } => true,
            EngineMsg::History(_) | EngineMsg::RemoteEvent { .. } => false,
        }
    }
}
