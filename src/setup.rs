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

/// The store the commands use: the state directory (`local`, the default) or the shared
/// storage account of `[coordination]` (`azure-blob`), reached before anything else so an
/// unreachable account or a refused credential stops the command (fail closed). The host id
/// is `host_id` (`--host-id` / `BATON_HOST_ID`), else the config's, else the host name.
pub async fn store(
    config: &Config,
    dir: crate::store::state_dir::StateDir,
    host_id: Option<&str>,
) -> Result<crate::store::SharedStore, crate::store::StoreError> {
    match blob_settings(config, host_id)? {
        None => Ok(dir.into()),
        Some(settings) => Ok(std::sync::Arc::new(
            crate::store::BlobStore::connect(settings).await?,
        )),
    }
}

/// The `[coordination]` Blob Storage settings (`None` for the local backend), without calling
/// the service: a missing key variable or a bad host id is an error here.
pub fn blob_settings(
    config: &Config,
    host_id: Option<&str>,
) -> Result<Option<crate::store::BlobSettings>, crate::store::StoreError> {
    use crate::config::{Coordination, StorageCredential};
    use crate::store::{BlobCredential, BlobSettings, LeaseTiming, StoreError};
    let blob = match &config.coordination {
        Coordination::Local => return Ok(None),
        Coordination::AzureBlob(blob) => blob,
    };
    let unavailable = |reason: String| StoreError::Unavailable {
        what: format!("coordination storage {}", blob.account_url),
        reason,
    };
    let credential = match &blob.credential {
        StorageCredential::SharedKey { key_env } => match std::env::var(key_env) {
            Ok(key) if !key.trim().is_empty() => BlobCredential::SharedKey { key },
            _ => {
                return Err(unavailable(format!(
                    "the account key variable {key_env} is not set"
                )))
            }
        },
        StorageCredential::Azure(CredentialKind::StaticToken, token) => {
            BlobCredential::Bearer(token.clone().unwrap_or_default())
        }
        StorageCredential::Azure(kind, _) => {
            let choice = match kind {
                CredentialKind::Cli => CredentialChoice::Cli,
                CredentialKind::ManagedIdentity => CredentialChoice::ManagedIdentity,
                CredentialKind::Environment => CredentialChoice::Environment,
                CredentialKind::Default | CredentialKind::StaticToken => CredentialChoice::Default,
            };
            BlobCredential::Token(
                create_credential(&choice).map_err(|e| unavailable(e.to_string()))?,
            )
        }
    };
    let host_id = host_id
        .map(str::to_string)
        .or_else(|| blob.host_id.clone())
        .unwrap_or_else(|| crate::store::operator::Operator::from_env().host);
    if let Some(problem) = crate::config::host_id_problem(&host_id) {
        return Err(unavailable(format!("host id `{host_id}` {problem}")));
    }
    let settings = BlobSettings {
        account_url: blob.account_url.clone(),
        container: blob.container.clone(),
        credential,
        timing: LeaseTiming::for_duration(blob.lease_duration),
        host_id,
    };
    Ok(Some(settings))
}
