//! Pure translation of the crates' typed ARM models into baton's facts (`core::model`). Owns the
//! few rules of interpretation (power state from instance-view statuses, `toBeDetached` disks
//! are not attached, NIC names from ipconfig ids). It must not do I/O.

use crate::core::model::{
    name_from_id, AttachedDisk, DiskFacts, DiskStorage, LoadBalancerFacts, NicFacts, PowerState,
    VmFacts, VmPlacement,
};
use azure_mgmt_compute::package_2024_07_01::models::{
    Disk, InstanceViewStatus, VirtualMachine, VirtualMachineSize,
};
use azure_mgmt_network::package_2024_03::models::{
    LoadBalancer, NetworkInterface, NetworkInterfaceIpConfiguration,
};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Power state by lower-cased VM id, from the subscription-wide `statusOnly` list.
pub type PowerMap = HashMap<String, PowerState>;

/// Provisioning state (lower-cased, from the `ProvisioningState/…` status) by lower-cased VM
/// id, from the same list: what tells a light refresh that a VM model is changing.
pub type ProvisioningMap = HashMap<String, String>;

/// Adds the provisioning states of one statusOnly page to `map`.
pub fn add_provisioning_states(map: &mut ProvisioningMap, vms: &[VirtualMachine]) {
    for vm in vms {
        let state = vm
            .properties
            .as_ref()
            .and_then(|p| p.instance_view.as_ref())
            .and_then(|iv| {
                iv.statuses
                    .iter()
                    .filter_map(|s| s.code.as_deref())
                    .find_map(|c| c.strip_prefix("ProvisioningState/"))
            });
        if let (Some(id), Some(state)) = (vm.resource.id.as_deref(), state) {
            map.insert(id.to_ascii_lowercase(), state.to_ascii_lowercase());
        }
    }
}

/// The power state among instance-view statuses (the last `PowerState/…` wins).
pub fn power_from_statuses(statuses: &[InstanceViewStatus]) -> PowerState {
    statuses
        .iter()
        .rev()
        .filter_map(|s| s.code.as_deref())
        .find_map(PowerState::from_status_code)
        .unwrap_or(PowerState::Unknown)
}

/// Power state of a VM from its own instance view (`$expand=instanceView` or statusOnly).
pub fn power_of(vm: &VirtualMachine) -> PowerState {
    vm.properties
        .as_ref()
        .and_then(|p| p.instance_view.as_ref())
        .map(|iv| power_from_statuses(&iv.statuses))
        .unwrap_or(PowerState::Unknown)
}

/// Adds the VMs of one statusOnly page to `map`.
pub fn add_power_states(map: &mut PowerMap, vms: &[VirtualMachine]) {
    for vm in vms {
        if let Some(id) = vm.resource.id.as_deref() {
            map.insert(id.to_ascii_lowercase(), power_of(vm));
        }
    }
}

/// A VM model's facts; `power` comes from elsewhere (statusOnly list or instance view).
pub fn vm_facts(vm: &VirtualMachine, power: PowerState) -> VmFacts {
    let props = vm.properties.as_ref();
    let nics = props
        .and_then(|p| p.network_profile.as_ref())
        .map(|n| {
            n.network_interfaces
                .iter()
                .filter_map(|r| r.sub_resource.id.as_deref())
                .map(|id| name_from_id(id).to_owned())
                .collect()
        })
        .unwrap_or_default();
    let data_disks = props
        .and_then(|p| p.storage_profile.as_ref())
        .map(|s| {
            s.data_disks
                .iter()
                .filter(|d| d.to_be_detached != Some(true))
                .filter_map(|d| {
                    let name = d.name.clone().or_else(|| {
                        let id = d.managed_disk.as_ref()?.sub_resource.id.as_deref()?;
                        Some(name_from_id(id).to_owned())
                    })?;
                    Some(AttachedDisk {
                        name,
                        lun: d.lun,
                        caching: d.caching.as_ref().and_then(wire_word),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    VmFacts {
        name: vm.resource.name.clone().unwrap_or_default(),
        id: vm.resource.id.clone().unwrap_or_default(),
        power,
        provisioning_state: props
            .and_then(|p| p.provisioning_state.clone())
            .unwrap_or_default(),
        nics,
        data_disks,
        placement: VmPlacement {
            zones: vm.zones.clone(),
            availability_set: props
                .and_then(|p| p.availability_set.as_ref())
                .and_then(|a| a.id.as_deref())
                .map(|id| name_from_id(id).to_owned()),
            location: Some(vm.resource.location.clone()).filter(|l| !l.is_empty()),
            size: props
                .and_then(|p| p.hardware_profile.as_ref())
                .and_then(|h| h.vm_size.as_ref())
                .and_then(wire_word),
            max_data_disks: None,
        },
    }
}

/// The word an enum of the typed models stands for on the wire (`Premium_LRS`, `ReadOnly`).
fn wire_word<T: serde::Serialize>(value: &T) -> Option<String> {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
}

/// `maxDataDiskCount` by size name (lower-cased), from one region's VM size list.
pub fn size_limits(sizes: &[VirtualMachineSize]) -> HashMap<String, u32> {
    sizes
        .iter()
        .filter_map(|s| {
            let name = s.name.as_deref()?.to_ascii_lowercase();
            let max = u32::try_from(s.max_data_disk_count?).ok()?;
            Some((name, max))
        })
        .collect()
}

/// A VM's facts with its power looked up in `power` by id (Unknown when absent).
pub fn vm_facts_with(vm: &VirtualMachine, power: &PowerMap) -> VmFacts {
    let state = vm
        .resource
        .id
        .as_deref()
        .and_then(|id| power.get(&id.to_ascii_lowercase()).copied())
        .unwrap_or(PowerState::Unknown);
    vm_facts(vm, state)
}

/// A disk's facts; `managedBy` reduced to the VM name.
pub fn disk_facts(disk: &Disk) -> DiskFacts {
    let disk_state = disk
        .properties
        .as_ref()
        .and_then(|p| p.disk_state.as_ref())
        .and_then(|s| serde_json::to_value(s).ok())
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    DiskFacts {
        name: disk.resource.name.clone().unwrap_or_default(),
        id: disk.resource.id.clone().unwrap_or_default(),
        managed_by: disk
            .managed_by
            .as_deref()
            .filter(|m| !m.is_empty())
            .map(|m| name_from_id(m).to_owned()),
        disk_state,
        storage: DiskStorage {
            sku: disk
                .sku
                .as_ref()
                .and_then(|s| s.name.as_ref())
                .and_then(wire_word),
            zones: disk.zones.clone(),
            location: Some(disk.resource.location.clone()).filter(|l| !l.is_empty()),
            max_shares: disk.properties.as_ref().and_then(|p| p.max_shares),
            managed_by_extended: disk
                .managed_by_extended
                .iter()
                .map(|id| name_from_id(id).to_owned())
                .collect(),
        },
    }
}

/// Every LB reference (NAT rule and backend pool ids) on one ipconfig.
pub fn ipconfig_lb_refs(ipc: &NetworkInterfaceIpConfiguration) -> Vec<String> {
    let Some(p) = ipc.properties.as_ref() else {
        return Vec::new();
    };
    let rules = p
        .load_balancer_inbound_nat_rules
        .iter()
        .filter_map(|r| r.sub_resource.id.clone());
    let pools = p
        .load_balancer_backend_address_pools
        .iter()
        .filter_map(|r| r.sub_resource.id.clone());
    rules.chain(pools).collect()
}

/// A NIC's facts.
pub fn nic_facts(nic: &NetworkInterface) -> NicFacts {
    let props = nic.properties.as_ref();
    NicFacts {
        name: nic.resource.name.clone().unwrap_or_default(),
        id: nic.resource.id.clone().unwrap_or_default(),
        vm: props
            .and_then(|p| p.virtual_machine.as_ref())
            .and_then(|v| v.id.as_deref())
            .map(|id| name_from_id(id).to_owned()),
        lb_refs: props
            .map(|p| {
                p.ip_configurations
                    .iter()
                    .flat_map(ipconfig_lb_refs)
                    .collect()
            })
            .unwrap_or_default(),
    }
}

/// The NIC name in an ipconfig id (`…/networkInterfaces/{nic}/ipConfigurations/{ipc}`).
pub fn nic_name_of_ipconfig(id: &str) -> Option<String> {
    let mut parts = id.split('/');
    parts.find(|p| p.eq_ignore_ascii_case("networkInterfaces"))?;
    parts.next().filter(|n| !n.is_empty()).map(str::to_owned)
}

/// A load balancer's back-references: NAT rule / pool name → NIC names.
pub fn lb_facts(lb: &LoadBalancer, resource_group: &str) -> LoadBalancerFacts {
    let mut nat_rules = BTreeMap::new();
    let mut backend_pools = BTreeMap::new();
    if let Some(p) = lb.properties.as_ref() {
        for rule in &p.inbound_nat_rules {
            let nics = rule
                .properties
                .as_ref()
                .and_then(|r| r.backend_ip_configuration.as_ref())
                .and_then(|ipc| ipc.sub_resource.id.as_deref())
                .and_then(nic_name_of_ipconfig)
                .into_iter()
                .collect();
            nat_rules.insert(rule.name.clone().unwrap_or_default(), nics);
        }
        for pool in &p.backend_address_pools {
            let nics = pool
                .properties
                .as_ref()
                .map(|pp| {
                    pp.backend_ip_configurations
                        .iter()
                        .filter_map(|ipc| ipc.sub_resource.id.as_deref())
                        .filter_map(nic_name_of_ipconfig)
                        .collect()
                })
                .unwrap_or_default();
            backend_pools.insert(pool.name.clone().unwrap_or_default(), nics);
        }
    }
    LoadBalancerFacts {
        name: lb.resource.name.clone().unwrap_or_default(),
        resource_group: resource_group.to_owned(),
        nat_rules,
        backend_pools,
        probed_pools: probed_pools(lb),
    }
}

/// Backend pools fed by a load-balancing rule that names a health probe.
fn probed_pools(lb: &LoadBalancer) -> BTreeSet<String> {
    let Some(p) = lb.properties.as_ref() else {
        return BTreeSet::new();
    };
    p.load_balancing_rules
        .iter()
        .filter_map(|rule| rule.properties.as_ref())
        .filter(|r| r.probe.as_ref().is_some_and(|probe| probe.id.is_some()))
        .flat_map(|r| {
            r.backend_address_pool
                .iter()
                .chain(&r.backend_address_pools)
        })
        .filter_map(|pool| pool.id.as_deref())
        .map(|id| name_from_id(id).to_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn vm_from_status_only_and_model() {
        let status_only: VirtualMachine = serde_json::from_value(json!({
            "id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/WEB-A",
            "name": "web-a", "location": "westeurope",
            "properties": {"instanceView": {"statuses": [
                {"code": "ProvisioningState/succeeded", "level": "Info"},
                {"code": "PowerState/deallocated", "level": "Info"}]}}
        }))
        .unwrap();
        let mut map = PowerMap::new();
        add_power_states(&mut map, std::slice::from_ref(&status_only));
        let mut provisioning = ProvisioningMap::new();
        add_provisioning_states(&mut provisioning, &[status_only]);
        let id =
            "/subscriptions/s/resourcegroups/rg/providers/microsoft.compute/virtualmachines/web-a";
        assert_eq!(provisioning[id], "succeeded");
        let model: VirtualMachine = serde_json::from_value(json!({
            "id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/web-a",
            "name": "web-a", "location": "westeurope",
            "properties": {
                "provisioningState": "Succeeded",
                "storageProfile": {"dataDisks": [
                    {"lun": 0, "name": "web-data", "createOption": "Attach"},
                    {"lun": 1, "name": "old", "createOption": "Attach", "toBeDetached": true}]},
                "networkProfile": {"networkInterfaces": [{"id": "/x/networkInterfaces/web-a-nic"}]}
            }
        }))
        .unwrap();
        let f = vm_facts_with(&model, &map);
        assert_eq!(f.power, PowerState::Deallocated);
        assert_eq!(f.provisioning_state, "Succeeded");
        assert_eq!(f.nics, vec!["web-a-nic"]);
        assert_eq!(
            f.data_disks,
            vec![AttachedDisk {
                name: "web-data".into(),
                lun: 0,
                caching: None,
            }]
        );
        assert_eq!(
            vm_facts_with(&model, &PowerMap::new()).power,
            PowerState::Unknown
        );
    }

    #[test]
    fn disk_and_nic_and_lb() {
        let disk: Disk = serde_json::from_value(json!({
            "id": "/d/web-data", "name": "web-data", "location": "westeurope",
            "managedBy": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/web-a",
            "properties": {"creationData": {"createOption": "Empty"}, "diskState": "Attached"}
        }))
        .unwrap();
        let d = disk_facts(&disk);
        assert_eq!(d.managed_by.as_deref(), Some("web-a"));
        assert_eq!(d.disk_state, "Attached");

        let rule = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/loadBalancers/lb/inboundNatRules/web-app";
        let nic: NetworkInterface = serde_json::from_value(json!({
            "id": "/n/web-a-nic", "name": "web-a-nic",
            "properties": {"virtualMachine": {"id": "/v/web-a"}, "ipConfigurations": [
                {"name": "ipconfig1", "id": "/n/web-a-nic/ipConfigurations/ipconfig1",
                 "properties": {"loadBalancerInboundNatRules": [{"id": rule}]}}]}
        }))
        .unwrap();
        let n = nic_facts(&nic);
        assert_eq!(n.vm.as_deref(), Some("web-a"));
        assert_eq!(n.lb_refs, vec![rule.to_owned()]);

        let lb: LoadBalancer = serde_json::from_value(json!({
            "name": "lb", "properties": {
                "inboundNatRules": [
                    {"name": "web-app", "properties": {"backendIPConfiguration": {"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkInterfaces/web-a-nic/ipConfigurations/ipconfig1"}}},
                    {"name": "db-app", "properties": {}}],
                "backendAddressPools": [{"name": "pool", "properties": {"backendIPConfigurations": [
                    {"id": "/x/networkInterfaces/app-a-nic/ipConfigurations/ipconfig1"}]}}]}
        }))
        .unwrap();
        let l = lb_facts(&lb, "rg");
        assert_eq!(l.nat_rules["web-app"], vec!["web-a-nic"]);
        assert!(l.nat_rules["db-app"].is_empty());
        assert_eq!(l.backend_pools["pool"], vec!["app-a-nic"]);
    }
}
