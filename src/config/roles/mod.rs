//! Reads `[[roles]]`: each role's name, resource group, VMs, disks, endpoint, probes and
//! commands, with the checks that concern one role alone (≥ 2 VMs, no duplicate VM, unique LUNs,
//! exactly one endpoint kind, probe templates that render for every VM). Checks across roles
//! (names, VMs, disks and endpoints used twice) are in `cross`.

mod cross;
mod parts;

use super::reader::{Ctx, Field, Section};
use super::types::RoleConfig;
use crate::core::model::{same_name, DiskSpec, EndpointSpec, RoleSpec};
use parts::{command, endpoint, probes};

const ROLE_KEYS: [&str; 8] = [
    "name",
    "resource_group",
    "vms",
    "disks",
    "start_command",
    "stop_command",
    "endpoint",
    "probes",
];
const DISK_KEYS: [&str; 3] = ["name", "lun", "shared"];
const ENDPOINT_KEYS: [&str; 4] = [
    "load_balancer",
    "resource_group",
    "nat_rule",
    "backend_pool",
];
const PROBE_KEYS: [&str; 2] = ["vm", "service"];
/// Azure data disk LUNs.
const MAX_LUN: i64 = 63;

/// What `azure.resource_group` offers roles that name none.
pub(crate) enum GroupDefault {
    /// A usable default.
    Set(String),
    /// Not written: roles must name their own.
    Unset,
    /// Written but invalid (already reported): don't pile "missing" problems on every role.
    Broken,
}

/// Where a value sits, for blaming it.
#[derive(Clone)]
struct Spot {
    path: String,
    at: usize,
    raw: Option<String>,
}

impl Spot {
    fn of(field: &Field) -> Spot {
        Spot {
            path: field.path.clone(),
            at: field.at,
            raw: field.raw.clone(),
        }
    }

    fn report(&self, ctx: &mut Ctx, message: impl Into<String>) {
        ctx.report(self.at, &self.path, self.raw.as_deref(), message);
    }
}

/// A name as written and where.
#[derive(Clone)]
struct Named {
    name: String,
    spot: Spot,
}

/// A name of an Azure resource; control characters are refused because names are printed in
/// messages and used in file names.
fn named(ctx: &mut Ctx, field: &Field) -> Option<Named> {
    let name = field.non_empty_str(ctx)?.trim().to_string();
    if let Some(c) = name.chars().find(|c| c.is_control()) {
        field.report(
            ctx,
            format!("must not contain control characters (found {c:?})"),
        );
        return None;
    }
    Some(Named {
        name,
        spot: Spot::of(field),
    })
}

/// Longest role or VM name (Azure's limit for Linux VM names).
const MAX_NAME_CHARS: usize = 64;

/// A role or VM name: what Azure allows in a VM name, so that two names baton tells apart
/// (case-insensitively) also get distinct lock files, journal directories and cooldowns.
fn vm_like_name(ctx: &mut Ctx, field: &Field) -> Option<Named> {
    let named = named(ctx, field)?;
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    let problem = if let Some(c) = named.name.chars().find(|c| !allowed(*c)) {
        Some(format!(
            "may contain only letters, digits, `-`, `_` and `.`, as Azure VM names (found {c:?})"
        ))
    } else if named.name.chars().count() > MAX_NAME_CHARS {
        Some(format!("longer than {MAX_NAME_CHARS} characters"))
    } else {
        None
    };
    match problem {
        Some(message) => {
            field.report(ctx, message);
            None
        }
        None => Some(named),
    }
}

/// One role as far as it could be read; `role` is `None` when it has problems.
struct Draft {
    /// `roles[i]`, to name a role whose name is missing.
    path: String,
    name: Option<Named>,
    vms: Vec<Named>,
    disks: Vec<Named>,
    endpoint: Option<(EndpointSpec, Spot)>,
    role: Option<RoleConfig>,
}

impl Draft {
    /// How messages refer to this role.
    fn label(&self) -> String {
        match &self.name {
            Some(n) => format!("role `{}`", n.name),
            None => self.path.clone(),
        }
    }
}

/// Reads every role; `None` when any has a problem (all of them reported).
pub(crate) fn roles(
    ctx: &mut Ctx,
    root: &Section,
    groups: &GroupDefault,
) -> Option<Vec<RoleConfig>> {
    let Some(field) = root.get(ctx, "roles") else {
        root.missing(
            ctx,
            "roles",
            "missing: at least one [[roles]] table is required",
        );
        return None;
    };
    let sections = field.sections(ctx)?;
    if sections.is_empty() {
        field.report(ctx, "at least one role is required");
        return None;
    }
    let drafts: Vec<Draft> = sections.iter().map(|s| role(ctx, s, groups)).collect();
    cross::check(ctx, &drafts);
    drafts.into_iter().map(|d| d.role).collect()
}

fn role(ctx: &mut Ctx, section: &Section, groups: &GroupDefault) -> Draft {
    section.deny_unknown(ctx, &ROLE_KEYS);
    let name = section
        .require(ctx, "name")
        .and_then(|f| vm_like_name(ctx, &f));
    let group = resource_group(ctx, section, groups);
    let (vms, vms_ok) = vms(ctx, section);
    let (disks, disk_specs) = disks(ctx, section);
    let endpoint = endpoint(ctx, section, group.as_deref());
    let role_name = name.as_ref().map(|n| n.name.as_str());
    let probes = probes(ctx, section, role_name, &vms);
    let start_command = command(ctx, section, "start_command");
    let stop_command = command(ctx, section, "stop_command");
    let role = (|| {
        let spec = RoleSpec {
            name: name.as_ref()?.name.clone(),
            resource_group: group?,
            vms: vms_ok.then(|| vms.iter().map(|v| v.name.clone()).collect())?,
            disks: disk_specs?,
            endpoint: endpoint.as_ref()?.0.clone(),
        };
        Some(RoleConfig {
            spec,
            probes: probes?,
            start_command: start_command?,
            stop_command: stop_command?,
        })
    })();
    Draft {
        path: section.path.clone(),
        name,
        vms,
        disks,
        endpoint,
        role,
    }
}

fn resource_group(ctx: &mut Ctx, section: &Section, groups: &GroupDefault) -> Option<String> {
    if let Some(field) = section.get(ctx, "resource_group") {
        return named(ctx, &field).map(|n| n.name);
    }
    match groups {
        GroupDefault::Set(group) => Some(group.clone()),
        GroupDefault::Unset => {
            let message = "missing: set it in this role or set azure.resource_group";
            section.missing(ctx, "resource_group", message);
            None
        }
        GroupDefault::Broken => None,
    }
}

/// The VM names read (for cross checks) and whether the list is valid as a whole.
fn vms(ctx: &mut Ctx, section: &Section) -> (Vec<Named>, bool) {
    let Some(field) = section.require(ctx, "vms") else {
        return (Vec::new(), false);
    };
    let Some(elements) = field.elements(ctx) else {
        return (Vec::new(), false);
    };
    let vms: Vec<Named> = elements
        .iter()
        .filter_map(|e| vm_like_name(ctx, e))
        .collect();
    let mut ok = vms.len() == elements.len();
    if elements.len() < 2 {
        let message = format!("a role needs at least two VMs, found {}", elements.len());
        field.report(ctx, message);
        ok = false;
    }
    for (i, vm) in vms.iter().enumerate() {
        if let Some(first) = vms[..i].iter().find(|v| same_name(&v.name, &vm.name)) {
            let message = format!("duplicate VM in this role (also {})", first.spot.path);
            vm.spot.report(ctx, message);
            ok = false;
        }
    }
    (vms, ok)
}

/// The disk names read (for cross checks) and the specs when every disk is valid. Absent
/// `disks` means a role without data disks.
fn disks(ctx: &mut Ctx, section: &Section) -> (Vec<Named>, Option<Vec<DiskSpec>>) {
    let Some(field) = section.get(ctx, "disks") else {
        return (Vec::new(), Some(Vec::new()));
    };
    let Some(tables) = field.sections(ctx) else {
        return (Vec::new(), None);
    };
    let mut names: Vec<Named> = Vec::new();
    let mut specs: Vec<(DiskSpec, Spot)> = Vec::new();
    let mut ok = true;
    for table in &tables {
        table.deny_unknown(ctx, &DISK_KEYS);
        let name = table.require(ctx, "name").and_then(|f| named(ctx, &f));
        let lun = table.require(ctx, "lun").and_then(|f| {
            let lun = f.int_in(ctx, 0, MAX_LUN)?;
            Some((i32::try_from(lun).ok()?, Spot::of(&f)))
        });
        // Absent means a disk that moves with the master; a wrong type is an error, not false.
        let shared = match table.get(ctx, "shared") {
            Some(f) => f.bool(ctx),
            None => Some(false),
        };
        if let Some(name) = &name {
            if let Some(first) = names.iter().find(|n| same_name(&n.name, &name.name)) {
                let message = format!("duplicate disk in this role (also {})", first.spot.path);
                name.spot.report(ctx, message);
                ok = false;
            }
        }
        if let Some((lun, spot)) = &lun {
            if let Some((first, _)) = specs.iter().find(|(d, _)| d.lun == *lun) {
                let message = format!(
                    "LUN {lun} is already used by disk `{}` in this role",
                    first.name
                );
                spot.report(ctx, message);
                ok = false;
            }
        }
        match (name, lun, shared) {
            (Some(name), Some((lun, spot)), Some(shared)) => {
                let spec = DiskSpec {
                    name: name.name.clone(),
                    lun,
                    shared,
                };
                specs.push((spec, spot));
                names.push(name);
            }
            (name, _, _) => {
                names.extend(name);
                ok = false;
            }
        }
    }
    let specs = ok.then(|| specs.into_iter().map(|(d, _)| d).collect());
    (names, specs)
}
