//! The real binary with `[coordination] backend = "azure-blob"` on the emulator's storage:
//! two hosts (two `--host-id`s, two state directories, one container) race a switchover and
//! exactly one acts, the loser naming the winner; a host SIGKILLed after `detach` is resumed
//! from the other host once its lease has expired (the storage clock moved on), with the next
//! epoch, and the shared journal shows both epochs.

mod failover_support;

use baton::emulator::STORAGE_ACCOUNT_KEY;
use baton::store::{BlobCredential, BlobSettings, BlobStore, LeaseTiming, StoreRead};
use failover_support::*;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::process::Command;

const KEY_ENV: &str = "BATON_TEST_STORAGE_KEY";

fn config_with_blob(emu: &baton::emulator::EmulatorHandle, dir: &Path) -> PathBuf {
    let text = format!(
        "{}\n[coordination]\nbackend = \"azure-blob\"\naccount_url = \"{}\"\ncontainer = \"baton\"\ncredential = \"shared-key\"\nkey_env = \"{KEY_ENV}\"\n",
        emu.baton_config_toml(),
        emu.blob_url()
    );
    let cfg = dir.join("baton.toml");
    std::fs::write(&cfg, text).unwrap();
    cfg
}

fn baton(cfg: &Path, home: &Path, host: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_baton"));
    cmd.arg("--config")
        .arg(cfg)
        .args(args)
        .args(["--host-id", host])
        .env("XDG_STATE_HOME", home)
        .env("BATON_STATE_DIR", home.join(host))
        .env(KEY_ENV, STORAGE_ACCOUNT_KEY)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

async fn shared(emu: &baton::emulator::EmulatorHandle) -> BlobStore {
    BlobStore::connect(BlobSettings {
        account_url: emu.blob_url().parse().unwrap(),
        container: "baton".to_string(),
        credential: BlobCredential::SharedKey {
            key: STORAGE_ACCOUNT_KEY.to_string(),
        },
        timing: LeaseTiming::for_duration(Duration::from_secs(15)),
        host_id: "observer".to_string(),
    })
    .await
    .expect("storage")
}

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_host_is_resumed_from_another_with_the_next_epoch() {
    let (emu, config) = start().await;
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config_with_blob(&emu, tmp.path());
    let store = shared(&emu).await;
    let mut a = baton(&cfg, tmp.path(), "jump-1", &["switchover", "web", "--yes"])
        .spawn()
        .unwrap();
    let mut seen = false;
    for _ in 0..4000 {
        if detach_done(&store).await {
            seen = true;
            break;
        }
        if a.try_wait().unwrap().is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(
        seen,
        "the shared journal shows detach done before host A ends"
    );
    a.kill().await.unwrap();
    // Host B cannot take the lock while A's lease runs…
    let early = baton(
        &cfg,
        tmp.path(),
        "jump-2",
        &["switchover", "web", "--yes", "--resume"],
    )
    .output()
    .await
    .unwrap();
    assert_eq!(
        early.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&early.stderr)
    );
    assert!(String::from_utf8_lossy(&early.stderr).contains("on jump-1"));
    // …and can once it has expired.
    reqwest::Client::new()
        .post(format!("{}_emulator/storage", emu.base_url()))
        .json(&serde_json::json!({"advance_secs": 16}))
        .send()
        .await
        .unwrap();
    let out = baton(
        &cfg,
        tmp.path(),
        "jump-2",
        &["switchover", "web", "--yes", "--resume"],
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
    assert_master(&emu, &config, "web", "web-b").await;
    assert_eq!(
        store.lock_epoch("web").await.unwrap(),
        2,
        "A took epoch 1, B epoch 2"
    );
    let ops = store.journals_of_role("web").await.unwrap();
    assert_eq!(ops.len(), 1, "one shared journal");
    let raw = raw_blob(&emu, &format!("journals/web/{}.jsonl", ops[0])).await;
    let epochs: std::collections::BTreeSet<u64> = raw
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["epoch"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(epochs.into_iter().collect::<Vec<_>>(), [1, 2], "{raw}");
    emu.shutdown().await;
}

async fn raw_blob(emu: &baton::emulator::EmulatorHandle, name: &str) -> String {
    let location = azure_storage::CloudLocation::Custom {
        account: baton::emulator::STORAGE_ACCOUNT.to_string(),
        uri: emu.blob_url(),
    };
    let creds = azure_storage::StorageCredentials::access_key(
        baton::emulator::STORAGE_ACCOUNT,
        STORAGE_ACCOUNT_KEY.to_string(),
    );
    let bytes = azure_storage_blobs::prelude::ClientBuilder::with_location(location, creds)
        .blob_client("baton", name)
        .get_content()
        .await
        .unwrap();
    String::from_utf8(bytes).unwrap()
}

async fn detach_done(store: &BlobStore) -> bool {
    let Ok(ops) = store.journals_of_role("web").await else {
        return false;
    };
    for op in ops {
        if let Ok(l) = store.load_journal("web", &op).await {
            if l.events.iter().any(|e| {
                matches!(e, baton::core::operation::OpEvent::StepDone { step, .. } if *step == baton::core::plan::StepKind::Detach)
            }) {
                return true;
            }
        }
    }
    false
}
