//! The step list of a plan, generic over who holds what: each step's work is computed from the
//! facts (endpoint holders, disk owners, power states), so the same code plans a fresh move and
//! the rest of an interrupted one. Pure; names the ARM calls, never makes them.
//!
//! Shared disks (`shared = true`) never move: detach, release and attach see only the other
//! disks, and in a failover the power-off of an unreachable holder must end before the target
//! starts, since no detach takes the shared data away from it.

use super::holders::{holder_nic, holder_vms, target_nic};
use super::{PlanInput, PlanStep, StepKind};
use crate::core::leader::RoleStatus;
use crate::core::model::{same_name, EndpointKind, PowerState, ProbeStatus};

const VM_PATH: &str = "Microsoft.Compute/virtualMachines";
const DISK_PATH: &str = "Microsoft.Compute/disks";

/// What one step does, before timings are applied.
struct Work {
    what: String,
    calls: Vec<String>,
    done: bool,
}

impl Work {
    fn todo(what: String, calls: Vec<String>) -> Work {
        Work {
            what,
            calls,
            done: false,
        }
    }

    fn done(what: String) -> Work {
        Work {
            what,
            calls: Vec::new(),
            done: true,
        }
    }

    /// Merges per-resource parts: done only when every part is.
    fn merge(parts: Vec<Work>, when_empty: String) -> Work {
        if parts.is_empty() {
            return Work::done(when_empty);
        }
        let todo: Vec<&Work> = parts.iter().filter(|p| !p.done).collect();
        let shown: Vec<&Work> = if todo.is_empty() {
            parts.iter().collect()
        } else {
            todo
        };
        Work {
            what: shown
                .iter()
                .map(|p| p.what.as_str())
                .collect::<Vec<_>>()
                .join("; "),
            calls: shown.iter().flat_map(|p| p.calls.clone()).collect(),
            done: parts.iter().all(|p| p.done),
        }
    }
}

/// The steps in execution order with their concurrency (see the module doc of `plan` for why).
pub(super) fn build(input: &PlanInput<'_>, target: &str) -> Vec<PlanStep> {
    let fence = work(input, StepKind::Fence, target);
    let shape = Shape {
        failover: !input.kind.is_planned(),
        power_off_aside: !input.kind.is_planned() && !fence.done && !input.spec.has_shared_disks(),
        shared_disks: input.spec.has_shared_disks(),
        expose_behind_probe: probe_gated(input),
    };
    shape
        .order()
        .into_iter()
        .map(|kind| {
            let work = match kind {
                StepKind::Fence => Work {
                    what: fence.what.clone(),
                    calls: fence.calls.clone(),
                    done: fence.done,
                },
                other => work(input, other, target),
            };
            finish(
                input,
                kind,
                shape.explain(input, kind, work),
                shape.partner(kind),
            )
        })
        .collect()
}

/// What decides the order: the kind, whether a power-off runs beside the target's steps, and
/// whether the endpoint's LB holds traffic back until the app answers its health probe.
#[derive(Debug, Clone, Copy)]
struct Shape {
    failover: bool,
    power_off_aside: bool,
    expose_behind_probe: bool,
    shared_disks: bool,
}

impl Shape {
    fn order(self) -> Vec<StepKind> {
        use StepKind::*;
        let mut order = vec![Preflight, Isolate];
        // Failover: network and storage fence first, through the control plane; the power-off
        // of what was taken away comes after, beside the target's steps.
        order.extend(if self.failover {
            [Detach, Fence]
        } else {
            [Fence, Detach]
        });
        order.extend([Release, Attach]);
        if self.expose_behind_probe {
            order.extend([Expose, Start, Verify]);
        } else {
            order.extend([Start, Verify, Expose]);
        }
        order.push(Commit);
        order
    }

    /// Says in the step's words why it sits where it does, when that is not obvious.
    fn explain(self, input: &PlanInput<'_>, kind: StepKind, mut work: Work) -> Work {
        if work.done {
            return work;
        }
        let why = match (kind, &input.spec.endpoint.kind) {
            (StepKind::Fence, _) if self.shared_disks && self.failover => {
                "before start: the shared disks stay attached to it, only the power-off keeps \
                 it off the data"
            }
            (StepKind::Fence, _) if self.shared_disks => {
                "the shared disks stay attached to it: the stop is what keeps it off the data"
            }
            (StepKind::Fence, _) if self.power_off_aside => {
                "after detach, beside the target's steps: the NIC update and the detach fenced \
                 it already; commit waits for the power-off"
            }
            (StepKind::Expose, _) if self.expose_behind_probe => {
                "beside start and verify: the LB's health probe holds traffic back until the \
                 app answers"
            }
            (StepKind::Expose, EndpointKind::BackendPool(_)) => {
                "after verify: no load-balancing rule with a health probe gates this pool"
            }
            // A NAT rule keeps expose in its usual place after verify: no words added.
            _ => return work,
        };
        work.what = format!("{} ({why})", work.what);
        work
    }

    /// The earlier step `kind` runs alongside (it needs that partner started, not ended).
    fn partner(self, kind: StepKind) -> Option<StepKind> {
        use StepKind::*;
        match kind {
            Detach if self.failover => Some(Isolate),
            Start | Verify if self.expose_behind_probe => Some(Expose),
            Release | Attach | Start | Verify | Expose if self.power_off_aside => Some(Fence),
            Preflight | Isolate | Fence | Detach | Release | Attach | Start | Verify | Expose
            | Commit => None,
        }
    }
}

/// True when the endpoint is a backend pool that a load-balancing rule with a health probe
/// feeds: the new member gets no traffic before its app answers, so it may join early.
fn probe_gated(input: &PlanInput<'_>) -> bool {
    let endpoint = &input.spec.endpoint;
    let EndpointKind::BackendPool(pool) = &endpoint.kind else {
        return false;
    };
    input.facts.is_some_and(|f| {
        f.load_balancers.iter().any(|lb| {
            same_name(&lb.name, &endpoint.load_balancer)
                && lb.probed_pools.iter().any(|p| same_name(p, pool))
        })
    })
}

fn finish(
    input: &PlanInput<'_>,
    kind: StepKind,
    work: Work,
    partner: Option<StepKind>,
) -> PlanStep {
    let timing = input.timings.get(kind);
    let estimate = match (work.done, kind) {
        (true, _) => std::time::Duration::ZERO,
        (false, StepKind::Verify) => timing.estimate * input.verify_successes.max(1),
        (false, _) => timing.estimate,
    };
    PlanStep {
        kind,
        what: work.what,
        azure_calls: work.calls,
        estimate,
        timeout: timing.timeout,
        concurrent_with: partner,
        already_done: work.done,
    }
}

fn work(input: &PlanInput<'_>, kind: StepKind, target: &str) -> Work {
    match kind {
        StepKind::Preflight => Work::todo(
            format!(
                "take the lock of role {}; check that {target} runs and answers its vm probe",
                input.spec.name
            ),
            vec![format!("GET {VM_PATH}/{target}/instanceView")],
        ),
        StepKind::Isolate => isolate(input, target),
        StepKind::Fence if input.kind.is_planned() => fence_stop(input, target),
        StepKind::Fence => fence_power_off(input, target),
        StepKind::Detach | StepKind::Release | StepKind::Attach if all_shared(input) => {
            Work::done(format!(
                "nothing to {}: every disk of the role is shared and stays attached to every VM",
                kind.label()
            ))
        }
        StepKind::Detach => detach(input.status, target),
        StepKind::Release => release(input.status, target),
        StepKind::Attach => attach(input.status, target),
        StepKind::Start => Work::todo(
            format!("run the start command on {target}"),
            vec![format!("POST {VM_PATH}/{target}/runCommand")],
        ),
        StepKind::Verify => Work::todo(
            format!(
                "wait for {} healthy service probes in a row on {target}",
                input.verify_successes.max(1)
            ),
            Vec::new(),
        ),
        StepKind::Expose => expose(input, target),
        StepKind::Commit => Work::todo(
            "close the journal, release the role lock, write the audit record".to_string(),
            Vec::new(),
        ),
    }
}

/// True when the role has disks and every one is shared: no disk moves at all.
fn all_shared(input: &PlanInput<'_>) -> bool {
    !input.spec.disks.is_empty() && input.spec.disks.iter().all(|d| d.shared)
}

fn isolate(input: &PlanInput<'_>, target: &str) -> Work {
    let endpoint = &input.spec.endpoint;
    let parts = input
        .status
        .endpoint_holders
        .iter()
        .filter(|h| !same_name(h, target))
        .map(|h| {
            let nic = holder_nic(input, h);
            let what = match endpoint.kind {
                EndpointKind::NatRule(_) => {
                    format!("remove NAT rule {} from {}", endpoint.label(), nic.words())
                }
                EndpointKind::BackendPool(_) => format!(
                    "remove {} from backend pool {}",
                    nic.words(),
                    endpoint.label()
                ),
            };
            Work::todo(what, vec![nic.put()])
        })
        .collect();
    Work::merge(
        parts,
        format!(
            "endpoint {} is on no NIC but the target's",
            endpoint.label()
        ),
    )
}

fn stopped(power: PowerState) -> bool {
    matches!(
        power,
        PowerState::Stopped
            | PowerState::Stopping
            | PowerState::Deallocated
            | PowerState::Deallocating
    )
}

fn fence_stop(input: &PlanInput<'_>, target: &str) -> Work {
    let parts = holder_vms(input.status, target)
        .into_iter()
        .map(|vm| {
            if stopped(vm.power) {
                Work::done(format!("{} is {} already", vm.name, vm.power.as_str()))
            } else {
                Work::todo(
                    format!("stop the app on {} (stop command)", vm.name),
                    vec![format!("POST {VM_PATH}/{}/runCommand", vm.name)],
                )
            }
        })
        .collect();
    Work::merge(parts, "nothing to stop: no other VM holds the role".into())
}

fn fence_power_off(input: &PlanInput<'_>, target: &str) -> Work {
    let parts = holder_vms(input.status, target)
        .into_iter()
        .map(|vm| match &vm.probes.vm {
            _ if stopped(vm.power) => {
                Work::done(format!("{} is {} already", vm.name, vm.power.as_str()))
            }
            ProbeStatus::Up { .. } if input.spec.has_shared_disks() => Work::done(format!(
                "{} answers its vm probe: no power-off; isolate fences the endpoint, the shared \
                 disks stay attached (keeping it off them is the app's SCSI reservations' job)",
                vm.name
            )),
            ProbeStatus::Up { .. } => Work::done(format!(
                "{} answers its vm probe: no power-off, isolate and detach fence it",
                vm.name
            )),
            ProbeStatus::Down { reason } => Work::todo(
                format!("power off {} (unreachable: {reason})", vm.name),
                vec![format!("POST {VM_PATH}/{}/powerOff", vm.name)],
            ),
            ProbeStatus::Unknown => Work::todo(
                format!("power off {} (unreachable: no heartbeat)", vm.name),
                vec![format!("POST {VM_PATH}/{}/powerOff", vm.name)],
            ),
        })
        .collect();
    Work::merge(parts, "nothing to fence: no other VM holds the role".into())
}

fn detach(status: &RoleStatus, target: &str) -> Work {
    let mut owners: Vec<(&str, Vec<&str>)> = Vec::new();
    for disk in status.disks.iter().filter(|d| !d.shared) {
        let Some(owner) = disk
            .attached_to
            .as_deref()
            .filter(|o| !same_name(o, target))
        else {
            continue;
        };
        match owners.iter_mut().find(|(o, _)| same_name(o, owner)) {
            Some((_, disks)) => disks.push(&disk.name),
            None => owners.push((owner, vec![&disk.name])),
        }
    }
    let parts = owners
        .into_iter()
        .map(|(owner, disks)| {
            Work::todo(
                format!("detach {} from {owner}", disks.join(", ")),
                vec![format!("POST {VM_PATH}/{owner}/attachDetachDataDisks")],
            )
        })
        .collect();
    Work::merge(
        parts,
        format!("no disk is attached to a VM other than {target}"),
    )
}

fn release(status: &RoleStatus, target: &str) -> Work {
    let waiting: Vec<&str> = status
        .disks
        .iter()
        .filter(|d| !d.shared)
        .filter(|d| match d.attached_to.as_deref() {
            Some(owner) => !same_name(owner, target),
            None => !d.disk_state.eq_ignore_ascii_case("Unattached"),
        })
        .map(|d| d.name.as_str())
        .collect();
    if waiting.is_empty() {
        return Work::done(format!("every disk is free or on {target} already"));
    }
    Work::todo(
        format!(
            "wait until {} free (managedBy empty, Unattached)",
            if waiting.len() == 1 {
                format!("{} is", waiting[0])
            } else {
                format!("{} are", waiting.join(", "))
            }
        ),
        waiting
            .iter()
            .map(|d| format!("GET {DISK_PATH}/{d}"))
            .collect(),
    )
}

fn attach(status: &RoleStatus, target: &str) -> Work {
    let missing: Vec<String> = status
        .disks
        .iter()
        .filter(|d| !d.shared)
        .filter(|d| {
            !d.attached_to
                .as_deref()
                .is_some_and(|o| same_name(o, target))
        })
        .map(|d| format!("{} at LUN {}", d.name, d.lun))
        .collect();
    if missing.is_empty() {
        return Work::done(format!("every disk is on {target} already"));
    }
    Work::todo(
        format!("attach {} to {target}", missing.join(", ")),
        vec![format!("POST {VM_PATH}/{target}/attachDetachDataDisks")],
    )
}

fn expose(input: &PlanInput<'_>, target: &str) -> Work {
    let endpoint = &input.spec.endpoint;
    let nic = target_nic(input, target);
    if input
        .status
        .endpoint_holders
        .iter()
        .any(|h| same_name(h, target))
    {
        return Work::done(format!("{} is on {target} already", endpoint.label()));
    }
    let what = match endpoint.kind {
        EndpointKind::NatRule(_) => format!("add NAT rule {} to {}", endpoint.label(), nic.words()),
        EndpointKind::BackendPool(_) => {
            format!("add {} to backend pool {}", nic.words(), endpoint.label())
        }
    };
    Work::todo(what, vec![nic.put()])
}
