//! The history overlay (`h`): screen snapshots at 80x24 and 120x40 from the history fixtures
//! (role `app`: a failover, a passing drill, a failing drill, a rolled-back switchover and an
//! unfinished one), and its update rules: `h` opens it and asks the engine, the answer fills
//! it, the keys move in it, `esc` closes it; it exists in read-only, not on a wall.

mod ui_fixtures;
use baton::core::history::{History, RunVerdict};
use baton::protocol::{Effect, EngineMsg, HistoryFailure, ReadEffect, UiEffect};
use baton::ui::{render, update, Action, Mode, Msg, Theme, UiState};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use ui_fixtures::history::{self as hist, End, OpSpec};
use ui_fixtures::{self as fixtures, T0};

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

fn key(st: &mut UiState, code: KeyCode) -> Vec<Effect> {
    update(st, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn history() -> History {
    hist::history().unwrap()
}

/// A cockpit in `mode` with `app` selected at T0.
fn on_app(mode: Mode) -> UiState {
    let mut st = fixtures::state(mode, vec![fixtures::healthy()]);
    update(&mut st, Msg::Tick(T0));
    update(&mut st, Msg::Action(Action::Down));
    update(&mut st, Msg::Action(Action::Down));
    assert_eq!(st.selected_role().unwrap().role, "app");
    st
}

/// `h` pressed on app and the fixture history loaded.
fn open(mode: Mode) -> UiState {
    let mut st = on_app(mode);
    assert_eq!(
        key(&mut st, KeyCode::Char('h')),
        vec![Effect::Read(ReadEffect::LoadHistory)]
    );
    update(&mut st, Msg::Engine(EngineMsg::History(Ok(history()))));
    st
}

#[test]
fn screen_role_history() {
    both("history_app", &open(Mode::Operator));
}

#[test]
fn screen_every_role_with_the_cursor_moved() {
    let mut st = open(Mode::ReadOnly);
    key(&mut st, KeyCode::Tab);
    key(&mut st, KeyCode::Down);
    key(&mut st, KeyCode::Char('j'));
    both("history_all_read_only", &st);
}

#[test]
fn screen_loading_and_unavailable() {
    let mut st = on_app(Mode::Operator);
    key(&mut st, KeyCode::Char('h'));
    both("history_loading", &st);
    update(
        &mut st,
        Msg::Engine(EngineMsg::History(Err(HistoryFailure::NoStateDir))),
    );
    both("history_unavailable", &st);
}

#[test]
fn screen_a_role_without_runs() {
    let mut st = fixtures::state(Mode::Operator, vec![fixtures::healthy()]);
    update(&mut st, Msg::Tick(T0));
    key(&mut st, KeyCode::Char('h'));
    update(&mut st, Msg::Engine(EngineMsg::History(Ok(history()))));
    let view = st.history().unwrap();
    assert!(view.runs().is_empty(), "the first role has no runs");
    let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap();
    term.draw(|f| render(f, &st, &theme())).unwrap();
    insta::assert_snapshot!("history_no_runs_80x24", term.backend());
}

#[test]
fn h_opens_on_the_selected_role_and_esc_closes() {
    let mut st = on_app(Mode::Operator);
    assert!(st.history().is_none());
    let effects = key(&mut st, KeyCode::Char('h'));
    assert_eq!(effects, vec![Effect::Read(ReadEffect::LoadHistory)]);
    let view = st.history().unwrap();
    assert_eq!(view.role.as_deref(), Some("app"));
    assert!(view.loaded.is_none(), "loading until the engine answers");
    update(&mut st, Msg::Engine(EngineMsg::History(Ok(history()))));
    let ids: Vec<_> = st
        .history()
        .unwrap()
        .runs()
        .iter()
        .map(|(_, r)| r.id.clone())
        .collect();
    assert_eq!(ids, ["op-e4d2", "d-9a02", "op-77b3", "d-5c1e", "op-1f0a"]);
    assert!(key(&mut st, KeyCode::Esc).is_empty());
    assert!(st.history().is_none());
    // `h` toggles too.
    key(&mut st, KeyCode::Char('h'));
    assert!(key(&mut st, KeyCode::Char('h')).is_empty());
    assert!(st.history().is_none());
}

#[test]
fn an_answer_with_nothing_open_is_dropped() {
    let mut st = on_app(Mode::Operator);
    assert!(update(&mut st, Msg::Engine(EngineMsg::History(Ok(history())))).is_empty());
    assert!(st.history().is_none());
}

#[test]
fn keys_move_the_cursor_toggle_the_scope_and_reload() {
    let mut st = open(Mode::Operator);
    key(&mut st, KeyCode::Char('G'));
    assert_eq!(st.history().unwrap().cursor, 4);
    key(&mut st, KeyCode::Down);
    assert_eq!(st.history().unwrap().cursor, 4, "stops at the last run");
    key(&mut st, KeyCode::Char('k'));
    assert_eq!(st.history().unwrap().cursor, 3);
    key(&mut st, KeyCode::Char('g'));
    assert_eq!(st.history().unwrap().cursor, 0);
    key(&mut st, KeyCode::Tab);
    assert!(st.history().unwrap().shows_all());
    assert_eq!(st.history().unwrap().runs().len(), 7);
    key(&mut st, KeyCode::BackTab);
    assert!(!st.history().unwrap().shows_all());
    assert_eq!(
        key(&mut st, KeyCode::Char('r')),
        vec![Effect::Read(ReadEffect::LoadHistory)]
    );
    assert!(st.history().unwrap().loaded.is_none());
    // The role selection did not move underneath.
    assert_eq!(st.selected_role().unwrap().role, "app");
}

#[test]
fn operations_wait_while_the_overlay_is_open_but_help_and_quit_do_not() {
    let mut st = open(Mode::Operator);
    assert!(key(&mut st, KeyCode::Char('f')).is_empty());
    assert!(st.dialog().is_none());
    key(&mut st, KeyCode::Char('?'));
    assert!(st.help_open());
    key(&mut st, KeyCode::Esc);
    assert!(!st.help_open());
    assert!(st.history().is_some(), "esc closed help first");
    assert_eq!(
        key(&mut st, KeyCode::Char('q')),
        vec![Effect::Ui(UiEffect::Quit)]
    );
}

#[test]
fn read_only_has_history_and_wall_has_not() {
    let st = open(Mode::ReadOnly);
    assert_eq!(st.history().unwrap().runs().len(), 5);
    let mut wall = fixtures::state(Mode::Wall, vec![fixtures::healthy()]);
    assert!(key(&mut wall, KeyCode::Char('h')).is_empty());
    assert!(update(&mut wall, Msg::Action(Action::History)).is_empty());
    assert!(wall.history().is_none());
}

#[test]
fn an_operation_the_cockpit_follows_reads_running() {
    let mut st = on_app(Mode::Operator);
    let spec = OpSpec::new(
        "op-e4d2",
        "app",
        "app-a",
        "app-c",
        hist::day(0, -600),
        End::Open,
    );
    for event in spec.events() {
        update(
            &mut st,
            Msg::Engine(EngineMsg::OpEvent {
                op_id: "op-e4d2".into(),
                event,
            }),
        );
    }
    key(&mut st, KeyCode::Char('h'));
    update(&mut st, Msg::Engine(EngineMsg::History(Ok(history()))));
    let runs = st.history().unwrap().runs();
    assert_eq!(runs[0].1.id, "op-e4d2");
    assert_eq!(runs[0].1.verdict, RunVerdict::Running);
    assert_eq!(runs[1].1.verdict, RunVerdict::Fail);
}

#[test]
fn h_is_bound_in_every_mode_but_wall_and_may_be_remapped() {
    use baton::ui::Keymap;
    use std::collections::BTreeMap;
    for mode in [Mode::Operator, Mode::ReadOnly, Mode::Demo] {
        let keys = Keymap::default_for(mode);
        let keys: Vec<String> = keys
            .keys_for(Action::History)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(keys, ["h"], "{mode:?}");
    }
    assert!(Keymap::default_for(Mode::Wall)
        .keys_for(Action::History)
        .is_empty());
    // A read may sit on a navigation key; a mutating action may not.
    let ok = BTreeMap::from([("history".to_string(), "l".to_string())]);
    let keymap = Keymap::from_overrides(Mode::ReadOnly, &ok).unwrap();
    assert_eq!(keymap.keys_for(Action::History)[0].to_string(), "l");
    let bad = BTreeMap::from([("failover".to_string(), "h".to_string())]);
    assert!(matches!(
        Keymap::from_overrides(Mode::Operator, &bad),
        Err(baton::ui::KeymapError::MutatingOnNavigationKey { .. })
    ));
}

#[test]
fn an_operation_ending_while_open_reloads_the_history() {
    let mut st = open(Mode::Operator);
    let spec = OpSpec::new(
        "op-new",
        "app",
        "app-a",
        "app-b",
        T0,
        End::Succeeded { rto_s: 30 },
    );
    let events = spec.events();
    let mut asked = 0;
    for event in &events {
        let msg = Msg::Engine(EngineMsg::OpEvent {
            op_id: "op-new".into(),
            event: event.clone(),
        });
        asked += update(&mut st, msg)
            .iter()
            .filter(|e| **e == Effect::Read(ReadEffect::LoadHistory))
            .count();
    }
    assert_eq!(asked, 2, "once when it began, once when it finished");
    assert!(
        st.history().unwrap().loaded.is_some(),
        "old rows stay until the answer"
    );
}
