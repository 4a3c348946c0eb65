//! The typed, validated configuration and its defaults. A value of these types has passed every
//! check in the loader; nothing here parses or validates.

use super::duration::format_duration;
use super::template::ProbeTemplate;
use crate::core::model::{same_name, RoleSpec};
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;
use url::Url;

/// The default Azure Resource Manager endpoint.
pub const DEFAULT_ARM_ENDPOINT: &str = "https://management.azure.com";

/// A loaded and validated baton configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The file it was read from.
    pub source: PathBuf,
    /// `[azure]`: subscription, endpoint, credential.
    pub azure: AzureConfig,
    /// `[heartbeat]`: probe cadence and thresholds.
    pub heartbeat: HeartbeatConfig,
    /// `[failover]`: RTO target and per-step timeouts.
    pub failover: FailoverConfig,
    /// `[[roles]]`, in file order.
    pub roles: Vec<RoleConfig>,
    /// `[ui]`: how the cockpit starts and looks.
    pub ui: UiConfig,
    /// `[keys]`: action name → key specs as written (`"j, down"`), for
    /// [`Keymap::from_overrides`](crate::ui::Keymap::from_overrides). Already validated
    /// against every cockpit mode; empty when the table is absent (the default bindings).
    pub keys: BTreeMap<String, String>,
    /// `[coordination]`: local state directory (default) or a shared storage account.
    pub coordination: super::coordination::Coordination,
}

impl Config {
    /// The role with this name (case-insensitive).
    pub fn role(&self, name: &str) -> Option<&RoleConfig> {
        self.roles.iter().find(|r| same_name(&r.spec.name, name))
    }

    /// Every role's core spec, in file order.
    pub fn role_specs(&self) -> Vec<RoleSpec> {
        self.roles.iter().map(|r| r.spec.clone()).collect()
    }

    /// Distinct resource groups of the roles' VMs and endpoints (case-insensitive, first
    /// spelling kept), which is what an inventory refresh must list.
    pub fn resource_groups(&self) -> Vec<String> {
        let mut groups: Vec<String> = Vec::new();
        let all = self.roles.iter().flat_map(|r| {
            [
                r.spec.resource_group.as_str(),
                r.spec.endpoint.resource_group.as_str(),
            ]
        });
        for group in all {
            if !groups.iter().any(|g| same_name(g, group)) {
                groups.push(group.to_string());
            }
        }
        groups
    }
}

/// `[azure]`.
#[derive(Clone, PartialEq, Eq)]
pub struct AzureConfig {
    /// Subscription GUID holding every role's resources.
    pub subscription_id: String,
    /// ARM endpoint (default [`DEFAULT_ARM_ENDPOINT`]).
    pub endpoint: Url,
    /// How baton gets a token.
    pub credential: CredentialKind,
    /// The fixed token; set exactly when `credential` is [`CredentialKind::StaticToken`].
    /// Never printed: `Debug` redacts it.
    pub static_token: Option<String>,
    /// Default resource group for roles that name none.
    pub resource_group: Option<String>,
    /// How often the cockpit re-reads the inventory (default 15s); the shortest interval, the
    /// read budgets may stretch it.
    pub refresh_interval: Duration,
    /// Share of each Azure read budget the periodic inventory may use in steady state, in
    /// percent (default 50, 5 to 90).
    pub budget_share_percent: u8,
}

impl fmt::Debug for AzureConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AzureConfig")
            .field("subscription_id", &self.subscription_id)
            .field("endpoint", &self.endpoint.as_str())
            .field("credential", &self.credential)
            .field(
                "static_token",
                &self.static_token.as_ref().map(|_| "<redacted>"),
            )
            .field("resource_group", &self.resource_group)
            .field("refresh_interval", &format_duration(self.refresh_interval))
            .field("budget_share_percent", &self.budget_share_percent)
            .finish()
    }
}

/// `[ui]`: cockpit settings; every key has a default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UiConfig {
    /// Start read-only, as `--read-only` does: no mutating action exists (default false).
    pub read_only: bool,
    /// Theme name (default `default`): a built-in (`default`, `light`, `high-contrast`,
    /// `mono`) or `NAME` of `$XDG_CONFIG_HOME/baton/themes/NAME.toml`. Only its shape is
    /// checked here; [`Theme::load`](crate::ui::Theme::load) resolves it at startup.
    pub theme: String,
    /// Label shown in the cockpit header, e.g. `prod-westeurope` (default empty: none).
    pub environment: String,
}

impl Default for UiConfig {
    fn default() -> Self {
        UiConfig {
            read_only: false,
            theme: "default".to_string(),
            environment: String::new(),
        }
    }
}

/// `azure.credential`: where the ARM token comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CredentialKind {
    /// `default`: azure_identity's chain (environment, managed identity, Azure CLI).
    Default,
    /// `cli`: the Azure CLI's logged-in account.
    Cli,
    /// `managed-identity`: the host's managed identity.
    ManagedIdentity,
    /// `environment`: `AZURE_TENANT_ID` / `AZURE_CLIENT_ID` / `AZURE_CLIENT_SECRET`.
    Environment,
    /// `static-token`: `azure.static_token`, for the emulator only.
    StaticToken,
}

impl CredentialKind {
    /// Every kind, in documentation order.
    pub const ALL: [CredentialKind; 5] = [
        CredentialKind::Default,
        CredentialKind::Cli,
        CredentialKind::ManagedIdentity,
        CredentialKind::Environment,
        CredentialKind::StaticToken,
    ];

    /// The spelling used in the config file.
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialKind::Default => "default",
            CredentialKind::Cli => "cli",
            CredentialKind::ManagedIdentity => "managed-identity",
            CredentialKind::Environment => "environment",
            CredentialKind::StaticToken => "static-token",
        }
    }

    /// Parses the config spelling (exact, lower-case).
    pub fn from_config(text: &str) -> Option<CredentialKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

impl fmt::Display for CredentialKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `[heartbeat]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeartbeatConfig {
    /// Time between two probes of one VM (default 1s).
    pub interval: Duration,
    /// A probe unanswered after this long failed (default 800ms; always < `interval`).
    pub timeout: Duration,
    /// Consecutive failures before a heartbeat is down (default 3, ≥ 1).
    pub fail_after: u32,
    /// Consecutive successes before a down heartbeat is up again (default 2, ≥ 1).
    pub recover_after: u32,
}

impl Default for HeartbeatConfig {
    fn default() -> Self {
        HeartbeatConfig {
            interval: Duration::from_secs(1),
            timeout: Duration::from_millis(800),
            fail_after: 3,
            recover_after: 2,
        }
    }
}

/// `[failover]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailoverConfig {
    /// A failover or switchover slower than this missed its RTO (default 5m).
    pub rto_target: Duration,
    /// How long a drill holds the role on the standby (default 30s; `baton drill --hold`).
    pub drill_hold: Duration,
    /// `[failover.timeouts]`.
    pub timeouts: StepTimeouts,
}

impl Default for FailoverConfig {
    fn default() -> Self {
        FailoverConfig {
            rto_target: Duration::from_secs(5 * 60),
            drill_hold: Duration::from_secs(30),
            timeouts: StepTimeouts::default(),
        }
    }
}

/// `[failover.timeouts]`: upper bound of each failover step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepTimeouts {
    /// Remove the endpoint reference from the old master's NIC (default 2m).
    pub isolate: Duration,
    /// Stop command (switchover) or power-off (failover) on the old master (default 5m).
    pub fence: Duration,
    /// Detach the disks from the old master (default 5m).
    pub detach: Duration,
    /// Wait until every disk is unattached (`managedBy` empty) (default 10m).
    pub release: Duration,
    /// Attach the disks to the new master at their LUNs (default 5m).
    pub attach: Duration,
    /// Run the start command on the new master (default 10m).
    pub start: Duration,
    /// Service probe healthy on the new master N times in a row (default 5m).
    pub verify: Duration,
    /// Add the endpoint reference to the new master's NIC (default 2m).
    pub expose: Duration,
}

impl Default for StepTimeouts {
    fn default() -> Self {
        let minutes = |m: u64| Duration::from_secs(m * 60);
        StepTimeouts {
            isolate: minutes(2),
            fence: minutes(5),
            detach: minutes(5),
            release: minutes(10),
            attach: minutes(5),
            start: minutes(10),
            verify: minutes(5),
            expose: minutes(2),
        }
    }
}

/// One `[[roles]]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleConfig {
    /// What the core needs: name, resource group, VMs, disks, endpoint.
    pub spec: RoleSpec,
    /// `[roles.probes]`.
    pub probes: ProbeTemplates,
    /// Run Command script that starts the service on a new master.
    pub start_command: String,
    /// Run Command script that stops the service on the old master in a switchover.
    pub stop_command: String,
}

impl RoleConfig {
    /// The role's name.
    pub fn name(&self) -> &str {
        &self.spec.name
    }
}

/// `[roles.probes]`: both heartbeat templates of a role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeTemplates {
    /// Host heartbeat, probed on every VM.
    pub vm: ProbeTemplate,
    /// Application heartbeat, meaningful on the master only.
    pub service: ProbeTemplate,
}
