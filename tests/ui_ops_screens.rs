//! Screen snapshots of the failover/switchover flow at 80x24 and 120x40: plan preview
//! (confirmable, typed partially and fully, blocked), step stream mid-run and failed, abort
//! confirmation, rollback choice, summary (RTO met and missed), interrupted operation. Plans and
//! operations come from the real core builders over fixture facts at fixed times.

mod ui_fixtures;
use baton::core::leader::LeaderState;
use baton::core::operation::OpEvent;
use baton::core::plan::Plan;
use baton::protocol::{EngineMsg, PlanFailure};
use baton::ui::{render, update, Action, Mode, Msg, Theme, UiState};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::Terminal;
use std::time::Duration;
use ui_fixtures as fixtures;
use ui_fixtures::ops::{self, at, OP_ID};

fn theme() -> Theme {
    Theme::load("default", None, false).unwrap()
}

fn draw(state: &UiState, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| render(f, state, &theme())).unwrap();
    term
}

fn both(name: &str, state: &UiState) {
    for (w, h) in [(80, 24), (120, 40)] {
        let term = draw(state, w, h);
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), term.backend());
    }
}

fn typed(st: &mut UiState, text: &str) {
    for c in text.chars() {
        update(
            st,
            Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)),
        );
    }
}

fn key(st: &mut UiState, code: KeyCode) {
    update(st, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

/// Operator cockpit with `app` selected, at `at(s)`.
fn on_app(s: i64, app: LeaderState) -> UiState {
    let mut st = fixtures::state(Mode::Operator, vec![fixtures::healthy()]);
    update(&mut st, Msg::Tick(at(s)));
    update(&mut st, Msg::Snapshot(ops::fleet_at(s, app)));
    update(&mut st, Msg::Action(Action::Down));
    update(&mut st, Msg::Action(Action::Down));
    assert_eq!(st.selected_role().unwrap().role, "app");
    st
}

/// A preview of `plan` opened with `action` on app.
fn preview(action: Action, plan: Plan) -> UiState {
    let mut st = on_app(0, LeaderState::Healthy);
    update(&mut st, Msg::Action(action));
    update(&mut st, Msg::Engine(EngineMsg::Plan(plan)));
    st
}

/// The app operation fed `events`, drawn at `at(s)`.
fn running(events: &[OpEvent], s: i64) -> UiState {
    let mut st = on_app(0, LeaderState::FailingOver);
    for e in events {
        let msg = Msg::Engine(EngineMsg::OpEvent {
            op_id: OP_ID.to_string(),
            event: e.clone(),
        });
        update(&mut st, msg);
    }
    update(&mut st, Msg::Tick(at(s)));
    update(
        &mut st,
        Msg::Snapshot(ops::fleet_at(s, LeaderState::FailingOver)),
    );
    st
}

fn find_row(buf: &Buffer, text: &str) -> Option<u16> {
    (0..buf.area.height).find(|y| row_text(buf, *y).contains(text))
}

fn row_text(buf: &Buffer, y: u16) -> String {
    (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect()
}

/// Column of the first cell of `text` on row y (counting cells, not bytes).
fn col_of(buf: &Buffer, y: u16, text: &str) -> u16 {
    let cells: Vec<&str> = (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect();
    let want: Vec<String> = text.chars().map(|c| c.to_string()).collect();
    (0..cells.len())
        .find(|i| {
            want.iter()
                .enumerate()
                .all(|(k, c)| cells.get(i + k) == Some(&c.as_str()))
        })
        .unwrap() as u16
}

#[test]
fn plan_preview_confirmable_typed_partially_and_fully() {
    let mut st = preview(Action::Switchover, ops::switchover_plan(None));
    both("preview_empty", &st);
    typed(&mut st, "ap");
    both("preview_partial", &st);
    typed(&mut st, "p");
    both("preview_full", &st);
}

#[test]
fn plan_preview_scrolls_its_steps_at_80x24() {
    let mut st = preview(Action::Switchover, ops::switchover_plan(None));
    for _ in 0..12 {
        key(&mut st, KeyCode::Down);
    }
    let term = draw(&st, 80, 24);
    insta::assert_snapshot!("preview_scrolled_80x24", term.backend());
}

#[test]
fn plan_preview_with_blockers() {
    let st = preview(Action::Failover, ops::blocked_plan());
    both("preview_blocked", &st);
    let term = draw(&st, 120, 40);
    let buf = term.backend().buffer();
    let t = theme();
    for text in [
        "role locked by bob",
        "role in cooldown",
        "master app-a is healthy",
    ] {
        let y = find_row(buf, text).unwrap_or_else(|| panic!("{text} missing"));
        assert_eq!(
            buf[(col_of(buf, y, text), y)].fg,
            t.critical.fg.unwrap(),
            "{text}"
        );
    }
}

#[test]
fn plan_preview_waiting_and_failed() {
    let mut st = on_app(0, LeaderState::Healthy);
    update(&mut st, Msg::Action(Action::Switchover));
    let term = draw(&st, 80, 24);
    assert!(format!("{}", term.backend()).contains("planning…"));
    update(
        &mut st,
        Msg::Engine(EngineMsg::PlanError(PlanFailure::Refused {
            reason: "inventory unavailable: ARM 503".into(),
        })),
    );
    let term = draw(&st, 80, 24);
    insta::assert_snapshot!("preview_error_80x24", term.backend());
}

#[test]
fn step_stream_mid_run() {
    let st = running(&ops::mid_run(), 22);
    assert!(st.operation_running());
    both("steps_mid_run", &st);
}

#[test]
fn step_stream_power_off_beside_attach() {
    let st = running(&ops::hung_mid_run(), 30);
    both("steps_hung_mid_run", &st);
    let text = format!("{}", draw(&st, 80, 24).backend());
    assert!(
        text.contains("∥ fence: the power-off is on the old master"),
        "{text}"
    );
}

#[test]
fn plan_preview_of_a_hung_master_marks_the_steps_beside_the_power_off() {
    let st = preview(Action::Failover, ops::hung_failover_plan());
    both("preview_hung", &st);
}

#[test]
fn step_stream_failed_step_with_arm_code_and_request_id() {
    let mut st = running(&ops::failed(), 45);
    // The rollback choice opened by itself; look at the pane behind it first.
    update(&mut st, Msg::Action(Action::Close));
    both("steps_failed", &st);
    let term = draw(&st, 80, 24);
    let text = format!("{}", term.backend());
    assert!(text.contains("AttachDiskWhileBeingDetached"), "{text}");
    assert!(
        text.contains("request id 5d1e0c2b-8a4f-4e7e-9c1d-3b2a1f0e9d8c"),
        "{text}"
    );
}

#[test]
fn abort_confirmation() {
    let mut st = running(&ops::mid_run(), 22);
    update(&mut st, Msg::Action(Action::Abort));
    both("abort_confirm", &st);
    // A name that can no longer become the role's shows in the critical style.
    for c in "apx".chars() {
        update(
            &mut st,
            Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)),
        );
    }
    both("abort_typed_wrong", &st);
    let term = draw(&st, 80, 24);
    let buf = term.backend().buffer();
    let y = find_row(buf, "to abort: apx").unwrap();
    assert_eq!(
        buf[(col_of(buf, y, "apx"), y)].fg,
        theme().critical.fg.unwrap()
    );
}

#[test]
fn rollback_choice_after_abort_and_after_failure() {
    let st = running(&ops::aborted(), 26);
    both("rollback_choice_aborted", &st);
    let st = running(&ops::failed(), 45);
    both("rollback_choice_failed", &st);
}

#[test]
fn summary_rto_met_and_missed() {
    let mut st = running(&ops::succeeded(), 85);
    update(
        &mut st,
        Msg::Snapshot(ops::fleet_at(85, LeaderState::Healthy)),
    );
    assert!(!st.operation_running());
    both("summary_met", &st);
    let mut st = running(&ops::succeeded(), 85).with_rto_target(Duration::from_secs(60));
    update(
        &mut st,
        Msg::Snapshot(ops::fleet_at(85, LeaderState::Healthy)),
    );
    both("summary_missed", &st);
    let term = draw(&st, 120, 40);
    let buf = term.backend().buffer();
    let y = find_row(buf, "MISSED").unwrap();
    assert_eq!(
        buf[(col_of(buf, y, "✖ MISSED"), y)].fg,
        theme().critical.fg.unwrap()
    );
}

#[test]
fn interrupted_operation_dialog() {
    let mut st = on_app(0, LeaderState::FailingOver);
    let crashed = ops::operation(&ops::mid_run()).unwrap();
    let failed = ops::operation(&ops::failed()).unwrap();
    let mut other = failed.clone();
    other.op_id = "op-second".into();
    update(&mut st, Msg::Tick(at(300)));
    update(
        &mut st,
        Msg::Snapshot(ops::fleet_at(300, LeaderState::FailingOver)),
    );
    update(&mut st, Msg::Engine(EngineMsg::Interrupted(vec![crashed])));
    both("interrupted_running_step", &st);
    update(&mut st, Msg::Action(Action::Close));
    update(&mut st, Msg::Engine(EngineMsg::Interrupted(vec![other])));
    both("interrupted_failed_step", &st);
}
