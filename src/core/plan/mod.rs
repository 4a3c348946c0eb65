//! Builds the plan of one failover, switchover or drill leg, and explains every reason it cannot
//! run now. Pure: the caller passes the role's spec and derived status, the lock, the cooldown and
//! the time; nothing here reads a clock, calls Azure or takes the lock.
//!
//! # Plan semantics
//!
//! A plan moves a role's endpoint and data disks to one *target* VM. The target is the operator's
//! `requested_target`, else the first standby (config order) that is running and answers its
//! vm probe. With no master (an interrupted move) every VM of the role is a candidate: to finish
//! an interrupted operation, pass the journal's target as `requested_target`.
//!
//! Steps are generic over *who holds what*, never over "the old master", so a plan built from any
//! interrupted state finishes the job:
//! - isolate removes the endpoint from every holder except the target;
//! - fence makes every non-target holder harmless (see the order below);
//! - detach detaches each disk from its owner when that owner is not the target;
//! - release waits until each such disk (and any disk Azure still reports as not Unattached) is free;
//! - attach puts every disk not yet on the target on it, at its configured LUN;
//! - start runs the start command on the target; verify wants N healthy service probes in a row;
//! - expose adds the endpoint to the target's NIC; commit closes the journal and the lock.
//!
//! Every step is always listed; a step the facts show has nothing to do is marked `already_done`
//! (estimate zero) so the preview says so, and the executor re-observes it before skipping it.
//!
//! # Step order
//!
//! - **Switchover / drill leg**: preflight, isolate, fence (graceful stop), detach, release,
//!   attach, start, verify, expose, commit. The endpoint goes first so no new client request
//!   reaches the app while it drains and stops; an app that refuses to stop still holds its
//!   disks, so restoring the endpoint is a complete rollback.
//! - **Failover**: preflight, isolate, detach (∥ isolate), fence (power-off, only when the old
//!   master is unreachable), release, attach, start, verify, expose, commit. Isolate and detach
//!   fence the old master through the control plane (endpoint and disks taken away whatever
//!   its guest does); they touch different resources and only take things away, so they run
//!   together. The power-off, the extra guarantee, starts after the detach ended (never both
//!   on one VM at once) and runs beside release … expose (each declared ∥ fence), which act on
//!   the target: nothing in ARM orders them. Commit waits for it, so done means off.
//! - **Backend pool behind a probed LB rule** (any kind): expose comes right after attach and
//!   start and verify run beside it (∥ expose): the LB's health probe holds traffic back until
//!   the app answers. A NAT rule, or a pool no probed rule feeds, keeps expose after verify.
//!
//! A step's partner need only have started, and so need the partner's own partner (read
//! transitively: start ∥ expose ∥ fence); every other earlier step must have ended. The
//! estimate is the critical path through these overlaps.
//!
mod beside;
mod blockers;
mod holders;
mod legacy;
pub mod refusals;
mod steps;
mod target;
mod timings;

pub use beside::beside_line;
pub use blockers::{Blocker, IncidentRole};
#[doc(hidden)]
pub use legacy::power_off_first_order;
pub use timings::{StepTiming, StepTimings};

use super::leader::RoleStatus;
use super::model::RoleSpec;
use serde::{Deserialize, Serialize, Serializer};
use std::time::Duration;
use time::OffsetDateTime;

/// What the operator asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OperationKind {
    /// Unplanned: the master is down; fence it and move everything to a standby.
    Failover,
    /// Planned: stop the app on the master gracefully, then move.
    Switchover,
    /// A switchover and back; each leg is planned as a switchover.
    Drill,
}

impl OperationKind {
    /// Lower-case word for JSON, logs and screens.
    pub fn as_str(self) -> &'static str {
        match self {
            OperationKind::Failover => "failover",
            OperationKind::Switchover => "switchover",
            OperationKind::Drill => "drill",
        }
    }

    /// True for the planned kinds (switchover, drill): the master is stopped gracefully.
    pub fn is_planned(self) -> bool {
        !matches!(self, OperationKind::Failover)
    }
}

/// One step of a plan; the variants are in execution order, which is the numbering shown to
/// operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    /// Take the role lock, re-check the target, show every blocker.
    Preflight,
    /// Remove the endpoint reference from every non-target NIC.
    Isolate,
    /// Make the old master harmless: stop command (planned) or power-off (unreachable master).
    Fence,
    /// Detach the data disks from their non-target owners.
    Detach,
    /// Wait until each detached disk is free (`managedBy` empty, Unattached).
    Release,
    /// Attach every disk to the target at its configured LUN.
    Attach,
    /// Run the start command on the target.
    Start,
    /// Wait for N healthy service probes in a row on the target.
    Verify,
    /// Add the endpoint reference to the target's NIC.
    Expose,
    /// Close the journal, release the lock, write the audit record.
    Commit,
}

impl StepKind {
    /// Every step, in canonical order.
    pub const ALL: [StepKind; 10] = [
        StepKind::Preflight,
        StepKind::Isolate,
        StepKind::Fence,
        StepKind::Detach,
        StepKind::Release,
        StepKind::Attach,
        StepKind::Start,
        StepKind::Verify,
        StepKind::Expose,
        StepKind::Commit,
    ];

    /// Lower-case word for screens, JSON and logs (`detach`).
    pub fn label(self) -> &'static str {
        match self {
            StepKind::Preflight => "preflight",
            StepKind::Isolate => "isolate",
            StepKind::Fence => "fence",
            StepKind::Detach => "detach",
            StepKind::Release => "release",
            StepKind::Attach => "attach",
            StepKind::Start => "start",
            StepKind::Verify => "verify",
            StepKind::Expose => "expose",
            StepKind::Commit => "commit",
        }
    }
}

/// Who holds the role lock (a blob lease), when someone else does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockHolder {
    /// Operator name.
    pub who: String,
    /// Host the holding baton runs on.
    pub host: String,
    /// When the lock was taken.
    #[serde(with = "time::serde::rfc3339")]
    pub since: OffsetDateTime,
}

/// Everything `build` needs; all facts, no handles.
#[derive(Debug, Clone)]
pub struct PlanInput<'a> {
    /// What the operator asked for.
    pub kind: OperationKind,
    /// The role as configured.
    pub spec: &'a RoleSpec,
    /// The role as derived by `core::leader`. Derive it with `operation_running = false` when
    /// planning the resume of the operation that is running.
    pub status: &'a RoleStatus,
    /// Optional Azure facts: they name NICs in the preview (`web-a-nic`; without them the plan
    /// says "web-a's NIC") and tell whether a health probe gates the endpoint's backend pool
    /// (without them it is assumed not to: expose stays after verify).
    pub facts: Option<&'a super::model::AzureFacts>,
    /// The target the operator chose, if any.
    pub requested_target: Option<&'a str>,
    /// The role lock as held by SOMEONE ELSE; `None` when free or held by this baton.
    pub lock: Option<LockHolder>,
    /// The role may not be moved again before this time.
    pub cooldown_until: Option<OffsetDateTime>,
    /// The time the plan is built at.
    pub now: OffsetDateTime,
    /// True when baton runs `--read-only` (or `--wall`).
    pub read_only: bool,
    /// Per-step estimates and timeouts.
    pub timings: &'a StepTimings,
    /// Healthy service probes in a row that verify wants.
    pub verify_successes: u32,
}

/// The ordered steps of one operation and every reason it cannot start now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plan {
    /// Role name.
    pub role: String,
    /// What was asked for.
    pub kind: OperationKind,
    /// The old master, else the non-target VMs holding a part of the role (`web-a, web-c`).
    pub from: Option<String>,
    /// The target VM; `None` when no standby could be chosen.
    pub to: Option<String>,
    /// The steps in execution order; empty when there is no target.
    pub steps: Vec<PlanStep>,
    /// Every reason the plan cannot be confirmed now (all of them, not the first).
    pub blockers: Vec<Blocker>,
    /// Length of the critical path through the steps still to do (concurrent steps overlap).
    #[serde(serialize_with = "ser_millis")]
    pub estimated_total: Duration,
}

impl Plan {
    /// True when nothing blocks the plan and it has a target.
    pub fn can_confirm(&self) -> bool {
        self.blockers.is_empty() && self.to.is_some() && !self.steps.is_empty()
    }

    /// The step of this kind, if the plan has it.
    pub fn step(&self, kind: StepKind) -> Option<&PlanStep> {
        self.steps.iter().find(|s| s.kind == kind)
    }
}

/// One step as the preview shows it and the journal records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanStep {
    /// Which step.
    pub kind: StepKind,
    /// Plain words: `remove NAT rule lb-contoso/web-app from web-a-nic`.
    pub what: String,
    /// The ARM requests that change or prove the step's state (`PUT Microsoft.Network/
    /// networkInterfaces/web-a-nic`); the GET before each write and LRO polls are implied.
    pub azure_calls: Vec<String>,
    /// Expected duration (zero when already done).
    #[serde(serialize_with = "ser_millis")]
    pub estimate: Duration,
    /// Upper bound before the step fails.
    #[serde(serialize_with = "ser_millis")]
    pub timeout: Duration,
    /// The earlier step this one may run alongside: it needs that partner (and the partner's
    /// own partner, and so on) started, not ended (detach ∥ isolate in a failover).
    pub concurrent_with: Option<StepKind>,
    /// The facts show nothing to do; the executor re-observes and skips it.
    pub already_done: bool,
}

impl PlanStep {
    /// The ∥ line of a step that runs beside an earlier one; none for a step with nothing to
    /// do, whose overlap would explain nothing.
    pub fn beside(&self) -> Option<String> {
        self.concurrent_with
            .filter(|_| !self.already_done)
            .map(beside_line)
    }
}

/// Builds the plan: target, steps, blockers, estimate. Never fails: what is wrong is a blocker.
pub fn build(input: PlanInput<'_>) -> Plan {
    let choice = target::choose(&input);
    let to = choice.target.clone();
    let mut blockers = blockers::collect(&input);
    blockers.extend(choice.blockers);
    blockers.extend(refusals::blockers(&input, to.as_deref()));
    let steps = match to.as_deref() {
        Some(t) => steps::build(&input, t),
        None => Vec::new(),
    };
    let estimated_total = total_estimate(&steps);
    Plan {
        role: input.spec.name.clone(),
        kind: input.kind,
        from: holders::from_label(input.status, to.as_deref()),
        to,
        steps,
        blockers,
        estimated_total,
    }
}

/// The length of the critical path: each step starts when every earlier step it waits for has
/// ended, or (for its partner, and its partner's partner…) has started.
fn total_estimate(steps: &[PlanStep]) -> Duration {
    let mut spans: Vec<(Duration, Duration)> = Vec::with_capacity(steps.len());
    for (i, step) in steps.iter().enumerate() {
        let partners = partner_chain(steps, step.concurrent_with);
        let start = steps[..i]
            .iter()
            .zip(&spans)
            .map(|(earlier, (s, e))| {
                if partners.contains(&earlier.kind) {
                    *s
                } else {
                    *e
                }
            })
            .max()
            .unwrap_or(Duration::ZERO);
        spans.push((start, start + step.estimate));
    }
    spans
        .iter()
        .map(|(_, e)| *e)
        .max()
        .unwrap_or(Duration::ZERO)
}

/// `first` and, through each one's own partner, every step it runs alongside.
fn partner_chain(steps: &[PlanStep], first: Option<StepKind>) -> Vec<StepKind> {
    chain_of_partners(first, |kind| {
        steps
            .iter()
            .find(|s| s.kind == kind)
            .and_then(|s| s.concurrent_with)
    })
}

/// `first` and every step reached by following `partner_of` from it, each once: the one rule
/// for "runs alongside" shared by the plan's estimate and the operation's fold.
pub(crate) fn chain_of_partners(
    first: Option<StepKind>,
    partner_of: impl Fn(StepKind) -> Option<StepKind>,
) -> Vec<StepKind> {
    let mut chain = Vec::new();
    let mut next = first;
    while let Some(kind) = next.filter(|k| !chain.contains(k)) {
        chain.push(kind);
        next = partner_of(kind);
    }
    chain
}

/// Serializes a duration as whole milliseconds, which every JSON reader understands.
pub(crate) fn ser_millis<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// A short human duration: `45s`, `4m30s`, `1h02m`.
pub fn human_duration(d: Duration) -> String {
    let secs = d.as_secs();
    match secs {
        0..=59 => format!("{secs}s"),
        60..=3599 if secs % 60 == 0 => format!("{}m", secs / 60),
        60..=3599 => format!("{}m{:02}s", secs / 60, secs % 60),
        _ => format!("{}h{:02}m", secs / 3600, (secs % 3600) / 60),
    }
}

#[cfg(test)]
pub(crate) mod fixture;
#[cfg(test)]
pub(crate) mod shared_fixture;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_shared;
#[cfg(test)]
mod tests_steps;
