//! Drill records (block blobs `drills/<role>/<id>.json`, saved with If-None-Match / If-Match
//! on their etag) and the audit (one append blob per UTC day, `audit/YYYY-MM-DD.jsonl`, safe
//! with many writers: each record is one whole appended block).

use azure_core::prelude::IfMatchCondition;

use super::call::with_retry;
use super::io::{create_append, names_under, put_if, read_from};
use super::{meta, BlobStore};
use crate::core::drill::DrillRecord;
use crate::store::audit::AuditRecord;
use crate::store::{Precondition, RecordVersion, StoreError};

/// Saves a drill record under `condition`; returns its new etag.
pub(crate) async fn save_drill(
    store: &BlobStore,
    record: &DrillRecord,
    condition: &Precondition,
) -> Result<RecordVersion, StoreError> {
    let name = meta::drill(&record.role, &record.drill_id);
    let what = format!("drill record {name}");
    let bytes = serde_json::to_vec_pretty(record).map_err(|e| StoreError::Corrupt {
        what: what.clone(),
        reason: e.to_string(),
    })?;
    let condition = match condition {
        Precondition::Absent => IfMatchCondition::NotMatch("*".to_string()),
        Precondition::Matches(v) => IfMatchCondition::Match(v.0.clone()),
    };
    put_if(&store.blob(&name), bytes, condition, &what)
        .await
        .map(RecordVersion)
}

/// Reads one drill record with its etag.
pub(crate) async fn load_drill(
    store: &BlobStore,
    name: &str,
) -> Result<(DrillRecord, RecordVersion), StoreError> {
    let what = format!("drill record {name}");
    let (bytes, etag) = read_from(&store.blob(name), 0, &what).await?;
    let Some(etag) = etag else {
        return Err(StoreError::NotFound(what));
    };
    let record = serde_json::from_slice(&bytes).map_err(|e| StoreError::Corrupt {
        what,
        reason: e.to_string(),
    })?;
    Ok((record, RecordVersion(etag)))
}

/// Every readable drill record, oldest first; unreadable ones are logged and left out.
pub(crate) async fn drills(store: &BlobStore) -> Vec<(DrillRecord, RecordVersion)> {
    let names = match names_under(&store.container, "drills/").await {
        Ok(n) => n,
        Err(e) => {
            tracing::warn!("{e}");
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    for name in names.iter().filter(|n| n.ends_with(".json")) {
        match load_drill(store, name).await {
            Ok(r) => out.push(r),
            Err(e) => tracing::warn!("{e}"),
        }
    }
    out.sort_by_key(|(r, _)| r.begun_at);
    out
}

/// Appends one audit record to the day's blob, creating it on the first record of the day.
/// A retried append after an unanswered one may store the record twice (at least once:
/// losing an audit record is worse than repeating one).
pub(crate) async fn append_audit(
    store: &BlobStore,
    record: &AuditRecord<'_>,
) -> Result<(), StoreError> {
    let name = meta::audit(record.at);
    let what = format!("audit log {name}");
    let mut line = serde_json::to_vec(record).map_err(|e| StoreError::Corrupt {
        what: what.clone(),
        reason: e.to_string(),
    })?;
    line.push(b'\n');
    let blob = store.blob(&name);
    for _ in 0..2 {
        match with_retry(|| blob.append_block(line.clone()).into_future()).await {
            Ok(_) => return Ok(()),
            Err((f, _)) if f.is(404, "BlobNotFound") => {
                create_append(&blob, &what).await?;
            }
            Err((f, _)) => return Err(f.into_store(&what)),
        }
    }
    Err(StoreError::NotFound(what))
}
