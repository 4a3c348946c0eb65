//! ARM resource ids: building them and reading names back out of ids in request bodies.
//!
//! Pure string work; no lookups in the world.

/// `/subscriptions/{s}/resourceGroups/{rg}`.
pub(crate) fn group(sub: &str, rg: &str) -> String {
    format!("/subscriptions/{sub}/resourceGroups/{rg}")
}

/// A VM id.
pub(crate) fn vm(sub: &str, rg: &str, name: &str) -> String {
    format!(
        "{}/providers/Microsoft.Compute/virtualMachines/{name}",
        group(sub, rg)
    )
}

/// A managed disk id.
/// Id of an availability set.
pub(crate) fn availability_set(sub: &str, rg: &str, name: &str) -> String {
    format!(
        "{}/providers/Microsoft.Compute/availabilitySets/{name}",
        group(sub, rg)
    )
}

pub(crate) fn disk(sub: &str, rg: &str, name: &str) -> String {
    format!(
        "{}/providers/Microsoft.Compute/disks/{name}",
        group(sub, rg)
    )
}

/// A NIC id.
pub(crate) fn nic(sub: &str, rg: &str, name: &str) -> String {
    format!(
        "{}/providers/Microsoft.Network/networkInterfaces/{name}",
        group(sub, rg)
    )
}

/// An ipconfig id.
pub(crate) fn ipconfig(sub: &str, rg: &str, nic_name: &str, name: &str) -> String {
    format!("{}/ipConfigurations/{name}", nic(sub, rg, nic_name))
}

/// A load balancer id.
pub(crate) fn lb(sub: &str, rg: &str, name: &str) -> String {
    format!(
        "{}/providers/Microsoft.Network/loadBalancers/{name}",
        group(sub, rg)
    )
}

/// A load balancer child id (`inboundNatRules`, `backendAddressPools`, ...).
pub(crate) fn lb_child(sub: &str, rg: &str, lb_name: &str, kind: &str, name: &str) -> String {
    format!("{}/{kind}/{name}", lb(sub, rg, lb_name))
}

/// The default subnet of a resource group's virtual network.
pub(crate) fn subnet(sub: &str, rg: &str) -> String {
    format!(
        "{}/providers/Microsoft.Network/virtualNetworks/vnet-{}/subnets/default",
        group(sub, rg),
        rg.trim_start_matches("rg-")
    )
}

/// Parsed parts of an id: the resource group and the `(type, name)` pairs after the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParsedId {
    pub rg: String,
    pub pairs: Vec<(String, String)>,
}

impl ParsedId {
    /// The name following a type segment (case-insensitive), e.g. `disks` → `web-data`.
    pub fn name_of(&self, kind: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(kind))
            .map(|(_, v)| v.as_str())
    }
}

/// Parse `/subscriptions/{s}/resourceGroups/{rg}/providers/{ns}/{type}/{name}[/{type}/{name}..]`.
pub(crate) fn parse(id: &str) -> Option<ParsedId> {
    let parts: Vec<&str> = id.trim_matches('/').split('/').collect();
    let rg_pos = parts
        .iter()
        .position(|p| p.eq_ignore_ascii_case("resourceGroups"))?;
    let rg = parts.get(rg_pos + 1)?.to_string();
    let prov = parts
        .iter()
        .position(|p| p.eq_ignore_ascii_case("providers"))?;
    let rest = parts.get(prov + 2..)?;
    let pairs = rest
        .chunks(2)
        .filter(|c| c.len() == 2)
        .map(|c| (c[0].to_string(), c[1].to_string()))
        .collect();
    Some(ParsedId { rg, pairs })
}
