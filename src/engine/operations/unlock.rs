//! The cockpit's unlock dialog, served through the runner's one unlock front door
//! ([`crate::ops::Runner::lock_status`], [`crate::ops::Runner::break_lock`]): the lock as the
//! store has it, then the break the operator confirmed by typing the role's name, audited with
//! the comment [`COCKPIT_UNLOCK_COMMENT`]. Answers go to the UI as `EngineMsg::Lock` and
//! `EngineMsg::LockBroken`; a break also asks for an inventory refresh so the role stops
//! showing the old holder.

use super::Ops;
use crate::core::name::RoleName;
use crate::ops::{BreakOutcome, Confirmation, UnlockRequest, Unlocked};
use crate::protocol::{EngineMsg, LockBreak, LockHolderView, LockView, COCKPIT_UNLOCK_COMMENT};
use crate::store::lock::LockStatus;

impl Ops {
    pub(super) async fn read_lock(&self, role: RoleName) {
        let status = self
            .runner
            .lock_status(role.as_str())
            .await
            .map(|found| found.map(view))
            .map_err(|e| e.to_string());
        self.tell_ui(EngineMsg::Lock { role, status }).await;
    }

    pub(super) async fn break_lock(&self, role: RoleName, epoch: u64, confirmed_name: String) {
        let request = UnlockRequest {
            role: role.as_str().to_owned(),
            seen_epoch: epoch,
            comment: Some(COCKPIT_UNLOCK_COMMENT.to_string()),
            confirmation: Confirmation::Typed(confirmed_name),
        };
        let result = self
            .runner
            .break_lock(&request)
            .await
            .map(|done| outcome(role.as_str(), done))
            .map_err(|e| e.to_string());
        if result.is_ok() {
            self.ch.refresh_now.notify_one();
        }
        self.tell_ui(EngineMsg::LockBroken { role, result }).await;
    }
}

fn view(status: LockStatus) -> LockView {
    LockView {
        holder: status.holder.map(|h| LockHolderView {
            who: h.who,
            host: h.host,
            pid: h.pid,
            op_id: h.op_id,
            since: h.since,
        }),
        epoch: status.epoch,
        lease: status.lease,
        held: status.held,
        last_written: status.last_written,
    }
}

fn outcome(role: &str, done: Unlocked) -> LockBreak {
    LockBreak {
        broken: match done.outcome {
            BreakOutcome::Broken => true,
            BreakOutcome::EndedMeanwhile => false,
        },
        was: done.was.map(|h| format!("{}@{}", h.who, h.host)),
        epoch: done.epoch,
        resume: done.next.command(role),
    }
}
