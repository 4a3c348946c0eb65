//! Probe engine cost at fleet scale: 2,000 VMs × 2 HTTP probes at 1 s against a local axum
//! server, measured for ~20 s after a warm-up. Prints CPU time of this process as a share of one
//! core and peak RSS (VmHWM). Targets: < 15% of one core and < 100 MB.
//!
//! The server runs in a child process (this same binary, re-executed with
//! `BATON_BENCH_ROLE=server`) so that its CPU and memory are not counted against the engine.
//! Knobs: `BATON_BENCH_VMS` (default 2000), `BATON_BENCH_SECS` (default 20),
//! `BATON_BENCH_POOL` (idle connections kept by the engine's shared `reqwest` client, default one
//! per probe; plain `http://` probes use their own `probe::HttpProbe` connection and ignore it),
//! `BATON_BENCH_WORKERS`
//! (Tokio worker threads, default one per core).
//! Run: `cargo bench --bench probe_engine`.
// A bench prints its own measurements: the terminal rule of the library is not its.
#![allow(clippy::disallowed_macros, clippy::disallowed_methods)]

use anyhow::{anyhow, Context, Result};
use axum::extract::State;
use axum::routing::get;
use axum::Router;
use baton::config::ProbeTarget;
use baton::probe::{ProbeEngine, ProbeKind, ProbeSpec, ScheduleParams};
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::proc::{cpu_seconds, env_or, share, status_mb};

mod support;

const ROLE_ENV: &str = "BATON_BENCH_ROLE";
/// The server gives up on its own after this long, whatever happens to the parent.
const SERVER_LIFETIME: Duration = Duration::from_secs(300);

fn main() -> Result<()> {
    if std::env::var(ROLE_ENV).as_deref() == Ok("server") {
        serve()
    } else {
        measure()
    }
}

/// Child: answer 200 on every path, print the port, stop when stdin closes; print the count.
fn serve() -> Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let hits = Arc::new(AtomicU64::new(0));
    let counted = Arc::clone(&hits);
    rt.block_on(async move {
        let app = Router::new()
            .route("/:kind/:vm", get(ok))
            .with_state(counted);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        println!("{}", listener.local_addr()?.port());
        let stdin_closed = tokio::task::spawn_blocking(|| {
            let _ = std::io::stdin().read_to_end(&mut Vec::new());
        });
        let server = axum::serve(listener, app);
        tokio::select! {
            _ = server => {}
            _ = stdin_closed => {}
            _ = tokio::time::sleep(SERVER_LIFETIME) => {}
        }
        anyhow::Ok(())
    })?;
    println!("{}", hits.load(Ordering::Relaxed));
    Ok(())
}

async fn ok(State(hits): State<Arc<AtomicU64>>) -> &'static str {
    hits.fetch_add(1, Ordering::Relaxed);
    "ok"
}

fn start_server() -> Result<(Child, u16, BufReader<std::process::ChildStdout>)> {
    let exe = std::env::current_exe().context("own path")?;
    let mut child = Command::new(exe)
        .env(ROLE_ENV, "server")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .context("start server child")?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| anyhow!("no child stdout"))?;
    let mut out = BufReader::new(stdout);
    let mut line = String::new();
    out.read_line(&mut line).context("port line")?;
    let port = line.trim().parse().context("port")?;
    Ok((child, port, out))
}

fn specs(port: u16, vms: u64) -> Result<Vec<ProbeSpec>> {
    let mut specs = Vec::new();
    for i in 0..vms {
        for (kind, path) in [(ProbeKind::Vm, "host"), (ProbeKind::Service, "svc")] {
            let url = format!("http://127.0.0.1:{port}/{path}/vm-{i}");
            specs.push(ProbeSpec {
                vm: format!("vm-{i}"),
                kind,
                target: ProbeTarget::Http(url.parse()?),
            });
        }
    }
    Ok(specs)
}

/// The probing client of `baton::probe::http_client`, with one idle connection allowed per probe.
/// In a real fleet every VM is its own host, so the per-host pool holds one or two connections
/// each; here all probes share one host:port, so the per-host limit must cover the whole fleet
/// or connections would be torn down and reopened every second (`BATON_BENCH_POOL` overrides).
fn client(vms: u64) -> Result<reqwest::Client> {
    let idle = usize::try_from(env_or("BATON_BENCH_POOL", vms * 2))?;
    Ok(reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .pool_max_idle_per_host(idle)
        .build()?)
}

fn measure() -> Result<()> {
    let vms = env_or("BATON_BENCH_VMS", 2000);
    let secs = env_or("BATON_BENCH_SECS", 20);
    let (mut child, port, mut child_out) = start_server()?;
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Some(workers) = std::env::var("BATON_BENCH_WORKERS")
        .ok()
        .and_then(|w| w.parse().ok())
    {
        builder.worker_threads(workers);
    }
    let rt = builder.enable_all().build()?;
    let report = rt.block_on(run(port, vms, secs));
    let report = match report {
        Ok(r) => r,
        Err(e) => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(e);
        }
    };
    drop(child.stdin.take());
    let mut served = String::new();
    let _ = child_out.read_line(&mut served);
    let _ = child.wait();
    let vm_hwm = status_mb("VmHWM");
    println!("probe_engine: {vms} VMs x 2 HTTP probes @ 1 s, measured {secs} s after warm-up");
    println!("  probes completed     {:>10.0} /s", report.samples_per_s);
    println!(
        "  board notifications  {:>10.1} /s",
        report.notifications_per_s
    );
    println!("  verdicts up at end   {:>10} / {}", report.up, vms * 2);
    println!(
        "  CPU (engine process) {:>10.1} % of one core   (target < 15%)",
        report.cpu_share * 100.0
    );
    println!("  peak RSS (VmHWM)     {vm_hwm:>10.1} MB             (target < 100 MB)");
    println!("  server answered      {:>10} requests", served.trim());
    Ok(())
}

struct Report {
    cpu_share: f64,
    samples_per_s: f64,
    notifications_per_s: f64,
    up: usize,
}

async fn run(port: u16, vms: u64, secs: u64) -> Result<Report> {
    let engine = ProbeEngine::spawn(specs(port, vms)?, ScheduleParams::default(), client(vms)?);
    let mut rx = engine.subscribe();
    // Warm-up: staggered first runs, connection pool filled.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let runs_before = total_runs(&rx.borrow_and_update());
    let (cpu0, wall0) = (cpu_seconds()?, Instant::now());
    let mut notifications = 0u64;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while let Ok(Ok(())) = tokio::time::timeout_at(deadline, rx.changed()).await {
        notifications += 1;
    }
    let (cpu1, wall) = (cpu_seconds()?, wall0.elapsed().as_secs_f64());
    let board = rx.borrow_and_update().clone();
    let runs = total_runs(&board) - runs_before;
    let up = board
        .histories
        .keys()
        .map(|vm| board.verdicts.get(vm))
        .map(|p| usize::from(p.vm.is_up()) + usize::from(p.service.is_up()))
        .sum();
    engine.shutdown().await;
    Ok(Report {
        cpu_share: share(cpu0, cpu1, wall),
        samples_per_s: runs as f64 / wall,
        notifications_per_s: notifications as f64 / wall,
        up,
    })
}

/// Samples folded so far, estimated from the history rings (exact until a ring is full).
fn total_runs(board: &baton::probe::HeartbeatBoard) -> u64 {
    board
        .histories
        .values()
        .map(|h| (h.vm.samples.len() + h.service.samples.len()) as u64)
        .sum()
}
