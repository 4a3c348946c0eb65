//! Failover RTO of a shared-disk role against the disk-moving path, in one run at one speed.
//!
//! `scenarios/shared.toml` with every latency range pinned to its middle: role `sql` (both
//! disks shared by sql-a and sql-b: no detach, release or attach) and role `web` (one disk that
//! moves), each failed over twice per repetition from a reset world: once with the master's
//! service killed (the VM answers: no power-off) and once with the master hung (power-off; for
//! `sql` before the new master starts, for `web` beside the target's steps). RTO is the wall
//! time from confirm to `Finished`. A run that does not end `Succeeded`, or that sends `sql`
//! a disk request, makes the bench exit non-zero. Owns only measuring and printing.
//!
//! Knobs: `BATON_BENCH_SPEED` (default 1: Azure's own latencies), `BATON_BENCH_REPS` (default 1).
//! Run: `cargo bench --bench shared_failover`. See docs/failover-benchmark.md.
// A bench prints its own measurements: the terminal rule of the library is not its.
#![allow(clippy::disallowed_macros, clippy::disallowed_methods)]

use anyhow::{anyhow, bail, Context, Result};
use baton::azure::{create_credential, ArmClient, ArmTarget, CredentialChoice};
use baton::config::{self, Config};
use baton::core::operation::{OpEvent, Outcome};
use baton::core::plan::{human_duration, OperationKind, StepKind};
use baton::emulator::{self, EmulatorHandle, EmulatorOptions, Range, Scenario};
use baton::failover::{Executor, ExecutorOptions, Operator, Request, RunEnd, StateDir};
use serde_json::Value;
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};

mod support;

/// One measured case: which role, how its master fails, and the chaos that makes it so.
struct Case {
    role: &'static str,
    from: &'static str,
    to: &'static str,
    chaos: &'static str,
}

const CASES: [Case; 4] = [
    Case {
        role: "sql",
        from: "sql-a",
        to: "sql-b",
        chaos: "kill-service",
    },
    Case {
        role: "web",
        from: "web-a",
        to: "web-b",
        chaos: "kill-service",
    },
    Case {
        role: "sql",
        from: "sql-a",
        to: "sql-b",
        chaos: "hang-vm",
    },
    Case {
        role: "web",
        from: "web-a",
        to: "web-b",
        chaos: "hang-vm",
    },
];

fn main() -> ExitCode {
    support::emulator_api::run_bench("shared failover", bench())
}

fn knob(name: &str, default: f64) -> Result<f64> {
    match std::env::var(name) {
        Ok(v) => v
            .trim()
            .parse()
            .with_context(|| format!("{name}={v:?}: not a number")),
        Err(_) => Ok(default),
    }
}

/// `scenarios/shared.toml` with every range pinned to its middle, so both roles see the same
/// Azure.
fn scenario() -> Result<Scenario> {
    let mut s = Scenario::from_file(Path::new("scenarios/shared.toml"))
        .map_err(|e| anyhow!("scenarios/shared.toml: {e}"))?;
    let l = &mut s.latencies;
    let fixed = |v: f64| Range::new(v, v);
    l.nic_update = fixed(7.5);
    l.disk_detach = fixed(12.5);
    l.disk_attach = fixed(12.5);
    l.release_lag = fixed(3.5);
    l.vm_update = fixed(3.0);
    l.run_command = fixed(22.5);
    l.power_off = fixed(20.0);
    Ok(s)
}

async fn bench() -> Result<()> {
    let speed = knob("BATON_BENCH_SPEED", 1.0)?;
    let reps = knob("BATON_BENCH_REPS", 1.0)? as usize;
    let emu = emulator::start(EmulatorOptions {
        listen: ([127, 0, 0, 1], 0).into(),
        scenario: scenario()?,
        speed,
    })
    .await
    .context("emulator")?;
    let config = config::parse_str(&emu.baton_config_toml(), Path::new("emulator.toml"))
        .map_err(|e| anyhow!("config: {e:?}"))?;
    let world = World {
        emu,
        config,
        http: reqwest::Client::new(),
    };
    println!("speed {speed}, {reps} repetition(s), scenarios/shared.toml pinned");
    for rep in 1..=reps.max(1) {
        for case in &CASES {
            world.control("reset", None).await?;
            let chaos = serde_json::json!({"vm": case.from, "action": case.chaos});
            world.control("chaos", Some(chaos)).await?;
            let run = world
                .measure(case)
                .await
                .with_context(|| format!("rep {rep}: {} {}", case.role, case.chaos))?;
            print_run(rep, case, &run);
        }
    }
    world.emu.shutdown().await;
    Ok(())
}

struct World {
    emu: EmulatorHandle,
    config: Config,
    http: reqwest::Client,
}

struct Run {
    wall: Duration,
    steps: Vec<(StepKind, Duration)>,
    writes: usize,
    disk_writes: usize,
}

impl World {
    fn executor(&self, role: &str, dir: &StateDir) -> Result<Executor> {
        let cred = create_credential(&CredentialChoice::StaticToken(self.emu.token().to_owned()))?;
        let target = ArmTarget::new(self.emu.base_url().clone(), self.emu.subscription_id());
        let arm = ArmClient::new(target, cred)?;
        let role = self
            .config
            .role(role)
            .ok_or_else(|| anyhow!("no role {role}"))?
            .clone();
        let opts = ExecutorOptions::from_config(&self.config);
        let (tx, rx) = mpsc::channel(256);
        tokio::spawn(drain(rx));
        Ok(Executor::new(
            arm,
            role,
            dir.clone(),
            Operator::named("bench", "bench"),
            opts,
            tx,
        ))
    }

    async fn measure(&self, case: &Case) -> Result<Run> {
        let tmp = tempfile::tempdir()?;
        let exec = self.executor(case.role, &StateDir::new(tmp.path()))?;
        let req = Request::new(OperationKind::Failover);
        let plan = exec.plan(&req).await?;
        if !plan.can_confirm() || plan.to.as_deref() != Some(case.to) {
            bail!("plan to {:?}, blockers {:?}", plan.to, plan.blockers);
        }
        let (_abort_tx, abort) = watch::channel(false);
        let before = self.request_log().await?.len();
        let started = Instant::now();
        let report = exec.run(&req, &plan, "--yes", abort).await?;
        let wall = started.elapsed();
        if report.end != RunEnd::Finished(Outcome::Succeeded) {
            bail!("run ended {:?}", report.end);
        }
        let log = self.request_log().await?;
        let log = log.get(before..).unwrap_or_default();
        let writes = log.iter().filter(|e| e["method"] != "GET").count();
        let disk_writes = log
            .iter()
            .filter(|e| {
                e["path"]
                    .as_str()
                    .is_some_and(|p| p.contains("attachDetachDataDisks"))
            })
            .count();
        if case.role == "sql" && disk_writes > 0 {
            bail!("{disk_writes} disk request(s) for the shared-disk role");
        }
        Ok(Run {
            wall,
            steps: report.operation.step_durations(),
            writes,
            disk_writes,
        })
    }

    async fn request_log(&self) -> Result<Vec<Value>> {
        let url = format!("{}_emulator/requests", self.emu.base_url());
        let resp = self.http.get(url).send().await?.error_for_status()?;
        Ok(resp.json().await?)
    }

    async fn control(&self, path: &str, body: Option<Value>) -> Result<Value> {
        support::emulator_api::control(&self.http, &self.emu.base_url(), path, body).await
    }
}

fn print_run(rep: usize, case: &Case, run: &Run) {
    let steps: Vec<String> = run
        .steps
        .iter()
        .filter(|(_, d)| !d.is_zero())
        .map(|(k, d)| format!("{} {:.1}", k.label(), d.as_secs_f64()))
        .collect();
    println!(
        "rep {rep}  {:<4} {} → {} ({:<12})  RTO {:>6.1} s ({})  writes {:>2}  disk writes {}  steps: {}",
        case.role,
        case.from,
        case.to,
        case.chaos,
        run.wall.as_secs_f64(),
        human_duration(run.wall),
        run.writes,
        run.disk_writes,
        steps.join(", ")
    );
}

async fn drain(mut rx: mpsc::Receiver<OpEvent>) {
    while rx.recv().await.is_some() {}
}
