//! Step lists: failover vs switchover, and plans built from interrupted states.

use super::fixture::*;
use super::*;
use crate::core::model::{PowerState, ProbeStatus};
use StepKind::*;

fn dead_master() -> World {
    let mut w = World::healthy();
    w.master_dead();
    w
}

#[test]
fn failover_fences_through_the_control_plane_first_and_powers_off_beside_the_target() {
    let plan = failover().plan(&dead_master());
    assert_eq!(
        kinds(&plan),
        [Preflight, Isolate, Detach, Fence, Release, Attach, Start, Verify, Expose, Commit]
    );
    for s in &plan.steps {
        let want = match s.kind {
            Detach => Some(Isolate),
            Release | Attach | Start | Verify | Expose => Some(Fence),
            _ => None,
        };
        assert_eq!(s.concurrent_with, want, "{:?}", s.kind);
        assert!(!s.already_done, "{:?}", s.kind);
    }
    let rows: Vec<(StepKind, &str, Vec<&str>)> = plan
        .steps
        .iter()
        .map(|s| {
            (
                s.kind,
                s.what.as_str(),
                s.azure_calls.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            (
                Preflight,
                "take the lock of role web; check that web-b runs and answers its vm probe",
                vec!["GET Microsoft.Compute/virtualMachines/web-b/instanceView"]
            ),
            (
                Isolate,
                "remove NAT rule lb-contoso/web-app from web-a-nic",
                vec!["PUT Microsoft.Network/networkInterfaces/web-a-nic"]
            ),
            (
                Detach,
                "detach web-data, web-log from web-a",
                vec!["POST Microsoft.Compute/virtualMachines/web-a/attachDetachDataDisks"]
            ),
            (
                Fence,
                "power off web-a (unreachable: timeout after 800ms) (after detach, beside the \
                 target's steps: the NIC update and the detach fenced it already; commit waits \
                 for the power-off)",
                vec!["POST Microsoft.Compute/virtualMachines/web-a/powerOff"]
            ),
            (
                Release,
                "wait until web-data, web-log are free (managedBy empty, Unattached)",
                vec![
                    "GET Microsoft.Compute/disks/web-data",
                    "GET Microsoft.Compute/disks/web-log"
                ]
            ),
            (
                Attach,
                "attach web-data at LUN 0, web-log at LUN 1 to web-b",
                vec!["POST Microsoft.Compute/virtualMachines/web-b/attachDetachDataDisks"]
            ),
            (
                Start,
                "run the start command on web-b",
                vec!["POST Microsoft.Compute/virtualMachines/web-b/runCommand"]
            ),
            (
                Verify,
                "wait for 3 healthy service probes in a row on web-b",
                vec![]
            ),
            (
                Expose,
                "add NAT rule lb-contoso/web-app to web-b-nic",
                vec!["PUT Microsoft.Network/networkInterfaces/web-b-nic"]
            ),
            (
                Commit,
                "close the journal, release the role lock, write the audit record",
                vec![]
            ),
        ]
    );
}

#[test]
fn failover_estimate_is_the_critical_path() {
    let plan = failover().plan(&dead_master());
    // 2 + max(8 isolate, 15 detach) + max(30 fence, 5 + 15 + 25 + 3×1 + 8) + 1: the power-off
    // is shorter than what runs beside it, so it costs nothing.
    assert_eq!(plan.estimated_total, Duration::from_secs(74));
    assert_eq!(step(&plan, Verify).estimate, Duration::from_secs(3));
    let t = StepTimings::default();
    for s in &plan.steps {
        assert_eq!(s.timeout, t.get(s.kind).timeout, "{:?}", s.kind);
    }
}

#[test]
fn switchover_isolates_before_the_graceful_stop() {
    let plan = switchover().plan(&World::healthy());
    assert_eq!(kinds(&plan), StepKind::ALL);
    assert!(plan.steps.iter().all(|s| s.concurrent_with.is_none()));
    let fence = step(&plan, Fence);
    assert_eq!(fence.what, "stop the app on web-a (stop command)");
    assert_eq!(
        fence.azure_calls,
        ["POST Microsoft.Compute/virtualMachines/web-a/runCommand"]
    );
    // 2 + 8 + 30 + 15 + 5 + 15 + 25 + 3 + 8 + 1
    assert_eq!(plan.estimated_total, Duration::from_secs(112));
    assert!(done(&plan).is_empty());
}

/// (case, backend pool, health probe on its LB rule, master answers its vm probe) → order and
/// partners of the steps after attach.
#[test]
fn order_table_by_endpoint_and_master() {
    type Row = (
        &'static str,
        bool,
        bool,
        bool,
        [(StepKind, Option<StepKind>); 4],
    );
    let rows: [Row; 5] = [
        (
            "NAT rule, hung master",
            false,
            false,
            false,
            [
                (Start, Some(Fence)),
                (Verify, Some(Fence)),
                (Expose, Some(Fence)),
                (Commit, None),
            ],
        ),
        (
            "NAT rule, master answers: no power-off, nothing beside",
            false,
            false,
            true,
            [
                (Start, None),
                (Verify, None),
                (Expose, None),
                (Commit, None),
            ],
        ),
        (
            "probed pool, hung master",
            true,
            true,
            false,
            [
                (Expose, Some(Fence)),
                (Start, Some(Expose)),
                (Verify, Some(Expose)),
                (Commit, None),
            ],
        ),
        (
            "probed pool, master answers",
            true,
            true,
            true,
            [
                (Expose, None),
                (Start, Some(Expose)),
                (Verify, Some(Expose)),
                (Commit, None),
            ],
        ),
        (
            "pool without a probe: expose after verify",
            true,
            false,
            true,
            [
                (Start, None),
                (Verify, None),
                (Expose, None),
                (Commit, None),
            ],
        ),
    ];
    for (case, pool, probed, answers, tail) in rows {
        let mut w = World::healthy();
        if pool {
            w.backend_pool();
        }
        if probed {
            w.facts.load_balancers[0]
                .probed_pools
                .insert("web-pool".into());
        }
        w.master_dead();
        if answers {
            w.vm_probe("web-a", up());
        }
        let plan = failover().plan(&w);
        let got: Vec<(StepKind, Option<StepKind>)> = plan.steps[6..]
            .iter()
            .map(|s| (s.kind, s.concurrent_with))
            .collect();
        assert_eq!(got, tail, "{case}");
        assert_eq!(
            kinds(&plan)[..6],
            [Preflight, Isolate, Detach, Fence, Release, Attach],
            "{case}"
        );
    }
}

#[test]
fn a_probed_pool_joins_before_start_in_a_switchover_too() {
    let mut w = World::healthy();
    w.backend_pool();
    w.facts.load_balancers[0]
        .probed_pools
        .insert("web-pool".into());
    let plan = switchover().plan(&w);
    assert_eq!(
        kinds(&plan),
        [Preflight, Isolate, Fence, Detach, Release, Attach, Expose, Start, Verify, Commit]
    );
    assert_eq!(step(&plan, Start).concurrent_with, Some(Expose));
    assert!(step(&plan, Expose).what.ends_with(
        "(beside start and verify: the LB's health probe holds traffic back until the app answers)"
    ));
    // 2 + 8 + 30 + 15 + 5 + 15 + max(8 expose, 25 + 3) + 1
    assert_eq!(plan.estimated_total, Duration::from_secs(104));
}

#[test]
fn a_drill_leg_is_planned_as_a_switchover() {
    let drill = Ask::new(OperationKind::Drill).plan(&World::healthy());
    let sw = switchover().plan(&World::healthy());
    assert_eq!(drill.kind, OperationKind::Drill);
    assert_eq!(drill.steps, sw.steps);
    assert!(drill.can_confirm());
}

#[test]
fn failover_fence_table() {
    type Setup = fn(&mut World);
    let cases: Vec<(&str, Setup, bool, &str)> = vec![
        (
            "stopped master needs no power-off",
            |w| {
                w.power("web-a", PowerState::Stopped);
            },
            true,
            "web-a is stopped already",
        ),
        (
            "deallocated master",
            |w| {
                w.power("web-a", PowerState::Deallocated);
            },
            true,
            "web-a is deallocated already",
        ),
        (
            "reachable master with a dead service",
            |w| {
                w.vm_probe("web-a", up());
            },
            true,
            "web-a answers its vm probe: no power-off, isolate and detach fence it",
        ),
        (
            "master never heard from",
            |w| {
                w.vm_probe("web-a", ProbeStatus::Unknown);
            },
            false,
            "power off web-a (unreachable: no heartbeat)",
        ),
    ];
    for (name, setup, want_done, want_what) in cases {
        let mut w = dead_master();
        setup(&mut w);
        let plan = failover().plan(&w);
        let fence = step(&plan, Fence);
        assert_eq!(fence.already_done, want_done, "{name}");
        assert!(fence.what.starts_with(want_what), "{name}: {}", fence.what);
        assert_eq!(fence.azure_calls.is_empty(), want_done, "{name}");
        if want_done {
            assert_eq!(fence.estimate, Duration::ZERO, "{name}");
        }
    }
}

#[test]
fn switchover_of_a_stopped_holder_needs_no_stop() {
    let mut w = World::healthy();
    w.power("web-a", PowerState::Stopped);
    let plan = switchover().to("web-b").plan(&w);
    let fence = step(&plan, Fence);
    assert!(fence.already_done);
    assert_eq!(fence.what, "web-a is stopped already");
}

#[test]
fn interrupted_after_isolate_the_endpoint_is_gone() {
    let mut w = dead_master();
    w.endpoint_on(&[]);
    let plan = failover().plan(&w);
    assert!(plan.can_confirm(), "{:?}", plan.blockers);
    assert_eq!(
        plan.from.as_deref(),
        Some("web-a"),
        "web-a still holds the disks"
    );
    assert_eq!(plan.to.as_deref(), Some("web-b"));
    assert_eq!(done(&plan), [Isolate]);
    let isolate = step(&plan, Isolate);
    assert_eq!(
        isolate.what,
        "endpoint lb-contoso/web-app is on no NIC but the target's"
    );
    assert!(isolate.azure_calls.is_empty());
    assert_eq!(
        step(&plan, Detach).what,
        "detach web-data, web-log from web-a"
    );
}

#[test]
fn interrupted_after_detach_the_disks_are_free() {
    let mut w = dead_master();
    w.endpoint_on(&[])
        .disk_on("web-data", None)
        .disk_on("web-log", None)
        .power("web-a", PowerState::Stopped);
    let plan = failover().to("web-b").plan(&w);
    assert!(plan.can_confirm(), "{:?}", plan.blockers);
    assert_eq!(plan.from, None, "nobody holds anything");
    assert_eq!(done(&plan), [Isolate, Detach, Fence, Release]);
    assert_eq!(
        step(&plan, Detach).what,
        "no disk is attached to a VM other than web-b"
    );
    assert_eq!(
        step(&plan, Release).what,
        "every disk is free or on web-b already"
    );
    assert!(!step(&plan, Attach).already_done);
    // 2 + 15 + 25 + 3 + 8 + 1
    assert_eq!(plan.estimated_total, Duration::from_secs(54));
}

#[test]
fn release_waits_for_a_disk_whose_state_lags() {
    let mut w = dead_master();
    w.endpoint_on(&[])
        .disk_on("web-data", None)
        .disk_lagging("web-log");
    let plan = failover().to("web-b").plan(&w);
    assert!(step(&plan, Detach).already_done);
    let release = step(&plan, Release);
    assert!(!release.already_done);
    assert_eq!(
        release.what,
        "wait until web-log is free (managedBy empty, Unattached)"
    );
    assert_eq!(release.azure_calls, ["GET Microsoft.Compute/disks/web-log"]);
}

#[test]
fn interrupted_after_attach_the_disks_are_on_the_target() {
    let mut w = dead_master();
    w.endpoint_on(&[])
        .disk_on("web-data", Some("web-b"))
        .disk_on("web-log", Some("web-b"));
    let plan = switchover().to("web-b").plan(&w);
    assert!(plan.can_confirm(), "{:?}", plan.blockers);
    assert_eq!(done(&plan), [Isolate, Fence, Detach, Release, Attach]);
    assert_eq!(step(&plan, Attach).what, "every disk is on web-b already");
    assert_eq!(
        step(&plan, Fence).what,
        "nothing to stop: no other VM holds the role"
    );
    // 2 + 25 + 3 + 8 + 1
    assert_eq!(plan.estimated_total, Duration::from_secs(39));
}

#[test]
fn half_moved_disks_are_planned_per_disk_but_blocked_as_a_split() {
    let mut w = dead_master();
    w.endpoint_on(&[]).disk_on("web-data", Some("web-b"));
    let plan = failover().to("web-b").plan(&w);
    assert!(plan
        .blockers
        .iter()
        .any(|b| matches!(b, Blocker::Split { .. })));
    assert_eq!(step(&plan, Detach).what, "detach web-log from web-a");
    assert_eq!(step(&plan, Attach).what, "attach web-log at LUN 1 to web-b");
    assert_eq!(
        step(&plan, Release).what.split(" is free").next(),
        Some("wait until web-log")
    );
}

#[test]
fn endpoint_already_on_the_target_is_not_exposed_again() {
    let mut w = dead_master();
    w.endpoint_on(&["web-b"])
        .disk_on("web-data", None)
        .disk_on("web-log", None);
    let plan = failover().to("web-b").plan(&w);
    let expose = step(&plan, Expose);
    assert!(expose.already_done);
    assert_eq!(expose.what, "lb-contoso/web-app is on web-b already");
    assert!(step(&plan, Isolate).already_done, "the target keeps it");
}

#[test]
fn isolate_removes_the_endpoint_from_every_other_holder() {
    let mut w = World::healthy();
    w.endpoint_on(&["web-a", "web-c"]);
    let plan = switchover().to("web-b").plan(&w);
    assert_eq!(plan.from.as_deref(), Some("web-a, web-c"));
    let isolate = step(&plan, Isolate);
    assert_eq!(
        isolate.what,
        "remove NAT rule lb-contoso/web-app from web-a-nic; \
         remove NAT rule lb-contoso/web-app from web-c-nic"
    );
    assert_eq!(
        isolate.azure_calls,
        [
            "PUT Microsoft.Network/networkInterfaces/web-a-nic",
            "PUT Microsoft.Network/networkInterfaces/web-c-nic"
        ]
    );
    let fence = step(&plan, Fence);
    assert_eq!(
        fence.what,
        "stop the app on web-a (stop command); stop the app on web-c (stop command)"
    );
}

#[test]
fn fence_lists_only_the_holders_left_to_do() {
    let mut w = World::healthy();
    w.endpoint_on(&["web-a", "web-c"])
        .power("web-c", PowerState::Deallocated);
    let plan = switchover().to("web-b").plan(&w);
    let fence = step(&plan, Fence);
    assert!(!fence.already_done);
    assert_eq!(fence.what, "stop the app on web-a (stop command)");
    assert_eq!(fence.azure_calls.len(), 1);
}

#[test]
fn backend_pool_wording() {
    let mut w = World::healthy();
    w.backend_pool();
    let plan = switchover().plan(&w);
    assert!(plan.can_confirm(), "{:?}", plan.blockers);
    assert_eq!(
        step(&plan, Isolate).what,
        "remove web-a-nic from backend pool lb-contoso/web-pool"
    );
    assert_eq!(
        step(&plan, Expose).what,
        "add web-b-nic to backend pool lb-contoso/web-pool (after verify: no load-balancing \
         rule with a health probe gates this pool)"
    );
}

#[test]
fn without_nic_facts_the_plan_names_nics_by_their_vm() {
    let mut ask = switchover();
    ask.with_facts = false;
    let plan = ask.plan(&World::healthy());
    let isolate = step(&plan, Isolate);
    assert_eq!(
        isolate.what,
        "remove NAT rule lb-contoso/web-app from web-a's NIC"
    );
    assert_eq!(
        isolate.azure_calls,
        ["PUT Microsoft.Network/networkInterfaces/<NIC of web-a>"]
    );
    assert_eq!(
        step(&plan, Expose).what,
        "add NAT rule lb-contoso/web-app to web-b's NIC"
    );
}

#[test]
fn a_role_that_never_had_a_master_is_bootstrapped() {
    let mut w = World::healthy();
    w.endpoint_on(&[])
        .disk_on("web-data", None)
        .disk_on("web-log", None);
    let plan = failover().plan(&w);
    assert!(plan.can_confirm(), "{:?}", plan.blockers);
    assert_eq!(plan.from, None);
    assert_eq!(plan.to.as_deref(), Some("web-a"), "no master: config order");
    assert_eq!(
        step(&plan, Fence).what,
        "nothing to fence: no other VM holds the role"
    );
}

#[test]
fn plan_serializes_durations_in_millis() {
    let plan = switchover().plan(&World::healthy());
    let json = serde_json::to_value(&plan).expect("json");
    assert_eq!(json["estimated_total"], 112_000);
    assert_eq!(json["kind"], "switchover");
    assert_eq!(json["steps"][2]["kind"], "fence");
    assert_eq!(json["steps"][2]["timeout"], 300_000);
}
