//! Per-step timeouts and estimates of a failover plan.
//!
//! Owns only numbers: the defaults below are what real Azure does — an endpoint (NIC) update
//! takes 5–10 s, a disk detach or attach ~10–15 s with a detach tail of a minute and rare hangs
//! of minutes, a run command at least 20 s, a VM start or power-off tens of seconds. The
//! config's `[failover.timeouts]` overrides the timeouts. Nothing here measures anything.

use super::StepKind;
use serde::Serialize;
use std::time::Duration;

/// How long one step is expected to take and when the executor gives up on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct StepTiming {
    /// Typical duration, shown in the preview and summed into the plan's estimate.
    #[serde(serialize_with = "super::ser_millis")]
    pub estimate: Duration,
    /// Upper bound; past it the step fails with a timeout and the operation waits for a human.
    #[serde(serialize_with = "super::ser_millis")]
    pub timeout: Duration,
}

impl StepTiming {
    /// A timing from whole seconds.
    pub const fn secs(estimate: u64, timeout: u64) -> StepTiming {
        StepTiming {
            estimate: Duration::from_secs(estimate),
            timeout: Duration::from_secs(timeout),
        }
    }
}

/// Timings of every step. Steps that act on several resources at once (one NIC PUT per holder,
/// one detach call per owner) run those calls in parallel, so a step's estimate is one call's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepTimings {
    /// Lock, re-read of the target's instance view: seconds at most.
    pub preflight: StepTiming,
    /// NIC PUT removing the endpoint: 5–10 s on Azure.
    pub isolate: StepTiming,
    /// Stop command (Run Command, ≥ 20 s) or power-off (tens of seconds).
    pub fence: StepTiming,
    /// attachDetachDataDisks detach: 10–15 s typical, p95 ~60 s, rare hangs of minutes (hence
    /// the long timeout).
    pub detach: StepTiming,
    /// `managedBy` lags a few seconds behind a Succeeded detach.
    pub release: StepTiming,
    /// attachDetachDataDisks attach: 10–15 s.
    pub attach: StepTiming,
    /// Start command through Run Command: ≥ 20 s.
    pub start: StepTiming,
    /// Estimate of ONE healthy service probe round (the heartbeat interval); the plan multiplies
    /// it by the number of successes wanted. The timeout is for the whole step.
    pub verify: StepTiming,
    /// NIC PUT adding the endpoint: 5–10 s.
    pub expose: StepTiming,
    /// Journal close, lock release, audit record: local work.
    pub commit: StepTiming,
}

impl Default for StepTimings {
    /// Real-Azure defaults; the timeouts equal the example config's `[failover.timeouts]`.
    fn default() -> Self {
        StepTimings {
            preflight: StepTiming::secs(2, 30),
            isolate: StepTiming::secs(8, 120),
            fence: StepTiming::secs(30, 300),
            detach: StepTiming::secs(15, 300),
            release: StepTiming::secs(5, 600),
            attach: StepTiming::secs(15, 300),
            start: StepTiming::secs(25, 600),
            verify: StepTiming::secs(1, 300),
            expose: StepTiming::secs(8, 120),
            commit: StepTiming::secs(1, 30),
        }
    }
}

impl StepTimings {
    /// The timing of one step.
    pub fn get(&self, kind: StepKind) -> StepTiming {
        match kind {
            StepKind::Preflight => self.preflight,
            StepKind::Isolate => self.isolate,
            StepKind::Fence => self.fence,
            StepKind::Detach => self.detach,
            StepKind::Release => self.release,
            StepKind::Attach => self.attach,
            StepKind::Start => self.start,
            StepKind::Verify => self.verify,
            StepKind::Expose => self.expose,
            StepKind::Commit => self.commit,
        }
    }

    /// Mutable access to one step's timing (to apply configured timeouts).
    pub fn get_mut(&mut self, kind: StepKind) -> &mut StepTiming {
        match kind {
            StepKind::Preflight => &mut self.preflight,
            StepKind::Isolate => &mut self.isolate,
            StepKind::Fence => &mut self.fence,
            StepKind::Detach => &mut self.detach,
            StepKind::Release => &mut self.release,
            StepKind::Attach => &mut self.attach,
            StepKind::Start => &mut self.start,
            StepKind::Verify => &mut self.verify,
            StepKind::Expose => &mut self.expose,
            StepKind::Commit => &mut self.commit,
        }
    }
}
