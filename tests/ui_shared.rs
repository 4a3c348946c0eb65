//! Shared disks in the cockpit, at 80x24 and 120x40: the Attachments pane shows each shared
//! disk as `shared n/max` with every holder; the plan preview of a failover of an all-shared
//! role shows detach/release/attach as nothing to do and the power-off before start; a shared
//! disk missing on the target, or at its share limit there, blocks the preview.

mod ui_fixtures;

use baton::core::leader::{derive, LeaderState, RoleInput};
use baton::core::model::{AttachedDisk, ProbeStatus};
use baton::core::plan::{Blocker, OperationKind, Plan};
use baton::protocol::EngineMsg;
use baton::ui::{render, update, Action, Mode, Msg, Theme, UiState};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use ui_fixtures as fixtures;
use ui_fixtures::ops::{self, at, RoleWorld};

const SUB: &str = "/subscriptions/s/resourceGroups/rg";

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

/// `web` (web-a master, web-b standby) with its disk shared, held by `holders`, `maxShares`
/// `max`.
fn shared_web(holders: &[&str], max: i32) -> RoleWorld {
    let mut w = ops::role_world("web");
    for d in &mut w.spec.disks {
        d.shared = true;
    }
    let disks: Vec<(String, i32)> = w
        .spec
        .disks
        .iter()
        .map(|d| (d.name.clone(), d.lun))
        .collect();
    for (name, lun) in &disks {
        for vm in &mut w.facts.vms {
            vm.data_disks.retain(|d| &d.name != name);
            if holders.contains(&vm.name.as_str()) {
                vm.data_disks.push(AttachedDisk {
                    name: name.clone(),
                    lun: *lun,
                    caching: None,
                });
            }
        }
        let ids: Vec<String> = holders
            .iter()
            .map(|vm| format!("{SUB}/providers/Microsoft.Compute/virtualMachines/{vm}"))
            .collect();
        let d = w.facts.disks.iter_mut().find(|d| &d.name == name).unwrap();
        d.managed_by = ids.first().cloned();
        d.storage.max_shares = Some(max);
        d.storage.managed_by_extended = ids;
    }
    w
}

/// The cockpit with `web` replaced by the derived status of `world`, web selected.
fn cockpit(world: &RoleWorld) -> UiState {
    let status = derive(RoleInput {
        spec: &world.spec,
        facts: Some(&world.facts),
        probes: &world.probes,
        operation_running: false,
    });
    let mut fleet = ops::fleet_at(0, LeaderState::Healthy);
    let web = fleet.roles.iter_mut().find(|r| r.role == "web").unwrap();
    *web = status;
    let mut st = fixtures::state(Mode::Operator, vec![fixtures::healthy()]);
    update(&mut st, Msg::Tick(at(0)));
    update(&mut st, Msg::Snapshot(fleet));
    update(&mut st, Msg::Action(Action::Down));
    assert_eq!(st.selected_role().unwrap().role, "web");
    st
}

/// The master hangs: its service and its host heartbeat both fail, so a failover powers it off.
fn hung(mut world: RoleWorld) -> RoleWorld {
    world = world.master_down();
    let mut p = world.probes.get("web-a");
    p.vm = ProbeStatus::Down {
        reason: "timeout after 800ms".into(),
    };
    world.probes.set("web-a", p);
    world
}

fn preview(world: &RoleWorld, plan: Plan) -> UiState {
    let mut st = cockpit(world);
    update(&mut st, Msg::Action(Action::Failover));
    update(&mut st, Msg::Engine(EngineMsg::Plan(plan)));
    st
}

#[test]
fn attachments_show_a_shared_disk_and_every_holder() {
    let world = shared_web(&["web-a", "web-b"], 3);
    let st = cockpit(&world);
    assert_eq!(st.selected_role().unwrap().state, LeaderState::Healthy);
    both("shared_attachments", &st);
}

#[test]
fn attachments_show_a_shared_disk_missing_on_the_standby() {
    let world = shared_web(&["web-a"], 2);
    let st = cockpit(&world);
    assert_eq!(st.selected_role().unwrap().state, LeaderState::Degraded);
    both("shared_attachments_missing", &st);
}

#[test]
fn preview_of_a_shared_failover_moves_no_disk_and_fences_before_start() {
    let world = hung(shared_web(&["web-a", "web-b"], 2));
    let plan = world.plan(OperationKind::Failover, None);
    assert!(plan.can_confirm(), "{:?}", plan.blockers);
    both("shared_failover_preview", &preview(&world, plan));
}

fn blocked(holders: &[&str], max: i32) -> (RoleWorld, Plan) {
    let world = hung(shared_web(holders, max));
    let plan = world.plan(OperationKind::Failover, Some("web-b"));
    let refusals = plan
        .blockers
        .iter()
        .filter(|b| matches!(b, Blocker::AzureWouldRefuse(_)))
        .count();
    assert_eq!(refusals, 1, "{:?}", plan.blockers);
    (world, plan)
}

#[test]
fn preview_shared_disk_not_on_the_target() {
    let (world, plan) = blocked(&["web-a"], 2);
    both("refusal_shared_not_attached", &preview(&world, plan));
}

#[test]
fn preview_shared_disk_at_its_share_limit() {
    let (world, plan) = blocked(&["web-a"], 1);
    both("refusal_shared_at_limit", &preview(&world, plan));
}
