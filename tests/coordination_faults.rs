//! Storage faults on every store call of a real failover (the binary on the emulator's storage,
//! at a high speed): the lease acquire, the lock's metadata write, the journal's creation and
//! appends, the audit appends, each answered 503 ServerBusy with Retry-After, 500, a connection
//! dropped before the call is served, or one dropped after it was served (an ambiguous write:
//! the retried append meets AppendPositionConditionNotMet and reads back). Every row ends with
//! the role moved, the journal finished with no line lost or twice, the audit's records there
//! (at least once: only an ambiguous audit append may store one twice); a journal that cannot
//! be written at all stops the run resumably and `--resume` finishes it.

mod coordination_support;
mod failover_support;

use baton::store::StoreRead;
use coordination_support::*;
use failover_support::*;
use serde_json::{json, Value};

/// Which store call a fault hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Call {
    Lease,
    LockMetadata,
    JournalCreate,
    JournalAppend,
    Audit,
}

const CALLS: [Call; 5] = [
    Call::Lease,
    Call::LockMetadata,
    Call::JournalCreate,
    Call::JournalAppend,
    Call::Audit,
];

impl Call {
    /// The path fragment of the call's first request (a journal append's needs the op id).
    fn fragment(self, op_id: Option<&str>) -> String {
        match self {
            Call::Lease => "locks/web?comp=lease".into(),
            Call::LockMetadata => "locks/web?comp=metadata".into(),
            Call::JournalCreate => "journals/web/".into(),
            Call::JournalAppend => format!("{}.jsonl?comp=appendblock", op_id.unwrap_or("?")),
            Call::Audit => format!("{}?comp=appendblock", audit_blob()),
        }
    }
}

/// What the fault does, as `/_emulator/faults` takes it, and the status the log then shows.
fn fault_of(kind: &str) -> (Value, u64) {
    match kind {
        "busy" => (
            json!({"status": 503, "code": "ServerBusy", "retry_after": 1}),
            503,
        ),
        "internal" => (json!({"status": 500, "code": "InternalError"}), 500),
        "dropped" => (json!({"kind": "drop"}), 0),
        "ambiguous" => (json!({"kind": "drop-after"}), 0),
        other => panic!("no fault {other}"),
    }
}

/// Today's audit blob.
fn audit_blob() -> String {
    let d = time::OffsetDateTime::now_utc().date();
    format!(
        "audit/{:04}-{:02}-{:02}.jsonl",
        d.year(),
        u8::from(d.month()),
        d.day()
    )
}

/// Arms `fault` on the call: at once, or (a journal append, `child` running) as soon as the
/// journal exists.
async fn arm(
    emu: &baton::emulator::EmulatorHandle,
    call: Call,
    mut fault: Value,
    count: u32,
    child: Option<&mut tokio::process::Child>,
) -> String {
    let op_id = match child {
        Some(child) => {
            let store = shared(emu).await;
            assert!(
                wait_for_journal(&store, "web", child, |_| true).await,
                "the journal appears"
            );
            store.journals_of_role("web").await.unwrap().pop()
        }
        None => None,
    };
    let fragment = call.fragment(op_id.as_deref());
    fault["method"] = json!("PUT");
    fault["path_contains"] = json!(fragment);
    fault["count"] = json!(count);
    failover_support::fault(emu, fault).await;
    fragment
}

/// One row: a switchover of web with `kind` injected once on `call`; everything checked.
async fn row(call: Call, kind: &str) {
    let (emu, config) = start().await;
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config_with_blob(&emu, tmp.path());
    let (fault, logged) = fault_of(kind);
    let args = ["switchover", "web", "--yes"];
    // Only a journal append needs the operation's id, so only its fault waits for the run.
    let early = call != Call::JournalAppend;
    let fragment = if early {
        arm(&emu, call, fault.clone(), 1, None).await
    } else {
        String::new()
    };
    let mut a = baton(&cfg, tmp.path(), "jump-1", &args).spawn().unwrap();
    let fragment = if early {
        fragment
    } else {
        arm(&emu, call, fault, 1, Some(&mut a)).await
    };
    let out = a.wait_with_output().await.unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{call:?} {kind}: {err}");
    let hit = requests(&emu).await.iter().any(|e| {
        e["path"].as_str().unwrap().contains(&fragment) && e["status"].as_u64() == Some(logged)
    });
    assert!(hit, "{call:?} {kind}: the fault hit {fragment}");
    assert_consistent(&emu, &config, call == Call::Audit && kind == "ambiguous").await;
    emu.shutdown().await;
}

/// The role moved; the journal finished, one epoch, no line twice; the audit has the run's
/// records, each once unless `dup_allowed`.
async fn assert_consistent(
    emu: &baton::emulator::EmulatorHandle,
    config: &baton::config::Config,
    dup_allowed: bool,
) {
    assert_master(emu, config, "web", "web-b").await;
    let lines = journal_lines(emu, "web").await;
    assert_unique(&lines);
    assert_eq!(lines.last().unwrap()["event"], "finished", "{lines:#?}");
    assert_eq!(lines.last().unwrap()["outcome"], "succeeded");
    let op_id = lines[0]["op_id"].as_str().unwrap();
    let audit = raw_blob(emu, &audit_blob()).await;
    let of_op = |event: &str| {
        audit
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .filter(|r| r["op_id"] == op_id && r["event"] == event)
            .count()
    };
    for event in ["confirmed", "finished"] {
        let n = of_op(event);
        assert!(n >= 1, "audit record {event} lost: {audit}");
        assert!(
            dup_allowed || n == 1,
            "audit record {event} stored {n} times: {audit}"
        );
    }
}

/// The rows of one fault kind, side by side (each has its own emulator, host and store): a
/// switchover mostly waits on emulated Azure, so they overlap well.
async fn every_call(kind: &str) {
    futures::future::join_all(CALLS.map(|call| row(call, kind))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_busy_with_retry_after_on_every_store_call() {
    every_call("busy").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn internal_errors_on_every_store_call() {
    every_call("internal").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_connections_on_every_store_call() {
    every_call("dropped").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ambiguous_writes_on_every_store_call_are_resolved_by_reading_back() {
    every_call("ambiguous").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journal_that_cannot_be_written_stops_the_run_resumably() {
    let (emu, config) = start().await;
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config_with_blob(&emu, tmp.path());
    let mut a = baton(&cfg, tmp.path(), "jump-1", &["switchover", "web", "--yes"])
        .spawn()
        .unwrap();
    // Every append answered 503 from now on: the store gives up on the first step event
    // (progress notes are best effort and do not stop a run).
    let fault = json!({"status": 503, "code": "ServerBusy"});
    arm(&emu, Call::JournalAppend, fault, 10_000, Some(&mut a)).await;
    let out = a.wait_with_output().await.unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("storage unavailable"), "{err}");
    assert!(err.contains("baton switchover web --resume"), "{err}");
    clear_faults(&emu).await;
    let resumed = baton(
        &cfg,
        tmp.path(),
        "jump-2",
        &["switchover", "web", "--yes", "--resume"],
    )
    .output()
    .await
    .unwrap();
    assert_eq!(
        resumed.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    assert_consistent(&emu, &config, false).await;
    emu.shutdown().await;
}
