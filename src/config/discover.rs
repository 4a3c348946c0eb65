//! Finding the config file: `--config`, then `$BATON_CONFIG`, then
//! `$XDG_CONFIG_HOME/baton/config.toml` (`~/.config/baton/config.toml` when `XDG_CONFIG_HOME` is
//! unset). Reads environment variables only through the lookup it is given, so tests never
//! touch the process environment.

use super::error::{ConfigError, Looked};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// Finds the config file using the real process environment. See [`discover_with`].
pub fn discover(explicit: Option<&Path>) -> Result<PathBuf, ConfigError> {
    discover_with(explicit, |name| std::env::var_os(name))
}

/// Finds the config file, reading environment variables through `env`.
///
/// The first place that *names* a file decides: a `--config` path or a set `$BATON_CONFIG` that
/// does not exist is an error, never silently replaced by the default location (a failover tool
/// must not quietly act on another fleet's config). Empty variables count as unset, as does a
/// relative `XDG_CONFIG_HOME` (the XDG spec says to ignore it). The error lists every place
/// consulted, in order.
pub fn discover_with<F>(explicit: Option<&Path>, env: F) -> Result<PathBuf, ConfigError>
where
    F: Fn(&str) -> Option<OsString>,
{
    let var = |name: &str| env(name).filter(|v| !v.is_empty());
    let mut looked = Vec::new();

    if let Some(path) = explicit {
        return check(path.to_path_buf(), "--config", looked);
    }
    looked.push(not("--config", "not given"));

    if let Some(path) = var("BATON_CONFIG") {
        return check(PathBuf::from(path), "$BATON_CONFIG", looked);
    }
    looked.push(not("$BATON_CONFIG", "not set"));

    let xdg = var("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute());
    if let Some(dir) = xdg {
        let path = dir.join("baton").join("config.toml");
        return check(path, "$XDG_CONFIG_HOME/baton/config.toml", looked);
    }
    looked.push(not("$XDG_CONFIG_HOME", "not set"));

    match var("HOME") {
        Some(home) => {
            let path = PathBuf::from(home).join(".config/baton/config.toml");
            check(path, "~/.config/baton/config.toml", looked)
        }
        None => {
            looked.push(not("~/.config/baton/config.toml", "$HOME not set"));
            Err(ConfigError::NotFound { looked })
        }
    }
}

fn not(origin: &'static str, outcome: &'static str) -> Looked {
    Looked {
        origin,
        path: None,
        outcome,
    }
}

fn check(
    path: PathBuf,
    origin: &'static str,
    mut looked: Vec<Looked>,
) -> Result<PathBuf, ConfigError> {
    if path.is_file() {
        return Ok(path);
    }
    let outcome = if path.exists() {
        "not a file"
    } else {
        "not found"
    };
    looked.push(Looked {
        origin,
        path: Some(path),
        outcome,
    });
    Err(ConfigError::NotFound { looked })
}
