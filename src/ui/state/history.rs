//! The history overlay's state: which role it shows (or every role), what the engine loaded,
//! and the cursor. Plain data; `update::history` changes it, `render::history` draws it.

use crate::core::history::{History, HistoryRun};
use crate::protocol::HistoryFailure;

/// What the overlay holds while open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryView {
    /// The role it opened on (raw name); `None` when there was no role to select.
    pub role: Option<String>,
    /// Every role's runs instead of `role`'s.
    pub all_roles: bool,
    /// The engine's answer: `None` while loading, else the history or why it failed.
    pub loaded: Option<Result<History, HistoryFailure>>,
    /// Index of the selected run in [`HistoryView::runs`].
    pub cursor: usize,
}

impl HistoryView {
    /// An overlay waiting for the engine's answer.
    pub fn loading(role: Option<String>) -> HistoryView {
        HistoryView {
            role,
            all_roles: false,
            loaded: None,
            cursor: 0,
        }
    }

    /// The runs shown, newest first, each with its role (raw names).
    pub fn runs(&self) -> Vec<(&str, &HistoryRun)> {
        let Some(Ok(history)) = &self.loaded else {
            return Vec::new();
        };
        match (&self.role, self.all_roles) {
            (Some(role), false) => history.role(role).map_or_else(Vec::new, |r| {
                r.runs.iter().map(|run| (r.role.as_str(), run)).collect()
            }),
            _ => history.all_runs(),
        }
    }

    /// The RTO trend shown in the header (the role's; none for every role).
    pub fn trend(&self) -> &[u64] {
        match (&self.loaded, &self.role, self.all_roles) {
            (Some(Ok(h)), Some(role), false) => h.role(role).map_or(&[], |r| &r.trend_ms),
            _ => &[],
        }
    }

    /// True when it lists every role.
    pub fn shows_all(&self) -> bool {
        self.all_roles || self.role.is_none()
    }
}
