//! [`StoreRead`]: the read half of the store — lock holders, journals, drill records — and
//! nothing that writes, takes a lease or appends. Wall and read-only cockpits and the history
//! view hold only this type (as they hold `ReadClient` for ARM), so they cannot write to the
//! shared store by construction.
//!
//! Two calls exist for the cockpit's remote operations: [`StoreRead::list_locks`] answers every
//! role's holder with one call (one `List Blobs` with metadata on Azure), and
//! [`StoreRead::read_journal_from`] reads a journal's new bytes after an offset (a range read).

use super::journal::{Loaded, TornLine};
use super::lock::{LockInfo, LockStatus};
use super::{RecordVersion, StoreError};
use crate::core::drill::DrillRecord;
use crate::core::operation::Operation;
use async_trait::async_trait;
use std::sync::Arc;

/// One role's lock as a listing sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockEntry {
    /// The role's name as stored (a file-safe segment: lower-case, `_` for odd characters).
    pub role: String,
    /// The holder written on the lock (`None` when it names none).
    pub holder: Option<LockInfo>,
    /// True while the lock is held (an active or breaking lease; a locked file).
    pub held: bool,
}

/// Baton's durable state, read only.
#[async_trait]
pub trait StoreRead: Send + Sync + std::fmt::Debug {
    /// Who holds the role's lock now, `None` when it is free.
    async fn lock_holder(&self, role: &str) -> Result<Option<LockInfo>, StoreError>;
    /// The role's lock as stored (holder, epoch, lease state, last write), `None` when there
    /// is nothing to show. A host-local lock shows its holder while it is held.
    async fn lock_status(&self, role: &str) -> Result<Option<LockStatus>, StoreError> {
        Ok(self.lock_holder(role).await?.map(LockStatus::flock))
    }
    /// Every role lock that exists, held or not, with one storage call however many roles (a
    /// listing that fails is an error, never an empty answer).
    async fn list_locks(&self) -> Result<Vec<LockEntry>, StoreError>;

    /// Reads one journal; a torn last line is dropped and reported.
    async fn load_journal(&self, role: &str, op_id: &str) -> Result<Loaded, StoreError>;
    /// The journal's bytes from byte `offset` on (empty when nothing was appended since).
    async fn read_journal_from(
        &self,
        role: &str,
        op_id: &str,
        offset: u64,
    ) -> Result<Vec<u8>, StoreError>;
    /// The operation ids journalled for `role`.
    async fn journals_of_role(&self, role: &str) -> Result<Vec<String>, StoreError>;
    /// Every journal of every role replayed, with its torn line, or why it could not be.
    async fn scan_journals(&self) -> Vec<Result<(Operation, Option<TornLine>), StoreError>>;

    /// Reads one drill record with its version.
    async fn load_drill(
        &self,
        role: &str,
        drill_id: &str,
    ) -> Result<(DrillRecord, RecordVersion), StoreError>;
    /// Every readable drill record with its version, oldest first (unreadable ones are logged
    /// and left out).
    async fn drills(&self) -> Vec<(DrillRecord, RecordVersion)>;
}

/// The read-only handle wall and read-only cockpits and the history view hold.
pub type SharedReader = Arc<dyn StoreRead>;
