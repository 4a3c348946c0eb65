//! The RBAC role definitions shipped in `docs/rbac/` and the map from an ARM request (method and
//! path, as the emulator's request log records it) to the RBAC action Azure checks for it.
#![allow(dead_code)]

use serde_json::Value;
use std::collections::BTreeSet;

/// Actions Azure checks on resources a request *refers to* (linked access checks), which no
/// request log can show: a NIC PUT re-sends the subnet, load-balancer rule and pool, security
/// group, application security group and public IP references of every ipconfig, and an attach
/// needs write access to the disk it names. Everything else in a role must be seen in a log.
pub const LINKED: &[&str] = &[
    "Microsoft.Compute/disks/write",
    "Microsoft.Network/virtualNetworks/subnets/join/action",
    "Microsoft.Network/loadBalancers/inboundNatRules/join/action",
    "Microsoft.Network/loadBalancers/backendAddressPools/join/action",
    "Microsoft.Network/networkSecurityGroups/join/action",
    "Microsoft.Network/applicationSecurityGroups/joinIpConfiguration/action",
    "Microsoft.Network/publicIPAddresses/join/action",
];

/// The `Actions` of `docs/rbac/<name>.json`, lower-cased (Azure compares them so).
pub fn role_actions(name: &str) -> BTreeSet<String> {
    let path = format!("{}/docs/rbac/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let role: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    assert_eq!(role["Name"], name, "{path} names its role");
    role["Actions"]
        .as_array()
        .unwrap_or_else(|| panic!("{path}: no Actions"))
        .iter()
        .map(|a| a.as_str().expect("action is a string").to_ascii_lowercase())
        .collect()
}

/// The RBAC action of one ARM request, lower-cased: the provider namespace, the resource types
/// of the path, and `read`/`write`/`delete` by method, or `<name>/action` for a POST to a
/// resource's action. `None` for the emulator's own routes (`/_emulator`, `/_vm`).
pub fn action_of(method: &str, path: &str) -> Option<String> {
    let path = path.split('?').next().unwrap_or(path);
    if path.starts_with("/_") {
        return None;
    }
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    let at = segs
        .iter()
        .rposition(|s| s.eq_ignore_ascii_case("providers"))
        .unwrap_or_else(|| panic!("no provider in {method} {path}"));
    let namespace = segs.get(at + 1).unwrap_or_else(|| panic!("{path}"));
    let rest = &segs[at + 2..];
    // Type, name, type, name…: every other segment is a type. An odd tail is a listed type, a
    // sub-resource (instanceView) or, for a POST, the action's name: all three stay as a type.
    let mut parts: Vec<&str> = rest.iter().step_by(2).copied().collect();
    let verb = match method {
        "GET" | "HEAD" => "read",
        "PUT" | "PATCH" => "write",
        "DELETE" => "delete",
        "POST" if rest.len() % 2 == 1 => "action",
        other => panic!("unexpected {other} {path}"),
    };
    parts.insert(0, namespace);
    Some(format!("{}/{verb}", parts.join("/")).to_ascii_lowercase())
}

/// Every request of an emulator request log (`/_emulator/requests`) as (method, path, action).
pub fn actions_in(log: &Value) -> Vec<(String, String, String)> {
    log.as_array()
        .expect("request log is an array")
        .iter()
        .filter_map(|r| {
            let method = r["method"].as_str().expect("method").to_string();
            let path = r["path"].as_str().expect("path").to_string();
            action_of(&method, &path).map(|a| (method, path, a))
        })
        .collect()
}

/// Panics naming every request whose action `role` does not grant.
pub fn assert_granted(role: &str, log: &Value) {
    let granted = role_actions(role);
    let missing: Vec<String> = actions_in(log)
        .into_iter()
        .filter(|(_, _, a)| !granted.contains(a))
        .map(|(m, p, a)| format!("{a} ({m} {p})"))
        .collect();
    assert!(missing.is_empty(), "not in {role}: {missing:#?}");
}

#[cfg(test)]
mod tests {
    use super::action_of;

    #[test]
    fn maps_reads_writes_and_actions() {
        let rg = "/subscriptions/s/resourceGroups/rg/providers";
        let cases = [
            (
                "GET",
                "/subscriptions/s/providers/Microsoft.Compute/virtualMachines?statusOnly=true",
                "microsoft.compute/virtualmachines/read",
            ),
            (
                "GET",
                &format!("{rg}/Microsoft.Compute/virtualMachines/web-a?$expand=instanceView"),
                "microsoft.compute/virtualmachines/read",
            ),
            (
                "GET",
                &format!("{rg}/Microsoft.Compute/virtualMachines/web-a/instanceView"),
                "microsoft.compute/virtualmachines/instanceview/read",
            ),
            (
                "POST",
                &format!("{rg}/Microsoft.Compute/virtualMachines/web-a/runCommand"),
                "microsoft.compute/virtualmachines/runcommand/action",
            ),
            (
                "PUT",
                &format!("{rg}/Microsoft.Network/networkInterfaces/web-a-nic"),
                "microsoft.network/networkinterfaces/write",
            ),
            (
                "GET",
                "/subscriptions/s/providers/Microsoft.Network/locations/westeurope/operations/1",
                "microsoft.network/locations/operations/read",
            ),
        ];
        for (method, path, want) in cases {
            assert_eq!(
                action_of(method, path).as_deref(),
                Some(want),
                "{method} {path}"
            );
        }
        assert_eq!(action_of("GET", "/_emulator/state"), None);
    }
}
