//! TOML scenario files: parse, validate, and name file, line, key and value of every problem.
//!
//! Only turns text into a [`Scenario`]; it never builds a world.

use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

use super::{
    BucketDef, DiskDef, EndpointDef, EndpointKindDef, Latencies, Limits, LoadBalancerDef, Range,
    RoleDef, Scenario, ThrottleDef, Tokens,
};
use crate::emulator::faults::FaultSpec;
use crate::emulator::EmulatorError;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    subscription_id: String,
    #[serde(default = "default_location")]
    location: String,
    resource_groups: Vec<String>,
    #[serde(default = "default_page_size")]
    page_size: Spanned<usize>,
    #[serde(default = "default_seed")]
    seed: u64,
    #[serde(default)]
    tokens: Option<Tokens>,
    #[serde(default)]
    latencies: RawLatencies,
    #[serde(default)]
    throttle: RawThrottle,
    #[serde(default)]
    load_balancers: Vec<RawLb>,
    #[serde(default)]
    roles: Vec<RawRole>,
    #[serde(default)]
    faults: Vec<FaultSpec>,
    #[serde(default)]
    limits: RawLimits,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawLimits {
    request_log: Option<Spanned<usize>>,
    faults: Option<Spanned<usize>>,
}

fn default_location() -> String {
    "westeurope".to_string()
}
fn default_page_size() -> Spanned<usize> {
    Spanned::new(0..0, 50)
}
fn default_seed() -> u64 {
    42
}
fn default_vm_size() -> String {
    "Standard_D2s_v5".to_string()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLb {
    name: String,
    resource_group: Spanned<String>,
    #[serde(default)]
    nat_rules: Vec<super::NatRuleDef>,
    #[serde(default)]
    backend_pools: Vec<String>,
    #[serde(default)]
    probes: Vec<Spanned<super::lb_rules::RawProbe>>,
    #[serde(default)]
    load_balancing_rules: Vec<super::lb_rules::RawLbRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRole {
    name: String,
    resource_group: Spanned<String>,
    vms: Spanned<Vec<String>>,
    master: Option<Spanned<String>>,
    disks: Option<Spanned<Vec<DiskDef>>>,
    start_command: String,
    stop_command: String,
    #[serde(default = "default_vm_size")]
    vm_size: String,
    zones: Option<Spanned<Vec<String>>>,
    availability_set: Option<Spanned<String>>,
    endpoint: RawEndpoint,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEndpoint {
    load_balancer: Spanned<String>,
    resource_group: Option<String>,
    nat_rule: Option<Spanned<String>>,
    backend_pool: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawRange {
    Fixed(f64),
    Span([f64; 2]),
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawLatencies {
    nic_update: Option<Spanned<RawRange>>,
    disk_detach: Option<Spanned<RawRange>>,
    disk_attach: Option<Spanned<RawRange>>,
    release_lag: Option<Spanned<RawRange>>,
    vm_update: Option<Spanned<RawRange>>,
    run_command: Option<Spanned<RawRange>>,
    start: Option<Spanned<RawRange>>,
    power_off: Option<Spanned<RawRange>>,
    deallocate: Option<Spanned<RawRange>>,
    compute_retry_after: Option<f64>,
    network_retry_after: Option<f64>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawThrottle {
    reads: Option<BucketDef>,
    writes: Option<BucketDef>,
    compute_window_secs: Option<f64>,
    compute_policies: Option<BTreeMap<String, u32>>,
}

/// Where a problem sits, for error messages.
struct Ctx<'a> {
    text: &'a str,
    source: &'a str,
}

impl Ctx<'_> {
    fn line(&self, offset: usize) -> usize {
        let end = offset.min(self.text.len());
        self.text[..end].matches('\n').count() + 1
    }

    fn err(&self, span: std::ops::Range<usize>, key: &str, message: &str) -> EmulatorError {
        let value = self
            .text
            .get(span.clone())
            .unwrap_or("")
            .lines()
            .next()
            .unwrap_or("")
            .to_string();
        EmulatorError::Scenario {
            file: self.source.to_string(),
            line: self.line(span.start),
            key: key.to_string(),
            value,
            message: message.to_string(),
        }
    }
}

/// One load balancer, its probes and rules checked (each rule's pool and probe exist).
fn lb_def(ctx: &Ctx<'_>, lb: RawLb, i: usize) -> Result<LoadBalancerDef, EmulatorError> {
    let err = |span, key: &str, msg: &str| ctx.err(span, key, msg);
    let key = format!("load_balancers[{i}]");
    let probes = super::lb_rules::probes(lb.probes, &format!("{key}.probes"), &err)?;
    let rules = super::lb_rules::rules(
        lb.load_balancing_rules,
        &lb.backend_pools,
        &probes,
        &format!("{key}.load_balancing_rules"),
        &err,
    )?;
    Ok(LoadBalancerDef {
        name: lb.name,
        resource_group: lb.resource_group.into_inner(),
        nat_rules: lb.nat_rules,
        backend_pools: lb.backend_pools,
        probes,
        load_balancing_rules: rules,
    })
}

/// Parse and validate scenario text.
pub(super) fn parse(text: &str, source: &str) -> Result<Scenario, EmulatorError> {
    let ctx = Ctx { text, source };
    let raw: RawScenario = toml::from_str(text).map_err(|e| syntax_error(&ctx, &e))?;
    if *raw.page_size.get_ref() == 0 {
        return Err(ctx.err(raw.page_size.span(), "page_size", "must be at least 1"));
    }
    let limits = limits(&ctx, raw.limits)?;
    let latencies = latencies(&ctx, raw.latencies)?;
    let throttle = throttle(raw.throttle);
    let mut load_balancers = Vec::new();
    for (i, lb) in raw.load_balancers.into_iter().enumerate() {
        check_group(
            &ctx,
            &raw.resource_groups,
            &lb.resource_group,
            &format!("load_balancers[{i}].resource_group"),
        )?;
        load_balancers.push(lb_def(&ctx, lb, i)?);
    }
    let mut roles = Vec::new();
    for (i, role) in raw.roles.into_iter().enumerate() {
        roles.push(role_def(
            &ctx,
            &raw.resource_groups,
            &load_balancers,
            &roles,
            i,
            role,
        )?);
    }
    Ok(Scenario {
        subscription_id: raw.subscription_id,
        location: raw.location,
        resource_groups: raw.resource_groups,
        load_balancers,
        roles,
        latencies,
        throttle,
        page_size: raw.page_size.into_inner(),
        seed: raw.seed,
        tokens: raw.tokens.unwrap_or_default(),
        faults: raw.faults,
        limits,
    })
}

fn limits(ctx: &Ctx<'_>, raw: RawLimits) -> Result<Limits, EmulatorError> {
    let defaults = Limits::default();
    let at_least_one = |value: Option<Spanned<usize>>, key: &str, default: usize| match value {
        Some(v) if *v.get_ref() == 0 => Err(ctx.err(v.span(), key, "must be at least 1")),
        Some(v) => Ok(v.into_inner()),
        None => Ok(default),
    };
    Ok(Limits {
        request_log: at_least_one(raw.request_log, "limits.request_log", defaults.request_log)?,
        faults: at_least_one(raw.faults, "limits.faults", defaults.faults)?,
    })
}

fn syntax_error(ctx: &Ctx<'_>, e: &toml::de::Error) -> EmulatorError {
    let span = e.span().unwrap_or(0..0);
    let message = e.message().to_string();
    let key = message
        .split('`')
        .nth(1)
        .map(str::to_string)
        .unwrap_or_else(|| "(document)".to_string());
    ctx.err(span, &key, &message)
}

fn check_group(
    ctx: &Ctx<'_>,
    groups: &[String],
    rg: &Spanned<String>,
    key: &str,
) -> Result<(), EmulatorError> {
    if groups.iter().any(|g| g.eq_ignore_ascii_case(rg.get_ref())) {
        Ok(())
    } else {
        Err(ctx.err(rg.span(), key, "not listed in resource_groups"))
    }
}

fn role_def(
    ctx: &Ctx<'_>,
    groups: &[String],
    lbs: &[LoadBalancerDef],
    earlier: &[RoleDef],
    i: usize,
    role: RawRole,
) -> Result<RoleDef, EmulatorError> {
    let key = |k: &str| format!("roles[{i}].{k}");
    check_group(ctx, groups, &role.resource_group, &key("resource_group"))?;
    if role.vms.get_ref().is_empty() {
        return Err(ctx.err(role.vms.span(), &key("vms"), "a role needs at least one VM"));
    }
    for vm in role.vms.get_ref() {
        let taken = earlier
            .iter()
            .any(|r| r.vms.iter().any(|v| v.eq_ignore_ascii_case(vm)));
        if taken {
            return Err(ctx.err(
                role.vms.span(),
                &key("vms"),
                &format!("VM {vm} already belongs to another role"),
            ));
        }
    }
    let master = match &role.master {
        None => role.vms.get_ref().first().cloned(),
        Some(m) if m.get_ref().is_empty() => None,
        Some(m) => {
            let found = role
                .vms
                .get_ref()
                .iter()
                .find(|v| v.eq_ignore_ascii_case(m.get_ref()));
            match found {
                Some(v) => Some(v.clone()),
                None => return Err(ctx.err(m.span(), &key("master"), "not one of the role's vms")),
            }
        }
    };
    let zones = role_zones(ctx, &role, &key)?;
    check_shares(ctx, &role, &key)?;
    let endpoint = endpoint_def(
        ctx,
        lbs,
        &role.resource_group,
        role.endpoint,
        &key("endpoint"),
    )?;
    Ok(RoleDef {
        name: role.name,
        resource_group: role.resource_group.into_inner(),
        vms: role.vms.into_inner(),
        master,
        disks: role.disks.map(Spanned::into_inner).unwrap_or_default(),
        start_command: role.start_command,
        stop_command: role.stop_command,
        endpoint,
        vm_size: role.vm_size,
        zones,
        availability_set: role.availability_set.map(Spanned::into_inner),
    })
}

/// `max_shares` is at least 1, and a shared disk (above 1) has a share for every VM of the
/// role, since it starts attached to all of them.
fn check_shares(
    ctx: &Ctx<'_>,
    role: &RawRole,
    key: &dyn Fn(&str) -> String,
) -> Result<(), EmulatorError> {
    let Some(disks) = &role.disks else {
        return Ok(());
    };
    let n_vms = role.vms.get_ref().len();
    for (j, d) in disks.get_ref().iter().enumerate() {
        let msg = match d.max_shares {
            n if n < 1 => format!("max_shares = {n}: must be at least 1"),
            n if n > 1 && (n as usize) < n_vms => {
                format!("max_shares = {n}: a shared disk starts on every VM of the role ({n_vms})")
            }
            _ => continue,
        };
        return Err(ctx.err(disks.span(), &key(&format!("disks[{j}].max_shares")), &msg));
    }
    Ok(())
}

/// One zone per VM, and never together with an availability set (Azure allows one or the other).
fn role_zones(
    ctx: &Ctx<'_>,
    role: &RawRole,
    key: &dyn Fn(&str) -> String,
) -> Result<Vec<String>, EmulatorError> {
    let Some(zones) = &role.zones else {
        return Ok(Vec::new());
    };
    let (n_vms, n_zones) = (role.vms.get_ref().len(), zones.get_ref().len());
    if n_zones != n_vms {
        let msg = format!("needs one zone per VM ({n_vms} VMs, {n_zones} zones)");
        return Err(ctx.err(zones.span(), &key("zones"), &msg));
    }
    if let Some(set) = &role.availability_set {
        let msg = "a VM is in an availability zone or in an availability set, not both";
        return Err(ctx.err(set.span(), &key("availability_set"), msg));
    }
    Ok(zones.get_ref().clone())
}

fn endpoint_def(
    ctx: &Ctx<'_>,
    lbs: &[LoadBalancerDef],
    role_rg: &Spanned<String>,
    raw: RawEndpoint,
    key: &str,
) -> Result<EndpointDef, EmulatorError> {
    let rg = raw
        .resource_group
        .unwrap_or_else(|| role_rg.get_ref().clone());
    let lb = lbs.iter().find(|l| {
        l.name.eq_ignore_ascii_case(raw.load_balancer.get_ref())
            && l.resource_group.eq_ignore_ascii_case(&rg)
    });
    let Some(lb) = lb else {
        return Err(ctx.err(
            raw.load_balancer.span(),
            &format!("{key}.load_balancer"),
            "no such load balancer in load_balancers",
        ));
    };
    let kind = match (raw.nat_rule, raw.backend_pool) {
        (Some(rule), None) => {
            if !lb
                .nat_rules
                .iter()
                .any(|r| r.name.eq_ignore_ascii_case(rule.get_ref()))
            {
                return Err(ctx.err(
                    rule.span(),
                    &format!("{key}.nat_rule"),
                    "no such NAT rule on the load balancer",
                ));
            }
            EndpointKindDef::NatRule(rule.into_inner())
        }
        (None, Some(pool)) => {
            if !lb
                .backend_pools
                .iter()
                .any(|p| p.eq_ignore_ascii_case(pool.get_ref()))
            {
                return Err(ctx.err(
                    pool.span(),
                    &format!("{key}.backend_pool"),
                    "no such backend pool on the load balancer",
                ));
            }
            EndpointKindDef::BackendPool(pool.into_inner())
        }
        _ => {
            return Err(ctx.err(
                raw.load_balancer.span(),
                key,
                "give exactly one of nat_rule and backend_pool",
            ));
        }
    };
    Ok(EndpointDef {
        load_balancer: lb.name.clone(),
        resource_group: rg,
        kind,
    })
}

fn latencies(ctx: &Ctx<'_>, raw: RawLatencies) -> Result<Latencies, EmulatorError> {
    let d = Latencies::default();
    let pick =
        |r: Option<Spanned<RawRange>>, default: Range, key: &str| -> Result<Range, EmulatorError> {
            let Some(r) = r else { return Ok(default) };
            let range = match r.get_ref() {
                RawRange::Fixed(v) => Range::new(*v, *v),
                RawRange::Span([a, b]) => Range::new(*a, *b),
            };
            if range.min < 0.0 || range.max < range.min {
                return Err(ctx.err(
                    r.span(),
                    &format!("latencies.{key}"),
                    "need 0 <= min <= max",
                ));
            }
            Ok(range)
        };
    Ok(Latencies {
        nic_update: pick(raw.nic_update, d.nic_update, "nic_update")?,
        disk_detach: pick(raw.disk_detach, d.disk_detach, "disk_detach")?,
        disk_attach: pick(raw.disk_attach, d.disk_attach, "disk_attach")?,
        release_lag: pick(raw.release_lag, d.release_lag, "release_lag")?,
        vm_update: pick(raw.vm_update, d.vm_update, "vm_update")?,
        run_command: pick(raw.run_command, d.run_command, "run_command")?,
        start: pick(raw.start, d.start, "start")?,
        power_off: pick(raw.power_off, d.power_off, "power_off")?,
        deallocate: pick(raw.deallocate, d.deallocate, "deallocate")?,
        compute_retry_after: raw.compute_retry_after.unwrap_or(d.compute_retry_after),
        network_retry_after: raw.network_retry_after.unwrap_or(d.network_retry_after),
    })
}

fn throttle(raw: RawThrottle) -> ThrottleDef {
    let d = ThrottleDef::default();
    let mut policies = d.compute_policies;
    if let Some(p) = raw.compute_policies {
        policies.extend(p);
    }
    ThrottleDef {
        reads: raw.reads.unwrap_or(d.reads),
        writes: raw.writes.unwrap_or(d.writes),
        compute_window_secs: raw.compute_window_secs.unwrap_or(d.compute_window_secs),
        compute_policies: policies,
    }
}
