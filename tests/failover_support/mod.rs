//! Shared helpers of the executor's integration tests: the contoso emulator at high speed, a
//! config pointing at it, executors with millisecond policies and a temporary state directory,
//! and invariant checks on `/_emulator/state`.
#![allow(dead_code)]

#[path = "../azure_support/mod.rs"]
mod azure_support;

#[allow(unused_imports)] // each test binary uses a different subset
pub use azure_support::{control, drain, entry, fast_poll, fast_retry, fault, requests, state};
use baton::azure::{ArmClient, RetryPolicy};
use baton::config::{self, Config};
use baton::core::leader::LeaderState;
use baton::core::operation::OpEvent;
use baton::emulator::{self, EmulatorHandle, EmulatorOptions};
use baton::failover::{Executor, ExecutorOptions, Operator, StateDir};
use std::path::Path;
use std::time::Duration;
use tokio::sync::mpsc;

pub const SPEED: f64 = 150.0;

/// The emulator (contoso, fast) and a config for it.
pub async fn start() -> (EmulatorHandle, Config) {
    let emu = emulator::start(EmulatorOptions::local(SPEED))
        .await
        .expect("emulator starts");
    let text = emu.baton_config_toml();
    let config = config::parse_str(&text, Path::new("emulator.toml")).expect("config parses");
    (emu, config)
}

/// A write client with millisecond policies (Retry-After capped at 50 ms).
pub fn arm(emu: &EmulatorHandle) -> ArmClient {
    azure_support::arm(emu).with_retry(RetryPolicy {
        retry_after_cap: Duration::from_millis(50),
        ..fast_retry()
    })
}

pub fn options(config: &Config) -> ExecutorOptions {
    ExecutorOptions {
        verify_successes: 2,
        verify_interval: Duration::from_millis(10),
        probe_timeout: Duration::from_millis(300),
        release_poll: Duration::from_millis(5),
        ..ExecutorOptions::from_config(config)
    }
}

pub fn operator() -> Operator {
    Operator {
        ssh_client: Some("10.9.8.7".into()),
        ..Operator::named("tester", "testhost")
    }
}

/// An executor for `role` whose events are collected into the returned receiver.
pub fn executor(
    emu: &EmulatorHandle,
    config: &Config,
    dir: &StateDir,
    role: &str,
    buffer: usize,
) -> (Executor, mpsc::Receiver<OpEvent>) {
    let (tx, rx) = mpsc::channel(buffer);
    let role = config.role(role).expect("role").clone();
    let exec = Executor::new(arm(emu), role, dir.clone(), operator(), options(config), tx);
    (exec, rx)
}

pub async fn clear_faults(emu: &EmulatorHandle) {
    reqwest::Client::new()
        .delete(control(emu, "faults"))
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
}

pub async fn chaos(emu: &EmulatorHandle, vm: &str, action: &str) {
    let resp = reqwest::Client::new()
        .post(control(emu, "chaos"))
        .json(&serde_json::json!({"vm": vm, "action": action}))
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "chaos accepted");
}

/// The role's invariants on the emulator: its endpoint on `master`'s NIC only, every disk on
/// `master` only (managedBy and the VM models), the service running on `master` only.
pub async fn assert_master(emu: &EmulatorHandle, config: &Config, role: &str, master: &str) {
    let s = state(emu).await;
    let role = config.role(role).unwrap();
    let rule = role.spec.endpoint.child_name();
    for nic in s["nics"].as_array().unwrap() {
        let has = nic["nat_rules"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r.as_str() == Some(rule));
        let is_master = nic["vm"].as_str() == Some(master);
        assert_eq!(has, is_master, "endpoint {rule} on {}: {s}", nic["name"]);
    }
    for disk in &role.spec.disks {
        let d = entry(&s, "disks", &disk.name);
        assert!(
            d["managed_by"]
                .as_str()
                .is_some_and(|m| m == master || m.ends_with(&format!("/{master}"))),
            "disk {} managed by {master}: {d}",
            disk.name
        );
        for vm in &role.spec.vms {
            let v = entry(&s, "vms", vm);
            let listed = v["data_disks"]
                .as_array()
                .unwrap()
                .iter()
                .any(|x| x["name"].as_str() == Some(disk.name.as_str()));
            assert_eq!(listed, vm == master, "disk {} listed on {vm}", disk.name);
            if vm == master {
                let lun = v["data_disks"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|x| x["name"].as_str() == Some(disk.name.as_str()))
                    .unwrap()["lun"]
                    .as_i64();
                assert_eq!(lun, Some(i64::from(disk.lun)));
            }
        }
    }
    for vm in &role.spec.vms {
        let v = entry(&s, "vms", vm);
        let running = v["service"].as_str() == Some("running");
        assert_eq!(running, vm == master, "service on {vm}: {v}");
    }
}

/// A fresh `core::leader::derive` over a new inventory and probe round.
pub async fn derive_now(
    emu: &EmulatorHandle,
    config: &Config,
    role: &str,
) -> (LeaderState, Option<String>) {
    let reader = arm(emu).reader().clone();
    let report = baton::status::collect(config, &reader)
        .await
        .expect("status");
    let r = report
        .roles
        .iter()
        .find(|r| r.role == role)
        .expect("role in report");
    (r.state, r.master.clone())
}

/// The events of a journal file of the state directory.
pub fn journal_events(dir: &StateDir, role: &str, op_id: &str) -> Vec<OpEvent> {
    baton::failover::Journal::load(&dir.journal_path(role, op_id))
        .unwrap()
        .events
}
