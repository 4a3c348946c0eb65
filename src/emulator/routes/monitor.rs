//! Operation monitors: compute `Azure-AsyncOperation` (status JSON) and `Location`
//! (`&monitor=true`: 202 while running, then the action's final result), and network status.
//!
//! Reads operations only; creating them belongs to the write handlers.

use serde_json::json;

use super::{matches, Ctx};
use crate::emulator::lro::{OpKind, OpStatus, Operation};
use crate::emulator::reply::{ArmError, ArmReply};
use crate::emulator::world::json::ts;

const COMPUTE_OPS: &str = "subscriptions/{}/providers/Microsoft.Compute/locations/{}/operations/{}";
const NETWORK_OPS: &str = "subscriptions/{}/providers/Microsoft.Network/locations/{}/operations/{}";

/// The compute Azure-AsyncOperation URL of an operation.
pub(crate) fn compute_url(ctx: &Ctx<'_>, op: &Operation) -> String {
    format!(
        "{}subscriptions/{}/providers/Microsoft.Compute/locations/{}/operations/{}?api-version={}",
        ctx.base, ctx.st.world.subscription, ctx.st.world.location, op.id, op.api_version
    )
}

/// The network Azure-AsyncOperation URL of an operation.
pub(crate) fn network_url(ctx: &Ctx<'_>, op: &Operation) -> String {
    format!(
        "{}subscriptions/{}/providers/Microsoft.Network/locations/{}/operations/{}?api-version={}",
        ctx.base, ctx.st.world.subscription, ctx.st.world.location, op.id, op.api_version
    )
}

/// The 202 answer of a compute POST action: both monitor headers and Retry-After.
pub(crate) fn accepted(ctx: &Ctx<'_>, op: &Operation) -> ArmReply {
    let url = compute_url(ctx, op);
    let retry = ctx
        .st
        .timing
        .retry_after(ctx.st.timing.latencies.compute_retry_after);
    ArmReply::empty(202)
        .header("azure-asyncoperation", url.clone())
        .header("location", format!("{url}&monitor=true"))
        .header("retry-after", retry.to_string())
}

pub(super) fn route(ctx: &mut Ctx<'_>, segs: &[String]) -> Option<Result<ArmReply, ArmError>> {
    if let Some(c) = matches(segs, COMPUTE_OPS) {
        return Some(compute(ctx, c[2]));
    }
    matches(segs, NETWORK_OPS).map(|c| network(ctx, c[2]))
}

fn find<'a>(ctx: &'a Ctx<'_>, id: &str, network: bool) -> Result<&'a Operation, ArmError> {
    ctx.st
        .world
        .ops
        .iter()
        .find(|o| o.id.eq_ignore_ascii_case(id) && (o.kind == OpKind::NicUpdate) == network)
        .ok_or_else(|| {
            ArmError::new(
                404,
                "NotFound",
                format!("The operation '{id}' was not found."),
            )
        })
}

fn compute(ctx: &mut Ctx<'_>, id: &str) -> Result<ArmReply, ArmError> {
    if ctx.req.method != "GET" {
        return Err(super::bad_method(ctx.req));
    }
    let op = find(ctx, id, false)?;
    if ctx.req.flag("monitor") {
        return Ok(location(ctx, op));
    }
    let mut body = json!({
        "name": op.id,
        "status": op.status.as_str(),
        "startTime": ts(op.start_time),
    });
    if let Some(end) = op.end_time {
        body["endTime"] = json!(ts(end));
    }
    if let Some(e) = &op.error {
        body["error"] = json!({"code": e.code, "message": e.message});
    }
    if op.status == OpStatus::Succeeded {
        if let Some(out) = &op.output {
            if matches!(op.kind, OpKind::RunCommand | OpKind::AttachDetach) {
                body["properties"] = json!({ "output": out });
            }
        }
    }
    Ok(ArmReply::ok(body))
}

fn location(ctx: &Ctx<'_>, op: &Operation) -> ArmReply {
    match op.status {
        OpStatus::InProgress => {
            let url = format!("{}&monitor=true", compute_url(ctx, op));
            let retry = ctx
                .st
                .timing
                .retry_after(ctx.st.timing.latencies.compute_retry_after);
            ArmReply::empty(202)
                .header("location", url)
                .header("retry-after", retry.to_string())
        }
        OpStatus::Succeeded => match (&op.output, op.kind) {
            (Some(out), OpKind::AttachDetach | OpKind::RunCommand | OpKind::VmUpdate) => {
                ArmReply::ok(out.clone())
            }
            _ => ArmReply::empty(200),
        },
        OpStatus::Failed | OpStatus::Canceled => {
            let (http, code, message) = op.error.as_ref().map_or(
                (
                    500,
                    "InternalServerError".to_string(),
                    "The operation failed.".to_string(),
                ),
                |e| (e.http, e.code.clone(), e.message.clone()),
            );
            ArmError::new(http, &code, message).into_reply()
        }
    }
}

fn network(ctx: &mut Ctx<'_>, id: &str) -> Result<ArmReply, ArmError> {
    if ctx.req.method != "GET" {
        return Err(super::bad_method(ctx.req));
    }
    let op = find(ctx, id, true)?;
    let mut body = json!({ "status": op.status.as_str() });
    if let Some(e) = &op.error {
        body["error"] = json!({"code": e.code, "message": e.message});
    }
    Ok(ArmReply::ok(body))
}
