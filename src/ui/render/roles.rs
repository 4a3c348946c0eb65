//! The roles list: one row per role with state glyph AND word, name, master and the master's
//! service heartbeat sparkline. Columns drop right to left when the pane is narrow.
//!
//! Lays out only the visible rows (1,000 roles cost the same as 20). Must not change selection.

use super::super::state::UiState;
use super::super::theme::Theme;
use super::widgets::{
    clean, pane_block, put, sparkline, state_glyph, state_style, width_of, SparkStyle,
};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

/// Width of the state column: glyph, space, longest word (`FAILING OVER`), a gap.
const STATE_W: u16 = 15;

/// Draws the roles pane into `area`.
pub fn render(
    buf: &mut Buffer,
    area: Rect,
    state: &UiState,
    theme: &Theme,
    focused: bool,
    wide: bool,
) {
    let roles = &state.snapshot().roles;
    let title = format!("Roles ({})", roles.len());
    let block = pane_block(&title, focused, theme);
    let inner = block.inner(area);
    block.render(area, buf);
    if inner.height == 0 || inner.width < 4 {
        return;
    }
    if roles.is_empty() {
        put(
            buf,
            inner.x + 1,
            inner.y,
            inner.width - 1,
            "waiting for the first snapshot…",
            theme.muted,
        );
        return;
    }
    let cols = Columns::fit(state, inner.width);
    let mut y = inner.y;
    let mut rows = inner.height as usize;
    if wide && rows > 3 {
        header_row(buf, inner.x, y, &cols, theme);
        y += 1;
        rows -= 1;
    }
    let selected = state.selected_index();
    let offset = match selected {
        Some(s) if s >= rows => s + 1 - rows,
        _ => 0,
    };
    for (i, role) in roles.iter().enumerate().skip(offset).take(rows) {
        let row = Rect::new(inner.x, y, inner.width, 1);
        let is_selected = selected == Some(i);
        draw_row(buf, row, state, role, &cols, is_selected, theme);
        if is_selected {
            buf.set_style(row, theme.selection);
        }
        y += 1;
    }
}

/// Which columns fit, and how wide each is (0 = dropped).
struct Columns {
    name: u16,
    master: u16,
    spark: u16,
}

impl Columns {
    fn fit(state: &UiState, width: u16) -> Columns {
        let roles = &state.snapshot().roles;
        let longest = |f: &dyn Fn(&crate::core::leader::RoleStatus) -> usize| {
            roles.iter().map(f).max().unwrap_or(0) as u16
        };
        let name = longest(&|r| width_of(&r.role)).clamp(4, 20);
        let master = longest(&|r| r.master.as_deref().map_or(1, width_of)).clamp(6, 16);
        let mut left = width.saturating_sub(2 + STATE_W + name + 1);
        let master = if left > master { master } else { 0 };
        left = left.saturating_sub(master + 1);
        let spark = if left >= 8 { left.min(30) } else { 0 };
        Columns {
            name: name.min(width.saturating_sub(2 + STATE_W)),
            master,
            spark,
        }
    }
}

fn header_row(buf: &mut Buffer, x: u16, y: u16, cols: &Columns, theme: &Theme) {
    let mut cx = x + 2;
    put(buf, cx, y, STATE_W, "STATE", theme.muted);
    cx += STATE_W;
    put(buf, cx, y, cols.name, "ROLE", theme.muted);
    cx += cols.name + 1;
    if cols.master > 0 {
        put(buf, cx, y, cols.master, "MASTER", theme.muted);
        cx += cols.master + 1;
    }
    if cols.spark > 0 {
        put(buf, cx, y, cols.spark, "SERVICE", theme.muted);
    }
}

fn draw_row(
    buf: &mut Buffer,
    row: Rect,
    state: &UiState,
    role: &crate::core::leader::RoleStatus,
    cols: &Columns,
    selected: bool,
    theme: &Theme,
) {
    let mut x = row.x;
    put(
        buf,
        x,
        row.y,
        2,
        if selected { "▶ " } else { "  " },
        theme.focus,
    );
    x += 2;
    let style = state_style(theme, role.state);
    let g = state_glyph(role.state, state.now());
    put(buf, x, row.y, 2, g, style);
    put(buf, x + 2, row.y, STATE_W - 2, role.state.label(), style);
    x += STATE_W;
    put(buf, x, row.y, cols.name, &clean(&role.role), theme.text);
    x += cols.name + 1;
    if cols.master > 0 {
        match role.master.as_deref() {
            Some(m) => put(buf, x, row.y, cols.master, &clean(m), theme.leader),
            None => put(buf, x, row.y, cols.master, "—", theme.muted),
        };
        x += cols.master + 1;
    }
    if cols.spark == 0 {
        return;
    }
    let history = role
        .master
        .as_deref()
        .and_then(|m| state.snapshot().heartbeats_of(m));
    if let Some(h) = history {
        let spark = SparkStyle {
            ok: theme.ok,
            fail: theme.critical,
            fail_symbol: "×",
        };
        sparkline(buf, x, row.y, cols.spark, &h.service.samples, spark);
    }
}
