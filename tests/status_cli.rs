//! `baton status` and `baton emulator` as an operator runs them: the real binary against the
//! emulator, including ownership changed behind baton's back by another client (raw HTTP).

mod emulator_support;

use emulator_support::Env;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::Stdio;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

const BATON: &str = env!("CARGO_BIN_EXE_baton");

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

async fn baton(args: &[&str]) -> Run {
    let out = Command::new(BATON)
        .args(args)
        .env(
            "XDG_STATE_HOME",
            std::env::temp_dir().join("baton-test-state"),
        )
        .output()
        .await
        .expect("baton runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Writes `text` as a config file in a fresh temp dir (kept alive by the returned guard).
fn write_config(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("baton.toml");
    std::fs::write(&path, text).expect("write config");
    (dir, path)
}

async fn status_json(path: &std::path::Path) -> (i32, Value) {
    let run = baton(&["status", "--json", "--config", path.to_str().expect("utf8")]).await;
    let json = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", run.stdout, run.stderr));
    (run.code, json)
}

fn role<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["roles"]
        .as_array()
        .and_then(|roles| roles.iter().find(|r| r["name"] == name))
        .unwrap_or_else(|| panic!("role {name} in {report}"))
}

fn violations(role: &Value) -> Vec<String> {
    role["violations"]
        .as_array()
        .map(|v| {
            v.iter()
                .filter_map(|s| s.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn healthy_world_exits_zero_with_every_master() {
    let env = Env::start(200.0).await;
    let (_dir, path) = write_config(&env.emu.baton_config_toml());
    let (code, report) = status_json(&path).await;
    assert_eq!(code, 0, "{report}");
    assert_eq!(
        report["arm_requests"], 6,
        "one refresh of contoso and its region's VM size list"
    );
    for name in ["gateway", "web", "app", "db"] {
        let r = role(&report, name);
        assert_eq!(r["state"], "healthy", "{r}");
        assert_eq!(r["master"], format!("{name}-a"));
        assert_eq!(r["endpoint"]["holder"], format!("{name}-a"));
        assert_eq!(r["disks"][0]["attached_to"], format!("{name}-a"));
        assert_eq!(
            r["vms"][1]["service_probe"], "down",
            "standby app stopped by design"
        );
    }
    let text = baton(&["status", "--config", path.to_str().expect("utf8")]).await;
    assert_eq!(text.code, 0);
    assert!(
        text.stdout.contains("web  HEALTHY  master web-a"),
        "{}",
        text.stdout
    );
}

/// Moves the `web-app` NAT rule from web-a-nic to web-b-nic the way another tool would.
async fn move_nat_rule_behind_batons_back(env: &Env) {
    for (nic, rules) in [
        ("web-a-nic", None),
        (
            "web-b-nic",
            Some(json!([{ "id": env.nat_rule_id("web-app") }])),
        ),
    ] {
        let mut body = env.get_json(&env.nic(nic)).await;
        let props = &mut body["properties"]["ipConfigurations"][0]["properties"];
        match rules {
            Some(r) => props["loadBalancerInboundNatRules"] = r,
            None => props["loadBalancerInboundNatRules"] = json!([]),
        }
        let rsp = env
            .send(reqwest::Method::PUT, &env.nic(nic), Some(body))
            .await;
        assert!(rsp.status().is_success(), "PUT {nic}: {}", rsp.status());
        let monitor = emulator_support::header(&rsp, "azure-asyncoperation").expect("monitor");
        assert_eq!(env.wait_op(&monitor).await["status"], "Succeeded");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn endpoint_moved_by_another_client_is_reported_as_split() {
    let env = Env::start(200.0).await;
    let (_dir, path) = write_config(&env.emu.baton_config_toml());
    move_nat_rule_behind_batons_back(&env).await;
    let (code, report) = status_json(&path).await;
    assert_eq!(code, 1);
    let web = role(&report, "web");
    assert_eq!(web["state"], "split", "{web}");
    assert_eq!(web["master"], Value::Null);
    assert_eq!(web["endpoint"]["holder"], "web-b");
    assert_eq!(
        violations(web),
        vec!["endpoint on web-b, disk web-data on web-a".to_string()]
    );
    assert_eq!(role(&report, "db")["state"], "healthy");
}

#[tokio::test(flavor = "multi_thread")]
async fn disk_detached_by_another_client_is_reported_as_no_master() {
    let env = Env::start(200.0).await;
    let (_dir, path) = write_config(&env.emu.baton_config_toml());
    let body = json!({ "dataDisksToDetach": [{ "diskId": env.disk_id("db-log") }] });
    let rsp = env
        .post(&env.vm_action("db-a", "attachDetachDataDisks"), body)
        .await;
    assert_eq!(rsp.status(), 202);
    env.wait_state("db-log released", |st| {
        st["disks"]
            .as_array()
            .and_then(|d| d.iter().find(|d| d["name"] == "db-log"))
            .is_some_and(|d| d["managed_by"].is_null())
    })
    .await;
    let (code, report) = status_json(&path).await;
    assert_eq!(code, 1);
    let db = role(&report, "db");
    assert_eq!(db["state"], "no_master", "{db}");
    assert_eq!(
        violations(db),
        vec!["endpoint on db-a, disk db-log on no VM".to_string()]
    );
    assert_eq!(db["disks"][1]["disk_state"], "Unattached");
}

#[tokio::test(flavor = "multi_thread")]
async fn rejected_token_exits_two_and_says_why() {
    let env = Env::start(200.0).await;
    let text = env
        .emu
        .baton_config_toml()
        .replace(&format!("\"{}\"", env.emu.token()), "\"expired\"");
    let (_dir, path) = write_config(&text);
    let run = baton(&["status", "--config", path.to_str().expect("utf8")]).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("401"), "{}", run.stderr);
    assert!(
        run.stderr.contains("ExpiredAuthenticationToken"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("baton-emulator"), "no token in output");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_config_exits_two_naming_file_line_and_key() {
    let (_dir, path) = write_config("[azure]\nsubscription_id = \"not-a-guid\"\n");
    let run = baton(&["status", "--config", path.to_str().expect("utf8")]).await;
    assert_eq!(run.code, 2);
    let expected = format!(
        "{}:2:19: azure.subscription_id = \"not-a-guid\"",
        path.display()
    );
    assert!(run.stderr.contains(&expected), "{}", run.stderr);
    let check = baton(&["check-config", path.to_str().expect("utf8")]).await;
    assert_eq!(check.code, 2);
    assert!(check.stderr.contains(&expected), "{}", check.stderr);
    let ok = baton(&[
        "check-config",
        concat!(env!("CARGO_MANIFEST_DIR"), "/config.example.toml"),
    ])
    .await;
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    assert!(ok.stdout.starts_with("config OK: 2 roles"), "{}", ok.stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn emulator_subcommand_announces_itself_and_writes_a_working_config() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("emu.toml");
    let mut child = Command::new(BATON)
        .args([
            "emulator",
            "--listen",
            "127.0.0.1:0",
            "--speed",
            "100",
            "--write-config",
        ])
        .arg(&config)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("emulator starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout);
    let (mut first, mut second) = (String::new(), String::new());
    lines.read_line(&mut first).await.expect("first line");
    lines.read_line(&mut second).await.expect("second line");
    let base = first
        .trim_end()
        .trim_start_matches("listening on ")
        .to_string();
    assert_eq!(
        second.trim_end(),
        format!("blob storage on {base}/devstoreaccount1"),
        "the second line names the storage account"
    );
    assert!(
        first.starts_with("listening on http://127.0.0.1:"),
        "{first}"
    );
    assert!(!first.trim_end().ends_with('/'), "{first}");
    for _ in 0..200 {
        if config.exists() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let written = std::fs::read_to_string(&config).expect("config");
    assert!(
        written.contains("[coordination]\nbackend = \"azure-blob\""),
        "{written}"
    );
    let (code, report) = status_json(&config).await;
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["roles"].as_array().map(Vec::len), Some(4));
    child.kill().await.expect("kill emulator");
}
