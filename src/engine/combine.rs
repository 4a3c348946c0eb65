//! The combine task: turns the latest inventory, heartbeat board and running operations into
//! one [`FleetSnapshot`], published latest-wins.
//!
//! It owns when a snapshot is derived (at once for verdict, inventory and operation changes,
//! coalesced for samples alone); it must not perform I/O or judge probes.

use super::inventory::InventoryState;
use crate::core::leader::derive_all;
use crate::core::model::{AzureFacts, RoleSpec};
use crate::core::name::RoleName;
use crate::core::snapshot::{FleetSnapshot, InventoryFreshness};
use crate::probe::HeartbeatBoard;
use std::collections::BTreeSet;
use std::time::Duration;
use tokio::sync::watch;
use tokio::time::Instant;

/// Longest delay between new probe samples (latencies, sparklines) and the snapshot that shows
/// them. Verdict changes (a probe going Up or Down), inventory refreshes and operations are
/// published at once; samples alone are coalesced, so at 4,000 probes per second the fleet is
/// re-derived and redrawn twice a second instead of after every board notification. With probes
/// at 1 Hz every sample still shows within half an interval; 250 ms cost a third more CPU at
/// 1,000 roles for nothing visible (docs/benchmarks.md).
pub const SNAPSHOT_EVERY: Duration = Duration::from_millis(500);

/// Derives a new snapshot when the inventory, the running operations or a probe verdict's kind
/// changes (at once), and for new samples and latencies alone at most every [`SNAPSHOT_EVERY`].
pub(super) async fn run(
    roles: Vec<RoleSpec>,
    mut inventory: watch::Receiver<InventoryState>,
    mut board: watch::Receiver<HeartbeatBoard>,
    mut running: watch::Receiver<BTreeSet<RoleName>>,
    out: watch::Sender<FleetSnapshot>,
) {
    loop {
        let (snapshot, kinds_seen) = {
            let inv = inventory.borrow_and_update();
            let board = board.borrow_and_update();
            // A role another baton holds runs an operation just as one of ours does.
            let mut running = running.borrow_and_update().clone();
            running.extend(
                inv.coordination
                    .remote
                    .keys()
                    .map(|r| RoleName::from(r.as_str())),
            );
            let mut snapshot = build_snapshot(
                &roles,
                inv.facts.as_deref(),
                &inv.freshness,
                &board,
                &running,
            );
            snapshot.coordination = inv.coordination.clone();
            (snapshot, board.kind_changes)
        };
        out.send_replace(snapshot);
        let next = Instant::now() + SNAPSHOT_EVERY;
        let inputs = Inputs {
            inventory: &mut inventory,
            board: &mut board,
            running: &mut running,
        };
        if !inputs.next_change(kinds_seen, next).await {
            break;
        }
    }
}

/// The receivers [`run`] waits on.
struct Inputs<'a> {
    inventory: &'a mut watch::Receiver<InventoryState>,
    board: &'a mut watch::Receiver<HeartbeatBoard>,
    running: &'a mut watch::Receiver<BTreeSet<RoleName>>,
}

impl Inputs<'_> {
    /// Waits until a new snapshot is due: at once for an urgent change, at `not_before` for
    /// samples only. False when the inventory or probe engine is gone.
    async fn next_change(self, kinds_seen: u64, not_before: Instant) -> bool {
        let mut samples = false;
        loop {
            tokio::select! {
                changed = self.inventory.changed() => return changed.is_ok(),
                changed = self.board.changed() => {
                    if changed.is_err() {
                        return false;
                    }
                    if self.board.borrow().kind_changes != kinds_seen {
                        return true;
                    }
                    samples = true;
                }
                // The sender lives only while the operations task does; without it, ignore.
                changed = self.running.changed(), if self.running.has_changed().is_ok() => {
                    if changed.is_ok() {
                        return true;
                    }
                }
                _ = tokio::time::sleep_until(not_before), if samples => return true,
            }
        }
    }
}

/// The pure part of the combine loop: one snapshot from the latest facts and heartbeats.
pub fn build_snapshot(
    roles: &[RoleSpec],
    facts: Option<&AzureFacts>,
    freshness: &InventoryFreshness,
    board: &HeartbeatBoard,
    running: &BTreeSet<RoleName>,
) -> FleetSnapshot {
    FleetSnapshot {
        roles: derive_all(roles, facts, &board.verdicts, |role| {
            running.contains(&RoleName::from(role))
        }),
        inventory: freshness.clone(),
        heartbeats: board.histories.clone(),
        coordination: Default::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::FutureExt;

    struct Rig {
        inventory: (
            watch::Sender<InventoryState>,
            watch::Receiver<InventoryState>,
        ),
        board: (
            watch::Sender<HeartbeatBoard>,
            watch::Receiver<HeartbeatBoard>,
        ),
        running: (
            watch::Sender<BTreeSet<RoleName>>,
            watch::Receiver<BTreeSet<RoleName>>,
        ),
    }

    impl Rig {
        fn new() -> Self {
            Rig {
                inventory: watch::channel(InventoryState::default()),
                board: watch::channel(HeartbeatBoard::default()),
                running: watch::channel(BTreeSet::new()),
            }
        }

        fn inputs(&mut self) -> Inputs<'_> {
            Inputs {
                inventory: &mut self.inventory.1,
                board: &mut self.board.1,
                running: &mut self.running.1,
            }
        }
    }

    const LATER: Duration = Duration::from_secs(3600);

    #[tokio::test]
    async fn samples_alone_wait_for_the_window() {
        let mut rig = Rig::new();
        let board = rig.board.0.clone();
        let mut wait = Box::pin(rig.inputs().next_change(0, Instant::now() + LATER));
        assert_eq!((&mut wait).now_or_never(), None, "nothing changed yet");
        board.send_modify(|_| {});
        assert_eq!((&mut wait).now_or_never(), None, "new samples only");
        board.send_modify(|b| b.kind_changes += 1);
        assert_eq!((&mut wait).now_or_never(), Some(true), "a verdict changed");
    }

    #[tokio::test]
    async fn samples_are_published_once_the_window_is_over() {
        let mut rig = Rig::new();
        rig.board.0.send_modify(|_| {});
        let wait = rig.inputs().next_change(0, Instant::now());
        // The bound only keeps a broken wait from hanging the test.
        let done = tokio::time::timeout(LATER, wait).await;
        assert_eq!(done.ok(), Some(true));
    }

    #[tokio::test]
    async fn inventory_and_operations_are_published_at_once() {
        let mut rig = Rig::new();
        rig.inventory.0.send_modify(|_| {});
        let wait = rig.inputs().next_change(0, Instant::now() + LATER);
        assert_eq!(wait.now_or_never(), Some(true));

        let mut rig = Rig::new();
        rig.running.0.send_modify(|r| {
            r.insert("web".into());
        });
        let wait = rig.inputs().next_change(0, Instant::now() + LATER);
        assert_eq!(wait.now_or_never(), Some(true));
    }

    #[tokio::test]
    async fn a_stopped_probe_engine_ends_the_task() {
        let mut rig = Rig::new();
        let (board, _) = watch::channel(HeartbeatBoard::default());
        rig.board = (board, rig.board.1.clone());
        let wait = rig.inputs().next_change(0, Instant::now() + LATER);
        assert_eq!(wait.now_or_never(), Some(false));
    }
}
