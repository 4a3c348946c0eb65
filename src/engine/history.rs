//! Serves the cockpit's history view: reads the configured store — the shared one with
//! `azure-blob` coordination — through its read half (`history::load`) and answers
//! `EngineMsg::History`; and the timeline export (`failover::timeline::export`), written to the
//! local state directory and answered in the event log. Neither takes a role lock or touches
//! Azure, so both run in read-only mode too.

use crate::core::snapshot::{EngineEvent, Severity};
use crate::core::wording::MISSING_STATE_DIR;
use crate::history::load;
use crate::protocol::{EngineMsg, HistoryFailure};
use crate::store::SharedReader;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::mpsc;

/// Where the history view reads from.
#[derive(Debug, Clone)]
pub struct HistorySource {
    /// The configured store's read half (journals and drill records).
    pub store: SharedReader,
    /// Where timelines are written (the state directory's `timelines/`); `None`: nowhere.
    pub timelines: Option<PathBuf>,
    /// `failover.rto_target`, what plain operations are judged against.
    pub rto_target: Duration,
}

impl HistorySource {
    /// The history of a local state directory, timelines written into it.
    pub fn local(state_dir: &crate::store::state_dir::StateDir, rto_target: Duration) -> Self {
        HistorySource {
            store: std::sync::Arc::new(crate::store::LocalStore::new(state_dir.clone())),
            timelines: Some(state_dir.timelines()),
            rto_target,
        }
    }
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
                    let loaded = load(src.store.as_ref(), src.rto_target, &BTreeSet::new()).await;
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
            let target = source.and_then(|src| Some((src.timelines.clone()?, src)));
            let (severity, text) = match target {
                None => (
                    Severity::Warn,
                    format!("timeline not written: {MISSING_STATE_DIR}"),
                ),
                Some((folder, src)) => {
                    let written = crate::failover::timeline::export(
                        src.store.as_ref(),
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
