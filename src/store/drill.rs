//! Drill records on disk: `drills/<role>/<drill_id>.json`, one JSON document per drill,
//! replaced atomically (write a temporary file, fsync, rename, fsync the folder) after every
//! phase, so a reader sees the previous or the next phase, never half of one. The steps of each
//! leg are durable in that leg's operation journal; this file only says which legs ran, the hold
//! and the verdict. Owns reading and writing them; must not judge them.

use super::state_dir::StateDir;
use super::{Precondition, RecordVersion, StoreError};
use crate::core::drill::DrillRecord;
use std::io::Write;
use std::path::{Path, PathBuf};

const WHAT: &str = "drill record";

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        what: WHAT,
        path: path.to_path_buf(),
        source,
    }
}

/// The version of a stored record: a hash of its bytes, so it changes with every save that
/// changes anything (what an etag is to a blob).
pub fn version_of(bytes: &[u8]) -> RecordVersion {
    // FNV-1a: stable across builds and platforms, unlike `DefaultHasher`.
    let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    });
    RecordVersion(format!("{hash:016x}"))
}

/// Saves `record`, replacing the previous version atomically; returns its path.
pub fn save(dir: &StateDir, record: &DrillRecord) -> Result<PathBuf, StoreError> {
    save_versioned(dir, record).map(|(path, _)| path)
}

/// Saves `record` only when the stored one satisfies `condition`; returns the new version.
/// The check and the rename are not one atomic step on a local disk; the role lock (held by
/// the only writer of a drill) is what excludes a concurrent writer here.
pub fn save_if(
    dir: &StateDir,
    record: &DrillRecord,
    condition: &Precondition,
) -> Result<RecordVersion, StoreError> {
    let path = dir.drill_path(&record.role, &record.drill_id);
    let current = match std::fs::read(&path) {
        Ok(bytes) => Some(version_of(&bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(io(&path)(e)),
    };
    let ok = match (condition, &current) {
        (Precondition::Absent, None) => true,
        (Precondition::Matches(want), Some(have)) => want == have,
        (Precondition::Absent, Some(_)) | (Precondition::Matches(_), None) => false,
    };
    if !ok {
        return Err(StoreError::Conflict {
            what: format!("{WHAT} {}", path.display()),
            reason: format!(
                "expected {}, found {}",
                describe(condition),
                current.map_or("no record".to_owned(), |v| format!("version {}", v.0))
            ),
        });
    }
    save_versioned(dir, record).map(|(_, version)| version)
}

fn describe(condition: &Precondition) -> String {
    match condition {
        Precondition::Absent => "no record".to_owned(),
        Precondition::Matches(v) => format!("version {}", v.0),
    }
}

fn save_versioned(
    dir: &StateDir,
    record: &DrillRecord,
) -> Result<(PathBuf, RecordVersion), StoreError> {
    let folder = dir.drill_dir(&record.role);
    super::private::create_dir_all(&folder).map_err(io(&folder))?;
    let path = dir.drill_path(&record.role, &record.drill_id);
    let tmp = path.with_extension("json.tmp");
    let text = serde_json::to_vec_pretty(record).map_err(|e| StoreError::Corrupt {
        what: format!("{WHAT} {}", path.display()),
        reason: e.to_string(),
    })?;
    let mut file = super::private::options()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&tmp)
        .map_err(io(&tmp))?;
    file.write_all(&text).map_err(io(&tmp))?;
    file.sync_all().map_err(io(&tmp))?;
    std::fs::rename(&tmp, &path).map_err(io(&path))?;
    if let Ok(f) = std::fs::File::open(&folder) {
        let _ = f.sync_all();
    }
    Ok((path, version_of(&text)))
}

/// Reads one record.
pub fn load(path: &Path) -> Result<DrillRecord, StoreError> {
    load_versioned(path).map(|(record, _)| record)
}

/// Reads one record with its version.
pub fn load_versioned(path: &Path) -> Result<(DrillRecord, RecordVersion), StoreError> {
    let bytes = std::fs::read(path).map_err(io(path))?;
    let record = serde_json::from_slice(&bytes).map_err(|e| StoreError::Corrupt {
        what: format!("{WHAT} {}", path.display()),
        reason: e.to_string(),
    })?;
    Ok((record, version_of(&bytes)))
}

/// Every readable record under `drills/` with its version, oldest first; unreadable ones are
/// logged and skipped.
pub fn load_all_versioned(dir: &StateDir) -> Vec<(DrillRecord, RecordVersion)> {
    let mut records: Vec<_> = json_files(&dir.root().join("drills"))
        .into_iter()
        .filter_map(|p| match load_versioned(&p) {
            Ok(r) => Some(r),
            Err(e) => {
                tracing::warn!("{e}");
                None
            }
        })
        .collect();
    records.sort_by_key(|(r, _)| r.begun_at);
    records
}

/// Every readable record under `drills/`, oldest first; unreadable ones are logged and skipped.
pub fn load_all(dir: &StateDir) -> Vec<DrillRecord> {
    load_all_versioned(dir)
        .into_iter()
        .map(|(r, _)| r)
        .collect()
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
    fn a_save_on_a_stale_version_is_a_conflict() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = StateDir::new(tmp.path());
        let mut r = record("d1", "web", 0);
        let v1 = save_if(&dir, &r, &Precondition::Absent).unwrap();
        let again = save_if(&dir, &r, &Precondition::Absent).unwrap_err();
        assert!(matches!(again, StoreError::Conflict { .. }), "{again}");
        r.hold_secs = 20;
        let v2 = save_if(&dir, &r, &Precondition::Matches(v1.clone())).unwrap();
        assert_ne!(v1, v2);
        let stale = save_if(&dir, &r, &Precondition::Matches(v1)).unwrap_err();
        assert!(stale.to_string().contains("precondition failed"), "{stale}");
        let (loaded, version) = load_versioned(&dir.drill_path("web", "d1")).unwrap();
        assert_eq!((loaded.hold_secs, version), (20, v2));
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
