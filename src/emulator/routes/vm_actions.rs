//! VM actions: runCommand, start, powerOff, deallocate. Validates the VM's state and starts
//! the operation; completion effects live in `lro`.

use serde_json::Value;

use super::compute::find_vm;
use super::monitor::accepted;
use super::vm_write::injected_failure;
use super::Ctx;
use crate::emulator::lro::{OpKind, Operation};
use crate::emulator::reply::{ArmError, ArmReply};
use crate::emulator::world::Power;

/// runCommand: one at a time per VM, VM must be running.
pub(super) fn run_command(ctx: &mut Ctx<'_>, rg: &str, name: &str) -> Result<ArmReply, ArmError> {
    let vi = find_vm(ctx, rg, name)?;
    let body = ctx.req.json()?;
    if body.get("commandId").and_then(Value::as_str).is_none() {
        return Err(ArmError::new(
            400,
            "InvalidParameter",
            "Required parameter 'commandId' is missing (null).",
        )
        .target("commandId"));
    }
    let script = body
        .get("script")
        .and_then(Value::as_array)
        .map(|lines| {
            lines
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default();
    let vm = &ctx.st.world.vms[vi];
    if vm.power != Power::Running {
        return Err(not_allowed("RunCommand", &vm.name, vm.power));
    }
    let (rg, name) = (vm.rg.clone(), vm.name.clone());
    if ctx
        .st
        .world
        .in_flight(&rg, &name, |k| k == OpKind::RunCommand)
        .is_some()
    {
        return Err(ArmError::new(409, "OperationNotAllowed", "Run command extension execution is in progress. Please wait for completion before invoking a run command."));
    }
    let delay = ctx.st.timing.draw(ctx.st.timing.latencies.run_command);
    let mut op = Operation::new(
        OpKind::RunCommand,
        &rg,
        &name,
        ctx.now + delay,
        ctx.req.api_version(),
    );
    op.script = Some(script);
    op.fail_with = injected_failure(ctx);
    ctx.st.world.ops.push(op.clone());
    Ok(accepted(ctx, &op))
}

fn not_allowed(op: &str, vm: &str, power: Power) -> ArmError {
    let why = match power {
        Power::Deallocated | Power::Deallocating => "the VM is deallocated",
        _ => "the VM is not running",
    };
    ArmError::new(
        409,
        "OperationNotAllowed",
        format!("Operation '{op}' is not allowed on VM '{vm}' since {why}."),
    )
}

/// start / powerOff / deallocate. A newer power action preempts a running one.
pub(super) fn power(
    ctx: &mut Ctx<'_>,
    rg: &str,
    name: &str,
    kind: OpKind,
) -> Result<ArmReply, ArmError> {
    let vi = find_vm(ctx, rg, name)?;
    let vm = &ctx.st.world.vms[vi];
    if kind == OpKind::PowerOff && matches!(vm.power, Power::Deallocated | Power::Deallocating) {
        return Err(not_allowed("PowerOff", &vm.name, vm.power));
    }
    let (rg, name, before) = (vm.rg.clone(), vm.name.clone(), vm.power);
    ctx.st.world.preempt(&rg, &name, OpKind::is_power);
    if kind != OpKind::Start {
        ctx.st.world.preempt_stalled(&rg, &name);
    }
    let lat = ctx.st.timing.latencies.clone();
    let (range, done, during) = match kind {
        OpKind::Start => (lat.start, Power::Running, Power::Starting),
        OpKind::PowerOff => (lat.power_off, Power::Stopped, Power::Stopping),
        _ => (lat.deallocate, Power::Deallocated, Power::Deallocating),
    };
    let delay = if before == done {
        std::time::Duration::ZERO
    } else {
        ctx.st.timing.draw(range)
    };
    let vm = &mut ctx.st.world.vms[vi];
    if before != done {
        vm.power = during;
    }
    if kind != OpKind::Start {
        vm.service_running = false;
        vm.hung = false;
    }
    let mut op = Operation::new(kind, &rg, &name, ctx.now + delay, ctx.req.api_version());
    op.previous_power = Some(before);
    op.fail_with = injected_failure(ctx);
    ctx.st.world.ops.push(op.clone());
    Ok(accepted(ctx, &op))
}
