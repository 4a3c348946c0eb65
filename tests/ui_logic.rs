//! update() driven by message sequences, keymap validation, and theme loading.

mod ui_fixtures;
use baton::core::leader::LeaderState;
use baton::core::snapshot::{EngineEvent, Severity};
use baton::protocol::{ChaosAction, ChaosRequest, Effect, ReadEffect, UiEffect};
use baton::ui::keymap::KeySpec;
use baton::ui::{
    update, Action, Freshness, Keymap, KeymapError, Mode, Msg, Pane, Theme, ThemeEnv, ThemeError,
    UiState,
};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use std::collections::BTreeMap;
use std::ffi::OsStr;
use time::Duration;
use ui_fixtures::{self as fixtures, T0};

fn key(c: char) -> Msg {
    let mods = if c.is_ascii_uppercase() {
        KeyModifiers::SHIFT
    } else {
        KeyModifiers::NONE
    };
    Msg::Key(KeyEvent::new(KeyCode::Char(c), mods))
}

fn code(k: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(k, KeyModifiers::NONE))
}

fn healthy(mode: Mode) -> UiState {
    fixtures::state(mode, vec![fixtures::healthy()])
}

fn selected_name(st: &UiState) -> Option<String> {
    st.selected_role().map(|r| r.role.clone())
}

#[test]
fn selection_moves_with_vim_keys_and_arrows_and_clamps() {
    let mut st = healthy(Mode::Operator);
    assert_eq!(selected_name(&st).as_deref(), Some("gateway"));
    update(&mut st, key('j'));
    update(&mut st, code(KeyCode::Down));
    assert_eq!(selected_name(&st).as_deref(), Some("app"));
    update(&mut st, key('k'));
    assert_eq!(selected_name(&st).as_deref(), Some("web"));
    update(&mut st, key('G'));
    update(&mut st, key('j'));
    assert_eq!(selected_name(&st).as_deref(), Some("db"));
    update(&mut st, key('g'));
    update(&mut st, code(KeyCode::Up));
    assert_eq!(st.selected_index(), Some(0));
}

#[test]
fn selection_follows_the_role_when_the_order_changes() {
    let mut st = healthy(Mode::Operator);
    update(&mut st, key('G'));
    let mut snap = fixtures::healthy();
    snap.roles.reverse();
    update(&mut st, Msg::Snapshot(snap));
    assert_eq!(selected_name(&st).as_deref(), Some("db"));
    assert_eq!(st.selected_index(), Some(0));
}

#[test]
fn tab_cycles_panes_and_j_scrolls_the_focused_pane() {
    let mut st = healthy(Mode::Operator);
    assert_eq!(st.focus(), Some(Pane::Roles));
    for expected in [
        Pane::Heartbeats,
        Pane::Leader,
        Pane::Attachments,
        Pane::Events,
        Pane::Roles,
    ] {
        update(&mut st, code(KeyCode::Tab));
        assert_eq!(st.focus(), Some(expected));
    }
    update(
        &mut st,
        Msg::Key(KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT)),
    );
    assert_eq!(st.focus(), Some(Pane::Events));
    update(&mut st, key('j'));
    assert_eq!(st.scroll_of(Pane::Events), 1);
    assert_eq!(
        selected_name(&st).as_deref(),
        Some("gateway"),
        "selection unchanged"
    );
}

#[test]
fn master_down_transition_rings_once_and_raises_a_banner_until_cleared() {
    let mut st = healthy(Mode::Operator);
    let fx = update(&mut st, Msg::Snapshot(fixtures::master_down()));
    assert_eq!(fx, vec![Effect::Ui(UiEffect::Bell)]);
    let (alarm, others) = st.banner().expect("banner");
    assert_eq!(
        (alarm.role.as_str(), alarm.state, others),
        ("web", LeaderState::MasterDown, 0)
    );
    assert!(st.log().iter().any(|e| e.text == "HEALTHY → MASTER DOWN"));
    // The same state again is no transition: no second bell.
    assert!(update(&mut st, Msg::Snapshot(fixtures::master_down())).is_empty());
    assert!(update(&mut st, Msg::Tick(T0 + Duration::seconds(1))).is_empty());
    // Esc dismisses the banner; the alarm stays known.
    update(&mut st, code(KeyCode::Esc));
    assert!(st.banner().is_none());
    assert_eq!(st.alarms().len(), 1);
    // Recovery clears it.
    assert!(update(&mut st, Msg::Snapshot(fixtures::healthy())).is_empty());
    assert!(st.alarms().is_empty());
    assert!(st.log().iter().any(|e| e.text == "MASTER DOWN → HEALTHY"));
    // A new fall rings again.
    assert_eq!(
        update(&mut st, Msg::Snapshot(fixtures::master_down())),
        vec![Effect::Ui(UiEffect::Bell)]
    );
    assert!(st.banner().is_some());
}

#[test]
fn split_transition_rings_and_first_snapshot_alarm_counts() {
    let mut st = healthy(Mode::ReadOnly);
    assert_eq!(
        update(&mut st, Msg::Snapshot(fixtures::split())),
        vec![Effect::Ui(UiEffect::Bell)]
    );
    assert_eq!(st.banner().map(|(a, _)| a.state), Some(LeaderState::Split));
    // A cockpit opened while a master is already down alarms on its first snapshot.
    let mut fresh = UiState::new(Mode::Wall, Keymap::default_for(Mode::Wall), "b", "e");
    let fx = update(&mut fresh, Msg::Snapshot(fixtures::master_down()));
    assert_eq!(fx, vec![Effect::Ui(UiEffect::Bell)]);
}

#[test]
fn read_only_and_wall_ignore_chaos_and_have_no_binding_for_it() {
    for mode in [Mode::ReadOnly, Mode::Wall, Mode::Operator] {
        let mut st = healthy(mode);
        for c in ['K', 'H', 'R'] {
            assert!(update(&mut st, key(c)).is_empty(), "{mode:?} {c}");
        }
        for a in [Action::ChaosKill, Action::ChaosHang, Action::ChaosHeal] {
            assert!(update(&mut st, Msg::Action(a)).is_empty(), "{mode:?} {a:?}");
            assert!(st.keymap().keys_for(a).is_empty());
        }
        assert!(st
            .keymap()
            .bindings()
            .all(|(a, _)| !a.is_mutating() || mode == Mode::Operator));
    }
}

#[test]
fn demo_chaos_targets_the_selected_master() {
    let mut st = healthy(Mode::Demo);
    update(&mut st, key('j'));
    let kill = update(&mut st, key('K'));
    assert_eq!(
        kill,
        vec![Effect::Chaos(ChaosRequest {
            vm: "web-a".into(),
            action: ChaosAction::KillService
        })]
    );
    let hang = update(&mut st, key('H'));
    assert_eq!(
        hang,
        vec![Effect::Chaos(ChaosRequest {
            vm: "web-a".into(),
            action: ChaosAction::HangVm
        })]
    );
    let heal = update(&mut st, key('R'));
    assert_eq!(heal.len(), 2);
    assert!(heal.iter().all(|e| matches!(
        e,
        Effect::Chaos(ChaosRequest {
            action: ChaosAction::Heal,
            ..
        })
    )));
    // No master (split db): nothing to kill, and the log says so.
    update(&mut st, Msg::Snapshot(fixtures::split()));
    update(&mut st, key('G'));
    assert!(update(&mut st, key('K')).is_empty());
    assert!(st.log().iter().any(|e| e.text.contains("no master")));
}

#[test]
fn wall_has_no_selection_and_no_navigation() {
    let mut st = healthy(Mode::Wall);
    assert_eq!(st.selected_index(), None);
    assert_eq!(st.focus(), None);
    for m in [key('j'), key('G'), code(KeyCode::Tab), code(KeyCode::Down)] {
        update(&mut st, m);
    }
    assert_eq!(st.selected_index(), None);
    assert_eq!(update(&mut st, key('q')), vec![Effect::Ui(UiEffect::Quit)]);
    assert_eq!(
        update(&mut st, key('r')),
        vec![Effect::Read(ReadEffect::RefreshInventory)]
    );
}

#[test]
fn wall_detail_rotates_with_ticks_through_unhealthy_roles() {
    let mut st = fixtures::state(Mode::Wall, vec![fixtures::split()]);
    let at = |s: i64| {
        let mut st2 = st.clone();
        update(&mut st2, Msg::Tick(T0 + Duration::seconds(s)));
        st2.wall_detail_index()
    };
    // app (2) and db (3) are the unhealthy ones; the detail alternates every 5 s.
    let a = at(0);
    let b = at(5);
    assert_ne!(a, b);
    assert!([a, b].iter().all(|i| matches!(i, Some(2) | Some(3))));
    assert_eq!(at(10), a);
    update(&mut st, Msg::Snapshot(fixtures::healthy()));
    assert!(st.wall_detail_index().is_some());
}

#[test]
fn stale_detection_from_ticks() {
    let mut st = healthy(Mode::Operator);
    assert_eq!(
        st.freshness(),
        Freshness::Fresh {
            age: Some(Duration::seconds(12))
        }
    );
    // 3 x 30 s refresh interval = 90 s: at 90 s of age it is still fresh, after it is stale.
    update(&mut st, Msg::Tick(T0 + Duration::seconds(78)));
    assert!(!st.freshness().is_stale());
    update(&mut st, Msg::Tick(T0 + Duration::seconds(79)));
    assert!(st.freshness().is_stale());
    assert!(st
        .log()
        .iter()
        .any(|e| e.text.starts_with("inventory STALE")));
    // A throttled (longer) schedule does not make old data look fresh.
    let mut throttled = fixtures::healthy();
    throttled.inventory.next_refresh_at = throttled
        .inventory
        .fetched_at
        .map(|t| t + Duration::minutes(10));
    update(&mut st, Msg::Snapshot(throttled));
    assert!(st.freshness().is_stale());
    // A failed refresh is stale at once, with its error.
    let mut st = healthy(Mode::Operator);
    update(&mut st, Msg::Snapshot(fixtures::stale()));
    match st.freshness() {
        Freshness::Stale { error: Some(e), .. } => assert!(e.contains("TooManyRequests")),
        other => panic!("expected stale with error, got {other:?}"),
    }
}

#[test]
fn engine_events_are_logged_sanitized_and_in_time_order() {
    let mut st = healthy(Mode::Operator);
    update(
        &mut st,
        Msg::Event(EngineEvent {
            at: T0 - Duration::seconds(500),
            severity: Severity::Critical,
            role: Some("we\u{1b}[31mb".into()),
            text: "detach failed: Conflict\u{7} (request-id abc)".into(),
        }),
    );
    let first = st.log().front().unwrap();
    assert_eq!(first.text, "detach failed: Conflict (request-id abc)");
    assert_eq!(first.role.as_deref(), Some("we[31mb"));
    let times: Vec<_> = st.log().iter().map(|e| e.at).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
}

#[test]
fn help_is_modal_and_closes_with_esc_or_question_mark() {
    let mut st = healthy(Mode::Operator);
    update(&mut st, key('?'));
    assert!(st.help_open());
    update(&mut st, key('j'));
    assert_eq!(
        st.selected_index(),
        Some(0),
        "keys behind the overlay do nothing"
    );
    update(&mut st, code(KeyCode::Esc));
    assert!(!st.help_open());
    update(&mut st, key('?'));
    update(&mut st, key('?'));
    assert!(!st.help_open());
    let ctrl_c = Msg::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
    assert_eq!(update(&mut st, ctrl_c), vec![Effect::Ui(UiEffect::Quit)]);
}

#[test]
fn key_releases_are_ignored() {
    let mut st = healthy(Mode::Operator);
    let mut ev = KeyEvent::new(KeyCode::Char('j'), KeyModifiers::NONE);
    ev.kind = KeyEventKind::Release;
    update(&mut st, Msg::Key(ev));
    assert_eq!(st.selected_index(), Some(0));
}

// ---- keymap validation ----

fn overrides(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(a, k)| (a.to_string(), k.to_string()))
        .collect()
}

#[test]
fn keymap_overrides_apply_and_parse_specs() {
    let km = Keymap::from_overrides(
        Mode::Demo,
        &overrides(&[("refresh", "F5, ctrl-r"), ("chaos_kill", "x")]),
    )
    .unwrap();
    assert_eq!(
        km.keys_for(Action::Refresh),
        &[
            KeySpec::parse("F5").unwrap(),
            KeySpec::parse("ctrl-r").unwrap()
        ]
    );
    let f5 = KeyEvent::new(KeyCode::F(5), KeyModifiers::NONE);
    assert_eq!(km.resolve(&f5), Some(Action::Refresh));
    let x = KeyEvent::new(KeyCode::Char('x'), KeyModifiers::NONE);
    assert_eq!(km.resolve(&x), Some(Action::ChaosKill));
    // The same overrides are valid in read-only, where chaos simply does not exist.
    let ro = Keymap::from_overrides(Mode::ReadOnly, &overrides(&[("chaos_kill", "x")])).unwrap();
    assert_eq!(ro.resolve(&x), None);
}

#[test]
fn keymap_errors_name_action_and_key() {
    let err = |pairs: &[(&str, &str)]| {
        Keymap::from_overrides(Mode::Operator, &overrides(pairs)).unwrap_err()
    };
    assert!(
        matches!(err(&[("frobnicate", "x")]), KeymapError::UnknownAction { action, .. } if action == "frobnicate")
    );
    let e = err(&[("refresh", "ctrl-")]);
    assert!(
        matches!(&e, KeymapError::BadKey { action, key, .. } if action == "refresh" && key == "ctrl-"),
        "{e}"
    );
    let e = err(&[("quit", "")]);
    assert!(matches!(&e, KeymapError::Unreachable { action, .. } if action == "quit"));
    let e = err(&[("help", " ")]);
    assert!(
        matches!(
            &e,
            KeymapError::BadKey { .. } | KeymapError::Unreachable { .. }
        ),
        "{e}"
    );
    let e = err(&[("refresh", "j")]);
    assert_eq!(
        e.to_string(),
        "keys.refresh: key `j` is already bound to down"
    );
    let e = err(&[("chaos_kill", "g")]);
    assert!(
        matches!(&e, KeymapError::MutatingOnNavigationKey { action, key } if action == "chaos_kill" && key == "g")
    );
    let e = err(&[("chaos_heal", "enter")]);
    assert!(
        matches!(&e, KeymapError::MutatingOnNavigationKey { .. }),
        "{e}"
    );
    let e = err(&[("help", "ctrl-c")]);
    assert!(matches!(&e, KeymapError::Reserved { action, .. } if action == "help"));
    assert!(e.to_string().contains("ctrl-c"));
}

#[test]
fn default_keymaps_are_valid_in_every_mode() {
    for mode in [Mode::Operator, Mode::ReadOnly, Mode::Wall, Mode::Demo] {
        let km = Keymap::from_overrides(mode, &BTreeMap::new()).unwrap();
        assert_eq!(km, Keymap::default_for(mode));
        assert!(!km.keys_for(Action::Quit).is_empty());
        assert!(!km.keys_for(Action::Help).is_empty());
    }
}

// ---- themes ----

#[test]
fn builtin_themes_load_and_no_color_selects_mono() {
    for name in Theme::builtin_names() {
        assert_eq!(Theme::load(name, None, false).unwrap().name, name);
    }
    assert_eq!(Theme::load("light", None, true).unwrap().name, "mono");
    let env = ThemeEnv::from_vars(None, Some(OsStr::new("/home/op")), Some(OsStr::new("1")));
    assert!(env.no_color);
    assert_eq!(
        env.override_dir().unwrap(),
        std::path::Path::new("/home/op/.config/baton/themes")
    );
    let env = ThemeEnv::from_vars(Some(OsStr::new("/x")), None, Some(OsStr::new("")));
    assert!(!env.no_color, "empty NO_COLOR does not count");
    assert_eq!(
        env.override_dir().unwrap(),
        std::path::Path::new("/x/baton/themes")
    );
}

#[test]
fn unknown_theme_lists_valid_names() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("night.toml"),
        std::fs::read_to_string("themes/default.toml").unwrap(),
    )
    .unwrap();
    let err = Theme::load("neon", Some(dir.path()), false).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, ThemeError::UnknownTheme { .. }));
    for name in ["default", "light", "high-contrast", "mono", "night"] {
        assert!(msg.contains(name), "{msg}");
    }
    assert_eq!(
        Theme::load("night", Some(dir.path()), false).unwrap().name,
        "night"
    );
}

#[test]
fn override_file_wins_and_bad_values_name_file_key_value() {
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read_to_string("themes/default.toml").unwrap();
    let file = dir.path().join("default.toml");
    std::fs::write(
        &file,
        good.replace(
            "critical = { fg = \"lightred\", bold = true }",
            "critical = \"#ff00ff\"",
        ),
    )
    .unwrap();
    let t = Theme::load("default", Some(dir.path()), false).unwrap();
    assert_eq!(t.critical.fg, Some(ratatui::style::Color::Rgb(255, 0, 255)));

    std::fs::write(&file, good.replace("fg = \"lightred\"", "fg = \"reddish\"")).unwrap();
    let msg = Theme::load("default", Some(dir.path()), false)
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("default.toml") && msg.contains("critical.fg") && msg.contains("reddish"),
        "{msg}"
    );

    std::fs::write(&file, format!("{good}\nsparkle = \"red\"\n")).unwrap();
    let msg = Theme::load("default", Some(dir.path()), false)
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("default.toml") && msg.contains("sparkle"),
        "{msg}"
    );

    std::fs::write(&file, good.replace("bold = true }", "blink = true }")).unwrap();
    let msg = Theme::load("default", Some(dir.path()), false)
        .unwrap_err()
        .to_string();
    assert!(msg.contains(".blink"), "{msg}");

    let no_banner: String = good
        .lines()
        .filter(|l| !l.starts_with("banner"))
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(&file, no_banner).unwrap();
    let err = Theme::load("default", Some(dir.path()), false).unwrap_err();
    assert!(
        matches!(&err, ThemeError::Missing { key, .. } if key == "banner"),
        "{err}"
    );

    std::fs::write(&file, "text = [").unwrap();
    let err = Theme::load("default", Some(dir.path()), false).unwrap_err();
    assert!(matches!(err, ThemeError::Syntax { .. }));
}
