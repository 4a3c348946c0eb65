//! The step-stream pane: replaces a role's detail panes while the cockpit follows one of its
//! operations. One line per step (glyph AND word, never colour only): pending, running (spinner
//! driven by ticks, elapsed, the latest progress note such as the LRO status), done (duration),
//! skipped (reason), failed (ARM code, message, request id); a pending or running step that
//! may run beside an earlier one shows `∥ <partner>: <why>`; then the rollback leg if one was
//! chosen. Scrolls by itself so the step that matters stays in view at 80x24.
//!
//! Must not change state or read the clock (elapsed times use the last tick).

use super::super::state::ops::{outcome_word, OpView};
use super::super::state::UiState;
use super::super::theme::Theme;
use super::widgets::{clean, fmt_age, pane_block, put, put_cut, width_of, wrap};
use crate::core::operation::{Operation, Outcome, StepRecord, StepState};
use crate::core::plan::{beside_line, human_duration, OperationKind};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::widgets::Widget;
use time::OffsetDateTime;

/// Spinner frames of a running step (four per second at the fast tick).
const SPINNER: [&str; 4] = ["◐", "◓", "◑", "◒"];
/// Width of the step-name column (`preflight` + a space).
const NAME_W: u16 = 10;
/// Width of the status column (`running 12m30s` + a space).
const STATUS_W: u16 = 15;

/// One drawn line: (text, style) pieces laid left to right; the last is cut with `…`.
type Row = Vec<(String, Style)>;

/// Indent of a step's detail lines.
const DETAIL: &str = "    ↳ ";

/// A line of the pane body.
struct BodyRow {
    cells: Row,
    /// Belongs to a running or failed step (kept in view).
    hot: bool,
    /// A step's first line (scrolling starts on one).
    head: bool,
}

/// Glyph, word and slot of a step state.
pub(super) fn step_mark(
    theme: &Theme,
    state: StepState,
    now: Option<OffsetDateTime>,
) -> (&'static str, &'static str, Style) {
    match state {
        StepState::Pending => ("·", "pending", theme.muted),
        StepState::Running => {
            let frame = now.map_or(0, |n| {
                (n.unix_timestamp() * 4 + i64::from(n.millisecond() / 250)).rem_euclid(4)
            });
            (SPINNER[frame as usize], "running", theme.drill)
        }
        StepState::Done => ("✔", "done", theme.ok),
        StepState::Skipped => ("↷", "skipped", theme.muted),
        StepState::Failed => ("✖", "FAILED", theme.critical),
    }
}

/// `done 7s`, `running 12s`, `FAILED`: the status column of a step.
pub(super) fn status_text(step: &StepRecord, word: &str, now: Option<OffsetDateTime>) -> String {
    match step.state {
        StepState::Done => format!(
            "{word} {}",
            step.duration().map_or("—".into(), human_duration)
        ),
        StepState::Running => match (step.last_started_at, now) {
            (Some(start), Some(now)) => format!("{word} {}", fmt_age(now - start)),
            _ => word.to_string(),
        },
        _ => word.to_string(),
    }
}

/// What the operation is doing, for the pane's first line.
pub(super) fn phase(view: &OpView, theme: &Theme) -> (&'static str, Style) {
    let op = &view.op;
    if let Some(outcome) = op.outcome() {
        return (outcome_word(outcome), outcome_style(theme, outcome));
    }
    if view.interrupted {
        ("INTERRUPTED", theme.critical)
    } else if view.needs_choice() || op.is_halted() {
        ("WAITING FOR YOU", theme.critical)
    } else {
        ("RUNNING", theme.drill)
    }
}

/// The role's state as another baton's running operation puts it (`FAILING OVER · by …`).
fn remote_word(op: &Operation) -> &'static str {
    match (&op.drill, op.kind) {
        (Some(_), _) => "DRILLING",
        (None, OperationKind::Failover) => "FAILING OVER",
        (None, OperationKind::Switchover) => "SWITCHING OVER",
        (None, OperationKind::Drill) => "DRILLING",
    }
}

/// The slot an outcome is drawn in.
pub(super) fn outcome_style(theme: &Theme, outcome: Outcome) -> Style {
    match outcome {
        Outcome::Succeeded => theme.ok,
        Outcome::RolledBack | Outcome::Aborted => theme.warn,
        Outcome::Failed => theme.critical,
    }
}

/// Draws the pane for the operation of the selected role.
pub fn render(buf: &mut Buffer, area: Rect, state: &UiState, theme: &Theme, view: &OpView) {
    let op = &view.op;
    let drill = op
        .drill
        .as_ref()
        .and_then(|link| state.ops.drill(&link.drill_id));
    let mut title = match &op.drill {
        Some(link) => format!("DRILL {}: leg {}", clean(&op.role), link.leg.as_str()),
        None => format!("Operation: {} {}", clean(&op.role), op.kind.as_str()),
    };
    if view.remote.is_some() {
        title.push_str(" · remote, read-only");
    }
    let block = pane_block(&title, false, theme).border_style(theme.drill);
    let inner = block.inner(area);
    block.render(area, buf);
    if inner.height == 0 || inner.width < 20 {
        return;
    }
    headline(buf, inner, state, theme, view);
    let rows = body_rows(op, state.now(), theme, inner.width as usize);
    // A drill's status stays fixed under the headline; the steps scroll below it.
    let mut top = inner.y + 1;
    if let Some(d) = drill.filter(|_| inner.height > 2) {
        let text = super::drill::status_text(&d.record, state.now());
        let style = super::drill::status_style(&d.record, theme);
        put_cut(buf, inner.x, top, inner.width, &text, style);
        top += 1;
    }
    let height = inner.bottom().saturating_sub(top) as usize;
    let start = scroll_start(op, &rows, height);
    for (i, row) in rows.iter().skip(start).take(height).enumerate() {
        draw_row(buf, inner.x, top + i as u16, inner.width, &row.cells);
    }
}

fn headline(buf: &mut Buffer, inner: Rect, state: &UiState, theme: &Theme, view: &OpView) {
    let op = &view.op;
    let (word, style) = match (&view.remote, op.outcome()) {
        (Some(_), None) => (remote_word(op), theme.drill),
        _ => phase(view, theme),
    };
    let mut x = inner.x;
    x += put(buf, x, inner.y, inner.width, word, style);
    let by = view
        .remote
        .clone()
        .unwrap_or_else(|| clean(&op.operator).into_owned());
    let mut text = match &view.remote {
        // Who acts comes first: it is why nothing here can be done about it.
        Some(_) => format!(" · by {by}  "),
        None => "  ".to_string(),
    };
    text.push_str(&format!(
        "{} → {}",
        clean(op.from.as_deref().unwrap_or("—")),
        clean(&op.to)
    ));
    if let Some(now) = state.now() {
        text.push_str(&format!(" · {} elapsed", human_duration(op.elapsed(now))));
    }
    if view.remote.is_none() {
        text.push_str(&format!(" · by {by}"));
    }
    let left = inner.right().saturating_sub(x);
    x += put_cut(buf, x, inner.y, left, &text, theme.text);
    if !op.is_finished() {
        let waiting = view.interrupted || view.needs_choice() || op.is_halted();
        let hint = match (&view.remote, waiting) {
            (Some(_), _) => " read-only",
            (None, true) => " A choose",
            (None, false) => "  A abort",
        };
        if x + width_of(hint) as u16 <= inner.right() {
            put(
                buf,
                inner.right() - width_of(hint) as u16,
                inner.y,
                width_of(hint) as u16,
                hint,
                theme.muted,
            );
        }
    }
}

/// Every line of the body, plan steps first, then the rollback leg.
fn body_rows(
    op: &Operation,
    now: Option<OffsetDateTime>,
    theme: &Theme,
    width: usize,
) -> Vec<BodyRow> {
    let mut rows = Vec::new();
    for step in &op.steps {
        step_rows(&mut rows, step, now, theme, width);
    }
    if let Some(rb) = op.rollback.as_ref().filter(|r| !r.steps.is_empty()) {
        let text = format!(
            "rollback: {} (chosen by {})",
            rb.mode.label(),
            clean(&rb.by)
        );
        rows.push(BodyRow {
            cells: vec![(text, theme.warn)],
            hot: false,
            head: true,
        });
        for step in &rb.steps {
            step_rows(&mut rows, step, now, theme, width);
        }
    }
    rows
}

/// A step's line and its detail lines (the error wrapped in full: code, message, request id).
fn step_rows(
    rows: &mut Vec<BodyRow>,
    step: &StepRecord,
    now: Option<OffsetDateTime>,
    theme: &Theme,
    width: usize,
) {
    let (glyph, word, style) = step_mark(theme, step.state, now);
    let hot = matches!(step.state, StepState::Running | StepState::Failed);
    let status = status_text(step, word, now);
    let what_style = if step.state == StepState::Pending {
        theme.muted
    } else {
        theme.text
    };
    let lead = [
        format!("{glyph} "),
        pad(step.kind.label(), NAME_W),
        pad(&status, STATUS_W),
    ];
    let room = width.saturating_sub(lead.iter().map(|c| width_of(c)).sum());
    let [glyph_cell, name_cell, status_cell] = lead;
    rows.push(BodyRow {
        cells: vec![
            (glyph_cell, style),
            (name_cell, theme.text),
            (status_cell, style),
            (fit_words(&clean(&step.what), room), what_style),
        ],
        hot,
        head: true,
    });
    let mut detail = |text: &str, style: Style| {
        for (i, part) in wrap(text, width.saturating_sub(width_of(DETAIL)))
            .into_iter()
            .enumerate()
        {
            let lead = if i == 0 { DETAIL } else { "      " };
            rows.push(BodyRow {
                cells: vec![(lead.to_string(), style), (part, style)],
                hot,
                head: false,
            });
        }
    };
    // A step that may run beside an earlier one says so while that still matters.
    let beside = step.concurrent_with.map(beside_line);
    if let (Some(line), StepState::Pending | StepState::Running) = (&beside, step.state) {
        detail(line, theme.drill);
    }
    match step.state {
        StepState::Running => {
            // The executor notes the ∥ line when the step starts: not shown twice.
            let note = step
                .notes
                .last()
                .filter(|n| Some(&n.text) != beside.as_ref());
            if let Some(note) = note {
                detail(&clean(&note.text), theme.drill);
            }
        }
        StepState::Skipped => {
            let reason = step.skip_reason.as_deref().unwrap_or("already done");
            detail(&clean(reason), theme.muted);
        }
        StepState::Failed => {
            if let Some(e) = &step.error {
                let status = e
                    .http_status
                    .map(|s| format!("HTTP {s} "))
                    .unwrap_or_default();
                detail(
                    &clean(&format!("{status}{}: {}", e.code, e.message)),
                    theme.critical,
                );
                if let Some(id) = &e.request_id {
                    detail(&format!("request id {}", clean(id)), theme.critical);
                }
            }
        }
        StepState::Pending | StepState::Done => {}
    }
}

/// First body line shown: keeps the first running or failed step (else the end of a finished
/// operation, else the first pending step) a third of the way down, starting on a step's line.
fn scroll_start(op: &Operation, rows: &[BodyRow], height: usize) -> usize {
    if rows.len() <= height {
        return 0;
    }
    let pending = |r: &BodyRow| r.cells.get(2).is_some_and(|c| c.0.starts_with("pending"));
    let focus = rows
        .iter()
        .position(|r| r.hot)
        .or_else(|| op.is_finished().then_some(rows.len() - 1))
        .or_else(|| rows.iter().position(pending))
        .unwrap_or(0);
    let max = rows.len() - height;
    let mut start = focus.saturating_sub(height / 3).min(max);
    while start < max.min(focus) && !rows[start].head {
        start += 1;
    }
    start
}

fn draw_row(buf: &mut Buffer, x0: u16, y: u16, width: u16, row: &Row) {
    let mut x = x0;
    let right = x0 + width;
    for (i, (text, style)) in row.iter().enumerate() {
        let left = right.saturating_sub(x);
        if left == 0 {
            break;
        }
        x += if i + 1 == row.len() {
            put_cut(buf, x, y, left, text, *style)
        } else {
            put(buf, x, y, left, text, *style)
        };
    }
}

/// `text` padded with spaces to `w` columns (never cut: the next column simply starts later).
fn pad(text: &str, w: u16) -> String {
    let n = (w as usize).saturating_sub(width_of(text)).max(1);
    format!("{text}{}", " ".repeat(n))
}

/// `text` whole when it fits in `room` columns, else the words that fit and `…` (a word is
/// never cut in two; a first word too long for the room is left to the row's own cut).
fn fit_words(text: &str, room: usize) -> String {
    if width_of(text) <= room {
        return text.to_string();
    }
    let mut kept = String::new();
    for word in text.split(' ') {
        let next = if kept.is_empty() {
            word.to_string()
        } else {
            format!("{kept} {word}")
        };
        if width_of(&next) + 1 > room {
            break;
        }
        kept = next;
    }
    if kept.is_empty() {
        return text.to_string();
    }
    format!("{}…", kept.trim_end_matches([',', ';', ':', '(']))
}

#[cfg(test)]
mod tests {
    use super::fit_words;

    #[test]
    fn a_long_description_keeps_whole_words() {
        let text = "power off app-a (unreachable: timed out after 800ms)";
        assert_eq!(fit_words(text, 80), text);
        assert_eq!(
            fit_words(text, 47),
            "power off app-a (unreachable: timed out after…"
        );
        assert_eq!(fit_words(text, 30), "power off app-a (unreachable…");
        assert_eq!(
            fit_words("detach", 3),
            "detach",
            "a lone long word is the row's to cut"
        );
    }
}
