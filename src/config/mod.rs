//! baton's configuration: the TOML schema (`config.example.toml` documents every key), finding
//! the file, and validating it so that every problem names `file:line:column`, the key and the
//! value. Owns reading and checking the file only: it never contacts Azure, so names that are
//! well-formed but do not exist are found later, by the inventory.
//!
//! # Where the file is found
//!
//! [`discover`] takes the first of these that names a file:
//!
//! 1. `--config PATH`;
//! 2. `$BATON_CONFIG`;
//! 3. `$XDG_CONFIG_HOME/baton/config.toml`, or `~/.config/baton/config.toml` when
//!    `XDG_CONFIG_HOME` is unset (empty or relative counts as unset).
//!
//! A `--config` or `$BATON_CONFIG` naming a missing file is an error; baton does not fall back
//! to the default location, so it never acts on a config the operator did not mean. When
//! nothing is found, the error lists every place looked at and what was there.
//!
//! # Values and defaults
//!
//! Durations are strings: a whole number and a unit `ms`, `s`, `m` or `h` (`"500ms"`, `"5m"`),
//! or several run together (`"1m30s"`). Every duration and count has a range ([`bounds`],
//! listed in `docs/configuration.md`); a value outside it is a problem naming the range.
//! Optional keys and their defaults:
//!
//! | key | default |
//! |---|---|
//! | `azure.endpoint` | `https://management.azure.com` |
//! | `azure.credential` | `default` |
//! | `azure.refresh_interval` | `15s` |
//! | `azure.budget_share` | `50` (percent of each read budget, 5 to 90) |
//! | `azure.resource_group` | none; then every role must set `resource_group` |
//! | `heartbeat.interval` / `timeout` | `1s` / `800ms` |
//! | `heartbeat.fail_after` / `recover_after` | `3` / `2` |
//! | `failover.rto_target` | `5m` |
//! | `failover.drill_hold` | `30s` |
//! | `failover.timeouts.*` | isolate `2m`, fence `5m`, detach `5m`, release `10m`, attach `5m`, start `10m`, verify `5m`, expose `2m` |
//! | `roles[].resource_group` | `azure.resource_group` |
//! | `roles[].disks` | none (a role without data disks) |
//! | `roles[].endpoint.resource_group` | the role's resource group |
//! | `ui.read_only` | `false` (`true` starts the cockpit as `--read-only` does) |
//! | `ui.theme` | `default` (built-ins: `default`, `light`, `high-contrast`, `mono`) |
//! | `ui.environment` | empty: no label in the cockpit header |
//! | `keys.<action>` | the cockpit's default binding for that action |
//!
//! `[heartbeat]`, `[failover]`, `[ui]` and `[keys]` may be left out entirely. Everything else
//! is required: `azure.subscription_id` and, per role, `name`, `vms`, `start_command`,
//! `stop_command`, `[roles.endpoint]` (`load_balancer` and exactly one of `nat_rule` /
//! `backend_pool`) and `[roles.probes]` (`vm` and `service`). Tables may be written in any TOML
//! form (`[[roles.disks]]` as well as `disks = [{ … }]`).
//!
//! `[keys]` maps an action name (`up`, `down`, `first`, `last`, `next_pane`, `prev_pane`,
//! `refresh`, `help`, `close`, `quit`, `chaos_kill`, `chaos_hang`, `chaos_heal`, `failover`,
//! `switchover`, `abort`, `history`) to its keys,
//! several separated by commas or spaces (`down = "j, down"`); an entry replaces that action's
//! default keys. [`Config::keys`] keeps the entries as written for the cockpit's keymap.
//!
//! # Validation
//!
//! A file is checked completely before anything is reported, and every problem is listed, one
//! per line, ordered by position: `file:line:column: key = value: message`. The key is a dotted
//! path (`roles[1].vms[0]`, `heartbeat.interval`); the value is quoted as written (the
//! `static_token` never is: it shows as `"<redacted>"`). A missing key is located at the table
//! that should hold it. A TOML syntax error stops parsing, so it is reported alone. Checks:
//!
//! - unknown keys at every level, with the closest valid key suggested for likely typos;
//! - missing required keys and values of the wrong type;
//! - durations that do not parse or fall outside their [`bounds`]; `heartbeat.timeout` not
//!   shorter than `heartbeat.interval`; `fail_after` / `recover_after` outside 1–100;
//! - `azure.subscription_id` not a GUID (`8-4-4-4-12` hex digits); `azure.endpoint` not an
//!   `https://` URL (`http://` only to a loopback host), or with a user name, password, query
//!   or fragment (a password is quoted as `REDACTED`); an unknown `credential`;
//!   `credential = "static-token"` without a `static_token`, a `static_token` with another
//!   credential, or one with whitespace or control characters;
//! - role and VM names with anything but letters, digits, `-`, `_` and `.` (Azure's VM name
//!   characters) or longer than 64 characters; control characters in any other name;
//! - no role; a role without a resource group (neither its own nor `azure.resource_group`);
//!   fewer than two VMs; a VM listed twice in a role; a disk listed twice in a role; a LUN used
//!   twice in a role or outside 0–63; empty names, `start_command` or `stop_command`;
//! - an endpoint with both or neither of `nat_rule` / `backend_pool`;
//! - probe templates: scheme other than `http://` / `tcp://`, a placeholder other than `{vm}`
//!   / `{role}`, a `tcp://` without port or with a path, or a URL that does not parse once
//!   `{vm}` and `{role}` are replaced by each VM of the role and the role name;
//! - across roles: two roles with the same name, a VM, disk or endpoint (load balancer + NAT
//!   rule or pool) in two roles. The later use is reported, naming both roles;
//! - `[ui]`: `read_only` not a boolean; an empty `theme` or one that is not a plain name
//!   (letters, digits, `-`, `_`), though whether a theme file exists is left to the cockpit at
//!   startup; an `environment` with control characters (it is one line);
//! - `[keys]`, with the cockpit's own keymap validation, in every mode (operator, read-only,
//!   wall, demo): an unknown action (closest name suggested), a key spec that does not parse,
//!   `quit`, `help` or `close` left without a key, a key bound twice (blamed on the
//!   entry that took it; a clash with another action's default key says to rebind that one
//!   too), a mutating action on a navigation key, `ctrl-c` for anything but `quit`. Each is
//!   reported at the `keys.<action>` value, or at `[keys]` when no entry of the file is to
//!   blame. Clashes are checked once every entry is valid on its own, and all are listed,
//!   except that a clash blamed on `quit`, `help` or `close` ends the list (the check goes on
//!   by unbinding the blamed action, which those three cannot be).
//!
//! Names (roles, VMs, disks, endpoints) compare case-insensitively, as Azure does: `web-A` and
//! `web-a` are the same VM. VMs and disks are compared by name alone, across resource groups,
//! because the rest of baton identifies them by name.

pub mod bounds;
mod build;
mod cockpit;
mod coordination;
mod discover;
mod duration;
mod error;
mod keys;
mod reader;
mod roles;
mod template;
mod types;

pub use coordination::{host_id_problem, BlobCoordination, Coordination, StorageCredential};
pub use discover::{discover, discover_with};
pub use duration::{format_duration, parse_duration};
pub use error::{ConfigError, ConfigErrors, ConfigProblem, Looked};
pub use template::{ProbeTarget, ProbeTemplate, TemplateError};
pub use types::{
    AzureConfig, Config, CredentialKind, FailoverConfig, HeartbeatConfig, ProbeTemplates,
    RoleConfig, StepTimeouts, UiConfig, DEFAULT_ARM_ENDPOINT,
};

use reader::{line_column, Ctx, Section};
use roles::GroupDefault;
use std::fmt;
use std::path::{Path, PathBuf};

/// Reads and validates the config file at `path`.
pub fn load(path: &Path) -> Result<Config, ConfigErrors> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse_str(&text, path)
}

/// [`discover`]s the file (from `--config`'s value, if any) and [`load`]s it.
pub fn load_discovered(explicit: Option<&Path>) -> Result<Config, ConfigErrors> {
    load(&discover(explicit)?)
}

/// Parses and validates config text; `source` is the file name used in problems and kept in
/// [`Config::source`].
pub fn parse_str(text: &str, source: &Path) -> Result<Config, ConfigErrors> {
    let doc = toml_edit::ImDocument::parse(text)
        .map_err(|e| ConfigErrors::Invalid(vec![syntax_problem(text, source, &e)]))?;
    let mut ctx = Ctx::new(text, source);
    let root = Section::root(doc.as_table());
    root.deny_unknown(&mut ctx, &build::TOP_KEYS);
    let azure = build::azure(&mut ctx, &root);
    let heartbeat = build::heartbeat(&mut ctx, &root);
    let failover = build::failover(&mut ctx, &root);
    let groups = group_default(&ctx, &root);
    let roles = roles::roles(&mut ctx, &root, &groups);
    let ui = cockpit::ui(&mut ctx, &root);
    let keys = keys::keys(&mut ctx, &root);
    let coordination = coordination::coordination(&mut ctx, &root);
    if let (
        Some(azure),
        Some(heartbeat),
        Some(failover),
        Some(roles),
        Some(ui),
        Some(keys),
        Some(coordination),
    ) = (azure, heartbeat, failover, roles, ui, keys, coordination)
    {
        if !ctx.has_problems() {
            return Ok(Config {
                source: source.to_path_buf(),
                azure,
                heartbeat,
                failover,
                roles,
                ui,
                keys,
                coordination,
            });
        }
    }
    if !ctx.has_problems() {
        // Every builder reports before giving up; this only guards against a missed report.
        ctx.report(0, "", None, "invalid config (no specific problem found)");
    }
    Err(ConfigErrors::Invalid(ctx.finish()))
}

fn syntax_problem(text: &str, source: &Path, error: &toml_edit::TomlError) -> ConfigProblem {
    let at = error.span().map_or(0, |s| s.start);
    let (line, column) = line_column(text, at);
    let detail: Vec<&str> = error.message().lines().filter(|l| !l.is_empty()).collect();
    ConfigProblem {
        file: source.to_path_buf(),
        line,
        column,
        key: String::new(),
        value: None,
        message: format!("TOML syntax error: {}", detail.join("; ")),
    }
}

/// What `azure.resource_group` gives roles, read silently (`build::azure` reports its problems).
fn group_default(ctx: &Ctx, root: &Section) -> GroupDefault {
    let Some(azure) = root.get(ctx, "azure").and_then(|f| f.peek_section()) else {
        return GroupDefault::Unset;
    };
    let Some(field) = azure.get(ctx, "resource_group") else {
        return GroupDefault::Unset;
    };
    match field.peek_str().map(str::trim) {
        Some(group) if !group.is_empty() => GroupDefault::Set(group.to_string()),
        _ => GroupDefault::Broken,
    }
}

/// What `baton check-config` prints for a valid file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// The file checked.
    pub path: PathBuf,
    /// Number of roles.
    pub roles: usize,
    /// Number of VMs across all roles.
    pub vms: usize,
    /// Number of data disks across all roles.
    pub disks: usize,
}

impl Summary {
    /// Counts a loaded config.
    pub fn of(config: &Config) -> Summary {
        Summary {
            path: config.source.clone(),
            roles: config.roles.len(),
            vms: config.roles.iter().map(|r| r.spec.vms.len()).sum(),
            disks: config.roles.iter().map(|r| r.spec.disks.len()).sum(),
        }
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plural =
            |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        write!(
            f,
            "config OK: {}, {}, {}",
            plural(self.roles, "role", "roles"),
            plural(self.vms, "VM", "VMs"),
            plural(self.disks, "disk", "disks")
        )
    }
}

/// `baton check-config PATH`: loads and validates the file. On `Ok`, print the summary and exit
/// 0; on `Err`, print the error (for [`ConfigErrors::Invalid`], one problem per line) and exit 2.
pub fn check_config(path: &Path) -> Result<Summary, ConfigErrors> {
    load(path).map(|config| Summary::of(&config))
}
