//! Microsoft.Compute routes: VM lists and reads, disk reads, the VM size list, and dispatch of VM writes and
//! actions to `vm_write`.
//!
//! Reads never change the world; writes live in `vm_write`.

use serde_json::json;

use super::{bad_method, matches, need_group, page, vm_actions, vm_write, Ctx};
use crate::emulator::reply::{ArmError, ArmReply};
use crate::emulator::world::{ids, sizes, Disk, Vm};

const SUB_VMS: &str = "subscriptions/{}/providers/Microsoft.Compute/virtualMachines";
const RG_VMS: &str =
    "subscriptions/{}/resourceGroups/{}/providers/Microsoft.Compute/virtualMachines";
const VM: &str =
    "subscriptions/{}/resourceGroups/{}/providers/Microsoft.Compute/virtualMachines/{}";
const VM_SUB: &str =
    "subscriptions/{}/resourceGroups/{}/providers/Microsoft.Compute/virtualMachines/{}/{}";
const RG_DISKS: &str = "subscriptions/{}/resourceGroups/{}/providers/Microsoft.Compute/disks";
const DISK: &str = "subscriptions/{}/resourceGroups/{}/providers/Microsoft.Compute/disks/{}";
const VM_SIZES: &str = "subscriptions/{}/providers/Microsoft.Compute/locations/{}/vmSizes";

pub(super) fn route(ctx: &mut Ctx<'_>, segs: &[String]) -> Option<Result<ArmReply, ArmError>> {
    let get = ctx.req.method == "GET";
    if matches(segs, SUB_VMS).is_some() {
        return Some(if get {
            Ok(list_subscription(ctx))
        } else {
            Err(bad_method(ctx.req))
        });
    }
    if let Some(c) = matches(segs, RG_VMS) {
        return Some(if get {
            list_group(ctx, c[1])
        } else {
            Err(bad_method(ctx.req))
        });
    }
    if let Some(c) = matches(segs, VM) {
        let (rg, name) = (c[1].to_string(), c[2].to_string());
        return Some(match ctx.req.method.as_str() {
            "GET" => get_vm(ctx, &rg, &name),
            "PUT" => vm_write::put_or_patch(ctx, &rg, &name, false),
            "PATCH" => vm_write::put_or_patch(ctx, &rg, &name, true),
            _ => Err(bad_method(ctx.req)),
        });
    }
    if let Some(c) = matches(segs, VM_SUB) {
        let (rg, name, action) = (c[1].to_string(), c[2].to_string(), c[3].to_string());
        return Some(vm_sub(ctx, &rg, &name, &action));
    }
    if let Some(c) = matches(segs, RG_DISKS) {
        return Some(if get {
            list_disks(ctx, c[1])
        } else {
            Err(bad_method(ctx.req))
        });
    }
    if matches(segs, VM_SIZES).is_some() {
        return Some(if get {
            Ok(vm_sizes())
        } else {
            Err(bad_method(ctx.req))
        });
    }
    if let Some(c) = matches(segs, DISK) {
        return Some(if get {
            get_disk(ctx, c[1], c[2])
        } else {
            Err(bad_method(ctx.req))
        });
    }
    None
}

/// The VM size list of a region (one page, no nextLink, as Azure answers it); the same
/// sizes in every region.
fn vm_sizes() -> ArmReply {
    let value: Vec<serde_json::Value> = sizes::SIZES
        .iter()
        .map(|s| {
            json!({
                "name": s.name,
                "numberOfCores": s.cores,
                "osDiskSizeInMB": 1_047_552,
                "resourceDiskSizeInMB": s.resource_disk_mb,
                "memoryInMB": s.memory_mb,
                "maxDataDiskCount": s.max_data_disks,
            })
        })
        .collect();
    ArmReply::ok(json!({ "value": value }))
}

fn vm_sub(ctx: &mut Ctx<'_>, rg: &str, name: &str, action: &str) -> Result<ArmReply, ArmError> {
    let post = ctx.req.method == "POST";
    match action.to_ascii_lowercase().as_str() {
        "instanceview" if ctx.req.method == "GET" => {
            let vi = find_vm(ctx, rg, name)?;
            let w = &ctx.st.world;
            Ok(ArmReply::ok(w.instance_view(&w.vms[vi])))
        }
        "attachdetachdatadisks" if post => vm_write::attach_detach(ctx, rg, name),
        "runcommand" if post => vm_actions::run_command(ctx, rg, name),
        "start" if post => vm_actions::power(ctx, rg, name, crate::emulator::lro::OpKind::Start),
        "poweroff" if post => {
            vm_actions::power(ctx, rg, name, crate::emulator::lro::OpKind::PowerOff)
        }
        "deallocate" if post => {
            vm_actions::power(ctx, rg, name, crate::emulator::lro::OpKind::Deallocate)
        }
        "instanceview"
        | "attachdetachdatadisks"
        | "runcommand"
        | "start"
        | "poweroff"
        | "deallocate" => Err(bad_method(ctx.req)),
        _ => Err(super::no_route(ctx.req)),
    }
}

/// Index of a VM, or ResourceGroupNotFound / ResourceNotFound.
pub(super) fn find_vm(ctx: &Ctx<'_>, rg: &str, name: &str) -> Result<usize, ArmError> {
    need_group(ctx, rg)?;
    ctx.st
        .world
        .vm_index(rg, name)
        .ok_or_else(|| ArmError::not_found("Microsoft.Compute/virtualMachines", name, rg))
}

fn expand_instance_view(ctx: &Ctx<'_>) -> bool {
    ctx.req
        .q("$expand")
        .is_some_and(|v| v.eq_ignore_ascii_case("instanceView"))
}

fn get_vm(ctx: &Ctx<'_>, rg: &str, name: &str) -> Result<ArmReply, ArmError> {
    let vi = find_vm(ctx, rg, name)?;
    let w = &ctx.st.world;
    let vm = &w.vms[vi];
    Ok(ArmReply::ok(w.vm_json(vm, expand_instance_view(ctx)))
        .header("etag", crate::emulator::world::json::vm_etag(vm)))
}

fn list_group(ctx: &Ctx<'_>, rg: &str) -> Result<ArmReply, ArmError> {
    need_group(ctx, rg)?;
    let w = &ctx.st.world;
    let expand = expand_instance_view(ctx);
    let items: Vec<&Vm> = w
        .vms
        .iter()
        .filter(|v| v.rg.eq_ignore_ascii_case(rg))
        .collect();
    Ok(ArmReply::ok(page(ctx, &items, |v| w.vm_json(v, expand))))
}

fn list_subscription(ctx: &Ctx<'_>) -> ArmReply {
    let w = &ctx.st.world;
    let status_only = ctx.req.flag("statusOnly");
    let expand = expand_instance_view(ctx);
    let items: Vec<&Vm> = w.vms.iter().collect();
    ArmReply::ok(page(ctx, &items, |v| {
        if status_only {
            json!({
                "id": ids::vm(&w.subscription, &v.rg, &v.name),
                "name": v.name,
                "type": "Microsoft.Compute/virtualMachines",
                "location": w.location,
                "properties": {"vmId": v.vm_id, "instanceView": w.instance_view(v)},
            })
        } else {
            w.vm_json(v, expand)
        }
    }))
}

fn list_disks(ctx: &Ctx<'_>, rg: &str) -> Result<ArmReply, ArmError> {
    need_group(ctx, rg)?;
    let w = &ctx.st.world;
    let items: Vec<&Disk> = w
        .disks
        .iter()
        .filter(|d| d.rg.eq_ignore_ascii_case(rg))
        .collect();
    Ok(ArmReply::ok(page(ctx, &items, |d| w.disk_json(d))))
}

fn get_disk(ctx: &Ctx<'_>, rg: &str, name: &str) -> Result<ArmReply, ArmError> {
    need_group(ctx, rg)?;
    let w = &ctx.st.world;
    let di = w
        .disk_index(rg, name)
        .ok_or_else(|| ArmError::not_found("Microsoft.Compute/disks", name, rg))?;
    Ok(ArmReply::ok(w.disk_json(&w.disks[di])))
}
