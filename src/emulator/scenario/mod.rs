//! The emulator's starting point: which resources exist, how slow Azure is, how hard it
//! throttles and which faults are armed from the first request.
//!
//! A [`Scenario`] is plain data. It is built in code ([`Scenario::contoso`]) or read from a TOML
//! file (`file.rs`); turning it into a live world is `world`'s job, not this module's.

mod file;
mod lb_rules;

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::faults::FaultSpec;
pub use lb_rules::{LbRuleDef, ProbeDef};

/// Everything the emulator starts from: the world, latencies, throttling and initial faults.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// Subscription id every resource lives in.
    pub subscription_id: String,
    /// Azure region of every resource.
    pub location: String,
    /// Resource groups that exist (resources in other groups answer ResourceGroupNotFound).
    pub resource_groups: Vec<String>,
    /// Load balancers with their NAT rules and backend pools.
    pub load_balancers: Vec<LoadBalancerDef>,
    /// Roles: each brings its VMs, NICs, data disks and endpoint.
    pub roles: Vec<RoleDef>,
    /// Emulated latencies at speed 1.
    pub latencies: Latencies,
    /// ARM and compute throttling limits.
    pub throttle: ThrottleDef,
    /// Items per page of every list response.
    pub page_size: usize,
    /// Seed of the jitter generator, so runs are reproducible.
    pub seed: u64,
    /// Bearer tokens the emulator accepts.
    pub tokens: Tokens,
    /// Faults armed when the emulator starts (and again after a reset).
    pub faults: Vec<FaultSpec>,
    /// How much the emulator remembers: a long-running emulator must not grow without bound.
    pub limits: Limits,
}

/// A load balancer of the scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoadBalancerDef {
    /// Load balancer name.
    pub name: String,
    /// Its resource group.
    pub resource_group: String,
    /// Inbound NAT rules.
    #[serde(default)]
    pub nat_rules: Vec<NatRuleDef>,
    /// Backend address pool names.
    #[serde(default)]
    pub backend_pools: Vec<String>,
    /// Health probes.
    #[serde(default)]
    pub probes: Vec<ProbeDef>,
    /// Load-balancing rules (each feeds one backend pool, gated or not by a probe).
    #[serde(default)]
    pub load_balancing_rules: Vec<LbRuleDef>,
}

/// One inbound NAT rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NatRuleDef {
    /// Rule name.
    pub name: String,
    /// Port on the load balancer's frontend.
    pub frontend_port: u16,
    /// Port on the VM.
    pub backend_port: u16,
}

/// A role: its VMs (`<vm>-nic` NICs with `ipconfig1` are created for them), data disks and
/// endpoint. The master starts with the endpoint, the disks and the running service.
#[derive(Debug, Clone, PartialEq)]
pub struct RoleDef {
    /// Role name.
    pub name: String,
    /// Resource group of its VMs, NICs and disks.
    pub resource_group: String,
    /// VM names, at least one.
    pub vms: Vec<String>,
    /// The VM that starts as master; `None` starts the role without a master.
    pub master: Option<String>,
    /// Data disks and their LUNs.
    pub disks: Vec<DiskDef>,
    /// Run Command script that starts the service.
    pub start_command: String,
    /// Run Command script that stops the service.
    pub stop_command: String,
    /// The endpoint the master holds.
    pub endpoint: EndpointDef,
    /// VM size reported in hardwareProfile.
    pub vm_size: String,
    /// Availability zone of each VM, in `vms` order; empty for regional VMs.
    pub zones: Vec<String>,
    /// Availability set every VM of the role belongs to, if any (never with zones).
    pub availability_set: Option<String>,
}

/// A data disk of a role.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiskDef {
    /// Disk name.
    pub name: String,
    /// LUN on the master.
    pub lun: i32,
    /// Size in GiB.
    #[serde(default = "default_disk_size")]
    pub size_gb: i32,
    /// SKU (`Premium_LRS`, `Premium_ZRS`, `UltraSSD_LRS`, …). A locally redundant disk of a
    /// zonal role is pinned to its first master's zone; a `*_ZRS` disk has no zone.
    #[serde(default = "default_disk_sku")]
    pub sku: String,
    /// `maxShares`: how many VMs may hold the disk at once. Above 1 the disk is a shared disk,
    /// attached at `lun` to every VM of the role from the start (`managedBy` the master).
    #[serde(default = "default_max_shares")]
    pub max_shares: i32,
}

fn default_max_shares() -> i32 {
    1
}

fn default_disk_size() -> i32 {
    128
}

fn default_disk_sku() -> String {
    "Premium_LRS".to_string()
}

/// A role's endpoint on a load balancer.
#[derive(Debug, Clone, PartialEq)]
pub struct EndpointDef {
    /// Load balancer name.
    pub load_balancer: String,
    /// Its resource group.
    pub resource_group: String,
    /// NAT rule or backend pool.
    pub kind: EndpointKindDef,
}

/// Which child of the load balancer the master's ipconfig references.
#[derive(Debug, Clone, PartialEq)]
pub enum EndpointKindDef {
    /// An inbound NAT rule (one ipconfig at a time).
    NatRule(String),
    /// A backend address pool.
    BackendPool(String),
}

/// A latency range in seconds at speed 1; each operation draws uniformly from it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Range {
    /// Shortest duration.
    pub min: f64,
    /// Longest duration.
    pub max: f64,
}

impl Range {
    /// A range from `min` to `max` seconds.
    pub const fn new(min: f64, max: f64) -> Self {
        Range { min, max }
    }
}

/// Emulated latencies (seconds at speed 1; divided by the speed factor at run time).
#[derive(Debug, Clone, PartialEq)]
pub struct Latencies {
    /// NIC PUT until Succeeded.
    pub nic_update: Range,
    /// Data disk detach until the operation reports Succeeded.
    pub disk_detach: Range,
    /// Data disk attach until Succeeded.
    pub disk_attach: Range,
    /// After a detach reports Succeeded, how long the disk keeps `managedBy`.
    pub release_lag: Range,
    /// VM PUT/PATCH that attaches or detaches nothing.
    pub vm_update: Range,
    /// Run Command until its result is available.
    pub run_command: Range,
    /// VM start.
    pub start: Range,
    /// VM power off.
    pub power_off: Range,
    /// VM deallocate.
    pub deallocate: Range,
    /// Retry-After of compute operation monitors (202 answers).
    pub compute_retry_after: f64,
    /// Retry-After of network operation monitors (only sent on 202 answers, which the
    /// emulated network routes never give; kept so scenarios can state it).
    pub network_retry_after: f64,
}

impl Default for Latencies {
    fn default() -> Self {
        Latencies {
            nic_update: Range::new(5.0, 10.0),
            disk_detach: Range::new(10.0, 15.0),
            disk_attach: Range::new(10.0, 15.0),
            release_lag: Range::new(2.0, 5.0),
            vm_update: Range::new(2.0, 4.0),
            run_command: Range::new(20.0, 25.0),
            start: Range::new(30.0, 30.0),
            power_off: Range::new(20.0, 20.0),
            deallocate: Range::new(40.0, 40.0),
            compute_retry_after: 10.0,
            network_retry_after: 10.0,
        }
    }
}

/// A token bucket: `capacity` tokens, refilled at `refill_per_sec` per emulated second.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BucketDef {
    /// Maximum (and initial) number of tokens.
    pub capacity: f64,
    /// Tokens added per emulated second.
    pub refill_per_sec: f64,
}

/// Throttling limits.
#[derive(Debug, Clone, PartialEq)]
pub struct ThrottleDef {
    /// ARM subscription read bucket (GET).
    pub reads: BucketDef,
    /// ARM subscription write bucket (PUT, PATCH, POST, DELETE).
    pub writes: BucketDef,
    /// Length of a compute policy window in emulated seconds (Azure: 3 minutes).
    pub compute_window_secs: f64,
    /// Compute policy counters per window: `LowCostGet3Min` (single GETs), `HighCostGet3Min`
    /// (lists), `GetOperation3Min` (operation monitors), `PutVM3Min` (VM writes and actions).
    pub compute_policies: BTreeMap<String, u32>,
}

impl Default for ThrottleDef {
    fn default() -> Self {
        ThrottleDef {
            reads: BucketDef {
                capacity: 250.0,
                refill_per_sec: 25.0,
            },
            writes: BucketDef {
                capacity: 200.0,
                refill_per_sec: 10.0,
            },
            compute_window_secs: 180.0,
            compute_policies: [
                ("LowCostGet3Min", 4000),
                ("HighCostGet3Min", 900),
                ("GetOperation3Min", 3000),
                ("PutVM3Min", 240),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
        }
    }
}

/// Bearer tokens the emulator accepts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tokens {
    /// Full access.
    pub contributor: String,
    /// GETs only; writes answer 403 AuthorizationFailed.
    pub reader: String,
}

impl Default for Tokens {
    fn default() -> Self {
        Tokens {
            contributor: "baton-emulator".to_string(),
            reader: "baton-reader".to_string(),
        }
    }
}

/// Caps of the emulator's memory; both are rings, the oldest entry goes first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// Entries of `GET /_emulator/requests` kept.
    #[serde(default = "Limits::default_request_log")]
    pub request_log: usize,
    /// Faults armed at once.
    #[serde(default = "Limits::default_faults")]
    pub faults: usize,
}

impl Limits {
    fn default_request_log() -> usize {
        100_000
    }

    fn default_faults() -> usize {
        10_000
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            request_log: Limits::default_request_log(),
            faults: Limits::default_faults(),
        }
    }
}

/// The contoso subscription id.
pub const CONTOSO_SUBSCRIPTION: &str = "3f2a9c1e-7b4d-4e8a-9c0f-5d6e7f8a9b0c";

impl Scenario {
    /// The built-in world: roles gateway/web/app/db in `rg-contoso`, masters `<role>-a`.
    pub fn contoso() -> Scenario {
        let roles = ["gateway", "web", "app", "db"];
        let nat_rules = roles
            .iter()
            .enumerate()
            .map(|(i, r)| NatRuleDef {
                name: format!("{r}-app"),
                frontend_port: 50001 + i as u16,
                backend_port: 8080,
            })
            .collect();
        Scenario {
            subscription_id: CONTOSO_SUBSCRIPTION.to_string(),
            location: "westeurope".to_string(),
            resource_groups: vec!["rg-contoso".to_string()],
            load_balancers: vec![LoadBalancerDef {
                name: "lb-contoso".to_string(),
                resource_group: "rg-contoso".to_string(),
                nat_rules,
                backend_pools: vec![],
                probes: vec![],
                load_balancing_rules: vec![],
            }],
            roles: roles.iter().map(|r| contoso_role(r)).collect(),
            latencies: Latencies::default(),
            throttle: ThrottleDef::default(),
            page_size: 50,
            seed: 42,
            tokens: Tokens::default(),
            faults: vec![],
            limits: Limits::default(),
        }
    }

    /// Parse a scenario from TOML text; `source` names the text in error messages.
    pub fn from_toml_str(text: &str, source: &str) -> Result<Scenario, super::EmulatorError> {
        file::parse(text, source)
    }

    /// Read and parse a scenario file.
    pub fn from_file(path: &std::path::Path) -> Result<Scenario, super::EmulatorError> {
        let text = std::fs::read_to_string(path).map_err(|source| super::EmulatorError::Read {
            path: path.display().to_string(),
            source,
        })?;
        file::parse(&text, &path.display().to_string())
    }
}

fn contoso_role(role: &str) -> RoleDef {
    // Zone-redundant disks: the a- and b-VMs sit in zones 1 and 2 and the demo still fails over.
    let mut disks = vec![DiskDef {
        name: format!("{role}-data"),
        lun: 0,
        size_gb: 128,
        sku: "Premium_ZRS".to_string(),
        max_shares: default_max_shares(),
    }];
    if role == "db" {
        disks.push(DiskDef {
            name: "db-log".to_string(),
            lun: 1,
            size_gb: 64,
            sku: "Premium_ZRS".to_string(),
            max_shares: default_max_shares(),
        });
    }
    RoleDef {
        name: role.to_string(),
        resource_group: "rg-contoso".to_string(),
        vms: vec![format!("{role}-a"), format!("{role}-b")],
        master: Some(format!("{role}-a")),
        disks,
        start_command: format!("systemctl start contoso-{role}"),
        stop_command: format!("systemctl stop contoso-{role}"),
        endpoint: EndpointDef {
            load_balancer: "lb-contoso".to_string(),
            resource_group: "rg-contoso".to_string(),
            kind: EndpointKindDef::NatRule(format!("{role}-app")),
        },
        vm_size: "Standard_D2s_v5".to_string(),
        zones: vec!["1".to_string(), "2".to_string()],
        availability_set: None,
    }
}
