//! Table tests of the refusals: one row per situation, with the refusal expected (or none).

use super::*;
use crate::core::leader::tests::spec;
use crate::core::model::{DiskStorage, PowerState, VmPlacement};

fn vm(placement: VmPlacement, disks: &[(&str, i32)]) -> VmFacts {
    VmFacts {
        name: "web-b".into(),
        id: "/vm/web-b".into(),
        power: PowerState::Running,
        provisioning_state: "Succeeded".into(),
        nics: vec![],
        data_disks: disks
            .iter()
            .map(|(n, lun)| AttachedDisk {
                name: (*n).into(),
                lun: *lun,
                caching: None,
            })
            .collect(),
        placement,
    }
}

fn disk(name: &str, sku: &str, zone: Option<&str>, region: &str) -> DiskFacts {
    DiskFacts {
        name: name.into(),
        id: format!("/disk/{name}"),
        managed_by: Some("web-a".into()),
        disk_state: "Attached".into(),
        storage: DiskStorage {
            sku: Some(sku.into()),
            zones: zone.into_iter().map(str::to_owned).collect(),
            location: Some(region.into()),
            ..DiskStorage::default()
        },
    }
}

fn zoned(zone: &str) -> VmPlacement {
    VmPlacement {
        zones: vec![zone.into()],
        location: Some("westeurope".into()),
        size: Some("Standard_D2s_v5".into()),
        max_data_disks: Some(4),
        ..VmPlacement::default()
    }
}

fn in_set(set: &str) -> VmPlacement {
    VmPlacement {
        availability_set: Some(set.into()),
        location: Some("westeurope".into()),
        ..VmPlacement::default()
    }
}

struct Row {
    name: &'static str,
    role_disks: &'static [(&'static str, i32)],
    standby: VmFacts,
    disks: Vec<DiskFacts>,
    want: Vec<Refusal>,
}

fn other_zone(disk: &str, sku: &str, dz: &str, vz: &str) -> Refusal {
    Refusal::OtherZone {
        disk: disk.into(),
        sku: sku.into(),
        disk_zone: dz.into(),
        vm: "web-b".into(),
        vm_zone: vz.into(),
    }
}

fn rows() -> Vec<Row> {
    let data = &[("web-data", 0)][..];
    vec![
        Row {
            name: "zonal LRS disk, standby in another zone",
            role_disks: data,
            standby: vm(zoned("2"), &[]),
            disks: vec![disk("web-data", "Premium_LRS", Some("1"), "westeurope")],
            want: vec![other_zone("web-data", "Premium_LRS", "1", "2")],
        },
        Row {
            name: "zonal disk, standby in the same zone",
            role_disks: data,
            standby: vm(zoned("1"), &[]),
            disks: vec![disk("web-data", "Premium_LRS", Some("1"), "westeurope")],
            want: vec![],
        },
        Row {
            name: "ZRS disk goes to any zone",
            role_disks: data,
            standby: vm(zoned("2"), &[]),
            disks: vec![disk("web-data", "Premium_ZRS", None, "westeurope")],
            want: vec![],
        },
        Row {
            name: "regional disk, zonal standby: nothing known to refuse",
            role_disks: data,
            standby: vm(zoned("3"), &[]),
            disks: vec![disk("web-data", "StandardSSD_LRS", None, "westeurope")],
            want: vec![],
        },
        Row {
            name: "zonal disk, standby in an availability set",
            role_disks: data,
            standby: vm(in_set("avset-web"), &[]),
            disks: vec![disk("web-data", "StandardSSD_LRS", Some("2"), "westeurope")],
            want: vec![Refusal::AvailabilitySet {
                disk: "web-data".into(),
                sku: "StandardSSD_LRS".into(),
                disk_zone: "2".into(),
                vm: "web-b".into(),
                set: "avset-web".into(),
            }],
        },
        Row {
            name: "too few data-disk slots",
            role_disks: &[("db-data", 0), ("db-log", 1)],
            standby: vm(
                zoned("1"),
                &[("scratch-1", 5), ("scratch-2", 6), ("scratch-3", 7)],
            ),
            disks: vec![],
            want: vec![Refusal::TooFewSlots {
                vm: "web-b".into(),
                size: "Standard_D2s_v5".into(),
                max: 4,
                own: 3,
                role: 2,
            }],
        },
        Row {
            name: "exactly enough slots",
            role_disks: &[("db-data", 0), ("db-log", 1)],
            standby: vm(zoned("1"), &[("scratch-1", 5), ("scratch-2", 6)]),
            disks: vec![],
            want: vec![],
        },
        Row {
            name: "LUN taken by a disk outside the role",
            role_disks: data,
            standby: vm(zoned("1"), &[("scratch", 0)]),
            disks: vec![],
            want: vec![Refusal::LunTaken {
                vm: "web-b".into(),
                lun: 0,
                disk: "web-data".into(),
                taken_by: "scratch".into(),
            }],
        },
        Row {
            name: "disk in another region",
            role_disks: data,
            standby: vm(zoned("1"), &[]),
            disks: vec![disk("web-data", "Premium_LRS", Some("1"), "North Europe")],
            want: vec![Refusal::OtherRegion {
                disk: "web-data".into(),
                disk_region: "North Europe".into(),
                vm: "web-b".into(),
                vm_region: "westeurope".into(),
            }],
        },
        Row {
            name: "region spelled differently is the same region",
            role_disks: data,
            standby: vm(zoned("1"), &[]),
            disks: vec![disk("web-data", "Premium_LRS", Some("1"), "West Europe")],
            want: vec![],
        },
        Row {
            name: "disk already on the standby is never refused",
            role_disks: data,
            standby: vm(zoned("2"), &[("web-data", 0)]),
            disks: vec![disk("web-data", "Premium_LRS", Some("1"), "westeurope")],
            want: vec![],
        },
        Row {
            name: "unknown facts refuse nothing",
            role_disks: data,
            standby: vm(VmPlacement::default(), &[]),
            disks: vec![disk("web-data", "Premium_LRS", Some("1"), "westeurope")],
            want: vec![],
        },
    ]
}

#[test]
fn table() {
    for row in rows() {
        let spec = spec(row.role_disks);
        let got = check(&spec, &row.standby, |name| {
            row.disks.iter().find(|d| same_name(&d.name, name))
        });
        assert_eq!(got, row.want, "{}", row.name);
    }
}

#[test]
fn every_refusal_names_its_facts_and_a_way_out() {
    for row in rows() {
        for r in row.want {
            let text = r.to_string();
            assert!(text.starts_with("Azure would refuse"), "{text}");
            assert!(text.contains("Way out: "), "{text}");
            assert!(text.contains(r.vm()), "{text}");
        }
    }
    let text = other_zone("web-data", "Premium_LRS", "1", "2").to_string();
    assert!(text.contains("zone 1") && text.contains("zone 2") && text.contains("ZRS"));
}

mod in_a_plan {
    use crate::core::plan::fixture::{switchover, World};
    use crate::core::plan::Blocker;

    /// The fixture's role (web-a master, web-b and web-c standbys) with zonal LRS disks in
    /// zone 1 and the VMs in the given zones.
    fn zoned(zones: [&str; 3]) -> World {
        let mut w = World::healthy();
        for (vm, zone) in ["web-a", "web-b", "web-c"].iter().zip(zones) {
            if let Some(v) = w.facts.vms.iter_mut().find(|v| v.name == *vm) {
                v.placement.zones = vec![zone.into()];
            }
        }
        for d in &mut w.facts.disks {
            d.storage.sku = Some("Premium_LRS".into());
            d.storage.zones = vec!["1".into()];
        }
        w
    }

    #[test]
    fn standby_azure_accepts_is_chosen_first() {
        let plan = switchover().plan(&zoned(["1", "2", "1"]));
        assert_eq!(plan.to.as_deref(), Some("web-c"));
        assert!(plan.can_confirm(), "{:?}", plan.blockers);
    }

    #[test]
    fn refused_target_blocks_the_plan_with_every_disk() {
        let plan = switchover().to("web-b").plan(&zoned(["1", "2", "1"]));
        let refused: Vec<String> = plan
            .blockers
            .iter()
            .filter(|b| matches!(b, Blocker::AzureWouldRefuse(_)))
            .map(ToString::to_string)
            .collect();
        assert_eq!(refused.len(), 2, "{:?}", plan.blockers);
        assert!(refused[0].contains("disk web-data to web-b"), "{refused:?}");
        assert!(refused[1].contains("disk web-log to web-b"), "{refused:?}");
        assert!(!plan.can_confirm());

        let all_refused = switchover().plan(&zoned(["1", "2", "3"]));
        assert_eq!(all_refused.to.as_deref(), Some("web-b"));
        assert!(!all_refused.can_confirm());
    }
}
