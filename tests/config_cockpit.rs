//! The cockpit settings: `[ui]` and `[keys]`. Defaults when absent, values when present, and
//! every bad value reported at its exact `line:column` with key, value and message — `[keys]`
//! problems coming from the cockpit's own keymap validation.

use baton::config::{self, ConfigErrors, UiConfig};
use baton::ui::{Action, Keymap, Mode};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::collections::BTreeMap;
use std::path::Path;

mod config_support;
use config_support::problems;

/// A valid config with `tail` appended.
fn with(tail: &str) -> String {
    with_top("", tail)
}

/// A valid config after `top` (top-level keys, which TOML wants before any table) and before
/// `tail`; with an empty `top`, `tail` starts on line 13.
fn with_top(top: &str, tail: &str) -> String {
    format!(
        r#"{top}
[azure]
subscription_id = "11111111-2222-3333-4444-555555555555"
resource_group = "rg"

[[roles]]
name = "app"
vms = ["app-1", "app-2"]
start_command = "start"
stop_command = "stop"
endpoint = {{ load_balancer = "lb", backend_pool = "pool" }}
probes = {{ vm = "tcp://{{vm}}:22", service = "http://{{vm}}/health" }}
{tail}"#
    )
}

fn parse(text: &str) -> Result<config::Config, ConfigErrors> {
    config::parse_str(text, Path::new("c.toml"))
}

fn press(keymap: &Keymap, code: KeyCode, modifiers: KeyModifiers) -> Option<Action> {
    keymap.resolve(&KeyEvent::new(code, modifiers))
}

#[test]
fn absent_tables_give_the_defaults() {
    let config = parse(&with("")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.ui, UiConfig::default());
    assert!(!config.ui.read_only);
    assert_eq!(config.ui.theme, "default");
    assert_eq!(config.ui.environment, "");
    assert!(config.keys.is_empty());
}

#[test]
fn empty_tables_give_the_defaults_too() {
    let config = parse(&with("[ui]\n[keys]\n")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.ui, UiConfig::default());
    assert!(config.keys.is_empty());
}

#[test]
fn ui_values_are_read_in_any_table_form() {
    let text = with_top(
        r#"ui = { read_only = true, theme = "my_theme-2", environment = "prod-westeurope" }"#,
        "",
    );
    let config = parse(&text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        config.ui,
        UiConfig {
            read_only: true,
            theme: "my_theme-2".into(),
            environment: "prod-westeurope".into(),
        }
    );
}

#[test]
fn key_overrides_are_kept_as_written_and_drive_the_keymap() {
    // Swapping two actions' keys is valid although each entry alone clashes with a default.
    let text = with("[keys]\nup = \"j\"\ndown = \"k, ctrl-n\"\nquit = \"ctrl-q\"\n");
    let config = parse(&text).unwrap_or_else(|e| panic!("{e}"));
    let expected: BTreeMap<String, String> =
        [("up", "j"), ("down", "k, ctrl-n"), ("quit", "ctrl-q")]
            .map(|(a, k)| (a.to_string(), k.to_string()))
            .into_iter()
            .collect();
    assert_eq!(config.keys, expected);
    let keymap =
        Keymap::from_overrides(Mode::Operator, &config.keys).unwrap_or_else(|e| panic!("{e}"));
    let none = KeyModifiers::NONE;
    assert_eq!(press(&keymap, KeyCode::Char('j'), none), Some(Action::Up));
    assert_eq!(press(&keymap, KeyCode::Char('k'), none), Some(Action::Down));
    assert_eq!(
        press(&keymap, KeyCode::Char('n'), KeyModifiers::CONTROL),
        Some(Action::Down)
    );
    assert_eq!(
        press(&keymap, KeyCode::Char('q'), KeyModifiers::CONTROL),
        Some(Action::Quit)
    );
    assert_eq!(press(&keymap, KeyCode::Char('q'), none), None);
}

#[test]
fn ui_and_keys_must_be_tables() {
    let err = parse(&with_top("ui = true\nkeys = \"vim\"", "")).expect_err("not tables");
    let got: Vec<String> = err.problems().iter().map(|p| p.to_string()).collect();
    assert_eq!(
        got,
        [
            "c.toml:1:6: ui = true: expected a table, found a boolean",
            "c.toml:2:8: keys = \"vim\": expected a table, found a string",
        ]
    );
}

#[test]
fn cockpit_problems_are_reported_with_the_rest() {
    let text = with("[ui]\nread_only = 1\n[keys]\nhelp = \"\"\n").replace("\"rg\"", "\"\"");
    let err = parse(&text).expect_err("three problems");
    let got: Vec<String> = err.problems().iter().map(|p| p.to_string()).collect();
    assert_eq!(
        got,
        [
            "c.toml:4:18: azure.resource_group = \"\": must not be empty",
            "c.toml:14:13: ui.read_only = 1: expected a boolean, found an integer",
            "c.toml:16:8: keys.help = \"\": leaves help without a key; it must always be reachable",
        ]
    );
}

#[test]
fn every_bad_cockpit_fixture_reports_exactly_its_problems() {
    let theme_help = "not a theme name: use a built-in (default, light, high-contrast, mono) or \
                      NAME of $XDG_CONFIG_HOME/baton/themes/NAME.toml (letters, digits, `-`, `_`)";
    let cases: &[(&str, &[&str])] = &[
        (
            "ui_unknown_key.toml",
            &[
                "14:1: ui.readonly = true: unknown key; did you mean `read_only`?",
                "16:1: ui.refresh_interval = \"5s\": unknown key; expected one of: read_only, theme, environment",
            ],
        ),
        (
            "ui_wrong_type.toml",
            &["14:13: ui.read_only = \"yes\": expected a boolean, found a string"],
        ),
        (
            "ui_empty_theme.toml",
            &["14:9: ui.theme = \"\": must not be empty"],
        ),
        (
            "ui_bad_theme_environment.toml",
            &[
                &format!("14:9: ui.theme = \"../themes/evil\": {theme_help}"),
                "15:15: ui.environment = \"prod\\nwest\": must be a single line without control characters",
            ],
        ),
        (
            "keys_unknown_action.toml",
            &[
                "14:8: keys.qiut = \"x\": unknown action; did you mean `quit`?",
                "15:15: keys.select_down = \"j, down\": unknown action; expected one of: up, down, \
                 first, last, next_pane, prev_pane, refresh, help, close, quit, chaos_kill, \
                 chaos_hang, chaos_heal, failover, switchover, abort, drill, history, export_timeline, unlock",
            ],
        ),
        (
            "keys_bad_spec.toml",
            &[
                "14:11: keys.refresh = \"r, F13\": invalid key `F13`: unknown key name `F13`",
                "15:6: keys.up = [\"k\"]: expected a string, found an array",
                "16:8: keys.help = \"ctrl-\": invalid key `ctrl-`: unknown key name `ctrl-`",
            ],
        ),
        (
            "keys_bound_twice.toml",
            &[
                "14:9: keys.first = \"j\": key `j` is already bound to down by default; rebind down too",
                "15:11: keys.refresh = \"q\": key `q` is also quit's default key; rebind quit too",
                "17:14: keys.chaos_heal = \"x, y\": key `x` is already bound to chaos_hang",
                "18:8: keys.last = \"G, end, G\": key `G` is listed twice",
            ],
        ),
        (
            "keys_quit_unbound.toml",
            &["14:8: keys.quit = \"\": leaves quit without a key; it must always be reachable"],
        ),
        (
            "keys_reserved.toml",
            &[
                "14:14: keys.chaos_kill = \"j\": `j` is a navigation key; a mutating action may not use it",
                "15:11: keys.refresh = \"ctrl-c\": `ctrl-c` is reserved: ctrl-c always quits",
            ],
        ),
    ];
    let mut failures = Vec::new();
    for (name, expected) in cases {
        let got = problems(name);
        if got != *expected {
            failures.push(format!(
                "{name}:\n  got:\n    {}\n  expected:\n    {}",
                got.join("\n    "),
                expected.join("\n    ")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
