//! The ARM request pipeline: request ids, faults, auth, api-version, subscription, throttling,
//! routing to the compute/network/monitor handlers, and the request log.
//!
//! Handlers are synchronous and run under the state lock after the world has been advanced to
//! now; only dropping a connection awaits (forever, until the connection task is cancelled).

mod compute;
mod monitor;
mod network;
mod vm_actions;
mod vm_write;

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State as AxState};
use axum::http::Response;
use axum::Extension;
use serde_json::Value;
use std::sync::Arc;
use std::time::Instant;
use url::Url;

use super::faults::FaultKind;
use super::reply::{to_response, ArmError, ArmReply};
use super::server::ConnKill;
use super::state::{LogEntry, Shared, State};

/// A parsed ARM request.
pub(crate) struct Req {
    pub method: String,
    pub path: String,
    pub path_q: String,
    pub segs: Vec<String>,
    pub query: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub if_match: Option<String>,
}

impl Req {
    /// A query parameter (case-insensitive name).
    pub fn q(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }

    /// The api-version sent.
    pub fn api_version(&self) -> &str {
        self.q("api-version").unwrap_or("2024-07-01")
    }

    /// True when a query flag is `true`.
    pub fn flag(&self, key: &str) -> bool {
        self.q(key).is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }

    /// The body as JSON.
    pub fn json(&self) -> Result<Value, ArmError> {
        serde_json::from_slice(&self.body).map_err(|e| ArmError::bad_body(&e.to_string()))
    }

    fn is_read(&self) -> bool {
        self.method == "GET" || self.method == "HEAD"
    }
}

/// What a handler gets: the state, the request, the base URL and the current instant.
pub(crate) struct Ctx<'a> {
    pub st: &'a mut State,
    pub req: &'a Req,
    pub base: &'a Url,
    pub now: Instant,
    pub page_size: usize,
}

/// Match path segments against a `/`-separated pattern; `{}` captures, literals compare
/// case-insensitively.
pub(crate) fn matches<'a>(segs: &'a [String], pattern: &str) -> Option<Vec<&'a str>> {
    if segs.len() != pattern.split('/').count() {
        return None;
    }
    let mut caps = vec![];
    for (s, p) in segs.iter().zip(pattern.split('/')) {
        if p == "{}" {
            caps.push(s.as_str());
        } else if !s.eq_ignore_ascii_case(p) {
            return None;
        }
    }
    Some(caps)
}

async fn read_req(req: Request) -> Result<(Req, Option<String>), ArmError> {
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_string();
    let path_q = parts
        .uri
        .path_and_query()
        .map_or(path.clone(), |p| p.as_str().to_string());
    let query = url::form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let body = to_bytes(body, 16 * 1024 * 1024)
        .await
        .map_err(|e| ArmError::bad_body(&e.to_string()))?;
    let segs = path
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            url::form_urlencoded::parse(format!("x={s}").as_bytes())
                .next()
                .map_or(s.to_string(), |(_, v)| v.into_owned())
        })
        .collect();
    let req = Req {
        method: parts.method.as_str().to_ascii_uppercase(),
        path,
        path_q,
        segs,
        query,
        body: body.to_vec(),
        if_match: header("if-match"),
    };
    Ok((req, header("authorization")))
}

/// Entry point of every ARM request.
pub(crate) async fn arm(
    AxState(shared): AxState<Arc<Shared>>,
    kill: Option<Extension<ConnKill>>,
    request: Request,
) -> Response<Body> {
    let request_id = uuid::Uuid::new_v4().to_string();
    let correlation = request
        .headers()
        .get("x-ms-correlation-request-id")
        .and_then(|v| v.to_str().ok())
        .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_string);
    let method = request.method().as_str().to_string();
    let path_q = crate::emulator::server::path_and_query(&request);
    let (reply, dropped) = match read_req(request).await {
        Ok((req, auth)) => serve(&shared, &req, auth.as_deref()),
        Err(e) => (e.into_reply(), false),
    };
    let entry = LogEntry {
        method,
        path: path_q,
        status: reply.status,
        at_ms: shared.at_ms(),
        request_id: request_id.clone(),
    };
    crate::emulator::server::log_or_drop(&shared, entry, dropped, kill).await;
    shared.wake_heartbeats();
    let reply = reply
        .header("x-ms-request-id", request_id)
        .header("x-ms-correlation-request-id", correlation);
    to_response(reply)
}

/// Serve one request under the lock; the bool says "drop the connection".
fn serve(shared: &Shared, req: &Req, auth: Option<&str>) -> (ArmReply, bool) {
    let now = Instant::now();
    let mut st = shared.lock();
    st.advance(now);
    let kinds = [FaultKind::Respond, FaultKind::Drop];
    if let Some(fault) = st.faults.take(&req.method, &req.path_q, &kinds) {
        if fault.kind == FaultKind::Drop {
            return (ArmReply::empty(0), true);
        }
        let mut err = ArmError::new(fault.status, &fault.code(), fault.message());
        err.retry_after = fault.retry_after;
        return (err.into_reply(), false);
    }
    let sub = st.world.subscription.clone();
    if let Err(e) = super::auth::check(
        &shared.scenario.tokens,
        auth,
        req.is_read(),
        &sub,
        &req.path,
        &req.method,
    ) {
        return (e.into_reply(), false);
    }
    if req.q("api-version").is_none() {
        let e = ArmError::new(
            400,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        );
        return (e.into_reply(), false);
    }
    let policy = compute_policy(req);
    let headers = match st.throttle.charge(now, req.is_read(), policy, &sub) {
        Ok(h) => h,
        Err((e, h)) => {
            let mut r = e.into_reply();
            r.headers.extend(h);
            return (r, false);
        }
    };
    let mut ctx = Ctx {
        st: &mut st,
        req,
        base: &shared.base_url,
        now,
        page_size: shared.scenario.page_size.max(1),
    };
    let mut reply = match route(&mut ctx) {
        Ok(r) => r,
        Err(e) => e.into_reply(),
    };
    reply.headers.extend(headers);
    (reply, false)
}

/// The compute policy a request counts against.
fn compute_policy(req: &Req) -> Option<&'static str> {
    let compute = req
        .segs
        .iter()
        .any(|s| s.eq_ignore_ascii_case("Microsoft.Compute"));
    if !compute {
        return None;
    }
    let last = req.segs.last().map(String::as_str).unwrap_or("");
    Some(if !req.is_read() {
        "PutVM3Min"
    } else if req
        .segs
        .iter()
        .any(|s| s.eq_ignore_ascii_case("operations"))
    {
        "GetOperation3Min"
    } else if last.eq_ignore_ascii_case("virtualMachines") || last.eq_ignore_ascii_case("disks") {
        "HighCostGet3Min"
    } else {
        "LowCostGet3Min"
    })
}

fn route(ctx: &mut Ctx<'_>) -> Result<ArmReply, ArmError> {
    let segs = ctx.req.segs.clone();
    let sub = segs.get(1).cloned().unwrap_or_default();
    if !segs
        .first()
        .is_some_and(|s| s.eq_ignore_ascii_case("subscriptions"))
        || segs.len() < 2
    {
        return Err(no_route(ctx.req));
    }
    if !sub.eq_ignore_ascii_case(&ctx.st.world.subscription) {
        return Err(ArmError::new(
            404,
            "SubscriptionNotFound",
            format!("The subscription '{sub}' could not be found."),
        ));
    }
    if let Some(r) = monitor::route(ctx, &segs) {
        return r;
    }
    if let Some(r) = compute::route(ctx, &segs) {
        return r;
    }
    if let Some(r) = network::route(ctx, &segs) {
        return r;
    }
    Err(no_route(ctx.req))
}

fn no_route(req: &Req) -> ArmError {
    ArmError::new(
        404,
        "InvalidResourceType",
        format!(
            "The resource type for path '{}' could not be found in the emulated subset of Azure.",
            req.path
        ),
    )
}

/// 405 for a known path with an unsupported method.
pub(crate) fn bad_method(req: &Req) -> ArmError {
    ArmError::new(
        405,
        "MethodNotAllowed",
        format!(
            "The requested resource does not support http method '{}'.",
            req.method
        ),
    )
}

/// A page of a list: `{value, nextLink?}`, nextLink absolute on the emulator's base URL.
/// Only the items of the requested page are rendered to JSON, so walking a list of N items in
/// pages of p costs O(N) renders in all, not O(N²/p).
pub(crate) fn page<T: Copy>(ctx: &Ctx<'_>, items: &[T], render: impl Fn(T) -> Value) -> Value {
    let skip: usize = ctx
        .req
        .q("$skiptoken")
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let end = (skip + ctx.page_size).min(items.len());
    let value: Vec<Value> = items
        .get(skip..end)
        .map(|slice| slice.iter().map(|&item| render(item)).collect())
        .unwrap_or_default();
    let mut out = serde_json::json!({ "value": value });
    if end < items.len() {
        if let Ok(mut next) = ctx.base.join(ctx.req.path.trim_start_matches('/')) {
            {
                let mut pairs = next.query_pairs_mut();
                for (k, v) in &ctx.req.query {
                    if !k.eq_ignore_ascii_case("$skiptoken") {
                        pairs.append_pair(k, v);
                    }
                }
                pairs.append_pair("$skiptoken", &end.to_string());
            }
            out["nextLink"] = Value::String(next.to_string());
        }
    }
    out
}

/// The resource group must exist.
pub(crate) fn need_group(ctx: &Ctx<'_>, rg: &str) -> Result<(), ArmError> {
    if ctx.st.world.has_group(rg) {
        Ok(())
    } else {
        Err(ArmError::group_not_found(rg))
    }
}

/// Compare an If-Match header with the current etag.
pub(crate) fn check_if_match(req: &Req, etag: &str) -> Result<(), ArmError> {
    match req.if_match.as_deref() {
        None | Some("*") => Ok(()),
        Some(given) if given == etag => Ok(()),
        Some(given) => Err(ArmError::new(
            412,
            "PreconditionFailed",
            format!("The specified precondition 'If-Match' with value '{given}' does not match the current etag '{etag}'."),
        )),
    }
}
