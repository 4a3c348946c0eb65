//! What `baton switchover` prints as text: every Azure write's end is one line (the last
//! poll's status and the write's outcome used to make two), and the step lines follow.

mod failover_support;

use failover_support::*;
use std::collections::BTreeMap;
use std::process::Stdio;
use tokio::process::Command;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_write_ends_on_one_line() {
    let (emu, config) = start().await;
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("baton.toml");
    std::fs::write(&cfg, emu.baton_config_toml()).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_baton"))
        .arg("--config")
        .arg(&cfg)
        .args(["switchover", "web", "--yes"])
        .env("XDG_STATE_HOME", tmp.path())
        .env("BATON_STATE_DIR", tmp.path().join("baton"))
        .env("USER", "lines-tester")
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_master(&emu, &config, "web", "web-b").await;
    let mut ends: BTreeMap<String, usize> = BTreeMap::new();
    for line in text.lines() {
        let lower = line.to_ascii_lowercase();
        if let Some(write) = lower.strip_suffix(": succeeded") {
            *ends.entry(write.trim().to_owned()).or_default() += 1;
        }
    }
    let disk_writes = ends.keys().filter(|w| w.contains("tach ")).count();
    assert!(
        disk_writes >= 2,
        "detach and attach ended: {ends:?}\n{text}"
    );
    for (write, n) in &ends {
        assert_eq!(*n, 1, "`{write}` ended on {n} lines:\n{text}");
    }
    emu.shutdown().await;
}
