//! What `[coordination] backend = "azure-blob"` costs. Goals: failover overhead over
//! the floor ≤ +0.3 s compared with `local`, and 1 storage call per idle cockpit refresh.
//!
//! 1. Switchover web-a → web-b at speed 1 in the emulator's contoso world with every latency
//!    pinned (min = max, [`PIN`] emulated seconds), so both backends have the same floor and the
//!    difference of their wall times is the difference of their overheads. Runs alternate
//!    local / azure-blob (the emulator's own Blob Storage, Shared Key) after a world reset; each
//!    must end `Succeeded`. Storage calls per run are counted from the emulator's request log.
//! 2. Storage calls of one idle refresh's lock listing (`StoreRead::list_locks`, what the
//!    cockpit's inventory loop calls once per refresh) with 4 and 1,000 role locks present and
//!    free, counted from the request log, with the listing's wall time.
//!
//! Knobs: `BATON_BENCH_REPS` (runs per backend, default 3). Run: `cargo bench --bench
//! coordination`. See docs/benchmarks.md.
// A bench prints its own measurements: the terminal rule of the library is not its.
#![allow(clippy::disallowed_macros, clippy::disallowed_methods)]

use anyhow::{anyhow, bail, Context, Result};
use baton::azure::{create_credential, ArmClient, ArmTarget, CredentialChoice};
use baton::config::{self, Config};
use baton::core::operation::{OpEvent, Outcome};
use baton::core::plan::OperationKind;
use baton::emulator::{self, EmulatorHandle, EmulatorOptions, Range, Scenario};
use baton::emulator::{STORAGE_ACCOUNT, STORAGE_ACCOUNT_KEY};
use baton::failover::{Executor, ExecutorOptions, Operator, Request, RunEnd, StateDir};
use baton::store::{
    BlobCredential, BlobSettings, BlobStore, LeaseTiming, SharedStore, Store, StoreRead,
};
use serde_json::Value;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};

mod support;

const ROLE: &str = "web";
/// Every pinned latency, emulated seconds (speed 1: real seconds too).
const PIN: f64 = 2.0;

fn main() -> ExitCode {
    support::emulator_api::run_bench("coordination", bench())
}

async fn bench() -> Result<()> {
    let reps: usize = match std::env::var("BATON_BENCH_REPS") {
        Ok(r) => r.parse().context("BATON_BENCH_REPS")?,
        Err(_) => 3,
    };
    failover_overhead(reps).await?;
    for roles in [4, 1000] {
        idle_refresh(roles).await?;
    }
    Ok(())
}

fn pinned() -> Scenario {
    let mut s = Scenario::contoso();
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

fn blob_settings(emu: &EmulatorHandle, container: &str) -> Result<BlobSettings> {
    Ok(BlobSettings {
        account_url: emu.blob_url().parse()?,
        container: container.to_string(),
        credential: BlobCredential::SharedKey {
            key: STORAGE_ACCOUNT_KEY.to_string(),
        },
        timing: LeaseTiming::for_duration(Duration::from_secs(15)),
        host_id: "bench".to_string(),
    })
}

/// Wall seconds and storage calls of one backend's runs.
#[derive(Default)]
struct Runs {
    walls: Vec<f64>,
    storage_calls: Vec<usize>,
}

async fn failover_overhead(reps: usize) -> Result<()> {
    let emu = emulator::start(EmulatorOptions {
        listen: ([127, 0, 0, 1], 0).into(),
        scenario: pinned(),
        speed: 1.0,
    })
    .await
    .context("emulator")?;
    let config = config::parse_str(&emu.baton_config_toml(), Path::new("emulator.toml"))
        .map_err(|e| anyhow!("config: {e:?}"))?;
    let (mut local, mut blob) = (Runs::default(), Runs::default());
    for rep in 1..=reps {
        for shared in [false, true] {
            control(&emu, "reset").await?;
            let tmp = tempfile::tempdir()?;
            let store: SharedStore = if shared {
                let settings = blob_settings(&emu, &format!("bench-{rep}"))?;
                Arc::new(BlobStore::connect(settings).await?)
            } else {
                StateDir::new(tmp.path()).into()
            };
            let (wall, calls) = switchover(&emu, &config, store).await?;
            let label = if shared { "azure-blob" } else { "local" };
            eprintln!("rep {rep} {label}: {wall:.2} s, {calls} storage calls");
            let runs = if shared { &mut blob } else { &mut local };
            runs.walls.push(wall);
            runs.storage_calls.push(calls);
        }
    }
    emu.shutdown().await;
    let (l, b) = (median(&local.walls), median(&blob.walls));
    println!("== failover overhead, switchover web-a → web-b at speed 1, latencies pinned at {PIN} s, {reps} runs each");
    println!(
        "  local       median {l:.2} s  (min {:.2}, max {:.2})",
        min(&local.walls),
        max(&local.walls)
    );
    println!(
        "  azure-blob  median {b:.2} s  (min {:.2}, max {:.2}); storage calls per run {:?}",
        min(&blob.walls),
        max(&blob.walls),
        blob.storage_calls
    );
    let verdict = if b - l <= 0.3 { "met" } else { "MISSED" };
    println!(
        "  azure-blob − local = {:+.2} s (same floor); goal ≤ +0.3 s: {verdict}",
        b - l
    );
    Ok(())
}

/// Plans and runs one switchover to web-b; wall seconds from confirm to `Finished`, and the
/// storage calls the run made.
async fn switchover(
    emu: &EmulatorHandle,
    config: &Config,
    store: SharedStore,
) -> Result<(f64, usize)> {
    let cred = create_credential(&CredentialChoice::StaticToken(emu.token().to_owned()))?;
    let target = ArmTarget::new(emu.base_url().clone(), emu.subscription_id());
    let arm = ArmClient::new(target, cred)?;
    let role = config
        .role(ROLE)
        .ok_or_else(|| anyhow!("no role {ROLE}"))?
        .clone();
    let opts = ExecutorOptions::from_config(config);
    let (tx, rx) = mpsc::channel(256);
    tokio::spawn(drain(rx));
    let exec = Executor::new(
        arm,
        role,
        store,
        Operator::named("bench", "bench"),
        opts,
        tx,
    );
    let req = Request::new(OperationKind::Switchover);
    let plan = exec.plan(&req).await?;
    if !plan.can_confirm() || plan.to.as_deref() != Some("web-b") {
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
    let calls = storage_calls(&request_log(emu).await?[before..]);
    Ok((wall, calls))
}

/// Storage calls of one idle refresh with `roles` free role locks in the container.
async fn idle_refresh(roles: usize) -> Result<()> {
    let emu = emulator::start(EmulatorOptions::local(1.0)).await?;
    let store = BlobStore::connect(blob_settings(&emu, "idle")?).await?;
    let operator = Operator::named("bench", "bench");
    for i in 0..roles {
        let lock = store
            .acquire_lock(&format!("role-{i:04}"), &operator, None)
            .await?;
        lock.release().await?;
    }
    let before = request_log(&emu).await?.len();
    let started = Instant::now();
    let listed = store.list_locks().await?;
    let took = started.elapsed().as_secs_f64() * 1000.0;
    let calls = storage_calls(&request_log(&emu).await?[before..]);
    if listed.len() != roles || listed.iter().any(|l| l.held) {
        bail!("listed {} locks, expected {roles} free ones", listed.len());
    }
    let verdict = if calls == 1 { "met" } else { "MISSED" };
    println!("== idle refresh, {roles} roles: {calls} storage call(s), listing {took:.1} ms; goal 1 call: {verdict}");
    emu.shutdown().await;
    Ok(())
}

fn storage_calls(log: &[Value]) -> usize {
    let prefix = format!("/{STORAGE_ACCOUNT}");
    log.iter()
        .filter(|r| r["path"].as_str().is_some_and(|p| p.starts_with(&prefix)))
        .count()
}

async fn request_log(emu: &EmulatorHandle) -> Result<Vec<Value>> {
    support::emulator_api::request_log(&reqwest::Client::new(), &emu.base_url()).await
}

async fn control(emu: &EmulatorHandle, path: &str) -> Result<()> {
    support::emulator_api::control(&reqwest::Client::new(), &emu.base_url(), path, None).await?;
    Ok(())
}

async fn drain(mut rx: mpsc::Receiver<OpEvent>) {
    while rx.recv().await.is_some() {}
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    s.get(s.len() / 2).copied().unwrap_or(f64::NAN)
}

fn min(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::INFINITY, f64::min)
}

fn max(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::NEG_INFINITY, f64::max)
}
