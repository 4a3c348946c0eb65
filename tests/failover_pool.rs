//! Expose behind the LB probe, end to end over real HTTP on the pool scenario: api's backend
//! pool is fed by a load-balancing rule with a health probe, so the plan reads "probe-gated"
//! from the load balancer's JSON and adds the new master's NIC to the pool beside start and
//! verify (the request log shows the NIC PUT before the start command ended); admin's NAT
//! rule is not gated, so its expose comes after verify.

mod failover_support;

use baton::config::{self, Config};
use baton::core::operation::{OpEvent, Outcome};
use baton::core::plan::{OperationKind, StepKind};
use baton::emulator::{self, EmulatorHandle, EmulatorOptions, Scenario};
use baton::failover::{Request, RunEnd, RunReport, StateDir};
use failover_support::*;
use serde_json::Value;
use std::path::Path;
use tokio::sync::watch;

async fn start_pool() -> (EmulatorHandle, Config) {
    let scenario = Scenario::from_file(Path::new("scenarios/pool.toml")).expect("pool.toml");
    let emu = emulator::start(EmulatorOptions {
        scenario,
        ..EmulatorOptions::local(SPEED)
    })
    .await
    .expect("emulator starts");
    let config = config::parse_str(&emu.baton_config_toml(), Path::new("emulator.toml"))
        .expect("config parses");
    (emu, config)
}

/// Fails `role` over after killing its master's service; the report and the requests it sent.
async fn fail_over(
    emu: &EmulatorHandle,
    config: &Config,
    dir: &StateDir,
    role: &str,
    master: &str,
) -> (baton::core::plan::Plan, RunReport, Vec<Value>) {
    chaos(emu, master, "kill-service").await;
    let (exec, _rx) = executor(emu, config, dir, role, 100_000);
    let req = Request::new(OperationKind::Failover);
    let plan = exec.plan(&req).await.unwrap();
    assert!(plan.can_confirm(), "{:?}", plan.blockers);
    let before = requests(emu).await.len();
    let (_a, abort) = watch::channel(false);
    let report = exec.run(&req, &plan, "--yes", abort).await.unwrap();
    assert_eq!(report.end, RunEnd::Finished(Outcome::Succeeded));
    (plan, report, requests(emu).await.split_off(before))
}

/// Index in `log` of the NIC PUT on `nic`.
fn nic_put(log: &[Value], nic: &str) -> usize {
    let tail = format!("networkInterfaces/{nic}");
    log.iter()
        .position(|e| {
            e["method"] == "PUT"
                && e["path"]
                    .as_str()
                    .is_some_and(|p| p.split('?').next().is_some_and(|p| p.ends_with(&tail)))
        })
        .unwrap_or_else(|| panic!("PUT {nic} in the request log: {log:?}"))
}

/// Index in `log` of the last poll of the run command on `vm` (baton stops polling once it
/// read the end, so this is when baton saw the start command end).
async fn start_command_seen_ended(emu: &EmulatorHandle, log: &[Value], vm: &str) -> usize {
    let s = state(emu).await;
    let ids: Vec<String> = s["operations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["kind"] == "run-command" && o["target"] == vm)
        .filter_map(|o| o["id"].as_str().map(str::to_string))
        .collect();
    assert_eq!(ids.len(), 1, "one run command on {vm}: the start");
    log.iter()
        .rposition(|e| e["path"].as_str().is_some_and(|p| p.contains(&ids[0])))
        .unwrap_or_else(|| panic!("polls of the start command on {vm}"))
}

fn step_event(events: &[OpEvent], done: bool, step: StepKind) -> usize {
    events
        .iter()
        .position(|e| match e {
            OpEvent::StepStarted { step: s, .. } if !done => *s == step,
            OpEvent::StepDone { step: s, .. } if done => *s == step,
            _ => false,
        })
        .unwrap_or_else(|| panic!("{step:?} (done: {done}) in the journal"))
}

fn pool_members(s: &Value, pool: &str) -> Vec<String> {
    s["nics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| {
            n["backend_pools"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p == pool)
        })
        .filter_map(|n| n["vm"].as_str().map(str::to_string))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_probe_gated_pool_is_exposed_beside_start_and_a_nat_rule_after_verify() {
    let (emu, config) = start_pool().await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = StateDir::new(tmp.path());

    let (plan, report, log) = fail_over(&emu, &config, &dir, "api", "api-2").await;
    let to = plan.to.clone().expect("a target");
    let expose = plan.step(StepKind::Expose).expect("expose");
    assert!(
        expose
            .what
            .contains("the LB's health probe holds traffic back"),
        "the plan says why: {}",
        expose.what
    );
    for step in [StepKind::Start, StepKind::Verify] {
        assert_eq!(
            plan.step(step).and_then(|s| s.concurrent_with),
            Some(StepKind::Expose),
            "{step:?} runs beside expose"
        );
    }
    let put = nic_put(&log, &format!("{to}-nic"));
    let start_ended = start_command_seen_ended(&emu, &log, &to).await;
    assert!(
        put < start_ended,
        "the NIC joins the pool before the start command ended: {log:?}"
    );
    let events = journal_events(&dir, "api", &report.op_id);
    assert!(
        step_event(&events, false, StepKind::Expose) < step_event(&events, true, StepKind::Verify),
        "expose started before verify ended"
    );
    assert_eq!(pool_members(&state(&emu).await, "api-pool"), [to]);

    let (plan, report, log) = fail_over(&emu, &config, &dir, "admin", "admin-1").await;
    let to = plan.to.clone().expect("a target");
    let expose = plan.step(StepKind::Expose).expect("expose");
    assert_eq!(expose.concurrent_with, None);
    assert!(!expose.what.contains("probe"), "{}", expose.what);
    assert_eq!(
        plan.step(StepKind::Start).and_then(|s| s.concurrent_with),
        None
    );
    let put = nic_put(&log, &format!("{to}-nic"));
    let start_ended = start_command_seen_ended(&emu, &log, &to).await;
    assert!(
        start_ended < put,
        "a NAT rule moves only after the start command ended: {log:?}"
    );
    let events = journal_events(&dir, "admin", &report.op_id);
    assert!(
        step_event(&events, true, StepKind::Verify) < step_event(&events, false, StepKind::Expose),
        "expose after verify"
    );
    emu.shutdown().await;
}
