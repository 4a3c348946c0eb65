//! Light inventory refreshes against the emulator: after a full read the VM model lists are
//! skipped while the disk, NIC and statusOnly lists agree with the cached models; a disk moved
//! behind baton's back makes that group's models be read again in the same refresh; every
//! budget the answers report is tallied per refresh.

mod azure_support;

use azure_support::*;
use baton::azure::{refresh_with, InventoryScope, VmModelCache};
use baton::core::budget::BudgetName;
use baton::core::model::{DiskSpec, EndpointKind, EndpointSpec, RoleSpec};

fn roles() -> Vec<RoleSpec> {
    ["gateway", "web", "app", "db"]
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

fn high() -> BudgetName {
    BudgetName::Compute("HighCostGet3Min".into())
}

#[tokio::test]
async fn a_light_refresh_skips_the_vm_lists_until_something_disagrees() {
    let emu = start(200.0).await;
    let reader = reader_with(&emu, emu.token());
    let scope = InventoryScope::for_roles(&roles());
    let mut models = VmModelCache::default();

    // Full: statusOnly + VM list + disk list (compute lists), NIC list + LB, the size list.
    let full = refresh_with(&reader, &scope, &mut models).await.unwrap();
    assert!(full.full);
    assert_eq!(full.requests, 6);
    assert_eq!(full.budgets.requests(&high()), 3);
    assert_eq!(
        full.budgets
            .requests(&BudgetName::Compute("LowCostGet3Min".into())),
        1
    );
    assert_eq!(full.budgets.requests(&BudgetName::SubscriptionReads), 6);

    let light = refresh_with(&reader, &scope, &mut models).await.unwrap();
    assert!(!light.full);
    assert_eq!(light.requests, 4, "no VM list, no size list");
    assert_eq!(light.budgets.requests(&high()), 2);
    assert_eq!(light.facts, full.facts, "the same facts for fewer reads");
    let log = requests(&emu).await;
    let vm_lists = |log: &[serde_json::Value]| {
        matching(log, Some("GET"), "/virtualMachines?")
            .into_iter()
            .filter(|e| !e["path"].as_str().unwrap_or("").contains("statusOnly"))
            .count()
    };
    assert_eq!(vm_lists(&log), 1);

    // Someone detaches app-data with plain HTTP: the disk list disagrees with app-a's model.
    let http = reqwest::Client::new();
    let sub = emu.subscription_id();
    let detach = format!("{}subscriptions/{sub}/resourceGroups/{RG}/providers/Microsoft.Compute/virtualMachines/app-a/attachDetachDataDisks?api-version=2024-07-01", emu.base_url());
    let disk_id = format!(
        "/subscriptions/{sub}/resourceGroups/{RG}/providers/Microsoft.Compute/disks/app-data"
    );
    let resp = http
        .post(detach)
        .header("authorization", format!("Bearer {}", emu.token()))
        .json(&serde_json::json!({"dataDisksToDetach": [{"diskId": disk_id}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 202);
    wait_state(&emu, |s| {
        entry(s, "disks", "app-data")["managed_by"].is_null()
    })
    .await;

    let after = refresh_with(&reader, &scope, &mut models).await.unwrap();
    assert!(!after.full);
    assert_eq!(after.requests, 5, "the group's VM list read again");
    assert!(after.facts.vm("app-a").unwrap().data_disks.is_empty());
    assert_eq!(after.facts.disk("app-data").unwrap().managed_by, None);
    assert_eq!(vm_lists(&requests(&emu).await), 2);
    emu.shutdown().await;
}

#[tokio::test]
async fn every_tenth_refresh_reads_every_model_and_invalidate_forces_one() {
    let emu = start(200.0).await;
    let reader = reader_with(&emu, emu.token());
    let scope = InventoryScope::for_roles(&roles());
    let mut models = VmModelCache::default();
    let mut fulls = Vec::new();
    for _ in 0..(2 * baton::azure::vm_cache::FULL_EVERY) {
        fulls.push(
            refresh_with(&reader, &scope, &mut models)
                .await
                .unwrap()
                .full,
        );
    }
    let every = baton::azure::vm_cache::FULL_EVERY as usize;
    let want: Vec<bool> = (0..2 * every).map(|i| i % every == 0).collect();
    assert_eq!(fulls, want);
    models.invalidate();
    assert!(
        refresh_with(&reader, &scope, &mut models)
            .await
            .unwrap()
            .full
    );
    emu.shutdown().await;
}
