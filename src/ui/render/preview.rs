//! The plan preview dialog: kind, role, from → to, every step with what it does, the Azure calls
//! it will make and its estimate, the total, every blocker in the critical style, and the typed
//! confirmation line (Enter only lights up on an exact match).
//!
//! The step list scrolls between a fixed head (what, blockers) and a fixed foot (input, keys),
//! so the input line is always visible at 80x24. Must not change state.

use super::super::state::ops::Preview;
use super::super::theme::Theme;
use super::dialogs::armed_key;
use super::widgets::{clean, dialog_box, width_of, wrap};
use crate::core::plan::{human_duration, OperationKind, Plan};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

/// Columns before a step's description (`10 preflight ~30s    `).
const INDENT: usize = 22;

/// Draws the preview over `area`.
pub fn render(buf: &mut Buffer, area: Rect, p: &Preview, theme: &Theme) {
    let w = area.width.saturating_sub(2).min(100);
    let text_w = w.saturating_sub(2) as usize;
    let head = head_lines(p, theme, text_w);
    let body = p
        .plan
        .as_ref()
        .map(|plan| step_lines(plan, theme, text_w))
        .unwrap_or_default();
    let foot = foot_lines(p, theme, body.len());
    let want = (head.len() + body.len() + foot.len() + 2) as u16;
    let h = want.min(area.height.saturating_sub(2));
    let title = format!("Plan: {} {}", p.kind.as_str(), clean(&p.role));
    let inner = dialog_box(buf, area, w, h, &title, kind_style(p.kind, theme), theme);
    let rows = inner.height as usize;
    let body_rows = rows.saturating_sub(head.len() + foot.len());
    let start = p.scroll.min(body.len().saturating_sub(body_rows));
    let shown = head
        .iter()
        .take(rows.saturating_sub(foot.len()))
        .chain(body.iter().skip(start).take(body_rows));
    for (i, line) in shown.enumerate() {
        buf.set_line(inner.x, inner.y + i as u16, line, inner.width);
    }
    let foot_y = inner.bottom().saturating_sub(foot.len() as u16);
    for (i, line) in foot.iter().enumerate() {
        buf.set_line(inner.x, foot_y + i as u16, line, inner.width);
    }
}

fn kind_style(kind: OperationKind, theme: &Theme) -> Style {
    match kind {
        OperationKind::Failover => theme.danger,
        _ => theme.drill,
    }
}

/// What, from → to, totals, blockers (or: planning…, plan failed).
fn head_lines(p: &Preview, theme: &Theme, width: usize) -> Vec<Line<'static>> {
    let kind = kind_style(p.kind, theme).add_modifier(Modifier::BOLD);
    let mut first = vec![
        Span::styled(p.kind.as_str().to_uppercase(), kind),
        Span::styled(
            format!(" {}", clean(&p.role)),
            theme.text.add_modifier(Modifier::BOLD),
        ),
    ];
    let Some(plan) = &p.plan else {
        if let Some(t) = &p.target {
            first.push(Span::styled(format!(" → {}", clean(t)), theme.text));
        }
        let mut lines = vec![Line::from(first)];
        match &p.error {
            Some(e) => lines.extend(wrapped(
                &format!("✖ plan failed: {e}"),
                width,
                theme.critical,
            )),
            None => lines.push(Line::styled("planning…", theme.muted)),
        }
        return lines;
    };
    let from = plan
        .from
        .as_deref()
        .map_or("—".into(), |f| clean(f).into_owned());
    let to = plan
        .to
        .as_deref()
        .map_or("no target".into(), |t| clean(t).into_owned());
    first.push(Span::styled(format!(":  {from} → {to}"), theme.text));
    let mut lines = vec![Line::from(first)];
    let mut totals = format!(
        "{} steps · estimated total {}",
        plan.steps.len(),
        human_duration(plan.estimated_total)
    );
    if p.standbys.len() > 1 {
        totals.push_str(&format!(" · {} standbys (tab: next)", p.standbys.len()));
    }
    lines.push(Line::styled(totals, theme.muted));
    if plan.kind == OperationKind::Drill {
        let text = format!(
            "DRILL: these steps move {role} to {to}, service probes hold it there, then the same steps bring it back to {from}; a report is written at the end.",
            role = clean(&plan.role)
        );
        lines.extend(wrapped(&text, width, theme.drill));
    }
    if !plan.blockers.is_empty() {
        let n = plan.blockers.len();
        let head = format!("✖ BLOCKED: {n} reason{} this plan cannot start", plural(n));
        lines.push(Line::styled(
            head,
            theme.critical.add_modifier(Modifier::BOLD),
        ));
        for b in &plan.blockers {
            lines.extend(wrapped(
                &format!("  ✖ {}", clean(&b.to_string())),
                width,
                theme.critical,
            ));
        }
    }
    lines.push(Line::styled("─".repeat(width), theme.border));
    lines
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Every step: number, name, estimate, what it does (wrapped), then its Azure calls.
fn step_lines(plan: &Plan, theme: &Theme, width: usize) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    let room = width.saturating_sub(INDENT).max(10);
    // Azure calls keep one line each: they move left of the description column when narrow.
    let longest = plan
        .steps
        .iter()
        .flat_map(|s| s.azure_calls.iter())
        .map(|c| width_of(c) + 2)
        .max()
        .unwrap_or(0);
    let call_indent = INDENT.min(width.saturating_sub(longest)).max(4);
    let call_room = width.saturating_sub(call_indent).max(10);
    for (i, step) in plan.steps.iter().enumerate() {
        let (est, est_style) = if step.already_done {
            ("✔ done".to_string(), theme.ok)
        } else {
            (format!("~{}", human_duration(step.estimate)), theme.text)
        };
        let what = clean(&step.what).into_owned();
        // The ∥ line follows the description, on its own line so it is never cut mid-why.
        let beside = step.beside();
        let parts = wrap(&what, room).into_iter().map(|p| (p, false));
        let beside_parts = beside.iter().flat_map(|b| wrap(b, room)).map(|p| (p, true));
        for (j, (part, is_beside)) in parts.chain(beside_parts).enumerate() {
            let lead = if j == 0 {
                vec![
                    Span::styled(format!("{:>2} ", i + 1), theme.muted),
                    Span::styled(
                        format!("{:<10}", step.kind.label()),
                        theme.text.add_modifier(Modifier::BOLD),
                    ),
                    Span::styled(format!("{est:<9}"), est_style),
                ]
            } else {
                vec![Span::raw(" ".repeat(INDENT))]
            };
            let mut spans = lead;
            spans.push(Span::styled(
                part,
                if step.already_done {
                    theme.muted
                } else if is_beside {
                    theme.drill
                } else {
                    theme.text
                },
            ));
            lines.push(Line::from(spans));
        }
        for call in &step.azure_calls {
            for part in wrap(&format!("→ {}", clean(call)), call_room) {
                lines.push(Line::from(vec![
                    Span::raw(" ".repeat(call_indent)),
                    Span::styled(part, theme.muted),
                ]));
            }
        }
    }
    lines
}

/// The input line (or why there is none) and the keys.
fn foot_lines(p: &Preview, theme: &Theme, body_len: usize) -> Vec<Line<'static>> {
    let mut lines = vec![Line::styled("─".repeat(200), theme.border)];
    let role = clean(&p.role).into_owned();
    let prompt = match &p.plan {
        Some(plan) if plan.can_confirm() => {
            let matching = role.starts_with(p.typed.as_str());
            let typed_style = if p.confirmable() {
                theme.ok.add_modifier(Modifier::BOLD)
            } else if matching {
                theme.text
            } else {
                theme.critical
            };
            Line::from(vec![
                Span::styled("type ", theme.text),
                Span::styled(role.clone(), theme.focus.add_modifier(Modifier::BOLD)),
                Span::styled(" to confirm: ", theme.text),
                Span::styled(clean(&p.typed).into_owned(), typed_style),
                Span::styled("▏", theme.focus),
            ])
        }
        Some(_) => Line::styled(
            "cannot confirm: every blocker above must be gone first",
            theme.critical,
        ),
        None if p.error.is_some() => {
            Line::styled("no plan to confirm: esc, then try again", theme.critical)
        }
        None => Line::styled("waiting for the plan…", theme.muted),
    };
    lines.push(prompt);
    let enter = match &p.plan {
        _ if p.confirmable() => armed_key("enter START", theme),
        Some(plan) if plan.can_confirm() => {
            Span::styled("enter (type the name first)", theme.muted)
        }
        Some(_) => Span::styled("enter disabled (blocked)", theme.muted),
        None => Span::styled("enter (no plan yet)", theme.muted),
    };
    let mut keys = vec![enter, Span::styled("  esc cancel", theme.muted)];
    if p.standbys.len() > 1 {
        keys.push(Span::styled("  tab next standby", theme.muted));
    }
    if body_len > 0 {
        keys.push(Span::styled("  ↑↓ scroll", theme.muted));
    }
    lines.push(Line::from(keys));
    lines
}

/// Wrapped text with a hanging indent of two columns.
fn wrapped(text: &str, width: usize, style: Style) -> Vec<Line<'static>> {
    wrap(text, width.saturating_sub(2))
        .into_iter()
        .enumerate()
        .map(|(i, l)| Line::styled(format!("{}{l}", if i == 0 { "" } else { "  " }), style))
        .collect()
}
