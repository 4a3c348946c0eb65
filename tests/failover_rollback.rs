//! Abort between steps, then roll back: before detach, the endpoint goes back to the old master
//! (`RestoreEndpoint`); after detach, the disks and endpoint go back (`ReattachOld`). Both end
//! `RolledBack` with web-a the healthy master again, journalled and audited.

mod failover_support;

use baton::core::operation::{OpEvent, Outcome, RollbackMode};
use baton::core::plan::{OperationKind, StepKind};
use baton::failover::{Journal, Request, RunEnd, StateDir};
use failover_support::*;
use tokio::sync::watch;

async fn abort_after(step: StepKind, mode: RollbackMode) {
    let (emu, config) = start().await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = StateDir::new(tmp.path());
    let (exec, mut rx) = executor(&emu, &config, &dir, "web", 1);
    let req = Request::new(OperationKind::Switchover);
    let plan = exec.plan(&req).await.unwrap();
    let (abort_tx, abort) = watch::channel(false);
    let run = exec.run(&req, &plan, "--yes", abort);
    tokio::pin!(run);
    let report = loop {
        tokio::select! {
            ev = rx.recv() => {
                if let Some(OpEvent::StepDone { step: s, .. } | OpEvent::StepSkipped { step: s, .. }) = ev {
                    if s == step {
                        abort_tx.send(true).unwrap();
                    }
                }
            }
            r = &mut run => break r.unwrap(),
        }
    };
    assert_eq!(report.end, RunEnd::Halted, "{report:?}");
    assert!(report.operation.rollback_options().contains(&mode));
    drop(rx);

    let ops = Journal::open_interrupted(&dir);
    assert_eq!(ops.len(), 1);
    let (exec, _rx) = executor(&emu, &config, &dir, "web", 10_000);
    let (_a, abort) = watch::channel(false);
    let back = exec
        .rollback(ops.into_iter().next().unwrap(), mode, &req, abort)
        .await
        .unwrap();
    assert_eq!(back.end, RunEnd::Finished(Outcome::RolledBack), "{back:?}");
    assert_master(&emu, &config, "web", "web-a").await;
    let audit = std::fs::read_to_string(dir.audit_path()).unwrap();
    assert!(audit.contains("\"event\":\"abort_requested\""));
    assert!(audit.contains("\"event\":\"rollback_chosen\""));
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abort_before_detach_restores_the_endpoint() {
    abort_after(StepKind::Isolate, RollbackMode::RestoreEndpoint).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abort_after_detach_reattaches_to_the_old_master() {
    abort_after(StepKind::Detach, RollbackMode::ReattachOld).await;
}
