//! Failure handling against the emulator: throttling (429 + Retry-After, capped, reported),
//! 500 and dropped connections retried, a failing status URL treated as "unreadable",
//! 409 ConflictingUserInput during the release lag returned at once with code and request id,
//! preemption of one write by another on the same VM, 403 for a Reader's write.

mod azure_support;

use azure_support::*;
use baton::azure::{ArmError, ArmEvent, LroEnd, WriteStatus};
use baton::core::model::{EndpointKind, EndpointSpec};
use serde_json::json;
use std::time::Duration;

fn retries(events: &[ArmEvent]) -> Vec<(&str, u32, Duration, &ArmError)> {
    events
        .iter()
        .filter_map(|e| match e {
            ArmEvent::Retry {
                operation,
                attempt,
                wait,
                cause,
            } => Some((operation.as_str(), *attempt, *wait, cause)),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn throttled_write_is_retried_after_capped_retry_after_and_reported() {
    let emu = start(200.0).await;
    fault(
        &emu,
        json!({"method": "POST", "path_contains": "attachDetachDataDisks", "kind": "respond",
               "status": 429, "code": "TooManyRequests", "message": "slow down", "retry_after": 1}),
    )
    .await;
    let (progress, mut rx) = progress();
    let arm = arm(&emu).with_progress(progress);
    let out = arm
        .detach_disks(RG, "web-a", &["web-data"], false)
        .await
        .unwrap();
    assert_eq!(out.status, WriteStatus::Applied);
    assert_eq!(out.attempts, 2);
    assert_eq!(
        out.request_ids.len(),
        2,
        "the throttled request's id is kept too"
    );

    let events = drain(&mut rx);
    let r = retries(&events);
    assert_eq!(r.len(), 1, "{events:?}");
    let (_, attempt, wait, cause) = r[0];
    assert_eq!(attempt, 2);
    // Retry-After: 1 s, capped by the test policy at 100 ms.
    assert_eq!(wait, Duration::from_millis(100));
    assert_eq!(cause.status(), Some(429));
    assert_eq!(cause.code(), Some("TooManyRequests"));
    assert!(cause.request_id().is_some());
    let posts = matching(&requests(&emu).await, Some("POST"), "attachDetachDataDisks").len();
    assert_eq!(posts, 2);
    emu.shutdown().await;
}

#[tokio::test]
async fn server_error_on_a_read_is_retried_with_backoff() {
    let emu = start(200.0).await;
    fault(
        &emu,
        json!({"method": "GET", "path_contains": "networkInterfaces/web-a-nic", "kind": "respond",
               "status": 500, "code": "InternalServerError", "count": 2}),
    )
    .await;
    let (progress, mut rx) = progress();
    let reader = reader_with(&emu, emu.token()).with_progress(progress);
    let nic = reader.get_nic(RG, "web-a-nic").await.unwrap();
    assert_eq!(nic.name, "web-a-nic");
    let events = drain(&mut rx);
    let r = retries(&events);
    assert_eq!(r.len(), 2);
    // No Retry-After on a 500: deterministic backoff 5 ms, then 10 ms.
    assert_eq!((r[0].1, r[0].2), (2, Duration::from_millis(5)));
    assert_eq!((r[1].1, r[1].2), (3, Duration::from_millis(10)));
    assert_eq!(r[0].3.status(), Some(500));
    emu.shutdown().await;
}

#[tokio::test]
async fn retries_give_up_with_the_last_error() {
    let emu = start(200.0).await;
    fault(
        &emu,
        json!({"method": "GET", "path_contains": "/disks/web-data", "kind": "respond",
               "status": 503, "code": "ServerBusy", "retry_after": 0, "count": 10}),
    )
    .await;
    let err = reader_with(&emu, emu.token())
        .get_disk(RG, "web-data")
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert_eq!(err.code(), Some("ServerBusy"));
    assert_eq!(
        matching(&requests(&emu).await, Some("GET"), "/disks/web-data").len(),
        4
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn dropped_connection_is_retried() {
    let emu = start(200.0).await;
    fault(
        &emu,
        json!({"method": "PUT", "path_contains": "networkInterfaces/web-a-nic", "kind": "drop"}),
    )
    .await;
    let (progress, mut rx) = progress();
    let arm = arm(&emu).with_progress(progress);
    let spec = EndpointSpec {
        load_balancer: LB.into(),
        resource_group: RG.into(),
        kind: EndpointKind::NatRule("web-app".into()),
    };
    let out = arm.remove_endpoint(RG, "web-a-nic", &spec).await.unwrap();
    assert_eq!(out.status, WriteStatus::Applied);
    assert_eq!(out.attempts, 2);
    let events = drain(&mut rx);
    let r = retries(&events);
    assert_eq!(r.len(), 1);
    assert!(matches!(r[0].3, ArmError::Transport { .. }), "{:?}", r[0].3);
    assert!(events.iter().any(|e| matches!(e,
        ArmEvent::Request { method, status: None, .. } if method == "PUT")));
    let s = state(&emu).await;
    assert_eq!(entry(&s, "nics", "web-a-nic")["nat_rules"], json!([]));
    emu.shutdown().await;
}

#[tokio::test]
async fn attach_during_release_is_409_not_retried_with_code_and_request_id() {
    // Slow enough that the detach is surely still running when the attach arrives.
    let emu = start(20.0).await;
    let arm = arm(&emu);
    let detacher = arm.clone();
    let detach = tokio::spawn(async move {
        detacher
            .detach_disks(RG, "web-a", &["web-data"], false)
            .await
    });
    wait_request(&emu, "POST", "virtualMachines/web-a/attachDetachDataDisks").await;

    let err = arm
        .attach_disks(RG, "web-b", &[("web-data", 0)])
        .await
        .unwrap_err();
    let ArmError::Http(http) = &err else {
        panic!("expected HTTP 409, got {err:?}");
    };
    assert_eq!(http.status, 409);
    assert!(
        http.code == "ConflictingUserInput" || http.code == "AttachDiskWhileBeingDetached",
        "{}",
        http.code
    );
    assert!(!http.message.is_empty());
    let id = http.request_id.as_deref().expect("request id kept");
    let log = requests(&emu).await;
    let attaches = matching(
        &log,
        Some("POST"),
        "virtualMachines/web-b/attachDetachDataDisks",
    );
    assert_eq!(attaches.len(), 1, "409 is not retried");
    assert_eq!(attaches[0]["request_id"], id);
    assert_eq!(attaches[0]["status"], 409);

    let out = detach.await.unwrap().unwrap();
    assert_eq!(out.status, WriteStatus::Applied);
    emu.shutdown().await;
}

#[tokio::test]
async fn preempted_write_is_rerun_and_converges() {
    let emu = start(20.0).await;
    let (progress, mut rx) = progress();
    let first = arm(&emu).with_progress(progress);
    let task =
        tokio::spawn(async move { first.detach_disks(RG, "web-a", &["web-data"], false).await });
    wait_request(&emu, "POST", "virtualMachines/web-a/attachDetachDataDisks").await;
    // A second update of the same VM (a human tagging it) preempts the first.
    let url = format!(
        "{}subscriptions/{}/resourceGroups/{RG}/providers/Microsoft.Compute/virtualMachines/web-a?api-version=2024-07-01",
        emu.base_url(),
        emu.subscription_id()
    );
    let resp = reqwest::Client::new()
        .patch(url)
        .header("authorization", format!("Bearer {}", emu.token()))
        .json(&json!({"tags": {"drill": "1"}}))
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{}", resp.status());

    let out = task.await.unwrap().unwrap();
    let events = drain(&mut rx);
    let preempted = retries(&events).into_iter().any(|(_, _, _, cause)| {
        matches!(cause, ArmError::Operation { end: LroEnd::Canceled, code, .. } if code == "OperationPreempted")
    });
    assert!(preempted, "{events:?}");
    assert!(out.attempts >= 2);
    let s = state(&emu).await;
    assert_eq!(entry(&s, "vms", "web-a")["data_disks"], json!([]));
    emu.shutdown().await;
}

#[tokio::test]
async fn reader_identity_gets_403_on_writes_and_changes_nothing() {
    let emu = start(200.0).await;
    let arm = arm_with(&emu, emu.reader_token());
    let err = arm.power_off(RG, "web-b").await.unwrap_err();
    assert_eq!(err.status(), Some(403));
    assert_eq!(err.code(), Some("AuthorizationFailed"));
    assert!(err.request_id().is_some());
    let log = requests(&emu).await;
    assert_eq!(matching(&log, Some("POST"), "powerOff").len(), 1);
    let s = state(&emu).await;
    assert_eq!(entry(&s, "vms", "web-b")["power"], "running");
    emu.shutdown().await;
}

#[tokio::test]
async fn failing_status_url_is_unreadable_not_failed() {
    let emu = start(200.0).await;
    fault(
        &emu,
        json!({"method": "GET", "path_contains": "/operations/", "kind": "respond",
               "status": 500, "code": "InternalServerError", "count": 2}),
    )
    .await;
    let (progress, mut rx) = progress();
    let arm = arm(&emu).with_progress(progress);
    let out = arm.power_off(RG, "web-b").await.unwrap();
    assert_eq!(out.status, WriteStatus::Applied);
    assert_eq!(out.attempts, 1, "the write itself was not re-sent");
    let events = drain(&mut rx);
    let r = retries(&events);
    assert_eq!(r.len(), 2, "{events:?}");
    assert!(r
        .iter()
        .all(|(op, _, _, cause)| op.starts_with("read status of") && cause.status() == Some(500)));
    assert_eq!(
        matching(&requests(&emu).await, Some("POST"), "powerOff").len(),
        1
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn status_url_failing_too_long_is_reported_as_unreadable() {
    let emu = start(200.0).await;
    fault(
        &emu,
        json!({"method": "GET", "path_contains": "/operations/", "kind": "respond",
               "status": 404, "code": "NotFound", "count": 50}),
    )
    .await;
    let err = arm(&emu).power_off(RG, "web-b").await.unwrap_err();
    match &err {
        ArmError::StatusUnreadable { attempts, last, .. } => {
            assert_eq!(*attempts, 6);
            assert_eq!(last.status(), Some(404));
        }
        other => panic!("expected StatusUnreadable, got {other:?}"),
    }
    assert!(
        !err.is_retryable(),
        "the outcome is unknown: never re-send blindly"
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn slow_operation_times_out_with_last_status() {
    // Real-time latencies (speed 1): a detach takes seconds, the poll timeout is 30 ms.
    let emu = start(1.0).await;
    let mut poll = fast_poll();
    poll.timeout = Duration::from_millis(30);
    let arm = arm(&emu).with_poll(poll);
    let err = arm
        .detach_disks(RG, "web-a", &["web-data"], false)
        .await
        .unwrap_err();
    match &err {
        ArmError::OperationTimeout {
            last_status,
            request_id,
            operation_url,
            ..
        } => {
            assert_eq!(last_status, "InProgress");
            assert!(request_id.is_some());
            assert!(operation_url.contains("/operations/"));
        }
        other => panic!("expected OperationTimeout, got {other:?}"),
    }
    emu.shutdown().await;
}
