//! The real binary with `[coordination] backend = "azure-blob"` on the emulator's storage:
//! two hosts (two `--host-id`s, two state directories, one container) race a switchover and
//! exactly one acts, the loser naming the winner; a host SIGKILLed during `detach` is resumed
//! from the other host, whose `--resume` says who holds the lock, waits out its lease (the
//! storage clock moved on, no sleeping it out), takes the next epoch and finishes; the shared
//! journal shows both epochs and the role's invariants hold.

mod coordination_support;
mod failover_support;

use baton::core::operation::OpEvent;
use baton::core::plan::StepKind;
use baton::emulator::{self, EmulatorOptions};
use baton::store::StoreRead;
use coordination_support::*;
use failover_support::*;
use std::path::Path;
use std::time::{Duration, Instant};
use tokio::io::BufReader;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hosts_race_one_role_exactly_one_acts_and_the_loser_names_the_winner() {
    let (emu, config) = start().await;
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config_with_blob(&emu, tmp.path());
    let a = baton(&cfg, tmp.path(), "jump-1", &["switchover", "web", "--yes"])
        .spawn()
        .unwrap();
    let b = baton(&cfg, tmp.path(), "jump-2", &["switchover", "web", "--yes"])
        .spawn()
        .unwrap();
    let (ra, rb) = tokio::join!(a.wait_with_output(), b.wait_with_output());
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    let (loser, winner_host) = match (ra.status.code(), rb.status.code()) {
        (Some(0), Some(1)) => (&rb, "jump-1"),
        (Some(1), Some(0)) => (&ra, "jump-2"),
        other => panic!(
            "exactly one acts: {other:?}\n{}\n{}",
            String::from_utf8_lossy(&ra.stderr),
            String::from_utf8_lossy(&rb.stderr)
        ),
    };
    let err = String::from_utf8_lossy(&loser.stderr);
    let account = baton::failover::Operator::from_env().user;
    assert!(
        err.contains(&format!("locked by {account} on {winner_host}")),
        "{err}"
    );
    assert_master(&emu, &config, "web", "web-b").await;
    // Neither host's state directory has a journal: the journal is shared.
    assert!(!tmp.path().join("jump-1/journal").exists());
    assert!(!tmp.path().join("jump-2/journal").exists());
    let store = shared(&emu).await;
    assert_eq!(store.journals_of_role("web").await.unwrap().len(), 1);
    emu.shutdown().await;
}

/// Slow enough that a disk detach takes about half a second, so the kill lands inside it.
const DETACH_SPEED: f64 = 25.0;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_killed_during_detach_is_resumed_by_another_that_waits_out_its_lease() {
    let emu = emulator::start(EmulatorOptions::local(DETACH_SPEED))
        .await
        .unwrap();
    let config = baton::config::parse_str(&emu.baton_config_toml(), Path::new("emu.toml")).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config_with_blob(&emu, tmp.path());
    let store = shared(&emu).await;
    let mut a = baton(&cfg, tmp.path(), "jump-1", &["switchover", "db", "--yes"])
        .spawn()
        .unwrap();
    let detaching = wait_for_journal(&store, "db", &mut a, |events| {
        events.iter().any(|e| {
            matches!(
                e,
                OpEvent::StepStarted {
                    step: StepKind::Detach,
                    ..
                }
            )
        })
    })
    .await;
    assert!(
        detaching,
        "the shared journal shows detach started on host A"
    );
    a.kill().await.unwrap();
    let op_id = store.journals_of_role("db").await.unwrap().remove(0);
    let at_kill = store.load_journal("db", &op_id).await.unwrap().events;
    assert!(
        !at_kill.iter().any(|e| matches!(
            e,
            OpEvent::StepDone {
                step: StepKind::Detach,
                ..
            }
        )),
        "killed during detach, not after: {at_kill:?}"
    );
    // Host B's resume names the holder and waits…
    let began = Instant::now();
    let mut b = baton(
        &cfg,
        tmp.path(),
        "jump-2",
        &["switchover", "db", "--yes", "--resume"],
    )
    .spawn()
    .unwrap();
    let mut stderr = BufReader::new(b.stderr.take().unwrap());
    let said = read_until(&mut stderr, "waiting for its lease").await;
    let waiting = said.last().unwrap();
    assert!(
        waiting.contains("locked by") && waiting.contains("on jump-1"),
        "{said:#?}"
    );
    assert!(waiting.contains("at most until"), "{waiting}");
    // …until A's lease has run out on the service's clock.
    advance_storage(&emu, 16).await;
    let rest = read_until(&mut stderr, "is free: taking it").await;
    let status = b.wait().await.unwrap();
    assert_eq!(status.code(), Some(0), "{said:#?}\n{rest:#?}");
    assert!(
        began.elapsed() < Duration::from_secs(15),
        "B waited less than a lease duration: {:?}",
        began.elapsed()
    );
    assert_master(&emu, &config, "db", "db-b").await;
    assert_eq!(
        store.lock_epoch("db").await.unwrap(),
        2,
        "A epoch 1, B epoch 2"
    );
    let lines = journal_lines(&emu, "db").await;
    assert_eq!(epochs(&lines), [1, 2], "{lines:#?}");
    assert_unique(&lines);
    emu.shutdown().await;
}
