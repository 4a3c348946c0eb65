//! Shared helpers of the drill tests: a `Drill` on the fast contoso emulator (the executor
//! tests' helpers), its two streams collected, and report files read back.
#![allow(dead_code)]

#[path = "../failover_support/mod.rs"]
mod failover_support;

use baton::config::Config;
use baton::core::operation::OpEvent;
use baton::drill::{Drill, DrillRequest, DrillUpdate};
use baton::emulator::EmulatorHandle;
use baton::failover::StateDir;
#[allow(unused_imports)] // each test binary uses a different subset
pub use failover_support::*;
use std::path::Path;
use std::time::Duration;
use tokio::sync::mpsc;

/// A drill runner for `role`; both streams are buffered generously so nothing waits on them.
pub fn drill(
    emu: &EmulatorHandle,
    config: &Config,
    dir: &StateDir,
    role: &str,
) -> (Drill, mpsc::Receiver<OpEvent>, mpsc::Receiver<DrillUpdate>) {
    let (tx, rx) = mpsc::channel(100_000);
    let (utx, urx) = mpsc::channel(100_000);
    let role = config.role(role).expect("role").clone();
    let d = Drill::new(
        arm(emu),
        config.clone(),
        role,
        dir.clone(),
        operator(),
        options(config),
        tx,
        utx,
    );
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
