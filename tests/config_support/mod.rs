//! Shared helpers of the config tests: fixture paths and the problems a bad fixture yields.
#![allow(dead_code)]

use baton::config::{self, ConfigErrors};
use std::path::{Path, PathBuf};

/// Path of a fixture in `tests/fixtures/config/`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/config")
        .join(name)
}

/// Loads a fixture that must fail, checks every problem names that file, and returns the
/// problems rendered without the file prefix (`line:column: key = value: message`).
pub fn problems(name: &str) -> Vec<String> {
    let path = fixture(name);
    let errors = match config::load(&path) {
        Ok(_) => panic!("{name} should not load"),
        Err(e) => e,
    };
    let ConfigErrors::Invalid(problems) = &errors else {
        panic!("{name}: expected located problems, got {errors}");
    };
    let prefix = format!("{}:", path.display());
    problems
        .iter()
        .map(|p| {
            assert_eq!(p.file, path);
            let line = p.to_string();
            line.strip_prefix(&prefix)
                .unwrap_or_else(|| panic!("{line} should start with {prefix}"))
                .to_string()
        })
        .collect()
}
