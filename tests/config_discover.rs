//! Config discovery order: `--config`, `$BATON_CONFIG`, `$XDG_CONFIG_HOME/baton/config.toml`,
//! `~/.config/baton/config.toml`. The environment is passed as a closure; the process
//! environment is never touched.

use baton::config::{discover_with, ConfigError, Looked};
use std::collections::HashMap;
use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

/// A fake environment.
fn env(vars: &[(&str, &Path)]) -> impl Fn(&str) -> Option<OsString> {
    let map: HashMap<String, OsString> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.as_os_str().to_owned()))
        .collect();
    move |name| map.get(name).cloned()
}

fn touch(path: &Path) -> PathBuf {
    fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    fs::write(path, "").expect("write");
    path.to_path_buf()
}

/// Every candidate exists; each test removes the ones that should not win.
struct Places {
    _dir: TempDir,
    explicit: PathBuf,
    baton: PathBuf,
    xdg: PathBuf,
    xdg_file: PathBuf,
    home: PathBuf,
    home_file: PathBuf,
}

fn places() -> Places {
    let dir = TempDir::new().expect("tempdir");
    let root = dir.path().to_path_buf();
    let xdg = root.join("xdg");
    let home = root.join("home");
    Places {
        explicit: touch(&root.join("explicit.toml")),
        baton: touch(&root.join("env.toml")),
        xdg_file: touch(&xdg.join("baton/config.toml")),
        home_file: touch(&home.join(".config/baton/config.toml")),
        xdg,
        home,
        _dir: dir,
    }
}

#[test]
fn explicit_path_wins_over_everything() {
    let p = places();
    let env = env(&[
        ("BATON_CONFIG", &p.baton),
        ("XDG_CONFIG_HOME", &p.xdg),
        ("HOME", &p.home),
    ]);
    assert_eq!(discover_with(Some(&p.explicit), &env).unwrap(), p.explicit);
}

#[test]
fn baton_config_comes_second() {
    let p = places();
    let env = env(&[
        ("BATON_CONFIG", &p.baton),
        ("XDG_CONFIG_HOME", &p.xdg),
        ("HOME", &p.home),
    ]);
    assert_eq!(discover_with(None, &env).unwrap(), p.baton);
}

#[test]
fn xdg_config_home_comes_third() {
    let p = places();
    let env = env(&[("XDG_CONFIG_HOME", &p.xdg), ("HOME", &p.home)]);
    assert_eq!(discover_with(None, &env).unwrap(), p.xdg_file);
}

#[test]
fn home_dot_config_only_when_xdg_is_unset_or_empty() {
    let p = places();
    let unset = env(&[("HOME", &p.home)]);
    assert_eq!(discover_with(None, &unset).unwrap(), p.home_file);
    let empty = env(&[("XDG_CONFIG_HOME", Path::new("")), ("HOME", &p.home)]);
    assert_eq!(discover_with(None, &empty).unwrap(), p.home_file);
    let empty_baton = env(&[("BATON_CONFIG", Path::new("")), ("HOME", &p.home)]);
    assert_eq!(discover_with(None, &empty_baton).unwrap(), p.home_file);

    // XDG set but without a baton config: no silent fallback to ~/.config.
    fs::remove_file(&p.xdg_file).expect("rm");
    let set = env(&[("XDG_CONFIG_HOME", &p.xdg), ("HOME", &p.home)]);
    assert!(discover_with(None, &set).is_err());
}

#[test]
fn a_named_file_that_is_missing_is_an_error_not_a_fallback() {
    let p = places();
    let gone = p.home.join("nope.toml");
    let env = env(&[("BATON_CONFIG", &gone), ("HOME", &p.home)]);
    let Err(ConfigError::NotFound { looked }) = discover_with(None, &env) else {
        panic!("expected NotFound");
    };
    assert_eq!(
        looked,
        [
            Looked {
                origin: "--config",
                path: None,
                outcome: "not given"
            },
            Looked {
                origin: "$BATON_CONFIG",
                path: Some(gone.clone()),
                outcome: "not found"
            },
        ]
    );
    let err = discover_with(Some(&gone), &env).expect_err("explicit missing");
    assert_eq!(
        err.to_string(),
        format!(
            "no baton config file found; looked at:\n  --config = {}: not found",
            gone.display()
        )
    );
}

#[test]
fn error_lists_every_place_looked() {
    let p = places();
    let env = env(&[("HOME", &p.xdg)]); // a home without .config/baton
    let err = discover_with(None, &env).expect_err("nothing there");
    let expected_home = p.xdg.join(".config/baton/config.toml");
    assert_eq!(
        err.to_string(),
        format!(
            "no baton config file found; looked at:\n  --config: not given\n  $BATON_CONFIG: not set\n  \
             $XDG_CONFIG_HOME: not set\n  ~/.config/baton/config.toml = {}: not found",
            expected_home.display()
        )
    );

    let nothing = env_none();
    let err = discover_with(None, &nothing).expect_err("no HOME");
    assert!(
        err.to_string()
            .ends_with("  ~/.config/baton/config.toml: $HOME not set"),
        "{err}"
    );
}

#[test]
fn a_directory_is_not_a_config_file() {
    let p = places();
    let err = discover_with(Some(&p.xdg), env_none()).expect_err("a dir");
    assert!(err.to_string().ends_with(": not a file"), "{err}");
}

#[test]
fn relative_xdg_config_home_is_ignored() {
    let p = places();
    let env = env(&[
        ("XDG_CONFIG_HOME", Path::new("relative/dir")),
        ("HOME", &p.home),
    ]);
    assert_eq!(discover_with(None, &env).unwrap(), p.home_file);
}

fn env_none() -> impl Fn(&str) -> Option<OsString> {
    |_| None
}
