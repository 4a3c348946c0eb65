//! The published board and the aggregator that keeps it: folds samples into one classifier per
//! probe and updates the board in place inside the watch channel.
//!
//! It owns coalescing (notify at once on a verdict change, otherwise at most every
//! [`PUBLISH_EVERY`]); it must not perform probes or read the wall clock.

use super::{ProbeKind, ProbeSpec, Sample, ScheduleParams};
use crate::core::health::HealthClassifier;
use crate::core::model::{ProbeFacts, ProbeStatus, VmProbes};
use crate::core::snapshot::{Heartbeats, ProbeHistory, VmHeartbeats};
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::time::MissedTickBehavior;

/// Longest delay between a sample and the notification that announces it.
pub const PUBLISH_EVERY: Duration = Duration::from_millis(100);

/// Samples folded under one lock of the board at most.
const BATCH: usize = 256;

/// What the probe engine publishes: verdicts for `core::leader`, histories for the screens.
#[derive(Debug, Clone, Default)]
pub struct HeartbeatBoard {
    /// Classified verdict of every probe, by VM.
    pub verdicts: ProbeFacts,
    /// Recent samples of every probe, by lower-cased VM name (shared copy-on-write, so a
    /// snapshot can take them without copying).
    pub histories: Heartbeats,
    /// How many times a verdict changed kind (Up / Down / Unknown) since the engine started:
    /// a reader that remembers it can tell a verdict change from new samples and latencies.
    pub kind_changes: u64,
}

impl HeartbeatBoard {
    /// A board where every probed VM is known but nothing is classified yet.
    pub(super) fn for_specs(specs: &[ProbeSpec]) -> Self {
        let mut board = HeartbeatBoard::default();
        for spec in specs {
            let vm = spec.vm.to_ascii_lowercase();
            board.verdicts.set(&vm, VmProbes::default());
            if board.histories.slot(&vm).is_none() {
                board.histories.insert(&vm, VmHeartbeats::default());
            }
        }
        board
    }

    /// The histories of one VM (any case), if it is probed.
    pub fn heartbeats_of(&self, vm: &str) -> Option<&VmHeartbeats> {
        self.histories.get(vm)
    }
}

/// One probe's identity and judge.
struct Slot {
    vm: String,
    /// Where its VM's histories live in the board (fixed once the board is built).
    histories: Option<usize>,
    kind: ProbeKind,
    classifier: HealthClassifier,
    /// The verdict last written to the board, so an unchanged one (same kind and latency)
    /// skips the board's map update and its key allocations.
    published: ProbeStatus,
}

/// Owns every classifier and the sending side of the board.
pub(super) struct Aggregator {
    slots: Vec<Slot>,
    board: watch::Sender<HeartbeatBoard>,
    pending: bool,
}

impl Aggregator {
    /// One classifier per spec, in spec order (the sample index).
    pub(super) fn new(
        specs: &[ProbeSpec],
        params: &ScheduleParams,
        board: watch::Sender<HeartbeatBoard>,
    ) -> Self {
        let histories = board.borrow().histories.clone();
        let slots = specs
            .iter()
            .map(|s| Slot {
                vm: s.vm.to_ascii_lowercase(),
                histories: histories.slot(&s.vm),
                kind: s.kind,
                classifier: HealthClassifier::new(params.health, params.history),
                published: side_mut(&mut VmProbes::default(), s.kind).clone(),
            })
            .collect();
        Aggregator {
            slots,
            board,
            pending: false,
        }
    }

    /// Folds samples until every probe task is gone (or this task is aborted).
    pub(super) async fn run(mut self, mut samples: mpsc::Receiver<Sample>) {
        let mut flush = tokio::time::interval(PUBLISH_EVERY);
        flush.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                sample = samples.recv() => match sample {
                    Some(first) => self.fold(first, &mut samples),
                    None => break,
                },
                _ = flush.tick() => self.flush(),
            }
        }
        self.flush();
    }

    /// Applies `first` and whatever else is already queued, under one lock of the board.
    fn fold(&mut self, first: Sample, samples: &mut mpsc::Receiver<Sample>) {
        let slots = &mut self.slots;
        let mut changed = false;
        self.board.send_if_modified(|board| {
            changed |= apply(slots, board, first);
            for _ in 1..BATCH {
                match samples.try_recv() {
                    Ok(next) => changed |= apply(slots, board, next),
                    Err(_) => break,
                }
            }
            changed
        });
        self.pending = !changed;
    }

    /// Notifies receivers of samples folded since the last notification.
    fn flush(&mut self) {
        if self.pending {
            self.board.send_modify(|_| {});
            self.pending = false;
        }
    }
}

/// Folds one sample; true when its probe's verdict changed kind.
fn apply(slots: &mut [Slot], board: &mut HeartbeatBoard, sample: Sample) -> bool {
    let Some(slot) = slots.get_mut(sample.index) else {
        return false;
    };
    let changed = slot.classifier.observe(sample.at, sample.outcome);
    if changed {
        board.kind_changes = board.kind_changes.wrapping_add(1);
    }
    if slot.classifier.verdict() != &slot.published {
        slot.published.clone_from(slot.classifier.verdict());
        let mut probes = board.verdicts.get(&slot.vm);
        *side_mut(&mut probes, slot.kind) = slot.published.clone();
        board.verdicts.set(&slot.vm, probes);
    }
    if let Some(heartbeats) = slot.histories.and_then(|i| board.histories.at_mut(i)) {
        copy_history(
            history_mut(heartbeats, slot.kind),
            slot.classifier.history(),
        );
    }
    changed
}

fn side_mut(probes: &mut VmProbes, kind: ProbeKind) -> &mut ProbeStatus {
    match kind {
        ProbeKind::Vm => &mut probes.vm,
        ProbeKind::Service => &mut probes.service,
    }
}

fn history_mut(heartbeats: &mut VmHeartbeats, kind: ProbeKind) -> &mut ProbeHistory {
    match kind {
        ProbeKind::Vm => &mut heartbeats.vm,
        ProbeKind::Service => &mut heartbeats.service,
    }
}

/// Copies into the board's history reusing its allocation (this runs for every sample).
fn copy_history(dst: &mut ProbeHistory, src: &ProbeHistory) {
    dst.samples.clone_from(&src.samples);
    dst.last_ok = src.last_ok;
    dst.last_run = src.last_run;
    dst.consecutive_failures = src.consecutive_failures;
}
