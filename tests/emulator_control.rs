//! The control API is loopback-only and JSON-only: a text/plain body (what a web page may send
//! cross-origin without asking) or a foreign `Host` (a DNS-rebound page) changes nothing; the
//! request log and the armed faults are capped rings; `baton emulator` warns on stderr when it
//! listens beyond loopback.

mod emulator_support;

use baton::emulator::{EmulatorError, Scenario};
use emulator_support::Env;
use serde_json::{json, Value};
use std::process::Stdio;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::Command;

fn control_url(env: &Env, path: &str) -> String {
    format!("{}_emulator/{path}", env.emu.base_url())
}

async fn armed_fault_hits(env: &Env) -> bool {
    env.get(&env.vm("web-a")).await.status() == 503
}

#[tokio::test]
async fn text_plain_bodies_change_nothing() {
    let env = Env::start(200.0).await;
    let fault = json!({"path_contains": "", "status": 503, "count": 5}).to_string();
    let chaos = json!({"vm": "web-a", "action": "kill-service"}).to_string();
    for (path, body) in [
        ("faults", fault.as_str()),
        ("chaos", chaos.as_str()),
        ("reset", ""),
    ] {
        let resp = env
            .http
            .post(control_url(&env, path))
            .header("content-type", "text/plain")
            .body(body.to_owned())
            .send()
            .await
            .expect("answers");
        assert_eq!(resp.status(), 415, "{path}");
        let why: Value = resp.json().await.expect("json");
        assert!(
            why["error"]
                .as_str()
                .unwrap_or("")
                .contains("application/json"),
            "{why}"
        );
    }
    let no_type = env
        .http
        .delete(control_url(&env, "faults"))
        .send()
        .await
        .expect("answers");
    assert_eq!(no_type.status(), 415);
    assert!(!armed_fault_hits(&env).await, "no fault was armed");
    let st = env.state().await;
    let web_a = st["vms"]
        .as_array()
        .and_then(|v| v.iter().find(|vm| vm["name"] == "web-a"))
        .expect("web-a");
    assert_eq!(web_a["service"], "running", "no chaos was applied");

    let ok = env
        .control_post("faults", json!({"path_contains": "", "status": 503}))
        .await;
    assert_eq!(ok.status(), 200, "JSON is accepted");
    assert!(armed_fault_hits(&env).await);
}

#[tokio::test]
async fn a_foreign_host_is_refused_on_every_control_route() {
    let env = Env::start(200.0).await;
    let base = env.emu.base_url().as_str().to_owned();
    let port = env.emu.base_url().port().expect("port");
    let evil = format!("attacker.example:{port}");
    let calls = [
        (reqwest::Method::GET, format!("{base}_emulator/state")),
        (reqwest::Method::GET, format!("{base}_emulator/requests")),
        (reqwest::Method::POST, format!("{base}_emulator/chaos")),
        (reqwest::Method::POST, format!("{base}_emulator/faults")),
        (reqwest::Method::GET, format!("{base}_vm/web-a/ping")),
    ];
    for (method, url) in calls {
        let resp = env
            .http
            .request(method.clone(), &url)
            .header("host", &evil)
            .json(&json!({"vm": "web-a", "action": "stop-vm", "status": 503}))
            .send()
            .await
            .expect("answers");
        assert_eq!(resp.status(), 403, "{method} {url}");
    }
    assert!(!armed_fault_hits(&env).await);
    for host in [format!("localhost:{port}"), format!("127.0.0.1:{port}")] {
        let resp = env
            .http
            .get(format!("{base}_vm/web-a/ping"))
            .header("host", host.as_str())
            .send()
            .await
            .expect("answers");
        assert_eq!(resp.status(), 200, "{host}");
    }
}

fn limited(request_log: usize, faults: usize) -> Scenario {
    let mut s = Scenario::contoso();
    s.limits.request_log = request_log;
    s.limits.faults = faults;
    s
}

#[tokio::test]
async fn the_request_log_keeps_only_the_newest_entries() {
    let env = Env::with(limited(3, 10), 200.0).await;
    for vm in ["web-a", "web-b", "app-a", "app-b", "db-a"] {
        assert_eq!(env.get(&env.vm(vm)).await.status(), 200);
    }
    let log = env.control("requests").await;
    let paths: Vec<&str> = log
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|e| e["path"].as_str())
        .collect();
    assert_eq!(paths.len(), 3, "{log}");
    for (path, vm) in paths.iter().zip(["app-a", "app-b", "db-a"]) {
        assert!(path.contains(&format!("/virtualMachines/{vm}?")), "{path}");
    }
}

#[tokio::test]
async fn arming_beyond_the_cap_disarms_the_oldest_faults() {
    let env = Env::with(limited(100, 2), 200.0).await;
    let faults = json!([
        {"path_contains": "virtualMachines/web-a", "status": 503},
        {"path_contains": "virtualMachines/web-b", "status": 503},
        {"path_contains": "virtualMachines/app-a", "status": 503},
    ]);
    let resp = env.control_post("faults", faults).await;
    let answer: Value = resp.json().await.expect("json");
    assert_eq!(answer, json!({"added": 3, "evicted": 1}));
    assert_eq!(env.get(&env.vm("web-a")).await.status(), 200, "evicted");
    assert_eq!(env.get(&env.vm("web-b")).await.status(), 503);
    assert_eq!(env.get(&env.vm("app-a")).await.status(), 503);
}

#[test]
fn a_zero_limit_in_a_scenario_names_line_key_and_value() {
    let text = "subscription_id = \"s\"\nresource_groups = [\"rg\"]\n[limits]\nrequest_log = 0\n";
    match Scenario::from_toml_str(text, "zero.toml") {
        Err(EmulatorError::Scenario {
            line, key, value, ..
        }) => assert_eq!(
            (line, key.as_str(), value.as_str()),
            (4, "limits.request_log", "0")
        ),
        other => panic!("expected a scenario error, got {other:?}"),
    }
    let ok = Scenario::from_toml_str(
        "subscription_id = \"s\"\nresource_groups = [\"rg\"]\n",
        "ok",
    )
    .expect("parses");
    assert!(ok.limits.request_log >= 10_000 && ok.limits.faults >= 1_000);
}

/// Starts `baton emulator --listen ADDR`, waits for its announcement, stops it; its stderr.
async fn emulator_stderr(listen: &str) -> (String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["emulator", "--listen", listen])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("emulator starts");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .await
        .expect("first line");
    child.kill().await.expect("kill");
    let mut err = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut err)
        .await
        .expect("stderr");
    (first, err)
}

#[tokio::test]
async fn listening_beyond_loopback_warns_on_stderr() {
    let (first, err) = emulator_stderr("0.0.0.0:0").await;
    assert!(
        first.starts_with("listening on http://127.0.0.1:"),
        "{first}"
    );
    assert!(err.contains("warning: listening on 0.0.0.0:0"), "{err}");
    assert!(err.contains("no authentication"), "{err}");
    let (_, quiet) = emulator_stderr("127.0.0.1:0").await;
    assert!(!quiet.contains("warning"), "{quiet}");
}
