//! Shared helpers of the adapter's integration tests: start the emulator on 127.0.0.1:0, build
//! clients with millisecond policies, read the emulator's control API, collect events.
#![allow(dead_code)]

use baton::azure::{
    create_credential, ArmClient, ArmEvent, ArmTarget, CredentialChoice, PollPolicy, Progress,
    ReadClient, RetryPolicy,
};
use baton::emulator::{self, EmulatorHandle, EmulatorOptions};
use serde_json::Value;
use std::time::Duration;
use tokio::sync::mpsc;

pub const RG: &str = "rg-contoso";
pub const LB: &str = "lb-contoso";

/// The emulator at `speed`, contoso world.
pub async fn start(speed: f64) -> EmulatorHandle {
    emulator::start(EmulatorOptions::local(speed))
        .await
        .expect("emulator starts")
}

/// Retry policy with millisecond waits; Retry-After capped at 100 ms.
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        base_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(40),
        retry_after_cap: Duration::from_millis(100),
    }
}

/// Poll policy with millisecond waits and a generous timeout (never a timed assertion).
pub fn fast_poll() -> PollPolicy {
    PollPolicy {
        min_interval: Duration::from_millis(2),
        default_interval: Duration::from_millis(10),
        retry_after_cap: Duration::from_millis(20),
        timeout: Duration::from_secs(60),
        unreadable_limit: 5,
    }
}

fn target(emu: &EmulatorHandle) -> ArmTarget {
    ArmTarget::new(emu.base_url().clone(), emu.subscription_id())
}

/// A write client with `token`.
pub fn arm_with(emu: &EmulatorHandle, token: &str) -> ArmClient {
    let cred = create_credential(&CredentialChoice::StaticToken(token.to_owned())).unwrap();
    ArmClient::new(target(emu), cred)
        .unwrap()
        .with_retry(fast_retry())
        .with_poll(fast_poll())
}

/// A write client with the contributor token.
pub fn arm(emu: &EmulatorHandle) -> ArmClient {
    arm_with(emu, emu.token())
}

/// A read-only client with `token`.
pub fn reader_with(emu: &EmulatorHandle, token: &str) -> ReadClient {
    let cred = create_credential(&CredentialChoice::StaticToken(token.to_owned())).unwrap();
    ReadClient::new(target(emu), cred)
        .unwrap()
        .with_retry(fast_retry())
        .with_poll(fast_poll())
}

/// A progress sink and its receiver (large enough for any single test).
pub fn progress() -> (Progress, mpsc::Receiver<ArmEvent>) {
    let (tx, rx) = mpsc::channel(4096);
    (Progress::new(tx), rx)
}

/// Everything received so far.
pub fn drain<T>(rx: &mut mpsc::Receiver<T>) -> Vec<T> {
    let mut out = Vec::new();
    while let Ok(ev) = rx.try_recv() {
        out.push(ev);
    }
    out
}

/// URL of the emulator's control API `path`.
pub fn control(emu: &EmulatorHandle, path: &str) -> String {
    format!("{}_emulator/{path}", emu.base_url())
}

/// `GET /_emulator/state`.
pub async fn state(emu: &EmulatorHandle) -> Value {
    reqwest::get(control(emu, "state"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// `GET /_emulator/requests`.
pub async fn requests(emu: &EmulatorHandle) -> Vec<Value> {
    reqwest::get(control(emu, "requests"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// `POST /_emulator/faults`.
pub async fn fault(emu: &EmulatorHandle, fault: Value) {
    let resp = reqwest::Client::new()
        .post(control(emu, "faults"))
        .json(&fault)
        .send()
        .await
        .unwrap();
    assert!(
        resp.status().is_success(),
        "fault accepted: {}",
        resp.status()
    );
}

/// `POST /_emulator/reset`.
pub async fn reset(emu: &EmulatorHandle) {
    let resp = reqwest::Client::new()
        .post(control(emu, "reset"))
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success());
}

/// The named entry of a state array (`vms`, `disks`, `nics`).
pub fn entry<'a>(state: &'a Value, kind: &str, name: &str) -> &'a Value {
    state[kind]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"].as_str() == Some(name))
        .unwrap_or_else(|| panic!("{kind} {name} in state"))
}

/// Request-log entries whose path contains `needle` (and method, if given).
pub fn matching<'a>(log: &'a [Value], method: Option<&str>, needle: &str) -> Vec<&'a Value> {
    log.iter()
        .filter(|r| method.map_or(true, |m| r["method"].as_str() == Some(m)))
        .filter(|r| r["path"].as_str().is_some_and(|p| p.contains(needle)))
        .collect()
}

/// Polls `cond` on the emulator state until true (bounded: 500 × 10 ms).
pub async fn wait_state(emu: &EmulatorHandle, cond: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..500 {
        let s = state(emu).await;
        if cond(&s) {
            return s;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("emulator state never reached the expected condition");
}

/// Polls the request log until some entry matches (bounded: 500 × 5 ms).
pub async fn wait_request(emu: &EmulatorHandle, method: &str, needle: &str) {
    for _ in 0..500 {
        if !matching(&requests(emu).await, Some(method), needle).is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("no {method} request containing {needle}");
}
