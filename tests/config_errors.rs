//! Bad config files: every problem is reported, each with its exact `line:column`, dotted key,
//! value as written and message. Fixtures live in `tests/fixtures/config/`.

use baton::config::{self, ConfigErrors, ConfigProblem};
use std::path::Path;

mod config_support;
use config_support::{fixture, problems};

const DURATION_HELP: &str =
    "expected a whole number with a unit (ms, s, m, h), e.g. \"500ms\", \"2s\", \"5m\", \"1m30s\"";

#[test]
fn every_bad_fixture_reports_exactly_its_problems() {
    let cases: &[(&str, &[&str])] = &[
        (
            "syntax_error.toml",
            &["3:18: TOML syntax error: invalid string; expected `\"`, `'`"],
        ),
        (
            "unknown_keys.toml",
            &[
                "1:1: colour = \"blue\": unknown key; expected one of: azure, heartbeat, failover, roles, ui, keys, coordination",
                "6:1: azure.refresh-interval = \"30s\": unknown key; did you mean `refresh_interval`?",
                "9:1: heartbeat.intervall = \"2s\": unknown key; did you mean `interval`?",
                "12:1: failover.timeouts.isolation = \"1m\": unknown key; did you mean `isolate`?",
                "17:40: roles[0].disks[0].size = 128: unknown key; expected one of: name, lun, shared",
                "24:1: roles[0].endpoint.natrule = \"web-app\": unknown key; did you mean `nat_rule`?",
                "29:1: roles[0].probes.servce = \"http://{vm}:8080/\": unknown key; did you mean `service`?",
            ],
        ),
        (
            "missing_keys.toml",
            &[
                "1:1: azure.subscription_id: missing required key",
                "4:1: roles[0].name: missing required key",
                "4:1: roles[0].start_command: missing required key",
                "8:1: roles[0].endpoint.load_balancer: missing required key",
                "11:1: roles[0].probes.service: missing required key",
            ],
        ),
        (
            "wrong_types.toml",
            &[
                "4:20: azure.refresh_interval = 15: expected a string, found an integer",
                "7:14: heartbeat.fail_after = \"3\": expected an integer, found a string",
                "11:7: roles[0].vms = \"web-a\": expected an array, found a string",
                "12:37: roles[0].disks[0].lun = \"0\": expected an integer, found a string",
                "13:17: roles[0].start_command = [\"start\"]: expected a string, found an array",
                "15:12: roles[0].endpoint = \"lb/web-app\": expected a table, found a string",
            ],
        ),
        (
            "bad_durations.toml",
            &[
                &format!("6:12: heartbeat.interval = \"1.5s\": fractions are not supported, use a smaller unit (\"1500ms\"); {DURATION_HELP}"),
                &format!("7:11: heartbeat.timeout = \"500\": missing unit; {DURATION_HELP}"),
                "10:14: failover.rto_target = \"0s\": out of range: must be between 10s and 24h",
                &format!("13:11: failover.timeouts.isolate = \"2 minutes\": unknown unit `minutes`; {DURATION_HELP}"),
                &format!("14:11: failover.timeouts.release = \"10d\": unknown unit `d`; {DURATION_HELP}"),
            ],
        ),
        (
            "duplicate_role.toml",
            &["14:8: roles[1].name = \"WEB\": duplicate role name (also roles[0].name)"],
        ),
        (
            "shared_vm_disk_endpoint.toml",
            &[
                "16:16: roles[1].vms[1] = \"Web-A\": VM `Web-A` is in both role `web` (roles[0].vms[0]) and role `db`; a VM belongs to one role only",
                "17:19: roles[1].disks[0].name = \"SHARED-DATA\": disk `SHARED-DATA` is in both role `web` (roles[0].disks[0].name) and role `db`; a disk belongs to one role only",
                "20:47: roles[1].endpoint.nat_rule = \"App\": endpoint LB/App is also the endpoint of role `web`; each role needs its own",
            ],
        ),
        (
            "role_vms_disks.toml",
            &[
                "7:7: roles[0].vms = [\"solo-a\"]: a role needs at least two VMs, found 1",
                "15:26: roles[1].vms[2] = \"WEB-a\": duplicate VM in this role (also roles[1].vms[0])",
                "18:29: roles[1].disks[1].lun = 0: LUN 0 is already used by disk `web-data` in this role",
                "19:12: roles[1].disks[2].name = \"Web-Data\": duplicate disk in this role (also roles[1].disks[0].name)",
                "20:29: roles[1].disks[3].lun = 64: must be between 0 and 63",
            ],
        ),
        (
            "bad_probes.toml",
            &[
                "12:6: roles[0].probes.vm = \"https://{vm}/\": scheme must be http:// or tcp://",
                "13:11: roles[0].probes.service = \"tcp://{vm}.internal\": a tcp:// probe needs a port (tcp://host:port)",
                "22:6: roles[1].probes.vm = \"tcp://{host}:22\": unknown placeholder `{host}`; only {vm} and {role} are replaced",
                "23:11: roles[1].probes.service = \"http://{vm}:{role}/\": not a valid URL after substituting {vm} = \"db-a\", {role} = \"db\": invalid port number",
            ],
        ),
        (
            "bad_endpoints.toml",
            &[
                "15:16: roles[0].endpoint.backend_pool = \"web-pool\": set exactly one of nat_rule or backend_pool, not both",
                "20:17: roles[1].start_command = \" \": must not be empty",
                "21:16: roles[1].stop_command = \"\": must not be empty",
                "24:1: roles[1].endpoint: missing nat_rule or backend_pool (set exactly one)",
            ],
        ),
        (
            "bad_azure.toml",
            &[
                "2:19: azure.subscription_id = \"not-a-guid\": not a subscription id: expected a GUID like 00000000-0000-0000-0000-000000000000",
                "3:12: azure.endpoint = \"management.azure.com\": not a valid URL: relative URL without a base",
                "4:14: azure.credential = \"managed_identity\": unknown credential; did you mean `managed-identity`?",
                "7:1: roles[0].resource_group: missing: set it in this role or set azure.resource_group",
            ],
        ),
        (
            "static_token_missing.toml",
            &["1:1: azure.static_token: missing: required with credential = \"static-token\""],
        ),
        (
            "static_token_unexpected.toml",
            &["4:16: azure.static_token = \"<redacted>\": only allowed with credential = \"static-token\""],
        ),
        (
            "bad_heartbeat.toml",
            &[
                "7:11: heartbeat.timeout = \"1s\": must be shorter than heartbeat.interval (1s)",
                "8:14: heartbeat.fail_after = 0: must be between 1 and 100",
                "9:17: heartbeat.recover_after = -2: must be between 1 and 100",
            ],
        ),
        (
            "heartbeat_default_timeout.toml",
            &["6:12: heartbeat.interval = \"500ms\": must be longer than heartbeat.timeout (800ms, the default)"],
        ),
        (
            "no_resource_group.toml",
            &["4:1: roles[0].resource_group: missing: set it in this role or set azure.resource_group"],
        ),
        (
            "no_roles.toml",
            &["1:1: roles: missing: at least one [[roles]] table is required"],
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

#[test]
fn one_file_with_many_problems_reports_them_all_in_order() {
    let got = problems("many_problems.toml");
    assert_eq!(
        got,
        [
            "1:1: azure.static_token: missing: required with credential = \"static-token\"",
            "2:19: azure.subscription_id = \"1234\": not a subscription id: expected a GUID like 00000000-0000-0000-0000-000000000000",
            "8:11: heartbeat.timeout = \"2s\": must be shorter than heartbeat.interval (1s)",
            "9:17: heartbeat.recover_after = 0: must be between 1 and 100",
            "12:1: failover.rto = \"5m\": unknown key; did you mean `rto_target`?",
            "16:7: roles[0].vms = [\"web-a\"]: a role needs at least two VMs, found 1",
            "17:68: roles[0].disks[1].lun = 0: LUN 0 is already used by disk `web-data` in this role",
            "18:17: roles[0].start_command = \"\": must not be empty",
            "20:12: roles[0].endpoint: missing nat_rule or backend_pool (set exactly one)",
            "21:17: roles[0].probes.vm = \"ftp://{vm}\": scheme must be http:// or tcp://",
            "25:16: roles[1].vms[1] = \"web-a\": VM `web-a` is in both role `web` (roles[0].vms[0]) and role `db`; a VM belongs to one role only",
        ]
    );
}

#[test]
fn problems_render_one_per_line_with_the_file_name() {
    let path = fixture("duplicate_role.toml");
    let errors = config::check_config(&path).expect_err("duplicate role");
    assert_eq!(
        errors.to_string(),
        format!(
            "{}:14:8: roles[1].name = \"WEB\": duplicate role name (also roles[0].name)",
            path.display()
        )
    );
    let many = config::check_config(&fixture("many_problems.toml")).expect_err("many");
    assert_eq!(many.to_string().lines().count(), many.problems().len());
    assert_eq!(many.problems().len(), 11);
}

#[test]
fn problem_without_value_or_key_renders_compactly() {
    let problem = ConfigProblem {
        file: "c.toml".into(),
        line: 3,
        column: 1,
        key: "roles[0].name".into(),
        value: None,
        message: "missing required key".into(),
    };
    assert_eq!(
        problem.to_string(),
        "c.toml:3:1: roles[0].name: missing required key"
    );
    let syntax = ConfigProblem {
        key: String::new(),
        message: "TOML syntax error: x".into(),
        ..problem
    };
    assert_eq!(syntax.to_string(), "c.toml:3:1: TOML syntax error: x");
}

#[test]
fn static_token_never_appears_in_problems() {
    for name in ["static_token_unexpected.toml", "bad_azure.toml"] {
        let text = problems(name).join("\n");
        assert!(
            !text.contains("do-not-print-me"),
            "{name} leaked the token:\n{text}"
        );
    }
}

#[test]
fn a_misspelt_static_token_is_not_printed_either() {
    let text = "[azure]\nsubscription_id = \"00000000-0000-0000-0000-000000000000\"\n\
                credential = \"static-token\"\nstatic-tokn = \"do-not-print-me\"\n";
    let err = config::parse_str(text, Path::new("t.toml")).expect_err("typo");
    let rendered = err.to_string();
    assert!(!rendered.contains("do-not-print-me"), "{rendered}");
    assert!(
        rendered.contains(
            "t.toml:4:1: azure.static-tokn = \"<redacted>\": unknown key; did you mean `static_token`?"
        ),
        "{rendered}"
    );
}

#[test]
fn an_empty_file_names_the_two_required_tables() {
    let err = config::parse_str("", Path::new("empty.toml")).expect_err("empty");
    assert_eq!(
        err.to_string(),
        "empty.toml:1:1: azure: missing: an [azure] table with subscription_id is required\n\
         empty.toml:1:1: roles: missing: at least one [[roles]] table is required"
    );
}

#[test]
fn missing_file_is_unusable_not_invalid() {
    let path = fixture("does-not-exist.toml");
    let err = config::load(&path).expect_err("missing file");
    assert!(matches!(
        err,
        ConfigErrors::Unusable(config::ConfigError::Read { .. })
    ));
    assert!(err.problems().is_empty());
    assert!(err
        .to_string()
        .starts_with(&format!("{}: cannot read config:", path.display())));
}

#[test]
fn names_compare_case_insensitively_and_tables_may_be_written_any_way() {
    // [[roles.disks]] instead of an inline array, dotted keys instead of [azure].
    let text = r#"
azure.subscription_id = "00000000-0000-0000-0000-000000000000"
azure.resource_group = "rg"

[[roles]]
name = "web"
vms = ["web-a", "web-b"]
start_command = "start"
stop_command = "stop"
endpoint = { load_balancer = "lb", nat_rule = "web" }
probes = { vm = "tcp://{vm}:22", service = "tcp://{vm}:80" }
[[roles.disks]]
name = "web-data"
lun = 0
[[roles.disks]]
name = "WEB-DATA"
lun = 1
"#;
    let err = config::parse_str(text, Path::new("x.toml")).expect_err("duplicate disk");
    let got: Vec<String> = err.problems().iter().map(ToString::to_string).collect();
    assert_eq!(
        got,
        ["x.toml:16:8: roles[0].disks[1].name = \"WEB-DATA\": duplicate disk in this role (also roles[0].disks[0].name)"]
    );
}
