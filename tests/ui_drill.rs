//! The cockpit's drill flow: `d` plans a drill, a leg's own summary waits for the drill's,
//! the drill summary carries the verdict and closes the whole drill, an abort between the legs
//! names the drill's last leg; and its screens (a drill holding, the drill summary PASS and
//! FAIL) at 80x24 and 120x40.

mod ui_fixtures;
use baton::core::drill::Verdict;
use baton::core::leader::LeaderState;
use baton::core::plan::OperationKind;
use baton::protocol::{Effect, EngineMsg, OpEffect, ReadEffect};
use baton::ui::state::ops::Dialog;
use baton::ui::{render, update, Action, Mode, Msg, Theme, UiState};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use ui_fixtures as fixtures;
use ui_fixtures::ops::{self, at, drill, OP_ID};

fn theme() -> Theme {
    Theme::load("default", None, false).unwrap()
}

fn screen(state: &UiState, w: u16, h: u16) -> String {
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| render(f, state, &theme())).unwrap();
    term.backend().to_string()
}

fn both(name: &str, state: &UiState) {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
        term.draw(|f| render(f, state, &theme())).unwrap();
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), term.backend());
    }
}

fn on_app(mode: Mode, s: i64, app: LeaderState) -> UiState {
    let mut st = fixtures::state(mode, vec![fixtures::healthy()]);
    update(&mut st, Msg::Tick(at(s)));
    update(&mut st, Msg::Snapshot(ops::fleet_at(s, app)));
    update(&mut st, Msg::Action(Action::Down));
    update(&mut st, Msg::Action(Action::Down));
    assert_eq!(st.selected_role().unwrap().role, "app");
    st
}

fn drill_msg(record: baton::core::drill::DrillRecord, report: Option<&str>) -> Msg {
    Msg::Engine(EngineMsg::Drill {
        record: Box::new(record),
        report: report.map(std::path::PathBuf::from),
    })
}

/// The out leg done and the hold `held` seconds in, drawn at that time.
fn holding(held: u32) -> UiState {
    let mut st = on_app(Mode::Operator, 0, LeaderState::FailingOver);
    update(&mut st, drill_msg(drill::holding(0), None));
    for event in drill::out_leg() {
        update(
            &mut st,
            Msg::Engine(EngineMsg::OpEvent {
                op_id: OP_ID.into(),
                event,
            }),
        );
    }
    update(&mut st, drill_msg(drill::holding(held), None));
    let now = 81 + i64::from(held);
    update(&mut st, Msg::Tick(at(now)));
    update(
        &mut st,
        Msg::Snapshot(ops::fleet_at(now, LeaderState::Healthy)),
    );
    st
}

fn press(st: &mut UiState, code: KeyCode) -> Vec<Effect> {
    update(st, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

#[test]
fn d_requests_a_drill_plan_for_the_selected_role() {
    let mut st = on_app(Mode::Operator, 0, LeaderState::Healthy);
    let effects = press(&mut st, KeyCode::Char('d'));
    assert_eq!(
        effects,
        [Effect::Op(OpEffect::RequestPlan {
            role: "app".into(),
            kind: OperationKind::Drill,
            target: None
        })]
    );
    assert!(matches!(st.dialog(), Some(Dialog::Preview(p)) if p.kind == OperationKind::Drill));
}

#[test]
fn drill_does_not_exist_in_read_only_or_wall() {
    for mode in [Mode::ReadOnly, Mode::Wall] {
        let mut st = fixtures::state(mode, vec![fixtures::healthy()]);
        update(&mut st, Msg::Tick(at(0)));
        assert!(press(&mut st, KeyCode::Char('d')).is_empty(), "{mode:?}");
        assert!(update(&mut st, Msg::Action(Action::Drill)).is_empty());
        update(&mut st, drill_msg(drill::holding(3), None));
        assert!(st.dialog().is_none());
        assert!(!screen(&st, 120, 40).contains("DRILL"), "{mode:?}");
    }
}

#[test]
fn a_finished_leg_waits_for_the_drill_summary() {
    let st = holding(12);
    assert!(st.dialog().is_none(), "no summary between the legs");
    let text = screen(&st, 80, 24);
    assert!(text.contains(" DRILL "), "badge:\n{text}");
    assert!(text.contains("hold 12s/30s ✔12 ✖0"), "{text}");
    assert!(text.contains("back pending"), "{text}");
}

#[test]
fn the_drill_summary_has_the_verdict_and_closing_it_forgets_the_drill() {
    let mut st = holding(30);
    update(
        &mut st,
        drill_msg(drill::finished(75), Some("/state/reports/app.md")),
    );
    assert!(
        matches!(st.dialog(), Some(Dialog::DrillSummary { drill_id }) if drill_id == drill::DRILL_ID)
    );
    let text = screen(&st, 120, 40);
    assert!(text.contains("✔ PASS"), "{text}");
    assert!(text.contains("report: /state/reports/app.md"), "{text}");
    // A second report of the same finished record opens nothing more.
    update(&mut st, drill_msg(drill::finished(75), None));
    assert_eq!(st.dialogs().count(), 1);
    press(&mut st, KeyCode::Enter);
    assert!(st.dialog().is_none());
    assert!(
        st.operation_of("app").is_none(),
        "legs forgotten with the drill"
    );
    assert!(!screen(&st, 80, 24).contains(" DRILL "));
}

#[test]
fn a_slow_back_leg_fails_the_drill() {
    assert_eq!(drill::verdict_of(75), Verdict::Pass);
    assert_eq!(drill::verdict_of(301), Verdict::Fail);
    let mut st = holding(30);
    update(&mut st, drill_msg(drill::finished(301), None));
    let text = screen(&st, 120, 40);
    assert!(text.contains("✖ FAIL"), "{text}");
    assert!(text.contains("✖ MISSED"), "{text}");
}

#[test]
fn abort_between_the_legs_names_the_drills_last_leg() {
    let mut st = holding(5);
    assert!(press(&mut st, KeyCode::Char('A')).is_empty());
    assert!(matches!(st.dialog(), Some(Dialog::Abort { op_id, .. }) if op_id == OP_ID));
}

#[test]
fn screens_of_a_drill() {
    both("drill_holding", &holding(12));
    let mut st = holding(30);
    update(
        &mut st,
        drill_msg(drill::finished(75), Some("/state/reports/app.md")),
    );
    both("drill_summary_pass", &st);
    let mut st = holding(30);
    update(&mut st, drill_msg(drill::finished(301), None));
    both("drill_summary_fail", &st);
}

#[test]
fn t_asks_for_the_selected_roles_timeline_except_on_a_wall() {
    for mode in [Mode::Operator, Mode::ReadOnly] {
        let mut st = on_app(mode, 0, LeaderState::Healthy);
        assert_eq!(
            press(&mut st, KeyCode::Char('t')),
            [Effect::Read(ReadEffect::ExportTimeline {
                role: "app".into()
            })],
            "{mode:?}"
        );
    }
    let mut st = fixtures::state(Mode::Wall, vec![fixtures::healthy()]);
    assert!(press(&mut st, KeyCode::Char('t')).is_empty());
    assert!(update(&mut st, Msg::Action(Action::ExportTimeline)).is_empty());
}
