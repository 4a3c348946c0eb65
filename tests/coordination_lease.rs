//! A lease lost mid-operation, end to end with the real binary on the emulator: host A's lock
//! broken by `baton unlock` from host B, or A's renews answered 503 again and again. Either way
//! A sends no ARM write after it lost the lease (by the emulator's one request log, which has
//! both the storage and the ARM requests), journals "lease lost", says so and exits 3; host B
//! then resumes to a consistent end with the next epoch. `unlock` itself: the holder shown, the
//! typed role name required, the break audited, a local backend explained (exit 2).

mod coordination_support;
mod failover_support;

use baton::core::operation::OpEvent;
use baton::core::plan::StepKind;
use baton::emulator::{self, EmulatorOptions};
use coordination_support::*;
use failover_support::*;
use serde_json::{json, Value};
use std::path::Path;
use std::process::Stdio;
use tokio::io::AsyncWriteExt;

/// Slow enough that stopping the app takes about a second: the break lands mid-operation.
const BREAK_SPEED: f64 = 25.0;

async fn emulator_at(speed: f64) -> (emulator::EmulatorHandle, baton::config::Config) {
    let emu = emulator::start(EmulatorOptions::local(speed))
        .await
        .unwrap();
    let config = baton::config::parse_str(&emu.baton_config_toml(), Path::new("emu.toml")).unwrap();
    (emu, config)
}

/// The journal's comments saying the lease was lost.
fn lease_lost_comments(lines: &[Value]) -> Vec<&Value> {
    lines
        .iter()
        .filter(|l| l["event"] == "comment" && l["text"].as_str().unwrap().contains("lease lost"))
        .collect()
}

/// B resumes after A stopped, finishes, and the journal is consistent: two epochs, no line
/// twice, A's "lease lost" in it.
async fn b_resumes_to_a_consistent_end(
    emu: &emulator::EmulatorHandle,
    config: &baton::config::Config,
    cfg: &Path,
    home: &Path,
) {
    let out = baton(
        cfg,
        home,
        "jump-2",
        &["switchover", "db", "--yes", "--resume"],
    )
    .output()
    .await
    .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_master(emu, config, "db", "db-b").await;
    let lines = journal_lines(emu, "db").await;
    assert_eq!(epochs(&lines), [1, 2], "{lines:#?}");
    assert_unique(&lines);
    let lost = lease_lost_comments(&lines);
    assert_eq!(lost.len(), 1, "{lines:#?}");
    assert_eq!(lost[0]["epoch"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lock_broken_by_unlock_stops_its_holder_before_its_next_arm_write() {
    let (emu, config) = emulator_at(BREAK_SPEED).await;
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config_with_blob(&emu, tmp.path());
    let store = shared(&emu).await;
    let mut a = baton(&cfg, tmp.path(), "jump-1", &["switchover", "db", "--yes"])
        .spawn()
        .unwrap();
    let fencing = wait_for_journal(&store, "db", &mut a, |events| {
        events.iter().any(|e| {
            matches!(
                e,
                OpEvent::StepStarted {
                    step: StepKind::Fence,
                    ..
                }
            )
        })
    })
    .await;
    assert!(fencing, "host A is stopping the app");
    let mut unlock = baton(
        &cfg,
        tmp.path(),
        "jump-2",
        &["unlock", "db", "--comment", "jump-1 is wedged"],
    )
    .stdin(Stdio::piped())
    .spawn()
    .unwrap();
    let mut stdin = unlock.stdin.take().unwrap();
    stdin.write_all(b"db\n").await.unwrap();
    drop(stdin);
    let unlocked = unlock.wait_with_output().await.unwrap();
    let said = String::from_utf8_lossy(&unlocked.stdout);
    let asked = String::from_utf8_lossy(&unlocked.stderr);
    assert_eq!(unlocked.status.code(), Some(0), "{said}\n{asked}");
    let account = baton::failover::Operator::from_env().user;
    assert!(
        said.contains(&format!("locked by {account} on jump-1 (pid ")),
        "{said}"
    );
    assert!(
        said.contains("epoch 1") && said.contains("lease leased"),
        "{said}"
    );
    assert!(said.contains("lock of role db broken"), "{said}");
    assert!(said.contains("baton switchover db --resume"), "{said}");
    assert!(asked.contains("Type the role name (db)"), "{asked}");

    let a = a.wait_with_output().await.unwrap();
    let a_err = String::from_utf8_lossy(&a.stderr);
    assert_eq!(a.status.code(), Some(3), "{a_err}");
    assert!(a_err.contains("lease lost"), "{a_err}");
    assert!(a_err.contains("baton switchover db --resume"), "{a_err}");
    // After the break, A's first lease call is refused, and no ARM write follows it.
    let log = requests(&emu).await;
    let broke = log
        .iter()
        .position(|e| {
            e["path"].as_str().unwrap().contains("locks/db?comp=lease") && e["status"] == 202
        })
        .expect("the break in the request log");
    let refused = log[broke..]
        .iter()
        .position(|e| {
            e["path"].as_str().unwrap().contains("locks/db?comp=lease") && e["status"] == 409
        })
        .map(|i| broke + i)
        .expect("A's renew refused after the break");
    let late: Vec<&Value> = log[refused..].iter().filter(|e| is_arm_write(e)).collect();
    assert!(
        late.is_empty(),
        "ARM writes after the lease was lost: {late:#?}"
    );
    let audit = raw_blob(&emu, &audit_blob()).await;
    let broken: Vec<Value> = audit
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|r| r["event"] == "lock_broken")
        .collect();
    assert_eq!(broken.len(), 1, "{audit}");
    assert_eq!(broken[0]["comment"], "jump-1 is wedged");
    assert_eq!(broken[0]["epoch"], 1);
    assert!(audit.contains("\"event\":\"lease_lost\""), "{audit}");
    b_resumes_to_a_consistent_end(&emu, &config, &cfg, tmp.path()).await;
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renews_answered_503_stop_the_holder_before_the_margin() {
    let (emu, config) = start().await;
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config_with_blob(&emu, tmp.path());
    let store = shared(&emu).await;
    // The detach is throttled (Retry-After 5 s, retried), so A is still at work when its
    // renews have failed for longer than the lease's safe part (15 s − 3 s margin).
    fault(
        &emu,
        json!({"method": "POST", "path_contains": "attachDetachDataDisks", "count": 10,
               "status": 429, "retry_after": 5}),
    )
    .await;
    let mut a = baton(&cfg, tmp.path(), "jump-1", &["switchover", "db", "--yes"])
        .spawn()
        .unwrap();
    let begun = wait_for_journal(&store, "db", &mut a, |events| !events.is_empty()).await;
    assert!(begun, "host A took the lock and began");
    fault(
        &emu,
        json!({"method": "PUT", "path_contains": "locks/db?comp=lease", "count": 1000,
               "status": 503, "code": "ServerBusy", "retry_after": 1}),
    )
    .await;
    let a = a.wait_with_output().await.unwrap();
    let a_err = String::from_utf8_lossy(&a.stderr);
    assert_eq!(a.status.code(), Some(3), "{a_err}");
    assert!(a_err.contains("lease lost: no renew confirmed"), "{a_err}");
    let log = requests(&emu).await;
    let lease = |e: &&Value| e["path"].as_str().unwrap().contains("locks/db?comp=lease");
    let busy = log
        .iter()
        .filter(lease)
        .filter(|e| e["status"] == 503)
        .count();
    assert!(
        busy >= 3,
        "renews failed three times in a row or more: {busy}"
    );
    let last_ok = log
        .iter()
        .filter(|e| is_lease_ok(e, "db"))
        .map(|e| e["at_ms"].as_u64().unwrap())
        .max()
        .unwrap();
    let writes: Vec<u64> = log
        .iter()
        .filter(|e| is_arm_write(e))
        .map(|e| e["at_ms"].as_u64().unwrap())
        .collect();
    assert!(!writes.is_empty());
    let safe_until = last_ok + 12_000;
    assert!(
        writes.iter().all(|at| *at < safe_until),
        "an ARM write after the margin: writes {writes:?}, last renew {last_ok} ms"
    );
    clear_faults(&emu).await;
    advance_storage(&emu, 16).await;
    b_resumes_to_a_consistent_end(&emu, &config, &cfg, tmp.path()).await;
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unlock_wants_the_exact_role_name_and_explains_a_local_backend() {
    let (emu, _config) = start().await;
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config_with_blob(&emu, tmp.path());
    let store = shared(&emu).await;
    let op = baton::failover::Operator::named("carol", "unused");
    let held = baton::store::Store::acquire_lock(&store, "web", &op, Some("op-1"))
        .await
        .unwrap();
    let mut unlock = baton(&cfg, tmp.path(), "jump-2", &["unlock", "web"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = unlock.stdin.take().unwrap();
    stdin.write_all(b"Web \n").await.unwrap();
    drop(stdin);
    let out = unlock.wait_with_output().await.unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("locked by carol on observer"), "{said}");
    assert!(said.contains("operation op-1"), "{said}");
    assert!(held.is_held(), "a refused unlock breaks nothing");
    assert!(baton::store::StoreRead::lock_holder(&store, "web")
        .await
        .unwrap()
        .is_some());
    // Nothing held: nothing to break.
    let free = baton(&cfg, tmp.path(), "jump-2", &["unlock", "app", "--yes"])
        .output()
        .await
        .unwrap();
    assert_eq!(free.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&free.stdout).contains("role app is not locked"));
    // A local backend has no lock to break.
    let local = tmp.path().join("local.toml");
    std::fs::write(&local, emu.baton_config_toml()).unwrap();
    let out = baton(&local, tmp.path(), "jump-2", &["unlock", "web", "--yes"])
        .output()
        .await
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("the kernel releases when its process dies"),
        "{err}"
    );
    emu.shutdown().await;
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
