//! Reads the run history out of a store: every journal replayed (`Store::scan_journals`) and
//! every drill record (`Store::drills`), handed to the pure
//! `core::history::build`. Owns only that reading; must not judge runs (that is
//! `core::history`) or touch role locks (a read must never make a real operation lose its lock).
//!
//! Liveness is therefore not known here: an unfinished run reads `INTERRUPTED` unless the
//! caller names it live (the cockpit marks the operations it follows).
//!
//! `baton history [ROLE] [--json] [--limit N]` is [`run`]: [`load`] → [`select`] →
//! [`render_text`] or JSON (`serde_json::to_value(&History)`).

use crate::core::history::{build, History, HistoryInput, RoleHistory};
use crate::core::model::same_name;
use crate::store::Store;
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
    store: &dyn Store,
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
mod tests {
    use super::*;
    use crate::core::history::{RunKind, RunVerdict};
    use crate::store::journal::Journal;
    use crate::store::state_dir::StateDir;
    use crate::store::LocalStore;
    use crate::ui::fixtures::history::{specs, RTO_TARGET};

    #[tokio::test]
    async fn reads_journals_and_drill_records_and_names_a_broken_journal() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = StateDir::new(tmp.path());
        let (ops, drills) = specs();
        for spec in &ops {
            let mut j = Journal::create(&dir, &spec.role, &spec.id).unwrap();
            for ev in spec.events() {
                j.append(&ev).unwrap();
            }
        }
        for d in &drills {
            crate::drill::store::save(&dir, d).unwrap();
        }
        let bad = dir.journal_path("web", "broken");
        std::fs::write(&bad, "not json\n{}\n").unwrap();
        let loaded = load(&LocalStore::new(dir), RTO_TARGET, &BTreeSet::new()).await;
        assert_eq!(loaded.problems.len(), 1);
        assert!(
            loaded.problems[0].contains("broken.jsonl"),
            "{:?}",
            loaded.problems
        );
        let app = loaded.history.role("app").unwrap();
        let kinds: Vec<_> = app.runs.iter().map(|r| (r.kind, r.verdict)).collect();
        assert_eq!(
            kinds,
            [
                (RunKind::Switchover, RunVerdict::Interrupted),
                (RunKind::Drill, RunVerdict::Fail),
                (RunKind::Switchover, RunVerdict::Fail),
                (RunKind::Drill, RunVerdict::Pass),
                (RunKind::Failover, RunVerdict::Pass),
            ]
        );
        assert_eq!(loaded.history.role("web").unwrap().runs.len(), 2);
    }

    #[tokio::test]
    async fn an_empty_state_dir_has_no_history() {
        let tmp = tempfile::tempdir().unwrap();
        let store = LocalStore::new(StateDir::new(tmp.path()));
        let loaded = load(&store, RTO_TARGET, &BTreeSet::new()).await;
        assert!(loaded.history.roles.is_empty());
        assert!(loaded.problems.is_empty());
        assert_eq!(loaded.history.rto_target_ms, 300_000);
    }

    fn fixture() -> History {
        crate::ui::fixtures::history::history().unwrap()
    }

    #[test]
    fn select_knows_configured_roles_and_refuses_others() {
        let known = vec!["db".to_string(), "APP".to_string()];
        let all = select(fixture(), None, Some(2), &known).unwrap();
        assert_eq!(all.role_names(), ["app", "db", "web"]);
        assert_eq!(all.role("app").unwrap().runs.len(), 2);
        assert!(all.role("db").unwrap().runs.is_empty());
        let db = select(fixture(), Some("DB"), None, &known).unwrap();
        assert_eq!(db.role_names(), ["db"]);
        let err = select(fixture(), Some("cache"), None, &known).unwrap_err();
        assert_eq!(
            err.to_string(),
            "no role named `cache`; known roles: app, db, web"
        );
        let err = select(History::default(), Some("x"), None, &[]).unwrap_err();
        assert!(err.to_string().contains("none"), "{err}");
    }

    #[test]
    fn text_lists_runs_newest_first_with_the_trend() {
        let h = select(fixture(), Some("app"), None, &[]).unwrap();
        let text = render_text(&h);
        let expected = "\
app  · RTO target 5m · RTO trend ▂▂█ (oldest → newest, max 6m20s)
  DATE (UTC)        KIND        FROM → TO      RTO    VERDICT      OPERATOR
  2024-05-14 03:02  switchover  app-a → app-c  —      INTERRUPTED  alice
  2024-05-14 01:12  drill       app-a → app-b  6m20s  FAIL         bob      out 1m11s, back 6m20s · leg back over the RTO target; hold: 2 probe(s) failed
  2024-05-13 04:12  switchover  app-b → app-a  —      FAIL         alice    rolled back
  2024-05-13 03:12  drill       app-a → app-b  1m04s  PASS         bob      out 52s, back 1m04s
  2024-05-12 03:12  failover    app-a → app-b  1m35s  PASS         carol

";
        assert_eq!(text, expected, "\n{text}");
        assert_eq!(render_text(&History::default()), "no runs recorded\n");
    }

    #[test]
    fn json_carries_every_field() {
        let h = select(fixture(), Some("web"), Some(1), &[]).unwrap();
        let json = serde_json::to_value(&h).unwrap();
        assert_eq!(json["rto_target_ms"], 300_000);
        let run = &json["roles"][0]["runs"][0];
        assert_eq!(run["id"], "op-3c9d");
        assert_eq!(run["verdict"], "fail");
        assert_eq!(run["outcome"], "failed");
        assert_eq!(run["begun_at"], "2024-05-11T04:12:00Z");
        assert_eq!(json["roles"][0]["trend_ms"], serde_json::json!([]));
    }
}
