//! Names, and the two rules for comparing them.
//!
//! **Azure's rule** (every comparison of names baton makes about the world): resource names —
//! VMs, disks, load balancers, and the configured role names that stand for them — are equal
//! when they differ only in ASCII case, as Azure treats them. [`same_name`] is that rule;
//! [`RoleName`] carries it in its `Eq`, `Ord` and `Hash`, so a set or map keyed by it cannot
//! hold `web` and `WEB` apart.
//!
//! **The typed confirmation** ([`typed_name_confirms`]) is deliberately stricter: the operator
//! must type the role's name exactly as configured, same case. The confirmation exists to make
//! the operator read which role is about to move; accepting `WEB` for `web` would accept text
//! the operator never saw. The cockpit (preview, abort and rollback dialogs), the engine's
//! re-check of a start, and the headless `failover`/`switchover`/`drill` prompts all call it.

use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

/// Azure resource names are case-insensitive; compare them with this (or through
/// [`RoleName`]) and nothing else.
pub fn same_name(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// True when `typed` confirms an action on `role`: the configured name exactly, same case
/// (see the module doc for why this is stricter than [`same_name`]). An empty role name is
/// never confirmed.
pub fn typed_name_confirms(role: &str, typed: &str) -> bool {
    !role.is_empty() && typed == role
}

/// A role's name as configured, compared the way Azure compares names (ASCII
/// case-insensitively); it keeps and shows the spelling it was given.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RoleName(String);

impl RoleName {
    /// The name as given.
    pub fn new(name: impl Into<String>) -> RoleName {
        RoleName(name.into())
    }

    /// The spelling it was given.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True when `other` names the same role (Azure's rule).
    pub fn is(&self, other: &str) -> bool {
        same_name(&self.0, other)
    }

    fn folded(&self) -> impl Iterator<Item = u8> + '_ {
        self.0.bytes().map(|b| b.to_ascii_lowercase())
    }
}

impl PartialEq for RoleName {
    fn eq(&self, other: &RoleName) -> bool {
        self.is(&other.0)
    }
}

impl Eq for RoleName {}

impl PartialEq<str> for RoleName {
    fn eq(&self, other: &str) -> bool {
        self.is(other)
    }
}

impl PartialEq<&str> for RoleName {
    fn eq(&self, other: &&str) -> bool {
        self.is(other)
    }
}

impl Ord for RoleName {
    fn cmp(&self, other: &RoleName) -> Ordering {
        self.folded().cmp(other.folded())
    }
}

impl PartialOrd for RoleName {
    fn partial_cmp(&self, other: &RoleName) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Hash for RoleName {
    fn hash<H: Hasher>(&self, state: &mut H) {
        for b in self.folded() {
            state.write_u8(b);
        }
        state.write_u8(0xff);
    }
}

impl fmt::Display for RoleName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for RoleName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<String> for RoleName {
    fn from(name: String) -> RoleName {
        RoleName(name)
    }
}

impl From<&str> for RoleName {
    fn from(name: &str) -> RoleName {
        RoleName(name.to_owned())
    }
}

impl From<&String> for RoleName {
    fn from(name: &String) -> RoleName {
        RoleName(name.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeSet, HashSet};

    #[test]
    fn role_names_follow_azure_and_ignore_ascii_case() {
        assert_eq!(RoleName::from("Web"), RoleName::from("wEB"));
        assert_ne!(RoleName::from("web"), RoleName::from("web2"));
        assert!(RoleName::from("DB").is("db"));
        let set: BTreeSet<RoleName> = ["web", "WEB", "app"].into_iter().map(Into::into).collect();
        assert_eq!(set.len(), 2);
        let hashed: HashSet<RoleName> = ["Db", "dB"].into_iter().map(Into::into).collect();
        assert_eq!(hashed.len(), 1);
        assert_eq!(
            RoleName::from("Web").to_string(),
            "Web",
            "keeps its spelling"
        );
    }

    #[test]
    fn the_typed_confirmation_is_exact() {
        assert!(typed_name_confirms("web", "web"));
        assert!(!typed_name_confirms("web", "WEB"));
        assert!(!typed_name_confirms("web", "web "));
        assert!(!typed_name_confirms("web", "we"));
        assert!(!typed_name_confirms("", ""));
    }
}
