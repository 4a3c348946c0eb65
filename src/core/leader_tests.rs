//! Table tests for leader derivation: one small world, mutated case by case.

use super::*;
use crate::core::model::*;

const SUB: &str = "/subscriptions/s/resourceGroups/rg";

/// Role web on web-a/web-b with `disks` (name, LUN) and NAT rule lb/web-app; also the
/// refusal tests' role.
pub(crate) fn spec(disks: &[(&str, i32)]) -> RoleSpec {
    RoleSpec {
        name: "web".into(),
        resource_group: "rg".into(),
        vms: vec!["web-a".into(), "web-b".into()],
        disks: disks
            .iter()
            .map(|(n, l)| DiskSpec {
                name: (*n).into(),
                lun: *l,
                shared: false,
            })
            .collect(),
        endpoint: EndpointSpec {
            load_balancer: "lb".into(),
            resource_group: "rg".into(),
            kind: EndpointKind::NatRule("web-app".into()),
        },
    }
}

fn nat_id(rule: &str) -> String {
    format!("{SUB}/providers/Microsoft.Network/loadBalancers/lb/inboundNatRules/{rule}")
}

fn vm_id(vm: &str) -> String {
    format!("{SUB}/providers/Microsoft.Compute/virtualMachines/{vm}")
}

/// The world of a healthy role: web-a holds endpoint and both disks.
struct World {
    facts: AzureFacts,
    probes: ProbeFacts,
}

impl World {
    fn healthy() -> World {
        let vm = |name: &str, disks: Vec<AttachedDisk>| VmFacts {
            name: name.into(),
            id: vm_id(name),
            power: PowerState::Running,
            provisioning_state: "Succeeded".into(),
            nics: vec![format!("{name}-nic")],
            data_disks: disks,
            placement: Default::default(),
        };
        let nic = |name: &str, refs: Vec<String>| NicFacts {
            name: format!("{name}-nic"),
            id: format!("{SUB}/providers/Microsoft.Network/networkInterfaces/{name}-nic"),
            vm: Some(name.into()),
            lb_refs: refs,
        };
        let disk = |name: &str, owner: Option<&str>| DiskFacts {
            name: name.into(),
            id: format!("{SUB}/providers/Microsoft.Compute/disks/{name}"),
            managed_by: owner.map(vm_id),
            disk_state: if owner.is_some() {
                "Attached"
            } else {
                "Unattached"
            }
            .into(),
            storage: Default::default(),
        };
        let attached = vec![
            AttachedDisk {
                name: "web-data".into(),
                lun: 0,
                caching: None,
            },
            AttachedDisk {
                name: "web-log".into(),
                lun: 1,
                caching: None,
            },
        ];
        let mut probes = ProbeFacts::default();
        probes.set("web-a", up_up());
        probes.set(
            "web-b",
            VmProbes {
                vm: up(),
                service: down("HTTP 503"),
            },
        );
        World {
            facts: AzureFacts {
                vms: vec![vm("web-a", attached), vm("web-b", vec![])],
                disks: vec![
                    disk("web-data", Some("web-a")),
                    disk("web-log", Some("web-a")),
                ],
                nics: vec![nic("web-a", vec![nat_id("web-app")]), nic("web-b", vec![])],
                load_balancers: vec![],
            },
            probes,
        }
    }

    fn derive(&self, running: bool) -> RoleStatus {
        derive(RoleInput {
            spec: &spec(&[("web-data", 0), ("web-log", 1)]),
            facts: Some(&self.facts),
            probes: &self.probes,
            operation_running: running,
        })
    }

    fn move_endpoint(&mut self, to: &[&str]) {
        for nic in &mut self.facts.nics {
            let holds = to
                .iter()
                .any(|vm| nic.vm.as_deref().is_some_and(|v| same_name(v, vm)));
            nic.lb_refs = if holds {
                vec![nat_id("web-app")]
            } else {
                vec![]
            };
        }
    }

    fn own_disk(&mut self, disk: &str, owner: Option<&str>) {
        let d = self
            .facts
            .disks
            .iter_mut()
            .find(|d| d.name == disk)
            .expect("disk in fixture");
        d.managed_by = owner.map(vm_id);
        d.disk_state = if owner.is_some() {
            "Attached"
        } else {
            "Unattached"
        }
        .into();
    }

    fn vm_mut(&mut self, name: &str) -> &mut VmFacts {
        self.facts
            .vms
            .iter_mut()
            .find(|v| v.name == name)
            .expect("vm in fixture")
    }
}

fn up() -> ProbeStatus {
    ProbeStatus::Up { latency_ms: 3 }
}

fn down(reason: &str) -> ProbeStatus {
    ProbeStatus::Down {
        reason: reason.into(),
    }
}

fn up_up() -> VmProbes {
    VmProbes {
        vm: up(),
        service: up(),
    }
}

fn texts(status: &RoleStatus) -> Vec<String> {
    status.violations.iter().map(|v| v.to_string()).collect()
}

#[test]
fn healthy_role_has_master_and_no_violations() {
    let s = World::healthy().derive(false);
    assert_eq!(s.state, LeaderState::Healthy);
    assert_eq!(s.master.as_deref(), Some("web-a"));
    assert_eq!(s.endpoint_holders, vec!["web-a".to_string()]);
    assert!(s.violations.is_empty(), "{:?}", s.violations);
    assert!(s.vms[0].is_master && !s.vms[1].is_master);
    assert_eq!(s.disks[1].attached_to.as_deref(), Some("web-a"));
}

#[test]
fn standby_service_down_is_normal() {
    let w = World::healthy();
    assert!(w.probes.get("web-b").service.is_down());
    assert_eq!(w.derive(false).state, LeaderState::Healthy);
}

/// Each row: a mutation of the healthy world, the expected state, the expected violation texts.
#[test]
fn state_table() {
    type Mutation = fn(&mut World);
    let rows: Vec<(&str, Mutation, LeaderState, Vec<&str>)> = vec![
        (
            "master service down",
            |w| {
                w.probes.set(
                    "web-a",
                    VmProbes {
                        vm: up(),
                        service: down("HTTP 503"),
                    },
                )
            },
            LeaderState::MasterDown,
            vec!["service probe of master web-a down: HTTP 503"],
        ),
        (
            "master vm probe down",
            |w| {
                w.probes.set(
                    "web-a",
                    VmProbes {
                        vm: down("timeout after 800ms"),
                        service: up(),
                    },
                )
            },
            LeaderState::MasterDown,
            vec!["vm probe of master web-a down: timeout after 800ms"],
        ),
        (
            "master powered off",
            |w| w.vm_mut("web-a").power = PowerState::Stopped,
            LeaderState::MasterDown,
            vec!["master web-a is stopped"],
        ),
        (
            "standby deallocated",
            |w| w.vm_mut("web-b").power = PowerState::Deallocated,
            LeaderState::Degraded,
            vec![],
        ),
        (
            "standby vm probe down",
            |w| {
                w.probes.set(
                    "web-b",
                    VmProbes {
                        vm: down("connection refused"),
                        service: down("connection refused"),
                    },
                )
            },
            LeaderState::Degraded,
            vec![],
        ),
        (
            "master service not probed yet",
            |w| {
                w.probes.set(
                    "web-a",
                    VmProbes {
                        vm: up(),
                        service: ProbeStatus::Unknown,
                    },
                )
            },
            LeaderState::Unknown,
            vec![],
        ),
        (
            "endpoint on both VMs",
            |w| w.move_endpoint(&["web-a", "web-b"]),
            LeaderState::Split,
            vec!["endpoint lb/web-app on web-a and web-b"],
        ),
        (
            "endpoint on standby, disks on master",
            |w| w.move_endpoint(&["web-b"]),
            LeaderState::Split,
            vec![
                "endpoint on web-b, disk web-data on web-a",
                "endpoint on web-b, disk web-log on web-a",
            ],
        ),
        (
            "disks split between VMs",
            |w| w.own_disk("web-log", Some("web-b")),
            LeaderState::Split,
            vec!["endpoint on web-a, disk web-log on web-b"],
        ),
        (
            "disk on a foreign VM",
            |w| w.own_disk("web-log", Some("intruder")),
            LeaderState::Split,
            vec!["disk web-log on intruder, outside the role"],
        ),
        (
            "endpoint isolated mid-failover",
            |w| w.move_endpoint(&[]),
            LeaderState::NoMaster,
            vec![
                "endpoint on no VM, disk web-data on web-a",
                "endpoint on no VM, disk web-log on web-a",
            ],
        ),
        (
            "disks detached, endpoint still on master",
            |w| {
                w.own_disk("web-data", None);
                w.own_disk("web-log", None);
            },
            LeaderState::NoMaster,
            vec![
                "endpoint on web-a, disk web-data on no VM",
                "endpoint on web-a, disk web-log on no VM",
            ],
        ),
        (
            "nothing attached anywhere",
            |w| {
                w.move_endpoint(&[]);
                w.own_disk("web-data", None);
                w.own_disk("web-log", None);
            },
            LeaderState::NoMaster,
            vec![],
        ),
        (
            "configured VM missing",
            |w| w.facts.vms.retain(|v| v.name != "web-b"),
            LeaderState::Unknown,
            vec!["VM web-b not found in Azure"],
        ),
        (
            "configured disk missing",
            |w| w.facts.disks.retain(|d| d.name != "web-log"),
            LeaderState::Unknown,
            vec![
                "disk web-log not found in Azure",
                "endpoint on web-a, disk web-log on no VM",
            ],
        ),
        (
            "disk at the wrong LUN",
            |w| w.vm_mut("web-a").data_disks[1].lun = 7,
            LeaderState::Degraded,
            vec!["disk web-log at LUN 7, configured LUN 1"],
        ),
    ];
    for (name, mutate, state, expected) in rows {
        let mut w = World::healthy();
        mutate(&mut w);
        let s = w.derive(false);
        assert_eq!(s.state, state, "{name}: {:?}", s.violations);
        assert_eq!(texts(&s), expected, "{name}");
    }
}

#[test]
fn endpoint_on_vmless_nic_is_outside_role() {
    let mut w = World::healthy();
    w.facts.nics[1].vm = None;
    w.facts.nics[1].lb_refs = vec![nat_id("web-app")];
    let s = w.derive(false);
    assert_eq!(s.state, LeaderState::Split);
    assert!(texts(&s).contains(&"endpoint lb/web-app on NIC web-b-nic, outside the role".into()));
}

#[test]
fn other_rules_on_the_same_lb_are_ignored() {
    let mut w = World::healthy();
    w.facts.nics[1].lb_refs = vec![nat_id("web-app2"), nat_id("db-app")];
    assert_eq!(w.derive(false).state, LeaderState::Healthy);
}

#[test]
fn names_and_ids_compare_case_insensitively() {
    let mut w = World::healthy();
    w.facts.nics[0].vm = Some("WEB-A".into());
    w.facts.nics[0].lb_refs = vec![nat_id("web-app").to_uppercase()];
    let s = w.derive(false);
    assert_eq!(s.state, LeaderState::Healthy, "{:?}", s.violations);
}

#[test]
fn operation_running_overrides_state_but_keeps_facts() {
    let mut w = World::healthy();
    w.move_endpoint(&[]);
    let s = w.derive(true);
    assert_eq!(s.state, LeaderState::FailingOver);
    assert_eq!(s.violations.len(), 2);
}

#[test]
fn no_inventory_yet_is_unknown_with_probes_kept() {
    let w = World::healthy();
    let s = derive(RoleInput {
        spec: &spec(&[("web-data", 0)]),
        facts: None,
        probes: &w.probes,
        operation_running: false,
    });
    assert_eq!(s.state, LeaderState::Unknown);
    assert_eq!(s.master, None);
    assert_eq!(s.vms[0].probes, up_up());
    assert_eq!(s.disks[0].disk_state, "unknown");
}

#[test]
fn role_without_disks_is_mastered_by_endpoint_holder() {
    let w = World::healthy();
    let s = derive(RoleInput {
        spec: &spec(&[]),
        facts: Some(&w.facts),
        probes: &w.probes,
        operation_running: false,
    });
    assert_eq!(s.state, LeaderState::Healthy);
    assert_eq!(s.master.as_deref(), Some("web-a"));
}

#[test]
fn load_balancer_back_reference_must_agree() {
    let mut w = World::healthy();
    let mut lb = LoadBalancerFacts {
        name: "lb".into(),
        resource_group: "rg".into(),
        nat_rules: Default::default(),
        backend_pools: Default::default(),
        probed_pools: Default::default(),
    };
    lb.nat_rules
        .insert("web-app".into(), vec!["web-a-nic".into()]);
    w.facts.load_balancers = vec![lb.clone()];
    assert!(w.derive(false).violations.is_empty());

    lb.nat_rules
        .insert("web-app".into(), vec!["web-b-nic".into()]);
    w.facts.load_balancers = vec![lb];
    let s = w.derive(false);
    assert_eq!(
        texts(&s),
        vec!["load balancer says lb/web-app targets web-b-nic, NICs say web-a-nic"]
    );
}

#[test]
fn backend_pool_endpoint_is_matched_by_pool_id() {
    let mut w = World::healthy();
    let mut s = spec(&[("web-data", 0), ("web-log", 1)]);
    s.endpoint.kind = EndpointKind::BackendPool("web-pool".into());
    w.facts.nics[0].lb_refs = vec![format!(
        "{SUB}/providers/Microsoft.Network/loadBalancers/lb/backendAddressPools/web-pool"
    )];
    let status = derive(RoleInput {
        spec: &s,
        facts: Some(&w.facts),
        probes: &w.probes,
        operation_running: false,
    });
    assert_eq!(status.state, LeaderState::Healthy);
    // A NAT rule of the same name is not the pool.
    w.facts.nics[0].lb_refs = vec![nat_id("web-pool")];
    let status = derive(RoleInput {
        spec: &s,
        facts: Some(&w.facts),
        probes: &w.probes,
        operation_running: false,
    });
    assert_eq!(status.state, LeaderState::NoMaster);
}

#[test]
fn labels_and_words() {
    assert_eq!(LeaderState::MasterDown.label(), "MASTER DOWN");
    assert_eq!(LeaderState::MasterDown.as_str(), "master_down");
    assert_eq!(LeaderState::NoMaster.as_str(), "no_master");
    assert_eq!(
        serde_json::to_string(&LeaderState::FailingOver).expect("json"),
        "\"failing_over\""
    );
}

#[test]
fn derive_all_equals_deriving_each_role_alone() {
    let mut w = World::healthy();
    w.move_endpoint(&["web-a", "web-b"]);
    let mut other = spec(&[("web-data", 0)]);
    other.name = "web2".into();
    other.endpoint.kind = EndpointKind::BackendPool("web-pool".into());
    let specs = vec![spec(&[("web-data", 0), ("web-log", 1)]), other];
    let all = derive_all(&specs, Some(&w.facts), &w.probes, |r| r == "web2");
    let one_by_one: Vec<RoleStatus> = specs
        .iter()
        .map(|s| {
            derive(RoleInput {
                spec: s,
                facts: Some(&w.facts),
                probes: &w.probes,
                operation_running: s.name == "web2",
            })
        })
        .collect();
    assert_eq!(all, one_by_one);
    assert_eq!(all[0].state, LeaderState::Split);
    assert_eq!(all[1].state, LeaderState::FailingOver);
    let none = derive_all(&specs, None, &w.probes, |_| false);
    assert!(none.iter().all(|s| s.state == LeaderState::Unknown));
}

/// Zonal LRS disks in zone 1 and the standby in zone `standby_zone`.
fn zonal_world(standby_zone: &str) -> World {
    let mut w = World::healthy();
    for (vm, zone) in [("web-a", "1"), ("web-b", standby_zone)] {
        w.vm_mut(vm).placement.zones = vec![zone.into()];
    }
    for d in &mut w.facts.disks {
        d.storage.sku = Some("Premium_LRS".into());
        d.storage.zones = vec!["1".into()];
    }
    w
}

#[test]
fn every_standby_refused_is_degraded_with_the_reason() {
    let s = zonal_world("2").derive(false);
    assert_eq!(s.state, LeaderState::Degraded);
    assert_eq!(s.master.as_deref(), Some("web-a"));
    let [Violation::StandbysRefused { refusals }] = s.violations.as_slice() else {
        panic!("{:?}", s.violations);
    };
    assert_eq!(refusals.len(), 2, "both disks refused on web-b");
    let text = texts(&s).join("\n");
    assert!(
        text.starts_with(
            "no standby can take over: Azure would refuse to attach disk web-data to web-b"
        ),
        "{text}"
    );
    assert!(text.contains("zone 1, web-b in zone 2"), "{text}");

    let same_zone = zonal_world("1").derive(false);
    assert_eq!(same_zone.state, LeaderState::Healthy);
    assert!(same_zone.violations.is_empty());
}
