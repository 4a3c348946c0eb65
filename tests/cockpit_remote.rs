//! Remote operations over real HTTP (the emulator's Blob Storage): host A (`jump-2`, operator
//! `oncall`) holds the lease of role web and appends its failover's journal line by line; a
//! wall engine on host B reads the store through its read half only. B's snapshot shows web
//! FAILING OVER by oncall@jump-2, B streams every appended line in order as it lands, and the
//! emulator's request log shows no write from B (every request while A is idle is a read).
//! Then: storage refusing B (403) raises the coordination banner in the snapshot, and it
//! clears by itself when the storage answers again; and A's held lock slows B's inventory
//! refresh (the reserve for operations) until A lets go.

mod azure_support;
mod ui_fixtures;

use azure_support::{reader_with, start};
use baton::config;
use baton::core::leader::LeaderState;
use baton::core::operation::OpEvent;
use baton::core::snapshot::FleetSnapshot;
use baton::emulator::{EmulatorHandle, STORAGE_ACCOUNT_KEY};
use baton::engine::{self, CoordinationSource, EngineHandle, EngineSetup};
use baton::failover::Operator;
use baton::protocol::EngineMsg;
use baton::setup;
use baton::store::{BlobCredential, BlobSettings, BlobStore, LeaseTiming, Store, StoreRead};
use serde_json::Value;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

const OP: &str = "op-remote-1";
/// Long enough for any wait below; a wait that needs it has failed.
const PATIENCE: Duration = Duration::from_secs(30);

fn settings(emu: &EmulatorHandle, host: &str, key: &str) -> BlobSettings {
    // A renews far less often than the test lasts: every write during the test is one it
    // made on purpose, so a window in which A is idle holds only B's requests.
    let timing = LeaseTiming {
        renew_every: Duration::from_secs(3600),
        ..LeaseTiming::for_duration(Duration::from_secs(60))
    };
    BlobSettings {
        account_url: emu.blob_url().parse().expect("blob url"),
        container: "baton".to_string(),
        credential: BlobCredential::SharedKey {
            key: key.to_string(),
        },
        timing,
        host_id: host.to_string(),
    }
}

fn oncall() -> Operator {
    Operator {
        user: "oncall".to_string(),
        host: "jump-2".to_string(),
        ..Operator::from_env()
    }
}

/// The fixture switchover's journal, as role web's operation `OP`.
fn journal_events() -> Vec<OpEvent> {
    let mut events = ui_fixtures::ops::mid_run();
    if let Some(OpEvent::Begun {
        role,
        op_id,
        operator,
        ..
    }) = events.first_mut()
    {
        *role = "web".to_string();
        *op_id = OP.to_string();
        *operator = "oncall".to_string();
    }
    events
}

fn wall_engine(emu: &EmulatorHandle, store: BlobStore) -> EngineHandle {
    wall_engine_every(emu, store, Duration::from_millis(300))
}

fn wall_engine_every(emu: &EmulatorHandle, store: BlobStore, refresh: Duration) -> EngineHandle {
    let config = config::parse_str(&emu.baton_config_toml(), Path::new("<test>")).unwrap();
    engine::start_coordinated(
        EngineSetup {
            roles: config.role_specs(),
            reader: reader_with(emu, emu.token()),
            probes: setup::probe_specs(&config),
            schedule: setup::schedule(&config),
            refresh_interval: refresh,
            budget_share: 0.5,
            chaos: None,
            ops: None,
        },
        None,
        Some(CoordinationSource {
            store: Arc::new(store),
            host: "jump-1".to_string(),
        }),
    )
}

async fn wait_snapshot(
    rx: &mut watch::Receiver<FleetSnapshot>,
    what: &str,
    pred: impl Fn(&FleetSnapshot) -> bool,
) -> FleetSnapshot {
    let found = tokio::time::timeout(PATIENCE, rx.wait_for(|s| pred(s))).await;
    match found {
        Ok(Ok(s)) => s.clone(),
        Ok(Err(e)) => panic!("no snapshot where {what}: the engine stopped ({e})"),
        Err(_) => panic!("no snapshot where {what} in {PATIENCE:?}"),
    }
}

/// The next `n` remote events B streams.
async fn next_events(ui: &mut mpsc::Receiver<EngineMsg>, n: usize) -> Vec<OpEvent> {
    let mut out = Vec::new();
    while out.len() < n {
        let msg = tokio::time::timeout(PATIENCE, ui.recv())
            .await
            .expect("B streams the remote journal")
            .expect("engine running");
        match msg {
            EngineMsg::RemoteEvent { op_id, by, event } => {
                assert_eq!((op_id.as_str(), by.as_str()), (OP, "oncall@jump-2"));
                out.push(event);
            }
            other => panic!("unexpected message {other:?}"),
        }
    }
    out
}

async fn request_log(emu: &EmulatorHandle) -> Vec<Value> {
    reqwest::get(format!("{}_emulator/requests", emu.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Requests after the first `from` that are not reads.
async fn writes_since(emu: &EmulatorHandle, from: usize) -> Vec<String> {
    request_log(emu)
        .await
        .iter()
        .skip(from)
        .filter(|r| !matches!(r["method"].as_str(), Some("GET" | "HEAD")))
        .map(|r| format!("{} {}", r["method"], r["path"]))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wall_on_host_b_follows_host_a_failover_step_by_step_without_writing() {
    let emu = start(1.0).await;
    let a = BlobStore::connect(settings(&emu, "jump-2", STORAGE_ACCOUNT_KEY))
        .await
        .expect("storage");
    let lock = a.acquire_lock("web", &oncall(), Some(OP)).await.unwrap();
    let mut journal = a.create_journal("web", OP).await.unwrap();
    let events = journal_events();
    for e in &events[..2] {
        journal.append(e).await.unwrap();
    }

    let mark = request_log(&emu).await.len();
    let wall = BlobStore::offline(settings(&emu, "jump-1", STORAGE_ACCOUNT_KEY)).unwrap();
    let mut handle = wall_engine(&emu, wall);
    let mut ui = handle.take_ops().unwrap();
    let mut snapshots = handle.snapshots();
    let seen = wait_snapshot(&mut snapshots, "web is held by jump-2", |s| {
        s.coordination.remote.contains_key("web")
    })
    .await;
    assert_eq!(seen.coordination.remote["web"].by(), "oncall@jump-2");
    assert_eq!(seen.coordination.unavailable, None);
    let web = seen.roles.iter().find(|r| r.role == "web").unwrap();
    assert_eq!(web.state, LeaderState::FailingOver);
    assert_eq!(next_events(&mut ui, 2).await, events[..2]);
    assert_eq!(writes_since(&emu, mark).await, Vec::<String>::new());

    // Step by step: each batch A appends shows up next, in order, and nothing else.
    for batch in [&events[2..5], &events[5..]] {
        for e in batch {
            journal.append(e).await.unwrap();
        }
        let mark = request_log(&emu).await.len();
        assert_eq!(next_events(&mut ui, batch.len()).await, batch);
        let reads = request_log(&emu).await.len() - mark;
        assert!(reads > 0, "B read the journal in this window");
        assert_eq!(writes_since(&emu, mark).await, Vec::<String>::new());
    }

    // A finishes: the last line streams, the lock goes, web is no longer shown as B's remote.
    let finished = OpEvent::Finished {
        at: ui_fixtures::ops::at(40),
        outcome: baton::core::operation::Outcome::Succeeded,
    };
    journal.append(&finished).await.unwrap();
    lock.release().await.unwrap();
    assert_eq!(next_events(&mut ui, 1).await, [finished]);
    wait_snapshot(&mut snapshots, "web is free again", |s| {
        s.coordination.remote.is_empty()
    })
    .await;
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusing_store_raises_the_banner_and_it_clears_when_the_store_answers() {
    let emu = start(1.0).await;
    // Seed the container with the right key, then B lists with a wrong one: 403.
    let a = BlobStore::connect(settings(&emu, "jump-2", STORAGE_ACCOUNT_KEY))
        .await
        .expect("storage");
    assert!(a.list_locks().await.unwrap().is_empty());
    // Valid base64, another key: the signature is wrong, as with a rotated key.
    let first = if STORAGE_ACCOUNT_KEY.starts_with('A') {
        "B"
    } else {
        "A"
    };
    let wrong = format!("{first}{}", &STORAGE_ACCOUNT_KEY[1..]);
    let refused = BlobStore::offline(settings(&emu, "jump-1", &wrong)).unwrap();
    let handle = wall_engine(&emu, refused);
    let mut snapshots = handle.snapshots();
    let down = wait_snapshot(&mut snapshots, "the store is unavailable", |s| {
        s.coordination.unavailable.is_some()
    })
    .await;
    let text = down.coordination.unavailable.unwrap_or_default();
    assert!(
        text.contains("403") && text.contains("AuthenticationFailed"),
        "{text}"
    );
    let request_id = request_log(&emu)
        .await
        .iter()
        .rev()
        .find(|r| r["status"] == 403)
        .and_then(|r| r["request_id"].as_str().map(str::to_string))
        .expect("a 403 in the log");
    assert!(text.contains(&request_id), "{text} names the request id");
    handle.shutdown().await;

    // The storage goes down for everyone, then comes back: the banner follows it.
    let good = BlobStore::offline(settings(&emu, "jump-1", STORAGE_ACCOUNT_KEY)).unwrap();
    let handle = wall_engine(&emu, good);
    let mut snapshots = handle.snapshots();
    wait_snapshot(&mut snapshots, "the store answers", |s| {
        s.inventory.fetched_at.is_some() && s.coordination.unavailable.is_none()
    })
    .await;
    storage_fault(&emu, "comp=list").await;
    let down = wait_snapshot(&mut snapshots, "the storage fails", |s| {
        s.coordination.unavailable.is_some()
    })
    .await;
    assert!(down.inventory.last_error.is_none(), "ARM facts still fresh");
    clear_faults(&emu).await;
    wait_snapshot(&mut snapshots, "the banner clears", |s| {
        s.coordination.unavailable.is_none()
    })
    .await;
    handle.shutdown().await;
}

async fn storage_fault(emu: &EmulatorHandle, fragment: &str) {
    let body = serde_json::json!({
        "path_contains": fragment,
        "status": 503,
        "code": "ServerBusy",
        "count": 100000,
    });
    let resp = reqwest::Client::new()
        .post(format!("{}_emulator/faults", emu.base_url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{}", resp.text().await.unwrap());
}

async fn clear_faults(emu: &EmulatorHandle) {
    let resp = reqwest::Client::new()
        .delete(format!("{}_emulator/faults", emu.base_url()))
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_history_view_reads_the_shared_store() {
    let emu = start(1.0).await;
    let a = BlobStore::connect(settings(&emu, "jump-2", STORAGE_ACCOUNT_KEY))
        .await
        .expect("storage");
    let mut journal = a.create_journal("web", OP).await.unwrap();
    let mut events = ui_fixtures::ops::succeeded();
    if let Some(OpEvent::Begun { role, op_id, .. }) = events.first_mut() {
        *role = "web".to_string();
        *op_id = OP.to_string();
    }
    for e in &events {
        journal.append(e).await.unwrap();
    }
    let reader = BlobStore::offline(settings(&emu, "jump-1", STORAGE_ACCOUNT_KEY)).unwrap();
    let config = config::parse_str(&emu.baton_config_toml(), Path::new("<test>")).unwrap();
    let source = engine::HistorySource {
        store: Arc::new(reader),
        timelines: None,
        rto_target: Duration::from_secs(300),
    };
    let mut handle = engine::start_with(
        EngineSetup {
            roles: config.role_specs(),
            reader: reader_with(&emu, emu.token()),
            probes: setup::probe_specs(&config),
            schedule: setup::schedule(&config),
            refresh_interval: Duration::from_secs(60),
            budget_share: 0.5,
            chaos: None,
            ops: None,
        },
        Some(source),
    );
    let mut ui = handle.take_ops().unwrap();
    let ask = baton::protocol::Effect::Read(baton::protocol::ReadEffect::LoadHistory);
    handle.effects().send(ask).await.unwrap();
    let answer = tokio::time::timeout(PATIENCE, ui.recv())
        .await
        .expect("the engine answers")
        .expect("engine running");
    let EngineMsg::History(Ok(history)) = answer else {
        panic!("expected a history, got {answer:?}");
    };
    let web = history
        .role("web")
        .expect("web's runs from the shared journal");
    assert_eq!(web.runs.len(), 1);
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_hosts_operation_slows_this_cockpits_refresh_until_its_lock_goes() {
    use baton::core::budget::StretchReason;
    let emu = start(1.0).await;
    let a = BlobStore::connect(settings(&emu, "jump-2", STORAGE_ACCOUNT_KEY))
        .await
        .expect("storage");
    let wall = BlobStore::offline(settings(&emu, "jump-1", STORAGE_ACCOUNT_KEY)).unwrap();
    let handle = wall_engine_every(&emu, wall, Duration::from_secs(1));
    let mut snapshots = handle.snapshots();
    let operation = Some(StretchReason::Operation);
    let first = wait_snapshot(&mut snapshots, "a first refresh", |s| {
        s.inventory.fetched_at.is_some()
    })
    .await;
    // The read budgets may stretch the pace by themselves; no operation does yet.
    let before = first.inventory.pace.clone();
    assert_ne!(before.as_ref().and_then(|p| p.reason.clone()), operation);

    let lock = a.acquire_lock("web", &oncall(), Some(OP)).await.unwrap();
    let slowed = wait_snapshot(&mut snapshots, "a refresh slowed for jump-2", |s| {
        s.inventory.pace.as_ref().and_then(|p| p.reason.clone()) == operation
    })
    .await;
    assert!(slowed.coordination.remote.contains_key("web"));
    let interval = slowed.inventory.pace.expect("paced").interval;
    assert!(
        interval >= Duration::from_secs(4),
        "at least 4 x the configured 1 s: {interval:?}"
    );

    lock.release().await.unwrap();
    wait_snapshot(
        &mut snapshots,
        "the operation's slowdown gone with the lock",
        |s| {
            s.coordination.remote.is_empty()
                && s.inventory.pace.as_ref().and_then(|p| p.reason.clone()) != operation
        },
    )
    .await;
    handle.shutdown().await;
}
