//! Drawing: `render(frame, state, theme)` paints the whole screen from state alone.
//!
//! Owns layout (stacked panes at 80x24, side by side from 120x32, wall tiles, the too-small
//! message) and delegates each pane to a submodule. Must not change state, read the clock or
//! the environment, or draw any string from Azure, probes or config without `widgets::clean`.
//! Only visible rows are laid out, so a frame costs O(screen), not O(roles).

mod chrome;
mod detail;
mod dialogs;
mod drill;
mod events;
mod heartbeats;
mod help;
mod history;
mod preview;
mod roles;
mod steps;
mod summary;
mod unlock;
mod wall;
pub(crate) mod widgets;

use super::state::{self, Freshness, Mode, Pane, UiState};
use super::theme::Theme;
use ratatui::layout::Rect;
use ratatui::Frame;

/// Smallest terminal the cockpit draws in.
pub const MIN_WIDTH: u16 = 60;
/// Smallest terminal height the cockpit draws in.
pub const MIN_HEIGHT: u16 = 15;
/// From this size on, panes sit side by side.
const WIDE: (u16, u16) = (120, 32);

/// Draws the whole screen from `state` in `theme`.
pub fn render(frame: &mut Frame, state: &UiState, theme: &Theme) {
    let area = frame.area();
    let buf = frame.buffer_mut();
    buf.set_style(area, theme.text);
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        chrome::too_small(buf, area, theme);
        return;
    }
    let header = Rect::new(area.x, area.y, area.width, 1);
    let footer = Rect::new(area.x, area.bottom() - 1, area.width, 1);
    let mut body = Rect::new(area.x, area.y + 1, area.width, area.height - 2);
    chrome::header(buf, header, state, theme);
    chrome::footer(buf, footer, state, theme);
    if let Freshness::Stale { age, error } = state.freshness() {
        let text = chrome::stale_text(age, error.as_deref());
        // The error (ARM code, request id) must be readable: wrap to up to three rows.
        let rows = widgets::width_of(&text)
            .div_ceil(area.width as usize)
            .clamp(1, 3) as u16;
        chrome::stale_banner(buf, take_top(&mut body, rows), &text, theme);
    }
    if let Some(error) = &state.snapshot().coordination.unavailable {
        let text = chrome::coordination_text(error);
        let rows = widgets::width_of(&text)
            .div_ceil(area.width as usize)
            .clamp(1, 3) as u16;
        chrome::stale_banner(buf, take_top(&mut body, rows), &text, theme);
    }
    if let Some((alarm, others)) = state.banner() {
        chrome::alarm_banner(buf, take_top(&mut body, 1), state, alarm, others, theme);
    }
    let wide_screen = area.width >= WIDE.0 && area.height >= WIDE.1;
    let op = state
        .selected_role()
        .and_then(|r| state.operation_of(&r.role));
    match (state.mode(), op) {
        (Mode::Wall, _) => wall::render(buf, body, state, theme),
        (_, Some(view)) => with_operation(buf, body, state, theme, view, wide_screen),
        _ if wide_screen => wide(buf, body, state, theme),
        _ => stacked(buf, body, state, theme),
    }
    if let Some(view) = state.history() {
        let between = Rect::new(area.x, area.y + 1, area.width, area.height - 2);
        history::render(buf, between, theme, view);
    }
    if state.help_open() {
        help::render(buf, area, state, theme);
    }
    if let Some(dialog) = state.dialog() {
        dialogs::render(buf, area, state, theme, dialog);
    }
}

/// The selected role has an operation: its step stream replaces the detail panes. Roles keep
/// their place (left when wide, on top when stacked) and the event log stays at the bottom.
fn with_operation(
    buf: &mut ratatui::buffer::Buffer,
    body: Rect,
    state: &UiState,
    theme: &Theme,
    view: &state::ops::OpView,
    wide_screen: bool,
) {
    let leg = view.op.rollback.as_ref().map_or(0, |r| r.steps.len() + 1);
    let steps_want = (view.op.steps.len() + leg + 6) as u16;
    if wide_screen {
        let events_h = (body.height / 4).clamp(6, 12);
        let top_h = body.height - events_h;
        let roles_w = (body.width * 2 / 5).min(64);
        let roles = Rect::new(body.x, body.y, roles_w, top_h);
        draw_pane(buf, roles, Pane::Roles, state, theme, true);
        let right = Rect::new(body.x + roles_w, body.y, body.width - roles_w, top_h);
        steps::render(buf, right, state, theme, view);
        let events = Rect::new(body.x, body.y + top_h, body.width, events_h);
        draw_pane(buf, events, Pane::Events, state, theme, true);
        return;
    }
    let (_, roles_want) = wants(state, Pane::Roles, body.height, body.width);
    let roles_h = roles_want.min(body.height / 3).max(3);
    let rest = body.height.saturating_sub(roles_h);
    let steps_h = steps_want.min(rest.saturating_sub(3));
    let events_h = rest - steps_h;
    draw_pane(
        buf,
        Rect::new(body.x, body.y, body.width, roles_h),
        Pane::Roles,
        state,
        theme,
        false,
    );
    let y = body.y + roles_h;
    steps::render(
        buf,
        Rect::new(body.x, y, body.width, steps_h),
        state,
        theme,
        view,
    );
    let events = Rect::new(body.x, y + steps_h, body.width, events_h);
    draw_pane(buf, events, Pane::Events, state, theme, false);
}

/// Splits `n` rows off the top of `area` and returns them.
fn take_top(area: &mut Rect, n: u16) -> Rect {
    let n = n.min(area.height);
    let top = Rect::new(area.x, area.y, area.width, n);
    area.y += n;
    area.height -= n;
    top
}

/// Per pane: the rows it needs at least (border + one line) and would like at `width`.
fn wants(state: &UiState, pane: Pane, avail: u16, width: u16) -> (u16, u16) {
    let role = state.selected_role();
    let inner = width.saturating_sub(2).max(1) as usize;
    let lines = match pane {
        Pane::Roles => state
            .snapshot()
            .roles
            .len()
            .min((avail as usize / 3).max(3)),
        Pane::Heartbeats => role.map_or(1, |r| r.vms.len()),
        Pane::Leader => role.map_or(1, |r| {
            let facts: usize = r
                .violations
                .iter()
                .map(|v| (widgets::width_of(&v.to_string()) + 2).div_ceil(inner))
                .sum();
            1 + facts.max(1)
        }),
        Pane::Attachments => {
            role.map_or(1, |r| 1 + r.disks.len() + usize::from(!r.disks.is_empty()))
        }
        Pane::Events => state.log().len().max(1),
    };
    (
        3,
        (lines.min(u16::MAX as usize / 2) as u16).saturating_add(2),
    )
}

/// Gives each pane its minimum in priority order (dropping those that no longer fit), then
/// grows them towards what they want in the same order; the last shown pane takes the rest.
/// Returns heights in `order` (0 = not shown).
fn allocate(
    total: u16,
    order: &[Pane],
    priority: &[Pane],
    want: impl Fn(Pane) -> (u16, u16),
) -> Vec<u16> {
    let mut heights = vec![0u16; order.len()];
    let mut left = total;
    let idx = |p: Pane| order.iter().position(|o| *o == p);
    for p in priority {
        let (min, _) = want(*p);
        if let Some(i) = idx(*p).filter(|_| min <= left) {
            heights[i] = min;
            left -= min;
        }
    }
    for p in priority {
        let (min, desired) = want(*p);
        if let Some(i) = idx(*p).filter(|i| heights[*i] > 0) {
            let extra = desired.saturating_sub(min).min(left);
            heights[i] += extra;
            left -= extra;
        }
    }
    if let Some(i) = heights.iter().rposition(|h| *h > 0) {
        heights[i] += left;
    }
    heights
}

/// Panes in priority order: roles first, then the focused pane, then the rest.
fn priority(focus: Option<Pane>) -> Vec<Pane> {
    let mut order = vec![Pane::Roles];
    if let Some(f) = focus.filter(|f| *f != Pane::Roles) {
        order.push(f);
    }
    for p in [
        Pane::Leader,
        Pane::Heartbeats,
        Pane::Attachments,
        Pane::Events,
    ] {
        if !order.contains(&p) {
            order.push(p);
        }
    }
    order
}

/// Small terminals: every pane stacked, lowest priority dropped first.
fn stacked(buf: &mut ratatui::buffer::Buffer, body: Rect, state: &UiState, theme: &Theme) {
    let order = Pane::ALL;
    let heights = allocate(body.height, &order, &priority(state.focus()), |p| {
        wants(state, p, body.height, body.width)
    });
    let mut y = body.y;
    for (pane, h) in order.iter().zip(heights) {
        if h > 0 {
            draw_pane(
                buf,
                Rect::new(body.x, y, body.width, h),
                *pane,
                state,
                theme,
                false,
            );
            y += h;
        }
    }
}

/// Large terminals: roles on the left with the selected role's Leader and Attachments beside
/// them, Heartbeats across the full width (every column fits), events at the bottom.
fn wide(buf: &mut ratatui::buffer::Buffer, body: Rect, state: &UiState, theme: &Theme) {
    let events_h = (body.height / 4).clamp(6, 12);
    let (_, hb_want) = wants(state, Pane::Heartbeats, body.height, body.width);
    let hb_h = (hb_want + 1).min(body.height / 3);
    let top_h = body.height - events_h - hb_h;
    let roles_w = (body.width * 2 / 5).min(64);
    let roles = Rect::new(body.x, body.y, roles_w, top_h);
    let right = Rect::new(body.x + roles_w, body.y, body.width - roles_w, top_h);
    draw_pane(buf, roles, Pane::Roles, state, theme, true);
    let order = [Pane::Leader, Pane::Attachments];
    let heights = allocate(right.height, &order, &order, |p| {
        wants(state, p, right.height, right.width)
    });
    let mut y = right.y;
    for (pane, h) in order.iter().zip(heights) {
        if h > 0 {
            draw_pane(
                buf,
                Rect::new(right.x, y, right.width, h),
                *pane,
                state,
                theme,
                true,
            );
            y += h;
        }
    }
    let hb = Rect::new(body.x, body.y + top_h, body.width, hb_h);
    draw_pane(buf, hb, Pane::Heartbeats, state, theme, true);
    let events = Rect::new(body.x, hb.bottom(), body.width, events_h);
    draw_pane(buf, events, Pane::Events, state, theme, true);
}

fn draw_pane(
    buf: &mut ratatui::buffer::Buffer,
    area: Rect,
    pane: Pane,
    state: &UiState,
    theme: &Theme,
    wide: bool,
) {
    let focused = state.focus() == Some(pane);
    match pane {
        Pane::Roles => roles::render(buf, area, state, theme, focused, wide),
        Pane::Heartbeats => heartbeats::render(buf, area, state, theme, focused, wide),
        Pane::Leader => detail::leader(buf, area, state, theme, focused),
        Pane::Attachments => detail::attachments(buf, area, state, theme, focused),
        Pane::Events => events::render(buf, area, state, theme, focused),
    }
}
