//! The fleet snapshot: everything the screens show, produced by the engine, latest-wins.
//!
//! Plain owned data. Times are absolute (`OffsetDateTime`) so the UI computes ages from the
//! tick it was given, and a test can render any screen at a fixed time.

use super::leader::RoleStatus;
use serde::Serialize;
use std::collections::BTreeMap;
use time::OffsetDateTime;

/// What the engine publishes to the UI after every inventory refresh or probe round.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FleetSnapshot {
    /// Every configured role, in config order, as derived by `core::leader`.
    pub roles: Vec<RoleStatus>,
    /// Freshness of the Azure facts behind `roles`.
    pub inventory: InventoryFreshness,
    /// Heartbeat history per VM name (lower-cased).
    pub heartbeats: BTreeMap<String, VmHeartbeats>,
}

impl FleetSnapshot {
    /// The heartbeat history of one VM, if it was ever probed.
    pub fn heartbeats_of(&self, vm: &str) -> Option<&VmHeartbeats> {
        self.heartbeats.get(&vm.to_ascii_lowercase())
    }
}

/// How fresh the inventory is, and why not when it is not.
#[derive(Debug, Clone, Default, Serialize)]
pub struct InventoryFreshness {
    /// When the last successful refresh finished; `None` before the first.
    pub fetched_at: Option<OffsetDateTime>,
    /// The last refresh error (sanitized text with ARM code and request id), if the latest failed.
    pub last_error: Option<String>,
    /// When the next refresh is due (later than usual while throttled).
    pub next_refresh_at: Option<OffsetDateTime>,
    /// ARM requests the last successful refresh cost.
    pub arm_requests: usize,
}

/// Both heartbeat histories of one VM.
#[derive(Debug, Clone, Default, Serialize)]
pub struct VmHeartbeats {
    /// Host-level probe history.
    pub vm: ProbeHistory,
    /// Application-level probe history.
    pub service: ProbeHistory,
}

/// Recent results of one probe, oldest first, for sparklines and "last seen".
#[derive(Debug, Clone, Default, Serialize)]
pub struct ProbeHistory {
    /// Latencies of the last samples (`None` = that probe failed), oldest first, bounded length.
    pub samples: Vec<Option<u64>>,
    /// When the probe last answered healthy.
    pub last_ok: Option<OffsetDateTime>,
    /// When the probe last ran.
    pub last_run: Option<OffsetDateTime>,
    /// Consecutive failures right now (0 when the latest succeeded).
    pub consecutive_failures: u32,
}

/// How loud an engine event is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Routine (refresh done, probe recovered).
    Info,
    /// Worth a look (throttled, a retry, a standby down).
    Warn,
    /// Act now (ARM error on a write, master down).
    Critical,
}

/// One line for the cockpit's event log, sent by the engine over a bounded channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EngineEvent {
    /// When it happened.
    pub at: OffsetDateTime,
    /// How loud it is.
    pub severity: Severity,
    /// The role it concerns, if any.
    pub role: Option<String>,
    /// What happened, with ARM code and request id where there is one (sanitized before drawing).
    pub text: String,
}
