//! The cockpit's unlock path over real HTTP (the emulator's Blob Storage and ARM): host A
//! (`jump-1`, operator oncall) holds role db's lock with a real `BlobStore` acquire; an operator
//! cockpit on host B (`jump-2`, operator carol) sees the remote holder in its snapshot, `U`
//! reads the lock through the engine, the typed name and Enter break it through the runner's
//! unlock front door. The emulator's lease is then broken, the shared audit has `lock_broken`
//! by carol with the cockpit's comment, and A's guard stops trusting its lease at its next
//! confirm (the check every ARM write makes first).

mod azure_support;
mod coordination_support;
mod ui_fixtures;

use azure_support::{arm, reader_with, start};
use baton::config::{self, Coordination};
use baton::core::snapshot::FleetSnapshot;
use baton::emulator::{EmulatorHandle, STORAGE_ACCOUNT_KEY};
use baton::engine::{self, CoordinationSource, EngineHandle, EngineSetup};
use baton::failover::{Operator, StateDir};
use baton::ops::Runner;
use baton::protocol::{Effect, EngineMsg, OpEffect};
use baton::store::{BlobCredential, BlobSettings, BlobStore, LeaseTiming, Store, StoreRead};
use baton::ui::{update, Keymap, Mode, Msg, UiState};
use coordination_support::{config_with_blob, raw_blob};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde_json::Value;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// Long enough for any wait below; a wait that needs it has failed.
const PATIENCE: Duration = Duration::from_secs(30);

fn settings(emu: &EmulatorHandle, host: &str) -> BlobSettings {
    // Renewed far less often than the test lasts: A learns of the break only when it confirms.
    let timing = LeaseTiming {
        renew_every: Duration::from_secs(3600),
        ..LeaseTiming::for_duration(Duration::from_secs(60))
    };
    BlobSettings {
        account_url: emu.blob_url().parse().expect("blob url"),
        container: "baton".to_string(),
        credential: BlobCredential::SharedKey {
            key: STORAGE_ACCOUNT_KEY.to_string(),
        },
        timing,
        host_id: host.to_string(),
    }
}

/// Host B's operator cockpit engine: a runner acting as carol on the shared store.
fn cockpit_engine(
    emu: &EmulatorHandle,
    config: config::Config,
    state: &Path,
    store: Arc<BlobStore>,
) -> EngineHandle {
    let runner = Runner::new(
        arm(emu),
        Arc::new(config.clone()),
        StateDir::new(state),
        Operator::named("carol", "jump-2"),
    )
    .with_store(store.clone());
    engine::start_coordinated(
        EngineSetup {
            roles: config.role_specs(),
            reader: reader_with(emu, emu.token()),
            probes: baton::setup::probe_specs(&config),
            schedule: baton::setup::schedule(&config),
            refresh_interval: Duration::from_millis(200),
            budget_share: 0.5,
            chaos: None,
            ops: Some(runner),
        },
        None,
        Some(CoordinationSource {
            store,
            host: "jump-2".to_string(),
        }),
    )
}

/// The engine's next message of the kind `want` picks, handed to the UI as it arrives.
async fn answer(
    ui: &mut UiState,
    rx: &mut mpsc::Receiver<EngineMsg>,
    want: fn(&EngineMsg) -> bool,
) {
    loop {
        let msg = tokio::time::timeout(PATIENCE, rx.recv())
            .await
            .expect("the engine answers")
            .expect("engine running");
        let wanted = want(&msg);
        let effects = update(ui, Msg::Engine(msg));
        assert!(effects.is_empty(), "{effects:?}");
        if wanted {
            return;
        }
    }
}

fn key(code: KeyCode) -> Msg {
    let mods = match code {
        KeyCode::Char(c) if c.is_uppercase() => KeyModifiers::SHIFT,
        _ => KeyModifiers::NONE,
    };
    Msg::Key(KeyEvent::new(code, mods))
}

fn audit_blob() -> String {
    let d = time::OffsetDateTime::now_utc().date();
    format!(
        "audit/{:04}-{:02}-{:02}.jsonl",
        d.year(),
        u8::from(d.month()),
        d.day()
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cockpit_breaks_a_remote_holders_lock_and_the_holder_stops_trusting_it() {
    let emu = start(1.0).await;
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config_with_blob(&emu, tmp.path());
    let config = config::parse_str(&std::fs::read_to_string(&cfg).unwrap(), &cfg).unwrap();
    assert!(matches!(config.coordination, Coordination::AzureBlob(_)));
    let a = BlobStore::connect(settings(&emu, "jump-1")).await.unwrap();
    let guard = a
        .acquire_lock("db", &Operator::named("oncall", "jump-1"), Some("op-a"))
        .await
        .unwrap();
    assert!(guard.is_held());
    let b = Arc::new(BlobStore::connect(settings(&emu, "jump-2")).await.unwrap());
    let mut engine = cockpit_engine(&emu, config, tmp.path(), b.clone());
    let mut rx = engine.take_ops().expect("operations channel");
    let effects = engine.effects();

    let mut snapshots = engine.snapshots();
    let seen = tokio::time::timeout(
        PATIENCE,
        snapshots.wait_for(|s: &FleetSnapshot| s.coordination.remote.contains_key("db")),
    )
    .await
    .expect("B sees A's lock")
    .expect("engine running")
    .clone();
    assert_eq!(seen.coordination.remote["db"].by(), "oncall@jump-1");
    let mut ui = UiState::new(
        Mode::Operator,
        Keymap::default_for(Mode::Operator),
        "baton",
        "t",
    )
    .with_shared_locks(true);
    update(&mut ui, Msg::Snapshot(seen));
    let db = ui
        .snapshot()
        .roles
        .iter()
        .position(|r| r.role == "db")
        .expect("role db");
    for _ in 0..db {
        update(&mut ui, key(KeyCode::Down));
    }

    let asked = update(&mut ui, key(KeyCode::Char('U')));
    assert!(
        matches!(asked[..], [Effect::Op(OpEffect::ReadLock { .. })]),
        "{asked:?}"
    );
    for effect in asked {
        effects.send(effect).await.unwrap();
    }
    answer(&mut ui, &mut rx, |m| matches!(m, EngineMsg::Lock { .. })).await;
    for c in "db".chars() {
        assert!(update(&mut ui, key(KeyCode::Char(c))).is_empty());
    }
    let confirmed = update(&mut ui, key(KeyCode::Enter));
    assert!(
        matches!(
            &confirmed[..],
            [Effect::Op(OpEffect::BreakLock { epoch: 1, .. })]
        ),
        "{confirmed:?}"
    );
    for effect in confirmed {
        effects.send(effect).await.unwrap();
    }
    answer(&mut ui, &mut rx, |m| {
        matches!(m, EngineMsg::LockBroken { .. })
    })
    .await;
    let said = ui.log().back().map(|e| e.text.clone()).unwrap_or_default();
    assert_eq!(
        said,
        "lock of db broken (was oncall@jump-1, epoch 1); no operation of db is unfinished"
    );

    let lock = b.lock_status("db").await.unwrap().expect("db's lock blob");
    assert_eq!(
        (lock.lease.as_str(), lock.held),
        ("broken", false),
        "{lock:?}"
    );
    let audit = raw_blob(&emu, &audit_blob()).await;
    let broken: Vec<Value> = audit
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|r| r["event"] == "lock_broken")
        .collect();
    assert_eq!(broken.len(), 1, "{audit}");
    assert_eq!(broken[0]["operator"]["user"], "carol", "{audit}");
    assert_eq!(broken[0]["comment"], "from the cockpit", "{audit}");
    assert_eq!(broken[0]["epoch"], 1, "{audit}");
    assert_eq!(broken[0]["holder_op"], "op-a", "{audit}");

    // A has not renewed since: it learns of the break at its next confirm, before any write.
    assert!(guard.is_held(), "nothing told A yet");
    let lost = guard.watch().confirm().await;
    assert!(lost.is_some_and(|why| why.contains("lease lost")));
    assert!(!guard.is_held());
    engine.shutdown().await;
    emu.shutdown().await;
}
