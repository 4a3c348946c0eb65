//! Endpoint moves: add or remove a load balancer NAT rule / backend pool reference on a NIC by
//! read-modify-write of the whole NIC (PUT with `If-Match`), followed to the end and verified on
//! the NIC the operation returns. It must not touch any other part of the NIC.

use crate::azure::capture;
use crate::azure::client::ArmClient;
use crate::azure::error::ArmError;
use crate::azure::lro::WriteKind;
use crate::azure::parse;
use crate::azure::writes::{outcome, Ids, WriteOutcome, WriteStatus};
use crate::core::model::{EndpointKind, EndpointSpec};
use azure_mgmt_network::package_2024_03::models::{
    BackendAddressPool, InboundNatRule, NetworkInterface, NetworkInterfaceIpConfiguration,
    SubResource,
};

const NETWORK_API: &str = "2024-03-01";

/// Both halves of an endpoint move.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoveOutcome {
    /// Removal from the old NIC.
    pub removed: WriteOutcome,
    /// Addition to the new NIC.
    pub added: WriteOutcome,
}

/// True when any ipconfig of the NIC references the endpoint.
fn nic_has(nic: &NetworkInterface, spec: &EndpointSpec) -> bool {
    parse::nic_facts(nic)
        .lb_refs
        .iter()
        .any(|id| spec.matches_id(id))
}

/// Drops every reference to the endpoint from every ipconfig.
fn drop_endpoint(nic: &mut NetworkInterface, spec: &EndpointSpec) {
    let Some(props) = nic.properties.as_mut() else {
        return;
    };
    for ipc in props
        .ip_configurations
        .iter_mut()
        .filter_map(|c| c.properties.as_mut())
    {
        let keep = |id: &Option<String>| !id.as_deref().is_some_and(|i| spec.matches_id(i));
        ipc.load_balancer_inbound_nat_rules
            .retain(|r| keep(&r.sub_resource.id));
        ipc.load_balancer_backend_address_pools
            .retain(|p| keep(&p.sub_resource.id));
    }
}

/// The primary ipconfig (flagged `primary`, else the first).
fn primary_ipconfig(nic: &mut NetworkInterface) -> Option<&mut NetworkInterfaceIpConfiguration> {
    let configs = &mut nic.properties.as_mut()?.ip_configurations;
    let index = configs
        .iter()
        .position(|c| c.properties.as_ref().and_then(|p| p.primary) == Some(true))
        .unwrap_or(0);
    configs.get_mut(index)
}

/// Adds a reference to the endpoint on the primary ipconfig.
fn add_endpoint_ref(nic: &mut NetworkInterface, spec: &EndpointSpec, id: String) -> bool {
    let Some(ipc) = primary_ipconfig(nic) else {
        return false;
    };
    let props = ipc.properties.get_or_insert_with(Default::default);
    let reference = SubResource { id: Some(id) };
    match spec.kind {
        EndpointKind::NatRule(_) => props.load_balancer_inbound_nat_rules.push(InboundNatRule {
            sub_resource: reference,
            ..Default::default()
        }),
        EndpointKind::BackendPool(_) => {
            props
                .load_balancer_backend_address_pools
                .push(BackendAddressPool {
                    sub_resource: reference,
                    ..Default::default()
                })
        }
    }
    true
}

impl ArmClient {
    /// The endpoint's ARM id (`…/loadBalancers/{lb}/inboundNatRules/{rule}` or
    /// `…/backendAddressPools/{pool}`).
    pub fn endpoint_id(&self, spec: &EndpointSpec) -> String {
        let child = match &spec.kind {
            EndpointKind::NatRule(n) => format!("inboundNatRules/{n}"),
            EndpointKind::BackendPool(n) => format!("backendAddressPools/{n}"),
        };
        self.resource_id(
            &spec.resource_group,
            "Microsoft.Network/loadBalancers",
            &format!("{}/{child}", spec.load_balancer),
        )
    }

    /// Removes the endpoint from the NIC; `AlreadyDone` when the NIC does not reference it.
    pub async fn remove_endpoint(
        &self,
        resource_group: &str,
        nic: &str,
        spec: &EndpointSpec,
    ) -> Result<WriteOutcome, ArmError> {
        let operation = format!("remove {} from {nic}", spec.label());
        self.change_nic(&operation, resource_group, nic, spec, false)
            .await
    }

    /// Adds the endpoint to the NIC's primary ipconfig; `AlreadyDone` when already there.
    pub async fn add_endpoint(
        &self,
        resource_group: &str,
        nic: &str,
        spec: &EndpointSpec,
    ) -> Result<WriteOutcome, ArmError> {
        let operation = format!("add {} to {nic}", spec.label());
        self.change_nic(&operation, resource_group, nic, spec, true)
            .await
    }

    /// Removes the endpoint from `from_nic`, then adds it to `to_nic` (both in `resource_group`).
    pub async fn move_endpoint(
        &self,
        resource_group: &str,
        from_nic: &str,
        to_nic: &str,
        spec: &EndpointSpec,
    ) -> Result<MoveOutcome, ArmError> {
        let removed = self.remove_endpoint(resource_group, from_nic, spec).await?;
        let added = self.add_endpoint(resource_group, to_nic, spec).await?;
        Ok(MoveOutcome { removed, added })
    }

    async fn change_nic(
        &self,
        operation: &str,
        resource_group: &str,
        nic: &str,
        spec: &EndpointSpec,
        want: bool,
    ) -> Result<WriteOutcome, ArmError> {
        let ids = Ids::default();
        let (status, attempts) = self
            .write(operation, |_| {
                self.nic_attempt(operation, resource_group, nic, spec, want, &ids)
            })
            .await?;
        Ok(outcome(status, &ids, attempts))
    }

    async fn nic_attempt(
        &self,
        operation: &str,
        resource_group: &str,
        nic_name: &str,
        spec: &EndpointSpec,
        want: bool,
        ids: &Ids,
    ) -> Result<WriteStatus, ArmError> {
        let mut nic = self.reader().nic_model(resource_group, nic_name).await?;
        if nic_has(&nic, spec) == want {
            return Ok(WriteStatus::AlreadyDone);
        }
        if want {
            if !add_endpoint_ref(&mut nic, spec, self.endpoint_id(spec)) {
                return Err(ArmError::Invalid(format!("NIC {nic_name} has no ipconfig")));
            }
        } else {
            drop_endpoint(&mut nic, spec);
        }
        let path = format!(
            "/subscriptions/{}/resourceGroups/{resource_group}/providers/Microsoft.Network/networkInterfaces/{nic_name}",
            self.reader().subscription_id()
        );
        let kind = WriteKind::PutOrPatch(self.reader().url(&path, NETWORK_API));
        // If-Match only on the PUT itself: the polls and the final GET must not carry it.
        let etag = nic.etag.clone().unwrap_or_else(|| "*".to_owned());
        let send = self
            .reader()
            .network()
            .network_interfaces_client()
            .create_or_update(
                resource_group,
                nic_name,
                nic,
                self.reader().subscription_id(),
            )
            .send();
        let send = capture::with_if_match(etag, send);
        let finished = self.send_and_wait(operation, &kind, ids, send).await?;
        verify_nic(nic_name, finished.body.as_deref(), spec, want)?;
        Ok(WriteStatus::Applied)
    }
}

/// Checks the NIC returned by the final GET.
fn verify_nic(
    nic_name: &str,
    body: Option<&[u8]>,
    spec: &EndpointSpec,
    want: bool,
) -> Result<(), ArmError> {
    let what = format!("NIC {nic_name}");
    let body = body.ok_or_else(|| ArmError::Decode {
        what: what.clone(),
        reason: "no NIC in the final answer".into(),
    })?;
    let nic: NetworkInterface = serde_json::from_slice(body).map_err(|e| ArmError::Decode {
        what: what.clone(),
        reason: e.to_string(),
    })?;
    if nic_has(&nic, spec) == want {
        return Ok(());
    }
    let detail = if want {
        format!("{} is not referenced", spec.label())
    } else {
        format!("{} is still referenced", spec.label())
    };
    Err(ArmError::NotApplied { what, detail })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec(kind: EndpointKind) -> EndpointSpec {
        EndpointSpec {
            load_balancer: "lb".into(),
            resource_group: "rg".into(),
            kind,
        }
    }

    #[test]
    fn add_and_drop_on_primary_ipconfig() {
        let mut nic: NetworkInterface = serde_json::from_value(json!({
            "name": "n", "properties": {"ipConfigurations": [
                {"name": "second", "properties": {"primary": false}},
                {"name": "ipconfig1", "properties": {"primary": true}}]}
        }))
        .unwrap();
        let s = spec(EndpointKind::BackendPool("pool".into()));
        assert!(!nic_has(&nic, &s));
        let id = "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Network/loadBalancers/lb/backendAddressPools/pool";
        assert!(add_endpoint_ref(&mut nic, &s, id.into()));
        assert!(nic_has(&nic, &s));
        let configs = &nic.properties.as_ref().unwrap().ip_configurations;
        let primary = configs[1].properties.as_ref().unwrap();
        assert_eq!(primary.load_balancer_backend_address_pools.len(), 1);
        drop_endpoint(&mut nic, &s);
        assert!(!nic_has(&nic, &s));
        let nat = spec(EndpointKind::NatRule("pool".into()));
        assert!(!nic_has(&nic, &nat));
    }

    #[test]
    fn nic_without_ipconfig_cannot_take_an_endpoint() {
        let mut nic: NetworkInterface =
            serde_json::from_value(json!({"name": "n", "properties": {}})).unwrap();
        let s = spec(EndpointKind::NatRule("r".into()));
        assert!(!add_endpoint_ref(&mut nic, &s, "id".into()));
    }
}
