//! Reads and inventory against the emulator: every read returns the contoso facts, the
//! inventory costs O(groups + load balancers) requests, changes made behind baton's back show
//! up in the next refresh, read-only clients send nothing but GETs, auth failures keep codes.

mod azure_support;

use azure_support::*;
use baton::azure::{refresh, ArmError, ArmEvent, InventoryScope};
use baton::core::model::{AttachedDisk, DiskSpec};
use baton::core::model::{EndpointKind, EndpointSpec, PowerState, RoleSpec};

const ROLES: [&str; 4] = ["gateway", "web", "app", "db"];

fn roles() -> Vec<RoleSpec> {
    ROLES
        .iter()
        .map(|r| RoleSpec {
            name: (*r).into(),
            resource_group: RG.into(),
            vms: vec![format!("{r}-a"), format!("{r}-b")],
            disks: vec![DiskSpec {
                name: format!("{r}-data"),
                lun: 0,
                shared: false,
            }],
            endpoint: EndpointSpec {
                load_balancer: LB.into(),
                resource_group: RG.into(),
                kind: EndpointKind::NatRule(format!("{r}-app")),
            },
        })
        .collect()
}

#[tokio::test]
async fn every_read_returns_contoso_facts() {
    let emu = start(200.0).await;
    let reader = reader_with(&emu, emu.token());

    let vms = reader.list_vms(RG).await.unwrap();
    assert_eq!(vms.len(), 8);
    let web_a = vms.iter().find(|v| v.name == "web-a").unwrap();
    assert_eq!(web_a.power, PowerState::Running);
    assert_eq!(web_a.nics, vec!["web-a-nic"]);
    assert_eq!(
        web_a.data_disks,
        vec![AttachedDisk {
            name: "web-data".into(),
            lun: 0,
            caching: Some("None".into()),
        }]
    );
    let web_b = vms.iter().find(|v| v.name == "web-b").unwrap();
    assert!(web_b.data_disks.is_empty());
    let db_a = vms.iter().find(|v| v.name == "db-a").unwrap();
    assert_eq!(db_a.data_disks.len(), 2);

    let vm = reader.get_vm(RG, "web-b").await.unwrap();
    assert_eq!(vm.name, "web-b");
    assert_eq!(vm.power, PowerState::Running);
    assert_eq!(vm.provisioning_state, "Succeeded");

    let disks = reader.list_disks(RG).await.unwrap();
    assert_eq!(disks.len(), 5);
    let disk = reader.get_disk(RG, "web-data").await.unwrap();
    assert_eq!(disk.managed_by.as_deref(), Some("web-a"));
    assert_eq!(disk.disk_state, "Attached");

    let nics = reader.list_nics(RG).await.unwrap();
    assert_eq!(nics.len(), 8);
    let nic = reader.get_nic(RG, "web-a-nic").await.unwrap();
    assert_eq!(nic.vm.as_deref(), Some("web-a"));
    assert_eq!(nic.lb_refs.len(), 1);
    assert!(nic.lb_refs[0].ends_with("/loadBalancers/lb-contoso/inboundNatRules/web-app"));
    assert!(reader
        .get_nic(RG, "web-b-nic")
        .await
        .unwrap()
        .lb_refs
        .is_empty());

    let lb = reader.get_load_balancer(RG, LB).await.unwrap();
    for role in ROLES {
        assert_eq!(
            lb.nat_rules[&format!("{role}-app")],
            vec![format!("{role}-a-nic")]
        );
    }

    let log = requests(&emu).await;
    assert!(log.iter().all(|r| r["method"] == "GET"), "{log:?}");
    emu.shutdown().await;
}

#[tokio::test]
async fn inventory_costs_one_request_per_list_and_reports_each() {
    let emu = start(200.0).await;
    let (progress, mut rx) = progress();
    let reader = reader_with(&emu, emu.reader_token()).with_progress(progress);
    let scope = InventoryScope::for_roles(&roles());
    assert_eq!(scope.resource_groups, vec![RG]);

    // The first refresh also reads the region's VM size list, once for the client's life.
    let inv = refresh(&reader, &scope).await.unwrap();
    assert_eq!(inv.requests, 6);
    assert_eq!(inv.requests, scope.expected_requests(1));
    let log = requests(&emu).await;
    assert_eq!(log.len(), 6, "{log:?}");
    assert_eq!(matching(&log, Some("GET"), "statusOnly=true").len(), 1);
    assert_eq!(
        matching(&log, Some("GET"), "/locations/westeurope/vmSizes").len(),
        1
    );
    let sent: Vec<_> = drain(&mut rx)
        .into_iter()
        .filter_map(|e| match e {
            ArmEvent::Request {
                status, request_id, ..
            } => Some((status, request_id)),
            _ => None,
        })
        .collect();
    assert_eq!(sent.len(), 6);
    assert!(sent.iter().all(|(s, id)| *s == Some(200) && id.is_some()));
    let again = refresh(&reader, &scope).await.unwrap();
    assert_eq!(again.requests, scope.expected_requests(0));
    assert_eq!(
        again.facts, inv.facts,
        "the cached size limits give the same facts"
    );

    let f = &inv.facts;
    assert_eq!((f.vms.len(), f.disks.len(), f.nics.len()), (8, 5, 8));
    for role in ROLES {
        let master = f.vm(&format!("{role}-a")).unwrap();
        assert_eq!(master.power, PowerState::Running);
        assert!(master
            .data_disks
            .iter()
            .any(|d| d.name == format!("{role}-data")));
        let disk = f.disk(&format!("{role}-data")).unwrap();
        assert_eq!(
            disk.managed_by.as_deref(),
            Some(format!("{role}-a").as_str())
        );
        let spec = &roles()
            .into_iter()
            .find(|r| r.name == role)
            .unwrap()
            .endpoint;
        let nic = f.nic(&format!("{role}-a-nic")).unwrap();
        assert!(nic.lb_refs.iter().any(|id| spec.matches_id(id)));
        assert!(f.nic(&format!("{role}-b-nic")).unwrap().lb_refs.is_empty());
    }
    let lb = f.load_balancer(LB).unwrap();
    assert_eq!(lb.nat_rules["db-app"], vec!["db-a-nic"]);

    // Placement and storage: what decides what Azure would refuse.
    let web_b = &f.vm("web-b").unwrap().placement;
    assert_eq!(web_b.zones, vec!["2"]);
    assert_eq!(web_b.size.as_deref(), Some("Standard_D2s_v5"));
    assert_eq!(web_b.max_data_disks, Some(4));
    assert_eq!(web_b.location.as_deref(), Some("westeurope"));
    assert_eq!(web_b.availability_set, None);
    let data = &f.disk("web-data").unwrap().storage;
    assert_eq!(data.sku.as_deref(), Some("Premium_ZRS"));
    assert!(data.zones.is_empty() && data.zone().is_none());
    let attached = &f.vm("web-a").unwrap().data_disks[0];
    assert_eq!(attached.caching.as_deref(), Some("None"));
    emu.shutdown().await;
}

#[tokio::test]
async fn changes_made_by_raw_http_show_up_in_the_next_refresh() {
    let emu = start(200.0).await;
    let reader = reader_with(&emu, emu.token());
    let scope = InventoryScope::for_roles(&roles());
    let before = refresh(&reader, &scope).await.unwrap().facts;
    assert_eq!(
        before.disk("app-data").unwrap().managed_by.as_deref(),
        Some("app-a")
    );

    // Someone else moves app's endpoint and detaches its disk, with plain HTTP.
    let http = reqwest::Client::new();
    let base = emu.base_url();
    let sub = emu.subscription_id();
    let nic_url = |nic: &str| {
        format!("{base}subscriptions/{sub}/resourceGroups/{RG}/providers/Microsoft.Network/networkInterfaces/{nic}?api-version=2024-03-01")
    };
    let auth = format!("Bearer {}", emu.token());
    let mut a: serde_json::Value = http
        .get(nic_url("app-a-nic"))
        .header("authorization", &auth)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let rule =
        a["properties"]["ipConfigurations"][0]["properties"]["loadBalancerInboundNatRules"].take();
    a["properties"]["ipConfigurations"][0]["properties"]["loadBalancerInboundNatRules"] =
        serde_json::json!([]);
    let resp = http
        .put(nic_url("app-a-nic"))
        .header("authorization", &auth)
        .json(&a)
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{}", resp.status());
    let mut b: serde_json::Value = http
        .get(nic_url("app-b-nic"))
        .header("authorization", &auth)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    b["properties"]["ipConfigurations"][0]["properties"]["loadBalancerInboundNatRules"] = rule;
    let resp = http
        .put(nic_url("app-b-nic"))
        .header("authorization", &auth)
        .json(&b)
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{}", resp.status());
    let detach = format!("{base}subscriptions/{sub}/resourceGroups/{RG}/providers/Microsoft.Compute/virtualMachines/app-a/attachDetachDataDisks?api-version=2024-07-01");
    let disk_id = format!(
        "/subscriptions/{sub}/resourceGroups/{RG}/providers/Microsoft.Compute/disks/app-data"
    );
    let resp = http
        .post(detach)
        .header("authorization", &auth)
        .json(&serde_json::json!({"dataDisksToDetach": [{"diskId": disk_id}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 202);
    wait_state(&emu, |s| {
        entry(s, "disks", "app-data")["managed_by"].is_null()
            && entry(s, "nics", "app-b-nic")["provisioning_state"] == "Succeeded"
            && entry(s, "nics", "app-a-nic")["provisioning_state"] == "Succeeded"
    })
    .await;

    let after = refresh(&reader, &scope).await.unwrap().facts;
    assert_eq!(after.disk("app-data").unwrap().managed_by, None);
    assert!(after.vm("app-a").unwrap().data_disks.is_empty());
    assert!(after.nic("app-a-nic").unwrap().lb_refs.is_empty());
    assert_eq!(after.nic("app-b-nic").unwrap().lb_refs.len(), 1);
    assert_eq!(
        after.load_balancer(LB).unwrap().nat_rules["app-app"],
        vec!["app-b-nic"]
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn expired_token_is_401_with_code_and_request_id() {
    let emu = start(200.0).await;
    let reader = reader_with(&emu, "expired");
    let err = reader.get_vm(RG, "web-a").await.unwrap_err();
    match &err {
        ArmError::Http(e) => {
            assert_eq!(e.status, 401);
            assert_eq!(e.code, "ExpiredAuthenticationToken");
            assert!(e.request_id.is_some());
        }
        other => panic!("expected HTTP 401, got {other:?}"),
    }
    // Not retried: exactly one request reached the emulator.
    assert_eq!(requests(&emu).await.len(), 1);
    let err = reader_with(&emu, "garbage")
        .list_disks(RG)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("InvalidAuthenticationToken"));
    emu.shutdown().await;
}

#[tokio::test]
async fn missing_resources_are_404_not_retried() {
    let emu = start(200.0).await;
    let reader = reader_with(&emu, emu.token());
    let err = reader.get_disk(RG, "no-such-disk").await.unwrap_err();
    assert_eq!(err.status(), Some(404));
    assert!(!err.is_retryable());
    assert_eq!(requests(&emu).await.len(), 1);
    emu.shutdown().await;
}
