//! The role lock on Blob Storage: a lease on `locks/<role>`, renewed every duration/3 by a
//! task, with the holder (host, pid, operator, operation, since, epoch) written into the lock
//! blob's metadata under the lease and If-Match.
//!
//! Safety rule: the holder acts only while `now < send time of its last successful renew +
//! duration − margin`. Why this is safe without synchronised clocks: the service starts the
//! renewed lease when it *receives* the renew, which is after we sent it, so the lease lasts at
//! least `duration` past our send time as the service measures it. Measured on our clock,
//! that is at least `duration × (1 − ρ)` for a bounded clock rate error ρ; the margin covers
//! ρ × duration plus the time an ARM write takes to be sent once `is_held` said yes. A failed
//! or late renew therefore makes `is_held` false before the lease can have expired, so this
//! holder never writes after another could have taken the lock.

use async_trait::async_trait;
use azure_core::prelude::{IfMatchCondition, LeaseId};
use azure_core::LeaseState;
use azure_storage_blobs::prelude::BlobClient;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use time::OffsetDateTime;
use tokio::task::JoinHandle;

use super::call::{with_retry, Failure};
use super::meta;
use crate::store::lock::{held, LockInfo, LockStatus};
use crate::store::{LockGuard, StoreError};

/// How long a lease lasts and how early its holder stops trusting it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeaseTiming {
    /// The lease duration sent to the service (15–60 s).
    pub duration: Duration,
    /// How often the renew task renews.
    pub renew_every: Duration,
    /// How long before the lease could expire the holder stops acting.
    pub margin: Duration,
}

impl LeaseTiming {
    /// Azure's limits: 15 to 60 seconds.
    pub const MIN: Duration = Duration::from_secs(15);
    /// See [`LeaseTiming::MIN`].
    pub const MAX: Duration = Duration::from_secs(60);

    /// A duration clamped to Azure's limits, renewed every third of it, with a margin of a
    /// fifth (3 s at 15 s): two renews may fail before the holder stops.
    pub fn for_duration(duration: Duration) -> LeaseTiming {
        let duration = duration.clamp(Self::MIN, Self::MAX);
        LeaseTiming {
            duration,
            renew_every: duration / 3,
            margin: duration / 5,
        }
    }

    /// Whole seconds for `x-ms-lease-duration`.
    pub fn seconds(&self) -> u64 {
        self.duration.as_secs()
    }
}

/// What the renew task and the guard share.
#[derive(Debug)]
struct Held {
    /// Send time of the last renew the service confirmed (or of the acquire).
    last_sent: Instant,
    /// Why the lease is certainly lost, once it is.
    lost: Option<String>,
}

/// A held lease on a role's lock blob.
#[derive(Debug)]
pub(crate) struct BlobLock {
    role: String,
    blob: BlobClient,
    lease: LeaseId,
    info: LockInfo,
    epoch: u64,
    etag: String,
    timing: LeaseTiming,
    shared: Arc<Mutex<Held>>,
    renew: Option<JoinHandle<()>>,
    released: bool,
}

/// What the acquirer learnt.
pub(crate) struct Acquired {
    pub lease: LeaseId,
    pub sent: Instant,
    pub epoch: u64,
    pub etag: String,
}

impl BlobLock {
    /// A guard for a lease just acquired, its metadata written; starts the renew task.
    pub fn start(
        role: &str,
        blob: BlobClient,
        acquired: Acquired,
        info: LockInfo,
        timing: LeaseTiming,
    ) -> BlobLock {
        let shared = Arc::new(Mutex::new(Held {
            last_sent: acquired.sent,
            lost: None,
        }));
        let lease = Lease {
            client: Arc::new(blob.blob_lease_client(acquired.lease)),
            shared: shared.clone(),
            timing,
        };
        let renew = tokio::spawn(renew_loop(lease, timing.renew_every));
        BlobLock {
            role: role.to_string(),
            blob,
            lease: acquired.lease,
            info,
            epoch: acquired.epoch,
            etag: acquired.etag,
            timing,
            shared,
            renew: Some(renew),
            released: false,
        }
    }

    fn lost_reason(&self) -> Option<String> {
        self.lease().lost()
    }

    fn lease(&self) -> Lease {
        Lease {
            client: Arc::new(self.blob.blob_lease_client(self.lease)),
            shared: self.shared.clone(),
            timing: self.timing,
        }
    }
}

/// The lease as its renewers and checkers see it: the service's lease client and what they
/// learnt. Once lost it stays lost: a lease that was not certainly ours may have been someone
/// else's meanwhile, so trusting it again after a late renew would break the safety rule.
#[derive(Clone)]
struct Lease {
    client: Arc<azure_storage_blobs::prelude::BlobLeaseClient>,
    shared: Arc<Mutex<Held>>,
    timing: LeaseTiming,
}

impl Lease {
    /// Why the lease is no longer certainly ours: a refused renew, or no renew confirmed within
    /// `duration − margin` of the last one's send time (the safety rule).
    fn lost(&self) -> Option<String> {
        let mut held = self.shared.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(why) = &held.lost {
            return Some(why.clone());
        }
        let deadline = held.last_sent + self.timing.duration - self.timing.margin;
        if Instant::now() < deadline {
            return None;
        }
        let why = format!(
            "lease lost: no renew confirmed for {:.1}s (lease {}s, margin {}s)",
            held.last_sent.elapsed().as_secs_f64(),
            self.timing.duration.as_secs(),
            self.timing.margin.as_secs()
        );
        held.lost = Some(why.clone());
        Some(why)
    }

    /// One renew: a confirmed one moves the send time on, a refused one (broken, changed,
    /// expired and taken) loses the lease, a transient failure leaves the time rule to decide.
    async fn renew(&self) {
        if self.lost().is_some() {
            return;
        }
        let sent = Instant::now();
        let answer = self.client.renew().await;
        let mut held = self.shared.lock().unwrap_or_else(|e| e.into_inner());
        match answer {
            Ok(_) => held.last_sent = held.last_sent.max(sent),
            Err(e) => {
                let failure = Failure::of(&e);
                tracing::warn!(error = %failure.describe(), "lease renew failed");
                if !failure.transient() && held.lost.is_none() {
                    held.lost = Some(format!("lease lost: renew refused: {}", failure.describe()));
                }
            }
        }
    }
}

#[async_trait]
impl crate::store::LeaseCheck for Lease {
    fn lost(&self) -> Option<String> {
        Lease::lost(self)
    }

    async fn confirm(&self) -> Option<String> {
        self.renew().await;
        Lease::lost(self)
    }
}

async fn renew_loop(lease: Lease, every: Duration) {
    loop {
        tokio::time::sleep(every).await;
        lease.renew().await;
        if lease.lost().is_some() {
            return;
        }
    }
}

#[async_trait]
impl LockGuard for BlobLock {
    fn info(&self) -> &LockInfo {
        &self.info
    }

    async fn set_op(&mut self, op_id: &str) -> Result<(), StoreError> {
        if let Some(why) = self.lost_reason() {
            return Err(StoreError::LeaseLost {
                role: self.role.clone(),
                reason: why,
            });
        }
        let mut info = self.info.clone();
        info.op_id = Some(op_id.to_string());
        let etag = write_holder(&self.blob, self.lease, &self.etag, &info, self.epoch)
            .await
            .map_err(|f| match f.status {
                Some(409 | 412) => StoreError::LeaseLost {
                    role: self.role.clone(),
                    reason: format!("lease lost: {}", f.describe()),
                },
                _ => f.into_store(&format!("lock of role {}", self.role)),
            })?;
        self.etag = etag;
        self.info = info;
        Ok(())
    }

    fn is_held(&self) -> bool {
        self.lost_reason().is_none()
    }

    fn watch(&self) -> crate::store::LeaseWatch {
        crate::store::LeaseWatch::new(self.lease())
    }

    async fn release(mut self: Box<Self>) -> Result<(), StoreError> {
        if let Some(task) = self.renew.take() {
            task.abort();
        }
        self.released = true;
        let client = self.blob.blob_lease_client(self.lease);
        match with_retry(|| client.release().into_future()).await {
            Ok(_) => Ok(()),
            Err((f, _)) if f.status == Some(409) => Ok(()),
            Err((f, _)) => Err(f.into_store(&format!("lock of role {}", self.role))),
        }
    }
}

impl Drop for BlobLock {
    fn drop(&mut self) {
        if let Some(task) = self.renew.take() {
            task.abort();
        }
        if self.released {
            return;
        }
        // Best effort: a holder that cannot release leaves a lease that expires by itself.
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            let client = self.blob.blob_lease_client(self.lease);
            rt.spawn(async move {
                let _ = client.release().await;
            });
        }
    }
}

/// Writes the holder and epoch into the lock blob's metadata under the lease and `If-Match:
/// etag`; returns the new etag. A precondition failure after an unanswered attempt is resolved
/// by reading back (under the lease): our holder and epoch there mean the write landed.
pub(crate) async fn write_holder(
    blob: &BlobClient,
    lease: LeaseId,
    etag: &str,
    info: &LockInfo,
    epoch: u64,
) -> Result<String, Failure> {
    let metadata = meta::lock_metadata(info, epoch);
    let answer = with_retry(|| {
        blob.set_metadata()
            .metadata(metadata.clone())
            .lease_id(lease)
            .if_match(IfMatchCondition::Match(etag.to_string()))
            .into_future()
    })
    .await;
    match answer {
        Ok(r) => Ok(r.etag.to_string()),
        Err((f, true)) if f.status == Some(412) => {
            let props = with_retry(|| blob.get_properties().lease_id(lease).into_future())
                .await
                .map_err(|(g, _)| g)?;
            let stored = meta::parse_lock(&props.blob.metadata.unwrap_or_default());
            if stored == (Some(info.clone()), epoch) {
                tracing::info!("an unanswered lock metadata write had landed");
                Ok(props.blob.properties.etag.to_string())
            } else {
                Err(f)
            }
        }
        Err((f, _)) => Err(f),
    }
}

/// The lock blob as stored: holder and epoch from its metadata, the lease state, last write.
pub(crate) async fn status(
    blob: &BlobClient,
    role: &str,
) -> Result<Option<LockStatus>, StoreError> {
    let props = match with_retry(|| blob.get_properties().into_future()).await {
        Ok(p) => p.blob,
        Err((f, _)) if f.status == Some(404) => return Ok(None),
        Err((f, _)) => return Err(f.into_store(&format!("lock of role {role}"))),
    };
    let (holder, epoch) = meta::parse_lock(&props.metadata.unwrap_or_default());
    let state = props.properties.lease_state;
    Ok(Some(LockStatus {
        holder,
        epoch,
        lease: state.as_ref().map_or("available", lease_word).to_string(),
        held: matches!(state, Some(LeaseState::Leased | LeaseState::Breaking)),
        last_written: Some(props.properties.last_modified),
    }))
}

fn lease_word(state: &LeaseState) -> &'static str {
    match state {
        LeaseState::Available => "available",
        LeaseState::Leased => "leased",
        LeaseState::Expired => "expired",
        LeaseState::Breaking => "breaking",
        LeaseState::Broken => "broken",
    }
}

/// Breaks the lock blob's lease at once (Break Lease, period 0): its holder's next renew is
/// refused and the next acquirer takes the next epoch. Returns the holder the blob named, `None`
/// when no lease was active (nothing to break).
pub(crate) async fn break_lease(
    blob: &BlobClient,
    role: &str,
) -> Result<Option<LockInfo>, StoreError> {
    let what = format!("lock of role {role}");
    let before = status(blob, role).await?;
    let Some(before) = before.filter(|s| s.held) else {
        return Ok(None);
    };
    let broken = with_retry(|| {
        blob.break_lease()
            .lease_break_period(Duration::ZERO)
            .into_future()
    })
    .await;
    match broken {
        Ok(_) => Ok(before.holder),
        // It expired or was released between the read and the break: nothing left to break.
        Err((f, _)) if f.is(409, "LeaseNotPresentWithLeaseOperation") => Ok(None),
        Err((f, _)) => Err(f.into_store(&what)),
    }
}

/// The `Held` error for a lock blob whose lease someone else has.
pub(crate) fn locked_by(role: &str, info: Option<LockInfo>) -> StoreError {
    StoreError::Locked(held(role, info))
}

/// Now, for the lock's `since`.
pub(crate) fn now_utc() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{BlobCredential, BlobSettings, BlobStore};

    fn lease(last_sent: Instant) -> Lease {
        let store = BlobStore::offline(BlobSettings {
            account_url: "http://127.0.0.1:9/devstoreaccount1".parse().unwrap(),
            container: "baton".to_string(),
            credential: BlobCredential::Bearer("t".to_string()),
            timing: LeaseTiming::for_duration(Duration::from_secs(15)),
            host_id: "h".to_string(),
        })
        .unwrap();
        let lease_id = LeaseId::from(uuid::Uuid::new_v4());
        Lease {
            client: Arc::new(store.blob("locks/db").blob_lease_client(lease_id)),
            shared: Arc::new(Mutex::new(Held {
                last_sent,
                lost: None,
            })),
            timing: LeaseTiming::for_duration(Duration::from_secs(15)),
        }
    }

    #[test]
    fn the_lease_is_held_until_duration_minus_margin_after_the_last_renew_was_sent() {
        let now = Instant::now();
        let at_11s = now - Duration::from_secs(11);
        assert_eq!(lease(at_11s).lost(), None, "11 s < 15 s − 3 s");
        let at_12s = now - Duration::from_secs(12);
        let why = lease(at_12s).lost().unwrap();
        assert!(
            why.starts_with("lease lost: no renew confirmed for 12."),
            "{why}"
        );
    }

    #[test]
    fn a_lease_once_lost_stays_lost_even_if_a_later_renew_is_confirmed() {
        let long_ago = Instant::now() - Duration::from_secs(20);
        let lease = lease(long_ago);
        assert!(lease.lost().is_some());
        // What a late successful renew does to the shared state.
        lease.shared.lock().unwrap().last_sent = Instant::now();
        assert!(lease.lost().is_some(), "not trusted again");
    }
}
