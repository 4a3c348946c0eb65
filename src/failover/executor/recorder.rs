//! The single path every operation event takes: checked against the operation
//! (`Operation::apply`), appended to the journal (fsynced), then sent to the live stream. Also
//! turns the adapter's [`ArmEvent`]s of one step into `StepProgress` notes. Must not decide
//! anything about steps.

use super::ExecError;
use crate::azure::ArmEvent;
use crate::core::operation::{OpEvent, Operation};
use crate::core::plan::StepKind;
use crate::store::JournalWriter;
use std::collections::HashMap;
use time::OffsetDateTime;
use tokio::sync::{mpsc, Mutex};

/// The journal, the folded operation and the live stream of one running operation.
pub(crate) struct Recorder {
    journal: Box<dyn JournalWriter>,
    op: Operation,
    tx: mpsc::Sender<OpEvent>,
    last_note: HashMap<StepKind, String>,
}

impl Recorder {
    /// Starts recording a new operation from its `Begun` event (already checked by `begin`).
    pub(crate) async fn begin(
        mut journal: Box<dyn JournalWriter>,
        begun: OpEvent,
        tx: mpsc::Sender<OpEvent>,
    ) -> Result<Recorder, ExecError> {
        let op = Operation::begin(&begun)?;
        journal.append(&begun).await?;
        let _ = tx.send(begun).await;
        Ok(Recorder {
            journal,
            op,
            tx,
            last_note: HashMap::new(),
        })
    }

    /// Continues recording an operation replayed from `journal`.
    pub(crate) fn resume(
        journal: Box<dyn JournalWriter>,
        op: Operation,
        tx: mpsc::Sender<OpEvent>,
    ) -> Recorder {
        Recorder {
            journal,
            op,
            tx,
            last_note: HashMap::new(),
        }
    }

    /// The operation as recorded so far.
    pub(crate) fn op(&self) -> &Operation {
        &self.op
    }

    /// Checks, journals (on disk before returning) and streams one event. The stream waits
    /// when full (never drops); a closed stream only means nobody watches.
    pub(crate) async fn record(&mut self, ev: OpEvent) -> Result<(), ExecError> {
        self.op.apply(&ev)?;
        self.journal.append(&ev).await?;
        if let OpEvent::StepProgress { step, note, .. } = &ev {
            self.last_note.insert(*step, note.clone());
        }
        let _ = self.tx.send(ev).await;
        Ok(())
    }

    /// The latest progress note of a step (what it was waiting for).
    pub(crate) fn last_note(&self, step: StepKind) -> Option<&str> {
        self.last_note.get(&step).map(String::as_str)
    }
}

/// Records a progress note of a running step.
pub(crate) async fn note(rec: &Mutex<Recorder>, step: StepKind, text: String) {
    let ev = OpEvent::StepProgress {
        step,
        at: OffsetDateTime::now_utc(),
        note: text,
    };
    if let Err(e) = rec.lock().await.record(ev).await {
        tracing::warn!(error = %e, "progress note not recorded");
    }
}

/// Turns the adapter's events of one step into notes until the step's client is dropped.
/// Polls are noted only when their status changes, so a long detach is a few lines, not one per
/// poll; retries and write ends always.
pub(crate) async fn forward(
    mut rx: mpsc::Receiver<ArmEvent>,
    rec: &Mutex<Recorder>,
    step: StepKind,
) {
    let mut last_status: HashMap<String, String> = HashMap::new();
    while let Some(ev) = rx.recv().await {
        let text = match ev {
            ArmEvent::Request { .. } => None,
            // The last poll's status is the write's end, which `Finished` notes right after:
            // noting both printed every end twice.
            ArmEvent::Poll { status, .. } if is_final_status(&status) => None,
            ArmEvent::Poll {
                operation, status, ..
            } => {
                let changed = last_status.get(&operation) != Some(&status);
                last_status.insert(operation.clone(), status.clone());
                changed.then(|| format!("{operation}: {status}"))
            }
            ArmEvent::Retry {
                operation,
                attempt,
                wait,
                cause,
            } => Some(format!(
                "{operation}: attempt {attempt} in {} ms after: {cause}",
                wait.as_millis()
            )),
            ArmEvent::Finished { operation, outcome } => Some(format!("{operation}: {outcome}")),
        };
        if let Some(text) = text {
            note(rec, step, text).await;
        }
    }
}

/// An operation status ARM ends an operation with.
fn is_final_status(status: &str) -> bool {
    ["Succeeded", "Failed", "Canceled"]
        .iter()
        .any(|end| status.eq_ignore_ascii_case(end))
}
