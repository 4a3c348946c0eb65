//! `disks = [{ name, lun, shared = true }]`: a shared disk is read as such, absent `shared`
//! means a disk that moves, and a `shared` that is not a boolean is an error naming
//! file:line:column, key and value.

use baton::config;
use std::path::Path;

fn role_with_disks(disks: &str) -> String {
    format!(
        r#"
azure.subscription_id = "00000000-0000-0000-0000-000000000000"
azure.resource_group = "rg"

[[roles]]
name = "db"
vms = ["db-a", "db-b"]
disks = {disks}
start_command = "start"
stop_command = "stop"
endpoint = {{ load_balancer = "lb", nat_rule = "db" }}
probes = {{ vm = "tcp://{{vm}}:22", service = "tcp://{{vm}}:80" }}
"#
    )
}

#[test]
fn a_disk_marked_shared_is_read_as_shared_and_the_others_move() {
    let text = role_with_disks(
        r#"[{ name = "db-quorum", lun = 0, shared = true }, { name = "db-data", lun = 1 }, { name = "db-log", lun = 2, shared = false }]"#,
    );
    let cfg = config::parse_str(&text, Path::new("x.toml")).expect("valid config");
    let spec = &cfg.roles[0].spec;
    let shared: Vec<(&str, bool)> = spec
        .disks
        .iter()
        .map(|d| (d.name.as_str(), d.shared))
        .collect();
    assert_eq!(
        shared,
        [("db-quorum", true), ("db-data", false), ("db-log", false)]
    );
    let moving: Vec<&str> = spec.moving_disks().map(|d| d.name.as_str()).collect();
    assert_eq!(moving, ["db-data", "db-log"]);
    assert!(spec.has_shared_disks());
}

#[test]
fn a_shared_flag_that_is_not_a_boolean_names_file_line_key_and_value() {
    let text = role_with_disks(r#"[{ name = "db-quorum", lun = 0, shared = "yes" }]"#);
    let err = config::parse_str(&text, Path::new("x.toml")).expect_err("bad shared");
    let got: Vec<String> = err.problems().iter().map(ToString::to_string).collect();
    assert_eq!(
        got,
        ["x.toml:8:50: roles[0].disks[0].shared = \"yes\": expected a boolean, found a string"]
    );
}
