//! Typed failures carried by [`EngineMsg`](super::EngineMsg).

use crate::core::name::RoleName;
use crate::core::wording::MISSING_STATE_DIR;

/// Why no plan came back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanFailure {
    /// The role is not in the config.
    #[error("no role named {role}")]
    UnknownRole {
        /// The name asked for.
        role: RoleName,
    },
    /// The operation to go on with is not (or no longer) unfinished in the journal.
    #[error("operation {op_id} not found")]
    OperationNotFound {
        /// The id asked for.
        op_id: String,
    },
    /// The executor or the drill planner could not plan (lock held, interrupted operation,
    /// Azure unreadable…); `reason` is their own wording. Kept as text so the protocol does
    /// not depend on the executor: the cockpit shows it and never branches on it.
    #[error("{reason}")]
    Refused {
        /// Why, as the planner said it.
        reason: String,
    },
}

/// Why the history could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HistoryFailure {
    /// The cockpit was started without a state directory.
    #[error("{MISSING_STATE_DIR}")]
    NoStateDir,
    /// The reading thread died (panicked or was cancelled); `why` is the runtime's account.
    #[error("history could not be read: {why}")]
    Reader {
        /// What the runtime said about the thread.
        why: String,
    },
}
