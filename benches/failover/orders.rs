//! The failover order comparison: the old power-off-first order against the order now, in one
//! run, each run against its own floor. Three cases on the pinned contoso world: web's master
//! hangs (`hang-vm`: the power-off fence), web's master service dies (`kill-service`: no
//! power-off), and web's endpoint as a backend pool fed by a load-balancing rule with a health
//! probe (service dies). The old order is the plan reordered by
//! `baton::core::plan::power_off_first_order` (power-off first, expose after verify) and verify at
//! the heartbeat interval; the new one is baton as it ships. Every run starts from a reset world.
//!
//! The floor follows the run's own step list: each step starts when its partner chain started
//! and every other earlier step ended, and costs its pinned latency (÷ speed) if it did work;
//! verify costs (N − 1) × its probe interval, in real time.

use super::{named, secs, step_latency, Pinned, World, ROLE};
use anyhow::{anyhow, bail, Context, Result};
use baton::core::operation::{Operation, Outcome, StepState};
use baton::core::plan::{power_off_first_order, OperationKind, StepKind};
use baton::emulator::{EndpointKindDef, LbRuleDef, ProbeDef, Scenario};
use baton::failover::{Executor, ExecutorOptions, Operator, Request, RunEnd, StateDir};
use std::time::Instant;
use tokio::sync::{mpsc, watch};

/// What a failover of web starts from.
#[derive(Clone, Copy, PartialEq)]
enum Case {
    /// web-a hangs: no heartbeat, no vm probe; the plan powers it off.
    Hung,
    /// web-a's service is dead, the VM answers: no power-off.
    ServiceDead,
    /// As `ServiceDead`, web's endpoint a probe-gated backend pool.
    Pool,
}

impl Case {
    fn label(self) -> &'static str {
        match self {
            Case::Hung => "hung master (power-off)",
            Case::ServiceDead => "service dead (NAT rule)",
            Case::Pool => "service dead (probed pool)",
        }
    }

    fn chaos(self) -> &'static str {
        match self {
            Case::Hung => "hang-vm",
            Case::ServiceDead | Case::Pool => "kill-service",
        }
    }
}

/// Which order a run follows.
#[derive(Clone, Copy, PartialEq)]
enum Order {
    Old,
    New,
}

impl Order {
    fn label(self) -> &'static str {
        match self {
            Order::Old => "old",
            Order::New => "new",
        }
    }
}

/// One measured run: wall time and its floor, both in real seconds.
struct Run {
    wall: f64,
    floor: f64,
}

/// Contoso pinned, web's endpoint moved from its NAT rule to a backend pool that a
/// load-balancing rule with an HTTP health probe feeds.
fn pool_scenario(base: Scenario) -> Scenario {
    let mut s = base;
    if let Some(lb) = s.load_balancers.first_mut() {
        lb.backend_pools.push("web-pool".into());
        lb.probes.push(ProbeDef {
            name: "web-health".into(),
            protocol: "Http".into(),
            port: 8080,
            request_path: Some("/health".into()),
        });
        lb.load_balancing_rules.push(LbRuleDef {
            name: "web-http".into(),
            backend_pool: "web-pool".into(),
            probe: Some("web-health".into()),
            frontend_port: 80,
            backend_port: 8080,
        });
    }
    if let Some(web) = s.roles.iter_mut().find(|r| r.name == ROLE) {
        web.endpoint.kind = EndpointKindDef::BackendPool("web-pool".into());
    }
    s
}

/// Runs every case in both orders `reps` times at `speed` and prints the comparison.
pub(super) async fn compare(speed: f64, reps: usize, pinned: Pinned) -> Result<()> {
    let nat = World::start(super::scenario(pinned), speed, pinned).await?;
    let pool = World::start(pool_scenario(super::scenario(pinned)), speed, pinned).await?;
    let mut rows: Vec<(Case, Order, Vec<Run>)> = Vec::new();
    for case in [Case::Hung, Case::ServiceDead, Case::Pool] {
        let world = if case == Case::Pool { &pool } else { &nat };
        for order in [Order::Old, Order::New] {
            let mut runs = Vec::new();
            for rep in 1..=reps {
                let run = measure(world, case, order)
                    .await
                    .with_context(|| format!("{} {} rep {rep}", case.label(), order.label()))?;
                eprintln!(
                    "speed {speed} {} {} rep {rep}: {:.2} s (floor {:.2} s)",
                    case.label(),
                    order.label(),
                    run.wall,
                    run.floor
                );
                runs.push(run);
            }
            rows.push((case, order, runs));
        }
    }
    nat.emu.shutdown().await;
    pool.emu.shutdown().await;
    print(speed, reps, pinned, &rows);
    Ok(())
}

/// Resets the world, applies the case's chaos to web-a, fails web over to web-b in `order`.
async fn measure(world: &World, case: Case, order: Order) -> Result<Run> {
    world.control("reset", None).await?;
    let chaos = serde_json::json!({"vm": "web-a", "action": case.chaos()});
    world.control("chaos", Some(chaos)).await?;
    let tmp = tempfile::tempdir()?;
    let dir = StateDir::new(tmp.path());
    let (exec, opts) = executor(world, &dir, order)?;
    let req = Request::new(OperationKind::Failover);
    let mut plan = exec.plan(&req).await?;
    if !plan.can_confirm() || plan.to.as_deref() != Some("web-b") {
        bail!("plan to {:?}, blockers {:?}", plan.to, plan.blockers);
    }
    if order == Order::Old {
        power_off_first_order(&mut plan);
    }
    let (_abort_tx, abort) = watch::channel(false);
    let started = Instant::now();
    let report = exec.run(&req, &plan, "--yes", abort).await?;
    let wall = secs(started.elapsed());
    if report.end != RunEnd::Finished(Outcome::Succeeded) {
        bail!("run ended {:?}", report.end);
    }
    world.check_master("web-b").await?;
    let s = world.control("state", None).await?;
    let power = named(&s, "vms", "web-a")?["power"].as_str().unwrap_or("");
    if case == Case::Hung && power != "stopped" {
        bail!("the hung master ended {power:?}, not stopped");
    }
    let floor = floor(&report.operation, &opts, world.speed, world.pinned);
    Ok(Run { wall, floor })
}

/// Baton as it ships (new), or with verify at the heartbeat interval as before the issue.
fn executor(world: &World, dir: &StateDir, order: Order) -> Result<(Executor, ExecutorOptions)> {
    let (_, shipped) = world.executor(dir)?;
    let opts = match order {
        Order::New => shipped,
        Order::Old => ExecutorOptions {
            verify_interval: world.config.heartbeat.interval,
            ..shipped
        },
    };
    let role = world
        .config
        .role(ROLE)
        .ok_or_else(|| anyhow!("no role {ROLE}"))?
        .clone();
    let arm = world.arm()?;
    let (tx, rx) = mpsc::channel(256);
    tokio::spawn(super::drain(rx));
    let operator = Operator::named("bench", "bench");
    let exec = Executor::new(arm, role, dir.clone(), operator, opts.clone(), tx);
    Ok((exec, opts))
}

/// The critical path of the run's steps in real seconds (see the module doc).
fn floor(op: &Operation, opts: &ExecutorOptions, speed: f64, pinned: Pinned) -> f64 {
    let detach_did_work = op
        .step(StepKind::Detach)
        .is_some_and(|d| d.state == StepState::Done);
    let cost = |kind: StepKind, state: StepState| -> f64 {
        let did_work = state == StepState::Done || (kind == StepKind::Release && detach_did_work);
        match (kind, did_work) {
            (_, false) => 0.0,
            (StepKind::Verify, true) => {
                f64::from(opts.verify_successes.max(1) - 1) * secs(opts.verify_interval)
            }
            (k, true) => step_latency(k, op.kind, pinned) / speed,
        }
    };
    let mut spans: Vec<(StepKind, f64, f64)> = Vec::new();
    for step in &op.steps {
        let mut chain = Vec::new();
        let mut next = step.concurrent_with;
        while let Some(k) = next.filter(|k| !chain.contains(k)) {
            chain.push(k);
            next = op.step(k).and_then(|s| s.concurrent_with);
        }
        let start = spans
            .iter()
            .map(|(k, s, e)| if chain.contains(k) { *s } else { *e })
            .fold(0.0, f64::max);
        spans.push((step.kind, start, start + cost(step.kind, step.state)));
    }
    spans.iter().map(|(_, _, e)| *e).fold(0.0, f64::max)
}

fn median(v: &[f64]) -> f64 {
    super::stats(v.to_vec()).1
}

fn print(speed: f64, reps: usize, pinned: Pinned, rows: &[(Case, Order, Vec<Run>)]) {
    println!();
    println!("== failover order, old vs new, at speed {speed}: {reps} run(s) each, median");
    println!(
        "{:<28} {:>5} {:>8} {:>8} {:>8}",
        "case", "order", "floor s", "wall s", "over s"
    );
    let wall_of = |case: Case, order: Order| {
        rows.iter()
            .find(|(c, o, _)| *c == case && *o == order)
            .map_or(0.0, |(_, _, runs)| {
                median(&runs.iter().map(|r| r.wall).collect::<Vec<_>>())
            })
    };
    for (case, order, runs) in rows {
        let floor = median(&runs.iter().map(|r| r.floor).collect::<Vec<_>>());
        let wall = median(&runs.iter().map(|r| r.wall).collect::<Vec<_>>());
        println!(
            "{:<28} {:>5} {floor:>8.2} {wall:>8.2} {:>8.2}",
            case.label(),
            order.label(),
            wall - floor
        );
    }
    let scale = if speed == 1.0 {
        ""
    } else {
        " (real s, not Azure s)"
    };
    for order in [Order::Old, Order::New] {
        let hung = wall_of(Case::Hung, order);
        let dead = wall_of(Case::ServiceDead, order);
        let pool = wall_of(Case::Pool, order);
        println!(
            "{} order: hung / dead = {:.2}× (goal ≤ 1.05×); hung {hung:.2} s{scale} (goal < 60 s \
             at speed 1); NAT − pool = {:.2} s (NIC update {:.2} s)",
            order.label(),
            hung / dead.max(f64::EPSILON),
            dead - pool,
            pinned.nic_update / speed
        );
    }
}
