//! The event log pane: newest first, each line with time, severity glyph, role and text (state
//! transitions seen by the UI, engine events with their ARM code and request id).
//!
//! Text was sanitized when it entered the log. Draws only the visible lines; a long text wraps
//! under itself (at most two lines, then `…`).

use super::super::state::{LogEntry, Pane, UiState};
use super::super::theme::Theme;
use super::widgets::{fmt_clock, pane_block, put, put_cut, severity_mark, wrap};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

/// Draws the Events pane into `area`.
pub fn render(buf: &mut Buffer, area: Rect, state: &UiState, theme: &Theme, focused: bool) {
    let block = pane_block(Pane::Events.title(), focused, theme);
    let inner = block.inner(area);
    block.render(area, buf);
    if inner.height == 0 || inner.width < 12 {
        return;
    }
    let log = state.log();
    if log.is_empty() {
        put(
            buf,
            inner.x + 1,
            inner.y,
            inner.width - 1,
            "no events yet",
            theme.muted,
        );
        return;
    }
    let skip = state.scroll_of(Pane::Events);
    let mut y = inner.y;
    for entry in log.iter().rev().skip(skip) {
        if y >= inner.bottom() {
            break;
        }
        y += entry_lines(buf, inner, y, entry, theme);
    }
}

/// Lines one entry may take: a long ARM error keeps its retry time and request id readable at
/// 80 columns, and one entry can never push every other one out of the pane.
const MAX_LINES_PER_ENTRY: usize = 2;

/// Draws one entry from row `y` (time, severity, role, then its text wrapped under itself) and
/// returns the rows used. A text longer than its lines ends in `…`, never silently cut.
fn entry_lines(buf: &mut Buffer, inner: Rect, y: u16, entry: &LogEntry, theme: &Theme) -> u16 {
    let right = inner.right();
    let mut x = inner.x + 1;
    x += put(buf, x, y, right - x, &fmt_clock(entry.at), theme.muted) + 1;
    let (mark, style) = severity_mark(theme, entry.severity);
    x += put(buf, x, y, right.saturating_sub(x), mark, style) + 1;
    if let Some(role) = &entry.role {
        x += put(buf, x, y, right.saturating_sub(x), role, theme.text) + 2;
    }
    let text_style = match entry.severity {
        crate::core::snapshot::Severity::Info => theme.text,
        _ => style,
    };
    let width = right.saturating_sub(x);
    let rows = usize::from(inner.bottom() - y).min(MAX_LINES_PER_ENTRY);
    let lines = wrap(&entry.text, usize::from(width));
    let shown = lines.len().min(rows);
    for (i, line) in lines.iter().take(shown).enumerate() {
        let row = y + i as u16;
        if i + 1 == shown && shown < lines.len() {
            // More follows: end on a whole word and say so.
            put_cut(buf, x, row, width, &format!("{line} …"), text_style);
        } else {
            put(buf, x, row, width, line, text_style);
        }
    }
    shown.max(1) as u16
}
