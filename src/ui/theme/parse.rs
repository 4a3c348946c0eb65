//! Parsing theme files: slot tables, colours and attributes, with errors that name the file,
//! the key path and the value.
//!
//! Must not choose which file to read (that is `Theme::load`).

use super::ThemeError;
use ratatui::style::{Color, Modifier, Style};
use std::path::Path;
use std::str::FromStr;

pub(super) fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

pub(super) fn valid_names(override_dir: Option<&Path>) -> Vec<String> {
    let mut names: Vec<String> = super::BUILTIN.iter().map(|(n, _)| n.to_string()).collect();
    if let Some(entries) = override_dir.and_then(|d| std::fs::read_dir(d).ok()) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "toml") {
                if let Some(stem) = path.file_stem().and_then(|s| s.to_str()) {
                    if !names.iter().any(|n| n == stem) {
                        names.push(stem.to_string());
                    }
                }
            }
        }
    }
    names.sort();
    names
}

const ATTRS: &str = "fg, bg, bold, dim, italic, underline, reversed";

pub(super) fn parse_style(file: &str, key: &str, value: &toml::Value) -> Result<Style, ThemeError> {
    match value {
        toml::Value::String(s) => Ok(Style::default().fg(parse_color(file, key, s)?)),
        toml::Value::Table(t) => {
            let mut style = Style::default();
            for (attr, v) in t {
                let path = format!("{key}.{attr}");
                style = apply_attr(file, &path, attr, v, style)?;
            }
            Ok(style)
        }
        other => Err(ThemeError::BadValue {
            file: file.to_string(),
            key: key.to_string(),
            value: other.to_string(),
            reason: format!("expected a colour string or a table of {ATTRS}"),
        }),
    }
}

fn apply_attr(
    file: &str,
    path: &str,
    attr: &str,
    v: &toml::Value,
    style: Style,
) -> Result<Style, ThemeError> {
    let bad = |reason: &str| ThemeError::BadValue {
        file: file.to_string(),
        key: path.to_string(),
        value: v.to_string(),
        reason: reason.to_string(),
    };
    if attr == "fg" || attr == "bg" {
        let s = v.as_str().ok_or_else(|| bad("expected a colour string"))?;
        let c = parse_color(file, path, s)?;
        return Ok(if attr == "fg" {
            style.fg(c)
        } else {
            style.bg(c)
        });
    }
    let modifier = match attr {
        "bold" => Modifier::BOLD,
        "dim" => Modifier::DIM,
        "italic" => Modifier::ITALIC,
        "underline" => Modifier::UNDERLINED,
        "reversed" => Modifier::REVERSED,
        _ => {
            return Err(ThemeError::UnknownKey {
                file: file.to_string(),
                key: path.to_string(),
                valid: ATTRS.to_string(),
            })
        }
    };
    match v.as_bool() {
        Some(true) => Ok(style.add_modifier(modifier)),
        Some(false) => Ok(style),
        None => Err(bad("expected true or false")),
    }
}

fn parse_color(file: &str, key: &str, s: &str) -> Result<Color, ThemeError> {
    Color::from_str(s).map_err(|_| ThemeError::BadValue {
        file: file.to_string(),
        key: key.to_string(),
        value: format!("\"{s}\""),
        reason: "expected a colour name (red, darkgray…), \"#rrggbb\", a 0-255 index or \"reset\""
            .to_string(),
    })
}
