//! Keys to actions: the default vim/arrow bindings, validated overrides, and lookup.
//!
//! Owns the guarantees "quit and help are always reachable", "no key means two things", "no
//! mutating action sits on a navigation key", and "a mode's keymap has no binding for an action
//! that does not exist in that mode". Ctrl-C always quits and cannot be rebound. It must not
//! change state; `update` asks it what a key means.

use super::action::Action;
use super::state::Mode;
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind};
use std::collections::BTreeMap;

mod spec;
pub use spec::KeySpec;
use spec::CTRL_C;

/// Why a set of key overrides was refused. Every variant names the action and the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeymapError {
    /// The override names no known action.
    #[error("keys: unknown action `{action}` (valid: {valid})")]
    UnknownAction {
        /// The name given.
        action: String,
        /// Every valid action name, comma-separated.
        valid: String,
    },
    /// The key spec does not parse.
    #[error("keys.{action}: invalid key `{key}`: {reason}")]
    BadKey {
        /// The action being bound.
        action: String,
        /// The spec as written.
        key: String,
        /// Why it does not parse.
        reason: String,
    },
    /// An action that must stay reachable was left without a key.
    #[error("keys.{action}: `{key}` leaves {action} without a key; it must always be reachable")]
    Unreachable {
        /// The action (`quit`, `help` or `close`).
        action: String,
        /// The spec as written.
        key: String,
    },
    /// One key was bound to two actions.
    #[error("keys.{action}: key `{key}` is already bound to {other}")]
    DuplicateKey {
        /// The second action bound to the key.
        action: String,
        /// The key.
        key: String,
        /// The action that already had it.
        other: String,
    },
    /// A mutating action was put on a key people press to move around.
    #[error("keys.{action}: `{key}` is a navigation key; a mutating action may not use it")]
    MutatingOnNavigationKey {
        /// The mutating action.
        action: String,
        /// The key.
        key: String,
    },
    /// Ctrl-C is reserved for quitting.
    #[error("keys.{action}: `{key}` is reserved: ctrl-c always quits")]
    Reserved {
        /// The action that asked for it.
        action: String,
        /// The key.
        key: String,
    },
}

/// The resolved bindings of one mode. Built only through validation, so it always satisfies
/// the guarantees in the module doc.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    mode: Mode,
    /// Per action (in [`Action::ALL`] order), its keys; only actions that exist in the mode.
    bindings: Vec<(Action, Vec<KeySpec>)>,
}

fn default_keys(action: Action) -> Vec<KeySpec> {
    match action {
        Action::Up => vec![KeySpec::ch('k'), KeySpec::plain(KeyCode::Up)],
        Action::Down => vec![KeySpec::ch('j'), KeySpec::plain(KeyCode::Down)],
        Action::First => vec![KeySpec::ch('g'), KeySpec::plain(KeyCode::Home)],
        Action::Last => vec![KeySpec::ch('G'), KeySpec::plain(KeyCode::End)],
        Action::NextPane => vec![KeySpec::plain(KeyCode::Tab)],
        Action::PrevPane => vec![KeySpec::plain(KeyCode::BackTab)],
        Action::Refresh => vec![KeySpec::ch('r')],
        Action::Help => vec![KeySpec::ch('?')],
        Action::Close => vec![KeySpec::plain(KeyCode::Esc)],
        Action::Quit => vec![KeySpec::ch('q')],
        Action::ChaosKill => vec![KeySpec::ch('K')],
        Action::ChaosHang => vec![KeySpec::ch('H')],
        Action::ChaosHeal => vec![KeySpec::ch('R')],
        Action::Failover => vec![KeySpec::ch('f')],
        Action::Switchover => vec![KeySpec::ch('s')],
        Action::Abort => vec![KeySpec::ch('A')],
        Action::Drill => vec![KeySpec::ch('d')],
        // `h` is on the navigation-key list (vim left) but nothing moves left here, and history
        // is a read, so it may sit there.
        Action::History => vec![KeySpec::ch('h')],
        Action::ExportTimeline => vec![KeySpec::ch('t')],
        Action::Unlock => vec![KeySpec::ch('U')],
    }
}

/// Actions that must keep at least one key.
const ALWAYS_REACHABLE: [Action; 3] = [Action::Quit, Action::Help, Action::Close];

impl Keymap {
    /// The default bindings for `mode`.
    pub fn default_for(mode: Mode) -> Keymap {
        let all = Action::ALL.map(|a| (a, default_keys(a)));
        Keymap::for_mode(mode, all.into_iter().collect())
    }

    /// Applies `overrides` (action name → key specs, several separated by spaces or commas) to
    /// the defaults and validates the result across every action, so a config valid in one mode
    /// is valid in all. Overrides for actions absent from `mode` are checked, then left out.
    pub fn from_overrides(
        mode: Mode,
        overrides: &BTreeMap<String, String>,
    ) -> Result<Keymap, KeymapError> {
        let mut all: Vec<(Action, Vec<KeySpec>)> = Action::ALL
            .map(|a| (a, default_keys(a)))
            .into_iter()
            .collect();
        for (name, spec) in overrides {
            let action = Action::from_name(name).ok_or_else(|| KeymapError::UnknownAction {
                action: name.clone(),
                valid: Action::ALL.map(Action::name).join(", "),
            })?;
            let keys = parse_keys(action, spec)?;
            if keys.is_empty() && ALWAYS_REACHABLE.contains(&action) {
                return Err(KeymapError::Unreachable {
                    action: name.clone(),
                    key: spec.clone(),
                });
            }
            if let Some(slot) = all.iter_mut().find(|(a, _)| *a == action) {
                slot.1 = keys;
            }
        }
        validate(&all)?;
        Ok(Keymap::for_mode(mode, all))
    }

    fn for_mode(mode: Mode, all: Vec<(Action, Vec<KeySpec>)>) -> Keymap {
        let bindings = all
            .into_iter()
            .filter(|(a, keys)| a.exists_in(mode) && !keys.is_empty())
            .collect();
        Keymap { mode, bindings }
    }

    /// The mode these bindings were resolved for.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// What a key press means here, if anything. Key releases are ignored; ctrl-c always quits.
    pub fn resolve(&self, event: &KeyEvent) -> Option<Action> {
        if event.kind == KeyEventKind::Release {
            return None;
        }
        let key = KeySpec::from_event(event);
        if key == CTRL_C {
            return Some(Action::Quit);
        }
        self.bindings
            .iter()
            .find(|(_, keys)| keys.contains(&key))
            .map(|(a, _)| *a)
    }

    /// The keys bound to `action` (empty when it does not exist in this mode).
    pub fn keys_for(&self, action: Action) -> &[KeySpec] {
        self.bindings
            .iter()
            .find(|(a, _)| *a == action)
            .map_or(&[], |(_, keys)| keys.as_slice())
    }

    /// Every bound action with its keys, in help order.
    pub fn bindings(&self) -> impl Iterator<Item = (Action, &[KeySpec])> {
        self.bindings.iter().map(|(a, k)| (*a, k.as_slice()))
    }
}

fn parse_keys(action: Action, spec: &str) -> Result<Vec<KeySpec>, KeymapError> {
    let parts = split_specs(spec);
    parts
        .into_iter()
        .map(|part| {
            KeySpec::parse(part).map_err(|reason| KeymapError::BadKey {
                action: action.name().to_string(),
                key: part.to_string(),
                reason,
            })
        })
        .collect()
}

/// Splits `"j, down"` / `"j down"` into specs; a lone `","` or `" "` is that key.
fn split_specs(spec: &str) -> Vec<&str> {
    if spec == "," || spec == " " {
        return vec![spec];
    }
    spec.split([',', ' ']).filter(|s| !s.is_empty()).collect()
}

fn validate(all: &[(Action, Vec<KeySpec>)]) -> Result<(), KeymapError> {
    let mut seen: Vec<(KeySpec, Action)> = Vec::new();
    for (action, keys) in all {
        for key in keys {
            let err_key = key.to_string();
            if *key == CTRL_C && *action != Action::Quit {
                return Err(KeymapError::Reserved {
                    action: action.name().to_string(),
                    key: err_key,
                });
            }
            if action.is_mutating() && key.is_navigation_key() {
                return Err(KeymapError::MutatingOnNavigationKey {
                    action: action.name().to_string(),
                    key: err_key,
                });
            }
            if let Some((_, other)) = seen.iter().find(|(k, _)| k == key) {
                return Err(KeymapError::DuplicateKey {
                    action: action.name().to_string(),
                    key: err_key,
                    other: other.name().to_string(),
                });
            }
            seen.push((*key, *action));
        }
    }
    Ok(())
}
