//! The inventory refresh loop: one refresh per interval, stretched to keep within a share of
//! every read budget the answers report (slower still while an operation runs here), longer
//! after throttling, sooner on request; publishes facts plus their freshness and pace, and
//! reports failures and recoveries. A refresh asked for (after an operation, or by the
//! operator) reads every VM model again; the others reuse the models that still agree. With a
//! shared store, each refresh also lists every role's lock once (`coordination`): who else runs
//! an operation, and whether the store answers.

use crate::azure::{refresh_with, ArmError, InventoryScope, ReadClient, VmModelCache};
use crate::core::budget::{BudgetBook, PacingRules};
use crate::core::model::{AzureFacts, RoleSpec};
use crate::core::name::RoleName;
use crate::core::snapshot::{CoordinationView, EngineEvent, InventoryFreshness, Severity};
use crate::core::text::sanitize;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;
use tokio::sync::{mpsc, watch, Notify};

/// What the loop talks to.
pub struct Channels {
    /// Where the facts go.
    pub out: watch::Sender<InventoryState>,
    /// The engine log.
    pub events: mpsc::Sender<EngineEvent>,
    /// Asks for a refresh now (a full one).
    pub refresh_now: Arc<Notify>,
    /// Roles with an operation running in this process: the refreshes leave them the budget.
    pub running: watch::Receiver<BTreeSet<RoleName>>,
}

/// The latest facts (kept across failures) and how fresh they are.
#[derive(Debug, Clone, Default)]
pub struct InventoryState {
    /// Facts of the last successful refresh.
    pub facts: Option<Arc<AzureFacts>>,
    /// When they were fetched, the last error, the next refresh.
    pub freshness: InventoryFreshness,
    /// When the refresh that read `facts` began: facts read after a moment have this later
    /// than it (what an operation's end waits for before its role stops showing FAILING OVER).
    pub facts_began: Option<OffsetDateTime>,
    /// The shared store as the last refresh listed it (empty without a store).
    pub coordination: CoordinationView,
}

/// What the refresh loop reads and where it reports.
pub struct Refresher {
    /// ARM, read-only.
    pub reader: ReadClient,
    /// Roles in config order.
    pub roles: Vec<RoleSpec>,
    /// The configured interval and the share of each read budget it may use.
    pub rules: PacingRules,
    /// The shared store's read half, listed once per refresh; `None` reads no store.
    pub coordination: Option<super::coordination::CoordinationSource>,
}

/// Runs until the receivers are gone.
pub async fn run(refresher: Refresher, ch: Channels) {
    let Refresher {
        reader,
        roles,
        rules,
        coordination,
    } = refresher;
    let Channels {
        out,
        events,
        refresh_now,
        running,
    } = ch;
    let scope = InventoryScope::for_roles(&roles);
    let mut failing = false;
    let mut models = VmModelCache::default();
    let mut book = BudgetBook::default();
    loop {
        let began = OffsetDateTime::now_utc();
        // ARM and the shared store are read at once: neither waits for the other.
        let (result, locks) = tokio::join!(refresh_with(&reader, &scope, &mut models), async {
            match &coordination {
                Some(source) => Some(source.check(&roles).await),
                None => None,
            }
        });
        let now = OffsetDateTime::now_utc();
        if let Ok(inventory) = &result {
            book.record(&inventory.budgets);
        }
        // An operation here, or one another baton runs (its lock in the listing), polls against
        // the same subscription's read budgets: either slows the refresh.
        let remote_running = locks.as_ref().is_some_and(|v| !v.remote.is_empty());
        let operation_running = !running.borrow().is_empty() || remote_running;
        let pace = book.pace(&rules, operation_running);
        let wait = next_wait(pace.interval, result.as_ref().err());
        let mut to_log: Vec<EngineEvent> = report(&result, failing, now).into_iter().collect();
        failing = result.is_err();
        out.send_modify(|state| {
            if result.is_ok() {
                state.facts_began = Some(began);
            }
            state.freshness.pace = pace.reason.is_some().then_some(pace);
            apply(state, result, now, wait);
            if let Some(view) = locks {
                to_log.extend(super::coordination::transition(
                    &state.coordination,
                    &view,
                    now,
                ));
                state.coordination = view;
            }
        });
        for event in to_log {
            if events.send(event).await.is_err() {
                return;
            }
        }
        if out.is_closed() {
            return;
        }
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = refresh_now.notified() => models.invalidate(),
        }
    }
}

/// The interval, or a throttled server's Retry-After when longer (capped).
pub fn next_wait(interval: Duration, error: Option<&ArmError>) -> Duration {
    let asked = error.and_then(ArmError::retry_after).unwrap_or_default();
    interval.max(asked.min(super::MAX_BACKOFF))
}

fn apply(
    state: &mut InventoryState,
    result: Result<crate::azure::Inventory, ArmError>,
    now: OffsetDateTime,
    wait: Duration,
) {
    // Checked: an absurd wait must leave "next refresh" unknown, not panic the loop.
    state.freshness.next_refresh_at = time::Duration::try_from(wait)
        .ok()
        .and_then(|wait| now.checked_add(wait));
    match result {
        Ok(inventory) => {
            state.facts = Some(Arc::new(inventory.facts));
            state.freshness.fetched_at = Some(now);
            state.freshness.arm_requests = inventory.requests;
            state.freshness.last_error = None;
        }
        Err(e) => state.freshness.last_error = Some(sanitize(&e.to_string())),
    }
}

/// An event for the log: every failure, and the first success after failures.
fn report(
    result: &Result<crate::azure::Inventory, ArmError>,
    was_failing: bool,
    at: OffsetDateTime,
) -> Option<EngineEvent> {
    let (severity, text) = match result {
        Err(e) => (Severity::Warn, failure_text(e)),
        Ok(inv) if was_failing => (
            Severity::Info,
            format!("inventory refreshed again ({} ARM requests)", inv.requests),
        ),
        Ok(_) => return None,
    };
    Some(EngineEvent {
        at,
        severity,
        role: None,
        text,
    })
}

/// What an operator needs first of a failed refresh, in the order a narrow pane keeps it: the
/// HTTP status and when baton tries again, then the ARM code and the request id; the whole
/// error (method, URL, message) when it is not an HTTP answer. The stale banner keeps the full
/// text.
fn failure_text(e: &ArmError) -> String {
    let Some(status) = e.status() else {
        return format!("inventory refresh failed: {}", sanitize(&e.to_string()));
    };
    let mut text = format!("inventory refresh failed: HTTP {status}");
    if let Some(wait) = e.retry_after() {
        let wait = crate::core::plan::human_duration(wait);
        text.push_str(&format!(", retry after {wait}:"));
    }
    if let Some(code) = e.code() {
        text.push_str(&format!(" {}", sanitize(code)));
    }
    if let Some(id) = e.request_id() {
        text.push_str(&format!(" (request-id {})", sanitize(id)));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::azure::ArmHttpError;

    fn throttled(retry_after: Option<Duration>) -> ArmError {
        ArmError::Http(Box::new(ArmHttpError {
            status: 429,
            code: "SubscriptionRequestsThrottled".into(),
            message: "slow down".into(),
            request_id: Some("req-1".into()),
            retry_after,
            method: "GET".into(),
            url: "https://arm/x".into(),
        }))
    }

    #[test]
    fn a_throttled_refresh_says_status_and_wait_first_then_code_and_request_id() {
        let text = failure_text(&throttled(Some(Duration::from_secs(12))));
        assert_eq!(
            text,
            "inventory refresh failed: HTTP 429, retry after 12s: SubscriptionRequestsThrottled \
             (request-id req-1)"
        );
        let dropped = ArmError::Transport {
            method: "GET".into(),
            url: "https://arm/x".into(),
            reason: "connection reset".into(),
        };
        assert!(failure_text(&dropped).contains("connection reset"));
    }

    #[test]
    fn waits_the_interval_unless_throttled_longer() {
        let i = Duration::from_secs(15);
        assert_eq!(next_wait(i, None), i);
        assert_eq!(
            next_wait(i, Some(&throttled(Some(Duration::from_secs(5))))),
            i
        );
        assert_eq!(
            next_wait(i, Some(&throttled(Some(Duration::from_secs(60))))),
            Duration::from_secs(60)
        );
        assert_eq!(
            next_wait(i, Some(&throttled(Some(Duration::from_secs(1200))))),
            super::super::MAX_BACKOFF
        );
        assert_eq!(next_wait(i, Some(&throttled(None))), i);
    }

    #[test]
    fn failure_keeps_facts_and_records_error() {
        let mut state = InventoryState::default();
        let t0 = OffsetDateTime::UNIX_EPOCH;
        let ok = crate::azure::Inventory {
            facts: AzureFacts::default(),
            requests: 5,
            budgets: Default::default(),
            full: true,
        };
        apply(&mut state, Ok(ok), t0, Duration::from_secs(15));
        assert!(state.facts.is_some());
        let t1 = t0 + Duration::from_secs(15);
        apply(
            &mut state,
            Err(throttled(None)),
            t1,
            Duration::from_secs(60),
        );
        assert!(state.facts.is_some(), "facts survive a failed refresh");
        assert_eq!(state.freshness.fetched_at, Some(t0));
        assert_eq!(
            state.freshness.next_refresh_at,
            Some(t1 + Duration::from_secs(60))
        );
        let err = state.freshness.last_error.clone().unwrap_or_default();
        assert!(err.contains("SubscriptionRequestsThrottled"), "{err}");
        assert!(err.contains("req-1"), "{err}");
    }

    #[test]
    fn an_absurd_wait_leaves_the_next_refresh_unknown() {
        let mut state = InventoryState::default();
        let huge = Duration::from_secs(99_999_999 * 3600);
        let now = OffsetDateTime::UNIX_EPOCH;
        apply(&mut state, Err(throttled(None)), now, huge);
        assert_eq!(state.freshness.next_refresh_at, None);
        assert!(state.freshness.last_error.is_some());
    }
}
