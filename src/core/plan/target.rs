//! Chooses the target VM of a plan and reports what is wrong with it. Pure; reads only the
//! derived role status.

use super::blockers::{Blocker, StandbyProblem};
use super::PlanInput;
use crate::core::leader::VmStatus;
use crate::core::model::{same_name, PowerState, ProbeStatus};

/// The chosen target (configured spelling) and the blockers about it.
pub(super) struct TargetChoice {
    /// The target, `None` when no standby could be chosen.
    pub target: Option<String>,
    /// Everything wrong with the target (or the lack of one).
    pub blockers: Vec<Blocker>,
}

/// The requested target, else the first healthy standby in config order.
pub(super) fn choose(input: &PlanInput<'_>) -> TargetChoice {
    match input.requested_target {
        Some(requested) => check_requested(input, requested),
        None => pick_standby(input),
    }
}

fn check_requested(input: &PlanInput<'_>, requested: &str) -> TargetChoice {
    let status = input.status;
    let Some(vm) = status.vms.iter().find(|v| same_name(&v.name, requested)) else {
        return TargetChoice {
            target: Some(requested.to_string()),
            blockers: vec![Blocker::TargetNotInRole {
                vm: requested.to_string(),
                role: input.spec.name.clone(),
            }],
        };
    };
    let blockers = if status
        .master
        .as_deref()
        .is_some_and(|m| same_name(m, &vm.name))
    {
        vec![Blocker::TargetIsMaster {
            vm: vm.name.clone(),
        }]
    } else {
        problems(vm)
            .into_iter()
            .map(|p| p.into_blocker(&vm.name))
            .collect()
    };
    TargetChoice {
        target: Some(vm.name.clone()),
        blockers,
    }
}

fn pick_standby(input: &PlanInput<'_>) -> TargetChoice {
    let status = input.status;
    let is_master = |v: &VmStatus| {
        status
            .master
            .as_deref()
            .is_some_and(|m| same_name(m, &v.name))
    };
    let standbys: Vec<&VmStatus> = status.vms.iter().filter(|v| !is_master(v)).collect();
    // A standby Azure would refuse the disks to is chosen only when no other is fit.
    let fit = |v: &&&VmStatus| problems(v).is_empty();
    let accepted = |v: &&&VmStatus| super::refusals::for_target(input, &v.name).is_empty();
    let best = standbys
        .iter()
        .find(|v| fit(v) && accepted(v))
        .or_else(|| standbys.iter().find(fit));
    if let Some(best) = best {
        return TargetChoice {
            target: Some(best.name.clone()),
            blockers: Vec::new(),
        };
    }
    let listed = standbys
        .iter()
        .flat_map(|v| {
            problems(v).into_iter().map(|p| StandbyProblem {
                vm: v.name.clone(),
                problem: p.describe(),
            })
        })
        .collect();
    TargetChoice {
        target: None,
        blockers: vec![Blocker::NoStandby { standbys: listed }],
    }
}

/// Why a VM cannot receive the role right now.
enum Problem {
    NotRunning(PowerState),
    ProbeDown(String),
}

impl Problem {
    fn into_blocker(self, vm: &str) -> Blocker {
        match self {
            Problem::NotRunning(power) => Blocker::TargetNotRunning {
                vm: vm.to_string(),
                power,
            },
            Problem::ProbeDown(reason) => Blocker::TargetVmProbeDown {
                vm: vm.to_string(),
                reason,
            },
        }
    }

    fn describe(&self) -> String {
        match self {
            Problem::NotRunning(power) => format!("is {}", power.as_str()),
            Problem::ProbeDown(reason) => format!("vm probe down ({reason})"),
        }
    }
}

/// Every problem of one candidate: it must be running and answer its vm probe.
fn problems(vm: &VmStatus) -> Vec<Problem> {
    let mut out = Vec::new();
    if vm.power != PowerState::Running {
        out.push(Problem::NotRunning(vm.power));
    }
    match &vm.probes.vm {
        ProbeStatus::Up { .. } => {}
        ProbeStatus::Down { reason } => out.push(Problem::ProbeDown(reason.clone())),
        ProbeStatus::Unknown => out.push(Problem::ProbeDown("no heartbeat yet".to_string())),
    }
    out
}
