//! The selected role's Leader pane (state, master, every violation as facts) and Attachments
//! pane (endpoint holder, disks with LUN, owner and diskState). Heartbeats live in
//! `heartbeats`. Must not change state.

use super::super::state::{Pane, UiState};
use super::super::theme::Theme;
use super::widgets::{clean, glyph, pane_block, state_style, width_of};
use crate::core::leader::{DiskPlacement, RoleStatus};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};
use std::borrow::Cow;

pub(super) fn with_block(
    buf: &mut Buffer,
    area: Rect,
    pane: Pane,
    theme: &Theme,
    focused: bool,
) -> Rect {
    let block = pane_block(pane.title(), focused, theme);
    let inner = block.inner(area);
    block.render(area, buf);
    inner
}

/// The Leader pane: state, master, and every violation as facts in the critical style.
pub fn leader(buf: &mut Buffer, area: Rect, state: &UiState, theme: &Theme, focused: bool) {
    let inner = with_block(buf, area, Pane::Leader, theme, focused);
    let Some(role) = state.selected_role() else {
        return;
    };
    let mut lines = Vec::with_capacity(role.violations.len() + 1);
    lines.push(leader_headline(role, theme));
    if role.violations.is_empty() {
        lines.push(Line::styled("✓ every invariant holds", theme.ok));
    }
    for v in &role.violations {
        let text = v.to_string();
        lines.push(Line::from(vec![
            Span::styled("✖ ", theme.critical),
            Span::styled(clean(&text).into_owned(), theme.critical),
        ]));
    }
    scrolled(lines, state.scroll_of(Pane::Leader)).render(inner, buf);
}

fn leader_headline<'a>(role: &'a RoleStatus, theme: &Theme) -> Line<'a> {
    let style = state_style(theme, role.state);
    let mut spans = vec![
        Span::styled(glyph(role.state), style),
        Span::raw(" "),
        Span::styled(role.state.label(), style),
        Span::raw("  "),
        Span::styled(clean(&role.role), theme.text),
        Span::styled("  master ", theme.muted),
    ];
    match role.master.as_deref() {
        Some(m) => spans.push(Span::styled(clean(m), theme.leader)),
        None => spans.push(Span::styled("none", theme.critical)),
    }
    Line::from(spans)
}

fn scrolled(lines: Vec<Line<'_>>, offset: usize) -> Paragraph<'_> {
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .scroll((offset.min(u16::MAX as usize) as u16, 0))
}

/// The Attachments pane: who holds the endpoint, where each VM sits (zone, size) when Azure
/// said, and each disk's LUN, owner, diskState and (when known) SKU and zone. When the pane
/// cannot hold a header and every disk (80x24), each disk says the same in one labelled line
/// instead, so a header never stands alone above rows that did not fit.
pub fn attachments(buf: &mut Buffer, area: Rect, state: &UiState, theme: &Theme, focused: bool) {
    let inner = with_block(buf, area, Pane::Attachments, theme, focused);
    let Some(role) = state.selected_role() else {
        return;
    };
    let mut lines = Vec::with_capacity(role.disks.len() + 3);
    lines.push(endpoint_line(role, theme));
    let placement = placement_line(role, theme);
    let head = 2 + usize::from(placement.is_some());
    lines.extend(placement);
    let table = (inner.height as usize) >= role.disks.len() + head;
    let storage = role.disks.iter().any(|d| storage_label(d).is_some());
    let disk_w = role
        .disks
        .iter()
        .map(|d| width_of(&d.name))
        .max()
        .unwrap_or(4)
        .clamp(4, 24);
    if table && !role.disks.is_empty() {
        lines.push(Line::styled(
            format!(
                "LUN  {:<disk_w$}  OWNER            DISKSTATE{}",
                "DISK",
                if storage { "  SKU / ZONE" } else { "" }
            ),
            theme.muted,
        ));
    }
    for d in &role.disks {
        let (owner, owner_style) = owner_cell(role, d, theme);
        let mut line = if table {
            let state = clean(&d.disk_state).into_owned();
            let state = if storage {
                format!("{state:<9}")
            } else {
                state
            };
            Line::from(vec![
                Span::styled(format!("{:>3}  ", d.lun), theme.text),
                Span::styled(format!("{:<disk_w$}  ", clean(&d.name)), theme.text),
                Span::styled(format!("{:<16} ", owner), owner_style),
                Span::styled(state, theme.muted),
            ])
        } else {
            Line::from(vec![
                Span::styled("disk ", theme.muted),
                Span::styled(format!("{} ", clean(&d.name)), theme.text),
                Span::styled(format!("LUN {} ", d.lun), theme.muted),
                Span::styled("on ", theme.muted),
                Span::styled(format!("{owner} "), owner_style),
                Span::styled(clean(&d.disk_state).into_owned(), theme.muted),
            ])
        };
        if let Some(label) = storage_label(d) {
            line.spans
                .push(Span::styled(format!("  {label}"), theme.muted));
        }
        if d.shared {
            let held = if d.holders.is_empty() {
                "by nobody".to_string()
            } else {
                format!("by {}", clean(&d.holders.join(", ")))
            };
            line.spans
                .push(Span::styled(format!("  held {held}"), theme.text));
        }
        lines.push(line);
    }
    scrolled(lines, state.scroll_of(Pane::Attachments)).render(inner, buf);
}

/// The OWNER cell: the owner (the master's in plain text, another VM's critical, none a
/// warning), or for a shared disk `shared 2/3` (plain when every VM of the role holds it).
fn owner_cell<'a>(role: &RoleStatus, d: &'a DiskPlacement, theme: &Theme) -> (Cow<'a, str>, Style) {
    if let Some(label) = d.share_label() {
        let on_all = role
            .vms
            .iter()
            .all(|v| d.holders.iter().any(|h| h.eq_ignore_ascii_case(&v.name)));
        let style = match (d.max_shares.unwrap_or(1) >= 2, on_all) {
            (false, _) => theme.critical,
            (true, false) => theme.warn,
            (true, true) => theme.text,
        };
        return (Cow::Owned(label), style);
    }
    let style = match (d.attached_to.as_deref(), role.master.as_deref()) {
        (Some(o), Some(m)) if o.eq_ignore_ascii_case(m) => theme.text,
        (None, _) => theme.warn,
        _ => theme.critical,
    };
    let owner = d
        .attached_to
        .as_deref()
        .map_or(Cow::Borrowed("— (detached)"), clean);
    (owner, style)
}

/// `Premium_LRS zone 1`, `Premium_ZRS`; `None` when Azure did not say.
fn storage_label(d: &DiskPlacement) -> Option<String> {
    let sku = clean(d.sku.as_deref()?).into_owned();
    Some(match d.zones.as_slice() {
        [] => sku,
        zones => format!("{sku} zone {}", clean(&zones.join(","))),
    })
}

/// `web-a zone 1 Standard_D2s_v5 · web-b zone 2 …`; `None` when nothing is known.
fn placement_line(role: &RoleStatus, theme: &Theme) -> Option<Line<'static>> {
    let known = role
        .vms
        .iter()
        .any(|v| !v.zones.is_empty() || v.size.is_some());
    if !known {
        return None;
    }
    let each: Vec<String> = role
        .vms
        .iter()
        .map(|v| {
            let mut s = clean(&v.name).into_owned();
            if !v.zones.is_empty() {
                s.push_str(&format!(" zone {}", clean(&v.zones.join(","))));
            }
            if let Some(size) = &v.size {
                s.push_str(&format!(" {}", clean(size)));
            }
            s
        })
        .collect();
    Some(Line::from(vec![
        Span::styled("vms ", theme.muted),
        Span::styled(each.join(" · "), theme.text),
    ]))
}

fn endpoint_line<'a>(role: &'a RoleStatus, theme: &Theme) -> Line<'a> {
    let label = Span::styled("endpoint ", theme.muted);
    match role.endpoint_holders.as_slice() {
        [] => Line::from(vec![label, Span::styled("held by nobody", theme.warn)]),
        [one] => {
            let is_master = role
                .master
                .as_deref()
                .is_some_and(|m| m.eq_ignore_ascii_case(one));
            let style = if is_master {
                theme.leader
            } else {
                theme.critical
            };
            Line::from(vec![
                label,
                Span::styled("on ", theme.muted),
                Span::styled(clean(one), style),
            ])
        }
        many => {
            let mut spans = vec![label, Span::styled("on ", theme.muted)];
            for (i, h) in many.iter().enumerate() {
                if i > 0 {
                    spans.push(Span::styled(" AND ", theme.critical));
                }
                spans.push(Span::styled(clean(h), theme.critical));
            }
            Line::from(spans)
        }
    }
}
