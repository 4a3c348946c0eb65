//! A failover and a failback must leave every NIC property baton does not own exactly as it
//! was: network security group, application security groups, a static private IP, auxiliary
//! mode and SKU, tags and a property no model knows. Only the endpoint reference moves.

mod failover_support;

use baton::core::operation::Outcome;
use baton::core::plan::OperationKind;
use baton::emulator::EmulatorHandle;
use baton::failover::{Request, RunEnd, StateDir};
use failover_support::*;
use serde_json::{json, Value};
use tokio::sync::watch;

const API: &str = "api-version=2024-03-01";

fn nic_url(emu: &EmulatorHandle, nic: &str) -> String {
    format!(
        "{}subscriptions/{}/resourceGroups/rg-contoso/providers/Microsoft.Network/networkInterfaces/{nic}?{API}",
        emu.base_url(),
        emu.subscription_id()
    )
}

async fn get_nic(emu: &EmulatorHandle, nic: &str) -> Value {
    let resp = reqwest::Client::new()
        .get(nic_url(emu, nic))
        .bearer_auth(emu.token())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    resp.json().await.unwrap()
}

/// Adds everything a real NIC may carry that baton does not own, then waits for the PUT's end.
async fn decorate(emu: &EmulatorHandle, nic: &str, ip: &str) {
    let mut body = get_nic(emu, nic).await;
    let sub = emu.subscription_id();
    let rg = format!("/subscriptions/{sub}/resourceGroups/rg-contoso/providers/Microsoft.Network");
    body["tags"] = json!({"team": "payments", "tier": "gold"});
    body["futureTopLevel"] = json!({"kept": true});
    let props = &mut body["properties"];
    props["networkSecurityGroup"] = json!({"id": format!("{rg}/networkSecurityGroups/nsg-web")});
    props["auxiliaryMode"] = json!("AcceleratedConnections");
    props["auxiliarySku"] = json!("A2");
    props["propertyNoModelKnows"] = json!({"nested": [1, 2, {"deep": "yes"}]});
    let ipc = &mut props["ipConfigurations"][0]["properties"];
    ipc["privateIPAllocationMethod"] = json!("Static");
    ipc["privateIPAddress"] = json!(ip);
    ipc["applicationSecurityGroups"] = json!([
        {"id": format!("{rg}/applicationSecurityGroups/asg-web")},
        {"id": format!("{rg}/applicationSecurityGroups/asg-db")}
    ]);
    let resp = reqwest::Client::new()
        .put(nic_url(emu, nic))
        .bearer_auth(emu.token())
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        200,
        "{}",
        resp.text().await.unwrap_or_default()
    );
    for _ in 0..500 {
        if get_nic(emu, nic).await["properties"]["provisioningState"] == "Succeeded" {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("NIC PUT on {nic} never finished");
}

/// The NIC without what legitimately changes on every write (etags) and, when `refs` is
/// false, without the load balancer reference arrays.
fn comparable(mut nic: Value, refs: bool) -> Value {
    if let Some(o) = nic.as_object_mut() {
        o.remove("etag");
    }
    if let Some(configs) = nic["properties"]["ipConfigurations"].as_array_mut() {
        for c in configs {
            if let Some(o) = c.as_object_mut() {
                o.remove("etag");
            }
            if let (false, Some(p)) = (refs, c["properties"].as_object_mut()) {
                p.remove("loadBalancerInboundNatRules");
                p.remove("loadBalancerBackendAddressPools");
            }
        }
    }
    nic
}

async fn run(
    emu: &EmulatorHandle,
    config: &baton::config::Config,
    dir: &StateDir,
    req: Request,
    to: &str,
) {
    let (exec, _rx) = executor(emu, config, dir, "web", 4096);
    let plan = exec.plan(&req).await.unwrap();
    assert!(plan.can_confirm(), "blockers: {:?}", plan.blockers);
    assert_eq!(plan.to.as_deref(), Some(to));
    let (_abort_tx, abort) = watch::channel(false);
    let report = exec.run(&req, &plan, "--yes", abort).await.unwrap();
    assert_eq!(
        report.end,
        RunEnd::Finished(Outcome::Succeeded),
        "{report:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failover_and_failback_keep_every_nic_property() {
    let (emu, config) = start().await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = StateDir::new(tmp.path());
    decorate(&emu, "web-a-nic", "10.0.0.41").await;
    decorate(&emu, "web-b-nic", "10.0.0.42").await;
    let a0 = get_nic(&emu, "web-a-nic").await;
    let b0 = get_nic(&emu, "web-b-nic").await;
    assert_eq!(a0["properties"]["auxiliarySku"], "A2", "{a0}");

    chaos(&emu, "web-a", "kill-service").await;
    run(
        &emu,
        &config,
        &dir,
        Request::new(OperationKind::Failover),
        "web-b",
    )
    .await;
    assert_master(&emu, &config, "web", "web-b").await;
    let (a1, b1) = (
        get_nic(&emu, "web-a-nic").await,
        get_nic(&emu, "web-b-nic").await,
    );
    assert_eq!(comparable(a1, false), comparable(a0.clone(), false));
    assert_eq!(comparable(b1, false), comparable(b0.clone(), false));

    let back = Request {
        override_cooldown: Some("failback".into()),
        ..Request::new(OperationKind::Switchover)
    };
    run(&emu, &config, &dir, back, "web-a").await;
    assert_master(&emu, &config, "web", "web-a").await;
    let (a2, b2) = (
        get_nic(&emu, "web-a-nic").await,
        get_nic(&emu, "web-b-nic").await,
    );
    assert_eq!(comparable(a2, true), comparable(a0, true));
    assert_eq!(comparable(b2, true), comparable(b0, true));
    emu.shutdown().await;
}
