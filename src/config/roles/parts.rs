//! The parts of a role that are tables or free text: `[roles.endpoint]`, `[roles.probes]` and
//! the start/stop commands.

use super::{named, Named, Spot, ENDPOINT_KEYS, PROBE_KEYS};
use crate::config::reader::{Ctx, Field, Section};
use crate::config::template::ProbeTemplate;
use crate::config::types::ProbeTemplates;
use crate::core::model::{EndpointKind, EndpointSpec};

pub(super) fn endpoint(
    ctx: &mut Ctx,
    role: &Section,
    role_group: Option<&str>,
) -> Option<(EndpointSpec, Spot)> {
    let section = role.require(ctx, "endpoint")?.section(ctx)?;
    section.deny_unknown(ctx, &ENDPOINT_KEYS);
    let load_balancer = section
        .require(ctx, "load_balancer")
        .and_then(|f| named(ctx, &f));
    let group = match section.get(ctx, "resource_group") {
        Some(f) => named(ctx, &f).map(|n| n.name),
        None => role_group.map(str::to_string),
    };
    let nat_rule = section.get(ctx, "nat_rule");
    let backend_pool = section.get(ctx, "backend_pool");
    let (kind, child) = match (nat_rule, backend_pool) {
        (Some(rule), None) => {
            let rule = named(ctx, &rule)?;
            (EndpointKind::NatRule(rule.name), rule.spot)
        }
        (None, Some(pool)) => {
            let pool = named(ctx, &pool)?;
            (EndpointKind::BackendPool(pool.name), pool.spot)
        }
        (Some(_), Some(pool)) => {
            pool.report(ctx, "set exactly one of nat_rule or backend_pool, not both");
            return None;
        }
        (None, None) => {
            let message = "missing nat_rule or backend_pool (set exactly one)";
            ctx.report(section.at, &section.path, None, message);
            return None;
        }
    };
    let spec = EndpointSpec {
        load_balancer: load_balancer?.name,
        resource_group: group?,
        kind,
    };
    Some((spec, child))
}

pub(super) fn probes(
    ctx: &mut Ctx,
    role: &Section,
    role_name: Option<&str>,
    vms: &[Named],
) -> Option<ProbeTemplates> {
    let section = role.require(ctx, "probes")?.section(ctx)?;
    section.deny_unknown(ctx, &PROBE_KEYS);
    let mut template = |key: &str| {
        let field = section.require(ctx, key)?;
        probe_template(ctx, &field, role_name.unwrap_or("role"), vms)
    };
    let vm = template("vm");
    let service = template("service");
    Some(ProbeTemplates {
        vm: vm?,
        service: service?,
    })
}

/// A template that parses and renders for every VM of the role (one problem at most).
fn probe_template(
    ctx: &mut Ctx,
    field: &Field,
    role: &str,
    vms: &[Named],
) -> Option<ProbeTemplate> {
    let text = field.str(ctx)?;
    let names: Vec<&str> = vms.iter().map(|v| v.name.as_str()).collect();
    ProbeTemplate::parse_for(text, &names, role)
        .map_err(|e| field.report(ctx, e.to_string()))
        .ok()
}

pub(super) fn command(ctx: &mut Ctx, section: &Section, key: &str) -> Option<String> {
    let field = section.require(ctx, key)?;
    field.non_empty_str(ctx).map(str::to_string)
}
