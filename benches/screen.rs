//! Two screen targets, measured on the real pipeline (emulator → engine → `update`
//! → `render` → ratatui's diff → crossterm bytes), without a tty:
//!
//! 1. **First frame of the demo** (< 300 ms after the emulator is up): the contoso emulator is
//!    started in-process, then the engine and the UI state exactly as `cockpit::run` builds
//!    them. Timed from the emulator being up to (a) the first frame drawn, (b) the first frame
//!    that lists every role with its master (first inventory), (c) the first frame where every
//!    role is HEALTHY (heartbeats in). Repeated `BATON_BENCH_REPS` times (default 10).
//! 2. **Idle wall display writes only changed cells**: `--wall` on the contoso world at
//!    120x40 for `BATON_BENCH_WALL_SECS` seconds (default 30) of real time, nothing
//!    happening: every draw goes through `CrosstermBackend` into a byte counter, and the cells
//!    ratatui sends are counted (`Buffer::diff`) against the whole screen. A redraw of an
//!    unchanged state is also checked to send nothing.
//!
//! Run: `cargo bench --bench screen`.
// A bench prints its own measurements: the terminal rule of the library is not its.
#![allow(clippy::disallowed_macros, clippy::disallowed_methods)]

use anyhow::{Context, Result};
use baton::config;
use baton::core::leader::LeaderState;
use baton::core::snapshot::FleetSnapshot;
use baton::emulator::{self, EmulatorOptions, Scenario};
use baton::engine::{self, EngineSetup};
use baton::setup;
use baton::ui::{render, update, Keymap, Mode, Msg, Theme, UiState};
use ratatui::backend::{CrosstermBackend, TestBackend};
use ratatui::buffer::Buffer;
use ratatui::Terminal;
use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::proc::{env_or, machine};
use support::stats::{ms, Summary};
use time::OffsetDateTime;

mod support;

fn main() -> Result<()> {
    let rt = tokio::runtime::Runtime::new()?;
    println!("screen: demo first frame and idle wall output");
    println!("  machine: {}", machine());
    rt.block_on(first_frames(env_or("BATON_BENCH_REPS", 10) as usize))?;
    rt.block_on(idle_wall(env_or("BATON_BENCH_WALL_SECS", 30)))?;
    Ok(())
}

async fn first_frames(reps: usize) -> Result<()> {
    let (mut drawn, mut listed, mut healthy) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..reps {
        let (a, b, c) = one_demo_start().await?;
        drawn.push(a);
        listed.push(b);
        healthy.push(c);
    }
    println!("  demo start, {reps} runs, from the emulator being up to:");
    println!(
        "    {:<38} {:>9} {:>9} {:>9}",
        "", "p50 ms", "max ms", "mean ms"
    );
    for (what, samples) in [
        ("first frame drawn", &drawn),
        ("every role listed with its master", &listed),
        ("every role HEALTHY (heartbeats in)", &healthy),
    ] {
        let s = Summary::of(samples);
        println!(
            "    {what:<38} {:>9} {:>9} {:>9}",
            ms(s.p50),
            ms(s.max),
            ms(s.mean)
        );
    }
    Ok(())
}

/// One demo start; returns the three times.
async fn one_demo_start() -> Result<(Duration, Duration, Duration)> {
    let emu = emulator::start(EmulatorOptions {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        scenario: Scenario::contoso(),
        speed: 1.0,
    })
    .await
    .context("emulator")?;
    let up = Instant::now();
    let config = config::parse_str(&emu.baton_config_toml(), Path::new("<demo>"))
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let handle = engine::start(EngineSetup {
        roles: config.role_specs(),
        reader: setup::read_client(&config)?,
        probes: setup::probe_specs(&config),
        schedule: setup::schedule(&config),
        refresh_interval: Duration::from_secs(5),
        budget_share: 0.5,
        chaos: None,
        ops: None,
    });
    let theme = Theme::builtin_default();
    let mut state = UiState::new(Mode::Demo, Keymap::default_for(Mode::Demo), "baton", "demo");
    let mut term = Terminal::new(TestBackend::new(80, 24))?;
    update(&mut state, Msg::Resize(80, 24));
    update(&mut state, Msg::Tick(OffsetDateTime::now_utc()));
    let mut snapshots = handle.snapshots();
    let first = snapshots.borrow_and_update().clone();
    update(&mut state, Msg::Snapshot(first));
    term.draw(|f| render(f, &state, &theme))?;
    let drawn = up.elapsed();
    let mut listed = None;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let healthy = loop {
        tokio::time::timeout_at(deadline, snapshots.changed())
            .await
            .context("no healthy fleet within 30 s")??;
        let snap = snapshots.borrow_and_update().clone();
        let (all_listed, all_healthy) = judge(&snap);
        update(&mut state, Msg::Snapshot(snap));
        term.draw(|f| render(f, &state, &theme))?;
        if all_listed && listed.is_none() {
            listed = Some(up.elapsed());
        }
        if all_healthy {
            break up.elapsed();
        }
    };
    handle.shutdown().await;
    emu.shutdown().await;
    Ok((drawn, listed.unwrap_or(healthy), healthy))
}

fn judge(snap: &FleetSnapshot) -> (bool, bool) {
    let listed = snap.roles.len() == 4 && snap.roles.iter().all(|r| r.master.is_some());
    let healthy = listed && snap.roles.iter().all(|r| r.state == LeaderState::Healthy);
    (listed, healthy)
}

/// A writer that only counts.
#[derive(Clone, Default)]
struct Counter(Arc<AtomicUsize>);

impl Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.fetch_add(buf.len(), Ordering::Relaxed);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

async fn idle_wall(secs: u64) -> Result<()> {
    let (w, h) = (120u16, 40u16);
    let emu = emulator::start(EmulatorOptions {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        scenario: Scenario::contoso(),
        speed: 1.0,
    })
    .await
    .context("emulator")?;
    let config = config::parse_str(&emu.baton_config_toml(), Path::new("<wall>"))
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let handle = engine::start(EngineSetup {
        roles: config.role_specs(),
        reader: setup::read_client(&config)?,
        probes: setup::probe_specs(&config),
        schedule: setup::schedule(&config),
        refresh_interval: config.azure.refresh_interval,
        budget_share: 0.5,
        chaos: None,
        ops: None,
    });
    let theme = Theme::builtin_default();
    let mut state = UiState::new(Mode::Wall, Keymap::default_for(Mode::Wall), "baton", "wall");
    update(&mut state, Msg::Resize(w, h));
    let counter = Counter::default();
    let mut term = Terminal::new(CrosstermBackend::new(counter.clone()))?;
    let mut snapshots = handle.snapshots();
    // Settle: wait until the fleet is healthy, then measure a quiet period.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        tokio::time::timeout_at(deadline, snapshots.changed())
            .await
            .context("no healthy fleet within 30 s")??;
        let snap = snapshots.borrow_and_update().clone();
        let healthy = judge(&snap).1;
        update(&mut state, Msg::Snapshot(snap));
        if healthy {
            break;
        }
    }
    update(&mut state, Msg::Tick(OffsetDateTime::now_utc()));
    term.draw(|f| render(f, &state, &theme))?;
    let mut prev = term.current_buffer_mut().clone();
    let start_bytes = counter.0.load(Ordering::Relaxed);
    let (mut draws, mut cells, mut worst) = (0usize, 0usize, 0usize);
    let end = tokio::time::Instant::now() + Duration::from_secs(secs);
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let started = Instant::now();
    while tokio::time::Instant::now() < end {
        let msg = tokio::select! {
            _ = snapshots.changed() => Msg::Snapshot(snapshots.borrow_and_update().clone()),
            _ = tick.tick() => Msg::Tick(OffsetDateTime::now_utc()),
        };
        update(&mut state, msg);
        if state.is_dirty() {
            let frame = term.draw(|f| render(f, &state, &theme))?;
            let now: Buffer = frame.buffer.clone();
            let changed = prev.diff(&now).len();
            cells += changed;
            worst = worst.max(changed);
            draws += 1;
            prev = now;
            state.mark_drawn();
        }
    }
    let wall = started.elapsed().as_secs_f64();
    let bytes = counter.0.load(Ordering::Relaxed) - start_bytes;
    // The same state drawn again must send nothing.
    let before = counter.0.load(Ordering::Relaxed);
    term.draw(|f| render(f, &state, &theme))?;
    let redraw = counter.0.load(Ordering::Relaxed) - before;
    let screen = usize::from(w) * usize::from(h);
    println!("  idle wall {w}x{h} ({screen} cells), {wall:.0} s of real time, contoso, healthy:");
    println!(
        "    draws {draws} ({:.2}/s) · cells sent {cells} ({:.1} per draw, worst {worst}, {:.2}% of the screen per draw)",
        draws as f64 / wall,
        cells as f64 / draws.max(1) as f64,
        100.0 * cells as f64 / (draws.max(1) * screen) as f64
    );
    println!(
        "    bytes written {bytes} ({:.0} B/s) · redraw of an unchanged state: {redraw} bytes",
        bytes as f64 / wall
    );
    handle.shutdown().await;
    emu.shutdown().await;
    Ok(())
}
