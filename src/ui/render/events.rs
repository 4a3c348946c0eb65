//! The event log pane: newest first, each line with time, severity glyph, role and text (state
//! transitions seen by the UI, engine events with their ARM code and request id).
//!
//! Text was sanitized when it entered the log. Draws only the visible lines.

use super::super::state::{Pane, UiState};
use super::super::theme::Theme;
use super::widgets::{fmt_clock, pane_block, put, severity_mark};
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
    let visible = log.iter().rev().skip(skip).take(inner.height as usize);
    for (y, entry) in (inner.y..).zip(visible) {
        let mut x = inner.x + 1;
        let right = inner.right();
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
        put(buf, x, y, right.saturating_sub(x), &entry.text, text_style);
    }
}
