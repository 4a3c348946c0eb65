//! The emulated storage account: containers of block and append blobs, each with its bytes,
//! metadata, etag, times and lease, and the headers Azure describes a blob with.
//!
//! Holds data only; the operations on it live in `ops` and `container`.

use std::collections::BTreeMap;
use std::time::Instant;
use time::OffsetDateTime;

use super::lease::Lease;

/// The kinds of blob baton uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BlobKind {
    Block,
    Append,
}

impl BlobKind {
    /// `x-ms-blob-type` / `<BlobType>`.
    pub fn name(self) -> &'static str {
        match self {
            BlobKind::Block => "BlockBlob",
            BlobKind::Append => "AppendBlob",
        }
    }
}

/// One blob.
#[derive(Debug, Clone)]
pub(crate) struct Blob {
    pub kind: BlobKind,
    pub data: Vec<u8>,
    pub content_type: String,
    pub metadata: Vec<(String, String)>,
    pub etag: String,
    pub created: OffsetDateTime,
    pub modified: OffsetDateTime,
    pub lease: Lease,
    /// Committed blocks of an append blob (Azure caps them at 50,000).
    pub blocks: u64,
}

/// One container.
#[derive(Debug, Clone)]
pub(crate) struct Container {
    pub blobs: BTreeMap<String, Blob>,
    pub etag: String,
    pub modified: OffsetDateTime,
}

/// The account: containers by name, and the etag counter.
#[derive(Debug, Default)]
pub(crate) struct Account {
    pub containers: BTreeMap<String, Container>,
    etags: u64,
}

/// The storage clock's reading: the instant leases are measured with and the wall time
/// written into Last-Modified, both shifted by what tests advanced.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Now {
    pub instant: Instant,
    pub wall: OffsetDateTime,
}

impl Account {
    /// A fresh, quoted etag in Azure's `0x8D…` shape.
    pub fn next_etag(&mut self) -> String {
        self.etags += 1;
        format!("\"0x8DD{:011X}\"", self.etags)
    }
}

/// RFC 1123 time as Azure writes it (`Sun, 06 Dec 2026 13:48:31 GMT`).
pub(crate) fn rfc1123(t: OffsetDateTime) -> String {
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    t.to_offset(time::UtcOffset::UTC)
        .format(&format)
        .unwrap_or_default()
}

impl Blob {
    /// The headers of Get Blob / Get Blob Properties (length added by the caller).
    pub fn property_headers(&self, now: Instant) -> Vec<(String, String)> {
        let lease = self.lease.state(now);
        let mut h = vec![
            ("etag".to_string(), self.etag.clone()),
            ("last-modified".to_string(), rfc1123(self.modified)),
            ("x-ms-creation-time".to_string(), rfc1123(self.created)),
            ("x-ms-blob-type".to_string(), self.kind.name().to_string()),
            ("content-type".to_string(), self.content_type.clone()),
            (
                "x-ms-lease-state".to_string(),
                lease.state_name().to_string(),
            ),
            (
                "x-ms-lease-status".to_string(),
                lease.status_name().to_string(),
            ),
            ("x-ms-server-encrypted".to_string(), "true".to_string()),
            ("accept-ranges".to_string(), "bytes".to_string()),
        ];
        if let Some(d) = lease.duration_name() {
            h.push(("x-ms-lease-duration".to_string(), d.to_string()));
        }
        if self.kind == BlobKind::Append {
            h.push((
                "x-ms-blob-committed-block-count".to_string(),
                self.blocks.to_string(),
            ));
        }
        for (k, v) in &self.metadata {
            h.push((format!("x-ms-meta-{k}"), v.clone()));
        }
        h
    }
}
