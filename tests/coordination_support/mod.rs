//! Shared helpers of the coordination process tests: the real binary as one of several hosts
//! (`--host-id`, its own state directory) on the emulator's storage account, the shared store
//! as an observer sees it, the raw journal blob, the storage clock and the request log.
#![allow(dead_code)]

use baton::emulator::{EmulatorHandle, STORAGE_ACCOUNT, STORAGE_ACCOUNT_KEY};
use baton::store::{BlobCredential, BlobSettings, BlobStore, LeaseTiming, StoreRead};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, ChildStderr, Command};

pub const KEY_ENV: &str = "BATON_TEST_STORAGE_KEY";

/// The emulator's config with a `[coordination]` section for its storage account.
pub fn config_with_blob(emu: &EmulatorHandle, dir: &Path) -> PathBuf {
    let text = format!(
        "{}\n[coordination]\nbackend = \"azure-blob\"\naccount_url = \"{}\"\ncontainer = \"baton\"\ncredential = \"shared-key\"\nkey_env = \"{KEY_ENV}\"\n",
        emu.baton_config_toml(),
        emu.blob_url()
    );
    let cfg = dir.join("baton.toml");
    std::fs::write(&cfg, text).unwrap();
    cfg
}

/// The real binary as host `host`, its state directory under `home`.
pub fn baton(cfg: &Path, home: &Path, host: &str, args: &[&str]) -> Command {
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
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    cmd
}

/// The shared container as an observer host sees it.
pub async fn shared(emu: &EmulatorHandle) -> BlobStore {
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

/// A blob's bytes as text, read with the account key.
pub async fn raw_blob(emu: &EmulatorHandle, name: &str) -> String {
    let location = azure_storage::CloudLocation::Custom {
        account: STORAGE_ACCOUNT.to_string(),
        uri: emu.blob_url(),
    };
    let creds = azure_storage::StorageCredentials::access_key(STORAGE_ACCOUNT, STORAGE_ACCOUNT_KEY);
    let bytes = azure_storage_blobs::prelude::ClientBuilder::with_location(location, creds)
        .blob_client("baton", name)
        .get_content()
        .await
        .unwrap();
    String::from_utf8(bytes).unwrap()
}

/// Moves the storage clock on: leases run out without waiting.
pub async fn advance_storage(emu: &EmulatorHandle, secs: u64) {
    let resp = reqwest::Client::new()
        .post(format!("{}_emulator/storage", emu.base_url()))
        .json(&serde_json::json!({ "advance_secs": secs }))
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success());
}

/// The role's only journal, raw: one JSON object per line.
pub async fn journal_lines(emu: &EmulatorHandle, role: &str) -> Vec<serde_json::Value> {
    let store = shared(emu).await;
    let ops = store.journals_of_role(role).await.unwrap();
    assert_eq!(ops.len(), 1, "one shared journal: {ops:?}");
    raw_blob(emu, &format!("journals/{role}/{}.jsonl", ops[0]))
        .await
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The epochs the journal's lines carry, in order of first appearance.
pub fn epochs(lines: &[serde_json::Value]) -> Vec<u64> {
    let mut out: Vec<u64> = Vec::new();
    for l in lines {
        let e = l["epoch"].as_u64().unwrap();
        if !out.contains(&e) {
            out.push(e);
        }
    }
    out
}

/// No line of the journal appears twice (every line has its own time and content).
pub fn assert_unique(lines: &[serde_json::Value]) {
    for (i, a) in lines.iter().enumerate() {
        for b in &lines[i + 1..] {
            assert_ne!(a, b, "a journal line is written twice");
        }
    }
}

/// Polls the role's shared journal until `seen` holds on its events, or the child ends.
pub async fn wait_for_journal(
    store: &BlobStore,
    role: &str,
    child: &mut Child,
    seen: impl Fn(&[baton::core::operation::OpEvent]) -> bool,
) -> bool {
    for _ in 0..6000 {
        if let Ok(ops) = store.journals_of_role(role).await {
            for op in ops {
                if let Ok(l) = store.load_journal(role, &op).await {
                    if seen(&l.events) {
                        return true;
                    }
                }
            }
        }
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    false
}

/// Reads a child's stderr until a line containing `needle`; returns every line read.
pub async fn read_until(stderr: &mut BufReader<ChildStderr>, needle: &str) -> Vec<String> {
    let mut seen = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        let n = stderr.read_line(&mut line).await.unwrap();
        assert!(n > 0, "stderr ended before `{needle}`: {seen:#?}");
        seen.push(line.trim_end().to_string());
        if line.contains(needle) {
            return seen;
        }
    }
}

/// True when a request-log entry is an ARM write (not storage, not a read).
pub fn is_arm_write(entry: &serde_json::Value) -> bool {
    let path = entry["path"].as_str().unwrap_or_default();
    let method = entry["method"].as_str().unwrap_or_default();
    path.starts_with("/subscriptions/") && matches!(method, "PUT" | "POST" | "PATCH" | "DELETE")
}

/// True when a request-log entry is a lease call on `locks/<role>` that succeeded.
pub fn is_lease_ok(entry: &serde_json::Value, role: &str) -> bool {
    let path = entry["path"].as_str().unwrap_or_default();
    let status = entry["status"].as_u64().unwrap_or(0);
    path.contains(&format!("/locks/{role}"))
        && path.contains("comp=lease")
        && (200..300).contains(&status)
}
