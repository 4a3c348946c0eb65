//! Serves the cockpit's history view: reads the state directory on a blocking thread
//! (`history::load`) and answers `EngineMsg::History`; and the timeline export
//! (`failover::timeline::export`), answered in the event log with the file written. Neither
//! takes a role lock or touches Azure, so both run in read-only mode too.

use crate::core::snapshot::{EngineEvent, Severity};
use crate::core::wording::MISSING_STATE_DIR;
use crate::failover::StateDir;
use crate::history::load;
use crate::protocol::{EngineMsg, HistoryFailure};
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
                Some(src) => tokio::task::spawn_blocking(move || {
                    let loaded = load(&src.state_dir, src.rto_target, &BTreeSet::new());
                    for problem in &loaded.problems {
                        tracing::warn!(%problem, "history: journal left out");
                    }
                    loaded.history
                })
                .await
                .map_err(|e| HistoryFailure::Reader { why: e.to_string() }),
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
                    let who = role.clone();
                    let written = tokio::task::spawn_blocking(move || {
                        crate::failover::timeline::export(&src.state_dir, &who, src.rto_target, now)
                    })
                    .await;
                    match written {
                        Ok(Ok(path)) => (
                            Severity::Info,
                            format!("timeline written to {}", path.display()),
                        ),
                        Ok(Err(e)) => (Severity::Warn, format!("timeline not written: {e}")),
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
