//! Screen snapshots (insta + TestBackend) of every cockpit screen at 80x24 and 120x40, plus
//! style assertions on the cells that carry meaning.

mod ui_fixtures;
use baton::core::model::ProbeStatus;
use baton::ui::{render, update, Action, Mode, Msg, Theme, UiState};
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::Terminal;
use ui_fixtures::{self as fixtures, T0};

fn draw(state: &UiState, theme: &Theme, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| render(f, state, theme)).unwrap();
    term
}

fn theme() -> Theme {
    Theme::load("default", None, false).unwrap()
}

/// Snapshots one screen at both sizes.
fn both(name: &str, state: &UiState) {
    let t = theme();
    for (w, h) in [(80, 24), (120, 40)] {
        let term = draw(state, &t, w, h);
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), term.backend());
    }
}

fn healthy() -> UiState {
    fixtures::state(Mode::Operator, vec![fixtures::healthy()])
}

fn master_down() -> UiState {
    let mut st = fixtures::state(Mode::Operator, vec![fixtures::healthy()]);
    update(&mut st, Msg::Tick(T0 + time::Duration::seconds(1)));
    update(&mut st, Msg::Snapshot(fixtures::master_down()));
    update(&mut st, Msg::Action(Action::Down));
    st
}

fn split() -> UiState {
    let mut st = fixtures::state(Mode::Operator, vec![fixtures::healthy(), fixtures::split()]);
    update(&mut st, Msg::Action(Action::Last));
    update(&mut st, Msg::Action(Action::Close));
    st
}

#[test]
fn healthy_screen() {
    both("healthy", &healthy());
}

#[test]
fn master_down_screen_with_banner() {
    let st = master_down();
    assert!(st.banner().is_some());
    both("master_down", &st);
}

#[test]
fn split_screen_with_violations() {
    both("split", &split());
}

#[test]
fn stale_inventory_screen() {
    both(
        "stale",
        &fixtures::state(Mode::Operator, vec![fixtures::stale()]),
    );
}

#[test]
fn read_only_screen() {
    both(
        "read_only",
        &fixtures::state(Mode::ReadOnly, vec![fixtures::master_down()]),
    );
}

#[test]
fn wall_screen() {
    let st = fixtures::state(Mode::Wall, vec![fixtures::healthy(), fixtures::split()]);
    both("wall", &st);
}

#[test]
fn wall_screen_stale() {
    let st = fixtures::state(Mode::Wall, vec![fixtures::stale()]);
    both("wall_stale", &st);
}

#[test]
fn demo_screen() {
    both(
        "demo",
        &fixtures::state(Mode::Demo, vec![fixtures::healthy()]),
    );
}

#[test]
fn help_overlay_screen() {
    let mut st = fixtures::state(Mode::Demo, vec![fixtures::healthy()]);
    update(&mut st, Msg::Action(Action::Help));
    both("help", &st);
}

#[test]
fn too_small_screen() {
    let st = healthy();
    let t = theme();
    for (w, h) in [(59, 24), (80, 14)] {
        let term = draw(&st, &t, w, h);
        insta::assert_snapshot!(format!("too_small_{w}x{h}"), term.backend());
    }
    // Exactly the minimum draws the cockpit.
    let term = draw(&st, &t, 60, 15);
    assert!(!format!("{}", term.backend()).contains("too small"));
}

/// Finds the first cell at or after (x, y) on row y whose symbol is `sym`.
fn find_on_row(buf: &Buffer, y: u16, sym: &str, from_x: u16) -> Option<u16> {
    (from_x..buf.area.width).find(|x| buf[(*x, y)].symbol() == sym)
}

fn find_row(buf: &Buffer, text: &str) -> Option<u16> {
    (0..buf.area.height).find(|y| {
        let row: String = (0..buf.area.width).map(|x| buf[(x, *y)].symbol()).collect();
        row.contains(text)
    })
}

fn col_of(buf: &Buffer, y: u16, text: &str) -> u16 {
    let row: Vec<&str> = (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect();
    let first = text.chars().next().unwrap().to_string();
    (0..row.len())
        .find(|i| {
            text.chars()
                .enumerate()
                .all(|(k, c)| row.get(i + k).is_some_and(|s| *s == c.to_string()))
                && row[*i] == first
        })
        .unwrap() as u16
}

#[test]
fn dead_heartbeat_cell_uses_critical_fg() {
    let st = master_down();
    let t = theme();
    let term = draw(&st, &t, 120, 40);
    let buf = term.backend().buffer();
    // The web row in the roles list: its service sparkline ends in failed samples.
    let y = find_row(buf, "✖ MASTER DOWN  web     web-a").expect("web row");
    let x = find_on_row(buf, y, "×", 0).expect("a dead sample");
    assert_eq!(buf[(x, y)].fg, t.critical.fg.unwrap());
    // The master's DOWN text in the heartbeats pane.
    let y = find_row(buf, "DOWN HTTP 503").expect("web-a heartbeat row");
    let x = col_of(buf, y, "DOWN HTTP 503");
    assert_eq!(buf[(x, y)].fg, t.critical.fg.unwrap());
}

#[test]
fn standby_stopped_service_is_muted_not_alarm() {
    let st = healthy();
    let t = theme();
    let term = draw(&st, &t, 120, 40);
    let buf = term.backend().buffer();
    let y = find_row(buf, "stopped (standby)").expect("standby row");
    let x = col_of(buf, y, "stopped (standby)");
    assert_eq!(buf[(x, y)].fg, t.muted.fg.unwrap());
    assert_ne!(buf[(x, y)].fg, t.critical.fg.unwrap());
    // Its failed service samples are muted dots, never alarm crosses.
    assert!(find_on_row(buf, y, "×", 0).is_none());
}

#[test]
fn violations_are_drawn_in_critical_style() {
    let st = split();
    let t = theme();
    let term = draw(&st, &t, 120, 40);
    let buf = term.backend().buffer();
    let y = find_row(buf, "endpoint lb-db/db-sql on db-a and db-b").expect("violation line");
    let x = col_of(buf, y, "endpoint lb-db/db-sql");
    assert_eq!(buf[(x, y)].fg, t.critical.fg.unwrap());
}

#[test]
fn state_is_never_colour_only() {
    let st = fixtures::state(Mode::Operator, vec![fixtures::healthy(), fixtures::split()]);
    let mono = Theme::load("default", None, true).unwrap();
    assert_eq!(mono.name, "mono");
    let term = draw(&st, &mono, 80, 24);
    let text = format!("{}", term.backend());
    for word in ["HEALTHY", "DEGRADED", "SPLIT"] {
        assert!(text.contains(word), "{word} missing:\n{text}");
    }
}

#[test]
fn escape_in_vm_name_is_not_drawn() {
    let mut snap = fixtures::healthy();
    snap.roles[0].vms[0].name = "gw-\u{1b}[2Ja".to_string();
    snap.roles[0].master = Some("gw-\u{1b}[2Ja".to_string());
    snap.roles[0].vms[1].probes.vm = ProbeStatus::Down {
        reason: "bad\u{7}\u{1b}]0;pwned\u{7}".to_string(),
    };
    let st = fixtures::state(Mode::Operator, vec![snap]);
    let t = theme();
    for (w, h) in [(80, 24), (120, 40)] {
        let term = draw(&st, &t, w, h);
        let buf = term.backend().buffer();
        for cell in buf.content() {
            assert!(
                !cell.symbol().chars().any(char::is_control),
                "control character drawn at {w}x{h}"
            );
        }
        assert!(format!("{}", term.backend()).contains("gw-[2Ja"));
    }
}

#[test]
fn thousand_roles_render_only_visible_rows() {
    let mut st = fixtures::state(Mode::Operator, vec![fixtures::large(1000)]);
    update(&mut st, Msg::Action(Action::Last));
    let t = theme();
    let term = draw(&st, &t, 200, 60);
    let text = format!("{}", term.backend());
    assert!(text.contains("role-0999"), "selection scrolled into view");
    assert!(!text.contains("role-0000"));
    let wall = fixtures::state(Mode::Wall, vec![fixtures::large(1000)]);
    let term = draw(&wall, &t, 200, 60);
    assert!(format!("{}", term.backend()).contains("more roles"));
}
