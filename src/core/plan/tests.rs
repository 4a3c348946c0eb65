//! Target choice and blockers: one world, mutated case by case.

use super::fixture::*;
use super::*;
use crate::core::leader::Violation;
use crate::core::model::{PowerState, ProbeStatus};
use time::macros::datetime;

#[test]
fn switchover_of_a_healthy_role_goes_to_the_first_standby() {
    let plan = switchover().plan(&World::healthy());
    assert_eq!(plan.role, "web");
    assert_eq!(plan.from.as_deref(), Some("web-a"));
    assert_eq!(plan.to.as_deref(), Some("web-b"));
    assert!(plan.blockers.is_empty(), "{:?}", plan.blockers);
    assert!(plan.can_confirm());
}

#[test]
fn failover_of_a_dead_master_goes_to_the_first_healthy_standby() {
    let mut w = World::healthy();
    w.master_dead();
    let plan = failover().plan(&w);
    assert_eq!(plan.to.as_deref(), Some("web-b"));
    assert_eq!(plan.from.as_deref(), Some("web-a"));
    assert!(plan.can_confirm(), "{:?}", plan.blockers);
}

#[test]
fn target_choice_table() {
    type Setup = fn(&mut World);
    let cases: Vec<(&str, Setup, Option<&str>)> = vec![
        ("all healthy: config order", |_| {}, Some("web-b")),
        (
            "web-b deallocated",
            |w| {
                w.power("web-b", PowerState::Deallocated);
            },
            Some("web-c"),
        ),
        (
            "web-b vm probe down",
            |w| {
                w.vm_probe("web-b", down("refused"));
            },
            Some("web-c"),
        ),
        (
            "web-b never probed",
            |w| {
                w.vm_probe("web-b", ProbeStatus::Unknown);
            },
            Some("web-c"),
        ),
        (
            "web-b starting",
            |w| {
                w.power("web-b", PowerState::Starting);
            },
            Some("web-c"),
        ),
        (
            "service probe of a standby does not matter",
            |w| {
                w.service("web-b", down("HTTP 503"));
            },
            Some("web-b"),
        ),
        (
            "no standby healthy",
            |w| {
                w.power("web-b", PowerState::Stopped)
                    .vm_probe("web-c", down("timeout"));
            },
            None,
        ),
    ];
    for (name, setup, want) in cases {
        let mut w = World::healthy();
        w.master_dead();
        setup(&mut w);
        let plan = failover().plan(&w);
        assert_eq!(plan.to.as_deref(), want, "{name}");
    }
}

#[test]
fn no_standby_lists_every_standby_and_why() {
    let mut w = World::healthy();
    w.master_dead()
        .power("web-b", PowerState::Deallocated)
        .vm_probe("web-b", down("timeout"))
        .vm_probe("web-c", down("refused"));
    let plan = failover().plan(&w);
    assert_eq!(plan.to, None);
    assert!(plan.steps.is_empty());
    assert!(!plan.can_confirm());
    assert_eq!(plan.from.as_deref(), Some("web-a"));
    assert_eq!(plan.estimated_total, Duration::ZERO);
    let [Blocker::NoStandby { standbys }] = plan.blockers.as_slice() else {
        panic!("{:?}", plan.blockers);
    };
    assert_eq!(standbys.len(), 3);
    assert_eq!(
        plan.blockers[0].to_string(),
        "no standby available: web-b is deallocated; web-b vm probe down (timeout); \
         web-c vm probe down (refused)"
    );
}

#[test]
fn requested_target_wins_over_config_order_and_keeps_configured_spelling() {
    let plan = switchover().to("WEB-C").plan(&World::healthy());
    assert_eq!(plan.to.as_deref(), Some("web-c"));
    assert!(plan.can_confirm());
    assert!(step(&plan, StepKind::Attach).what.ends_with("to web-c"));
}

#[test]
fn requested_target_outside_the_role() {
    let plan = switchover().to("db-a").plan(&World::healthy());
    assert_eq!(
        plan.blockers,
        vec![Blocker::TargetNotInRole {
            vm: "db-a".into(),
            role: "web".into()
        }]
    );
    assert_eq!(plan.blockers[0].to_string(), "db-a is not a VM of role web");
    assert!(!plan.can_confirm());
}

#[test]
fn requested_target_is_the_master() {
    let plan = switchover().to("web-a").plan(&World::healthy());
    assert_eq!(
        plan.blockers,
        vec![Blocker::TargetIsMaster { vm: "web-a".into() }]
    );
    assert_eq!(plan.blockers[0].to_string(), "web-a is already the master");
    assert_eq!(plan.from, None, "nothing moves away from the target");
}

#[test]
fn requested_target_not_running_and_probe_down_are_both_listed() {
    let mut w = World::healthy();
    w.power("web-b", PowerState::Deallocated)
        .vm_probe("web-b", down("timeout after 800ms"));
    let plan = switchover().to("web-b").plan(&w);
    assert_eq!(
        plan.blockers,
        vec![
            Blocker::TargetNotRunning {
                vm: "web-b".into(),
                power: PowerState::Deallocated
            },
            Blocker::TargetVmProbeDown {
                vm: "web-b".into(),
                reason: "timeout after 800ms".into()
            },
        ]
    );
    assert_eq!(
        plan.blockers[0].to_string(),
        "target web-b is deallocated, not running"
    );
    assert_eq!(
        plan.blockers[1].to_string(),
        "target web-b fails its vm probe: timeout after 800ms"
    );
    assert_eq!(
        plan.to.as_deref(),
        Some("web-b"),
        "the preview still shows it"
    );
    assert!(!plan.steps.is_empty());
}

#[test]
fn requested_target_never_probed() {
    let mut w = World::healthy();
    w.vm_probe("web-c", ProbeStatus::Unknown);
    let plan = switchover().to("web-c").plan(&w);
    assert_eq!(
        plan.blockers,
        vec![Blocker::TargetVmProbeDown {
            vm: "web-c".into(),
            reason: "no heartbeat yet".into()
        }]
    );
}

#[test]
fn failover_while_the_master_is_healthy_suggests_a_switchover() {
    for degrade in [false, true] {
        let mut w = World::healthy();
        if degrade {
            w.power("web-c", PowerState::Deallocated);
        }
        let plan = failover().plan(&w);
        assert_eq!(
            plan.blockers,
            vec![Blocker::MasterHealthy {
                master: "web-a".into()
            }],
            "degraded={degrade}"
        );
        assert_eq!(
            plan.blockers[0].to_string(),
            "master web-a is healthy: use a switchover, not a failover"
        );
    }
}

#[test]
fn lock_held_by_someone_else() {
    let mut ask = switchover();
    ask.lock = Some(LockHolder {
        who: "alice".into(),
        host: "ops-1".into(),
        since: datetime!(2024-05-01 09:58:00 UTC),
    });
    let plan = ask.plan(&World::healthy());
    assert_eq!(plan.blockers.len(), 1);
    assert_eq!(
        plan.blockers[0].to_string(),
        "role locked by alice on ops-1 since 2024-05-01T09:58:00Z"
    );
}

#[test]
fn cooldown_blocks_until_it_ends() {
    let mut ask = switchover();
    ask.cooldown_until = Some(NOW + time::Duration::seconds(270));
    let plan = ask.plan(&World::healthy());
    assert_eq!(
        plan.blockers,
        vec![Blocker::Cooldown {
            until: NOW + time::Duration::seconds(270),
            remaining: Duration::from_secs(270)
        }]
    );
    assert_eq!(
        plan.blockers[0].to_string(),
        "role in cooldown until 2024-05-01T10:04:30Z (4m30s left)"
    );
    for until in [NOW, NOW - time::Duration::minutes(1)] {
        let mut ask = switchover();
        ask.cooldown_until = Some(until);
        assert!(ask.plan(&World::healthy()).can_confirm(), "{until}");
    }
}

#[test]
fn read_only_blocks() {
    let mut ask = switchover();
    ask.read_only = true;
    let plan = ask.plan(&World::healthy());
    assert_eq!(plan.blockers, vec![Blocker::ReadOnly]);
    assert_eq!(
        plan.blockers[0].to_string(),
        "baton is read-only: nothing can be moved"
    );
}

#[test]
fn split_ownership_needs_a_human_and_states_the_facts() {
    let mut w = World::healthy();
    w.endpoint_on(&["web-a", "web-c"]);
    let plan = switchover().to("web-b").plan(&w);
    let [Blocker::Split { violations }] = plan.blockers.as_slice() else {
        panic!("{:?}", plan.blockers);
    };
    assert!(violations.contains(&Violation::EndpointOnMany {
        endpoint: "lb-contoso/web-app".into(),
        holders: vec!["web-a".into(), "web-c".into()],
    }));
    assert!(plan.blockers[0].to_string().starts_with(
        "split ownership, a human must decide: endpoint lb-contoso/web-app on web-a and web-c"
    ));
}

#[test]
fn disk_outside_the_role_is_its_own_blocker() {
    let mut w = World::healthy();
    w.disk_on("web-log", Some("other-vm"));
    let plan = switchover().plan(&w);
    assert_eq!(
        plan.blockers,
        vec![Blocker::DiskOutsideRole {
            disk: "web-log".into(),
            vm: "other-vm".into()
        }],
        "the split is fully explained by the foreign disk"
    );
    assert_eq!(
        plan.blockers[0].to_string(),
        "disk web-log is attached to other-vm, outside the role"
    );
}

#[test]
fn another_operation_running() {
    let mut w = World::healthy();
    w.running_op = true;
    let plan = switchover().plan(&w);
    assert_eq!(plan.blockers, vec![Blocker::OperationRunning]);
    assert_eq!(
        plan.blockers[0].to_string(),
        "another failover or switchover of this role is running"
    );
}

#[test]
fn unknown_state_blocks_with_what_is_missing() {
    let mut w = World::healthy();
    w.service("web-a", ProbeStatus::Unknown);
    let plan = switchover().plan(&w);
    assert_eq!(
        plan.blockers,
        vec![Blocker::FactsIncomplete { violations: vec![] }]
    );
    assert_eq!(
        plan.blockers[0].to_string(),
        "not enough facts to plan: no inventory or no heartbeat from the master yet"
    );
    let mut w = World::healthy();
    w.facts.vms.retain(|v| v.name != "web-c");
    let plan = switchover().plan(&w);
    assert_eq!(
        plan.blockers[0].to_string(),
        "not enough facts to plan: VM web-c not found in Azure"
    );
}

#[test]
fn every_blocker_is_listed_at_once() {
    let mut w = World::healthy();
    w.power("web-b", PowerState::Stopped)
        .disk_on("web-log", Some("other-vm"));
    let mut ask = failover().to("web-b");
    ask.read_only = true;
    ask.lock = Some(LockHolder {
        who: "bob".into(),
        host: "ops-2".into(),
        since: NOW,
    });
    ask.cooldown_until = Some(NOW + time::Duration::hours(1));
    let plan = ask.plan(&w);
    let words: Vec<String> = plan.blockers.iter().map(ToString::to_string).collect();
    assert_eq!(
        words,
        vec![
            "baton is read-only: nothing can be moved",
            "role locked by bob on ops-2 since 2024-05-01T10:00:00Z",
            "role in cooldown until 2024-05-01T11:00:00Z (1h00m left)",
            "disk web-log is attached to other-vm, outside the role",
            "target web-b is stopped, not running",
        ]
    );
    assert!(!plan.can_confirm());
}

#[test]
fn failover_healthy_master_with_other_blockers() {
    let mut ask = failover();
    ask.read_only = true;
    let plan = ask.plan(&World::healthy());
    assert_eq!(
        plan.blockers,
        vec![
            Blocker::ReadOnly,
            Blocker::MasterHealthy {
                master: "web-a".into()
            }
        ]
    );
}

#[test]
fn blockers_serialize_with_a_kind_tag() {
    let b = Blocker::Cooldown {
        until: NOW,
        remaining: Duration::from_millis(1500),
    };
    let json = serde_json::to_value(&b).expect("json");
    assert_eq!(
        json,
        serde_json::json!({"kind": "cooldown", "until": "2024-05-01T10:00:00Z", "remaining": 1500})
    );
}

#[test]
fn labels_and_kinds() {
    let labels: Vec<&str> = StepKind::ALL.iter().map(|k| k.label()).collect();
    assert_eq!(
        labels,
        [
            "preflight",
            "isolate",
            "fence",
            "detach",
            "release",
            "attach",
            "start",
            "verify",
            "expose",
            "commit"
        ]
    );
    assert!(OperationKind::Drill.is_planned());
    assert!(OperationKind::Switchover.is_planned());
    assert!(!OperationKind::Failover.is_planned());
    assert_eq!(OperationKind::Drill.as_str(), "drill");
}

#[test]
fn human_durations() {
    for (secs, want) in [
        (0, "0s"),
        (59, "59s"),
        (60, "1m"),
        (270, "4m30s"),
        (3600, "1h00m"),
        (3725, "1h02m"),
    ] {
        assert_eq!(human_duration(Duration::from_secs(secs)), want);
    }
}

#[test]
fn timings_get_and_set() {
    let mut t = StepTimings::default();
    for kind in StepKind::ALL {
        assert!(t.get(kind).timeout >= t.get(kind).estimate, "{kind:?}");
    }
    assert_eq!(t.get(StepKind::Release).timeout, Duration::from_secs(600));
    t.get_mut(StepKind::Detach).timeout = Duration::from_secs(42);
    assert_eq!(t.detach.timeout, Duration::from_secs(42));
}
