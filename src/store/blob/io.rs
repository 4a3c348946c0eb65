//! The few blob calls the store is made of, each retried by `call` and mapped to a
//! [`StoreError`]: read a whole blob (or its tail), list names under a prefix, create
//! if absent, write a block blob under a condition.
//!
//! Writes retried after an unanswered attempt are resolved by reading back, never by trusting
//! the second answer alone.

use azure_core::prelude::IfMatchCondition;
use azure_storage_blobs::prelude::{BlobClient, ContainerClient};
use futures::StreamExt;

use super::call::{with_retry, Failure};
use crate::store::StoreError;

/// A blob's bytes from `offset` on, and its etag; an empty blob (or nothing past `offset`)
/// is empty bytes, which Azure answers with 416.
pub(crate) async fn read_from(
    blob: &BlobClient,
    offset: u64,
    what: &str,
) -> Result<(Vec<u8>, Option<String>), StoreError> {
    let mut out = Vec::new();
    let mut etag = None;
    let mut pages = blob.get().range(offset..).into_stream();
    loop {
        // One page per chunk; each page's call is retried on its own by re-reading it.
        match pages.next().await {
            None => return Ok((out, etag)),
            Some(Ok(page)) => {
                etag = Some(page.blob.properties.etag.to_string());
                let bytes = page
                    .data
                    .collect()
                    .await
                    .map_err(|e| Failure::of(&e).into_store(what))?;
                out.extend_from_slice(&bytes);
            }
            Some(Err(e)) => {
                let f = Failure::of(&e);
                if f.status == Some(416) {
                    return Ok((out, etag));
                }
                if f.transient() && out.is_empty() {
                    // Retry the whole read once through the retrying path.
                    return read_retrying(blob, offset, what).await;
                }
                return Err(f.into_store(what));
            }
        }
    }
}

async fn read_retrying(
    blob: &BlobClient,
    offset: u64,
    what: &str,
) -> Result<(Vec<u8>, Option<String>), StoreError> {
    let answer = with_retry(|| async {
        let mut pages = blob.get().range(offset..).into_stream();
        let mut out = Vec::new();
        let mut etag = None;
        while let Some(page) = pages.next().await {
            let page = page?;
            etag = Some(page.blob.properties.etag.to_string());
            out.extend_from_slice(&page.data.collect().await?);
        }
        Ok((out, etag))
    })
    .await;
    match answer {
        Ok(v) => Ok(v),
        Err((f, _)) if f.status == Some(416) => Ok((Vec::new(), None)),
        Err((f, _)) => Err(f.into_store(what)),
    }
}

/// The names of the blobs under `prefix`, in name order (one List Blobs per 5,000).
pub(crate) async fn names_under(
    container: &ContainerClient,
    prefix: &str,
) -> Result<Vec<String>, StoreError> {
    let mut names = Vec::new();
    let mut marker = None;
    loop {
        let page = with_retry(|| {
            let mut b = container.list_blobs().prefix(prefix.to_string());
            if let Some(m) = &marker {
                b = b.marker(azure_core::prelude::NextMarker::new(String::clone(m)));
            }
            async move {
                match b.into_stream().next().await {
                    Some(r) => r.map(Some),
                    None => Ok(None),
                }
            }
        })
        .await
        .map_err(|(f, _)| f.into_store(&format!("listing {prefix}")))?;
        let Some(page) = page else {
            return Ok(names);
        };
        names.extend(page.blobs.blobs().map(|b| b.name.clone()));
        match page.next_marker {
            Some(m) => marker = Some(m.as_str().to_string()),
            None => return Ok(names),
        }
    }
}

/// Creates an empty append blob unless it exists; `Ok(true)` when this call created it.
pub(crate) async fn create_append(blob: &BlobClient, what: &str) -> Result<bool, StoreError> {
    let answer = with_retry(|| {
        blob.put_append_blob()
            .if_match(IfMatchCondition::NotMatch("*".to_string()))
            .into_future()
    })
    .await;
    match answer {
        Ok(_) => Ok(true),
        // An unanswered first attempt may be what created it: empty means it is ours.
        Err((f, true)) if f.is(409, "BlobAlreadyExists") => {
            let (bytes, _) = read_from(blob, 0, what).await?;
            Ok(bytes.is_empty())
        }
        Err((f, false)) if f.is(409, "BlobAlreadyExists") => Ok(false),
        Err((f, _)) => Err(f.into_store(what)),
    }
}

/// Writes a block blob under `condition`; returns the new etag. A precondition failure after
/// an unanswered attempt is resolved by reading back: if the stored bytes are ours, it landed.
pub(crate) async fn put_if(
    blob: &BlobClient,
    bytes: Vec<u8>,
    condition: IfMatchCondition,
    what: &str,
) -> Result<String, StoreError> {
    let answer = with_retry(|| {
        blob.put_block_blob(bytes.clone())
            .if_match(condition.clone())
            .into_future()
    })
    .await;
    match answer {
        Ok(r) => Ok(r.etag.to_string()),
        Err((f, true)) if matches!(f.status, Some(409 | 412)) => {
            let (stored, etag) = read_from(blob, 0, what).await?;
            match etag {
                Some(etag) if stored == bytes => Ok(etag),
                _ => Err(f.into_store(what)),
            }
        }
        Err((f, _)) => Err(f.into_store(what)),
    }
}
