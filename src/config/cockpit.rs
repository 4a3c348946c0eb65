//! Reads the `[ui]` table (read-only start, theme, environment label) into [`UiConfig`],
//! reporting every problem through [`Ctx`]. Checks shapes only: whether a theme file exists is
//! `ui::Theme::load`'s business at startup, because it depends on the environment.

use super::build::optional_section;
use super::reader::{Ctx, Field, Section};
use super::types::UiConfig;
use crate::ui::Theme;

const UI_KEYS: [&str; 3] = ["read_only", "theme", "environment"];

/// `[ui]`, all keys defaulted.
pub(crate) fn ui(ctx: &mut Ctx, root: &Section) -> Option<UiConfig> {
    let defaults = UiConfig::default();
    let Some(section) = optional_section(ctx, root, "ui") else {
        // Absent, or not a table (already reported).
        return root.get(ctx, "ui").is_none().then_some(defaults);
    };
    section.deny_unknown(ctx, &UI_KEYS);
    let read_only = match section.get(ctx, "read_only") {
        Some(field) => field.bool(ctx),
        None => Some(defaults.read_only),
    };
    let theme = match section.get(ctx, "theme") {
        Some(field) => theme(ctx, &field),
        None => Some(defaults.theme),
    };
    let environment = match section.get(ctx, "environment") {
        Some(field) => environment(ctx, &field),
        None => Some(defaults.environment),
    };
    Some(UiConfig {
        read_only: read_only?,
        theme: theme?,
        environment: environment?,
    })
}

/// A theme name: non-empty, and plain (letters, digits, `-`, `_`) because `Theme::load` only
/// looks for `NAME.toml` files under such names, so any other could never resolve.
fn theme(ctx: &mut Ctx, field: &Field) -> Option<String> {
    let name = field.non_empty_str(ctx)?;
    let plain = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if plain {
        return Some(name.to_string());
    }
    let message = format!(
        "not a theme name: use a built-in ({}) or NAME of $XDG_CONFIG_HOME/baton/themes/NAME.toml \
         (letters, digits, `-`, `_`)",
        Theme::builtin_names().join(", ")
    );
    field.report(ctx, message);
    None
}

/// The header label: any single line; control characters would corrupt the header.
fn environment(ctx: &mut Ctx, field: &Field) -> Option<String> {
    let text = field.str(ctx)?;
    if text.chars().any(char::is_control) {
        field.report(ctx, "must be a single line without control characters");
        return None;
    }
    Some(text.to_string())
}
