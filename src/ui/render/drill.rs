//! Drills on screen: the one-line drill status above a leg's steps (which leg, the hold's
//! probes, what is left) and the drill's summary dialog (verdict, both legs' RTO against the
//! target, the hold, the report's path). Glyph and word always, the drill accent throughout.
//! Must not change state.

use super::super::state::ops::{outcome_word, DrillView};
use super::super::theme::Theme;
use super::dialogs::wrapped;
use super::steps::outcome_style;
use super::widgets::{clean, fmt_clock};
use crate::core::drill::{DrillRecord, LegRecord, Verdict};
use crate::core::operation::DrillLeg;
use crate::core::plan::human_duration;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use std::time::Duration;
use time::OffsetDateTime;

/// `drill · out ✔ 41s · hold 12s/30s ✔12 ✖0 · back pending`
pub(super) fn status_text(d: &DrillRecord, now: Option<OffsetDateTime>) -> String {
    let mut parts = vec!["DRILL".to_string(), leg_text(d, DrillLeg::Out)];
    parts.push(hold_text(d, now));
    if d.switch_back {
        parts.push(leg_text(d, DrillLeg::Back));
    }
    if let Some(v) = d.verdict {
        parts.push(v.as_str().to_string());
    }
    parts.join(" · ")
}

fn leg_text(d: &DrillRecord, leg: DrillLeg) -> String {
    match d.leg(leg) {
        None => format!("{} pending", leg.as_str()),
        Some(l) => match (l.outcome, l.rto()) {
            (Some(o), Some(rto)) => format!(
                "{} {} {}",
                leg.as_str(),
                outcome_word(o).to_lowercase(),
                human_duration(rto)
            ),
            (Some(o), None) => format!("{} {}", leg.as_str(), outcome_word(o).to_lowercase()),
            (None, _) => format!("{} running", leg.as_str()),
        },
    }
}

fn hold_text(d: &DrillRecord, now: Option<OffsetDateTime>) -> String {
    let planned = human_duration(Duration::from_secs(d.hold_secs));
    match &d.hold {
        None => format!("hold {planned} pending"),
        Some(h) => {
            let end = h.ended_at.or(now).unwrap_or(h.started_at);
            let held = Duration::try_from(end - h.started_at).unwrap_or_default();
            format!(
                "hold {}/{planned} ✔{} ✖{}",
                human_duration(held),
                h.probes_ok,
                h.probes_failed
            )
        }
    }
}

/// The drill accent, or the verdict's colour once judged.
pub(super) fn status_style(d: &DrillRecord, theme: &Theme) -> Style {
    match d.verdict {
        Some(Verdict::Pass) => theme.ok,
        Some(Verdict::Fail) => theme.critical,
        None => theme.drill,
    }
}

/// The summary dialog's lines.
pub(super) fn summary(view: &DrillView, theme: &Theme, width: usize) -> Vec<Line<'static>> {
    let d = &view.record;
    let verdict = d.verdict.unwrap_or_else(|| d.judge());
    let style = match verdict {
        Verdict::Pass => theme.ok,
        Verdict::Fail => theme.critical,
    };
    let mut lines = vec![Line::from(vec![
        Span::styled(
            format!("{} ", verdict_mark(verdict)),
            style.add_modifier(Modifier::BOLD),
        ),
        Span::styled(
            format!(
                "drill {}: {} → {}{}",
                clean(&d.role),
                clean(&d.from),
                clean(&d.to),
                if d.switch_back {
                    format!(" → {}", clean(&d.from))
                } else {
                    String::new()
                }
            ),
            theme.drill.add_modifier(Modifier::BOLD),
        ),
    ])];
    let mut when = format!("begun {}Z by {}", fmt_clock(d.begun_at), clean(&d.operator));
    if let Some(end) = d.finished_at {
        when.push_str(&format!(" · finished {}Z", fmt_clock(end)));
    }
    wrapped(&mut lines, &when, width, theme.muted);
    lines.push(Line::raw(""));
    let target = d.rto_target();
    if let Some(l) = d.leg(DrillLeg::Out) {
        lines.push(leg_line(l, target, theme));
    }
    lines.push(Line::styled(
        hold_text(d, d.finished_at),
        hold_style(d, theme),
    ));
    match d.leg(DrillLeg::Back) {
        Some(l) => lines.push(leg_line(l, target, theme)),
        None if d.switch_back => lines.push(Line::styled(
            "back  never ran: the role stays where the out leg left it",
            theme.critical,
        )),
        None => lines.push(Line::styled(
            "back  not asked (--no-switch-back)",
            theme.muted,
        )),
    }
    notes(&mut lines, view, theme, width);
    lines.push(Line::raw(""));
    lines.push(Line::styled("enter / esc close", theme.muted));
    lines
}

fn verdict_mark(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "✔ PASS",
        Verdict::Fail => "✖ FAIL",
    }
}

fn hold_style(d: &DrillRecord, theme: &Theme) -> Style {
    match &d.hold {
        Some(h) if h.passed() => theme.ok,
        Some(_) => theme.critical,
        None => theme.muted,
    }
}

/// `out   ✔ SUCCEEDED  RTO 41s (target 5m) ✔ MET`
fn leg_line(l: &LegRecord, target: Duration, theme: &Theme) -> Line<'static> {
    let mut spans = vec![Span::styled(format!("{:<5} ", l.leg.as_str()), theme.text)];
    match l.outcome {
        Some(o) => spans.push(Span::styled(
            format!("{}  ", outcome_word(o)),
            outcome_style(theme, o),
        )),
        None => spans.push(Span::styled("UNFINISHED  ", theme.critical)),
    }
    if let Some(rto) = l.rto() {
        spans.push(Span::styled(
            format!(
                "RTO {} (target {})  ",
                human_duration(rto),
                human_duration(target)
            ),
            theme.text,
        ));
        let (mark, style) = if rto <= target {
            ("✔ MET", theme.ok)
        } else {
            ("✖ MISSED", theme.critical)
        };
        spans.push(Span::styled(mark, style.add_modifier(Modifier::BOLD)));
    }
    Line::from(spans)
}

fn notes(lines: &mut Vec<Line<'static>>, view: &DrillView, theme: &Theme, width: usize) {
    let d = &view.record;
    if let Some(why) = &d.forced {
        let text = format!("forced during an incident: {}", clean(why));
        wrapped(lines, &text, width, theme.warn);
    }
    for r in &d.resumed {
        let text = format!(
            "resumed after an interruption by {} at {}Z",
            clean(&r.by),
            fmt_clock(r.at)
        );
        wrapped(lines, &text, width, theme.warn);
    }
    for c in &d.comments {
        let text = format!("{}: {}", clean(&c.by), clean(&c.text));
        wrapped(lines, &text, width, theme.text);
    }
    if let Some(path) = &view.report {
        wrapped(
            lines,
            &format!("report: {}", clean(&path.display().to_string())),
            width,
            theme.muted,
        );
    }
}
