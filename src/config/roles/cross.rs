//! Checks across roles: a role name, VM, disk or endpoint may belong to one role only. Names are
//! compared case-insensitively by name alone (not resource group), because the rest of baton
//! (`AzureFacts::vm`, `ProbeFacts`) keys VMs and disks by name across the whole fleet.

use super::{Draft, Named};
use crate::config::reader::Ctx;
use crate::core::model::{same_name, EndpointKind};

/// Reports every name used by two roles, blaming the later use.
pub(super) fn check(ctx: &mut Ctx, drafts: &[Draft]) {
    for (i, draft) in drafts.iter().enumerate() {
        let earlier = &drafts[..i];
        role_name(ctx, draft, earlier);
        shared(ctx, draft, earlier, "VM", &draft.vms, |d| &d.vms);
        shared(ctx, draft, earlier, "disk", &draft.disks, |d| &d.disks);
        endpoint(ctx, draft, earlier);
    }
}

fn role_name(ctx: &mut Ctx, draft: &Draft, earlier: &[Draft]) {
    let Some(name) = &draft.name else { return };
    let first = earlier.iter().find(|d| {
        d.name
            .as_ref()
            .is_some_and(|n| same_name(&n.name, &name.name))
    });
    if let Some(first) = first {
        let message = format!("duplicate role name (also {}.name)", first.path);
        name.spot.report(ctx, message);
    }
}

fn shared(
    ctx: &mut Ctx,
    draft: &Draft,
    earlier: &[Draft],
    what: &str,
    names: &[Named],
    list: impl Fn(&Draft) -> &Vec<Named>,
) {
    for item in names {
        let owner = earlier.iter().find_map(|d| {
            let found = list(d).iter().find(|n| same_name(&n.name, &item.name))?;
            Some((d, found))
        });
        if let Some((owner, found)) = owner {
            let message = format!(
                "{what} `{}` is in both {} ({}) and {}; a {what} belongs to one role only",
                item.name,
                owner.label(),
                found.spot.path,
                draft.label()
            );
            item.spot.report(ctx, message);
        }
    }
}

fn endpoint(ctx: &mut Ctx, draft: &Draft, earlier: &[Draft]) {
    let Some((spec, spot)) = &draft.endpoint else {
        return;
    };
    let same_kind = |a: &EndpointKind, b: &EndpointKind| match (a, b) {
        (EndpointKind::NatRule(x), EndpointKind::NatRule(y))
        | (EndpointKind::BackendPool(x), EndpointKind::BackendPool(y)) => same_name(x, y),
        _ => false,
    };
    let owner = earlier.iter().find(|d| {
        d.endpoint.as_ref().is_some_and(|(other, _)| {
            same_name(&other.load_balancer, &spec.load_balancer)
                && same_name(&other.resource_group, &spec.resource_group)
                && same_kind(&other.kind, &spec.kind)
        })
    });
    if let Some(owner) = owner {
        let message = format!(
            "endpoint {} is also the endpoint of {}; each role needs its own",
            spec.label(),
            owner.label()
        );
        spot.report(ctx, message);
    }
}
