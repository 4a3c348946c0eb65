//! The fault matrix: for every step that talks to Azure and each fault (429 with Retry-After,
//! 500, 409 ConflictingUserInput, network 409 AnotherOperationInProgress, an operation ending
//! Failed, a dropped connection, and a competing raw write that preempts baton's operation),
//! the operation either completes through retries, or stops with a `step_failed` journal entry
//! in a safe state (never two holders of the endpoint or of a disk) — and a resume on a new
//! executor then completes with the invariants holding.
//!
//! Not in the table: verify (it reads heartbeats, not ARM: no ARM fault applies) and commit
//! (local only). Preemption applies to VM writes (detach, attach, power-off); network and run
//! command have no preemption on Azure (a second write is refused with 409 instead, the row
//! `409 AnotherOperationInProgress` / `409 ConflictingUserInput` covers that answer).

mod failover_support;

use baton::core::operation::{OpEvent, Outcome};
use baton::core::plan::OperationKind;
use baton::emulator::EmulatorHandle;
use baton::failover::{Journal, Request, RunEnd, StateDir};
use failover_support::*;
use serde_json::{json, Value};
use std::time::Duration;
use tokio::sync::watch;

#[derive(Debug, Clone, Copy)]
enum Fault {
    Throttle,
    ServerError,
    Conflict,
    NetworkBusy,
    OperationFailed,
    Dropped,
    Preempted,
}

const ALL_FAULTS: [Fault; 7] = [
    Fault::Throttle,
    Fault::ServerError,
    Fault::Conflict,
    Fault::NetworkBusy,
    Fault::OperationFailed,
    Fault::Dropped,
    Fault::Preempted,
];

/// Where a step's ARM call goes.
struct Target {
    step: &'static str,
    method: &'static str,
    path: &'static str,
    /// For the preemption row: the emulator operation kind and VM to compete with.
    preempt: Option<(&'static str, &'static str)>,
    write: bool,
}

const SWITCHOVER_TARGETS: [Target; 7] = [
    Target {
        step: "isolate",
        method: "PUT",
        path: "networkInterfaces/web-a-nic",
        preempt: None,
        write: true,
    },
    Target {
        step: "fence",
        method: "POST",
        path: "virtualMachines/web-a/runCommand",
        preempt: None,
        write: true,
    },
    Target {
        step: "detach",
        method: "POST",
        path: "virtualMachines/web-a/attachDetachDataDisks",
        preempt: Some(("attach-detach", "web-a")),
        write: true,
    },
    Target {
        step: "release",
        method: "GET",
        path: "disks/web-data",
        preempt: None,
        write: false,
    },
    Target {
        step: "attach",
        method: "POST",
        path: "virtualMachines/web-b/attachDetachDataDisks",
        preempt: Some(("attach-detach", "web-b")),
        write: true,
    },
    Target {
        step: "start",
        method: "POST",
        path: "virtualMachines/web-b/runCommand",
        preempt: None,
        write: true,
    },
    Target {
        step: "expose",
        method: "PUT",
        path: "networkInterfaces/web-b-nic",
        preempt: None,
        write: true,
    },
];

/// The fault as the emulator's control API takes it; `None` when it does not apply.
fn fault_body(t: &Target, f: Fault) -> Option<Value> {
    let base = json!({"method": t.method, "path_contains": t.path, "count": 1});
    let mut v = base;
    let extra = match f {
        Fault::Throttle => {
            json!({"kind": "respond", "status": 429, "code": "TooManyRequests", "message": "slow down", "retry_after": 1})
        }
        Fault::ServerError => {
            json!({"kind": "respond", "status": 500, "code": "InternalServerError", "message": "boom"})
        }
        Fault::Conflict => {
            json!({"kind": "respond", "status": 409, "code": "ConflictingUserInput", "message": "conflict"})
        }
        Fault::NetworkBusy => {
            json!({"kind": "respond", "status": 409, "code": "AnotherOperationInProgress", "message": "busy"})
        }
        Fault::OperationFailed if t.write => {
            json!({"kind": "fail-operation", "code": "InternalExecutionError", "message": "operation failed"})
        }
        Fault::Dropped => json!({"kind": "drop"}),
        Fault::OperationFailed | Fault::Preempted => return None,
    };
    for (k, val) in extra.as_object().unwrap() {
        v[k] = val.clone();
    }
    Some(v)
}

/// Waits for baton's operation of `kind` on `vm` to be in progress, then sends a competing raw
/// write that preempts it: a VM PATCH (tags only) for disk operations, a powerOff for power.
async fn compete(base: url::Url, sub: String, token: String, kind: &'static str, vm: &'static str) {
    for _ in 0..20_000 {
        let s: Value = reqwest::get(format!("{base}_emulator/state"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let running = s["operations"].as_array().unwrap().iter().any(|o| {
            o["kind"] == kind && o["target"].as_str() == Some(vm) && o["status"] == "InProgress"
        });
        if running {
            let path = format!(
                "{base}subscriptions/{sub}/resourceGroups/rg-contoso/providers/Microsoft.Compute/virtualMachines/{vm}"
            );
            let client = reqwest::Client::new();
            let req = if kind == "power-off" {
                client.post(format!("{path}/powerOff?api-version=2024-07-01"))
            } else {
                client
                    .patch(format!("{path}?api-version=2024-07-01"))
                    .json(&json!({"location": "westeurope", "tags": {"competing": "write"}}))
            };
            let resp = req.bearer_auth(&token).send().await.unwrap();
            assert!(resp.status().is_success(), "competing write accepted");
            return;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    panic!("baton's {kind} on {vm} never showed up");
}

/// Never two holders of the endpoint, never a disk on two VMs, never the endpoint and a disk on
/// two different VMs at once.
async fn assert_safe(emu: &EmulatorHandle, case: &str) {
    let s = state(emu).await;
    let holders: Vec<&str> = s["nics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| {
            n["nat_rules"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r == "web-app")
        })
        .filter_map(|n| n["vm"].as_str())
        .collect();
    assert!(holders.len() <= 1, "{case}: endpoint on {holders:?}");
    let listed: Vec<&str> = s["vms"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| {
            v["data_disks"]
                .as_array()
                .unwrap()
                .iter()
                .any(|d| d["name"] == "web-data")
        })
        .filter_map(|v| v["name"].as_str())
        .collect();
    assert!(listed.len() <= 1, "{case}: web-data listed on {listed:?}");
    if let (Some(ep), Some(disk)) = (holders.first(), listed.first()) {
        assert_eq!(ep, disk, "{case}: endpoint on {ep}, disk on {disk}");
    }
}

/// Proves the case exercised its fault: the emulator answered it, or the journal saw the
/// preemption (or the operation end Failed).
async fn assert_fault_hit(
    emu: &EmulatorHandle,
    dir: &StateDir,
    op_id: &str,
    t: &Target,
    f: Fault,
    label: &str,
) {
    let events = Journal::load(&dir.journal_path("web", op_id))
        .unwrap()
        .events;
    let noted = |needle: &str| {
        events.iter().any(|e| match e {
            OpEvent::StepProgress { note, .. } => note.contains(needle),
            OpEvent::StepFailed { error, .. } => error.message.contains(needle),
            _ => false,
        })
    };
    let want_status = match f {
        Fault::Throttle => 429,
        Fault::ServerError => 500,
        Fault::Conflict | Fault::NetworkBusy => 409,
        Fault::Dropped => 0,
        Fault::OperationFailed => {
            assert!(noted("operation failed"), "{label}: Failed operation seen");
            return;
        }
        Fault::Preempted => {
            assert!(noted("OperationPreempted"), "{label}: preemption seen");
            return;
        }
    };
    let log: Vec<Value> = reqwest::get(format!("{}_emulator/requests", emu.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let hit = log.iter().any(|r| {
        r["method"] == t.method
            && r["path"].as_str().is_some_and(|p| p.contains(t.path))
            && r["status"] == want_status
    });
    assert!(hit, "{label}: the emulator answered {want_status}");
}

async fn reset(emu: &EmulatorHandle) {
    let resp = reqwest::Client::new()
        .post(format!("{}_emulator/reset", emu.base_url()))
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success());
}

/// Runs one case: fault armed, operation run; a stop must be journalled and safe, then resumed.
async fn case(
    emu: &EmulatorHandle,
    config: &baton::config::Config,
    kind: OperationKind,
    t: &Target,
    f: Fault,
) {
    let label = format!("{kind:?} {} {f:?}", t.step);
    let competitor = match (f, t.preempt) {
        (Fault::Preempted, Some((op, vm))) => Some(tokio::spawn(compete(
            emu.base_url().clone(),
            emu.subscription_id().to_owned(),
            emu.token().to_owned(),
            op,
            vm,
        ))),
        (Fault::Preempted, None) => return,
        _ => match fault_body(t, f) {
            Some(body) => {
                fault(emu, body).await;
                None
            }
            None => return,
        },
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = StateDir::new(tmp.path());
    let (exec, _rx) = executor(emu, config, &dir, "web", 100_000);
    let req = Request::new(kind);
    let plan = exec.plan(&req).await.unwrap();
    assert!(plan.can_confirm(), "{label}: {:?}", plan.blockers);
    let (_a, abort) = watch::channel(false);
    let report = exec.run(&req, &plan, "--yes", abort).await.unwrap();
    if let Some(c) = competitor {
        c.await.unwrap();
    }
    match &report.end {
        RunEnd::Finished(Outcome::Succeeded) => {}
        RunEnd::Stopped { step, error } => {
            assert_safe(emu, &label).await;
            let events = Journal::load(&dir.journal_path("web", &report.op_id))
                .unwrap()
                .events;
            assert!(
                events
                    .iter()
                    .any(|e| matches!(e, OpEvent::StepFailed { step: s, .. } if s == step)),
                "{label}: journal has the failure"
            );
            clear_faults(emu).await;
            let ops = Journal::open_interrupted(&dir);
            assert_eq!(ops.len(), 1, "{label}: one interrupted operation ({error})");
            let (exec2, _rx2) = executor(emu, config, &dir, "web", 100_000);
            let (_a, abort) = watch::channel(false);
            let again = exec2
                .resume(ops.into_iter().next().unwrap(), &req, abort)
                .await
                .unwrap();
            assert_eq!(
                again.end,
                RunEnd::Finished(Outcome::Succeeded),
                "{label}: resume after {error}"
            );
        }
        other => panic!("{label}: {other:?}"),
    }
    assert_master(emu, config, "web", "web-b").await;
    assert!(Journal::open_interrupted(&dir).is_empty(), "{label}");
    assert_fault_hit(emu, &dir, &report.op_id, t, f, &label).await;
    clear_faults(emu).await;
    reset(emu).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn switchover_survives_every_fault_at_every_step() {
    let (emu, config) = start().await;
    for t in &SWITCHOVER_TARGETS {
        for f in ALL_FAULTS {
            case(&emu, &config, OperationKind::Switchover, t, f).await;
        }
    }
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hung_master_failover_survives_every_fault_at_every_step() {
    let (emu, config) = start().await;
    for t in &SWITCHOVER_TARGETS {
        // The failover has no stop command: its fence is the power-off (next test).
        if t.step == "fence" {
            continue;
        }
        for f in ALL_FAULTS {
            chaos(&emu, "web-a", "hang-vm").await;
            case(&emu, &config, OperationKind::Failover, t, f).await;
        }
    }
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failover_power_off_survives_every_fault() {
    let (emu, config) = start().await;
    let power_off = Target {
        step: "fence",
        method: "POST",
        path: "virtualMachines/web-a/powerOff",
        preempt: Some(("power-off", "web-a")),
        write: true,
    };
    for f in ALL_FAULTS {
        chaos(&emu, "web-a", "hang-vm").await;
        case(&emu, &config, OperationKind::Failover, &power_off, f).await;
    }
    emu.shutdown().await;
}
