//! The cockpit's unlock dialog (`U`, operator mode only): on a role whose lock another baton
//! holds it asks the engine for the lock, shows holder, operation, since, epoch, lease state and
//! last write with the warning, and emits `BreakLock` only after the role's exact name; the
//! engine's answer is one event-log line. Read-only and wall have no such key and drop the
//! engine's lock messages; a local backend explains that its locks die with their process.
//! Screens at 80x24 and 120x40.

mod ui_fixtures;
use baton::core::name::RoleName;
use baton::core::snapshot::{FleetSnapshot, RemoteHolder};
use baton::protocol::{Effect, EngineMsg, LockBreak, LockHolderView, LockView, OpEffect};
use baton::ui::{render, update, Action, Mode, Msg, Theme, UiState};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use time::macros::datetime;
use ui_fixtures as fixtures;

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

fn key(c: char) -> Msg {
    let mods = if c.is_uppercase() {
        KeyModifiers::SHIFT
    } else {
        KeyModifiers::NONE
    };
    Msg::Key(KeyEvent::new(KeyCode::Char(c), mods))
}

fn press(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

/// The fixture fleet with db's lock held by oncall on jump-2.
fn db_held() -> FleetSnapshot {
    let mut fleet = fixtures::healthy();
    fleet.coordination.remote.insert(
        "db".to_string(),
        RemoteHolder {
            who: "oncall".to_string(),
            host: "jump-2".to_string(),
            op_id: Some("op-7".to_string()),
            since: datetime!(2024-05-14 03:02:10 UTC),
        },
    );
    fleet
}

/// A cockpit in `mode` on db (shared locks unless told otherwise).
fn on_db(mode: Mode, shared: bool) -> UiState {
    let mut st = fixtures::state(mode, vec![db_held()]).with_shared_locks(shared);
    update(&mut st, Msg::Action(Action::Last));
    st
}

/// db's lock as the store answers it.
fn lock() -> LockView {
    LockView {
        holder: Some(LockHolderView {
            who: "oncall".to_string(),
            host: "jump-2".to_string(),
            pid: 4242,
            op_id: Some("op-7".to_string()),
            since: datetime!(2024-05-14 03:02:10 UTC),
        }),
        epoch: 3,
        lease: "leased".to_string(),
        held: true,
        last_written: Some(datetime!(2024-05-14 03:02:11 UTC)),
    }
}

fn read_lock(st: &mut UiState) {
    let msg = EngineMsg::Lock {
        role: RoleName::from("db"),
        status: Ok(Some(lock())),
    };
    assert!(update(st, Msg::Engine(msg)).is_empty());
}

fn last_log(st: &UiState) -> String {
    st.log().back().map(|e| e.text.clone()).unwrap_or_default()
}

#[test]
fn the_dialog_breaks_only_after_the_exact_role_name() {
    let mut st = on_db(Mode::Operator, true);
    assert_eq!(st.selected_role().unwrap().role, "db");
    let effects = update(&mut st, key('U'));
    assert_eq!(
        effects,
        [Effect::Op(OpEffect::ReadLock {
            role: RoleName::from("db")
        })]
    );
    // Nothing to confirm before the lock is read: typing is ignored, Enter does nothing.
    assert!(update(&mut st, key('d')).is_empty());
    assert!(update(&mut st, press(KeyCode::Enter)).is_empty());
    read_lock(&mut st);
    for c in "DB".chars() {
        assert!(update(&mut st, key(c)).is_empty());
    }
    assert!(
        update(&mut st, press(KeyCode::Enter)).is_empty(),
        "same name, other case: nothing"
    );
    update(&mut st, press(KeyCode::Backspace));
    update(&mut st, press(KeyCode::Backspace));
    for c in "db".chars() {
        assert!(update(&mut st, key(c)).is_empty(), "typing emits nothing");
    }
    let effects = update(&mut st, press(KeyCode::Enter));
    assert_eq!(
        effects,
        [Effect::Op(OpEffect::BreakLock {
            role: RoleName::from("db"),
            epoch: 3,
            confirmed_name: "db".to_string(),
        })]
    );
    assert!(st.dialog().is_none(), "the dialog closes once");
    assert!(update(&mut st, press(KeyCode::Enter)).is_empty());
    let done = EngineMsg::LockBroken {
        role: RoleName::from("db"),
        result: Ok(LockBreak {
            broken: true,
            was: Some("oncall@jump-2".to_string()),
            epoch: 3,
            resume: Some("baton switchover db --resume".to_string()),
        }),
    };
    update(&mut st, Msg::Engine(done));
    assert_eq!(
        last_log(&st),
        "lock of db broken (was oncall@jump-2, epoch 3); resume with \
         `baton switchover db --resume` from any host"
    );
}

#[test]
fn esc_cancels_and_a_lock_gone_meanwhile_takes_no_typing() {
    let mut st = on_db(Mode::Operator, true);
    update(&mut st, key('U'));
    read_lock(&mut st);
    update(&mut st, press(KeyCode::Esc));
    assert!(st.dialog().is_none());
    assert_eq!(last_log(&st), "unlock cancelled");
    update(&mut st, key('U'));
    let free = LockView {
        held: false,
        lease: "broken".to_string(),
        ..lock()
    };
    let msg = EngineMsg::Lock {
        role: RoleName::from("db"),
        status: Ok(Some(free)),
    };
    update(&mut st, Msg::Engine(msg));
    for c in "db".chars() {
        update(&mut st, key(c));
    }
    assert!(update(&mut st, press(KeyCode::Enter)).is_empty());
    let text = screen(&st, 80, 24);
    assert!(text.contains("not locked now (lease broken)"), "{text}");
    // A refused break is said in the log, in the critical style's words.
    let refused = EngineMsg::LockBroken {
        role: RoleName::from("db"),
        result: Err("the lock of role db changed since it was shown".to_string()),
    };
    update(&mut st, Msg::Engine(refused));
    assert!(last_log(&st).starts_with("unlock of db refused: the lock of role db changed"));
}

#[test]
fn the_dialog_shows_holder_lease_and_warning_at_both_sizes() {
    let mut st = on_db(Mode::Operator, true);
    update(&mut st, key('U'));
    let reading = screen(&st, 80, 24);
    assert!(
        reading.contains("reading the lock of db (held by oncall@jump-2)"),
        "{reading}"
    );
    read_lock(&mut st);
    update(&mut st, key('d'));
    for (w, h) in [(80, 24), (120, 40)] {
        let term = draw(&st, w, h);
        insta::assert_snapshot!(format!("unlock_dialog_{w}x{h}"), term.backend());
        let text = screen(&st, w, h);
        for needed in [
            "role db is locked by oncall on jump-2 (pid 4242)",
            "operation op-7 · since 03:02:10Z · epoch 3",
            "lease leased · lock blob last written 03:02:11Z",
            "stops it before its next Azure write",
            "a dead holder.",
            "comment \"from the cockpit\"",
            "type db to break it: d",
            "enter BREAK",
        ] {
            assert!(text.contains(needed), "{needed} at {w}x{h}:\n{text}");
        }
    }
}

#[test]
fn read_only_and_wall_have_no_unlock_and_drop_lock_messages() {
    for mode in [Mode::ReadOnly, Mode::Wall] {
        assert!(!Action::Unlock.exists_in(mode), "{mode:?}");
        let mut st = on_db(mode, true);
        assert!(update(&mut st, key('U')).is_empty(), "{mode:?}");
        assert!(update(&mut st, Msg::Action(Action::Unlock)).is_empty());
        read_lock(&mut st);
        assert!(st.dialog().is_none(), "{mode:?}");
        let help = {
            update(&mut st, Msg::Action(Action::Help));
            screen(&st, 120, 40)
        };
        assert!(
            !help.contains("unlock") && !help.contains("dead holder"),
            "{help}"
        );
    }
    let mut st = on_db(Mode::Operator, true);
    update(&mut st, Msg::Action(Action::Help));
    let help = screen(&st, 120, 40);
    assert!(help.contains("break a dead holder's lock"), "{help}");
}

#[test]
fn a_local_backend_explains_and_a_free_role_has_nothing_to_break() {
    let mut st = on_db(Mode::Operator, false);
    assert!(update(&mut st, key('U')).is_empty());
    assert!(st.dialog().is_none());
    assert!(
        last_log(&st).contains("a local lock dies with its process"),
        "{}",
        last_log(&st)
    );
    let mut st = on_db(Mode::Operator, true);
    update(&mut st, Msg::Action(Action::First));
    assert!(update(&mut st, key('U')).is_empty());
    assert!(st.dialog().is_none());
    assert!(last_log(&st).contains("no other baton holds this role's lock"));
}
