//! `azure.budget_share`: the share of each Azure read budget the periodic inventory may use.
//! Defaults to 50; outside 5..=90 (or not an integer) `check-config` refuses it with exit 2,
//! naming the file, line, key and value's range.

use baton::config;
use std::path::Path;
use std::process::Command;

const BATON: &str = env!("CARGO_BIN_EXE_baton");

fn config_text(azure: &str) -> String {
    format!(
        "[azure]\nsubscription_id = \"00000000-0000-0000-0000-000000000000\"\n\
         resource_group = \"rg\"\n{azure}\n\
         [[roles]]\nname = \"web\"\nvms = [\"web-a\", \"web-b\"]\nstart_command = \"start\"\n\
         stop_command = \"stop\"\nendpoint = {{ load_balancer = \"lb\", nat_rule = \"web\" }}\n\
         probes = {{ vm = \"tcp://{{vm}}:22\", service = \"tcp://{{vm}}:80\" }}\n"
    )
}

#[test]
fn the_share_defaults_to_half_and_takes_a_value_in_range() {
    let path = Path::new("baton.toml");
    let default = config::parse_str(&config_text(""), path).unwrap();
    assert_eq!(default.azure.budget_share_percent, 50);
    let set = config::parse_str(&config_text("budget_share = 30"), path).unwrap();
    assert_eq!(set.azure.budget_share_percent, 30);
}

#[test]
fn check_config_refuses_a_share_out_of_range_with_file_line_and_key() {
    for bad in [
        "budget_share = 4",
        "budget_share = 91",
        "budget_share = \"50%\"",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, config_text(bad)).unwrap();
        let out = Command::new(BATON)
            .arg("check-config")
            .arg(&path)
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.status.code(), Some(2), "{bad}: {text}");
        assert!(text.contains("config.toml:4"), "{bad}: {text}");
        assert!(text.contains("budget_share"), "{bad}: {text}");
        if !bad.contains('%') {
            assert!(text.contains("between 5 and 90"), "{bad}: {text}");
        }
    }
}
