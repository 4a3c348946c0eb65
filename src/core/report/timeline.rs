//! The timeline of one operation, from its recorded timestamps only: one row per step (plan
//! steps, then rollback steps), each *charged* the time from the end of the previous step to its
//! own end, so the charged durations add up exactly (in whole milliseconds) to the leg time,
//! `Begun` → `Finished`. Pure: no clock, no I/O.
//!
//! Why charged rather than start → end: between two steps the executor writes the journal and
//! the audit (fsync); that time belongs to the leg and must show somewhere, so it counts in the
//! next step. A step declared concurrent with a partner (isolate ∥ detach in a failover) is
//! charged only the time it outlasted the partner; its own start → end is `active_ms`.

use crate::core::operation::{Operation, StepRecord, StepState};
use crate::core::plan::StepKind;
use crate::core::text::sanitize;
use serde::Serialize;
use time::OffsetDateTime;

/// One step of the timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TimelineRow {
    /// Which step.
    pub step: StepKind,
    /// True for a step of the rollback leg.
    pub rollback: bool,
    /// Plain words from the plan.
    pub what: String,
    /// The partner it ran alongside.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub concurrent_with: Option<StepKind>,
    /// First start.
    #[serde(with = "time::serde::rfc3339::option")]
    pub started_at: Option<OffsetDateTime>,
    /// Its (latest) end.
    #[serde(with = "time::serde::rfc3339::option")]
    pub ended_at: Option<OffsetDateTime>,
    /// Milliseconds charged to it (see the module doc); these add up to the leg time.
    pub duration_ms: Option<u64>,
    /// Its own first start → end, in milliseconds.
    pub active_ms: Option<u64>,
    /// How many times it was started.
    pub attempts: u32,
    /// `done`, `skipped: why`, `failed: error`, `running`, `not run`.
    pub outcome: String,
    /// `x-ms-request-id` of its writes.
    pub request_ids: Vec<String>,
    /// The latest error, with ARM code and request id (kept after a successful retry).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Whole milliseconds from `a` to `b` (zero when `b` is earlier).
pub fn millis(a: OffsetDateTime, b: OffsetDateTime) -> u64 {
    u64::try_from((b - a).whole_milliseconds()).unwrap_or(0)
}

/// The leg time in milliseconds: `Begun` → `Finished`; `None` while unfinished.
pub fn leg_ms(op: &Operation) -> Option<u64> {
    op.finished.map(|(at, _)| millis(op.begun_at, at))
}

fn outcome(s: &StepRecord) -> String {
    match s.state {
        StepState::Done => "done".into(),
        StepState::Skipped => match &s.skip_reason {
            Some(r) => format!("skipped: {}", sanitize(r)),
            None => "skipped".into(),
        },
        StepState::Failed => match &s.error {
            Some(e) => format!("failed: {}", sanitize(&e.to_string())),
            None => "failed".into(),
        },
        // A finished operation's running step was interrupted: `timeline_rows` says so.
        StepState::Running => "running".into(),
        StepState::Pending => "not run".into(),
    }
}

fn row(s: &StepRecord, rollback: bool) -> TimelineRow {
    let active_ms = match (s.first_started_at, s.ended_at) {
        (Some(a), Some(b)) if s.state != StepState::Running => Some(millis(a, b)),
        _ => None,
    };
    TimelineRow {
        step: s.kind,
        rollback,
        what: sanitize(&s.what),
        concurrent_with: s.concurrent_with,
        started_at: s.first_started_at,
        ended_at: s.ended_at.filter(|_| s.state != StepState::Running),
        duration_ms: None,
        active_ms,
        attempts: s.attempts,
        outcome: outcome(s),
        request_ids: s.request_ids.iter().map(|r| sanitize(r)).collect(),
        error: s.error.as_ref().map(|e| sanitize(&e.to_string())),
    }
}

/// Every step of the operation with its charged duration (see the module doc).
pub fn timeline_rows(op: &Operation) -> Vec<TimelineRow> {
    let mut rows: Vec<TimelineRow> = op.steps.iter().map(|s| row(s, false)).collect();
    if let Some(r) = &op.rollback {
        rows.extend(r.steps.iter().map(|s| row(s, true)));
    }
    if op.is_finished() {
        for r in rows.iter_mut().filter(|r| r.outcome == "running") {
            r.outcome = "interrupted".into();
        }
    }
    charge(op, &mut rows);
    rows
}

/// Charges each ended row from the previous end (in end order) to its own end, in whole
/// milliseconds since `Begun`, so the sum telescopes to the last end; the last row also gets
/// the time up to `Finished`.
fn charge(op: &Operation, rows: &mut [TimelineRow]) {
    let mut order: Vec<usize> = (0..rows.len())
        .filter(|&i| rows[i].ended_at.is_some())
        .collect();
    order.sort_by_key(|&i| rows[i].ended_at);
    let mut prev = 0u64;
    for &i in &order {
        let end = rows[i]
            .ended_at
            .map_or(prev, |e| millis(op.begun_at, e).max(prev));
        rows[i].duration_ms = Some(end - prev);
        prev = end;
    }
    if let (Some(&last), Some(total)) = (order.last(), leg_ms(op)) {
        if let Some(d) = rows[last].duration_ms.as_mut() {
            *d += total.saturating_sub(prev);
        }
    }
}

/// `850 ms`, `1.4 s`, `41.2 s`, `4 min 30 s`: tenths of seconds under a minute, so a column
/// of step durations visibly adds up.
pub fn human_ms(ms: u64) -> String {
    match ms {
        0..=999 => format!("{ms} ms"),
        1_000..=59_949 => format!("{:.1} s", ms as f64 / 1000.0),
        _ => {
            let s = (ms + 500) / 1000;
            match (s / 60, s % 60) {
                (m, 0) => format!("{m} min"),
                (m, r) => format!("{m} min {r} s"),
            }
        }
    }
}

/// `06:10:01.123` (UTC).
pub fn clock(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

/// `2026-11-22 06:10:01Z`.
pub fn stamp(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{}-{:02}-{:02} {:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}
