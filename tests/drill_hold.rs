//! The hold: a standby whose service dies during the hold fails the drill, and the drill still
//! switches back (never leaves the role on the standby silently) and says so; an abort during
//! the hold ends the drill FAIL with the role on the standby and the way back named.

mod drill_support;

use baton::core::drill::Verdict;
use baton::drill::DrillUpdate;
use baton::failover::StateDir;
use drill_support::*;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// Waits for the first hold probe, then runs `act`.
async fn on_first_hold_probe<F, Fut>(mut updates: mpsc::Receiver<DrillUpdate>, act: F)
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    // The stream's buffer holds every later update, so returning never blocks the drill.
    while let Some(u) = updates.recv().await {
        if matches!(u, DrillUpdate::HoldProbe { .. }) {
            return act().await;
        }
    }
}

fn long_hold(dir: &std::path::Path) -> baton::drill::DrillRequest {
    baton::drill::DrillRequest {
        hold: Duration::from_secs(2),
        ..request(dir)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_hold_still_switches_back_and_fails_the_drill() {
    let (emu, config) = start().await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = StateDir::new(tmp.path());
    let (drill, _events, updates) = drill(&emu, &config, &dir, "web");
    let req = long_hold(tmp.path());
    let plan = drill.plan(&req).await.unwrap();
    let (_a, abort) = watch::channel(false);
    let (outcome, ()) = tokio::join!(
        drill.run(&req, &plan, "--yes", abort),
        on_first_hold_probe(updates, || chaos(&emu, "web-b", "kill-service"))
    );
    let outcome = outcome.unwrap();
    assert_eq!(outcome.verdict, Verdict::Fail, "{}", outcome.summary);
    let hold = outcome.record.hold.clone().unwrap();
    assert!(hold.probes_failed > 0, "{hold:?}");
    assert!(outcome.record.stopped.is_none(), "every phase ran");
    assert!(outcome
        .record
        .comments
        .iter()
        .any(|c| c.text.contains("switched back anyway")));
    assert_master(&emu, &config, "web", "web-a").await;
    let md = std::fs::read_to_string(&outcome.reports.markdown).unwrap();
    assert!(md.contains("— **NOT verified**"), "{md}");
    assert!(md.contains("> The hold was not verified"), "{md}");
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_abort_in_the_hold_ends_the_drill_on_the_standby_and_says_so() {
    let (emu, config) = start().await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = StateDir::new(tmp.path());
    let (drill, _events, updates) = drill(&emu, &config, &dir, "web");
    let req = long_hold(tmp.path());
    let plan = drill.plan(&req).await.unwrap();
    let (abort_tx, abort) = watch::channel(false);
    let (outcome, ()) = tokio::join!(
        drill.run(&req, &plan, "--yes", abort),
        on_first_hold_probe(updates, || async {
            abort_tx.send(true).unwrap();
        })
    );
    let outcome = outcome.unwrap();
    assert_eq!(outcome.verdict, Verdict::Fail);
    let why = outcome.record.stopped.clone().unwrap();
    assert!(
        why.contains("aborted during the hold: web stays on web-b"),
        "{why}"
    );
    assert!(why.contains("baton switchover web --to web-a"), "{why}");
    assert!(outcome
        .record
        .leg(baton::core::operation::DrillLeg::Back)
        .is_none());
    assert_master(&emu, &config, "web", "web-b").await;
    emu.shutdown().await;
}
