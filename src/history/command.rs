//! `baton history [ROLE] [--json] [--limit N] [--state-dir DIR]`: load, select, print. Writes
//! only to the writers it is given (the CLI passes stdout and stderr; tests pass buffers).
//!
//! Exit codes: 0 printed (also when nothing was recorded); 2 no state directory, an unknown
//! role (the message names it and lists the known ones), or an output error. Journals that
//! cannot be read are named on `err` and left out; they do not change the exit code.

use super::{load, render_text, select};
use crate::failover::StateDir;
use crate::store::LocalStore;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

/// Everything `baton history` was asked.
#[derive(Debug, Clone)]
pub struct HistoryCommand {
    /// Only this role.
    pub role: Option<String>,
    /// JSON instead of tables.
    pub json: bool,
    /// Newest runs per role.
    pub limit: Option<usize>,
    /// `--state-dir` (else the usual discovery).
    pub state_dir: Option<PathBuf>,
    /// `failover.rto_target` of the config.
    pub rto_target: Duration,
    /// The configured roles (valid names even without runs); empty without a config.
    pub known_roles: Vec<String>,
}

/// Runs the command; returns the exit code.
pub async fn run(cmd: &HistoryCommand, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let Some(dir) = StateDir::discover(cmd.state_dir.as_deref()) else {
        let _ = writeln!(err, "error: {}", crate::core::wording::MISSING_STATE_DIR);
        return 2;
    };
    let store = LocalStore::new(dir);
    let loaded = load(&store, cmd.rto_target, &BTreeSet::new()).await;
    for problem in &loaded.problems {
        let _ = writeln!(err, "warning: left out: {problem}");
    }
    let history = match select(
        loaded.history,
        cmd.role.as_deref(),
        cmd.limit,
        &cmd.known_roles,
    ) {
        Ok(h) => h,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return 2;
        }
    };
    let printed = if cmd.json {
        serde_json::to_string_pretty(&history)
            .map_err(std::io::Error::other)
            .and_then(|text| writeln!(out, "{text}"))
    } else {
        write!(out, "{}", render_text(&history))
    };
    match printed {
        Ok(()) => 0,
        Err(e) => {
            let _ = writeln!(err, "error: cannot print the history: {e}");
            2
        }
    }
}
