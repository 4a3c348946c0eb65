//! The order of a failover whose master hangs: isolate ∥ detach first (network and storage
//! fence through the control plane), then the power-off of the old master beside release,
//! attach, start and verify of the new one; commit only once the power-off ended. Proven on the
//! emulator's request log and on the journal. A detach that a hung guest stalls (the
//! emulator's `stall-until-off` fault) falls back to power-off first, then detach again.

mod failover_support;

use baton::core::operation::{OpEvent, Outcome};
use baton::core::plan::{OperationKind, StepKind};
use baton::failover::{Executor, ExecutorOptions, Request, RunEnd, StateDir};
use failover_support::*;
use serde_json::Value;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// Index in the request log of the first request with this method whose path ends with `tail`.
fn first(log: &[Value], method: &str, tail: &str) -> usize {
    log.iter()
        .position(|e| {
            e["method"].as_str() == Some(method)
                && e["path"]
                    .as_str()
                    .is_some_and(|p| p.split('?').next().is_some_and(|p| p.ends_with(tail)))
        })
        .unwrap_or_else(|| panic!("{method} …{tail} in the request log"))
}

/// Index in the journal of the event `pick` matches.
fn at(events: &[OpEvent], pick: impl Fn(&OpEvent) -> bool, what: &str) -> usize {
    events
        .iter()
        .position(pick)
        .unwrap_or_else(|| panic!("{what} in the journal"))
}

fn started(step: StepKind) -> impl Fn(&OpEvent) -> bool {
    move |e| matches!(e, OpEvent::StepStarted { step: s, .. } if *s == step)
}

fn ended(step: StepKind) -> impl Fn(&OpEvent) -> bool {
    move |e| matches!(e, OpEvent::StepDone { step: s, .. } if *s == step)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_master_is_powered_off_beside_the_attach_and_before_the_commit() {
    let (emu, config) = start().await;
    chaos(&emu, "web-a", "hang-vm").await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = StateDir::new(tmp.path());
    let (exec, _rx) = executor(&emu, &config, &dir, "web", 100_000);
    let req = Request::new(OperationKind::Failover);
    let plan = exec.plan(&req).await.unwrap();
    assert!(plan.can_confirm(), "{:?}", plan.blockers);
    assert_eq!(
        plan.step(StepKind::Attach).and_then(|s| s.concurrent_with),
        Some(StepKind::Fence),
        "the plan says the power-off runs beside attach"
    );
    let before = requests(&emu).await.len();
    let (_a, abort) = watch::channel(false);
    let report = exec.run(&req, &plan, "--yes", abort).await.unwrap();
    assert_eq!(report.end, RunEnd::Finished(Outcome::Succeeded));
    assert_master(&emu, &config, "web", "web-b").await;
    let s = state(&emu).await;
    assert_eq!(
        entry(&s, "vms", "web-a")["power"].as_str(),
        Some("stopped"),
        "done means the old master is off"
    );

    let log: Vec<Value> = requests(&emu).await.split_off(before);
    let detach = first(&log, "POST", "virtualMachines/web-a/attachDetachDataDisks");
    let power_off = first(&log, "POST", "virtualMachines/web-a/powerOff");
    let attach = first(&log, "POST", "virtualMachines/web-b/attachDetachDataDisks");
    assert!(detach < power_off, "the power-off comes after the detach");
    // Which of the power-off and the attach is sent first depends on timing alone (the fence
    // step probes the old master first, the attach reads Azure only); that the two steps
    // overlap is the journal's to show, below.
    assert!(detach < attach, "the attach comes after the detach");

    let events = journal_events(&dir, "web", &report.op_id);
    let detach_done = at(&events, ended(StepKind::Detach), "detach done");
    let fence_started = at(&events, started(StepKind::Fence), "fence started");
    let fence_done = at(&events, ended(StepKind::Fence), "fence done");
    let attach_started = at(&events, started(StepKind::Attach), "attach started");
    let attach_done = at(&events, ended(StepKind::Attach), "attach done");
    let commit = at(&events, started(StepKind::Commit), "commit started");
    assert!(
        detach_done < fence_started,
        "never a power-off and a detach on the same VM at once"
    );
    assert!(
        fence_started < attach_done && attach_started < fence_done,
        "the power-off overlaps the attach"
    );
    assert!(
        fence_done < commit,
        "the commit never before the power-off ended"
    );
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_power_off_lets_the_new_master_come_up_and_holds_the_commit() {
    let (emu, config) = start().await;
    chaos(&emu, "web-a", "hang-vm").await;
    fault(
        &emu,
        serde_json::json!({"method": "POST", "path_contains": "virtualMachines/web-a/powerOff",
            "count": 1, "status": 409, "code": "ConflictingUserInput"}),
    )
    .await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = StateDir::new(tmp.path());
    let (exec, _rx) = executor(&emu, &config, &dir, "web", 100_000);
    let req = Request::new(OperationKind::Failover);
    let plan = exec.plan(&req).await.unwrap();
    let (_a, abort) = watch::channel(false);
    let report = exec.run(&req, &plan, "--yes", abort).await.unwrap();
    let RunEnd::Stopped { step, error } = &report.end else {
        panic!("stopped at the power-off: {:?}", report.end);
    };
    assert_eq!(*step, StepKind::Fence);
    assert_eq!(error.code, "ConflictingUserInput");
    let op = &report.operation;
    assert!(
        op.step(StepKind::Expose)
            .is_some_and(|s| s.state.is_ended_well()),
        "the target's steps went on beside the failed power-off"
    );
    assert!(!op.is_finished(), "no commit while the power-off failed");
    clear_faults(&emu).await;
    let (exec2, _rx2) = executor(&emu, &config, &dir, "web", 100_000);
    let (_a, abort) = watch::channel(false);
    let again = exec2
        .resume(report.operation.clone(), &req, abort)
        .await
        .unwrap();
    assert_eq!(again.end, RunEnd::Finished(Outcome::Succeeded));
    assert_master(&emu, &config, "web", "web-b").await;
    let s = state(&emu).await;
    assert_eq!(entry(&s, "vms", "web-a")["power"].as_str(), Some("stopped"));
    emu.shutdown().await;
}

/// Indexes in the request log of every request with this method whose path ends with `tail`.
fn all(log: &[Value], method: &str, tail: &str) -> Vec<usize> {
    (0..log.len())
        .filter(|&i| {
            log[i]["method"].as_str() == Some(method)
                && log[i]["path"]
                    .as_str()
                    .is_some_and(|p| p.split('?').next().is_some_and(|p| p.ends_with(tail)))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_detach_stalled_by_a_hung_guest_falls_back_to_power_off_then_detach() {
    let (emu, config) = start().await;
    chaos(&emu, "web-a", "hang-vm").await;
    fault(
        &emu,
        serde_json::json!({"method": "POST", "kind": "stall-until-off",
            "path_contains": "virtualMachines/web-a/attachDetachDataDisks"}),
    )
    .await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = StateDir::new(tmp.path());
    // A window well above the detach's emulated latency (12.5 s / 150 ≈ 0.08 s), far below
    // the default 45 s: only the stall outlasts it.
    let opts = ExecutorOptions {
        detach_window: Duration::from_millis(600),
        ..options(&config)
    };
    let (tx, _rx) = mpsc::channel(100_000);
    let role = config.role("web").unwrap().clone();
    let exec = Executor::new(arm(&emu), role, dir.clone(), operator(), opts, tx);
    let req = Request::new(OperationKind::Failover);
    let plan = exec.plan(&req).await.unwrap();
    assert!(plan.can_confirm(), "{:?}", plan.blockers);
    let before = requests(&emu).await.len();
    let (_a, abort) = watch::channel(false);
    let report = exec.run(&req, &plan, "--yes", abort).await.unwrap();
    assert_eq!(report.end, RunEnd::Finished(Outcome::Succeeded));
    assert_master(&emu, &config, "web", "web-b").await;

    let log: Vec<Value> = requests(&emu).await.split_off(before);
    let detaches = all(&log, "POST", "virtualMachines/web-a/attachDetachDataDisks");
    let power_offs = all(&log, "POST", "virtualMachines/web-a/powerOff");
    let attach = first(&log, "POST", "virtualMachines/web-b/attachDetachDataDisks");
    assert_eq!(detaches.len(), 2, "detach, then detach again: {log:?}");
    assert_eq!(power_offs.len(), 1, "one power-off: {log:?}");
    assert!(
        detaches[0] < power_offs[0] && power_offs[0] < detaches[1],
        "the stalled detach, then the power-off, then the detach again"
    );
    assert!(detaches[1] < attach, "the attach after the second detach");

    let s = state(&emu).await;
    let web_a_detaches: Vec<&str> = s["operations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["kind"] == "attach-detach" && o["target"] == "web-a")
        .filter_map(|o| o["status"].as_str())
        .collect();
    assert_eq!(
        web_a_detaches,
        ["Canceled", "Succeeded"],
        "the power-off preempted the stalled detach; the second one went through"
    );
    assert_eq!(entry(&s, "vms", "web-a")["power"].as_str(), Some("stopped"));

    let events = journal_events(&dir, "web", &report.op_id);
    assert!(
        events.iter().any(|e| matches!(e, OpEvent::StepProgress { step: StepKind::Detach, note, .. }
            if note.contains("did not finish within 0.6 s") && note.contains("powering web-a off first"))),
        "the journal says why the power-off came first"
    );
    emu.shutdown().await;
}
