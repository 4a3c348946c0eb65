//! The cockpit's view of the shared store, read once per inventory refresh: one
//! [`StoreRead::list_locks`] call (one `List Blobs` with metadata on Azure) tells which roles
//! another baton holds — another host, or another process on this one — and whether the store
//! answers at all. O(1) storage calls however many roles; never a write.

use crate::core::model::RoleSpec;
use crate::core::snapshot::{CoordinationView, EngineEvent, RemoteHolder, Severity};
use crate::core::text::sanitize;
use crate::store::state_dir::file_stem;
use crate::store::{LockEntry, SharedReader, StoreError};
use std::collections::BTreeMap;
use time::OffsetDateTime;

/// Where the cockpit reads the shared store, and who it is there.
#[derive(Debug, Clone)]
pub struct CoordinationSource {
    /// The read half of the configured store (local or Azure Blob Storage).
    pub store: SharedReader,
    /// This cockpit's host id as its own locks name it (`--host-id`, else the host name).
    pub host: String,
}

impl CoordinationSource {
    /// Lists every lock (one call) and names the roles held by someone other than this process.
    pub(super) async fn check(&self, roles: &[RoleSpec]) -> CoordinationView {
        let listed = self.store.list_locks().await;
        view_of(roles, listed, &self.host, std::process::id())
    }
}

/// The view a listing gives: held locks whose holder is not `(host, pid)`, keyed by the
/// configured role name; or the store's error, sanitized for the screen.
pub fn view_of(
    roles: &[RoleSpec],
    listed: Result<Vec<LockEntry>, StoreError>,
    host: &str,
    pid: u32,
) -> CoordinationView {
    let entries = match listed {
        Ok(entries) => entries,
        Err(e) => {
            return CoordinationView {
                remote: BTreeMap::new(),
                unavailable: Some(sanitize(&e.to_string())),
            }
        }
    };
    let by_stem: BTreeMap<String, &str> = roles
        .iter()
        .map(|r| (file_stem(&r.name), r.name.as_str()))
        .collect();
    let mut remote = BTreeMap::new();
    for entry in entries.into_iter().filter(|e| e.held) {
        let Some(role) = by_stem.get(&entry.role) else {
            continue;
        };
        let holder = match entry.holder {
            Some(h) if h.host == host && h.pid == pid => continue,
            Some(h) => RemoteHolder {
                who: sanitize(&h.who),
                host: sanitize(&h.host),
                op_id: h.op_id,
                since: h.since,
            },
            // A lease taken but not yet described (the holder writes its metadata next).
            None => RemoteHolder {
                who: "unknown".to_string(),
                host: "unknown".to_string(),
                op_id: None,
                since: OffsetDateTime::UNIX_EPOCH,
            },
        };
        remote.insert((*role).to_string(), holder);
    }
    CoordinationView {
        remote,
        unavailable: None,
    }
}

/// The event-log line for a change of the store's reachability: every new error, and the
/// first answer after errors.
pub(super) fn transition(
    before: &CoordinationView,
    now: &CoordinationView,
    at: OffsetDateTime,
) -> Option<EngineEvent> {
    let (severity, text) = match (&before.unavailable, &now.unavailable) {
        (_, Some(e)) if before.unavailable.as_ref() != Some(e) => (
            Severity::Critical,
            format!("coordination unavailable, operations refused: {e}"),
        ),
        (Some(_), None) => (
            Severity::Info,
            "coordination store answers again: operations allowed".to_string(),
        ),
        _ => return None,
    };
    Some(EngineEvent {
        at,
        severity,
        role: None,
        text,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::lock::LockInfo;

    fn spec(name: &str) -> RoleSpec {
        RoleSpec {
            name: name.to_string(),
            ..crate::core::plan::fixture::spec()
        }
    }

    fn entry(role: &str, host: &str, pid: u32, held: bool) -> LockEntry {
        LockEntry {
            role: role.to_string(),
            holder: Some(LockInfo {
                who: "oncall".to_string(),
                host: host.to_string(),
                pid,
                since: OffsetDateTime::UNIX_EPOCH,
                op_id: Some("op-1".to_string()),
            }),
            held,
        }
    }

    #[test]
    fn only_held_locks_of_other_processes_are_remote() {
        let roles = [spec("Web"), spec("db"), spec("app")];
        let listed = vec![
            entry("web", "jump-2", 7, true),
            entry("db", "jump-1", 42, true),
            entry("app", "jump-2", 7, false),
            entry("gone", "jump-2", 7, true),
        ];
        let view = view_of(&roles, Ok(listed), "jump-1", 42);
        assert_eq!(view.remote.keys().collect::<Vec<_>>(), ["Web"]);
        assert_eq!(view.remote["Web"].by(), "oncall@jump-2");
        assert_eq!(view.unavailable, None);
    }

    #[test]
    fn an_unreadable_store_is_named_and_a_recovery_is_logged() {
        let err = StoreError::Unavailable {
            what: "listing the role locks".to_string(),
            reason: "403 AuthenticationFailed (request id r-9)".to_string(),
        };
        let down = view_of(&[spec("web")], Err(err), "h", 1);
        let text = down.unavailable.clone().unwrap_or_default();
        assert!(
            text.contains("AuthenticationFailed") && text.contains("r-9"),
            "{text}"
        );
        let up = CoordinationView::default();
        let at = OffsetDateTime::UNIX_EPOCH;
        let went = transition(&up, &down, at).map(|e| e.severity);
        assert_eq!(went, Some(Severity::Critical));
        assert!(transition(&down, &down, at).is_none());
        let back = transition(&down, &up, at).map(|e| e.text);
        assert!(back.is_some_and(|t| t.contains("answers again")));
    }
}
