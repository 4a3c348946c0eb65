//! Derives each role's leader state and invariant violations from Azure facts and probes.
//!
//! Pure: the caller supplies the facts, the probe verdicts and whether an operation is running.
//! The master is the VM that holds the endpoint AND every data disk that moves. A shared disk
//! (`shared = true`) is attached to every VM of the role: it says nothing about who leads (the
//! endpoint, power and heartbeats do); attached to fewer VMs it makes the role DEGRADED, and
//! Azure reporting it as not shareable (`maxShares` < 2) is a config/reality mismatch stated as such. Anything else that Azure
//! says about ownership is reported as a [`Violation`] stating the facts — never resolved here.
//! A role whose every standby Azure would refuse the disks to (zone, availability set, size,
//! LUN, region: see `plan::refusals`) is DEGRADED, long before anyone needs a failover.

use super::index::FactsIndex;
use super::model::{
    name_from_id, same_name, AzureFacts, EndpointSpec, PowerState, ProbeFacts, ProbeStatus,
    RoleSpec, VmFacts, VmProbes,
};
use super::plan::refusals::{self, Refusal};
use serde::Serialize;
use std::fmt;

/// The derived state of one role, worst news first when several apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LeaderState {
    /// One master, its heartbeats good, every standby up.
    Healthy,
    /// One healthy master, but a standby is down or unreachable: a failover would have nowhere to go.
    Degraded,
    /// One master holds everything but its VM, vm probe or service probe is down.
    MasterDown,
    /// Ownership is contradictory (two holders, or endpoint and disks apart): a human must decide.
    Split,
    /// Nobody holds the endpoint and the disks together, and nothing contradicts.
    NoMaster,
    /// A failover or switchover of this role is running.
    FailingOver,
    /// Not enough facts to say (no inventory yet, a VM missing, no heartbeat yet from the master).
    Unknown,
}

impl LeaderState {
    /// Lower-case word used in JSON and logs (`master_down`).
    pub fn as_str(self) -> &'static str {
        match self {
            LeaderState::Healthy => "healthy",
            LeaderState::Degraded => "degraded",
            LeaderState::MasterDown => "master_down",
            LeaderState::Split => "split",
            LeaderState::NoMaster => "no_master",
            LeaderState::FailingOver => "failing_over",
            LeaderState::Unknown => "unknown",
        }
    }

    /// Upper-case label for screens (`MASTER DOWN`).
    pub fn label(self) -> &'static str {
        match self {
            LeaderState::Healthy => "HEALTHY",
            LeaderState::Degraded => "DEGRADED",
            LeaderState::MasterDown => "MASTER DOWN",
            LeaderState::Split => "SPLIT",
            LeaderState::NoMaster => "NO MASTER",
            LeaderState::FailingOver => "FAILING OVER",
            LeaderState::Unknown => "UNKNOWN",
        }
    }
}

/// One broken invariant, stated as the facts that break it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Violation {
    /// A configured VM is not in the inventory.
    VmNotFound {
        /// The missing VM.
        vm: String,
    },
    /// A configured disk is not in the inventory.
    DiskNotFound {
        /// The missing disk.
        disk: String,
    },
    /// More than one VM holds the endpoint.
    EndpointOnMany {
        /// The endpoint label (`lb/rule`).
        endpoint: String,
        /// Every holder.
        holders: Vec<String>,
    },
    /// The endpoint is held by a NIC or VM that is not part of the role.
    EndpointOutsideRole {
        /// The endpoint label.
        endpoint: String,
        /// The foreign holder (VM name, or NIC name when the NIC has no VM).
        holder: String,
    },
    /// A disk is attached to a VM outside the role.
    DiskOutsideRole {
        /// The disk.
        disk: String,
        /// The foreign VM.
        vm: String,
    },
    /// The endpoint and a disk are on different VMs (or a disk is on a VM the endpoint is not).
    Apart {
        /// Where the endpoint is (`None`: nowhere).
        endpoint_on: Option<String>,
        /// The disk.
        disk: String,
        /// Where the disk is (`None`: detached).
        disk_on: Option<String>,
    },
    /// A disk sits on the master at another LUN than configured.
    WrongLun {
        /// The disk.
        disk: String,
        /// Configured LUN.
        expected: i32,
        /// LUN on the VM.
        actual: i32,
    },
    /// The load balancer's back-reference disagrees with the NICs.
    LoadBalancerDisagrees {
        /// The endpoint label.
        endpoint: String,
        /// NICs the load balancer names.
        lb_says: Vec<String>,
        /// NICs whose ipconfig references the endpoint.
        nics_say: Vec<String>,
    },
    /// The master's VM is not running.
    MasterNotRunning {
        /// The master.
        vm: String,
        /// Its power state.
        power: PowerState,
    },
    /// The master's host heartbeat fails.
    MasterVmProbeDown {
        /// The master.
        vm: String,
        /// Why the probe failed.
        reason: String,
    },
    /// The master's service heartbeat fails.
    MasterServiceDown {
        /// The master.
        vm: String,
        /// Why the probe failed.
        reason: String,
    },
    /// A shared disk is not attached to every VM of the role.
    SharedDiskNotOnAll {
        /// The disk.
        disk: String,
        /// The role's VMs it is not attached to.
        missing: Vec<String>,
    },
    /// A disk configured as shared that Azure does not let more than one VM hold.
    SharedDiskNotShareable {
        /// The disk.
        disk: String,
        /// `maxShares` as Azure reports it (`None`: absent, which means 1).
        max_shares: Option<i32>,
    },
    /// Azure would refuse the role's disks on every standby: no failover could finish.
    StandbysRefused {
        /// What Azure would refuse, per standby.
        refusals: Vec<Refusal>,
    },
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Violation::VmNotFound { vm } => write!(f, "VM {vm} not found in Azure"),
            Violation::DiskNotFound { disk } => write!(f, "disk {disk} not found in Azure"),
            Violation::EndpointOnMany { endpoint, holders } => {
                write!(f, "endpoint {endpoint} on {}", holders.join(" and "))
            }
            Violation::EndpointOutsideRole { endpoint, holder } => {
                write!(f, "endpoint {endpoint} on {holder}, outside the role")
            }
            Violation::DiskOutsideRole { disk, vm } => {
                write!(f, "disk {disk} on {vm}, outside the role")
            }
            Violation::Apart {
                endpoint_on,
                disk,
                disk_on,
            } => write!(
                f,
                "endpoint on {}, disk {disk} on {}",
                endpoint_on.as_deref().unwrap_or("no VM"),
                disk_on.as_deref().unwrap_or("no VM")
            ),
            Violation::WrongLun {
                disk,
                expected,
                actual,
            } => write!(f, "disk {disk} at LUN {actual}, configured LUN {expected}"),
            Violation::LoadBalancerDisagrees {
                endpoint,
                lb_says,
                nics_say,
            } => write!(
                f,
                "load balancer says {endpoint} targets {}, NICs say {}",
                list_or_none(lb_says),
                list_or_none(nics_say)
            ),
            Violation::MasterNotRunning { vm, power } => {
                write!(f, "master {vm} is {}", power.as_str())
            }
            Violation::MasterVmProbeDown { vm, reason } => {
                write!(f, "vm probe of master {vm} down: {reason}")
            }
            Violation::MasterServiceDown { vm, reason } => {
                write!(f, "service probe of master {vm} down: {reason}")
            }
            Violation::SharedDiskNotOnAll { disk, missing } => write!(
                f,
                "shared disk {disk} not attached to {}: a failover there would find no data",
                missing.join(", ")
            ),
            Violation::SharedDiskNotShareable { disk, max_shares } => write!(
                f,
                "disk {disk} is configured shared but Azure says maxShares {}: config and Azure disagree (set maxShares >= 2 on the disk, or drop `shared` from the config)",
                max_shares.unwrap_or(1)
            ),
            Violation::StandbysRefused { refusals } => write!(
                f,
                "no standby can take over: {}",
                refusals
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        }
    }
}

fn list_or_none(names: &[String]) -> String {
    if names.is_empty() {
        "nothing".to_string()
    } else {
        names.join(", ")
    }
}

/// Where one configured disk is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiskPlacement {
    /// Disk name.
    pub name: String,
    /// Configured LUN.
    pub lun: i32,
    /// VM in `managedBy`, `None` when free or unknown.
    pub attached_to: Option<String>,
    /// `diskState` as Azure reports it (`unknown` when the disk was not found).
    pub disk_state: String,
    /// `sku.name` (`Premium_ZRS`…), when known.
    pub sku: Option<String>,
    /// The disk's zones (empty: regional or zone-redundant).
    pub zones: Vec<String>,
    /// Configured `shared = true`: attached to every VM, never moved.
    pub shared: bool,
    /// Every VM Azure says the disk is attached to (`managedBy` then `managedByExtended`).
    pub holders: Vec<String>,
    /// `maxShares` as Azure reports it, when known.
    pub max_shares: Option<i32>,
}

impl DiskPlacement {
    /// `shared 2/3` (holders / maxShares, `?` when Azure did not say) for a shared disk.
    pub fn share_label(&self) -> Option<String> {
        self.shared.then(|| {
            let max = self
                .max_shares
                .map_or_else(|| "?".to_string(), |m| m.to_string());
            format!("shared {}/{max}", self.holders.len())
        })
    }
}

/// One VM of the role as the screens need it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VmStatus {
    /// VM name (as configured).
    pub name: String,
    /// Power state (`Unknown` when not in the inventory).
    pub power: PowerState,
    /// Heartbeats.
    pub probes: VmProbes,
    /// True for the master.
    pub is_master: bool,
    /// The VM's zones (empty: regional).
    pub zones: Vec<String>,
    /// `hardwareProfile.vmSize`, when known.
    pub size: Option<String>,
}

/// Everything derived about one role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoleStatus {
    /// Role name.
    pub role: String,
    /// Derived state.
    pub state: LeaderState,
    /// The master, when one VM holds the endpoint and every disk.
    pub master: Option<String>,
    /// Who holds the endpoint (role VMs, or foreign VMs/NICs); empty when nobody.
    pub endpoint_holders: Vec<String>,
    /// Every configured disk and where it is.
    pub disks: Vec<DiskPlacement>,
    /// Every configured VM.
    pub vms: Vec<VmStatus>,
    /// Broken invariants, as facts.
    pub violations: Vec<Violation>,
}

/// What `derive` needs to know about one role.
#[derive(Debug, Clone, Copy)]
pub struct RoleInput<'a> {
    /// The role as configured.
    pub spec: &'a RoleSpec,
    /// The inventory, `None` when none has succeeded yet.
    pub facts: Option<&'a AzureFacts>,
    /// Latest probe verdicts.
    pub probes: &'a ProbeFacts,
    /// True while a failover or switchover of the role runs.
    pub operation_running: bool,
}

/// Derives a role's status from the facts. See the module doc for the rules.
/// To derive many roles from one inventory, use [`derive_all`]: it indexes the facts once.
pub fn derive(input: RoleInput<'_>) -> RoleStatus {
    let index = input.facts.map(FactsIndex::new);
    derive_indexed(input, index.as_ref())
}

/// Derives every role from one inventory, indexing it once (linear in roles + resources).
/// `running(role)` says whether an operation of that role runs.
pub fn derive_all(
    specs: &[RoleSpec],
    facts: Option<&AzureFacts>,
    probes: &ProbeFacts,
    running: impl Fn(&str) -> bool,
) -> Vec<RoleStatus> {
    let index = facts.map(FactsIndex::new);
    specs
        .iter()
        .map(|spec| {
            let input = RoleInput {
                spec,
                facts,
                probes,
                operation_running: running(&spec.name),
            };
            derive_indexed(input, index.as_ref())
        })
        .collect()
}

fn derive_indexed(input: RoleInput<'_>, index: Option<&FactsIndex<'_>>) -> RoleStatus {
    let spec = input.spec;
    let Some(facts) = index else {
        return unknown_without_facts(spec, input.probes);
    };
    let mut violations = Vec::new();
    let holders = endpoint_holders(&spec.endpoint, facts);
    check_lb_agrees(&spec.endpoint, facts, &mut violations);
    let disks = place_disks(spec, facts, &mut violations);
    for vm in &spec.vms {
        if facts.vm(vm).is_none() {
            violations.push(Violation::VmNotFound { vm: vm.clone() });
        }
    }
    let moving: Vec<DiskPlacement> = disks.iter().filter(|d| !d.shared).cloned().collect();
    let ownership = judge_ownership(spec, &holders, &moving, &mut violations);
    let shared_split = check_shared(spec, &disks, &mut violations);
    let ownership = match ownership {
        Ownership::Master(_) | Ownership::None if shared_split => Ownership::Split,
        other => other,
    };
    let master = match &ownership {
        Ownership::Master(vm) => Some(vm.clone()),
        _ => None,
    };
    let vms = vm_statuses(spec, facts, input.probes, master.as_deref());
    let mut state = match ownership {
        Ownership::Split => LeaderState::Split,
        Ownership::None => LeaderState::NoMaster,
        Ownership::Master(ref m) => health_state(m, &vms, facts, spec, &mut violations),
    };
    if violations.iter().any(|v| {
        matches!(
            v,
            Violation::VmNotFound { .. } | Violation::DiskNotFound { .. }
        )
    }) && state != LeaderState::Split
    {
        state = LeaderState::Unknown;
    }
    if input.operation_running {
        state = LeaderState::FailingOver;
    }
    RoleStatus {
        role: spec.name.clone(),
        state,
        master,
        endpoint_holders: holders,
        disks,
        vms,
        violations,
    }
}

fn unknown_without_facts(spec: &RoleSpec, probes: &ProbeFacts) -> RoleStatus {
    RoleStatus {
        role: spec.name.clone(),
        state: LeaderState::Unknown,
        master: None,
        endpoint_holders: Vec::new(),
        disks: spec
            .disks
            .iter()
            .map(|d| DiskPlacement {
                name: d.name.clone(),
                lun: d.lun,
                attached_to: None,
                disk_state: "unknown".to_string(),
                sku: None,
                zones: Vec::new(),
                shared: d.shared,
                holders: Vec::new(),
                max_shares: None,
            })
            .collect(),
        vms: spec
            .vms
            .iter()
            .map(|vm| VmStatus {
                name: vm.clone(),
                power: PowerState::Unknown,
                probes: probes.get(vm),
                is_master: false,
                zones: Vec::new(),
                size: None,
            })
            .collect(),
        violations: Vec::new(),
    }
}

/// VMs (or VM-less NICs) whose NIC references the endpoint, in NIC order.
fn endpoint_holders(endpoint: &EndpointSpec, facts: &FactsIndex<'_>) -> Vec<String> {
    let mut holders: Vec<String> = Vec::new();
    for nic in facts.nics_holding(endpoint) {
        {
            let holder = nic
                .vm
                .clone()
                .unwrap_or_else(|| format!("NIC {}", nic.name));
            if !holders.iter().any(|h| same_name(h, &holder)) {
                holders.push(holder);
            }
        }
    }
    holders
}

fn check_lb_agrees(endpoint: &EndpointSpec, facts: &FactsIndex<'_>, out: &mut Vec<Violation>) {
    let Some(lb) = facts.load_balancer(&endpoint.load_balancer) else {
        return;
    };
    let map = match endpoint.kind {
        super::model::EndpointKind::NatRule(_) => &lb.nat_rules,
        super::model::EndpointKind::BackendPool(_) => &lb.backend_pools,
    };
    let lb_says: Vec<String> = map
        .iter()
        .find(|(name, _)| same_name(name, endpoint.child_name()))
        .map(|(_, nics)| nics.clone())
        .unwrap_or_default();
    let nics_say: Vec<String> = facts
        .nics_holding(endpoint)
        .iter()
        .map(|n| n.name.clone())
        .collect();
    let same = lb_says.len() == nics_say.len()
        && lb_says
            .iter()
            .all(|a| nics_say.iter().any(|b| same_name(a, b)));
    if !same {
        out.push(Violation::LoadBalancerDisagrees {
            endpoint: endpoint.label(),
            lb_says,
            nics_say,
        });
    }
}

fn place_disks(
    spec: &RoleSpec,
    facts: &FactsIndex<'_>,
    out: &mut Vec<Violation>,
) -> Vec<DiskPlacement> {
    spec.disks
        .iter()
        .map(|d| match facts.disk(&d.name) {
            Some(found) => DiskPlacement {
                name: d.name.clone(),
                lun: d.lun,
                attached_to: found
                    .managed_by
                    .as_deref()
                    .map(|v| name_from_id(v).to_string()),
                disk_state: found.disk_state.clone(),
                sku: found.storage.sku.clone(),
                zones: found.storage.zones.clone(),
                shared: d.shared,
                holders: found.holders(),
                max_shares: found.storage.max_shares,
            },
            None => {
                out.push(Violation::DiskNotFound {
                    disk: d.name.clone(),
                });
                DiskPlacement {
                    name: d.name.clone(),
                    lun: d.lun,
                    attached_to: None,
                    disk_state: "unknown".to_string(),
                    sku: None,
                    zones: Vec::new(),
                    shared: d.shared,
                    holders: Vec::new(),
                    max_shares: None,
                }
            }
        })
        .collect()
}

/// Who owns the role, judged from endpoint holders and disk owners alone.
enum Ownership {
    Master(String),
    Split,
    None,
}

fn judge_ownership(
    spec: &RoleSpec,
    holders: &[String],
    disks: &[DiskPlacement],
    out: &mut Vec<Violation>,
) -> Ownership {
    let in_role = |vm: &str| spec.vms.iter().any(|v| same_name(v, vm));
    let mut split = false;
    for holder in holders.iter().filter(|h| !in_role(h)) {
        out.push(Violation::EndpointOutsideRole {
            endpoint: spec.endpoint.label(),
            holder: holder.clone(),
        });
        split = true;
    }
    if holders.len() > 1 {
        out.push(Violation::EndpointOnMany {
            endpoint: spec.endpoint.label(),
            holders: holders.to_vec(),
        });
        split = true;
    }
    for disk in disks {
        if let Some(vm) = disk.attached_to.as_deref().filter(|vm| !in_role(vm)) {
            out.push(Violation::DiskOutsideRole {
                disk: disk.name.clone(),
                vm: vm.to_string(),
            });
            split = true;
        }
    }
    let endpoint_on = (holders.len() == 1).then(|| holders[0].clone());
    let anchor = endpoint_on
        .clone()
        .or_else(|| disks.iter().find_map(|d| d.attached_to.clone()));
    let Some(anchor) = anchor else {
        return if split {
            Ownership::Split
        } else {
            Ownership::None
        };
    };
    let mut apart = false;
    for disk in disks {
        let together = endpoint_on.is_some()
            && disk
                .attached_to
                .as_deref()
                .is_some_and(|vm| same_name(vm, &anchor));
        if !together && !split {
            out.push(Violation::Apart {
                endpoint_on: endpoint_on.clone(),
                disk: disk.name.clone(),
                disk_on: disk.attached_to.clone(),
            });
            apart = true;
        }
    }
    // Two different VMs each holding a part is a split; one VM holding a part and the rest
    // held by nobody is an interrupted move (no master, nothing contradicts).
    let owners_elsewhere = disks.iter().any(|d| {
        d.attached_to
            .as_deref()
            .is_some_and(|vm| !same_name(vm, &anchor))
    });
    if split || owners_elsewhere {
        Ownership::Split
    } else if apart || endpoint_on.is_none() {
        Ownership::None
    } else {
        Ownership::Master(anchor)
    }
}

/// The shared disks' own invariants: attached to every VM of the role and to none outside it,
/// and shareable in Azure. True when one is attached outside the role (a split: a stranger
/// can write the role's data).
fn check_shared(spec: &RoleSpec, disks: &[DiskPlacement], out: &mut Vec<Violation>) -> bool {
    let mut split = false;
    for disk in disks
        .iter()
        .filter(|d| d.shared && d.disk_state != "unknown")
    {
        for vm in disk
            .holders
            .iter()
            .filter(|h| !spec.vms.iter().any(|v| same_name(v, h)))
        {
            out.push(Violation::DiskOutsideRole {
                disk: disk.name.clone(),
                vm: vm.clone(),
            });
            split = true;
        }
        if disk.max_shares.unwrap_or(1) < 2 {
            out.push(Violation::SharedDiskNotShareable {
                disk: disk.name.clone(),
                max_shares: disk.max_shares,
            });
        }
        let missing: Vec<String> = spec
            .vms
            .iter()
            .filter(|v| !disk.holders.iter().any(|h| same_name(h, v)))
            .cloned()
            .collect();
        if !missing.is_empty() {
            out.push(Violation::SharedDiskNotOnAll {
                disk: disk.name.clone(),
                missing,
            });
        }
    }
    split
}

fn vm_statuses(
    spec: &RoleSpec,
    facts: &FactsIndex<'_>,
    probes: &ProbeFacts,
    master: Option<&str>,
) -> Vec<VmStatus> {
    spec.vms
        .iter()
        .map(|vm| {
            let found = facts.vm(vm);
            VmStatus {
                name: vm.clone(),
                power: found.map_or(PowerState::Unknown, |v| v.power),
                probes: probes.get(vm),
                is_master: master.is_some_and(|m| same_name(m, vm)),
                zones: found.map(|v| v.placement.zones.clone()).unwrap_or_default(),
                size: found.and_then(|v| v.placement.size.clone()),
            }
        })
        .collect()
}

/// State of a role that has a master: master first, then the standbys.
fn health_state(
    master: &str,
    vms: &[VmStatus],
    facts: &FactsIndex<'_>,
    spec: &RoleSpec,
    out: &mut Vec<Violation>,
) -> LeaderState {
    check_luns(master, facts, spec, out);
    let refused = check_standbys(master, facts, spec, out);
    let Some(m) = vms.iter().find(|v| v.is_master) else {
        return LeaderState::Unknown;
    };
    let mut master_down = false;
    if m.power != PowerState::Running {
        out.push(Violation::MasterNotRunning {
            vm: m.name.clone(),
            power: m.power,
        });
        master_down = true;
    }
    if let ProbeStatus::Down { reason } = &m.probes.vm {
        out.push(Violation::MasterVmProbeDown {
            vm: m.name.clone(),
            reason: reason.clone(),
        });
        master_down = true;
    }
    if let ProbeStatus::Down { reason } = &m.probes.service {
        out.push(Violation::MasterServiceDown {
            vm: m.name.clone(),
            reason: reason.clone(),
        });
        master_down = true;
    }
    if master_down {
        return LeaderState::MasterDown;
    }
    if m.probes.service == ProbeStatus::Unknown {
        return LeaderState::Unknown;
    }
    let standby_down = vms
        .iter()
        .filter(|v| !v.is_master)
        .any(|v| v.power != PowerState::Running || v.probes.vm.is_down());
    let disk_trouble = out.iter().any(|v| {
        matches!(
            v,
            Violation::WrongLun { .. }
                | Violation::SharedDiskNotOnAll { .. }
                | Violation::SharedDiskNotShareable { .. }
        )
    });
    if standby_down || disk_trouble || refused {
        LeaderState::Degraded
    } else {
        LeaderState::Healthy
    }
}

/// True (and a violation) when Azure would refuse the role's disks on every standby.
fn check_standbys(
    master: &str,
    facts: &FactsIndex<'_>,
    spec: &RoleSpec,
    out: &mut Vec<Violation>,
) -> bool {
    let standbys: Vec<&VmFacts> = spec
        .vms
        .iter()
        .filter(|v| !same_name(v, master))
        .filter_map(|v| facts.vm(v))
        .collect();
    let per_standby: Vec<Vec<Refusal>> = standbys
        .iter()
        .map(|vm| refusals::check(spec, vm, |d| facts.disk(d)))
        .collect();
    if per_standby.is_empty() || per_standby.iter().any(Vec::is_empty) {
        return false;
    }
    out.push(Violation::StandbysRefused {
        refusals: per_standby.into_iter().flatten().collect(),
    });
    true
}

fn check_luns(master: &str, facts: &FactsIndex<'_>, spec: &RoleSpec, out: &mut Vec<Violation>) {
    let Some(vm) = facts.vm(master) else {
        return;
    };
    for disk in &spec.disks {
        let attached = vm
            .data_disks
            .iter()
            .find(|d| same_name(&d.name, &disk.name));
        if let Some(a) = attached.filter(|a| a.lun != disk.lun) {
            out.push(Violation::WrongLun {
                disk: disk.name.clone(),
                expected: disk.lun,
                actual: a.lun,
            });
        }
    }
}

#[cfg(test)]
#[path = "leader_shared_tests.rs"]
mod shared_tests;
#[cfg(test)]
#[path = "leader_tests.rs"]
pub(crate) mod tests;
