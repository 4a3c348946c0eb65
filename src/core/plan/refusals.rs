//! What Azure would refuse when the role's disks move to a standby, foreseen from the inventory
//! so a plan says so before its first write instead of failing at `attach` with the role down.
//!
//! Pure: the caller hands over the standby's facts and a way to look disks up. Each refusal
//! carries the facts that cause it and the way out, in plain words. Only refusals the inventory
//! proves are reported: an unknown zone, size limit or region is not a refusal.
//!
//! A shared disk never moves: the plan sends it no attach, so a standby it is not attached to
//! cannot take over (baton refuses), and at its share limit Azure would refuse it there too.

use super::blockers::Blocker;
use super::PlanInput;
use crate::core::model::{same_name, AttachedDisk, DiskFacts, RoleSpec, VmFacts};
use serde::Serialize;
use std::fmt;

/// One reason Azure would refuse to attach the role's disks to a standby.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
// Tagged `refusal`, not `kind`: the blocker wrapping it already uses `kind`.
#[serde(tag = "refusal", rename_all = "snake_case")]
pub enum Refusal {
    /// A zonal disk and a standby in another zone.
    OtherZone {
        /// The disk.
        disk: String,
        /// Its SKU.
        sku: String,
        /// The zone the disk is pinned to.
        disk_zone: String,
        /// The standby.
        vm: String,
        /// The standby's zone.
        vm_zone: String,
    },
    /// A zonal disk and a standby in an availability set.
    AvailabilitySet {
        /// The disk.
        disk: String,
        /// Its SKU.
        sku: String,
        /// The zone the disk is pinned to.
        disk_zone: String,
        /// The standby.
        vm: String,
        /// The standby's availability set.
        set: String,
    },
    /// The standby's size has fewer data-disk slots than its own disks plus the role's.
    TooFewSlots {
        /// The standby.
        vm: String,
        /// Its size.
        size: String,
        /// The size's `maxDataDiskCount`.
        max: u32,
        /// Data disks the standby already has, outside the role.
        own: u32,
        /// Disks of the role that would be attached.
        role: u32,
    },
    /// A LUN the role needs is taken on the standby by a disk outside the role.
    LunTaken {
        /// The standby.
        vm: String,
        /// The LUN.
        lun: i32,
        /// The role's disk configured at that LUN.
        disk: String,
        /// The foreign disk sitting there.
        taken_by: String,
    },
    /// A shared disk is not attached to the standby: the plan attaches no shared disk.
    SharedNotAttached {
        /// The disk.
        disk: String,
        /// The standby.
        vm: String,
        /// The VMs it is attached to.
        holders: Vec<String>,
        /// Its `maxShares`.
        max_shares: i32,
    },
    /// A shared disk is not attached to the standby and is at its share limit.
    SharedAtLimit {
        /// The disk.
        disk: String,
        /// The standby.
        vm: String,
        /// The VMs holding every share.
        holders: Vec<String>,
        /// Its `maxShares`.
        max_shares: i32,
    },
    /// A disk and a standby in different regions.
    OtherRegion {
        /// The disk.
        disk: String,
        /// Its region.
        disk_region: String,
        /// The standby.
        vm: String,
        /// The standby's region.
        vm_region: String,
    },
}

impl Refusal {
    /// The standby the refusal is about.
    pub fn vm(&self) -> &str {
        match self {
            Refusal::OtherZone { vm, .. }
            | Refusal::AvailabilitySet { vm, .. }
            | Refusal::TooFewSlots { vm, .. }
            | Refusal::LunTaken { vm, .. }
            | Refusal::SharedNotAttached { vm, .. }
            | Refusal::SharedAtLimit { vm, .. }
            | Refusal::OtherRegion { vm, .. } => vm,
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::OtherZone { disk, sku, disk_zone, vm, vm_zone } => write!(
                f,
                "Azure would refuse to attach disk {disk} to {vm}: the disk ({sku}) is in zone {disk_zone}, {vm} in zone {vm_zone}. Way out: convert {disk} to a ZRS SKU (Premium_ZRS or StandardSSD_ZRS), or use a standby in zone {disk_zone}"
            ),
            Refusal::AvailabilitySet { disk, sku, disk_zone, vm, set } => write!(
                f,
                "Azure would refuse to attach disk {disk} to {vm}: the disk ({sku}) is pinned to zone {disk_zone}, {vm} is in availability set {set}. Way out: convert {disk} to a ZRS SKU, or use a standby outside an availability set"
            ),
            Refusal::TooFewSlots { vm, size, max, own, role } => write!(
                f,
                "Azure would refuse to attach the role's disks to {vm}: {size} takes {max} data disks, {vm} has {own} of its own and the role brings {role}. Way out: resize {vm} to a size with at least {} data-disk slots, or detach its other disks",
                own + role
            ),
            Refusal::LunTaken { vm, lun, disk, taken_by } => write!(
                f,
                "Azure would refuse to attach disk {disk} to {vm}: LUN {lun} there holds {taken_by}, outside the role. Way out: move {taken_by} to another LUN, or give {disk} a free LUN in the config"
            ),
            Refusal::SharedNotAttached { disk, vm, holders, max_shares } => write!(
                f,
                "shared disk {disk} is not attached to {vm} (shared {}/{max_shares}: {}), and a failover attaches no shared disk. Way out: attach {disk} to {vm} (a free share is left), or drop `shared` from the config so the disk moves",
                holders.len(),
                holders.join(", ")
            ),
            Refusal::SharedAtLimit { disk, vm, holders, max_shares } => write!(
                f,
                "Azure would refuse to attach shared disk {disk} to {vm}: every share is taken (maxShares {max_shares}, held by {}). Way out: detach it from a VM outside the failover, or raise its maxShares (with every holder deallocated)",
                holders.join(", ")
            ),
            Refusal::OtherRegion { disk, disk_region, vm, vm_region } => write!(
                f,
                "Azure would refuse to attach disk {disk} to {vm}: the disk is in {disk_region}, {vm} in {vm_region}, and a disk never leaves its region. Way out: a standby in {disk_region}"
            ),
        }
    }
}

/// Everything Azure would refuse if the role's disks moved to `standby`. Disks already on it
/// need no attach and are never refused; disks missing from the inventory are left to the
/// leader's own checks.
pub fn check<'a>(
    spec: &RoleSpec,
    standby: &VmFacts,
    disk: impl Fn(&str) -> Option<&'a DiskFacts>,
) -> Vec<Refusal> {
    let on_standby = |name: &str| standby.data_disks.iter().any(|d| same_name(&d.name, name));
    let mut out = Vec::new();
    for d in spec.disks.iter().filter(|d| !on_standby(&d.name)) {
        match (disk(&d.name), d.shared) {
            (Some(facts), true) => shares(standby, facts, &mut out),
            (Some(facts), false) => placement(standby, facts, &mut out),
            (None, _) => {}
        }
    }
    slots(spec, standby, &mut out);
    luns(spec, standby, &mut out);
    out
}

/// A shared disk missing from the standby: refused by baton, or by Azure at its share limit.
fn shares(vm: &VmFacts, disk: &DiskFacts, out: &mut Vec<Refusal>) {
    let holders = disk.holders();
    let max_shares = disk.storage.max_shares.unwrap_or(1);
    let (disk, vm) = (disk.name.clone(), vm.name.clone());
    let at_limit = i32::try_from(holders.len()).unwrap_or(i32::MAX) >= max_shares;
    out.push(if at_limit {
        Refusal::SharedAtLimit {
            disk,
            vm,
            holders,
            max_shares,
        }
    } else {
        Refusal::SharedNotAttached {
            disk,
            vm,
            holders,
            max_shares,
        }
    });
}

/// Zone, availability set and region of one disk against the standby.
fn placement(vm: &VmFacts, disk: &DiskFacts, out: &mut Vec<Refusal>) {
    let (p, s) = (&vm.placement, &disk.storage);
    let sku = s.sku.clone().unwrap_or_else(|| "unknown SKU".into());
    if let (Some(dr), Some(vr)) = (s.location.as_deref(), p.location.as_deref()) {
        if !same_region(dr, vr) {
            out.push(Refusal::OtherRegion {
                disk: disk.name.clone(),
                disk_region: dr.to_owned(),
                vm: vm.name.clone(),
                vm_region: vr.to_owned(),
            });
            return;
        }
    }
    let Some(disk_zone) = s.zone() else {
        return;
    };
    if let Some(set) = &p.availability_set {
        out.push(Refusal::AvailabilitySet {
            disk: disk.name.clone(),
            sku,
            disk_zone: disk_zone.to_owned(),
            vm: vm.name.clone(),
            set: set.clone(),
        });
    } else if let Some(vm_zone) = p.zones.first().filter(|z| *z != disk_zone) {
        out.push(Refusal::OtherZone {
            disk: disk.name.clone(),
            sku,
            disk_zone: disk_zone.to_owned(),
            vm: vm.name.clone(),
            vm_zone: vm_zone.clone(),
        });
    }
}

/// Regions compare without case and spaces (`West Europe` is `westeurope`).
fn same_region(a: &str, b: &str) -> bool {
    let norm = |s: &str| s.replace(' ', "").to_ascii_lowercase();
    norm(a) == norm(b)
}

fn in_role(spec: &RoleSpec, d: &AttachedDisk) -> bool {
    spec.disks.iter().any(|r| same_name(&r.name, &d.name))
}

fn slots(spec: &RoleSpec, vm: &VmFacts, out: &mut Vec<Refusal>) {
    let (Some(max), Some(size)) = (vm.placement.max_data_disks, vm.placement.size.as_ref()) else {
        return;
    };
    let own = count(vm.data_disks.iter().filter(|d| !in_role(spec, d)).count());
    let role = count(spec.disks.len());
    if own + role > max {
        out.push(Refusal::TooFewSlots {
            vm: vm.name.clone(),
            size: size.clone(),
            max,
            own,
            role,
        });
    }
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn luns(spec: &RoleSpec, vm: &VmFacts, out: &mut Vec<Refusal>) {
    for d in &spec.disks {
        let foreign = vm
            .data_disks
            .iter()
            .find(|a| a.lun == d.lun && !in_role(spec, a));
        if let Some(f) = foreign {
            out.push(Refusal::LunTaken {
                vm: vm.name.clone(),
                lun: d.lun,
                disk: d.name.clone(),
                taken_by: f.name.clone(),
            });
        }
    }
}

/// What Azure would refuse if the plan's disks moved to `target`, as blockers.
pub(super) fn for_target(input: &PlanInput<'_>, target: &str) -> Vec<Refusal> {
    let Some(facts) = input.facts else {
        return Vec::new();
    };
    match facts.vm(target) {
        Some(vm) => check(input.spec, vm, |d| facts.disk(d)),
        None => Vec::new(),
    }
}

/// The plan's blockers for the chosen target.
pub(super) fn blockers(input: &PlanInput<'_>, target: Option<&str>) -> Vec<Blocker> {
    target
        .map(|t| for_target(input, t))
        .unwrap_or_default()
        .into_iter()
        .map(Blocker::AzureWouldRefuse)
        .collect()
}

#[cfg(test)]
#[path = "refusals_tests.rs"]
mod tests;
