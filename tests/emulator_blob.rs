//! The emulator's Blob Storage over real HTTP with Azure's own SDK (`azure_storage_blobs`):
//! blobs, ranges, metadata, listing, append positions, the lease state machine with Azure's
//! error codes, Shared Key and bearer auth, faults, `storage-down` and the storage clock.

mod emulator_support;

use azure_core::prelude::IfMatchCondition;
use azure_core::prelude::LeaseId;
use azure_core::RetryOptions;
use azure_storage::{CloudLocation, StorageCredentials};
use azure_storage_blobs::prelude::*;
use baton::emulator::{STORAGE_ACCOUNT, STORAGE_ACCOUNT_KEY};
use emulator_support::Env;
use futures::StreamExt;
use serde_json::json;
use std::time::Duration;

fn client(env: &Env, creds: StorageCredentials) -> ContainerClient {
    let location = CloudLocation::Custom {
        account: STORAGE_ACCOUNT.to_string(),
        uri: env.emu.blob_url(),
    };
    ClientBuilder::with_location(location, creds)
        .retry(RetryOptions::none())
        .container_client("baton")
}

async fn setup(env: &Env) -> ContainerClient {
    let c = client(
        env,
        StorageCredentials::access_key(STORAGE_ACCOUNT, STORAGE_ACCOUNT_KEY.to_string()),
    );
    c.create().await.expect("container created");
    c
}

/// The HTTP status and `x-ms-error-code` of a failed call.
fn code<T: std::fmt::Debug>(r: azure_core::Result<T>) -> (u16, String) {
    let e = r.expect_err("the call fails");
    let http = e.as_http_error().expect("an HTTP error");
    (
        u16::from(http.status()),
        http.error_code().unwrap_or("").to_string(),
    )
}

async fn text(b: &BlobClient) -> String {
    String::from_utf8(b.get_content().await.expect("get")).expect("utf8")
}

#[tokio::test]
async fn block_blobs_ranges_metadata_and_listing() {
    let env = Env::start(100.0).await;
    let c = setup(&env).await;
    let b = c.blob_client("drills/db/d1.json");
    let put = b.put_block_blob("hello world").await.expect("put");
    assert_eq!(text(&b).await, "hello world");
    let part = b
        .get()
        .range(6u64..11)
        .into_stream()
        .next()
        .await
        .expect("a page")
        .expect("range read");
    assert_eq!(part.data.collect().await.expect("body").as_ref(), b"world");
    // If-Match with a stale etag fails; with the current one it passes.
    let again = b
        .put_block_blob("v2")
        .if_match(IfMatchCondition::Match(put.etag.to_string()))
        .await
        .expect("conditional put");
    let (status, code_) = code(
        b.put_block_blob("v3")
            .if_match(IfMatchCondition::Match(put.etag.to_string()))
            .await,
    );
    assert_eq!((status, code_.as_str()), (412, "ConditionNotMet"));
    assert_ne!(put.etag, again.etag);
    let mut meta = azure_core::request_options::Metadata::new();
    meta.insert("host", "jump-1");
    b.set_metadata().metadata(meta).await.expect("metadata");
    c.blob_client("locks/db")
        .put_block_blob("")
        .await
        .expect("lock blob");
    let page = c
        .list_blobs()
        .prefix("drills/")
        .include_metadata(true)
        .into_stream()
        .next()
        .await
        .expect("a page")
        .expect("list");
    let names: Vec<&str> = page.blobs.blobs().map(|b| b.name.as_str()).collect();
    assert_eq!(names, ["drills/db/d1.json"]);
    let listed = page.blobs.blobs().next().expect("one blob");
    assert_eq!(
        listed
            .metadata
            .as_ref()
            .and_then(|m| m.get("host"))
            .map(String::as_str),
        Some("jump-1")
    );
}

#[tokio::test]
async fn append_position_condition_rejects_a_retried_append() {
    let env = Env::start(100.0).await;
    let c = setup(&env).await;
    let b = c.blob_client("journals/db/op1.jsonl");
    b.put_append_blob().await.expect("create");
    b.append_block("line1\n")
        .condition_append_position(0u64)
        .await
        .expect("first append");
    let (status, code_) = code(
        b.append_block("line1\n")
            .condition_append_position(0u64)
            .await,
    );
    assert_eq!(
        (status, code_.as_str()),
        (412, "AppendPositionConditionNotMet")
    );
    b.append_block("line2\n")
        .condition_append_position(6u64)
        .await
        .expect("second append");
    assert_eq!(text(&b).await, "line1\nline2\n");
    let (status, code_) = code(c.blob_client("locks/x").append_block("x").await);
    assert_eq!((status, code_.as_str()), (404, "BlobNotFound"));
}

#[tokio::test]
async fn the_lease_state_machine_answers_like_azure() {
    let env = Env::start(100.0).await;
    let c = setup(&env).await;
    let b = c.blob_client("locks/db");
    b.put_block_blob("").await.expect("lock blob");
    let a = uuid::Uuid::new_v4();
    let other = uuid::Uuid::new_v4();
    let got = b
        .acquire_lease(Duration::from_secs(15))
        .proposed_lease_id(LeaseId::from(a))
        .await
        .expect("acquire");
    assert_eq!(got.lease_id.to_string(), a.to_string());
    let (s, e) = code(b.acquire_lease(Duration::from_secs(15)).await);
    assert_eq!((s, e.as_str()), (409, "LeaseAlreadyPresent"));
    let (s, e) = code(b.blob_lease_client(other.into()).renew().await);
    assert_eq!((s, e.as_str()), (409, "LeaseIdMismatchWithLeaseOperation"));
    let (s, e) = code(b.put_block_blob("x").await);
    assert_eq!((s, e.as_str()), (412, "LeaseIdMissing"));
    b.put_block_blob("x")
        .lease_id(LeaseId::from(a))
        .await
        .expect("write under the lease");
    b.blob_lease_client(a.into()).renew().await.expect("renew");
    b.blob_lease_client(a.into())
        .change(LeaseId::from(other).into())
        .await
        .expect("change");
    let (s, e) = code(b.blob_lease_client(a.into()).release().await);
    assert_eq!((s, e.as_str()), (409, "LeaseIdMismatchWithLeaseOperation"));
    let broke = b
        .break_lease()
        .lease_break_period(Duration::ZERO)
        .await
        .expect("break");
    assert_eq!(broke.lease_time, 0);
    let (s, e) = code(b.blob_lease_client(other.into()).renew().await);
    assert_eq!((s, e.as_str()), (409, "LeaseIsBrokenAndCannotBeRenewed"));
    let (s, e) = code(b.put_block_blob("y").lease_id(LeaseId::from(other)).await);
    assert_eq!((s, e.as_str()), (412, "LeaseNotPresentWithBlobOperation"));
    b.acquire_lease(Duration::from_secs(15))
        .await
        .expect("a broken lease can be taken");
}

#[tokio::test]
async fn leases_expire_on_the_storage_clock() {
    let env = Env::start(100.0).await;
    let c = setup(&env).await;
    let b = c.blob_client("locks/web");
    b.put_block_blob("").await.expect("lock blob");
    let first = b
        .acquire_lease(Duration::from_secs(15))
        .await
        .expect("acquire");
    let (s, _) = code(b.acquire_lease(Duration::from_secs(15)).await);
    assert_eq!(s, 409);
    let resp = env
        .control_post("storage", json!({"advance_secs": 16}))
        .await;
    assert_eq!(resp.status(), 200);
    let props = b.get_properties().await.expect("properties");
    assert_eq!(
        props.blob.properties.lease_state,
        Some(azure_core::LeaseState::Expired)
    );
    let second = b
        .acquire_lease(Duration::from_secs(15))
        .await
        .expect("taken over");
    assert_ne!(first.lease_id, second.lease_id);
}

#[tokio::test]
async fn a_bad_shared_key_signature_is_refused_like_azure() {
    let env = Env::start(100.0).await;
    setup(&env).await;
    let wrong = azure_core::base64::encode([7u8; 64]);
    let c = client(&env, StorageCredentials::access_key(STORAGE_ACCOUNT, wrong));
    let (s, e) = code(c.blob_client("locks/db").put_block_blob("x").await);
    assert_eq!((s, e.as_str()), (403, "AuthenticationFailed"));
}

#[tokio::test]
async fn bearer_tokens_read_and_the_reader_cannot_write() {
    let env = Env::start(100.0).await;
    setup(&env).await;
    let writer = client(
        &env,
        StorageCredentials::bearer_token(env.emu.token().to_string()),
    );
    writer
        .blob_client("audit/2026-12-06.jsonl")
        .put_append_blob()
        .await
        .expect("contributor writes");
    let reader = client(
        &env,
        StorageCredentials::bearer_token(env.emu.reader_token().to_string()),
    );
    let b = reader.blob_client("audit/2026-12-06.jsonl");
    b.get_properties().await.expect("reader reads");
    let (s, e) = code(b.put_append_blob().await);
    assert_eq!((s, e.as_str()), (403, "AuthorizationPermissionMismatch"));
}

#[tokio::test]
async fn faults_and_storage_down_hit_storage_paths() {
    let env = Env::start(100.0).await;
    let c = setup(&env).await;
    let b = c.blob_client("locks/db");
    let resp = env
        .control_post(
            "faults",
            json!({"path_contains": "/locks/db", "status": 503, "retry_after": 1}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let (s, e) = code(b.put_block_blob("x").await);
    assert_eq!((s, e.as_str()), (503, "ServerBusy"));
    b.put_block_blob("x").await.expect("the fault hit once");
    env.control_post("chaos", json!({"action": "storage-down"}))
        .await;
    let err = b.get_properties().await.expect_err("unreachable");
    assert!(err.as_http_error().is_none(), "no answer at all: {err}");
    env.control_post("chaos", json!({"action": "storage-up"}))
        .await;
    b.get_properties().await.expect("back");
}
