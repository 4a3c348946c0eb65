//! One inventory refresh: everything Azure says about the configured roles, for
//! O(resource groups + load balancers) ARM requests (one subscription-wide `statusOnly` VM list,
//! per group one VM, one disk and one NIC list, per load balancer one GET, per region one VM size
//! list on the client's first refresh only), never one GET per VM.
//! It counts the requests it made. It must not write.

use crate::azure::capture;
use crate::azure::client::ReadClient;
use crate::azure::error::ArmError;
use crate::core::model::{same_name, AzureFacts, RoleSpec};
use futures::future::try_join_all;

/// Which resource groups and load balancers a refresh reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InventoryScope {
    /// Distinct resource groups (case-insensitive), in first-seen order.
    pub resource_groups: Vec<String>,
    /// Distinct `(resource group, load balancer)` pairs, in first-seen order.
    pub load_balancers: Vec<(String, String)>,
}

impl InventoryScope {
    /// The groups of the roles' VMs/disks/NICs and the load balancers of their endpoints.
    pub fn for_roles(roles: &[RoleSpec]) -> Self {
        let mut scope = InventoryScope::default();
        for role in roles {
            if !scope
                .resource_groups
                .iter()
                .any(|g| same_name(g, &role.resource_group))
            {
                scope.resource_groups.push(role.resource_group.clone());
            }
            let ep = &role.endpoint;
            let known = scope
                .load_balancers
                .iter()
                .any(|(g, n)| same_name(g, &ep.resource_group) && same_name(n, &ep.load_balancer));
            if !known {
                scope
                    .load_balancers
                    .push((ep.resource_group.clone(), ep.load_balancer.clone()));
            }
        }
        scope
    }

    /// The ARM requests a refresh makes when every list fits one page and nothing is retried,
    /// with `new_regions` regions whose VM size list the client has not read yet.
    pub fn expected_requests(&self, new_regions: usize) -> usize {
        1 + 3 * self.resource_groups.len() + self.load_balancers.len() + new_regions
    }
}

/// The result of one refresh.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inventory {
    /// What Azure said.
    pub facts: AzureFacts,
    /// ARM requests made (pages and retries included).
    pub requests: usize,
}

/// Reads everything in `scope`; groups and load balancers are read concurrently.
pub async fn refresh(client: &ReadClient, scope: &InventoryScope) -> Result<Inventory, ArmError> {
    let (facts, requests) = capture::scoped(client.progress(), gather(client, scope)).await;
    Ok(Inventory {
        facts: facts?,
        requests,
    })
}

async fn gather(client: &ReadClient, scope: &InventoryScope) -> Result<AzureFacts, ArmError> {
    let power = client.power_states().await?;
    let groups = scope.resource_groups.iter().map(|rg| {
        let power = &power;
        async move {
            let (vms, disks, nics) = futures::try_join!(
                client.list_vms_with(rg, power),
                client.list_disks(rg),
                client.list_nics(rg)
            )?;
            Ok::<_, ArmError>((vms, disks, nics))
        }
    });
    let lbs = scope
        .load_balancers
        .iter()
        .map(|(rg, name)| client.get_load_balancer(rg, name));
    let (groups, load_balancers) = futures::try_join!(try_join_all(groups), try_join_all(lbs))?;
    let mut facts = AzureFacts {
        load_balancers,
        ..AzureFacts::default()
    };
    for (vms, disks, nics) in groups {
        facts.vms.extend(vms);
        facts.disks.extend(disks);
        facts.nics.extend(nics);
    }
    add_size_limits(client, &mut facts).await?;
    Ok(facts)
}

/// Fills each VM's data-disk limit from its region's size list (read once per region and
/// client, so a refresh costs one more request per new region, then none).
async fn add_size_limits(client: &ReadClient, facts: &mut AzureFacts) -> Result<(), ArmError> {
    let mut locations: Vec<String> = Vec::new();
    for vm in &facts.vms {
        if let Some(l) = vm.placement.location.as_deref() {
            if !locations.iter().any(|k| same_name(k, l)) {
                locations.push(l.to_owned());
            }
        }
    }
    let limits = try_join_all(locations.iter().map(|l| client.vm_size_limits(l))).await?;
    for vm in &mut facts.vms {
        let p = &mut vm.placement;
        let region = p
            .location
            .as_deref()
            .and_then(|l| locations.iter().position(|k| same_name(k, l)));
        if let (Some(i), Some(size)) = (region, p.size.as_deref()) {
            p.max_data_disks = limits[i].get(&size.to_ascii_lowercase()).copied();
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::model::{EndpointKind, EndpointSpec};

    fn role(name: &str, rg: &str, lb_rg: &str, lb: &str) -> RoleSpec {
        RoleSpec {
            name: name.into(),
            resource_group: rg.into(),
            vms: vec![format!("{name}-a"), format!("{name}-b")],
            disks: vec![],
            endpoint: EndpointSpec {
                load_balancer: lb.into(),
                resource_group: lb_rg.into(),
                kind: EndpointKind::NatRule(format!("{name}-app")),
            },
        }
    }

    #[test]
    fn scope_is_distinct_case_insensitively() {
        let roles = vec![
            role("web", "rg-contoso", "rg-contoso", "lb-contoso"),
            role("app", "RG-Contoso", "rg-contoso", "LB-contoso"),
            role("db", "rg-data", "rg-net", "lb-data"),
        ];
        let s = InventoryScope::for_roles(&roles);
        assert_eq!(s.resource_groups, vec!["rg-contoso", "rg-data"]);
        assert_eq!(
            s.load_balancers,
            vec![
                ("rg-contoso".to_owned(), "lb-contoso".to_owned()),
                ("rg-net".to_owned(), "lb-data".to_owned())
            ]
        );
        assert_eq!(s.expected_requests(0), 1 + 6 + 2);
        assert_eq!(s.expected_requests(1), 1 + 6 + 2 + 1);
    }
}
