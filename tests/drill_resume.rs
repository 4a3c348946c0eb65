//! A drill interrupted by a crash (its future dropped mid-leg, or mid-hold) is resumable like
//! any operation: a new drill is refused while it is unfinished, `Drill::resume` resumes the
//! interrupted leg's operation from its journal and then the remaining phases, and the report
//! says it was resumed after an interruption.

mod drill_support;

use baton::core::drill::Verdict;
use baton::core::operation::{DrillLeg, OpEvent};
use baton::core::plan::StepKind;
use baton::drill::{store, DrillError, DrillUpdate, OpStreamEvent};
use baton::failover::{Journal, StateDir};
use drill_support::*;
use tokio::sync::{mpsc, watch};

/// What the test waits for before it drops the drill.
#[derive(Clone, Copy)]
enum Crash {
    /// The leg out's step ended.
    AfterStep(StepKind),
    /// The hold's first probe was counted.
    InHold,
}

/// Runs a drill of web on `dir` and drops it at `crash`; true when it got there.
async fn crash_drill(
    emu: &baton::emulator::EmulatorHandle,
    config: &baton::config::Config,
    dir: &StateDir,
    crash: Crash,
) -> bool {
    // A stream of one: the drill cannot run far ahead of what the test has seen.
    let (tx, mut stream) = mpsc::channel(1);
    let (exec, _) = executor(emu, config, dir, "web", 1);
    let drill = baton::drill::Drill::new(exec, config.clone(), dir.clone(), tx);
    let req = request(dir.root());
    let plan = drill.plan(&req).await.unwrap();
    let (_a, abort) = watch::channel(false);
    let run = drill.run(&req, &plan, "--yes", abort);
    tokio::pin!(run);
    loop {
        tokio::select! {
            item = stream.recv() => {
                let hit = match (crash, item) {
                    (Crash::AfterStep(s), Some(OpStreamEvent::Op { event: OpEvent::StepDone { step, .. }, .. })) => s == step,
                    (Crash::InHold, Some(OpStreamEvent::Drill { update: DrillUpdate::HoldProbe { .. }, .. })) => true,
                    _ => false,
                };
                if hit {
                    return true;
                }
            }
            r = &mut run => panic!("the drill ended before the crash point: {:?}", r.map(|o| o.summary)),
        }
    }
}

async fn resume_and_check(
    emu: &baton::emulator::EmulatorHandle,
    config: &baton::config::Config,
    dir: &StateDir,
    label: &str,
) {
    let (drill, _e, _u) = drill(emu, config, dir, "web");
    let record = drill.unfinished().await.expect("an unfinished drill");
    assert!(
        matches!(
            drill.plan(&request(dir.root())).await,
            Err(DrillError::Unfinished { .. })
        ),
        "{label}: a new drill is refused while one is unfinished"
    );
    let (_a, abort) = watch::channel(false);
    let outcome = drill
        .resume(record, Some(dir.root().join("reports")), abort)
        .await
        .unwrap();
    assert_eq!(
        outcome.verdict,
        Verdict::Pass,
        "{label}: {}",
        outcome.summary
    );
    assert_eq!(outcome.record.resumed.len(), 1, "{label}");
    assert_eq!(outcome.record.resumed[0].by, "tester");
    assert_master(emu, config, "web", "web-a").await;
    assert!(Journal::open_interrupted(dir).is_empty(), "{label}");
    assert!(store::unfinished(dir).is_empty(), "{label}");
    // One operation per leg: the interrupted one was resumed, not started again.
    let ops = Journal::of_role(dir, "web");
    assert_eq!(ops.len(), 2, "{label}");
    let md = std::fs::read_to_string(&outcome.reports.markdown).unwrap();
    assert!(
        md.contains("Resumed after an interruption by tester"),
        "{label}: {md}"
    );
    let audit = std::fs::read_to_string(dir.audit_path()).unwrap();
    assert!(audit.contains("\"event\":\"drill_resumed\""), "{label}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drill_crashed_mid_leg_is_resumed_and_finished() {
    let (emu, config) = start().await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = StateDir::new(tmp.path());
    assert!(crash_drill(&emu, &config, &dir, Crash::AfterStep(StepKind::Detach)).await);
    let open = Journal::open_interrupted(&dir);
    assert_eq!(open.len(), 1, "the leg out is unfinished");
    let link = open[0].drill.clone().unwrap();
    assert_eq!(link.leg, DrillLeg::Out);
    resume_and_check(&emu, &config, &dir, "mid-leg").await;
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drill_crashed_in_the_hold_is_resumed_and_finished() {
    let (emu, config) = start().await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = StateDir::new(tmp.path());
    assert!(crash_drill(&emu, &config, &dir, Crash::InHold).await);
    assert!(
        Journal::open_interrupted(&dir).is_empty(),
        "the leg out finished"
    );
    assert_master(&emu, &config, "web", "web-b").await;
    resume_and_check(&emu, &config, &dir, "in the hold").await;
    emu.shutdown().await;
}
