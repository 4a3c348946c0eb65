//! Every write against the emulator, through baton's poller: to success (verified on the
//! emulator's world), to "already done" (nothing sent), and to an operation that ends Failed
//! (`fail-operation` fault) with its code and initiating request id kept.

mod azure_support;

use azure_support::*;
use baton::azure::{ArmError, ArmEvent, LroEnd, WriteStatus};
use baton::core::model::{EndpointKind, EndpointSpec};
use serde_json::json;

fn web_endpoint() -> EndpointSpec {
    EndpointSpec {
        load_balancer: LB.into(),
        resource_group: RG.into(),
        kind: EndpointKind::NatRule("web-app".into()),
    }
}

/// Asserts a Failed operation with this code whose initiating request is in the log.
async fn assert_failed(emu: &baton::emulator::EmulatorHandle, err: &ArmError, code: &str) {
    match err {
        ArmError::Operation {
            end,
            code: c,
            request_id,
            operation_url,
            ..
        } => {
            assert_eq!(*end, LroEnd::Failed);
            assert_eq!(c, code);
            assert!(!operation_url.is_empty());
            let id = request_id.as_deref().expect("initiating request id kept");
            let log = requests(emu).await;
            let initiating = log
                .iter()
                .find(|r| r["request_id"].as_str() == Some(id))
                .expect("request id is in the emulator's log");
            assert_ne!(initiating["method"], "GET");
        }
        other => panic!("expected a Failed operation, got {other:?}"),
    }
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn endpoint_moves_and_is_idempotent() {
    let emu = start(200.0).await;
    let (progress, mut rx) = progress();
    let arm = arm(&emu).with_progress(progress);
    let spec = web_endpoint();

    let moved = arm
        .move_endpoint(RG, "web-a-nic", "web-b-nic", &spec)
        .await
        .unwrap();
    assert_eq!(moved.removed.status, WriteStatus::Applied);
    assert_eq!(moved.added.status, WriteStatus::Applied);
    assert_eq!(moved.removed.request_ids.len(), 1);
    assert_eq!(moved.added.attempts, 1);

    let s = state(&emu).await;
    assert_eq!(entry(&s, "nics", "web-a-nic")["nat_rules"], json!([]));
    assert_eq!(
        entry(&s, "nics", "web-b-nic")["nat_rules"],
        json!(["web-app"])
    );
    let lb = arm.reader().get_load_balancer(RG, LB).await.unwrap();
    assert_eq!(lb.nat_rules["web-app"], vec!["web-b-nic"]);

    let again = arm.add_endpoint(RG, "web-b-nic", &spec).await.unwrap();
    assert_eq!(again.status, WriteStatus::AlreadyDone);
    assert!(again.request_ids.is_empty());
    let gone = arm.remove_endpoint(RG, "web-a-nic", &spec).await.unwrap();
    assert_eq!(gone.status, WriteStatus::AlreadyDone);
    assert_eq!(
        matching(&requests(&emu).await, Some("PUT"), "networkInterfaces").len(),
        2
    );

    let events = drain(&mut rx);
    assert!(events.iter().any(|e| matches!(e, ArmEvent::Poll { .. })));
    let finished = events
        .iter()
        .filter(|e| matches!(e, ArmEvent::Finished { .. }))
        .count();
    assert_eq!(finished, 4);
    assert!(events.iter().any(|e| matches!(e,
        ArmEvent::Request { method, status: Some(s), request_id: Some(_), .. }
            if method == "PUT" && (200..300).contains(s))));
    emu.shutdown().await;
}

#[tokio::test]
async fn endpoint_operation_failure_keeps_code() {
    let emu = start(200.0).await;
    fault(
        &emu,
        json!({"method": "PUT", "path_contains": "networkInterfaces/web-a-nic", "kind": "fail-operation",
               "code": "NetworkingInternalOperationError", "message": "boom"}),
    )
    .await;
    let err = arm(&emu)
        .remove_endpoint(RG, "web-a-nic", &web_endpoint())
        .await
        .unwrap_err();
    assert_failed(&emu, &err, "NetworkingInternalOperationError").await;
    assert_eq!(
        matching(&requests(&emu).await, Some("PUT"), "web-a-nic").len(),
        1
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn disks_detach_and_attach_elsewhere() {
    let emu = start(200.0).await;
    let arm = arm(&emu);

    let out = arm
        .detach_disks(RG, "web-a", &["web-data"], false)
        .await
        .unwrap();
    assert_eq!(out.status, WriteStatus::Applied);
    assert_eq!(out.request_ids.len(), 1);
    let log = requests(&emu).await;
    assert_eq!(
        matching(&log, Some("POST"), "attachDetachDataDisks").len(),
        1
    );
    // The release: baton waits on the disk itself (the plan's job; here a bounded poll).
    wait_state(&emu, |s| {
        entry(s, "disks", "web-data")["managed_by"].is_null()
    })
    .await;

    let out = arm
        .attach_disks(RG, "web-b", &[("web-data", 0)])
        .await
        .unwrap();
    assert_eq!(out.status, WriteStatus::Applied);
    let s = state(&emu).await;
    assert_eq!(
        entry(&s, "vms", "web-b")["data_disks"],
        json!([{"name": "web-data", "lun": 0}])
    );
    assert_eq!(entry(&s, "vms", "web-a")["data_disks"], json!([]));
    assert_eq!(entry(&s, "disks", "web-data")["managed_by"], "web-b");

    let again = arm
        .attach_disks(RG, "web-b", &[("web-data", 0)])
        .await
        .unwrap();
    assert_eq!(again.status, WriteStatus::AlreadyDone);
    let again = arm
        .detach_disks(RG, "web-a", &["web-data"], true)
        .await
        .unwrap();
    assert_eq!(again.status, WriteStatus::AlreadyDone);
    let vm = arm.reader().get_vm(RG, "web-b").await.unwrap();
    assert_eq!(vm.data_disks.len(), 1);
    emu.shutdown().await;
}

#[tokio::test]
async fn db_disks_move_together() {
    let emu = start(200.0).await;
    let arm = arm(&emu);
    arm.detach_disks(RG, "db-a", &["db-data", "db-log"], false)
        .await
        .unwrap();
    wait_state(&emu, |s| {
        entry(s, "disks", "db-data")["managed_by"].is_null()
            && entry(s, "disks", "db-log")["managed_by"].is_null()
    })
    .await;
    let out = arm
        .attach_disks(RG, "db-b", &[("db-data", 0), ("db-log", 1)])
        .await
        .unwrap();
    assert_eq!(out.status, WriteStatus::Applied);
    let vm = arm.reader().get_vm(RG, "db-b").await.unwrap();
    let mut luns: Vec<_> = vm
        .data_disks
        .iter()
        .map(|d| (d.name.clone(), d.lun))
        .collect();
    luns.sort();
    assert_eq!(luns, vec![("db-data".into(), 0), ("db-log".into(), 1)]);
    emu.shutdown().await;
}

#[tokio::test]
async fn disk_operation_failure_keeps_code() {
    let emu = start(200.0).await;
    fault(
        &emu,
        json!({"method": "POST", "path_contains": "attachDetachDataDisks", "kind": "fail-operation",
               "code": "InternalDiskManagementError", "message": "detach failed"}),
    )
    .await;
    let err = arm(&emu)
        .detach_disks(RG, "web-a", &["web-data"], false)
        .await
        .unwrap_err();
    assert_failed(&emu, &err, "InternalDiskManagementError").await;
    emu.shutdown().await;
}

#[tokio::test]
async fn run_command_returns_output_and_failure_keeps_code() {
    let emu = start(200.0).await;
    let arm = arm(&emu);
    let out = arm
        .run_command(RG, "web-a", "systemctl stop contoso-web")
        .await
        .unwrap();
    assert!(!out.code.is_empty());
    assert_eq!(out.request_ids.len(), 1);
    let s = wait_state(&emu, |s| entry(s, "vms", "web-a")["service"] == "stopped").await;
    assert_eq!(entry(&s, "vms", "web-a")["service"], "stopped");
    arm.run_command(RG, "web-a", "systemctl start contoso-web")
        .await
        .unwrap();
    let s = state(&emu).await;
    assert_eq!(entry(&s, "vms", "web-a")["service"], "running");

    fault(
        &emu,
        json!({"method": "POST", "path_contains": "runCommand", "kind": "fail-operation",
               "code": "VMAgentStatusCommunicationError", "message": "agent down"}),
    )
    .await;
    let err = arm.run_command(RG, "web-a", "true").await.unwrap_err();
    assert_failed(&emu, &err, "VMAgentStatusCommunicationError").await;
    emu.shutdown().await;
}

#[tokio::test]
async fn power_off_and_start() {
    let emu = start(200.0).await;
    let arm = arm(&emu);
    let out = arm.power_off(RG, "web-b").await.unwrap();
    assert_eq!(out.status, WriteStatus::Applied);
    let s = state(&emu).await;
    assert_eq!(entry(&s, "vms", "web-b")["power"], "stopped");
    assert_eq!(
        arm.power_off(RG, "web-b").await.unwrap().status,
        WriteStatus::AlreadyDone
    );
    let out = arm.start(RG, "web-b").await.unwrap();
    assert_eq!(out.status, WriteStatus::Applied);
    let s = state(&emu).await;
    assert_eq!(entry(&s, "vms", "web-b")["power"], "running");
    assert_eq!(
        arm.start(RG, "web-b").await.unwrap().status,
        WriteStatus::AlreadyDone
    );

    fault(
        &emu,
        json!({"method": "POST", "path_contains": "powerOff", "kind": "fail-operation",
               "code": "InternalExecutionError", "message": "no"}),
    )
    .await;
    let err = arm.power_off(RG, "web-b").await.unwrap_err();
    assert_failed(&emu, &err, "InternalExecutionError").await;
    emu.shutdown().await;
}
