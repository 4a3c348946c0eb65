//! baton's retry decisions ([`RetryPolicy`]): which failures are retried, how long to wait, and
//! reporting every retry as an [`ArmEvent::Retry`]. azure_core's own retry policy is disabled
//! (`RetryOptions::none()`), so this is the only place that retries. It must not classify errors
//! itself (that is [`ArmError::is_retryable`]) and must not retry forever.

use crate::azure::error::ArmError;
use crate::azure::progress::{ArmEvent, Progress};
use std::future::Future;
use std::time::Duration;

/// How often and how patiently baton retries a call or a whole write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total attempts including the first (1 = never retry).
    pub max_attempts: u32,
    /// Wait after the first failure when the server gives no `Retry-After`.
    pub base_backoff: Duration,
    /// Ceiling of the exponential backoff.
    pub max_backoff: Duration,
    /// Ceiling applied to a server's `Retry-After` (a throttle can ask for 20 minutes).
    pub retry_after_cap: Duration,
}

impl Default for RetryPolicy {
    /// 5 attempts, 1 s doubling to 20 s, Retry-After capped at 30 s: a failover step gives up
    /// after roughly a minute of throttling and tells the operator, rather than hang.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(20),
            retry_after_cap: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// Never retries.
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// Deterministic exponential backoff after the `failed_attempt`-th failure (1-based):
    /// `base × 2^(n-1)`, capped. No jitter: a role is acted on by one baton at a time (blob
    /// lease), so there is no herd to spread, and a predictable wait is easier to show.
    pub fn backoff(&self, failed_attempt: u32) -> Duration {
        let exp = failed_attempt.saturating_sub(1).min(20);
        self.base_backoff
            .saturating_mul(1u32 << exp)
            .min(self.max_backoff)
    }

    /// The wait before retrying `err`: its `Retry-After` capped at `retry_after_cap`, else the
    /// backoff. A `Retry-After: 0` counts as no hint: a throttle says 0 when its tokens refill
    /// within the second, and retrying at once would spend every attempt in milliseconds.
    pub fn delay_for(&self, err: &ArmError, failed_attempt: u32) -> Duration {
        match err.retry_after() {
            Some(hint) if !hint.is_zero() => hint.min(self.retry_after_cap),
            Some(_) | None => self.backoff(failed_attempt),
        }
    }

    /// Runs `attempt(n)` (n = 1, 2, …) until it succeeds, fails with a non-retryable error, or
    /// the attempts are used up; reports each retry. Returns the value and the attempts made.
    pub(crate) async fn run<T, F, Fut>(
        &self,
        progress: &Progress,
        operation: &str,
        mut attempt: F,
    ) -> Result<(T, u32), ArmError>
    where
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = Result<T, ArmError>>,
    {
        let mut n = 1;
        loop {
            match attempt(n).await {
                Ok(v) => return Ok((v, n)),
                Err(e) if e.is_retryable() && n < self.max_attempts => {
                    let wait = self.delay_for(&e, n);
                    tracing::info!(operation, attempt = n + 1, ?wait, error = %e, "retrying");
                    progress
                        .emit(ArmEvent::Retry {
                            operation: operation.to_owned(),
                            attempt: n + 1,
                            wait,
                            cause: e,
                        })
                        .await;
                    tokio::time::sleep(wait).await;
                    n += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::azure::error::ArmHttpError;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 3,
            base_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(4),
            retry_after_cap: Duration::from_millis(2),
        }
    }

    fn http(status: u16, retry_after: Option<Duration>) -> ArmError {
        ArmError::from(ArmHttpError {
            status,
            code: "C".into(),
            message: "m".into(),
            request_id: None,
            retry_after,
            method: "GET".into(),
            url: "u".into(),
        })
    }

    #[test]
    fn backoff_doubles_and_caps() {
        let p = policy();
        assert_eq!(p.backoff(1), Duration::from_millis(1));
        assert_eq!(p.backoff(2), Duration::from_millis(2));
        assert_eq!(p.backoff(3), Duration::from_millis(4));
        assert_eq!(p.backoff(30), Duration::from_millis(4));
    }

    #[test]
    fn a_zero_retry_after_backs_off_like_no_hint() {
        let p = policy();
        let zero = http(429, Some(Duration::ZERO));
        let none = http(429, None);
        for attempt in 1..=4 {
            assert_eq!(p.delay_for(&zero, attempt), p.backoff(attempt));
            assert_eq!(p.delay_for(&none, attempt), p.backoff(attempt));
        }
        assert!(!p.backoff(1).is_zero(), "the backoff is a real wait");
    }

    #[test]
    fn retry_after_is_capped() {
        let p = policy();
        let e = http(429, Some(Duration::from_secs(1200)));
        assert_eq!(p.delay_for(&e, 1), Duration::from_millis(2));
        assert_eq!(p.delay_for(&http(500, None), 2), Duration::from_millis(2));
    }

    #[tokio::test]
    async fn retries_retryable_then_succeeds_and_reports() {
        let (tx, mut rx) = tokio::sync::mpsc::channel(8);
        let progress = Progress::new(tx);
        let (v, n) = policy()
            .run(&progress, "op", |n| async move {
                if n < 3 {
                    Err(http(503, Some(Duration::from_millis(1))))
                } else {
                    Ok(n)
                }
            })
            .await
            .unwrap();
        assert_eq!((v, n), (3, 3));
        let mut attempts = Vec::new();
        while let Ok(ev) = rx.try_recv() {
            if let ArmEvent::Retry { attempt, .. } = ev {
                attempts.push(attempt);
            }
        }
        assert_eq!(attempts, vec![2, 3]);
    }

    #[tokio::test]
    async fn gives_up_after_max_attempts_and_never_retries_409() {
        let progress = Progress::none();
        let mut calls = 0;
        let r: Result<((), u32), _> = policy()
            .run(&progress, "op", |_| {
                calls += 1;
                async { Err(http(500, None)) }
            })
            .await;
        assert!(r.is_err());
        assert_eq!(calls, 3);
        let mut calls = 0;
        let r: Result<((), u32), _> = policy()
            .run(&progress, "op", |_| {
                calls += 1;
                async { Err(http(409, None)) }
            })
            .await;
        assert_eq!(r.unwrap_err().status(), Some(409));
        assert_eq!(calls, 1);
    }
}
