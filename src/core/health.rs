//! The heartbeat classifier: turns the raw outcomes of one probe into a verdict and a bounded
//! history. Pure: no clock reads, no I/O; every sample arrives with its own time stamp.
//!
//! Semantics (the probe engine and the screens rely on them):
//! - **Raw outcome**: each sample is `Up { latency_ms }` (success) or `Down { reason }` (failure).
//!   A raw `Unknown` carries no evidence and is ignored entirely.
//! - **First verdict**: `Unknown` until evidence arrives; `Up` right after the first success, so
//!   operators do not wait at start-up; `Down` only after `fail_after` consecutive failures.
//! - **Down**: declared after `fail_after` consecutive failures. A shorter run of failures leaves
//!   an `Up` verdict `Up` (with the latency of the latest success).
//! - **Recovery**: from `Down`, `Up` again only after `recover_after` consecutive successes.
//! - **Flap damping**: when the raw outcome changed direction at least `flap_threshold` times
//!   within the last `flap_window` samples, the verdict is `Down` with the reason
//!   `flapping: N changes in last M probes`, whatever the current streak, until the window is
//!   calm again; after that the recovery rule above still applies. Damping only ever makes a
//!   verdict `Down` sooner, never later, so it cannot weaken the detection bound.
//! - **Detection bound** (in samples): a target that stops answering is `Down` at the
//!   `fail_after`-th failing sample at the latest. The engine turns this into time:
//!   `fail_after × interval + one interval`.
//! - **History**: a ring of the last `capacity` latencies (`None` = failed), plus the last run,
//!   the last success and the current failure streak, in the shape of [`ProbeHistory`].

use super::model::ProbeStatus;
use super::snapshot::ProbeHistory;
use std::collections::VecDeque;
use thiserror::Error;
use time::OffsetDateTime;

/// Default number of samples kept in a probe's history ring (one minute at 1 Hz).
pub const DEFAULT_HISTORY: usize = 60;

/// Thresholds of the classifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HealthParams {
    /// Consecutive failures before a probe is declared `Down` (at least 1).
    pub fail_after: u32,
    /// Consecutive successes before a `Down` probe is declared `Up` again (at least 1).
    pub recover_after: u32,
    /// How many recent samples the flap detector looks at.
    pub flap_window: u32,
    /// Direction changes within the window that mean "flapping"; 0 disables damping.
    pub flap_threshold: u32,
}

impl Default for HealthParams {
    fn default() -> Self {
        HealthParams {
            fail_after: 3,
            recover_after: 2,
            flap_window: 10,
            flap_threshold: 5,
        }
    }
}

/// Why a set of [`HealthParams`] cannot work as written.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum HealthParamsError {
    /// `fail_after` is 0: a probe would be down before it ran.
    #[error("fail_after must be at least 1")]
    FailAfterZero,
    /// `recover_after` is 0: a down probe would be up without any success.
    #[error("recover_after must be at least 1")]
    RecoverAfterZero,
    /// The threshold can never be reached: a window of M samples holds at most M - 1 changes.
    #[error("flap_threshold ({threshold}) must be below flap_window ({window}), or 0 to disable")]
    FlapUnreachable {
        /// The configured threshold.
        threshold: u32,
        /// The configured window.
        window: u32,
    },
}

impl HealthParams {
    /// Checks the parameters; the classifier tolerates bad ones (it clamps), config should not.
    pub fn validate(&self) -> Result<(), HealthParamsError> {
        if self.fail_after == 0 {
            return Err(HealthParamsError::FailAfterZero);
        }
        if self.recover_after == 0 {
            return Err(HealthParamsError::RecoverAfterZero);
        }
        if self.flap_threshold > 0 && self.flap_threshold >= self.flap_window {
            return Err(HealthParamsError::FlapUnreachable {
                threshold: self.flap_threshold,
                window: self.flap_window,
            });
        }
        Ok(())
    }
}

/// The classifier of one probe: verdict, streaks, flap window and history ring.
#[derive(Debug, Clone)]
pub struct HealthClassifier {
    params: HealthParams,
    capacity: usize,
    verdict: ProbeStatus,
    consecutive_ok: u32,
    last_failure: Option<String>,
    /// Raw directions (`true` = success) of the last `flap_window` samples, oldest first.
    window: VecDeque<bool>,
    history: ProbeHistory,
}

impl HealthClassifier {
    /// A classifier with no evidence yet, keeping `capacity` samples of history.
    pub fn new(params: HealthParams, capacity: usize) -> Self {
        HealthClassifier {
            params,
            capacity,
            verdict: ProbeStatus::Unknown,
            consecutive_ok: 0,
            last_failure: None,
            window: VecDeque::with_capacity(params.flap_window as usize),
            history: ProbeHistory {
                samples: Vec::with_capacity(capacity),
                ..ProbeHistory::default()
            },
        }
    }

    /// The current verdict.
    pub fn verdict(&self) -> &ProbeStatus {
        &self.verdict
    }

    /// The bounded history (latencies oldest first, last run, last success, failure streak).
    pub fn history(&self) -> &ProbeHistory {
        &self.history
    }

    /// Folds one raw outcome taken at `at`; returns true when the verdict's kind
    /// (Up / Down / Unknown) changed, the moment worth telling someone about at once.
    pub fn observe(&mut self, at: OffsetDateTime, outcome: ProbeStatus) -> bool {
        let ok = match &outcome {
            ProbeStatus::Up { .. } => true,
            ProbeStatus::Down { .. } => false,
            ProbeStatus::Unknown => return false,
        };
        self.record(at, &outcome);
        self.push_direction(ok);
        let next = self.next_verdict(outcome);
        let changed = std::mem::discriminant(&next) != std::mem::discriminant(&self.verdict);
        self.verdict = next;
        changed
    }

    fn record(&mut self, at: OffsetDateTime, outcome: &ProbeStatus) {
        let latency = match outcome {
            ProbeStatus::Up { latency_ms } => {
                self.history.last_ok = Some(at);
                self.history.consecutive_failures = 0;
                self.consecutive_ok = self.consecutive_ok.saturating_add(1);
                Some(*latency_ms)
            }
            ProbeStatus::Down { reason } => {
                self.history.consecutive_failures =
                    self.history.consecutive_failures.saturating_add(1);
                self.consecutive_ok = 0;
                self.last_failure = Some(reason.clone());
                None
            }
            ProbeStatus::Unknown => return,
        };
        self.history.last_run = Some(at);
        if self.capacity == 0 {
            return;
        }
        if self.history.samples.len() >= self.capacity {
            let excess = self.history.samples.len() + 1 - self.capacity;
            self.history.samples.drain(..excess);
        }
        self.history.samples.push(latency);
    }

    fn push_direction(&mut self, ok: bool) {
        let window = self.params.flap_window as usize;
        if window == 0 {
            return;
        }
        while self.window.len() >= window {
            self.window.pop_front();
        }
        self.window.push_back(ok);
    }

    /// Direction changes between neighbouring samples of the flap window.
    fn changes(&self) -> u32 {
        let pairs = self.window.iter().zip(self.window.iter().skip(1));
        let n = pairs.filter(|(a, b)| a != b).count();
        u32::try_from(n).unwrap_or(u32::MAX)
    }

    fn next_verdict(&self, outcome: ProbeStatus) -> ProbeStatus {
        let changes = self.changes();
        if self.params.flap_threshold > 0 && changes >= self.params.flap_threshold {
            return ProbeStatus::Down {
                reason: format!(
                    "flapping: {changes} changes in last {} probes",
                    self.window.len()
                ),
            };
        }
        let failures = self.history.consecutive_failures;
        let fail_after = self.params.fail_after.max(1);
        let recover_after = self.params.recover_after.max(1);
        match (&self.verdict, outcome) {
            (_, ProbeStatus::Down { reason }) if failures >= fail_after => {
                ProbeStatus::Down { reason }
            }
            (ProbeStatus::Down { .. }, ProbeStatus::Up { latency_ms })
                if self.consecutive_ok >= recover_after =>
            {
                ProbeStatus::Up { latency_ms }
            }
            (ProbeStatus::Down { .. }, ProbeStatus::Up { .. }) => ProbeStatus::Down {
                reason: self.recovering_reason(recover_after),
            },
            (ProbeStatus::Down { .. }, _) => ProbeStatus::Down {
                reason: self.last_failure_reason(),
            },
            (_, ProbeStatus::Up { latency_ms }) => ProbeStatus::Up { latency_ms },
            (current, _) => current.clone(),
        }
    }

    fn last_failure_reason(&self) -> String {
        self.last_failure
            .clone()
            .unwrap_or_else(|| "no healthy answer".to_string())
    }

    fn recovering_reason(&self, recover_after: u32) -> String {
        format!(
            "recovering: {}/{recover_after} ok since {}",
            self.consecutive_ok,
            self.last_failure_reason()
        )
    }
}

#[cfg(test)]
#[path = "health_tests.rs"]
mod tests;
