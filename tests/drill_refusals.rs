//! What a drill refuses: a role whose standby is not running (the switchover's own blocker,
//! with the reason); any drill while another role is MASTER DOWN, unless forced with a
//! non-empty comment — which then lands in the record, the report and the audit.

mod drill_support;

use baton::core::drill::Verdict;
use baton::core::plan::Blocker;
use baton::drill::{store, DrillError, DrillRequest};
use baton::failover::StateDir;
use drill_support::*;
use tokio::sync::watch;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_when_the_standby_is_not_running() {
    let (emu, config) = start().await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = StateDir::new(tmp.path());
    chaos(&emu, "web-b", "stop-vm").await;
    let (drill, _e, _u) = drill(&emu, &config, &dir, "web");
    let req = request(tmp.path());
    let plan = drill.plan(&req).await.unwrap();
    assert!(!plan.can_confirm());
    let text: Vec<String> = plan.blockers().iter().map(ToString::to_string).collect();
    assert!(
        text.iter()
            .any(|t| t.contains("web-b") && t.contains("stopped")),
        "{text:?}"
    );
    let (_a, abort) = watch::channel(false);
    let err = drill.run(&req, &plan, "--yes", abort).await.unwrap_err();
    assert!(matches!(err, DrillError::Blocked(_)), "{err}");
    assert!(err.to_string().contains("web-b"), "{err}");
    assert!(store::load_all(&dir).is_empty(), "nothing recorded");
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_during_an_incident_unless_forced_with_a_comment() {
    let (emu, config) = start().await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = StateDir::new(tmp.path().join("state"));
    chaos(&emu, "app-a", "kill-service").await;
    let (drill, _e, _u) = drill(&emu, &config, &dir, "web");

    let req = request(tmp.path());
    let plan = drill.plan(&req).await.unwrap();
    assert!(!plan.can_confirm());
    let incident = plan
        .blockers()
        .iter()
        .find(|b| matches!(b, Blocker::Incident { .. }))
        .expect("an incident blocker");
    assert!(
        incident.to_string().contains("role app is MASTER DOWN"),
        "{incident}"
    );
    assert_eq!(plan.blockers().len(), 1, "web itself is fine");

    let empty = DrillRequest {
        force_during_incident: Some("  ".into()),
        ..request(tmp.path())
    };
    assert!(matches!(
        drill.plan(&empty).await,
        Err(DrillError::Usage(_))
    ));

    let comment = "app incident known, quarterly drill window";
    let forced = DrillRequest {
        force_during_incident: Some(comment.into()),
        comment: Some("done by the night shift".into()),
        ..request(tmp.path())
    };
    let plan = drill.plan(&forced).await.unwrap();
    assert!(plan.can_confirm(), "{:?}", plan.blockers());
    assert_eq!(plan.incident.len(), 1);
    let (_a, abort) = watch::channel(false);
    let outcome = drill.run(&forced, &plan, "--yes", abort).await.unwrap();
    assert_eq!(outcome.verdict, Verdict::Pass, "{}", outcome.summary);
    assert_master(&emu, &config, "web", "web-a").await;
    assert_eq!(outcome.record.forced.as_deref(), Some(comment));
    let md = std::fs::read_to_string(&outcome.reports.markdown).unwrap();
    assert!(
        md.contains(&format!("Forced during an incident, comment: {comment}")),
        "{md}"
    );
    assert!(md.contains("done by the night shift"), "{md}");
    let audit = std::fs::read_to_string(dir.audit_path()).unwrap();
    let line = audit
        .lines()
        .find(|l| l.contains("\"event\":\"incident_override\""))
        .expect("the override is audited");
    assert!(
        line.contains(comment) && line.contains("role app is MASTER DOWN"),
        "{line}"
    );
    emu.shutdown().await;
}
