//! The cockpit as a person uses it: the real binary in a tmux pty, keys sent with send-keys,
//! the screen read with capture-pane. Needs tmux (`.ci/run` installs it).

mod emulator_support;

use emulator_support::Env;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

const BATON: &str = env!("CARGO_BIN_EXE_baton");

/// One tmux server (private socket) running one command; killed on drop.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn start(width: u16, height: u16, command: &str) -> Tmux {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let socket = format!(
            "baton-test-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        );
        let t = Tmux { socket };
        let state = std::env::temp_dir().join(format!("{}-state", t.socket));
        let wrapped = format!(
            "env XDG_STATE_HOME={} TERM=xterm-256color {command}; echo EXITED $?; sleep 30",
            state.display()
        );
        let ok = t
            .cmd(&[
                "new-session",
                "-d",
                "-x",
                &width.to_string(),
                "-y",
                &height.to_string(),
            ])
            .arg(wrapped)
            .status()
            .expect("tmux is required for this test (.ci/run installs it)")
            .success();
        assert!(ok, "tmux new-session failed");
        t
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new("tmux");
        c.args(["-L", &self.socket, "-f", "/dev/null"]).args(args);
        c
    }

    fn screen(&self) -> String {
        let out = self
            .cmd(&["capture-pane", "-p"])
            .output()
            .expect("capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys"];
        args.extend_from_slice(keys);
        assert!(self.cmd(&args).status().expect("send-keys").success());
    }

    /// Literal text, one key per character.
    fn type_literal(&self, text: &str) {
        assert!(self
            .cmd(&["send-keys", "-l", text])
            .status()
            .expect("send-keys")
            .success());
    }

    /// Presses `q` and waits for the process to exit with 0. A lone ESC right before a key
    /// reads as Alt+key to a terminal, so let any previous escape settle first.
    fn quit(&self) {
        std::thread::sleep(Duration::from_millis(300));
        self.keys(&["q"]);
        let screen = self.wait_for("exit", |s| s.contains("EXITED"));
        assert!(screen.contains("EXITED 0"), "{screen}");
    }

    /// Polls the screen until `pred` holds (bounded: ~20 s), returning the screen.
    fn wait_for(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let mut screen = String::new();
        for _ in 0..400 {
            screen = self.screen();
            if pred(&screen) {
                return screen;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("screen never showed {what}:\n{screen}");
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd(&["kill-server"]).status();
    }
}

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
    let requests = env.control("requests").await;
    let requests = requests.as_array().expect("request log");
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
