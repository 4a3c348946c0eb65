//! The one error type of every storage backend. Variants name what a remote backend can do
//! wrong too (precondition failed, lease lost, unavailable), so callers handle them today.

use super::journal::JournalError;
use super::lock::LockError;
use std::path::PathBuf;

/// Why the store could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The local file system refused.
    #[error("{what} {}: {source}", .path.display())]
    Io {
        /// What was being read or written (`journal`, `audit log`, `drill record`…).
        what: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Someone else holds the role lock.
    #[error(transparent)]
    Locked(LockError),
    /// A conditional write found something else than expected (etag, existence, append
    /// position): someone else wrote first.
    #[error("{what}: precondition failed: {reason}")]
    Conflict {
        /// What was written.
        what: String,
        /// What differed.
        reason: String,
    },
    /// The lock's lease was lost (expired or broken): writes are fenced off from now on.
    #[error("lock of role {role} lost: {reason}")]
    LeaseLost {
        /// The role.
        role: String,
        /// Why.
        reason: String,
    },
    /// The backend cannot be reached now (network, throttling, outage).
    #[error("{what}: storage unavailable: {reason}")]
    Unavailable {
        /// What was being read or written.
        what: String,
        /// Why.
        reason: String,
    },
    /// Something stored cannot be read back or encoded.
    #[error("{what}: {reason}")]
    Corrupt {
        /// What (a file and line, a record).
        what: String,
        /// The decoder's reason.
        reason: String,
    },
    /// The journal cannot be read, replayed or written.
    #[error(transparent)]
    Journal(#[from] JournalError),
    /// Nothing stored under that name.
    #[error("{0}: not found")]
    NotFound(String),
}

impl StoreError {
    /// True when the role lock's lease was lost.
    pub fn is_lease_lost(&self) -> bool {
        matches!(self, StoreError::LeaseLost { .. })
    }

    /// True when the error came from the machine baton runs on or its storage (disk full,
    /// permissions, unreachable storage), as opposed to someone else holding or changing it.
    pub fn is_local_io(&self) -> bool {
        match self {
            StoreError::Io { .. } | StoreError::Unavailable { .. } => true,
            StoreError::Journal(e) => matches!(e, JournalError::Io { .. }),
            StoreError::Locked(e) => matches!(e, LockError::Io { .. }),
            StoreError::Conflict { .. }
            | StoreError::LeaseLost { .. }
            | StoreError::Corrupt { .. }
            | StoreError::NotFound(_) => false,
        }
    }
}

impl From<LockError> for StoreError {
    fn from(e: LockError) -> StoreError {
        StoreError::Locked(e)
    }
}
