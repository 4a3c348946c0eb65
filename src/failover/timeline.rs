//! Timeline export for postmortems: the newest operation of a role (running or finished),
//! replayed from its journal and written as Markdown (`core::report::
//! operation_timeline_markdown`: steps with times and durations, operator, comments, ARM
//! request ids, RTO against the target) to `timelines/<role>-<yyyymmddThhmmssZ>-<op8>.md` in
//! the state directory. Owns finding the operation and writing the file; must not format it.

use crate::core::operation::Operation;
use crate::core::report::operation_timeline_markdown;
use crate::store::{StoreExt, StoreRead};
use std::path::{Path, PathBuf};
use std::time::Duration;
use time::OffsetDateTime;

/// Why no timeline was written.
#[derive(Debug, thiserror::Error)]
pub enum TimelineError {
    /// The role has no readable journal.
    #[error("no operation of role {0} is recorded in this state directory")]
    NoOperation(String),
    /// The file could not be written.
    #[error("timeline {path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// The newest operation of `role` by its `Begun` time; unreadable journals are skipped.
pub async fn newest_operation(store: &dyn StoreRead, role: &str) -> Option<Operation> {
    store
        .operations_of_role(role)
        .await
        .into_iter()
        .max_by_key(|op| op.begun_at)
}

/// Writes the timeline of the newest operation of `role` in `store` into `folder` (created
/// 0700, the file 0600); returns the file written.
pub async fn export(
    store: &dyn StoreRead,
    folder: &Path,
    role: &str,
    rto_target: Duration,
    now: OffsetDateTime,
) -> Result<PathBuf, TimelineError> {
    let op = newest_operation(store, role)
        .await
        .ok_or_else(|| TimelineError::NoOperation(role.into()))?;
    let folder = folder.to_path_buf();
    let io = |path: &PathBuf| {
        let path = path.clone();
        move |source| TimelineError::Io { path, source }
    };
    crate::store::private::create_dir_all(&folder).map_err(io(&folder))?;
    let stamp = format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    );
    let short: String = op.op_id.chars().take(8).collect();
    let name = format!("{}-{stamp}-{short}.md", safe(&op.role));
    let path = folder.join(name);
    let mut text = format!(
        "# Timeline of {} {}\n\nExported by baton at {stamp}.\n\n",
        op.kind.as_str(),
        op.role
    );
    text.push_str(&operation_timeline_markdown(&op, rto_target));
    crate::store::private::write_file(&path, text.as_bytes()).map_err(io(&path))?;
    Ok(path)
}

fn safe(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::operation::{OpEvent, Outcome, PlannedStep};
    use crate::core::plan::{OperationKind, StepKind};
    use crate::store::journal::Journal;
    use crate::store::state_dir::StateDir;
    use crate::store::LocalStore;

    fn at(s: i64) -> OffsetDateTime {
        OffsetDateTime::UNIX_EPOCH + time::Duration::seconds(1_700_000_000 + s)
    }

    fn write_op(dir: &StateDir, op_id: &str, begun: i64, finished: bool) {
        let mut j = Journal::create(dir, "web", op_id).unwrap();
        j.append(&OpEvent::Begun {
            op_id: op_id.into(),
            role: "web".into(),
            kind: OperationKind::Switchover,
            from: Some("web-a".into()),
            to: "web-b".into(),
            operator: "alice".into(),
            at: at(begun),
            plan_steps: vec![PlannedStep {
                kind: StepKind::Commit,
                what: "commit".into(),
                concurrent_with: None,
            }],
            drill: None,
        })
        .unwrap();
        if finished {
            for ev in [
                OpEvent::StepStarted {
                    step: StepKind::Commit,
                    at: at(begun + 1),
                },
                OpEvent::StepDone {
                    step: StepKind::Commit,
                    at: at(begun + 2),
                    request_ids: vec!["req-42".into()],
                },
                OpEvent::Finished {
                    at: at(begun + 2),
                    outcome: Outcome::Succeeded,
                },
            ] {
                j.append(&ev).unwrap();
            }
        }
    }

    async fn export_of(dir: &StateDir, now: OffsetDateTime) -> Result<PathBuf, TimelineError> {
        let store = LocalStore::new(dir.clone());
        export(
            &store,
            &dir.timelines(),
            "web",
            Duration::from_secs(300),
            now,
        )
        .await
    }

    #[tokio::test]
    async fn writes_the_newest_operation_of_the_role() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = StateDir::new(tmp.path());
        write_op(&dir, "aaaa1111-old", 0, true);
        write_op(&dir, "bbbb2222-new", 100, true);
        let path = export_of(&dir, at(200)).await.unwrap();
        assert!(path.starts_with(tmp.path().join("timelines")));
        assert!(path.to_string_lossy().ends_with("-bbbb2222.md"), "{path:?}");
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("# Timeline of switchover web"), "{text}");
        assert!(text.contains("req-42"), "{text}");
        assert!(text.contains("alice"), "{text}");
    }

    #[tokio::test]
    async fn a_running_operation_is_exported_and_no_operation_is_an_error() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = StateDir::new(tmp.path());
        let err = export_of(&dir, at(0)).await.unwrap_err();
        assert!(
            err.to_string().contains("no operation of role web"),
            "{err}"
        );
        write_op(&dir, "cccc3333-run", 0, false);
        let path = export_of(&dir, at(10)).await.unwrap();
        assert!(std::fs::read_to_string(path).unwrap().contains("web-b"));
    }
}
