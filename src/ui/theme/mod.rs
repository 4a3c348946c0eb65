//! Themes: semantic style slots (never per-widget colours), the four built-in themes compiled
//! in, user overrides from `$XDG_CONFIG_HOME/baton/themes/NAME.toml`, and `NO_COLOR`.
//!
//! Owns parsing and validation (errors name file, key and value). It must not read the process
//! environment except in [`ThemeEnv::from_process`], so every rule is testable with injected
//! values, and it must not decide what a slot is used for (that is the renderer's business).

use ratatui::style::{Modifier, Style};
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::str::FromStr;

mod parse;
use parse::{is_plain_name, parse_style, valid_names};

/// The built-in themes: name and TOML source.
const BUILTIN: [(&str, &str); 4] = [
    ("default", include_str!("../../../themes/default.toml")),
    ("light", include_str!("../../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../../themes/high-contrast.toml"),
    ),
    ("mono", include_str!("../../../themes/mono.toml")),
];

/// A resolved theme: one style per semantic slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Theme {
    /// The theme's name (file stem).
    pub name: String,
    /// Ordinary text.
    pub text: Style,
    /// Secondary text: labels, ages, a standby's stopped service.
    pub muted: Style,
    /// Pane borders.
    pub border: Style,
    /// The focused pane's border and title.
    pub focus: Style,
    /// The selected row.
    pub selection: Style,
    /// The header bar.
    pub header: Style,
    /// Healthy things.
    pub ok: Style,
    /// Degraded things, warnings.
    pub warn: Style,
    /// Dead heartbeats, violations, MASTER DOWN, SPLIT.
    pub critical: Style,
    /// Not known yet.
    pub unknown: Style,
    /// The master's marker.
    pub leader: Style,
    /// Destructive controls (chaos keys, later failover confirmation).
    pub danger: Style,
    /// An operation or drill in progress.
    pub drill: Style,
    /// The alarm and stale-data banners.
    pub banner: Style,
}

/// Slot names as written in theme files, in [`Theme`] field order.
pub const SLOTS: [&str; 14] = [
    "text",
    "muted",
    "border",
    "focus",
    "selection",
    "header",
    "ok",
    "warn",
    "critical",
    "unknown",
    "leader",
    "danger",
    "drill",
    "banner",
];

/// Why a theme could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ThemeError {
    /// No built-in theme and no override file has this name.
    #[error("unknown theme `{name}`; valid themes: {valid}")]
    UnknownTheme {
        /// The name asked for.
        name: String,
        /// Every valid name, comma-separated.
        valid: String,
    },
    /// The override file exists but cannot be read.
    #[error("{file}: cannot read theme: {source}")]
    Io {
        /// The file.
        file: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid TOML.
    #[error("{file}: invalid TOML: {message}")]
    Syntax {
        /// The file.
        file: String,
        /// The parser's message (with line and column).
        message: String,
    },
    /// A key that is not a slot or a style attribute.
    #[error("{file}: unknown key `{key}` (slots: {valid})")]
    UnknownKey {
        /// The file.
        file: String,
        /// The key path (`criticl`, `ok.blink`).
        key: String,
        /// What is allowed there.
        valid: String,
    },
    /// A value that does not parse.
    #[error("{file}: `{key}` = {value}: {reason}")]
    BadValue {
        /// The file.
        file: String,
        /// The key path (`critical.fg`).
        key: String,
        /// The value as written.
        value: String,
        /// What was expected.
        reason: String,
    },
    /// A slot the file does not define.
    #[error("{file}: missing slot `{key}`")]
    Missing {
        /// The file.
        file: String,
        /// The slot.
        key: String,
    },
}

/// The environment facts theme selection depends on, read once and injectable for tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ThemeEnv {
    /// `$XDG_CONFIG_HOME`, when set and non-empty.
    pub xdg_config_home: Option<PathBuf>,
    /// `$HOME`, for the `~/.config` fallback.
    pub home: Option<PathBuf>,
    /// `$NO_COLOR` was set to a non-empty value.
    pub no_color: bool,
}

impl ThemeEnv {
    /// Reads `XDG_CONFIG_HOME`, `HOME` and `NO_COLOR` from the process.
    pub fn from_process() -> ThemeEnv {
        ThemeEnv::from_vars(
            std::env::var_os("XDG_CONFIG_HOME").as_deref(),
            std::env::var_os("HOME").as_deref(),
            std::env::var_os("NO_COLOR").as_deref(),
        )
    }

    /// Builds the facts from raw variable values (`None` = unset).
    pub fn from_vars(
        xdg_config_home: Option<&OsStr>,
        home: Option<&OsStr>,
        no_color: Option<&OsStr>,
    ) -> ThemeEnv {
        let non_empty = |v: Option<&OsStr>| v.filter(|s| !s.is_empty()).map(PathBuf::from);
        ThemeEnv {
            xdg_config_home: non_empty(xdg_config_home),
            home: non_empty(home),
            no_color: no_color.is_some_and(|v| !v.is_empty()),
        }
    }

    /// Where user themes live: `$XDG_CONFIG_HOME/baton/themes`, else `~/.config/baton/themes`.
    pub fn override_dir(&self) -> Option<PathBuf> {
        let base = match (&self.xdg_config_home, &self.home) {
            (Some(xdg), _) => xdg.clone(),
            (None, Some(home)) => home.join(".config"),
            (None, None) => return None,
        };
        Some(base.join("baton").join("themes"))
    }
}

impl Theme {
    /// Loads theme `name`: an override file `override_dir/NAME.toml` wins over the built-in of
    /// that name. `no_color` selects `mono` whatever `name` says.
    pub fn load(
        name: &str,
        override_dir: Option<&Path>,
        no_color: bool,
    ) -> Result<Theme, ThemeError> {
        let name = if no_color { "mono" } else { name };
        if let Some(dir) = override_dir {
            let file = dir.join(format!("{name}.toml"));
            if is_plain_name(name) && file.is_file() {
                let shown = file.display().to_string();
                let src = std::fs::read_to_string(&file).map_err(|source| ThemeError::Io {
                    file: shown.clone(),
                    source,
                })?;
                return Theme::parse(name, &shown, &src);
            }
        }
        match BUILTIN.iter().find(|(n, _)| *n == name) {
            Some((n, src)) => Theme::parse(n, &format!("themes/{n}.toml (built-in)"), src),
            None => Err(ThemeError::UnknownTheme {
                name: name.to_string(),
                valid: valid_names(override_dir).join(", "),
            }),
        }
    }

    /// Loads theme `name` using the given environment facts.
    pub fn load_with_env(name: &str, env: &ThemeEnv) -> Result<Theme, ThemeError> {
        Theme::load(name, env.override_dir().as_deref(), env.no_color)
    }

    /// The built-in default theme. Infallible: a broken built-in fails the test suite, and
    /// this falls back to plain terminal styles rather than panicking.
    pub fn builtin_default() -> Theme {
        Theme::load("default", None, false).unwrap_or_else(|_| Theme::plain("default"))
    }

    /// Names of the built-in themes.
    pub fn builtin_names() -> [&'static str; 4] {
        BUILTIN.map(|(n, _)| n)
    }

    /// Parses a theme file; `file` is only used in error messages.
    pub fn parse(name: &str, file: &str, src: &str) -> Result<Theme, ThemeError> {
        let table = toml::Table::from_str(src).map_err(|e| ThemeError::Syntax {
            file: file.to_string(),
            message: e.to_string().trim().replace('\n', " "),
        })?;
        let mut styles: [Option<Style>; 14] = [None; 14];
        for (key, value) in &table {
            let idx =
                SLOTS
                    .iter()
                    .position(|s| s == key)
                    .ok_or_else(|| ThemeError::UnknownKey {
                        file: file.to_string(),
                        key: key.clone(),
                        valid: SLOTS.join(", "),
                    })?;
            styles[idx] = Some(parse_style(file, key, value)?);
        }
        let mut out = [Style::default(); 14];
        for (i, style) in styles.iter().enumerate() {
            out[i] = style.ok_or_else(|| ThemeError::Missing {
                file: file.to_string(),
                key: SLOTS[i].to_string(),
            })?;
        }
        Ok(Theme::from_slots(name, out))
    }

    fn from_slots(name: &str, s: [Style; 14]) -> Theme {
        let [text, muted, border, focus, selection, header, ok, warn, critical, unknown, leader, danger, drill, banner] =
            s;
        Theme {
            name: name.to_string(),
            text,
            muted,
            border,
            focus,
            selection,
            header,
            ok,
            warn,
            critical,
            unknown,
            leader,
            danger,
            drill,
            banner,
        }
    }

    fn plain(name: &str) -> Theme {
        let mut slots = [Style::default(); 14];
        slots[4] = Style::default().add_modifier(Modifier::REVERSED);
        Theme::from_slots(name, slots)
    }
}
