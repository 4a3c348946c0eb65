//! [`LocalStore`]: the [`Store`] on the local file system, under one [`StateDir`]. Delegates
//! to the file-level modules (`lock`, `journal`, `drill`, `audit`), which keep the guarantees:
//! `flock` for the lock, fsync per journal line and audit record, torn-line handling, atomic
//! drill record saves, 0700 folders and 0600 files. Must not add behaviour of its own.

use super::audit::{append_line, AuditRecord};
use super::journal::{Journal, Loaded, TornLine};
use super::lock::{LockInfo, RoleLock};
use super::operator::Operator;
use super::read::{LockEntry, StoreRead};
use super::state_dir::StateDir;
use super::{drill, JournalWriter, LockGuard, Precondition, RecordVersion, Store, StoreError};
use crate::core::drill::DrillRecord;
use crate::core::operation::Operation;
use async_trait::async_trait;

/// Baton's state in a local directory.
#[derive(Debug, Clone)]
pub struct LocalStore {
    dir: StateDir,
}

impl LocalStore {
    /// The store rooted at `dir` (created on first write).
    pub fn new(dir: StateDir) -> LocalStore {
        LocalStore { dir }
    }

    /// Its state directory.
    pub fn dir(&self) -> &StateDir {
        &self.dir
    }
}

#[async_trait]
impl Store for LocalStore {
    async fn acquire_lock(
        &self,
        role: &str,
        operator: &Operator,
        op_id: Option<&str>,
    ) -> Result<Box<dyn LockGuard>, StoreError> {
        let lock = RoleLock::acquire(&self.dir, role, operator, op_id)?;
        Ok(Box::new(lock))
    }

    async fn create_journal(
        &self,
        role: &str,
        op_id: &str,
    ) -> Result<Box<dyn JournalWriter>, StoreError> {
        Ok(Box::new(Journal::create(&self.dir, role, op_id)?))
    }

    async fn reopen_journal(
        &self,
        role: &str,
        op_id: &str,
    ) -> Result<(Box<dyn JournalWriter>, Loaded), StoreError> {
        let (journal, loaded) = Journal::reopen_loaded(&self.dir, role, op_id)?;
        Ok((Box::new(journal), loaded))
    }

    async fn save_drill(
        &self,
        record: &DrillRecord,
        condition: &Precondition,
    ) -> Result<RecordVersion, StoreError> {
        drill::save_if(&self.dir, record, condition)
    }

    async fn append_audit(&self, record: &AuditRecord<'_>) -> Result<(), StoreError> {
        append_line(&self.dir.audit_path(), record)
    }
}

#[async_trait]
impl StoreRead for LocalStore {
    async fn lock_holder(&self, role: &str) -> Result<Option<LockInfo>, StoreError> {
        Ok(RoleLock::holder(&self.dir, role)?)
    }

    async fn list_locks(&self) -> Result<Vec<LockEntry>, StoreError> {
        let folder = self.dir.root().join("locks");
        let entries = match std::fs::read_dir(&folder) {
            Ok(entries) => entries,
            // No lock was ever taken here.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => {
                return Err(StoreError::Unavailable {
                    what: format!("lock folder {}", folder.display()),
                    reason: e.to_string(),
                })
            }
        };
        let mut out = Vec::new();
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().and_then(|e| e.to_str()) != Some("lock") {
                continue;
            }
            let Some(role) = path.file_stem().map(|s| s.to_string_lossy().into_owned()) else {
                continue;
            };
            let holder = RoleLock::holder(&self.dir, &role)?;
            out.push(LockEntry {
                role,
                held: holder.is_some(),
                holder,
            });
        }
        out.sort_by(|a, b| a.role.cmp(&b.role));
        Ok(out)
    }

    async fn load_journal(&self, role: &str, op_id: &str) -> Result<Loaded, StoreError> {
        Ok(Journal::load(&self.dir.journal_path(role, op_id))?)
    }

    async fn read_journal_from(
        &self,
        role: &str,
        op_id: &str,
        offset: u64,
    ) -> Result<Vec<u8>, StoreError> {
        use std::io::{Read, Seek, SeekFrom};
        let path = self.dir.journal_path(role, op_id);
        let failed = |e: std::io::Error| StoreError::Unavailable {
            what: format!("journal {}", path.display()),
            reason: e.to_string(),
        };
        let mut file = std::fs::File::open(&path).map_err(failed)?;
        file.seek(SeekFrom::Start(offset)).map_err(failed)?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(failed)?;
        Ok(bytes)
    }

    async fn journals_of_role(&self, role: &str) -> Result<Vec<String>, StoreError> {
        Ok(Journal::of_role(&self.dir, role)
            .iter()
            .filter_map(|p| Some(p.file_stem()?.to_string_lossy().into_owned()))
            .collect())
    }

    async fn scan_journals(&self) -> Vec<Result<(Operation, Option<TornLine>), StoreError>> {
        Journal::scan(&self.dir)
            .into_iter()
            .map(|r| r.map_err(StoreError::from))
            .collect()
    }

    async fn load_drill(
        &self,
        role: &str,
        drill_id: &str,
    ) -> Result<(DrillRecord, RecordVersion), StoreError> {
        drill::load_versioned(&self.dir.drill_path(role, drill_id))
    }

    async fn drills(&self) -> Vec<(DrillRecord, RecordVersion)> {
        drill::load_all_versioned(&self.dir)
    }
}
