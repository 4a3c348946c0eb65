//! A detach stalled by a hung guest (fault `stall-until-off`): which writes it holds, and what
//! ends the hold. A power action preempts it, as a newer operation does in Azure; a guest that
//! answers again lets it finish.
//!
//! Owns no timing: the LRO engine skips stalled operations until they are released here.

use std::time::Instant;

use super::faults::FaultKind;
use super::lro::{OpKind, OpStatus, Operation};
use super::state::State;
use super::world::{same, Pending, World};

/// True when a `stall-until-off` fault takes this write: it detaches a disk (`detaches`) from
/// a VM whose guest hangs.
pub(crate) fn takes_stall(
    st: &mut State,
    method: &str,
    path: &str,
    vi: usize,
    detaches: bool,
) -> bool {
    detaches
        && st.world.vms[vi].hung
        && st
            .faults
            .take(method, path, &[FaultKind::StallUntilOff])
            .is_some()
}

fn stalled_on(o: &Operation, rg: &str, vm: &str) -> bool {
    o.stalled && o.status == OpStatus::InProgress && same(&o.rg, rg) && same(&o.target, vm)
}

impl World {
    /// A power action was accepted for `vm`: its stalled detach ends `Canceled` with
    /// `OperationPreempted`, and the disks it was detaching stay attached (the guest never
    /// let go; the detach must be sent again).
    pub fn preempt_stalled(&mut self, rg: &str, vm: &str) {
        if !self.ops.iter().any(|o| stalled_on(o, rg, vm)) {
            return;
        }
        self.preempt(rg, vm, OpKind::is_vm_update);
        let Some(vi) = self.vm_index(rg, vm) else {
            return;
        };
        let mut kept = Vec::new();
        for d in &mut self.vms[vi].data_disks {
            if d.pending == Some(Pending::Detach) {
                d.pending = None;
                kept.push((d.rg.clone(), d.disk.clone()));
            }
        }
        for (drg, disk) in kept {
            if let Some(di) = self.disk_index(&drg, &disk) {
                self.disks[di].detaching = false;
            }
        }
    }

    /// The guest of VM `vi` answers again: its stalled operations run on, ending when they were
    /// due or now, whichever is later.
    pub fn unstall(&mut self, vi: usize, now: Instant) {
        let (rg, vm) = (self.vms[vi].rg.clone(), self.vms[vi].name.clone());
        for op in self.ops.iter_mut().filter(|o| stalled_on(o, &rg, &vm)) {
            op.stalled = false;
            op.due = op.due.max(now);
        }
    }
}
