//! The Heartbeats pane: per VM of the selected role, both probes with latency sparklines and
//! when the host last answered. Columns drop by priority when narrow; spare width goes to the
//! probe texts. A standby's stopped service behind a live master is muted, never an alarm.
//!
//! Must not change state.

use super::super::state::{Pane, UiState};
use super::super::theme::Theme;
use super::detail::with_block;
use super::widgets::{clean, fmt_age, put, put_cut, sparkline, width_of, SparkStyle};
use crate::core::leader::VmStatus;
use crate::core::model::{PowerState, ProbeStatus};
use crate::core::snapshot::ProbeHistory;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

/// Columns of the heartbeats table, in display order.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Col {
    Name,
    Role,
    Power,
    VmProbe,
    VmSpark,
    Service,
    SvcSpark,
    Seen,
}

/// (column, width, priority: lower survives longer).
fn heartbeat_columns(name_w: u16, spark_w: u16) -> [(Col, u16, u8); 8] {
    [
        (Col::Name, name_w, 0),
        (Col::Role, 8, 3),
        (Col::Power, 9, 2),
        (Col::VmProbe, 13, 0),
        (Col::VmSpark, spark_w, 4),
        (Col::Service, 19, 0),
        (Col::SvcSpark, spark_w, 4),
        (Col::Seen, 9, 1),
    ]
}

/// Keeps the columns that fit, highest priority first (each costs its width plus one gap).
fn fit(avail: u16, cols: &[(Col, u16, u8)]) -> Vec<(Col, u16)> {
    let mut left = avail as i32;
    let mut keep = vec![false; cols.len()];
    for prio in 0..=4 {
        for (i, (_, w, p)) in cols.iter().enumerate() {
            if *p == prio && left >= (*w + 1) as i32 {
                keep[i] = true;
                left -= (*w + 1) as i32;
            }
        }
    }
    cols.iter()
        .zip(keep)
        .filter(|(_, k)| *k)
        .map(|((c, w, _), _)| (*c, *w))
        .collect()
}

/// Gives spare width to the probe texts (service first, it carries the longer reasons).
fn widen(mut cols: Vec<(Col, u16)>, avail: u16) -> Vec<(Col, u16)> {
    let used: u16 = cols.iter().map(|(_, w)| w + 1).sum();
    let mut spare = avail.saturating_sub(used);
    for (target, max_extra) in [(Col::Service, 14), (Col::VmProbe, 12)] {
        if let Some((_, w)) = cols.iter_mut().find(|(c, _)| *c == target) {
            let extra = spare.min(max_extra);
            *w += extra;
            spare -= extra;
        }
    }
    cols
}

/// The Heartbeats pane.
pub fn render(
    buf: &mut Buffer,
    area: Rect,
    state: &UiState,
    theme: &Theme,
    focused: bool,
    wide: bool,
) {
    let inner = with_block(buf, area, Pane::Heartbeats, theme, focused);
    let Some(role) = state.selected_role() else {
        return;
    };
    if inner.height == 0 {
        return;
    }
    let name_w = role
        .vms
        .iter()
        .map(|v| width_of(&v.name))
        .max()
        .unwrap_or(4)
        .clamp(4, 20) as u16;
    let spark_w = if wide { 12 } else { 8 };
    let avail = inner.width.saturating_sub(2);
    let cols = widen(fit(avail, &heartbeat_columns(name_w, spark_w)), avail);
    let mut y = inner.y;
    let mut rows = inner.height as usize;
    if wide && rows > role.vms.len() {
        draw_header(buf, inner.x + 2, y, &cols, theme);
        y += 1;
        rows -= 1;
    }
    let skip = state.scroll_of(Pane::Heartbeats);
    for vm in role.vms.iter().skip(skip).take(rows) {
        draw_vm(buf, inner.x, y, state, vm, &cols, theme);
        y += 1;
    }
}

fn draw_header(buf: &mut Buffer, mut x: u16, y: u16, cols: &[(Col, u16)], theme: &Theme) {
    for (col, w) in cols {
        let label = match col {
            Col::Name => "VM",
            Col::Role => "ROLE",
            Col::Power => "POWER",
            Col::VmProbe => "VM PROBE",
            Col::VmSpark | Col::SvcSpark => "",
            Col::Service => "SERVICE",
            Col::Seen => "LAST SEEN",
        };
        put(buf, x, y, *w, label, theme.muted);
        x += w + 1;
    }
}

fn draw_vm(
    buf: &mut Buffer,
    x0: u16,
    y: u16,
    state: &UiState,
    vm: &VmStatus,
    cols: &[(Col, u16)],
    theme: &Theme,
) {
    let history = state.snapshot().heartbeats_of(&vm.name);
    let empty = ProbeHistory::default();
    let (vm_h, svc_h) = history.map_or((&empty, &empty), |h| (&h.vm, &h.service));
    let mark = if vm.is_master { "★" } else { " " };
    put(buf, x0, y, 2, mark, theme.leader);
    let mut x = x0 + 2;
    let has_master = state.selected_role().is_some_and(|r| r.master.is_some());
    // Only a standby behind a live master is expected to be stopped.
    let standby_quiet = !vm.is_master && has_master;
    for (col, w) in cols {
        match col {
            Col::Name => {
                let style = if vm.is_master {
                    theme.leader
                } else {
                    theme.text
                };
                put(buf, x, y, *w, &clean(&vm.name), style);
            }
            Col::Role => {
                let word = match (vm.is_master, has_master) {
                    (true, _) => "master",
                    (false, true) => "standby",
                    (false, false) => "—",
                };
                put(buf, x, y, *w, word, theme.muted);
            }
            Col::Power => {
                let style = if vm.power == PowerState::Running {
                    theme.text
                } else {
                    theme.critical
                };
                put(buf, x, y, *w, vm.power.as_str(), style);
            }
            Col::VmProbe => {
                let (text, style) = probe_text(&vm.probes.vm, theme);
                put_cut(buf, x, y, *w, &text, style);
            }
            Col::Service => {
                let (text, style) = service_text(vm, has_master, theme);
                put_cut(buf, x, y, *w, &text, style);
            }
            Col::VmSpark => sparkline(buf, x, y, *w, &vm_h.samples, alarm_spark(theme)),
            Col::SvcSpark => {
                let spark = if standby_quiet {
                    quiet_spark(theme)
                } else {
                    alarm_spark(theme)
                };
                sparkline(buf, x, y, *w, &svc_h.samples, spark);
            }
            Col::Seen => {
                let (text, style) = last_seen(state, vm_h, theme);
                put_cut(buf, x, y, *w, &text, style);
            }
        }
        x += w + 1;
    }
}

fn alarm_spark(theme: &Theme) -> SparkStyle {
    SparkStyle {
        ok: theme.ok,
        fail: theme.critical,
        fail_symbol: "×",
    }
}

fn quiet_spark(theme: &Theme) -> SparkStyle {
    SparkStyle {
        ok: theme.muted,
        fail: theme.muted,
        fail_symbol: "·",
    }
}

pub(super) fn probe_text(p: &ProbeStatus, theme: &Theme) -> (String, Style) {
    match p {
        ProbeStatus::Up { latency_ms } => (format!("up {latency_ms}ms"), theme.ok),
        ProbeStatus::Down { reason } => (format!("DOWN {}", clean(reason)), theme.critical),
        ProbeStatus::Unknown => ("unknown".to_string(), theme.unknown),
    }
}

pub(super) fn service_text(vm: &VmStatus, has_master: bool, theme: &Theme) -> (String, Style) {
    match (&vm.probes.service, vm.is_master, has_master) {
        (ProbeStatus::Down { .. }, false, true) => ("stopped (standby)".to_string(), theme.muted),
        (ProbeStatus::Unknown, false, true) => ("— (standby)".to_string(), theme.muted),
        (ProbeStatus::Down { reason }, false, false) => {
            (format!("down: {}", clean(reason)), theme.warn)
        }
        (p, _, _) => probe_text(p, theme),
    }
}

fn last_seen(state: &UiState, h: &ProbeHistory, theme: &Theme) -> (String, Style) {
    let style = if h.consecutive_failures > 0 {
        theme.critical
    } else {
        theme.muted
    };
    match (h.last_ok, state.now()) {
        (Some(at), Some(now)) => (format!("{} ago", fmt_age(now - at)), style),
        (Some(_), None) => ("seen".to_string(), style),
        (None, _) => ("never".to_string(), style),
    }
}
