//! Shared-disk roles on the emulator over real HTTP (`scenarios/shared.toml`): a failover and a
//! switchover of `sql` (every disk shared by sql-a and sql-b) send no detach and no attach; when
//! the old master hangs its power-off comes before the new master's start; the mixed role
//! `files` moves only its data disk; the emulator lets a shared disk take VMs up to `maxShares`
//! and refuses one more through baton's adapter.

mod failover_support;

use baton::config::{self, Config};
use baton::core::operation::{OpEvent, Outcome};
use baton::core::plan::{OperationKind, StepKind};
use baton::emulator::{self, EmulatorHandle, EmulatorOptions, Scenario};
use baton::failover::{Request, RunEnd, StateDir};
use failover_support::{arm, chaos, derive_now, entry, executor, requests, state, SPEED};
use serde_json::Value;
use std::path::Path;
use tokio::sync::watch;

async fn start_shared() -> (EmulatorHandle, Config) {
    let scenario = Scenario::from_file(Path::new("scenarios/shared.toml")).expect("shared.toml");
    let emu = emulator::start(EmulatorOptions {
        scenario,
        ..EmulatorOptions::local(SPEED)
    })
    .await
    .expect("emulator starts");
    let text = emu.baton_config_toml();
    let config = config::parse_str(&text, Path::new("emulator.toml")).expect("config parses");
    (emu, config)
}

fn path(e: &Value) -> &str {
    e["path"].as_str().unwrap_or_default()
}

/// Requests that attach or detach a disk (the disk action, or a PUT/PATCH of a VM), as
/// `METHOD vm/action` without the query.
fn disk_writes(log: &[Value]) -> Vec<String> {
    log.iter()
        .filter_map(|e| {
            let method = e["method"].as_str()?;
            let p = path(e).split('?').next()?;
            let (_, tail) = p.split_once("virtualMachines/")?;
            let action = tail.ends_with("/attachDetachDataDisks") && method == "POST";
            let vm_write = !tail.contains('/') && matches!(method, "PUT" | "PATCH");
            (action || vm_write).then(|| format!("{method} {tail}"))
        })
        .collect()
}

fn index(log: &[Value], method: &str, tail: &str) -> usize {
    log.iter()
        .position(|e| {
            e["method"].as_str() == Some(method)
                && path(e).split('?').next().is_some_and(|p| p.ends_with(tail))
        })
        .unwrap_or_else(|| panic!("{method} …{tail} in the request log"))
}

/// The shared disks still on both VMs, `managedBy` unchanged, nothing detached.
fn assert_still_shared(s: &Value, disks: &[&str], vms: &[&str]) {
    for disk in disks {
        let d = entry(s, "disks", disk);
        let holders: Vec<&str> = d["holders"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert_eq!(holders, vms, "{disk}: {d}");
        for vm in vms {
            let listed = entry(s, "vms", vm)["data_disks"]
                .as_array()
                .unwrap()
                .iter()
                .any(|x| x["name"].as_str() == Some(disk));
            assert!(listed, "{disk} listed on {vm}");
        }
    }
}

async fn run(
    emu: &EmulatorHandle,
    config: &Config,
    role: &str,
    kind: OperationKind,
) -> (Vec<Value>, Vec<OpEvent>) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = StateDir::new(tmp.path());
    let (exec, _rx) = executor(emu, config, &dir, role, 100_000);
    let req = Request::new(kind);
    let plan = exec.plan(&req).await.unwrap();
    assert!(plan.can_confirm(), "{:?}", plan.blockers);
    let before = requests(emu).await.len();
    let (_a, abort) = watch::channel(false);
    let report = exec.run(&req, &plan, "--yes", abort).await.unwrap();
    assert_eq!(report.end, RunEnd::Finished(Outcome::Succeeded));
    let log = requests(emu).await.split_off(before);
    let events = failover_support::journal_events(&dir, role, &report.op_id);
    (log, events)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shared_disk_role_fails_over_and_switches_back_without_a_disk_request() {
    let (emu, config) = start_shared().await;
    assert_eq!(
        derive_now(&emu, &config, "sql").await,
        (
            baton::core::leader::LeaderState::Healthy,
            Some("sql-a".into())
        )
    );
    chaos(&emu, "sql-a", "kill-service").await;
    let (log, _) = run(&emu, &config, "sql", OperationKind::Failover).await;
    assert_eq!(disk_writes(&log), Vec::<String>::new(), "no disk request");
    assert_still_shared(
        &state(&emu).await,
        &["sql-data", "sql-log"],
        &["sql-a", "sql-b"],
    );
    let (_, master) = derive_now(&emu, &config, "sql").await;
    assert_eq!(master.as_deref(), Some("sql-b"), "the endpoint decides");

    let (log, _) = run(&emu, &config, "sql", OperationKind::Switchover).await;
    assert_eq!(disk_writes(&log), Vec::<String>::new(), "no disk request");
    index(&log, "POST", "virtualMachines/sql-b/runCommand"); // the graceful stop
    let s = state(&emu).await;
    assert_still_shared(&s, &["sql-data", "sql-log"], &["sql-a", "sql-b"]);
    assert_eq!(entry(&s, "vms", "sql-a")["service"], "running");
    assert_eq!(entry(&s, "vms", "sql-b")["service"], "stopped");
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_shared_disk_master_is_powered_off_before_the_new_one_starts() {
    let (emu, config) = start_shared().await;
    chaos(&emu, "sql-a", "hang-vm").await;
    let (log, events) = run(&emu, &config, "sql", OperationKind::Failover).await;
    assert_eq!(disk_writes(&log), Vec::<String>::new(), "no disk request");
    let power_off = index(&log, "POST", "virtualMachines/sql-a/powerOff");
    let start = index(&log, "POST", "virtualMachines/sql-b/runCommand");
    assert!(power_off < start, "the power-off before the start");
    let at = |step: StepKind, done: bool| {
        events
            .iter()
            .position(|e| match e {
                OpEvent::StepDone { step: s, .. } => done && *s == step,
                OpEvent::StepStarted { step: s, .. } => !done && *s == step,
                _ => false,
            })
            .unwrap_or_else(|| panic!("{step:?} in the journal"))
    };
    assert!(
        at(StepKind::Fence, true) < at(StepKind::Start, false),
        "start waits for the power-off to end"
    );
    // The step stream says why no disk moves.
    let skipped: Vec<(StepKind, &str)> = events
        .iter()
        .filter_map(|e| match e {
            OpEvent::StepSkipped { step, reason, .. } => Some((*step, reason.as_str())),
            _ => None,
        })
        .filter(|(s, _)| matches!(s, StepKind::Detach | StepKind::Release | StepKind::Attach))
        .collect();
    let why = |step: &str| {
        format!(
            "nothing to {step}: every disk of the role is shared and stays attached to every VM; \
             fencing keeps the old master off the data"
        )
    };
    assert_eq!(
        skipped,
        [
            (StepKind::Detach, why("detach").as_str()),
            (StepKind::Release, why("release").as_str()),
            (StepKind::Attach, why("attach").as_str()),
        ]
    );
    let s = state(&emu).await;
    assert_eq!(entry(&s, "vms", "sql-a")["power"], "stopped");
    assert_eq!(entry(&s, "vms", "sql-b")["service"], "running");
    // Azure keeps a stopped (not deallocated) VM's disks attached: still shared by both.
    assert_still_shared(&s, &["sql-data", "sql-log"], &["sql-a", "sql-b"]);
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mixed_role_moves_only_its_disk_that_is_not_shared() {
    let (emu, config) = start_shared().await;
    chaos(&emu, "files-a", "kill-service").await;
    let (log, _) = run(&emu, &config, "files", OperationKind::Failover).await;
    let writes = disk_writes(&log);
    assert_eq!(
        writes,
        [
            "POST files-a/attachDetachDataDisks",
            "POST files-b/attachDetachDataDisks"
        ],
        "one detach, one attach"
    );
    let s = state(&emu).await;
    assert_still_shared(&s, &["files-quorum"], &["files-a", "files-b"]);
    assert_eq!(entry(&s, "disks", "files-data")["managed_by"], "files-b");
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_emulator_shares_a_disk_up_to_max_shares_and_refuses_one_more() {
    let (emu, _config) = start_shared().await;
    let arm = arm(&emu);
    // The SDK model parses maxShares and managedByExtended.
    let disk = arm
        .reader()
        .get_disk("rg-shared", "sql-data")
        .await
        .unwrap();
    assert_eq!(disk.storage.max_shares, Some(2));
    assert_eq!(disk.holders(), ["sql-a", "sql-b"]);
    assert_eq!(
        disk.managed_by
            .as_deref()
            .map(baton::core::model::name_from_id),
        Some("sql-a")
    );
    // sql-log takes three: web-b is the third holder, files-b would be a fourth.
    arm.attach_disks("rg-shared", "web-b", &[("sql-log", 5)])
        .await
        .expect("a free share");
    let log = arm.reader().get_disk("rg-shared", "sql-log").await.unwrap();
    assert_eq!(log.holders(), ["sql-a", "sql-b", "web-b"]);
    assert_eq!(log.disk_state, "Attached");
    let err = arm
        .attach_disks("rg-shared", "files-b", &[("sql-log", 5)])
        .await
        .expect_err("every share taken");
    let text = err.to_string();
    assert!(text.contains("OperationNotAllowed"), "{text}");
    assert!(
        text.contains("it is already attached to 3 VMs and its maxShares is 3"),
        "{text}"
    );
    // Detaching one holder frees its share and leaves the others attached.
    arm.detach_disks("rg-shared", "web-b", &["sql-log"], false)
        .await
        .expect("detach");
    let log = arm.reader().get_disk("rg-shared", "sql-log").await.unwrap();
    assert_eq!(log.holders(), ["sql-a", "sql-b"]);
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_json_and_text_show_shared_disks_with_every_holder() {
    let (emu, config) = start_shared().await;
    let reader = arm(&emu).reader().clone();
    let report = baton::status::collect(&config, &reader)
        .await
        .expect("status");
    let json = report.to_json();
    let sql = json["roles"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["name"] == "sql"))
        .expect("sql in the report");
    assert_eq!(sql["state"], "healthy", "{sql}");
    let data = &sql["disks"][0];
    assert_eq!(data["name"], "sql-data");
    assert_eq!(data["shared"], true);
    assert_eq!(data["max_shares"], 2);
    assert_eq!(data["holders"], serde_json::json!(["sql-a", "sql-b"]));
    let files = json["roles"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["name"] == "files"))
        .expect("files in the report");
    assert_eq!(files["disks"][1]["shared"], false);
    assert_eq!(files["disks"][1]["holders"], serde_json::json!(["files-a"]));
    let text = report.render_text();
    assert!(
        text.contains("sql-data         0     shared 2/2 sql-a,sql-b Attached"),
        "{text}"
    );
    emu.shutdown().await;
}
