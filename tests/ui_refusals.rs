//! Plan preview snapshots, at 80x24 and 120x40, of every refusal Azure would make at attach
//! (zone, availability set, data-disk slots, LUN, region), each built by the real planner from
//! fixture facts: the preview names the facts and the way out before anything moves.

mod ui_fixtures;

use baton::core::leader::LeaderState;
use baton::core::plan::{Blocker, OperationKind, Plan};
use baton::protocol::EngineMsg;
use baton::ui::{render, update, Action, Mode, Msg, Theme, UiState};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use ui_fixtures as fixtures;
use ui_fixtures::ops::{self, at, RoleWorld};

fn theme() -> Theme {
    Theme::load("default", None, false).unwrap()
}

fn both(name: &str, state: &UiState) {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
        term.draw(|f| render(f, state, &theme())).unwrap();
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), term.backend());
    }
}

/// A switchover preview of `plan` on app.
fn preview(plan: Plan) -> UiState {
    let mut st = fixtures::state(Mode::Operator, vec![fixtures::healthy()]);
    update(&mut st, Msg::Tick(at(0)));
    update(
        &mut st,
        Msg::Snapshot(ops::fleet_at(0, LeaderState::Healthy)),
    );
    update(&mut st, Msg::Action(Action::Down));
    update(&mut st, Msg::Action(Action::Down));
    assert_eq!(st.selected_role().unwrap().role, "app");
    update(&mut st, Msg::Action(Action::Switchover));
    update(&mut st, Msg::Engine(EngineMsg::Plan(plan)));
    st
}

/// app (app-a master with app-data and app-logs, standbys app-b and app-c), changed by `f`,
/// planned as a switchover to app-b; the plan must carry `n` refusals.
fn refused(f: impl FnOnce(&mut RoleWorld), n: usize) -> Plan {
    let mut world = ops::role_world("app");
    for vm in &mut world.facts.vms {
        vm.placement.location = Some("westeurope".into());
    }
    for d in &mut world.facts.disks {
        d.storage.location = Some("westeurope".into());
    }
    f(&mut world);
    let plan = world.plan(OperationKind::Switchover, Some("app-b"));
    let count = plan
        .blockers
        .iter()
        .filter(|b| matches!(b, Blocker::AzureWouldRefuse(_)))
        .count();
    assert_eq!(count, n, "{:?}", plan.blockers);
    assert!(!plan.can_confirm());
    plan
}

fn vm<'a>(w: &'a mut RoleWorld, name: &str) -> &'a mut baton::core::model::VmFacts {
    w.facts.vms.iter_mut().find(|v| v.name == name).unwrap()
}

fn zonal_disks(w: &mut RoleWorld, zone: &str) {
    for d in &mut w.facts.disks {
        d.storage.sku = Some("Premium_LRS".into());
        d.storage.zones = vec![zone.into()];
    }
}

fn own_disks(w: &mut RoleWorld, on: &str, disks: &[(&str, i32)]) {
    for (name, lun) in disks {
        vm(w, on).data_disks.push(baton::core::model::AttachedDisk {
            name: (*name).into(),
            lun: *lun,
            caching: None,
        });
    }
}

#[test]
fn preview_other_zone() {
    let plan = refused(
        |w| {
            vm(w, "app-a").placement.zones = vec!["1".into()];
            vm(w, "app-b").placement.zones = vec!["2".into()];
            zonal_disks(w, "1");
        },
        2,
    );
    both("refusal_other_zone", &preview(plan));
}

#[test]
fn preview_availability_set() {
    let plan = refused(
        |w| {
            vm(w, "app-b").placement.availability_set = Some("avs-app".into());
            zonal_disks(w, "1");
        },
        2,
    );
    both("refusal_availability_set", &preview(plan));
}

#[test]
fn preview_too_few_slots() {
    let plan = refused(
        |w| {
            let b = &mut vm(w, "app-b").placement;
            b.size = Some("Standard_B1s".into());
            b.max_data_disks = Some(2);
            own_disks(w, "app-b", &[("scratch", 5)]);
        },
        1,
    );
    both("refusal_too_few_slots", &preview(plan));
}

#[test]
fn preview_lun_taken() {
    let plan = refused(|w| own_disks(w, "app-b", &[("app-b-scratch", 1)]), 1);
    both("refusal_lun_taken", &preview(plan));
}

#[test]
fn preview_other_region() {
    let plan = refused(
        |w| {
            for d in &mut w.facts.disks {
                d.storage.location = Some("northeurope".into());
            }
        },
        2,
    );
    both("refusal_other_region", &preview(plan));
}

/// The cockpit on app when Azure would refuse its disks on both standbys: DEGRADED with the
/// reason, and the Attachments pane shows each VM's zone and size and each disk's SKU and zone.
#[test]
fn cockpit_degraded_role_shows_zones_and_skus() {
    use baton::core::leader::Violation;
    use baton::core::plan::refusals::Refusal;
    let mut fleet = ops::fleet_at(0, LeaderState::Degraded);
    let app = &mut fleet.roles[2];
    assert_eq!(app.role, "app");
    for (vm, zone) in app.vms.iter_mut().zip(["1", "2", "3"]) {
        vm.zones = vec![zone.into()];
        vm.size = Some("Standard_D2s_v5".into());
    }
    for d in &mut app.disks {
        d.sku = Some("Premium_LRS".into());
        d.zones = vec!["1".into()];
    }
    let refusals = ["app-b", "app-c"]
        .iter()
        .zip(["2", "3"])
        .map(|(vm, zone)| Refusal::OtherZone {
            disk: "app-data".into(),
            sku: "Premium_LRS".into(),
            disk_zone: "1".into(),
            vm: (*vm).into(),
            vm_zone: zone.into(),
        })
        .collect();
    app.violations = vec![Violation::StandbysRefused { refusals }];
    let mut st = fixtures::state(Mode::Operator, vec![fixtures::healthy()]);
    update(&mut st, Msg::Tick(at(0)));
    update(&mut st, Msg::Snapshot(fleet));
    update(&mut st, Msg::Action(Action::Down));
    update(&mut st, Msg::Action(Action::Down));
    both("degraded_zones", &st);
}
