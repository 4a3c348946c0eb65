//! Reports rendered from replayed operations (no I/O): charged durations add up to the leg
//! time, concurrent steps are charged only what they outlast, errors keep their ARM code and
//! request id, and the drill report carries the verdict line, the legs and the notes.

use super::*;
use crate::core::drill::{DrillNote, HoldRecord, LegRecord};
use crate::core::operation::{DrillLink, OpEvent, PlannedStep, StepError};
use crate::core::plan::{OperationKind, StepKind};
use std::time::Duration;
use time::OffsetDateTime;

fn t(ms: i64) -> OffsetDateTime {
    OffsetDateTime::UNIX_EPOCH + time::Duration::days(20_000) + time::Duration::milliseconds(ms)
}

fn begun(kind: OperationKind, steps: &[(StepKind, Option<StepKind>)], leg: DrillLeg) -> OpEvent {
    OpEvent::Begun {
        op_id: format!("op-{}", leg.as_str()),
        role: "web".into(),
        kind,
        from: Some("web-a".into()),
        to: "web-b".into(),
        operator: "alice".into(),
        at: t(0),
        plan_steps: steps
            .iter()
            .map(|(k, c)| PlannedStep {
                kind: *k,
                what: format!("do {}", k.label()),
                concurrent_with: *c,
            })
            .collect(),
        drill: Some(DrillLink {
            drill_id: "d1234567-x".into(),
            leg,
        }),
    }
}

fn done(step: StepKind, start: i64, end: i64, id: &str) -> [OpEvent; 2] {
    [
        OpEvent::StepStarted { step, at: t(start) },
        OpEvent::StepDone {
            step,
            at: t(end),
            request_ids: if id.is_empty() {
                vec![]
            } else {
                vec![id.into()]
            },
        },
    ]
}

/// A switchover leg: every step in turn with gaps of a few ms between them, detach retried
/// after a 409, finished 3 ms after commit.
fn switchover(leg: DrillLeg) -> Operation {
    use StepKind::*;
    let steps: Vec<_> = StepKind::ALL.iter().map(|k| (*k, None)).collect();
    let mut evs = vec![begun(OperationKind::Drill, &steps, leg)];
    let mut at = 2;
    for k in StepKind::ALL {
        if k == Detach {
            evs.push(OpEvent::StepStarted { step: k, at: t(at) });
            evs.push(OpEvent::StepFailed {
                step: k,
                at: t(at + 100),
                error: StepError {
                    code: "ConflictingUserInput".into(),
                    message: "disk | busy".into(),
                    request_id: Some("req-409".into()),
                    http_status: Some(409),
                },
            });
            at += 150;
        }
        let id = if k == Expose { "req-expose" } else { "" };
        evs.extend(done(k, at, at + 1000, id));
        at += 1004;
    }
    evs.push(OpEvent::Finished {
        at: t(at + 3),
        outcome: Outcome::Succeeded,
    });
    Operation::replay(&evs).unwrap()
}

#[test]
fn charged_durations_add_up_to_the_leg_time() {
    let op = switchover(DrillLeg::Out);
    let rows = timeline_rows(&op);
    assert_eq!(rows.len(), 10);
    let sum: u64 = rows.iter().map(|r| r.duration_ms.unwrap()).sum();
    assert_eq!(Some(sum), leg_ms(&op));
    assert_eq!(sum, charged_total_ms(&op));
    // Preflight is charged from Begun (2 ms before it started); commit up to Finished.
    assert_eq!(rows[0].duration_ms, Some(1002));
    assert_eq!(rows[0].active_ms, Some(1000));
    assert_eq!(rows[9].duration_ms, Some(4 + 1000 + 4 + 3));
    let detach = rows.iter().find(|r| r.step == StepKind::Detach).unwrap();
    assert_eq!(detach.attempts, 2);
    assert_eq!(detach.duration_ms, Some(4 + 150 + 1000));
    assert!(detach.error.as_deref().unwrap().contains("req-409"));
}

#[test]
fn a_concurrent_step_is_charged_only_what_it_outlasts() {
    use StepKind::*;
    let steps = [
        (Preflight, None),
        (Isolate, None),
        (Detach, Some(Isolate)),
        (Commit, None),
    ];
    let mut evs = vec![begun(OperationKind::Failover, &steps, DrillLeg::Out)];
    evs.extend(done(Preflight, 0, 100, ""));
    evs.push(OpEvent::StepStarted {
        step: Isolate,
        at: t(100),
    });
    evs.push(OpEvent::StepStarted {
        step: Detach,
        at: t(100),
    });
    evs.push(OpEvent::StepDone {
        step: Isolate,
        at: t(400),
        request_ids: vec!["r-iso".into()],
    });
    evs.push(OpEvent::StepDone {
        step: Detach,
        at: t(1100),
        request_ids: vec!["r-det".into()],
    });
    evs.extend(done(Commit, 1100, 1110, ""));
    evs.push(OpEvent::Finished {
        at: t(1110),
        outcome: Outcome::Succeeded,
    });
    let op = Operation::replay(&evs).unwrap();
    let rows = timeline_rows(&op);
    let charged: Vec<_> = rows.iter().map(|r| r.duration_ms.unwrap()).collect();
    assert_eq!(charged, [100, 300, 700, 10]);
    assert_eq!(rows[2].active_ms, Some(1000));
    let md = operation_timeline_markdown(&op, Duration::from_secs(60));
    assert!(md.contains("| detach ∥ isolate |"), "{md}");
    assert!(md.contains("| **total** | | **1.1 s** |"), "{md}");
}

#[test]
fn the_timeline_section_stands_alone() {
    let op = switchover(DrillLeg::Out);
    let md = operation_timeline_markdown(&op, Duration::from_secs(300));
    assert!(md.starts_with("## Drill of web: web-a → web-b\n"), "{md}");
    assert!(md.contains("- operator alice"), "{md}");
    assert!(md.contains("| step | started | duration | outcome | request ids |"));
    assert!(md.contains("| expose | "), "{md}");
    assert!(md.contains("req-expose"), "{md}");
    assert!(md.contains("| detach (2 attempts) |"), "{md}");
    // The pipe in the ARM message cannot break the table.
    assert!(
        md.contains("detach: HTTP 409 ConflictingUserInput: disk | busy (request id req-409)"),
        "{md}"
    );
    assert!(md.contains("target 5 min: **met**"), "{md}");
    let tight = operation_timeline_markdown(&op, Duration::from_secs(1));
    assert!(tight.contains("target 1.0 s: **missed**"), "{tight}");
}

fn record(out: &Operation, back: &Operation) -> DrillRecord {
    let leg = |l: DrillLeg, op: &Operation| LegRecord {
        leg: l,
        op_id: op.op_id.clone(),
        started_at: op.begun_at,
        ended_at: op.finished.map(|(a, _)| a),
        outcome: op.outcome(),
        rto_ms: op.rto().map(|d| d.as_millis() as u64),
    };
    DrillRecord {
        drill_id: "d1234567-x".into(),
        role: "web".into(),
        from: "web-a".into(),
        to: "web-b".into(),
        operator: "alice".into(),
        begun_at: t(0),
        hold_secs: 30,
        switch_back: true,
        rto_target_ms: 300_000,
        forced: Some("known app incident".into()),
        legs: vec![leg(DrillLeg::Out, out), leg(DrillLeg::Back, back)],
        hold: Some(HoldRecord {
            started_at: t(20_000),
            ended_at: Some(t(50_000)),
            probes_ok: 30,
            probes_failed: 0,
        }),
        comments: vec![],
        resumed: vec![DrillNote {
            at: t(30_000),
            by: "bob".into(),
            text: "resumed after an interruption".into(),
        }],
        finished_at: Some(t(90_000)),
        verdict: Some(Verdict::Pass),
        stopped: None,
        reports: vec![],
    }
}

#[test]
fn the_drill_report_has_the_verdict_line_both_legs_and_the_notes() {
    let (out, back) = (switchover(DrillLeg::Out), switchover(DrillLeg::Back));
    let r = record(&out, &back);
    let md = drill_report_markdown(&r, Some(&out), Some(&back));
    let lines: Vec<&str> = md.lines().collect();
    assert_eq!(lines[0], "# Drill of web: web-a → web-b → web-a");
    assert!(
        lines[2].starts_with("**PASS** — web moved to web-b in 9.2 s and back to web-a in 9.2 s (target 5 min); hold 30 s, 30/30 probes healthy"),
        "{}",
        lines[2]
    );
    assert!(md.contains("## Leg out: web-a → web-b"), "{md}");
    assert!(md.contains("## Hold on web-b"), "{md}");
    assert!(md.contains("## Leg back: web-b → web-a"), "{md}");
    assert!(md.contains("> Forced during an incident, comment: known app incident"));
    assert!(
        md.contains("> Resumed after an interruption by bob"),
        "{md}"
    );

    let j = serde_json::to_value(drill_report_json(&r, Some(&out), Some(&back))).unwrap();
    assert_eq!(j["verdict"], "pass");
    assert_eq!(j["legs"][1]["leg"], "back");
    let steps = j["legs"][0]["steps"].as_array().unwrap();
    let sum: u64 = steps
        .iter()
        .map(|s| s["duration_ms"].as_u64().unwrap())
        .sum();
    assert_eq!(Some(sum), j["legs"][0]["leg_ms"].as_u64());
    assert_eq!(steps[8]["request_ids"][0], "req-expose");
    assert_eq!(report_stem(&r), "web-20241004T000000Z-d1234567");
}

#[test]
fn a_failed_drill_says_why() {
    let (out, back) = (switchover(DrillLeg::Out), switchover(DrillLeg::Back));
    let mut r = record(&out, &back);
    r.rto_target_ms = 5_000;
    r.hold.as_mut().unwrap().probes_failed = 2;
    r.verdict = Some(r.judge());
    assert_eq!(r.verdict, Some(Verdict::Fail));
    let line = verdict_line(&r);
    assert!(
        line.starts_with("**FAIL** — web moved to web-b in 9.2 s (missed)"),
        "{line}"
    );
    assert!(line.contains("30/32 probes healthy"), "{line}");
    let md = drill_report_markdown(&r, Some(&out), None);
    assert!(md.contains("> Leg out took 9.2 s to expose the endpoint, over the 5.0 s target"));
    assert!(md.contains("> The hold was not verified: 30 healthy, 2 failed probes"));
    assert!(
        md.contains("## Leg back: web-b → web-a\n\nDid not run."),
        "{md}"
    );
}
