//! Fixed fleet snapshots for tests, the UI preview example and benchmarks: a four-role world
//! (gateway, web, app, db) healthy, with web's master down, with db split, with stale
//! inventory, and a synthetic fleet of any size. All times derive from [`T0`].
//!
//! Plain data builders; no I/O and no clock reads. Not used by the running cockpit.

use crate::core::leader::{DiskPlacement, LeaderState, RoleStatus, Violation, VmStatus};
use crate::core::model::{PowerState, ProbeStatus, VmProbes};
use crate::core::snapshot::{
    EngineEvent, FleetSnapshot, InventoryFreshness, ProbeHistory, Severity, VmHeartbeats,
};
use std::collections::BTreeMap;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

/// The fixed "now" of every fixture: 03:12:00 UTC, the classic bad hour.
pub const T0: OffsetDateTime = datetime!(2024-05-14 03:12:00 UTC);

/// Refresh interval the fixtures schedule (fetched_at → next_refresh_at).
pub const REFRESH: Duration = Duration::seconds(30);

fn up(ms: u64) -> ProbeStatus {
    ProbeStatus::Up { latency_ms: ms }
}

fn down(reason: &str) -> ProbeStatus {
    ProbeStatus::Down {
        reason: reason.to_string(),
    }
}

fn vm(name: &str, master: bool, vm_probe: ProbeStatus, service: ProbeStatus) -> VmStatus {
    VmStatus {
        name: name.to_string(),
        power: PowerState::Running,
        probes: VmProbes {
            vm: vm_probe,
            service,
        },
        is_master: master,
    }
}

fn disk(name: &str, lun: i32, on: Option<&str>) -> DiskPlacement {
    DiskPlacement {
        name: name.to_string(),
        lun,
        attached_to: on.map(str::to_string),
        disk_state: if on.is_some() {
            "Attached"
        } else {
            "Unattached"
        }
        .to_string(),
    }
}

/// A healthy role: first VM is master with every disk and the endpoint; others are standbys
/// whose service is stopped by design.
fn healthy_role(name: &str, vms: &[&str], disks: &[(&str, i32)], base_ms: u64) -> RoleStatus {
    let master = vms[0];
    RoleStatus {
        role: name.to_string(),
        state: LeaderState::Healthy,
        master: Some(master.to_string()),
        endpoint_holders: vec![master.to_string()],
        disks: disks
            .iter()
            .map(|(d, l)| disk(d, *l, Some(master)))
            .collect(),
        vms: vms
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let service = if i == 0 {
                    up(base_ms + 3)
                } else {
                    down("connection refused")
                };
                vm(v, i == 0, up(base_ms), service)
            })
            .collect(),
        violations: Vec::new(),
    }
}

/// A latency history of `n` samples wobbling around `base` (deterministic).
fn wobble(n: usize, base: u64) -> Vec<Option<u64>> {
    (0..n)
        .map(|i| Some(base + ((i * 7 + base as usize) % 11) as u64))
        .collect()
}

fn history(samples: Vec<Option<u64>>) -> ProbeHistory {
    let failures = samples.iter().rev().take_while(|s| s.is_none()).count();
    let ok_ago = failures as i64 + 1;
    let ever_ok = samples.iter().any(Option::is_some);
    ProbeHistory {
        samples,
        last_ok: ever_ok.then(|| T0 - Duration::seconds(ok_ago)),
        last_run: Some(T0 - Duration::seconds(1)),
        consecutive_failures: failures as u32,
    }
}

/// Heartbeat histories consistent with each VM's current probes.
fn heartbeats_for(roles: &[RoleStatus]) -> BTreeMap<String, VmHeartbeats> {
    let mut map = BTreeMap::new();
    for (r, role) in roles.iter().enumerate() {
        for (i, v) in role.vms.iter().enumerate() {
            let base = 8 + (r as u64) * 5 + i as u64;
            let series = |p: &ProbeStatus| {
                let mut s = wobble(40, base);
                if p.is_down() {
                    let dead = if v.is_master { 6 } else { 40 };
                    for x in s.iter_mut().rev().take(dead) {
                        *x = None;
                    }
                }
                history(s)
            };
            map.insert(
                v.name.to_ascii_lowercase(),
                VmHeartbeats {
                    vm: series(&v.probes.vm),
                    service: series(&v.probes.service),
                },
            );
        }
    }
    map
}

fn snapshot(roles: Vec<RoleStatus>, fetched_ago: i64, error: Option<&str>) -> FleetSnapshot {
    let fetched = T0 - Duration::seconds(fetched_ago);
    FleetSnapshot {
        heartbeats: heartbeats_for(&roles),
        roles,
        inventory: InventoryFreshness {
            fetched_at: Some(fetched),
            last_error: error.map(str::to_string),
            next_refresh_at: Some(fetched + REFRESH),
            arm_requests: 9,
        },
    }
}

fn world() -> Vec<RoleStatus> {
    vec![
        healthy_role("gateway", &["gw-a", "gw-b"], &[], 4),
        healthy_role("web", &["web-a", "web-b"], &[("web-data", 0)], 11),
        healthy_role(
            "app",
            &["app-a", "app-b", "app-c"],
            &[("app-data", 0), ("app-logs", 1)],
            17,
        ),
        healthy_role("db", &["db-a", "db-b"], &[("db-data", 0), ("db-log", 1)], 6),
    ]
}

/// Every role healthy; inventory 12 s old.
pub fn healthy() -> FleetSnapshot {
    snapshot(world(), 12, None)
}

/// As [`healthy`], but web's master (web-a) answers its service probe with HTTP 503.
pub fn master_down() -> FleetSnapshot {
    let mut roles = world();
    let web = &mut roles[1];
    web.state = LeaderState::MasterDown;
    web.vms[0].probes.service = down("HTTP 503 after 41ms");
    web.violations.push(Violation::MasterServiceDown {
        vm: "web-a".to_string(),
        reason: "HTTP 503 after 41ms".to_string(),
    });
    snapshot(roles, 12, None)
}

/// As [`healthy`], but db's endpoint is on both VMs and db-log sits on db-b (SPLIT), and
/// app's standby app-c is deallocated (DEGRADED).
pub fn split() -> FleetSnapshot {
    let mut roles = world();
    let app = &mut roles[2];
    app.state = LeaderState::Degraded;
    app.vms[2].power = PowerState::Deallocated;
    app.vms[2].probes = VmProbes {
        vm: down("timeout after 800ms"),
        service: down("timeout after 800ms"),
    };
    let db = &mut roles[3];
    db.state = LeaderState::Split;
    db.master = None;
    db.vms[0].is_master = false;
    db.endpoint_holders = vec!["db-a".to_string(), "db-b".to_string()];
    db.disks[1] = disk("db-log", 1, Some("db-b"));
    db.violations = vec![
        Violation::EndpointOnMany {
            endpoint: "lb-db/db-sql".to_string(),
            holders: vec!["db-a".to_string(), "db-b".to_string()],
        },
        Violation::DiskOutsideRole {
            disk: "db-log".to_string(),
            vm: "db-b".to_string(),
        },
        Violation::LoadBalancerDisagrees {
            endpoint: "lb-db/db-sql".to_string(),
            lb_says: vec!["db-a-nic".to_string()],
            nics_say: vec!["db-a-nic".to_string(), "db-b-nic".to_string()],
        },
    ];
    db.violations.truncate(3);
    snapshot(roles, 12, None)
}

/// As [`healthy`], but the last good inventory is 4 minutes old and the latest refresh failed.
pub fn stale() -> FleetSnapshot {
    snapshot(
        world(),
        240,
        Some("ARM 429 TooManyRequests: subscription read limit reached (x-ms-request-id 7f3c2a91-0d4e-4c55-9b1e-2f6a8c0d1e77)"),
    )
}

/// A few engine events such as the engine sends during an incident.
pub fn events() -> Vec<EngineEvent> {
    let at = |s: i64| T0 - Duration::seconds(s);
    vec![
        EngineEvent {
            at: at(95),
            severity: Severity::Info,
            role: None,
            text: "inventory refreshed: 9 ARM requests".to_string(),
        },
        EngineEvent {
            at: at(40),
            severity: Severity::Warn,
            role: Some("app".to_string()),
            text: "ARM 429 TooManyRequests on GET virtualMachines, retry after 12s (request-id 5d1e0c2b)".to_string(),
        },
        EngineEvent {
            at: at(8),
            severity: Severity::Critical,
            role: Some("web".to_string()),
            text: "service probe web-a: HTTP 503 after 41ms (3 in a row)".to_string(),
        },
    ]
}

/// A synthetic fleet of `n` roles (two VMs each), mostly healthy with a sprinkling of every
/// other state; for layout and performance checks.
pub fn large(n: usize) -> FleetSnapshot {
    let states = [
        LeaderState::Healthy,
        LeaderState::Healthy,
        LeaderState::Healthy,
        LeaderState::Degraded,
        LeaderState::Healthy,
        LeaderState::Unknown,
        LeaderState::Healthy,
        LeaderState::MasterDown,
    ];
    let roles: Vec<RoleStatus> = (0..n)
        .map(|i| {
            let a = format!("r{i:04}-a");
            let b = format!("r{i:04}-b");
            let d = format!("r{i:04}-data");
            let mut role = healthy_role(
                &format!("role-{i:04}"),
                &[&a, &b],
                &[(&d, 0)],
                (i % 20) as u64,
            );
            role.state = states[i % states.len()];
            role
        })
        .collect();
    snapshot(roles, 5, None)
}

/// A cockpit in `mode` with the default keymap, ticked at [`T0`], fed `snapshots` in order and
/// then the [`events`]: the starting point of every screen test.
pub fn state(mode: super::Mode, snapshots: Vec<FleetSnapshot>) -> super::UiState {
    use super::{update, Msg};
    let mut st = super::UiState::new(mode, super::Keymap::default_for(mode), "baton", "prod-weu");
    update(&mut st, Msg::Tick(T0));
    for s in snapshots {
        update(&mut st, Msg::Snapshot(s));
    }
    for e in events() {
        update(&mut st, Msg::Event(e));
    }
    st
}
