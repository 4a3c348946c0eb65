//! An operation journal as an append blob, `journals/<role>/<op>.jsonl`: one event per line,
//! each line also carrying the writer's lock epoch, appended at a known byte position with
//! `x-ms-blob-condition-appendpos`, so a retried append can never write a line twice or skip
//! one.
//!
//! An append that was sent but not answered is retried at the same position; if the service
//! then says AppendPositionConditionNotMet, the tail is read back: our line there means the
//! first attempt landed, anything else is someone else's write (`Conflict`).

use async_trait::async_trait;
use azure_storage_blobs::prelude::BlobClient;
use std::path::PathBuf;

use super::call::with_retry;
use super::io::read_from;
use crate::core::operation::OpEvent;
use crate::store::journal::{Journal, JournalError, Loaded};
use crate::store::{JournalWriter, StoreError};

/// An open blob journal, appending.
#[derive(Debug)]
pub(crate) struct BlobJournal {
    blob: BlobClient,
    name: String,
    epoch: u64,
    events: u64,
    offset: u64,
}

impl BlobJournal {
    /// A writer after `events` events and `offset` bytes.
    pub fn at(blob: BlobClient, name: String, epoch: u64, events: u64, offset: u64) -> Self {
        BlobJournal {
            blob,
            name,
            epoch,
            events,
            offset,
        }
    }

    fn line(&self, event: &OpEvent) -> Result<Vec<u8>, StoreError> {
        let encode = |reason: String| {
            StoreError::Journal(JournalError::Encode {
                path: PathBuf::from(&self.name),
                reason,
            })
        };
        let mut value = serde_json::to_value(event).map_err(|e| encode(e.to_string()))?;
        if let Some(obj) = value.as_object_mut() {
            obj.insert("epoch".to_string(), self.epoch.into());
        }
        let mut line = serde_json::to_vec(&value).map_err(|e| encode(e.to_string()))?;
        line.push(b'\n');
        Ok(line)
    }
}

#[async_trait]
impl JournalWriter for BlobJournal {
    fn position(&self) -> u64 {
        self.events
    }

    async fn append(&mut self, event: &OpEvent) -> Result<u64, StoreError> {
        let line = self.line(event)?;
        let (blob, offset) = (&self.blob, self.offset);
        let answer = with_retry(|| {
            blob.append_block(line.clone())
                .condition_append_position(offset)
                .into_future()
        })
        .await;
        match answer {
            Ok(_) => {}
            Err((f, ambiguous)) if f.is(412, "AppendPositionConditionNotMet") => {
                let (tail, _) = read_from(&self.blob, offset, &self.name).await?;
                if !(ambiguous && tail.starts_with(&line)) {
                    return Err(StoreError::Conflict {
                        what: format!("journal {}", self.name),
                        reason: format!("{}: someone else appended at byte {offset}", f.describe()),
                    });
                }
                tracing::info!(journal = %self.name, "an unanswered append had landed");
            }
            Err((f, _)) => return Err(f.into_store(&format!("journal {}", self.name))),
        }
        self.offset += line.len() as u64;
        self.events += 1;
        Ok(self.events)
    }
}

/// Reads a whole journal blob: its events (a torn last line dropped and reported) and size.
pub(crate) async fn load(blob: &BlobClient, name: &str) -> Result<(Loaded, u64), StoreError> {
    let (bytes, etag) = read_from(blob, 0, &format!("journal {name}")).await?;
    if etag.is_none() && bytes.is_empty() {
        // 416 on an empty blob or a missing one: tell them apart.
        if let Err(e) = blob.get_properties().await {
            let f = super::call::Failure::of(&e);
            return Err(f.into_store(&format!("journal {name}")));
        }
    }
    let loaded = Journal::parse(&PathBuf::from(name), &bytes)?;
    Ok((loaded, bytes.len() as u64))
}
