//! The modal dialogs of the operation flow, drawn over everything: plan preview (`preview`),
//! abort confirmation, the choice after an abort / failure / interruption (exactly the options
//! the operation offers), and the summary with per-step durations and RTO MET/MISSED. The
//! abort and the choice show the typed role-name field they need before Enter acts.
//!
//! Must not change state or decide what may be chosen (the dialog carries its options).

use super::super::state::ops::{Choice, Dialog, OpView};
use super::super::state::UiState;
use super::super::theme::Theme;
use super::steps::outcome_style;
use super::widgets::{clean, dialog_box, fmt_clock, wrap};
use crate::core::operation::{Operation, StepRecord, StepState};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use time::OffsetDateTime;

/// Draws the shown dialog over `area`.
pub fn render(buf: &mut Buffer, area: Rect, state: &UiState, theme: &Theme, dialog: &Dialog) {
    let view = dialog.op_id().and_then(|id| state.operation(id));
    let width = area.width.saturating_sub(4).min(84);
    let text_w = width.saturating_sub(2) as usize;
    let (title, style, lines) = match (dialog, view) {
        (Dialog::Preview(p), _) => return super::preview::render(buf, area, p, theme),
        (Dialog::Unlock(u), _) => (
            "Break another baton's lock?",
            theme.danger,
            super::unlock::lines(u, theme, text_w),
        ),
        (Dialog::DrillSummary { drill_id }, _) => {
            let Some(d) = state.ops.drill(drill_id) else {
                return;
            };
            (
                "Drill finished",
                super::drill::status_style(&d.record, theme),
                super::drill::summary(d, theme, text_w),
            )
        }
        (Dialog::Abort { typed, .. }, Some(v)) => (
            "Abort operation?",
            theme.danger,
            abort(v, typed, theme, text_w),
        ),
        (
            Dialog::Choose {
                options,
                cursor,
                interrupted,
                typed,
                ..
            },
            Some(v),
        ) => {
            let title = if *interrupted {
                "Interrupted operation found"
            } else {
                "Operation waiting: how to go on?"
            };
            (
                title,
                theme.critical,
                choose(v, options, *cursor, typed, theme, text_w),
            )
        }
        (Dialog::Summary { .. }, Some(v)) => {
            let style =
                v.op.outcome()
                    .map_or(theme.text, |o| outcome_style(theme, o));
            (
                "Operation finished",
                style,
                super::summary::render(state, v, theme, text_w),
            )
        }
        (_, None) => return,
    };
    let mut lines = lines;
    // A short terminal loses the blank separators before it loses content.
    if lines.len() + 2 > area.height as usize {
        lines.retain(|l| l.width() > 0);
    }
    let h = (lines.len() as u16 + 2).min(area.height);
    let inner = dialog_box(buf, area, width, h, title, style, theme);
    for (i, line) in lines.iter().take(inner.height as usize).enumerate() {
        buf.set_line(inner.x, inner.y + i as u16, line, inner.width);
    }
}

/// `switchover app: app-a → app-b`
pub(super) fn what_line(op: &Operation, theme: &Theme) -> Line<'static> {
    Line::from(vec![
        Span::styled(
            op.kind.as_str().to_string(),
            theme.drill.add_modifier(Modifier::BOLD),
        ),
        Span::styled(
            format!(" {}", clean(&op.role)),
            theme.text.add_modifier(Modifier::BOLD),
        ),
        Span::styled(
            format!(
                ":  {} → {}",
                clean(op.from.as_deref().unwrap_or("—")),
                clean(&op.to)
            ),
            theme.text,
        ),
    ])
}

fn begun_line(op: &Operation, theme: &Theme) -> Line<'static> {
    let text = format!(
        "begun {}Z by {}",
        fmt_clock(op.begun_at),
        clean(&op.operator)
    );
    Line::styled(text, theme.muted)
}

pub(super) fn wrapped(out: &mut Vec<Line<'static>>, text: &str, width: usize, style: Style) {
    for (i, part) in wrap(text, width.saturating_sub(2)).into_iter().enumerate() {
        let pad = if i == 0 { "" } else { "  " };
        out.push(Line::styled(format!("{pad}{part}"), style));
    }
}

/// The Enter key of a dialog that changes something, once the typed name allows it.
pub(super) fn armed_key(label: &'static str, theme: &Theme) -> Span<'static> {
    Span::styled(
        label,
        theme
            .danger
            .add_modifier(Modifier::BOLD | Modifier::REVERSED),
    )
}

/// `type app to VERB: typed▏` — green once exact, red as soon as it cannot become the name.
pub(super) fn typed_prompt(role: &str, typed: &str, verb: &str, theme: &Theme) -> Line<'static> {
    let role = clean(role).into_owned();
    let style = if typed == role {
        theme.ok.add_modifier(Modifier::BOLD)
    } else if role.starts_with(typed) {
        theme.text
    } else {
        theme.critical
    };
    Line::from(vec![
        Span::styled("type ", theme.text),
        Span::styled(role, theme.focus.add_modifier(Modifier::BOLD)),
        Span::styled(format!(" to {verb}: "), theme.text),
        Span::styled(clean(typed).into_owned(), style),
        Span::styled("▏", theme.focus),
    ])
}

fn abort(view: &OpView, typed: &str, theme: &Theme, width: usize) -> Vec<Line<'static>> {
    let op = &view.op;
    let mut lines = vec![what_line(op, theme), begun_line(op, theme), Line::raw("")];
    let running: Vec<&str> = op.running_steps().iter().map(|s| s.label()).collect();
    if !running.is_empty() {
        let text = format!(
            "running now: {} (it finishes; nothing new starts)",
            running.join(", ")
        );
        wrapped(&mut lines, &text, width, theme.text);
    }
    let options = "Then you choose: roll back towards the old master, or roll forward.";
    wrapped(&mut lines, options, width, theme.text);
    lines.push(Line::raw(""));
    lines.push(typed_prompt(&op.role, typed, "abort", theme));
    lines.push(Line::from(vec![
        armed_key("enter ABORT", theme),
        Span::styled("   esc keep going", theme.muted),
    ]));
    lines
}

/// When the operation last did something (the journal's latest time we know of).
fn last_activity(op: &Operation) -> OffsetDateTime {
    let steps = op
        .steps
        .iter()
        .chain(op.rollback.iter().flat_map(|r| r.steps.iter()));
    steps
        .flat_map(|s| [s.last_started_at, s.ended_at, s.notes.last().map(|n| n.at)])
        .flatten()
        .chain(op.abort.as_ref().map(|a| a.at))
        .chain(op.rollback.as_ref().map(|r| r.at))
        .fold(op.begun_at, OffsetDateTime::max)
}

/// Where it stopped: the interrupted or failed step with its error, the abort, or the next step.
fn stopped(op: &Operation, theme: &Theme, width: usize) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    let at = fmt_clock(last_activity(op));
    let active = op.active_steps();
    if let Some(step) = active.iter().find(|s| s.state == StepState::Running) {
        let text = format!(
            "stopped in: {} (started, never ended) · last activity {at}Z",
            step.kind.label()
        );
        wrapped(&mut out, &text, width, theme.critical);
    } else if let Some(step) = active.iter().find(|s| s.state == StepState::Failed) {
        failed(&mut out, step, theme, width);
    }
    if let Some(a) = &op.abort {
        let text = format!(
            "■ abort requested by {} at {}Z",
            clean(&a.by),
            fmt_clock(a.at)
        );
        wrapped(&mut out, &text, width, theme.warn);
    }
    if out.is_empty() {
        let next = op.next_step().map_or("the end", |s| s.label());
        wrapped(
            &mut out,
            &format!("stopped before: {next} · last activity {at}Z"),
            width,
            theme.warn,
        );
    }
    out
}

fn failed(out: &mut Vec<Line<'static>>, step: &StepRecord, theme: &Theme, width: usize) {
    let at = step
        .ended_at
        .map(|t| format!(" at {}Z", fmt_clock(t)))
        .unwrap_or_default();
    let head = format!("✖ {} FAILED{at}", step.kind.label());
    out.push(Line::styled(
        head,
        theme.critical.add_modifier(Modifier::BOLD),
    ));
    if let Some(e) = &step.error {
        let status = e
            .http_status
            .map(|s| format!("HTTP {s} "))
            .unwrap_or_default();
        wrapped(
            out,
            &format!("  {status}{}: {}", e.code, clean(&e.message)),
            width,
            theme.critical,
        );
        if let Some(id) = &e.request_id {
            out.push(Line::styled(
                format!("  request id {}", clean(id)),
                theme.critical,
            ));
        }
    }
}

fn choose(
    view: &OpView,
    options: &[Choice],
    cursor: usize,
    typed: &str,
    theme: &Theme,
    width: usize,
) -> Vec<Line<'static>> {
    let op = &view.op;
    let mut lines = vec![what_line(op, theme), begun_line(op, theme)];
    lines.extend(stopped(op, theme, width));
    lines.push(Line::raw(""));
    for (i, choice) in options.iter().enumerate() {
        let selected = i == cursor;
        let marker = if selected { "▶" } else { " " };
        let style = if selected {
            theme.selection
        } else {
            theme.text
        };
        lines.push(Line::styled(
            format!("{marker} {} {}", i + 1, choice.label()),
            style,
        ));
    }
    if options.is_empty() {
        lines.push(Line::styled(
            "nothing to choose while a step runs",
            theme.muted,
        ));
    }
    lines.push(Line::raw(""));
    if !options.is_empty() {
        lines.push(typed_prompt(&op.role, typed, "confirm", theme));
    }
    lines.push(Line::styled(
        "↑↓ choose · enter confirm · esc later (A reopens)",
        theme.muted,
    ));
    lines
}
