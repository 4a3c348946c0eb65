//! Azure Blob Storage (the subset baton's coordination uses), served beside ARM in the same
//! process under `/<account>/…` (path-style, as Azurite): containers, block and append blobs,
//! metadata, ranges, List Blobs, Append Block with its position condition, and Lease Blob with
//! Azure's state machine. Requests carry `x-ms-request-id`, errors Azure's XML and
//! `x-ms-error-code`; Shared Key signatures are checked (403 AuthenticationFailed) and the
//! emulator's bearer tokens accepted.
//!
//! Leases run on the storage clock: real time plus whatever tests advanced through
//! `POST /_emulator/storage` (`{"advance_secs": 20}`), so a test expires a lease without
//! waiting. Faults armed on `/_emulator/faults` match storage paths too, and the chaos actions
//! `storage-down` / `storage-up` make the account unreachable (connections dropped) and back.

mod auth;
mod container;
mod lease;
mod model;
mod ops;
mod wire;

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State as AxState};
use axum::http::{Response, StatusCode};
use axum::response::IntoResponse;
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::json;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use time::OffsetDateTime;

use super::faults::FaultKind;
use super::server::{log_or_drop, path_and_query, ConnKill};
use super::state::{LogEntry, Shared};
use model::{rfc1123, Account, Now};
use wire::{BlobReq, StorageError, StorageReply};

/// The emulated storage account's name (Azurite's well-known development account).
pub const ACCOUNT: &str = "devstoreaccount1";
/// The account key (Azurite's published development key: not a secret).
pub const ACCOUNT_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/// The storage account's data, its clock offset and whether it is reachable.
#[derive(Debug, Default)]
pub(crate) struct BlobService {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    account: Account,
    advanced: Duration,
    down: bool,
}

impl BlobService {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Empties the account and the clock offset, and brings it back up.
    pub fn reset(&self) {
        *self.lock() = Inner::default();
    }

    /// Makes the account unreachable (`true`) or reachable again.
    pub fn set_down(&self, down: bool) {
        self.lock().down = down;
    }
}

impl Inner {
    fn now(&self) -> Now {
        Now {
            instant: Instant::now() + self.advanced,
            wall: OffsetDateTime::now_utc() + self.advanced,
        }
    }
}

/// True when a request path is for the storage account (`/<account>/…`).
pub(crate) fn is_storage_path(path: &str) -> bool {
    let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
    first == ACCOUNT
}

/// Entry point of every storage request.
pub(crate) async fn serve(
    AxState(shared): AxState<Arc<Shared>>,
    kill: Option<Extension<ConnKill>>,
    request: Request,
) -> Response<Body> {
    let request_id = uuid::Uuid::new_v4().to_string();
    let method = request.method().as_str().to_string();
    let is_head = method == "HEAD";
    let path_q = path_and_query(&request);
    let (reply, dropped) = match read(request).await {
        Ok(req) => answer(&shared, &req, &request_id),
        Err(e) => (
            e.into_reply(&request_id, &rfc1123(OffsetDateTime::now_utc())),
            false,
        ),
    };
    let entry = LogEntry {
        method,
        path: path_q,
        status: reply.status,
        at_ms: shared.at_ms(),
        request_id: request_id.clone(),
    };
    log_or_drop(&shared, entry, dropped, kill).await;
    let reply = reply
        .header("x-ms-request-id", request_id)
        .header("x-ms-version", wire::VERSION)
        .header("date", rfc1123(OffsetDateTime::now_utc()))
        .header("server", "Windows-Azure-Blob/1.0 Microsoft-HTTPAPI/2.0");
    wire::to_response(reply, is_head)
}

async fn read(request: Request) -> Result<BlobReq, StorageError> {
    let (parts, body) = request.into_parts();
    let body = to_bytes(body, 64 * 1024 * 1024).await.map_err(|_| {
        StorageError::new(400, "InvalidInput", "The request body could not be read.")
    })?;
    let path = parts.uri.path().to_string();
    let segs = path
        .trim_matches('/')
        .split('/')
        .map(|s| {
            url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
                .next()
                .map_or(s.to_string(), |(_, v)| v.into_owned())
        })
        .collect();
    let query = url::form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    Ok(BlobReq {
        method: parts.method.as_str().to_ascii_uppercase(),
        path_q: parts
            .uri
            .path_and_query()
            .map_or(path.clone(), |p| p.as_str().to_string()),
        path,
        segs,
        query,
        headers: parts.headers,
        body: body.to_vec(),
    })
}

/// Serves one request; the bool says "drop the connection".
fn answer(shared: &Shared, req: &BlobReq, request_id: &str) -> (StorageReply, bool) {
    let fault = shared.lock().faults.take(
        &req.method,
        &req.path_q,
        &[FaultKind::Respond, FaultKind::Drop, FaultKind::DropAfter],
    );
    let mut inner = shared.blob.lock();
    let now = inner.now();
    let time = rfc1123(now.wall);
    if inner.down {
        return (StorageReply::empty(0), true);
    }
    let mut drop_after = false;
    if let Some(f) = fault {
        if f.kind == FaultKind::Drop {
            return (StorageReply::empty(0), true);
        }
        if f.kind == FaultKind::DropAfter {
            drop_after = true;
        } else {
            let mut e = StorageError::new(f.status, &storage_code(&f), &f.message());
            e.retry_after = f.retry_after;
            return (e.into_reply(request_id, &time), false);
        }
    }
    let endpoint = format!("{}{ACCOUNT}/", shared.base_url);
    let result = auth::check(req, &shared.scenario.tokens)
        .and_then(|()| route(&mut inner.account, req, now, &endpoint));
    match result {
        Ok(reply) => (reply, drop_after),
        Err(e) => (e.into_reply(request_id, &time), drop_after),
    }
}

/// A fault's code in storage's words when none was given.
fn storage_code(f: &super::faults::FaultSpec) -> String {
    match (&f.code, f.status) {
        (Some(c), _) => c.clone(),
        (None, 503) => "ServerBusy".to_string(),
        (None, 500) => "InternalError".to_string(),
        (None, 412) => "ConditionNotMet".to_string(),
        (None, _) => f.code(),
    }
}

fn route(
    acct: &mut Account,
    req: &BlobReq,
    now: Now,
    endpoint: &str,
) -> Result<StorageReply, StorageError> {
    match req.segs.as_slice() {
        [_account, container] => container::route(acct, req, container, now, endpoint),
        [_account, container, blob @ ..] if !blob.is_empty() => {
            ops::route(acct, req, container, &blob.join("/"), now)
        }
        _ => Err(StorageError::new(
            400,
            "InvalidUri",
            "The requested URI does not represent any resource on the server.",
        )),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StorageControl {
    #[serde(default)]
    advance_secs: Option<f64>,
}

/// `POST /_emulator/storage` `{"advance_secs": N}`: moves the storage clock forward, so leases
/// expire (and breaks end) without a test waiting for real time.
pub(crate) async fn control(
    AxState(shared): AxState<Arc<Shared>>,
    body: axum::body::Bytes,
) -> axum::response::Response {
    let parsed: StorageControl = match serde_json::from_slice(&body) {
        Ok(c) => c,
        Err(e) => {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({"error": e.to_string()})),
            )
                .into_response()
        }
    };
    let mut inner = shared.blob.lock();
    if let Some(secs) = parsed.advance_secs {
        if !(secs.is_finite() && (0.0..=86_400.0).contains(&secs)) {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({"error": "advance_secs must be between 0 and 86400"})),
            )
                .into_response();
        }
        inner.advanced += Duration::from_secs_f64(secs);
    }
    Json(json!({
        "advanced_secs": inner.advanced.as_secs_f64(),
        "down": inner.down,
        "containers": inner.account.containers.len(),
    }))
    .into_response()
}
