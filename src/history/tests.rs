//! Loading the history from a real state directory filled with the dev-only fixtures.

use super::*;
use crate::core::history::{RunKind, RunVerdict};
use crate::store::journal::Journal;
use crate::store::state_dir::StateDir;
use crate::store::LocalStore;
use crate::ui_fixtures::history::{specs, RTO_TARGET};

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
    crate::ui_fixtures::history::history().unwrap()
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
