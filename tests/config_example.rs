//! The shipped `config.example.toml` loads, with the values it documents and the documented
//! defaults for what it leaves out.

use baton::config::{self, CredentialKind, ProbeTarget, Summary};
use baton::core::model::{DiskSpec, EndpointKind, EndpointSpec, RoleSpec};
use std::path::{Path, PathBuf};
use std::time::Duration;

fn example_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.toml")
}

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

#[test]
fn example_loads_with_its_values() {
    let config = config::load(&example_path()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.source, example_path());

    let azure = &config.azure;
    assert_eq!(
        azure.subscription_id,
        "00000000-0000-0000-0000-000000000000"
    );
    assert_eq!(azure.endpoint.as_str(), "https://management.azure.com/");
    assert_eq!(azure.credential, CredentialKind::Default);
    assert_eq!(azure.static_token, None);
    assert_eq!(azure.resource_group.as_deref(), Some("rg-contoso"));
    assert_eq!(azure.refresh_interval, secs(15));

    let hb = config.heartbeat;
    assert_eq!(hb.interval, secs(1));
    assert_eq!(hb.timeout, Duration::from_millis(800));
    assert_eq!((hb.fail_after, hb.recover_after), (3, 2));

    let fo = config.failover;
    assert_eq!(fo.rto_target, secs(300));
    assert_eq!(fo.drill_hold, secs(30));
    let t = fo.timeouts;
    assert_eq!(
        [t.isolate, t.fence, t.detach, t.release, t.attach, t.start, t.verify, t.expose],
        [120, 300, 300, 600, 300, 600, 300, 120].map(secs)
    );

    let ui = &config.ui;
    assert!(!ui.read_only);
    assert_eq!(ui.theme, "default");
    assert_eq!(ui.environment, "prod-westeurope");
    let keys: Vec<(&str, &str)> = config
        .keys
        .iter()
        .map(|(a, k)| (a.as_str(), k.as_str()))
        .collect();
    assert_eq!(keys, [("quit", "q, ctrl-q"), ("refresh", "r, F5")]);
}

#[test]
fn example_roles_convert_to_core_specs() {
    let config = config::load(&example_path()).unwrap_or_else(|e| panic!("{e}"));
    let specs = config.role_specs();
    assert_eq!(
        specs[0],
        RoleSpec {
            name: "web".into(),
            resource_group: "rg-contoso".into(),
            vms: vec!["web-a".into(), "web-b".into()],
            disks: vec![DiskSpec {
                name: "web-data".into(),
                lun: 0,
                shared: false,
            }],
            endpoint: EndpointSpec {
                load_balancer: "lb-contoso".into(),
                resource_group: "rg-contoso".into(),
                kind: EndpointKind::NatRule("web-app".into()),
            },
        }
    );
    // `db` names no resource group: it inherits azure.resource_group, and its endpoint the role's.
    let db = &specs[1];
    assert_eq!(db.resource_group, "rg-contoso");
    assert_eq!(db.endpoint.resource_group, "rg-contoso");
    assert_eq!(
        db.endpoint.kind,
        EndpointKind::BackendPool("db-pool".into())
    );
    assert_eq!(
        db.disks
            .iter()
            .map(|d| (d.name.as_str(), d.lun))
            .collect::<Vec<_>>(),
        [("db-data", 0), ("db-log", 1)]
    );
    assert_eq!(config.resource_groups(), ["rg-contoso"]);

    let web = config.role("WEB").expect("role lookup is case-insensitive");
    assert_eq!(web.start_command, "systemctl start contoso-web");
    assert_eq!(web.stop_command, "systemctl stop contoso-web");
    assert_eq!(
        web.probes.vm.render("web-a", "web"),
        ProbeTarget::Tcp {
            host: "web-a.contoso.internal".into(),
            port: 22
        }
    );
    assert_eq!(
        web.probes.service.render("web-b", "web").to_string(),
        "http://web-b.contoso.internal:8080/healthz"
    );
    let db = config.role("db").expect("db role");
    assert_eq!(
        db.probes.service.render("db-a", "db").to_string(),
        "tcp://db-a.contoso.internal:5432"
    );
}

#[test]
fn check_config_summarises_the_example() {
    let summary = config::check_config(&example_path()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        summary,
        Summary {
            path: example_path(),
            roles: 2,
            vms: 4,
            disks: 3
        }
    );
    assert_eq!(summary.to_string(), "config OK: 2 roles, 4 VMs, 3 disks");
}

#[test]
fn minimal_config_gets_every_default() {
    let text = r#"
[azure]
subscription_id = "11111111-2222-3333-4444-555555555555"

[[roles]]
name = "app"
resource_group = "rg-app"
vms = ["app-1", "app-2"]
start_command = "start"
stop_command = "stop"
endpoint = { load_balancer = "lb", backend_pool = "pool" }
probes = { vm = "tcp://{vm}:22", service = "http://{vm}/health" }
"#;
    let config = config::parse_str(text, Path::new("min.toml")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        config.azure.endpoint.as_str(),
        "https://management.azure.com/"
    );
    assert_eq!(config.azure.credential, CredentialKind::Default);
    assert_eq!(config.azure.resource_group, None);
    assert_eq!(config.azure.refresh_interval, secs(15));
    assert_eq!(config.heartbeat, config::HeartbeatConfig::default());
    assert_eq!(config.failover, config::FailoverConfig::default());
    assert_eq!(config.failover.timeouts.release, secs(600));
    assert_eq!(config.ui, config::UiConfig::default());
    assert!(config.keys.is_empty());
    let spec = &config.roles[0].spec;
    assert!(spec.disks.is_empty());
    assert_eq!(spec.endpoint.resource_group, "rg-app");
    assert_eq!(
        config::Summary::of(&config).to_string(),
        "config OK: 1 role, 2 VMs, 0 disks"
    );
}

#[test]
fn static_token_is_accepted_and_redacted_from_debug() {
    let text = r#"
[azure]
subscription_id = "11111111-2222-3333-4444-555555555555"
endpoint = "http://127.0.0.1:8765"
credential = "static-token"
static_token = "s3cret-token-value"
resource_group = "rg"

[[roles]]
name = "app"
vms = ["a", "b"]
disks = [{ name = "d", lun = 3 }]
start_command = "start"
stop_command = "stop"
[roles.endpoint]
load_balancer = "lb"
resource_group = "rg-net"
nat_rule = "rule"
[roles.probes]
vm = "tcp://127.0.0.1:7001"
service = "http://127.0.0.1:7002/{role}/{vm}"
"#;
    let config = config::parse_str(text, Path::new("emu.toml")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.azure.credential, CredentialKind::StaticToken);
    assert_eq!(
        config.azure.static_token.as_deref(),
        Some("s3cret-token-value")
    );
    assert_eq!(config.azure.endpoint.as_str(), "http://127.0.0.1:8765/");
    assert_eq!(config.roles[0].spec.endpoint.resource_group, "rg-net");
    assert_eq!(config.resource_groups(), ["rg", "rg-net"]);
    let debug = format!("{config:?}");
    assert!(!debug.contains("s3cret"), "token leaked: {debug}");
    assert!(debug.contains("<redacted>"), "{debug}");
    assert_eq!(
        config.roles[0]
            .probes
            .service
            .render("a", "app")
            .to_string(),
        "http://127.0.0.1:7002/app/a"
    );
}
