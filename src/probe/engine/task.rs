//! One probe's loop: wait for its tick, run one check, send the stamped outcome.
//!
//! It owns only its own timing; it must not classify or touch the board.

use super::{Clock, Sample, ScheduleParams};
use crate::config::ProbeTarget;
use crate::probe::once::check;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::{Instant, MissedTickBehavior};

/// Narrowest stagger slot: timers closer than this would each cost a separate wake-up.
const SLOT: Duration = Duration::from_millis(10);

/// The timing shared by every probe of one engine.
#[derive(Debug, Clone)]
pub(super) struct Schedule {
    interval: Duration,
    timeout: Duration,
    start: Instant,
    probes: usize,
}

impl Schedule {
    /// Timing for `probes` probes starting now.
    pub(super) fn new(params: &ScheduleParams, probes: usize) -> Self {
        let interval = params.interval.max(Duration::from_millis(1));
        Schedule {
            interval,
            timeout: params.timeout.min(interval),
            start: Instant::now(),
            probes,
        }
    }

    /// First run of probe `index`: spread over one interval in slots of at least [`SLOT`], so
    /// probes sharing a slot wake together (one timer wake-up for many) while thousands of
    /// probes still never fire at once.
    fn first_run(&self, index: usize) -> Instant {
        let by_width = self.interval.as_nanos() / SLOT.as_nanos();
        let slots = by_width.clamp(1, u128::try_from(self.probes.max(1)).unwrap_or(1));
        let slot = u128::try_from(index).unwrap_or(0) % slots;
        let offset = self.interval.as_nanos().saturating_mul(slot) / slots;
        self.start + Duration::from_nanos(u64::try_from(offset).unwrap_or(0))
    }
}

/// Everything one probe task needs.
pub(super) struct Probe {
    /// Position in the engine's spec list.
    pub(super) index: usize,
    /// Where the check goes.
    pub(super) target: ProbeTarget,
    /// The engine's shared client.
    pub(super) client: reqwest::Client,
    /// Stamps each outcome.
    pub(super) clock: Arc<dyn Clock>,
    /// To the aggregator.
    pub(super) results: mpsc::Sender<Sample>,
}

impl Probe {
    /// Runs until the aggregator is gone or the task is aborted. The check is awaited before
    /// the next tick, so a probe never overlaps itself; a late tick delays the following ones.
    pub(super) async fn run(self, schedule: Schedule) {
        let mut ticks = tokio::time::interval_at(schedule.first_run(self.index), schedule.interval);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            let outcome = check(&self.client, &self.target, schedule.timeout).await;
            let sample = Sample {
                index: self.index,
                at: self.clock.now(),
                outcome,
            };
            if self.results.send(sample).await.is_err() {
                return;
            }
        }
    }
}
