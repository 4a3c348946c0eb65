//! The engine against the emulator: snapshots become healthy, a killed master turns MASTER
//! DOWN, demo chaos and refresh-now go through effects, and a throttled refresh keeps the old
//! facts while saying why they are old.

mod azure_support;

use azure_support::{fault, reader_with, start};
use baton::config::{self, Config};
use baton::core::leader::LeaderState;
use baton::core::snapshot::FleetSnapshot;
use baton::emulator::EmulatorHandle;
use baton::engine::{self, ChaosPort, EngineHandle, EngineSetup};
use baton::probe::ScheduleParams;
use baton::setup;
use baton::ui::{ChaosAction, Effect};
use serde_json::json;
use std::path::Path;
use std::time::Duration;
use tokio::sync::watch;

fn config_of(emu: &EmulatorHandle) -> Config {
    config::parse_str(&emu.baton_config_toml(), Path::new("<test>")).expect("emulator config")
}

fn start_engine(emu: &EmulatorHandle, refresh: Duration) -> EngineHandle {
    let config = config_of(emu);
    let schedule = ScheduleParams {
        interval: Duration::from_millis(50),
        timeout: Duration::from_millis(40),
        ..setup::schedule(&config)
    };
    engine::start(EngineSetup {
        roles: config.role_specs(),
        reader: reader_with(emu, emu.token()),
        probes: setup::probe_specs(&config),
        schedule,
        refresh_interval: refresh,
        chaos: Some(ChaosPort::new(emu.base_url().clone())),
    })
}

/// Waits (bounded) for a snapshot satisfying `pred`.
async fn until(
    rx: &mut watch::Receiver<FleetSnapshot>,
    what: &str,
    pred: impl Fn(&FleetSnapshot) -> bool,
) -> FleetSnapshot {
    let wait = async {
        loop {
            if pred(&rx.borrow_and_update()) {
                return rx.borrow().clone();
            }
            if rx.changed().await.is_err() {
                panic!("engine stopped before {what}");
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(30), wait)
        .await
        .unwrap_or_else(|_| panic!("never saw {what}: {:?}", rx.borrow().roles))
}

fn state_of(s: &FleetSnapshot, role: &str) -> LeaderState {
    s.roles
        .iter()
        .find(|r| r.role == role)
        .map_or(LeaderState::Unknown, |r| r.state)
}

fn all_healthy(s: &FleetSnapshot) -> bool {
    s.roles.len() == 4 && s.roles.iter().all(|r| r.state == LeaderState::Healthy)
}

#[tokio::test(flavor = "multi_thread")]
async fn healthy_then_chaos_turns_master_down_then_heals() {
    let emu = start(100.0).await;
    let engine = start_engine(&emu, Duration::from_secs(5));
    let mut rx = engine.snapshots();
    let first = until(&mut rx, "all healthy", all_healthy).await;
    assert_eq!(first.inventory.arm_requests, 5);
    assert!(first.inventory.fetched_at.is_some());
    let web_a = first.heartbeats_of("web-a").expect("web-a probed");
    assert!(!web_a.service.samples.is_empty());

    let effects = engine.effects();
    let kill = Effect::Chaos {
        vm: "web-a".into(),
        action: ChaosAction::KillService,
    };
    effects.send(kill).await.expect("engine takes effects");
    let down = until(&mut rx, "web master down", |s| {
        state_of(s, "web") == LeaderState::MasterDown
    })
    .await;
    let web = down.roles.iter().find(|r| r.role == "web").expect("web");
    assert_eq!(web.master.as_deref(), Some("web-a"));
    assert_eq!(
        web.violations
            .iter()
            .map(|v| v.to_string())
            .collect::<Vec<_>>(),
        vec!["service probe of master web-a down: HTTP 503".to_string()]
    );
    assert_eq!(state_of(&down, "db"), LeaderState::Healthy);

    let heal = Effect::Chaos {
        vm: "web-a".into(),
        action: ChaosAction::Heal,
    };
    effects.send(heal).await.expect("engine takes effects");
    until(&mut rx, "healthy again", all_healthy).await;
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn throttled_refresh_keeps_facts_and_reports_the_error() {
    let emu = start(100.0).await;
    let mut engine = start_engine(&emu, Duration::from_secs(3600));
    let mut events = engine.take_events().expect("event stream");
    let mut rx = engine.snapshots();
    until(&mut rx, "all healthy", all_healthy).await;

    // More throttled answers than the client's retry budget: the refresh itself fails.
    fault(
        &emu,
        json!({"method": "GET", "path_contains": "networkInterfaces", "count": 20,
               "status": 429, "code": "SubscriptionRequestsThrottled",
               "message": "Number of read requests exceeded", "retry_after": 7}),
    )
    .await;
    engine
        .effects()
        .send(Effect::RefreshInventory)
        .await
        .expect("engine takes effects");
    let stale = until(&mut rx, "refresh error", |s| {
        s.inventory.last_error.is_some()
    })
    .await;
    let error = stale.inventory.last_error.clone().unwrap_or_default();
    assert!(error.contains("SubscriptionRequestsThrottled"), "{error}");
    assert!(error.contains("429"), "{error}");
    assert!(all_healthy(&stale), "old facts are kept, not dropped");
    let (fetched, next) = (stale.inventory.fetched_at, stale.inventory.next_refresh_at);
    assert!(next > fetched, "the next refresh is scheduled");

    let event = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let e = events.recv().await.expect("event");
            if e.text.contains("inventory refresh failed") {
                return e;
            }
        }
    })
    .await
    .expect("a refresh-failure event");
    assert!(
        event.text.contains("SubscriptionRequestsThrottled"),
        "{}",
        event.text
    );
    engine.shutdown().await;
}
