//! The RBAC roles shipped in `docs/rbac/` against what baton really sends. Every ARM request of
//! `baton status`, an operator cockpit session (plan preview, history), a failover of a dead
//! service, a failover of a hung master (the power-off fence), a switchover and a drill — read
//! from the emulator's request log — is granted by `baton-operator`, the read-only ones by
//! `baton-reader`; and every action a role lists is either sent by baton in this run or one of
//! the documented linked-access checks, so neither role grants more than baton uses.

mod emulator_support;
mod rbac_support;
mod tmux_support;

use emulator_support::Env;
use rbac_support::{action_of, actions_in, assert_granted, role_actions, LINKED};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Stdio;
use tmux_support::Tmux;

const BATON: &str = env!("CARGO_BIN_EXE_baton");

/// Runs the real binary against `cfg` with its own state directory; exit code and output.
async fn baton(cfg: &Path, state: &Path, args: &[&str]) -> (i32, String) {
    let out = tokio::process::Command::new(BATON)
        .arg("--config")
        .arg(cfg)
        .args(args)
        .env("BATON_STATE_DIR", state)
        .env("XDG_STATE_HOME", state)
        .stdin(Stdio::null())
        .output()
        .await
        .expect("baton runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

async fn chaos(env: &Env, vm: &str, action: &str) {
    let resp = env
        .control_post("chaos", json!({"vm": vm, "action": action}))
        .await;
    assert!(resp.status().is_success(), "chaos {action} on {vm}");
}

/// The operator cockpit: wait for the fleet, open and close the failover plan preview and the
/// history of the selected role, quit.
fn operator_cockpit_session(cfg: &Path, state: &Path) {
    let tmux = Tmux::start(
        120,
        40,
        &format!(
            "env BATON_STATE_DIR={} {BATON} --config {}",
            state.display(),
            cfg.display()
        ),
    );
    tmux.wait_for("four healthy roles", |s| s.contains("roles 4: ●4 "));
    tmux.keys(&["f"]);
    tmux.wait_for("the plan preview", |s| {
        s.contains("Type the role name") || s.contains("blocked")
    });
    tmux.keys(&["Escape"]);
    tmux.keys(&["h"]);
    tmux.wait_for("the history", |s| s.contains("History"));
    tmux.keys(&["Escape"]);
    tmux.quit();
}

fn log_of(log: &Value, range: std::ops::Range<usize>) -> Value {
    Value::Array(log.as_array().expect("log")[range].to_vec())
}

fn seen(log: &Value) -> BTreeSet<String> {
    actions_in(log).into_iter().map(|(_, _, a)| a).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_of_every_operation_is_in_the_shipped_roles() {
    let env = Env::start(50.0).await;
    let tmp = tempfile::tempdir().expect("tempdir");
    let cfg = tmp.path().join("baton.toml");
    std::fs::write(&cfg, env.emu.baton_config_toml()).expect("config");
    let state = tmp.path().join("state");

    let (code, out) = baton(&cfg, &state, &["status"]).await;
    assert!(code == 0 || code == 1, "status ran: {out}");
    let read_only_end = env.control("requests").await.as_array().expect("log").len();

    operator_cockpit_session(&cfg, &state);
    chaos(&env, "web-a", "kill-service").await;
    let (code, out) = baton(&cfg, &state, &["failover", "web", "--yes"]).await;
    assert_eq!(code, 0, "failover web: {out}");
    chaos(&env, "app-a", "hang-vm").await;
    let (code, out) = baton(&cfg, &state, &["failover", "app", "--yes"]).await;
    assert_eq!(code, 0, "failover app (hung master): {out}");
    let switch = [
        "switchover",
        "web",
        "--yes",
        "--override-cooldown",
        "rbac test",
    ];
    let (code, out) = baton(&cfg, &state, &switch).await;
    assert_eq!(code, 0, "switchover web back: {out}");
    let (code, out) = baton(&cfg, &state, &["drill", "db", "--yes", "--hold", "1"]).await;
    assert_eq!(code, 0, "drill db: {out}");

    let log = env.control("requests").await;
    let total = log.as_array().expect("log").len();
    let read_only = log_of(&log, 0..read_only_end);
    assert!(read_only_end > 0, "status read Azure");
    assert_granted("baton-reader", &read_only);
    assert_granted("baton-operator", &log);

    // Nothing more: each granted action is sent in this run, or is a linked-access check.
    let used = seen(&log);
    let linked: BTreeSet<String> = LINKED.iter().map(|a| a.to_ascii_lowercase()).collect();
    let unused: Vec<String> = role_actions("baton-operator")
        .into_iter()
        .filter(|a| !used.contains(a) && !linked.contains(a))
        .collect();
    assert!(
        unused.is_empty(),
        "baton-operator grants what baton never sent: {unused:?}"
    );
    let reader_unused: Vec<String> = role_actions("baton-reader")
        .into_iter()
        .filter(|a| !seen(&read_only).contains(a))
        .collect();
    assert!(
        reader_unused.is_empty(),
        "baton-reader grants what status never sent: {reader_unused:?}"
    );
    assert!(
        role_actions("baton-reader").is_subset(&role_actions("baton-operator")),
        "an operator can do everything a reader can"
    );
    // The run really moved things: writes of each kind are in the log.
    for action in [
        "microsoft.network/networkinterfaces/write",
        "microsoft.compute/virtualmachines/attachdetachdatadisks/action",
        "microsoft.compute/virtualmachines/runcommand/action",
        "microsoft.compute/virtualmachines/poweroff/action",
    ] {
        assert!(used.contains(action), "{action} sent in {total} requests");
    }
    assert_eq!(action_of("GET", "/_vm/web-a/ping"), None);
}
