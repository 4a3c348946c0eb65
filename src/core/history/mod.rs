//! The run history of every role: failovers, switchovers and drills, newest first, with the
//! measured RTO, a verdict and the RTO trend. Pure: built from replayed operations and drill
//! records handed in by the caller (`failover::history` reads them); no I/O, no clock.
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

use super::drill::{DrillRecord, Verdict};
use super::model::same_name;
use super::operation::{DrillLeg, Operation, Outcome};
use super::plan::OperationKind;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;
use time::OffsetDateTime;

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

/// Builds every role's history.
pub fn build(input: HistoryInput<'_>) -> History {
    let mut runs: Vec<(String, HistoryRun)> = Vec::new();
    let mut legs_by_drill: BTreeMap<&str, Vec<&Operation>> = BTreeMap::new();
    for op in input.operations {
        match &op.drill {
            Some(link) => legs_by_drill.entry(&link.drill_id).or_default().push(op),
            None => runs.push((op.role.clone(), operation_run(op, &input))),
        }
    }
    for record in input.drills {
        let legs = legs_by_drill
            .remove(record.drill_id.as_str())
            .unwrap_or_default();
        runs.push((record.role.clone(), drill_run(record, &legs, input.live)));
    }
    for (drill_id, legs) in legs_by_drill {
        runs.extend(orphan_drill_run(drill_id, &legs, input.live));
    }
    History {
        rto_target_ms: millis(input.rto_target),
        roles: group(runs),
    }
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
                r.trend_ms = trend(&r.runs);
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
        all.sort_by(|a, b| newest_first(a.1, b.1));
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

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn unfinished(ids: &[&str], live: &BTreeSet<String>) -> RunVerdict {
    if ids.iter().any(|id| live.contains(*id)) {
        RunVerdict::Running
    } else {
        RunVerdict::Interrupted
    }
}

fn run_kind(kind: OperationKind) -> RunKind {
    match kind {
        OperationKind::Failover => RunKind::Failover,
        OperationKind::Switchover => RunKind::Switchover,
        OperationKind::Drill => RunKind::Drill,
    }
}

fn outcome_note(outcome: Outcome) -> Option<&'static str> {
    match outcome {
        Outcome::Succeeded => None,
        Outcome::Failed => Some("failed"),
        Outcome::Aborted => Some("aborted"),
        Outcome::RolledBack => Some("rolled back"),
    }
}

fn operation_run(op: &Operation, input: &HistoryInput<'_>) -> HistoryRun {
    let rto = op.rto();
    let (verdict, note) = match op.outcome() {
        None => (unfinished(&[&op.op_id], input.live), None),
        Some(Outcome::Succeeded) => match rto {
            Some(r) if r <= input.rto_target => (RunVerdict::Pass, None),
            Some(_) => (RunVerdict::Fail, Some("over the RTO target".to_string())),
            None => (RunVerdict::Fail, Some("no RTO measured".to_string())),
        },
        Some(other) => (RunVerdict::Fail, outcome_note(other).map(str::to_string)),
    };
    HistoryRun {
        id: op.op_id.clone(),
        kind: run_kind(op.kind),
        begun_at: op.begun_at,
        finished_at: op.finished.map(|(at, _)| at),
        from: op.from.clone(),
        to: op.to.clone(),
        operator: op.operator.clone(),
        rto_ms: rto.map(millis),
        legs: Vec::new(),
        outcome: op.outcome(),
        verdict,
        note,
    }
}

/// A leg as the journal tells it, else as the record does (the journal is the truth; the
/// record may lag one phase behind after a crash).
fn leg_run(record: &DrillRecord, ops: &[&Operation], leg: DrillLeg) -> Option<LegRun> {
    let journal = ops
        .iter()
        .find(|o| o.drill.as_ref().is_some_and(|l| l.leg == leg));
    if let Some(op) = journal {
        return Some(LegRun {
            leg,
            op_id: op.op_id.clone(),
            rto_ms: op.rto().map(millis),
            outcome: op.outcome(),
        });
    }
    record.leg(leg).map(|l| LegRun {
        leg,
        op_id: l.op_id.clone(),
        rto_ms: l.rto_ms,
        outcome: l.outcome,
    })
}

/// The first leg outcome that is not a success, else success once every leg ended.
fn drill_outcome(legs: &[LegRun]) -> Option<Outcome> {
    if let Some(bad) = legs
        .iter()
        .filter_map(|l| l.outcome)
        .find(|o| *o != Outcome::Succeeded)
    {
        return Some(bad);
    }
    let all_ended = !legs.is_empty() && legs.iter().all(|l| l.outcome.is_some());
    all_ended.then_some(Outcome::Succeeded)
}

fn drill_note(record: &DrillRecord, legs: &[LegRun]) -> Option<String> {
    let mut notes: Vec<String> = Vec::new();
    for l in legs {
        if let Some(word) = l.outcome.and_then(outcome_note) {
            notes.push(format!("leg {} {word}", l.leg.as_str()));
        }
        let slow = l.rto_ms.is_some_and(|r| r > record.rto_target_ms);
        if slow && l.outcome == Some(Outcome::Succeeded) {
            notes.push(format!("leg {} over the RTO target", l.leg.as_str()));
        }
    }
    if let Some(hold) = record.hold.as_ref().filter(|h| h.probes_failed > 0) {
        notes.push(format!("hold: {} probe(s) failed", hold.probes_failed));
    }
    if let Some(comment) = &record.forced {
        notes.push(format!("forced: {comment}"));
    }
    (!notes.is_empty()).then(|| notes.join("; "))
}

fn drill_run(record: &DrillRecord, ops: &[&Operation], live: &BTreeSet<String>) -> HistoryRun {
    let legs: Vec<LegRun> = [DrillLeg::Out, DrillLeg::Back]
        .into_iter()
        .filter_map(|leg| leg_run(record, ops, leg))
        .collect();
    let verdict = match (record.verdict, record.is_finished()) {
        (Some(v), _) => drill_verdict(v),
        (None, true) => drill_verdict(record.judge()),
        (None, false) => {
            let mut ids: Vec<&str> = legs.iter().map(|l| l.op_id.as_str()).collect();
            ids.push(&record.drill_id);
            unfinished(&ids, live)
        }
    };
    HistoryRun {
        id: record.drill_id.clone(),
        kind: RunKind::Drill,
        begun_at: record.begun_at,
        finished_at: record.finished_at,
        from: Some(record.from.clone()),
        to: record.to.clone(),
        operator: record.operator.clone(),
        rto_ms: legs.iter().filter_map(|l| l.rto_ms).max(),
        outcome: drill_outcome(&legs),
        note: drill_note(record, &legs),
        legs,
        verdict,
    }
}

fn drill_verdict(v: Verdict) -> RunVerdict {
    match v {
        Verdict::Pass => RunVerdict::Pass,
        Verdict::Fail => RunVerdict::Fail,
    }
}

/// Legs whose record is missing: one row for the drill, never a pass (no verified hold).
fn orphan_drill_run(
    drill_id: &str,
    ops: &[&Operation],
    live: &BTreeSet<String>,
) -> Option<(String, HistoryRun)> {
    let mut ops: Vec<&Operation> = ops.to_vec();
    ops.sort_by_key(|o| {
        (
            o.begun_at,
            o.drill.as_ref().map(|l| l.leg == DrillLeg::Back),
        )
    });
    let first = ops.first()?;
    let legs: Vec<LegRun> = ops
        .iter()
        .filter_map(|o| {
            Some(LegRun {
                leg: o.drill.as_ref()?.leg,
                op_id: o.op_id.clone(),
                rto_ms: o.rto().map(millis),
                outcome: o.outcome(),
            })
        })
        .collect();
    let open: Vec<&str> = ops
        .iter()
        .filter(|o| !o.is_finished())
        .map(|o| o.op_id.as_str())
        .collect();
    let verdict = if open.is_empty() {
        RunVerdict::Fail
    } else {
        unfinished(&open, live)
    };
    let out = ops
        .iter()
        .find(|o| o.drill.as_ref().is_some_and(|l| l.leg == DrillLeg::Out));
    let (from, to) = match out {
        Some(o) => (o.from.clone(), o.to.clone()),
        // Only the back leg: it went from the standby to the original master.
        None => (
            Some(first.to.clone()),
            first.from.clone().unwrap_or_default(),
        ),
    };
    let finished_at = if open.is_empty() {
        ops.iter()
            .filter_map(|o| o.finished.map(|(at, _)| at))
            .max()
    } else {
        None
    };
    let run = HistoryRun {
        id: drill_id.to_string(),
        kind: RunKind::Drill,
        begun_at: first.begun_at,
        finished_at,
        from,
        to,
        operator: first.operator.clone(),
        rto_ms: legs.iter().filter_map(|l| l.rto_ms).max(),
        outcome: drill_outcome(&legs),
        legs,
        verdict,
        note: Some("drill record missing: hold not recorded".to_string()),
    };
    Some((first.role.clone(), run))
}

fn newest_first(a: &HistoryRun, b: &HistoryRun) -> std::cmp::Ordering {
    b.begun_at.cmp(&a.begun_at).then_with(|| b.id.cmp(&a.id))
}

fn trend(runs: &[HistoryRun]) -> Vec<u64> {
    runs.iter().rev().filter_map(|r| r.rto_ms).collect()
}

fn group(runs: Vec<(String, HistoryRun)>) -> Vec<RoleHistory> {
    let mut by_role: BTreeMap<String, Vec<(String, HistoryRun)>> = BTreeMap::new();
    for (role, run) in runs {
        by_role
            .entry(role.to_ascii_lowercase())
            .or_default()
            .push((role, run));
    }
    by_role
        .into_values()
        .filter_map(|mut entries| {
            entries.sort_by(|a, b| newest_first(&a.1, &b.1));
            let role = entries.first()?.0.clone();
            let runs: Vec<HistoryRun> = entries.into_iter().map(|(_, r)| r).collect();
            Some(RoleHistory {
                role,
                trend_ms: trend(&runs),
                runs,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests;
