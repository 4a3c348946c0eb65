//! Writes and their long-running operations: header and body shapes per write kind, the
//! release lag, AttachDiskWhileBeingDetached, preemption, run commands, etags, LUNs.

mod emulator_support;

use baton::emulator::{Range, Scenario};
use emulator_support::{find, header, Env};
use reqwest::Method;
use serde_json::{json, Value};

fn slow(f: impl FnOnce(&mut Scenario)) -> Scenario {
    let mut s = Scenario::contoso();
    f(&mut s);
    s
}

async fn detach_body(env: &Env, disk: &str) -> Value {
    json!({"dataDisksToAttach": [], "dataDisksToDetach": [{"diskId": env.disk_id(disk)}]})
}

fn attach_body(env: &Env, disk: &str, lun: i32) -> Value {
    json!({"dataDisksToAttach": [{"diskId": env.disk_id(disk), "lun": lun}], "dataDisksToDetach": []})
}

/// Check the 202 shape of a compute POST action; returns (Azure-AsyncOperation, Location).
fn accepted(resp: &reqwest::Response) -> (String, String) {
    assert_eq!(resp.status(), 202);
    assert_eq!(header(resp, "content-length").as_deref(), Some("0"));
    let aso = header(resp, "azure-asyncoperation").expect("Azure-AsyncOperation");
    let loc = header(resp, "location").expect("Location");
    assert_eq!(loc, format!("{aso}&monitor=true"));
    assert!(aso.contains("/providers/Microsoft.Compute/locations/westeurope/operations/"));
    assert!(header(resp, "retry-after").is_some());
    (aso, loc)
}

#[tokio::test]
async fn attach_detach_lro_shapes_and_release_lag() {
    let env = Env::with(
        slow(|s| s.latencies.release_lag = Range::new(200.0, 200.0)),
        200.0,
    )
    .await;
    let resp = env
        .post(
            &env.vm_action("web-a", "attachDetachDataDisks"),
            detach_body(&env, "web-data").await,
        )
        .await;
    let (aso, loc) = accepted(&resp);
    let running = env.get(&loc).await;
    if running.status() == 202 {
        assert!(header(&running, "location").is_some());
        assert!(header(&running, "retry-after").is_some());
        assert_eq!(running.text().await.expect("body"), "");
    }
    let vm = env.get_json(&env.vm("web-a")).await;
    let prov = vm["properties"]["provisioningState"]
        .as_str()
        .expect("state")
        .to_string();
    let status = env.wait_op(&aso).await;
    assert_eq!(status["status"], "Succeeded", "{status}");
    assert!(
        status["startTime"].is_string()
            && status["endTime"].is_string()
            && status["name"].is_string()
    );
    if prov != "Succeeded" {
        assert_eq!(prov, "Updating");
    }
    let done = env.get(&loc).await;
    assert_eq!(done.status(), 200);
    let profile: Value = done.json().await.expect("storage profile");
    assert_eq!(profile["dataDisks"].as_array().map(Vec::len), Some(0));
    assert!(profile["osDisk"].is_object());

    // Detach reported Succeeded, but the disk still says it belongs to web-a for the lag.
    let disk = env.get_json(&env.disk("web-data")).await;
    assert!(disk["managedBy"]
        .as_str()
        .expect("still managed")
        .ends_with("/web-a"));
    assert_eq!(disk["properties"]["diskState"], "Attached");
    let resp = env
        .post(
            &env.vm_action("web-b", "attachDetachDataDisks"),
            attach_body(&env, "web-data", 0),
        )
        .await;
    assert_eq!(resp.status(), 409);
    assert_eq!(
        header(&resp, "x-ms-error-code").as_deref(),
        Some("ConflictingUserInput")
    );
    assert!(header(&resp, "retry-after").is_none());
    let body: Value = resp.json().await.expect("json");
    assert!(body["error"]["message"]
        .as_str()
        .expect("msg")
        .contains("already owned by VM"));

    env.wait_state("disk released", |st| {
        find(&st["disks"], "web-data")["managed_by"].is_null()
    })
    .await;
    let disk = env.get_json(&env.disk("web-data")).await;
    assert!(disk.get("managedBy").is_none());
    assert_eq!(disk["properties"]["diskState"], "Unattached");
    let resp = env
        .post(
            &env.vm_action("web-b", "attachDetachDataDisks"),
            attach_body(&env, "web-data", 0),
        )
        .await;
    let (aso, _) = accepted(&resp);
    assert_eq!(env.wait_op(&aso).await["status"], "Succeeded");
    let disk = env.get_json(&env.disk("web-data")).await;
    assert!(disk["managedBy"]
        .as_str()
        .expect("managed")
        .ends_with("/web-b"));
}

#[tokio::test]
async fn attach_while_detach_runs_is_refused() {
    let env = Env::with(
        slow(|s| s.latencies.disk_detach = Range::new(2000.0, 2000.0)),
        200.0,
    )
    .await;
    let resp = env
        .post(
            &env.vm_action("app-a", "attachDetachDataDisks"),
            detach_body(&env, "app-data").await,
        )
        .await;
    accepted(&resp);
    let vm = env.get_json(&env.vm("app-a")).await;
    assert_eq!(vm["properties"]["provisioningState"], "Updating");
    assert_eq!(
        vm["properties"]["storageProfile"]["dataDisks"][0]["toBeDetached"],
        true
    );
    let resp = env
        .post(
            &env.vm_action("app-b", "attachDetachDataDisks"),
            attach_body(&env, "app-data", 0),
        )
        .await;
    assert_eq!(resp.status(), 409);
    assert_eq!(
        header(&resp, "x-ms-error-code").as_deref(),
        Some("AttachDiskWhileBeingDetached")
    );
}

#[tokio::test]
async fn vm_patch_to_be_detached_answers_200_updating_with_async_operation() {
    let env = Env::start(200.0).await;
    let vm = env.get_json(&env.vm("gateway-a")).await;
    let etag = vm["etag"].as_str().expect("etag").to_string();
    let mut disks = vm["properties"]["storageProfile"]["dataDisks"].clone();
    disks[0]["toBeDetached"] = json!(true);
    let body = json!({"properties": {"storageProfile": {"dataDisks": disks}}});

    let stale = env
        .http
        .patch(env.vm("gateway-a"))
        .bearer_auth(env.emu.token())
        .header("if-match", "\"999\"")
        .json(&body)
        .send()
        .await
        .expect("answer");
    assert_eq!(stale.status(), 412);
    assert_eq!(
        header(&stale, "x-ms-error-code").as_deref(),
        Some("PreconditionFailed")
    );

    let resp = env
        .http
        .patch(env.vm("gateway-a"))
        .bearer_auth(env.emu.token())
        .header("if-match", etag.as_str())
        .json(&body)
        .send()
        .await
        .expect("answer");
    assert_eq!(resp.status(), 200);
    let aso = header(&resp, "azure-asyncoperation").expect("Azure-AsyncOperation");
    assert!(header(&resp, "location").is_none());
    assert!(header(&resp, "retry-after").is_none());
    let answer: Value = resp.json().await.expect("vm");
    assert_eq!(answer["properties"]["provisioningState"], "Updating");
    assert_ne!(answer["etag"], etag.as_str());
    assert_eq!(env.wait_op(&aso).await["status"], "Succeeded");
    let vm = env.get_json(&env.vm("gateway-a")).await;
    assert_eq!(vm["properties"]["provisioningState"], "Succeeded");
    assert_eq!(
        vm["properties"]["storageProfile"]["dataDisks"]
            .as_array()
            .map(Vec::len),
        Some(0)
    );
}

#[tokio::test]
async fn vm_put_adding_a_disk_attaches_it_and_checks_luns() {
    let env = Env::start(200.0).await;
    // Free db-log from db-a first.
    let resp = env
        .post(
            &env.vm_action("db-a", "attachDetachDataDisks"),
            detach_body(&env, "db-log").await,
        )
        .await;
    let (aso, _) = accepted(&resp);
    env.wait_op(&aso).await;
    env.wait_state("db-log free", |st| {
        find(&st["disks"], "db-log")["managed_by"].is_null()
    })
    .await;

    let mut vm = env.get_json(&env.vm("db-b")).await;
    vm["properties"]["storageProfile"]["dataDisks"] = json!([
        {"lun": 0, "name": "db-log", "createOption": "Attach", "managedDisk": {"id": env.disk_id("db-log")}},
        {"lun": 0, "name": "web-data", "createOption": "Attach", "managedDisk": {"id": env.disk_id("web-data")}}
    ]);
    let resp = env
        .send(Method::PUT, &env.vm("db-b"), Some(vm.clone()))
        .await;
    // web-data is owned by web-a: the whole PUT is refused and nothing is attached.
    assert_eq!(resp.status(), 409);
    assert_eq!(
        header(&resp, "x-ms-error-code").as_deref(),
        Some("ConflictingUserInput")
    );
    assert!(find(&env.state().await["disks"], "db-log")["managed_by"].is_null());

    vm["properties"]["storageProfile"]["dataDisks"] = json!([
        {"lun": 1, "name": "db-log", "createOption": "Attach", "managedDisk": {"id": env.disk_id("db-log")}}
    ]);
    let resp = env
        .send(Method::PUT, &env.vm("db-b"), Some(vm.clone()))
        .await;
    assert_eq!(resp.status(), 200);
    let aso = header(&resp, "azure-asyncoperation").expect("aso");
    assert_eq!(env.wait_op(&aso).await["status"], "Succeeded");
    let st = env.state().await;
    assert_eq!(find(&st["disks"], "db-log")["managed_by"], "db-b");
    assert_eq!(
        find(&st["vms"], "db-b")["data_disks"],
        json!([{"name": "db-log", "lun": 1}])
    );

    // db-log now belongs to db-b.
    let resp = env
        .post(
            &env.vm_action("db-a", "attachDetachDataDisks"),
            json!({
                "dataDisksToAttach": [{"diskId": env.disk_id("db-log"), "lun": 1}]
            }),
        )
        .await;
    assert_eq!(resp.status(), 409);
    let free = env
        .post(
            &env.vm_action("gateway-b", "attachDetachDataDisks"),
            attach_body(&env, "gateway-data", 0),
        )
        .await;
    assert_eq!(free.status(), 409, "gateway-data is still on gateway-a");
}

#[tokio::test]
async fn lun_in_use_is_invalid_parameter() {
    let env = Env::start(200.0).await;
    let resp = env
        .post(
            &env.vm_action("web-a", "attachDetachDataDisks"),
            detach_body(&env, "app-data").await,
        )
        .await;
    // app-data is not on web-a: detaching it is a no-op that still runs an operation.
    accepted(&resp);
    // Move app-data off app-a, then try to put it on web-a at web-data's LUN.
    let resp = env
        .post(
            &env.vm_action("app-a", "attachDetachDataDisks"),
            detach_body(&env, "app-data").await,
        )
        .await;
    let (aso, _) = accepted(&resp);
    env.wait_op(&aso).await;
    env.wait_state("app-data free", |st| {
        find(&st["disks"], "app-data")["managed_by"].is_null()
    })
    .await;
    let resp = env
        .post(
            &env.vm_action("web-a", "attachDetachDataDisks"),
            attach_body(&env, "app-data", 0),
        )
        .await;
    assert_eq!(resp.status(), 400);
    assert_eq!(
        header(&resp, "x-ms-error-code").as_deref(),
        Some("InvalidParameter")
    );
}

#[tokio::test]
async fn newer_write_preempts_older_one() {
    let env = Env::with(
        slow(|s| s.latencies.disk_detach = Range::new(400.0, 400.0)),
        200.0,
    )
    .await;
    let first = env
        .post(
            &env.vm_action("web-a", "attachDetachDataDisks"),
            detach_body(&env, "web-data").await,
        )
        .await;
    let (first_aso, first_loc) = accepted(&first);
    let second = env
        .send(
            Method::PATCH,
            &env.vm("web-a"),
            Some(json!({"tags": {"drill": "yes"}})),
        )
        .await;
    assert_eq!(second.status(), 200);
    let second_aso = header(&second, "azure-asyncoperation").expect("aso");
    let old = env.get_json(&first_aso).await;
    assert_eq!(old["status"], "Canceled");
    assert_eq!(old["error"]["code"], "OperationPreempted");
    let loc = env.get(&first_loc).await;
    assert_eq!(loc.status(), 409);
    assert_eq!(
        header(&loc, "x-ms-error-code").as_deref(),
        Some("OperationPreempted")
    );
    // The pending detach is carried by the newer operation.
    assert_eq!(env.wait_op(&second_aso).await["status"], "Succeeded");
    let vm = env.get_json(&env.vm("web-a")).await;
    assert_eq!(
        vm["properties"]["storageProfile"]["dataDisks"]
            .as_array()
            .map(Vec::len),
        Some(0)
    );
    assert_eq!(vm["tags"]["drill"], "yes");
}

#[tokio::test]
async fn run_command_starts_and_stops_the_service() {
    let env = Env::start(200.0).await;
    let stop = json!({"commandId": "RunShellScript", "script": ["systemctl stop contoso-web"]});
    let resp = env
        .post(&env.vm_action("web-a", "runCommand"), stop.clone())
        .await;
    let (aso, loc) = accepted(&resp);
    let again = env.post(&env.vm_action("web-a", "runCommand"), stop).await;
    assert_eq!(again.status(), 409, "one run command at a time");
    assert_eq!(
        header(&again, "x-ms-error-code").as_deref(),
        Some("OperationNotAllowed")
    );
    let st = env.wait_op(&aso).await;
    assert_eq!(st["status"], "Succeeded");
    let result: Value = env.get(&loc).await.json().await.expect("result");
    assert_eq!(result["value"][0]["code"], "ProvisioningState/succeeded");
    assert!(result["value"][0]["message"]
        .as_str()
        .expect("msg")
        .starts_with("Enable succeeded: \n[stdout]\n"));
    assert_eq!(
        find(&env.state().await["vms"], "web-a")["service"],
        "stopped"
    );

    let echo = json!({"commandId": "RunShellScript", "script": ["echo hello", "uptime"]});
    let resp = env.post(&env.vm_action("web-b", "runCommand"), echo).await;
    let (aso, loc) = accepted(&resp);
    env.wait_op(&aso).await;
    let result: Value = env.get(&loc).await.json().await.expect("result");
    assert_eq!(
        result["value"][0]["message"],
        "Enable succeeded: \n[stdout]\necho hello\nuptime\n[stderr]\n"
    );

    let start = json!({"commandId": "RunShellScript", "script": ["systemctl start contoso-web"]});
    let resp = env.post(&env.vm_action("web-b", "runCommand"), start).await;
    let (aso, _) = accepted(&resp);
    env.wait_op(&aso).await;
    assert_eq!(
        find(&env.state().await["vms"], "web-b")["service"],
        "running"
    );
}

#[tokio::test]
async fn power_actions_follow_instance_view_and_block_run_command() {
    let env = Env::start(200.0).await;
    let resp = env
        .post(&env.vm_action("app-b", "powerOff"), json!({}))
        .await;
    let (aso, loc) = accepted(&resp);
    env.wait_op(&aso).await;
    let done = env.get(&loc).await;
    assert_eq!(done.status(), 200);
    assert_eq!(done.text().await.expect("body"), "");
    let iv = env.get_json(&env.vm_action("app-b", "instanceView")).await;
    assert!(iv["statuses"]
        .as_array()
        .expect("statuses")
        .iter()
        .any(|s| s["code"] == "PowerState/stopped"));
    let rc = env
        .post(
            &env.vm_action("app-b", "runCommand"),
            json!({"commandId": "RunShellScript", "script": ["true"]}),
        )
        .await;
    assert_eq!(rc.status(), 409);
    assert_eq!(
        header(&rc, "x-ms-error-code").as_deref(),
        Some("OperationNotAllowed")
    );

    let resp = env
        .post(&env.vm_action("app-a", "deallocate"), json!({}))
        .await;
    let (aso, _) = accepted(&resp);
    let mid = env.state().await;
    let power = find(&mid["vms"], "app-a")["power"]
        .as_str()
        .expect("power")
        .to_string();
    assert!(power == "deallocating" || power == "deallocated");
    env.wait_op(&aso).await;
    let disk = env.get_json(&env.disk("app-data")).await;
    assert_eq!(disk["properties"]["diskState"], "Reserved");
    let off = env
        .post(&env.vm_action("app-a", "powerOff"), json!({}))
        .await;
    assert_eq!(off.status(), 409);

    let resp = env.post(&env.vm_action("app-a", "start"), json!({})).await;
    let (aso, _) = accepted(&resp);
    env.wait_op(&aso).await;
    let st = env.state().await;
    assert_eq!(find(&st["vms"], "app-a")["power"], "running");
    assert_eq!(
        find(&st["vms"], "app-a")["service"],
        "stopped",
        "start does not start the app"
    );
}
