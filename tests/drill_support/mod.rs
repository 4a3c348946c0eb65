//! Shared helpers of the drill tests: a `Drill` on the fast contoso emulator (the executor
//! tests' helpers), its two streams collected, and report files read back.
#![allow(dead_code)]

#[path = "../failover_support/mod.rs"]
mod failover_support;

use baton::config::Config;
use baton::core::operation::OpEvent;
use baton::drill::{Drill, DrillRequest, DrillUpdate, OpStreamEvent};
use baton::emulator::EmulatorHandle;
use baton::failover::StateDir;
#[allow(unused_imports)] // each test binary uses a different subset
pub use failover_support::*;
use std::path::Path;
use std::time::Duration;
use tokio::sync::mpsc;

/// A drill runner for `role` (the drill itself under test, so built directly rather than
/// through `ops::Runner`); its one stream is split into leg events and drill updates, both
/// buffered generously so nothing waits on them.
pub fn drill(
    emu: &EmulatorHandle,
    config: &Config,
    dir: &StateDir,
    role: &str,
) -> (Drill, mpsc::Receiver<OpEvent>, mpsc::Receiver<DrillUpdate>) {
    let (stream_tx, mut stream) = mpsc::channel(100_000);
    let (tx, rx) = mpsc::channel(100_000);
    let (utx, urx) = mpsc::channel(100_000);
    let (exec, _) = executor(emu, config, dir, role, 1);
    let d = Drill::new(exec, config.clone(), dir.clone(), stream_tx);
    tokio::spawn(async move {
        while let Some(item) = stream.recv().await {
            match item {
                OpStreamEvent::Op { event, .. } => {
                    let _ = tx.send(event).await;
                }
                OpStreamEvent::Drill { update, .. } => {
                    let _ = utx.send(update).await;
                }
            }
        }
    });
    (d, rx, urx)
}

/// A one-second hold, reports into `report_dir`.
pub fn request(report_dir: &Path) -> DrillRequest {
    DrillRequest {
        hold: Duration::from_secs(1),
        report_dir: Some(report_dir.to_path_buf()),
        ..DrillRequest::default()
    }
}

pub fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}
