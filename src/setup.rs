//! Turning a validated [`Config`] into the pieces the commands need: ARM clients, probe specs,
//! probe schedule. No policy lives here, only translation between module vocabularies.

use crate::azure::{
    create_credential, ArmClient, ArmError, ArmTarget, CredentialChoice, ReadClient,
};
use crate::config::{Config, CredentialKind};
use crate::core::health::HealthParams;
use crate::probe::{ProbeKind, ProbeSpec, ScheduleParams};

/// The credential the config asks for (the static token is moved, never printed).
pub fn credential_choice(config: &Config) -> CredentialChoice {
    match config.azure.credential {
        CredentialKind::Default => CredentialChoice::Default,
        CredentialKind::Cli => CredentialChoice::Cli,
        CredentialKind::ManagedIdentity => CredentialChoice::ManagedIdentity,
        CredentialKind::Environment => CredentialChoice::Environment,
        CredentialKind::StaticToken => {
            CredentialChoice::StaticToken(config.azure.static_token.clone().unwrap_or_default())
        }
    }
}

fn target(config: &Config) -> ArmTarget {
    ArmTarget::new(
        config.azure.endpoint.clone(),
        config.azure.subscription_id.clone(),
    )
}

/// A read-only ARM client for the configured subscription.
pub fn read_client(config: &Config) -> Result<ReadClient, ArmError> {
    let credential = create_credential(&credential_choice(config))?;
    ReadClient::new(target(config), credential)
}

/// A read-write ARM client for the configured subscription.
pub fn arm_client(config: &Config) -> Result<ArmClient, ArmError> {
    let credential = create_credential(&credential_choice(config))?;
    ArmClient::new(target(config), credential)
}

/// Every probe of every role: a vm probe and a service probe per VM.
pub fn probe_specs(config: &Config) -> Vec<ProbeSpec> {
    let mut specs = Vec::new();
    for role in &config.roles {
        for vm in &role.spec.vms {
            specs.push(ProbeSpec {
                vm: vm.clone(),
                kind: ProbeKind::Vm,
                target: role.probes.vm.render(vm, &role.spec.name),
            });
            specs.push(ProbeSpec {
                vm: vm.clone(),
                kind: ProbeKind::Service,
                target: role.probes.service.render(vm, &role.spec.name),
            });
        }
    }
    specs
}

/// The probe schedule from `[heartbeat]`.
pub fn schedule(config: &Config) -> ScheduleParams {
    let hb = &config.heartbeat;
    ScheduleParams {
        interval: hb.interval,
        timeout: hb.timeout,
        health: HealthParams {
            fail_after: hb.fail_after,
            recover_after: hb.recover_after,
            ..HealthParams::default()
        },
        ..ScheduleParams::default()
    }
}
