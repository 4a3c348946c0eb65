//! The long-running operation engine: operation records, lazy advancement of the world to
//! "now", completion effects, failure, and preemption.
//!
//! Time is modelled lazily: every request first calls [`World::advance`], which applies every
//! operation and disk release whose due time has passed, in due order. No background task runs.
//! Validation of new writes belongs to the routes, not here.

use serde_json::{json, Value};
use std::time::Instant;
use time::OffsetDateTime;

use super::clock::Timing;
use super::world::{IpConfig, NicSent, Pending, Power, World};

/// What an operation does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OpKind {
    VmUpdate,
    AttachDetach,
    RunCommand,
    Start,
    PowerOff,
    Deallocate,
    NicUpdate,
}

impl OpKind {
    /// Name in the control API.
    pub fn as_str(self) -> &'static str {
        match self {
            OpKind::VmUpdate => "vm-update",
            OpKind::AttachDetach => "attach-detach",
            OpKind::RunCommand => "run-command",
            OpKind::Start => "start",
            OpKind::PowerOff => "power-off",
            OpKind::Deallocate => "deallocate",
            OpKind::NicUpdate => "nic-update",
        }
    }

    /// True for operations that change a VM's model (they preempt each other).
    pub fn is_vm_update(self) -> bool {
        matches!(self, OpKind::VmUpdate | OpKind::AttachDetach)
    }

    /// True for power actions (they preempt each other).
    pub fn is_power(self) -> bool {
        matches!(self, OpKind::Start | OpKind::PowerOff | OpKind::Deallocate)
    }
}

/// Operation status as the monitors report it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OpStatus {
    InProgress,
    Succeeded,
    Failed,
    Canceled,
}

impl OpStatus {
    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            OpStatus::InProgress => "InProgress",
            OpStatus::Succeeded => "Succeeded",
            OpStatus::Failed => "Failed",
            OpStatus::Canceled => "Canceled",
        }
    }
}

/// An operation's error, with the HTTP status its Location monitor answers.
#[derive(Debug, Clone)]
pub(crate) struct OpError {
    pub http: u16,
    pub code: String,
    pub message: String,
}

/// One long-running operation.
#[derive(Debug, Clone)]
pub(crate) struct Operation {
    pub id: String,
    pub kind: OpKind,
    pub rg: String,
    pub target: String,
    pub status: OpStatus,
    pub start_time: OffsetDateTime,
    pub end_time: Option<OffsetDateTime>,
    pub due: Instant,
    pub error: Option<OpError>,
    pub fail_with: Option<OpError>,
    pub output: Option<Value>,
    pub script: Option<String>,
    pub previous_nic: Option<(Vec<IpConfig>, NicSent)>,
    pub previous_power: Option<Power>,
    pub api_version: String,
    /// Held `InProgress` by a hung guest (see [`super::faults::FaultKind::StallUntilOff`]):
    /// not due whatever `due` says until unstalled.
    pub stalled: bool,
}

impl Operation {
    /// A new in-progress operation due at `due`.
    pub fn new(kind: OpKind, rg: &str, target: &str, due: Instant, api_version: &str) -> Self {
        Operation {
            id: uuid::Uuid::new_v4().to_string(),
            kind,
            rg: rg.to_string(),
            target: target.to_string(),
            status: OpStatus::InProgress,
            start_time: OffsetDateTime::now_utc(),
            end_time: None,
            due,
            error: None,
            fail_with: None,
            output: None,
            script: None,
            previous_nic: None,
            previous_power: None,
            api_version: api_version.to_string(),
            stalled: false,
        }
    }

    fn finish(&mut self, status: OpStatus, error: Option<OpError>) {
        self.status = status;
        self.error = error;
        self.end_time = Some(OffsetDateTime::now_utc());
    }
}

impl World {
    /// Apply every operation and disk release due at or before `now`, earliest first.
    pub fn advance(&mut self, now: Instant, timing: &mut Timing) {
        loop {
            let op = self
                .ops
                .iter()
                .enumerate()
                .filter(|(_, o)| o.status == OpStatus::InProgress && !o.stalled && o.due <= now)
                .min_by_key(|(_, o)| o.due)
                .map(|(i, o)| (i, o.due));
            let release = self
                .disks
                .iter()
                .enumerate()
                .filter_map(|(i, d)| d.release_at.filter(|t| *t <= now).map(|t| (i, t)))
                .min_by_key(|(_, t)| *t);
            match (op, release) {
                (Some((i, due)), Some((_, at))) if due <= at => self.complete(i, timing),
                (Some((i, _)), None) => self.complete(i, timing),
                (_, Some((d, _))) => {
                    self.disks[d].owner = None;
                    self.disks[d].release_at = None;
                }
                (None, None) => break,
            }
        }
    }

    /// Mark in-flight operations on a VM that a newer one preempts as Canceled.
    pub fn preempt(&mut self, rg: &str, vm: &str, pred: fn(OpKind) -> bool) {
        let err = OpError {
            http: 409,
            code: "OperationPreempted".to_string(),
            message: "Operation execution has been preempted by a more recent operation."
                .to_string(),
        };
        for op in self.ops.iter_mut().filter(|o| {
            o.status == OpStatus::InProgress
                && pred(o.kind)
                && o.rg.eq_ignore_ascii_case(rg)
                && o.target.eq_ignore_ascii_case(vm)
        }) {
            op.finish(OpStatus::Canceled, Some(err.clone()));
        }
    }

    /// The in-progress operation of a kind on a target, if any.
    pub fn in_flight(
        &self,
        rg: &str,
        target: &str,
        pred: fn(OpKind) -> bool,
    ) -> Option<&Operation> {
        self.ops.iter().find(|o| {
            o.status == OpStatus::InProgress
                && pred(o.kind)
                && o.rg.eq_ignore_ascii_case(rg)
                && o.target.eq_ignore_ascii_case(target)
        })
    }

    fn complete(&mut self, i: usize, timing: &mut Timing) {
        let op = self.ops[i].clone();
        let result = match op.kind {
            OpKind::VmUpdate | OpKind::AttachDetach => self.finish_vm_update(&op, timing),
            OpKind::RunCommand => self.finish_run_command(&op),
            OpKind::Start | OpKind::PowerOff | OpKind::Deallocate => self.finish_power(&op),
            OpKind::NicUpdate => self.finish_nic(&op),
        };
        let slot = &mut self.ops[i];
        match result {
            Ok(output) => {
                slot.output = output;
                slot.finish(OpStatus::Succeeded, None);
            }
            Err(e) => slot.finish(OpStatus::Failed, Some(e)),
        }
    }

    fn finish_vm_update(
        &mut self,
        op: &Operation,
        timing: &mut Timing,
    ) -> Result<Option<Value>, OpError> {
        let Some(vi) = self.vm_index(&op.rg, &op.target) else {
            return Ok(None);
        };
        let failed = op.fail_with.clone();
        let mut detached = vec![];
        let mut dropped = vec![];
        let vm = &mut self.vms[vi];
        vm.data_disks
            .retain_mut(|d| match (d.pending, failed.is_some()) {
                (Some(Pending::Detach), false) => {
                    detached.push((d.rg.clone(), d.disk.clone()));
                    false
                }
                (Some(Pending::Attach), true) => {
                    dropped.push((d.rg.clone(), d.disk.clone()));
                    false
                }
                (Some(Pending::Detach), true) => {
                    d.pending = None;
                    dropped.push((String::new(), d.disk.clone()));
                    true
                }
                _ => {
                    d.pending = None;
                    true
                }
            });
        vm.provisioning = if failed.is_some() {
            "Failed"
        } else {
            "Succeeded"
        }
        .to_string();
        let vm_name = vm.name.clone();
        for (rg, disk) in &detached {
            if let Some(di) = self.disk_index(rg, disk) {
                let lag = timing.draw(timing.latencies.release_lag);
                let d = &mut self.disks[di];
                d.detaching = false;
                d.detach_failed = false;
                if d.sharers.is_empty() {
                    d.release_at = Some(op.due + lag);
                } else {
                    // Another VM still holds the shared disk: it stays Attached, this holder
                    // leaves managedByExtended at once (the lag is only modelled for the last one).
                    d.release(&vm_name);
                }
            }
        }
        for (rg, disk) in &dropped {
            let vm_rg = self.vms[vi].rg.clone();
            let rg = if rg.is_empty() {
                vm_rg.clone()
            } else {
                rg.clone()
            };
            if let Some(di) = self.disk_index(&rg, disk) {
                let d = &mut self.disks[di];
                if d.detaching {
                    d.detaching = false;
                    d.detach_failed = true;
                } else {
                    d.release(&vm_name);
                }
            }
        }
        if let Some(e) = failed {
            return Err(e);
        }
        let vm = &self.vms[vi];
        Ok(Some(match op.kind {
            OpKind::AttachDetach => self.storage_profile(vm),
            _ => self.vm_json(vm, false),
        }))
    }

    fn finish_run_command(&mut self, op: &Operation) -> Result<Option<Value>, OpError> {
        if let Some(e) = op.fail_with.clone() {
            return Err(e);
        }
        let Some(vi) = self.vm_index(&op.rg, &op.target) else {
            return Ok(None);
        };
        let vm = &self.vms[vi];
        if vm.power != Power::Running || vm.hung {
            return Err(OpError {
                http: 409,
                code: "VMAgentStatusCommunicationError".to_string(),
                message: format!(
                    "VM '{}' has not reported status for VM agent or extensions. Verify that the VM is running and has a healthy agent.",
                    vm.name
                ),
            });
        }
        let script = op.script.clone().unwrap_or_default();
        let role = self
            .roles
            .iter()
            .find(|r| r.vms.iter().any(|v| v.eq_ignore_ascii_case(&vm.name)))
            .cloned();
        let mut stdout = String::new();
        match role {
            Some(r) if script.trim() == r.start_command.trim() => {
                self.vms[vi].service_running = true
            }
            Some(r) if script.trim() == r.stop_command.trim() => {
                self.vms[vi].service_running = false
            }
            _ => stdout = script.clone(),
        }
        let message = format!("Enable succeeded: \n[stdout]\n{stdout}\n[stderr]\n");
        Ok(Some(json!({"value": [{
            "code": "ProvisioningState/succeeded",
            "level": "Info",
            "displayStatus": "Provisioning succeeded",
            "message": message,
        }]})))
    }

    fn finish_power(&mut self, op: &Operation) -> Result<Option<Value>, OpError> {
        let Some(vi) = self.vm_index(&op.rg, &op.target) else {
            return Ok(None);
        };
        let vm = &mut self.vms[vi];
        if let Some(e) = op.fail_with.clone() {
            vm.power = op.previous_power.unwrap_or(vm.power);
            return Err(e);
        }
        vm.power = match op.kind {
            OpKind::Start => {
                vm.chaos_stopped = false;
                Power::Running
            }
            OpKind::PowerOff => Power::Stopped,
            _ => Power::Deallocated,
        };
        Ok(None)
    }

    fn finish_nic(&mut self, op: &Operation) -> Result<Option<Value>, OpError> {
        let Some(ni) = self.nic_index(&op.rg, &op.target) else {
            return Ok(None);
        };
        let nic = &mut self.nics[ni];
        if let Some(e) = op.fail_with.clone() {
            if let Some((ipconfigs, sent)) = op.previous_nic.clone() {
                nic.ipconfigs = ipconfigs;
                nic.sent = sent;
            }
            nic.provisioning = "Failed".to_string();
            nic.etag = super::world::net_etag();
            return Err(e);
        }
        nic.provisioning = "Succeeded".to_string();
        Ok(None)
    }
}
