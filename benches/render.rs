//! Time to draw one cockpit frame with 1,000 roles: `Terminal::draw` (our `ui::render`, then
//! ratatui's diff against the previous frame) into a `TestBackend`, at 200x60 and 80x24, for the
//! operator and wall screens; plus the 4-role contoso fixture for comparison and the cost of
//! `ui::update` applying a 1,000-role snapshot (which the cockpit does before each such draw).
//!
//! Before every draw the state gets a `Tick` one second later, as the cockpit's clock does, so
//! the header changes and ratatui has cells to write: the cost of a real frame, not of an
//! unchanged one. Many iterations per case; prints mean, p50, p99 and max.
//! Target: < 10 ms per frame in release.
//!
//! Knobs: `BATON_BENCH_ROLES` (default 1000), `BATON_BENCH_ITERS` (default 2000 per case).
//! Run: `cargo bench --bench render`.
// A bench prints its own measurements: the terminal rule of the library is not its.
#![allow(clippy::disallowed_macros, clippy::disallowed_methods)]

#[path = "../tests/ui_fixtures/mod.rs"]
mod ui_fixtures;
use anyhow::Result;
use baton::core::snapshot::FleetSnapshot;
use baton::ui::{render, update, Mode, Msg, Theme, UiState};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use std::hint::black_box;
use std::time::{Duration, Instant};
use support::proc::{env_or, machine};
use support::stats::{ms, Summary};
use ui_fixtures::{self as fixtures, T0};

mod support;

/// Untimed draws before each case (caches, allocator).
const WARMUP: usize = 50;

fn main() -> Result<()> {
    let roles = usize::try_from(env_or("BATON_BENCH_ROLES", 1000))?;
    let iters = usize::try_from(env_or("BATON_BENCH_ITERS", 2000))?;
    let theme = Theme::builtin_default();
    let large = fixtures::large(roles);
    println!("render: one frame via Terminal::draw(ui::render) into a TestBackend, {iters} iterations per case");
    println!("  machine: {}", machine());
    println!(
        "  {:<34} {:>9} {:>9} {:>9} {:>9}",
        "case", "mean ms", "p50 ms", "p99 ms", "max ms"
    );
    let cases: [(&str, Mode, &FleetSnapshot, (u16, u16)); 6] = [
        (
            "operator 200x60, {n} roles",
            Mode::Operator,
            &large,
            (200, 60),
        ),
        ("wall     200x60, {n} roles", Mode::Wall, &large, (200, 60)),
        (
            "operator  80x24, {n} roles",
            Mode::Operator,
            &large,
            (80, 24),
        ),
        ("wall      80x24, {n} roles", Mode::Wall, &large, (80, 24)),
        (
            "operator 200x60, contoso (4)",
            Mode::Operator,
            &fixtures::healthy(),
            (200, 60),
        ),
        (
            "wall     200x60, contoso (4)",
            Mode::Wall,
            &fixtures::healthy(),
            (200, 60),
        ),
    ];
    for (label, mode, snapshot, size) in cases {
        let s = draw_case(mode, snapshot, size, &theme, iters)?;
        row(&label.replace("{n}", &roles.to_string()), &s);
    }
    let s = update_case(&large, iters);
    row(&format!("ui::update(Snapshot), {roles} roles"), &s);
    println!("  target: < 10 ms per frame");
    Ok(())
}

fn row(label: &str, s: &Summary) {
    println!(
        "  {label:<34} {:>9} {:>9} {:>9} {:>9}",
        ms(s.mean),
        ms(s.p50),
        ms(s.p99),
        ms(s.max)
    );
}

/// A cockpit in `mode` at `size` showing `snapshot` (plus the fixture events), ticked at T0.
fn state(mode: Mode, snapshot: &FleetSnapshot, size: (u16, u16)) -> UiState {
    let mut st = fixtures::state(mode, vec![snapshot.clone()]);
    update(&mut st, Msg::Resize(size.0, size.1));
    st
}

fn draw_case(
    mode: Mode,
    snapshot: &FleetSnapshot,
    size: (u16, u16),
    theme: &Theme,
    iters: usize,
) -> Result<Summary> {
    let mut st = state(mode, snapshot, size);
    let mut term = Terminal::new(TestBackend::new(size.0, size.1))?;
    let mut samples = Vec::with_capacity(iters);
    for i in 0..WARMUP + iters {
        update(&mut st, Msg::Tick(T0 + Duration::from_secs(i as u64)));
        let t = Instant::now();
        term.draw(|frame| render(frame, &st, theme))?;
        let took = t.elapsed();
        st.mark_drawn();
        if i >= WARMUP {
            samples.push(took);
        }
    }
    black_box(term.backend().buffer());
    Ok(Summary::of(&samples))
}

/// `ui::update` applying a fresh snapshot of the same fleet (cloned outside the timing).
fn update_case(snapshot: &FleetSnapshot, iters: usize) -> Summary {
    let mut st = state(Mode::Operator, snapshot, (200, 60));
    let mut samples = Vec::with_capacity(iters);
    for i in 0..WARMUP + iters {
        let next = snapshot.clone();
        let t = Instant::now();
        let effects = update(&mut st, Msg::Snapshot(next));
        let took = t.elapsed();
        black_box(effects);
        if i >= WARMUP {
            samples.push(took);
        }
    }
    Summary::of(&samples)
}
