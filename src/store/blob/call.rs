//! Calling Blob Storage: each call bounded in time, retried on what is worth retrying (503,
//! 500, 429, 408, dropped connections, honouring Retry-After within a budget), and every failure
//! turned into a [`StoreError`] that names the storage error code and request id.
//!
//! The SDK's own retry is off: only here do we know whether a retried write is ambiguous.

use std::future::Future;
use std::time::Duration;

use crate::store::StoreError;

/// How many times a call is tried in all.
const ATTEMPTS: u32 = 4;
/// The longest Retry-After honoured; a longer one ends the retries.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(5);

/// What a failed call was, as far as deciding goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    /// HTTP status, `None` when no answer came (connection refused, dropped, timed out).
    pub status: Option<u16>,
    /// `x-ms-error-code`.
    pub code: String,
    /// `x-ms-request-id`, when there was an answer.
    pub request_id: Option<String>,
    /// Retry-After in seconds.
    pub retry_after: Option<u64>,
    /// The transport's or the SDK's words.
    pub detail: String,
}

impl Failure {
    /// From an SDK error.
    pub fn of(e: &azure_core::Error) -> Failure {
        match e.as_http_error() {
            Some(http) => {
                let text = http.to_string();
                Failure {
                    status: Some(u16::from(http.status())),
                    code: http.error_code().unwrap_or("").to_string(),
                    request_id: header_in(&text, "x-ms-request-id"),
                    retry_after: header_in(&text, "retry-after").and_then(|v| v.parse().ok()),
                    detail: String::new(),
                }
            }
            None => Failure {
                status: None,
                code: String::new(),
                request_id: None,
                retry_after: None,
                detail: error_chain(e),
            },
        }
    }

    /// True for an answer with this status and code.
    pub fn is(&self, status: u16, code: &str) -> bool {
        self.status == Some(status) && self.code == code
    }

    /// Worth another try: no answer, or a transient answer.
    pub fn transient(&self) -> bool {
        match self.status {
            None => true,
            Some(s) => matches!(s, 408 | 429 | 500 | 502 | 503 | 504),
        }
    }

    /// "503 ServerBusy (request id …)" or "no answer: …".
    pub fn describe(&self) -> String {
        match (self.status, &self.request_id) {
            (Some(s), Some(id)) => format!("{s} {} (request id {id})", self.code),
            (Some(s), None) => format!("{s} {}", self.code),
            (None, _) => format!("no answer: {}", self.detail),
        }
    }

    /// As the store's error for `what`.
    pub fn into_store(self, what: &str) -> StoreError {
        match self.status {
            Some(404) => StoreError::NotFound(format!("{what} ({})", self.describe())),
            Some(409 | 412) => StoreError::Conflict {
                what: what.to_string(),
                reason: self.describe(),
            },
            _ => StoreError::Unavailable {
                what: what.to_string(),
                reason: self.describe(),
            },
        }
    }
}

/// A header's value in the SDK's rendering of an HTTP error (`name:value` lines).
fn header_in(text: &str, name: &str) -> Option<String> {
    let at = text.find(&format!("{name}:"))?;
    let rest = &text[at + name.len() + 1..];
    let end = rest.find([' ', '\n', ',']).unwrap_or(rest.len());
    Some(rest[..end].trim().to_string()).filter(|v| !v.is_empty())
}

fn error_chain(e: &azure_core::Error) -> String {
    let mut out = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// Runs `call` until it succeeds, fails for good, or the attempts are spent; `Err` carries the
/// last failure and whether any earlier attempt may have been applied without an answer.
pub(crate) async fn with_retry<T, F, Fut>(mut call: F) -> Result<T, (Failure, bool)>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = azure_core::Result<T>>,
{
    let mut ambiguous = false;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let failure = match call().await {
            Ok(v) => return Ok(v),
            Err(e) => Failure::of(&e),
        };
        let wait = failure
            .retry_after
            .map_or(backoff(attempt), Duration::from_secs);
        if !failure.transient() || attempt >= ATTEMPTS || wait > MAX_RETRY_AFTER {
            return Err((failure, ambiguous));
        }
        // Without an answer (or with a 500), the service may have applied the write.
        ambiguous |= failure.status.is_none() || failure.status == Some(500);
        tokio::time::sleep(wait).await;
    }
}

fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(100 * 2u64.pow(attempt.saturating_sub(1)))
}

#[cfg(test)]
mod tests {
    use super::header_in;

    #[test]
    fn reads_a_header_from_the_sdk_rendering() {
        let text = "HttpError { Status: 503, Headers: [ x-ms-request-id:abc-1 retry-after:2 ], }";
        assert_eq!(header_in(text, "x-ms-request-id").as_deref(), Some("abc-1"));
        assert_eq!(header_in(text, "retry-after").as_deref(), Some("2"));
        assert_eq!(header_in(text, "etag"), None);
    }
}
