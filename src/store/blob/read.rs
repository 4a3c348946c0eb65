//! The read half of [`BlobStore`] ([`StoreRead`]): lock holders (one blob's properties, or
//! every lock with one `List Blobs` carrying metadata and lease state), journals (whole, or
//! a range from an offset) and drill records. Nothing here writes, so a wall display built on a
//! [`BlobStore`] that is never connected (`BlobStore::offline`) sends no write at all.

use async_trait::async_trait;
use azure_core::prelude::NextMarker;
use futures::StreamExt;

use super::call::with_retry;
use super::{io, journal, lock, meta, records, unavailable, BlobStore};
use crate::core::drill::DrillRecord;
use crate::core::operation::Operation;
use crate::store::journal::{Loaded, TornLine};
use crate::store::lock::{LockInfo, LockStatus};
use crate::store::read::{LockEntry, StoreRead};
use crate::store::{RecordVersion, StoreError};

/// The lock blobs' folder.
const LOCKS: &str = "locks/";

impl BlobStore {
    /// One page of `locks/` with metadata; the marker of the next page when there is one.
    async fn locks_page(
        &self,
        marker: Option<&str>,
    ) -> Result<(Vec<LockEntry>, Option<String>), StoreError> {
        let page = with_retry(|| {
            let mut list = self
                .container
                .list_blobs()
                .prefix(LOCKS.to_string())
                .include_metadata(true);
            if let Some(m) = marker {
                list = list.marker(NextMarker::new(m.to_string()));
            }
            async move {
                match list.into_stream().next().await {
                    Some(r) => r.map(Some),
                    None => Ok(None),
                }
            }
        })
        .await
        .map_err(|(f, _)| unavailable("listing the role locks", &f))?;
        let Some(page) = page else {
            return Ok((Vec::new(), None));
        };
        let entries = page
            .blobs
            .blobs()
            .filter_map(|b| {
                let role = b.name.strip_prefix(LOCKS)?.to_string();
                let held = matches!(
                    b.properties.lease_state,
                    Some(azure_core::LeaseState::Leased | azure_core::LeaseState::Breaking)
                );
                let (holder, _) = meta::parse_lock(&b.metadata.clone().unwrap_or_default());
                Some(LockEntry { role, holder, held })
            })
            .collect();
        Ok((entries, page.next_marker.map(|m| m.as_str().to_string())))
    }
}

#[async_trait]
impl StoreRead for BlobStore {
    async fn lock_holder(&self, role: &str) -> Result<Option<LockInfo>, StoreError> {
        Ok(match self.read_lock(role).await? {
            Some((info, _, true)) => Some(info.unwrap_or_else(|| LockInfo {
                who: "unknown".to_string(),
                host: "unknown".to_string(),
                pid: 0,
                since: time::OffsetDateTime::UNIX_EPOCH,
                op_id: None,
            })),
            Some((_, _, false)) | None => None,
        })
    }

    async fn lock_status(&self, role: &str) -> Result<Option<LockStatus>, StoreError> {
        lock::status(&self.blob(&meta::lock(role)), role).await
    }

    async fn list_locks(&self) -> Result<Vec<LockEntry>, StoreError> {
        // One call per 5,000 roles: a fleet's locks fit in the first page.
        let (mut out, mut marker) = self.locks_page(None).await?;
        while let Some(m) = marker {
            let (more, next) = self.locks_page(Some(&m)).await?;
            out.extend(more);
            marker = next;
        }
        Ok(out)
    }

    async fn load_journal(&self, role: &str, op_id: &str) -> Result<Loaded, StoreError> {
        let name = meta::journal(role, op_id);
        Ok(journal::load(&self.blob(&name), &name).await?.0)
    }

    async fn read_journal_from(
        &self,
        role: &str,
        op_id: &str,
        offset: u64,
    ) -> Result<Vec<u8>, StoreError> {
        let name = meta::journal(role, op_id);
        Ok(
            io::read_from(&self.blob(&name), offset, &format!("journal {name}"))
                .await?
                .0,
        )
    }

    async fn journals_of_role(&self, role: &str) -> Result<Vec<String>, StoreError> {
        let prefix = meta::journals_of(role);
        Ok(io::names_under(&self.container, &prefix)
            .await?
            .into_iter()
            .filter_map(|n| Some(n.strip_prefix(&prefix)?.strip_suffix(".jsonl")?.to_string()))
            .collect())
    }

    async fn scan_journals(&self) -> Vec<Result<(Operation, Option<TornLine>), StoreError>> {
        let names = match io::names_under(&self.container, "journals/").await {
            Ok(n) => n,
            Err(e) => return vec![Err(e)],
        };
        let mut out = Vec::new();
        for name in names.into_iter().filter(|n| n.ends_with(".jsonl")) {
            let scanned = journal::load(&self.blob(&name), &name)
                .await
                .and_then(|(loaded, _)| {
                    let op = loaded.operation()?;
                    Ok((op, loaded.torn))
                });
            out.push(scanned);
        }
        out
    }

    async fn load_drill(
        &self,
        role: &str,
        drill_id: &str,
    ) -> Result<(DrillRecord, RecordVersion), StoreError> {
        records::load_drill(self, &meta::drill(role, drill_id)).await
    }

    async fn drills(&self) -> Vec<(DrillRecord, RecordVersion)> {
        records::drills(self).await
    }
}
