//! Reads of the contoso world: shapes, ids, auth, api-version, request ids, request log, paging.

mod emulator_support;

use baton::emulator::Scenario;
use emulator_support::{find, header, Env};

#[tokio::test]
async fn vm_list_and_get_show_contoso_world() {
    let env = Env::start(200.0).await;
    let list = env
        .get_json(&env.rg("Microsoft.Compute/virtualMachines"))
        .await;
    let vms = list["value"].as_array().expect("value");
    assert_eq!(vms.len(), 8);
    assert!(list.get("nextLink").is_none());
    let web_a = find(&list["value"], "web-a");
    assert_eq!(web_a["location"], "westeurope");
    assert_eq!(web_a["properties"]["provisioningState"], "Succeeded");
    let disks = &web_a["properties"]["storageProfile"]["dataDisks"];
    assert_eq!(disks[0]["name"], "web-data");
    assert_eq!(disks[0]["lun"], 0);
    assert_eq!(disks[0]["managedDisk"]["id"], env.disk_id("web-data"));
    let web_b = find(&list["value"], "web-b");
    assert_eq!(
        web_b["properties"]["storageProfile"]["dataDisks"]
            .as_array()
            .map(Vec::len),
        Some(0)
    );

    let one = env
        .get_json(&format!("{}&$expand=instanceView", env.vm("db-a")))
        .await;
    let statuses = one["properties"]["instanceView"]["statuses"]
        .as_array()
        .expect("statuses");
    assert!(statuses.iter().any(|s| s["code"] == "PowerState/running"));
    assert_eq!(
        one["properties"]["storageProfile"]["dataDisks"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );

    let iv = env.get_json(&env.vm_action("web-b", "instanceView")).await;
    assert!(iv["statuses"]
        .as_array()
        .expect("statuses")
        .iter()
        .any(|s| s["code"] == "ProvisioningState/succeeded"));
}

#[tokio::test]
async fn subscription_list_status_only_carries_instance_view() {
    let env = Env::start(200.0).await;
    let url = env.url(
        &format!(
            "subscriptions/{}/providers/Microsoft.Compute/virtualMachines?statusOnly=true",
            env.emu.subscription_id()
        ),
        "2024-07-01",
    );
    let list = env.get_json(&url).await;
    let vm = find(&list["value"], "app-b");
    let statuses = vm["properties"]["instanceView"]["statuses"]
        .as_array()
        .expect("statuses");
    assert!(statuses.iter().any(|s| s["code"] == "PowerState/running"));
}

#[tokio::test]
async fn disks_nics_and_load_balancer_agree() {
    let env = Env::start(200.0).await;
    let disk = env.get_json(&env.disk("web-data")).await;
    assert_eq!(disk["properties"]["diskState"], "Attached");
    assert!(disk["managedBy"]
        .as_str()
        .expect("managedBy")
        .ends_with("/virtualMachines/web-a"));
    assert_eq!(disk["properties"]["creationData"]["createOption"], "Empty");
    let disks = env.get_json(&env.rg("Microsoft.Compute/disks")).await;
    assert_eq!(disks["value"].as_array().map(Vec::len), Some(5));

    let nic = env.get_json(&env.nic("web-a-nic")).await;
    let rules =
        &nic["properties"]["ipConfigurations"][0]["properties"]["loadBalancerInboundNatRules"];
    assert_eq!(rules[0]["id"], env.nat_rule_id("web-app"));
    assert!(nic["properties"]["virtualMachine"]["id"]
        .as_str()
        .expect("vm")
        .ends_with("/web-a"));
    let nic_b = env.get_json(&env.nic("web-b-nic")).await;
    assert_eq!(
        nic_b["properties"]["ipConfigurations"][0]["properties"]["loadBalancerInboundNatRules"]
            .as_array()
            .map(Vec::len),
        Some(0)
    );

    let lb = env.get_json(&env.lb()).await;
    let rule = find(&lb["properties"]["inboundNatRules"], "web-app");
    assert!(rule["properties"]["backendIPConfiguration"]["id"]
        .as_str()
        .expect("backend")
        .ends_with("/networkInterfaces/web-a-nic/ipConfigurations/ipconfig1"));
    let lbs = env
        .get_json(&env.rg("Microsoft.Network/loadBalancers"))
        .await;
    assert_eq!(lbs["value"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn provider_segments_are_case_insensitive() {
    let env = Env::start(200.0).await;
    let url = env.rg("microsoft.compute/VIRTUALMACHINES/Web-A");
    let vm = env.get_json(&url).await;
    assert_eq!(vm["name"], "web-a");
}

#[tokio::test]
async fn errors_have_arm_shape_and_codes() {
    let env = Env::start(200.0).await;
    let resp = env.get(&env.vm("nope")).await;
    assert_eq!(resp.status(), 404);
    assert_eq!(
        header(&resp, "x-ms-error-code").as_deref(),
        Some("ResourceNotFound")
    );
    let body: serde_json::Value = resp.json().await.expect("json");
    assert_eq!(body["error"]["code"], "ResourceNotFound");

    let url = env.url(
        &format!(
            "subscriptions/{}/resourceGroups/rg-nope/providers/Microsoft.Compute/virtualMachines",
            env.emu.subscription_id()
        ),
        "2024-07-01",
    );
    let resp = env.get(&url).await;
    assert_eq!(resp.status(), 404);
    assert_eq!(
        header(&resp, "x-ms-error-code").as_deref(),
        Some("ResourceGroupNotFound")
    );

    let no_api = format!(
        "{}subscriptions/{}/resourceGroups/rg-contoso/providers/Microsoft.Compute/virtualMachines",
        env.emu.base_url(),
        env.emu.subscription_id()
    );
    let resp = env.get(&no_api).await;
    assert_eq!(resp.status(), 400);
    assert_eq!(
        header(&resp, "x-ms-error-code").as_deref(),
        Some("MissingApiVersionParameter")
    );
}

#[tokio::test]
async fn auth_tokens_map_to_arm_codes() {
    let env = Env::start(200.0).await;
    let url = env.vm("web-a");
    let code = |resp: &reqwest::Response| header(resp, "x-ms-error-code");
    let resp = env.http.get(&url).send().await.expect("answer");
    assert_eq!(
        (resp.status().as_u16(), code(&resp).as_deref()),
        (401, Some("AuthenticationFailed"))
    );
    let resp = env
        .http
        .get(&url)
        .bearer_auth("expired")
        .send()
        .await
        .expect("answer");
    assert_eq!(
        (resp.status().as_u16(), code(&resp).as_deref()),
        (401, Some("ExpiredAuthenticationToken"))
    );
    let resp = env
        .http
        .get(&url)
        .bearer_auth("garbage")
        .send()
        .await
        .expect("answer");
    assert_eq!(
        (resp.status().as_u16(), code(&resp).as_deref()),
        (401, Some("InvalidAuthenticationToken"))
    );
    let resp = env
        .http
        .get(&url)
        .bearer_auth(env.emu.reader_token())
        .send()
        .await
        .expect("answer");
    assert_eq!(resp.status(), 200);
    let resp = env
        .http
        .post(env.vm_action("web-a", "powerOff"))
        .bearer_auth(env.emu.reader_token())
        .send()
        .await
        .expect("answer");
    assert_eq!(
        (resp.status().as_u16(), code(&resp).as_deref()),
        (403, Some("AuthorizationFailed"))
    );
    let state = env.state().await;
    assert_eq!(find(&state["vms"], "web-a")["power"], "running");
}

#[tokio::test]
async fn every_arm_answer_has_request_ids_and_is_logged() {
    let env = Env::start(200.0).await;
    let resp = env
        .http
        .get(env.vm("web-a"))
        .bearer_auth(env.emu.token())
        .header("x-ms-correlation-request-id", "corr-1")
        .send()
        .await
        .expect("answer");
    let request_id = header(&resp, "x-ms-request-id").expect("request id");
    assert_eq!(
        header(&resp, "x-ms-correlation-request-id").as_deref(),
        Some("corr-1")
    );
    assert!(header(&resp, "x-ms-ratelimit-remaining-subscription-reads").is_some());
    assert!(header(&resp, "x-ms-ratelimit-remaining-resource")
        .expect("compute policy")
        .starts_with("Microsoft.Compute/LowCostGet3Min;"));
    assert!(header(&resp, "retry-after").is_none());
    let bad = env.get(&env.vm("missing")).await;
    assert!(header(&bad, "x-ms-request-id").is_some());
    let _ = env.control("state").await;
    let hb = env
        .http
        .get(format!("{}_vm/web-a/ping", env.emu.base_url()))
        .send()
        .await
        .expect("ping");
    assert_eq!(hb.status(), 200);

    let log = env.control("requests").await;
    let entries = log.as_array().expect("array");
    assert_eq!(entries.len(), 2, "only ARM requests are logged: {log}");
    assert_eq!(entries[0]["method"], "GET");
    assert_eq!(entries[0]["status"], 200);
    assert_eq!(entries[0]["request_id"], request_id.as_str());
    assert!(entries[0]["path"]
        .as_str()
        .expect("path")
        .contains("api-version=2024-07-01"));
    assert_eq!(entries[1]["status"], 404);
}

#[tokio::test]
async fn lists_page_with_absolute_next_links() {
    let mut scenario = Scenario::contoso();
    scenario.page_size = 3;
    let env = Env::with(scenario, 200.0).await;
    let mut url = format!(
        "{}&$expand=instanceView",
        env.rg("Microsoft.Compute/virtualMachines")
    );
    let mut names = vec![];
    for _ in 0..10 {
        let page = env.get_json(&url).await;
        for vm in page["value"].as_array().expect("value") {
            assert!(
                vm["properties"]["instanceView"].is_object(),
                "expand kept across pages"
            );
            names.push(vm["name"].as_str().expect("name").to_string());
        }
        match page["nextLink"].as_str() {
            Some(next) => {
                assert!(
                    next.starts_with(env.emu.base_url().as_str()),
                    "absolute on the emulator: {next}"
                );
                url = next.to_string();
            }
            None => break,
        }
    }
    assert_eq!(names.len(), 8);
    names.dedup();
    assert_eq!(names.len(), 8);
}
