//! `baton emulator` as a child process, so its CPU and memory are not counted against the
//! process being measured.
//!
//! The binary is the one Cargo builds next to the bench (`CARGO_BIN_EXE_baton`, set for benches
//! and integration tests), so `cargo bench` always runs the current code. The child is killed
//! when the handle drops, whatever way the bench ends; its logs go to its own temporary state
//! directory, never to the user's.

use anyhow::{anyhow, bail, Context, Result};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// A running `baton emulator` child.
pub struct EmulatorChild {
    child: Child,
    /// `http://127.0.0.1:PORT` (no trailing slash), as the child printed it.
    pub base_url: String,
    /// The baton config the child wrote for its world.
    pub config_text: String,
}

impl EmulatorChild {
    /// Starts `baton emulator --scenario <dir>/world.toml --speed <speed> --listen 127.0.0.1:0`
    /// with the world `scenario_toml`, and waits for its address and config.
    pub fn start(dir: &Path, scenario_toml: &str, speed: f64) -> Result<EmulatorChild> {
        let scenario = dir.join("world.toml");
        let config = dir.join("baton.toml");
        std::fs::write(&scenario, scenario_toml).context("write the scenario")?;
        let child = Command::new(env!("CARGO_BIN_EXE_baton"))
            .arg("emulator")
            .arg("--scenario")
            .arg(&scenario)
            .arg("--speed")
            .arg(speed.to_string())
            .arg("--listen")
            .arg("127.0.0.1:0")
            .arg("--write-config")
            .arg(&config)
            .env("XDG_STATE_HOME", dir.join("state"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .context("start `baton emulator`")?;
        let mut me = EmulatorChild {
            child,
            base_url: String::new(),
            config_text: String::new(),
        };
        me.base_url = me.read_address()?;
        me.wait_for_config()?;
        me.config_text = std::fs::read_to_string(&config).context("read the emulator's config")?;
        Ok(me)
    }

    /// The child's process id, for /proc readings.
    pub fn pid(&self) -> String {
        self.child.id().to_string()
    }

    /// The first stdout line is `listening on URL`; the rest is drained so the child never
    /// blocks on a full pipe.
    fn read_address(&mut self) -> Result<String> {
        let stdout = self
            .child
            .stdout
            .take()
            .ok_or_else(|| anyhow!("no stdout"))?;
        let mut out = BufReader::new(stdout);
        let mut line = String::new();
        out.read_line(&mut line).context("read `listening on`")?;
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .ok_or_else(|| anyhow!("unexpected first line from the emulator: {line:?}"))?
            .to_string();
        std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
        Ok(url)
    }

    /// The config is written after the address is printed; the child says so on stderr. Other
    /// stderr lines are passed through.
    fn wait_for_config(&mut self) -> Result<()> {
        let stderr = self
            .child
            .stderr
            .take()
            .ok_or_else(|| anyhow!("no stderr"))?;
        let mut err = BufReader::new(stderr);
        let mut line = String::new();
        loop {
            line.clear();
            if err
                .read_line(&mut line)
                .context("read the emulator's stderr")?
                == 0
            {
                bail!("the emulator exited before writing its config");
            }
            if line.starts_with("wrote a baton config") {
                break;
            }
            eprint!("emulator: {line}");
        }
        std::thread::spawn(move || std::io::copy(&mut err, &mut std::io::stderr()));
        Ok(())
    }
}

impl Drop for EmulatorChild {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
