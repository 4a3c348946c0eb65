//! What a light inventory refresh reuses: the VM models (LUNs, sizes, zones, NIC order) of the
//! last full read, per resource group, and the rule deciding when a group's models must be read
//! again. Ownership itself comes from what already states it in every refresh (disk `managedBy`,
//! NIC `virtualMachine`, the statusOnly list), so a reused model is only trusted while those
//! agree with it. It must not do I/O.

use crate::azure::parse::{PowerMap, ProvisioningMap};
use crate::core::model::{same_name, DiskFacts, NicFacts, PowerState, VmFacts};
use std::collections::{BTreeSet, HashMap};

/// Every this many refreshes all VM models are read again, agreeing or not: what the disk and
/// NIC lists cannot show (host caching, size, zones of an unchanged VM) is at most this many
/// refreshes old.
pub const FULL_EVERY: u32 = 10;

/// The VM models of the last full read, by lower-cased resource group.
#[derive(Debug, Clone, Default)]
pub struct VmModelCache {
    groups: HashMap<String, Vec<VmFacts>>,
    light_since_full: u32,
}

impl VmModelCache {
    /// Whether the next refresh must read every VM model (nothing cached, or the periodic one).
    pub fn full_due(&self) -> bool {
        self.groups.is_empty() || self.light_since_full + 1 >= FULL_EVERY
    }

    /// Forgets every model: the next refresh reads them all (after a write of this process).
    pub fn invalidate(&mut self) {
        self.groups.clear();
        self.light_since_full = 0;
    }

    /// Records a refresh: `read` holds the groups whose models it read, `full` whether all.
    pub(crate) fn store(&mut self, read: Vec<(String, Vec<VmFacts>)>, full: bool) {
        if full {
            self.groups.clear();
            self.light_since_full = 0;
        } else {
            self.light_since_full += 1;
        }
        for (group, vms) in read {
            self.groups.insert(group.to_ascii_lowercase(), vms);
        }
    }

    /// The cached models of `group` with fresh power states, when the light facts agree with
    /// them; `None` when the group's models must be read.
    pub(crate) fn reuse(&self, group: &str, light: &LightFacts<'_>) -> Option<Vec<VmFacts>> {
        let cached = self.groups.get(&group.to_ascii_lowercase())?;
        let listed = light.vm_ids_in(group);
        let known: BTreeSet<String> = cached.iter().map(|v| v.id.to_ascii_lowercase()).collect();
        if listed != known {
            return None;
        }
        cached.iter().map(|vm| light.refreshed(vm)).collect()
    }
}

/// What every refresh reads anyway: statusOnly states, and the disks and NICs of every group.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LightFacts<'a> {
    /// Power by lower-cased VM id.
    pub power: &'a PowerMap,
    /// Provisioning state by lower-cased VM id.
    pub provisioning: &'a ProvisioningMap,
    /// Disks of every group in scope.
    pub disks: &'a [DiskFacts],
    /// NICs of every group in scope.
    pub nics: &'a [NicFacts],
}

impl LightFacts<'_> {
    /// Lower-cased ids of the statusOnly list's VMs in `group`.
    fn vm_ids_in(&self, group: &str) -> BTreeSet<String> {
        self.power
            .keys()
            .filter(|id| group_of(id).is_some_and(|g| same_name(g, group)))
            .cloned()
            .collect()
    }

    /// `vm` with today's power, if its settled provisioning state, disks and NICs still agree.
    fn refreshed(&self, vm: &VmFacts) -> Option<VmFacts> {
        let id = vm.id.to_ascii_lowercase();
        let provisioning = self.provisioning.get(&id)?;
        let settled =
            provisioning == "succeeded" && vm.provisioning_state.eq_ignore_ascii_case(provisioning);
        if !settled
            || self.disks_of(vm) != cached_disks(self, vm)
            || self.nics_of(vm) != cached_nics(self, vm)
        {
            return None;
        }
        let mut fresh = vm.clone();
        fresh.power = self.power.get(&id).copied().unwrap_or(PowerState::Unknown);
        Some(fresh)
    }

    /// Lower-cased names of the listed disks that name `vm` as a holder.
    fn disks_of(&self, vm: &VmFacts) -> BTreeSet<String> {
        self.disks
            .iter()
            .filter(|d| d.holders().iter().any(|h| same_name(h, &vm.name)))
            .map(|d| d.name.to_ascii_lowercase())
            .collect()
    }

    /// Lower-cased names of the listed NICs whose `virtualMachine` is `vm`.
    fn nics_of(&self, vm: &VmFacts) -> BTreeSet<String> {
        self.nics
            .iter()
            .filter(|n| n.vm.as_deref().is_some_and(|v| same_name(v, &vm.name)))
            .map(|n| n.name.to_ascii_lowercase())
            .collect()
    }
}

/// The cached model's data disks among the listed ones (a disk of a group outside the scope
/// cannot be compared; the periodic full read covers it).
fn cached_disks(light: &LightFacts<'_>, vm: &VmFacts) -> BTreeSet<String> {
    vm.data_disks
        .iter()
        .filter(|d| light.disks.iter().any(|l| same_name(&l.name, &d.name)))
        .map(|d| d.name.to_ascii_lowercase())
        .collect()
}

/// The cached model's NICs among the listed ones.
fn cached_nics(light: &LightFacts<'_>, vm: &VmFacts) -> BTreeSet<String> {
    vm.nics
        .iter()
        .filter(|n| light.nics.iter().any(|l| same_name(&l.name, n)))
        .map(|n| n.to_ascii_lowercase())
        .collect()
}

/// The resource group segment of an ARM id.
fn group_of(id: &str) -> Option<&str> {
    let mut parts = id.split('/');
    parts.find(|p| p.eq_ignore_ascii_case("resourceGroups"))?;
    parts.next()
}
