//! One probe's loop: wait for its tick, run one check, send the stamped outcome.
//!
//! It owns only its own timing; it must not classify or touch the board.

use super::{Clock, Sample, ScheduleParams};
use crate::config::ProbeTarget;
use crate::probe::http1::HttpProbe;
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
    /// How the check is made.
    pub(super) checker: Checker,
    /// Stamps each outcome.
    pub(super) clock: Arc<dyn Clock>,
    /// To the aggregator.
    pub(super) results: mpsc::Sender<Sample>,
}

impl Probe {
    /// Runs until the aggregator is gone or the task is aborted. The check is awaited before
    /// the next tick, so a probe never overlaps itself; a late tick delays the following ones.
    pub(super) async fn run(mut self, schedule: Schedule) {
        let mut ticks = tokio::time::interval_at(schedule.first_run(self.index), schedule.interval);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            let outcome = self.checker.check(schedule.timeout).await;
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

/// How one probe checks its target.
pub(super) enum Checker {
    /// Plain `http://`: the probe's own kept-alive connection (cheapest at fleet scale).
    Direct(Box<HttpProbe>),
    /// Everything else (`https://`, credentials, TCP) through the engine's shared client.
    Shared {
        /// The engine's shared client.
        client: reqwest::Client,
        /// Where the check goes.
        target: ProbeTarget,
    },
}

impl Checker {
    /// The cheapest checker that keeps `check`'s semantics for `target`.
    pub(super) fn new(target: ProbeTarget, client: &reqwest::Client) -> Self {
        let direct = match &target {
            ProbeTarget::Http(url) => HttpProbe::new(url),
            ProbeTarget::Tcp { .. } => None,
        };
        match direct {
            Some(probe) => Checker::Direct(Box::new(probe)),
            None => Checker::Shared {
                client: client.clone(),
                target,
            },
        }
    }

    async fn check(&mut self, timeout: Duration) -> crate::core::model::ProbeStatus {
        match self {
            Checker::Direct(probe) => probe.check(timeout).await,
            Checker::Shared { client, target } => check(client, target, timeout).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn offsets(interval_ms: u64, probes: usize) -> BTreeMap<Duration, usize> {
        let params = ScheduleParams {
            interval: Duration::from_millis(interval_ms),
            ..ScheduleParams::default()
        };
        let s = Schedule::new(&params, probes);
        let mut groups = BTreeMap::new();
        for i in 0..probes {
            *groups.entry(s.first_run(i) - s.start).or_insert(0) += 1;
        }
        groups
    }

    #[tokio::test]
    async fn fleet_is_spread_over_one_interval_in_slots() {
        let groups = offsets(1000, 4000);
        assert_eq!(groups.len(), 100);
        assert!(groups.values().all(|n| *n == 40));
        assert_eq!(groups.keys().next(), Some(&Duration::ZERO));
        assert_eq!(groups.keys().last(), Some(&Duration::from_millis(990)));
    }

    #[tokio::test]
    async fn few_probes_each_get_their_own_slot() {
        let groups = offsets(50, 3);
        let starts: Vec<u128> = groups.keys().map(Duration::as_micros).collect();
        assert_eq!(starts, [0, 16_666, 33_333]);
    }

    #[tokio::test]
    async fn timeout_is_clamped_to_the_interval() {
        let params = ScheduleParams {
            interval: Duration::from_millis(100),
            timeout: Duration::from_secs(5),
            ..ScheduleParams::default()
        };
        assert_eq!(
            Schedule::new(&params, 1).timeout,
            Duration::from_millis(100)
        );
    }
}
