//! Microsoft.Network routes: NIC reads and PUT (whole-resource replace that stores every
//! property it is sent except Azure's read-only ones, NAT-rule exclusivity, one operation at a
//! time per NIC), load balancer reads (back-references derived from NICs).
//!
//! Never stores LB back-references: they are computed from the NICs when rendered.

use serde_json::Value;

use super::monitor::network_url;
use super::vm_write::injected_failure;
use super::{bad_method, check_if_match, matches, need_group, page, Ctx};
use crate::emulator::lro::{OpKind, Operation};
use crate::emulator::reply::{ArmError, ArmReply};
use crate::emulator::world::{ids, net_etag, IpConfig, Lb, LbChild, Nic, NicSent};

const RG_NICS: &str =
    "subscriptions/{}/resourceGroups/{}/providers/Microsoft.Network/networkInterfaces";
const NIC: &str =
    "subscriptions/{}/resourceGroups/{}/providers/Microsoft.Network/networkInterfaces/{}";
const RG_LBS: &str = "subscriptions/{}/resourceGroups/{}/providers/Microsoft.Network/loadBalancers";
const LB: &str = "subscriptions/{}/resourceGroups/{}/providers/Microsoft.Network/loadBalancers/{}";

/// Error code for a NAT rule already targeting another ipconfig. Uncertain: no public source
/// was found for the real code; see docs/emulator.md.
pub(crate) const NAT_RULE_IN_USE: &str = "InboundNatRuleAlreadyInUse";

pub(super) fn route(ctx: &mut Ctx<'_>, segs: &[String]) -> Option<Result<ArmReply, ArmError>> {
    let get = ctx.req.method == "GET";
    if let Some(c) = matches(segs, RG_NICS) {
        return Some(if get {
            list_nics(ctx, c[1])
        } else {
            Err(bad_method(ctx.req))
        });
    }
    if let Some(c) = matches(segs, NIC) {
        let (rg, name) = (c[1].to_string(), c[2].to_string());
        return Some(match ctx.req.method.as_str() {
            "GET" => get_nic(ctx, &rg, &name),
            "PUT" => put_nic(ctx, &rg, &name),
            _ => Err(bad_method(ctx.req)),
        });
    }
    if let Some(c) = matches(segs, RG_LBS) {
        return Some(if get {
            list_lbs(ctx, c[1])
        } else {
            Err(bad_method(ctx.req))
        });
    }
    if let Some(c) = matches(segs, LB) {
        return Some(if get {
            get_lb(ctx, c[1], c[2])
        } else {
            Err(bad_method(ctx.req))
        });
    }
    None
}

fn find_nic(ctx: &Ctx<'_>, rg: &str, name: &str) -> Result<usize, ArmError> {
    need_group(ctx, rg)?;
    ctx.st
        .world
        .nic_index(rg, name)
        .ok_or_else(|| ArmError::not_found("Microsoft.Network/networkInterfaces", name, rg))
}

fn get_nic(ctx: &Ctx<'_>, rg: &str, name: &str) -> Result<ArmReply, ArmError> {
    let ni = find_nic(ctx, rg, name)?;
    let w = &ctx.st.world;
    Ok(ArmReply::ok(w.nic_json(&w.nics[ni])))
}

fn list_nics(ctx: &Ctx<'_>, rg: &str) -> Result<ArmReply, ArmError> {
    need_group(ctx, rg)?;
    let w = &ctx.st.world;
    let items: Vec<&Nic> = w
        .nics
        .iter()
        .filter(|n| n.rg.eq_ignore_ascii_case(rg))
        .collect();
    Ok(ArmReply::ok(page(ctx, &items, |n| w.nic_json(n))))
}

fn get_lb(ctx: &Ctx<'_>, rg: &str, name: &str) -> Result<ArmReply, ArmError> {
    need_group(ctx, rg)?;
    let w = &ctx.st.world;
    let li = w
        .lb_index(rg, name)
        .ok_or_else(|| ArmError::not_found("Microsoft.Network/loadBalancers", name, rg))?;
    Ok(ArmReply::ok(w.lb_json(&w.lbs[li])))
}

fn list_lbs(ctx: &Ctx<'_>, rg: &str) -> Result<ArmReply, ArmError> {
    need_group(ctx, rg)?;
    let w = &ctx.st.world;
    let items: Vec<&Lb> = w
        .lbs
        .iter()
        .filter(|l| l.rg.eq_ignore_ascii_case(rg))
        .collect();
    Ok(ArmReply::ok(page(ctx, &items, |l| w.lb_json(l))))
}

/// NIC PUT: replaces the whole NIC; answers 200 with `Updating` and Azure-AsyncOperation.
fn put_nic(ctx: &mut Ctx<'_>, rg: &str, name: &str) -> Result<ArmReply, ArmError> {
    let ni = find_nic(ctx, rg, name)?;
    let (nic_rg, nic_name) = (
        ctx.st.world.nics[ni].rg.clone(),
        ctx.st.world.nics[ni].name.clone(),
    );
    check_if_match(ctx.req, &ctx.st.world.nics[ni].etag)?;
    if let Some(op) = ctx
        .st
        .world
        .in_flight(&nic_rg, &nic_name, |k| k == OpKind::NicUpdate)
    {
        return Err(ArmError::new(
            409,
            "AnotherOperationInProgress",
            format!("Another operation on this or dependent resource is in progress. To retrieve status of the operation use uri: {}", network_url(ctx, op)),
        ));
    }
    let body = ctx.req.json()?;
    let configs = body
        .pointer("/properties/ipConfigurations")
        .and_then(Value::as_array)
        .filter(|a| !a.is_empty())
        .ok_or_else(|| ArmError::new(400, "InvalidRequestFormat", "Cannot parse the request: a network interface needs at least one IP configuration.").target("properties.ipConfigurations"))?;
    let mut new = vec![];
    for (i, c) in configs.iter().enumerate() {
        new.push(ipconfig(ctx, ni, i, c)?);
    }
    check_nat_exclusive(ctx, ni, &new)?;
    let nic = &mut ctx.st.world.nics[ni];
    let previous = std::mem::replace(&mut nic.ipconfigs, new);
    let previous_sent = std::mem::replace(&mut nic.sent, sent_parts(&body));
    nic.provisioning = "Updating".to_string();
    nic.etag = net_etag();
    let delay = ctx.st.timing.draw(ctx.st.timing.latencies.nic_update);
    let mut op = Operation::new(
        OpKind::NicUpdate,
        &nic_rg,
        &nic_name,
        ctx.now + delay,
        ctx.req.api_version(),
    );
    op.previous_nic = Some((previous, previous_sent));
    op.fail_with = injected_failure(ctx);
    ctx.st.world.ops.push(op.clone());
    let w = &ctx.st.world;
    Ok(ArmReply::ok(w.nic_json(&w.nics[ni])).header("azure-asyncoperation", network_url(ctx, &op)))
}

/// NIC fields Azure owns: whatever a PUT says about them is ignored.
const NIC_READ_ONLY: &[&str] = &[
    "provisioningState",
    "resourceGuid",
    "ipConfigurations",
    "macAddress",
    "virtualMachine",
    "primary",
    "hostedWorkloads",
    "tapConfigurations",
    "privateEndpoint",
    "vnetEncryptionSupported",
];

/// Top-level keys Azure owns or derives from the URL.
const TOP_OWNED: &[&str] = &["id", "name", "type", "etag", "location", "properties"];

/// Ipconfig properties the emulator models itself (the rest is stored as sent).
const IPCONFIG_MODELLED: &[&str] = &[
    "provisioningState",
    "privateIPAddress",
    "privateIPAllocationMethod",
    "subnet",
    "primary",
    "loadBalancerInboundNatRules",
    "loadBalancerBackendAddressPools",
];

/// Members of `v` (an object) without `skip`.
fn without(v: Option<&Value>, skip: &[&str]) -> serde_json::Map<String, Value> {
    let mut map = v.and_then(Value::as_object).cloned().unwrap_or_default();
    map.retain(|k, _| !skip.iter().any(|s| s.eq_ignore_ascii_case(k)));
    map
}

/// What a NIC PUT body sent that the NIC must keep: like Azure, every property it was sent.
fn sent_parts(body: &Value) -> NicSent {
    NicSent {
        top: without(Some(body), TOP_OWNED),
        props: without(body.get("properties"), NIC_READ_ONLY),
    }
}

/// One ipconfig of a NIC PUT body; missing reference arrays mean empty.
fn ipconfig(ctx: &Ctx<'_>, ni: usize, i: usize, c: &Value) -> Result<IpConfig, ArmError> {
    let w = &ctx.st.world;
    let nic = &w.nics[ni];
    let name = c.get("name").and_then(Value::as_str).ok_or_else(|| {
        ArmError::new(
            400,
            "InvalidRequestFormat",
            "Every IP configuration needs a name.",
        )
        .target("properties.ipConfigurations")
    })?;
    let old = nic
        .ipconfigs
        .iter()
        .find(|o| o.name.eq_ignore_ascii_case(name));
    let props = c.get("properties").cloned().unwrap_or(Value::Null);
    let refs = |key: &str, kind: &str| -> Result<Vec<LbChild>, ArmError> {
        let list = props
            .get(key)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        list.iter().map(|r| lb_ref(ctx, ni, r, kind)).collect()
    };
    let default_subnet = ids::subnet(&w.subscription, &nic.rg);
    let static_ip = props
        .get("privateIPAllocationMethod")
        .and_then(Value::as_str)
        .is_some_and(|m| m.eq_ignore_ascii_case("Static"));
    Ok(IpConfig {
        name: name.to_string(),
        static_ip,
        extra: without(Some(&props), IPCONFIG_MODELLED),
        private_ip: props
            .get("privateIPAddress")
            .and_then(Value::as_str)
            .map(str::to_string)
            .or_else(|| old.map(|o| o.private_ip.clone()))
            .unwrap_or_else(|| format!("10.0.254.{}", 10 + i)),
        subnet_id: props
            .pointer("/subnet/id")
            .and_then(Value::as_str)
            .map(str::to_string)
            .or_else(|| old.map(|o| o.subnet_id.clone()))
            .unwrap_or(default_subnet),
        primary: props
            .get("primary")
            .and_then(Value::as_bool)
            .unwrap_or_else(|| old.map_or(i == 0, |o| o.primary)),
        nat_rules: refs("loadBalancerInboundNatRules", "inboundNatRules")?,
        pools: refs("loadBalancerBackendAddressPools", "backendAddressPools")?,
    })
}

fn lb_ref(ctx: &Ctx<'_>, ni: usize, r: &Value, kind: &str) -> Result<LbChild, ArmError> {
    let w = &ctx.st.world;
    let nic = &w.nics[ni];
    let id = r.get("id").and_then(Value::as_str).unwrap_or("");
    let missing = || {
        ArmError::new(
            400,
            "InvalidResourceReference",
            format!(
                "Resource {id} referenced by resource {} was not found. Please make sure that the referenced resource exists, and that both resources are in the same region.",
                ids::nic(&w.subscription, &nic.rg, &nic.name)
            ),
        )
    };
    let parsed = ids::parse(id).ok_or_else(missing)?;
    let lb = parsed.name_of("loadBalancers").ok_or_else(missing)?;
    let child = parsed.name_of(kind).ok_or_else(missing)?;
    let li = w.lb_index(&parsed.rg, lb).ok_or_else(missing)?;
    let l = &w.lbs[li];
    let exists = if kind == "inboundNatRules" {
        l.nat_rules
            .iter()
            .any(|n| n.name.eq_ignore_ascii_case(child))
    } else {
        l.pools.iter().any(|p| p.eq_ignore_ascii_case(child))
    };
    if !exists {
        return Err(missing());
    }
    Ok(LbChild {
        rg: l.rg.clone(),
        lb: l.name.clone(),
        child: child.to_string(),
    })
}

/// A NAT rule targets one ipconfig at a time: reject a reference to a rule another NIC's
/// ipconfig (or another ipconfig of this PUT) already holds.
fn check_nat_exclusive(ctx: &Ctx<'_>, ni: usize, new: &[IpConfig]) -> Result<(), ArmError> {
    let w = &ctx.st.world;
    let sub = &w.subscription;
    let nic = &w.nics[ni];
    for (ci, cfg) in new.iter().enumerate() {
        for rule in &cfg.nat_rules {
            let rule_id = ids::lb_child(sub, &rule.rg, &rule.lb, "inboundNatRules", &rule.child);
            let other_nic = w.referrers(rule, true).into_iter().find(|(n, _)| *n != ni);
            let holder = other_nic
                .map(|(n, c)| {
                    ids::ipconfig(
                        sub,
                        &w.nics[n].rg,
                        &w.nics[n].name,
                        &w.nics[n].ipconfigs[c].name,
                    )
                })
                .or_else(|| {
                    new.iter()
                        .enumerate()
                        .find(|(i, o)| *i != ci && o.nat_rules.iter().any(|r| r.same_as(rule)))
                        .map(|(_, o)| ids::ipconfig(sub, &nic.rg, &nic.name, &o.name))
                });
            if let Some(holder) = holder {
                return Err(ArmError::new(
                    400,
                    NAT_RULE_IN_USE,
                    format!("Inbound NAT rule {rule_id} is already used by IP configuration {holder}. A NAT rule can target only one IP configuration at a time."),
                ));
            }
        }
    }
    Ok(())
}
