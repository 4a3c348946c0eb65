//! The adapter's error type. Owns [`ArmError`] (every way an ARM call can fail, with the HTTP
//! status, ARM `code`, `message` and `x-ms-request-id` kept all the way up) and the conversion
//! from `azure_core::Error`. It must not decide *whether* to retry (that is `retry.rs`); it only
//! classifies.

use std::time::Duration;

/// An HTTP error answer from ARM, as captured by the pipeline before azure_core could hide its
/// headers. Also travels inside `azure_core::Error` as the source, to be recovered by downcast.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{method} {url}: HTTP {status} {code}: {message} (x-ms-request-id {})", request_id.as_deref().unwrap_or("none"))]
pub struct ArmHttpError {
    /// HTTP status code.
    pub status: u16,
    /// ARM `error.code` from the body, else the `x-ms-error-code` header, else `HTTP{status}`.
    pub code: String,
    /// ARM `error.message` from the body (or the raw body, shortened, when it is not ARM JSON).
    pub message: String,
    /// `x-ms-request-id` of the failing response, when the server sent one.
    pub request_id: Option<String>,
    /// Parsed `Retry-After` (or `retry-after-ms` / `x-ms-retry-after-ms`), uncapped.
    pub retry_after: Option<Duration>,
    /// HTTP method of the failing request.
    pub method: String,
    /// URL of the failing request (no credentials are ever part of a URL here).
    pub url: String,
}

/// The ARM error codes baton decides on; every other code is [`ArmCode::Other`] (the text stays
/// in the error for people to read).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArmCode {
    /// Network: another write on the resource is running (409, transient: retried).
    AnotherOperationInProgress,
    /// A long-running operation was canceled by a newer write on the same VM (retried).
    OperationPreempted,
    /// The VM refused the call in its current state (a Run Command while one runs, …).
    OperationNotAllowed,
    /// Any other code.
    Other,
}

impl ArmCode {
    /// Classifies a code exactly as ARM spells it.
    pub fn of(code: &str) -> ArmCode {
        match code {
            "AnotherOperationInProgress" => ArmCode::AnotherOperationInProgress,
            "OperationPreempted" => ArmCode::OperationPreempted,
            "OperationNotAllowed" => ArmCode::OperationNotAllowed,
            _ => ArmCode::Other,
        }
    }
}

impl ArmHttpError {
    /// The answer's code, classified.
    pub fn arm_code(&self) -> ArmCode {
        ArmCode::of(&self.code)
    }
}

/// A credential could not produce a token; travels inside `azure_core::Error` like
/// [`ArmHttpError`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} credential failed: {reason}")]
pub struct CredentialFailure {
    /// Which credential (`azure-cli`, `managed-identity`, `environment`, `default`, `static`).
    pub kind: String,
    /// Why, from the credential's own error chain.
    pub reason: String,
}

/// How a long-running operation ended when it did not succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LroEnd {
    /// Status `Failed`.
    Failed,
    /// Status `Canceled` (for example preempted by a newer write on the same VM).
    Canceled,
}

impl std::fmt::Display for LroEnd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            LroEnd::Failed => "Failed",
            LroEnd::Canceled => "Canceled",
        })
    }
}

/// Every way an ARM call made by baton can fail.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArmError {
    /// ARM answered with a non-success status.
    #[error(transparent)]
    Http(Box<ArmHttpError>),
    /// The connection failed or was dropped before a complete answer arrived.
    #[error("{method} {url}: connection failed: {reason}")]
    Transport {
        /// HTTP method of the request.
        method: String,
        /// URL of the request.
        url: String,
        /// The transport's explanation.
        reason: String,
    },
    /// An answer arrived but could not be understood.
    #[error("could not decode {what}: {reason}")]
    Decode {
        /// What was being decoded (`NIC web-a-nic`, `operation status`…).
        what: String,
        /// The decoder's explanation.
        reason: String,
    },
    /// A long-running operation ended `Failed` or `Canceled`.
    #[error("operation {end}: {code}: {message} (operation {operation_url}, started by request {})", request_id.as_deref().unwrap_or("unknown"))]
    Operation {
        /// Failed or Canceled.
        end: LroEnd,
        /// ARM `error.code` of the operation (e.g. `OperationPreempted`).
        code: String,
        /// ARM `error.message` of the operation.
        message: String,
        /// The status URL that reported the end.
        operation_url: String,
        /// `x-ms-request-id` of the write that started the operation.
        request_id: Option<String>,
    },
    /// A long-running operation did not end within the poll policy's timeout.
    #[error("operation still {last_status} after {waited:?} (operation {operation_url}, started by request {})", request_id.as_deref().unwrap_or("unknown"))]
    OperationTimeout {
        /// The last status read (`InProgress`, or `unreadable`).
        last_status: String,
        /// How long baton polled.
        waited: Duration,
        /// The status URL being polled.
        operation_url: String,
        /// `x-ms-request-id` of the write that started the operation.
        request_id: Option<String>,
    },
    /// The status URL kept failing; the operation's outcome is unknown (not failed).
    #[error("status of operation {operation_url} unreadable after {attempts} tries: {last}")]
    StatusUnreadable {
        /// The status URL.
        operation_url: String,
        /// Consecutive failed reads.
        attempts: u32,
        /// The last read's error.
        last: Box<ArmError>,
    },
    /// A credential could not produce a token.
    #[error("{kind} credential failed: {reason}")]
    Credential {
        /// Which credential.
        kind: String,
        /// Why.
        reason: String,
    },
    /// A write reported success but the resource does not show the desired state.
    #[error("{what}: not in the desired state after the write: {detail}")]
    NotApplied {
        /// The resource (`NIC web-a-nic`).
        what: String,
        /// What is still wrong.
        detail: String,
    },
    /// The request cannot be made as asked (e.g. a NIC without ipconfig).
    #[error("invalid request: {0}")]
    Invalid(String),
    /// Any other SDK failure that fits none of the above.
    #[error("azure sdk error: {0}")]
    Sdk(String),
    /// The write was not sent: the role lock's lease is no longer certainly held.
    #[error("{operation}: not sent: {reason}")]
    LeaseLost {
        /// The write that was about to be sent.
        operation: String,
        /// Why the lease is lost.
        reason: String,
    },
}

impl From<ArmHttpError> for ArmError {
    fn from(e: ArmHttpError) -> Self {
        ArmError::Http(Box::new(e))
    }
}

/// The brief's name for the adapter error; one enum serves both.
pub type AzureError = ArmError;

impl ArmError {
    /// True when baton should retry: 408/429/5xx, a dropped connection, a preempted operation,
    /// and network's `AnotherOperationInProgress` (409, explicitly transient). Everything else
    /// (400, 401, 403, 404, 409 ConflictingUserInput, 412, Failed operations) returns at once.
    pub fn is_retryable(&self) -> bool {
        match self {
            ArmError::Http(e) => {
                matches!(e.status, 408 | 429 | 500..=599)
                    || e.arm_code() == ArmCode::AnotherOperationInProgress
            }
            ArmError::Transport { .. } => true,
            ArmError::Operation { end, code, .. } => {
                *end == LroEnd::Canceled && ArmCode::of(code) == ArmCode::OperationPreempted
            }
            _ => false,
        }
    }

    /// The server's `Retry-After`, uncapped (the retry policy caps it).
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ArmError::Http(e) => e.retry_after,
            _ => None,
        }
    }

    /// HTTP status when the error is an HTTP answer.
    pub fn status(&self) -> Option<u16> {
        match self {
            ArmError::Http(e) => Some(e.status),
            _ => None,
        }
    }

    /// The ARM error code (HTTP or operation), if any.
    pub fn code(&self) -> Option<&str> {
        match self {
            ArmError::Http(e) => Some(&e.code),
            ArmError::Operation { code, .. } => Some(code),
            ArmError::LeaseLost { .. } => Some("LeaseLost"),
            _ => None,
        }
    }

    /// The `x-ms-request-id` most relevant to this error, if known.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            ArmError::Http(e) => e.request_id.as_deref(),
            ArmError::Operation { request_id, .. }
            | ArmError::OperationTimeout { request_id, .. } => request_id.as_deref(),
            ArmError::StatusUnreadable { last, .. } => last.request_id(),
            _ => None,
        }
    }

    /// Converts an azure_core error, recovering the captured HTTP error or credential failure
    /// from its source chain. `method`/`url` describe the request for transport errors.
    pub fn from_azure(err: &azure_core::Error, method: &str, url: &str) -> ArmError {
        if let Some(found) = find_in_chain(err) {
            return found;
        }
        match err.kind() {
            azure_core::error::ErrorKind::Io => ArmError::Transport {
                method: method.to_owned(),
                url: url.to_owned(),
                reason: chain_text(err),
            },
            azure_core::error::ErrorKind::DataConversion => ArmError::Decode {
                what: format!("answer to {method} {url}"),
                reason: chain_text(err),
            },
            azure_core::error::ErrorKind::Credential => ArmError::Credential {
                kind: "unknown".to_owned(),
                reason: chain_text(err),
            },
            _ => ArmError::Sdk(chain_text(err)),
        }
    }
}

/// Walks `source()` looking for the errors baton's pipeline put there.
fn find_in_chain(err: &(dyn std::error::Error + 'static)) -> Option<ArmError> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = current {
        if let Some(http) = e.downcast_ref::<ArmHttpError>() {
            return Some(ArmError::from(http.clone()));
        }
        if let Some(cred) = e.downcast_ref::<CredentialFailure>() {
            return Some(ArmError::Credential {
                kind: cred.kind.clone(),
                reason: cred.reason.clone(),
            });
        }
        current = e.source();
    }
    None
}

/// The whole error chain as one line (`outer: inner: innermost`), duplicates removed.
pub(crate) fn chain_text(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = current {
        let text = e.to_string();
        if parts.last() != Some(&text) && !text.is_empty() {
            parts.push(text);
        }
        current = e.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use azure_core::error::ErrorKind;

    fn http(status: u16, code: &str) -> ArmHttpError {
        ArmHttpError {
            status,
            code: code.to_owned(),
            message: "m".to_owned(),
            request_id: Some("rid-1".to_owned()),
            retry_after: Some(Duration::from_secs(3)),
            method: "PUT".to_owned(),
            url: "http://x/y".to_owned(),
        }
    }

    #[test]
    fn recovers_http_error_through_context_layers() {
        let status = azure_core::StatusCode::Conflict;
        let inner = azure_core::Error::new(
            ErrorKind::http_response(status, Some("ConflictingUserInput".into())),
            http(409, "ConflictingUserInput"),
        );
        let wrapped = inner.context("non-io error occurred which will not be retried");
        let err = ArmError::from_azure(&wrapped, "POST", "http://x");
        assert_eq!(err.status(), Some(409));
        assert_eq!(err.code(), Some("ConflictingUserInput"));
        assert_eq!(err.request_id(), Some("rid-1"));
        assert!(!err.is_retryable());
    }

    #[test]
    fn io_errors_are_transport_and_retryable() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset by peer");
        let e = azure_core::Error::full(ErrorKind::Io, io, "failed to execute request");
        let err = ArmError::from_azure(&e, "GET", "http://x/vm");
        assert!(matches!(err, ArmError::Transport { .. }));
        assert!(err.is_retryable());
        assert!(err.to_string().contains("reset by peer"));
    }

    #[test]
    fn credential_failures_are_recovered() {
        let e = azure_core::Error::new(
            ErrorKind::Credential,
            CredentialFailure {
                kind: "azure-cli".into(),
                reason: "az not installed".into(),
            },
        );
        let err = ArmError::from_azure(&e, "GET", "u");
        assert_eq!(
            err.to_string(),
            "azure-cli credential failed: az not installed"
        );
    }

    #[test]
    fn classification() {
        assert!(ArmError::from(http(429, "TooManyRequests")).is_retryable());
        assert!(ArmError::from(http(503, "ServerBusy")).is_retryable());
        assert!(ArmError::from(http(500, "InternalServerError")).is_retryable());
        for (s, c) in [
            (400, "InvalidParameter"),
            (401, "ExpiredAuthenticationToken"),
            (403, "AuthorizationFailed"),
            (404, "ResourceNotFound"),
            (409, "ConflictingUserInput"),
            (412, "PreconditionFailed"),
        ] {
            assert!(!ArmError::from(http(s, c)).is_retryable(), "{s} {c}");
        }
        let pre = ArmError::Operation {
            end: LroEnd::Canceled,
            code: "OperationPreempted".into(),
            message: "m".into(),
            operation_url: "u".into(),
            request_id: None,
        };
        assert!(pre.is_retryable());
        let failed = ArmError::Operation {
            end: LroEnd::Failed,
            code: "InternalError".into(),
            message: "m".into(),
            operation_url: "u".into(),
            request_id: None,
        };
        assert!(!failed.is_retryable());
        assert_eq!(
            ArmError::from(http(429, "x")).retry_after(),
            Some(Duration::from_secs(3))
        );
    }

    #[test]
    fn only_the_codes_baton_decides_on_have_their_own_variant() {
        assert_eq!(
            ArmCode::of("AnotherOperationInProgress"),
            ArmCode::AnotherOperationInProgress
        );
        assert_eq!(
            ArmCode::of("OperationPreempted"),
            ArmCode::OperationPreempted
        );
        assert_eq!(
            ArmCode::of("OperationNotAllowed"),
            ArmCode::OperationNotAllowed
        );
        assert_eq!(ArmCode::of("ConflictingUserInput"), ArmCode::Other);
        assert!(ArmError::from(http(409, "AnotherOperationInProgress")).is_retryable());
        assert!(!ArmError::from(http(409, "ConflictingUserInput")).is_retryable());
    }
}
