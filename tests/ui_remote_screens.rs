//! Screens of the shared store in the cockpit at 80x24 and 120x40: a role whose switchover another host
//! runs (its steps streamed from the shared journal, marked remote and read-only, no abort
//! from here) in operator and wall modes, and the "coordination unavailable" banner, whose
//! plan preview refuses and says why. Journal events are the fixture switchover's at fixed
//! times, fed as the engine's `EngineMsg::RemoteEvent`s.

mod ui_fixtures;
use baton::core::leader::LeaderState;
use baton::core::operation::OpEvent;
use baton::core::snapshot::{FleetSnapshot, RemoteHolder};
use baton::protocol::{Effect, EngineMsg, OpEffect};
use baton::ui::{render, update, Action, Mode, Msg, Theme, UiState};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use ui_fixtures as fixtures;
use ui_fixtures::ops::{self, at, OP_ID};

const BY: &str = "oncall@jump-2";
const STORAGE_ERROR: &str = "listing the role locks: storage unavailable: 403 \
     AuthenticationFailed (request id 8f14e45f-ceea-467f-a8f5-0a9d2c3e1b7d)";

fn theme() -> Theme {
    Theme::load("default", None, false).unwrap()
}

fn draw(state: &UiState, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| render(f, state, &theme())).unwrap();
    term
}

fn screen(state: &UiState, w: u16, h: u16) -> String {
    let term = draw(state, w, h);
    let buf = term.backend().buffer();
    (0..buf.area.height)
        .map(|y| (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect())
        .collect::<Vec<String>>()
        .join("\n")
}

fn both(name: &str, state: &UiState) {
    for (w, h) in [(80, 24), (120, 40)] {
        let term = draw(state, w, h);
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), term.backend());
    }
}

/// The fixture fleet at `at(s)` with `app` held by oncall on jump-2.
fn remote_fleet(s: i64) -> FleetSnapshot {
    let mut fleet = ops::fleet_at(s, LeaderState::FailingOver);
    fleet.coordination.remote.insert(
        "app".to_string(),
        RemoteHolder {
            who: "oncall".to_string(),
            host: "jump-2".to_string(),
            op_id: Some(OP_ID.to_string()),
            since: at(0),
        },
    );
    fleet
}

/// A cockpit in `mode` on `app`, fed the remote switchover's journal so far, at `at(22)`.
fn watching_remote(mode: Mode) -> UiState {
    let mut st = fixtures::state(mode, vec![fixtures::healthy()]);
    update(&mut st, Msg::Snapshot(remote_fleet(22)));
    update(&mut st, Msg::Action(Action::Down));
    update(&mut st, Msg::Action(Action::Down));
    let mut journal = ops::mid_run();
    if let Some(OpEvent::Begun { operator, .. }) = journal.first_mut() {
        *operator = "oncall".to_string();
    }
    for event in journal {
        let msg = EngineMsg::RemoteEvent {
            op_id: OP_ID.to_string(),
            by: BY.to_string(),
            event,
        };
        assert!(
            update(&mut st, Msg::Engine(msg)).is_empty(),
            "a read asks nothing"
        );
    }
    update(&mut st, Msg::Tick(at(22)));
    st
}

#[test]
fn a_remote_switchover_streams_in_the_steps_pane_read_only() {
    let mut st = watching_remote(Mode::Operator);
    assert_eq!(st.selected_role().unwrap().role, "app");
    both("remote_operation", &st);
    let text = screen(&st, 80, 24);
    assert!(text.contains("SWITCHING OVER · by oncall@jump-2"), "{text}");
    assert!(text.contains("remote, read-only"), "{text}");
    assert!(
        text.contains("read-only") && !text.contains("A abort"),
        "{text}"
    );
    // No abort from here: `A` explains instead of opening a confirmation.
    let effects = update(
        &mut st,
        Msg::Key(KeyEvent::new(KeyCode::Char('A'), KeyModifiers::SHIFT)),
    );
    assert!(effects.is_empty());
    let text = screen(&st, 120, 40);
    assert!(!text.contains("Abort"), "no abort dialog:\n{text}");
    assert!(text.contains("only they can abort it"), "{text}");
}

#[test]
fn a_read_only_cockpit_and_a_wall_show_the_remote_operation_too() {
    let st = watching_remote(Mode::ReadOnly);
    let text = screen(&st, 120, 40);
    assert!(text.contains("SWITCHING OVER · by oncall@jump-2"), "{text}");
    let wall = watching_remote(Mode::Wall);
    both("remote_operation_wall", &wall);
    let text = screen(&wall, 120, 40);
    assert!(text.contains("by oncall@jump-2"), "{text}");
}

fn coordination_down() -> UiState {
    let mut fleet = fixtures::healthy();
    fleet.coordination.unavailable = Some(STORAGE_ERROR.to_string());
    let mut st = fixtures::state(Mode::Operator, vec![fleet]);
    update(&mut st, Msg::Action(Action::Down));
    st
}

#[test]
fn the_coordination_banner_names_the_storage_error_and_the_preview_refuses() {
    let mut st = coordination_down();
    both("coordination_banner", &st);
    let text = screen(&st, 80, 24);
    assert!(text.contains("COORDINATION UNAVAILABLE"), "{text}");
    assert!(text.contains("AuthenticationFailed"), "{text}");
    let effects = update(&mut st, Msg::Action(Action::Failover));
    assert!(
        !effects
            .iter()
            .any(|e| matches!(e, Effect::Op(OpEffect::RequestPlan { .. }))),
        "no plan is asked for: {effects:?}"
    );
    both("coordination_refused_preview", &st);
    let text = screen(&st, 120, 40);
    assert!(text.contains("Operations are refused"), "{text}");

    // The storage answers again at the next refresh: the banner goes, operations are offered.
    update(&mut st, Msg::Action(Action::Close));
    update(&mut st, Msg::Snapshot(fixtures::healthy()));
    assert!(!screen(&st, 120, 40).contains("COORDINATION UNAVAILABLE"));
    let effects = update(&mut st, Msg::Action(Action::Failover));
    assert!(effects
        .iter()
        .any(|e| matches!(e, Effect::Op(OpEffect::RequestPlan { .. }))));
}

#[test]
fn an_operation_found_interrupted_but_run_by_another_host_becomes_a_remote_one() {
    let mut st = fixtures::state(Mode::Operator, vec![fixtures::healthy()]);
    update(&mut st, Msg::Snapshot(remote_fleet(22)));
    let journal = ops::mid_run();
    let found = ops::operation(&journal).unwrap();
    update(&mut st, Msg::Engine(EngineMsg::Interrupted(vec![found])));
    assert!(st.dialog().is_some(), "offered as interrupted first");
    for event in journal {
        let msg = EngineMsg::RemoteEvent {
            op_id: OP_ID.to_string(),
            by: BY.to_string(),
            event,
        };
        update(&mut st, Msg::Engine(msg));
    }
    assert!(
        st.dialog().is_none(),
        "nothing to decide about a remote operation"
    );
    let view = st.operation_of("app").expect("followed");
    assert_eq!(view.remote.as_deref(), Some(BY));
    assert_eq!(view.op.running_steps().len(), 1, "detach runs");
}
