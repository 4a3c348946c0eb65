//! Fresh observations of one role for the executor: one inventory refresh of the role's scope and
//! single-shot probes, derived into a `RoleStatus`; plus the small lookups the steps make on the
//! facts (who holds the endpoint, who owns a disk, a VM's NIC). Reads only.

use crate::azure::{refresh, ArmError, InventoryScope, ReadClient};
use crate::config::RoleConfig;
use crate::core::leader::{derive, RoleInput, RoleStatus};
use crate::core::model::{same_name, AzureFacts, ProbeFacts, ProbeStatus, VmProbes};
use crate::probe::check;
use futures::future::join_all;
use std::time::Duration;

/// What Azure and the probes say about the role right now.
#[derive(Debug, Clone)]
pub(crate) struct View {
    /// Azure's facts for the role's scope.
    pub facts: AzureFacts,
    /// One probe round of every VM of the role.
    pub probes: ProbeFacts,
    /// The derived status.
    pub status: RoleStatus,
}

/// Refreshes the role's inventory and probes every VM once, concurrently.
pub(crate) async fn view(
    reader: &ReadClient,
    role: &RoleConfig,
    http: &reqwest::Client,
    probe_timeout: Duration,
    operation_running: bool,
) -> Result<View, ArmError> {
    let scope = InventoryScope::for_roles(std::slice::from_ref(&role.spec));
    let (inventory, probes) = tokio::join!(
        refresh(reader, &scope),
        probe_round(role, http, probe_timeout)
    );
    let facts = inventory?.facts;
    let status = derive(RoleInput {
        spec: &role.spec,
        facts: Some(&facts),
        probes: &probes,
        operation_running,
    });
    Ok(View {
        facts,
        probes,
        status,
    })
}

async fn probe_round(role: &RoleConfig, http: &reqwest::Client, timeout: Duration) -> ProbeFacts {
    let checks = role.spec.vms.iter().map(|vm| async move {
        let vm_target = role.probes.vm.render(vm, &role.spec.name);
        let svc_target = role.probes.service.render(vm, &role.spec.name);
        let (vm_probe, service) = tokio::join!(
            check(http, &vm_target, timeout),
            check(http, &svc_target, timeout)
        );
        (
            vm.clone(),
            VmProbes {
                vm: vm_probe,
                service,
            },
        )
    });
    let mut facts = ProbeFacts::default();
    for (vm, probes) in join_all(checks).await {
        facts.set(&vm, probes);
    }
    facts
}

/// What Azure says about the role right now, without probing: for the steps that decide from
/// Azure's facts alone (a hung VM's probe timeout would otherwise sit on the critical path).
pub(crate) async fn facts(reader: &ReadClient, role: &RoleConfig) -> Result<AzureFacts, ArmError> {
    let scope = InventoryScope::for_roles(std::slice::from_ref(&role.spec));
    Ok(refresh(reader, &scope).await?.facts)
}

/// One check of the vm probe of `vm`: does its host answer at all.
pub(crate) async fn vm_answers(
    role: &RoleConfig,
    http: &reqwest::Client,
    vm: &str,
    timeout: Duration,
) -> bool {
    check(http, &role.probes.vm.render(vm, &role.spec.name), timeout)
        .await
        .is_up()
}

/// One check of the service probe of `vm`.
pub(crate) async fn service_probe(
    role: &RoleConfig,
    http: &reqwest::Client,
    vm: &str,
    timeout: Duration,
) -> ProbeStatus {
    check(
        http,
        &role.probes.service.render(vm, &role.spec.name),
        timeout,
    )
    .await
}

/// NICs (name, VM) whose ipconfigs reference the role's endpoint.
pub(crate) fn endpoint_nics(
    facts: &AzureFacts,
    role: &RoleConfig,
) -> Vec<(String, Option<String>)> {
    facts
        .nics
        .iter()
        .filter(|n| n.lb_refs.iter().any(|r| role.spec.endpoint.matches_id(r)))
        .map(|n| (n.name.clone(), n.vm.clone()))
        .collect()
}

/// The VM's primary NIC: first in its network profile, else any NIC naming it.
pub(crate) fn vm_nic(facts: &AzureFacts, vm: &str) -> Option<String> {
    facts
        .vm(vm)
        .and_then(|v| v.nics.first().cloned())
        .or_else(|| {
            facts
                .nics
                .iter()
                .find(|n| n.vm.as_deref().is_some_and(|v| same_name(v, vm)))
                .map(|n| n.name.clone())
        })
}

/// Every VM that owns the disk: its `managedBy`, and any VM model still listing it.
pub(crate) fn disk_owners(facts: &AzureFacts, disk: &str) -> Vec<String> {
    let mut owners: Vec<String> = facts
        .disk(disk)
        .and_then(|d| d.managed_by.clone())
        .into_iter()
        .collect();
    for vm in &facts.vms {
        let lists = vm.data_disks.iter().any(|d| same_name(&d.name, disk));
        if lists && !owners.iter().any(|o| same_name(o, &vm.name)) {
            owners.push(vm.name.clone());
        }
    }
    owners
}

/// Role VMs other than `dest` that hold the endpoint or a disk of the role that moves (every VM
/// holds the shared ones).
pub(crate) fn holders(facts: &AzureFacts, role: &RoleConfig, dest: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut add = |vm: &str| {
        let in_role = role.spec.vms.iter().any(|v| same_name(v, vm));
        if in_role && !same_name(vm, dest) && !out.iter().any(|o| same_name(o, vm)) {
            out.push(vm.to_owned());
        }
    };
    for (_, vm) in endpoint_nics(facts, role) {
        if let Some(vm) = vm {
            add(&vm);
        }
    }
    for disk in role.spec.moving_disks() {
        for owner in disk_owners(facts, &disk.name) {
            add(&owner);
        }
    }
    out
}
