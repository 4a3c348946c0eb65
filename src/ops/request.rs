//! What a caller may ask the runner for, how the operator confirmed it, and why a start was
//! refused. Plain data; the rules that use it are in [`super::Runner`].

use crate::core::name::typed_name_confirms;
use crate::core::operation::RollbackMode;
use crate::core::plan::Blocker;
use crate::drill::{DrillError, DrillRequest};
use crate::failover::{ExecError, Request};
use std::path::PathBuf;

/// How the operator confirmed a start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirmation {
    /// What the operator typed; it must name the role (`core::name::typed_name_confirms`).
    Typed(String),
    /// `--yes`: confirmed ahead of time by a script.
    Yes,
}

impl Confirmation {
    /// True when it confirms `role`.
    pub fn confirms(&self, role: &str) -> bool {
        match self {
            Confirmation::Typed(typed) => typed_name_confirms(role, typed),
            Confirmation::Yes => true,
        }
    }

    /// How it was confirmed, for the audit.
    pub fn how(&self) -> &'static str {
        match self {
            Confirmation::Typed(_) => "typed role name",
            Confirmation::Yes => "--yes",
        }
    }
}

/// What to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartRequest {
    /// A new failover or switchover; planned again at confirmation time.
    Operation {
        /// The role.
        role: String,
        /// Kind, target, break-glass and cooldown override.
        request: Request,
        /// The operator's confirmation.
        confirmation: Confirmation,
    },
    /// Go on with an unfinished operation, by id: resume it (a halted one rolls forward), or
    /// roll it back the chosen way.
    Resume {
        /// The role it belongs to.
        role: String,
        /// The operation.
        op_id: String,
        /// The rollback chosen, if any.
        rollback: Option<RollbackMode>,
        /// Break-glass `ForceDetach` for the rest of it.
        force_detach: bool,
        /// Move despite the cooldown; the operator's reason.
        override_cooldown: Option<String>,
    },
    /// A new drill; planned again at confirmation time.
    Drill {
        /// The role.
        role: String,
        /// Target, hold, switch back, incident override, comment, report folder.
        request: DrillRequest,
        /// The operator's confirmation.
        confirmation: Confirmation,
    },
    /// Go on with an unfinished drill, by id.
    DrillResume {
        /// The role it belongs to.
        role: String,
        /// The drill.
        drill_id: String,
        /// Where the reports go (else `$STATE/reports/`).
        report_dir: Option<PathBuf>,
    },
}

/// Why nothing was started.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The config has no such role.
    #[error("no role named `{0}` in the config")]
    UnknownRole(String),
    /// The confirmation does not name the role.
    #[error("confirmation did not match role {role}: nothing done")]
    NotConfirmed {
        /// The role.
        role: String,
    },
    /// Planned again at confirmation time, the world had moved: these block it now.
    #[error("not started, blocked now: {}", blockers_text(.blockers))]
    Blocked {
        /// The role.
        role: String,
        /// Every blocker.
        blockers: Vec<Blocker>,
    },
    /// No unfinished operation of the role has this id.
    #[error("no unfinished operation {op_id} of role {role}")]
    OperationNotFound {
        /// The role.
        role: String,
        /// The id asked for.
        op_id: String,
    },
    /// Planning or starting the operation failed.
    #[error(transparent)]
    Exec(Box<ExecError>),
    /// Planning or starting the drill failed.
    #[error(transparent)]
    Drill(Box<DrillError>),
}

impl From<ExecError> for StartError {
    fn from(e: ExecError) -> StartError {
        StartError::Exec(Box::new(e))
    }
}

impl From<DrillError> for StartError {
    fn from(e: DrillError) -> StartError {
        StartError::Drill(Box::new(e))
    }
}

impl StartError {
    /// The exit code of the headless commands: 2 for usage and authentication, else 1.
    pub fn exit_code(&self) -> u8 {
        match self {
            StartError::UnknownRole(_) => 2,
            StartError::Exec(e) if e.is_auth() => 2,
            StartError::Drill(e) if e.is_auth() || matches!(**e, DrillError::Usage(_)) => 2,
            StartError::NotConfirmed { .. }
            | StartError::Blocked { .. }
            | StartError::OperationNotFound { .. }
            | StartError::Exec(_)
            | StartError::Drill(_) => 1,
        }
    }
}

fn blockers_text(blockers: &[Blocker]) -> String {
    let all: Vec<String> = blockers.iter().map(ToString::to_string).collect();
    all.join("; ")
}
