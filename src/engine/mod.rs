//! The engine: wires the inventory refresh loop, the probe engine and the leader derivation
//! into one latest-wins [`FleetSnapshot`] for the UI, plus a bounded stream of [`EngineEvent`]s;
//! and executes the UI's effects (refresh now, demo chaos).
//!
//! It owns every background task; [`EngineHandle::shutdown`] stops them all. It never draws and
//! never prints: the UI owns the terminal, logs go to `tracing`.
//!
//! Inventory refreshes run every `refresh_interval`. A failed refresh keeps the last facts but
//! marks them with the error (the UI shows them as STALE, never as fresh); after a 429 or 503
//! the next refresh waits for the server's `Retry-After` (capped at [`MAX_BACKOFF`]) when that
//! is longer than the interval, and the snapshot says when the next refresh is due.
//!
//! The history view's `ReadEffect::LoadHistory` is served in every mode when [`start_with`] was
//! given a [`HistorySource`] (reading the state directory is allowed in read-only): the journals
//! and drill records are read off the async threads and the answer goes out as
//! `EngineMsg::History` on the same channel as the operation messages.
//!
//! Every task is supervised (`supervise`): one that panics or ends while the engine runs is
//! reported on [`EngineHandle::take_failures`], and the cockpit stops on it with a message.

mod chaos;
mod combine;
mod coordination;
mod history;
mod inventory;
mod operations;
mod remote;
mod supervise;

pub use chaos::ChaosPort;
pub use combine::{build_snapshot, SNAPSHOT_EVERY};
pub use coordination::{view_of, CoordinationSource};
pub use history::HistorySource;
pub use remote::POLL as REMOTE_POLL;
pub use supervise::TaskFailure;

use crate::azure::ReadClient;
use crate::core::model::RoleSpec;
use crate::core::snapshot::{EngineEvent, FleetSnapshot};
use crate::probe::{ProbeEngine, ProbeEngineHandle, ProbeSpec, ScheduleParams};
use crate::protocol::{ChaosRequest, Effect, EngineMsg, OpEffect, ReadEffect, UiEffect};
use inventory::InventoryState;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch, Notify};
use tokio::task::JoinHandle;

/// Longest wait between two refresh attempts, whatever a throttled server asks for.
pub const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// Capacity of the event channel to the UI (events are never dropped; senders wait).
pub const EVENT_CAPACITY: usize = 256;

/// Everything the engine needs to run.
pub struct EngineSetup {
    /// Roles in config order.
    pub roles: Vec<RoleSpec>,
    /// Read-only ARM client (the engine never writes).
    pub reader: ReadClient,
    /// Every probe to schedule.
    pub probes: Vec<ProbeSpec>,
    /// Probe timing and thresholds.
    pub schedule: ScheduleParams,
    /// Time between inventory refreshes (the shortest: the read budgets may stretch it).
    pub refresh_interval: Duration,
    /// Share of each read budget the refreshes may use in steady state, 0 < share < 1.
    pub budget_share: f64,
    /// Where demo chaos goes; `None` outside the demo.
    pub chaos: Option<ChaosPort>,
    /// The operations runner (failovers, switchovers, drills); `None` in read-only and wall
    /// modes (nothing can write).
    pub ops: Option<crate::ops::Runner>,
}

/// The running engine: channels for the UI and the tasks behind them.
pub struct EngineHandle {
    snapshots: watch::Receiver<FleetSnapshot>,
    events: Option<mpsc::Receiver<EngineEvent>>,
    ops: Option<mpsc::Receiver<EngineMsg>>,
    effects: mpsc::Sender<Effect>,
    probe_engine: Option<ProbeEngineHandle>,
    tasks: Vec<JoinHandle<()>>,
    failures: Option<mpsc::Receiver<TaskFailure>>,
}

impl EngineHandle {
    /// A receiver of the latest fleet snapshot.
    pub fn snapshots(&self) -> watch::Receiver<FleetSnapshot> {
        self.snapshots.clone()
    }

    /// The event stream (only one consumer: the first call takes it).
    pub fn take_events(&mut self) -> Option<mpsc::Receiver<EngineEvent>> {
        self.events.take()
    }

    /// Plans and operation events for the UI (only one consumer: the first call takes it).
    pub fn take_ops(&mut self) -> Option<mpsc::Receiver<EngineMsg>> {
        self.ops.take()
    }

    /// Tasks that panicked or ended while they should run (only one consumer: the first call
    /// takes it). Whoever runs the UI must stop on the first one.
    pub fn take_failures(&mut self) -> Option<mpsc::Receiver<TaskFailure>> {
        self.failures.take()
    }

    /// Where the UI sends its effects.
    pub fn effects(&self) -> mpsc::Sender<Effect> {
        self.effects.clone()
    }

    /// Stops every task and waits for them.
    pub async fn shutdown(mut self) {
        for task in &self.tasks {
            task.abort();
        }
        for task in self.tasks.drain(..) {
            let _ = task.await;
        }
        if let Some(probes) = self.probe_engine.take() {
            probes.shutdown().await;
        }
    }
}

impl Drop for EngineHandle {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Starts every task and returns the UI's end of the channels (no history source: the history
/// view is told it is unavailable).
pub fn start(setup: EngineSetup) -> EngineHandle {
    start_with(setup, None)
}

/// [`start`], serving the history view from `history`.
pub fn start_with(setup: EngineSetup, history: Option<HistorySource>) -> EngineHandle {
    start_coordinated(setup, history, None)
}

/// [`start_with`], also reading the shared store once per inventory refresh: other batons'
/// operations show (their roles FAILING OVER, their steps streamed as
/// [`EngineMsg::RemoteEvent`]) and an unreadable store is named in the snapshot.
pub fn start_coordinated(
    setup: EngineSetup,
    history: Option<HistorySource>,
    coordination: Option<CoordinationSource>,
) -> EngineHandle {
    let (snapshot_tx, snapshots) = watch::channel(FleetSnapshot::default());
    let (event_tx, events) = mpsc::channel(EVENT_CAPACITY);
    let (effects, effect_rx) = mpsc::channel(32);
    let (inventory_tx, inventory_rx) = watch::channel(InventoryState::default());
    let refresh_now = Arc::new(Notify::new());
    let client = crate::probe::http_client_for(&setup.probes);
    let probe_engine = ProbeEngine::spawn(setup.probes, setup.schedule, client);
    let board = probe_engine.subscribe();
    let (running_tx, running_rx) = watch::channel(BTreeSet::new());
    let (ops_ui_tx, ops_ui) = mpsc::channel(256);
    let (op_effects_tx, op_effects_rx) = mpsc::channel(32);
    let (failure_tx, failures) = mpsc::channel(8);
    let mut tasks = vec![
        supervise::spawn(
            "inventory",
            inventory::run(
                inventory::Refresher {
                    reader: setup.reader,
                    roles: setup.roles.clone(),
                    rules: crate::core::budget::PacingRules {
                        interval: setup.refresh_interval,
                        share: setup.budget_share,
                    },
                    coordination: coordination.clone(),
                },
                inventory::Channels {
                    out: inventory_tx,
                    events: event_tx.clone(),
                    refresh_now: refresh_now.clone(),
                    running: running_rx.clone(),
                },
            ),
            &failure_tx,
        ),
        supervise::spawn(
            "snapshots",
            combine::run(
                setup.roles,
                inventory_rx.clone(),
                board,
                running_rx,
                snapshot_tx,
            ),
            &failure_tx,
        ),
        supervise::spawn(
            "effects",
            run_effects(
                effect_rx,
                refresh_now.clone(),
                setup.chaos,
                event_tx.clone(),
                op_effects_tx,
                history::Server::new(history, ops_ui_tx.clone()),
            ),
            &failure_tx,
        ),
    ];
    if let Some(source) = coordination {
        let follow = remote::run(source.store, inventory_rx.clone(), ops_ui_tx.clone());
        tasks.push(supervise::spawn("remote operations", follow, &failure_tx));
    }
    if let Some(ops) = setup.ops {
        let channels = operations::OpsChannels {
            ui: ops_ui_tx,
            events: event_tx,
            running: running_tx,
            refresh_now,
            inventory: inventory_rx,
        };
        let run = operations::run(ops, channels, op_effects_rx);
        tasks.push(supervise::spawn("operations", run, &failure_tx));
    }
    EngineHandle {
        snapshots,
        events: Some(events),
        ops: Some(ops_ui),
        effects,
        probe_engine: Some(probe_engine),
        tasks,
        failures: Some(failures),
    }
}

/// Executes the UI's effects that need I/O.
async fn run_effects(
    mut effects: mpsc::Receiver<Effect>,
    refresh_now: Arc<Notify>,
    chaos: Option<ChaosPort>,
    events: mpsc::Sender<EngineEvent>,
    operations: mpsc::Sender<OpEffect>,
    history: history::Server,
) {
    while let Some(effect) = effects.recv().await {
        match effect {
            Effect::Read(read) => match read {
                ReadEffect::RefreshInventory => refresh_now.notify_one(),
                ReadEffect::LoadHistory => history.load(),
                ReadEffect::ExportTimeline { role } => {
                    history.export(role.to_string(), events.clone())
                }
            },
            Effect::Chaos(ChaosRequest { vm, action }) => {
                if let Some(port) = &chaos {
                    let event = port.apply(&vm, action).await;
                    if events.send(event).await.is_err() {
                        break;
                    }
                }
            }
            // Quit and Bell are the UI's own business; they reach here only by mistake.
            Effect::Ui(UiEffect::Quit | UiEffect::Bell) => {}
            // Operation effects go to the operations task (absent in read-only and wall).
            Effect::Op(op) => {
                if operations.send(op).await.is_err() {
                    tracing::debug!("operation effect with no operations task");
                }
            }
        }
    }
}
