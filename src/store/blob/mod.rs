//! [`BlobStore`]: the [`Store`] on Azure Blob Storage, shared by every baton host of a
//! rotation. The role lock is a blob lease (`lock`), journals are append blobs written at a
//! known position (`journal`), drill records block blobs saved with If-Match, and the audit one
//! append blob per UTC day. Built on `azure_storage_blobs` 0.21 with its retry off: `call`
//! retries and decides what an unanswered write means. See `docs/storage.md`.
//!
//! Fails closed: [`BlobStore::connect`] reaches the container before anything else, so an
//! unreachable account or a refused credential stops an operation before it starts, with the
//! storage error code and request id.

mod call;
mod io;
mod journal;
mod lock;
mod meta;
mod read;
mod records;

pub use lock::LeaseTiming;

use async_trait::async_trait;
use azure_core::prelude::{IfMatchCondition, LeaseId};
use azure_core::RetryOptions;
use azure_storage::{CloudLocation, StorageCredentials};
use azure_storage_blobs::prelude::{BlobClient, ClientBuilder, ContainerClient};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use self::call::{with_retry, Failure};
use self::journal::BlobJournal;
use self::lock::{Acquired, BlobLock};
use super::audit::AuditRecord;
use super::journal::Loaded;
use super::lock::LockInfo;
use super::operator::Operator;
use super::{JournalWriter, LockGuard, Precondition, RecordVersion, Store, StoreError};
use crate::core::drill::DrillRecord;

/// How baton authenticates to the storage account.
#[derive(Clone)]
pub enum BlobCredential {
    /// The account key (read from the environment variable the config names).
    SharedKey {
        /// The key, base64 as the portal shows it.
        key: String,
    },
    /// A fixed bearer token (the emulator's, or one obtained elsewhere).
    Bearer(String),
    /// An Azure AD credential (the same choices as `[azure]`).
    Token(Arc<dyn azure_core::auth::TokenCredential>),
}

impl std::fmt::Debug for BlobCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            BlobCredential::SharedKey { .. } => "SharedKey(…)",
            BlobCredential::Bearer(_) => "Bearer(…)",
            BlobCredential::Token(_) => "Token(…)",
        })
    }
}

/// Where and how to coordinate.
#[derive(Debug, Clone)]
pub struct BlobSettings {
    /// `https://ACCOUNT.blob.core.windows.net`, or a path-style emulator URL
    /// `http://127.0.0.1:PORT/ACCOUNT`.
    pub account_url: url::Url,
    /// The container (created when missing).
    pub container: String,
    /// How to authenticate.
    pub credential: BlobCredential,
    /// The lease's timing.
    pub timing: LeaseTiming,
    /// This host's name in lock holders (`--host-id`, `BATON_HOST_ID`, else the host name).
    pub host_id: String,
}

impl BlobSettings {
    /// The account name: the URL's first host label, or its first path segment (path-style).
    pub fn account(&self) -> String {
        let first_path = self
            .account_url
            .path_segments()
            .and_then(|mut s| s.next())
            .filter(|s| !s.is_empty());
        match (self.account_url.host_str(), first_path) {
            (_, Some(p)) => p.to_string(),
            (Some(h), None) => h.split('.').next().unwrap_or(h).to_string(),
            (None, None) => String::new(),
        }
    }
}

/// Baton's state in a blob container.
#[derive(Debug, Clone)]
pub struct BlobStore {
    container: ContainerClient,
    settings: BlobSettings,
    /// The epoch of the lock this process holds per role, written into its journal lines.
    epochs: Arc<Mutex<HashMap<String, u64>>>,
}

impl BlobStore {
    /// Builds the client and reaches the container (creating it when missing): an unreachable
    /// account or a refused credential is an error here, before any operation starts.
    pub async fn connect(settings: BlobSettings) -> Result<BlobStore, StoreError> {
        let store = BlobStore::offline(settings)?;
        store.ensure_container().await?;
        Ok(store)
    }

    /// Builds the client without calling the service.
    pub fn offline(settings: BlobSettings) -> Result<BlobStore, StoreError> {
        let account = settings.account();
        let creds = match &settings.credential {
            BlobCredential::SharedKey { key } => {
                StorageCredentials::access_key(account.clone(), key.clone())
            }
            BlobCredential::Bearer(t) => StorageCredentials::bearer_token(t.clone()),
            BlobCredential::Token(c) => StorageCredentials::token_credential(c.clone()),
        };
        let uri = settings
            .account_url
            .as_str()
            .trim_end_matches('/')
            .to_string();
        let location = CloudLocation::Custom { account, uri };
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(3))
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| StoreError::Unavailable {
                what: "blob storage client".to_string(),
                reason: e.to_string(),
            })?;
        let container = ClientBuilder::with_location(location, creds)
            .retry(RetryOptions::none())
            .transport(azure_core::TransportOptions::new(Arc::new(http)))
            .container_client(settings.container.clone());
        Ok(BlobStore {
            container,
            settings,
            epochs: Arc::default(),
        })
    }

    /// The settings it was built with.
    pub fn settings(&self) -> &BlobSettings {
        &self.settings
    }

    /// The epoch last written into a role's lock blob (0 when it was never taken).
    pub async fn lock_epoch(&self, role: &str) -> Result<u64, StoreError> {
        Ok(self.read_lock(role).await?.map_or(0, |(_, epoch, _)| epoch))
    }

    async fn ensure_container(&self) -> Result<(), StoreError> {
        let what = format!("container {}", self.settings.container);
        match with_retry(|| self.container.get_properties().into_future()).await {
            Ok(_) => return Ok(()),
            Err((f, _)) if f.status == Some(404) => {}
            Err((f, _)) => return Err(unavailable(&what, &f)),
        }
        match with_retry(|| self.container.create().into_future()).await {
            Ok(_) => Ok(()),
            Err((f, _)) if f.is(409, "ContainerAlreadyExists") => Ok(()),
            Err((f, _)) => Err(unavailable(&what, &f)),
        }
    }

    fn blob(&self, name: &str) -> BlobClient {
        self.container.blob_client(name)
    }

    fn epoch_of(&self, role: &str) -> u64 {
        let epochs = self.epochs.lock().unwrap_or_else(|e| e.into_inner());
        epochs.get(&meta::segment(role)).copied().unwrap_or(0)
    }

    /// The holder and epoch stored on a role's lock blob, and whether its lease is active.
    async fn read_lock(
        &self,
        role: &str,
    ) -> Result<Option<(Option<LockInfo>, u64, bool)>, StoreError> {
        let blob = self.blob(&meta::lock(role));
        match with_retry(|| blob.get_properties().into_future()).await {
            Ok(p) => {
                let active = matches!(
                    p.blob.properties.lease_state,
                    Some(azure_core::LeaseState::Leased | azure_core::LeaseState::Breaking)
                );
                let (info, epoch) = meta::parse_lock(&p.blob.metadata.unwrap_or_default());
                Ok(Some((info, epoch, active)))
            }
            Err((f, _)) if f.status == Some(404) => Ok(None),
            Err((f, _)) => Err(unavailable(&format!("lock of role {role}"), &f)),
        }
    }

    /// The holder named on a lock blob whose lease someone else just took: the winner writes
    /// its details right after its acquire, so a loser racing it reads again briefly (as the
    /// local lock does) rather than report an unnamed holder.
    async fn wait_for_holder(&self, role: &str) -> Option<LockInfo> {
        const WAIT: Duration = Duration::from_millis(1500);
        const POLL: Duration = Duration::from_millis(50);
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            match self.read_lock(role).await {
                Ok(Some((Some(info), _, _))) => return Some(info),
                Ok(Some((None, _, true))) if tokio::time::Instant::now() < deadline => {}
                _ => return None,
            }
            tokio::time::sleep(POLL).await;
        }
    }

    async fn take_lease(&self, role: &str, blob: &BlobClient) -> Result<Acquired, StoreError> {
        let what = format!("lock of role {role}");
        // Creating the lock blob may race another host's: either one is the lock blob.
        match with_retry(|| {
            blob.put_block_blob(Vec::<u8>::new())
                .if_match(IfMatchCondition::NotMatch("*".to_string()))
                .into_future()
        })
        .await
        {
            Ok(_) => {}
            Err((f, _)) if matches!(f.status, Some(409 | 412)) => {}
            Err((f, _)) => return Err(unavailable(&what, &f)),
        }
        // The proposed id makes a retried acquire idempotent: the holder re-acquiring its own
        // lease succeeds.
        let lease = LeaseId::from(uuid::Uuid::new_v4());
        let sent = Instant::now();
        let seconds = self.settings.timing.seconds();
        let acquired = with_retry(|| {
            blob.acquire_lease(Duration::from_secs(seconds))
                .proposed_lease_id(lease)
                .into_future()
        })
        .await;
        match acquired {
            Ok(_) => {}
            Err((f, _)) if f.is(409, "LeaseAlreadyPresent") || f.status == Some(409) => {
                return Err(lock::locked_by(role, self.wait_for_holder(role).await));
            }
            Err((f, _)) => return Err(unavailable(&what, &f)),
        }
        let props = with_retry(|| blob.get_properties().lease_id(lease).into_future())
            .await
            .map_err(|(f, _)| unavailable(&what, &f))?;
        let (_, previous) = meta::parse_lock(&props.blob.metadata.unwrap_or_default());
        Ok(Acquired {
            lease,
            sent,
            epoch: previous + 1,
            etag: props.blob.properties.etag.to_string(),
        })
    }
}

/// A failure at the edge of an operation, naming code and request id.
fn unavailable(what: &str, f: &Failure) -> StoreError {
    match f.status {
        Some(404) => StoreError::NotFound(format!("{what} ({})", f.describe())),
        _ => StoreError::Unavailable {
            what: what.to_string(),
            reason: f.describe(),
        },
    }
}

#[async_trait]
impl Store for BlobStore {
    async fn acquire_lock(
        &self,
        role: &str,
        operator: &Operator,
        op_id: Option<&str>,
    ) -> Result<Box<dyn LockGuard>, StoreError> {
        let blob = self.blob(&meta::lock(role));
        let mut acquired = self.take_lease(role, &blob).await?;
        let info = LockInfo {
            who: operator.user.clone(),
            host: self.settings.host_id.clone(),
            pid: std::process::id(),
            since: lock::now_utc(),
            op_id: op_id.map(str::to_string),
        };
        let written =
            lock::write_holder(&blob, acquired.lease, &acquired.etag, &info, acquired.epoch).await;
        acquired.etag = match written {
            Ok(etag) => etag,
            Err(f) => {
                // Not ours to keep without a holder named on it: let the next taker have it now.
                let _ = blob.blob_lease_client(acquired.lease).release().await;
                return Err(unavailable(&format!("lock of role {role}"), &f));
            }
        };
        self.epochs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(meta::segment(role), acquired.epoch);
        Ok(Box::new(BlobLock::start(
            role,
            blob,
            acquired,
            info,
            self.settings.timing,
        )))
    }

    async fn break_lock(&self, role: &str) -> Result<Option<LockInfo>, StoreError> {
        lock::break_lease(&self.blob(&meta::lock(role)), role).await
    }

    async fn create_journal(
        &self,
        role: &str,
        op_id: &str,
    ) -> Result<Box<dyn JournalWriter>, StoreError> {
        let name = meta::journal(role, op_id);
        let blob = self.blob(&name);
        if !io::create_append(&blob, &format!("journal {name}")).await? {
            return Err(StoreError::Conflict {
                what: format!("journal {name}"),
                reason: "it exists already".to_string(),
            });
        }
        let epoch = self.epoch_of(role);
        Ok(Box::new(BlobJournal::at(blob, name, epoch, 0, 0)))
    }

    async fn reopen_journal(
        &self,
        role: &str,
        op_id: &str,
    ) -> Result<(Box<dyn JournalWriter>, Loaded), StoreError> {
        let name = meta::journal(role, op_id);
        let blob = self.blob(&name);
        let (loaded, size) = journal::load(&blob, &name).await?;
        if let Some(torn) = &loaded.torn {
            // Appends are whole blocks, so only a foreign writer can leave half a line, and an
            // append blob cannot be cut back: refuse rather than glue a line onto it.
            return Err(StoreError::Corrupt {
                what: format!("journal {name}, line {}", torn.line),
                reason: "ends in a partial line that an append blob cannot cut off".to_string(),
            });
        }
        let epoch = self.epoch_of(role);
        let events = loaded.events.len() as u64;
        Ok((
            Box::new(BlobJournal::at(blob, name, epoch, events, size)),
            loaded,
        ))
    }

    async fn save_drill(
        &self,
        record: &DrillRecord,
        condition: &Precondition,
    ) -> Result<RecordVersion, StoreError> {
        records::save_drill(self, record, condition).await
    }

    async fn append_audit(&self, record: &AuditRecord<'_>) -> Result<(), StoreError> {
        records::append_audit(self, record).await
    }
}
