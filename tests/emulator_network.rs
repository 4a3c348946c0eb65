//! NIC PUT and load balancer back-references: shapes, NAT-rule exclusivity, one operation at a
//! time per NIC, etags.

mod emulator_support;

use baton::emulator::{Range, Scenario};
use emulator_support::{find, header, Env};
use reqwest::Method;
use serde_json::{json, Value};

/// The NIC body with the NAT rule list of ipconfig1 replaced (None removes the key entirely).
fn with_rules(nic: &Value, rules: Option<Value>) -> Value {
    let mut nic = nic.clone();
    let props = &mut nic["properties"]["ipConfigurations"][0]["properties"];
    match rules {
        Some(r) => props["loadBalancerInboundNatRules"] = r,
        None => {
            if let Some(o) = props.as_object_mut() {
                o.remove("loadBalancerInboundNatRules");
            }
        }
    }
    nic
}

#[tokio::test]
async fn nat_rule_moves_between_nics_and_lb_follows() {
    let mut scenario = Scenario::contoso();
    // Long enough that the second PUT surely lands while the first one runs.
    scenario.latencies.nic_update = Range::new(60.0, 60.0);
    let env = Env::with(scenario, 200.0).await;
    let nic_a = env.get_json(&env.nic("web-a-nic")).await;
    let nic_b = env.get_json(&env.nic("web-b-nic")).await;
    let rule = json!([{"id": env.nat_rule_id("web-app")}]);

    // The rule is held by web-a: web-b cannot take it.
    let resp = env
        .send(
            Method::PUT,
            &env.nic("web-b-nic"),
            Some(with_rules(&nic_b, Some(rule.clone()))),
        )
        .await;
    assert_eq!(resp.status(), 400);
    assert_eq!(
        header(&resp, "x-ms-error-code").as_deref(),
        Some("InboundNatRuleAlreadyInUse")
    );

    // Remove it from web-a: a missing array means empty.
    let resp = env
        .send(
            Method::PUT,
            &env.nic("web-a-nic"),
            Some(with_rules(&nic_a, None)),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let aso = header(&resp, "azure-asyncoperation").expect("Azure-AsyncOperation");
    assert!(aso.contains("/providers/Microsoft.Network/locations/westeurope/operations/"));
    assert!(header(&resp, "retry-after").is_none());
    let body: Value = resp.json().await.expect("nic");
    assert_eq!(body["properties"]["provisioningState"], "Updating");

    // A second PUT while the first runs.
    let busy = env
        .send(
            Method::PUT,
            &env.nic("web-a-nic"),
            Some(with_rules(&nic_a, None)),
        )
        .await;
    assert_eq!(busy.status(), 409);
    assert_eq!(
        header(&busy, "x-ms-error-code").as_deref(),
        Some("AnotherOperationInProgress")
    );

    let status = env.wait_op(&aso).await;
    assert_eq!(status["status"], "Succeeded");
    let lb = env.get_json(&env.lb()).await;
    assert!(
        find(&lb["properties"]["inboundNatRules"], "web-app")["properties"]
            .get("backendIPConfiguration")
            .is_none()
    );

    let resp = env
        .send(
            Method::PUT,
            &env.nic("web-b-nic"),
            Some(with_rules(&nic_b, Some(rule))),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let aso = header(&resp, "azure-asyncoperation").expect("aso");
    env.wait_op(&aso).await;
    let nic = env.get_json(&env.nic("web-b-nic")).await;
    assert_eq!(nic["properties"]["provisioningState"], "Succeeded");
    let lb = env.get_json(&env.lb()).await;
    let backend = find(&lb["properties"]["inboundNatRules"], "web-app")["properties"]
        ["backendIPConfiguration"]["id"]
        .as_str()
        .expect("backend")
        .to_string();
    assert!(backend.ends_with("/networkInterfaces/web-b-nic/ipConfigurations/ipconfig1"));
    let st = env.state().await;
    assert_eq!(
        find(&st["nics"], "web-b-nic")["nat_rules"],
        json!(["web-app"])
    );
    assert_eq!(find(&st["nics"], "web-a-nic")["nat_rules"], json!([]));
}

#[tokio::test]
async fn stale_etag_and_bad_reference_are_refused() {
    let env = Env::start(200.0).await;
    let nic = env.get_json(&env.nic("app-b-nic")).await;
    let resp = env
        .http
        .put(env.nic("app-b-nic"))
        .bearer_auth(env.emu.token())
        .header("if-match", "W/\"stale\"")
        .json(&nic)
        .send()
        .await
        .expect("answer");
    assert_eq!(resp.status(), 412);
    assert_eq!(
        header(&resp, "x-ms-error-code").as_deref(),
        Some("PreconditionFailed")
    );

    let bad = with_rules(&nic, Some(json!([{"id": env.nat_rule_id("no-such-rule")}])));
    let resp = env
        .send(Method::PUT, &env.nic("app-b-nic"), Some(bad))
        .await;
    assert_eq!(resp.status(), 400);
    assert_eq!(
        header(&resp, "x-ms-error-code").as_deref(),
        Some("InvalidResourceReference")
    );

    let etag = nic["etag"].as_str().expect("etag");
    let resp = env
        .http
        .put(env.nic("app-b-nic"))
        .bearer_auth(env.emu.token())
        .header("if-match", etag)
        .json(&nic)
        .send()
        .await
        .expect("answer");
    assert_eq!(resp.status(), 200);
}

/// Like Azure, a NIC PUT stores every property it is sent (known or not) and keeps only its
/// read-only fields under its own control; what a PUT leaves out is gone.
#[tokio::test]
async fn nic_put_stores_what_it_is_sent() {
    let env = Env::with(Scenario::contoso(), 200.0).await;
    let mut body = env.get_json(&env.nic("web-b-nic")).await;
    body["tags"] = json!({"team": "payments"});
    body["somethingNewTopLevel"] = json!(7);
    let props = &mut body["properties"];
    props["networkSecurityGroup"] = json!({"id": "/nsg/x"});
    props["auxiliaryMode"] = json!("Floating");
    props["auxiliarySku"] = json!("A1");
    props["unknownToEveryModel"] = json!({"a": [1, 2]});
    props["macAddress"] = json!("AA-BB-CC-DD-EE-FF");
    props["provisioningState"] = json!("Failed");
    let ipc = &mut props["ipConfigurations"][0]["properties"];
    ipc["privateIPAllocationMethod"] = json!("Static");
    ipc["privateIPAddress"] = json!("10.0.0.77");
    ipc["applicationSecurityGroups"] = json!([{"id": "/asg/y"}]);
    let resp = env
        .send(Method::PUT, &env.nic("web-b-nic"), Some(body.clone()))
        .await;
    assert_eq!(resp.status(), 200);
    let aso = header(&resp, "azure-asyncoperation").expect("Azure-AsyncOperation");
    assert_eq!(env.wait_op(&aso).await["status"], "Succeeded");

    let got = env.get_json(&env.nic("web-b-nic")).await;
    assert_eq!(got["tags"], body["tags"]);
    assert_eq!(got["somethingNewTopLevel"], 7);
    let (p, sent) = (&got["properties"], &body["properties"]);
    for key in [
        "networkSecurityGroup",
        "auxiliaryMode",
        "auxiliarySku",
        "unknownToEveryModel",
    ] {
        assert_eq!(p[key], sent[key], "{key} kept: {got}");
    }
    // Read-only fields stay Azure's.
    assert_ne!(p["macAddress"], "AA-BB-CC-DD-EE-FF");
    assert_eq!(p["provisioningState"], "Succeeded");
    let ip = &p["ipConfigurations"][0]["properties"];
    assert_eq!(ip["privateIPAllocationMethod"], "Static");
    assert_eq!(ip["privateIPAddress"], "10.0.0.77");
    assert_eq!(ip["applicationSecurityGroups"], json!([{"id": "/asg/y"}]));

    // A PUT without them drops them, as Azure does.
    let mut plain = got.clone();
    for key in ["networkSecurityGroup", "unknownToEveryModel"] {
        plain["properties"].as_object_mut().unwrap().remove(key);
    }
    let resp = env
        .send(Method::PUT, &env.nic("web-b-nic"), Some(plain))
        .await;
    let aso = header(&resp, "azure-asyncoperation").expect("Azure-AsyncOperation");
    env.wait_op(&aso).await;
    let got = env.get_json(&env.nic("web-b-nic")).await;
    assert!(got["properties"].get("networkSecurityGroup").is_none());
    assert!(got["properties"].get("unknownToEveryModel").is_none());
    assert_eq!(got["properties"]["auxiliarySku"], "A1");
}
