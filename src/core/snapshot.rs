//! The fleet snapshot: everything the screens show, produced by the engine, latest-wins.
//!
//! Plain data. Times are absolute (`OffsetDateTime`) so the UI computes ages from the
//! tick it was given, and a test can render any screen at a fixed time. The heartbeat histories
//! ([`Heartbeats`]) are shared copy-on-write: a snapshot clone is O(1) for them and the probe
//! engine copies only the histories it writes after a snapshot took them, so publishing ten
//! snapshots a second of 4,000 rings does not copy 4,000 rings ten times a second.

use super::leader::RoleStatus;
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use std::collections::BTreeMap;
use std::sync::Arc;
use time::OffsetDateTime;

/// What the engine publishes to the UI after every inventory refresh or probe round.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FleetSnapshot {
    /// Every configured role, in config order, as derived by `core::leader`.
    pub roles: Vec<RoleStatus>,
    /// Freshness of the Azure facts behind `roles`.
    pub inventory: InventoryFreshness,
    /// Heartbeat history per VM name (lower-cased).
    pub heartbeats: Heartbeats,
    /// What the shared store says: operations other batons run, or why it cannot be read.
    #[serde(skip)]
    pub coordination: CoordinationView,
}

/// The shared store as one inventory refresh saw it (one listing of every role's lock).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CoordinationView {
    /// Roles whose lock another baton holds (another host, or another process here), by the
    /// configured role name.
    pub remote: BTreeMap<String, RemoteHolder>,
    /// Why the store could not be read (code and request id), while it cannot: the cockpit
    /// shows a banner and refuses operations.
    pub unavailable: Option<String>,
}

/// The holder of a role's lock that is not this cockpit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteHolder {
    /// The operator, as written on the lock.
    pub who: String,
    /// Their host (`--host-id`).
    pub host: String,
    /// The operation they run, once their lock names it.
    pub op_id: Option<String>,
    /// Since when they hold the lock.
    pub since: OffsetDateTime,
}

impl RemoteHolder {
    /// `oncall@jump-2`: how the screens name the holder.
    pub fn by(&self) -> String {
        format!("{}@{}", self.who, self.host)
    }
}

impl FleetSnapshot {
    /// The heartbeat history of one VM, if it was ever probed.
    pub fn heartbeats_of(&self, vm: &str) -> Option<&VmHeartbeats> {
        self.heartbeats.get(vm)
    }
}

/// Heartbeat histories by lower-cased VM name, cheap to clone and copy-on-write per VM.
///
/// The set of names changes rarely (the probed VMs are fixed when the engine starts); the
/// histories change every probe. Names map to slots in one shared table, and every slot is its
/// own `Arc`, so a clone shares everything and a write copies only the slot table (pointers)
/// and the one VM it changes, and only when a clone still holds them.
#[derive(Debug, Clone, Default)]
pub struct Heartbeats {
    /// Lower-cased VM name to slot in `rings`.
    slots: Arc<BTreeMap<String, usize>>,
    /// Histories by slot.
    rings: Arc<Vec<Arc<VmHeartbeats>>>,
}

impl Heartbeats {
    /// The histories of one VM (any case), if it is known.
    pub fn get(&self, vm: &str) -> Option<&VmHeartbeats> {
        self.slot(vm).and_then(|i| self.at(i))
    }

    /// The slot of one VM (any case): a stable handle for [`Heartbeats::at`] and
    /// [`Heartbeats::at_mut`] until the next [`Heartbeats::insert`] of a new name.
    pub fn slot(&self, vm: &str) -> Option<usize> {
        if vm.bytes().any(|b| b.is_ascii_uppercase()) {
            self.slots.get(&vm.to_ascii_lowercase()).copied()
        } else {
            self.slots.get(vm).copied()
        }
    }

    /// The histories in one slot.
    pub fn at(&self, slot: usize) -> Option<&VmHeartbeats> {
        self.rings.get(slot).map(Arc::as_ref)
    }

    /// The histories in one slot, for writing; copies them first if a clone still shares them.
    pub fn at_mut(&mut self, slot: usize) -> Option<&mut VmHeartbeats> {
        Arc::make_mut(&mut self.rings)
            .get_mut(slot)
            .map(Arc::make_mut)
    }

    /// The histories of one VM (any case), for writing; see [`Heartbeats::at_mut`].
    pub fn get_mut(&mut self, vm: &str) -> Option<&mut VmHeartbeats> {
        self.slot(vm).and_then(|i| self.at_mut(i))
    }

    /// Sets the histories of one VM (any case), adding it when new.
    pub fn insert(&mut self, vm: &str, heartbeats: VmHeartbeats) {
        if let Some(existing) = self.get_mut(vm) {
            *existing = heartbeats;
            return;
        }
        let rings = Arc::make_mut(&mut self.rings);
        Arc::make_mut(&mut self.slots).insert(vm.to_ascii_lowercase(), rings.len());
        rings.push(Arc::new(heartbeats));
    }

    /// Every VM's histories, for writing (copies whatever a clone still shares).
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut VmHeartbeats> + '_ {
        Arc::make_mut(&mut self.rings).iter_mut().map(Arc::make_mut)
    }

    /// Number of VMs.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// True when no VM is known.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Every VM name (lower-cased), in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> + '_ {
        self.slots.keys().map(String::as_str)
    }

    /// Every VM's histories, in name order.
    pub fn values(&self) -> impl Iterator<Item = &VmHeartbeats> + '_ {
        self.iter().map(|(_, h)| h)
    }

    /// Every VM (lower-cased) and its histories, by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &VmHeartbeats)> + '_ {
        self.slots
            .iter()
            .filter_map(|(name, &i)| self.at(i).map(|h| (name.as_str(), h)))
    }
}

impl FromIterator<(String, VmHeartbeats)> for Heartbeats {
    fn from_iter<I: IntoIterator<Item = (String, VmHeartbeats)>>(iter: I) -> Self {
        let mut out = Heartbeats::default();
        for (vm, heartbeats) in iter {
            out.insert(&vm, heartbeats);
        }
        out
    }
}

impl From<BTreeMap<String, VmHeartbeats>> for Heartbeats {
    fn from(map: BTreeMap<String, VmHeartbeats>) -> Self {
        map.into_iter().collect()
    }
}

/// Serialized as before: a map from VM name to its histories.
impl Serialize for Heartbeats {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.len()))?;
        for (vm, heartbeats) in self.iter() {
            map.serialize_entry(vm, heartbeats)?;
        }
        map.end()
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
    /// The refresh interval when the read budgets or a running operation stretch it, and why.
    pub pace: Option<crate::core::budget::Pace>,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn with_failures(n: u32) -> VmHeartbeats {
        let mut h = VmHeartbeats::default();
        h.vm.consecutive_failures = n;
        h
    }

    #[test]
    fn lookups_ignore_case_and_insert_replaces() {
        let mut hb: Heartbeats = [("Web-A".to_string(), with_failures(1))]
            .into_iter()
            .collect();
        hb.insert("web-b", with_failures(2));
        hb.insert("WEB-A", with_failures(3));
        assert_eq!(hb.len(), 2);
        assert_eq!(hb.get("web-a").map(|h| h.vm.consecutive_failures), Some(3));
        assert_eq!(hb.get("WEB-B").map(|h| h.vm.consecutive_failures), Some(2));
        assert!(hb.get("web-c").is_none());
        let names: Vec<&str> = hb.iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["web-a", "web-b"]);
    }

    #[test]
    fn a_clone_keeps_its_histories_when_the_original_is_written() {
        let mut hb: Heartbeats = [
            ("a".to_string(), with_failures(0)),
            ("b".to_string(), with_failures(0)),
        ]
        .into_iter()
        .collect();
        let published = hb.clone();
        if let Some(h) = hb.get_mut("a") {
            h.vm.consecutive_failures = 7;
        }
        assert_eq!(hb.get("a").map(|h| h.vm.consecutive_failures), Some(7));
        assert_eq!(
            published.get("a").map(|h| h.vm.consecutive_failures),
            Some(0)
        );
        // The unwritten VM is still shared, not copied.
        let (Some(i), Some(j)) = (hb.slot("b"), published.slot("b")) else {
            panic!("b is known");
        };
        assert!(Arc::ptr_eq(&hb.rings[i], &published.rings[j]));
    }

    #[test]
    fn serializes_as_a_map_by_name() {
        let hb: Heartbeats = [("b".to_string(), with_failures(1))].into_iter().collect();
        let json = serde_json::to_value(&hb).unwrap_or_default();
        assert_eq!(json["b"]["vm"]["consecutive_failures"], 1);
    }
}
