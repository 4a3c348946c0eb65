//! Table tests of a role with shared disks: the endpoint (and power, heartbeats) decides the
//! leader, a shared disk on every VM is normal, on fewer is DEGRADED, not shareable in Azure is
//! a stated mismatch, on a stranger is SPLIT.

use super::*;
use crate::core::plan::fixture::World;
use crate::core::plan::shared_fixture::{attach_shared, shared_world};

struct Row {
    name: &'static str,
    world: World,
    state: LeaderState,
    master: Option<&'static str>,
    violations: Vec<Violation>,
}

fn world(change: impl FnOnce(&mut World)) -> World {
    let mut w = shared_world(false);
    change(&mut w);
    w
}

fn rows() -> Vec<Row> {
    vec![
        Row {
            name: "every shared disk on every VM, endpoint on web-a",
            world: shared_world(false),
            state: LeaderState::Healthy,
            master: Some("web-a"),
            violations: vec![],
        },
        Row {
            name: "the endpoint decides, not managedBy (web-a there, endpoint on web-b)",
            world: world(|w| {
                w.endpoint_on(&["web-b"]);
            }),
            state: LeaderState::Healthy,
            master: Some("web-b"),
            violations: vec![],
        },
        Row {
            name: "endpoint nowhere: nobody leads, whatever the shared disks say",
            world: world(|w| {
                w.endpoint_on(&[]);
            }),
            state: LeaderState::NoMaster,
            master: None,
            violations: vec![],
        },
        Row {
            name: "a shared disk on fewer VMs than the role has is DEGRADED",
            world: world(|w| attach_shared(w, "web-log", &["web-a", "web-b"], 3)),
            state: LeaderState::Degraded,
            master: Some("web-a"),
            violations: vec![Violation::SharedDiskNotOnAll {
                disk: "web-log".into(),
                missing: vec!["web-c".into()],
            }],
        },
        Row {
            name: "Azure says maxShares 1 for a disk configured shared",
            world: world(|w| attach_shared(w, "web-data", &["web-a"], 1)),
            state: LeaderState::Degraded,
            master: Some("web-a"),
            violations: vec![
                Violation::SharedDiskNotShareable {
                    disk: "web-data".into(),
                    max_shares: Some(1),
                },
                Violation::SharedDiskNotOnAll {
                    disk: "web-data".into(),
                    missing: vec!["web-b".into(), "web-c".into()],
                },
                Violation::StandbysRefused {
                    refusals: ["web-b", "web-c"]
                        .into_iter()
                        .map(|vm| Refusal::SharedAtLimit {
                            disk: "web-data".into(),
                            vm: vm.into(),
                            holders: vec!["web-a".into()],
                            max_shares: 1,
                        })
                        .collect(),
                },
            ],
        },
        Row {
            name: "a shared disk also on a VM outside the role is a split",
            world: world(|w| attach_shared(w, "web-data", &["web-a", "web-b", "web-c", "db-a"], 4)),
            state: LeaderState::Split,
            master: None,
            violations: vec![Violation::DiskOutsideRole {
                disk: "web-data".into(),
                vm: "db-a".into(),
            }],
        },
        Row {
            name: "the master's heartbeats decide MASTER DOWN with shared disks too",
            world: world(|w| {
                w.master_dead();
            }),
            state: LeaderState::MasterDown,
            master: Some("web-a"),
            violations: vec![
                Violation::MasterVmProbeDown {
                    vm: "web-a".into(),
                    reason: "timeout after 800ms".into(),
                },
                Violation::MasterServiceDown {
                    vm: "web-a".into(),
                    reason: "timeout after 800ms".into(),
                },
            ],
        },
        Row {
            name: "mixed role: the moving disk anchors the master as before",
            world: {
                let mut w = shared_world(true);
                w.disk_on("web-log", Some("web-b"));
                w
            },
            state: LeaderState::Split,
            master: None,
            violations: vec![],
        },
    ]
}

#[test]
fn shared_disk_roles_derive_from_the_endpoint_and_flag_missing_shares() {
    for row in rows() {
        let status = row.world.status();
        assert_eq!(status.state, row.state, "{}", row.name);
        assert_eq!(status.master.as_deref(), row.master, "{}", row.name);
        if row.name.starts_with("mixed") {
            assert!(
                status
                    .violations
                    .iter()
                    .any(|v| matches!(v, Violation::Apart { disk, .. } if disk == "web-log")),
                "{}: {:?}",
                row.name,
                status.violations
            );
            continue;
        }
        assert_eq!(status.violations, row.violations, "{}", row.name);
    }
}

#[test]
fn the_placement_lists_every_holder_and_the_share_limit() {
    let status = shared_world(false).status();
    let data = &status.disks[0];
    assert!(data.shared);
    assert_eq!(data.holders, ["web-a", "web-b", "web-c"]);
    assert_eq!(data.max_shares, Some(3));
}

#[test]
fn the_mismatch_and_the_missing_share_read_as_facts() {
    let w = world(|w| attach_shared(w, "web-data", &["web-a"], 1));
    let words: Vec<String> = w
        .status()
        .violations
        .iter()
        .take(2)
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        words,
        [
            "disk web-data is configured shared but Azure says maxShares 1: config and Azure disagree (set maxShares >= 2 on the disk, or drop `shared` from the config)",
            "shared disk web-data not attached to web-b, web-c: a failover there would find no data",
        ]
    );
}
