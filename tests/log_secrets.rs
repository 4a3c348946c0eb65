//! The bearer token never lands on disk: a full failover by the real binary at
//! `BATON_LOG=trace` (azure_core's request logging included, were it not filtered) leaves no
//! trace of the token anywhere under the state directory, and the log directory and files are
//! private to the operator.

mod failover_support;

use failover_support::*;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use tokio::process::Command;

fn files_under(root: &Path) -> Vec<PathBuf> {
    let mut stack = vec![root.to_path_buf()];
    let mut files = Vec::new();
    while let Some(p) = stack.pop() {
        if p.is_dir() {
            stack.extend(std::fs::read_dir(&p).unwrap().flatten().map(|e| e.path()));
        } else {
            files.push(p);
        }
    }
    files
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trace_level_failover_logs_no_token() {
    let (emu, config) = start().await;
    chaos(&emu, "app-a", "kill-service").await;
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("config").join("baton.toml");
    std::fs::create_dir_all(cfg.parent().unwrap()).unwrap();
    std::fs::write(&cfg, emu.baton_config_toml()).unwrap();
    let state = tmp.path().join("state");
    let out = Command::new(env!("CARGO_BIN_EXE_baton"))
        .arg("--config")
        .arg(&cfg)
        .args(["failover", "app", "--yes"])
        .env("XDG_STATE_HOME", &state)
        .env("BATON_STATE_DIR", state.join("baton"))
        .env("BATON_LOG", "trace")
        .env("USER", "log-tester")
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_master(&emu, &config, "app", "app-b").await;

    let token = emu.token();
    let logs = state.join("baton").join("logs");
    let files = files_under(&state);
    let log_files: Vec<&PathBuf> = files.iter().filter(|p| p.starts_with(&logs)).collect();
    assert!(!log_files.is_empty(), "a log was written: {files:?}");
    let mut logged = 0;
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains(token), "{} holds the token", f.display());
        if f.starts_with(&logs) {
            logged += text.lines().count();
        }
    }
    assert!(logged > 100, "trace level logged the run ({logged} lines)");
    assert_eq!(mode(&logs), 0o700, "log directory");
    for f in log_files {
        assert_eq!(mode(f), 0o600, "{}", f.display());
    }
    emu.shutdown().await;
}
