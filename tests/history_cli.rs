//! `baton history` through its library entry point (`history::run`, what the CLI
//! calls) against a state directory filled with real journals (`Journal::create` + `append`
//! of the executor's events) and drill records (`drill::store::save`).

mod history_support;
mod ui_fixtures;

use baton::failover::StateDir;
use baton::history::{run, HistoryCommand};
use serde_json::Value;
use std::path::Path;
use ui_fixtures::history::RTO_TARGET;

fn filled() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let dir = StateDir::new(tmp.path());
    history_support::fill(&dir);
    tmp
}

fn cmd(dir: &Path, role: Option<&str>, json: bool) -> HistoryCommand {
    HistoryCommand {
        role: role.map(str::to_string),
        json,
        limit: None,
        state_dir: Some(dir.to_path_buf()),
        rto_target: RTO_TARGET,
        known_roles: vec!["app".into(), "web".into(), "db".into()],
    }
}

fn exec(c: &HistoryCommand) -> (u8, String, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let code = runtime.block_on(run(c, &mut out, &mut err));
    (
        code,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

#[test]
fn json_lists_each_role_newest_first_with_drills_folded() {
    let tmp = filled();
    let (code, out, err) = exec(&cmd(tmp.path(), None, true));
    assert_eq!(code, 0, "{err}");
    assert!(err.is_empty(), "{err}");
    let json: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["rto_target_ms"], 300_000);
    let roles: Vec<&str> = json["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["role"].as_str().unwrap())
        .collect();
    assert_eq!(
        roles,
        ["app", "db", "web"],
        "configured db shows with no runs"
    );
    let app = &json["roles"][0];
    let rows: Vec<(String, String, String)> = app["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_string(),
                r["kind"].as_str().unwrap().to_string(),
                r["verdict"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expect = [
        ("op-e4d2", "switchover", "interrupted"),
        ("d-9a02", "drill", "fail"),
        ("op-77b3", "switchover", "fail"),
        ("d-5c1e", "drill", "pass"),
        ("op-1f0a", "failover", "pass"),
    ];
    let expect: Vec<_> = expect
        .iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect();
    assert_eq!(rows, expect);
    let pass = &app["runs"][3];
    assert_eq!(pass["rto_ms"], 64_000);
    assert_eq!(pass["legs"][0]["leg"], "out");
    assert_eq!(pass["legs"][0]["rto_ms"], 52_000);
    assert_eq!(pass["legs"][1]["op_id"], "d-5c1e-back");
    assert_eq!(pass["operator"], "bob");
    assert_eq!(
        app["trend_ms"],
        serde_json::json!([95_000, 64_000, 380_000])
    );
    assert!(json["roles"][1]["runs"].as_array().unwrap().is_empty());
}

#[test]
fn one_role_and_a_limit() {
    let tmp = filled();
    let mut c = cmd(tmp.path(), Some("WEB"), true);
    c.limit = Some(1);
    let (code, out, _) = exec(&c);
    assert_eq!(code, 0);
    let json: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["roles"].as_array().unwrap().len(), 1);
    assert_eq!(json["roles"][0]["runs"][0]["id"], "op-3c9d");
    assert_eq!(json["roles"][0]["runs"].as_array().unwrap().len(), 1);
}

#[test]
fn text_has_a_table_and_a_sparkline() {
    let tmp = filled();
    let (code, out, _) = exec(&cmd(tmp.path(), Some("app"), false));
    assert_eq!(code, 0);
    assert!(
        out.starts_with("app  · RTO target 5m · RTO trend ▂▂█"),
        "{out}"
    );
    assert!(
        out.contains("2024-05-13 03:12  drill       app-a → app-b  1m04s  PASS"),
        "{out}"
    );
}

#[test]
fn an_unknown_role_is_named_with_the_valid_ones() {
    let tmp = filled();
    let (code, out, err) = exec(&cmd(tmp.path(), Some("cache"), false));
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert_eq!(
        err,
        "error: no role named `cache`; known roles: app, db, web\n"
    );
}

#[test]
fn a_broken_journal_is_named_and_left_out() {
    let tmp = filled();
    let dir = StateDir::new(tmp.path());
    std::fs::write(dir.journal_path("web", "torn-mid"), "garbage\n{}\n").unwrap();
    let (code, out, err) = exec(&cmd(tmp.path(), Some("web"), true));
    assert_eq!(code, 0);
    assert!(err.starts_with("warning: left out: journal "), "{err}");
    assert!(err.contains("torn-mid.jsonl"), "{err}");
    let json: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["roles"][0]["runs"].as_array().unwrap().len(), 2);
}

#[test]
fn an_empty_state_dir_prints_that_nothing_was_recorded() {
    let tmp = tempfile::tempdir().unwrap();
    let mut c = cmd(tmp.path(), None, false);
    c.known_roles.clear();
    let (code, out, _) = exec(&c);
    assert_eq!((code, out.as_str()), (0, "no runs recorded\n"));
}
