//! The run history of every role: failovers, switchovers and drills, newest first, with the
//! measured RTO, a verdict and the RTO trend. Pure: built from replayed operations and drill
//! records handed in by the caller (`crate::history` reads them); no I/O, no clock.
//!
//! A drill is one row, never its legs: an operation whose `drill` link names a drill is folded
//! into that drill's row. Legs whose drill record is missing (a crash before the first save,
//! a deleted file) still make one row per drill id, judged `FAIL` once they ended, because the
//! hold was never recorded as verified.
//!
//! Verdicts: an operation passes when it succeeded within the RTO target; a drill takes the
//! verdict its record holds, else [`DrillRecord::judge`] once it ended. Anything unfinished is
//! `RUNNING` when the caller says it is live (the cockpit follows it), else `INTERRUPTED`.
//! A drill's RTO is its slower leg; both legs are kept.

use super::drill::DrillRecord;
use super::model::same_name;
use super::operation::{DrillLeg, Operation, Outcome};
use super::plan::human_duration;
use serde::Serialize;
use std::collections::BTreeSet;
use std::time::Duration;
use time::OffsetDateTime;

mod build;
pub use build::build;

/// What kind of run a row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunKind {
    /// Unplanned move of a dead master.
    Failover,
    /// Planned move.
    Switchover,
    /// A switchover out, a hold and a switchover back (one row for both legs).
    Drill,
}

impl RunKind {
    /// Lower-case word for screens and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            RunKind::Failover => "failover",
            RunKind::Switchover => "switchover",
            RunKind::Drill => "drill",
        }
    }
}

/// How a run is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunVerdict {
    /// Succeeded within the RTO target (a drill: its own verdict rule).
    Pass,
    /// Ended any other way: failed, aborted, rolled back, too slow.
    Fail,
    /// Not finished and known to be running now.
    Running,
    /// Not finished and nobody is known to run it (crash, lost session).
    Interrupted,
}

impl RunVerdict {
    /// Upper-case word for screens.
    pub fn as_str(self) -> &'static str {
        match self {
            RunVerdict::Pass => "PASS",
            RunVerdict::Fail => "FAIL",
            RunVerdict::Running => "RUNNING",
            RunVerdict::Interrupted => "INTERRUPTED",
        }
    }
}

/// One leg of a drill row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LegRun {
    /// Out or back.
    pub leg: DrillLeg,
    /// The leg's operation.
    pub op_id: String,
    /// Its measured RTO in milliseconds.
    pub rto_ms: Option<u64>,
    /// How it ended.
    pub outcome: Option<Outcome>,
}

/// One row of the history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HistoryRun {
    /// The operation id, or the drill id.
    pub id: String,
    /// Failover, switchover or drill.
    pub kind: RunKind,
    /// When it began.
    #[serde(with = "time::serde::rfc3339")]
    pub begun_at: OffsetDateTime,
    /// When it ended.
    #[serde(with = "time::serde::rfc3339::option")]
    pub finished_at: Option<OffsetDateTime>,
    /// The old master (a drill: where it started and came back to).
    pub from: Option<String>,
    /// The target (a drill: the standby visited).
    pub to: String,
    /// Who confirmed it.
    pub operator: String,
    /// Measured RTO in milliseconds (a drill: the slower leg).
    pub rto_ms: Option<u64>,
    /// A drill's legs in order; empty for plain operations.
    pub legs: Vec<LegRun>,
    /// How it ended (a drill: the first leg that did not succeed, else succeeded).
    pub outcome: Option<Outcome>,
    /// The verdict.
    pub verdict: RunVerdict,
    /// Why, in a few words, when the verdict alone does not say it.
    pub note: Option<String>,
}

impl HistoryRun {
    /// The RTO.
    pub fn rto(&self) -> Option<Duration> {
        self.rto_ms.map(Duration::from_millis)
    }

    /// A drill's legs (`out 52s, back 1m04s`) and the note, joined by ` · `; raw text from
    /// the journals (sanitize before printing).
    pub fn notes(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        if !self.legs.is_empty() {
            let legs: Vec<String> = self
                .legs
                .iter()
                .map(|l| format!("{} {}", l.leg.as_str(), rto_text(l.rto_ms)))
                .collect();
            parts.push(legs.join(", "));
        }
        parts.extend(self.note.clone());
        parts.join(" · ")
    }
}

/// `1m04s` for an RTO in milliseconds, `—` when none was measured.
pub fn rto_text(ms: Option<u64>) -> String {
    ms.map_or("—".into(), |m| human_duration(Duration::from_millis(m)))
}

/// One role's runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoleHistory {
    /// The role name (as the newest run spells it).
    pub role: String,
    /// Runs, newest first.
    pub runs: Vec<HistoryRun>,
    /// RTO of every listed run that has one, in milliseconds, oldest first (for a sparkline).
    pub trend_ms: Vec<u64>,
}

/// The history of every role.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct History {
    /// The RTO target operations were judged against, in milliseconds.
    pub rto_target_ms: u64,
    /// Roles by name (case-insensitive order).
    pub roles: Vec<RoleHistory>,
}

/// What the history is built from.
#[derive(Debug, Clone, Copy)]
pub struct HistoryInput<'a> {
    /// Every replayed operation (plain ones and drill legs), in any order.
    pub operations: &'a [Operation],
    /// Every drill record, in any order.
    pub drills: &'a [DrillRecord],
    /// The RTO target for plain operations (drills carry their own).
    pub rto_target: Duration,
    /// Ids of operations and drills known to be running now.
    pub live: &'a BTreeSet<String>,
}

impl History {
    /// The role's history (case-insensitive name).
    pub fn role(&self, name: &str) -> Option<&RoleHistory> {
        self.roles.iter().find(|r| same_name(&r.role, name))
    }

    /// Every role name with a history.
    pub fn role_names(&self) -> Vec<&str> {
        self.roles.iter().map(|r| r.role.as_str()).collect()
    }

    /// Keeps only `role` (when given; a role without runs leaves none) and, per role, the
    /// newest `limit` runs (when given); the trends follow what is kept.
    pub fn select(mut self, role: Option<&str>, limit: Option<usize>) -> History {
        if let Some(name) = role {
            self.roles.retain(|r| same_name(&r.role, name));
        }
        if let Some(n) = limit {
            for r in &mut self.roles {
                r.runs.truncate(n);
                r.trend_ms = build::trend(&r.runs);
            }
        }
        self
    }

    /// Marks unfinished runs whose id is in `live` as running (the others stay interrupted).
    pub fn mark_live(&mut self, live: &BTreeSet<String>) {
        let runs = self.roles.iter_mut().flat_map(|r| r.runs.iter_mut());
        for run in runs.filter(|r| r.verdict == RunVerdict::Interrupted) {
            let leg_live = run.legs.iter().any(|l| live.contains(&l.op_id));
            if live.contains(&run.id) || leg_live {
                run.verdict = RunVerdict::Running;
            }
        }
    }

    /// Every run of every role, newest first.
    pub fn all_runs(&self) -> Vec<(&str, &HistoryRun)> {
        let mut all: Vec<(&str, &HistoryRun)> = self
            .roles
            .iter()
            .flat_map(|r| r.runs.iter().map(move |run| (r.role.as_str(), run)))
            .collect();
        all.sort_by(|a, b| build::newest_first(a.1, b.1));
        all
    }
}

/// Eight-level bars (`▁▂▃▄▅▆▇█`) scaled from zero to the largest value, oldest left.
pub fn sparkline(values: &[u64]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let max = values.iter().copied().max().unwrap_or(0);
    values
        .iter()
        .map(|v| {
            let level = if max == 0 {
                0
            } else {
                // Zero maps to the lowest bar, the maximum to the highest.
                ((u128::from(*v) * 8).div_ceil(u128::from(max)) as usize).clamp(1, 8) - 1
            };
            BARS[level]
        })
        .collect()
}

#[cfg(test)]
mod tests;
