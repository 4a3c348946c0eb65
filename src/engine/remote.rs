//! Other batons' operations, streamed live into this cockpit: for every role the last listing
//! shows held by another host (or process) with an operation named on its lock, a follower
//! reads the operation's journal from the last offset about once a second ([`POLL`]) and sends
//! each new complete line as [`EngineMsg::RemoteEvent`]. Only while such an operation runs: a
//! follower stops after its `Finished` line, or after one last read once the lock no longer
//! names its operation. Reads only (range reads), so wall and read-only cockpits run it too.

use super::inventory::InventoryState;
use crate::core::operation::OpEvent;
use crate::protocol::EngineMsg;
use crate::store::journal::Journal;
use crate::store::SharedReader;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

/// How often a running remote operation's journal is read.
pub const POLL: Duration = Duration::from_secs(1);

/// Starts a follower for every newly seen remote operation until the inventory or the UI is gone.
pub(super) async fn run(
    store: SharedReader,
    mut inventory: watch::Receiver<InventoryState>,
    ui: mpsc::Sender<EngineMsg>,
) {
    let mut followed: BTreeMap<(String, String), JoinHandle<()>> = BTreeMap::new();
    loop {
        let remote: Vec<(String, String, String)> = inventory
            .borrow_and_update()
            .coordination
            .remote
            .iter()
            .filter_map(|(role, h)| Some((role.clone(), h.op_id.clone()?, h.by())))
            .collect();
        // Forget ended followers of operations no longer on a lock: a new one may start later.
        followed.retain(|(role, op), task| {
            !task.is_finished() || remote.iter().any(|(r, o, _)| r == role && o == op)
        });
        for (role, op_id, by) in remote {
            let key = (role.clone(), op_id.clone());
            if followed.contains_key(&key) {
                continue;
            }
            let follower = Follower {
                store: store.clone(),
                role,
                op_id,
                by,
                inventory: inventory.clone(),
                ui: ui.clone(),
            };
            followed.insert(key, tokio::spawn(follower.run()));
        }
        if inventory.changed().await.is_err() || ui.is_closed() {
            break;
        }
    }
    for task in followed.values() {
        task.abort();
    }
}

/// One remote operation being streamed.
struct Follower {
    store: SharedReader,
    role: String,
    op_id: String,
    by: String,
    inventory: watch::Receiver<InventoryState>,
    ui: mpsc::Sender<EngineMsg>,
}

impl Follower {
    async fn run(self) {
        let mut offset = 0u64;
        let mut pending: Vec<u8> = Vec::new();
        let mut tick = tokio::time::interval(POLL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            // Checked before the read, so the read after the lock moved on is the last one.
            let still_held = self.still_held();
            let bytes = match self
                .store
                .read_journal_from(&self.role, &self.op_id, offset)
                .await
            {
                Ok(bytes) => bytes,
                Err(e) => {
                    // Not written yet, or the store hiccups: the next tick tries again.
                    tracing::debug!(error = %e, op = %self.op_id, "remote journal not read");
                    Vec::new()
                }
            };
            offset += bytes.len() as u64;
            pending.extend_from_slice(&bytes);
            let Some(events) = self.complete_lines(&mut pending) else {
                return;
            };
            let mut finished = false;
            for event in events {
                finished |= matches!(event, OpEvent::Finished { .. });
                let msg = EngineMsg::RemoteEvent {
                    op_id: self.op_id.clone(),
                    by: self.by.clone(),
                    event,
                };
                if self.ui.send(msg).await.is_err() {
                    return;
                }
            }
            if finished || !still_held {
                return;
            }
        }
    }

    fn still_held(&self) -> bool {
        let state = self.inventory.borrow();
        let holder = state.coordination.remote.get(&self.role);
        holder.is_some_and(|h| h.op_id.as_deref() == Some(self.op_id.as_str()))
    }

    /// The events of the complete lines in `pending` (a line still being appended stays
    /// there); `None` when a complete line is not an event (the follower gives up, logged).
    fn complete_lines(&self, pending: &mut Vec<u8>) -> Option<Vec<OpEvent>> {
        let Some(end) = pending.iter().rposition(|b| *b == b'\n') else {
            return Some(Vec::new());
        };
        let name = format!("journals/{}/{}.jsonl", self.role, self.op_id);
        match Journal::parse(Path::new(&name), &pending[..=end]) {
            Ok(loaded) => {
                pending.drain(..=end);
                Some(loaded.events)
            }
            Err(e) => {
                tracing::warn!(error = %e, "remote journal unreadable; no longer followed");
                None
            }
        }
    }
}
