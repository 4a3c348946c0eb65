//! One inventory refresh: everything Azure says about the configured roles, for
//! O(resource groups + load balancers) ARM requests (one subscription-wide `statusOnly` VM list,
//! per group one disk and one NIC list, per load balancer one GET, per region one VM size list
//! on the client's first refresh only), never one GET per VM. The per-group VM model lists (the
//! costliest compute reads) are read on a full refresh, and on a light one only for groups whose
//! disks, NICs or statuses disagree with the cached models ([`VmModelCache`]).
//! It counts the requests it made and the budgets the answers reported. It must not write.

use crate::azure::capture;
use crate::azure::client::ReadClient;
use crate::azure::error::ArmError;
use crate::azure::vm_cache::{LightFacts, VmModelCache};
use crate::core::budget::BudgetTally;
use crate::core::model::{same_name, AzureFacts, RoleSpec, VmFacts};
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
    /// What the answers reported of each read budget (requests charged, remaining counts).
    pub budgets: BudgetTally,
    /// Whether every VM model was read (else only the groups whose light facts disagreed).
    pub full: bool,
}

/// Reads everything in `scope`, every VM model included (what every refresh cost before the
/// light refreshes, and what a one-off reader such as `baton status` wants).
pub async fn refresh(client: &ReadClient, scope: &InventoryScope) -> Result<Inventory, ArmError> {
    refresh_with(client, scope, &mut VmModelCache::default()).await
}

/// Reads `scope`, reusing the VM models of `cache` where the statusOnly list and the disk and
/// NIC lists agree with them (see [`VmModelCache`]); every model on the periodic full refresh.
/// Groups and load balancers are read concurrently.
pub async fn refresh_with(
    client: &ReadClient,
    scope: &InventoryScope,
    cache: &mut VmModelCache,
) -> Result<Inventory, ArmError> {
    let full = cache.full_due();
    // Boxed: the gathering future is large, and the executor awaits a refresh deep inside its
    // own futures (a debug build's test thread overflowed its stack without this).
    let gathering = Box::pin(gather(client, scope, cache, full));
    let (gathered, requests, budgets) =
        capture::scoped_with_budgets(client.progress(), gathering).await;
    let (facts, read) = gathered?;
    cache.store(read, full);
    Ok(Inventory {
        facts,
        requests,
        budgets,
        full,
    })
}

/// The facts, and the groups whose VM models were read.
type Gathered = (AzureFacts, Vec<(String, Vec<VmFacts>)>);

async fn gather(
    client: &ReadClient,
    scope: &InventoryScope,
    cache: &VmModelCache,
    full: bool,
) -> Result<Gathered, ArmError> {
    let (power, provisioning) = client.vm_statuses().await?;
    let groups = scope.resource_groups.iter().map(|rg| {
        let power = &power;
        async move {
            let models = async {
                match full {
                    true => client.list_vms_with(rg, power).await.map(Some),
                    false => Ok(None),
                }
            };
            futures::try_join!(models, client.list_disks(rg), client.list_nics(rg))
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
    let mut models = Vec::new();
    for (vms, disks, nics) in groups {
        models.push(vms);
        facts.disks.extend(disks);
        facts.nics.extend(nics);
    }
    let light = LightFacts {
        power: &power,
        provisioning: &provisioning,
        disks: &facts.disks,
        nics: &facts.nics,
    };
    let pending = scope.resource_groups.iter().zip(models).map(|(rg, vms)| {
        let reused = vms.is_none().then(|| cache.reuse(rg, &light)).flatten();
        let power = &power;
        async move {
            match (vms, reused) {
                (Some(vms), _) => Ok((vms, true)),
                (None, Some(vms)) => Ok((vms, false)),
                (None, None) => client.list_vms_with(rg, power).await.map(|v| (v, true)),
            }
        }
    });
    let mut read = Vec::new();
    for (rg, (vms, was_read)) in scope
        .resource_groups
        .iter()
        .zip(try_join_all(pending).await?)
    {
        facts.vms.extend(vms.iter().cloned());
        if was_read {
            read.push((rg.clone(), vms));
        }
    }
    add_size_limits(client, &mut facts).await?;
    Ok((facts, read))
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
