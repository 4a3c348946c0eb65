//! The vocabulary of the fleet: what a role is (from config) and what Azure and the probes say
//! about it (facts). Plain data, no behaviour beyond small lookups.
//!
//! The Azure adapter fills [`AzureFacts`]; the probes fill [`ProbeFacts`]; `core::leader` turns
//! both plus a [`RoleSpec`] into a role's status. Names are compared case-insensitively, as Azure
//! does, through [`same_name`].

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

pub use super::name::same_name;

/// The last path segment of an ARM resource id (`/subscriptions/../virtualMachines/web-a` → `web-a`).
pub fn name_from_id(id: &str) -> &str {
    id.trim_end_matches('/').rsplit('/').next().unwrap_or(id)
}

/// One role as configured: which VMs, disks and endpoint it owns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleSpec {
    /// Role name, unique in the config (e.g. `web`).
    pub name: String,
    /// Resource group holding the role's VMs, disks and NICs.
    pub resource_group: String,
    /// VM names, at least two; order is the operator's preference for standbys.
    pub vms: Vec<String>,
    /// Managed data disks: the ones that move with the master, and shared ones that stay
    /// attached to every VM of the role.
    pub disks: Vec<DiskSpec>,
    /// The endpoint that only the master holds.
    pub endpoint: EndpointSpec,
}

/// A managed data disk of a role and the LUN it must sit at on the master.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiskSpec {
    /// Disk resource name.
    pub name: String,
    /// Logical unit number on the VM.
    pub lun: i32,
    /// A shared disk (`maxShares` ≥ 2) attached to every VM of the role: it never moves, and
    /// fencing (not a detach) keeps the old master off its data.
    #[serde(default)]
    pub shared: bool,
}

impl RoleSpec {
    /// The disks that move with the master (every disk not marked shared).
    pub fn moving_disks(&self) -> impl Iterator<Item = &DiskSpec> {
        self.disks.iter().filter(|d| !d.shared)
    }

    /// True when at least one disk of the role is shared.
    pub fn has_shared_disks(&self) -> bool {
        self.disks.iter().any(|d| d.shared)
    }
}

/// The role's endpoint: a load balancer's inbound NAT rule or backend pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointSpec {
    /// Load balancer name.
    pub load_balancer: String,
    /// Resource group of the load balancer (defaults to the role's).
    pub resource_group: String,
    /// Which child of the load balancer the master's NIC references.
    pub kind: EndpointKind,
}

/// The two ways a NIC ipconfig can hold an endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndpointKind {
    /// `loadBalancerInboundNatRules[]` on the ipconfig; a NAT rule targets one ipconfig at a time.
    NatRule(String),
    /// `loadBalancerBackendAddressPools[]` on the ipconfig.
    BackendPool(String),
}

impl EndpointSpec {
    /// The child resource's name (rule or pool).
    pub fn child_name(&self) -> &str {
        match &self.kind {
            EndpointKind::NatRule(n) | EndpointKind::BackendPool(n) => n,
        }
    }

    /// True when an ARM id refers to this endpoint (`.../loadBalancers/{lb}/inboundNatRules/{rule}`).
    pub fn matches_id(&self, id: &str) -> bool {
        let segment = match self.kind {
            EndpointKind::NatRule(_) => "inboundNatRules",
            EndpointKind::BackendPool(_) => "backendAddressPools",
        };
        let mut parts = id.trim_end_matches('/').rsplit('/');
        let mut next = || parts.next().unwrap_or_default();
        let (child, kind, lb, lbs) = (next(), next(), next(), next());
        same_name(lbs, "loadBalancers")
            && same_name(lb, &self.load_balancer)
            && same_name(kind, segment)
            && same_name(child, self.child_name())
    }

    /// A short human label such as `lb-contoso/web-app`.
    pub fn label(&self) -> String {
        format!("{}/{}", self.load_balancer, self.child_name())
    }
}

/// VM power state as reported by the instance view (`PowerState/...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PowerState {
    /// `PowerState/running`.
    Running,
    /// `PowerState/starting`.
    Starting,
    /// `PowerState/stopping`.
    Stopping,
    /// `PowerState/stopped`.
    Stopped,
    /// `PowerState/deallocating`.
    Deallocating,
    /// `PowerState/deallocated`.
    Deallocated,
    /// No power status was reported (e.g. the VM is still being created).
    Unknown,
}

impl PowerState {
    /// Parses the code of an instance-view status (`PowerState/running`), if it is one.
    pub fn from_status_code(code: &str) -> Option<PowerState> {
        let state = code.strip_prefix("PowerState/")?;
        Some(match state.to_ascii_lowercase().as_str() {
            "running" => PowerState::Running,
            "starting" => PowerState::Starting,
            "stopping" => PowerState::Stopping,
            "stopped" => PowerState::Stopped,
            "deallocating" => PowerState::Deallocating,
            "deallocated" => PowerState::Deallocated,
            _ => PowerState::Unknown,
        })
    }

    /// Lower-case word for tables and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            PowerState::Running => "running",
            PowerState::Starting => "starting",
            PowerState::Stopping => "stopping",
            PowerState::Stopped => "stopped",
            PowerState::Deallocating => "deallocating",
            PowerState::Deallocated => "deallocated",
            PowerState::Unknown => "unknown",
        }
    }
}

/// What Azure says about one VM.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VmFacts {
    /// VM name.
    pub name: String,
    /// Full ARM id.
    pub id: String,
    /// Power state from the instance view.
    pub power: PowerState,
    /// `properties.provisioningState` (Succeeded, Updating, Failed…).
    pub provisioning_state: String,
    /// Names of the NICs in `networkProfile.networkInterfaces`.
    pub nics: Vec<String>,
    /// Data disks in `storageProfile.dataDisks` (excluding ones marked `toBeDetached`).
    pub data_disks: Vec<AttachedDisk>,
    /// Where the VM sits and how big it is: what decides which disks Azure lets it take.
    #[serde(default)]
    pub placement: VmPlacement,
}

/// A VM's zone, availability set, region and size (with the size's data-disk limit).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VmPlacement {
    /// Availability zones (`zones`); empty for a regional VM.
    pub zones: Vec<String>,
    /// Name of the availability set (`properties.availabilitySet.id`), if any.
    pub availability_set: Option<String>,
    /// Region (`location`), when reported.
    pub location: Option<String>,
    /// `hardwareProfile.vmSize`, when reported.
    pub size: Option<String>,
    /// The size's `maxDataDiskCount` from the region's VM size list, when known.
    pub max_data_disks: Option<u32>,
}

/// A data disk as the VM model lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachedDisk {
    /// Disk name.
    pub name: String,
    /// LUN on this VM.
    pub lun: i32,
    /// Host caching of this attachment (`None`, `ReadOnly`, `ReadWrite`), when reported.
    #[serde(default)]
    pub caching: Option<String>,
}

/// What Azure says about one managed disk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiskFacts {
    /// Disk name.
    pub name: String,
    /// Full ARM id.
    pub id: String,
    /// Name of the VM in `managedBy`, `None` when the disk is free.
    pub managed_by: Option<String>,
    /// `properties.diskState` (Unattached, Attached, Reserved, …).
    pub disk_state: String,
    /// SKU, zones, region and sharing: what decides where Azure lets the disk go.
    #[serde(default)]
    pub storage: DiskStorage,
}

impl DiskFacts {
    /// Every VM the disk is attached to: `managedBy`, then the rest of `managedByExtended`
    /// (Azure lists every holder of a shared disk there, the first one also in `managedBy`).
    pub fn holders(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let first = self.managed_by.as_deref().map(name_from_id);
        let extended = self
            .storage
            .managed_by_extended
            .iter()
            .map(|v| name_from_id(v));
        for vm in first.into_iter().chain(extended) {
            if !out.iter().any(|h| same_name(h, vm)) {
                out.push(vm.to_owned());
            }
        }
        out
    }
}

/// A disk's SKU, zones, region and sharing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiskStorage {
    /// `sku.name` (`Premium_LRS`, `Premium_ZRS`, `UltraSSD_LRS`, …), when reported.
    pub sku: Option<String>,
    /// Availability zones (`zones`); empty for a regional or zone-redundant disk.
    pub zones: Vec<String>,
    /// Region (`location`), when reported.
    pub location: Option<String>,
    /// `properties.maxShares` (1 or absent: not shareable).
    pub max_shares: Option<i32>,
    /// VM names of `managedByExtended` (the other VMs a shared disk is attached to).
    pub managed_by_extended: Vec<String>,
}

impl DiskStorage {
    /// True for a zone-redundant SKU (`*_ZRS`): it attaches in any zone of its region.
    pub fn is_zone_redundant(&self) -> bool {
        self.sku
            .as_deref()
            .is_some_and(|s| s.to_ascii_uppercase().ends_with("_ZRS"))
    }

    /// The zone a zonal disk is pinned to (`None` for regional and zone-redundant disks).
    pub fn zone(&self) -> Option<&str> {
        if self.is_zone_redundant() {
            return None;
        }
        self.zones.first().map(String::as_str)
    }

    /// True when the SKU allows no host caching (Ultra Disk and Premium SSD v2).
    pub fn caching_forbidden(&self) -> bool {
        self.sku.as_deref().is_some_and(|s| {
            s.eq_ignore_ascii_case("UltraSSD_LRS") || s.eq_ignore_ascii_case("PremiumV2_LRS")
        })
    }
}

/// What Azure says about one NIC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NicFacts {
    /// NIC name.
    pub name: String,
    /// Full ARM id.
    pub id: String,
    /// Name of the VM in `virtualMachine.id`, if attached to one.
    pub vm: Option<String>,
    /// Every LB reference (NAT rule and backend pool ids) across all ipconfigs.
    pub lb_refs: Vec<String>,
}

/// What a load balancer says about who its NAT rules and pools point at (the back-references).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadBalancerFacts {
    /// Load balancer name.
    pub name: String,
    /// Resource group.
    pub resource_group: String,
    /// NAT rule name → NIC names whose ipconfig it targets (at most one in a sane world).
    pub nat_rules: BTreeMap<String, Vec<String>>,
    /// Backend pool name → NIC names of its member ipconfigs.
    pub backend_pools: BTreeMap<String, Vec<String>>,
    /// Backend pools fed by a load-balancing rule that has a health probe: the LB sends a new
    /// member no traffic until its app answers the probe.
    #[serde(default)]
    pub probed_pools: BTreeSet<String>,
}

/// Everything one inventory refresh learned, across all resource groups.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AzureFacts {
    /// Every VM seen in the listed resource groups.
    pub vms: Vec<VmFacts>,
    /// Every managed disk seen.
    pub disks: Vec<DiskFacts>,
    /// Every NIC seen.
    pub nics: Vec<NicFacts>,
    /// Every load balancer fetched.
    pub load_balancers: Vec<LoadBalancerFacts>,
}

impl AzureFacts {
    /// The VM with this name, if listed.
    pub fn vm(&self, name: &str) -> Option<&VmFacts> {
        self.vms.iter().find(|v| same_name(&v.name, name))
    }

    /// The disk with this name, if listed.
    pub fn disk(&self, name: &str) -> Option<&DiskFacts> {
        self.disks.iter().find(|d| same_name(&d.name, name))
    }

    /// The NIC with this name, if listed.
    pub fn nic(&self, name: &str) -> Option<&NicFacts> {
        self.nics.iter().find(|n| same_name(&n.name, name))
    }

    /// The load balancer with this name, if fetched.
    pub fn load_balancer(&self, name: &str) -> Option<&LoadBalancerFacts> {
        self.load_balancers
            .iter()
            .find(|l| same_name(&l.name, name))
    }
}

/// Outcome of the latest probe (or the classifier's verdict over several).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ProbeStatus {
    /// The probe answered as healthy.
    Up {
        /// Round-trip time in milliseconds.
        latency_ms: u64,
    },
    /// The probe failed (refused, timed out, non-2xx).
    Down {
        /// Why, in a few words (`timeout after 800ms`, `HTTP 503`).
        reason: String,
    },
    /// Not probed yet, or no probe configured.
    Unknown,
}

impl ProbeStatus {
    /// True only for [`ProbeStatus::Up`].
    pub fn is_up(&self) -> bool {
        matches!(self, ProbeStatus::Up { .. })
    }

    /// True only for [`ProbeStatus::Down`].
    pub fn is_down(&self) -> bool {
        matches!(self, ProbeStatus::Down { .. })
    }
}

/// Both heartbeats of one VM.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VmProbes {
    /// Host-level heartbeat: is the machine alive?
    pub vm: ProbeStatus,
    /// App-level heartbeat: meaningful on the master only.
    pub service: ProbeStatus,
}

impl Default for VmProbes {
    fn default() -> Self {
        VmProbes {
            vm: ProbeStatus::Unknown,
            service: ProbeStatus::Unknown,
        }
    }
}

/// Probe results by VM name (lower-cased).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeFacts {
    by_vm: BTreeMap<String, VmProbes>,
}

impl ProbeFacts {
    /// Records the probes of one VM, replacing what was there.
    pub fn set(&mut self, vm: &str, probes: VmProbes) {
        self.by_vm.insert(vm.to_ascii_lowercase(), probes);
    }

    /// The probes of one VM; unknown when never recorded.
    pub fn get(&self, vm: &str) -> VmProbes {
        self.by_vm
            .get(&vm.to_ascii_lowercase())
            .cloned()
            .unwrap_or_default()
    }
}
