//! The whole cockpit pipeline at fleet scale: 1,000 roles / 2,000 VMs in 10 resource groups
//! (one load balancer per group, 100 NAT rules each) served by `baton emulator` in a child
//! process; `engine::start` in this process (inventory every 15 s, 2 probes per VM every 1 s,
//! leader derivation); and a consumer that, like the cockpit's event loop, feeds every snapshot,
//! engine event and 1 s tick through `ui::update` and draws each change with `ui::render` into a
//! 200x60 ratatui `TestBackend`.
//!
//! After a warm-up (until every role is HEALTHY) it measures ~30 s: CPU of this process as a
//! share of one core, peak RSS (VmHWM), snapshots and frames per second, and ARM requests per
//! inventory refresh from both the snapshots and the emulator's request log. The run fails
//! (non-zero exit) unless all roles are HEALTHY at the end, the inventory is fresh and nothing
//! was throttled: numbers of a broken run are worthless. Targets: < 15% of one
//! core and < 100 MB.
//!
//! Knobs: `BATON_BENCH_ROLES` (default 1000), `BATON_BENCH_GROUPS` (10), `BATON_BENCH_SECS`
//! (30), `BATON_BENCH_PAGE` (list page size, 50), `BATON_BENCH_UI=0` (receive and clone each
//! snapshot but skip `update` and `render`, to split the engine's cost from the UI's).
//! Run: `cargo bench --bench fleet` (builds `target/release/baton` for the child first).
// A bench prints its own measurements: the terminal rule of the library is not its.
#![allow(clippy::disallowed_macros, clippy::disallowed_methods)]

use anyhow::{anyhow, bail, Context, Result};
use baton::config::Config;
use baton::core::leader::LeaderState;
use baton::core::model::ProbeStatus;
use baton::core::snapshot::FleetSnapshot;
use baton::engine::{self, EngineSetup};
use baton::setup;
use baton::ui::state::state_index;
use baton::ui::{render, update, Keymap, Mode, Msg, Theme, UiState};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::child::EmulatorChild;
use support::proc::{cpu_seconds, cpu_seconds_of, env_or, machine, share, status_mb, status_mb_of};
use support::world::{cost, WorldSpec, FORMULA};
use time::OffsetDateTime;
use tokio::sync::{oneshot, watch};

mod support;

/// Longest wait for every role to become HEALTHY before measuring.
const WARMUP_LIMIT: Duration = Duration::from_secs(120);
/// Extra settling time once healthy (connection pools, first derived snapshots).
const SETTLE: Duration = Duration::from_secs(3);
/// The cockpit's screen in this bench.
const SCREEN: (u16, u16) = (200, 60);
/// Requests of the emulator's log further apart than this belong to different refreshes.
const REFRESH_GAP_MS: u64 = 5_000;

fn main() -> Result<()> {
    let world = WorldSpec {
        roles: usize::try_from(env_or("BATON_BENCH_ROLES", 1000))?,
        groups: usize::try_from(env_or("BATON_BENCH_GROUPS", 10))?,
        page_size: usize::try_from(env_or("BATON_BENCH_PAGE", 50))?,
    };
    let secs = env_or("BATON_BENCH_SECS", 30);
    let expected = cost(&world.scenario()?);
    let dir = tempfile::tempdir()?;
    let emu = EmulatorChild::start(dir.path(), &world.toml(), 1.0)?;
    let config = baton::config::parse_str(&emu.config_text, &dir.path().join("baton.toml"))
        .map_err(|e| anyhow!("the emulator's config is invalid:\n{e}"))?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let report = rt.block_on(run(&config, &emu, Duration::from_secs(secs)))?;
    let vm_hwm = status_mb("VmHWM");
    print_report(&world, secs, &report, vm_hwm, expected.paged);
    report.verdict(world.roles)
}

/// Counters the consumer keeps while it runs.
#[derive(Default)]
struct Counters {
    snapshots: AtomicU64,
    frames: AtomicU64,
    draw_nanos: AtomicU64,
    /// `(fetched_at, arm_requests)` of every distinct refresh seen.
    refreshes: Mutex<Vec<(OffsetDateTime, usize)>>,
    /// Per budget that set the pace, the highest share of it seen used (percent), and the
    /// longest stretched interval with its header text.
    paces: Mutex<Paces>,
}

/// What the consumer saw last.
struct UiEnd {
    /// Roles the UI counts as HEALTHY; `None` when the UI was skipped (`BATON_BENCH_UI=0`).
    healthy_in_ui: Option<usize>,
}

struct Report {
    cpu_share: f64,
    emulator_cpu_share: f64,
    emulator_hwm: f64,
    wall: f64,
    snapshots_per_s: f64,
    frames_per_s: f64,
    draw_ms_mean: f64,
    refreshes_in_window: usize,
    snapshot_requests: Vec<usize>,
    log_requests: Vec<usize>,
    throttled: usize,
    paces: Paces,
    non_ok: usize,
    healthy: usize,
    healthy_in_ui: Option<usize>,
    not_healthy: Vec<String>,
    last_error: Option<String>,
}

async fn run(config: &Config, emu: &EmulatorChild, window: Duration) -> Result<Report> {
    let mut handle = engine::start(EngineSetup {
        roles: config.role_specs(),
        reader: setup::read_client(config)?,
        probes: setup::probe_specs(config),
        schedule: setup::schedule(config),
        refresh_interval: config.azure.refresh_interval,
        budget_share: f64::from(config.azure.budget_share_percent) / 100.0,
        chaos: None,
        ops: None,
    });
    let events = handle
        .take_events()
        .ok_or_else(|| anyhow!("engine events already taken"))?;
    let counters = Arc::new(Counters::default());
    let (stop, stopped) = oneshot::channel();
    let consumer = tokio::spawn(consume(
        handle.snapshots(),
        events,
        Arc::clone(&counters),
        stopped,
    ));
    let mut rx = handle.snapshots();
    let roles = config.roles.len();
    wait_all_healthy(&mut rx, roles).await?;
    tokio::time::sleep(SETTLE).await;

    let pid = emu.pid();
    let refreshes0 = counters.refreshes.lock().map_or(0, |r| r.len());
    let (snaps0, frames0, draw0) = (
        counters.snapshots.load(Ordering::Relaxed),
        counters.frames.load(Ordering::Relaxed),
        counters.draw_nanos.load(Ordering::Relaxed),
    );
    let (cpu0, emu0, wall0) = (cpu_seconds()?, cpu_seconds_of(&pid)?, Instant::now());
    tokio::time::sleep(window).await;
    let (cpu1, emu1, wall) = (
        cpu_seconds()?,
        cpu_seconds_of(&pid)?,
        wall0.elapsed().as_secs_f64(),
    );
    let snaps = counters.snapshots.load(Ordering::Relaxed) - snaps0;
    let frames = counters.frames.load(Ordering::Relaxed) - frames0;
    let draw = counters.draw_nanos.load(Ordering::Relaxed) - draw0;

    let last = rx.borrow_and_update().clone();
    let _ = stop.send(());
    let ui_end = consumer.await??;
    handle.shutdown().await;
    let log = emulator_log(&emu.base_url).await?;
    let refreshes = counters
        .refreshes
        .lock()
        .map_err(|_| anyhow!("poisoned"))?
        .clone();
    let not_healthy: Vec<String> = last
        .roles
        .iter()
        .filter(|r| r.state != LeaderState::Healthy)
        .map(|r| format!("{} {}", r.role, r.state.as_str()))
        .collect();
    Ok(Report {
        cpu_share: share(cpu0, cpu1, wall),
        emulator_cpu_share: share(emu0, emu1, wall),
        emulator_hwm: status_mb_of(&pid, "VmHWM"),
        wall,
        snapshots_per_s: snaps as f64 / wall,
        frames_per_s: frames as f64 / wall,
        draw_ms_mean: if frames > 0 {
            draw as f64 / frames as f64 / 1e6
        } else {
            0.0
        },
        refreshes_in_window: refreshes.len().saturating_sub(refreshes0),
        snapshot_requests: refreshes.iter().map(|r| r.1).collect(),
        log_requests: split_refreshes(&log),
        throttled: log.iter().filter(|e| e.status == 429).count(),
        paces: counters.paces.lock().map(|p| p.clone()).unwrap_or_default(),
        non_ok: log.iter().filter(|e| e.status != 200).count(),
        healthy: roles - not_healthy.len(),
        healthy_in_ui: ui_end.healthy_in_ui,
        not_healthy,
        last_error: last.inventory.last_error.clone(),
    })
}

/// Waits (bounded) until the inventory is in and every role is HEALTHY; prints progress.
async fn wait_all_healthy(rx: &mut watch::Receiver<FleetSnapshot>, roles: usize) -> Result<()> {
    let start = tokio::time::Instant::now();
    let deadline = start + WARMUP_LIMIT;
    let mut next_note = start + Duration::from_secs(10);
    loop {
        let (fetched, healthy) = {
            let s = rx.borrow_and_update();
            let healthy = s
                .roles
                .iter()
                .filter(|r| r.state == LeaderState::Healthy)
                .count();
            (s.inventory.fetched_at.is_some(), healthy)
        };
        if fetched && healthy == roles {
            eprintln!(
                "warm-up: all {roles} roles HEALTHY after {:.1} s",
                start.elapsed().as_secs_f64()
            );
            return Ok(());
        }
        let now = tokio::time::Instant::now();
        if now >= next_note {
            let secs = (now - start).as_secs_f64();
            let cpu = cpu_seconds().unwrap_or(0.0) / secs * 100.0;
            eprintln!(
                "warm-up: {healthy} / {roles} HEALTHY after {secs:.0} s (this process {cpu:.0}% of one core so far); {}",
                diagnose(&rx.borrow())
            );
            next_note = now + Duration::from_secs(10);
        }
        match tokio::time::timeout_at(deadline.min(next_note), rx.changed()).await {
            Ok(Ok(())) => {}
            Ok(Err(_)) => bail!("the engine stopped during warm-up"),
            Err(_) if tokio::time::Instant::now() >= deadline => {
                let s = rx.borrow();
                bail!(
                    "{healthy} of {roles} roles HEALTHY after {WARMUP_LIMIT:?} (inventory error: {:?}); {}",
                    s.inventory.last_error,
                    diagnose(&s)
                );
            }
            Err(_) => {}
        }
    }
}

/// Why roles are not HEALTHY: counts of states and of probe failure reasons.
fn diagnose(s: &FleetSnapshot) -> String {
    let mut states: BTreeMap<&str, usize> = BTreeMap::new();
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    for role in &s.roles {
        *states.entry(role.state.as_str()).or_default() += 1;
        for vm in role.vms.iter().filter(|v| v.is_master) {
            for p in [&vm.probes.vm, &vm.probes.service] {
                if let ProbeStatus::Down { reason } = p {
                    *reasons.entry(reason.clone()).or_default() += 1;
                }
            }
        }
    }
    format!("states {states:?}; master probe failures {reasons:?}")
}

/// The cockpit's event loop without keys and without a real terminal: every snapshot, event and
/// 1 s tick goes through `update`; a dirty state is drawn at 200x60.
async fn consume(
    mut snapshots: watch::Receiver<FleetSnapshot>,
    mut events: tokio::sync::mpsc::Receiver<baton::core::snapshot::EngineEvent>,
    counters: Arc<Counters>,
    mut stop: oneshot::Receiver<()>,
) -> Result<UiEnd> {
    let theme = Theme::builtin_default();
    let mut term = Terminal::new(TestBackend::new(SCREEN.0, SCREEN.1))?;
    let mut state = UiState::new(
        Mode::Operator,
        Keymap::default_for(Mode::Operator),
        "baton",
        "bench",
    );
    update(&mut state, Msg::Resize(SCREEN.0, SCREEN.1));
    update(&mut state, Msg::Tick(OffsetDateTime::now_utc()));
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut last_fetch = None;
    let ui = env_or("BATON_BENCH_UI", 1) != 0;
    loop {
        if ui && state.is_dirty() {
            let t = Instant::now();
            term.draw(|frame| render(frame, &state, &theme))?;
            let nanos = u64::try_from(t.elapsed().as_nanos()).unwrap_or(u64::MAX);
            counters.draw_nanos.fetch_add(nanos, Ordering::Relaxed);
            counters.frames.fetch_add(1, Ordering::Relaxed);
            state.mark_drawn();
        }
        let msg = tokio::select! {
            _ = &mut stop => break,
            changed = snapshots.changed() => match changed {
                Ok(()) => Msg::Snapshot(snapshots.borrow_and_update().clone()),
                Err(_) => break,
            },
            Some(event) = events.recv() => Msg::Event(event),
            _ = tick.tick() => Msg::Tick(OffsetDateTime::now_utc()),
        };
        if let Msg::Snapshot(s) = &msg {
            counters.snapshots.fetch_add(1, Ordering::Relaxed);
            let inv = &s.inventory;
            if inv.fetched_at.is_some() && inv.fetched_at != last_fetch {
                last_fetch = inv.fetched_at;
                if let (Some(at), Ok(mut seen)) = (inv.fetched_at, counters.refreshes.lock()) {
                    seen.push((at, inv.arm_requests));
                }
                if let (Some(pace), Ok(mut paces)) = (&inv.pace, counters.paces.lock()) {
                    record_pace(&mut paces, pace);
                }
            }
        }
        // Effects (a bell on a fall) have nowhere to go here; a healthy fleet makes none.
        if ui || !matches!(msg, Msg::Snapshot(_)) {
            let _ = update(&mut state, msg);
        }
    }
    Ok(UiEnd {
        healthy_in_ui: ui.then(|| state.counts()[state_index(LeaderState::Healthy)]),
    })
}

/// One entry of `GET /_emulator/requests`.
#[derive(serde::Deserialize)]
struct LogEntry {
    status: u16,
    at_ms: u64,
}

async fn emulator_log(base: &str) -> Result<Vec<LogEntry>> {
    let url = format!("{base}/_emulator/requests");
    let log = reqwest::get(&url)
        .await
        .with_context(|| format!("GET {url}"))?
        .error_for_status()?
        .json::<Vec<LogEntry>>()
        .await?;
    Ok(log)
}

/// ARM requests per refresh: the log split where requests are further apart than a refresh
/// could last.
fn split_refreshes(log: &[LogEntry]) -> Vec<usize> {
    let mut times: Vec<u64> = log.iter().map(|e| e.at_ms).collect();
    times.sort_unstable();
    let mut counts = Vec::new();
    let mut prev: Option<u64> = None;
    for t in times {
        match prev {
            Some(p) if t.saturating_sub(p) <= REFRESH_GAP_MS => {
                if let Some(c) = counts.last_mut() {
                    *c += 1;
                }
            }
            _ => counts.push(1),
        }
        prev = Some(t);
    }
    counts
}

/// Peak used percent per pacing budget; the longest stretched interval and its header text.
type Paces = (BTreeMap<String, u32>, Option<(Duration, String)>);

/// Keeps the highest used share per pacing budget and the longest stretched interval.
fn record_pace(paces: &mut Paces, pace: &baton::core::budget::Pace) {
    if let Some(baton::core::budget::StretchReason::Budget { name, used_percent }) = &pace.reason {
        let peak = paces.0.entry(name.to_string()).or_default();
        *peak = (*peak).max(*used_percent);
    }
    if paces
        .1
        .as_ref()
        .map_or(true, |(longest, _)| pace.interval > *longest)
    {
        paces.1 = Some((pace.interval, pace.to_string()));
    }
}

fn print_report(world: &WorldSpec, secs: u64, r: &Report, vm_hwm: f64, expected: usize) {
    println!(
        "fleet: {} roles / {} VMs in {} resource groups, 2 probes per VM @ 1 s, inventory @ 15 s,",
        world.roles,
        world.roles * 2,
        world.groups
    );
    println!(
        "       UI update + render at {}x{} on every change; measured {secs} s after warm-up",
        SCREEN.0, SCREEN.1
    );
    println!("  machine                    {}", machine());
    println!(
        "  CPU (engine + UI process)  {:>8.1} % of one core   (target < 15%)",
        r.cpu_share * 100.0
    );
    println!("  peak RSS (VmHWM)           {vm_hwm:>8.1} MB            (target < 100 MB)");
    println!("  snapshots                  {:>8.1} /s", r.snapshots_per_s);
    println!("  frames drawn               {:>8.1} /s", r.frames_per_s);
    println!(
        "  draw (update excluded)     {:>8.3} ms mean",
        r.draw_ms_mean
    );
    println!(
        "  refreshes in window        {:>8} (in {:.1} s)",
        r.refreshes_in_window, r.wall
    );
    if r.refreshes_in_window > 1 {
        println!(
            "  effective refresh interval {:>8.1} s (mean gap in the window; configured 15 s)",
            r.wall / r.refreshes_in_window as f64
        );
    }
    println!(
        "  longest paced interval     {}",
        r.paces
            .1
            .as_ref()
            .map_or("never stretched".to_string(), |(_, text)| text.clone())
    );
    println!(
        "  peak share used (pacing)   {:?} (percent of each budget that set the pace, seen at a refresh)",
        r.paces.0
    );
    println!(
        "  ARM requests per refresh   {:?} (snapshot arm_requests), {:?} (emulator log); expected {expected}",
        r.snapshot_requests, r.log_requests
    );
    println!("                             {FORMULA}");
    println!(
        "  ARM answers not 200        {:>8} ({} throttled)",
        r.non_ok, r.throttled
    );
    println!(
        "  roles HEALTHY at end       {:>8} / {} (UI counts {:?})",
        r.healthy, world.roles, r.healthy_in_ui
    );
    println!(
        "  emulator child (not counted) {:>6.1} % of one core, peak RSS {:.1} MB",
        r.emulator_cpu_share * 100.0,
        r.emulator_hwm
    );
}

impl Report {
    /// Fails loudly when the measured run was not a healthy fleet.
    fn verdict(&self, roles: usize) -> Result<()> {
        let mut problems = Vec::new();
        if self.healthy != roles || self.healthy_in_ui.is_some_and(|n| n != roles) {
            let some: Vec<&str> = self
                .not_healthy
                .iter()
                .take(5)
                .map(String::as_str)
                .collect();
            problems.push(format!(
                "{} of {roles} roles HEALTHY ({:?} in the UI); e.g. {}",
                self.healthy,
                self.healthy_in_ui,
                some.join(", ")
            ));
        }
        if let Some(e) = &self.last_error {
            problems.push(format!("the last inventory refresh failed: {e}"));
        }
        if self.non_ok > 0 {
            problems.push(format!(
                "{} ARM answers were not 200 ({} throttled)",
                self.non_ok, self.throttled
            ));
        }
        if self.refreshes_in_window == 0 {
            problems.push("no inventory refresh happened in the measured window".into());
        }
        if problems.is_empty() {
            Ok(())
        } else {
            bail!(
                "BROKEN RUN, numbers above are not valid:\n  {}",
                problems.join("\n  ")
            )
        }
    }
}
