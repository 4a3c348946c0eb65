//! The cockpit as a person uses it: the real binary in a tmux pty, keys sent with send-keys,
//! the screen read with capture-pane. Needs tmux (`.ci/run` installs it).

mod emulator_support;
mod rbac_support;
mod tmux_support;

use emulator_support::Env;
use tmux_support::Tmux;

const BATON: &str = env!("CARGO_BIN_EXE_baton");

/// The header's summary: four roles, all healthy (● is the healthy glyph).
fn all_four_healthy(screen: &str) -> bool {
    screen.contains("roles 4: ●4 ")
}

#[test]
fn demo_detects_a_killed_master_and_quits_cleanly_at_80x24() {
    let tmux = Tmux::start(80, 24, &format!("{BATON} demo --speed 50"));
    tmux.wait_for("four healthy roles", all_four_healthy);
    tmux.keys(&["j"]);
    tmux.wait_for("web selected", |s| {
        s.lines().any(|l| l.contains('▶') && l.contains(" web "))
    });
    tmux.keys(&["K"]);
    let screen = tmux.wait_for("MASTER DOWN", |s| s.contains("roles 4: ✖1 ●3"));
    assert!(screen.contains("web"), "{screen}");
    tmux.keys(&["R"]);
    tmux.wait_for("web healthy again", all_four_healthy);
    tmux.quit();
}

#[test]
fn too_small_terminal_says_so() {
    let tmux = Tmux::start(50, 12, &format!("{BATON} demo --speed 50"));
    tmux.wait_for("too small message", |s| s.contains("too small"));
    tmux.quit();
}

/// Every key a person could press: printable ASCII (q last), specials, ctrl chords.
fn press_everything(tmux: &Tmux) {
    let printable: String = (33u8..127).map(char::from).filter(|c| *c != 'q').collect();
    for chunk in printable.as_bytes().chunks(8) {
        tmux.type_literal(std::str::from_utf8(chunk).expect("ascii"));
        tmux.keys(&["Escape"]);
    }
    let specials = [
        "Enter", "Tab", "BTab", "Space", "BSpace", "Up", "Down", "Left", "Right", "Home", "End",
        "PPage", "NPage", "IC", "DC", "F1", "F2", "F3", "F4", "F5", "F6", "F7", "F8", "F9", "F10",
        "F11", "F12", "C-r", "C-f", "C-s", "C-d", "C-a", "C-k", "C-l", "Escape",
    ];
    for key in specials {
        tmux.keys(&[key]);
    }
}

async fn zero_writes_in(mode_flag: &str, width: u16, height: u16) {
    let env = Env::start(50.0).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("baton.toml");
    std::fs::write(&config, env.emu.baton_config_toml()).expect("config");
    let tmux = Tmux::start(
        width,
        height,
        &format!("{BATON} --config {} {mode_flag}", config.display()),
    );
    tmux.wait_for("four healthy roles", all_four_healthy);
    press_everything(&tmux);
    tmux.quit();
    let log = env.control("requests").await;
    rbac_support::assert_granted("baton-reader", &log);
    let requests = log.as_array().expect("request log");
    let gets = requests.iter().filter(|r| r["method"] == "GET").count();
    let writes: Vec<_> = requests.iter().filter(|r| r["method"] != "GET").collect();
    assert!(gets >= 5, "the cockpit did read Azure ({gets} GETs)");
    assert!(writes.is_empty(), "{mode_flag} made writes: {writes:?}");
    let state = env.state().await;
    let web_a = state["vms"]
        .as_array()
        .and_then(|v| v.iter().find(|vm| vm["name"] == "web-a"))
        .expect("web-a");
    assert_eq!(web_a["service"], "running", "no chaos reached the world");
}

#[tokio::test(flavor = "multi_thread")]
async fn read_only_session_pressing_every_key_makes_no_write() {
    zero_writes_in("--read-only", 120, 40).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn wall_session_pressing_every_key_makes_no_write() {
    zero_writes_in("--wall", 80, 24).await;
}
