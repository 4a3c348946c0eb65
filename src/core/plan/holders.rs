//! Who holds what, from the derived role status, and how the preview names their NICs.
//! Pure lookups shared by the step builders.

use super::PlanInput;
use crate::core::leader::{RoleStatus, VmStatus};
use crate::core::model::same_name;

const NIC_PATH: &str = "Microsoft.Network/networkInterfaces";

/// The old master, else every non-target VM holding a part of the role.
pub(super) fn from_label(status: &RoleStatus, target: Option<&str>) -> Option<String> {
    let is_target = |vm: &str| target.is_some_and(|t| same_name(t, vm));
    if let Some(master) = status.master.as_deref().filter(|m| !is_target(m)) {
        return Some(master.to_string());
    }
    let holders = holders(status, target.unwrap_or(""));
    (!holders.is_empty()).then(|| holders.join(", "))
}

/// Non-target holders of the endpoint or a disk that moves (every VM holds the shared ones):
/// role VMs in config order, then foreign ones.
fn holders(status: &RoleStatus, target: &str) -> Vec<String> {
    let all: Vec<&str> = status
        .endpoint_holders
        .iter()
        .map(String::as_str)
        .chain(
            status
                .disks
                .iter()
                .filter(|d| !d.shared)
                .filter_map(|d| d.attached_to.as_deref()),
        )
        .filter(|h| !same_name(h, target))
        .collect();
    let mut out: Vec<String> = status
        .vms
        .iter()
        .filter(|vm| all.iter().any(|h| same_name(h, &vm.name)))
        .map(|vm| vm.name.clone())
        .collect();
    for h in all {
        if !out.iter().any(|o| same_name(o, h)) {
            out.push(h.to_string());
        }
    }
    out
}

/// The role VMs among the non-target holders (never fence a foreign VM).
pub(super) fn holder_vms<'s>(status: &'s RoleStatus, target: &str) -> Vec<&'s VmStatus> {
    let holders = holders(status, target);
    status
        .vms
        .iter()
        .filter(|vm| holders.iter().any(|h| same_name(h, &vm.name)))
        .collect()
}

/// A NIC as the preview names it: by name when the facts know it, else by its VM.
pub(super) struct Nic {
    name: Option<String>,
    vm: String,
}

impl Nic {
    pub(super) fn words(&self) -> String {
        match &self.name {
            Some(n) => n.clone(),
            None => format!("{}'s NIC", self.vm),
        }
    }

    pub(super) fn put(&self) -> String {
        match &self.name {
            Some(n) => format!("PUT {NIC_PATH}/{n}"),
            None => format!("PUT {NIC_PATH}/<NIC of {}>", self.vm),
        }
    }
}

/// The NIC of a holder that references the endpoint (`NIC x` holders are VM-less NICs).
pub(super) fn holder_nic(input: &PlanInput<'_>, holder: &str) -> Nic {
    if let Some(nic) = holder.strip_prefix("NIC ") {
        return Nic {
            name: Some(nic.to_string()),
            vm: holder.to_string(),
        };
    }
    let name = input.facts.and_then(|f| {
        f.nics
            .iter()
            .find(|n| {
                n.vm.as_deref().is_some_and(|v| same_name(v, holder))
                    && n.lb_refs.iter().any(|r| input.spec.endpoint.matches_id(r))
            })
            .map(|n| n.name.clone())
    });
    Nic {
        name,
        vm: holder.to_string(),
    }
}

/// The target's primary (first) NIC.
pub(super) fn target_nic(input: &PlanInput<'_>, target: &str) -> Nic {
    let name = input.facts.and_then(|f| {
        f.vm(target)
            .and_then(|vm| vm.nics.first().cloned())
            .or_else(|| {
                f.nics
                    .iter()
                    .find(|n| n.vm.as_deref().is_some_and(|v| same_name(v, target)))
                    .map(|n| n.name.clone())
            })
    });
    Nic {
        name,
        vm: target.to_string(),
    }
}
