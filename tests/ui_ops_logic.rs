//! update() sequences of the failover/switchover flow: typed confirmation, cancel, target
//! cycling, abort confirmation, rollback options exactly as the operation offers them,
//! interrupted operations, journal folding, and read-only / wall refusing all of it.

mod ui_fixtures;
use baton::core::leader::LeaderState;
use baton::core::operation::{OpEvent, Operation, RollbackMode, StepState};
use baton::core::plan::{OperationKind, StepKind};
use baton::protocol::{Effect, EngineMsg, OpEffect, PlanFailure, UiEffect};
use baton::ui::state::ops::{Choice, Dialog};
use baton::ui::{update, Action, Mode, Msg, UiState};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ui_fixtures as fixtures;
use ui_fixtures::ops::{self, at, OP_ID};

fn key_msg(code: KeyCode) -> Msg {
    let mods = match code {
        KeyCode::Char(c) if c.is_ascii_uppercase() => KeyModifiers::SHIFT,
        _ => KeyModifiers::NONE,
    };
    Msg::Key(KeyEvent::new(code, mods))
}

fn press(st: &mut UiState, code: KeyCode) -> Vec<Effect> {
    update(st, key_msg(code))
}

fn type_text(st: &mut UiState, text: &str) -> Vec<Effect> {
    text.chars()
        .flat_map(|c| press(st, KeyCode::Char(c)))
        .collect()
}

fn on_app(mode: Mode) -> UiState {
    let mut st = fixtures::state(mode, vec![ops::fleet_at(0, LeaderState::Healthy)]);
    if mode != Mode::Wall {
        update(&mut st, Msg::Action(Action::Last));
        update(&mut st, Msg::Action(Action::Up));
        assert_eq!(st.selected_role().unwrap().role, "app");
    }
    st
}

fn feed(st: &mut UiState, events: &[OpEvent]) -> Vec<Effect> {
    events
        .iter()
        .flat_map(|e| {
            update(
                st,
                Msg::Engine(EngineMsg::OpEvent {
                    op_id: OP_ID.to_string(),
                    event: e.clone(),
                }),
            )
        })
        .collect()
}

fn preview(st: &UiState) -> &baton::ui::state::ops::Preview {
    match st.dialog() {
        Some(Dialog::Preview(p)) => p,
        other => panic!("expected a preview, got {other:?}"),
    }
}

fn starts(effects: &[Effect]) -> usize {
    effects
        .iter()
        .filter(|e| matches!(e, Effect::Op(OpEffect::StartOperation { .. })))
        .count()
}

#[test]
fn switchover_key_requests_a_plan_for_the_selected_role() {
    let mut st = on_app(Mode::Operator);
    let out = press(&mut st, KeyCode::Char('s'));
    assert_eq!(
        out,
        vec![Effect::Op(OpEffect::RequestPlan {
            role: "app".into(),
            kind: OperationKind::Switchover,
            target: None
        })]
    );
    assert_eq!(preview(&st).standbys, vec!["app-b", "app-c"]);
    // Modal: while the preview is open, f is a typed letter, not a second request.
    assert!(press(&mut st, KeyCode::Char('f')).is_empty());
    assert_eq!(st.dialogs().count(), 1);
}

#[test]
fn only_the_exact_role_name_starts_and_only_once() {
    let mut st = on_app(Mode::Demo);
    update(&mut st, Msg::Action(Action::Switchover));
    // Typing before the plan arrives does nothing; Enter neither.
    assert!(type_text(&mut st, "app").is_empty());
    assert_eq!(preview(&st).typed, "");
    assert_eq!(starts(&press(&mut st, KeyCode::Enter)), 0);
    update(
        &mut st,
        Msg::Engine(EngineMsg::Plan(ops::switchover_plan(None))),
    );
    let mut effects = Vec::new();
    for wrong in ["ap", "APP", "app ", "appx", "web"] {
        effects.extend(type_text(&mut st, wrong));
        assert!(!preview(&st).confirmable(), "{wrong}");
        effects.extend(press(&mut st, KeyCode::Enter));
        for _ in 0..wrong.len() {
            effects.extend(press(&mut st, KeyCode::Backspace));
        }
        assert_eq!(preview(&st).typed, "");
    }
    assert_eq!(starts(&effects), 0, "{effects:?}");
    type_text(&mut st, "appx");
    press(&mut st, KeyCode::Backspace);
    assert!(preview(&st).confirmable());
    let out = press(&mut st, KeyCode::Enter);
    assert_eq!(
        out,
        vec![Effect::Op(OpEffect::StartOperation {
            role: "app".into(),
            kind: OperationKind::Switchover,
            target: "app-b".into(),
            confirmed_name: "app".into(),
        })]
    );
    assert!(st.dialog().is_none());
    assert_eq!(starts(&press(&mut st, KeyCode::Enter)), 0);
}

#[test]
fn esc_cancels_and_keys_go_back_to_the_keymap() {
    let mut st = on_app(Mode::Operator);
    update(&mut st, Msg::Action(Action::Failover));
    update(&mut st, Msg::Engine(EngineMsg::Plan(ops::blocked_plan())));
    assert!(press(&mut st, KeyCode::Esc).is_empty());
    assert!(st.dialog().is_none());
    // A late plan for the closed preview is ignored.
    update(
        &mut st,
        Msg::Engine(EngineMsg::Plan(ops::switchover_plan(None))),
    );
    assert!(st.dialog().is_none());
    press(&mut st, KeyCode::Char('j'));
    assert_eq!(st.selected_role().unwrap().role, "db");
    // Close (the action) cancels too.
    update(&mut st, Msg::Action(Action::Switchover));
    update(&mut st, Msg::Action(Action::Close));
    assert!(st.dialog().is_none());
}

#[test]
fn blocked_plan_takes_no_typing_and_never_starts() {
    let mut st = on_app(Mode::Operator);
    update(&mut st, Msg::Action(Action::Failover));
    update(&mut st, Msg::Engine(EngineMsg::Plan(ops::blocked_plan())));
    assert!(!preview(&st).plan.as_ref().unwrap().blockers.is_empty());
    let mut out = type_text(&mut st, "app");
    out.extend(press(&mut st, KeyCode::Enter));
    assert_eq!(preview(&st).typed, "");
    assert_eq!(starts(&out), 0);
}

#[test]
fn tab_cycles_the_target_among_standbys_and_waits_for_the_new_plan() {
    let mut st = on_app(Mode::Operator);
    update(&mut st, Msg::Action(Action::Switchover));
    update(
        &mut st,
        Msg::Engine(EngineMsg::Plan(ops::switchover_plan(None))),
    );
    type_text(&mut st, "app");
    let out = press(&mut st, KeyCode::Tab);
    let ask = |t: &str| {
        Effect::Op(OpEffect::RequestPlan {
            role: "app".into(),
            kind: OperationKind::Switchover,
            target: Some(t.into()),
        })
    };
    assert_eq!(out, vec![ask("app-c")]);
    // The old plan is gone: nothing to confirm until the new one arrives.
    assert!(preview(&st).plan.is_none());
    assert_eq!(preview(&st).typed, "");
    assert_eq!(starts(&press(&mut st, KeyCode::Enter)), 0);
    update(
        &mut st,
        Msg::Engine(EngineMsg::Plan(ops::switchover_plan(Some("app-c")))),
    );
    assert_eq!(preview(&st).target.as_deref(), Some("app-c"));
    type_text(&mut st, "app");
    match press(&mut st, KeyCode::Enter).as_slice() {
        [Effect::Op(OpEffect::StartOperation { target, .. })] => assert_eq!(target, "app-c"),
        other => panic!("{other:?}"),
    }
    update(&mut st, Msg::Action(Action::Switchover));
    update(
        &mut st,
        Msg::Engine(EngineMsg::Plan(ops::switchover_plan(Some("app-c")))),
    );
    assert_eq!(press(&mut st, KeyCode::Tab), vec![ask("app-b")]);
}

#[test]
fn plan_error_is_shown_in_the_preview() {
    let mut st = on_app(Mode::Operator);
    update(&mut st, Msg::Action(Action::Switchover));
    update(
        &mut st,
        Msg::Engine(EngineMsg::PlanError(PlanFailure::UnknownRole {
            role: "app\u{1b}[2J".into(),
        })),
    );
    assert_eq!(preview(&st).error.as_deref(), Some("no role named app[2J"));
    assert_eq!(starts(&press(&mut st, KeyCode::Enter)), 0);
}

#[test]
fn journal_events_fold_into_the_pane_and_bad_ones_are_logged() {
    let mut st = on_app(Mode::Operator);
    let events = ops::mid_run();
    assert!(feed(&mut st, &events).is_empty());
    let view = st.operation_of("app").expect("followed");
    assert_eq!(view.op, Operation::replay(&events).unwrap());
    assert_eq!(
        view.op.step(StepKind::Detach).unwrap().state,
        StepState::Running
    );
    assert!(st.operation_running() && st.animating());
    // No choice while a step runs.
    assert!(st.dialog().is_none());
    // An illegal event (release done while pending) does not fold and does not crash.
    let before = st.operation_of("app").unwrap().op.clone();
    let log_len = st.log().len();
    feed(
        &mut st,
        &[OpEvent::StepDone {
            step: StepKind::Release,
            at: at(30),
            request_ids: vec![],
        }],
    );
    assert_eq!(st.operation_of("app").unwrap().op, before);
    assert_eq!(st.log().len(), log_len + 1);
    assert!(st.log().back().unwrap().text.contains("ignored"));
    // An event for an operation nobody began is ignored.
    let stray = Msg::Engine(EngineMsg::OpEvent {
        op_id: "op-unknown".into(),
        event: events[1].clone(),
    });
    assert!(update(&mut st, stray).is_empty());
    assert!(st.operation("op-unknown").is_none());
}

#[test]
fn finishing_opens_the_summary_and_closing_it_returns_the_role() {
    let mut st = on_app(Mode::Operator);
    feed(&mut st, &ops::succeeded());
    assert!(matches!(st.dialog(), Some(Dialog::Summary { .. })));
    assert!(!st.operation_running());
    assert_eq!(
        st.operation_of("app").unwrap().op.rto(),
        Some(std::time::Duration::from_secs(80))
    );
    press(&mut st, KeyCode::Esc);
    assert!(st.dialog().is_none());
    assert!(st.operation_of("app").is_none());
}

fn typed(st: &UiState) -> String {
    match st.dialog() {
        Some(Dialog::Abort { typed, .. } | Dialog::Choose { typed, .. }) => typed.clone(),
        other => panic!("expected an abort or a choice, got {other:?}"),
    }
}

#[test]
fn abort_needs_the_typed_role_name() {
    let mut st = on_app(Mode::Operator);
    feed(&mut st, &ops::mid_run());
    assert!(press(&mut st, KeyCode::Char('A')).is_empty());
    assert!(matches!(st.dialog(), Some(Dialog::Abort { .. })));
    // `y` and `n` are letters like any other: typed, never a confirmation or a cancel.
    assert!(press(&mut st, KeyCode::Char('y')).is_empty());
    assert!(press(&mut st, KeyCode::Char('n')).is_empty());
    assert_eq!(typed(&st), "yn");
    assert!(press(&mut st, KeyCode::Enter).is_empty());
    assert!(matches!(st.dialog(), Some(Dialog::Abort { .. })));
    press(&mut st, KeyCode::Backspace);
    press(&mut st, KeyCode::Backspace);
    assert!(type_text(&mut st, "ap").is_empty());
    assert!(
        press(&mut st, KeyCode::Enter).is_empty(),
        "a prefix is not the name"
    );
    assert!(type_text(&mut st, "pp").is_empty());
    assert!(press(&mut st, KeyCode::Enter).is_empty(), "nor is more");
    assert!(press(&mut st, KeyCode::Esc).is_empty());
    assert!(st.dialog().is_none());
    press(&mut st, KeyCode::Char('A'));
    assert_eq!(typed(&st), "", "a reopened dialog starts empty");
    type_text(&mut st, "app");
    let out = press(&mut st, KeyCode::Enter);
    assert_eq!(
        out,
        vec![Effect::Op(OpEffect::AbortOperation {
            op_id: OP_ID.into()
        })]
    );
    assert!(st.dialog().is_none());
    // Nothing to abort on a role without an operation.
    press(&mut st, KeyCode::Char('k'));
    assert!(press(&mut st, KeyCode::Char('A')).is_empty());
    assert!(st.dialog().is_none());
}

fn options(st: &UiState) -> Vec<Choice> {
    match st.dialog() {
        Some(Dialog::Choose { options, .. }) => options.clone(),
        other => panic!("expected a choice, got {other:?}"),
    }
}

fn offered(events: &[OpEvent]) -> Vec<Choice> {
    let op = Operation::replay(events).unwrap();
    op.rollback_options()
        .into_iter()
        .map(Choice::Rollback)
        .collect()
}

#[test]
fn rollback_choice_offers_exactly_the_operations_options() {
    for (events, expected) in [
        (
            ops::aborted(),
            [RollbackMode::ReattachOld, RollbackMode::RollForward],
        ),
        (
            ops::failed(),
            [RollbackMode::ReattachOld, RollbackMode::RollForward],
        ),
    ] {
        let mut st = on_app(Mode::Operator);
        feed(&mut st, &events);
        assert_eq!(options(&st), offered(&events));
        assert_eq!(options(&st), expected.map(Choice::Rollback).to_vec());
        press(&mut st, KeyCode::Down);
        assert!(press(&mut st, KeyCode::Enter).is_empty(), "name not typed");
        // Digits and j/k type now (role names hold them); they do not move the cursor.
        type_text(&mut st, "1j");
        assert!(press(&mut st, KeyCode::Enter).is_empty());
        press(&mut st, KeyCode::Backspace);
        press(&mut st, KeyCode::Backspace);
        type_text(&mut st, "app");
        let out = press(&mut st, KeyCode::Enter);
        assert_eq!(
            out,
            vec![Effect::Op(OpEffect::ChooseRollback {
                op_id: OP_ID.into(),
                mode: RollbackMode::RollForward
            })]
        );
        assert!(st.dialog().is_none());
        // The journal records the choice; the dialog does not come back for it.
        feed(
            &mut st,
            &[OpEvent::RollbackChosen {
                at: at(50),
                by: "alice".into(),
                mode: RollbackMode::RollForward,
            }],
        );
        assert!(st.dialog().is_none(), "{:?}", st.dialog());
    }
}

#[test]
fn esc_postpones_the_choice_and_a_reopens_it() {
    let mut st = on_app(Mode::Operator);
    feed(&mut st, &ops::failed());
    press(&mut st, KeyCode::Esc);
    assert!(st.dialog().is_none());
    press(&mut st, KeyCode::Char('A'));
    assert_eq!(options(&st), offered(&ops::failed()));
    type_text(&mut st, "app");
    assert_eq!(
        press(&mut st, KeyCode::Enter),
        vec![Effect::Op(OpEffect::ChooseRollback {
            op_id: OP_ID.into(),
            mode: RollbackMode::ReattachOld
        })]
    );
}

#[test]
fn interrupted_operations_offer_resume_and_their_rollback_options() {
    let mut st = on_app(Mode::Operator);
    let crashed = ops::operation(&ops::mid_run()).unwrap();
    let mut failed = ops::operation(&ops::failed()).unwrap();
    failed.op_id = "op-failed".into();
    failed.role = "web".into();
    update(
        &mut st,
        Msg::Engine(EngineMsg::Interrupted(vec![crashed, failed.clone()])),
    );
    assert_eq!(st.dialogs().count(), 2);
    // A step was running when baton died: nothing but resume is on offer.
    assert_eq!(options(&st), vec![Choice::Resume]);
    assert!(
        press(&mut st, KeyCode::Enter).is_empty(),
        "resume needs the name"
    );
    type_text(&mut st, "app");
    assert_eq!(
        press(&mut st, KeyCode::Enter),
        vec![Effect::Op(OpEffect::ResumeOperation {
            op_id: OP_ID.into()
        })]
    );
    let mut expected = vec![Choice::Resume];
    expected.extend(failed.rollback_options().into_iter().map(Choice::Rollback));
    assert_eq!(options(&st), expected);
    assert_eq!(typed(&st), "", "the next dialog starts empty");
    press(&mut st, KeyCode::Down);
    press(&mut st, KeyCode::Down);
    // The first operation's role is not this one's.
    type_text(&mut st, "app");
    assert!(press(&mut st, KeyCode::Enter).is_empty());
    for _ in 0..3 {
        press(&mut st, KeyCode::Backspace);
    }
    type_text(&mut st, "web");
    assert_eq!(
        press(&mut st, KeyCode::Enter),
        vec![Effect::Op(OpEffect::ChooseRollback {
            op_id: "op-failed".into(),
            mode: RollbackMode::RollForward
        })]
    );
    assert!(st.dialog().is_none());
}

#[test]
fn ctrl_c_quits_from_any_dialog() {
    let mut st = on_app(Mode::Operator);
    update(&mut st, Msg::Action(Action::Switchover));
    let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert_eq!(
        update(&mut st, Msg::Key(ctrl_c)),
        vec![Effect::Ui(UiEffect::Quit)]
    );
    let mut release = KeyEvent::new(KeyCode::Char('a'), KeyModifiers::NONE);
    release.kind = KeyEventKind::Release;
    update(&mut st, Msg::Key(release));
    assert_eq!(preview(&st).typed, "");
}

/// Every key a keyboard can send without modifiers, plus the named ones.
fn every_key() -> Vec<KeyCode> {
    let mut keys: Vec<KeyCode> = (' '..='~').map(KeyCode::Char).collect();
    keys.extend([
        KeyCode::Enter,
        KeyCode::Esc,
        KeyCode::Tab,
        KeyCode::BackTab,
        KeyCode::Backspace,
        KeyCode::Up,
        KeyCode::Down,
        KeyCode::PageUp,
        KeyCode::PageDown,
    ]);
    keys
}

#[test]
fn read_only_and_wall_ignore_every_operation_message_key_and_action() {
    for mode in [Mode::ReadOnly, Mode::Wall] {
        let mut st = on_app(mode);
        let mut out = Vec::new();
        for a in [Action::Failover, Action::Switchover, Action::Abort] {
            assert!(st.keymap().keys_for(a).is_empty(), "{mode:?} {a:?}");
            out.extend(update(&mut st, Msg::Action(a)));
        }
        out.extend(update(
            &mut st,
            Msg::Engine(EngineMsg::Plan(ops::switchover_plan(None))),
        ));
        out.extend(update(
            &mut st,
            Msg::Engine(EngineMsg::PlanError(PlanFailure::UnknownRole {
                role: "x".into(),
            })),
        ));
        out.extend(feed(&mut st, &ops::failed()));
        out.extend(feed(&mut st, &ops::succeeded()));
        let crashed = ops::operation(&ops::mid_run()).unwrap();
        out.extend(update(
            &mut st,
            Msg::Engine(EngineMsg::Interrupted(vec![crashed])),
        ));
        for k in every_key() {
            out.extend(press(&mut st, k));
            assert!(st.dialog().is_none(), "{mode:?} {k:?}");
        }
        let operation_effect = |e: &Effect| {
            matches!(
                e,
                Effect::Op(OpEffect::RequestPlan { .. })
                    | Effect::Op(OpEffect::StartOperation { .. })
                    | Effect::Op(OpEffect::AbortOperation { .. })
                    | Effect::Op(OpEffect::ChooseRollback { .. })
                    | Effect::Op(OpEffect::ResumeOperation { .. })
            )
        };
        assert!(!out.iter().any(operation_effect), "{mode:?}: {out:?}");
        assert!(st.operation_of("app").is_none(), "{mode:?}");
        assert!(!st.operation_running());
    }
}
