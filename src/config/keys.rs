//! Reads the `[keys]` table (action name → key specs) and validates it with the cockpit's own
//! [`Keymap::from_overrides`], in every mode, turning each [`KeymapError`] into a located
//! problem at the offending `keys.<action>` value. Owns only that translation: which keys and
//! actions are valid is `ui::keymap`'s and `ui::action`'s to decide.

use super::build::optional_section;
use super::reader::{closest, Ctx, Field, Section};
use crate::ui::{Action, Keymap, KeymapError, Mode};
use std::collections::BTreeMap;

/// Every cockpit mode: a `[keys]` table must be valid in all of them, since the mode is chosen
/// on the command line after the config is loaded.
const MODES: [Mode; 4] = [Mode::Operator, Mode::ReadOnly, Mode::Wall, Mode::Demo];

/// `[keys]`; absent means the default bindings (an empty map).
pub(crate) fn keys(ctx: &mut Ctx, root: &Section) -> Option<BTreeMap<String, String>> {
    let Some(section) = optional_section(ctx, root, "keys") else {
        return root.get(ctx, "keys").is_none().then(BTreeMap::new);
    };
    let fields = section.fields(ctx);
    let mut overrides = BTreeMap::new();
    let mut ok = true;
    for (action, field) in &fields {
        match field.str(ctx) {
            Some(spec) if entry_ok(ctx, &section, &fields, action, spec) => {
                overrides.insert(action.clone(), spec.to_string());
            }
            _ => ok = false,
        }
    }
    // Conflicts between entries only make sense once every entry is well-formed on its own.
    (ok && combination_ok(ctx, &section, &fields, &overrides)).then_some(overrides)
}

/// Checks one entry alone: known action, parsable keys, not leaving a must-have action bare.
/// Clashes with default keys are left to [`combination_ok`]: another entry may rebind them.
fn entry_ok(
    ctx: &mut Ctx,
    section: &Section,
    fields: &[(String, Field)],
    action: &str,
    spec: &str,
) -> bool {
    let one = BTreeMap::from([(action.to_string(), spec.to_string())]);
    match Keymap::from_overrides(Mode::Operator, &one) {
        Err(
            e @ (KeymapError::UnknownAction { .. }
            | KeymapError::BadKey { .. }
            | KeymapError::Unreachable { .. }),
        ) => {
            report(ctx, section, fields, &e);
            false
        }
        _ => true,
    }
}

/// Checks all entries together in every mode. The keymap stops at its first error, so after
/// each conflict the blamed action is unbound in a working copy and the check runs again, to
/// list every conflict rather than one per run of `baton check-config`.
fn combination_ok(
    ctx: &mut Ctx,
    section: &Section,
    fields: &[(String, Field)],
    overrides: &BTreeMap<String, String>,
) -> bool {
    let mut work = overrides.clone();
    let mut seen: Vec<KeymapError> = Vec::new();
    // Each round unbinds one more entry, so this many rounds always suffice.
    for _ in 0..=overrides.len() {
        let Some(error) = MODES
            .iter()
            .find_map(|mode| Keymap::from_overrides(*mode, &work).err())
        else {
            break;
        };
        if seen.contains(&error) {
            break;
        }
        report(ctx, section, fields, &error);
        let blamed = blamed_entry(&error, overrides).map(str::to_string);
        seen.push(error);
        match blamed {
            Some(action) if can_unbind(&action) => {
                work.insert(action, String::new());
            }
            _ => break,
        }
    }
    seen.is_empty()
}

/// Whether `action` may be left without keys (quit, help and close may not).
fn can_unbind(action: &str) -> bool {
    let bare = BTreeMap::from([(action.to_string(), String::new())]);
    !matches!(
        Keymap::from_overrides(Mode::Operator, &bare),
        Err(KeymapError::Unreachable { .. })
    )
}

/// The entry of the file responsible for `error`, if it was written there: the action it
/// names, or for a clash with a default key, the entry that took that key.
fn blamed_entry<'e>(
    error: &'e KeymapError,
    overrides: &BTreeMap<String, String>,
) -> Option<&'e str> {
    let written = |name: &str| overrides.contains_key(name);
    match error {
        KeymapError::DuplicateKey { action, other, .. } => {
            if written(action) {
                Some(action)
            } else {
                written(other).then_some(other.as_str())
            }
        }
        KeymapError::UnknownAction { action, .. }
        | KeymapError::BadKey { action, .. }
        | KeymapError::Unreachable { action, .. }
        | KeymapError::MutatingOnNavigationKey { action, .. }
        | KeymapError::Reserved { action, .. } => written(action).then_some(action.as_str()),
    }
}

/// Reports `error` at the entry it blames, or at the `[keys]` table when no entry is to blame.
fn report(ctx: &mut Ctx, section: &Section, fields: &[(String, Field)], error: &KeymapError) {
    let written: BTreeMap<String, String> = fields
        .iter()
        .map(|(name, _)| (name.clone(), String::new()))
        .collect();
    let blamed = blamed_entry(error, &written);
    let message = message(error, blamed, &written);
    match blamed.and_then(|name| fields.iter().find(|(n, _)| n == name)) {
        Some((_, field)) => field.report(ctx, message),
        None => match error {
            KeymapError::DuplicateKey { action, .. } => section.missing(ctx, action, &message),
            _ => ctx.report(section.at, &section.path, None, message),
        },
    }
}

/// The problem text for `error` reported at entry `blamed` (`None`: at the table); `written`
/// holds the actions the file binds, to tell its keys from the defaults.
fn message(
    error: &KeymapError,
    blamed: Option<&str>,
    written: &BTreeMap<String, String>,
) -> String {
    match error {
        KeymapError::UnknownAction { action, valid } => {
            let names = Action::ALL.map(Action::name);
            match closest(action, &names) {
                Some(best) => format!("unknown action; did you mean `{best}`?"),
                None => format!("unknown action; expected one of: {valid}"),
            }
        }
        KeymapError::BadKey { key, reason, .. } => format!("invalid key `{key}`: {reason}"),
        KeymapError::Unreachable { action, .. } => {
            format!("leaves {action} without a key; it must always be reachable")
        }
        KeymapError::DuplicateKey { action, key, other } if action == other => {
            format!("key `{key}` is listed twice")
        }
        KeymapError::DuplicateKey { action, key, other } if blamed == Some(action.as_str()) => {
            if written.contains_key(other) {
                format!("key `{key}` is already bound to {other}")
            } else {
                format!("key `{key}` is already bound to {other} by default; rebind {other} too")
            }
        }
        KeymapError::DuplicateKey { action, key, .. } => {
            format!("key `{key}` is also {action}'s default key; rebind {action} too")
        }
        KeymapError::MutatingOnNavigationKey { key, .. } => {
            format!("`{key}` is a navigation key; a mutating action may not use it")
        }
        KeymapError::Reserved { key, .. } => format!("`{key}` is reserved: ctrl-c always quits"),
    }
}
