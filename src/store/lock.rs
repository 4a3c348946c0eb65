//! The per-role lock: an exclusive, non-blocking `flock` on `locks/<role>.lock`, with the
//! holder's details (user, host, pid, since, operation id) written into the file for whoever
//! loses. Owns taking, describing and releasing it; must not decide what to do when it is held.
//!
//! Why `flock`: the kernel releases it when the holding process dies (SIGKILL, power loss of
//! the SSH session's shell), so a crashed baton never leaves a stale lock behind, and a resume
//! from any other baton on the host can take it at once. The lock is per open file: two
//! executors in one process exclude each other as two processes do. It is a *host-local*
//! lock; batons on different hosts sharing a role need a shared one (a blob lease, to come).

use super::operator::Operator;
use super::state_dir::StateDir;
use crate::core::plan::LockHolder;
use rustix::fs::{flock, FlockOperation};
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Who holds a role lock, as written into the lock file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockInfo {
    /// Operator (user name).
    pub who: String,
    /// Host name.
    pub host: String,
    /// Process id of the holding baton.
    pub pid: u32,
    /// When it was taken.
    #[serde(with = "time::serde::rfc3339")]
    pub since: OffsetDateTime,
    /// The operation it runs, once known.
    #[serde(default)]
    pub op_id: Option<String>,
}

impl LockInfo {
    /// The holder as the plan's `Locked` blocker wants it.
    pub fn holder(&self) -> LockHolder {
        LockHolder {
            who: self.who.clone(),
            host: self.host.clone(),
            since: self.since,
        }
    }
}

/// A role lock as the store shows it, for an operator deciding whether to break it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockStatus {
    /// The holder as last written into the lock (the last one, when the lock is free now).
    pub holder: Option<LockInfo>,
    /// The holder's epoch (0 for a lock that never had one: `flock`).
    pub epoch: u64,
    /// The lease state as the service says it (`leased`, `expired`, `broken`, `breaking`,
    /// `available`), or `flock` for a host-local lock.
    pub lease: String,
    /// True while someone holds it.
    pub held: bool,
    /// When the lock blob was last written (taking the lock or naming its operation; Azure
    /// does not record renews), if the backend knows.
    pub last_written: Option<OffsetDateTime>,
}

impl LockStatus {
    /// A held host-local lock: what `flock` can say.
    pub fn flock(holder: LockInfo) -> LockStatus {
        LockStatus {
            holder: Some(holder),
            epoch: 0,
            lease: "flock".to_string(),
            held: true,
            last_written: None,
        }
    }
}

/// Why the lock was not taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Someone else holds it.
    #[error("role {role} is locked by {who} on {host} (pid {pid}) since {}{}", rfc3339(*.since), .op_id.as_ref().map(|o| format!(", operation {o}")).unwrap_or_default())]
    Held {
        /// The role.
        role: String,
        /// Operator holding it.
        who: String,
        /// Their host.
        host: String,
        /// Their process id.
        pid: u32,
        /// Since when.
        since: OffsetDateTime,
        /// The operation they run, if known.
        op_id: Option<String>,
    },
    /// The lock file could not be opened or written.
    #[error("lock file {path}: {source}")]
    Io {
        /// The lock file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

impl LockError {
    /// The holder for `PlanInput.lock`, when the lock is held by someone else.
    pub fn holder(&self) -> Option<LockHolder> {
        match self {
            LockError::Held {
                who, host, since, ..
            } => Some(LockHolder {
                who: who.clone(),
                host: host.clone(),
                since: *since,
            }),
            LockError::Io { .. } => None,
        }
    }
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_else(|_| t.to_string())
}

/// A held role lock; released when dropped (or by the OS when the process dies).
#[derive(Debug)]
pub struct RoleLock {
    file: File,
    path: PathBuf,
    info: LockInfo,
}

impl RoleLock {
    /// Takes the role's lock without waiting; `LockError::Held` names the holder.
    pub fn acquire(
        dir: &StateDir,
        role: &str,
        operator: &Operator,
        op_id: Option<&str>,
    ) -> Result<RoleLock, LockError> {
        let path = dir.lock_path(role);
        let mut file = open(&path)?;
        if flock(&file, FlockOperation::NonBlockingLockExclusive).is_err() {
            return Err(held(role, wait_for_info(&mut file)));
        }
        let info = LockInfo {
            who: operator.user.clone(),
            host: operator.host.clone(),
            pid: std::process::id(),
            since: OffsetDateTime::now_utc(),
            op_id: op_id.map(str::to_owned),
        };
        write_info(&mut file, &info).map_err(|source| LockError::Io {
            path: path.clone(),
            source,
        })?;
        Ok(RoleLock { file, path, info })
    }

    /// Who holds the role's lock now (someone else, or this process through another handle);
    /// `None` when it is free. Never takes it for longer than the check.
    pub fn holder(dir: &StateDir, role: &str) -> Result<Option<LockInfo>, LockError> {
        let path = dir.lock_path(role);
        let mut file = open(&path)?;
        if flock(&file, FlockOperation::NonBlockingLockExclusive).is_ok() {
            let _ = flock(&file, FlockOperation::Unlock);
            return Ok(None);
        }
        Ok(Some(
            wait_for_info(&mut file).unwrap_or_else(unknown_holder),
        ))
    }

    /// The details written into the lock file.
    pub fn info(&self) -> &LockInfo {
        &self.info
    }

    /// Records the operation the holder now runs.
    pub fn set_op(&mut self, op_id: &str) -> Result<(), LockError> {
        self.info.op_id = Some(op_id.to_owned());
        write_info(&mut self.file, &self.info).map_err(|source| LockError::Io {
            path: self.path.clone(),
            source,
        })
    }
}

#[async_trait::async_trait]
impl super::LockGuard for RoleLock {
    fn info(&self) -> &LockInfo {
        &self.info
    }

    async fn set_op(&mut self, op_id: &str) -> Result<(), super::StoreError> {
        RoleLock::set_op(self, op_id).map_err(Into::into)
    }

    fn is_held(&self) -> bool {
        // The kernel holds a flock until the file is closed or the process dies.
        true
    }

    fn watch(&self) -> super::LeaseWatch {
        super::LeaseWatch::always()
    }

    async fn release(self: Box<Self>) -> Result<(), super::StoreError> {
        drop(self);
        Ok(())
    }
}

impl Drop for RoleLock {
    fn drop(&mut self) {
        // Still holding the lock: nobody reads a half-cleared file. Closing the file unlocks.
        let _ = self.file.set_len(0);
        let _ = flock(&self.file, FlockOperation::Unlock);
    }
}

fn open(path: &Path) -> Result<File, LockError> {
    let err = |source| LockError::Io {
        path: path.to_path_buf(),
        source,
    };
    if let Some(parent) = path.parent() {
        super::private::create_dir_all(parent).map_err(err)?;
    }
    super::private::options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(err)
}

/// Overwrites in place and truncates afterwards, so a reader never finds the file empty while
/// it is held (at worst it sees a torn record, which `wait_for_info` reads again).
fn write_info(file: &mut File, info: &LockInfo) -> std::io::Result<()> {
    let mut text = serde_json::to_string(info).map_err(std::io::Error::other)?;
    text.push('\n');
    file.seek(SeekFrom::Start(0))?;
    file.write_all(text.as_bytes())?;
    file.set_len(text.len() as u64)?;
    file.sync_data()
}

/// How long a loser waits for the winner to write its details: the winner writes them right
/// after `flock` returns, so this only bridges that instant (seen in CI: two batons started
/// together, the loser read the file before the winner had written it).
const INFO_WAIT: std::time::Duration = std::time::Duration::from_millis(1500);
const INFO_POLL: std::time::Duration = std::time::Duration::from_millis(20);

/// The holder's details, reading again briefly while they are missing or torn.
fn wait_for_info(file: &mut File) -> Option<LockInfo> {
    let deadline = std::time::Instant::now() + INFO_WAIT;
    loop {
        if let Some(info) = read_info(file) {
            return Some(info);
        }
        if std::time::Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(INFO_POLL);
    }
}

/// The holder's details; `None` while the holder has not written them yet.
fn read_info(file: &mut File) -> Option<LockInfo> {
    let mut text = String::new();
    file.seek(SeekFrom::Start(0)).ok()?;
    file.read_to_string(&mut text).ok()?;
    serde_json::from_str(text.trim()).ok()
}

fn unknown_holder() -> LockInfo {
    LockInfo {
        who: "unknown".into(),
        host: "unknown".into(),
        pid: 0,
        since: OffsetDateTime::now_utc(),
        op_id: None,
    }
}

/// The `Held` error naming `info` (an unknown holder when it could not be read).
pub(crate) fn held(role: &str, info: Option<LockInfo>) -> LockError {
    let info = info.unwrap_or_else(unknown_holder);
    LockError::Held {
        role: role.to_owned(),
        who: info.who,
        host: info.host,
        pid: info.pid,
        since: info.since,
        op_id: info.op_id,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(user: &str) -> Operator {
        Operator::named(user, "h1")
    }

    #[test]
    fn second_taker_learns_the_holder_and_drop_releases() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = StateDir::new(tmp.path());
        assert!(RoleLock::holder(&dir, "web").unwrap().is_none());
        let mut first = RoleLock::acquire(&dir, "web", &op("alice"), None).unwrap();
        first.set_op("op-7").unwrap();
        let err = RoleLock::acquire(&dir, "web", &op("bob"), None).unwrap_err();
        match &err {
            LockError::Held {
                who,
                host,
                pid,
                op_id,
                ..
            } => {
                assert_eq!(who, "alice");
                assert_eq!(host, "h1");
                assert_eq!(*pid, std::process::id());
                assert_eq!(op_id.as_deref(), Some("op-7"));
            }
            other => panic!("{other:?}"),
        }
        assert!(err.to_string().contains("locked by alice on h1"));
        assert_eq!(err.holder().unwrap().who, "alice");
        assert_eq!(RoleLock::holder(&dir, "web").unwrap().unwrap().who, "alice");
        // Another role is independent.
        let _app = RoleLock::acquire(&dir, "app", &op("bob"), None).unwrap();
        drop(first);
        assert!(RoleLock::holder(&dir, "web").unwrap().is_none());
        let again = RoleLock::acquire(&dir, "web", &op("bob"), None).unwrap();
        assert_eq!(again.info().who, "bob");
    }

    #[test]
    fn loser_waits_for_a_winner_that_has_not_written_its_details_yet() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = StateDir::new(tmp.path());
        let path = dir.lock_path("app");
        // The winner's instant between `flock` and writing its details, stretched to 200 ms.
        let mut winner = open(&path).unwrap();
        flock(&winner, FlockOperation::NonBlockingLockExclusive).unwrap();
        let writer = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(200));
            let info = LockInfo {
                who: "carol".into(),
                host: "h2".into(),
                pid: 42,
                since: OffsetDateTime::now_utc(),
                op_id: None,
            };
            write_info(&mut winner, &info).unwrap();
            winner
        });
        let err = RoleLock::acquire(&dir, "app", &op("dave"), None).unwrap_err();
        assert!(
            err.to_string().contains("locked by carol on h2 (pid 42)"),
            "{err}"
        );
        drop(writer.join().unwrap());
    }

    #[test]
    fn rewriting_details_never_leaves_a_longer_stale_tail() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = StateDir::new(tmp.path());
        let mut lock =
            RoleLock::acquire(&dir, "db", &op("erin"), Some("a-very-long-op-id")).unwrap();
        lock.set_op("op-1").unwrap();
        let text = std::fs::read_to_string(dir.lock_path("db")).unwrap();
        let info: LockInfo = serde_json::from_str(text.trim()).unwrap();
        assert_eq!(info.op_id.as_deref(), Some("op-1"));
        assert!(text.ends_with("}\n"), "{text:?}");
    }
}
