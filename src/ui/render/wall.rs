//! Wall mode: one big tile per role filled with its state's colour (glyph + word + master),
//! and a detail strip that rotates every few seconds with the tick clock. No cursor, no
//! selection highlight. When roles outnumber the tiles that fit, the worst are shown first.
//!
//! Must not show anything that could be mistaken for a control.

use super::super::state::{state_index, UiState, WALL_ROTATE_SECS};
use super::super::theme::Theme;
use super::heartbeats::{probe_text, service_text};
use super::widgets::{clean, glyph, put, spaced, state_glyph, state_style, width_of};
use crate::core::leader::RoleStatus;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget, Wrap};

/// Narrowest tile.
const TILE_MIN_W: u16 = 26;

/// Draws tiles and the rotating detail into `body`.
pub fn render(buf: &mut Buffer, body: Rect, state: &UiState, theme: &Theme) {
    let roles = &state.snapshot().roles;
    if roles.is_empty() {
        put(
            buf,
            body.x + 2,
            body.y + 1,
            body.width.saturating_sub(2),
            "waiting for the first snapshot…",
            theme.muted,
        );
        return;
    }
    let detail_h = if body.height >= 14 {
        (body.height / 3).min(10)
    } else {
        0
    };
    let tiles = Rect::new(body.x, body.y, body.width, body.height - detail_h);
    draw_tiles(buf, tiles, state, theme);
    if detail_h > 0 {
        let area = Rect::new(body.x, tiles.bottom(), body.width, detail_h);
        if let Some(i) = state.wall_detail_index() {
            draw_detail(buf, area, &roles[i], theme);
        }
    }
}

fn draw_tiles(buf: &mut Buffer, area: Rect, state: &UiState, theme: &Theme) {
    let roles = &state.snapshot().roles;
    let n = roles.len();
    let cols = (area.width / TILE_MIN_W).clamp(1, n as u16) as usize;
    let rows_needed = n.div_ceil(cols);
    let tile_h = (area.height as usize / rows_needed).clamp(3, 12) as u16;
    let rows_fit = (area.height / tile_h) as usize;
    let capacity = rows_fit * cols;
    let overflow = n > capacity;
    let mut order: Vec<usize> = (0..n).collect();
    if overflow {
        order.sort_by_key(|i| state_index(roles[*i].state));
    }
    let shown = if overflow {
        capacity.saturating_sub(1)
    } else {
        n
    };
    let tile_w = area.width / cols as u16;
    for (slot, i) in order.iter().take(shown).enumerate() {
        let rect = tile_rect(area, slot, cols, tile_w, tile_h);
        draw_tile(buf, rect, state, &roles[*i], theme);
    }
    if overflow && capacity > 0 {
        let rect = tile_rect(area, shown, cols, tile_w, tile_h);
        let text = format!("+{} more roles", n - shown);
        put(
            buf,
            rect.x + 1,
            rect.y + rect.height / 2,
            rect.width.saturating_sub(1),
            &text,
            theme.muted,
        );
    }
}

fn tile_rect(area: Rect, slot: usize, cols: usize, tile_w: u16, tile_h: u16) -> Rect {
    let col = (slot % cols) as u16;
    let row = (slot / cols) as u16;
    let x = area.x + col * tile_w;
    let w = if col as usize == cols - 1 {
        area.right() - x
    } else {
        tile_w
    };
    // One blank column and (when there is room) one blank row between tiles.
    let gap_h = u16::from(tile_h >= 4);
    Rect::new(
        x,
        area.y + row * tile_h,
        w.saturating_sub(1),
        tile_h - gap_h,
    )
}

fn draw_tile(buf: &mut Buffer, rect: Rect, state: &UiState, role: &RoleStatus, theme: &Theme) {
    let fill: Style = state_style(theme, role.state).add_modifier(Modifier::REVERSED);
    buf.set_style(rect, fill);
    let label = role.state.label();
    let inner_w = rect.width.saturating_sub(2) as usize;
    let word = if width_of(label) * 2 + 2 <= inner_w {
        spaced(label)
    } else {
        label.to_string()
    };
    let state_line = format!("{} {}", state_glyph(role.state, state.now()), word);
    // Another baton's operation: who runs it matters more than the master it is moving.
    let remote = state.snapshot().coordination.remote.get(&role.role);
    let master_line = match (remote, role.master.as_deref()) {
        (Some(holder), _) => format!("by {}", clean(&holder.by())),
        (None, Some(m)) => format!("master {}", clean(m)),
        (None, None) => "no master".to_string(),
    };
    let name = clean(&role.role);
    let lines: [(&str, Style); 3] = [
        (&name, fill.add_modifier(Modifier::BOLD)),
        (&state_line, fill.add_modifier(Modifier::BOLD)),
        (&master_line, fill),
    ];
    let top = rect.y + rect.height.saturating_sub(3) / 2;
    for (k, (text, style)) in lines.iter().enumerate() {
        let y = top + k as u16;
        if y >= rect.bottom() {
            break;
        }
        let w = (width_of(text) as u16).min(rect.width.saturating_sub(2));
        let x = rect.x + (rect.width - w) / 2;
        put(buf, x, y, w, text, *style);
    }
}

fn draw_detail(buf: &mut Buffer, area: Rect, role: &RoleStatus, theme: &Theme) {
    let title = format!(
        " {} · detail rotates every {WALL_ROTATE_SECS}s ",
        clean(&role.role)
    );
    let block = Block::default()
        .borders(Borders::TOP)
        .border_style(theme.border)
        .title(Line::styled(title, theme.text));
    let style = state_style(theme, role.state);
    let mut lines = vec![Line::from(vec![
        Span::styled(
            format!("{} {}", glyph(role.state), role.state.label()),
            style,
        ),
        Span::styled("  master ", theme.muted),
        Span::styled(
            role.master.as_deref().map_or("none".into(), clean),
            theme.leader,
        ),
    ])];
    for v in &role.violations {
        lines.push(Line::styled(
            format!("✖ {}", clean(&v.to_string())),
            theme.critical,
        ));
    }
    let has_master = role.master.is_some();
    for vm in &role.vms {
        let (vm_text, vm_style) = probe_text(&vm.probes.vm, theme);
        let (svc_text, svc_style) = service_text(vm, has_master, theme);
        lines.push(Line::from(vec![
            Span::styled(if vm.is_master { "★ " } else { "  " }, theme.leader),
            Span::styled(clean(&vm.name), theme.text),
            Span::styled(format!("  {}  vm ", vm.power.as_str()), theme.muted),
            Span::styled(vm_text, vm_style),
            Span::styled("  service ", theme.muted),
            Span::styled(svc_text, svc_style),
        ]));
    }
    Paragraph::new(lines)
        .block(block)
        .wrap(Wrap { trim: false })
        .render(area, buf);
}
