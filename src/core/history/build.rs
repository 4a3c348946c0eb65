//! Building the history: operations and drill records into per-role rows (see the parent
//! module for the rules). Pure.

use super::{History, HistoryInput, HistoryRun, LegRun, RoleHistory, RunKind, RunVerdict};
use crate::core::drill::{DrillRecord, Verdict};
use crate::core::operation::{DrillLeg, Operation, Outcome};
use crate::core::plan::OperationKind;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

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

pub(super) fn newest_first(a: &HistoryRun, b: &HistoryRun) -> std::cmp::Ordering {
    b.begun_at.cmp(&a.begun_at).then_with(|| b.id.cmp(&a.id))
}

pub(super) fn trend(runs: &[HistoryRun]) -> Vec<u64> {
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
