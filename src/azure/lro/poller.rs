//! The polling loop itself: follows one operation from the write's first answer to its final
//! result, reporting every poll and every unreadable status read, waiting as
//! [`PollPolicy::schedule`] says between polls and a throttle's full `Retry-After` after a
//! 429/503 from a status URL. It must not re-send the write.
//!
//! Every poll carries the bearer token, so a status URL is followed only on the ARM endpoint's
//! own scheme, host and port: a header naming any other place is refused before anything is
//! sent to it (a compromised or misbehaving proxy must not collect the token).

use crate::azure::client::{RawResponse, ReadClient};
use crate::azure::error::ArmError;
use crate::azure::lro::{choose_monitor, parse_operation_status, provisioning_state, schedule};
use crate::azure::lro::{Answer, Monitor, OpState, PollPolicy, WriteKind};
use crate::azure::progress::{ArmEvent, Progress};
use std::time::{Duration, Instant};
use url::Url;

/// The final result of a finished operation: the resource (PUT/PATCH) or the `Location`
/// answer (POST; `None` for 204, an empty body, or when there is no `Location`).
#[derive(Debug, Clone)]
pub(crate) struct Finished {
    pub body: Option<Vec<u8>>,
}

/// Polls the operation started by `initial` to its end. `operation` names it in events.
pub(crate) async fn await_operation(
    reader: &ReadClient,
    operation: &str,
    kind: &WriteKind,
    initial: &RawResponse,
) -> Result<Finished, ArmError> {
    let poller = Poller {
        reader,
        operation,
        policy: reader.poll_policy(),
        progress: reader.progress(),
        started: Instant::now(),
        request_id: initial.request_id(),
        typical: schedule::expected(),
    };
    poller.run(kind, initial).await
}

struct Poller<'a> {
    reader: &'a ReadClient,
    operation: &'a str,
    policy: &'a PollPolicy,
    progress: &'a Progress,
    started: Instant,
    request_id: Option<String>,
    /// How long the caller expects the operation to take ([`schedule::expecting`]).
    typical: Option<Duration>,
}

impl Poller<'_> {
    async fn run(&self, kind: &WriteKind, initial: &RawResponse) -> Result<Finished, ArmError> {
        let monitor = choose_monitor(
            initial.header("azure-asyncoperation"),
            initial.header("location"),
        );
        let location = initial.header("location").and_then(|l| Url::parse(l).ok());
        // The write's own answer carries the write budget, not the read budget.
        let first = Answer {
            retry_after: retry_hint(initial),
            reads_left: None,
        };
        let monitor_url = monitor
            .as_ref()
            .map(|m| m.url().to_string())
            .unwrap_or_default();
        let body = match monitor {
            None => self.without_monitor(kind, initial)?,
            Some(Monitor::AsyncOperation(url)) => {
                self.watch_async_operation(&url, first).await?;
                None
            }
            Some(Monitor::Location(url)) => Some(self.watch_location(&url, Some(first)).await?),
        };
        let finished = match (kind, body) {
            (WriteKind::PutOrPatch(resource), _) => Some(self.read_final(resource).await?),
            (WriteKind::Post, Some(done)) => Some(done),
            (WriteKind::Post, None) => match location {
                // The operation is done; the result is normally ready at once.
                Some(url) => Some(self.watch_location(&url, None).await?),
                None => None,
            },
        };
        self.emit_poll(&monitor_url, "Succeeded", Duration::ZERO)
            .await;
        Ok(Finished {
            body: finished.and_then(|r| (r.status != 204 && !r.body.is_empty()).then_some(r.body)),
        })
    }

    /// No status URL: only a synchronous success can be judged.
    fn without_monitor(
        &self,
        kind: &WriteKind,
        initial: &RawResponse,
    ) -> Result<Option<RawResponse>, ArmError> {
        let state = provisioning_state(&initial.body);
        match (kind, initial.status, state.as_deref()) {
            (WriteKind::Post, 200 | 204, _) => Ok(Some(initial.clone())),
            (WriteKind::PutOrPatch(_), 200 | 201, None | Some("Succeeded")) => Ok(None),
            (_, status, state) => Err(ArmError::Decode {
                what: format!("answer to {}", self.operation),
                reason: format!(
                    "HTTP {status} (provisioningState {}) without Azure-AsyncOperation or Location",
                    state.unwrap_or("absent")
                ),
            }),
        }
    }

    async fn watch_async_operation(&self, url: &Url, first: Answer) -> Result<(), ArmError> {
        self.trusted(url)?;
        let mut wait = self.next_wait(first);
        let mut last = "InProgress".to_owned();
        loop {
            self.sleep_within_deadline(url, &last, wait).await?;
            let resp = self.read_status(url).await?;
            let state = if resp.status == 202 {
                Ok(OpState::Running("InProgress".to_owned()))
            } else {
                parse_operation_status(&resp.body)
            };
            match state {
                Ok(OpState::Succeeded) => return Ok(()),
                Ok(OpState::Ended { end, code, message }) => {
                    self.emit_poll(url.as_str(), &end.to_string(), Duration::ZERO)
                        .await;
                    return Err(ArmError::Operation {
                        end,
                        code,
                        message,
                        operation_url: url.to_string(),
                        request_id: self.request_id.clone(),
                    });
                }
                Ok(OpState::Running(status)) => {
                    wait = self.next_wait(answer(&resp));
                    self.emit_poll(url.as_str(), &status, wait).await;
                    last = status;
                }
                Err(reason) => {
                    // A garbled status body is as unreadable as a 500 from the status URL.
                    wait = self.next_wait(Answer::default());
                    let status = format!("unreadable ({reason})");
                    self.emit_poll(url.as_str(), &status, wait).await;
                    last = status;
                }
            }
        }
    }

    /// Polls a `Location` URL until it stops answering 202; returns that final answer.
    /// `first`: `Some(answer)` to wait as that answer says before the first read, `None` to
    /// read at once.
    async fn watch_location(
        &self,
        url: &Url,
        first: Option<Answer>,
    ) -> Result<RawResponse, ArmError> {
        self.trusted(url)?;
        let mut wait = first.map(|a| self.next_wait(a));
        loop {
            if let Some(w) = wait {
                self.sleep_within_deadline(url, "InProgress", w).await?;
            }
            let resp = self.read_status(url).await?;
            if resp.status != 202 {
                return Ok(resp);
            }
            let next = self.next_wait(answer(&resp));
            self.emit_poll(url.as_str(), "InProgress", next).await;
            wait = Some(next);
        }
    }

    /// `Ok` when `url` is on the endpoint's scheme, host and port (else no token goes there).
    fn trusted(&self, url: &Url) -> Result<(), ArmError> {
        let endpoint = &self.reader.target().endpoint;
        let same_origin = url.scheme() == endpoint.scheme()
            && url.host() == endpoint.host()
            && url.port_or_known_default() == endpoint.port_or_known_default();
        if same_origin {
            return Ok(());
        }
        Err(ArmError::Invalid(format!(
            "{}: the status URL {} is not on the ARM endpoint {} (scheme, host and port must \
             match); not followed, no token sent; the write may still be running",
            self.operation,
            url.as_str(),
            endpoint.origin().ascii_serialization()
        )))
    }

    async fn read_final(&self, resource: &Url) -> Result<RawResponse, ArmError> {
        self.read_status(resource).await
    }

    /// One read of a status or result URL, retried while it fails with HTTP or transport
    /// errors (the operation's outcome is unknown, not failed), up to `unreadable_limit`.
    async fn read_status(&self, url: &Url) -> Result<RawResponse, ArmError> {
        let mut failures = 0;
        loop {
            let err = match self.reader.get_raw(url).await {
                Ok(resp) => return Ok(resp),
                Err(e @ (ArmError::Http(_) | ArmError::Transport { .. })) => e,
                Err(e) => return Err(e),
            };
            failures += 1;
            if failures > self.policy.unreadable_limit {
                return Err(ArmError::StatusUnreadable {
                    operation_url: url.to_string(),
                    attempts: failures,
                    last: Box::new(err),
                });
            }
            // A throttle's Retry-After is an order, not a pacing hint: ARM counts status reads
            // against the subscription like any other read. The deadline still bounds it.
            let wait = match err.retry_after() {
                Some(asked) => asked.max(self.policy.min_interval),
                None => self.policy.next_wait(None),
            };
            self.progress
                .emit(ArmEvent::Retry {
                    operation: format!("read status of {}", self.operation),
                    attempt: failures + 1,
                    wait,
                    cause: err,
                })
                .await;
            self.sleep_within_deadline(url, "unreadable", wait).await?;
        }
    }

    /// Sleeps `wait`, or fails with a timeout when the deadline has passed. The sleep is
    /// shortened so that one last poll happens right at the deadline.
    async fn sleep_within_deadline(
        &self,
        url: &Url,
        last: &str,
        wait: Duration,
    ) -> Result<(), ArmError> {
        let elapsed = self.started.elapsed();
        if elapsed >= self.policy.timeout {
            return Err(ArmError::OperationTimeout {
                last_status: last.to_owned(),
                waited: elapsed,
                operation_url: url.to_string(),
                request_id: self.request_id.clone(),
            });
        }
        tokio::time::sleep(wait.min(self.policy.timeout - elapsed)).await;
        Ok(())
    }

    /// The wait before the next poll, per the policy's schedule, from now.
    fn next_wait(&self, answer: Answer) -> Duration {
        self.policy
            .schedule(self.typical, self.started.elapsed(), answer)
    }

    async fn emit_poll(&self, url: &str, status: &str, next_wait: Duration) {
        self.progress
            .emit(ArmEvent::Poll {
                operation: self.operation.to_owned(),
                operation_url: url.to_owned(),
                status: status.to_owned(),
                next_wait,
            })
            .await;
    }
}

/// The server's wait hint on an answer.
fn retry_hint(resp: &RawResponse) -> Option<Duration> {
    crate::azure::capture::retry_after(&resp.headers, time::OffsetDateTime::now_utc())
}

/// What a status answer says about the next wait: its hint and the subscription's read budget.
fn answer(resp: &RawResponse) -> Answer {
    Answer {
        retry_after: retry_hint(resp),
        reads_left: resp
            .header("x-ms-ratelimit-remaining-subscription-reads")
            .and_then(|v| v.trim().parse().ok()),
    }
}
