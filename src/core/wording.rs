//! Sentences said in several places (commands, cockpit, engine), worded once here so they
//! cannot drift apart. A leaf: every module may import it without creating a cycle.

/// The one wording of "no state directory could be chosen", naming every way to give one in
/// the order baton tries them: `--state-dir`, `$BATON_STATE_DIR`, `$XDG_STATE_HOME/baton`, and
/// the default `~/.local/state/baton` (which needs `$HOME`).
pub const MISSING_STATE_DIR: &str = "no state directory: pass --state-dir DIR, or set \
     $BATON_STATE_DIR or $XDG_STATE_HOME (the default ~/.local/state/baton needs $HOME)";
