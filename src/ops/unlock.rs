//! Breaking a dead holder's shared role lock on purpose: the one front door `baton unlock` and
//! the cockpit's unlock dialog both go through. [`Runner::lock_status`] reads what the operator
//! is shown; [`Runner::break_lock`] checks the confirmation, reads the lock again (it must still
//! be the holder and epoch the operator saw), audits `lock_broken` with who and why *before*
//! breaking it, breaks the lease, and names what to run next.
//!
//! Owns the rules of an unlock, not its wording: callers print or show the outcome. A local
//! backend (`flock`) has nothing to break: the kernel releases such a lock when its process dies.

use super::{Confirmation, Runner};
use crate::config::{Config, Coordination};
use crate::core::plan::OperationKind;
use crate::failover::{AuditError, AuditEvent};
use crate::store::lock::{LockInfo, LockStatus};
use crate::store::StoreError;
use std::path::PathBuf;

/// What the operator confirmed: break `role`'s lock as shown at `seen_epoch`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnlockRequest {
    /// The role whose lock to break.
    pub role: String,
    /// The holder's epoch the operator was shown; a lock that changed hands since is refused.
    pub seen_epoch: u64,
    /// Why, for the audit record.
    pub comment: Option<String>,
    /// The operator's confirmation (the role name typed, or `--yes`).
    pub confirmation: Confirmation,
}

/// What a confirmed unlock did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unlocked {
    /// Broken now, or the lease had ended by itself meanwhile.
    pub outcome: BreakOutcome,
    /// The holder the lock named (`None` when it named none or was free at the second read).
    pub was: Option<LockInfo>,
    /// The holder's epoch.
    pub epoch: u64,
    /// What to run now.
    pub next: NextStep,
}

/// Whether the break itself happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakOutcome {
    /// The lease was broken (and audited before).
    Broken,
    /// The lease had ended before the break: nothing was broken.
    EndedMeanwhile,
}

/// What the operator should run after the break.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NextStep {
    /// Resume the role's unfinished operation from any host.
    Resume {
        /// Failover or switchover.
        kind: OperationKind,
        /// The operation.
        op_id: String,
    },
    /// Resume the role's unfinished drill from any host.
    ResumeDrill,
    /// No operation of the role is unfinished.
    Nothing,
}

impl NextStep {
    /// The command to run for `role`, if any (`baton switchover db --resume`).
    pub fn command(&self, role: &str) -> Option<String> {
        match self {
            NextStep::Resume { kind, .. } => {
                Some(format!("baton {} {role} --resume", kind.as_str()))
            }
            NextStep::ResumeDrill => Some(format!("baton drill {role} --resume")),
            NextStep::Nothing => None,
        }
    }
}

/// Why nothing was broken.
#[derive(Debug, thiserror::Error)]
pub enum UnlockError {
    /// `backend = "local"`: a `flock` cannot be broken, only its process's death releases it.
    #[error(
        "{} has [coordination] backend = \"local\": a role lock is a local flock, which the \
         kernel releases when its process dies, so there is nothing to break (a held one belongs \
         to a live baton on this host)",
        config.display()
    )]
    LocalBackend {
        /// The config file that says so.
        config: PathBuf,
    },
    /// The role is not in the config.
    #[error("no role named `{0}`")]
    UnknownRole(String),
    /// The confirmation does not name the role.
    #[error("`{role}` was not typed exactly: nothing done")]
    NotConfirmed {
        /// The role.
        role: String,
    },
    /// The lock is no longer the one the operator was shown (another holder took it since).
    #[error(
        "the lock of role {role} changed since it was shown (epoch {seen}, now {now}): nothing \
         was changed; look at it again"
    )]
    Changed {
        /// The role.
        role: String,
        /// The epoch shown.
        seen: u64,
        /// The epoch now.
        now: u64,
    },
    /// The audit record could not be written, so nothing was broken.
    #[error(
        "refusing to unlock role {role}: the audit record could not be written, so nothing was \
         changed: {source}"
    )]
    AuditRefused {
        /// The role.
        role: String,
        /// Why the audit refused (boxed: store errors are large).
        source: Box<AuditError>,
    },
    /// The store could not be read or the break failed (boxed: store errors are large).
    #[error(transparent)]
    Store(Box<StoreError>),
}

impl From<StoreError> for UnlockError {
    fn from(e: StoreError) -> UnlockError {
        UnlockError::Store(Box::new(e))
    }
}

/// Refuses a config whose role locks are host-local `flock`s.
pub fn shared_backend(config: &Config) -> Result<(), UnlockError> {
    match config.coordination {
        Coordination::Local => Err(UnlockError::LocalBackend {
            config: config.source.clone(),
        }),
        Coordination::AzureBlob(_) => Ok(()),
    }
}

/// `operator on host (pid N)`: how the audit record names a holder.
pub fn describe(h: &LockInfo) -> String {
    format!("{} on {} (pid {})", h.who, h.host, h.pid)
}

impl Runner {
    /// The role's lock as stored (holder, epoch, lease state, last write), `None` when it was
    /// never taken: what the operator is shown before confirming.
    pub async fn lock_status(&self, role: &str) -> Result<Option<LockStatus>, UnlockError> {
        shared_backend(self.config())?;
        self.role(role)
            .map_err(|_| UnlockError::UnknownRole(role.to_owned()))?;
        Ok(self.store().lock_status(role).await?)
    }

    /// Breaks the role's lock as the operator confirmed it (see the module doc for the order).
    pub async fn break_lock(&self, request: &UnlockRequest) -> Result<Unlocked, UnlockError> {
        let role = request.role.as_str();
        if !request.confirmation.confirms(role) {
            return Err(UnlockError::NotConfirmed {
                role: role.to_owned(),
            });
        }
        let status = self.lock_status(role).await?;
        let Some(status) = status.filter(|s| s.held) else {
            return Ok(self
                .unlocked(role, BreakOutcome::EndedMeanwhile, None, request.seen_epoch)
                .await);
        };
        if status.epoch != request.seen_epoch {
            return Err(UnlockError::Changed {
                role: role.to_owned(),
                seen: request.seen_epoch,
                now: status.epoch,
            });
        }
        // Recorded before the break, as every write: a break nobody can account for never happens.
        let broken = AuditEvent::LockBroken {
            holder: status.holder.as_ref().map(describe),
            holder_op: status.holder.as_ref().and_then(|h| h.op_id.clone()),
            epoch: status.epoch,
            comment: request.comment.clone(),
        };
        let op_id = status.holder.as_ref().and_then(|h| h.op_id.as_deref());
        self.audit()
            .record(role, op_id, &broken)
            .await
            .map_err(|source| UnlockError::AuditRefused {
                role: role.to_owned(),
                source: Box::new(source),
            })?;
        let outcome = match self.store().break_lock(role).await? {
            Some(_) => BreakOutcome::Broken,
            None => BreakOutcome::EndedMeanwhile,
        };
        Ok(self
            .unlocked(role, outcome, status.holder, status.epoch)
            .await)
    }

    async fn unlocked(
        &self,
        role: &str,
        outcome: BreakOutcome,
        was: Option<LockInfo>,
        epoch: u64,
    ) -> Unlocked {
        let next = match self.unfinished_operation(role).await {
            Some(op) if op.drill.is_some() => NextStep::ResumeDrill,
            Some(op) => NextStep::Resume {
                kind: op.kind,
                op_id: op.op_id,
            },
            None => NextStep::Nothing,
        };
        Unlocked {
            outcome,
            was,
            epoch,
            next,
        }
    }
}
