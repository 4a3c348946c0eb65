//! Faults, chaos with heartbeats, throttling, and reset.

mod emulator_support;

use baton::emulator::{BucketDef, Scenario};
use emulator_support::{find, header, Env};
use serde_json::{json, Value};
use std::time::Duration;

fn detach(env: &Env, disk: &str) -> Value {
    json!({"dataDisksToDetach": [{"diskId": env.disk_id(disk)}]})
}

#[tokio::test]
async fn respond_fault_answers_instead_of_serving_count_times() {
    let env = Env::start(200.0).await;
    let resp = env
        .control_post(
            "faults",
            json!({"method": "POST", "path_contains": "attachDetachDataDisks", "count": 2, "kind": "respond",
                   "status": 429, "code": "TooManyRequests", "message": "slow down", "retry_after": 7}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    for _ in 0..2 {
        let resp = env
            .post(
                &env.vm_action("web-a", "attachDetachDataDisks"),
                detach(&env, "web-data"),
            )
            .await;
        assert_eq!(resp.status(), 429);
        assert_eq!(header(&resp, "retry-after").as_deref(), Some("7"));
        assert_eq!(
            header(&resp, "x-ms-error-code").as_deref(),
            Some("TooManyRequests")
        );
        assert!(header(&resp, "x-ms-request-id").is_some());
        let body: Value = resp.json().await.expect("json");
        assert_eq!(body["error"]["message"], "slow down");
    }
    // GETs on the same VM were never matched (method filter), and the fault is now spent.
    assert_eq!(env.get(&env.vm("web-a")).await.status(), 200);
    let resp = env
        .post(
            &env.vm_action("web-a", "attachDetachDataDisks"),
            detach(&env, "web-data"),
        )
        .await;
    assert_eq!(resp.status(), 202);
    let log = env.control("requests").await;
    let statuses: Vec<u64> = log
        .as_array()
        .expect("log")
        .iter()
        .map(|e| e["status"].as_u64().unwrap_or(0))
        .collect();
    assert_eq!(statuses, vec![429, 429, 200, 202]);
}

#[tokio::test]
async fn drop_fault_closes_the_connection_without_answer() {
    let env = Env::start(200.0).await;
    env.control_post(
        "faults",
        json!([{"path_contains": "virtualMachines/web-b", "kind": "drop"}]),
    )
    .await;
    let err = env
        .http
        .get(env.vm("web-b"))
        .bearer_auth(env.emu.token())
        .send()
        .await
        .expect_err("no response");
    assert!(!err.is_status());
    assert_eq!(env.get(&env.vm("web-b")).await.status(), 200);
    let log = env.control("requests").await;
    assert_eq!(
        log[0]["status"], 0,
        "dropped requests are logged with status 0"
    );
}

#[tokio::test]
async fn fail_operation_fault_fails_the_lro_and_keeps_the_disk() {
    let env = Env::start(200.0).await;
    env.control_post(
        "faults",
        json!({"path_contains": "attachDetachDataDisks", "kind": "fail-operation", "status": 500,
               "code": "InternalExecutionError", "message": "boom"}),
    )
    .await;
    let resp = env
        .post(
            &env.vm_action("web-a", "attachDetachDataDisks"),
            detach(&env, "web-data"),
        )
        .await;
    assert_eq!(resp.status(), 202);
    let aso = header(&resp, "azure-asyncoperation").expect("aso");
    let loc = header(&resp, "location").expect("loc");
    let status = env.wait_op(&aso).await;
    assert_eq!(status["status"], "Failed");
    assert_eq!(status["error"]["code"], "InternalExecutionError");
    let final_resp = env.get(&loc).await;
    assert_eq!(final_resp.status(), 500);
    assert_eq!(
        header(&final_resp, "x-ms-error-code").as_deref(),
        Some("InternalExecutionError")
    );
    let st = env.state().await;
    assert_eq!(find(&st["vms"], "web-a")["provisioning_state"], "Failed");
    assert_eq!(find(&st["disks"], "web-data")["managed_by"], "web-a");
    // The last detach failed: attaching elsewhere is refused the way Azure refuses it.
    let resp = env
        .post(
            &env.vm_action("web-b", "attachDetachDataDisks"),
            json!({"dataDisksToAttach": [{"diskId": env.disk_id("web-data"), "lun": 0}]}),
        )
        .await;
    assert_eq!(resp.status(), 409);
    assert_eq!(
        header(&resp, "x-ms-error-code").as_deref(),
        Some("AttachDiskWhileBeingDetached")
    );
}

#[tokio::test]
async fn clearing_faults_disarms_them() {
    let env = Env::start(200.0).await;
    env.control_post(
        "faults",
        json!({"path_contains": "", "status": 503, "count": 100}),
    )
    .await;
    assert_eq!(env.get(&env.vm("web-a")).await.status(), 503);
    let url = format!("{}_emulator/faults", env.emu.base_url());
    let resp = env
        .http
        .delete(url)
        .header("content-type", "application/json")
        .send()
        .await
        .expect("delete");
    assert!(resp.status().is_success());
    assert_eq!(env.get(&env.vm("web-a")).await.status(), 200);
    let bad = env.control_post("faults", json!({"kind": "explode"})).await;
    assert_eq!(bad.status(), 400);
}

async fn beat(env: &Env, vm: &str, what: &str) -> Option<u16> {
    let url = format!("{}_vm/{vm}/{what}", env.emu.base_url());
    let fut = env.http.get(url).send();
    match tokio::time::timeout(Duration::from_millis(300), fut).await {
        Ok(Ok(resp)) => Some(resp.status().as_u16()),
        Ok(Err(e)) => panic!("heartbeat error {e}"),
        Err(_) => None,
    }
}

async fn chaos(env: &Env, vm: &str, action: &str) {
    let resp = env
        .control_post("chaos", json!({"vm": vm, "action": action}))
        .await;
    assert_eq!(resp.status(), 200, "{action}");
}

#[tokio::test]
async fn chaos_and_heartbeats() {
    let env = Env::start(200.0).await;
    assert_eq!(beat(&env, "web-a", "ping").await, Some(200));
    assert_eq!(beat(&env, "web-a", "health").await, Some(200));
    assert_eq!(
        beat(&env, "web-b", "health").await,
        Some(503),
        "standby runs no service"
    );

    chaos(&env, "web-a", "kill-service").await;
    assert_eq!(beat(&env, "web-a", "ping").await, Some(200));
    assert_eq!(beat(&env, "web-a", "health").await, Some(503));
    chaos(&env, "web-a", "heal").await;
    assert_eq!(
        beat(&env, "web-a", "health").await,
        Some(200),
        "heal restarts the endpoint holder's service"
    );

    chaos(&env, "web-a", "hang-vm").await;
    assert_eq!(
        beat(&env, "web-a", "ping").await,
        None,
        "a hung VM never answers"
    );
    assert_eq!(beat(&env, "web-a", "health").await, None);
    // A held heartbeat is answered once the VM is healed.
    let url = format!("{}_vm/web-a/ping", env.emu.base_url());
    let held = tokio::spawn({
        let http = env.http.clone();
        async move { http.get(url).send().await.map(|r| r.status().as_u16()) }
    });
    env.wait_state("hung", |st| find(&st["vms"], "web-a")["hung"] == true)
        .await;
    chaos(&env, "web-a", "heal").await;
    assert_eq!(held.await.expect("task").expect("answer"), 200);

    chaos(&env, "db-a", "stop-vm").await;
    assert_eq!(beat(&env, "db-a", "ping").await, Some(503));
    let iv = env.get_json(&env.vm_action("db-a", "instanceView")).await;
    assert!(iv["statuses"]
        .as_array()
        .expect("statuses")
        .iter()
        .any(|s| s["code"] == "PowerState/stopped"));
    chaos(&env, "db-a", "heal").await;
    assert_eq!(beat(&env, "db-a", "ping").await, Some(200));
    assert_eq!(beat(&env, "db-a", "health").await, Some(200));

    let unknown = env
        .control_post("chaos", json!({"vm": "nope", "action": "heal"}))
        .await;
    assert_eq!(unknown.status(), 404);
}

#[tokio::test]
async fn reset_restores_the_initial_world() {
    let env = Env::start(200.0).await;
    chaos(&env, "app-a", "stop-vm").await;
    env.control_post("faults", json!({"path_contains": "zzz"}))
        .await;
    let resp = env
        .post(
            &env.vm_action("app-a", "attachDetachDataDisks"),
            detach(&env, "app-data"),
        )
        .await;
    assert_eq!(resp.status(), 202);
    let resp = env.control_post("reset", json!({})).await;
    assert!(resp.status().is_success());
    let st = env.state().await;
    assert_eq!(find(&st["vms"], "app-a")["power"], "running");
    assert_eq!(
        find(&st["vms"], "app-a")["data_disks"],
        json!([{"name": "app-data", "lun": 0}])
    );
    assert_eq!(st["operations"], json!([]));
    assert_eq!(env.control("requests").await, json!([]));
}

#[tokio::test]
async fn empty_read_bucket_throttles_with_retry_after() {
    let mut scenario = Scenario::contoso();
    scenario.throttle.reads = BucketDef {
        capacity: 3.0,
        refill_per_sec: 0.0,
    };
    let env = Env::with(scenario, 200.0).await;
    for left in ["2", "1", "0"] {
        let resp = env.get(&env.vm("web-a")).await;
        assert_eq!(resp.status(), 200);
        assert_eq!(
            header(&resp, "x-ms-ratelimit-remaining-subscription-reads").as_deref(),
            Some(left)
        );
    }
    let resp = env.get(&env.vm("web-a")).await;
    assert_eq!(resp.status(), 429);
    assert_eq!(
        header(&resp, "x-ms-error-code").as_deref(),
        Some("SubscriptionRequestsThrottled")
    );
    assert!(header(&resp, "retry-after").is_some());
    // Writes have their own bucket.
    let resp = env.post(&env.vm_action("web-b", "start"), json!({})).await;
    assert_eq!(resp.status(), 202);
    assert!(header(&resp, "x-ms-ratelimit-remaining-subscription-writes").is_some());
}

#[tokio::test]
async fn compute_policy_exhaustion_is_operation_not_allowed() {
    let mut scenario = Scenario::contoso();
    scenario
        .throttle
        .compute_policies
        .insert("PutVM3Min".to_string(), 1);
    scenario.throttle.compute_window_secs = 1_000_000.0;
    let env = Env::with(scenario, 200.0).await;
    let resp = env.post(&env.vm_action("web-b", "start"), json!({})).await;
    assert_eq!(resp.status(), 202);
    assert_eq!(
        header(&resp, "x-ms-ratelimit-remaining-resource").as_deref(),
        Some("Microsoft.Compute/PutVM3Min;0")
    );
    let resp = env.post(&env.vm_action("web-b", "start"), json!({})).await;
    assert_eq!(resp.status(), 429);
    assert_eq!(
        header(&resp, "x-ms-error-code").as_deref(),
        Some("OperationNotAllowed")
    );
    assert!(header(&resp, "retry-after").is_some());
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["error"]["details"][0]["code"], "TooManyRequests");
}

fn ops_on<'a>(st: &'a Value, kind: &str, vm: &str) -> Vec<&'a str> {
    st["operations"]
        .as_array()
        .expect("operations")
        .iter()
        .filter(|o| o["kind"] == kind && o["target"] == vm)
        .filter_map(|o| o["status"].as_str())
        .collect()
}

#[tokio::test]
async fn stall_fault_holds_a_detach_from_a_hung_guest_until_a_power_action_preempts_it() {
    let env = Env::start(200.0).await;
    let stall = json!({"method": "POST", "path_contains": "attachDetachDataDisks",
        "kind": "stall-until-off", "count": 2});
    assert_eq!(env.control_post("faults", stall).await.status(), 200);

    // A guest that answers lets go: the fault is not taken, the detach ends as usual.
    let resp = env
        .post(
            &env.vm_action("app-a", "attachDetachDataDisks"),
            detach(&env, "app-data"),
        )
        .await;
    let aso = header(&resp, "azure-asyncoperation").expect("aso");
    assert_eq!(env.wait_op(&aso).await["status"], "Succeeded");

    // A hung guest never does: the detach outlasts a power-off of another VM that takes
    // longer than a detach (20 s vs 12.5 s emulated), and the disk stays attached.
    let hang = json!({"vm": "web-a", "action": "hang-vm"});
    assert_eq!(env.control_post("chaos", hang).await.status(), 200);
    let resp = env
        .post(
            &env.vm_action("web-a", "attachDetachDataDisks"),
            detach(&env, "web-data"),
        )
        .await;
    assert_eq!(resp.status(), 202);
    let stalled = header(&resp, "azure-asyncoperation").expect("aso");
    let off = env
        .post(&env.vm_action("app-b", "powerOff"), json!({}))
        .await;
    let off = header(&off, "azure-asyncoperation").expect("aso");
    assert_eq!(env.wait_op(&off).await["status"], "Succeeded");
    assert_eq!(env.get_json(&stalled).await["status"], "InProgress");
    let st = env.state().await;
    assert_eq!(find(&st["disks"], "web-data")["managed_by"], "web-a");

    // The power-off preempts it; the disk is still attached and a new detach goes through.
    let off = env
        .post(&env.vm_action("web-a", "powerOff"), json!({}))
        .await;
    let off = header(&off, "azure-asyncoperation").expect("aso");
    let canceled = env.get_json(&stalled).await;
    assert_eq!(canceled["status"], "Canceled");
    assert_eq!(canceled["error"]["code"], "OperationPreempted");
    assert_eq!(env.wait_op(&off).await["status"], "Succeeded");
    let resp = env
        .post(
            &env.vm_action("web-a", "attachDetachDataDisks"),
            detach(&env, "web-data"),
        )
        .await;
    let again = header(&resp, "azure-asyncoperation").expect("aso");
    assert_eq!(env.wait_op(&again).await["status"], "Succeeded");
    let st = env.state().await;
    assert_eq!(
        ops_on(&st, "attach-detach", "web-a"),
        ["Canceled", "Succeeded"]
    );
}

#[tokio::test]
async fn a_healed_guest_lets_a_stalled_detach_finish_and_force_detach_never_stalls() {
    let env = Env::start(200.0).await;
    let stall = json!({"method": "POST", "path_contains": "attachDetachDataDisks",
        "kind": "stall-until-off", "count": 2});
    assert_eq!(env.control_post("faults", stall).await.status(), 200);
    for vm in ["web-a", "app-a"] {
        let hang = json!({"vm": vm, "action": "hang-vm"});
        assert_eq!(env.control_post("chaos", hang).await.status(), 200);
    }
    let forced = json!({"dataDisksToDetach": [{"diskId": env.disk_id("app-data"),
        "detachOption": "ForceDetach"}]});
    let resp = env
        .post(&env.vm_action("app-a", "attachDetachDataDisks"), forced)
        .await;
    let aso = header(&resp, "azure-asyncoperation").expect("aso");
    assert_eq!(env.wait_op(&aso).await["status"], "Succeeded");

    let resp = env
        .post(
            &env.vm_action("web-a", "attachDetachDataDisks"),
            detach(&env, "web-data"),
        )
        .await;
    let stalled = header(&resp, "azure-asyncoperation").expect("aso");
    assert_eq!(env.get_json(&stalled).await["status"], "InProgress");
    let heal = json!({"vm": "web-a", "action": "heal"});
    assert_eq!(env.control_post("chaos", heal).await.status(), 200);
    assert_eq!(env.wait_op(&stalled).await["status"], "Succeeded");
}
