//! The official azure_mgmt_compute / azure_mgmt_network crates parse every emulator answer with
//! their typed models, and their built-in LRO for attachDetachDataDisks fails against the
//! emulator the way it fails against real Azure.

mod emulator_support;

use azure_core::auth::{AccessToken, TokenCredential};
use azure_core::RetryOptions;
use azure_mgmt_compute::package_2024_07_01 as compute;
use azure_mgmt_network::package_2024_03 as network;
use baton::emulator::Scenario;
use emulator_support::{Env, RG};
use futures::StreamExt;
use std::sync::Arc;
use time::{Duration, OffsetDateTime};

#[derive(Debug)]
struct FixedToken(String);

#[async_trait::async_trait]
impl TokenCredential for FixedToken {
    async fn get_token(&self, _scopes: &[&str]) -> azure_core::Result<AccessToken> {
        Ok(AccessToken::new(
            self.0.clone(),
            OffsetDateTime::now_utc() + Duration::hours(1),
        ))
    }
    async fn clear_cache(&self) -> azure_core::Result<()> {
        Ok(())
    }
}

fn cred(env: &Env) -> Arc<dyn TokenCredential> {
    Arc::new(FixedToken(env.emu.token().to_string()))
}

fn compute_client(env: &Env) -> compute::Client {
    compute::Client::builder(cred(env))
        .endpoint(env.emu.base_url().clone())
        .retry(RetryOptions::none())
        .build()
        .expect("compute client")
}

fn network_client(env: &Env) -> network::Client {
    network::Client::builder(cred(env))
        .endpoint(env.emu.base_url().clone())
        .retry(RetryOptions::none())
        .build()
        .expect("network client")
}

async fn small_pages() -> Env {
    let mut scenario = Scenario::contoso();
    scenario.page_size = 3;
    Env::with(scenario, 200.0).await
}

#[tokio::test]
async fn compute_reads_parse_with_typed_models() {
    let env = small_pages().await;
    let sub = env.emu.subscription_id().to_string();
    let vms = compute_client(&env).virtual_machines_client();

    let mut pages = vms.list(RG, &sub).into_stream();
    let mut names = vec![];
    while let Some(page) = pages.next().await {
        let page = page.expect("typed VM page");
        names.extend(page.value.into_iter().filter_map(|vm| vm.resource.name));
    }
    assert_eq!(names.len(), 8, "pager followed nextLink: {names:?}");

    let vm = vms
        .get(RG, "db-a", &sub)
        .expand("instanceView")
        .await
        .expect("typed VM");
    let props = vm.properties.expect("properties");
    let storage = props.storage_profile.expect("storage");
    assert_eq!(storage.data_disks.len(), 2);
    assert_eq!(storage.data_disks[1].lun, 1);
    let iv = props.instance_view.expect("instance view");
    assert!(iv
        .statuses
        .iter()
        .any(|s| s.code.as_deref() == Some("PowerState/running")));

    let iv = vms
        .instance_view(RG, "web-b", &sub)
        .await
        .expect("typed instance view");
    assert!(iv
        .statuses
        .iter()
        .any(|s| s.code.as_deref() == Some("ProvisioningState/succeeded")));

    let mut all = vms.list_all(&sub).status_only("true").into_stream();
    let mut count = 0;
    while let Some(page) = all.next().await {
        for vm in page.expect("typed statusOnly page").value {
            let iv = vm
                .properties
                .and_then(|p| p.instance_view)
                .expect("instance view");
            assert!(!iv.statuses.is_empty());
            count += 1;
        }
    }
    assert_eq!(count, 8);

    let disks = compute_client(&env).disks_client();
    let disk = disks.get(&sub, RG, "web-data").await.expect("typed disk");
    assert!(disk.managed_by.expect("managedBy").ends_with("/web-a"));
    let state = disk
        .properties
        .and_then(|p| p.disk_state)
        .expect("diskState");
    assert_eq!(format!("{state:?}"), "Attached");
    let sku = disk.sku.and_then(|s| s.name).expect("sku");
    assert_eq!(format!("{sku:?}"), "PremiumZrs");
    assert!(disk.zones.is_empty(), "a ZRS disk has no zone");
    let web_b = vms.get(RG, "web-b", &sub).await.expect("typed VM");
    assert_eq!(web_b.zones, vec!["2"]);
    let sizes = compute_client(&env)
        .virtual_machine_sizes_client()
        .list("westeurope", &sub)
        .send()
        .await
        .expect("VM size list answer")
        .into_body()
        .await
        .expect("typed VM size list");
    let d2 = sizes
        .value
        .iter()
        .find(|s| s.name.as_deref() == Some("Standard_D2s_v5"))
        .expect("D2s_v5 listed");
    assert_eq!(d2.max_data_disk_count, Some(4));
    let mut pages = disks.list_by_resource_group(&sub, RG).into_stream();
    let mut n = 0;
    while let Some(page) = pages.next().await {
        n += page.expect("typed disk page").value.len();
    }
    assert_eq!(n, 5);
}

#[tokio::test]
async fn network_reads_parse_with_typed_models() {
    let env = small_pages().await;
    let sub = env.emu.subscription_id().to_string();
    let net = network_client(&env);
    let nic = net
        .network_interfaces_client()
        .get(RG, "web-a-nic", &sub)
        .await
        .expect("typed NIC");
    let ip = &nic.properties.expect("props").ip_configurations[0];
    let rules = &ip
        .properties
        .as_ref()
        .expect("ip props")
        .load_balancer_inbound_nat_rules;
    assert_eq!(rules.len(), 1);
    let mut pages = net.network_interfaces_client().list(RG, &sub).into_stream();
    let mut n = 0;
    while let Some(page) = pages.next().await {
        n += page.expect("typed NIC page").value.len();
    }
    assert_eq!(n, 8);

    let lb = net
        .load_balancers_client()
        .get(RG, "lb-contoso", &sub)
        .await
        .expect("typed LB");
    let rules = lb.properties.expect("props").inbound_nat_rules;
    assert_eq!(rules.len(), 4);
    assert!(rules.iter().all(|r| r
        .properties
        .as_ref()
        .and_then(|p| p.backend_ip_configuration.as_ref())
        .is_some()));
    let mut pages = net.load_balancers_client().list(RG, &sub).into_stream();
    let page = pages.next().await.expect("a page").expect("typed LB page");
    assert_eq!(page.value.len(), 1);
}

#[tokio::test]
async fn raw_write_answers_parse_with_typed_models() {
    let env = Env::start(200.0).await;
    let sub = env.emu.subscription_id().to_string();
    let vms = compute_client(&env).virtual_machines_client();

    // PATCH (update) answers 200 with a typed VirtualMachine in Updating.
    let update: compute::models::VirtualMachineUpdate =
        serde_json::from_value(serde_json::json!({"tags": {"owner": "baton"}}))
            .expect("update model");
    let resp = vms
        .update(RG, "web-b", update, &sub)
        .send()
        .await
        .expect("PATCH answers");
    let raw = resp.as_raw_response();
    assert_eq!(u16::from(raw.status()), 200);
    assert!(raw
        .headers()
        .get_optional_str(&azure_core::headers::HeaderName::from_static(
            "azure-asyncoperation"
        ))
        .is_some());
    let vm = resp.into_body().await.expect("typed VM");
    assert_eq!(
        vm.properties.and_then(|p| p.provisioning_state).as_deref(),
        Some("Updating")
    );

    // attachDetachDataDisks answers 202; its Location result is a typed StorageProfile.
    let req: compute::models::AttachDetachDataDisksRequest =
        serde_json::from_value(serde_json::json!({
            "dataDisksToDetach": [{"diskId": env.disk_id("web-data")}]
        }))
        .expect("request model");
    let resp = vms
        .attach_detach_data_disks(RG, "web-a", req, &sub)
        .send()
        .await
        .expect("POST answers");
    assert_eq!(u16::from(resp.as_raw_response().status()), 202);
    let location = resp.headers().location().expect("Location").to_string();
    let aso = resp
        .as_raw_response()
        .headers()
        .get_optional_str(&azure_core::headers::HeaderName::from_static(
            "azure-asyncoperation",
        ))
        .expect("aso")
        .to_string();
    env.wait_op(&aso).await;
    let bytes = env.get(&location).await.bytes().await.expect("body");
    let profile: compute::models::StorageProfile =
        serde_json::from_slice(&bytes).expect("typed StorageProfile");
    assert!(profile.data_disks.is_empty());

    // runCommand answers 202; its Location result is a typed RunCommandResult.
    let input: compute::models::RunCommandInput = serde_json::from_value(serde_json::json!({
        "commandId": "RunShellScript", "script": ["echo hi"]
    }))
    .expect("input model");
    let resp = vms
        .run_command(RG, "web-b", input, &sub)
        .send()
        .await
        .expect("POST answers");
    assert_eq!(u16::from(resp.as_raw_response().status()), 202);
    let location = resp
        .as_raw_response()
        .headers()
        .get_optional_str(&azure_core::headers::HeaderName::from_static("location"))
        .expect("Location")
        .to_string();
    let aso = location.trim_end_matches("&monitor=true").to_string();
    env.wait_op(&aso).await;
    let bytes = env.get(&location).await.bytes().await.expect("body");
    let result: compute::models::RunCommandResult =
        serde_json::from_slice(&bytes).expect("typed RunCommandResult");
    assert!(result.value[0]
        .message
        .as_deref()
        .expect("message")
        .contains("echo hi"));

    // power actions have only send(): 202.
    let resp = vms
        .power_off(RG, "web-b", &sub)
        .send()
        .await
        .expect("POST answers");
    assert_eq!(u16::from(resp.as_raw_response().status()), 202);

    // NIC PUT answers 200 with a typed NetworkInterface in Updating.
    let nics = network_client(&env).network_interfaces_client();
    let nic = nics.get(RG, "app-b-nic", &sub).await.expect("typed NIC");
    let resp = nics
        .create_or_update(RG, "app-b-nic", nic, &sub)
        .send()
        .await
        .expect("PUT answers");
    assert_eq!(u16::from(resp.as_raw_response().status()), 200);
    let nic = resp.into_body().await.expect("typed NIC");
    let state = nic
        .properties
        .and_then(|p| p.provisioning_state)
        .expect("state");
    assert_eq!(format!("{state:?}"), "Updating");
}

#[tokio::test]
async fn builtin_attach_detach_lro_fails_as_against_real_azure() {
    let env = Env::start(200.0).await;
    let sub = env.emu.subscription_id().to_string();
    let vms = compute_client(&env).virtual_machines_client();
    let req: compute::models::AttachDetachDataDisksRequest =
        serde_json::from_value(serde_json::json!({
            "dataDisksToDetach": [{"diskId": env.disk_id("app-data")}]
        }))
        .expect("request model");
    let err = vms
        .attach_detach_data_disks(RG, "app-a", req, &sub)
        .await
        .expect_err("the crate's LRO cannot read a 202 with an empty body");
    assert!(
        err.to_string().contains("missing provisioning state"),
        "{err}"
    );
    // The write itself was accepted: the detach runs to completion regardless.
    env.wait_state("app-data detached", |st| {
        st["vms"].as_array().is_some_and(|vms| {
            vms.iter()
                .any(|v| v["name"] == "app-a" && v["data_disks"] == serde_json::json!([]))
        })
    })
    .await;
}
