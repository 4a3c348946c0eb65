//! The header tells why the inventory refreshes slower than configured (the read budgets or a
//! running operation), whole where it fits and shortened where it would crowd the title, and a
//! deliberate pace never makes the inventory look STALE.

mod ui_fixtures;
use baton::core::budget::{BudgetName, Pace, StretchReason};
use baton::ui::{render, update, Mode, Msg, Theme, UiState};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use std::time::Duration;
use ui_fixtures::{self as fixtures, T0};

fn paced(interval_secs: u64, fetched_ago: i64) -> UiState {
    let mut snapshot = fixtures::healthy();
    snapshot.inventory.fetched_at = Some(T0 - time::Duration::seconds(fetched_ago));
    snapshot.inventory.pace = Some(Pace {
        interval: Duration::from_secs(interval_secs),
        reason: Some(StretchReason::Budget {
            name: BudgetName::Compute("HighCostGet3Min".into()),
            used_percent: 61,
        }),
    });
    let mut st = fixtures::state(Mode::Operator, vec![fixtures::healthy()]);
    update(&mut st, Msg::Snapshot(snapshot));
    update(&mut st, Msg::Tick(T0));
    st
}

fn header_line(state: &UiState, w: u16, h: u16) -> (String, Terminal<TestBackend>) {
    let theme = Theme::load("default", None, false).unwrap();
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| render(f, state, &theme)).unwrap();
    let buf = term.backend().buffer().clone();
    let line: String = (0..w).map(|x| buf[(x, 0)].symbol().to_string()).collect();
    (line, term)
}

#[test]
fn the_header_names_the_stretched_pace_and_its_budget() {
    let st = paced(24, 5);
    let (wide, term) = header_line(&st, 120, 40);
    assert!(
        wide.contains("refresh 24s: HighCostGet3Min 61% used · inventory 5s ago"),
        "{wide}"
    );
    insta::assert_snapshot!("paced_120x40", term.backend());
    let (narrow, term) = header_line(&st, 80, 24);
    assert!(
        narrow.contains("refresh 24s · inventory 5s ago"),
        "{narrow}"
    );
    assert!(!narrow.contains("HighCost"), "{narrow}");
    insta::assert_snapshot!("paced_80x24", term.backend());
}

#[test]
fn a_deliberate_pace_is_not_staleness() {
    // 100 s old: stale at the learned 30 s (3 intervals = 90 s), not at a 60-s pace (180 s).
    let (line, _) = header_line(&paced(60, 100), 120, 40);
    assert!(!line.contains("STALE"), "{line}");
    let (line, _) = header_line(&paced(60, 200), 120, 40);
    assert!(line.contains("STALE"), "{line}");
}

#[test]
fn without_a_stretch_the_header_says_nothing_of_the_pace() {
    let st = fixtures::state(Mode::Operator, vec![fixtures::healthy()]);
    let (line, _) = header_line(&st, 120, 40);
    assert!(!line.contains("refresh"), "{line}");
}
