//! Scenario files: contoso.toml equals the built-in world, pool.toml runs, errors name file,
//! line, key and value; the generated baton config points at the emulator.

mod emulator_support;

use baton::emulator::{EmulatorError, Scenario};
use emulator_support::{find, Env};
use reqwest::Method;
use serde_json::json;
use std::path::Path;

#[test]
fn contoso_file_equals_builtin() {
    let file =
        Scenario::from_file(Path::new("scenarios/contoso.toml")).expect("contoso.toml parses");
    assert_eq!(file, Scenario::contoso());
}

#[tokio::test]
async fn pool_scenario_uses_backend_pools() {
    let scenario = Scenario::from_file(Path::new("scenarios/pool.toml")).expect("pool.toml parses");
    let env = Env::with(scenario, 200.0).await;
    let sub = env.emu.subscription_id().to_string();
    let lb_url = env.url(
        &format!("subscriptions/{sub}/resourceGroups/rg-net/providers/Microsoft.Network/loadBalancers/lb-shop"),
        "2024-03-01",
    );
    let lb = env.get_json(&lb_url).await;
    let api = find(&lb["properties"]["backendAddressPools"], "api-pool");
    let members = api["properties"]["backendIPConfigurations"]
        .as_array()
        .expect("members");
    assert_eq!(members.len(), 1);
    assert!(members[0]["id"]
        .as_str()
        .expect("id")
        .contains("/networkInterfaces/api-2-nic/"));
    let search = find(&lb["properties"]["backendAddressPools"], "search-pool");
    assert_eq!(search["properties"]["backendIPConfigurations"], json!([]));

    // Add api-1 to the pool too: pools, unlike NAT rules, take several members.
    let nic_url = env.url(
        &format!("subscriptions/{sub}/resourceGroups/rg-shop/providers/Microsoft.Network/networkInterfaces/api-1-nic"),
        "2024-03-01",
    );
    let mut nic = env.get_json(&nic_url).await;
    nic["properties"]["ipConfigurations"][0]["properties"]["loadBalancerBackendAddressPools"] =
        json!([{"id": api["id"].clone()}]);
    let resp = env.send(Method::PUT, &nic_url, Some(nic)).await;
    assert_eq!(resp.status(), 200);
    let lb = env.get_json(&lb_url).await;
    let api = find(&lb["properties"]["backendAddressPools"], "api-pool");
    assert_eq!(
        api["properties"]["backendIPConfigurations"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );

    let st = env.state().await;
    assert!(find(&st["disks"], "search-index")["managed_by"].is_null());
    assert_eq!(find(&st["vms"], "api-2")["service"], "running");
    let vms_url = env.url(&format!("subscriptions/{sub}/resourceGroups/rg-shop/providers/Microsoft.Compute/virtualMachines"), "2024-07-01");
    let page = env.get_json(&vms_url).await;
    assert_eq!(page["value"].as_array().map(Vec::len), Some(2));
    assert!(page["nextLink"].is_string());
}

fn scenario_error(text: &str) -> (usize, String, String, String) {
    match Scenario::from_toml_str(text, "bad.toml") {
        Err(EmulatorError::Scenario {
            file,
            line,
            key,
            value,
            message,
        }) => {
            assert_eq!(file, "bad.toml");
            let shown = EmulatorError::Scenario {
                file,
                line,
                key: key.clone(),
                value: value.clone(),
                message: message.clone(),
            }
            .to_string();
            assert!(shown.starts_with(&format!("bad.toml:{line}: ")), "{shown}");
            (line, key, value, message)
        }
        other => panic!("expected a scenario error, got {other:?}"),
    }
}

const BASE: &str = r#"subscription_id = "s"
resource_groups = ["rg"]

[[load_balancers]]
name = "lb"
resource_group = "rg"
nat_rules = [{ name = "r", frontend_port = 1, backend_port = 2 }]
"#;

#[test]
fn unknown_nat_rule_names_line_key_and_value() {
    let text = format!(
        "{BASE}\n[[roles]]\nname = \"x\"\nresource_group = \"rg\"\nvms = [\"x-a\"]\nstart_command = \"a\"\nstop_command = \"b\"\nendpoint = {{ load_balancer = \"lb\", nat_rule = \"nope\" }}\n"
    );
    let (line, key, value, message) = scenario_error(&text);
    assert_eq!(line, 15);
    assert_eq!(key, "roles[0].endpoint.nat_rule");
    assert_eq!(value, "\"nope\"");
    assert!(message.contains("no such NAT rule"));
}

#[test]
fn unknown_field_and_bad_master_are_reported() {
    let (line, key, _, _) = scenario_error(&format!("{BASE}pagesize = 3\n"));
    assert_eq!((line, key.as_str()), (8, "pagesize"));
    let text = format!(
        "{BASE}\n[[roles]]\nname = \"x\"\nresource_group = \"rg\"\nvms = [\"x-a\"]\nmaster = \"x-z\"\nstart_command = \"a\"\nstop_command = \"b\"\nendpoint = {{ load_balancer = \"lb\", nat_rule = \"r\" }}\n"
    );
    let (line, key, value, _) = scenario_error(&text);
    assert_eq!(
        (line, key.as_str(), value.as_str()),
        (13, "roles[0].master", "\"x-z\"")
    );
    let (_, key, value, _) = scenario_error(&format!("{BASE}[latencies]\nstart = [5, 1]\n"));
    assert_eq!(
        (key.as_str(), value.as_str()),
        ("latencies.start", "[5, 1]")
    );
}

#[tokio::test]
async fn baton_config_points_at_the_emulator() {
    let env = Env::start(200.0).await;
    let text = env.emu.baton_config_toml();
    let doc: toml::Value = toml::from_str(&text).expect("valid TOML");
    assert_eq!(doc["azure"]["credential"].as_str(), Some("static-token"));
    assert_eq!(doc["azure"]["static_token"].as_str(), Some(env.emu.token()));
    assert_eq!(
        doc["azure"]["subscription_id"].as_str(),
        Some(env.emu.subscription_id())
    );
    let endpoint = doc["azure"]["endpoint"].as_str().expect("endpoint");
    assert_eq!(format!("{endpoint}/"), env.emu.base_url().as_str());
    let roles = doc["roles"].as_array().expect("roles");
    assert_eq!(roles.len(), 4);
    let db = roles
        .iter()
        .find(|r| r["name"].as_str() == Some("db"))
        .expect("db");
    assert_eq!(db["disks"].as_array().map(Vec::len), Some(2));
    assert_eq!(db["endpoint"]["nat_rule"].as_str(), Some("db-app"));
    let probe = db["probes"]["vm"]
        .as_str()
        .expect("probe")
        .replace("{vm}", "db-a");
    assert_eq!(
        env.http.get(probe).send().await.expect("probe").status(),
        200
    );
    let health = db["probes"]["service"]
        .as_str()
        .expect("probe")
        .replace("{vm}", "db-b");
    assert_eq!(
        env.http.get(health).send().await.expect("probe").status(),
        503
    );
}

#[test]
fn zones_need_one_per_vm_and_no_availability_set() {
    let role = |extra: &str| {
        format!(
            "{BASE}\n[[roles]]\nname = \"x\"\nresource_group = \"rg\"\nvms = [\"x-a\", \"x-b\"]\n{extra}\nstart_command = \"a\"\nstop_command = \"b\"\nendpoint = {{ load_balancer = \"lb\", nat_rule = \"r\" }}\n"
        )
    };
    let (line, key, value, message) = scenario_error(&role("zones = [\"1\"]"));
    assert_eq!((line, key.as_str()), (13, "roles[0].zones"));
    assert_eq!(value, "[\"1\"]");
    assert!(message.contains("2 VMs, 1 zones"), "{message}");
    let (_, key, _, message) =
        scenario_error(&role("zones = [\"1\", \"2\"]\navailability_set = \"avs\""));
    assert_eq!(key, "roles[0].availability_set");
    assert!(message.contains("not both"), "{message}");
}

#[test]
fn zonal_scenario_pins_lrs_disks_to_the_masters_zone() {
    let zonal = Scenario::from_file(Path::new("scenarios/zonal.toml")).expect("zonal.toml parses");
    for role in &zonal.roles {
        assert_eq!(role.zones, vec!["1", "2"], "{}", role.name);
        assert!(
            role.disks.iter().all(|d| d.sku == "Premium_LRS"),
            "{}",
            role.name
        );
    }
}

#[test]
fn load_balancing_rules_name_their_pool_and_probe() {
    let lb =
        "[[load_balancers]]\nname = \"lb2\"\nresource_group = \"rg\"\nbackend_pools = [\"p\"]\n";
    let probe =
        "probes = [{ name = \"hp\", protocol = \"Http\", port = 80, request_path = \"/h\" }]\n";
    let text = format!(
        "{BASE}{lb}{probe}load_balancing_rules = [{{ name = \"x\", backend_pool = \"p\", probe = \"nope\", frontend_port = 1, backend_port = 2 }}]\n"
    );
    let (line, key, value, message) = scenario_error(&text);
    assert_eq!(line, 13);
    assert_eq!(key, "load_balancers[1].load_balancing_rules[0].probe");
    assert_eq!(value, "\"nope\"");
    assert!(message.contains("no such probe"), "{message}");
    let text = format!(
        "{BASE}{lb}{probe}load_balancing_rules = [{{ name = \"x\", backend_pool = \"q\", frontend_port = 1, backend_port = 2 }}]\n"
    );
    let (_, key, value, _) = scenario_error(&text);
    assert_eq!(
        key,
        "load_balancers[1].load_balancing_rules[0].backend_pool"
    );
    assert_eq!(value, "\"q\"");
    let tcp = "probes = [{ name = \"hp\", port = 80, request_path = \"/h\" }]\n";
    let (_, key, value, message) = scenario_error(&format!("{BASE}{lb}{tcp}"));
    assert_eq!(key, "load_balancers[1].probes[0].request_path");
    assert_eq!(value, "\"/h\"");
    assert!(
        message.contains("Tcp probe takes no request_path"),
        "{message}"
    );
}

#[tokio::test]
async fn pool_scenario_renders_its_probe_gated_rule_as_azure_does() {
    let scenario = Scenario::from_file(Path::new("scenarios/pool.toml")).expect("pool.toml parses");
    let env = Env::with(scenario, 200.0).await;
    let sub = env.emu.subscription_id().to_string();
    let lb_url = env.url(
        &format!("subscriptions/{sub}/resourceGroups/rg-net/providers/Microsoft.Network/loadBalancers/lb-shop"),
        "2024-03-01",
    );
    let lb = env.get_json(&lb_url).await;
    let rule = find(&lb["properties"]["loadBalancingRules"], "api-https");
    let pool = find(&lb["properties"]["backendAddressPools"], "api-pool");
    let probe = find(&lb["properties"]["probes"], "api-health");
    assert_eq!(rule["properties"]["backendAddressPool"]["id"], pool["id"]);
    assert_eq!(rule["properties"]["probe"]["id"], probe["id"]);
    assert_eq!(rule["properties"]["frontendPort"], 443);
    assert_eq!(probe["properties"]["protocol"], "Http");
    assert_eq!(probe["properties"]["requestPath"], "/health");
    assert_eq!(
        probe["properties"]["loadBalancingRules"][0]["id"],
        rule["id"]
    );
    assert_eq!(
        pool["properties"]["loadBalancingRules"][0]["id"],
        rule["id"]
    );
    let search = find(&lb["properties"]["backendAddressPools"], "search-pool");
    assert_eq!(search["properties"]["loadBalancingRules"], json!([]));
}
