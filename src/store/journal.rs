//! The durable journal of one operation: `journal/<role>/<op_id>.jsonl`, one
//! `core::operation::OpEvent` per line, append-only. Every record is written, flushed and
//! fsynced before `append` returns, so the executor never acts on a step the journal does not
//! know about. Owns reading and writing these files; must not decide what an event means (that
//! is `Operation::apply`).
//!
//! A crash in the middle of a write leaves a *torn* last line (no newline, or not JSON). Reading
//! tolerates it: the line is dropped and reported ([`Loaded::torn`]); reopening for append cuts
//! the file back to the last complete line so the next record starts on a line of its own.

use super::state_dir::StateDir;
use crate::core::operation::{OpEvent, Operation, Outcome, TransitionError};
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use time::OffsetDateTime;

/// Why a journal could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// The file system refused.
    #[error("journal {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A complete line (not the last) is not an event.
    #[error("journal {path}, line {line}: not an event: {reason}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// The decoder's reason.
        reason: String,
    },
    /// The events do not replay into an operation.
    #[error("journal {path}: {source}")]
    Replay {
        /// The file.
        path: PathBuf,
        /// The illegal transition.
        source: TransitionError,
    },
    /// An event could not be encoded.
    #[error("journal {path}: cannot encode an event: {reason}")]
    Encode {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> JournalError + '_ {
    move |source| JournalError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// A torn last line, dropped when reading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TornLine {
    /// 1-based line number.
    pub line: usize,
    /// Byte offset where it starts (the file is cut back to this on reopen).
    pub offset: u64,
    /// Its length in bytes.
    pub len: usize,
}

/// A journal as read from disk.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The file.
    pub path: PathBuf,
    /// Every complete event, in order.
    pub events: Vec<OpEvent>,
    /// The torn last line, if the writer died in the middle of it.
    pub torn: Option<TornLine>,
}

impl Loaded {
    /// Replays the events into an operation.
    pub fn operation(&self) -> Result<Operation, JournalError> {
        Operation::replay(&self.events).map_err(|source| JournalError::Replay {
            path: self.path.clone(),
            source,
        })
    }
}

/// An open journal, appending.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    file: File,
    /// Events in the file: where the next append goes.
    position: u64,
}

impl Journal {
    /// Creates the journal of a new operation (fails if it exists).
    pub fn create(dir: &StateDir, role: &str, op_id: &str) -> Result<Journal, JournalError> {
        let folder = dir.journal_dir(role);
        super::private::create_dir_all(&folder).map_err(io(&folder))?;
        let path = dir.journal_path(role, op_id);
        let file = super::private::options()
            .create_new(true)
            .append(true)
            .open(&path)
            .map_err(io(&path))?;
        sync_dir(&folder);
        Ok(Journal {
            path,
            file,
            position: 0,
        })
    }

    /// Reopens an existing journal for appending, cutting a torn last line off first.
    pub fn reopen(dir: &StateDir, role: &str, op_id: &str) -> Result<Journal, JournalError> {
        Journal::reopen_loaded(dir, role, op_id).map(|(journal, _)| journal)
    }

    /// Like [`Journal::reopen`], also returning what the journal holds.
    pub fn reopen_loaded(
        dir: &StateDir,
        role: &str,
        op_id: &str,
    ) -> Result<(Journal, Loaded), JournalError> {
        let path = dir.journal_path(role, op_id);
        let loaded = Journal::load(&path)?;
        let file = OpenOptions::new()
            .append(true)
            .open(&path)
            .map_err(io(&path))?;
        if let Some(torn) = &loaded.torn {
            tracing::warn!(path = %path.display(), line = torn.line, "cutting a torn journal line");
            file.set_len(torn.offset).map_err(io(&path))?;
            file.sync_all().map_err(io(&path))?;
        }
        let position = loaded.events.len() as u64;
        Ok((
            Journal {
                path,
                file,
                position,
            },
            loaded,
        ))
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one event as a line; returns once it is on disk (written, flushed, fsynced).
    pub fn append(&mut self, event: &OpEvent) -> Result<(), JournalError> {
        let mut line = serde_json::to_vec(event).map_err(|e| JournalError::Encode {
            path: self.path.clone(),
            reason: e.to_string(),
        })?;
        line.push(b'\n');
        self.file.write_all(&line).map_err(io(&self.path))?;
        self.file.flush().map_err(io(&self.path))?;
        self.file.sync_data().map_err(io(&self.path))?;
        self.position += 1;
        Ok(())
    }

    /// Events in the journal: where the next append goes.
    pub fn position(&self) -> u64 {
        self.position
    }

    /// Reads a journal; a torn last line is dropped and reported, any other bad line is an error.
    pub fn load(path: &Path) -> Result<Loaded, JournalError> {
        let mut bytes = Vec::new();
        File::open(path)
            .and_then(|mut f| f.read_to_end(&mut bytes))
            .map_err(io(path))?;
        Journal::parse(path, &bytes)
    }

    /// Reads a journal's bytes (named `path` in errors): a torn last line is dropped and
    /// reported, any other bad line is an error. Shared by every backend.
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<Loaded, JournalError> {
        let mut events = Vec::new();
        let mut torn = None;
        let mut offset = 0usize;
        let mut number = 0usize;
        while offset < bytes.len() {
            number += 1;
            let rest = &bytes[offset..];
            let (line, complete) = match rest.iter().position(|b| *b == b'\n') {
                Some(end) => (&rest[..end], true),
                None => (rest, false),
            };
            let next = offset + line.len() + usize::from(complete);
            let is_last = next >= bytes.len();
            if line.iter().all(u8::is_ascii_whitespace) {
                offset = next;
                continue;
            }
            // A line without its newline runs to the end of the file, so it is always the last.
            match serde_json::from_slice::<OpEvent>(line) {
                Ok(ev) if complete => events.push(ev),
                Err(e) if !is_last => {
                    return Err(JournalError::Corrupt {
                        path: path.to_path_buf(),
                        line: number,
                        reason: e.to_string(),
                    })
                }
                _ => {
                    torn = Some(TornLine {
                        line: number,
                        offset: offset as u64,
                        len: line.len(),
                    });
                }
            }
            offset = next;
        }
        Ok(Loaded {
            path: path.to_path_buf(),
            events,
            torn,
        })
    }

    /// Every journal of every role, oldest file name first; unreadable directories are skipped.
    pub fn all(dir: &StateDir) -> Vec<PathBuf> {
        let mut out = Vec::new();
        let Ok(roles) = std::fs::read_dir(dir.journals()) else {
            return out;
        };
        for role in roles.flatten() {
            out.extend(journal_files(&role.path()));
        }
        out.sort();
        out
    }

    /// The journals of one role.
    pub fn of_role(dir: &StateDir, role: &str) -> Vec<PathBuf> {
        let mut out = journal_files(&dir.journal_dir(role));
        out.sort();
        out
    }

    /// Every operation whose journal has no `Finished`, replayed. A torn last line is reported
    /// (log warning) and tolerated; a journal that cannot be read or replayed is reported and
    /// skipped, so one bad file never hides the others.
    pub fn open_interrupted(dir: &StateDir) -> Vec<Operation> {
        unfinished(Journal::scan(dir))
    }

    /// Every journal replayed, with its torn line if any, or why it could not be.
    pub fn scan(dir: &StateDir) -> Vec<Result<(Operation, Option<TornLine>), JournalError>> {
        Journal::all(dir)
            .iter()
            .map(|p| {
                let loaded = Journal::load(p)?;
                Ok((loaded.operation()?, loaded.torn))
            })
            .collect()
    }

    /// The latest `Finished` of the role's operations that moved it (succeeded or rolled back).
    pub fn last_move(dir: &StateDir, role: &str) -> Option<OffsetDateTime> {
        Journal::of_role(dir, role)
            .iter()
            .filter_map(|p| Journal::load(p).ok())
            .flat_map(|l| l.events.into_iter())
            .filter_map(|ev| match ev {
                OpEvent::Finished {
                    at,
                    outcome: Outcome::Succeeded | Outcome::RolledBack,
                } => Some(at),
                _ => None,
            })
            .max()
    }
}

#[async_trait::async_trait]
impl super::JournalWriter for Journal {
    fn position(&self) -> u64 {
        self.position
    }

    async fn append(&mut self, event: &OpEvent) -> Result<u64, super::StoreError> {
        Journal::append(self, event)?;
        Ok(self.position)
    }
}

fn journal_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect()
}

/// Makes a new directory entry durable; best effort (not every file system supports it).
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// The unfinished operations among replayed journals. A torn last line is logged and tolerated;
/// a journal that could not be read is logged and skipped, so one bad file never hides the
/// others. Shared by every backend (`StoreExt::unfinished_operations`).
pub(crate) fn unfinished<E: std::fmt::Display>(
    scans: Vec<Result<(Operation, Option<TornLine>), E>>,
) -> Vec<Operation> {
    scans
        .into_iter()
        .filter_map(|scan| match scan {
            Ok((op, torn)) => {
                if let Some(t) = torn {
                    tracing::warn!(op = %op.op_id, line = t.line, "journal ends in a torn line");
                }
                (!op.is_finished()).then_some(op)
            }
            Err(e) => {
                tracing::warn!(error = %e, "journal skipped");
                None
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::operation::PlannedStep;
    use crate::core::plan::{OperationKind, StepKind};

    fn begun() -> OpEvent {
        OpEvent::Begun {
            op_id: "op1".into(),
            role: "web".into(),
            kind: OperationKind::Switchover,
            from: Some("web-a".into()),
            to: "web-b".into(),
            operator: "alice".into(),
            at: OffsetDateTime::UNIX_EPOCH,
            plan_steps: vec![PlannedStep {
                kind: StepKind::Commit,
                what: "commit".into(),
                concurrent_with: None,
            }],
            drill: None,
        }
    }

    #[test]
    fn torn_line_is_reported_then_cut_on_reopen() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = StateDir::new(tmp.path());
        let mut j = Journal::create(&dir, "web", "op1").unwrap();
        j.append(&begun()).unwrap();
        drop(j);
        let path = dir.journal_path("web", "op1");
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(b"{\"event\":\"step_sta").unwrap();
        drop(f);
        let loaded = Journal::load(&path).unwrap();
        assert_eq!(loaded.events.len(), 1);
        assert_eq!(loaded.torn.as_ref().map(|t| t.line), Some(2));
        assert_eq!(Journal::open_interrupted(&dir).len(), 1);

        let mut j = Journal::reopen(&dir, "web", "op1").unwrap();
        // The torn line is not an event: the next append goes at position 1.
        assert_eq!(j.position(), 1);
        j.append(&OpEvent::StepStarted {
            step: StepKind::Commit,
            at: OffsetDateTime::UNIX_EPOCH,
        })
        .unwrap();
        assert_eq!(j.position(), 2);
        let loaded = Journal::load(&path).unwrap();
        assert!(loaded.torn.is_none());
        assert_eq!(loaded.events.len(), 2);
        assert_eq!(
            loaded.operation().unwrap().running_steps(),
            vec![StepKind::Commit]
        );
    }

    #[test]
    fn a_bad_line_in_the_middle_is_corruption() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("x.jsonl");
        let good = serde_json::to_string(&begun()).unwrap();
        std::fs::write(&path, format!("{good}\nnot json\n{good}\n")).unwrap();
        assert!(matches!(
            Journal::load(&path),
            Err(JournalError::Corrupt { line: 2, .. })
        ));
    }

    #[test]
    fn last_move_reads_finished_events() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = StateDir::new(tmp.path());
        assert!(Journal::last_move(&dir, "web").is_none());
        let mut j = Journal::create(&dir, "web", "op1").unwrap();
        j.append(&begun()).unwrap();
        for ev in [
            OpEvent::StepStarted {
                step: StepKind::Commit,
                at: OffsetDateTime::UNIX_EPOCH,
            },
            OpEvent::StepDone {
                step: StepKind::Commit,
                at: OffsetDateTime::UNIX_EPOCH,
                request_ids: vec![],
            },
            OpEvent::Finished {
                at: OffsetDateTime::UNIX_EPOCH + time::Duration::hours(1),
                outcome: Outcome::Succeeded,
            },
        ] {
            j.append(&ev).unwrap();
        }
        assert_eq!(
            Journal::last_move(&dir, "WEB"),
            Some(OffsetDateTime::UNIX_EPOCH + time::Duration::hours(1))
        );
        assert!(Journal::open_interrupted(&dir).is_empty());
    }
}
