//! Who is operating: the OS account (uid and its name in `/etc/passwd`), the host, the SSH
//! client address when baton runs over SSH, and `$USER` only as a labelled claim (anyone can
//! set it). Read from the process once; must not read anything secret (no tokens, no keys).

use serde::Serialize;

/// The human behind this baton, as the lock, the journal and the audit name them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Operator {
    /// The name of the process's real uid in `/etc/passwd`, else `uid N`; never taken from the
    /// environment.
    pub user: String,
    /// The process's real uid, which the environment cannot fake.
    pub uid: u32,
    /// `$USER` (else `$LOGNAME`) when set: what the environment claims, recorded beside the
    /// account so a mismatch shows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claimed_user: Option<String>,
    /// The host name (uname), else `unknown`.
    pub host: String,
    /// The SSH client's address (first field of `$SSH_CLIENT`, else of `$SSH_CONNECTION`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ssh_client: Option<String>,
}

impl Operator {
    /// The operator of this process: its uid and account, and the environment's claims.
    pub fn from_env() -> Operator {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        let claimed = env("USER").or_else(|| env("LOGNAME"));
        let ssh_client = env("SSH_CLIENT")
            .or_else(|| env("SSH_CONNECTION"))
            .and_then(|v| v.split_whitespace().next().map(str::to_owned));
        let uid = rustix::process::getuid().as_raw();
        let passwd = std::fs::read_to_string("/etc/passwd").ok();
        Operator {
            ssh_client,
            ..Operator::resolve(uid, passwd.as_deref(), claimed, hostname())
        }
    }

    /// The operator of `uid` given the passwd text and the environment's claimed name.
    pub fn resolve(
        uid: u32,
        passwd: Option<&str>,
        claimed_user: Option<String>,
        host: String,
    ) -> Operator {
        let user = passwd
            .and_then(|text| name_for_uid(text, uid))
            .unwrap_or_else(|| format!("uid {uid}"));
        Operator {
            user,
            uid,
            claimed_user,
            host,
            ssh_client: None,
        }
    }

    /// An operator by name only, for tests and fixtures (uid of this process).
    pub fn named(user: &str, host: &str) -> Operator {
        Operator {
            user: user.into(),
            uid: rustix::process::getuid().as_raw(),
            claimed_user: None,
            host: host.into(),
            ssh_client: None,
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

    const PASSWD: &str =
        "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/sh\n";

    #[test]
    fn describe_names_the_ssh_client() {
        let op = Operator {
            ssh_client: Some("10.0.0.5".into()),
            ..Operator::named("alice", "jump")
        };
        assert_eq!(op.describe(), "alice@jump (ssh from 10.0.0.5)");
        assert!(!Operator::from_env().host.is_empty());
    }

    #[test]
    fn finds_the_account_of_a_uid() {
        assert_eq!(name_for_uid(PASSWD, 1000).as_deref(), Some("alice"));
        assert_eq!(name_for_uid(PASSWD, 0).as_deref(), Some("root"));
        assert_eq!(name_for_uid(PASSWD, 7), None);
    }

    #[test]
    fn the_account_wins_over_a_claimed_user_which_is_kept_as_a_claim() {
        let op = Operator::resolve(1000, Some(PASSWD), Some("mallory".into()), "h".into());
        assert_eq!((op.user.as_str(), op.uid), ("alice", 1000));
        assert_eq!(op.claimed_user.as_deref(), Some("mallory"));
        let json = serde_json::to_value(&op).unwrap();
        assert_eq!(json["uid"], 1000);
        assert_eq!(json["claimed_user"], "mallory");
        // Without a passwd entry the uid names the operator; the claim stays a claim.
        let op = Operator::resolve(4242, Some(PASSWD), Some("bob".into()), "h".into());
        assert_eq!((op.user.as_str(), op.uid), ("uid 4242", 4242));
        assert_eq!(op.claimed_user.as_deref(), Some("bob"));
        assert_eq!(Operator::resolve(7, None, None, "h".into()).user, "uid 7");
    }

    #[test]
    fn this_process_is_named_by_its_real_uid() {
        let op = Operator::from_env();
        assert_eq!(op.uid, rustix::process::getuid().as_raw());
    }
}
