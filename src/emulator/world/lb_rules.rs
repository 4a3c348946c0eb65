//! The load-balancing rules and health probes of a load balancer as Azure renders them, with
//! their cross-references: rule → pool and probe, pool and probe → the rules that use them.

use serde_json::{json, Value};

use super::{ids, same, Lb};
use crate::emulator::scenario::LbRuleDef;

/// Ids of the child resources of one load balancer.
pub(crate) struct LbIds<'a> {
    pub sub: &'a str,
    pub lb: &'a Lb,
}

impl LbIds<'_> {
    fn child(&self, kind: &str, name: &str) -> String {
        ids::lb_child(self.sub, &self.lb.rg, &self.lb.name, kind, name)
    }

    /// `[{id}]` of the rules `keep` picks.
    fn rule_refs(&self, keep: impl Fn(&LbRuleDef) -> bool) -> Vec<Value> {
        self.lb
            .rules
            .iter()
            .filter(|r| keep(r))
            .map(|r| json!({"id": self.child("loadBalancingRules", &r.name)}))
            .collect()
    }

    /// `properties.loadBalancingRules` of a backend pool.
    pub fn pool_rules(&self, pool: &str) -> Vec<Value> {
        self.rule_refs(|r| same(&r.backend_pool, pool))
    }

    /// `properties.loadBalancingRules` of the frontend (every rule uses the one frontend).
    pub fn frontend_rules(&self) -> Vec<Value> {
        self.rule_refs(|_| true)
    }

    /// `properties.loadBalancingRules` of the load balancer.
    pub fn rules(&self, fe_id: &str) -> Vec<Value> {
        self.lb
            .rules
            .iter()
            .map(|r| {
                let pool = json!({"id": self.child("backendAddressPools", &r.backend_pool)});
                let mut props = json!({
                    "provisioningState": "Succeeded",
                    "frontendIPConfiguration": {"id": fe_id},
                    "backendAddressPool": pool,
                    "backendAddressPools": [pool],
                    "protocol": "Tcp",
                    "frontendPort": r.frontend_port,
                    "backendPort": r.backend_port,
                    "enableFloatingIP": false,
                    "idleTimeoutInMinutes": 4,
                    "loadDistribution": "Default",
                    "disableOutboundSnat": false,
                    "enableTcpReset": false,
                });
                if let Some(probe) = &r.probe {
                    props["probe"] = json!({"id": self.child("probes", probe)});
                }
                json!({
                    "name": r.name,
                    "id": self.child("loadBalancingRules", &r.name),
                    "etag": self.lb.etag,
                    "type": "Microsoft.Network/loadBalancers/loadBalancingRules",
                    "properties": props,
                })
            })
            .collect()
    }

    /// `properties.probes` of the load balancer.
    pub fn probes(&self) -> Vec<Value> {
        self.lb
            .probes
            .iter()
            .map(|p| {
                let users =
                    self.rule_refs(|r| r.probe.as_deref().is_some_and(|n| same(n, &p.name)));
                let mut props = json!({
                    "provisioningState": "Succeeded",
                    "protocol": p.protocol,
                    "port": p.port,
                    "intervalInSeconds": 5,
                    "numberOfProbes": 1,
                    "probeThreshold": 1,
                    "loadBalancingRules": users,
                });
                if let Some(path) = &p.request_path {
                    props["requestPath"] = json!(path);
                }
                json!({
                    "name": p.name,
                    "id": self.child("probes", &p.name),
                    "etag": self.lb.etag,
                    "type": "Microsoft.Network/loadBalancers/probes",
                    "properties": props,
                })
            })
            .collect()
    }
}
