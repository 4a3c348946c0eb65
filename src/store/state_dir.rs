//! Where `LocalStore` keeps baton's durable state: journals, role locks, drill records and the
//! audit log. Owns the directory layout and its discovery; must not read or write the files
//! themselves.
//!
//! Layout under the root:
//! - `journal/<role>/<op_id>.jsonl` — one append-only journal per operation;
//! - `locks/<role>.lock` — the role lock (`flock`), holding the holder's details;
//! - `audit.jsonl` — the append-only audit log;
//! - `drills/<role>/<drill_id>.json` — one drill record each, replaced atomically per phase;
//! - `timelines/` — operation timelines exported from the cockpit for postmortems;
//! - `reports/` — drill reports (Markdown and JSON) unless `--report DIR` says otherwise.
//!
//! Folders are created 0700 and files 0600 (`store::private`).
//!
//! Role names are lower-cased (Azure names are case-insensitive) and every character outside
//! `[a-z0-9._-]` becomes `_`, so a role name can never escape its directory.

use std::path::{Path, PathBuf};

/// The environment variable that overrides the state directory.
pub const STATE_DIR_ENV: &str = "BATON_STATE_DIR";

/// The root of baton's local state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateDir {
    root: PathBuf,
}

impl StateDir {
    /// A state directory at `root` (created on first write).
    pub fn new(root: impl Into<PathBuf>) -> StateDir {
        StateDir { root: root.into() }
    }

    /// `explicit`, else `$BATON_STATE_DIR`, else `$XDG_STATE_HOME/baton`, else
    /// `~/.local/state/baton`; `None` when none of them is known.
    pub fn discover(explicit: Option<&Path>) -> Option<StateDir> {
        if let Some(p) = explicit {
            return Some(StateDir::new(p));
        }
        let env = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
        if let Some(p) = env(STATE_DIR_ENV) {
            return Some(StateDir::new(PathBuf::from(p)));
        }
        if let Some(p) = env("XDG_STATE_HOME") {
            return Some(StateDir::new(PathBuf::from(p).join("baton")));
        }
        let home = env("HOME")?;
        Some(StateDir::new(
            PathBuf::from(home)
                .join(".local")
                .join("state")
                .join("baton"),
        ))
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `journal/` (one folder per role below).
    pub fn journals(&self) -> PathBuf {
        self.root.join("journal")
    }

    /// `journal/<role>/`.
    pub fn journal_dir(&self, role: &str) -> PathBuf {
        self.journals().join(file_stem(role))
    }

    /// `journal/<role>/<op_id>.jsonl`.
    pub fn journal_path(&self, role: &str, op_id: &str) -> PathBuf {
        self.journal_dir(role)
            .join(format!("{}.jsonl", file_stem(op_id)))
    }

    /// `locks/<role>.lock`.
    pub fn lock_path(&self, role: &str) -> PathBuf {
        self.root
            .join("locks")
            .join(format!("{}.lock", file_stem(role)))
    }

    /// `drills/<role>/`.
    pub fn drill_dir(&self, role: &str) -> PathBuf {
        self.root.join("drills").join(file_stem(role))
    }

    /// `drills/<role>/<drill_id>.json`.
    pub fn drill_path(&self, role: &str, drill_id: &str) -> PathBuf {
        self.drill_dir(role)
            .join(format!("{}.json", file_stem(drill_id)))
    }

    /// `reports/`.
    pub fn reports(&self) -> PathBuf {
        self.root.join("reports")
    }

    /// `timelines/`.
    pub fn timelines(&self) -> PathBuf {
        self.root.join("timelines")
    }

    /// `audit.jsonl`.
    pub fn audit_path(&self) -> PathBuf {
        self.root.join("audit.jsonl")
    }
}

/// A name safe as one path component, on disk or in a blob name: lower-case, `[a-z0-9._-]`,
/// anything else becomes `_` (so `web a` and `web_a` would meet: config validation keeps role
/// names to Azure's VM-name characters, compared case-insensitively).
pub(crate) fn file_stem(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            let c = c.to_ascii_lowercase();
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() || s.chars().all(|c| c == '.') {
        format!("_{s}")
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_and_safe_names() {
        let d = StateDir::new("/s");
        assert_eq!(
            d.journal_path("Web", "op-1"),
            PathBuf::from("/s/journal/web/op-1.jsonl")
        );
        assert_eq!(d.lock_path("../x"), PathBuf::from("/s/locks/.._x.lock"));
        assert_eq!(d.lock_path(".."), PathBuf::from("/s/locks/_...lock"));
        assert_eq!(d.audit_path(), PathBuf::from("/s/audit.jsonl"));
        assert_eq!(
            StateDir::discover(Some(Path::new("/x"))).unwrap().root(),
            Path::new("/x")
        );
    }
}
