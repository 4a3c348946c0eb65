//! One fresh read of the whole fleet: one inventory refresh and one round of single-shot
//! probes, every role derived. `baton status` prints it; the drill's incident check (a drill
//! refuses to start while another role is MASTER DOWN or SPLIT) reads it too, so neither
//! depends on the other.

use crate::azure::{refresh, ArmError, InventoryScope, ReadClient};
use crate::config::Config;
use crate::core::leader::derive_all;
use crate::core::leader::RoleStatus;
use crate::core::model::ProbeFacts;
use crate::probe::{check, http_client, ProbeKind};
use crate::setup::probe_specs;
use futures::future::join_all;

/// Every role as one fresh read saw it.
#[derive(Debug, Clone)]
pub struct FleetReading {
    /// Every configured role, in config order.
    pub roles: Vec<RoleStatus>,
    /// ARM requests the inventory refresh cost.
    pub arm_requests: usize,
}

/// Why the fleet could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FleetReadError {
    /// Azure refused us or could not be read.
    #[error("{0}")]
    Arm(#[from] ArmError),
}

impl FleetReadError {
    /// True for credential and authorization failures (the CLI exits 2 for them).
    pub fn is_auth(&self) -> bool {
        match self {
            FleetReadError::Arm(ArmError::Credential { .. }) => true,
            FleetReadError::Arm(e) => matches!(e.status(), Some(401 | 403)),
        }
    }
}

/// Refreshes the inventory once, probes every VM once, derives every role.
pub async fn read(config: &Config, reader: &ReadClient) -> Result<FleetReading, FleetReadError> {
    let specs = config.role_specs();
    let scope = InventoryScope::for_roles(&specs);
    let (inventory, probes) = tokio::join!(refresh(reader, &scope), probe_round(config));
    let inventory = inventory?;
    let roles = derive_all(&specs, Some(&inventory.facts), &probes, |_| false);
    Ok(FleetReading {
        roles,
        arm_requests: inventory.requests,
    })
}

/// One check of every probe, all at once; a single failure counts as down (no classifier:
/// a reading is a snapshot, the cockpit applies fail_after/recover_after).
async fn probe_round(config: &Config) -> ProbeFacts {
    let client = http_client();
    let timeout = config.heartbeat.timeout;
    let specs = probe_specs(config);
    let results = join_all(specs.iter().map(|s| check(&client, &s.target, timeout))).await;
    let mut facts = ProbeFacts::default();
    for (spec, result) in specs.iter().zip(results) {
        let mut probes = facts.get(&spec.vm);
        match spec.kind {
            ProbeKind::Vm => probes.vm = result,
            ProbeKind::Service => probes.service = result,
        }
        facts.set(&spec.vm, probes);
    }
    facts
}
