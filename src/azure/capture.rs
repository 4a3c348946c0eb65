//! The per-retry pipeline policy that sits between azure_core's (disabled) retry policy and the
//! transport. It owns: turning non-success answers into [`ArmHttpError`] while the headers are
//! still visible (request id, Retry-After, `x-ms-error-code`), counting requests and reporting
//! each one as an [`ArmEvent::Request`] to the task-local call scope, tallying the read budgets
//! every answer reports (`x-ms-ratelimit-remaining-*`), and adding `If-Match` when a write asked
//! for it. It must not retry, sleep or interpret success bodies.
//!
//! Why task-locals: the generated clients build each request privately and always pass an
//! empty `Context`, so the only channel from a call site to the policy is the task the request
//! future runs in. The scope is set around the whole call; the policy code runs inside it.

use crate::azure::error::ArmHttpError;
use crate::azure::progress::{ArmEvent, Progress};
use crate::core::budget::{parse_remaining_resource, BudgetName, BudgetTally};
use async_trait::async_trait;
use azure_core::headers::{HeaderName, Headers};
use azure_core::{Context, Policy, PolicyResult, Request};
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

tokio::task_local! {
    static SCOPE: Arc<CallScope>;
    static IF_MATCH: String;
}

/// What the policy reports to while one adapter call runs.
#[derive(Debug)]
struct CallScope {
    progress: Progress,
    requests: AtomicUsize,
    budgets: Mutex<BudgetTally>,
}

/// Header of the subscription's remaining reads.
const REMAINING_READS: &str = "x-ms-ratelimit-remaining-subscription-reads";
/// Header of the remaining counts of the provider policies (compute) the request was charged to.
const REMAINING_RESOURCE: &str = "x-ms-ratelimit-remaining-resource";

/// Runs `fut` with a call scope reporting to `progress`, returning its output and how many HTTP
/// requests it made. Nested calls reuse the outer scope (and report 0 themselves).
pub(crate) async fn scoped<F: Future>(progress: &Progress, fut: F) -> (F::Output, usize) {
    let (out, requests, _) = scoped_with_budgets(progress, fut).await;
    (out, requests)
}

/// [`scoped`], also returning what the answers reported of each read budget (empty for a
/// nested call).
pub(crate) async fn scoped_with_budgets<F: Future>(
    progress: &Progress,
    fut: F,
) -> (F::Output, usize, BudgetTally) {
    if SCOPE.try_with(|_| ()).is_ok() {
        return (fut.await, 0, BudgetTally::default());
    }
    let scope = Arc::new(CallScope {
        progress: progress.clone(),
        requests: AtomicUsize::new(0),
        budgets: Mutex::new(BudgetTally::default()),
    });
    let out = SCOPE.scope(scope.clone(), fut).await;
    let budgets = scope.budgets.lock().map(|t| t.clone()).unwrap_or_default();
    (out, scope.requests.load(Ordering::SeqCst), budgets)
}

/// Adds the budgets one answer reports to the scope's tally.
fn tally_budgets(scope: Option<&CallScope>, headers: &Headers) {
    let Some(scope) = scope else {
        return;
    };
    let Ok(mut tally) = scope.budgets.lock() else {
        return;
    };
    let reads = headers.get_optional_str(&HeaderName::from_static(REMAINING_READS));
    if let Some(n) = reads.and_then(|v| v.trim().parse().ok()) {
        tally.observe(BudgetName::SubscriptionReads, n);
    }
    if let Some(v) = headers.get_optional_str(&HeaderName::from_static(REMAINING_RESOURCE)) {
        for (name, n) in parse_remaining_resource(v) {
            tally.observe(name, n);
        }
    }
}

/// Runs `fut` (one builder `.send()`) with `If-Match: etag` added to its request. The NIC
/// builder of azure_mgmt_network 0.21 has no `if_match`, hence this side door.
pub(crate) async fn with_if_match<F: Future>(etag: String, fut: F) -> F::Output {
    IF_MATCH.scope(etag, fut).await
}

/// The capture policy; see the module doc.
#[derive(Debug, Default)]
pub(crate) struct CapturePolicy;

#[async_trait]
impl Policy for CapturePolicy {
    async fn send(
        &self,
        ctx: &Context,
        request: &mut Request,
        next: &[Arc<dyn Policy>],
    ) -> PolicyResult {
        if let Ok(etag) = IF_MATCH.try_with(Clone::clone) {
            if *request.method() != azure_core::Method::Get {
                request.insert_header(HeaderName::from_static("if-match"), etag);
            }
        }
        let method = request.method().to_string();
        let url = request.url().to_string();
        let result = match next.first() {
            Some(first) => first.send(ctx, request, &next[1..]).await,
            None => Err(azure_core::Error::message(
                azure_core::error::ErrorKind::Other,
                "capture policy must not be last",
            )),
        };
        let scope = SCOPE.try_with(Clone::clone).ok();
        let response = match result {
            Ok(r) => r,
            Err(e) => {
                report(scope.as_deref(), method, url, None, None).await;
                return Err(e);
            }
        };
        let status = u16::from(response.status());
        let rid = request_id(response.headers());
        tally_budgets(scope.as_deref(), response.headers());
        report(
            scope.as_deref(),
            method.clone(),
            url.clone(),
            Some(status),
            rid,
        )
        .await;
        if response.status().is_success() {
            return Ok(response);
        }
        let (st, headers, body) = response.deconstruct();
        let bytes = body.collect().await.unwrap_or_default();
        let err = http_error(status, &headers, &bytes, method, url);
        let kind = azure_core::error::ErrorKind::http_response(st, Some(err.code.clone()));
        Err(azure_core::Error::new(kind, err))
    }
}

async fn report(
    scope: Option<&CallScope>,
    method: String,
    url: String,
    status: Option<u16>,
    request_id: Option<String>,
) {
    if let Some(scope) = scope {
        scope.requests.fetch_add(1, Ordering::SeqCst);
        let event = ArmEvent::Request {
            method,
            url,
            status,
            request_id,
        };
        scope.progress.emit(event).await;
    }
}

/// `x-ms-request-id` of an answer.
pub(crate) fn request_id(headers: &Headers) -> Option<String> {
    headers.get_optional_string(&HeaderName::from_static("x-ms-request-id"))
}

/// Builds the error of a non-success answer: code from the ARM body, else `x-ms-error-code`,
/// else `HTTP{status}`; message from the body, else the body text (first 300 chars).
pub(crate) fn http_error(
    status: u16,
    headers: &Headers,
    body: &[u8],
    method: String,
    url: String,
) -> ArmHttpError {
    let parsed: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let field = |name: &str| {
        parsed
            .as_ref()
            .and_then(|v| v.get("error").and_then(|e| e.get(name)))
            .and_then(|v| v.as_str())
            .map(str::to_owned)
    };
    let header_code = headers.get_optional_string(&HeaderName::from_static("x-ms-error-code"));
    let code = field("code")
        .or(header_code)
        .unwrap_or_else(|| format!("HTTP{status}"));
    let mut message = field("message").unwrap_or_else(|| {
        let text = String::from_utf8_lossy(body);
        text.chars().take(300).collect()
    });
    if status == 429 {
        if let Some(budget) = exhausted_budget(headers) {
            message.push_str(&format!(" [budget exhausted: {budget}]"));
        }
    }
    ArmHttpError {
        status,
        code,
        message,
        request_id: request_id(headers),
        retry_after: retry_after(headers, time::OffsetDateTime::now_utc()),
        method,
        url,
    }
}

/// The budget a throttled answer reports at zero: a compute policy first (the narrower one),
/// else the subscription's reads.
fn exhausted_budget(headers: &Headers) -> Option<BudgetName> {
    let resource = headers.get_optional_str(&HeaderName::from_static(REMAINING_RESOURCE));
    let policy = resource
        .map(parse_remaining_resource)
        .unwrap_or_default()
        .into_iter()
        .find(|(_, n)| *n == 0)
        .map(|(name, _)| name);
    let reads = headers.get_optional_str(&HeaderName::from_static(REMAINING_READS));
    let reads_out = reads.is_some_and(|v| v.trim() == "0");
    policy.or(reads_out.then_some(BudgetName::SubscriptionReads))
}

/// Parses the server's wait hint: `retry-after-ms`, `x-ms-retry-after-ms`, then `Retry-After`
/// as seconds or as an HTTP date (relative to `now`; a past date means 0). Uncapped.
pub(crate) fn retry_after(headers: &Headers, now: time::OffsetDateTime) -> Option<Duration> {
    for name in ["retry-after-ms", "x-ms-retry-after-ms"] {
        let value = headers.get_optional_str(&HeaderName::from_static(name));
        if let Some(ms) = value.and_then(|v| v.trim().parse::<u64>().ok()) {
            return Some(Duration::from_millis(ms));
        }
    }
    let value = headers.get_optional_str(&HeaderName::from_static("retry-after"))?;
    parse_retry_after_value(value, now)
}

/// One `Retry-After` value: integer seconds or an RFC 1123 date.
pub(crate) fn parse_retry_after_value(value: &str, now: time::OffsetDateTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = azure_core::date::parse_rfc1123(value).ok()?;
    let delta = at - now;
    Some(Duration::try_from(delta).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> Headers {
        let mut h = Headers::new();
        for (k, v) in pairs {
            h.insert(*k, *v);
        }
        h
    }

    #[test]
    fn retry_after_forms() {
        let now = time::macros::datetime!(2024-01-01 00:00:00 UTC);
        assert_eq!(
            retry_after(&headers(&[("retry-after", "7")]), now),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            retry_after(&headers(&[("retry-after", "0")]), now),
            Some(Duration::ZERO)
        );
        assert_eq!(
            retry_after(
                &headers(&[("retry-after", "3"), ("retry-after-ms", "250")]),
                now
            ),
            Some(Duration::from_millis(250))
        );
        assert_eq!(
            retry_after(
                &headers(&[("retry-after", "Mon, 01 Jan 2024 00:00:30 GMT")]),
                now
            ),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after_value("Sun, 31 Dec 2023 23:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after(&headers(&[("retry-after", "soon")]), now), None);
        assert_eq!(retry_after(&headers(&[]), now), None);
    }

    #[test]
    fn error_from_arm_body() {
        let h = headers(&[("x-ms-request-id", "abc"), ("retry-after", "2")]);
        let body = br#"{"error":{"code":"ConflictingUserInput","message":"Disk web-data is already owned by VM web-a"}}"#;
        let e = http_error(409, &h, body, "POST".into(), "http://h/x".into());
        assert_eq!(e.code, "ConflictingUserInput");
        assert!(e.message.contains("already owned"));
        assert_eq!(e.request_id.as_deref(), Some("abc"));
        assert_eq!(e.retry_after, Some(Duration::from_secs(2)));
    }

    #[test]
    fn a_throttled_answer_names_the_budget_it_exhausted() {
        let h = headers(&[
            ("x-ms-ratelimit-remaining-subscription-reads", "120"),
            (
                "x-ms-ratelimit-remaining-resource",
                "Microsoft.Compute/HighCostGet3Min;0",
            ),
        ]);
        let body = br#"{"error":{"code":"OperationNotAllowed","message":"too many"}}"#;
        let e = http_error(429, &h, body, "GET".into(), "u".into());
        assert_eq!(e.message, "too many [budget exhausted: HighCostGet3Min]");
        let h = headers(&[("x-ms-ratelimit-remaining-subscription-reads", "0")]);
        let e = http_error(429, &h, body, "GET".into(), "u".into());
        assert_eq!(e.message, "too many [budget exhausted: subscription reads]");
        let e = http_error(409, &h, body, "GET".into(), "u".into());
        assert_eq!(e.message, "too many");
    }

    #[test]
    fn error_code_falls_back_to_header_then_status() {
        let h = headers(&[("x-ms-error-code", "ServerBusy")]);
        let e = http_error(503, &h, b"busy", "GET".into(), "u".into());
        assert_eq!(e.code, "ServerBusy");
        assert_eq!(e.message, "busy");
        let e = http_error(502, &Headers::new(), b"", "GET".into(), "u".into());
        assert_eq!(e.code, "HTTP502");
    }
}
