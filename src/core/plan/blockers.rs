//! Every reason a plan cannot be confirmed now, each stated in plain words with its facts.
//!
//! `collect` looks at the role, the lock, the cooldown and the mode; the target's own problems
//! come from `target`. Nothing is resolved here: a blocker only explains.

use super::{human_duration, OperationKind, PlanInput};
use crate::core::leader::{LeaderState, Violation};
use crate::core::model::{same_name, PowerState};
use serde::{Serialize, Serializer};
use std::fmt;
use std::time::Duration;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// One reason the plan cannot run now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Blocker {
    /// The requested target is not a VM of the role.
    TargetNotInRole {
        /// The requested VM.
        vm: String,
        /// The role.
        role: String,
    },
    /// The requested target already is the master.
    TargetIsMaster {
        /// The master.
        vm: String,
    },
    /// The target VM is not running.
    TargetNotRunning {
        /// The target.
        vm: String,
        /// Its power state.
        power: PowerState,
    },
    /// The target does not answer its host heartbeat (or has not yet).
    TargetVmProbeDown {
        /// The target.
        vm: String,
        /// Why.
        reason: String,
    },
    /// No standby is running with its vm probe up.
    NoStandby {
        /// Each standby and what is wrong with it.
        standbys: Vec<StandbyProblem>,
    },
    /// A role disk is attached to a VM outside the role.
    DiskOutsideRole {
        /// The disk.
        disk: String,
        /// The foreign VM.
        vm: String,
    },
    /// Someone else holds the role lock.
    Locked {
        /// Operator.
        who: String,
        /// Their host.
        host: String,
        /// Since when.
        #[serde(serialize_with = "ser_time")]
        since: OffsetDateTime,
    },
    /// The role moved recently and may not move again yet.
    Cooldown {
        /// End of the cooldown.
        #[serde(serialize_with = "ser_time")]
        until: OffsetDateTime,
        /// Time left at planning time.
        #[serde(serialize_with = "super::ser_millis")]
        remaining: Duration,
    },
    /// baton runs read-only.
    ReadOnly,
    /// Ownership is contradictory; a human must decide what is true.
    Split {
        /// The facts that contradict (disks outside the role are their own blockers).
        violations: Vec<Violation>,
    },
    /// Not enough facts to plan (no inventory, a resource missing, no heartbeat from the master yet).
    FactsIncomplete {
        /// What is missing, when known.
        violations: Vec<Violation>,
    },
    /// Another failover or switchover of the role is running.
    OperationRunning,
    /// A failover was asked for while the master is healthy.
    MasterHealthy {
        /// The healthy master.
        master: String,
    },
    /// Azure would refuse to put the role's disks on the target (zone, availability set, size,
    /// LUN, region): the facts and the way out.
    AzureWouldRefuse(super::refusals::Refusal),
    /// A drill was asked for during an incident: some role is MASTER DOWN or SPLIT. Only a
    /// drill has this blocker; the operator may force it with a comment.
    Incident {
        /// Each role in trouble and its state.
        roles: Vec<IncidentRole>,
    },
}

/// One role in trouble during an incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IncidentRole {
    /// The role.
    pub role: String,
    /// Its derived state (MASTER DOWN or SPLIT).
    pub state: LeaderState,
}

/// One standby and why it cannot take the role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StandbyProblem {
    /// The standby.
    pub vm: String,
    /// What is wrong (`is deallocated`, `vm probe down (timeout)`).
    pub problem: String,
}

fn ser_time<S: Serializer>(t: &OffsetDateTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&rfc3339(*t))
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_else(|_| t.to_string())
}

fn joined<T: fmt::Display>(items: &[T], sep: &str) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(sep)
}

impl fmt::Display for Blocker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Blocker::TargetNotInRole { vm, role } => write!(f, "{vm} is not a VM of role {role}"),
            Blocker::TargetIsMaster { vm } => write!(f, "{vm} is already the master"),
            Blocker::TargetNotRunning { vm, power } => {
                write!(f, "target {vm} is {}, not running", power.as_str())
            }
            Blocker::TargetVmProbeDown { vm, reason } => {
                write!(f, "target {vm} fails its vm probe: {reason}")
            }
            Blocker::NoStandby { standbys } if standbys.is_empty() => {
                write!(
                    f,
                    "no standby available: the role has no VM besides the master"
                )
            }
            Blocker::NoStandby { standbys } => {
                let each: Vec<String> = standbys
                    .iter()
                    .map(|s| format!("{} {}", s.vm, s.problem))
                    .collect();
                write!(f, "no standby available: {}", each.join("; "))
            }
            Blocker::DiskOutsideRole { disk, vm } => {
                write!(f, "disk {disk} is attached to {vm}, outside the role")
            }
            Blocker::Locked { who, host, since } => {
                write!(
                    f,
                    "role locked by {who} on {host} since {}",
                    rfc3339(*since)
                )
            }
            Blocker::Cooldown { until, remaining } => write!(
                f,
                "role in cooldown until {} ({} left)",
                rfc3339(*until),
                human_duration(*remaining)
            ),
            Blocker::ReadOnly => write!(f, "baton is read-only: nothing can be moved"),
            Blocker::Split { violations } => write!(
                f,
                "split ownership, a human must decide: {}",
                joined(violations, "; ")
            ),
            Blocker::FactsIncomplete { violations } if violations.is_empty() => write!(
                f,
                "not enough facts to plan: no inventory or no heartbeat from the master yet"
            ),
            Blocker::FactsIncomplete { violations } => {
                write!(f, "not enough facts to plan: {}", joined(violations, "; "))
            }
            Blocker::OperationRunning => {
                write!(f, "another failover or switchover of this role is running")
            }
            Blocker::MasterHealthy { master } => write!(
                f,
                "master {master} is healthy: use a switchover, not a failover"
            ),
            Blocker::AzureWouldRefuse(refusal) => write!(f, "{refusal}"),
            Blocker::Incident { roles } => {
                let each: Vec<String> = roles
                    .iter()
                    .map(|r| format!("role {} is {}", r.role, r.state.label()))
                    .collect();
                write!(
                    f,
                    "not during an incident: {} (force with a comment)",
                    each.join("; ")
                )
            }
        }
    }
}

/// Blockers about the role, the lock, the cooldown and the mode (not about the target).
pub(super) fn collect(input: &PlanInput<'_>) -> Vec<Blocker> {
    let mut out = Vec::new();
    if input.read_only {
        out.push(Blocker::ReadOnly);
    }
    if let Some(lock) = &input.lock {
        out.push(Blocker::Locked {
            who: lock.who.clone(),
            host: lock.host.clone(),
            since: lock.since,
        });
    }
    if let Some(until) = input.cooldown_until.filter(|u| *u > input.now) {
        let remaining = Duration::try_from(until - input.now).unwrap_or(Duration::ZERO);
        out.push(Blocker::Cooldown { until, remaining });
    }
    state_blockers(input, &mut out);
    disks_outside_role(input, &mut out);
    out
}

fn state_blockers(input: &PlanInput<'_>, out: &mut Vec<Blocker>) {
    let status = input.status;
    match status.state {
        LeaderState::FailingOver => out.push(Blocker::OperationRunning),
        LeaderState::Split => {
            let violations: Vec<Violation> = status
                .violations
                .iter()
                .filter(|v| !matches!(v, Violation::DiskOutsideRole { .. }))
                .cloned()
                .collect();
            if !violations.is_empty() {
                out.push(Blocker::Split { violations });
            }
        }
        LeaderState::Unknown => out.push(Blocker::FactsIncomplete {
            violations: status.violations.clone(),
        }),
        LeaderState::Healthy | LeaderState::Degraded if input.kind == OperationKind::Failover => {
            out.push(Blocker::MasterHealthy {
                master: status.master.clone().unwrap_or_default(),
            })
        }
        _ => {}
    }
}

fn disks_outside_role(input: &PlanInput<'_>, out: &mut Vec<Blocker>) {
    let in_role = |vm: &str| input.spec.vms.iter().any(|v| same_name(v, vm));
    for disk in &input.status.disks {
        if let Some(vm) = disk.attached_to.as_deref().filter(|vm| !in_role(vm)) {
            out.push(Blocker::DiskOutsideRole {
                disk: disk.name.clone(),
                vm: vm.to_string(),
            });
        }
    }
}
