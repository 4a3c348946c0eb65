//! The real binary: `baton switchover web --yes --json` SIGKILLed once its journal shows the
//! detach done, then `--resume` completes it; two `baton failover app --yes` processes at once:
//! one acts, the other exits 1 naming the lock holder; a wrong typed confirmation does nothing.
//! Nothing in the state directory or the log directory holds the token.

mod failover_support;

use baton::core::operation::OpEvent;
use baton::core::plan::StepKind;
use baton::failover::{Journal, StateDir};
use failover_support::*;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::process::Command;

fn baton(cfg: &Path, home: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_baton"));
    cmd.arg("--config")
        .arg(cfg)
        .args(args)
        .env("XDG_STATE_HOME", home)
        .env("BATON_STATE_DIR", home.join("baton"))
        .env("USER", "proc-tester")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

fn setup(emu: &baton::emulator::EmulatorHandle) -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("baton.toml");
    std::fs::write(&cfg, emu.baton_config_toml()).unwrap();
    (tmp, cfg)
}

fn journal_shows(dir: &StateDir, role: &str, step: StepKind) -> bool {
    Journal::of_role(dir, role).iter().any(|p| {
        Journal::load(p).is_ok_and(|l| {
            l.events
                .iter()
                .any(|e| matches!(e, OpEvent::StepDone { step: s, .. } if *s == step))
        })
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_process_is_resumed_by_another() {
    let (emu, config) = start().await;
    let (tmp, cfg) = setup(&emu);
    let dir = StateDir::new(tmp.path().join("baton"));
    let mut child = baton(&cfg, tmp.path(), &["switchover", "web", "--yes", "--json"])
        .spawn()
        .unwrap();
    let mut seen = false;
    for _ in 0..6000 {
        if journal_shows(&dir, "web", StepKind::Detach) {
            seen = true;
            break;
        }
        if child.try_wait().unwrap().is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(
        seen,
        "the journal shows detach done before the process ends"
    );
    child.kill().await.unwrap();
    assert_eq!(Journal::open_interrupted(&dir).len(), 1);

    let out = baton(
        &cfg,
        tmp.path(),
        &["switchover", "web", "--yes", "--json", "--resume"],
    )
    .output()
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "resume: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for line in stdout.lines() {
        serde_json::from_str::<serde_json::Value>(line).expect("JSON lines");
    }
    assert!(stdout.contains("\"event\":\"finished\""));
    assert_master(&emu, &config, "web", "web-b").await;
    assert!(Journal::open_interrupted(&dir).is_empty());
    assert_no_token(tmp.path(), emu.token());
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_one_role_exactly_one_acts() {
    let (emu, config) = start().await;
    chaos(&emu, "app-a", "kill-service").await;
    let (tmp, cfg) = setup(&emu);
    let a = baton(&cfg, tmp.path(), &["failover", "app", "--yes"])
        .spawn()
        .unwrap();
    let b = baton(&cfg, tmp.path(), &["failover", "app", "--yes"])
        .spawn()
        .unwrap();
    let (ra, rb) = tokio::join!(a.wait_with_output(), b.wait_with_output());
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    let codes = (ra.status.code(), rb.status.code());
    let loser = match codes {
        (Some(0), Some(1)) => &rb,
        (Some(1), Some(0)) => &ra,
        other => panic!(
            "exactly one acts: {other:?}\n{}\n{}",
            String::from_utf8_lossy(&ra.stderr),
            String::from_utf8_lossy(&rb.stderr)
        ),
    };
    let err = String::from_utf8_lossy(&loser.stderr);
    // The holder is named by its OS account (same uid as this test), not by `$USER`.
    let account = baton::failover::Operator::from_env().user;
    assert!(err.contains(&format!("locked by {account} on")), "{err}");
    assert!(!err.contains("proc-tester"), "{err}");
    assert_master(&emu, &config, "app", "app-b").await;
    assert_no_token(tmp.path(), emu.token());
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_typed_role_name_does_nothing() {
    let (emu, config) = start().await;
    let (tmp, cfg) = setup(&emu);
    let mut child = baton(&cfg, tmp.path(), &["switchover", "db"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"web\n").await.unwrap();
    drop(stdin);
    let out = child.wait_with_output().await.unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("nothing done"), "{err}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("switchover of role db"));
    assert_master(&emu, &config, "db", "db-a").await;
    let audit = std::fs::read_to_string(tmp.path().join("baton/audit.jsonl")).unwrap();
    assert!(audit.contains("confirmation_refused"));

    let out = baton(&cfg, tmp.path(), &["switchover", "nope", "--yes"])
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "unknown role is a usage error");
    emu.shutdown().await;
}

fn assert_no_token(root: &Path, token: &str) {
    let mut stack = vec![root.to_path_buf()];
    let mut files = 0;
    while let Some(p) = stack.pop() {
        if p.is_dir() {
            for e in std::fs::read_dir(&p).unwrap().flatten() {
                stack.push(e.path());
            }
        } else if !p.extension().is_some_and(|e| e == "toml") {
            files += 1;
            let text = std::fs::read_to_string(&p).unwrap_or_default();
            assert!(!text.contains(token), "{} holds the token", p.display());
        }
    }
    assert!(files > 0);
}
