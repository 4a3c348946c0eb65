//! The emulated Azure resources (VMs, disks, NICs, load balancers, roles) and their invariants.
//!
//! Plain state plus lookups and derived facts (disk state, LB back-references). It does not
//! speak HTTP and does not decide timing: routes validate requests, `lro` applies operations.

pub(crate) mod ids;
pub(crate) mod json;
pub(crate) mod lb_rules;
pub(crate) mod sizes;

use time::OffsetDateTime;
use uuid::Uuid;

use super::lro::Operation;
use super::scenario::{EndpointKindDef, LbRuleDef, ProbeDef, RoleDef, Scenario};

/// A VM's power state as the instance view reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Power {
    Running,
    Stopped,
    Deallocated,
    Starting,
    Stopping,
    Deallocating,
}

impl Power {
    /// Lower-case name used in `PowerState/<name>` and the control API.
    pub fn as_str(self) -> &'static str {
        match self {
            Power::Running => "running",
            Power::Stopped => "stopped",
            Power::Deallocated => "deallocated",
            Power::Starting => "starting",
            Power::Stopping => "stopping",
            Power::Deallocating => "deallocating",
        }
    }
}

/// A data disk change not yet completed by the VM's running update operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pending {
    Attach,
    Detach,
}

/// One entry of a VM's `storageProfile.dataDisks`.
#[derive(Debug, Clone)]
pub(crate) struct DataDisk {
    pub disk: String,
    pub rg: String,
    pub lun: i32,
    pub caching: String,
    pub pending: Option<Pending>,
}

/// A virtual machine.
#[derive(Debug, Clone)]
pub(crate) struct Vm {
    pub name: String,
    pub rg: String,
    pub vm_id: String,
    pub size: String,
    pub zone: Option<String>,
    pub availability_set: Option<String>,
    pub power: Power,
    pub provisioning: String,
    pub service_running: bool,
    pub hung: bool,
    pub chaos_stopped: bool,
    pub data_disks: Vec<DataDisk>,
    pub nics: Vec<String>,
    pub etag: u64,
    pub time_created: OffsetDateTime,
    pub tags: Option<serde_json::Value>,
}

/// A managed disk. `owner` is what `managedBy` shows; it lags the VM's dataDisks after a detach.
/// A shared disk (`max_shares` > 1) lists its other holders in `sharers`; `managedByExtended`
/// shows the owner then the sharers, as Azure lists every holder there.
#[derive(Debug, Clone)]
pub(crate) struct Disk {
    pub name: String,
    pub rg: String,
    pub size_gb: i32,
    pub unique_id: String,
    pub time_created: OffsetDateTime,
    pub owner: Option<(String, String)>,
    pub sharers: Vec<(String, String)>,
    pub max_shares: i32,
    pub sku: String,
    pub zone: Option<String>,
    pub detaching: bool,
    pub detach_failed: bool,
    pub release_at: Option<std::time::Instant>,
}

/// A reference from an ipconfig to a load balancer child (NAT rule or backend pool).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LbChild {
    pub rg: String,
    pub lb: String,
    pub child: String,
}

/// One ipconfig of a NIC. `extra` holds every other property the last PUT sent (application
/// security groups, public IP, anything newer than the emulator): Azure stores what it is sent.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct IpConfig {
    pub name: String,
    pub private_ip: String,
    pub static_ip: bool,
    pub subnet_id: String,
    pub primary: bool,
    pub nat_rules: Vec<LbChild>,
    pub pools: Vec<LbChild>,
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// What a NIC PUT sent outside the ipconfigs and outside the fields Azure controls: top-level
/// keys (tags, anything unknown) and `properties` keys (NSG, DNS, auxiliary mode/SKU, …).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct NicSent {
    pub top: serde_json::Map<String, serde_json::Value>,
    pub props: serde_json::Map<String, serde_json::Value>,
}

/// A network interface.
#[derive(Debug, Clone)]
pub(crate) struct Nic {
    pub name: String,
    pub rg: String,
    pub vm: Option<String>,
    pub provisioning: String,
    pub etag: String,
    pub resource_guid: String,
    pub mac: String,
    pub ipconfigs: Vec<IpConfig>,
    pub sent: NicSent,
}

/// An inbound NAT rule of a load balancer.
#[derive(Debug, Clone)]
pub(crate) struct NatRule {
    pub name: String,
    pub frontend_port: u16,
    pub backend_port: u16,
}

/// A load balancer; its back-references are derived from the NICs when rendered.
#[derive(Debug, Clone)]
pub(crate) struct Lb {
    pub name: String,
    pub rg: String,
    pub etag: String,
    pub resource_guid: String,
    pub nat_rules: Vec<NatRule>,
    pub pools: Vec<String>,
    pub probes: Vec<ProbeDef>,
    pub rules: Vec<LbRuleDef>,
}

/// The whole emulated subscription.
#[derive(Debug, Clone)]
pub(crate) struct World {
    pub subscription: String,
    pub location: String,
    pub resource_groups: Vec<String>,
    pub vms: Vec<Vm>,
    pub disks: Vec<Disk>,
    pub nics: Vec<Nic>,
    pub lbs: Vec<Lb>,
    pub roles: Vec<RoleDef>,
    pub ops: Vec<Operation>,
}

/// Case-insensitive equality, as Azure compares names.
pub(crate) fn same(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// A fresh network etag.
pub(crate) fn net_etag() -> String {
    format!("W/\"{}\"", Uuid::new_v4())
}

impl World {
    /// Build the initial world of a scenario.
    pub fn from_scenario(s: &Scenario) -> World {
        let now = OffsetDateTime::now_utc();
        let mut w = World {
            subscription: s.subscription_id.clone(),
            location: s.location.clone(),
            resource_groups: s.resource_groups.clone(),
            vms: vec![],
            disks: vec![],
            nics: vec![],
            lbs: s
                .load_balancers
                .iter()
                .map(|l| Lb {
                    name: l.name.clone(),
                    rg: l.resource_group.clone(),
                    etag: net_etag(),
                    resource_guid: Uuid::new_v4().to_string(),
                    nat_rules: l
                        .nat_rules
                        .iter()
                        .map(|r| NatRule {
                            name: r.name.clone(),
                            frontend_port: r.frontend_port,
                            backend_port: r.backend_port,
                        })
                        .collect(),
                    pools: l.backend_pools.clone(),
                    probes: l.probes.clone(),
                    rules: l.load_balancing_rules.clone(),
                })
                .collect(),
            roles: s.roles.clone(),
            ops: vec![],
        };
        let mut ip = 4u32;
        for role in &s.roles {
            w.add_role(role, now, &mut ip);
        }
        w
    }

    fn add_role(&mut self, role: &RoleDef, now: OffsetDateTime, ip: &mut u32) {
        for (i, vm) in role.vms.iter().enumerate() {
            let is_master = role.master.as_deref().is_some_and(|m| same(m, vm));
            let data_disks = role
                .disks
                .iter()
                // A shared disk starts on every VM, the others on the master only.
                .filter(|d| is_master || d.max_shares > 1)
                .map(|d| DataDisk {
                    disk: d.name.clone(),
                    rg: role.resource_group.clone(),
                    lun: d.lun,
                    caching: "None".to_string(),
                    pending: None,
                })
                .collect();
            let nic_name = format!("{vm}-nic");
            self.vms.push(Vm {
                name: vm.clone(),
                rg: role.resource_group.clone(),
                vm_id: Uuid::new_v4().to_string(),
                size: role.vm_size.clone(),
                zone: role.zones.get(i).cloned(),
                availability_set: role.availability_set.clone(),
                power: Power::Running,
                provisioning: "Succeeded".to_string(),
                service_running: is_master,
                hung: false,
                chaos_stopped: false,
                data_disks,
                nics: vec![nic_name.clone()],
                etag: 1,
                time_created: now,
                tags: None,
            });
            let endpoint = LbChild {
                rg: role.endpoint.resource_group.clone(),
                lb: role.endpoint.load_balancer.clone(),
                child: match &role.endpoint.kind {
                    EndpointKindDef::NatRule(n) | EndpointKindDef::BackendPool(n) => n.clone(),
                },
            };
            let (nat_rules, pools) = match (&role.endpoint.kind, is_master) {
                (EndpointKindDef::NatRule(_), true) => (vec![endpoint], vec![]),
                (EndpointKindDef::BackendPool(_), true) => (vec![], vec![endpoint]),
                _ => (vec![], vec![]),
            };
            let subnet_id = ids::subnet(&self.subscription, &role.resource_group);
            self.nics.push(Nic {
                name: nic_name,
                rg: role.resource_group.clone(),
                vm: Some(vm.clone()),
                provisioning: "Succeeded".to_string(),
                etag: net_etag(),
                resource_guid: Uuid::new_v4().to_string(),
                mac: format!("00-0D-3A-00-{:02X}-{:02X}", (*ip >> 8) & 0xff, *ip & 0xff),
                ipconfigs: vec![IpConfig {
                    name: "ipconfig1".to_string(),
                    private_ip: format!("10.0.{}.{}", *ip / 250, *ip % 250 + 4),
                    static_ip: false,
                    subnet_id,
                    primary: true,
                    nat_rules,
                    pools,
                    extra: json::object(serde_json::json!({"privateIPAddressVersion": "IPv4"})),
                }],
                sent: NicSent {
                    top: serde_json::Map::new(),
                    props: json::object(serde_json::json!({
                        "dnsSettings": {"dnsServers": []},
                        "enableAcceleratedNetworking": true,
                        "enableIPForwarding": false,
                        "nicType": "Standard",
                    })),
                },
            });
            *ip += 1;
        }
        // A locally redundant disk is created in its first owner's zone (else the first VM's).
        let home = role
            .master
            .as_ref()
            .and_then(|m| role.vms.iter().position(|v| same(v, m)))
            .unwrap_or(0);
        for d in &role.disks {
            let owner = role
                .master
                .as_ref()
                .map(|m| (role.resource_group.clone(), m.clone()));
            let zone_redundant = d.sku.to_ascii_uppercase().ends_with("_ZRS");
            let sharers = if d.max_shares > 1 {
                role.vms
                    .iter()
                    .filter(|v| !role.master.as_ref().is_some_and(|m| same(m, v)))
                    .map(|v| (role.resource_group.clone(), v.clone()))
                    .collect()
            } else {
                Vec::new()
            };
            self.disks.push(Disk {
                name: d.name.clone(),
                rg: role.resource_group.clone(),
                size_gb: d.size_gb,
                unique_id: Uuid::new_v4().to_string(),
                time_created: now,
                owner,
                sharers,
                max_shares: d.max_shares,
                sku: d.sku.clone(),
                zone: role.zones.get(home).cloned().filter(|_| !zone_redundant),
                detaching: false,
                detach_failed: false,
                release_at: None,
            });
        }
    }

    /// True when the resource group exists.
    pub fn has_group(&self, rg: &str) -> bool {
        self.resource_groups.iter().any(|g| same(g, rg))
    }

    /// Index of a VM.
    pub fn vm_index(&self, rg: &str, name: &str) -> Option<usize> {
        self.vms
            .iter()
            .position(|v| same(&v.rg, rg) && same(&v.name, name))
    }

    /// Index of a VM by name alone (heartbeats and chaos address VMs by name).
    pub fn vm_by_name(&self, name: &str) -> Option<usize> {
        self.vms.iter().position(|v| same(&v.name, name))
    }

    /// Index of a disk.
    pub fn disk_index(&self, rg: &str, name: &str) -> Option<usize> {
        self.disks
            .iter()
            .position(|d| same(&d.rg, rg) && same(&d.name, name))
    }

    /// Index of a NIC.
    pub fn nic_index(&self, rg: &str, name: &str) -> Option<usize> {
        self.nics
            .iter()
            .position(|n| same(&n.rg, rg) && same(&n.name, name))
    }

    /// Index of a load balancer.
    pub fn lb_index(&self, rg: &str, name: &str) -> Option<usize> {
        self.lbs
            .iter()
            .position(|l| same(&l.rg, rg) && same(&l.name, name))
    }

    /// `diskState` of a disk, derived from its holders' power states: Reserved only when
    /// every holder is deallocated.
    pub fn disk_state(&self, d: &Disk) -> &'static str {
        let holders: Vec<&(String, String)> = d.holders().collect();
        if holders.is_empty() {
            return "Unattached";
        }
        let deallocated = |(rg, vm): &&(String, String)| {
            self.vm_index(rg, vm)
                .is_some_and(|i| self.vms[i].power == Power::Deallocated)
        };
        if holders.iter().all(deallocated) {
            "Reserved"
        } else {
            "Attached"
        }
    }

    /// Ipconfigs (NIC index, ipconfig index) that reference a NAT rule or a pool.
    pub fn referrers(&self, target: &LbChild, nat: bool) -> Vec<(usize, usize)> {
        let mut out = vec![];
        for (ni, nic) in self.nics.iter().enumerate() {
            for (ci, ip) in nic.ipconfigs.iter().enumerate() {
                let list = if nat { &ip.nat_rules } else { &ip.pools };
                if list.iter().any(|c| c.same_as(target)) {
                    out.push((ni, ci));
                }
            }
        }
        out
    }

    /// True when a VM's NIC holds its role's endpoint.
    pub fn holds_endpoint(&self, vm: &Vm) -> bool {
        let Some(role) = self
            .roles
            .iter()
            .find(|r| r.vms.iter().any(|v| same(v, &vm.name)))
        else {
            return false;
        };
        let (child, nat) = match &role.endpoint.kind {
            EndpointKindDef::NatRule(n) => (n, true),
            EndpointKindDef::BackendPool(p) => (p, false),
        };
        let target = LbChild {
            rg: role.endpoint.resource_group.clone(),
            lb: role.endpoint.load_balancer.clone(),
            child: child.clone(),
        };
        self.referrers(&target, nat)
            .iter()
            .any(|(ni, _)| vm.nics.iter().any(|n| same(n, &self.nics[*ni].name)))
    }
}

impl Disk {
    /// Every VM holding the disk: the owner (`managedBy`), then the sharers.
    pub fn holders(&self) -> impl Iterator<Item = &(String, String)> {
        self.owner.iter().chain(&self.sharers)
    }

    /// True when `vm` holds the disk.
    pub fn held_by(&self, rg: &str, vm: &str) -> bool {
        self.holders().any(|(r, v)| same(r, rg) && same(v, vm))
    }

    /// Lets `vm` go: a sharer leaves the list; the owner's place goes to the first sharer
    /// (Azure moves `managedBy` to a remaining holder).
    pub fn release(&mut self, vm: &str) {
        if let Some(i) = self.sharers.iter().position(|(_, v)| same(v, vm)) {
            self.sharers.remove(i);
        } else if self.owner.as_ref().is_some_and(|(_, o)| same(o, vm)) {
            self.owner = if self.sharers.is_empty() {
                None
            } else {
                Some(self.sharers.remove(0))
            };
        }
    }
}

impl LbChild {
    /// Case-insensitive identity.
    pub fn same_as(&self, other: &LbChild) -> bool {
        same(&self.rg, &other.rg) && same(&self.lb, &other.lb) && same(&self.child, &other.child)
    }
}
