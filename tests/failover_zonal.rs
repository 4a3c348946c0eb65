//! The zonal world (Premium_LRS disks pinned to zone 1, standbys in zone 2): `baton status`
//! says every role is DEGRADED because Azure would refuse its disks on the standby, and
//! `baton failover web --yes` and `baton drill web --yes` refuse before their first write,
//! naming the zones and the way out.

mod failover_support;

use baton::emulator::{self, EmulatorOptions, Scenario};
use failover_support::{chaos, requests};
use std::path::Path;
use std::process::Stdio;

const BATON: &str = env!("CARGO_BIN_EXE_baton");

async fn baton(cfg: &Path, home: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let out = tokio::process::Command::new(BATON)
        .arg("--config")
        .arg(cfg)
        .args(args)
        .env("XDG_STATE_HOME", home)
        .env("BATON_STATE_DIR", home.join("baton"))
        .stdin(Stdio::null())
        .output()
        .await
        .expect("baton runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zonal_failover_and_drill_are_refused_before_any_write() {
    let scenario = Scenario::from_file(Path::new("scenarios/zonal.toml")).expect("zonal.toml");
    let emu = emulator::start(EmulatorOptions {
        scenario,
        ..EmulatorOptions::local(150.0)
    })
    .await
    .expect("emulator starts");
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("baton.toml");
    std::fs::write(&cfg, emu.baton_config_toml()).unwrap();

    let (code, stdout, stderr) = baton(&cfg, tmp.path(), &["status", "--json"]).await;
    let report: serde_json::Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"));
    assert_ne!(
        code,
        Some(0),
        "a degraded fleet is not all-healthy: {report}"
    );
    let web = report["roles"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["name"] == "web"))
        .expect("web in the report");
    assert_eq!(web["state"], "degraded", "{web}");
    let reasons = web["violations"].to_string();
    assert!(
        reasons.contains("no standby can take over: Azure would refuse to attach disk web-data to web-b: the disk (Premium_LRS) is in zone 1, web-b in zone 2"),
        "{reasons}"
    );

    // A drill refuses the same way (its first leg is a switchover to web-b).
    let (code, stdout, stderr) = baton(&cfg, tmp.path(), &["drill", "web", "--yes"]).await;
    let text = format!("{stdout}{stderr}");
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("is in zone 1, web-b in zone 2"), "{text}");

    chaos(&emu, "web-a", "kill-service").await;
    let (code, stdout, stderr) = baton(&cfg, tmp.path(), &["failover", "web", "--yes"]).await;
    let text = format!("{stdout}{stderr}");
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("is in zone 1, web-b in zone 2"), "{text}");
    assert!(
        text.contains("Way out: convert web-data to a ZRS SKU (Premium_ZRS or StandardSSD_ZRS), or use a standby in zone 1"),
        "{text}"
    );
    let writes: Vec<_> = requests(&emu)
        .await
        .into_iter()
        .filter(|r| r["method"] != "GET")
        .collect();
    assert!(writes.is_empty(), "no write before the refusal: {writes:?}");
    emu.shutdown().await;
}
