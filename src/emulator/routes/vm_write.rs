//! VM writes that change data disks: PUT/PATCH (dataDisks) and attachDetachDataDisks. Validates against the current model, applies the accepted change as pending,
//! and starts the operation that completes it.
//!
//! Completion effects live in `lro`; this module never finishes an operation itself.

use serde_json::Value;

use super::compute::find_vm;
use super::monitor::{accepted, compute_url};
use super::{check_if_match, Ctx};
use crate::emulator::faults::FaultKind;
use crate::emulator::lro::{OpError, OpKind, Operation};
use crate::emulator::reply::{ArmError, ArmReply};
use crate::emulator::stall::takes_stall;
use crate::emulator::world::{ids, json::vm_etag, same, sizes, DataDisk, Disk, Pending, Vm, World};

/// A disk to attach.
struct Attach {
    rg: String,
    disk: String,
    lun: Option<i32>,
    caching: String,
}

/// Requested data disk changes.
#[derive(Default)]
struct Changes {
    attach: Vec<Attach>,
    detach: Vec<(String, String)>,
    /// Some detach says `detachOption: ForceDetach`: it does not wait for the guest.
    forced: bool,
}

/// The disk a body entry names: `managedDisk.id` / `diskId`, else `name` in the VM's group.
fn disk_ref(entry: &Value, id_key: &str, vm_rg: &str) -> Option<(String, String)> {
    let id = entry
        .pointer(id_key)
        .and_then(Value::as_str)
        .and_then(ids::parse);
    if let Some(p) = id {
        return p.name_of("disks").map(|n| (p.rg.clone(), n.to_string()));
    }
    entry
        .get("name")
        .and_then(Value::as_str)
        .map(|n| (vm_rg.to_string(), n.to_string()))
}

fn changes_from_data_disks(ctx: &Ctx<'_>, vi: usize, list: &[Value]) -> Result<Changes, ArmError> {
    let vm = &ctx.st.world.vms[vi];
    let mut ch = Changes::default();
    let mut listed = vec![];
    for entry in list {
        let (rg, disk) = disk_ref(entry, "/managedDisk/id", &vm.rg).ok_or_else(|| {
            ArmError::new(
                400,
                "InvalidParameter",
                "A data disk needs managedDisk.id or name.",
            )
            .target("dataDisks")
        })?;
        listed.push((rg.clone(), disk.clone()));
        if entry.get("toBeDetached").and_then(Value::as_bool) == Some(true) {
            ch.detach.push((rg, disk));
            continue;
        }
        let lun = entry.get("lun").and_then(Value::as_i64).ok_or_else(|| {
            ArmError::new(
                400,
                "InvalidParameter",
                "Required parameter 'lun' is missing (null).",
            )
            .target("dataDisks")
        })?;
        ch.attach.push(Attach {
            rg,
            disk,
            lun: Some(lun as i32),
            caching: caching(entry),
        });
    }
    for d in &vm.data_disks {
        let kept = listed
            .iter()
            .any(|(rg, n)| same(rg, &d.rg) && same(n, &d.disk));
        if !kept {
            ch.detach.push((d.rg.clone(), d.disk.clone()));
        }
    }
    Ok(ch)
}

fn caching(entry: &Value) -> String {
    match entry.get("caching").and_then(Value::as_str) {
        Some(c) if c.eq_ignore_ascii_case("ReadOnly") => "ReadOnly".to_string(),
        Some(c) if c.eq_ignore_ascii_case("ReadWrite") => "ReadWrite".to_string(),
        _ => "None".to_string(),
    }
}

/// VM PUT or PATCH: 200 with `provisioningState: Updating` and Azure-AsyncOperation.
pub(super) fn put_or_patch(
    ctx: &mut Ctx<'_>,
    rg: &str,
    name: &str,
    _patch: bool,
) -> Result<ArmReply, ArmError> {
    let vi = find_vm(ctx, rg, name).map_err(|e| {
        if e.code == "ResourceNotFound" && ctx.req.method == "PUT" {
            ArmError::new(
                400,
                "OperationNotAllowed",
                "Creating virtual machines is not emulated.",
            )
        } else {
            e
        }
    })?;
    check_if_match(ctx.req, &vm_etag(&ctx.st.world.vms[vi]))?;
    let body = ctx.req.json()?;
    let changes = match body
        .pointer("/properties/storageProfile/dataDisks")
        .and_then(Value::as_array)
    {
        Some(list) => changes_from_data_disks(ctx, vi, list)?,
        None => Changes::default(),
    };
    validate(ctx, vi, &changes)?;
    if let Some(tags) = body.get("tags") {
        ctx.st.world.vms[vi].tags = Some(tags.clone());
    }
    let op = start_update(ctx, vi, changes, OpKind::VmUpdate);
    let w = &ctx.st.world;
    let vm = &w.vms[vi];
    Ok(ArmReply::ok(w.vm_json(vm, false)).header("azure-asyncoperation", compute_url(ctx, &op)))
}

/// attachDetachDataDisks: 202 with both monitor headers.
pub(super) fn attach_detach(ctx: &mut Ctx<'_>, rg: &str, name: &str) -> Result<ArmReply, ArmError> {
    let vi = find_vm(ctx, rg, name)?;
    let body = ctx.req.json()?;
    let vm_rg = ctx.st.world.vms[vi].rg.clone();
    let mut ch = Changes::default();
    let empty = vec![];
    let attach = body
        .get("dataDisksToAttach")
        .and_then(Value::as_array)
        .unwrap_or(&empty);
    let detach = body
        .get("dataDisksToDetach")
        .and_then(Value::as_array)
        .unwrap_or(&empty);
    if attach.is_empty() && detach.is_empty() {
        return Err(ArmError::new(
            400,
            "InvalidParameter",
            "At least one of dataDisksToAttach or dataDisksToDetach must be given.",
        ));
    }
    for e in attach {
        let (rg, disk) = disk_ref(e, "/diskId", &vm_rg).ok_or_else(|| {
            ArmError::new(
                400,
                "InvalidParameter",
                "Required parameter 'diskId' is missing (null).",
            )
            .target("dataDisksToAttach")
        })?;
        let lun = e.get("lun").and_then(Value::as_i64).map(|l| l as i32);
        ch.attach.push(Attach {
            rg,
            disk,
            lun,
            caching: caching(e),
        });
    }
    for e in detach {
        let (rg, disk) = disk_ref(e, "/diskId", &vm_rg).ok_or_else(|| {
            ArmError::new(
                400,
                "InvalidParameter",
                "Required parameter 'diskId' is missing (null).",
            )
            .target("dataDisksToDetach")
        })?;
        ch.forced |= e.get("detachOption").and_then(Value::as_str) == Some("ForceDetach");
        ch.detach.push((rg, disk));
    }
    let on_vm = |ch: &(String, String)| {
        ctx.st.world.vms[vi]
            .data_disks
            .iter()
            .any(|d| same(&d.rg, &ch.0) && same(&d.disk, &ch.1))
    };
    ch.detach.retain(on_vm);
    validate(ctx, vi, &ch)?;
    let op = start_update(ctx, vi, ch, OpKind::AttachDetach);
    Ok(accepted(ctx, &op))
}

/// Check every requested change against the current model; nothing is changed here.
fn validate(ctx: &Ctx<'_>, vi: usize, ch: &Changes) -> Result<(), ArmError> {
    let w = &ctx.st.world;
    let vm = &w.vms[vi];
    let vm_id = ids::vm(&w.subscription, &vm.rg, &vm.name);
    let mut used: Vec<i32> = vm
        .data_disks
        .iter()
        .filter(|d| d.pending != Some(Pending::Detach))
        .filter(|d| {
            !ch.detach
                .iter()
                .any(|(rg, n)| same(rg, &d.rg) && same(n, &d.disk))
        })
        .map(|d| d.lun)
        .collect();
    for a in &ch.attach {
        let di = w
            .disk_index(&a.rg, &a.disk)
            .ok_or_else(|| ArmError::not_found("Microsoft.Compute/disks", &a.disk, &a.rg))?;
        let disk = &w.disks[di];
        let disk_id = ids::disk(&w.subscription, &disk.rg, &disk.name);
        let current = vm
            .data_disks
            .iter()
            .find(|d| same(&d.rg, &a.rg) && same(&d.disk, &a.disk));
        if let Some(cur) = current {
            if cur.pending == Some(Pending::Detach) {
                return Err(being_detached(&disk.name, &vm.name));
            }
            if a.lun.is_some_and(|l| l != cur.lun) {
                return Err(ArmError::new(
                    400,
                    "InvalidParameter",
                    format!(
                        "Disk '{}' is already attached to the VM at LUN {}.",
                        disk.name, cur.lun
                    ),
                )
                .target("dataDisks"));
            }
            continue;
        }
        if disk.detaching || (disk.detach_failed && disk.owner.is_some()) {
            return Err(being_detached(&disk.name, &vm.name));
        }
        if disk.max_shares > 1 && disk.owner.is_some() {
            refuse_share(w, vm, disk, &disk_id)?;
        } else if let Some((org, owner)) = &disk.owner {
            if !(same(org, &vm.rg) && same(owner, &vm.name)) {
                return Err(ArmError::new(
                    409,
                    "ConflictingUserInput",
                    format!("Disk '{disk_id}' cannot be attached as the disk is already owned by VM '{}'.", ids::vm(&w.subscription, org, owner)),
                ));
            }
        }
        refuse_placement(vm, disk, &disk_id, a)?;
        if let Some(lun) = a.lun {
            if used.contains(&lun) {
                return Err(ArmError::new(
                    400,
                    "InvalidParameter",
                    format!("A disk at LUN {lun} already exists."),
                )
                .target("dataDisks"));
            }
            used.push(lun);
        } else {
            let free = (0..64).find(|l| !used.contains(l)).unwrap_or(0);
            used.push(free);
        }
    }
    let _ = vm_id;
    refuse_count(vm, used.len())
}

/// Where Azure refuses a disk: another zone, a zonal disk on an availability-set VM, host
/// caching on a SKU that has none. The availability-set and caching codes and messages are
/// guesses (see docs/emulator.md); the cross-zone one is Azure's.
fn refuse_placement(vm: &Vm, disk: &Disk, disk_id: &str, a: &Attach) -> Result<(), ArmError> {
    let no_caching = ["UltraSSD_LRS", "PremiumV2_LRS"]
        .iter()
        .any(|s| same(s, &disk.sku));
    if no_caching && a.caching != "None" {
        return Err(ArmError::new(
            400,
            "InvalidParameter",
            format!("Host caching '{}' is not supported for disk '{}' of SKU '{}': only 'None' is allowed.", a.caching, disk.name, disk.sku),
        )
        .target("dataDisks.caching"));
    }
    let Some(disk_zone) = &disk.zone else {
        return Ok(());
    };
    if let Some(set) = &vm.availability_set {
        return Err(ArmError::new(
            400,
            "BadRequest",
            format!("Disk {disk_id} is a zonal disk and cannot be attached to VM '{}' in availability set '{set}'.", vm.name),
        ));
    }
    match &vm.zone {
        Some(vm_zone) if vm_zone != disk_zone => Err(ArmError::new(
            400,
            "BadRequest",
            format!("Disk {disk_id} cannot be attached to the VM because it is not in the same zone as the VM. VM zone: '{vm_zone}'. Disk zone: '{disk_zone}'."),
        )),
        _ => Ok(()),
    }
}

/// A shared disk takes another VM only while a share is free. The code and message are a guess
/// (see docs/emulator.md): Azure's exact wording for this refusal was not found.
fn refuse_share(w: &World, vm: &Vm, disk: &Disk, disk_id: &str) -> Result<(), ArmError> {
    let held = disk.holders().count();
    if disk.held_by(&vm.rg, &vm.name) || held < disk.max_shares.max(1) as usize {
        return Ok(());
    }
    Err(ArmError::new(
        409,
        "OperationNotAllowed",
        format!(
            "Disk '{disk_id}' cannot be attached to VM '{}': it is already attached to {held} VMs and its maxShares is {}.",
            ids::vm(&w.subscription, &vm.rg, &vm.name),
            disk.max_shares
        ),
    )
    .target("dataDisks"))
}

/// More data disks than the VM size takes: Azure's `OperationNotAllowed` on `dataDisks`.
fn refuse_count(vm: &Vm, total: usize) -> Result<(), ArmError> {
    let Some(size) = sizes::find(&vm.size) else {
        return Ok(());
    };
    if total <= size.max_data_disks as usize {
        return Ok(());
    }
    Err(ArmError::new(
        409,
        "OperationNotAllowed",
        format!(
            "The maximum number of data disks allowed to be attached to a VM of this size is {}.",
            size.max_data_disks
        ),
    )
    .target("dataDisks"))
}

fn being_detached(disk: &str, vm: &str) -> ArmError {
    ArmError::new(
        409,
        "AttachDiskWhileBeingDetached",
        format!("Cannot attach data disk '{disk}' to virtual machine '{vm}' because the disk is currently being detached or the last detach operation failed. Please wait until the disk is completely detached and then try again or delete/detach the disk explicitly again."),
    )
}

/// Apply validated changes as pending, preempt the running update, start the new operation.
fn start_update(ctx: &mut Ctx<'_>, vi: usize, ch: Changes, kind: OpKind) -> Operation {
    let (rg, name) = {
        let vm = &ctx.st.world.vms[vi];
        (vm.rg.clone(), vm.name.clone())
    };
    let detaches = !ch.detach.is_empty() && !ch.forced;
    for (drg, dname) in &ch.detach {
        let vm = &mut ctx.st.world.vms[vi];
        if let Some(d) = vm
            .data_disks
            .iter_mut()
            .find(|d| same(&d.rg, drg) && same(&d.disk, dname))
        {
            d.pending = Some(Pending::Detach);
            if let Some(di) = ctx.st.world.disk_index(drg, dname) {
                ctx.st.world.disks[di].detaching = true;
            }
        }
    }
    for a in ch.attach {
        let already = ctx.st.world.vms[vi]
            .data_disks
            .iter()
            .any(|d| same(&d.rg, &a.rg) && same(&d.disk, &a.disk));
        if already {
            continue;
        }
        let lun = a.lun.unwrap_or_else(|| {
            let used: Vec<i32> = ctx.st.world.vms[vi]
                .data_disks
                .iter()
                .filter(|d| d.pending != Some(Pending::Detach))
                .map(|d| d.lun)
                .collect();
            (0..64).find(|l| !used.contains(l)).unwrap_or(0)
        });
        if let Some(di) = ctx.st.world.disk_index(&a.rg, &a.disk) {
            let disk = &mut ctx.st.world.disks[di];
            match &disk.owner {
                // A shared disk held elsewhere gains a holder; managedBy keeps the first one.
                Some(_) if disk.max_shares > 1 && !disk.held_by(&rg, &name) => {
                    disk.sharers.push((rg.clone(), name.clone()));
                }
                _ => disk.owner = Some((rg.clone(), name.clone())),
            }
            disk.release_at = None;
            disk.detach_failed = false;
            ctx.st.world.vms[vi].data_disks.push(DataDisk {
                disk: disk.name.clone(),
                rg: disk.rg.clone(),
                lun,
                caching: a.caching,
                pending: Some(Pending::Attach),
            });
        }
    }
    ctx.st.world.preempt(&rg, &name, OpKind::is_vm_update);
    let vm = &ctx.st.world.vms[vi];
    let has = |p: Pending| vm.data_disks.iter().any(|d| d.pending == Some(p));
    let (detaching, attaching) = (has(Pending::Detach), has(Pending::Attach));
    let lat = ctx.st.timing.latencies.clone();
    let delay = match (detaching, attaching) {
        (false, false) => ctx.st.timing.draw(lat.vm_update),
        (true, false) => ctx.st.timing.draw(lat.disk_detach),
        (false, true) => ctx.st.timing.draw(lat.disk_attach),
        (true, true) => ctx
            .st
            .timing
            .draw(lat.disk_detach)
            .max(ctx.st.timing.draw(lat.disk_attach)),
    };
    let vm = &mut ctx.st.world.vms[vi];
    vm.provisioning = "Updating".to_string();
    vm.etag += 1;
    let mut op = Operation::new(kind, &rg, &name, ctx.now + delay, ctx.req.api_version());
    op.fail_with = injected_failure(ctx);
    op.stalled = takes_stall(ctx.st, &ctx.req.method, &ctx.req.path_q, vi, detaches);
    ctx.st.world.ops.push(op.clone());
    op
}

/// A `fail-operation` fault armed for this request.
pub(super) fn injected_failure(ctx: &mut Ctx<'_>) -> Option<OpError> {
    ctx.st
        .faults
        .take(
            &ctx.req.method,
            &ctx.req.path_q,
            &[FaultKind::FailOperation],
        )
        .map(|f| OpError {
            http: f.status,
            code: f.code(),
            message: f.message(),
        })
}
