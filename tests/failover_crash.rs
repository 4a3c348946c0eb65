//! Crashes and races: the executor future is dropped (a killed process) right after each step
//! boundary the journal records, then a new executor resumes from the journal and completes
//! with the invariants holding. Two executors on one role at once: exactly one acts, the other
//! learns the lock holder. Nothing baton writes (journal, audit, logs) contains the token.

mod failover_support;

use baton::core::operation::{OpEvent, Outcome};
use baton::core::plan::{OperationKind, StepKind};
use baton::failover::{ExecError, Journal, LockError, Request, RunEnd, StateDir};
use failover_support::*;
use tokio::sync::watch;

/// Runs a switchover of web and drops it once the stream shows `boundary` (an event of `step`).
async fn crash_at(
    emu: &baton::emulator::EmulatorHandle,
    config: &baton::config::Config,
    dir: &StateDir,
    step: StepKind,
    started: bool,
    kind: OperationKind,
) -> bool {
    // A channel of one: the executor cannot run ahead of what the test has seen by more than
    // one event, so the drop lands at the boundary.
    let (exec, mut rx) = executor(emu, config, dir, "web", 1);
    let req = Request::new(kind);
    let plan = exec.plan(&req).await.unwrap();
    assert!(plan.can_confirm(), "{:?}", plan.blockers);
    let (_a, abort) = watch::channel(false);
    let run = exec.run(&req, &plan, "--yes", abort);
    tokio::pin!(run);
    loop {
        tokio::select! {
            biased;
            ev = rx.recv() => {
                let hit = match ev {
                    Some(OpEvent::StepStarted { step: s, .. }) => started && s == step,
                    Some(OpEvent::StepDone { step: s, .. } | OpEvent::StepSkipped { step: s, .. }) => {
                        !started && s == step
                    }
                    Some(_) => false,
                    None => return false,
                };
                if hit {
                    return true;
                }
            }
            r = &mut run => {
                let r = r.unwrap();
                assert_eq!(r.end, RunEnd::Finished(Outcome::Succeeded));
                return false;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_at_every_step_boundary_then_resumed() {
    killed_everywhere(OperationKind::Switchover).await;
}

/// The failover of a hung master: the power-off runs beside release … expose, so a kill there
/// leaves two steps in flight; the resume starts both again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hung_master_failover_killed_at_every_step_boundary_then_resumed() {
    killed_everywhere(OperationKind::Failover).await;
}

async fn killed_everywhere(kind: OperationKind) {
    let (emu, config) = start().await;
    let steps = [
        StepKind::Preflight,
        StepKind::Isolate,
        StepKind::Fence,
        StepKind::Detach,
        StepKind::Release,
        StepKind::Attach,
        StepKind::Start,
        StepKind::Verify,
        StepKind::Expose,
    ];
    for step in steps {
        for started in [true, false] {
            let label = format!(
                "{} {}",
                step.label(),
                if started { "started" } else { "ended" }
            );
            let tmp = tempfile::tempdir().unwrap();
            let dir = StateDir::new(tmp.path());
            if kind == OperationKind::Failover {
                chaos(&emu, "web-a", "hang-vm").await;
            }
            let crashed = crash_at(&emu, &config, &dir, step, started, kind).await;
            assert!(crashed, "{label}: the boundary was reached");
            let ops = Journal::open_interrupted(&dir);
            assert_eq!(ops.len(), 1, "{label}");
            let op = ops.into_iter().next().unwrap();
            // A fresh start is refused while the journal shows an unfinished operation.
            let (exec, _rx) = executor(&emu, &config, &dir, "web", 10_000);
            let req = Request::new(kind);
            let (_a, abort) = watch::channel(false);
            let report = exec.resume(op, &req, abort).await.unwrap();
            assert_eq!(report.end, RunEnd::Finished(Outcome::Succeeded), "{label}");
            assert_master(&emu, &config, "web", "web-b").await;
            assert!(Journal::open_interrupted(&dir).is_empty(), "{label}");
            reqwest::Client::new()
                .post(format!("{}_emulator/reset", emu.base_url()))
                .header("content-type", "application/json")
                .send()
                .await
                .unwrap();
        }
    }
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interrupted_operation_blocks_a_new_one() {
    let (emu, config) = start().await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = StateDir::new(tmp.path());
    assert!(
        crash_at(
            &emu,
            &config,
            &dir,
            StepKind::Detach,
            false,
            OperationKind::Switchover
        )
        .await
    );
    let (exec, _rx) = executor(&emu, &config, &dir, "web", 10_000);
    let req = Request::new(OperationKind::Switchover);
    let plan = exec.plan(&req).await.unwrap();
    assert!(
        plan.blockers
            .iter()
            .any(|b| matches!(b, baton::core::plan::Blocker::OperationRunning)),
        "{:?}",
        plan.blockers
    );
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_executors_on_one_role_exactly_one_acts() {
    let (emu, config) = start().await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = StateDir::new(tmp.path());
    let (a, _ra) = executor(&emu, &config, &dir, "app", 10_000);
    let (b, _rb) = executor(&emu, &config, &dir, "app", 10_000);
    let req = Request::new(OperationKind::Switchover);
    let plan_a = a.plan(&req).await.unwrap();
    let plan_b = b.plan(&req).await.unwrap();
    let (_x, abort_a) = watch::channel(false);
    let (_y, abort_b) = watch::channel(false);
    let (ra, rb) = tokio::join!(
        a.run(&req, &plan_a, "--yes", abort_a),
        b.run(&req, &plan_b, "--yes", abort_b)
    );
    let (won, lost) = match (ra, rb) {
        (Ok(w), Err(l)) | (Err(l), Ok(w)) => (w, l),
        (ra, rb) => panic!("exactly one must act: {ra:?} / {rb:?}"),
    };
    assert_eq!(won.end, RunEnd::Finished(Outcome::Succeeded));
    match &lost {
        ExecError::Locked(LockError::Held { who, host, pid, .. }) => {
            assert_eq!(who, "tester");
            assert_eq!(host, "testhost");
            assert_eq!(*pid, std::process::id());
        }
        other => panic!("the loser names the holder: {other:?}"),
    }
    assert!(lost.to_string().contains("locked by tester on testhost"));
    assert_eq!(Journal::all(&dir).len(), 1, "only the winner journalled");
    assert_master(&emu, &config, "app", "app-b").await;

    // Nothing baton wrote holds the token.
    let token = emu.token().to_owned();
    for path in walk(tmp.path()) {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(!text.contains(&token), "{} holds the token", path.display());
    }
    let audit = std::fs::read_to_string(dir.audit_path()).unwrap();
    assert!(
        audit.contains("\"event\":\"refused\""),
        "the loser is audited"
    );
    emu.shutdown().await;
}

fn walk(root: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(p) = stack.pop() {
        if p.is_dir() {
            for e in std::fs::read_dir(&p).unwrap().flatten() {
                stack.push(e.path());
            }
        } else {
            out.push(p);
        }
    }
    assert!(!out.is_empty());
    out
}
