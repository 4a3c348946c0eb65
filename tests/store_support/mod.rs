//! A [`Store`] for tests: the local store, except that every journal append from the Nth on
//! fails as a full disk would, and every audit append from the Mth on fails too. What the
//! storage trait is for: failing durable state at an exact point without touching the disk.
#![allow(dead_code)]

use async_trait::async_trait;
use baton::core::drill::DrillRecord;
use baton::core::operation::{OpEvent, Operation};
use baton::failover::audit::AuditRecord;
use baton::failover::journal::{Loaded, TornLine};
use baton::failover::{LockInfo, Operator, StateDir};
use baton::store::{
    JournalWriter, LocalStore, LockEntry, LockGuard, Precondition, RecordVersion, Store,
    StoreError, StoreRead,
};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The local store with appends failing from a given count on.
#[derive(Debug)]
pub struct FailingStore {
    inner: LocalStore,
    journal_appends: Arc<AtomicU64>,
    fail_journal_from: u64,
    audit_appends: AtomicU64,
    fail_audit_from: u64,
}

impl FailingStore {
    /// Journal appends number `fail_journal_from` (1-based) and later fail, audit appends
    /// number `fail_audit_from` and later fail; `u64::MAX` never fails.
    pub fn new(dir: &StateDir, fail_journal_from: u64, fail_audit_from: u64) -> FailingStore {
        FailingStore {
            inner: LocalStore::new(dir.clone()),
            journal_appends: Arc::default(),
            fail_journal_from,
            audit_appends: AtomicU64::new(0),
            fail_audit_from,
        }
    }

    /// Journal appends tried so far.
    pub fn journal_appends(&self) -> u64 {
        self.journal_appends.load(Ordering::SeqCst)
    }

    fn wrap(&self, inner: Box<dyn JournalWriter>) -> Box<dyn JournalWriter> {
        Box::new(FailingWriter {
            inner,
            count: self.journal_appends.clone(),
            fail_from: self.fail_journal_from,
        })
    }
}

fn disk_full(what: &'static str) -> StoreError {
    StoreError::Io {
        what,
        path: PathBuf::from("/full/disk"),
        source: std::io::Error::other("No space left on device"),
    }
}

#[derive(Debug)]
struct FailingWriter {
    inner: Box<dyn JournalWriter>,
    count: Arc<AtomicU64>,
    fail_from: u64,
}

#[async_trait]
impl JournalWriter for FailingWriter {
    fn position(&self) -> u64 {
        self.inner.position()
    }

    async fn append(&mut self, event: &OpEvent) -> Result<u64, StoreError> {
        if self.count.fetch_add(1, Ordering::SeqCst) + 1 >= self.fail_from {
            return Err(disk_full("journal"));
        }
        self.inner.append(event).await
    }
}

#[async_trait]
impl Store for FailingStore {
    async fn acquire_lock(
        &self,
        role: &str,
        operator: &Operator,
        op_id: Option<&str>,
    ) -> Result<Box<dyn LockGuard>, StoreError> {
        self.inner.acquire_lock(role, operator, op_id).await
    }

    async fn create_journal(
        &self,
        role: &str,
        op_id: &str,
    ) -> Result<Box<dyn JournalWriter>, StoreError> {
        Ok(self.wrap(self.inner.create_journal(role, op_id).await?))
    }

    async fn reopen_journal(
        &self,
        role: &str,
        op_id: &str,
    ) -> Result<(Box<dyn JournalWriter>, Loaded), StoreError> {
        let (writer, loaded) = self.inner.reopen_journal(role, op_id).await?;
        Ok((self.wrap(writer), loaded))
    }

    async fn save_drill(
        &self,
        record: &DrillRecord,
        condition: &Precondition,
    ) -> Result<RecordVersion, StoreError> {
        self.inner.save_drill(record, condition).await
    }

    async fn append_audit(&self, record: &AuditRecord<'_>) -> Result<(), StoreError> {
        if self.audit_appends.fetch_add(1, Ordering::SeqCst) + 1 >= self.fail_audit_from {
            return Err(disk_full("audit log"));
        }
        self.inner.append_audit(record).await
    }
}

#[async_trait]
impl StoreRead for FailingStore {
    async fn lock_holder(&self, role: &str) -> Result<Option<LockInfo>, StoreError> {
        self.inner.lock_holder(role).await
    }

    async fn list_locks(&self) -> Result<Vec<LockEntry>, StoreError> {
        self.inner.list_locks().await
    }

    async fn load_journal(&self, role: &str, op_id: &str) -> Result<Loaded, StoreError> {
        self.inner.load_journal(role, op_id).await
    }

    async fn read_journal_from(
        &self,
        role: &str,
        op_id: &str,
        offset: u64,
    ) -> Result<Vec<u8>, StoreError> {
        self.inner.read_journal_from(role, op_id, offset).await
    }

    async fn journals_of_role(&self, role: &str) -> Result<Vec<String>, StoreError> {
        self.inner.journals_of_role(role).await
    }

    async fn scan_journals(&self) -> Vec<Result<(Operation, Option<TornLine>), StoreError>> {
        self.inner.scan_journals().await
    }

    async fn load_drill(
        &self,
        role: &str,
        drill_id: &str,
    ) -> Result<(DrillRecord, RecordVersion), StoreError> {
        self.inner.load_drill(role, drill_id).await
    }

    async fn drills(&self) -> Vec<(DrillRecord, RecordVersion)> {
        self.inner.drills().await
    }
}
