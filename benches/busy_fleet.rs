//! A switchover while a large fleet's inventory refreshes: does the cockpit's periodic read
//! cost the operation its read budget, or time?
//!
//! A generated world (default 1,000 roles / 2,000 VMs in 10 resource groups, page size 50)
//! with every latency pinned at 2 emulated seconds, at speed 1, in process. Two switchovers of
//! `role-0000` (`-a` → `-b`) from a reset world: one on an idle fleet, one while an engine
//! refreshes the whole fleet's inventory at the configured 15 s, paced by the read budgets and
//! slowed by the running operation as the cockpit does. Both runs have the same floor (the
//! same pinned steps), so the difference of their walls is the refresh's cost to the
//! operation. The engine probes only the switched role's two VMs: 4,000 probe answers a second
//! from the in-process emulator would measure the machine's two cores, not the read budgets.
//! Reports the 429s answered during each switchover (the switchover's own, and any), and the
//! refreshes the engine made meanwhile. Goals: zero 429s on the switchover's requests, and
//! busy − idle within ±0.2 s.
//!
//! Knobs: `BATON_BENCH_ROLES` (default 1000). Run: `cargo bench --bench busy_fleet`.
// A bench prints its own measurements: the terminal rule of the library is not its.
#![allow(clippy::disallowed_macros, clippy::disallowed_methods)]

use anyhow::{anyhow, bail, Context, Result};
use baton::config::{self, Config};
use baton::core::operation::{OpEvent, Outcome};
use baton::core::plan::OperationKind;
use baton::emulator::{self, EmulatorHandle, EmulatorOptions, Range, Scenario};
use baton::engine::{self, EngineHandle, EngineSetup};
use baton::failover::{Executor, ExecutorOptions, Operator, Request, RunEnd, StateDir};
use baton::setup;
use serde_json::Value;
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};

mod support;

use support::world::WorldSpec;

const ROLE: &str = "role-0000";
/// Every pinned latency, emulated seconds (speed 1: real seconds too).
const PIN: f64 = 2.0;
/// The cockpit's default refresh interval.
const REFRESH: Duration = Duration::from_secs(15);

fn main() -> ExitCode {
    support::emulator_api::run_bench("busy fleet", bench())
}

async fn bench() -> Result<()> {
    let roles: usize = match std::env::var("BATON_BENCH_ROLES") {
        Ok(r) => r.parse().context("BATON_BENCH_ROLES")?,
        Err(_) => 1000,
    };
    let world = WorldSpec {
        roles,
        groups: 10,
        page_size: 50,
    };
    let emu = emulator::start(EmulatorOptions {
        listen: ([127, 0, 0, 1], 0).into(),
        scenario: pinned(world.scenario()?),
        speed: 1.0,
    })
    .await
    .context("emulator")?;
    let config = config::parse_str(&emu.baton_config_toml(), Path::new("emulator.toml"))
        .map_err(|e| anyhow!("config: {e:?}"))?;

    let idle = switchover(&emu, &config).await?;
    eprintln!(
        "idle fleet: {:.2} s, {} x 429",
        idle.wall, idle.throttled_any
    );

    control(&emu, "reset").await?;
    let mut engine = fleet_engine(&config)?;
    if let Some(mut events) = engine.take_events() {
        tokio::spawn(async move { while events.recv().await.is_some() {} });
    }
    let mut snapshots = engine.snapshots();
    tokio::time::timeout(
        Duration::from_secs(120),
        snapshots.wait_for(|s| s.inventory.fetched_at.is_some()),
    )
    .await
    .context("the fleet's first refresh")??;
    let busy = switchover(&emu, &config).await?;
    let refreshes = busy.refreshes;
    eprintln!(
        "busy fleet: {:.2} s, {} x 429",
        busy.wall, busy.throttled_any
    );
    let pace = snapshots.borrow().inventory.pace.clone();
    engine.shutdown().await;
    emu.shutdown().await;

    println!("== switchover {ROLE} -a → -b at speed 1, {roles} roles / {} VMs, latencies pinned at {PIN} s", 2 * roles);
    println!(
        "  idle fleet   {:.2} s   429s: switchover {}, any {}",
        idle.wall, idle.throttled_own, idle.throttled_any
    );
    println!(
        "  busy fleet   {:.2} s   429s: switchover {}, any {}; other requests meanwhile (group lists: the fleet's refreshes and the switchover's own) {refreshes}; pace at the end {}",
        busy.wall,
        busy.throttled_own,
        busy.throttled_any,
        pace.map_or_else(|| format!("{}s (configured)", REFRESH.as_secs()), |p| p.to_string())
    );
    let diff = busy.wall - idle.wall;
    let zero = if busy.throttled_any == 0 {
        "met"
    } else {
        "MISSED"
    };
    let same = if diff.abs() <= 0.2 { "met" } else { "MISSED" };
    println!("  zero 429s during the switchover (any request): {zero}; busy − idle = {diff:+.2} s, goal ±0.2 s: {same}");
    Ok(())
}

fn pinned(mut s: Scenario) -> Scenario {
    let l = &mut s.latencies;
    let fixed = Range::new(PIN, PIN);
    l.nic_update = fixed;
    l.disk_detach = fixed;
    l.disk_attach = fixed;
    l.release_lag = fixed;
    l.vm_update = fixed;
    l.run_command = fixed;
    l.power_off = fixed;
    s
}

/// The cockpit's engine over every role of the world, probing only the switched role's VMs.
fn fleet_engine(config: &Config) -> Result<EngineHandle> {
    let prefix = format!("{ROLE}-");
    let probes = setup::probe_specs(config)
        .into_iter()
        .filter(|p| p.vm.starts_with(&prefix))
        .collect();
    Ok(engine::start_with(
        EngineSetup {
            roles: config.role_specs(),
            reader: setup::read_client(config)?,
            probes,
            schedule: setup::schedule(config),
            refresh_interval: REFRESH,
            budget_share: 0.5,
            chaos: None,
            ops: None,
        },
        None,
    ))
}

/// One switchover's wall time and what the emulator answered meanwhile.
struct Run {
    wall: f64,
    /// 429s answered to the switchover's own requests (paths naming the role's resources, or
    /// the status polls of its operations).
    throttled_own: usize,
    /// 429s answered to anyone.
    throttled_any: usize,
    /// Requests in the same window that name no resource of the role: list reads, the fleet's
    /// refreshes and the switchover's own views of its group.
    refreshes: usize,
}

async fn switchover(emu: &EmulatorHandle, config: &Config) -> Result<Run> {
    let role = config
        .role(ROLE)
        .ok_or_else(|| anyhow!("no role {ROLE}"))?
        .clone();
    let (tx, rx) = mpsc::channel(256);
    tokio::spawn(drain(rx));
    let tmp = tempfile::tempdir()?;
    let exec = Executor::new(
        setup::arm_client(config)?,
        role,
        StateDir::new(tmp.path()),
        Operator::named("bench", "bench"),
        ExecutorOptions::from_config(config),
        tx,
    );
    let req = Request::new(OperationKind::Switchover);
    let plan = exec.plan(&req).await?;
    let want = format!("{ROLE}-b");
    if !plan.can_confirm() || plan.to.as_deref() != Some(want.as_str()) {
        bail!("plan to {:?}, blockers {:?}", plan.to, plan.blockers);
    }
    let (_abort_tx, abort) = watch::channel(false);
    let before = request_log(emu).await?.len();
    let started = Instant::now();
    let report = exec.run(&req, &plan, "--yes", abort).await?;
    let wall = started.elapsed().as_secs_f64();
    if report.end != RunEnd::Finished(Outcome::Succeeded) {
        bail!("run ended {:?}", report.end);
    }
    let log = request_log(emu).await?;
    let window = log.get(before..).unwrap_or_default();
    let own = |r: &&Value| {
        r["path"]
            .as_str()
            .is_some_and(|p| p.contains(ROLE) || p.contains("/operations/"))
    };
    let throttled = |r: &&Value| r["status"].as_u64() == Some(429);
    Ok(Run {
        wall,
        throttled_own: window.iter().filter(own).filter(throttled).count(),
        throttled_any: window.iter().filter(throttled).count(),
        refreshes: window.iter().filter(|r| !own(r)).count(),
    })
}

async fn request_log(emu: &EmulatorHandle) -> Result<Vec<Value>> {
    support::emulator_api::request_log(&reqwest::Client::new(), emu.base_url()).await
}

async fn control(emu: &EmulatorHandle, path: &str) -> Result<()> {
    support::emulator_api::control(&reqwest::Client::new(), emu.base_url(), path, None).await?;
    Ok(())
}

async fn drain(mut rx: mpsc::Receiver<OpEvent>) {
    while rx.recv().await.is_some() {}
}
