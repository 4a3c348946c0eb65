//! Endpoint moves: add or remove a load balancer NAT rule / backend pool reference on a NIC by
//! read-modify-write of the whole NIC (PUT with `If-Match`), followed to the end and verified on
//! the NIC the operation returns.
//!
//! The NIC is read and written as raw JSON, never through a typed model: a NIC PUT replaces the
//! whole NIC and Azure stores what it is sent, so a model that does not know a property (one of
//! a newer api-version, say) would silently strip it. Only the reference arrays of the ipconfig
//! concerned change; everything else goes back byte-for-byte as read.

use crate::azure::capture;
use crate::azure::client::ArmClient;
use crate::azure::error::ArmError;
use crate::azure::lro::WriteKind;
use crate::azure::reads::{nic_path, NETWORK_API};
use crate::azure::writes::{outcome, Ids, WriteOutcome, WriteStatus};
use crate::core::model::{EndpointKind, EndpointSpec};
use serde_json::{json, Value};

/// Both halves of an endpoint move.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoveOutcome {
    /// Removal from the old NIC.
    pub removed: WriteOutcome,
    /// Addition to the new NIC.
    pub added: WriteOutcome,
}

/// The two ipconfig arrays that hold load balancer references.
const REF_ARRAYS: [&str; 2] = [
    "loadBalancerInboundNatRules",
    "loadBalancerBackendAddressPools",
];

/// The array an endpoint of this kind lives in.
fn ref_array(kind: &EndpointKind) -> &'static str {
    match kind {
        EndpointKind::NatRule(_) => REF_ARRAYS[0],
        EndpointKind::BackendPool(_) => REF_ARRAYS[1],
    }
}

/// The ipconfigs of a raw NIC (empty when it has none).
fn ipconfigs(nic: &Value) -> &[Value] {
    nic.pointer("/properties/ipConfigurations")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// True when any ipconfig of the NIC references the endpoint.
fn nic_has(nic: &Value, spec: &EndpointSpec) -> bool {
    ipconfigs(nic).iter().any(|ipc| {
        REF_ARRAYS.iter().any(|key| {
            ipc.pointer(&format!("/properties/{key}"))
                .and_then(Value::as_array)
                .is_some_and(|refs| refs.iter().any(|r| ref_matches(r, spec)))
        })
    })
}

fn ref_matches(reference: &Value, spec: &EndpointSpec) -> bool {
    reference
        .get("id")
        .and_then(Value::as_str)
        .is_some_and(|id| spec.matches_id(id))
}

/// Drops every reference to the endpoint from every ipconfig, touching nothing else.
fn drop_endpoint(nic: &mut Value, spec: &EndpointSpec) {
    let Some(configs) = nic
        .pointer_mut("/properties/ipConfigurations")
        .and_then(Value::as_array_mut)
    else {
        return;
    };
    for ipc in configs {
        for key in REF_ARRAYS {
            if let Some(refs) = ipc
                .pointer_mut(&format!("/properties/{key}"))
                .and_then(Value::as_array_mut)
            {
                refs.retain(|r| !ref_matches(r, spec));
            }
        }
    }
}

/// The primary ipconfig (flagged `primary`, else the first).
fn primary_ipconfig(nic: &mut Value) -> Option<&mut Value> {
    let configs = nic
        .pointer_mut("/properties/ipConfigurations")
        .and_then(Value::as_array_mut)?;
    let index = configs
        .iter()
        .position(|c| c.pointer("/properties/primary") == Some(&Value::Bool(true)))
        .unwrap_or(0);
    configs.get_mut(index)
}

/// Adds a reference to the endpoint on the primary ipconfig.
fn add_endpoint_ref(nic: &mut Value, spec: &EndpointSpec, id: String) -> bool {
    let Some(Value::Object(ipc)) = primary_ipconfig(nic) else {
        return false;
    };
    let props = ipc.entry("properties").or_insert_with(|| json!({}));
    let Value::Object(props) = props else {
        return false;
    };
    let refs = props
        .entry(ref_array(&spec.kind))
        .or_insert_with(|| json!([]));
    match refs {
        Value::Array(list) => {
            list.push(json!({ "id": id }));
            true
        }
        _ => false,
    }
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
        let mut nic = self.reader().nic_raw(resource_group, nic_name).await?;
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
        let path = nic_path(self.reader().subscription_id(), resource_group, nic_name);
        let url = self.reader().url(&path, NETWORK_API);
        let kind = WriteKind::PutOrPatch(url.clone());
        // If-Match only on the PUT itself: the polls and the final GET must not carry it.
        let etag = nic
            .get("etag")
            .and_then(Value::as_str)
            .unwrap_or("*")
            .to_owned();
        let send = capture::with_if_match(etag, self.put_json(&url, &nic));
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
    let nic: Value = serde_json::from_slice(body).map_err(|e| ArmError::Decode {
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

    fn spec(kind: EndpointKind) -> EndpointSpec {
        EndpointSpec {
            load_balancer: "lb".into(),
            resource_group: "rg".into(),
            kind,
        }
    }

    #[test]
    fn add_and_drop_on_primary_ipconfig() {
        let mut nic = json!({
            "name": "n", "properties": {"ipConfigurations": [
                {"name": "second", "properties": {"primary": false}},
                {"name": "ipconfig1", "properties": {"primary": true}}]}
        });
        let s = spec(EndpointKind::BackendPool("pool".into()));
        assert!(!nic_has(&nic, &s));
        let id = "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Network/loadBalancers/lb/backendAddressPools/pool";
        assert!(add_endpoint_ref(&mut nic, &s, id.into()));
        assert!(nic_has(&nic, &s));
        assert_eq!(
            nic["properties"]["ipConfigurations"][1]["properties"]
                ["loadBalancerBackendAddressPools"],
            json!([{ "id": id }])
        );
        drop_endpoint(&mut nic, &s);
        assert!(!nic_has(&nic, &s));
        let nat = spec(EndpointKind::NatRule("pool".into()));
        assert!(!nic_has(&nic, &nat));
    }

    #[test]
    fn nic_without_ipconfig_cannot_take_an_endpoint() {
        let mut nic = json!({"name": "n", "properties": {}});
        let s = spec(EndpointKind::NatRule("r".into()));
        assert!(!add_endpoint_ref(&mut nic, &s, "id".into()));
    }

    #[test]
    fn every_property_but_the_reference_survives_a_round_trip() {
        let original = json!({
            "name": "n", "etag": "W/\"1\"", "tags": {"team": "db"}, "futureTopLevel": {"x": 1},
            "properties": {
                "networkSecurityGroup": {"id": "/nsg"}, "auxiliaryMode": "Floating",
                "auxiliarySku": "A2", "somethingNew": [1, 2],
                "ipConfigurations": [{"name": "ipconfig1", "properties": {
                    "primary": true, "privateIPAllocationMethod": "Static",
                    "privateIPAddress": "10.0.0.9",
                    "applicationSecurityGroups": [{"id": "/asg"}],
                    "loadBalancerBackendAddressPools": [{"id": "/other-pool"}]}}]}
        });
        let s = spec(EndpointKind::BackendPool("pool".into()));
        let id = "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Network/loadBalancers/lb/backendAddressPools/pool";
        let mut nic = original.clone();
        assert!(add_endpoint_ref(&mut nic, &s, id.into()));
        assert_ne!(nic, original);
        drop_endpoint(&mut nic, &s);
        assert_eq!(nic, original);
    }
}
