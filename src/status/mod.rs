//! `baton status`: one inventory refresh and one probe round, printed as a table or as JSON.
//!
//! Rendering is pure (from [`RoleStatus`] values); [`collect`] does the I/O. Every string that
//! came from Azure or a probe goes through `core::text::sanitize` before it is printed.

use crate::core::leader::{DiskPlacement, LeaderState, RoleStatus, VmStatus};
use crate::core::model::ProbeStatus;
use crate::core::text::sanitize;
use serde_json::{json, Value};
use std::fmt::Write as _;

pub use crate::fleet::{read as collect, FleetReadError as StatusError};

/// The outcome of one `baton status` run: one fresh read of the fleet.
pub type StatusReport = crate::fleet::FleetReading;

impl StatusReport {
    /// 0 when every role is healthy, 1 otherwise (the CLI's exit code).
    pub fn exit_code(&self) -> i32 {
        if self.roles.iter().all(|r| r.state == LeaderState::Healthy) {
            0
        } else {
            1
        }
    }

    /// The documented JSON shape: `{"roles": [{name, state, master, vms, endpoint, disks, violations}]}`.
    pub fn to_json(&self) -> Value {
        json!({
            "roles": self.roles.iter().map(role_json).collect::<Vec<_>>(),
            "arm_requests": self.arm_requests,
        })
    }

    /// A table per role, for humans.
    pub fn render_text(&self) -> String {
        let mut out = String::new();
        for role in &self.roles {
            render_role(&mut out, role);
            out.push('\n');
        }
        let unhealthy = self
            .roles
            .iter()
            .filter(|r| r.state != LeaderState::Healthy)
            .count();
        let _ = writeln!(
            out,
            "{} roles, {} not healthy ({} ARM requests)",
            self.roles.len(),
            unhealthy,
            self.arm_requests
        );
        out
    }
}

fn role_json(role: &RoleStatus) -> Value {
    json!({
        "name": role.role,
        "state": role.state.as_str(),
        "master": role.master,
        "vms": role.vms.iter().map(vm_json).collect::<Vec<_>>(),
        "endpoint": { "holder": endpoint_holder(role), "holders": role.endpoint_holders },
        "disks": role.disks.iter().map(|d| json!({
            "name": d.name, "lun": d.lun, "attached_to": d.attached_to, "disk_state": d.disk_state,
            "sku": d.sku, "zones": d.zones, "shared": d.shared, "holders": d.holders,
            "max_shares": d.max_shares,
        })).collect::<Vec<_>>(),
        "violations": role.violations.iter().map(|v| v.to_string()).collect::<Vec<_>>(),
    })
}

/// The owner, or for a shared disk its share count and every holder (`shared 2/2 sql-a,sql-b`).
fn attached_cell(d: &DiskPlacement) -> String {
    match d.share_label() {
        Some(label) => format!("{label} {}", d.holders.join(",")),
        None => d.attached_to.clone().unwrap_or_else(|| "-".into()),
    }
}

/// The single holder, or `None` when nobody or several hold the endpoint.
fn endpoint_holder(role: &RoleStatus) -> Option<&str> {
    match role.endpoint_holders.as_slice() {
        [one] => Some(one.as_str()),
        _ => None,
    }
}

fn vm_json(vm: &VmStatus) -> Value {
    json!({
        "name": vm.name,
        "power": vm.power.as_str(),
        "master": vm.is_master,
        "zones": vm.zones,
        "size": vm.size,
        "vm_probe": probe_word(&vm.probes.vm),
        "service_probe": probe_word(&vm.probes.service),
        "vm_probe_detail": probe_detail(&vm.probes.vm),
        "service_probe_detail": probe_detail(&vm.probes.service),
    })
}

fn probe_word(p: &ProbeStatus) -> &'static str {
    match p {
        ProbeStatus::Up { .. } => "up",
        ProbeStatus::Down { .. } => "down",
        ProbeStatus::Unknown => "unknown",
    }
}

fn probe_detail(p: &ProbeStatus) -> String {
    match p {
        ProbeStatus::Up { latency_ms } => format!("{latency_ms}ms"),
        ProbeStatus::Down { reason } => sanitize(reason),
        ProbeStatus::Unknown => "not probed".to_string(),
    }
}

/// A service probe as a human reads it: a standby's app is stopped by design.
fn service_cell(vm: &VmStatus) -> String {
    match (&vm.probes.service, vm.is_master) {
        (ProbeStatus::Down { .. }, false) => "stopped (standby)".to_string(),
        (p, _) => probe_cell(p),
    }
}

fn probe_cell(p: &ProbeStatus) -> String {
    match p {
        ProbeStatus::Unknown => "unknown".to_string(),
        p => format!("{} {}", probe_word(p), probe_detail(p)),
    }
}

fn render_role(out: &mut String, role: &RoleStatus) {
    let master = role.master.as_deref().map(sanitize);
    let holders = if role.endpoint_holders.is_empty() {
        "nobody".to_string()
    } else {
        sanitize(&role.endpoint_holders.join(", "))
    };
    let _ = writeln!(
        out,
        "{}  {}  master {}  endpoint on {}",
        sanitize(&role.role),
        role.state.label(),
        master.as_deref().unwrap_or("none"),
        holders
    );
    let _ = writeln!(
        out,
        "  {:<16} {:<13} {:<28} SERVICE",
        "VM", "POWER", "VM PROBE"
    );
    for vm in &role.vms {
        let name = format!(
            "{}{}",
            sanitize(&vm.name),
            if vm.is_master { " *" } else { "" }
        );
        let _ = writeln!(
            out,
            "  {:<16} {:<13} {:<28} {}",
            name,
            vm.power.as_str(),
            probe_cell(&vm.probes.vm),
            service_cell(vm)
        );
    }
    let _ = writeln!(
        out,
        "  {:<16} {:<5} {:<16} STATE",
        "DISK", "LUN", "ATTACHED TO"
    );
    for d in &role.disks {
        let _ = writeln!(
            out,
            "  {:<16} {:<5} {:<16} {}",
            sanitize(&d.name),
            d.lun,
            sanitize(&attached_cell(d)),
            sanitize(&d.disk_state)
        );
    }
    for v in &role.violations {
        let _ = writeln!(out, "  ! {}", sanitize(&v.to_string()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::leader::Violation;
    use crate::core::model::{PowerState, VmProbes};

    fn role(state: LeaderState) -> RoleStatus {
        RoleStatus {
            role: "web".into(),
            state,
            master: Some("web-a".into()),
            endpoint_holders: vec!["web-a".into()],
            disks: vec![DiskPlacement {
                name: "web-data".into(),
                lun: 0,
                attached_to: Some("web-a".into()),
                disk_state: "Attached".into(),
                sku: Some("Premium_ZRS".into()),
                zones: vec![],
                shared: false,
                holders: vec!["web-a".into()],
                max_shares: None,
            }],
            vms: vec![
                VmStatus {
                    name: "web-a".into(),
                    power: PowerState::Running,
                    probes: VmProbes {
                        vm: ProbeStatus::Up { latency_ms: 2 },
                        service: ProbeStatus::Up { latency_ms: 3 },
                    },
                    is_master: true,
                    zones: vec!["1".into()],
                    size: Some("Standard_D2s_v5".into()),
                },
                VmStatus {
                    name: "web-b\u{1b}[31m".into(),
                    power: PowerState::Running,
                    probes: VmProbes {
                        vm: ProbeStatus::Up { latency_ms: 1 },
                        service: ProbeStatus::Down {
                            reason: "HTTP 503".into(),
                        },
                    },
                    is_master: false,
                    zones: vec!["2".into()],
                    size: None,
                },
            ],
            violations: vec![],
        }
    }

    #[test]
    fn exit_code_is_zero_only_when_all_healthy() {
        let healthy = StatusReport {
            roles: vec![role(LeaderState::Healthy)],
            arm_requests: 5,
        };
        assert_eq!(healthy.exit_code(), 0);
        let mixed = StatusReport {
            roles: vec![role(LeaderState::Healthy), role(LeaderState::Degraded)],
            arm_requests: 5,
        };
        assert_eq!(mixed.exit_code(), 1);
    }

    #[test]
    fn json_has_the_documented_shape() {
        let mut r = role(LeaderState::Split);
        r.violations.push(Violation::Apart {
            endpoint_on: Some("web-b".into()),
            disk: "web-data".into(),
            disk_on: Some("web-a".into()),
        });
        let v = StatusReport {
            roles: vec![r],
            arm_requests: 5,
        }
        .to_json();
        let role = &v["roles"][0];
        assert_eq!(role["name"], "web");
        assert_eq!(role["state"], "split");
        assert_eq!(role["master"], "web-a");
        assert_eq!(role["endpoint"]["holder"], "web-a");
        assert_eq!(role["vms"][1]["service_probe"], "down");
        assert_eq!(role["vms"][0]["power"], "running");
        assert_eq!(role["disks"][0]["lun"], 0);
        assert_eq!(role["disks"][0]["attached_to"], "web-a");
        assert_eq!(role["disks"][0]["disk_state"], "Attached");
        assert_eq!(role["disks"][0]["sku"], "Premium_ZRS");
        assert_eq!(role["disks"][0]["zones"], json!([]));
        assert_eq!(role["vms"][0]["zones"], json!(["1"]));
        assert_eq!(role["vms"][0]["size"], "Standard_D2s_v5");
        assert_eq!(
            role["violations"][0],
            "endpoint on web-b, disk web-data on web-a"
        );
    }

    #[test]
    fn text_marks_master_explains_standby_and_strips_controls() {
        let text = StatusReport {
            roles: vec![role(LeaderState::Healthy)],
            arm_requests: 5,
        }
        .render_text();
        assert!(
            text.contains("web  HEALTHY  master web-a  endpoint on web-a"),
            "{text}"
        );
        assert!(text.contains("web-a *"), "{text}");
        assert!(text.contains("stopped (standby)"), "{text}");
        assert!(!text.contains('\u{1b}'), "{text}");
        assert!(
            text.contains("1 roles, 0 not healthy (5 ARM requests)"),
            "{text}"
        );
    }
}
