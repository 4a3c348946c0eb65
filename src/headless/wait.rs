//! `--resume` on another host: wait out the previous holder's lease. A dead holder's blob lease
//! runs out within `lease_duration` of its last renew, so the resume says who holds the lock and
//! until when at most, waits that long (plus a slack for clock rates and the polling), and then
//! lets the run take the lock with the next epoch. A holder still renewing after that is alive:
//! the resume stops and names `baton unlock`. Ctrl-C stops the wait with nothing done. A local
//! `flock` is only ever held by a live process, so there is nothing to wait for there.

use crate::config::{Config, Coordination};
use crate::store::lock::LockInfo;
use crate::store::{LeaseTiming, SharedStore, StoreExt};
use std::io::Write;
use std::time::Duration;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// How often the lock's holder is read while waiting.
const POLL: Duration = Duration::from_secs(1);
/// Added to the lease duration: clock-rate error, the holder's renew in flight, one poll.
const SLACK: Duration = Duration::from_secs(3);

/// Waits until the role's shared lock is free, or says why not and gives the exit code (1).
pub(crate) async fn wait_out_lease(
    config: &Config,
    store: &SharedStore,
    role: &str,
    err: &mut (dyn Write + Send),
) -> Result<(), u8> {
    let Coordination::AzureBlob(blob) = &config.coordination else {
        return Ok(());
    };
    let holder = match store.lock_holder(role).await {
        Ok(Some(holder)) => holder,
        Ok(None) => return Ok(()),
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return Err(1);
        }
    };
    let budget = LeaseTiming::for_duration(blob.lease_duration).duration + SLACK;
    let until = OffsetDateTime::now_utc() + budget;
    let _ = writeln!(
        err,
        "role {role} is locked by {}; waiting for its lease to run out, at most until {} \
         (Ctrl-C stops waiting)",
        describe(&holder),
        until.format(&Rfc3339).unwrap_or_default()
    );
    let waited = tokio::select! {
        w = store.wait_for_free_lock(role, budget, POLL) => w,
        _ = tokio::signal::ctrl_c() => {
            let _ = writeln!(err, "stopped waiting: nothing done");
            return Err(1);
        }
    };
    match waited {
        Ok(None) => {
            let _ = writeln!(err, "lock of role {role} is free: taking it");
            Ok(())
        }
        Ok(Some(holder)) => {
            let _ = writeln!(
                err,
                "role {role} is still locked by {} after {} s: its holder is alive and renewing. \
                 If it is not, break its lock with `baton unlock {role}`",
                describe(&holder),
                budget.as_secs()
            );
            Err(1)
        }
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            Err(1)
        }
    }
}

/// `operator on host (pid N), operation X`.
fn describe(h: &LockInfo) -> String {
    let op = h
        .op_id
        .as_ref()
        .map(|o| format!(", operation {o}"))
        .unwrap_or_default();
    format!("{} on {} (pid {}){op}", h.who, h.host, h.pid)
}
