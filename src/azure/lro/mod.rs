//! baton's own long-running-operation poller (the crates' `.await` on write builders is broken
//! against real Azure: see "How requests are made" in `azure`). Given the raw first answer of a
//! write, it watches `Azure-AsyncOperation` (else `Location`), honours and caps `Retry-After`,
//! treats a failing status URL as "unreadable" (retried a few times, reported) rather than as a
//! failed operation, keeps `error.code`/`message` of Failed/Canceled operations, enforces an
//! overall timeout, and fetches the final result (the resource after PUT/PATCH, the `Location` URL
//! after POST). When to poll is [`schedule`]'s business: fine polling while the operation is likely
//! to end, ARM's pace otherwise. It must not re-send the write itself; re-running a write is the
//! retry policy's decision.

mod poller;
pub mod schedule;

pub(crate) use poller::{await_operation, Finished};
pub use schedule::{expecting, likely_window, window_wait, Answer, READS_RESERVE};

use crate::azure::error::LroEnd;
use std::time::Duration;
use url::Url;

/// How baton polls a long-running operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollPolicy {
    /// Never poll more often than this, whatever `Retry-After` says (0 allowed); also the
    /// interval while an operation is likely to end (see [`schedule`]).
    pub min_interval: Duration,
    /// Wait between polls when the server gives no `Retry-After`.
    pub default_interval: Duration,
    /// Ceiling applied to `Retry-After` while polling.
    pub retry_after_cap: Duration,
    /// Give up (with [`ArmError::OperationTimeout`](crate::azure::ArmError::OperationTimeout)) after polling this long.
    pub timeout: Duration,
    /// Consecutive failed reads of a status URL tolerated before [`ArmError::StatusUnreadable`](crate::azure::ArmError::StatusUnreadable).
    pub unreadable_limit: u32,
}

impl Default for PollPolicy {
    /// 0.25 s floor (and fine interval), 2 s without hint, hints capped at 10 s, 15 min
    /// timeout (disk detach has a minutes-long tail), 5 unreadable reads. A 0.25 s interval
    /// inside the likely window keeps each operation's overshoot ≤ 0.25 s at ≤ 4 reads/s for
    /// that window only; the crates' 30 s default would dominate the failover's critical path.
    fn default() -> Self {
        PollPolicy {
            min_interval: Duration::from_millis(250),
            default_interval: Duration::from_secs(2),
            retry_after_cap: Duration::from_secs(10),
            timeout: Duration::from_secs(15 * 60),
            unreadable_limit: 5,
        }
    }
}

impl PollPolicy {
    /// The plain ARM cadence: the server's hint (or the default), capped, floored. The poller
    /// uses [`PollPolicy::schedule`], which falls back to this without an expectation.
    pub fn next_wait(&self, hint: Option<Duration>) -> Duration {
        hint.unwrap_or(self.default_interval)
            .min(self.retry_after_cap)
            .max(self.min_interval)
    }
}

/// What the write was, which decides where its final result lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteKind {
    /// PUT/PATCH: the final result is a GET of the resource at this URL.
    PutOrPatch(Url),
    /// POST action: the final result is the `Location` URL's answer (200 body or 204).
    Post,
}

/// Which URL reports the operation's progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Monitor {
    /// `Azure-AsyncOperation`: 200 with `{status, error?}`.
    AsyncOperation(Url),
    /// `Location`: 202 while running, the final result when done.
    Location(Url),
}

impl Monitor {
    /// The URL polled.
    pub fn url(&self) -> &Url {
        match self {
            Monitor::AsyncOperation(u) | Monitor::Location(u) => u,
        }
    }
}

/// Picks the status URL: `Azure-AsyncOperation` if present and valid, else `Location`.
pub fn choose_monitor(
    azure_async_operation: Option<&str>,
    location: Option<&str>,
) -> Option<Monitor> {
    let parse = |v: Option<&str>| v.and_then(|s| Url::parse(s.trim()).ok());
    parse(azure_async_operation)
        .map(Monitor::AsyncOperation)
        .or_else(|| parse(location).map(Monitor::Location))
}

/// An operation's state as read from an `Azure-AsyncOperation` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpState {
    /// Not finished; holds the raw status (`InProgress`, `Accepted`, `Updating`…).
    Running(String),
    /// `Succeeded`.
    Succeeded,
    /// `Failed` or `Canceled`, with `error.code` / `error.message` (empty when absent).
    Ended {
        /// Failed or Canceled.
        end: LroEnd,
        /// `error.code`.
        code: String,
        /// `error.message`.
        message: String,
    },
}

/// Parses `{status, error?: {code, message}}`; any status other than the three terminal ones
/// (case-insensitive) counts as still running.
pub fn parse_operation_status(body: &[u8]) -> Result<OpState, String> {
    let v: serde_json::Value = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    let status = v
        .get("status")
        .and_then(|s| s.as_str())
        .ok_or_else(|| "no `status` field".to_owned())?;
    let error = |name: &str| {
        v.get("error")
            .and_then(|e| e.get(name))
            .and_then(|s| s.as_str())
            .unwrap_or_default()
            .to_owned()
    };
    let end = match status.to_ascii_lowercase().as_str() {
        "succeeded" => return Ok(OpState::Succeeded),
        "failed" => LroEnd::Failed,
        "canceled" | "cancelled" => LroEnd::Canceled,
        _ => return Ok(OpState::Running(status.to_owned())),
    };
    Ok(OpState::Ended {
        end,
        code: error("code"),
        message: error("message"),
    })
}

/// `properties.provisioningState` of a resource body, if any.
pub fn provisioning_state(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    v.get("properties")?
        .get("provisioningState")?
        .as_str()
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monitor_prefers_async_operation() {
        let a = "http://h/ops/1?api-version=x";
        let l = "http://h/ops/1?api-version=x&monitor=true";
        assert_eq!(
            choose_monitor(Some(a), Some(l)),
            Some(Monitor::AsyncOperation(Url::parse(a).unwrap()))
        );
        assert_eq!(
            choose_monitor(None, Some(l)),
            Some(Monitor::Location(Url::parse(l).unwrap()))
        );
        assert_eq!(
            choose_monitor(Some("not a url"), Some(l)),
            Some(Monitor::Location(Url::parse(l).unwrap()))
        );
        assert_eq!(choose_monitor(None, None), None);
    }

    #[test]
    fn status_parsing() {
        assert_eq!(
            parse_operation_status(br#"{"status":"InProgress"}"#),
            Ok(OpState::Running("InProgress".into()))
        );
        assert_eq!(
            parse_operation_status(br#"{"name":"x","status":"succeeded"}"#),
            Ok(OpState::Succeeded)
        );
        assert_eq!(
            parse_operation_status(
                br#"{"status":"Canceled","error":{"code":"OperationPreempted","message":"newer op"}}"#
            ),
            Ok(OpState::Ended {
                end: LroEnd::Canceled,
                code: "OperationPreempted".into(),
                message: "newer op".into()
            })
        );
        assert_eq!(
            parse_operation_status(br#"{"status":"Failed"}"#),
            Ok(OpState::Ended {
                end: LroEnd::Failed,
                code: String::new(),
                message: String::new()
            })
        );
        assert!(parse_operation_status(b"").is_err());
        assert!(parse_operation_status(br#"{"name":"x"}"#).is_err());
    }

    #[test]
    fn waits_are_capped_and_floored() {
        let p = PollPolicy {
            min_interval: Duration::from_millis(10),
            default_interval: Duration::from_millis(50),
            retry_after_cap: Duration::from_millis(100),
            timeout: Duration::from_secs(1),
            unreadable_limit: 2,
        };
        assert_eq!(p.next_wait(None), Duration::from_millis(50));
        assert_eq!(p.next_wait(Some(Duration::ZERO)), Duration::from_millis(10));
        assert_eq!(
            p.next_wait(Some(Duration::from_secs(1200))),
            Duration::from_millis(100)
        );
        assert_eq!(
            p.next_wait(Some(Duration::from_millis(30))),
            Duration::from_millis(30)
        );
    }

    #[test]
    fn provisioning_state_from_body() {
        assert_eq!(
            provisioning_state(br#"{"properties":{"provisioningState":"Updating"}}"#).as_deref(),
            Some("Updating")
        );
        assert_eq!(provisioning_state(b"{}"), None);
    }
}
