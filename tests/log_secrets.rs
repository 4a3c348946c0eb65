//! The bearer token never lands on disk: a full failover, a drill and a cockpit session by the
//! real binary at `BATON_LOG=trace` (azure_core's request logging included, were it not
//! filtered) leave no trace of the token anywhere under the state directory, and every file
//! baton created there is 0600 in 0700 folders.

mod failover_support;
mod tmux_support;

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
async fn a_trace_level_failover_drill_and_cockpit_log_no_token() {
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

    // A drill and a cockpit session at trace level, same state directory.
    let out = Command::new(env!("CARGO_BIN_EXE_baton"))
        .arg("--config")
        .arg(&cfg)
        .args(["drill", "db", "--yes", "--hold", "1"])
        .env("XDG_STATE_HOME", &state)
        .env("BATON_STATE_DIR", state.join("baton"))
        .env("BATON_LOG", "trace")
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cockpit = tmux_support::Tmux::start(
        120,
        40,
        &format!(
            "env XDG_STATE_HOME={} BATON_STATE_DIR={} BATON_LOG=trace {} --config {}",
            state.display(),
            state.join("baton").display(),
            env!("CARGO_BIN_EXE_baton"),
            cfg.display()
        ),
    );
    cockpit.wait_for("four roles", |s| s.contains("roles 4:"));
    cockpit.keys(&["h"]);
    cockpit.wait_for("the history", |s| s.contains("History"));
    cockpit.keys(&["Escape"]);
    cockpit.quit();

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
    // Everything baton created is private: journals, audit, locks, drill records, reports.
    for f in files_under(&state.join("baton")) {
        assert_eq!(mode(&f), 0o600, "{}", f.display());
        let mut dir = f.parent();
        while let Some(d) = dir.filter(|d| d.starts_with(state.join("baton"))) {
            assert_eq!(mode(d), 0o700, "{}", d.display());
            dir = d.parent();
        }
    }
    emu.shutdown().await;
}
