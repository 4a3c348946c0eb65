//! One store suite for the Blob Storage backend, run against baton's emulator and, when
//! `BATON_AZURITE_URL` is set (`.ci/run` sets it), against Azurite too. With the variable set,
//! an unreachable Azurite makes these tests **fail**, never skip; without it (a developer's
//! machine), they run against the emulator only. Tests that need injected faults (dropped
//! answers, 503s) run against the emulator only: Azurite cannot inject them.

use baton::core::drill::DrillRecord;
use baton::core::operation::OpEvent;
use baton::core::plan::OperationKind;
use baton::emulator::{
    start, EmulatorHandle, EmulatorOptions, STORAGE_ACCOUNT, STORAGE_ACCOUNT_KEY,
};
use baton::failover::audit::{AuditEvent, AuditRecord};
use baton::failover::Operator;
use baton::store::{
    BlobCredential, BlobSettings, BlobStore, LeaseTiming, Precondition, Store, StoreError,
    StoreRead,
};
use serde_json::json;
use std::time::Duration;

/// Where the suite runs.
struct Target {
    name: &'static str,
    account_url: String,
    emulator: Option<EmulatorHandle>,
}

impl Target {
    /// A fresh emulator, and Azurite when `BATON_AZURITE_URL` says where it is.
    async fn all() -> Vec<Target> {
        let mut out = vec![Target::emulator().await];
        if let Ok(url) = std::env::var("BATON_AZURITE_URL") {
            out.push(Target {
                name: "azurite",
                account_url: url.trim_end_matches('/').to_string(),
                emulator: None,
            });
        }
        out
    }

    async fn emulator() -> Target {
        let emu = start(EmulatorOptions::local(100.0))
            .await
            .expect("emulator");
        Target {
            name: "emulator",
            account_url: emu.blob_url(),
            emulator: Some(emu),
        }
    }

    fn settings(&self, host: &str, timing: LeaseTiming) -> BlobSettings {
        BlobSettings {
            account_url: self.account_url.parse().expect("url"),
            // A container per test run: Azurite is shared by the whole suite.
            container: format!("t{}", uuid::Uuid::new_v4().simple()),
            credential: BlobCredential::SharedKey {
                key: STORAGE_ACCOUNT_KEY.to_string(),
            },
            timing,
            host_id: host.to_string(),
        }
    }

    async fn store(&self, host: &str) -> (BlobStore, BlobSettings) {
        let s = self.settings(host, LeaseTiming::for_duration(Duration::from_secs(15)));
        (
            BlobStore::connect(s.clone())
                .await
                .unwrap_or_else(|e| panic!("{}: {e}", self.name)),
            s,
        )
    }

    async fn emulator_post(&self, path: &str, body: serde_json::Value) {
        let emu = self.emulator.as_ref().expect("an emulator target");
        let resp = reqwest::Client::new()
            .post(format!("{}_emulator/{path}", emu.base_url()))
            .json(&body)
            .send()
            .await
            .expect("control");
        assert!(resp.status().is_success(), "{}", resp.status());
    }
}

fn begun(op: &str) -> OpEvent {
    OpEvent::Begun {
        op_id: op.to_string(),
        role: "db".to_string(),
        kind: OperationKind::Switchover,
        from: Some("db-a".to_string()),
        to: "db-b".to_string(),
        operator: "alice".to_string(),
        at: time::OffsetDateTime::now_utc(),
        plan_steps: vec![],
        drill: None,
    }
}

fn drill(id: &str) -> DrillRecord {
    serde_json::from_value(json!({
        "drill_id": id, "role": "web", "from": "web-a", "to": "web-b", "operator": "alice",
        "begun_at": "2026-12-06T10:00:00Z", "hold_secs": 30, "switch_back": true,
        "rto_target_ms": 60000
    }))
    .expect("record")
}

#[tokio::test]
async fn one_holder_per_role_and_the_loser_names_the_winner() {
    for t in Target::all().await {
        let (a, settings) = t.store("jump-1").await;
        let mut b_settings = settings.clone();
        b_settings.host_id = "jump-2".to_string();
        let b = BlobStore::connect(b_settings).await.expect("b");
        let guard = a
            .acquire_lock("db", &Operator::named("alice", "x"), Some("op-1"))
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", t.name));
        assert!(guard.is_held(), "{}", t.name);
        let lost = b
            .acquire_lock("db", &Operator::named("bob", "y"), None)
            .await
            .expect_err("b must not get it");
        let text = lost.to_string();
        assert!(matches!(lost, StoreError::Locked(_)), "{}: {text}", t.name);
        assert!(
            text.contains("alice") && text.contains("jump-1") && text.contains("op-1"),
            "{}: {text}",
            t.name
        );
        let holder = b.lock_holder("db").await.expect("holder").expect("held");
        assert_eq!(
            (holder.who.as_str(), holder.host.as_str()),
            ("alice", "jump-1")
        );
        assert_eq!(a.lock_epoch("db").await.expect("epoch"), 1);
        guard.release().await.expect("release");
        assert!(
            b.lock_holder("db").await.expect("holder").is_none(),
            "{}",
            t.name
        );
        let second = b
            .acquire_lock("db", &Operator::named("bob", "y"), None)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", t.name));
        assert_eq!(second.info().host, "jump-2");
        assert_eq!(b.lock_epoch("db").await.expect("epoch"), 2, "{}", t.name);
        second.release().await.expect("release");
    }
}

#[tokio::test]
async fn journals_append_in_order_with_the_epoch_and_never_twice() {
    for t in Target::all().await {
        let (store, _) = t.store("jump-1").await;
        let guard = store
            .acquire_lock("db", &Operator::named("alice", "x"), None)
            .await
            .expect("lock");
        let mut w = store.create_journal("db", "op-1").await.expect("create");
        for _ in 0..3 {
            w.append(&begun("op-1")).await.expect("append");
        }
        assert_eq!(w.position(), 3);
        let err = store
            .create_journal("db", "op-1")
            .await
            .expect_err("exists");
        assert!(
            matches!(err, StoreError::Conflict { .. }),
            "{}: {err}",
            t.name
        );
        let (mut again, loaded) = store.reopen_journal("db", "op-1").await.expect("reopen");
        assert_eq!(
            (loaded.events.len(), again.position()),
            (3, 3),
            "{}",
            t.name
        );
        again
            .append(&begun("op-1"))
            .await
            .expect("append after reopen");
        let loaded = store.load_journal("db", "op-1").await.expect("load");
        assert_eq!(loaded.events.len(), 4, "{}", t.name);
        assert_eq!(store.journals_of_role("db").await.expect("list"), ["op-1"]);
        // A second writer at a stale position is refused, not interleaved.
        let err = w.append(&begun("op-1")).await.expect_err("stale position");
        assert!(
            matches!(err, StoreError::Conflict { .. }),
            "{}: {err}",
            t.name
        );
        guard.release().await.expect("release");
    }
}

#[tokio::test]
async fn drill_records_are_saved_under_their_etag() {
    for t in Target::all().await {
        let (store, _) = t.store("jump-1").await;
        let v1 = store
            .save_drill(&drill("d1"), &Precondition::Absent)
            .await
            .expect("new");
        let err = store
            .save_drill(&drill("d1"), &Precondition::Absent)
            .await
            .expect_err("exists");
        assert!(
            matches!(err, StoreError::Conflict { .. }),
            "{}: {err}",
            t.name
        );
        let v2 = store
            .save_drill(&drill("d1"), &Precondition::Matches(v1.clone()))
            .await
            .expect("update");
        let err = store
            .save_drill(&drill("d1"), &Precondition::Matches(v1))
            .await
            .expect_err("stale");
        assert!(
            matches!(err, StoreError::Conflict { .. }),
            "{}: {err}",
            t.name
        );
        let (record, version) = store.load_drill("web", "d1").await.expect("load");
        assert_eq!((record.drill_id.as_str(), version), ("d1", v2));
        assert_eq!(store.drills().await.len(), 1, "{}", t.name);
    }
}

#[tokio::test]
async fn audit_records_append_to_the_day_blob() {
    for t in Target::all().await {
        let (store, _) = t.store("jump-1").await;
        let op = Operator::named("alice", "x");
        let event = AuditEvent::ConfirmationRefused {
            typed: "bd".to_string(),
        };
        for _ in 0..2 {
            let record = AuditRecord {
                at: time::OffsetDateTime::now_utc(),
                operator: &op,
                role: "db",
                op_id: None,
                event: &event,
            };
            store
                .append_audit(&record)
                .await
                .unwrap_or_else(|e| panic!("{}: {e}", t.name));
        }
    }
}

#[tokio::test]
async fn a_refused_or_unreachable_account_fails_closed_with_the_storage_error() {
    for t in Target::all().await {
        let mut s = t.settings("jump-1", LeaseTiming::for_duration(Duration::from_secs(15)));
        s.credential = BlobCredential::SharedKey {
            key: azure_core::base64::encode([9u8; 64]),
        };
        let err = BlobStore::connect(s).await.expect_err("bad key");
        let text = err.to_string();
        assert!(
            matches!(err, StoreError::Unavailable { .. }),
            "{}: {text}",
            t.name
        );
        assert!(
            text.contains("403 ") && text.contains("request id"),
            "{}: {text}",
            t.name
        );
        // Azure answers a bad signature with AuthenticationFailed, and so does the emulator;
        // Azurite says AuthorizationFailure.
        if t.emulator.is_some() {
            assert!(text.contains("403 AuthenticationFailed"), "{text}");
        }
    }
    let t = Target::emulator().await;
    let s = t.settings("jump-1", LeaseTiming::for_duration(Duration::from_secs(15)));
    t.emulator_post("chaos", json!({"action": "storage-down"}))
        .await;
    let err = BlobStore::connect(s).await.expect_err("down");
    assert!(err.to_string().contains("no answer"), "{err}");
}

#[tokio::test]
async fn an_append_whose_answer_was_lost_is_not_written_twice() {
    let t = Target::emulator().await;
    let (store, _) = t.store("jump-1").await;
    let mut w = store.create_journal("db", "op-1").await.expect("create");
    w.append(&begun("op-1")).await.expect("first");
    t.emulator_post(
        "faults",
        json!({"path_contains": "comp=appendblock", "kind": "drop-after", "count": 1}),
    )
    .await;
    w.append(&begun("op-1"))
        .await
        .expect("resolved by reading back");
    w.append(&begun("op-1")).await.expect("third");
    let loaded = store.load_journal("db", "op-1").await.expect("load");
    assert_eq!((loaded.events.len(), w.position()), (3, 3));
}

#[tokio::test]
async fn storage_faults_are_retried_within_the_budget() {
    let t = Target::emulator().await;
    let (store, _) = t.store("jump-1").await;
    t.emulator_post(
        "faults",
        json!([{"path_contains": "journals/db", "status": 503, "retry_after": 0, "count": 1},
               {"path_contains": "journals/db", "status": 500, "count": 1},
               {"path_contains": "journals/db", "kind": "drop", "count": 1}]),
    )
    .await;
    let mut w = store
        .create_journal("db", "op-1")
        .await
        .expect("create through faults");
    t.emulator_post(
        "faults",
        json!([{"path_contains": "comp=appendblock", "status": 503, "code": "ServerBusy", "retry_after": 0, "count": 2}]),
    )
    .await;
    w.append(&begun("op-1")).await.expect("append through 503s");
    assert_eq!(
        store
            .load_journal("db", "op-1")
            .await
            .expect("load")
            .events
            .len(),
        1
    );
}

#[tokio::test]
async fn a_broken_lease_is_lost_before_its_next_step() {
    let t = Target::emulator().await;
    let timing = LeaseTiming {
        duration: Duration::from_secs(15),
        renew_every: Duration::from_millis(100),
        margin: Duration::from_secs(3),
    };
    let settings = t.settings("jump-1", timing);
    let a = BlobStore::connect(settings.clone()).await.expect("a");
    let guard = a
        .acquire_lock("db", &Operator::named("alice", "x"), None)
        .await
        .expect("lock");
    assert!(guard.is_held());
    // Someone breaks it (what `baton unlock` does).
    let location = azure_storage::CloudLocation::Custom {
        account: STORAGE_ACCOUNT.to_string(),
        uri: t.account_url.clone(),
    };
    let creds = azure_storage::StorageCredentials::access_key(
        STORAGE_ACCOUNT,
        STORAGE_ACCOUNT_KEY.to_string(),
    );
    azure_storage_blobs::prelude::ClientBuilder::with_location(location, creds)
        .blob_client(&settings.container, "locks/db")
        .break_lease()
        .lease_break_period(Duration::ZERO)
        .await
        .expect("break");
    let mut waited = 0;
    while guard.is_held() && waited < 100 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        waited += 1;
    }
    assert!(!guard.is_held(), "the next renew sees the break");
}

#[tokio::test]
async fn renews_failing_stop_the_holder_before_the_lease_can_expire() {
    let t = Target::emulator().await;
    // A margin of 14 s on 15 s: the holder stops 1 s after its last confirmed renew.
    let timing = LeaseTiming {
        duration: Duration::from_secs(15),
        renew_every: Duration::from_millis(300),
        margin: Duration::from_secs(14),
    };
    let a = BlobStore::connect(t.settings("jump-1", timing))
        .await
        .expect("a");
    let guard = a
        .acquire_lock("db", &Operator::named("alice", "x"), None)
        .await
        .expect("lock");
    t.emulator_post(
        "faults",
        json!({"path_contains": "comp=lease", "status": 503, "count": 1000}),
    )
    .await;
    let started = std::time::Instant::now();
    while guard.is_held() && started.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!guard.is_held());
    assert!(
        started.elapsed() <= Duration::from_millis(1500),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn break_lock_breaks_another_holders_lease_at_once_and_the_next_taker_gets_the_next_epoch() {
    for t in Target::all().await {
        let (a, settings) = t.store("jump-1").await;
        let mut b_settings = settings.clone();
        b_settings.host_id = "jump-2".to_string();
        let b = BlobStore::connect(b_settings).await.expect("b");
        assert_eq!(b.break_lock("db").await.expect("break"), None, "{}", t.name);
        let guard = a
            .acquire_lock("db", &Operator::named("alice", "x"), Some("op-1"))
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", t.name));
        let status = b.lock_status("db").await.expect("status").expect("a lock");
        assert!(status.held, "{}", t.name);
        assert_eq!(
            (status.lease.as_str(), status.epoch),
            ("leased", 1),
            "{}",
            t.name
        );
        let holder = status.holder.expect("named");
        assert_eq!(
            (
                holder.who.as_str(),
                holder.host.as_str(),
                holder.op_id.as_deref()
            ),
            ("alice", "jump-1", Some("op-1")),
            "{}",
            t.name
        );
        assert!(status.last_written.is_some());
        let broken = b.break_lock("db").await.expect("break").expect("a holder");
        assert_eq!(broken.host, "jump-1", "{}", t.name);
        // The holder learns it before its next ARM write, not at its next periodic renew.
        let lost = guard.watch().confirm().await.expect("lost at once");
        assert!(lost.contains("renew refused: 409"), "{}: {lost}", t.name);
        assert!(!guard.is_held(), "{}", t.name);
        let after = b.lock_status("db").await.expect("status").expect("a lock");
        assert_eq!(
            (after.held, after.lease.as_str()),
            (false, "broken"),
            "{}",
            t.name
        );
        assert_eq!(
            b.break_lock("db").await.expect("break"),
            None,
            "nothing left to break"
        );
        let next = b
            .acquire_lock("db", &Operator::named("bob", "y"), None)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", t.name));
        assert_eq!(b.lock_epoch("db").await.expect("epoch"), 2, "{}", t.name);
        next.release().await.expect("release");
    }
}

#[tokio::test]
async fn a_local_lock_cannot_be_broken_it_names_its_live_holder() {
    let tmp = tempfile::tempdir().expect("tmp");
    let store: baton::store::SharedStore = baton::failover::StateDir::new(tmp.path()).into();
    assert_eq!(store.break_lock("db").await.expect("free"), None);
    let _held = store
        .acquire_lock("db", &Operator::named("alice", "x"), None)
        .await
        .expect("lock");
    let err = store.break_lock("db").await.expect_err("a flock");
    assert!(matches!(err, StoreError::Locked(_)), "{err}");
    assert!(err.to_string().contains("locked by alice"), "{err}");
}

#[tokio::test]
async fn one_listing_names_every_lock_and_a_journal_reads_from_an_offset() {
    for t in Target::all().await {
        let (a, settings) = t.store("jump-1").await;
        // The reader never connects: it lists and reads with a client that was never asked to
        // create anything.
        let reader = BlobStore::offline(BlobSettings {
            host_id: "jump-2".to_string(),
            ..settings
        })
        .expect("offline");
        assert!(reader.list_locks().await.expect("empty list").is_empty());
        let held = a
            .acquire_lock("db", &Operator::named("alice", "x"), Some("op-1"))
            .await
            .expect("lock db");
        let free = a
            .acquire_lock("web", &Operator::named("alice", "x"), None)
            .await
            .expect("lock web");
        free.release().await.expect("release web");
        let locks = reader.list_locks().await.expect("list");
        let summary: Vec<_> = locks
            .iter()
            .map(|l| {
                let holder = l.holder.as_ref().map(|h| (h.who.as_str(), h.host.as_str()));
                (l.role.as_str(), l.held, holder)
            })
            .collect();
        assert_eq!(
            summary,
            [
                ("db", true, Some(("alice", "jump-1"))),
                ("web", false, Some(("alice", "jump-1")))
            ],
            "{}",
            t.name
        );
        assert_eq!(
            locks[0].holder.as_ref().and_then(|h| h.op_id.as_deref()),
            Some("op-1")
        );

        let mut w = a.create_journal("db", "op-1").await.expect("create");
        w.append(&begun("op-1")).await.expect("append");
        let first = reader
            .read_journal_from("db", "op-1", 0)
            .await
            .expect("read");
        assert!(first.ends_with(b"\n"), "{}", t.name);
        let end = first.len() as u64;
        let nothing = reader
            .read_journal_from("db", "op-1", end)
            .await
            .expect("tail");
        assert!(nothing.is_empty(), "{}: nothing new past the end", t.name);
        w.append(&begun("op-1")).await.expect("append");
        let next = reader
            .read_journal_from("db", "op-1", end)
            .await
            .expect("tail");
        let whole = reader
            .read_journal_from("db", "op-1", 0)
            .await
            .expect("read");
        assert_eq!([first, next.clone()].concat(), whole, "{}", t.name);
        let lines = next.iter().filter(|b| **b == b'\n').count();
        assert_eq!(lines, 1, "{}: exactly the new line", t.name);
        held.release().await.expect("release db");
    }
}
