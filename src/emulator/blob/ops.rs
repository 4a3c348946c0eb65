//! Blob operations: Put Blob, Get Blob (ranges), Get Blob Properties, Get/Set Blob Metadata,
//! Append Block (append-position and max-size conditions), Delete Blob and Lease Blob, each
//! with Azure's lease and If-Match/If-None-Match rules and error codes.
//!
//! Synchronous, run under the storage lock with the storage clock's reading.

use super::lease::{LeaseAction, LeaseAnswer};
use super::model::{rfc1123, Account, Blob, BlobKind, Now};
use super::wire::{BlobReq, StorageError, StorageReply};

/// Azure's cap on the committed blocks of an append blob.
const MAX_APPEND_BLOCKS: u64 = 50_000;

/// Routes a request on `container/blob`.
pub(crate) fn route(
    acct: &mut Account,
    req: &BlobReq,
    container: &str,
    name: &str,
    now: Now,
) -> Result<StorageReply, StorageError> {
    if !acct.containers.contains_key(container) {
        return Err(container_not_found());
    }
    match (req.method.as_str(), req.q("comp")) {
        ("PUT", None) => put(acct, req, container, name, now),
        ("GET" | "HEAD", None) => get(acct, req, container, name, now),
        ("DELETE", None) => delete(acct, req, container, name, now),
        ("PUT", Some("metadata")) => set_metadata(acct, req, container, name, now),
        ("GET" | "HEAD", Some("metadata")) => get_metadata(acct, req, container, name, now),
        ("PUT", Some("appendblock")) => append(acct, req, container, name, now),
        ("PUT", Some("lease")) => lease(acct, req, container, name, now),
        (_, Some("metadata" | "appendblock" | "lease")) | (_, None) => Err(bad_verb()),
        (_, Some(_)) => Err(bad_query()),
    }
}

fn put(
    acct: &mut Account,
    req: &BlobReq,
    container: &str,
    name: &str,
    now: Now,
) -> Result<StorageReply, StorageError> {
    let kind = match req.h("x-ms-blob-type") {
        Some("BlockBlob") => BlobKind::Block,
        Some("AppendBlob") => BlobKind::Append,
        Some(_) => return Err(StorageError::invalid_header("x-ms-blob-type")),
        None => return Err(StorageError::missing_header("x-ms-blob-type")),
    };
    if kind == BlobKind::Append && !req.body.is_empty() {
        return Err(StorageError::invalid_header("Content-Length"));
    }
    let etag = acct.next_etag();
    let blobs = &mut blobs_of(acct, container)?.blobs;
    let existing = blobs.get(name);
    check_conditions(req, existing.map(|b| b.etag.as_str()), true)?;
    if let Some(b) = existing {
        check_write_lease(req, b, now)?;
    } else if req.h("x-ms-lease-id").is_some() {
        return Err(lease_not_present_with_blob());
    }
    let blob = Blob {
        kind,
        data: req.body.clone(),
        content_type: req
            .h("x-ms-blob-content-type")
            .or_else(|| req.h("content-type"))
            .unwrap_or("application/octet-stream")
            .to_string(),
        metadata: req.metadata(),
        etag: etag.clone(),
        created: existing.map_or(now.wall, |b| b.created),
        modified: now.wall,
        lease: existing.map(|b| b.lease.clone()).unwrap_or_default(),
        blocks: 0,
    };
    blobs.insert(name.to_string(), blob);
    Ok(written(201, &etag, now))
}

fn get(
    acct: &mut Account,
    req: &BlobReq,
    container: &str,
    name: &str,
    now: Now,
) -> Result<StorageReply, StorageError> {
    let blob = readable(acct, req, container, name, now)?;
    let len = blob.data.len();
    let mut reply = StorageReply::empty(200);
    reply.headers = blob.property_headers(now.instant);
    let range = req.h("x-ms-range").or_else(|| req.h("range"));
    match range.map(|r| parse_range(r, len)).transpose()? {
        Some((start, end)) => {
            reply.status = 206;
            reply.body = blob.data[start..=end].to_vec();
            reply.headers.push((
                "content-range".to_string(),
                format!("bytes {start}-{end}/{len}"),
            ));
        }
        None => reply.body = blob.data.clone(),
    }
    if req.method == "HEAD" {
        reply.head_length = Some(reply.body.len());
    }
    Ok(reply)
}

/// `bytes=START-END` or `bytes=START-` within a blob of `len` bytes: the inclusive range.
fn parse_range(header: &str, len: usize) -> Result<(usize, usize), StorageError> {
    let spec = header
        .strip_prefix("bytes=")
        .ok_or_else(|| StorageError::invalid_header("x-ms-range"))?;
    let (a, b) = spec
        .split_once('-')
        .ok_or_else(|| StorageError::invalid_header("x-ms-range"))?;
    let start: usize = a
        .parse()
        .map_err(|_| StorageError::invalid_header("x-ms-range"))?;
    let end: Option<usize> = match b {
        "" => None,
        b => Some(
            b.parse()
                .map_err(|_| StorageError::invalid_header("x-ms-range"))?,
        ),
    };
    if end.is_some_and(|e| e < start) {
        return Err(StorageError::invalid_header("x-ms-range"));
    }
    if start >= len {
        return Err(StorageError::new(
            416,
            "InvalidRange",
            "The range specified is invalid for the current size of the resource.",
        ));
    }
    Ok((start, end.map_or(len - 1, |e| e.min(len - 1))))
}

fn delete(
    acct: &mut Account,
    req: &BlobReq,
    container: &str,
    name: &str,
    now: Now,
) -> Result<StorageReply, StorageError> {
    writable(acct, req, container, name, now)?;
    blobs_of(acct, container)?.blobs.remove(name);
    Ok(StorageReply::empty(202))
}

fn set_metadata(
    acct: &mut Account,
    req: &BlobReq,
    container: &str,
    name: &str,
    now: Now,
) -> Result<StorageReply, StorageError> {
    let etag = acct.next_etag();
    let blob = writable(acct, req, container, name, now)?;
    blob.metadata = req.metadata();
    blob.etag = etag.clone();
    blob.modified = now.wall;
    Ok(written(200, &etag, now))
}

fn get_metadata(
    acct: &mut Account,
    req: &BlobReq,
    container: &str,
    name: &str,
    now: Now,
) -> Result<StorageReply, StorageError> {
    let blob = readable(acct, req, container, name, now)?;
    let mut reply = StorageReply::empty(200)
        .header("etag", blob.etag.clone())
        .header("last-modified", rfc1123(blob.modified));
    for (k, v) in &blob.metadata {
        reply.headers.push((format!("x-ms-meta-{k}"), v.clone()));
    }
    Ok(reply)
}

fn append(
    acct: &mut Account,
    req: &BlobReq,
    container: &str,
    name: &str,
    now: Now,
) -> Result<StorageReply, StorageError> {
    let etag = acct.next_etag();
    let blob = blob_mut(acct, container, name)?;
    if blob.kind != BlobKind::Append {
        return Err(StorageError::new(
            409,
            "InvalidBlobType",
            "The blob type is invalid for this operation.",
        ));
    }
    check_write_lease(req, blob, now)?;
    check_conditions(req, Some(&blob.etag), true)?;
    if req.body.is_empty() {
        return Err(StorageError::invalid_header("Content-Length"));
    }
    let offset = blob.data.len() as u64;
    if let Some(pos) = req.h("x-ms-blob-condition-appendpos") {
        let pos: u64 = pos
            .parse()
            .map_err(|_| StorageError::invalid_header("x-ms-blob-condition-appendpos"))?;
        if pos != offset {
            return Err(StorageError::new(
                412,
                "AppendPositionConditionNotMet",
                "The append position condition specified was not met.",
            ));
        }
    }
    if let Some(max) = req.h("x-ms-blob-condition-maxsize") {
        let max: u64 = max
            .parse()
            .map_err(|_| StorageError::invalid_header("x-ms-blob-condition-maxsize"))?;
        if offset + req.body.len() as u64 > max {
            return Err(StorageError::new(
                412,
                "MaxBlobSizeConditionNotMet",
                "The max blob size condition specified was not met.",
            ));
        }
    }
    if blob.blocks >= MAX_APPEND_BLOCKS {
        return Err(StorageError::new(
            409,
            "BlockCountExceedsLimit",
            "The committed block count cannot exceed the maximum limit of 50,000 blocks.",
        ));
    }
    blob.data.extend_from_slice(&req.body);
    blob.blocks += 1;
    blob.etag = etag.clone();
    blob.modified = now.wall;
    let blocks = blob.blocks;
    Ok(written(201, &etag, now)
        .header("x-ms-blob-append-offset", offset.to_string())
        .header("x-ms-blob-committed-block-count", blocks.to_string()))
}

fn lease(
    acct: &mut Account,
    req: &BlobReq,
    container: &str,
    name: &str,
    now: Now,
) -> Result<StorageReply, StorageError> {
    let action = lease_action(req)?;
    let blob = blob_mut(acct, container, name)?;
    check_conditions(req, Some(&blob.etag), true)?;
    let answer = blob.lease.apply(action, now.instant)?;
    let etag = blob.etag.clone();
    let modified = rfc1123(blob.modified);
    let reply = match answer {
        LeaseAnswer::Id { status, id } => StorageReply::empty(status).header("x-ms-lease-id", id),
        LeaseAnswer::Released => StorageReply::empty(200),
        LeaseAnswer::Breaking { seconds } => {
            StorageReply::empty(202).header("x-ms-lease-time", seconds.to_string())
        }
    };
    Ok(reply.header("etag", etag).header("last-modified", modified))
}

fn lease_action(req: &BlobReq) -> Result<LeaseAction, StorageError> {
    let id = || {
        req.h("x-ms-lease-id")
            .map(str::to_string)
            .ok_or_else(|| StorageError::missing_header("x-ms-lease-id"))
    };
    let guid = |name: &str| -> Result<Option<String>, StorageError> {
        match req.h(name) {
            None => Ok(None),
            Some(v) if uuid::Uuid::parse_str(v).is_ok() => Ok(Some(v.to_string())),
            Some(_) => Err(StorageError::invalid_header(name)),
        }
    };
    match req.h("x-ms-lease-action") {
        Some("acquire") => {
            let seconds = req
                .h("x-ms-lease-duration")
                .ok_or_else(|| StorageError::missing_header("x-ms-lease-duration"))?
                .parse()
                .map_err(|_| StorageError::invalid_header("x-ms-lease-duration"))?;
            Ok(LeaseAction::Acquire {
                proposed: guid("x-ms-proposed-lease-id")?,
                seconds,
            })
        }
        Some("renew") => Ok(LeaseAction::Renew { id: id()? }),
        Some("release") => Ok(LeaseAction::Release { id: id()? }),
        Some("change") => Ok(LeaseAction::Change {
            id: id()?,
            proposed: guid("x-ms-proposed-lease-id")?
                .ok_or_else(|| StorageError::missing_header("x-ms-proposed-lease-id"))?,
        }),
        Some("break") => Ok(LeaseAction::Break {
            period: req
                .h("x-ms-lease-break-period")
                .map(|p| {
                    p.parse()
                        .map_err(|_| StorageError::invalid_header("x-ms-lease-break-period"))
                })
                .transpose()?,
        }),
        Some(_) => Err(StorageError::invalid_header("x-ms-lease-action")),
        None => Err(StorageError::missing_header("x-ms-lease-action")),
    }
}

/// The answer of a write: 200/201 with the new etag and Last-Modified.
fn written(status: u16, etag: &str, now: Now) -> StorageReply {
    StorageReply::empty(status)
        .header("etag", etag)
        .header("last-modified", rfc1123(now.wall))
        .header("x-ms-request-server-encrypted", "true")
}

/// If-Match / If-None-Match against the current etag (`None`: no blob yet).
pub(crate) fn check_conditions(
    req: &BlobReq,
    etag: Option<&str>,
    write: bool,
) -> Result<(), StorageError> {
    if let Some(want) = req.h("if-match") {
        let ok = match etag {
            Some(e) => want == "*" || want == e,
            None => false,
        };
        if !ok {
            return Err(condition_not_met());
        }
    }
    if let Some(avoid) = req.h("if-none-match") {
        if let Some(e) = etag {
            if avoid == "*" && write {
                return Err(StorageError::new(
                    409,
                    "BlobAlreadyExists",
                    "The specified blob already exists.",
                ));
            }
            if avoid == "*" || avoid == e {
                return Err(if write {
                    condition_not_met()
                } else {
                    StorageError::new(
                        304,
                        "ConditionNotMet",
                        "The condition specified using HTTP conditional header(s) is not met.",
                    )
                });
            }
        }
    }
    Ok(())
}

fn condition_not_met() -> StorageError {
    StorageError::new(
        412,
        "ConditionNotMet",
        "The condition specified using HTTP conditional header(s) is not met.",
    )
}

/// A write on a blob with an active lease must name it; one without must not name any.
fn check_write_lease(req: &BlobReq, blob: &Blob, now: Now) -> Result<(), StorageError> {
    let state = blob.lease.state(now.instant);
    match (state.active_id(), req.h("x-ms-lease-id")) {
        (Some(id), Some(given)) if id == given => Ok(()),
        (Some(_), Some(_)) => Err(lease_mismatch_with_blob()),
        (Some(_), None) => Err(StorageError::new(
            412,
            "LeaseIdMissing",
            "There is currently a lease on the blob and no lease ID was specified in the request.",
        )),
        (None, Some(_)) => Err(lease_not_present_with_blob()),
        (None, None) => Ok(()),
    }
}

/// A read may name the lease; if it does, it must be the active one.
fn check_read_lease(req: &BlobReq, blob: &Blob, now: Now) -> Result<(), StorageError> {
    let Some(given) = req.h("x-ms-lease-id") else {
        return Ok(());
    };
    match blob.lease.state(now.instant).active_id() {
        Some(id) if id == given => Ok(()),
        Some(_) => Err(lease_mismatch_with_blob()),
        None => Err(lease_not_present_with_blob()),
    }
}

fn lease_mismatch_with_blob() -> StorageError {
    StorageError::new(
        412,
        "LeaseIdMismatchWithBlobOperation",
        "The lease ID specified did not match the lease ID for the blob.",
    )
}

fn lease_not_present_with_blob() -> StorageError {
    StorageError::new(
        412,
        "LeaseNotPresentWithBlobOperation",
        "There is currently no lease on the blob.",
    )
}

fn blobs_of<'a>(
    acct: &'a mut Account,
    container: &str,
) -> Result<&'a mut super::model::Container, StorageError> {
    acct.containers
        .get_mut(container)
        .ok_or_else(container_not_found)
}

/// The blob a read may see: it exists, the lease id the request names (if any) is its lease,
/// and the request's conditions hold.
fn readable<'a>(
    acct: &'a Account,
    req: &BlobReq,
    container: &str,
    name: &str,
    now: Now,
) -> Result<&'a Blob, StorageError> {
    let blob = blob_of(acct, container, name)?;
    check_read_lease(req, blob, now)?;
    check_conditions(req, Some(&blob.etag), false)?;
    Ok(blob)
}

/// The blob a write may change: it exists, its lease admits the request, and the request's
/// conditions hold.
fn writable<'a>(
    acct: &'a mut Account,
    req: &BlobReq,
    container: &str,
    name: &str,
    now: Now,
) -> Result<&'a mut Blob, StorageError> {
    let blob = blob_mut(acct, container, name)?;
    check_write_lease(req, blob, now)?;
    check_conditions(req, Some(&blob.etag), true)?;
    Ok(blob)
}

fn blob_of<'a>(acct: &'a Account, container: &str, name: &str) -> Result<&'a Blob, StorageError> {
    acct.containers
        .get(container)
        .ok_or_else(container_not_found)?
        .blobs
        .get(name)
        .ok_or_else(blob_not_found)
}

fn blob_mut<'a>(
    acct: &'a mut Account,
    container: &str,
    name: &str,
) -> Result<&'a mut Blob, StorageError> {
    blobs_of(acct, container)?
        .blobs
        .get_mut(name)
        .ok_or_else(blob_not_found)
}

/// 404 ContainerNotFound.
pub(crate) fn container_not_found() -> StorageError {
    StorageError::new(
        404,
        "ContainerNotFound",
        "The specified container does not exist.",
    )
}

fn blob_not_found() -> StorageError {
    StorageError::new(404, "BlobNotFound", "The specified blob does not exist.")
}

/// 405 UnsupportedHttpVerb.
pub(crate) fn bad_verb() -> StorageError {
    StorageError::new(
        405,
        "UnsupportedHttpVerb",
        "The resource doesn't support specified Http Verb.",
    )
}

/// 400 InvalidQueryParameterValue (an unknown `comp` or `restype`).
pub(crate) fn bad_query() -> StorageError {
    StorageError::new(
        400,
        "InvalidQueryParameterValue",
        "Value for one of the query parameters specified in the request URI is invalid.",
    )
}
