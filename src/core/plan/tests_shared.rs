//! Plans of roles with shared disks: no detach, release or attach of a shared disk; in a
//! failover the power-off of an unreachable holder ends before the target starts; a shared disk
//! missing on the target (or at its share limit) blocks the plan.

use super::fixture::*;
use super::refusals::Refusal;
use super::shared_fixture::{attach_shared, shared_world};
use super::*;
use StepKind::*;

fn dead(mut w: World) -> World {
    w.master_dead();
    w
}

#[test]
fn failover_of_an_all_shared_role_moves_no_disk_and_powers_off_before_start() {
    let plan = failover().plan(&dead(shared_world(false)));
    assert!(plan.can_confirm(), "{:?}", plan.blockers);
    assert_eq!(
        kinds(&plan),
        [Preflight, Isolate, Detach, Fence, Release, Attach, Start, Verify, Expose, Commit]
    );
    assert_eq!(done(&plan), [Detach, Release, Attach]);
    for kind in [Detach, Release, Attach] {
        let s = step(&plan, kind);
        assert_eq!(
            s.what,
            format!(
                "nothing to {}: every disk of the role is shared and stays attached to every VM",
                kind.label()
            )
        );
        assert!(s.azure_calls.is_empty());
    }
    let fence = step(&plan, Fence);
    assert_eq!(
        fence.what,
        "power off web-a (unreachable: timeout after 800ms) (before start: the shared disks \
         stay attached to it, only the power-off keeps it off the data)"
    );
    assert_eq!(
        fence.azure_calls,
        ["POST Microsoft.Compute/virtualMachines/web-a/powerOff"]
    );
    // Nothing runs beside the power-off: start waits for it to end.
    for s in &plan.steps {
        let want = (s.kind == Detach).then_some(Isolate);
        assert_eq!(s.concurrent_with, want, "{:?}", s.kind);
    }
    let t = StepTimings::default();
    let fence_end = t.get(Isolate).estimate + t.get(Fence).estimate + t.get(Preflight).estimate;
    assert!(plan.estimated_total > fence_end);
}

#[test]
fn the_disk_moving_failover_still_powers_off_beside_the_target() {
    let plan = failover().plan(&dead(World::healthy()));
    assert_eq!(step(&plan, Start).concurrent_with, Some(Fence));
}

#[test]
fn a_reachable_holder_is_not_powered_off_and_the_step_says_what_fences_it() {
    let mut w = shared_world(false);
    w.service("web-a", down("HTTP 503"));
    let plan = failover().plan(&w);
    let fence = step(&plan, Fence);
    assert!(fence.already_done);
    assert_eq!(
        fence.what,
        "web-a answers its vm probe: no power-off; isolate fences the endpoint, the shared disks \
         stay attached (keeping it off them is the app's SCSI reservations' job)"
    );
}

#[test]
fn switchover_of_an_all_shared_role_stops_the_app_and_moves_no_disk() {
    let plan = switchover().plan(&shared_world(false));
    assert_eq!(
        kinds(&plan),
        [Preflight, Isolate, Fence, Detach, Release, Attach, Start, Verify, Expose, Commit]
    );
    assert_eq!(done(&plan), [Detach, Release, Attach]);
    assert_eq!(
        step(&plan, Fence).what,
        "stop the app on web-a (stop command) (the shared disks stay attached to it: the stop \
         is what keeps it off the data)"
    );
}

#[test]
fn a_drill_leg_plans_like_a_switchover() {
    let w = shared_world(false);
    let drill = Ask::new(OperationKind::Drill).plan(&w);
    let switch = switchover().plan(&w);
    let rows = |p: &Plan| -> Vec<(StepKind, String, bool)> {
        p.steps
            .iter()
            .map(|s| (s.kind, s.what.clone(), s.already_done))
            .collect()
    };
    assert_eq!(rows(&drill), rows(&switch));
}

#[test]
fn a_mixed_role_moves_only_the_disks_that_are_not_shared() {
    let plan = failover().plan(&dead(shared_world(true)));
    assert_eq!(step(&plan, Detach).what, "detach web-log from web-a");
    assert_eq!(
        step(&plan, Release).what,
        "wait until web-log is free (managedBy empty, Unattached)"
    );
    assert_eq!(step(&plan, Attach).what, "attach web-log at LUN 1 to web-b");
    assert_eq!(step(&plan, Start).concurrent_with, None);
}

#[test]
fn a_third_vm_holding_only_shared_disks_is_never_fenced() {
    let mut w = dead(shared_world(false));
    // managedBy names web-c first: still no reason to fence web-c.
    attach_shared(&mut w, "web-data", &["web-c", "web-a", "web-b"], 3);
    let plan = failover().plan(&w);
    assert_eq!(plan.from.as_deref(), Some("web-a"));
    assert!(!step(&plan, Fence).what.contains("web-c"));
}

struct BlockRow {
    name: &'static str,
    holders: &'static [&'static str],
    max: i32,
    want: Vec<Refusal>,
}

fn block_rows() -> Vec<BlockRow> {
    vec![
        BlockRow {
            name: "attached to the target: nothing blocks",
            holders: &["web-a", "web-b", "web-c"],
            max: 3,
            want: vec![],
        },
        BlockRow {
            name: "not on the target, a share left",
            holders: &["web-a", "web-c"],
            max: 3,
            want: vec![Refusal::SharedNotAttached {
                disk: "web-data".into(),
                vm: "web-b".into(),
                holders: vec!["web-a".into(), "web-c".into()],
                max_shares: 3,
            }],
        },
        BlockRow {
            name: "not on the target, every share taken",
            holders: &["web-a", "web-c"],
            max: 2,
            want: vec![Refusal::SharedAtLimit {
                disk: "web-data".into(),
                vm: "web-b".into(),
                holders: vec!["web-a".into(), "web-c".into()],
                max_shares: 2,
            }],
        },
    ]
}

#[test]
fn a_shared_disk_missing_on_the_target_blocks_the_plan() {
    for row in block_rows() {
        let mut w = dead(shared_world(true));
        attach_shared(&mut w, "web-data", row.holders, row.max);
        let plan = failover().to("web-b").plan(&w);
        let got: Vec<Refusal> = plan
            .blockers
            .iter()
            .filter_map(|b| match b {
                Blocker::AzureWouldRefuse(r) => Some(r.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(got, row.want, "{}", row.name);
    }
}

#[test]
fn the_shared_blockers_read_as_facts_and_a_way_out() {
    let words: Vec<String> = block_rows()
        .into_iter()
        .flat_map(|r| r.want)
        .map(|r| r.to_string())
        .collect();
    assert_eq!(
        words,
        [
            "shared disk web-data is not attached to web-b (shared 2/3: web-a, web-c), and a failover attaches no shared disk. Way out: attach web-data to web-b (a free share is left), or drop `shared` from the config so the disk moves",
            "Azure would refuse to attach shared disk web-data to web-b: every share is taken (maxShares 2, held by web-a, web-c). Way out: detach it from a VM outside the failover, or raise its maxShares (with every holder deallocated)",
        ]
    );
}
