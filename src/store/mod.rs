//! Everything durable: the role lock, the operation journals, the drill records and the audit
//! trail, behind one [`Store`] trait, with the local file system ([`LocalStore`]) as its first
//! backend. Owns the on-disk (or remote) formats, their guarantees (fsync, torn lines, atomic
//! record saves, private permissions) and the typed [`StoreError`]; must not decide what an
//! event, a lock holder or a record means (that is `core` and the executor), and must not touch
//! Azure or the terminal. See `docs/storage.md`.
//!
//! Its read half is [`StoreRead`] (lock holders, one listing of every lock, journals whole or
//! from an offset, drill records): what wall and read-only cockpits and the history view hold,
//! so they cannot write by construction. [`Store`] extends it with everything that writes.
//!
//! The trait is shaped for a remote backend (Azure Blob Storage next): every call is async and
//! may fail with `Unavailable`; the lock is a guard that can lose its lease; journal appends carry
//! their position so a retried append can be made conditional; drill saves carry an etag
//! precondition.

pub mod audit;
pub mod blob;
pub mod drill;
mod error;
pub mod journal;
mod local;
pub mod lock;
pub mod operator;
pub mod private;
mod read;
pub mod state_dir;

pub use blob::{BlobCredential, BlobSettings, BlobStore, LeaseTiming};
pub use error::StoreError;
pub use local::LocalStore;
pub use read::{LockEntry, SharedReader, StoreRead};

use crate::core::drill::DrillRecord;
use crate::core::operation::{OpEvent, Operation, Outcome};
use async_trait::async_trait;
use audit::AuditRecord;
use journal::Loaded;
use lock::LockInfo;
use operator::Operator;
use std::sync::Arc;
use time::OffsetDateTime;

/// A held role lock. Dropping it releases it too (best effort); [`LockGuard::release`] says
/// whether the release itself worked.
#[async_trait]
pub trait LockGuard: Send + Sync + std::fmt::Debug {
    /// The holder's details as stored.
    fn info(&self) -> &LockInfo;
    /// Records the operation the holder now runs.
    async fn set_op(&mut self, op_id: &str) -> Result<(), StoreError>;
    /// True while the lock is certainly still ours, within the backend's safety margin (a
    /// lease that is about to expire counts as lost). Always true for `flock`, which the kernel
    /// holds until the process dies.
    fn is_held(&self) -> bool;
    /// Releases the lock.
    async fn release(self: Box<Self>) -> Result<(), StoreError>;
}

/// An open operation journal, appending.
#[async_trait]
pub trait JournalWriter: Send + Sync + std::fmt::Debug {
    /// How many events the journal holds: the position the next append goes to. A remote
    /// backend sends it as an append-position condition, so an append retried after a lost
    /// answer is detected (`Conflict`) instead of written twice.
    fn position(&self) -> u64;
    /// Appends one event at [`JournalWriter::position`]; returns once it is durable, with the
    /// new position.
    async fn append(&mut self, event: &OpEvent) -> Result<u64, StoreError>;
}

/// An opaque version of a stored drill record (an etag).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RecordVersion(pub String);

/// The condition a drill record save is made under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Precondition {
    /// The record must not exist yet (`If-None-Match: *`).
    Absent,
    /// The stored record must still be this version (`If-Match`).
    Matches(RecordVersion),
}

/// Baton's durable state: one implementation per backend. The reads are [`StoreRead`]'s; this
/// adds everything that writes.
#[async_trait]
pub trait Store: StoreRead {
    /// Takes the role's lock without waiting; `StoreError::Locked` names the holder.
    async fn acquire_lock(
        &self,
        role: &str,
        operator: &Operator,
        op_id: Option<&str>,
    ) -> Result<Box<dyn LockGuard>, StoreError>;

    /// Creates the journal of a new operation (`Conflict` if it exists).
    async fn create_journal(
        &self,
        role: &str,
        op_id: &str,
    ) -> Result<Box<dyn JournalWriter>, StoreError>;
    /// Reopens a journal for appending (a torn last line is cut off first) with what it holds.
    async fn reopen_journal(
        &self,
        role: &str,
        op_id: &str,
    ) -> Result<(Box<dyn JournalWriter>, Loaded), StoreError>;

    /// Saves a drill record under `condition`; returns its new version.
    async fn save_drill(
        &self,
        record: &DrillRecord,
        condition: &Precondition,
    ) -> Result<RecordVersion, StoreError>;

    /// Appends one audit record and returns once it is durable. The caller must handle an
    /// error: a record that justifies a write must be stored before the write.
    async fn append_audit(&self, record: &AuditRecord<'_>) -> Result<(), StoreError>;
}

/// What every backend derives the same way from the trait's primitives.
#[async_trait]
pub trait StoreExt: StoreRead {
    /// Every operation whose journal has no `Finished`; unreadable journals are logged and
    /// skipped, so one bad journal never hides the others.
    async fn unfinished_operations(&self) -> Vec<Operation> {
        journal::unfinished(self.scan_journals().await)
    }

    /// Every readable operation of `role`, replayed; unreadable journals are skipped.
    async fn operations_of_role(&self, role: &str) -> Vec<Operation> {
        let mut out = Vec::new();
        for op_id in self.journals_of_role(role).await.unwrap_or_default() {
            match self.load_journal(role, &op_id).await {
                Ok(loaded) => match loaded.operation() {
                    Ok(op) => out.push(op),
                    Err(e) => tracing::warn!(error = %e, "journal skipped"),
                },
                Err(e) => tracing::warn!(error = %e, "journal skipped"),
            }
        }
        out
    }

    /// The latest `Finished` of the role's operations that moved it (succeeded or rolled back).
    async fn last_move(&self, role: &str) -> Option<OffsetDateTime> {
        let mut last = None;
        for op_id in self.journals_of_role(role).await.unwrap_or_default() {
            let Ok(loaded) = self.load_journal(role, &op_id).await else {
                continue;
            };
            for ev in loaded.events {
                if let OpEvent::Finished {
                    at,
                    outcome: Outcome::Succeeded | Outcome::RolledBack,
                } = ev
                {
                    last = last.max(Some(at));
                }
            }
        }
        last
    }

    /// Drill records that never finished (a crash or a stop mid-way), oldest first.
    async fn unfinished_drills(&self) -> Vec<(DrillRecord, RecordVersion)> {
        self.drills()
            .await
            .into_iter()
            .filter(|(r, _)| !r.is_finished())
            .collect()
    }
}

impl<S: StoreRead + ?Sized> StoreExt for S {}

/// The shared handle every caller holds.
pub type SharedStore = Arc<dyn Store>;

impl From<state_dir::StateDir> for SharedStore {
    fn from(dir: state_dir::StateDir) -> SharedStore {
        Arc::new(LocalStore::new(dir))
    }
}
