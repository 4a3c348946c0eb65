//! End to end against the emulator: `drill web` switches to web-b, holds, switches back to
//! web-a, passes, and writes a Markdown and a JSON report whose step durations add up to each
//! leg's measured time; with a tiny RTO target the same drill fails and says why; a leg stopped
//! by a fault ends the drill FAIL and says where the role was left.

mod drill_support;

use baton::core::drill::Verdict;
use baton::core::leader::LeaderState;
use baton::core::operation::{DrillLeg, OpEvent, Outcome};
use baton::drill::{report, store, DrillUpdate};
use baton::failover::{Journal, StateDir};
use drill_support::*;
use serde_json::json;
use std::time::Duration;
use tokio::sync::watch;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drill_web_passes_and_reports_add_up() {
    let (emu, config) = start().await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = StateDir::new(tmp.path().join("state"));
    let reports = tmp.path().join("reports");
    let (drill, mut events, mut updates) = drill(&emu, &config, &dir, "web");
    let req = request(&reports);
    let plan = drill.plan(&req).await.unwrap();
    assert!(plan.can_confirm(), "{:?}", plan.blockers());
    assert_eq!(plan.out.to.as_deref(), Some("web-b"));
    let (_a, abort) = watch::channel(false);
    let outcome = drill.run(&req, &plan, "--yes", abort).await.unwrap();
    assert_eq!(outcome.verdict, Verdict::Pass, "{}", outcome.summary);
    assert!(outcome
        .summary
        .starts_with("**PASS** — web moved to web-b in "));
    assert_master(&emu, &config, "web", "web-a").await;
    assert_eq!(
        derive_now(&emu, &config, "web").await,
        (LeaderState::Healthy, Some("web-a".to_string()))
    );

    // The record: finished, both legs linked to their journalled operations.
    let records = store::load_all(&dir);
    assert_eq!(records.len(), 1);
    let record = &records[0];
    assert_eq!(record.verdict, Some(Verdict::Pass));
    assert!(record.finished_at.is_some());
    let hold = record.hold.as_ref().unwrap();
    assert!(hold.probes_ok > 0 && hold.probes_failed == 0, "{hold:?}");
    for leg in [DrillLeg::Out, DrillLeg::Back] {
        let l = record.leg(leg).unwrap();
        assert_eq!(l.outcome, Some(Outcome::Succeeded));
        let op = Journal::load(&dir.journal_path("web", &l.op_id))
            .unwrap()
            .operation()
            .unwrap();
        let link = op
            .drill
            .as_ref()
            .expect("the leg's operation names its drill");
        assert_eq!(
            (link.drill_id.as_str(), link.leg),
            (record.drill_id.as_str(), leg)
        );
        assert_eq!(report::charged_total_ms(&op), report::leg_ms(&op).unwrap());
    }

    // Both files, named after the role and the drill; the JSON's steps add up per leg.
    assert_eq!(outcome.reports.markdown.parent(), Some(reports.as_path()));
    let name = outcome.reports.json.file_name().unwrap().to_string_lossy();
    assert!(
        name.starts_with("web-") && name.ends_with(&format!("-{}.json", &record.drill_id[..8]))
    );
    let j = json(&outcome.reports.json);
    assert_eq!(j["verdict"], "pass");
    assert_eq!(j["rto_target_ms"], 300_000);
    let legs = j["legs"].as_array().unwrap();
    assert_eq!(legs.len(), 2);
    for leg in legs {
        let steps = leg["steps"].as_array().unwrap();
        assert_eq!(steps.len(), 10, "{leg}");
        let sum: u64 = steps
            .iter()
            .map(|s| s["duration_ms"].as_u64().unwrap())
            .sum();
        let leg_ms = leg["leg_ms"].as_u64().unwrap();
        assert!(
            sum.abs_diff(leg_ms) <= 1,
            "steps {sum} ms vs leg {leg_ms} ms"
        );
        assert!(leg["rto_ms"].as_u64().unwrap() <= leg_ms);
        assert_eq!(leg["rto_met"], true);
        let detach = steps.iter().find(|s| s["step"] == "detach").unwrap();
        assert!(
            !detach["request_ids"].as_array().unwrap().is_empty(),
            "{detach}"
        );
    }
    let md = std::fs::read_to_string(&outcome.reports.markdown).unwrap();
    assert!(
        md.starts_with("# Drill of web: web-a → web-b → web-a"),
        "{md}"
    );
    assert!(md.contains("**PASS** — web moved to web-b in"), "{md}");
    assert!(md.contains("## Leg out: web-a → web-b"), "{md}");
    assert!(md.contains("## Leg back: web-b → web-a"), "{md}");
    assert!(md.contains("| step | started | duration | outcome | request ids |"));
    assert!(md.contains("**met**"), "{md}");

    // The streams: every leg event, and the drill's own progress in order.
    let evs = drain(&mut events);
    let begun = evs
        .iter()
        .filter(|e| matches!(e, OpEvent::Begun { drill: Some(_), .. }))
        .count();
    assert_eq!(begun, 2);
    let ups = drain(&mut updates);
    assert!(
        matches!(ups.first(), Some(DrillUpdate::Begun { .. })),
        "{ups:?}"
    );
    assert!(ups
        .iter()
        .any(|u| matches!(u, DrillUpdate::HoldEnded { passed: true })));
    assert!(matches!(
        ups.last(),
        Some(DrillUpdate::Finished {
            verdict: Verdict::Pass,
            ..
        })
    ));
    let audit = std::fs::read_to_string(dir.audit_path()).unwrap();
    assert!(audit.contains("\"event\":\"drill_begun\""));
    assert!(audit.contains("\"event\":\"drill_finished\""));
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tiny_rto_target_fails_the_drill_and_says_why() {
    let (emu, mut config) = start().await;
    config.failover.rto_target = Duration::from_millis(1);
    let tmp = tempfile::tempdir().unwrap();
    let dir = StateDir::new(tmp.path().join("state"));
    let (drill, _events, _updates) = drill(&emu, &config, &dir, "web");
    let req = request(tmp.path());
    let plan = drill.plan(&req).await.unwrap();
    let (_a, abort) = watch::channel(false);
    let outcome = drill.run(&req, &plan, "--yes", abort).await.unwrap();
    assert_eq!(outcome.verdict, Verdict::Fail);
    assert!(
        outcome.summary.starts_with("**FAIL** — "),
        "{}",
        outcome.summary
    );
    assert!(outcome.summary.contains("(missed)"), "{}", outcome.summary);
    assert!(
        outcome.summary.contains("target 1 ms"),
        "{}",
        outcome.summary
    );
    // The moves themselves succeeded: the role is home again.
    assert_master(&emu, &config, "web", "web-a").await;
    let md = std::fs::read_to_string(&outcome.reports.markdown).unwrap();
    assert!(md.contains("over the 1 ms target"), "{md}");
    assert!(md.contains("**missed**"), "{md}");
    let j = json(&outcome.reports.json);
    assert_eq!(j["verdict"], "fail");
    assert_eq!(j["legs"][0]["rto_met"], false);
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_leg_fails_the_drill_and_says_where_the_role_is() {
    let (emu, config) = start().await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = StateDir::new(tmp.path().join("state"));
    fault(
        &emu,
        json!({"method": "POST", "path_contains": "web-b/attachDetachDataDisks",
               "status": 409, "code": "ConflictingUserInput", "message": "drill test"}),
    )
    .await;
    let (drill, _events, _updates) = drill(&emu, &config, &dir, "web");
    let req = request(tmp.path());
    let plan = drill.plan(&req).await.unwrap();
    let (_a, abort) = watch::channel(false);
    let outcome = drill.run(&req, &plan, "--yes", abort).await.unwrap();
    assert_eq!(outcome.verdict, Verdict::Fail);
    let why = outcome.record.stopped.clone().unwrap();
    assert!(why.contains("stopped at step attach"), "{why}");
    assert!(why.contains("ConflictingUserInput"), "{why}");
    assert!(why.contains("mid-way from web-a to web-b"), "{why}");
    assert!(why.contains("baton switchover web --resume"), "{why}");
    assert!(outcome.record.hold.is_none(), "no hold after a stopped leg");
    // The leg's operation stays resumable, and a new drill is refused until it is dealt with.
    assert_eq!(Journal::open_interrupted(&dir).len(), 1);
    let md = std::fs::read_to_string(&outcome.reports.markdown).unwrap();
    assert!(md.contains("Stopped early:"), "{md}");
    assert!(md.contains("failed: HTTP 409 ConflictingUserInput"), "{md}");
    emu.shutdown().await;
}
