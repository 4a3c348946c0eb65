//! `[coordination]`: where the role lock, journals, drill records and audit live. `local`
//! (the default: this machine's state directory) or `azure-blob` (a storage account shared by
//! every baton host). Reads and validates the section; building the store from it is
//! `store::blob`'s job.

use super::build::{endpoint_problem, optional_section};
use super::reader::{closest, Ctx, Field, Section};
use super::types::CredentialKind;
use std::fmt;
use std::time::Duration;
use url::Url;

const KEYS: [&str; 8] = [
    "backend",
    "account_url",
    "container",
    "credential",
    "key_env",
    "static_token",
    "lease_duration",
    "host_id",
];
/// Every key but `backend`: they mean something only with `backend = "azure-blob"`.
const BLOB_ONLY: &[&str] = KEYS.split_at(1).1;

/// Azure's lease limits.
const LEASE_MIN: Duration = Duration::from_secs(15);
const LEASE_MAX: Duration = Duration::from_secs(60);

/// `[coordination]`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Coordination {
    /// `backend = "local"`: today's behaviour, this machine only.
    #[default]
    Local,
    /// `backend = "azure-blob"`.
    AzureBlob(BlobCoordination),
}

/// `[coordination]` with `backend = "azure-blob"`.
#[derive(Clone, PartialEq, Eq)]
pub struct BlobCoordination {
    /// `https://ACCOUNT.blob.core.windows.net`, or an emulator URL with the account in the path.
    pub account_url: Url,
    /// Container (default `baton`).
    pub container: String,
    /// How baton authenticates.
    pub credential: StorageCredential,
    /// Lease duration, 15–60 s (default 15 s).
    pub lease_duration: Duration,
    /// This host's name in lock holders; `None`: `--host-id`, `BATON_HOST_ID`, the host name.
    pub host_id: Option<String>,
}

/// `coordination.credential`.
#[derive(Clone, PartialEq, Eq)]
pub enum StorageCredential {
    /// One of `[azure]`'s choices (`static-token` carries its token).
    Azure(CredentialKind, Option<String>),
    /// `shared-key`: the account key, read from the environment variable named here.
    SharedKey {
        /// The variable's name (`key_env`); the key itself is never in the file.
        key_env: String,
    },
}

impl fmt::Debug for StorageCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StorageCredential::Azure(kind, token) => {
                let token = token.as_ref().map(|_| "<redacted>");
                f.debug_tuple("Azure").field(kind).field(&token).finish()
            }
            StorageCredential::SharedKey { key_env } => f
                .debug_struct("SharedKey")
                .field("key_env", key_env)
                .finish(),
        }
    }
}

impl fmt::Debug for BlobCoordination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let credential = match &self.credential {
            StorageCredential::Azure(kind, _) => kind.as_str().to_string(),
            StorageCredential::SharedKey { key_env } => format!("shared-key from ${key_env}"),
        };
        f.debug_struct("BlobCoordination")
            .field("account_url", &self.account_url.as_str())
            .field("container", &self.container)
            .field("credential", &credential)
            .field("lease_duration", &self.lease_duration)
            .field("host_id", &self.host_id)
            .finish()
    }
}

/// Reads `[coordination]`; absent means `local`. `None` when a problem was reported.
pub(crate) fn coordination(ctx: &mut Ctx, root: &Section) -> Option<Coordination> {
    let Some(section) = optional_section(ctx, root, "coordination") else {
        return root
            .get(ctx, "coordination")
            .is_none()
            .then_some(Coordination::Local);
    };
    section.deny_unknown(ctx, &KEYS);
    let backend = match section.get(ctx, "backend") {
        Some(f) => backend(ctx, &f)?,
        None => "local",
    };
    if backend == "local" {
        let mut ok = true;
        for &key in BLOB_ONLY {
            if let Some(f) = section.get(ctx, key) {
                f.report(ctx, "only allowed with backend = \"azure-blob\"");
                ok = false;
            }
        }
        return ok.then_some(Coordination::Local);
    }
    blob(ctx, &section).map(Coordination::AzureBlob)
}

fn backend(ctx: &mut Ctx, field: &Field) -> Option<&'static str> {
    let text = field.str(ctx)?;
    match text {
        "local" => Some("local"),
        "azure-blob" => Some("azure-blob"),
        other => {
            let message = match closest(other, &["local", "azure-blob"]) {
                Some(best) => format!("unknown backend; did you mean `{best}`?"),
                None => "unknown backend; expected local or azure-blob".to_string(),
            };
            field.report(ctx, message);
            None
        }
    }
}

fn blob(ctx: &mut Ctx, section: &Section) -> Option<BlobCoordination> {
    let account_url = match section.require(ctx, "account_url") {
        Some(f) => account_url(ctx, &f),
        None => None,
    };
    let container = match section.get(ctx, "container") {
        Some(f) => container(ctx, &f),
        None => Some("baton".to_string()),
    };
    let credential = credential(ctx, section);
    let lease_duration = match section.get(ctx, "lease_duration") {
        Some(f) => f.duration_in(
            ctx,
            &super::bounds::DurationBound {
                min: LEASE_MIN,
                max: LEASE_MAX,
            },
        ),
        None => Some(LEASE_MIN),
    };
    let host_id = match section.get(ctx, "host_id") {
        Some(f) => host_id_field(ctx, &f).map(Some),
        None => Some(None),
    };
    Some(BlobCoordination {
        account_url: account_url?,
        container: container?,
        credential: credential?,
        lease_duration: lease_duration?,
        host_id: host_id?,
    })
}

fn account_url(ctx: &mut Ctx, field: &Field) -> Option<Url> {
    let text = field.str(ctx)?;
    let url = match Url::parse(text) {
        Ok(u) => u,
        Err(e) => {
            field.report(ctx, format!("not a valid URL: {e}"));
            return None;
        }
    };
    if let Some(problem) = endpoint_problem(&url) {
        field.report(ctx, problem);
        return None;
    }
    let path_account = url.path_segments().and_then(|mut s| s.next()).unwrap_or("");
    let host_account = url.host_str().is_some_and(|h| h.contains(".blob."));
    if path_account.is_empty() && !host_account {
        field.report(
            ctx,
            "names no storage account: expected https://ACCOUNT.blob.core.windows.net or an emulator URL with the account in the path (http://127.0.0.1:PORT/ACCOUNT)",
        );
        return None;
    }
    Some(url)
}

/// Azure's container names: 3–63 lower-case letters, digits and single inner dashes.
fn container(ctx: &mut Ctx, field: &Field) -> Option<String> {
    let name = field.str(ctx)?;
    let ok = (3..=63).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.starts_with('-')
        && !name.ends_with('-')
        && !name.contains("--");
    if ok {
        Some(name.to_string())
    } else {
        field.report(
            ctx,
            "not a container name: 3 to 63 lower-case letters, digits and single dashes, starting and ending with a letter or digit",
        );
        None
    }
}

fn credential(ctx: &mut Ctx, section: &Section) -> Option<StorageCredential> {
    let kind = match section.get(ctx, "credential") {
        Some(f) => {
            let text = f.str(ctx)?;
            if text == "shared-key" {
                None
            } else if let Some(kind) = CredentialKind::from_config(text) {
                Some(kind)
            } else {
                let mut names: Vec<&str> = CredentialKind::ALL.iter().map(|k| k.as_str()).collect();
                names.push("shared-key");
                let message = match closest(text, &names) {
                    Some(best) => format!("unknown credential; did you mean `{best}`?"),
                    None => format!("unknown credential; expected one of: {}", names.join(", ")),
                };
                f.report(ctx, message);
                return None;
            }
        }
        None => Some(CredentialKind::Default),
    };
    let key_env = section.get(ctx, "key_env");
    let token = section.get(ctx, "static_token");
    match kind {
        None => {
            if let Some(t) = token {
                t.report(ctx, "only allowed with credential = \"static-token\"");
                return None;
            }
            let Some(f) = key_env else {
                section.missing(ctx, "key_env", "missing: required with credential = \"shared-key\" (the name of the environment variable holding the account key)");
                return None;
            };
            let name = f.str(ctx)?;
            let valid = name
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid {
                f.report(
                    ctx,
                    "not an environment variable name (letters, digits and _)",
                );
                return None;
            }
            Some(StorageCredential::SharedKey {
                key_env: name.to_string(),
            })
        }
        Some(kind) => {
            if let Some(f) = key_env {
                f.report(ctx, "only allowed with credential = \"shared-key\"");
                return None;
            }
            match (kind, token) {
                (CredentialKind::StaticToken, Some(t)) => {
                    let text = t.non_empty_str(ctx)?;
                    Some(StorageCredential::Azure(kind, Some(text.to_string())))
                }
                (CredentialKind::StaticToken, None) => {
                    section.missing(
                        ctx,
                        "static_token",
                        "missing: required with credential = \"static-token\"",
                    );
                    None
                }
                (_, Some(t)) => {
                    t.report(ctx, "only allowed with credential = \"static-token\"");
                    None
                }
                (_, None) => Some(StorageCredential::Azure(kind, None)),
            }
        }
    }
}

fn host_id_field(ctx: &mut Ctx, field: &Field) -> Option<String> {
    let text = field.non_empty_str(ctx)?;
    match host_id_problem(text) {
        None => Some(text.to_string()),
        Some(p) => {
            field.report(ctx, p);
            None
        }
    }
}

/// Why a host id (config, `--host-id`, `BATON_HOST_ID`) is unusable, if it is: it names the
/// lock holder in every other cockpit, so one short printable word.
pub fn host_id_problem(text: &str) -> Option<&'static str> {
    if text.is_empty() || text.len() > 64 {
        Some("must be 1 to 64 characters")
    } else if text
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || !c.is_ascii())
    {
        Some("must be printable ASCII without spaces")
    } else {
        None
    }
}
