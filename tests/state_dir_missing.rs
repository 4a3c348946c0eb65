//! With no `--state-dir`, no `$BATON_STATE_DIR`, no `$XDG_STATE_HOME` and no `$HOME`, the
//! commands that need a state directory stop with the one shared wording (exit 2).

use baton::core::wording::MISSING_STATE_DIR;
use std::process::Command;

const BATON: &str = env!("CARGO_BIN_EXE_baton");

#[test]
fn history_without_any_state_directory_names_every_way_to_give_one() {
    let out = Command::new(BATON)
        .arg("history")
        .env_clear()
        .output()
        .expect("baton runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("error: {MISSING_STATE_DIR}\n")),
        "{stderr}"
    );
    for way in [
        "--state-dir",
        "$BATON_STATE_DIR",
        "$XDG_STATE_HOME",
        "~/.local/state/baton",
    ] {
        assert!(stderr.contains(way), "{stderr} does not name {way}");
    }
}
