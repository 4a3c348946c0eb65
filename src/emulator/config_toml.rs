//! Render a baton config (config.example.toml's schema) that points at a running emulator.
//!
//! Text generation only; validation is the config module's job.

use std::fmt::Write;
use url::Url;

use super::scenario::{EndpointKindDef, Scenario};

fn quoted(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// The config text for a scenario served at `base` with `token`.
pub(crate) fn render(s: &Scenario, base: &Url, token: &str) -> String {
    let endpoint = base.as_str().trim_end_matches('/');
    let rg = s
        .roles
        .first()
        .map(|r| r.resource_group.clone())
        .or_else(|| s.resource_groups.first().cloned())
        .unwrap_or_default();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# baton config for the emulator at {endpoint} (generated).\n"
    );
    let _ = writeln!(out, "[azure]");
    let _ = writeln!(out, "subscription_id = {}", quoted(&s.subscription_id));
    let _ = writeln!(out, "endpoint = {}", quoted(endpoint));
    let _ = writeln!(out, "credential = \"static-token\"");
    let _ = writeln!(out, "static_token = {}", quoted(token));
    let _ = writeln!(out, "resource_group = {}", quoted(&rg));
    let _ = writeln!(out, "refresh_interval = \"15s\"\n");
    let _ = writeln!(
        out,
        "[heartbeat]\ninterval = \"1s\"\ntimeout = \"800ms\"\nfail_after = 3\nrecover_after = 2\n"
    );
    let _ = writeln!(out, "[failover]\nrto_target = \"5m\"\n");
    let _ = writeln!(out, "[failover.timeouts]\nisolate = \"2m\"\nfence = \"5m\"\ndetach = \"5m\"\nrelease = \"10m\"\nattach = \"5m\"\nstart = \"10m\"\nverify = \"5m\"\nexpose = \"2m\"");
    for r in &s.roles {
        let vms: Vec<String> = r.vms.iter().map(|v| quoted(v)).collect();
        let disks: Vec<String> = r
            .disks
            .iter()
            .map(|d| {
                // A disk more than one VM may hold is configured shared.
                let shared = if d.max_shares > 1 {
                    ", shared = true"
                } else {
                    ""
                };
                format!("{{ name = {}, lun = {}{shared} }}", quoted(&d.name), d.lun)
            })
            .collect();
        let _ = writeln!(out, "\n[[roles]]");
        let _ = writeln!(out, "name = {}", quoted(&r.name));
        let _ = writeln!(out, "resource_group = {}", quoted(&r.resource_group));
        let _ = writeln!(out, "vms = [{}]", vms.join(", "));
        let _ = writeln!(out, "disks = [{}]", disks.join(", "));
        let _ = writeln!(out, "start_command = {}", quoted(&r.start_command));
        let _ = writeln!(out, "stop_command = {}", quoted(&r.stop_command));
        let _ = writeln!(out, "\n[roles.endpoint]");
        let _ = writeln!(out, "load_balancer = {}", quoted(&r.endpoint.load_balancer));
        let _ = writeln!(
            out,
            "resource_group = {}",
            quoted(&r.endpoint.resource_group)
        );
        match &r.endpoint.kind {
            EndpointKindDef::NatRule(n) => {
                let _ = writeln!(out, "nat_rule = {}", quoted(n));
            }
            EndpointKindDef::BackendPool(p) => {
                let _ = writeln!(out, "backend_pool = {}", quoted(p));
            }
        }
        let _ = writeln!(out, "\n[roles.probes]");
        let _ = writeln!(
            out,
            "vm = {}",
            quoted(&format!("{endpoint}/_vm/{{vm}}/ping"))
        );
        let _ = writeln!(
            out,
            "service = {}",
            quoted(&format!("{endpoint}/_vm/{{vm}}/health"))
        );
    }
    out
}
