//! The history rules over journals written like the executor's (see the dev-only fixtures in
//! `tests/ui_fixtures/history`).

use super::*;
use crate::core::drill::Verdict;
use crate::ui_fixtures::history::{day, drill_legs, drill_record, End, OpSpec, RTO_TARGET};

fn ops(specs: &[OpSpec]) -> Vec<Operation> {
    specs.iter().map(|s| s.operation().unwrap()).collect()
}

fn built(specs: &[OpSpec], drills: &[DrillRecord]) -> History {
    build_live(specs, drills, &[])
}

fn build_live(specs: &[OpSpec], drills: &[DrillRecord], live: &[&str]) -> History {
    let live: BTreeSet<String> = live.iter().map(|s| s.to_string()).collect();
    build(HistoryInput {
        operations: &ops(specs),
        drills,
        rto_target: RTO_TARGET,
        live: &live,
    })
}

fn switchover(id: &str, days: i64, end: End) -> OpSpec {
    OpSpec::new(id, "web", "web-a", "web-b", day(days, 0), end)
}

#[test]
fn a_succeeded_operation_within_target_passes_and_a_slow_one_fails() {
    let h = built(
        &[
            switchover("fast", 2, End::Succeeded { rto_s: 300 }),
            switchover("slow", 1, End::Succeeded { rto_s: 301 }).failover(),
        ],
        &[],
    );
    let web = h.role("WEB").unwrap();
    let ids: Vec<_> = web.runs.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["slow", "fast"], "newest first");
    assert_eq!(web.runs[0].kind, RunKind::Failover);
    assert_eq!(web.runs[0].verdict, RunVerdict::Fail);
    assert_eq!(web.runs[0].note.as_deref(), Some("over the RTO target"));
    assert_eq!(web.runs[1].kind, RunKind::Switchover);
    assert_eq!(web.runs[1].verdict, RunVerdict::Pass);
    assert_eq!(web.runs[1].rto_ms, Some(300_000));
    assert_eq!(web.runs[1].from.as_deref(), Some("web-a"));
    assert_eq!(web.runs[1].to, "web-b");
    assert_eq!(web.runs[1].operator, "alice");
    assert_eq!(web.runs[1].finished_at, Some(day(2, 301)));
    assert_eq!(web.trend_ms, [300_000, 301_000], "oldest first");
    assert_eq!(h.rto_target_ms, 300_000);
}

#[test]
fn failed_and_rolled_back_operations_fail_with_why() {
    let h = built(
        &[
            switchover("failed", 2, End::Failed),
            switchover("back", 1, End::RolledBack),
        ],
        &[],
    );
    let runs = &h.role("web").unwrap().runs;
    assert_eq!(runs[0].outcome, Some(Outcome::RolledBack));
    assert_eq!(runs[0].verdict, RunVerdict::Fail);
    assert_eq!(runs[0].note.as_deref(), Some("rolled back"));
    // The rollback leg's expose is not the plan's: no RTO.
    assert_eq!(runs[0].rto_ms, None);
    assert_eq!(runs[1].outcome, Some(Outcome::Failed));
    assert_eq!(runs[1].verdict, RunVerdict::Fail);
    assert_eq!(runs[1].note.as_deref(), Some("failed"));
    assert!(h.role("web").unwrap().trend_ms.is_empty());
}

#[test]
fn an_unfinished_operation_is_interrupted_unless_live() {
    let specs = [switchover("open", 0, End::Open)];
    let h = built(&specs, &[]);
    let run = &h.role("web").unwrap().runs[0];
    assert_eq!(run.verdict, RunVerdict::Interrupted);
    assert_eq!(
        (run.outcome, run.finished_at, run.rto_ms),
        (None, None, None)
    );
    let h = build_live(&specs, &[], &["open"]);
    assert_eq!(h.role("web").unwrap().runs[0].verdict, RunVerdict::Running);
    let mut h = built(&specs, &[]);
    h.mark_live(&BTreeSet::from(["open".to_string()]));
    assert_eq!(h.role("web").unwrap().runs[0].verdict, RunVerdict::Running);
}

#[test]
fn a_drill_is_one_row_with_both_legs_and_the_slower_rto() {
    let begun = day(1, 0);
    let record = drill_record("d1", "app", ("app-a", "app-b"), begun, (52, 64), 0);
    let legs = drill_legs("d1", "app", ("app-a", "app-b"), begun, (52, 64));
    let h = built(&legs, &[record]);
    let app = h.role("app").unwrap();
    assert_eq!(app.runs.len(), 1, "legs are never listed on their own");
    let run = &app.runs[0];
    assert_eq!((run.kind, run.id.as_str()), (RunKind::Drill, "d1"));
    assert_eq!(run.verdict, RunVerdict::Pass);
    assert_eq!(run.rto_ms, Some(64_000));
    assert_eq!(run.outcome, Some(Outcome::Succeeded));
    assert_eq!(
        (run.from.as_deref(), run.to.as_str()),
        (Some("app-a"), "app-b")
    );
    assert_eq!(run.operator, "bob");
    let legs: Vec<_> = run
        .legs
        .iter()
        .map(|l| (l.leg, l.op_id.as_str(), l.rto_ms))
        .collect();
    assert_eq!(
        legs,
        [
            (DrillLeg::Out, "d1-out", Some(52_000)),
            (DrillLeg::Back, "d1-back", Some(64_000))
        ]
    );
    assert_eq!(run.note, None);
    assert_eq!(app.trend_ms, [64_000]);
}

#[test]
fn a_drill_takes_its_recorded_verdict_else_judges_when_finished() {
    let begun = day(1, 0);
    let mut record = drill_record("d1", "app", ("app-a", "app-b"), begun, (52, 64), 2);
    let legs = drill_legs("d1", "app", ("app-a", "app-b"), begun, (52, 64));
    let run = |r: &DrillRecord| built(&legs, std::slice::from_ref(r)).roles[0].runs[0].clone();
    assert_eq!(run(&record).verdict, RunVerdict::Fail);
    assert_eq!(
        run(&record).note.as_deref(),
        Some("hold: 2 probe(s) failed")
    );
    record.verdict = None;
    assert_eq!(run(&record).verdict, RunVerdict::Fail, "judged");
    record.hold.as_mut().unwrap().probes_failed = 0;
    assert_eq!(run(&record).verdict, RunVerdict::Pass, "judged");
    record.verdict = Some(Verdict::Fail);
    assert_eq!(run(&record).verdict, RunVerdict::Fail, "recorded wins");
    record.verdict = None;
    record.finished_at = None;
    assert_eq!(run(&record).verdict, RunVerdict::Interrupted);
    let live = build_live(&legs, std::slice::from_ref(&record), &["d1"]);
    assert_eq!(live.roles[0].runs[0].verdict, RunVerdict::Running);
}

#[test]
fn a_slow_drill_leg_is_named() {
    let begun = day(1, 0);
    let record = drill_record("d1", "app", ("app-a", "app-b"), begun, (52, 380), 0);
    let legs = drill_legs("d1", "app", ("app-a", "app-b"), begun, (52, 380));
    let h = built(&legs, &[record]);
    let run = &h.roles[0].runs[0];
    assert_eq!(run.verdict, RunVerdict::Fail);
    assert_eq!(run.rto_ms, Some(380_000));
    assert_eq!(run.note.as_deref(), Some("leg back over the RTO target"));
}

#[test]
fn a_drill_whose_legs_journals_are_gone_uses_its_record() {
    let record = drill_record("d1", "app", ("app-a", "app-b"), day(1, 0), (52, 64), 0);
    let h = built(&[], &[record]);
    let run = &h.roles[0].runs[0];
    assert_eq!(run.legs.len(), 2);
    assert_eq!(run.rto_ms, Some(64_000));
    assert_eq!(run.verdict, RunVerdict::Pass);
}

#[test]
fn orphan_drill_legs_make_one_failing_row() {
    let legs = drill_legs("lost", "app", ("app-a", "app-b"), day(1, 0), (52, 64));
    let h = built(&legs, &[]);
    let app = h.role("app").unwrap();
    assert_eq!(app.runs.len(), 1);
    let run = &app.runs[0];
    assert_eq!((run.kind, run.id.as_str()), (RunKind::Drill, "lost"));
    assert_eq!(run.verdict, RunVerdict::Fail);
    assert_eq!(run.rto_ms, Some(64_000));
    assert_eq!(
        (run.from.as_deref(), run.to.as_str()),
        (Some("app-a"), "app-b")
    );
    assert_eq!(run.begun_at, day(1, 0));
    assert_eq!(
        run.note.as_deref(),
        Some("drill record missing: hold not recorded")
    );
    // Only the back leg, still open: interrupted, and from/to read from that leg.
    let [_, back] = drill_legs("lost", "app", ("app-a", "app-b"), day(1, 0), (52, 64));
    let open = OpSpec {
        end: End::Open,
        ..back
    };
    let h = built(&[open], &[]);
    let run = &h.roles[0].runs[0];
    assert_eq!(run.verdict, RunVerdict::Interrupted);
    assert_eq!(
        (run.from.as_deref(), run.to.as_str()),
        (Some("app-a"), "app-b")
    );
    assert_eq!(run.finished_at, None);
}

#[test]
fn roles_are_grouped_case_insensitively_and_selected() {
    let mut other = switchover("w2", 1, End::Succeeded { rto_s: 10 });
    other.role = "WEB".into();
    let app = OpSpec::new("a1", "app", "app-a", "app-b", day(3, 0), End::Failed);
    let h = built(&[switchover("w1", 2, End::Failed), other, app], &[]);
    assert_eq!(h.role_names(), ["app", "WEB"]);
    assert_eq!(h.role("web").unwrap().runs.len(), 2);
    let all: Vec<_> = h.all_runs().iter().map(|(_, r)| r.id.as_str()).collect();
    assert_eq!(all, ["w2", "w1", "a1"]);
    let only = h.clone().select(Some("Web"), None);
    assert_eq!(only.role_names(), ["WEB"]);
    assert!(h.clone().select(Some("db"), None).roles.is_empty());
}

#[test]
fn limit_keeps_the_newest_and_the_trend_follows() {
    let specs: Vec<OpSpec> = (1..=5)
        .map(|i| switchover(&format!("s{i}"), 10 - i, End::Succeeded { rto_s: i * 10 }))
        .collect();
    let h = built(&specs, &[]).select(None, Some(2));
    let web = h.role("web").unwrap();
    let ids: Vec<_> = web.runs.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["s5", "s4"]);
    assert_eq!(web.trend_ms, [40_000, 50_000]);
}

#[test]
fn sparkline_scales_from_zero_to_the_largest() {
    assert_eq!(sparkline(&[]), "");
    assert_eq!(sparkline(&[0, 0]), "▁▁");
    assert_eq!(sparkline(&[1, 4, 8]), "▁▄█");
    assert_eq!(sparkline(&[0, 100, 50]), "▁█▄");
}

#[test]
fn serializes_with_snake_case_words() {
    let h = built(&[switchover("open", 0, End::Open)], &[]);
    let json = serde_json::to_value(&h).unwrap();
    let run = &json["roles"][0]["runs"][0];
    assert_eq!(run["verdict"], "interrupted");
    assert_eq!(run["kind"], "switchover");
    assert_eq!(run["finished_at"], serde_json::Value::Null);
}
