//! Drill records on disk: `drills/<role>/<drill_id>.json`, one JSON document per drill,
//! replaced atomically (write a temporary file, fsync, rename, fsync the folder) after every
//! phase, so a reader sees the previous or the next phase, never half of one. The steps of each
//! leg are durable in that leg's operation journal; this file only says which legs ran, the hold
//! and the verdict. Owns reading and writing them; must not judge them.

use crate::core::drill::DrillRecord;
use crate::failover::StateDir;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Why a drill record could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The file system refused.
    #[error("drill record {path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not a drill record.
    #[error("drill record {path}: {reason}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// The decoder's reason.
        reason: String,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Saves `record`, replacing the previous version atomically; returns its path.
pub fn save(dir: &StateDir, record: &DrillRecord) -> Result<PathBuf, StoreError> {
    let folder = dir.drill_dir(&record.role);
    std::fs::create_dir_all(&folder).map_err(io(&folder))?;
    let path = dir.drill_path(&record.role, &record.drill_id);
    let tmp = path.with_extension("json.tmp");
    let text = serde_json::to_vec_pretty(record).map_err(|e| StoreError::Corrupt {
        path: path.clone(),
        reason: e.to_string(),
    })?;
    let mut file = std::fs::File::create(&tmp).map_err(io(&tmp))?;
    file.write_all(&text).map_err(io(&tmp))?;
    file.sync_all().map_err(io(&tmp))?;
    std::fs::rename(&tmp, &path).map_err(io(&path))?;
    if let Ok(f) = std::fs::File::open(&folder) {
        let _ = f.sync_all();
    }
    Ok(path)
}

/// Reads one record.
pub fn load(path: &Path) -> Result<DrillRecord, StoreError> {
    let bytes = std::fs::read(path).map_err(io(path))?;
    serde_json::from_slice(&bytes).map_err(|e| StoreError::Corrupt {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

/// Every readable record under `drills/`, oldest first; unreadable ones are logged and skipped.
pub fn load_all(dir: &StateDir) -> Vec<DrillRecord> {
    let mut records: Vec<DrillRecord> = json_files(&dir.root().join("drills"))
        .into_iter()
        .filter_map(|p| match load(&p) {
            Ok(r) => Some(r),
            Err(e) => {
                tracing::warn!("{e}");
                None
            }
        })
        .collect();
    records.sort_by_key(|r| r.begun_at);
    records
}

/// Records of drills that never finished (a crash or a stop mid-way), oldest first.
pub fn unfinished(dir: &StateDir) -> Vec<DrillRecord> {
    load_all(dir)
        .into_iter()
        .filter(|r| !r.is_finished())
        .collect()
}

fn json_files(root: &Path) -> Vec<PathBuf> {
    let Ok(roles) = std::fs::read_dir(root) else {
        return Vec::new();
    };
    roles
        .flatten()
        .filter_map(|role| std::fs::read_dir(role.path()).ok())
        .flat_map(|files| files.flatten().map(|f| f.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::OffsetDateTime;

    fn record(id: &str, role: &str, secs: i64) -> DrillRecord {
        DrillRecord {
            drill_id: id.into(),
            role: role.into(),
            from: "a".into(),
            to: "b".into(),
            operator: "alice".into(),
            begun_at: OffsetDateTime::UNIX_EPOCH + time::Duration::seconds(secs),
            hold_secs: 10,
            switch_back: true,
            rto_target_ms: 300_000,
            forced: None,
            legs: vec![],
            hold: None,
            comments: vec![],
            resumed: vec![],
            finished_at: None,
            verdict: None,
            stopped: None,
            reports: vec![],
        }
    }

    #[test]
    fn saves_replaces_and_lists_oldest_first() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = StateDir::new(tmp.path());
        save(&dir, &record("d2", "web", 20)).unwrap();
        let mut first = record("d1", "db", 10);
        let path = save(&dir, &first).unwrap();
        first.finished_at = Some(OffsetDateTime::UNIX_EPOCH);
        save(&dir, &first).unwrap();
        assert_eq!(load(&path).unwrap(), first);
        let ids: Vec<_> = load_all(&dir).into_iter().map(|r| r.drill_id).collect();
        assert_eq!(ids, ["d1", "d2"]);
        let open: Vec<_> = unfinished(&dir).into_iter().map(|r| r.drill_id).collect();
        assert_eq!(open, ["d2"]);
    }

    #[test]
    fn a_corrupt_record_is_skipped_and_named() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = StateDir::new(tmp.path());
        save(&dir, &record("d1", "web", 0)).unwrap();
        let bad = dir.drill_path("web", "bad");
        std::fs::write(&bad, "{not json").unwrap();
        assert_eq!(load_all(&dir).len(), 1);
        let err = load(&bad).unwrap_err().to_string();
        assert!(err.contains("bad.json"), "{err}");
    }
}
