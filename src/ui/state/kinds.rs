//! The small vocabulary of the cockpit state: modes, panes, log lines, alarms, freshness.
//!
//! Plain data; must not hold or change a `UiState`.

use crate::core::leader::LeaderState;
use crate::core::snapshot::Severity;
use time::{Duration, OffsetDateTime};

/// What the cockpit may do. Read-only and wall have no mutating action at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Everything (mutations confirmed by typing the role name, in later issues).
    Operator,
    /// Look, never touch: no mutating action exists.
    ReadOnly,
    /// Read-only big tiles for a wall screen: no selection, rotating detail.
    Wall,
    /// Operator against the embedded emulator, plus chaos keys.
    Demo,
}

impl Mode {
    /// True when mutating actions exist in this mode.
    pub fn allows_mutation(self) -> bool {
        matches!(self, Mode::Operator | Mode::Demo)
    }

    /// The header badge, `None` for plain operator mode.
    pub fn badge(self) -> Option<&'static str> {
        match self {
            Mode::Operator => None,
            Mode::ReadOnly => Some("READ-ONLY"),
            Mode::Wall => Some("WALL"),
            Mode::Demo => Some("DEMO"),
        }
    }
}

/// The panes that can hold focus (wall mode has none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pane {
    /// The role list (j/k move the selection).
    Roles,
    /// Per-VM heartbeats of the selected role.
    Heartbeats,
    /// Leader state and violations of the selected role.
    Leader,
    /// Endpoint holder and disks of the selected role.
    Attachments,
    /// The event log.
    Events,
}

impl Pane {
    /// Focus order.
    pub const ALL: [Pane; 5] = [
        Pane::Roles,
        Pane::Heartbeats,
        Pane::Leader,
        Pane::Attachments,
        Pane::Events,
    ];

    /// Position in [`Pane::ALL`].
    pub fn index(self) -> usize {
        Pane::ALL.iter().position(|p| *p == self).unwrap_or(0)
    }

    /// The pane after this one, wrapping.
    pub fn next(self) -> Pane {
        Pane::ALL[(self.index() + 1) % Pane::ALL.len()]
    }

    /// The pane before this one, wrapping.
    pub fn prev(self) -> Pane {
        Pane::ALL[(self.index() + Pane::ALL.len() - 1) % Pane::ALL.len()]
    }

    /// The pane's title.
    pub fn title(self) -> &'static str {
        match self {
            Pane::Roles => "Roles",
            Pane::Heartbeats => "Heartbeats",
            Pane::Leader => "Leader",
            Pane::Attachments => "Attachments",
            Pane::Events => "Events",
        }
    }
}

/// One event-log line; text already sanitized.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// When it happened.
    pub at: OffsetDateTime,
    /// How loud it is.
    pub severity: Severity,
    /// The role it concerns (sanitized), if any.
    pub role: Option<String>,
    /// What happened (sanitized).
    pub text: String,
}

/// A role that went into MASTER DOWN or SPLIT and has not recovered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alarm {
    /// The role (raw name, as in the snapshot).
    pub role: String,
    /// The alarming state it went into.
    pub state: LeaderState,
    /// The tick time when the transition was seen (`None` before the first tick).
    pub since: Option<OffsetDateTime>,
    /// The operator acknowledged it; the banner hides, the role's state still shows.
    pub dismissed: bool,
}

/// How much the inventory behind the screen can be trusted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Freshness {
    /// No refresh has finished yet and none failed.
    Pending,
    /// Recent enough; `age` is `None` before the first tick.
    Fresh {
        /// Now minus `fetched_at`.
        age: Option<Duration>,
    },
    /// Too old, or the latest refresh failed.
    Stale {
        /// Now minus `fetched_at` (`None`: never fetched, or no tick yet).
        age: Option<Duration>,
        /// The latest refresh error (sanitized), if that is why.
        error: Option<String>,
    },
}

impl Freshness {
    /// True for [`Freshness::Stale`].
    pub fn is_stale(&self) -> bool {
        matches!(self, Freshness::Stale { .. })
    }
}
