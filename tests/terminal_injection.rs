//! Escape sequences from Azure never reach the operator's terminal: the real binary runs
//! `status`, `failover`, `switchover`, `drill`, `history` and `check-config` against an
//! emulator whose VM name, fault error codes and messages and run-command output carry OSC,
//! CSI, C1, DEL and CR bytes; no byte below 0x20 other than newline and tab, no DEL and no C1
//! control reaches stdout or stderr, while the printable rest of the hostile text does (so
//! each run really printed it).

mod emulator_support;

use baton::emulator::{
    start, DiskDef, EmulatorHandle, EmulatorOptions, EndpointKindDef, NatRuleDef, Scenario,
};
use serde_json::json;
use std::path::Path;
use std::process::Stdio;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::Command;

/// Retitles the terminal, clears it, sets bold through C1 CSI, then DEL and CR.
const EVIL: &str = "\u{1b}]0;pwned\u{7}\u{1b}[2J\u{9b}1m\u{7f}\r";
/// What is left of [`EVIL`] once sanitized; proves the hostile text was printed.
const MARK: &str = "pwned";

fn rogue_vm() -> String {
    format!("rogue{EVIL}vm")
}

/// Contoso plus a role `rogue` (not in baton's config) whose master has a hostile name and
/// holds `rogue-data`, a disk baton's config lists for `web`: Azure reports the hostile name
/// as the disk's owner. db's stop command differs from the config's, so Run Command echoes
/// the config's (hostile) script as its output.
fn scenario() -> Scenario {
    let mut s = Scenario::contoso();
    let mut rogue = s.roles[0].clone();
    rogue.name = "rogue".into();
    rogue.vms = vec![rogue_vm()];
    rogue.master = Some(rogue_vm());
    rogue.disks = vec![DiskDef {
        name: "rogue-data".into(),
        lun: 5,
        size_gb: 8,
        sku: "Premium_LRS".into(),
        max_shares: 1,
    }];
    rogue.endpoint.kind = EndpointKindDef::NatRule("rogue-app".into());
    s.load_balancers[0].nat_rules.push(NatRuleDef {
        name: "rogue-app".into(),
        frontend_port: 50099,
        backend_port: 8080,
    });
    s.roles.push(rogue);
    s
}

fn quoted(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

/// baton's config: without the rogue role, `rogue-data` listed for web, db's stop command
/// hostile.
fn config_text(emu: &EmulatorHandle) -> String {
    let full = emu.baton_config_toml();
    let cut = full
        .find("\n[[roles]]\nname = \"rogue\"")
        .expect("rogue role rendered");
    full[..cut]
        .replacen(
            "name = \"web\"\nresource_group = \"rg-contoso\"\nvms = [\"web-a\", \"web-b\"]\ndisks = [",
            "name = \"web\"\nresource_group = \"rg-contoso\"\nvms = [\"web-a\", \"web-b\"]\ndisks = [{ name = \"rogue-data\", lun = 5 }, ",
            1,
        )
        .replacen(
            "stop_command = \"systemctl stop contoso-db\"",
            &format!("stop_command = {}", quoted(&format!("systemctl stop contoso-db # {EVIL}"))),
            1,
        )
}

struct Run {
    label: String,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

impl Run {
    fn text(&self) -> String {
        format!(
            "{}{}",
            String::from_utf8_lossy(&self.stdout),
            String::from_utf8_lossy(&self.stderr)
        )
    }
}

fn command(home: &Path, config: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_baton"));
    cmd.arg("--config")
        .arg(config)
        .args(args)
        .env("XDG_STATE_HOME", home)
        .env("BATON_STATE_DIR", home.join("baton"))
        .env("USER", "injection-tester")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    cmd
}

async fn baton(home: &Path, config: &Path, args: &[&str]) -> Run {
    let out = command(home, config, args)
        .output()
        .await
        .expect("baton runs");
    Run {
        label: args.join(" "),
        stdout: out.stdout,
        stderr: out.stderr,
    }
}

/// Every byte a terminal would act on: C0 but newline and tab, DEL, and C1 (UTF-8 `C2 80`–`C2 9F`).
fn control_bytes(bytes: &[u8]) -> Vec<(usize, u8)> {
    let mut found = Vec::new();
    for (i, &b) in bytes.iter().enumerate() {
        let c0 = b < 0x20 && b != b'\n' && b != b'\t';
        let c1 = b == 0xC2 && bytes.get(i + 1).is_some_and(|n| (0x80..=0x9F).contains(n));
        if c0 || b == 0x7F || c1 {
            found.push((i, b));
        }
    }
    found
}

fn assert_clean(run: &Run, must_show_mark: bool) {
    for (stream, bytes) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
        let bad = control_bytes(bytes);
        assert!(
            bad.is_empty(),
            "{}: {stream} holds control bytes {bad:?}:\n{}",
            run.label,
            String::from_utf8_lossy(bytes)
        );
    }
    if must_show_mark {
        assert!(
            run.text().contains(MARK),
            "{}: the hostile text was printed (sanitized):\n{}",
            run.label,
            run.text()
        );
    }
}

async fn arm_fault(emu: &EmulatorHandle, fault: serde_json::Value) {
    let resp = reqwest::Client::new()
        .post(format!("{}_emulator/faults", emu.base_url()))
        .json(&fault)
        .send()
        .await
        .expect("fault");
    assert!(resp.status().is_success());
}

/// `switchover db --yes`; once stdout shows the stop command's output, chaos kills db-a's
/// service (the echoed script stopped nothing) so the switchover can finish.
async fn switchover_db_killing_the_service(
    emu: &EmulatorHandle,
    home: &Path,
    config: &Path,
) -> Run {
    let args = ["switchover", "db", "--yes"];
    let mut child = command(home, config, &args).spawn().expect("baton runs");
    let mut stderr = child.stderr.take().expect("stderr");
    let err_task = tokio::spawn(async move {
        let mut bytes = Vec::new();
        let _ = stderr.read_to_end(&mut bytes).await;
        bytes
    });
    let mut lines = BufReader::new(child.stdout.take().expect("stdout"));
    let mut stdout = Vec::new();
    let mut killed = false;
    loop {
        let start = stdout.len();
        if lines.read_until(b'\n', &mut stdout).await.expect("stdout") == 0 {
            break;
        }
        let line = String::from_utf8_lossy(&stdout[start..]).into_owned();
        if !killed && line.contains("stop command on db-a") && line.contains(MARK) {
            chaos_kill_service(emu, "db-a").await;
            killed = true;
        }
    }
    assert!(
        child.wait().await.expect("exit").success(),
        "switchover db ends"
    );
    Run {
        label: args.join(" "),
        stdout,
        stderr: err_task.await.expect("stderr task"),
    }
}

async fn chaos_kill_service(emu: &EmulatorHandle, vm: &str) {
    let resp = reqwest::Client::new()
        .post(format!("{}_emulator/chaos", emu.base_url()))
        .json(&json!({"vm": vm, "action": "kill-service"}))
        .send()
        .await
        .expect("chaos");
    assert!(resp.status().is_success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_control_byte_from_azure_reaches_the_terminal() {
    let mut opts = EmulatorOptions::local(200.0);
    opts.scenario = scenario();
    let emu = start(opts).await.expect("emulator starts");
    let tmp = tempfile::tempdir().expect("tempdir");
    let config = tmp.path().join("baton.toml");
    std::fs::write(&config, config_text(&emu)).expect("config");
    let home = tmp.path();

    // The hostile VM name from Azure: a violation in status, a blocker of every move of web.
    for args in [
        &["status"][..],
        &["status", "--json"],
        &["failover", "web", "--yes"],
        &["switchover", "web", "--yes"],
        &["drill", "web", "--yes", "--hold", "1"],
    ] {
        let run = baton(home, &config, args).await;
        assert_clean(&run, true);
    }

    // Hostile run-command output: db's stop command is echoed back (and stops nothing, so
    // the service is killed once the output was printed, and the switchover goes on).
    let run = switchover_db_killing_the_service(&emu, home, &config).await;
    assert_clean(&run, true);

    // Hostile ARM error code and message: the attach of app's switchover fails for good.
    arm_fault(
        &emu,
        json!({"method": "POST", "path_contains": "attachDetachDataDisks", "count": 1000,
               "status": 400, "code": format!("Bad{EVIL}Request"),
               "message": format!("disk refused {EVIL} by policy")}),
    )
    .await;
    let run = baton(home, &config, &["switchover", "app", "--yes"]).await;
    assert_clean(&run, true);
    let run = baton(home, &config, &["failover", "app", "--yes", "--json"]).await;
    assert_clean(&run, false);

    for args in [
        &["history"][..],
        &["history", "app"],
        &["history", "--json"],
    ] {
        let run = baton(home, &config, args).await;
        assert_clean(&run, false);
    }

    // Hostile text in a broken config file names itself in check-config's error.
    let broken = tmp.path().join("broken.toml");
    let text = std::fs::read_to_string(&config).expect("config");
    std::fs::write(
        &broken,
        format!("{text}\n[ui]\ntheme = {}\nbogus{MARK} = 1\n", quoted(EVIL)),
    )
    .expect("broken config");
    let run = baton(home, &broken, &["check-config"]).await;
    assert_clean(&run, true);

    // A hostile argument value is echoed by the usage error.
    let run = baton(
        home,
        &config,
        &["failover", "web", "--resume", "--rollback", EVIL],
    )
    .await;
    assert_clean(&run, false);
    emu.shutdown().await;
}
