//! The summary dialog of a finished operation: outcome, who and when, the measured RTO against
//! the target (MET / MISSED as glyph and word), and every step with its duration or why it
//! did not run. Must not change state.

use super::super::state::ops::{outcome_word, OpView};
use super::super::state::UiState;
use super::super::theme::Theme;
use super::dialogs::{what_line, wrapped};
use super::steps::{outcome_style, status_text, step_mark};
use super::widgets::{clean, fmt_clock};
use crate::core::operation::{Operation, StepRecord, StepState};
use crate::core::plan::human_duration;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};

pub(super) fn render(
    state: &UiState,
    view: &OpView,
    theme: &Theme,
    width: usize,
) -> Vec<Line<'static>> {
    let op = &view.op;
    let mut lines = Vec::new();
    if let Some((at, outcome)) = op.finished {
        let style = outcome_style(theme, outcome).add_modifier(Modifier::BOLD);
        let mut head = vec![Span::styled(format!("{} ", outcome_word(outcome)), style)];
        head.extend(what_line(op, theme).spans);
        lines.push(Line::from(head));
        let text = format!(
            "begun {}Z by {} · finished {}Z · took {}",
            fmt_clock(op.begun_at),
            clean(&op.operator),
            fmt_clock(at),
            human_duration(op.elapsed(at))
        );
        wrapped(&mut lines, &text, width, theme.muted);
    }
    lines.push(rto_line(op, state.rto_target(), theme));
    lines.push(Line::raw(""));
    lines.push(Line::styled("steps", theme.focus));
    step_table(&mut lines, &op.steps, theme);
    if let Some(rb) = op.rollback.as_ref().filter(|r| !r.steps.is_empty()) {
        lines.push(Line::styled(
            format!("rollback: {}", rb.mode.label()),
            theme.warn,
        ));
        step_table(&mut lines, &rb.steps, theme);
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled("enter / esc close", theme.muted));
    lines
}

/// `RTO 1m20s (target 5m) ✔ MET` — glyph and word, never colour only.
fn rto_line(op: &Operation, target: std::time::Duration, theme: &Theme) -> Line<'static> {
    let target_text = human_duration(target);
    match op.rto() {
        Some(rto) => {
            let (mark, style) = if rto <= target {
                ("✔ MET", theme.ok)
            } else {
                ("✖ MISSED", theme.critical)
            };
            Line::from(vec![
                Span::styled(
                    format!("RTO {} (target {target_text})  ", human_duration(rto)),
                    theme.text,
                ),
                Span::styled(mark, style.add_modifier(Modifier::BOLD)),
            ])
        }
        None => Line::styled(
            format!("RTO — the endpoint never moved to the target (target {target_text})"),
            theme.muted,
        ),
    }
}

fn step_table(lines: &mut Vec<Line<'static>>, steps: &[StepRecord], theme: &Theme) {
    for step in steps {
        let (glyph, word, style) = step_mark(theme, step.state, None);
        let status = status_text(step, word, None);
        let mut spans = vec![
            Span::styled(format!("  {glyph} "), style),
            Span::styled(format!("{:<10}", step.kind.label()), theme.text),
            Span::styled(status, style),
        ];
        if let Some(reason) = step
            .skip_reason
            .as_deref()
            .filter(|_| step.state == StepState::Skipped)
        {
            spans.push(Span::styled(format!("  {}", clean(reason)), theme.muted));
        }
        lines.push(Line::from(spans));
    }
}
