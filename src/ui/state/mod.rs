//! Everything the cockpit shows, in one owned value: the latest snapshot, selection, focus,
//! overlays, alarms, the event log and the clock as last ticked.
//!
//! Only `update` changes a [`UiState`]; `render` reads it. Nothing here does I/O or reads the
//! clock: time is whatever the last `Tick` said, so every screen is reproducible in a test.

use super::keymap::Keymap;
use crate::core::leader::{LeaderState, RoleStatus};
use crate::core::snapshot::FleetSnapshot;
use crate::core::text::sanitize;
use std::collections::VecDeque;

pub mod history;
mod kinds;
pub mod ops;
pub use kinds::{Alarm, Freshness, LogEntry, Mode, Pane};
use ops::{Dialog, OpView, OpsState};
use time::{Duration, OffsetDateTime};

/// How many event-log lines are kept; older ones fall off.
pub const LOG_CAPACITY: usize = 500;
/// Inventory is stale when older than this many refresh intervals.
pub const STALE_FACTOR: i32 = 3;
/// Refresh interval assumed until the snapshots reveal the real one.
pub const DEFAULT_REFRESH_INTERVAL: Duration = Duration::seconds(30);
/// Seconds each role's detail stays on a wall display before rotating.
pub const WALL_ROTATE_SECS: i64 = 5;

/// The cockpit's whole state. Build it with [`UiState::new`], change it only with
/// [`super::update()`], draw it with [`super::render()`].
#[derive(Debug, Clone)]
pub struct UiState {
    pub(crate) mode: Mode,
    pub(crate) keymap: Keymap,
    pub(crate) title: String,
    pub(crate) environment: String,
    pub(crate) now: Option<OffsetDateTime>,
    pub(crate) snapshot: FleetSnapshot,
    pub(crate) seen_roles: bool,
    pub(crate) selected: usize,
    pub(crate) focus: Pane,
    pub(crate) scroll: [usize; 5],
    pub(crate) help_open: bool,
    pub(crate) alarms: Vec<Alarm>,
    pub(crate) log: VecDeque<LogEntry>,
    pub(crate) stale: bool,
    pub(crate) refresh_interval: Option<Duration>,
    pub(crate) counts: [usize; 7],
    pub(crate) size: (u16, u16),
    pub(crate) dirty: bool,
    pub(crate) ops: OpsState,
    pub(crate) history: Option<history::HistoryView>,
    pub(crate) shared_locks: bool,
}

impl UiState {
    /// A cockpit with no snapshot yet. `keymap` should be resolved for `mode`; a keymap resolved
    /// for another mode is re-resolved to `mode`'s defaults, so a mode never gains an action.
    pub fn new(mode: Mode, keymap: Keymap, title: &str, environment: &str) -> UiState {
        let keymap = if keymap.mode() == mode {
            keymap
        } else {
            Keymap::default_for(mode)
        };
        UiState {
            mode,
            keymap,
            title: sanitize(title),
            environment: sanitize(environment),
            now: None,
            snapshot: FleetSnapshot::default(),
            seen_roles: false,
            selected: 0,
            focus: Pane::Roles,
            scroll: [0; 5],
            help_open: false,
            alarms: Vec::new(),
            log: VecDeque::new(),
            stale: false,
            refresh_interval: None,
            counts: [0; 7],
            size: (80, 24),
            dirty: true,
            ops: OpsState::default(),
            history: None,
            shared_locks: false,
        }
    }

    /// Says the role locks are shared leases (`backend = "azure-blob"`) that the unlock key can
    /// break; without it (the default, `backend = "local"`) the key explains that a local lock
    /// dies with its process.
    pub fn with_shared_locks(mut self, shared: bool) -> UiState {
        self.shared_locks = shared;
        self
    }

    /// True when role locks are shared leases the unlock key can break.
    pub fn shared_locks(&self) -> bool {
        self.shared_locks
    }

    /// Sets the RTO target the operation summary measures against (default 5 min).
    pub fn with_rto_target(mut self, rto_target: std::time::Duration) -> UiState {
        self.ops.rto_target = rto_target;
        self
    }

    /// The RTO target.
    pub fn rto_target(&self) -> std::time::Duration {
        self.ops.rto_target
    }

    /// The dialog shown now (the front of the queue), if any.
    pub fn dialog(&self) -> Option<&Dialog> {
        self.ops.dialogs.front()
    }

    /// Every queued dialog, the shown one first.
    pub fn dialogs(&self) -> impl Iterator<Item = &Dialog> {
        self.ops.dialogs.iter()
    }

    /// The operation the cockpit follows for `role` (raw name), if any.
    pub fn operation_of(&self, role: &str) -> Option<&OpView> {
        self.ops.for_role(role)
    }

    /// The operation with this id, if followed.
    pub fn operation(&self, op_id: &str) -> Option<&OpView> {
        self.ops.get(op_id)
    }

    /// True while an operation the cockpit follows has not finished (header badge).
    pub fn operation_running(&self) -> bool {
        self.ops.any_running()
    }

    /// The mode.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The resolved keymap.
    pub fn keymap(&self) -> &Keymap {
        &self.keymap
    }

    /// The latest snapshot as received (raw strings; sanitize before drawing).
    pub fn snapshot(&self) -> &FleetSnapshot {
        &self.snapshot
    }

    /// The clock as of the last tick.
    pub fn now(&self) -> Option<OffsetDateTime> {
        self.now
    }

    /// Index of the selected role; `None` in wall mode (no selection) or with no roles.
    pub fn selected_index(&self) -> Option<usize> {
        if self.mode == Mode::Wall || self.snapshot.roles.is_empty() {
            None
        } else {
            Some(self.selected.min(self.snapshot.roles.len() - 1))
        }
    }

    /// The selected role, if any.
    pub fn selected_role(&self) -> Option<&RoleStatus> {
        self.selected_index().map(|i| &self.snapshot.roles[i])
    }

    /// The focused pane; `None` in wall mode.
    pub fn focus(&self) -> Option<Pane> {
        (self.mode != Mode::Wall).then_some(self.focus)
    }

    /// Scroll offset of a pane (lines, or rows of the event log).
    pub fn scroll_of(&self, pane: Pane) -> usize {
        self.scroll[pane.index()]
    }

    /// The history overlay, while open.
    pub fn history(&self) -> Option<&history::HistoryView> {
        self.history.as_ref()
    }

    /// True while the help overlay is open.
    pub fn help_open(&self) -> bool {
        self.help_open
    }

    /// The alarm the banner shows (latest not dismissed), and how many others are active.
    pub fn banner(&self) -> Option<(&Alarm, usize)> {
        let mut visible = self.alarms.iter().filter(|a| !a.dismissed);
        let last = visible.next_back()?;
        Some((last, visible.count()))
    }

    /// Every active alarm, dismissed or not.
    pub fn alarms(&self) -> &[Alarm] {
        &self.alarms
    }

    /// The event log, newest last.
    pub fn log(&self) -> &VecDeque<LogEntry> {
        &self.log
    }

    /// Roles per state, indexed like [`STATE_ORDER`].
    pub fn counts(&self) -> &[usize; 7] {
        &self.counts
    }

    /// True when something changed since the last [`UiState::mark_drawn`].
    pub fn is_dirty(&self) -> bool {
        self.dirty
    }

    /// Records that the current state has been drawn.
    pub fn mark_drawn(&mut self) {
        self.dirty = false;
    }

    /// True while something on screen animates (a role failing over, a running step), so the
    /// caller ticks faster.
    pub fn animating(&self) -> bool {
        self.counts[state_index(LeaderState::FailingOver)] > 0 || self.ops.any_running()
    }

    /// The refresh interval in force: the shortest scheduled gap seen, else the default; the
    /// engine's stretched pace when longer (a deliberate pace is not staleness).
    pub fn refresh_interval(&self) -> Duration {
        let learned = self.refresh_interval.unwrap_or(DEFAULT_REFRESH_INTERVAL);
        let paced = self
            .snapshot
            .inventory
            .pace
            .as_ref()
            .and_then(|p| Duration::try_from(p.interval).ok());
        paced.map_or(learned, |p| learned.max(p))
    }

    /// The engine's refresh pace when stretched (read budgets or a running operation).
    pub fn pace(&self) -> Option<&crate::core::budget::Pace> {
        self.snapshot.inventory.pace.as_ref()
    }

    /// How far the inventory can be trusted at the last tick.
    pub fn freshness(&self) -> Freshness {
        let inv = &self.snapshot.inventory;
        let age = match (self.now, inv.fetched_at) {
            (Some(now), Some(at)) => Some((now - at).max(Duration::ZERO)),
            _ => None,
        };
        if let Some(err) = &inv.last_error {
            return Freshness::Stale {
                age,
                error: Some(sanitize(err)),
            };
        }
        if inv.fetched_at.is_none() {
            return Freshness::Pending;
        }
        let limit = self.refresh_interval() * STALE_FACTOR;
        match age {
            Some(a) if a > limit => Freshness::Stale { age, error: None },
            _ => Freshness::Fresh { age },
        }
    }

    /// The role whose detail a wall display shows now: rotates every [`WALL_ROTATE_SECS`]
    /// through the roles that are not healthy, or through all roles when every one is.
    pub fn wall_detail_index(&self) -> Option<usize> {
        let roles = &self.snapshot.roles;
        if roles.is_empty() {
            return None;
        }
        let step = self
            .now
            .map_or(0, |n| n.unix_timestamp().div_euclid(WALL_ROTATE_SECS))
            as usize;
        let unhealthy = roles
            .iter()
            .filter(|r| r.state != LeaderState::Healthy)
            .count();
        if unhealthy == 0 {
            return Some(step % roles.len());
        }
        roles
            .iter()
            .enumerate()
            .filter(|(_, r)| r.state != LeaderState::Healthy)
            .nth(step % unhealthy)
            .map(|(i, _)| i)
    }
}

/// Leader states in the order the header counts them (worst first).
pub const STATE_ORDER: [LeaderState; 7] = [
    LeaderState::Split,
    LeaderState::MasterDown,
    LeaderState::NoMaster,
    LeaderState::FailingOver,
    LeaderState::Degraded,
    LeaderState::Unknown,
    LeaderState::Healthy,
];

/// Position of a state in [`STATE_ORDER`] (lower is worse).
pub fn state_index(state: LeaderState) -> usize {
    STATE_ORDER.iter().position(|s| *s == state).unwrap_or(5)
}
