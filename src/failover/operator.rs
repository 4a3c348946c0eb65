//! Who is operating: user name, host, and the SSH client address when baton runs over SSH.
//! Read from the environment once; must not read anything secret (no tokens, no keys).

use serde::Serialize;

/// The human behind this baton, as the lock, the journal and the audit name them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Operator {
    /// `$USER`, else `$LOGNAME`, else `unknown`.
    pub user: String,
    /// The host name (uname), else `unknown`.
    pub host: String,
    /// The SSH client's address (first field of `$SSH_CLIENT`, else of `$SSH_CONNECTION`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ssh_client: Option<String>,
}

impl Operator {
    /// The operator of this process, from the environment.
    pub fn from_env() -> Operator {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        let user = env("USER")
            .or_else(|| env("LOGNAME"))
            .unwrap_or_else(|| "unknown".into());
        let ssh_client = env("SSH_CLIENT")
            .or_else(|| env("SSH_CONNECTION"))
            .and_then(|v| v.split_whitespace().next().map(str::to_owned));
        Operator {
            user,
            host: hostname(),
            ssh_client,
        }
    }

    /// `alice@host (ssh from 10.0.0.5)`, for messages.
    pub fn describe(&self) -> String {
        match &self.ssh_client {
            Some(addr) => format!("{}@{} (ssh from {addr})", self.user, self.host),
            None => format!("{}@{}", self.user, self.host),
        }
    }
}

fn hostname() -> String {
    let name = rustix::system::uname()
        .nodename()
        .to_string_lossy()
        .into_owned();
    if name.is_empty() {
        "unknown".into()
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describe_names_the_ssh_client() {
        let op = Operator {
            user: "alice".into(),
            host: "jump".into(),
            ssh_client: Some("10.0.0.5".into()),
        };
        assert_eq!(op.describe(), "alice@jump (ssh from 10.0.0.5)");
        assert!(!Operator::from_env().host.is_empty());
    }
}
