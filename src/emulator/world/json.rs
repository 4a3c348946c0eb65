//! ARM JSON of every emulated resource, shaped so the azure_mgmt_* typed models parse it.
//!
//! Rendering only: it never changes the world.

use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::lb_rules::LbIds;
use super::{ids, Disk, Lb, LbChild, Nic, Vm, World};

/// RFC 3339 text of a timestamp.
pub(crate) fn ts(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

impl World {
    /// The VM resource; `instance_view` adds `properties.instanceView`.
    pub fn vm_json(&self, vm: &Vm, instance_view: bool) -> Value {
        let sub = &self.subscription;
        let nics: Vec<Value> = vm
            .nics
            .iter()
            .enumerate()
            .map(
                |(i, n)| json!({"id": ids::nic(sub, &vm.rg, n), "properties": {"primary": i == 0}}),
            )
            .collect();
        let mut props = json!({
            "vmId": vm.vm_id,
            "provisioningState": vm.provisioning,
            "timeCreated": ts(vm.time_created),
            "hardwareProfile": {"vmSize": vm.size},
            "storageProfile": self.storage_profile(vm),
            "osProfile": {"computerName": vm.name, "adminUsername": "azureuser",
                "linuxConfiguration": {"disablePasswordAuthentication": true}},
            "networkProfile": {"networkInterfaces": nics},
        });
        if instance_view {
            props["instanceView"] = self.instance_view(vm);
        }
        if let Some(set) = &vm.availability_set {
            props["availabilitySet"] = json!({"id": ids::availability_set(sub, &vm.rg, set)});
        }
        let mut out = json!({
            "id": ids::vm(sub, &vm.rg, &vm.name),
            "name": vm.name,
            "type": "Microsoft.Compute/virtualMachines",
            "location": self.location,
            "etag": vm_etag(vm),
            "properties": props,
        });
        if let Some(zone) = &vm.zone {
            out["zones"] = json!([zone]);
        }
        if let Some(tags) = &vm.tags {
            out["tags"] = tags.clone();
        }
        out
    }

    /// `properties.storageProfile` of a VM (also the final result of attachDetachDataDisks).
    pub fn storage_profile(&self, vm: &Vm) -> Value {
        let sub = &self.subscription;
        let data: Vec<Value> = vm
            .data_disks
            .iter()
            .map(|d| {
                let disk = self.disk_index(&d.rg, &d.disk).map(|i| &self.disks[i]);
                let size = disk.map_or(128, |d| d.size_gb);
                let sku = disk.map_or("Premium_LRS", |d| d.sku.as_str());
                json!({
                    "lun": d.lun,
                    "name": d.disk,
                    "createOption": "Attach",
                    "caching": d.caching,
                    "writeAcceleratorEnabled": false,
                    "managedDisk": {"id": ids::disk(sub, &d.rg, &d.disk), "storageAccountType": sku},
                    "diskSizeGB": size,
                    "toBeDetached": d.pending == Some(super::Pending::Detach),
                    "deleteOption": "Detach",
                })
            })
            .collect();
        let os_name = format!("{}-osdisk", vm.name);
        json!({
            "imageReference": {"publisher": "Canonical", "offer": "ubuntu-24_04-lts", "sku": "server", "version": "latest"},
            "osDisk": {
                "osType": "Linux",
                "name": os_name,
                "createOption": "FromImage",
                "caching": "ReadWrite",
                "managedDisk": {"id": ids::disk(sub, &vm.rg, &os_name), "storageAccountType": "Premium_LRS"},
                "deleteOption": "Delete",
                "diskSizeGB": 30,
            },
            "dataDisks": data,
        })
    }

    /// The VM instance view (`statuses` with provisioning and power state).
    pub fn instance_view(&self, vm: &Vm) -> Value {
        let prov = vm.provisioning.to_ascii_lowercase();
        let mut statuses = vec![json!({
            "code": format!("ProvisioningState/{prov}"),
            "level": if prov == "failed" { "Error" } else { "Info" },
            "displayStatus": provisioning_display(&vm.provisioning),
        })];
        statuses.push(json!({
            "code": format!("PowerState/{}", vm.power.as_str()),
            "level": "Info",
            "displayStatus": format!("VM {}", vm.power.as_str()),
        }));
        let disks: Vec<Value> = vm
            .data_disks
            .iter()
            .map(|d| json!({"name": d.disk, "statuses": [{"code": "ProvisioningState/succeeded", "level": "Info", "displayStatus": "Provisioning succeeded"}]}))
            .collect();
        json!({
            "computerName": vm.name,
            "osName": "ubuntu",
            "osVersion": "24.04",
            "vmAgent": {"vmAgentVersion": "2.11.1.4", "statuses": [{"code": "ProvisioningState/succeeded", "level": "Info", "displayStatus": if vm.hung { "Not Ready" } else { "Ready" }}]},
            "disks": disks,
            "statuses": statuses,
        })
    }

    /// A managed disk resource.
    pub fn disk_json(&self, d: &Disk) -> Value {
        let sub = &self.subscription;
        let mut out = json!({
            "id": ids::disk(sub, &d.rg, &d.name),
            "name": d.name,
            "type": "Microsoft.Compute/disks",
            "location": self.location,
            "sku": {"name": d.sku, "tier": sku_tier(&d.sku)},
            "properties": {
                "creationData": {"createOption": "Empty"},
                "diskSizeGB": d.size_gb,
                "diskSizeBytes": i64::from(d.size_gb) * 1024 * 1024 * 1024,
                "uniqueId": d.unique_id,
                "provisioningState": "Succeeded",
                "diskState": self.disk_state(d),
                "timeCreated": ts(d.time_created),
                "networkAccessPolicy": "AllowAll",
                "encryption": {"type": "EncryptionAtRestWithPlatformKey"},
            },
        });
        if let Some((rg, vm)) = &d.owner {
            out["managedBy"] = json!(ids::vm(sub, rg, vm));
        }
        if d.max_shares > 1 {
            // Azure shows maxShares only on a shareable disk, and every holder in
            // managedByExtended (empty when none).
            out["properties"]["maxShares"] = json!(d.max_shares);
            let holders: Vec<String> = d.holders().map(|(rg, vm)| ids::vm(sub, rg, vm)).collect();
            out["managedByExtended"] = json!(holders);
        }
        if let Some(zone) = &d.zone {
            out["zones"] = json!([zone]);
        }
        out
    }

    /// A network interface.
    pub fn nic_json(&self, nic: &Nic) -> Value {
        let sub = &self.subscription;
        let child = |c: &LbChild, kind: &str| json!({"id": ids::lb_child(sub, &c.rg, &c.lb, kind, &c.child)});
        let ipconfigs: Vec<Value> = nic
            .ipconfigs
            .iter()
            .map(|ip| {
                // What was sent first, then what Azure owns on top of it.
                let mut props = Value::Object(ip.extra.clone());
                props["provisioningState"] = json!(nic.provisioning);
                props["privateIPAddress"] = json!(ip.private_ip);
                props["privateIPAllocationMethod"] =
                    json!(if ip.static_ip { "Static" } else { "Dynamic" });
                props["subnet"] = json!({"id": ip.subnet_id});
                props["primary"] = json!(ip.primary);
                props["loadBalancerInboundNatRules"] = ip
                    .nat_rules
                    .iter()
                    .map(|c| child(c, "inboundNatRules"))
                    .collect();
                props["loadBalancerBackendAddressPools"] = ip
                    .pools
                    .iter()
                    .map(|c| child(c, "backendAddressPools"))
                    .collect();
                json!({
                    "name": ip.name,
                    "id": ids::ipconfig(sub, &nic.rg, &nic.name, &ip.name),
                    "etag": nic.etag,
                    "type": "Microsoft.Network/networkInterfaces/ipConfigurations",
                    "properties": props,
                })
            })
            .collect();
        let mut props = Value::Object(nic.sent.props.clone());
        props["provisioningState"] = json!(nic.provisioning);
        props["resourceGuid"] = json!(nic.resource_guid);
        props["ipConfigurations"] = Value::Array(ipconfigs);
        props["macAddress"] = json!(nic.mac);
        props["primary"] = json!(true);
        if let Some(dns) = props.get_mut("dnsSettings").filter(|d| d.is_object()) {
            let servers = dns.get("dnsServers").cloned().unwrap_or_else(|| json!([]));
            dns["appliedDnsServers"] = servers;
        }
        if let Some(vm) = &nic.vm {
            props["virtualMachine"] = json!({"id": ids::vm(sub, &nic.rg, vm)});
        }
        let mut out = Value::Object(nic.sent.top.clone());
        out["name"] = json!(nic.name);
        out["id"] = json!(ids::nic(sub, &nic.rg, &nic.name));
        out["etag"] = json!(nic.etag);
        out["type"] = json!("Microsoft.Network/networkInterfaces");
        out["location"] = json!(self.location);
        out["properties"] = props;
        out
    }

    /// A load balancer, with back-references derived from the NICs.
    pub fn lb_json(&self, lb: &Lb) -> Value {
        let sub = &self.subscription;
        let fe_id = ids::lb_child(
            sub,
            &lb.rg,
            &lb.name,
            "frontendIPConfigurations",
            "frontend",
        );
        let ipconfig_id = |(ni, ci): (usize, usize)| {
            let nic = &self.nics[ni];
            json!({"id": ids::ipconfig(sub, &nic.rg, &nic.name, &nic.ipconfigs[ci].name)})
        };
        let rules: Vec<Value> = lb
            .nat_rules
            .iter()
            .map(|r| {
                let target = LbChild {
                    rg: lb.rg.clone(),
                    lb: lb.name.clone(),
                    child: r.name.clone(),
                };
                let mut props = json!({
                    "provisioningState": "Succeeded",
                    "frontendIPConfiguration": {"id": fe_id},
                    "frontendPort": r.frontend_port,
                    "backendPort": r.backend_port,
                    "protocol": "Tcp",
                    "enableFloatingIP": false,
                    "idleTimeoutInMinutes": 4,
                    "enableTcpReset": false,
                });
                if let Some(first) = self.referrers(&target, true).first() {
                    props["backendIPConfiguration"] = ipconfig_id(*first);
                }
                json!({
                    "name": r.name,
                    "id": ids::lb_child(sub, &lb.rg, &lb.name, "inboundNatRules", &r.name),
                    "etag": lb.etag,
                    "type": "Microsoft.Network/loadBalancers/inboundNatRules",
                    "properties": props,
                })
            })
            .collect();
        let lb_ids = LbIds { sub, lb };
        let pools: Vec<Value> = lb
            .pools
            .iter()
            .map(|p| {
                let target = LbChild { rg: lb.rg.clone(), lb: lb.name.clone(), child: p.clone() };
                let members: Vec<Value> = self.referrers(&target, false).into_iter().map(ipconfig_id).collect();
                json!({
                    "name": p,
                    "id": ids::lb_child(sub, &lb.rg, &lb.name, "backendAddressPools", p),
                    "etag": lb.etag,
                    "type": "Microsoft.Network/loadBalancers/backendAddressPools",
                    "properties": {"provisioningState": "Succeeded", "backendIPConfigurations": members,
                        "loadBalancingRules": lb_ids.pool_rules(p)},
                })
            })
            .collect();
        let rule_refs: Vec<Value> = lb
            .nat_rules
            .iter()
            .map(
                |r| json!({"id": ids::lb_child(sub, &lb.rg, &lb.name, "inboundNatRules", &r.name)}),
            )
            .collect();
        json!({
            "name": lb.name,
            "id": ids::lb(sub, &lb.rg, &lb.name),
            "etag": lb.etag,
            "type": "Microsoft.Network/loadBalancers",
            "location": self.location,
            "sku": {"name": "Standard", "tier": "Regional"},
            "properties": {
                "provisioningState": "Succeeded",
                "resourceGuid": lb.resource_guid,
                "frontendIPConfigurations": [{
                    "name": "frontend",
                    "id": fe_id,
                    "etag": lb.etag,
                    "type": "Microsoft.Network/loadBalancers/frontendIPConfigurations",
                    "properties": {"provisioningState": "Succeeded", "privateIPAddress": "10.0.255.10",
                        "privateIPAllocationMethod": "Static", "subnet": {"id": ids::subnet(sub, &lb.rg)},
                        "inboundNatRules": rule_refs, "loadBalancingRules": lb_ids.frontend_rules()},
                }],
                "backendAddressPools": pools,
                "inboundNatRules": rules,
                "loadBalancingRules": lb_ids.rules(&fe_id),
                "probes": lb_ids.probes(),
                "outboundRules": [],
                "inboundNatPools": [],
            },
        })
    }
}

/// `sku.tier` of a disk SKU (`Premium_ZRS` → `Premium`), as Azure reports it.
fn sku_tier(sku: &str) -> &'static str {
    match sku.split('_').next().unwrap_or_default() {
        "Premium" | "PremiumV2" => "Premium",
        "StandardSSD" => "Standard",
        "UltraSSD" => "Ultra",
        _ => "Standard",
    }
}

/// The members of a JSON object (empty for anything else).
pub(crate) fn object(v: Value) -> serde_json::Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => serde_json::Map::new(),
    }
}

/// The VM etag as sent on the wire and compared with If-Match.
pub(crate) fn vm_etag(vm: &Vm) -> String {
    format!("\"{}\"", vm.etag)
}

fn provisioning_display(state: &str) -> String {
    match state {
        "Succeeded" => "Provisioning succeeded".to_string(),
        "Failed" => "Provisioning failed".to_string(),
        other => other.to_string(),
    }
}
