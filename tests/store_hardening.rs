//! Durable-state hardening, against the emulator: state folders 0700 and files 0600 from
//! creation; an unwritable audit log refuses a switchover before any ARM write (and the
//! operator recorded once it works carries the OS uid and account); a journal that fails
//! mid-operation stops it with the command that resumes it, and the resume finishes; an audit
//! failure after the justifying records is in the run's report.

mod failover_support;
mod store_support;

#[path = "history_support/mod.rs"]
mod history_support;
mod ui_fixtures;

use baton::core::operation::Outcome;
use baton::core::plan::OperationKind;
use baton::failover::{ExecError, Journal, Request, RunEnd, StateDir};
use baton::headless::operation::{run, HeadlessArgs};
use baton::headless::Terminal;
use baton::store::LocalStore;
use failover_support::*;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;
use store_support::FailingStore;
use tokio::sync::watch;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

fn switchover_args(state: &Path) -> HeadlessArgs {
    HeadlessArgs {
        role: "web".into(),
        kind: OperationKind::Switchover,
        to: None,
        yes: true,
        json: false,
        resume: false,
        rollback: None,
        force_detach: false,
        override_cooldown: None,
        state_dir: Some(state.to_path_buf()),
        host_id: None,
    }
}

async fn headless(config: &baton::config::Config, args: &HeadlessArgs) -> (u8, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let mut input = std::io::Cursor::new(Vec::new());
    let term = Terminal {
        out: &mut out,
        err: &mut err,
        input: &mut input,
    };
    let code = run(config, args, term).await;
    (code, String::from_utf8(err).unwrap())
}

fn writes(log: &[serde_json::Value]) -> Vec<String> {
    log.iter()
        .filter(|r| r["method"] != "GET")
        .map(|r| format!("{} {}", r["method"], r["path"]))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unwritable_audit_log_refuses_the_switchover_before_any_write() {
    let (emu, config) = start().await;
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("state");
    // A directory where the log should be: no user, root included, can append to it.
    std::fs::create_dir_all(state.join("audit.jsonl")).unwrap();
    let args = switchover_args(&state);

    let (code, err) = headless(&config, &args).await;
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("refusing to switchover role web")
            && err.contains("confirmed record could not be written to the audit log")
            && err.contains("nothing was changed"),
        "{err}"
    );
    assert_eq!(writes(&requests(&emu).await), Vec::<String>::new());
    assert_master(&emu, &config, "web", "web-a").await;
    let dir = StateDir::new(&state);
    assert!(
        Journal::open_interrupted(&dir).is_empty(),
        "no operation begun"
    );

    // Once the log can be written the same command runs, and its records name the OS account.
    std::fs::remove_dir(state.join("audit.jsonl")).unwrap();
    let (code, err) = headless(&config, &args).await;
    assert_eq!(code, 0, "{err}");
    assert_master(&emu, &config, "web", "web-b").await;
    let text = std::fs::read_to_string(dir.audit_path()).unwrap();
    let confirmed: serde_json::Value = text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|r| r["event"] == "confirmed")
        .expect("a confirmed record");
    let uid = rustix::process::getuid().as_raw();
    assert_eq!(confirmed["operator"]["uid"], uid, "{confirmed}");
    assert!(
        !confirmed["operator"]["user"]
            .as_str()
            .unwrap_or_default()
            .is_empty(),
        "{confirmed}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journal_failing_mid_operation_stops_with_the_resume_command() {
    let (emu, config) = start().await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = StateDir::new(tmp.path().join("state"));
    let failing = Arc::new(FailingStore::new(&dir, 12, u64::MAX));
    let (tx, _rx) = tokio::sync::mpsc::channel(4096);
    let role = config.role("web").unwrap().clone();
    let exec = baton::failover::Executor::new(
        arm(&emu),
        role,
        failing.clone() as baton::store::SharedStore,
        operator(),
        options(&config),
        tx,
    );
    let req = Request::new(OperationKind::Switchover);
    let plan = exec.plan(&req).await.unwrap();
    let (_abort_tx, abort) = watch::channel(false);
    let err = exec.run(&req, &plan, "--yes", abort).await.unwrap_err();
    assert!(matches!(err, ExecError::StoppedByStore { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("No space left on device")
            && text.contains("resume it with `baton switchover web --resume`"),
        "{text}"
    );
    assert!(failing.journal_appends() >= 12);
    assert!(
        !writes(&requests(&emu).await).is_empty(),
        "it stopped mid-operation, after ARM writes"
    );
    let open = Journal::open_interrupted(&dir);
    assert_eq!(open.len(), 1, "the operation is unfinished");

    // The hint is right: a resume on a healthy disk finishes the move.
    let (exec, _rx) = executor(&emu, &config, &dir, "web", 4096);
    let (_abort_tx, abort) = watch::channel(false);
    let op = open.into_iter().next().unwrap();
    let report = exec.resume(op, &req, abort).await.unwrap();
    assert_eq!(report.end, RunEnd::Finished(Outcome::Succeeded));
    assert_master(&emu, &config, "web", "web-b").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_audit_failure_after_the_confirmation_is_in_the_report() {
    let (emu, config) = start().await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = StateDir::new(tmp.path());
    // The confirmation (1st record) is stored; every later one fails.
    let failing = Arc::new(FailingStore::new(&dir, u64::MAX, 2));
    let (tx, _rx) = tokio::sync::mpsc::channel(4096);
    let role = config.role("web").unwrap().clone();
    let exec = baton::failover::Executor::new(
        arm(&emu),
        role,
        failing as baton::store::SharedStore,
        operator(),
        options(&config),
        tx,
    );
    let req = Request::new(OperationKind::Switchover);
    let plan = exec.plan(&req).await.unwrap();
    let (_abort_tx, abort) = watch::channel(false);
    let report = exec.run(&req, &plan, "--yes", abort).await.unwrap();
    assert_eq!(report.end, RunEnd::Finished(Outcome::Succeeded));
    assert!(
        report
            .audit_lost
            .iter()
            .any(|m| m.contains("arm_call") && m.contains("No space left on device")),
        "{:?}",
        report.audit_lost
    );
    assert!(report.audit_lost.iter().any(|m| m.contains("finished")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_is_private_from_creation() {
    let (emu, config) = start().await;
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("state");
    let dir = StateDir::new(&root);
    let (exec, _rx) = executor(&emu, &config, &dir, "web", 4096);
    let req = Request::new(OperationKind::Switchover);
    let plan = exec.plan(&req).await.unwrap();
    let (_abort_tx, abort) = watch::channel(false);
    let report = exec.run(&req, &plan, "--yes", abort).await.unwrap();
    assert_eq!(report.end, RunEnd::Finished(Outcome::Succeeded));
    history_support::fill(&dir);

    let (_, drills) = ui_fixtures::history::specs();
    let record = &drills[0];
    let reports = baton::drill::report::write_reports(&dir.reports(), record, None, None).unwrap();
    let store = LocalStore::new(dir.clone());
    let timeline = baton::failover::timeline::export(
        &store,
        &dir.timelines(),
        "web",
        std::time::Duration::from_secs(300),
        time::OffsetDateTime::UNIX_EPOCH,
    )
    .await
    .unwrap();

    for folder in [
        root.clone(),
        dir.journals(),
        dir.journal_dir("web"),
        root.join("locks"),
        dir.drill_dir(&record.role),
        dir.reports(),
        dir.timelines(),
    ] {
        assert_eq!(mode(&folder), 0o700, "{}", folder.display());
    }
    for file in [
        dir.journal_path("web", &report.op_id),
        dir.lock_path("web"),
        dir.audit_path(),
        dir.drill_path(&record.role, &record.drill_id),
        reports.markdown,
        reports.json,
        timeline,
    ] {
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
}
