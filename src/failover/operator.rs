//! Who is operating: user name, host, and the SSH client address when baton runs over SSH.
//! Read from the environment once; must not read anything secret (no tokens, no keys).

use serde::Serialize;

/// The human behind this baton, as the lock, the journal and the audit name them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Operator {
    /// `$USER`, else `$LOGNAME`, else the name of the process's uid in `/etc/passwd`, else
    /// `uid N`.
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
            .unwrap_or_else(user_of_uid);
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

/// The account name of this process's real uid, so an empty environment still names a person.
fn user_of_uid() -> String {
    let uid = rustix::process::getuid().as_raw();
    std::fs::read_to_string("/etc/passwd")
        .ok()
        .and_then(|passwd| name_for_uid(&passwd, uid))
        .unwrap_or_else(|| format!("uid {uid}"))
}

/// The name on the `/etc/passwd` line whose third field is `uid`.
fn name_for_uid(passwd: &str, uid: u32) -> Option<String> {
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        let id = fields.nth(1)?;
        (id.parse::<u32>().ok()? == uid).then(|| name.to_string())
    })
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

    #[test]
    fn finds_the_account_of_a_uid() {
        let passwd = "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/sh\n";
        assert_eq!(name_for_uid(passwd, 1000).as_deref(), Some("alice"));
        assert_eq!(name_for_uid(passwd, 0).as_deref(), Some("root"));
        assert_eq!(name_for_uid(passwd, 7), None);
    }
}
