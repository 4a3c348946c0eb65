//! Failover wall time against the emulator's critical-path floor. Target (issue): overhead
//! ≤ 1 s, where overhead = wall time from confirm to `Finished` − the floor, and the floor is the
//! sum of the emulated latencies along the steps that did work (the concurrent isolate ∥ detach
//! pair counted once, as the longer of the two) plus the verify wait.
//!
//! In-process emulator, contoso world, every latency range pinned (min = max) so the floor is
//! exact. Baton as it ships: default `ArmClient` retry and poll policies, `ExecutorOptions::
//! from_config` of the emulator's generated config (heartbeat 1 s, 3 healthy probes). Each
//! repetition resets the world, then runs (1) a planned switchover web-a → web-b and (2) an
//! unplanned failover back to web-a after killing web-b's service. A run that does not end
//! `Succeeded`, or leaves web's disk, NAT rule or service anywhere but on the new master (read
//! from `/_emulator/state`), makes the bench exit non-zero. Owns only measuring and printing.
//!
//! Knobs: `BATON_BENCH_SPEEDS` (comma list, default `10`), `BATON_BENCH_REPS` (default 5),
//! `BATON_BENCH_SHIFT` (emulated seconds added to every pinned latency, default 0: moves the
//! operations' ends off baton's poll grid to show the worst case rather than a lucky one).
//! The ARM requests of each run are counted from the emulator's request log.
//! `BATON_BENCH_ORDERS=N` runs the old-vs-new order comparison instead (old order vs new, hung master,
//! service dead, probed backend pool; see `failover/orders.rs`) N times at
//! `BATON_BENCH_ORDER_SPEED` (default 1).
//! Run: `cargo bench --bench failover`. See docs/failover-benchmark.md.
// A bench prints its own measurements: the terminal rule of the library is not its.
#![allow(clippy::disallowed_macros, clippy::disallowed_methods)]

#[path = "failover/orders.rs"]
mod orders;

use anyhow::{anyhow, bail, Context, Result};
use baton::azure::{create_credential, ArmClient, ArmTarget, CredentialChoice};
use baton::config::{self, Config};
use baton::core::operation::{OpEvent, Operation, Outcome, StepState};
use baton::core::plan::{OperationKind, StepKind};
use baton::emulator::{self, EmulatorHandle, EmulatorOptions, Range, Scenario};
use baton::failover::{Executor, ExecutorOptions, Operator, Request, RunEnd, StateDir};
use serde_json::Value;
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};

mod support;

const ROLE: &str = "web";

/// Pinned latencies in emulated seconds: the middle of each contoso range (plus the shift).
#[derive(Clone, Copy)]
struct Pinned {
    nic_update: f64,
    disk_detach: f64,
    disk_attach: f64,
    release_lag: f64,
    vm_update: f64,
    run_command: f64,
    power_off: f64,
}

impl Pinned {
    fn shifted(shift: f64) -> Pinned {
        Pinned {
            nic_update: 7.5 + shift,
            disk_detach: 12.5 + shift,
            disk_attach: 12.5 + shift,
            release_lag: 3.5 + shift,
            vm_update: 3.0 + shift,
            run_command: 22.5 + shift,
            power_off: 20.0 + shift,
        }
    }
}

fn main() -> ExitCode {
    support::emulator_api::run_bench("failover", bench())
}

fn knobs() -> Result<(Vec<f64>, usize, f64)> {
    let speeds = std::env::var("BATON_BENCH_SPEEDS").unwrap_or_else(|_| "10".into());
    let speeds = speeds
        .split(',')
        .map(|s| s.trim().parse::<f64>().context("BATON_BENCH_SPEEDS"))
        .collect::<Result<Vec<_>>>()?;
    let reps = match std::env::var("BATON_BENCH_REPS") {
        Ok(r) => r.parse().context("BATON_BENCH_REPS")?,
        Err(_) => 5,
    };
    let shift = match std::env::var("BATON_BENCH_SHIFT") {
        Ok(s) => s.parse().context("BATON_BENCH_SHIFT")?,
        Err(_) => 0.0,
    };
    Ok((speeds, reps, shift))
}

/// `BATON_BENCH_ORDERS` (repetitions of the old-vs-new order comparison, default 0: not run)
/// and `BATON_BENCH_ORDER_SPEED` (default 1: Azure speed).
fn order_knobs() -> Result<(usize, f64)> {
    let reps = match std::env::var("BATON_BENCH_ORDERS") {
        Ok(r) => r.parse().context("BATON_BENCH_ORDERS")?,
        Err(_) => 0,
    };
    let speed = match std::env::var("BATON_BENCH_ORDER_SPEED") {
        Ok(s) => s.parse().context("BATON_BENCH_ORDER_SPEED")?,
        Err(_) => 1.0,
    };
    Ok((reps, speed))
}

async fn bench() -> Result<()> {
    let (speeds, reps, shift) = knobs()?;
    let pinned = Pinned::shifted(shift);
    if shift != 0.0 {
        println!("every pinned latency shifted by {shift} emulated s");
    }
    let (order_reps, order_speed) = order_knobs()?;
    if order_reps > 0 {
        // The comparison alone: at speed 1 it takes minutes per repetition.
        return orders::compare(order_speed, order_reps, pinned).await;
    }
    for speed in speeds {
        let rows = bench_speed(speed, reps, pinned).await?;
        for row in &rows {
            print_kind(speed, row);
        }
    }
    Ok(())
}

/// Contoso with every range pinned.
fn scenario(p: Pinned) -> Scenario {
    let mut s = Scenario::contoso();
    let l = &mut s.latencies;
    let fixed = |v: f64| Range::new(v, v);
    l.nic_update = fixed(p.nic_update);
    l.disk_detach = fixed(p.disk_detach);
    l.disk_attach = fixed(p.disk_attach);
    l.release_lag = fixed(p.release_lag);
    l.vm_update = fixed(p.vm_update);
    l.run_command = fixed(p.run_command);
    l.power_off = fixed(p.power_off);
    s
}

/// Every repetition of one operation kind at one speed.
struct KindRuns {
    label: &'static str,
    runs: Vec<Run>,
}

/// One measured run.
struct Run {
    wall: Duration,
    floor: Floor,
    steps: Vec<(StepKind, Duration)>,
    /// Each step's own floor in real seconds (0 when skipped), concurrency ignored.
    step_floors: Vec<(StepKind, f64)>,
    /// ARM requests the run made (plan excluded), from the emulator's request log.
    requests: Requests,
}

/// ARM requests of one run by kind.
#[derive(Clone, Copy, Default)]
struct Requests {
    /// Every GET.
    reads: usize,
    /// GETs of operation status URLs (`.../operations/...`).
    status_polls: usize,
    /// GETs of disks (release and attach waits, observation).
    disk_reads: usize,
    /// Every other method.
    writes: usize,
}

impl Requests {
    /// Counts the requests of a slice of the emulator's log.
    fn count(log: &[Value]) -> Requests {
        let mut r = Requests::default();
        for e in log {
            let path = e["path"].as_str().unwrap_or("").to_ascii_lowercase();
            if e["method"].as_str() != Some("GET") {
                r.writes += 1;
                continue;
            }
            r.reads += 1;
            if path.contains("/operations/") {
                r.status_polls += 1;
            } else if path.contains("/disks/") {
                r.disk_reads += 1;
            }
        }
        r
    }
}

/// The critical-path floor of one run: emulated seconds (÷ speed in real time) plus the verify
/// wait, which is real time (the heartbeat interval is not scaled).
#[derive(Clone, Copy)]
struct Floor {
    emulated: f64,
    verify: f64,
    speed: f64,
}

impl Floor {
    fn real(self) -> f64 {
        self.emulated / self.speed + self.verify
    }

    fn azure(self) -> f64 {
        self.emulated + self.verify
    }
}

struct World {
    emu: EmulatorHandle,
    config: Config,
    http: reqwest::Client,
    speed: f64,
    pinned: Pinned,
}

async fn bench_speed(speed: f64, reps: usize, pinned: Pinned) -> Result<Vec<KindRuns>> {
    let world = World::start(scenario(pinned), speed, pinned).await?;
    let mut switch = KindRuns {
        label: "switchover web-a → web-b",
        runs: Vec::new(),
    };
    let mut fail = KindRuns {
        label: "failover web-b → web-a (service killed)",
        runs: Vec::new(),
    };
    for rep in 1..=reps {
        world.control("reset", None).await?;
        let tmp = tempfile::tempdir()?;
        let dir = StateDir::new(tmp.path());
        let run = world
            .measure(&dir, Request::new(OperationKind::Switchover), "web-b")
            .await
            .with_context(|| format!("speed {speed} rep {rep}: switchover"))?;
        eprintln!(
            "speed {speed} rep {rep}: switchover {:.2} s",
            secs(run.wall)
        );
        switch.runs.push(run);
        let chaos = serde_json::json!({"vm": "web-b", "action": "kill-service"});
        world.control("chaos", Some(chaos)).await?;
        let req = Request {
            override_cooldown: Some("failover benchmark".into()),
            ..Request::new(OperationKind::Failover)
        };
        let run = world
            .measure(&dir, req, "web-a")
            .await
            .with_context(|| format!("speed {speed} rep {rep}: failover"))?;
        eprintln!("speed {speed} rep {rep}: failover {:.2} s", secs(run.wall));
        fail.runs.push(run);
    }
    world.emu.shutdown().await;
    Ok(vec![switch, fail])
}

impl World {
    /// The emulator on `scenario` at `speed`, and a baton config for it.
    async fn start(scenario: Scenario, speed: f64, pinned: Pinned) -> Result<World> {
        let emu = emulator::start(EmulatorOptions {
            listen: ([127, 0, 0, 1], 0).into(),
            scenario,
            speed,
        })
        .await
        .context("emulator")?;
        let config = config::parse_str(&emu.baton_config_toml(), Path::new("emulator.toml"))
            .map_err(|e| anyhow!("config: {e:?}"))?;
        Ok(World {
            emu,
            config,
            http: reqwest::Client::new(),
            speed,
            pinned,
        })
    }

    /// A write client with the default retry and poll policies: their granularity is part
    /// of what is measured.
    fn arm(&self) -> Result<ArmClient> {
        let cred = create_credential(&CredentialChoice::StaticToken(self.emu.token().to_owned()))?;
        let target = ArmTarget::new(self.emu.base_url().clone(), self.emu.subscription_id());
        Ok(ArmClient::new(target, cred)?)
    }

    fn executor(&self, dir: &StateDir) -> Result<(Executor, ExecutorOptions)> {
        let arm = self.arm()?;
        let role = self
            .config
            .role(ROLE)
            .ok_or_else(|| anyhow!("no role {ROLE}"))?
            .clone();
        let opts = ExecutorOptions::from_config(&self.config);
        let operator = Operator::named("bench", "bench");
        let (tx, rx) = mpsc::channel(256);
        tokio::spawn(drain(rx));
        let exec = Executor::new(arm, role, dir.clone(), operator, opts.clone(), tx);
        Ok((exec, opts))
    }

    /// Plans, then times `run` (confirm → `Finished`), then checks the outcome and invariants.
    async fn measure(&self, dir: &StateDir, req: Request, want_to: &str) -> Result<Run> {
        let (exec, opts) = self.executor(dir)?;
        let plan = exec.plan(&req).await?;
        if !plan.can_confirm() || plan.to.as_deref() != Some(want_to) {
            bail!("plan to {:?}, blockers {:?}", plan.to, plan.blockers);
        }
        let (_abort_tx, abort) = watch::channel(false);
        let before = self.request_log().await?.len();
        let started = Instant::now();
        let report = exec.run(&req, &plan, "--yes", abort).await?;
        let wall = started.elapsed();
        let log = self.request_log().await?;
        let requests = Requests::count(log.get(before..).unwrap_or_default());
        if report.end != RunEnd::Finished(Outcome::Succeeded) {
            bail!("run ended {:?}", report.end);
        }
        self.check_master(want_to).await?;
        let (floor, step_floors) = floor(&report.operation, &opts, self.speed, self.pinned);
        Ok(Run {
            wall,
            floor,
            steps: report.operation.step_durations(),
            step_floors,
            requests,
        })
    }

    /// The emulator's ARM request log so far (it is cleared by reset only).
    async fn request_log(&self) -> Result<Vec<Value>> {
        support::emulator_api::request_log(&self.http, &self.emu.base_url()).await
    }

    async fn control(&self, path: &str, body: Option<Value>) -> Result<Value> {
        support::emulator_api::control(&self.http, &self.emu.base_url(), path, body).await
    }

    /// Web's NAT rule (or backend pool) on `master`'s NIC only, every disk managed by and
    /// listed on `master` only, the service running on `master` only.
    async fn check_master(&self, master: &str) -> Result<()> {
        let s = self.control("state", None).await?;
        let role = self.config.role(ROLE).ok_or_else(|| anyhow!("no role"))?;
        let rule = role.spec.endpoint.child_name();
        for nic in list(&s, "nics")? {
            let has = strs(&nic["nat_rules"])
                .chain(strs(&nic["backend_pools"]))
                .any(|r| r == rule);
            if has != (nic["vm"].as_str() == Some(master)) {
                bail!(
                    "NAT rule {rule} on {}: {has} (master {master})",
                    nic["name"]
                );
            }
        }
        for disk in &role.spec.disks {
            let d = named(&s, "disks", &disk.name)?;
            let by = d["managed_by"].as_str().unwrap_or("");
            if !by.ends_with(&format!("/{master}")) && by != master {
                bail!("disk {} managed by {by:?}, not {master}", disk.name);
            }
            for vm in &role.spec.vms {
                let v = named(&s, "vms", vm)?;
                let listed = list(v, "data_disks")?
                    .iter()
                    .any(|x| x["name"].as_str() == Some(disk.name.as_str()));
                if listed != (vm == master) {
                    bail!(
                        "disk {} listed on {vm}: {listed} (master {master})",
                        disk.name
                    );
                }
            }
        }
        for vm in &role.spec.vms {
            let running = named(&s, "vms", vm)?["service"].as_str() == Some("running");
            if running != (vm == master) {
                bail!("service on {vm} running: {running} (master {master})");
            }
        }
        Ok(())
    }
}

async fn drain(mut rx: mpsc::Receiver<OpEvent>) {
    while rx.recv().await.is_some() {}
}

fn list<'a>(v: &'a Value, key: &str) -> Result<&'a Vec<Value>> {
    v[key]
        .as_array()
        .ok_or_else(|| anyhow!("state: no array {key}"))
}

fn named<'a>(s: &'a Value, kind: &str, name: &str) -> Result<&'a Value> {
    list(s, kind)?
        .iter()
        .find(|v| v["name"].as_str() == Some(name))
        .ok_or_else(|| anyhow!("state: no {kind} {name}"))
}

fn strs(v: &Value) -> impl Iterator<Item = &str> {
    v.as_array().into_iter().flatten().filter_map(Value::as_str)
}

/// Emulated seconds of one step that did work (a skipped step costs nothing).
fn step_latency(kind: StepKind, op: OperationKind, p: Pinned) -> f64 {
    match kind {
        StepKind::Isolate | StepKind::Expose => p.nic_update,
        StepKind::Fence if op.is_planned() => p.run_command,
        StepKind::Fence => p.power_off,
        StepKind::Detach => p.disk_detach,
        StepKind::Release => p.release_lag,
        StepKind::Attach => p.disk_attach,
        StepKind::Start => p.run_command,
        StepKind::Preflight | StepKind::Verify | StepKind::Commit => 0.0,
    }
}

/// The floor along the steps as they ran (a skipped step costs nothing, except release: see
/// below): a step concurrent with its predecessor adds only
/// what outlasts it; verify costs (N − 1) heartbeat intervals, as its first probe is immediate.
fn floor(
    op: &Operation,
    opts: &ExecutorOptions,
    speed: f64,
    pinned: Pinned,
) -> (Floor, Vec<(StepKind, f64)>) {
    let mut emulated = 0.0;
    let mut prev = 0.0;
    let mut verify = 0.0;
    let mut per_step = Vec::new();
    for step in &op.steps {
        // The release lag follows every detach that did work, even when the executor found
        // it over already (its detach poll outlasted it): it is on the path either way.
        let done = step.state == StepState::Done
            || (step.kind == StepKind::Release
                && op
                    .step(StepKind::Detach)
                    .is_some_and(|d| d.state == StepState::Done));
        let cost = if done {
            step_latency(step.kind, op.kind, pinned)
        } else {
            0.0
        };
        if step.kind == StepKind::Verify && done {
            verify = f64::from(opts.verify_successes.max(1) - 1) * secs(opts.verify_interval);
            per_step.push((step.kind, verify));
        } else {
            per_step.push((step.kind, cost / speed));
        }
        if step.concurrent_with.is_some() {
            emulated += (cost - prev).max(0.0);
            prev = prev.max(cost);
        } else {
            emulated += cost;
            prev = cost;
        }
    }
    let floor = Floor {
        emulated,
        verify,
        speed,
    };
    (floor, per_step)
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

/// Min, median, max.
fn stats(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        return (0.0, 0.0, 0.0);
    }
    let median = if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    };
    (v[0], median, v[n - 1])
}

fn print_kind(speed: f64, kr: &KindRuns) {
    let Some(first) = kr.runs.first() else {
        return;
    };
    let f = first.floor;
    println!();
    println!(
        "== {} at speed {speed}: {} runs; floor {:.2} s real = {:.2} s emulated / {speed} + \
         verify {:.2} s (= {:.1} s at Azure speed)",
        kr.label,
        kr.runs.len(),
        f.real(),
        f.emulated,
        f.verify,
        f.azure()
    );
    println!(
        "{:<10} {:>8} {:>8} {:>8} {:>8} {:>9}",
        "step", "floor s", "min s", "median s", "max s", "over s"
    );
    for (kind, _) in &first.steps {
        let ds: Vec<f64> = kr
            .runs
            .iter()
            .filter_map(|r| r.steps.iter().find(|(k, _)| k == kind))
            .map(|(_, d)| secs(*d))
            .collect();
        let (lo, med, hi) = stats(ds);
        let fl = step_floor(first, *kind);
        println!(
            "{:<10} {fl:>8.2} {lo:>8.2} {med:>8.2} {hi:>8.2} {:>9.2}",
            kind.label(),
            med - fl
        );
    }
    let (lo, med, hi) = stats(kr.runs.iter().map(|r| secs(r.wall)).collect());
    let fl = f.real();
    println!(
        "{:<10} {fl:>8.2} {lo:>8.2} {med:>8.2} {hi:>8.2} {:>9.2}",
        "WALL",
        med - fl
    );
    if speed != 1.0 {
        println!(
            "note: overhead is real seconds; poll intervals, Retry-After rounding and the verify \
             cadence do not scale with speed, so only speed 1 predicts the overhead on Azure"
        );
    }
    let count = |f: fn(&Requests) -> usize| {
        let (_, med, hi) = stats(kr.runs.iter().map(|r| f(&r.requests) as f64).collect());
        format!("{med:.0} (max {hi:.0})")
    };
    println!(
        "ARM requests per run, median: GET {} of which status polls {}, disk reads {}; writes {}",
        count(|r| r.reads),
        count(|r| r.status_polls),
        count(|r| r.disk_reads),
        count(|r| r.writes)
    );
    let verdict = if med - fl <= 1.0 { "met" } else { "NOT met" };
    println!(
        "overhead (wall − floor): min {:.2} / median {:.2} / max {:.2} s real; target ≤ 1 s: {verdict}",
        lo - fl,
        med - fl,
        hi - fl
    );
}

/// The floor of one step alone in real seconds.
fn step_floor(run: &Run, kind: StepKind) -> f64 {
    run.step_floors
        .iter()
        .find(|(k, _)| *k == kind)
        .map_or(0.0, |(_, f)| *f)
}
