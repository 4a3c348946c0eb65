//! A small world for plan tests: role `web` on web-a, web-b, web-c, two disks, one NAT rule.
//! Facts are mutated case by case and turned into a status by the real `leader::derive`.

use super::*;
use crate::core::leader::{derive, RoleInput, RoleStatus};
use crate::core::model::*;
use time::macros::datetime;

const SUB: &str = "/subscriptions/s/resourceGroups/rg";

pub const NOW: OffsetDateTime = datetime!(2024-05-01 10:00:00 UTC);

pub fn spec() -> RoleSpec {
    RoleSpec {
        name: "web".into(),
        resource_group: "rg".into(),
        vms: vec!["web-a".into(), "web-b".into(), "web-c".into()],
        disks: vec![
            DiskSpec {
                name: "web-data".into(),
                lun: 0,
                shared: false,
            },
            DiskSpec {
                name: "web-log".into(),
                lun: 1,
                shared: false,
            },
        ],
        endpoint: EndpointSpec {
            load_balancer: "lb-contoso".into(),
            resource_group: "rg".into(),
            kind: EndpointKind::NatRule("web-app".into()),
        },
    }
}

fn vm_id(vm: &str) -> String {
    format!("{SUB}/providers/Microsoft.Compute/virtualMachines/{vm}")
}

pub fn up() -> ProbeStatus {
    ProbeStatus::Up { latency_ms: 3 }
}

pub fn down(reason: &str) -> ProbeStatus {
    ProbeStatus::Down {
        reason: reason.into(),
    }
}

/// Facts and probes of the role; `healthy()` has web-a holding everything.
pub struct World {
    pub spec: RoleSpec,
    pub facts: AzureFacts,
    pub probes: ProbeFacts,
    pub running_op: bool,
}

impl World {
    pub fn healthy() -> World {
        let spec = spec();
        let mut facts = AzureFacts::default();
        let mut probes = ProbeFacts::default();
        for vm in &spec.vms {
            facts.vms.push(VmFacts {
                name: vm.clone(),
                id: vm_id(vm),
                power: PowerState::Running,
                provisioning_state: "Succeeded".into(),
                nics: vec![format!("{vm}-nic")],
                data_disks: Vec::new(),
                placement: Default::default(),
            });
            facts.nics.push(NicFacts {
                name: format!("{vm}-nic"),
                id: format!("{SUB}/providers/Microsoft.Network/networkInterfaces/{vm}-nic"),
                vm: Some(vm.clone()),
                lb_refs: Vec::new(),
            });
            probes.set(
                vm,
                VmProbes {
                    vm: up(),
                    service: up(),
                },
            );
        }
        for d in &spec.disks {
            facts.disks.push(DiskFacts {
                name: d.name.clone(),
                id: format!("{SUB}/providers/Microsoft.Compute/disks/{}", d.name),
                managed_by: None,
                disk_state: "Unattached".into(),
                storage: Default::default(),
            });
        }
        facts.load_balancers.push(LoadBalancerFacts {
            name: "lb-contoso".into(),
            resource_group: "rg".into(),
            nat_rules: Default::default(),
            backend_pools: Default::default(),
            probed_pools: Default::default(),
        });
        let mut w = World {
            spec,
            facts,
            probes,
            running_op: false,
        };
        w.endpoint_on(&["web-a"]);
        w.disk_on("web-data", Some("web-a"));
        w.disk_on("web-log", Some("web-a"));
        w
    }

    /// Puts the endpoint on exactly these VMs' NICs (both sides of the LB kept consistent).
    pub fn endpoint_on(&mut self, vms: &[&str]) -> &mut Self {
        let (segment, child) = match &self.spec.endpoint.kind {
            EndpointKind::NatRule(r) => ("inboundNatRules", r.clone()),
            EndpointKind::BackendPool(p) => ("backendAddressPools", p.clone()),
        };
        let id =
            format!("{SUB}/providers/Microsoft.Network/loadBalancers/lb-contoso/{segment}/{child}");
        for nic in &mut self.facts.nics {
            let holds = nic.vm.as_deref().is_some_and(|v| vms.contains(&v));
            nic.lb_refs = if holds { vec![id.clone()] } else { Vec::new() };
        }
        let nics = vms.iter().map(|v| format!("{v}-nic")).collect();
        let lb = &mut self.facts.load_balancers[0];
        lb.nat_rules.clear();
        lb.backend_pools.clear();
        match &self.spec.endpoint.kind {
            EndpointKind::NatRule(_) => lb.nat_rules.insert(child, nics),
            EndpointKind::BackendPool(_) => lb.backend_pools.insert(child, nics),
        };
        self
    }

    /// Switches the role to a backend pool endpoint, keeping who holds it.
    pub fn backend_pool(&mut self) -> &mut Self {
        let holders: Vec<String> = self
            .facts
            .nics
            .iter()
            .filter(|n| !n.lb_refs.is_empty())
            .filter_map(|n| n.vm.clone())
            .collect();
        self.spec.endpoint.kind = EndpointKind::BackendPool("web-pool".into());
        let refs: Vec<&str> = holders.iter().map(String::as_str).collect();
        self.endpoint_on(&refs)
    }

    /// Attaches a disk to a VM (or frees it), on both the disk and the VM model.
    pub fn disk_on(&mut self, disk: &str, vm: Option<&str>) -> &mut Self {
        let lun = self
            .spec
            .disks
            .iter()
            .find(|d| d.name == disk)
            .map_or(9, |d| d.lun);
        for v in &mut self.facts.vms {
            v.data_disks.retain(|d| d.name != disk);
            if Some(v.name.as_str()) == vm {
                v.data_disks.push(AttachedDisk {
                    name: disk.into(),
                    lun,
                    caching: None,
                });
            }
        }
        if let Some(d) = self.facts.disks.iter_mut().find(|d| d.name == disk) {
            d.managed_by = vm.map(vm_id);
            d.disk_state = if vm.is_some() {
                "Attached"
            } else {
                "Unattached"
            }
            .into();
        }
        self
    }

    /// A disk whose detach succeeded but whose `diskState` still lags.
    pub fn disk_lagging(&mut self, disk: &str) -> &mut Self {
        self.disk_on(disk, None);
        if let Some(d) = self.facts.disks.iter_mut().find(|d| d.name == disk) {
            d.disk_state = "Attached".into();
        }
        self
    }

    pub fn power(&mut self, vm: &str, power: PowerState) -> &mut Self {
        if let Some(v) = self.facts.vms.iter_mut().find(|v| v.name == vm) {
            v.power = power;
        }
        self
    }

    pub fn vm_probe(&mut self, vm: &str, status: ProbeStatus) -> &mut Self {
        let mut p = self.probes.get(vm);
        p.vm = status;
        self.probes.set(vm, p);
        self
    }

    pub fn service(&mut self, vm: &str, status: ProbeStatus) -> &mut Self {
        let mut p = self.probes.get(vm);
        p.service = status;
        self.probes.set(vm, p);
        self
    }

    /// The master is dead: powered on per Azure, both heartbeats gone.
    pub fn master_dead(&mut self) -> &mut Self {
        self.vm_probe("web-a", down("timeout after 800ms"))
            .service("web-a", down("timeout after 800ms"))
    }

    pub fn status(&self) -> RoleStatus {
        derive(RoleInput {
            spec: &self.spec,
            facts: Some(&self.facts),
            probes: &self.probes,
            operation_running: self.running_op,
        })
    }
}

/// Planning parameters with neutral defaults (no lock, no cooldown, operator mode).
pub struct Ask {
    pub kind: OperationKind,
    pub target: Option<&'static str>,
    pub lock: Option<LockHolder>,
    pub cooldown_until: Option<OffsetDateTime>,
    pub read_only: bool,
    pub with_facts: bool,
}

impl Ask {
    pub fn new(kind: OperationKind) -> Ask {
        Ask {
            kind,
            target: None,
            lock: None,
            cooldown_until: None,
            read_only: false,
            with_facts: true,
        }
    }

    pub fn to(mut self, target: &'static str) -> Ask {
        self.target = Some(target);
        self
    }

    pub fn plan(self, world: &World) -> Plan {
        let status = world.status();
        let timings = StepTimings::default();
        build(PlanInput {
            kind: self.kind,
            spec: &world.spec,
            status: &status,
            facts: self.with_facts.then_some(&world.facts),
            requested_target: self.target,
            lock: self.lock,
            cooldown_until: self.cooldown_until,
            now: NOW,
            read_only: self.read_only,
            timings: &timings,
            verify_successes: 3,
        })
    }
}

pub fn failover() -> Ask {
    Ask::new(OperationKind::Failover)
}

pub fn switchover() -> Ask {
    Ask::new(OperationKind::Switchover)
}

/// The step kinds of a plan, in order.
pub fn kinds(plan: &Plan) -> Vec<StepKind> {
    plan.steps.iter().map(|s| s.kind).collect()
}

/// The kinds of the steps marked already done.
pub fn done(plan: &Plan) -> Vec<StepKind> {
    plan.steps
        .iter()
        .filter(|s| s.already_done)
        .map(|s| s.kind)
        .collect()
}

pub fn step(plan: &Plan, kind: StepKind) -> &PlanStep {
    plan.step(kind).expect("step in plan")
}
