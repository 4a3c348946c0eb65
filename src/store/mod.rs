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
    /// A cheap handle answering the same question as [`LockGuard::is_held`] from anywhere (the
    /// ARM client checks it right before each write leaves), with the reason once lost.
    fn watch(&self) -> LeaseWatch;
    /// Releases the lock.
    async fn release(self: Box<Self>) -> Result<(), StoreError>;
}

/// How a backend's lock answers "still certainly ours?" outside its guard.
#[async_trait]
pub trait LeaseCheck: Send + Sync {
    /// Why the lock is no longer certainly ours, from what is known now (no call).
    fn lost(&self) -> Option<String>;
    /// The same after asking the service (a lease renew): called right before an ARM write,
    /// so a lease broken since the last periodic renew stops that write.
    async fn confirm(&self) -> Option<String>;
}

/// Whether a held lock is still certainly ours, shareable with whatever must stop writing the
/// moment it is not (see [`LockGuard::watch`]).
#[derive(Clone)]
pub struct LeaseWatch(Option<Arc<dyn LeaseCheck>>);

impl LeaseWatch {
    /// A lock that stays held until its process ends (`flock`).
    pub fn always() -> LeaseWatch {
        LeaseWatch(None)
    }

    /// A lock whose state `check` reports.
    pub fn new(check: impl LeaseCheck + 'static) -> LeaseWatch {
        LeaseWatch(Some(Arc::new(check)))
    }

    /// Why the lock is no longer certainly ours, `None` while it is (no call).
    pub fn lost(&self) -> Option<String> {
        self.0.as_ref().and_then(|c| c.lost())
    }

    /// [`LeaseWatch::lost`] after confirming with the service.
    pub async fn confirm(&self) -> Option<String> {
        match &self.0 {
            Some(c) => c.confirm().await,
            None => None,
        }
    }
}

impl std::fmt::Debug for LeaseWatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LeaseWatch(lost: {:?})", self.lost())
    }
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
    /// Breaks the role's lock held by someone else at once (`baton unlock`), returning the
    /// holder it named; `None` when nobody held it. A lock that only its process's death
    /// releases (`flock`) cannot be broken: its holder is `StoreError::Locked`.
    async fn break_lock(&self, role: &str) -> Result<Option<LockInfo>, StoreError> {
        match self.lock_holder(role).await? {
            Some(holder) => Err(StoreError::Locked(lock::held(role, Some(holder)))),
            None => Ok(None),
        }
    }

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

    /// Reads the role's lock holder every `poll` until nobody holds it (`None`) or `budget` has
    /// passed (the holder then).
    async fn wait_for_free_lock(
        &self,
        role: &str,
        budget: std::time::Duration,
        poll: std::time::Duration,
    ) -> Result<Option<LockInfo>, StoreError> {
        let deadline = tokio::time::Instant::now() + budget;
        loop {
            let holder = self.lock_holder(role).await?;
            if holder.is_none() || tokio::time::Instant::now() >= deadline {
                return Ok(holder);
            }
            tokio::time::sleep(poll.min(deadline - tokio::time::Instant::now())).await;
        }
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
