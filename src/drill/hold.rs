//! The hold: the new master's service probe (the executor's own check, the one verify uses)
//! every `verify_interval` until the hold time has passed, each probe counted into the record's
//! `HoldRecord` and sent as a `HoldProbe` update. The abort watch is checked before each probe.
//!
//! The hold time comes from the record, which a resume reads back from disk: it is checked
//! against [`DRILL_HOLD`] again here, and a stored value out of range holds for one probe
//! only (noted in the record) so that the role still comes back instead of being stranded.

use super::{Drill, DrillError, DrillUpdate};
use crate::config::bounds::DRILL_HOLD;
use crate::core::drill::{DrillNote, DrillRecord, HoldRecord};
use std::time::Duration;
use time::OffsetDateTime;
use tokio::sync::{mpsc, watch};
use tokio::time::{Instant, MissedTickBehavior};

/// How the hold ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum HoldEnd {
    /// The hold time passed (verified or not: see `HoldRecord::passed`).
    Held,
    /// An abort cut it short.
    Aborted,
}

impl Drill {
    /// Holds on `record.to`; an interrupted hold (crash) starts again with its counts kept.
    pub(super) async fn hold(
        &self,
        record: &mut DrillRecord,
        abort: &watch::Receiver<bool>,
    ) -> Result<HoldEnd, DrillError> {
        let hold = checked_hold(record);
        let now = OffsetDateTime::now_utc();
        let mut h = record.hold.take().unwrap_or(HoldRecord {
            started_at: now,
            ended_at: None,
            probes_ok: 0,
            probes_failed: 0,
        });
        h.ended_at = None;
        record.hold = Some(h.clone());
        self.save(record).await?;
        let started = DrillUpdate::HoldStarted {
            vm: record.to.clone(),
            until: hold_until(now, hold),
        };
        self.update(started, record).await;
        let (tx, _rx) = mpsc::channel(1);
        let exec = self.executor(tx);
        let interval = self.opts.verify_interval.max(Duration::from_millis(1));
        let mut ticks = tokio::time::interval(interval);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let begun = Instant::now();
        let end = loop {
            ticks.tick().await;
            if *abort.borrow() {
                break HoldEnd::Aborted;
            }
            if begun.elapsed() >= hold && h.probes_ok + h.probes_failed > 0 {
                break HoldEnd::Held;
            }
            let ok = exec.service_probe(&record.to).await.is_up();
            if ok {
                h.probes_ok += 1;
            } else {
                h.probes_failed += 1;
            }
            // The stream gets every count with its record; the store now and then, so a
            // crash keeps most of the counts.
            record.hold = Some(h.clone());
            if !ok || (h.probes_ok + h.probes_failed) % 10 == 0 {
                self.save(record).await?;
            }
            let probe = DrillUpdate::HoldProbe {
                ok,
                n_ok: h.probes_ok,
                n_failed: h.probes_failed,
            };
            self.update(probe, record).await;
        };
        if end == HoldEnd::Held {
            h.ended_at = Some(OffsetDateTime::now_utc());
        }
        let passed = h.passed();
        record.hold = Some(h);
        self.save(record).await?;
        self.update(DrillUpdate::HoldEnded { passed }, record).await;
        Ok(end)
    }
}

/// The record's hold, or zero (with a note) when the stored value is out of range.
fn checked_hold(record: &mut DrillRecord) -> Duration {
    let hold = Duration::from_secs(record.hold_secs);
    if DRILL_HOLD.contains(hold) {
        return hold;
    }
    let text = format!(
        "the stored hold of {} s is not between {}: held for one probe only",
        record.hold_secs,
        DRILL_HOLD.describe()
    );
    if !record.comments.iter().any(|c| c.text == text) {
        record.comments.push(DrillNote {
            at: OffsetDateTime::now_utc(),
            by: "baton".into(),
            text,
        });
    }
    Duration::ZERO
}

/// When the hold ends, saturating at the calendar's end rather than panicking.
fn hold_until(now: OffsetDateTime, hold: Duration) -> OffsetDateTime {
    time::Duration::try_from(hold)
        .ok()
        .and_then(|h| now.checked_add(h))
        .unwrap_or(now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hold_end_never_overflows() {
        let now = OffsetDateTime::UNIX_EPOCH;
        assert_eq!(
            hold_until(now, Duration::from_secs(30)),
            now + time::Duration::seconds(30)
        );
        assert_eq!(hold_until(now, Duration::from_secs(400_000_000_000)), now);
        assert_eq!(hold_until(now, Duration::MAX), now);
    }
}
