//! The real binary in a tmux pty, for the tests that use the cockpit as a person does: keys
//! sent with send-keys, the screen read with capture-pane. Needs tmux (`.ci/run` installs it).
#![allow(dead_code)]

use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// One tmux server (private socket) running one command; killed on drop.
pub struct Tmux {
    socket: String,
}

impl Tmux {
    pub fn start(width: u16, height: u16, command: &str) -> Tmux {
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

    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new("tmux");
        c.args(["-L", &self.socket, "-f", "/dev/null"]).args(args);
        c
    }

    pub fn screen(&self) -> String {
        let out = self
            .cmd(&["capture-pane", "-p"])
            .output()
            .expect("capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys"];
        args.extend_from_slice(keys);
        assert!(self.cmd(&args).status().expect("send-keys").success());
    }

    /// Literal text, one key per character.
    pub fn type_literal(&self, text: &str) {
        assert!(self
            .cmd(&["send-keys", "-l", text])
            .status()
            .expect("send-keys")
            .success());
    }

    /// Presses `q` and waits for the process to exit with 0. A lone ESC right before a key
    /// reads as Alt+key to a terminal, so let any previous escape settle first.
    pub fn quit(&self) {
        std::thread::sleep(Duration::from_millis(300));
        self.keys(&["q"]);
        let screen = self.wait_for("exit", |s| s.contains("EXITED"));
        assert!(screen.contains("EXITED 0"), "{screen}");
    }

    /// Polls the screen until `pred` holds (bounded: ~20 s), returning the screen.
    pub fn wait_for(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
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
