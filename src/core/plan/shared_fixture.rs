//! The plan fixture's role with shared disks: `web-data` (and `web-log` unless the role is
//! mixed) marked shared, `maxShares` 3 and attached to web-a, web-b and web-c.

use super::fixture::World;
use crate::core::model::AttachedDisk;

const SUB: &str = "/subscriptions/s/resourceGroups/rg";

/// Every disk shared (or only `web-data` when `mixed`), each attached to every VM.
pub fn shared_world(mixed: bool) -> World {
    let mut w = World::healthy();
    for d in &mut w.spec.disks {
        d.shared = !mixed || d.name == "web-data";
    }
    let shared: Vec<String> = w
        .spec
        .disks
        .iter()
        .filter(|d| d.shared)
        .map(|d| d.name.clone())
        .collect();
    for name in &shared {
        attach_shared(&mut w, name, &["web-a", "web-b", "web-c"], 3);
    }
    w
}

/// Attaches shared disk `name` to exactly `holders` (the first is `managedBy`), `maxShares`
/// set to `max`.
pub fn attach_shared(w: &mut World, name: &str, holders: &[&str], max: i32) {
    let lun = w
        .spec
        .disks
        .iter()
        .find(|d| d.name == name)
        .map_or(9, |d| d.lun);
    for vm in &mut w.facts.vms {
        vm.data_disks.retain(|d| d.name != name);
        if holders.contains(&vm.name.as_str()) {
            vm.data_disks.push(AttachedDisk {
                name: name.into(),
                lun,
                caching: None,
            });
        }
    }
    let ids: Vec<String> = holders
        .iter()
        .map(|vm| format!("{SUB}/providers/Microsoft.Compute/virtualMachines/{vm}"))
        .collect();
    if let Some(d) = w.facts.disks.iter_mut().find(|d| d.name == name) {
        d.managed_by = ids.first().cloned();
        d.disk_state = if ids.is_empty() {
            "Unattached"
        } else {
            "Attached"
        }
        .into();
        d.storage.max_shares = Some(max);
        d.storage.managed_by_extended = ids;
    }
}
