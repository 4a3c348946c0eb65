//! Container operations: Create, Get Properties, Delete, and List Blobs (prefix, delimiter,
//! marker, maxresults, `include=metadata`) with Azure's XML.
//!
//! Synchronous, run under the storage lock with the storage clock's reading.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::model::{rfc1123, Account, Blob, Container, Now};
use super::ops::{bad_query, bad_verb, container_not_found};
use super::wire::{xml_escape, BlobReq, StorageError, StorageReply};

/// Azure's largest (and default) page of List Blobs.
const MAX_RESULTS: usize = 5000;

/// Routes a request on a container (`?restype=container`).
pub(crate) fn route(
    acct: &mut Account,
    req: &BlobReq,
    name: &str,
    now: Now,
    endpoint: &str,
) -> Result<StorageReply, StorageError> {
    if req.q("restype") != Some("container") {
        return Err(bad_query());
    }
    match (req.method.as_str(), req.q("comp")) {
        ("PUT", None) => create(acct, name, now),
        ("GET" | "HEAD", None) => properties(acct, name),
        ("DELETE", None) => delete(acct, name),
        ("GET", Some("list")) => list(acct, req, name, now, endpoint),
        (_, None | Some("list")) => Err(bad_verb()),
        (_, Some(_)) => Err(bad_query()),
    }
}

fn create(acct: &mut Account, name: &str, now: Now) -> Result<StorageReply, StorageError> {
    if acct.containers.contains_key(name) {
        return Err(StorageError::new(
            409,
            "ContainerAlreadyExists",
            "The specified container already exists.",
        ));
    }
    if !valid_name(name) {
        return Err(StorageError::new(
            400,
            "InvalidResourceName",
            "The specifed resource name contains invalid characters.",
        ));
    }
    let etag = acct.next_etag();
    acct.containers.insert(
        name.to_string(),
        Container {
            blobs: BTreeMap::new(),
            etag: etag.clone(),
            modified: now.wall,
        },
    );
    Ok(StorageReply::empty(201)
        .header("etag", etag)
        .header("last-modified", rfc1123(now.wall)))
}

/// Azure's container names: 3–63 of lower-case letters, digits and single inner dashes.
fn valid_name(name: &str) -> bool {
    (3..=63).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.starts_with('-')
        && !name.ends_with('-')
        && !name.contains("--")
}

fn properties(acct: &Account, name: &str) -> Result<StorageReply, StorageError> {
    let c = acct.containers.get(name).ok_or_else(container_not_found)?;
    Ok(StorageReply::empty(200)
        .header("etag", c.etag.clone())
        .header("last-modified", rfc1123(c.modified))
        .header("x-ms-lease-state", "available")
        .header("x-ms-lease-status", "unlocked")
        .header("x-ms-has-immutability-policy", "false")
        .header("x-ms-has-legal-hold", "false"))
}

fn delete(acct: &mut Account, name: &str) -> Result<StorageReply, StorageError> {
    acct.containers
        .remove(name)
        .ok_or_else(container_not_found)?;
    Ok(StorageReply::empty(202))
}

fn list(
    acct: &Account,
    req: &BlobReq,
    name: &str,
    now: Now,
    endpoint: &str,
) -> Result<StorageReply, StorageError> {
    let c = acct.containers.get(name).ok_or_else(container_not_found)?;
    let prefix = req.q("prefix").unwrap_or("");
    let delimiter = req.q("delimiter").filter(|d| !d.is_empty());
    let marker = req.q("marker").unwrap_or("");
    let max = match req.q("maxresults") {
        None => MAX_RESULTS,
        Some(v) => match v.parse::<usize>() {
            Ok(n) if (1..=MAX_RESULTS).contains(&n) => n,
            _ => {
                return Err(StorageError::new(
                    400,
                    "OutOfRangeQueryParameterValue",
                    "One of the query parameters specified in the request URI is outside the permissible range.",
                ))
            }
        },
    };
    let metadata = req
        .q("include")
        .is_some_and(|i| i.split(',').any(|x| x == "metadata"));
    let mut items = String::new();
    let mut count = 0;
    let mut next = None;
    let mut last_prefix: Option<String> = None;
    for (blob_name, blob) in c
        .blobs
        .range(marker.to_string()..)
        .filter(|(n, _)| n.starts_with(prefix))
    {
        let folded = delimiter.and_then(|d| {
            let rest = &blob_name[prefix.len()..];
            rest.find(d)
                .map(|i| format!("{prefix}{}", &rest[..i + d.len()]))
        });
        if folded.is_some() && folded == last_prefix {
            continue;
        }
        if count == max {
            next = Some(blob_name.clone());
            break;
        }
        count += 1;
        match folded {
            Some(p) => {
                let _ = write!(
                    items,
                    "<BlobPrefix><Name>{}</Name></BlobPrefix>",
                    xml_escape(&p)
                );
                last_prefix = Some(p);
            }
            None => items.push_str(&blob_xml(blob_name, blob, metadata, now)),
        }
    }
    let mut body = format!(
        "\u{feff}<?xml version=\"1.0\" encoding=\"utf-8\"?><EnumerationResults ServiceEndpoint=\"{}\" ContainerName=\"{}\">",
        xml_escape(endpoint),
        xml_escape(name)
    );
    if !prefix.is_empty() {
        let _ = write!(body, "<Prefix>{}</Prefix>", xml_escape(prefix));
    }
    if req.q("maxresults").is_some() {
        let _ = write!(body, "<MaxResults>{max}</MaxResults>");
    }
    if let Some(d) = delimiter {
        let _ = write!(body, "<Delimiter>{}</Delimiter>", xml_escape(d));
    }
    let _ = write!(
        body,
        "<Blobs>{items}</Blobs><NextMarker>{}</NextMarker></EnumerationResults>",
        next.as_deref().map(xml_escape).unwrap_or_default()
    );
    let mut reply = StorageReply::empty(200).header("content-type", "application/xml");
    reply.body = body.into_bytes();
    Ok(reply)
}

fn blob_xml(name: &str, b: &Blob, metadata: bool, now: Now) -> String {
    let lease = b.lease.state(now.instant);
    let mut s = format!(
        "<Blob><Name>{}</Name><Properties><Creation-Time>{}</Creation-Time><Last-Modified>{}</Last-Modified><Etag>{}</Etag><Content-Length>{}</Content-Length><Content-Type>{}</Content-Type><BlobType>{}</BlobType><LeaseStatus>{}</LeaseStatus><LeaseState>{}</LeaseState>",
        xml_escape(name),
        rfc1123(b.created),
        rfc1123(b.modified),
        b.etag.trim_matches('"'),
        b.data.len(),
        xml_escape(&b.content_type),
        b.kind.name(),
        lease.status_name(),
        lease.state_name(),
    );
    if let Some(d) = lease.duration_name() {
        let _ = write!(s, "<LeaseDuration>{d}</LeaseDuration>");
    }
    s.push_str("<ServerEncrypted>true</ServerEncrypted></Properties>");
    if metadata {
        s.push_str("<Metadata>");
        for (k, v) in &b.metadata {
            let _ = write!(s, "<{k}>{}</{k}>", xml_escape(v));
        }
        s.push_str("</Metadata>");
    }
    s.push_str("</Blob>");
    s
}
