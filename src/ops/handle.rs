//! What [`super::Runner::start`] hands back: the id chosen before anything ran, the abort
//! switch, the one ordered stream of the run, and its end. Plain data and channels; must not
//! run anything itself.

use crate::drill::{DrillError, DrillOutcome, OpStreamEvent};
use crate::failover::{ExecError, RunReport};
use std::sync::Arc;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

/// The id of what was started, assigned by the runner before it ran.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OpId {
    /// A failover, switchover or rollback: the operation's id (its journal's name).
    Operation(String),
    /// A drill: the drill's id (its record's name); its legs' ids come on the stream.
    Drill(String),
}

impl OpId {
    /// The id itself.
    pub fn as_str(&self) -> &str {
        match self {
            OpId::Operation(id) | OpId::Drill(id) => id,
        }
    }
}

/// Asks a running operation or drill to halt between steps (and a drill between phases and
/// during its hold). Cloneable; armed before the run starts, so it works from the first event.
#[derive(Debug, Clone)]
pub struct AbortSwitch(Arc<watch::Sender<bool>>);

impl AbortSwitch {
    /// A fresh switch and the receiver the run watches.
    pub(super) fn new() -> (AbortSwitch, watch::Receiver<bool>) {
        let (tx, rx) = watch::channel(false);
        (AbortSwitch(Arc::new(tx)), rx)
    }

    /// Requests the abort (idempotent).
    pub fn abort(&self) {
        self.0.send_replace(true);
    }

    /// True once an abort was requested.
    pub fn is_requested(&self) -> bool {
        *self.0.borrow()
    }
}

/// How a run ended: the engine's own report, unchanged.
#[derive(Debug)]
pub enum OpEnd {
    /// A failover, switchover, resume or rollback.
    Operation(Result<RunReport, ExecError>),
    /// A drill or a drill resume.
    Drill(Result<DrillOutcome, DrillError>),
}

/// A started operation or drill.
#[derive(Debug)]
pub struct OpHandle {
    /// Its id, known before its first event.
    pub id: OpId,
    /// The role it moves.
    pub role: String,
    /// Halts it between steps.
    pub abort: AbortSwitch,
    /// Every operation event and drill update, in the order they happened; closed at the end.
    pub events: mpsc::Receiver<OpStreamEvent>,
    /// The end, once the stream has been fully sent.
    pub done: JoinHandle<OpEnd>,
}
