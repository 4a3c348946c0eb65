//! Reads the run history out of a store: every journal replayed (`Store::scan_journals`) and
//! every drill record (`Store::drills`), handed to the pure `core::history::build`. It sits beside `failover` and `drill` (it reads both) so that
//! neither of them imports the other. Owns only that reading; must not judge runs (that is
//! `core::history`) or touch role locks (a read must never make a real operation lose its lock).
//!
//! Liveness is therefore not known here: an unfinished run reads `INTERRUPTED` unless the
//! caller names it live (the cockpit marks the operations it follows).
//!
//! `baton history [ROLE] [--json] [--limit N]` is [`run`]: [`load`] → [`select`] →
//! [`render_text`] or JSON (`serde_json::to_value(&History)`).

use crate::core::history::{build, History, HistoryInput, RoleHistory};
use crate::core::model::same_name;
use crate::store::StoreRead;
use std::collections::BTreeSet;
use std::time::Duration;

mod command;
mod text;

pub use command::{run, HistoryCommand};

/// Why a history could not be shown.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HistoryError {
    /// The role is neither configured nor in the state directory.
    #[error("no role named `{role}`; known roles: {valid}")]
    UnknownRole {
        /// The name asked for.
        role: String,
        /// Every known role, comma-separated (or why there is none).
        valid: String,
    },
}

/// A history and what could not be read into it.
#[derive(Debug, Clone, Default)]
pub struct LoadedHistory {
    /// Every readable run.
    pub history: History,
    /// One line per journal that could not be read or replayed (it is left out).
    pub problems: Vec<String>,
}

/// Builds the history of every role from `store`; `live` names runs known to be running.
pub async fn load(
    store: &dyn StoreRead,
    rto_target: Duration,
    live: &BTreeSet<String>,
) -> LoadedHistory {
    let mut problems = Vec::new();
    let operations: Vec<_> = store
        .scan_journals()
        .await
        .into_iter()
        .filter_map(|scan| match scan {
            Ok((op, _torn)) => Some(op),
            Err(e) => {
                tracing::warn!(error = %e, "journal left out of the history");
                problems.push(e.to_string());
                None
            }
        })
        .collect();
    let drills: Vec<_> = store.drills().await.into_iter().map(|(r, _)| r).collect();
    let history = build(HistoryInput {
        operations: &operations,
        drills: &drills,
        rto_target,
        live,
    });
    LoadedHistory { history, problems }
}

/// Narrows `history` to what `baton history` shows: `role` (when given) and the newest
/// `limit` runs per role. `known_roles` (the configured ones) are valid names too and appear
/// with no runs when nothing was recorded for them; any other name is [`HistoryError`].
pub fn select(
    history: History,
    role: Option<&str>,
    limit: Option<usize>,
    known_roles: &[String],
) -> Result<History, HistoryError> {
    let mut names: Vec<String> = history.role_names().iter().map(|n| n.to_string()).collect();
    for known in known_roles {
        if !names.iter().any(|n| same_name(n, known)) {
            names.push(known.clone());
        }
    }
    names.sort_by_key(|n| n.to_ascii_lowercase());
    let wanted: Vec<String> = match role {
        Some(r) => match names.iter().find(|n| same_name(n, r)) {
            Some(n) => vec![n.clone()],
            None => {
                return Err(HistoryError::UnknownRole {
                    role: r.to_string(),
                    valid: if names.is_empty() {
                        "none (no config and no runs recorded)".into()
                    } else {
                        names.join(", ")
                    },
                })
            }
        },
        None => names,
    };
    let mut selected = history.select(role, limit);
    for name in wanted {
        if selected.role(&name).is_none() {
            selected.roles.push(RoleHistory {
                role: name,
                runs: Vec::new(),
                trend_ms: Vec::new(),
            });
        }
    }
    selected.roles.sort_by_key(|r| r.role.to_ascii_lowercase());
    Ok(selected)
}

/// The text of `baton history`: a table per role with its trend sparkline.
pub fn render_text(history: &History) -> String {
    if history.roles.is_empty() {
        return "no runs recorded\n".to_string();
    }
    let mut out = String::new();
    for role in &history.roles {
        text::role_table(&mut out, role, history.rto_target_ms);
    }
    out
}

#[cfg(test)]
mod tests;
