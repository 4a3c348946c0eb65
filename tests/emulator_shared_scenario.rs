//! `scenarios/shared.toml` and the scenario rules for shared disks: a disk with `max_shares`
//! above 1 starts on every VM of its role, and a `max_shares` that cannot hold them (or is
//! below 1) is refused naming file, line, key and value.

use baton::emulator::{EmulatorError, Scenario};
use std::path::Path;

#[test]
fn the_shared_scenario_has_an_all_shared_a_moving_and_a_mixed_role() {
    let s = Scenario::from_file(Path::new("scenarios/shared.toml")).expect("shared.toml parses");
    let shares = |role: &str| -> Vec<i32> {
        s.roles
            .iter()
            .find(|r| r.name == role)
            .map(|r| r.disks.iter().map(|d| d.max_shares).collect())
            .unwrap_or_default()
    };
    assert_eq!(shares("sql"), [2, 3]);
    assert_eq!(shares("web"), [1]);
    assert_eq!(shares("files"), [2, 1]);
}

fn role_with(disks: &str) -> String {
    format!(
        r#"subscription_id = "s"
resource_groups = ["rg"]

[[load_balancers]]
name = "lb"
resource_group = "rg"
nat_rules = [{{ name = "r", frontend_port = 1, backend_port = 2 }}]

[[roles]]
name = "x"
resource_group = "rg"
vms = ["x-a", "x-b", "x-c"]
disks = {disks}
start_command = "a"
stop_command = "b"
endpoint = {{ load_balancer = "lb", nat_rule = "r" }}
"#
    )
}

fn error_of(text: &str) -> String {
    match Scenario::from_toml_str(text, "bad.toml") {
        Err(e @ EmulatorError::Scenario { .. }) => e.to_string(),
        other => panic!("expected a scenario error, got {other:?}"),
    }
}

#[test]
fn max_shares_must_hold_every_vm_of_the_role_and_be_at_least_one() {
    let too_few = error_of(&role_with(r#"[{ name = "q", lun = 0, max_shares = 2 }]"#));
    assert!(
        too_few.starts_with("bad.toml:13: roles[0].disks[0].max_shares"),
        "{too_few}"
    );
    assert!(
        too_few.contains("max_shares = 2: a shared disk starts on every VM of the role (3)"),
        "{too_few}"
    );
    let zero = error_of(&role_with(r#"[{ name = "q", lun = 0, max_shares = 0 }]"#));
    assert!(
        zero.contains("max_shares = 0: must be at least 1"),
        "{zero}"
    );
    let fine = Scenario::from_toml_str(
        &role_with(r#"[{ name = "q", lun = 0, max_shares = 3 }]"#),
        "ok.toml",
    );
    assert!(fine.is_ok(), "{fine:?}");
}
