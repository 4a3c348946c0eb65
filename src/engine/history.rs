//! Serves the cockpit's history view: reads the state directory's store (`history::load`) and
//! answers `EngineMsg::History`; and the timeline export
//! (`failover::timeline::export`), answered in the event log with the file written. Neither
//! takes a role lock or touches Azure, so both run in read-only mode too.

use crate::core::snapshot::{EngineEvent, Severity};
use crate::core::wording::MISSING_STATE_DIR;
use crate::failover::StateDir;
use crate::history::load;
use crate::protocol::{EngineMsg, HistoryFailure};
use crate::store::LocalStore;
use std::collections::BTreeSet;
use std::time::Duration;
use tokio::sync::mpsc;

/// Where the history view reads from.
#[derive(Debug, Clone)]
pub struct HistorySource {
    /// The state directory holding `journal/` and `drills/`.
    pub state_dir: StateDir,
    /// `failover.rto_target`, what plain operations are judged against.
    pub rto_target: Duration,
}

/// Answers `LoadHistory` effects.
pub(super) struct Server {
    source: Option<HistorySource>,
    ui: mpsc::Sender<EngineMsg>,
}

impl Server {
    pub(super) fn new(source: Option<HistorySource>, ui: mpsc::Sender<EngineMsg>) -> Server {
        Server { source, ui }
    }

    /// Loads in the background and sends the answer; the effect loop never waits on the disk.
    pub(super) fn load(&self) {
        let ui = self.ui.clone();
        let source = self.source.clone();
        tokio::spawn(async move {
            let answer = match source {
                None => Err(HistoryFailure::NoStateDir),
                Some(src) => {
                    let store = LocalStore::new(src.state_dir.clone());
                    let loaded = load(&store, src.rto_target, &BTreeSet::new()).await;
                    for problem in &loaded.problems {
                        tracing::warn!(%problem, "history: journal left out");
                    }
                    Ok(loaded.history)
                }
            };
            if ui.send(EngineMsg::History(answer)).await.is_err() {
                tracing::debug!("history answer with no cockpit listening");
            }
        });
    }

    /// Writes the timeline of `role`'s newest operation and logs where (or why not).
    pub(super) fn export(&self, role: String, events: mpsc::Sender<EngineEvent>) {
        let source = self.source.clone();
        tokio::spawn(async move {
            let now = time::OffsetDateTime::now_utc();
            let (severity, text) = match source {
                None => (
                    Severity::Warn,
                    format!("timeline not written: {MISSING_STATE_DIR}"),
                ),
                Some(src) => {
                    let store = LocalStore::new(src.state_dir.clone());
                    let folder = src.state_dir.timelines();
                    let written = crate::failover::timeline::export(
                        &store,
                        &folder,
                        &role,
                        src.rto_target,
                        now,
                    )
                    .await;
                    match written {
                        Ok(path) => (
                            Severity::Info,
                            format!("timeline written to {}", path.display()),
                        ),
                        Err(e) => (Severity::Warn, format!("timeline not written: {e}")),
                    }
                }
            };
            let event = EngineEvent {
                at: now,
                severity,
                role: Some(role),
                text,
            };
            if events.send(event).await.is_err() {
                tracing::debug!("timeline answer with no cockpit listening");
            }
        });
    }
}
