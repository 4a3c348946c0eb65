//! Typed failures carried by [`EngineMsg`](super::EngineMsg), and the one wording of a missing
//! state directory shared by every command and the cockpit.

use crate::drill::DrillError;
use crate::failover::ExecError;
use std::sync::Arc;

/// The one wording of "no state directory could be chosen", naming every way to give one in
/// the order baton tries them: `--state-dir`, `$BATON_STATE_DIR`, `$XDG_STATE_HOME/baton`, and
/// the default `~/.local/state/baton` (which needs `$HOME`).
pub const MISSING_STATE_DIR: &str = "no state directory: pass --state-dir DIR, or set \
     $BATON_STATE_DIR or $XDG_STATE_HOME (the default ~/.local/state/baton needs $HOME)";

/// Why no plan came back.
#[derive(Debug, Clone, thiserror::Error)]
pub enum PlanFailure {
    /// The role is not in the config.
    #[error("no role named {role}")]
    UnknownRole {
        /// The name asked for.
        role: String,
    },
    /// The operation to go on with is not (or no longer) unfinished in the journal.
    #[error("operation {op_id} not found")]
    OperationNotFound {
        /// The id asked for.
        op_id: String,
    },
    /// The executor could not plan (lock, cooldown, Azure read…).
    #[error("{0}")]
    Executor(Arc<ExecError>),
    /// The drill could not be planned.
    #[error("{0}")]
    Drill(Arc<DrillError>),
}

/// Why the history could not be read.
#[derive(Debug, Clone, thiserror::Error)]
pub enum HistoryFailure {
    /// The cockpit was started without a state directory.
    #[error("{MISSING_STATE_DIR}")]
    NoStateDir,
    /// The reading thread died.
    #[error("history could not be read: {0}")]
    Reader(Arc<tokio::task::JoinError>),
}
