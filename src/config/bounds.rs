//! The range every duration and count of the config must fall in, and the `--hold` of the
//! command line with it. Out of range is a config error (exit 2) naming the range, so a typo
//! such as `"99999999h"` or `"1ms"` is refused before anything runs instead of overflowing a
//! clock computation or flooding ARM with requests. `docs/configuration.md` lists the same
//! table; the ranges are what an on-call engineer would call sane, not what the types allow.

use super::duration::format_duration;
use std::time::Duration;

/// An inclusive range of durations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DurationBound {
    /// Shortest accepted value.
    pub min: Duration,
    /// Longest accepted value.
    pub max: Duration,
}

impl DurationBound {
    /// True when `value` is within the range.
    pub fn contains(&self, value: Duration) -> bool {
        (self.min..=self.max).contains(&value)
    }

    /// `Ok` inside the range, else the message a problem shows (`must be between 5s and 1h`).
    pub fn check(&self, value: Duration) -> Result<Duration, String> {
        if self.contains(value) {
            Ok(value)
        } else {
            Err(format!("out of range: must be between {}", self.describe()))
        }
    }

    /// `5s and 1h`, in the config's own notation.
    pub fn describe(&self) -> String {
        format!(
            "{} and {}",
            format_duration(self.min),
            format_duration(self.max)
        )
    }
}

const fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

const HOUR: u64 = 3600;

/// `azure.refresh_interval`: below 5 s a read-only cockpit alone floods the subscription's
/// ARM read budget; above an hour the inventory is too old to act on.
pub const REFRESH_INTERVAL: DurationBound = DurationBound {
    min: secs(5),
    max: secs(HOUR),
};

/// `heartbeat.interval`: faster than 100 ms is load, slower than a minute means a dead master
/// goes unnoticed for minutes.
pub const PROBE_INTERVAL: DurationBound = DurationBound {
    min: Duration::from_millis(100),
    max: secs(60),
};

/// `heartbeat.timeout` (and shorter than `heartbeat.interval`, checked separately).
pub const PROBE_TIMEOUT: DurationBound = DurationBound {
    min: Duration::from_millis(50),
    max: secs(60),
};

/// `failover.rto_target`: a target under 10 s cannot be met by any ARM write; over a day it
/// judges nothing.
pub const RTO_TARGET: DurationBound = DurationBound {
    min: secs(10),
    max: secs(24 * HOUR),
};

/// `failover.drill_hold` and `baton drill --hold`: zero holds for one probe; a day is the
/// longest a drill may keep the role on the standby.
pub const DRILL_HOLD: DurationBound = DurationBound {
    min: Duration::ZERO,
    max: secs(24 * HOUR),
};

/// Every `failover.timeouts.*` step: ARM answers nothing in under a second, and a step stuck
/// for two hours needs a human, not more waiting.
pub const STEP_TIMEOUT: DurationBound = DurationBound {
    min: secs(1),
    max: secs(2 * HOUR),
};

/// `heartbeat.fail_after` / `recover_after`: consecutive probes; 100 × the longest interval is
/// already over an hour and a half.
pub const PROBE_COUNT: (i64, i64) = (1, 100);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_inclusive_and_named_in_the_message() {
        assert_eq!(REFRESH_INTERVAL.check(secs(5)), Ok(secs(5)));
        assert_eq!(REFRESH_INTERVAL.check(secs(3600)), Ok(secs(3600)));
        assert_eq!(
            REFRESH_INTERVAL.check(Duration::from_millis(1)),
            Err("out of range: must be between 5s and 1h".to_string())
        );
        assert!(REFRESH_INTERVAL.check(secs(3601)).is_err());
        assert_eq!(DRILL_HOLD.check(Duration::ZERO), Ok(Duration::ZERO));
        assert!(DRILL_HOLD.check(secs(24 * HOUR + 1)).is_err());
    }

    #[test]
    fn every_default_is_in_its_range() {
        let hb = super::super::HeartbeatConfig::default();
        let fo = super::super::FailoverConfig::default();
        assert!(PROBE_INTERVAL.contains(hb.interval));
        assert!(PROBE_TIMEOUT.contains(hb.timeout));
        assert!(RTO_TARGET.contains(fo.rto_target));
        assert!(DRILL_HOLD.contains(fo.drill_hold));
        assert!(REFRESH_INTERVAL.contains(secs(15)));
        let t = fo.timeouts;
        for step in [
            t.isolate, t.fence, t.detach, t.release, t.attach, t.start, t.verify, t.expose,
        ] {
            assert!(STEP_TIMEOUT.contains(step));
        }
    }
}
