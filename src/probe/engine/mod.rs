//! The probe engine: spawns one scheduled task per probe and one aggregator that folds results
//! into the classifiers and publishes the [`HeartbeatBoard`].
//!
//! It owns scheduling and task lifetimes only; classification is `core::health`, the checks are
//! `probe::once`. It must not be started outside a Tokio runtime (spawning needs one).

mod board;
mod task;

pub use board::{HeartbeatBoard, PUBLISH_EVERY};

use crate::config::ProbeTarget;
use crate::core::health::{HealthParams, DEFAULT_HISTORY};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;

/// Which of a VM's two heartbeats a probe feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ProbeKind {
    /// Host-level heartbeat: is the machine alive?
    Vm,
    /// App-level heartbeat: is the role's service answering?
    Service,
}

/// One probe to schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeSpec {
    /// The VM the probe belongs to (any case; the board keys it lower-cased).
    pub vm: String,
    /// Which heartbeat of the VM it feeds.
    pub kind: ProbeKind,
    /// Where it goes.
    pub target: ProbeTarget,
}

/// How often probes run, how long they may take and how results are judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScheduleParams {
    /// Time between two runs of the same probe.
    pub interval: Duration,
    /// Upper bound of one check; clamped to `interval` so the detection bound holds.
    pub timeout: Duration,
    /// Classifier thresholds.
    pub health: HealthParams,
    /// Samples kept per probe in the history ring.
    pub history: usize,
}

impl Default for ScheduleParams {
    fn default() -> Self {
        ScheduleParams {
            interval: Duration::from_secs(1),
            timeout: Duration::from_millis(800),
            health: HealthParams::default(),
            history: DEFAULT_HISTORY,
        }
    }
}

/// Where sample time stamps come from; replaceable in tests.
pub trait Clock: Send + Sync + 'static {
    /// The current wall-clock time.
    fn now(&self) -> OffsetDateTime;
}

/// The real clock (`OffsetDateTime::now_utc`).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

impl<F> Clock for F
where
    F: Fn() -> OffsetDateTime + Send + Sync + 'static,
{
    fn now(&self) -> OffsetDateTime {
        self()
    }
}

/// Starts probe engines.
#[derive(Debug, Clone, Copy)]
pub struct ProbeEngine;

impl ProbeEngine {
    /// Schedules every probe with the system clock; see [`ProbeEngine::spawn_with_clock`].
    pub fn spawn(
        specs: Vec<ProbeSpec>,
        params: ScheduleParams,
        client: reqwest::Client,
    ) -> ProbeEngineHandle {
        Self::spawn_with_clock(specs, params, client, Arc::new(SystemClock))
    }

    /// Schedules every probe, stamping samples with `clock`. A second spec for the same
    /// (VM, kind) is ignored. Must be called inside a Tokio runtime.
    pub fn spawn_with_clock(
        specs: Vec<ProbeSpec>,
        params: ScheduleParams,
        client: reqwest::Client,
        clock: Arc<dyn Clock>,
    ) -> ProbeEngineHandle {
        let specs = dedupe(specs);
        let (board_tx, board_rx) = watch::channel(HeartbeatBoard::for_specs(&specs));
        let (sample_tx, sample_rx) = mpsc::channel(specs.len().clamp(16, 1024));
        let mut tasks = JoinSet::new();
        let aggregator = board::Aggregator::new(&specs, &params, board_tx);
        tasks.spawn(aggregator.run(sample_rx));
        let schedule = task::Schedule::new(&params, specs.len());
        for (index, spec) in specs.into_iter().enumerate() {
            let probe = task::Probe {
                index,
                checker: task::Checker::new(spec.target, &client),
                clock: Arc::clone(&clock),
                results: sample_tx.clone(),
            };
            tasks.spawn(probe.run(schedule.clone()));
        }
        ProbeEngineHandle {
            board: board_rx,
            tasks,
        }
    }
}

/// Keeps the first spec of each (lower-cased VM, kind) pair.
fn dedupe(specs: Vec<ProbeSpec>) -> Vec<ProbeSpec> {
    let mut seen = BTreeSet::new();
    specs
        .into_iter()
        .filter(|s| {
            let fresh = seen.insert((s.vm.to_ascii_lowercase(), s.kind));
            if !fresh {
                tracing::warn!(vm = %s.vm, kind = ?s.kind, "duplicate probe ignored");
            }
            fresh
        })
        .collect()
}

/// The running engine. Dropping it aborts every probe task, like [`ProbeEngineHandle::shutdown`].
#[derive(Debug)]
pub struct ProbeEngineHandle {
    board: watch::Receiver<HeartbeatBoard>,
    tasks: JoinSet<()>,
}

impl ProbeEngineHandle {
    /// A new receiver of the latest board.
    pub fn subscribe(&self) -> watch::Receiver<HeartbeatBoard> {
        self.board.clone()
    }

    /// Stops every task and waits until none runs, so no probe is sent after this returns.
    pub async fn shutdown(mut self) {
        self.tasks.abort_all();
        while self.tasks.join_next().await.is_some() {}
    }
}

/// One probe result on its way to the aggregator.
#[derive(Debug)]
struct Sample {
    index: usize,
    at: OffsetDateTime,
    outcome: crate::core::model::ProbeStatus,
}
