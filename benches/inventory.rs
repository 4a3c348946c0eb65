//! What one inventory refresh costs in ARM requests, for contoso (4 roles) and generated worlds
//! of 10, 100 and 1,000 roles in 1 and 10 resource groups, at two list page sizes. Shows that a
//! refresh is O(resource groups + load balancers + list pages), never O(VMs): with lists that
//! fit one page it is `1 + 3·RG + LB` whatever the number of VMs.
//!
//! Each world gets a fresh in-process emulator (only requests are counted here, not CPU), one
//! refresh through `baton::azure::refresh` with the scope the engine uses, and a cross-check
//! against the emulator's own request log. Fails if a count differs from the formula, a refresh
//! misses VMs, or anything was not answered 200.
//!
//! Each world is refreshed twice through one `VmModelCache`, as the engine does: the first
//! refresh reads every VM model (what every refresh cost before light refreshes: "before"), the second
//! reuses them (a light refresh: "after"; one refresh in `FULL_EVERY` is still full). Both are
//! split per budget from the `x-ms-ratelimit-remaining-*` headers of their answers: compute
//! `HighCostGet3Min` (lists), `LowCostGet3Min` (single GETs, the VM size list) and the
//! subscription's reads (every GET).
//!
//! It also times `engine::build_snapshot` on those facts (every role's leader derivation, which
//! the engine redoes on every heartbeat-board change, about 10 times a second), to show how
//! that cost grows with the fleet.
//!
//! Run: `cargo bench --bench inventory`.
// A bench prints its own measurements: the terminal rule of the library is not its.
#![allow(clippy::disallowed_macros, clippy::disallowed_methods)]

use anyhow::{anyhow, bail, Result};
use baton::azure::{refresh_with, InventoryScope, VmModelCache};
use baton::core::budget::{BudgetName, BudgetTally};
use baton::core::leader::LeaderState;
use baton::core::model::{AzureFacts, ProbeStatus, RoleSpec, VmProbes};
use baton::core::snapshot::InventoryFreshness;
use baton::emulator::{self, EmulatorOptions, Scenario};
use baton::engine::build_snapshot;
use baton::probe::HeartbeatBoard;
use std::path::Path;
use std::time::{Duration, Instant};
use support::proc::machine;
use support::world::{cost, WorldSpec, FORMULA};

mod support;

/// How long `build_snapshot` is repeated per world (at least once).
const DERIVE_BUDGET: Duration = Duration::from_millis(500);

/// Page sizes compared: the emulator's default, and one large enough for every list here.
const PAGES: [usize; 2] = [50, 2000];

fn main() -> Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    println!("inventory: ARM requests of one refresh (V VMs, D disks, N NICs, RG groups, LB load balancers, p page size)");
    println!("  machine: {}", machine());
    println!("  {FORMULA}");
    println!("  with one page per list: requests = 1 + 3*RG + LB; the first refresh of a client adds 1 (the region's VM size list)");
    println!(
        "  {:<22} {:>5} {:>3} {:>3} {:>5} {:>9} {:>9} {:>9} {:>8} {:>8} {:>10}",
        "world",
        "VMs",
        "RG",
        "LB",
        "page",
        "formula",
        "measured",
        "emu log",
        "1+3RG+LB",
        "ms",
        "derive ms"
    );
    let mut worlds: Vec<(String, Scenario)> =
        vec![("contoso (4 roles)".into(), Scenario::contoso())];
    for roles in [10, 100, 1000] {
        for groups in [1, 10] {
            let spec = WorldSpec {
                roles,
                groups,
                page_size: 50,
            };
            worlds.push((format!("{roles} roles / {groups} RG"), spec.scenario()?));
        }
    }
    let mut failures = Vec::new();
    let mut budget_lines = Vec::new();
    for (name, scenario) in worlds {
        for page in PAGES {
            let mut s = scenario.clone();
            s.page_size = page;
            let row = rt.block_on(measure(s.clone()))?;
            let want = cost(&s);
            println!(
                "  {name:<22} {:>5} {:>3} {:>3} {page:>5} {:>9} {:>9} {:>9} {:>8} {:>8.1} {:>10.2}",
                want.vms,
                want.groups,
                want.load_balancers,
                want.paged,
                row.requests,
                row.logged,
                want.one_page,
                row.millis,
                row.derive_ms
            );
            budget_lines.push(format!(
                "{name:<22} page {page:>4}: before (full) {}; after (light) {}; after, mean of {} refreshes {}",
                split(&row.full_budgets),
                split(&row.light_budgets),
                baton::azure::vm_cache::FULL_EVERY,
                mean_split(&row.full_budgets, &row.light_budgets)
            ));
            if row.light_requests != want.light {
                failures.push(format!(
                    "{name} page {page}: light refresh expected {}, measured {}",
                    want.light, row.light_requests
                ));
            }
            // The first refresh of a client also reads the region's VM size list (one region).
            let first = want.paged + 1;
            if row.requests != first || row.logged != first + want.light {
                failures.push(format!(
                    "{name} page {page}: expected {first} then {}, measured {} (log {})",
                    want.light, row.requests, row.logged
                ));
            }
            if row.vms != want.vms {
                failures.push(format!(
                    "{name} page {page}: {} of {} VMs read",
                    row.vms, want.vms
                ));
            }
            if row.healthy != s.roles.len() {
                failures.push(format!(
                    "{name} page {page}: {} of {} roles HEALTHY",
                    row.healthy,
                    s.roles.len()
                ));
            }
            if row.not_ok > 0 {
                failures.push(format!(
                    "{name} page {page}: {} answers not 200",
                    row.not_ok
                ));
            }
        }
    }
    println!("  ms = wall time of the refresh, in-process emulator included (indicative only)");
    println!(
        "  per budget (High = HighCostGet3Min, Low = LowCostGet3Min, reads = subscription reads):"
    );
    for line in &budget_lines {
        println!("  {line}");
    }
    println!(
        "  derive ms = one engine::build_snapshot over these facts (all roles, probes up), mean"
    );
    if !failures.is_empty() {
        bail!("BROKEN RUN:\n  {}", failures.join("\n  "));
    }
    Ok(())
}

struct Row {
    requests: usize,
    light_requests: usize,
    full_budgets: BudgetTally,
    light_budgets: BudgetTally,
    logged: usize,
    not_ok: usize,
    vms: usize,
    millis: f64,
    derive_ms: f64,
    healthy: usize,
}

/// One refresh of `scenario` on a fresh emulator, through the client and scope the engine uses.
async fn measure(mut scenario: Scenario) -> Result<Row> {
    // Two refreshes back to back (261 reads at 1,000 roles) would empty Azure's 250-token read
    // bucket, which a cockpit never does (refreshes are 15 s or more apart); this bench counts
    // requests, it does not pace, so its tenant gets a bucket for both.
    scenario.throttle.reads.capacity = scenario.throttle.reads.capacity.max(1000.0);
    let emu = emulator::start(EmulatorOptions {
        scenario,
        ..EmulatorOptions::local(1.0)
    })
    .await?;
    let config = baton::config::parse_str(&emu.baton_config_toml(), Path::new("<bench>"))
        .map_err(|e| anyhow!("the emulator's config is invalid:\n{e}"))?;
    let reader = baton::setup::read_client(&config)?;
    let scope = InventoryScope::for_roles(&config.role_specs());
    let mut models = VmModelCache::default();
    let t = Instant::now();
    let inventory = refresh_with(&reader, &scope, &mut models).await?;
    let millis = t.elapsed().as_secs_f64() * 1000.0;
    let light = refresh_with(&reader, &scope, &mut models).await?;
    if light.full || light.facts != inventory.facts {
        bail!("the light refresh differs from the full one on an unchanged world");
    }
    let url = format!("{}_emulator/requests", emu.base_url());
    let log: Vec<serde_json::Value> = reqwest::get(&url).await?.error_for_status()?.json().await?;
    let not_ok = log
        .iter()
        .filter(|e| e.get("status").and_then(serde_json::Value::as_u64) != Some(200))
        .count();
    emu.shutdown().await;
    let roles = config.role_specs();
    let (derive_ms, healthy) = time_derive(&roles, &inventory.facts);
    Ok(Row {
        requests: inventory.requests,
        light_requests: light.requests,
        full_budgets: inventory.budgets.clone(),
        light_budgets: light.budgets,
        logged: log.len(),
        not_ok,
        vms: inventory.facts.vms.len(),
        millis,
        derive_ms,
        healthy,
    })
}

const HIGH: &str = "HighCostGet3Min";
const LOW: &str = "LowCostGet3Min";

/// `High h, Low l, reads r` of one refresh.
fn split(t: &BudgetTally) -> String {
    let high = t.requests(&BudgetName::Compute(HIGH.into()));
    let low = t.requests(&BudgetName::Compute(LOW.into()));
    let reads = t.requests(&BudgetName::SubscriptionReads);
    format!("High {high:>3}, Low {low}, reads {reads:>3}")
}

/// The same, averaged over one full and `FULL_EVERY - 1` light refreshes.
fn mean_split(full: &BudgetTally, light: &BudgetTally) -> String {
    let n = f64::from(baton::azure::vm_cache::FULL_EVERY);
    let mean = |name: BudgetName| {
        (f64::from(full.requests(&name)) + (n - 1.0) * f64::from(light.requests(&name))) / n
    };
    format!(
        "High {:.1}, Low {:.1}, reads {:.1}",
        mean(BudgetName::Compute(HIGH.into())),
        mean(BudgetName::Compute(LOW.into())),
        mean(BudgetName::SubscriptionReads)
    )
}

/// Mean milliseconds of one `build_snapshot` over `facts` with every master's probes up and
/// every standby's service down (a healthy fleet), and how many roles it finds HEALTHY.
fn time_derive(roles: &[RoleSpec], facts: &AzureFacts) -> (f64, usize) {
    let mut board = HeartbeatBoard::default();
    for role in roles {
        for (i, vm) in role.vms.iter().enumerate() {
            let service = if i == 0 {
                ProbeStatus::Up { latency_ms: 1 }
            } else {
                ProbeStatus::Down {
                    reason: "HTTP 503".into(),
                }
            };
            let probes = VmProbes {
                vm: ProbeStatus::Up { latency_ms: 1 },
                service,
            };
            board.verdicts.set(vm, probes);
        }
    }
    let freshness = InventoryFreshness::default();
    let start = Instant::now();
    let mut runs = 0u32;
    let mut healthy = 0;
    while runs == 0 || start.elapsed() < DERIVE_BUDGET {
        let snapshot = build_snapshot(roles, Some(facts), &freshness, &board, &Default::default());
        healthy = snapshot
            .roles
            .iter()
            .filter(|r| r.state == LeaderState::Healthy)
            .count();
        runs += 1;
    }
    (
        start.elapsed().as_secs_f64() * 1000.0 / f64::from(runs),
        healthy,
    )
}
