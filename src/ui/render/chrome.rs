//! The frame around the panes: header, footer (generated from the keymap), the stale-data and
//! alarm banners, and the too-small message.
//!
//! Must not draw pane content and must not invent key names (it asks the keymap).

use super::super::action::{Action, Section};
use super::super::state::{state_index, Alarm, Freshness, UiState, STATE_ORDER};
use super::super::theme::Theme;
use super::widgets::{clean, fmt_age, fmt_clock, glyph, put, width_of};
use super::{MIN_HEIGHT, MIN_WIDTH};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::widgets::{Paragraph, Widget, Wrap};
use std::fmt::Write as _;
use time::Duration;

/// The only thing drawn below the minimum size.
pub fn too_small(buf: &mut Buffer, area: Rect, theme: &Theme) {
    let msg = format!("terminal too small (need {MIN_WIDTH}x{MIN_HEIGHT})");
    let w = (width_of(&msg) as u16).min(area.width);
    let x = area.x + (area.width - w) / 2;
    put(buf, x, area.y + area.height / 2, w, &msg, theme.warn);
}

/// Title, environment, mode badge, role counts, the stretched refresh pace, inventory age or
/// STALE, clock.
pub fn header(buf: &mut Buffer, area: Rect, state: &UiState, theme: &Theme) {
    buf.set_style(area, theme.header);
    let (inv, clock, stale) = right_part(state);
    let room = usize::from(area.width).saturating_sub(width_of(&inv) + width_of(&clock) + 2);
    let inv = format!("{}{inv}", pace_text(state, room));
    let right_w = (width_of(&inv) + width_of(&clock)) as u16;
    let right_x = area.right().saturating_sub(right_w + 1);
    let mut x = area.x + 1;
    let limit = right_x.saturating_sub(1);
    let title = if state.environment.trim().is_empty() {
        clean(&state.title).to_string()
    } else {
        format!("{} · {}", clean(&state.title), clean(&state.environment))
    };
    x += put(
        buf,
        x,
        area.y,
        limit.saturating_sub(x),
        &title,
        theme.header,
    );
    if let Some(badge) = state.mode().badge() {
        let style = match state.mode() {
            super::super::state::Mode::Demo => theme.danger,
            _ => theme.focus,
        }
        .add_modifier(Modifier::REVERSED);
        x += put(buf, x, area.y, limit.saturating_sub(x), " ", theme.header);
        x += put(
            buf,
            x,
            area.y,
            limit.saturating_sub(x),
            &format!(" {badge} "),
            style,
        );
    }
    let op_badge = if state.ops.any_drill_running() {
        Some(" DRILL ")
    } else if state.operation_running() {
        Some(" OPERATION ")
    } else {
        None
    };
    if let Some(badge) = op_badge {
        let style = theme
            .drill
            .add_modifier(Modifier::REVERSED | Modifier::BOLD);
        x += put(buf, x, area.y, limit.saturating_sub(x), " ", theme.header);
        x += put(buf, x, area.y, limit.saturating_sub(x), badge, style);
    }
    let counts = counts_text(state);
    if (x + 2 + width_of(&counts) as u16) < limit {
        put(buf, x + 2, area.y, limit - x - 2, &counts, theme.header);
    }
    let style = if stale { theme.banner } else { theme.header };
    let x = right_x + put(buf, right_x, area.y, right_w, &inv, style);
    put(
        buf,
        x,
        area.y,
        area.right().saturating_sub(x),
        &clock,
        theme.header,
    );
}

/// `roles 4: ✖1 ●3` — worst states first.
fn counts_text(state: &UiState) -> String {
    let counts = state.counts();
    let total: usize = counts.iter().sum();
    let mut out = format!("roles {total}:");
    for s in STATE_ORDER {
        let n = counts[state_index(s)];
        if n > 0 {
            let _ = write!(out, " {}{n}", glyph(s));
        }
    }
    out
}

/// Titles narrower than this keep the header's left side readable next to the pace.
const TITLE_ROOM: usize = 24;

/// Why the refresh interval is longer than configured (`refresh 24s: HighCostGet3Min 61%
/// used`), shortened to `refresh 24s` when the whole would crowd the title out of `room`
/// columns, nothing when even that would.
fn pace_text(state: &UiState, room: usize) -> String {
    let Some(pace) = state.pace() else {
        return String::new();
    };
    let whole = format!(" {pace} ·");
    let short = format!(" refresh {}s ·", pace.interval.as_secs());
    [whole, short]
        .into_iter()
        .find(|t| width_of(t) + TITLE_ROOM <= room)
        .unwrap_or_default()
}

/// The inventory text, the clock, and whether the inventory is stale.
fn right_part(state: &UiState) -> (String, String, bool) {
    let (inv, stale) = match state.freshness() {
        Freshness::Pending => (" inventory pending ".to_string(), false),
        Freshness::Fresh { age: Some(a) } => (format!(" inventory {} ago ", fmt_age(a)), false),
        Freshness::Fresh { age: None } => (" inventory fresh ".to_string(), false),
        Freshness::Stale { age: Some(a), .. } => {
            (format!(" STALE inventory {} ago ", fmt_age(a)), true)
        }
        Freshness::Stale { age: None, .. } => (" STALE no inventory ".to_string(), true),
    };
    let clock = state.now().map_or("--:--:--".to_string(), fmt_clock);
    (inv, format!("  {clock}Z"), stale)
}

/// Keys from the keymap, lowest-priority entries dropped until the line fits.
pub fn footer(buf: &mut Buffer, area: Rect, state: &UiState, theme: &Theme) {
    let keymap = state.keymap();
    let entries: Vec<(Action, String)> = keymap
        .bindings()
        .filter(|(a, _)| a.footer_rank().is_some())
        .map(|(a, keys)| (a, keys_label(keys)))
        .collect();
    let cost = |a: Action, k: &str| width_of(k) + 1 + a.short().len() + 2;
    let demo_tag = 6;
    let mut max_rank = 4;
    loop {
        let total: usize = entries
            .iter()
            .filter(|(a, _)| a.footer_rank().is_some_and(|r| r <= max_rank))
            .map(|(a, k)| cost(*a, k) + if *a == Action::ChaosKill { demo_tag } else { 0 })
            .sum();
        if total <= area.width as usize || max_rank == 0 {
            break;
        }
        max_rank -= 1;
    }
    let mut x = area.x + 1;
    for (action, keys) in &entries {
        if action.footer_rank().is_some_and(|r| r > max_rank) {
            continue;
        }
        let demo = action.section() == Section::Demo;
        let left = area.right().saturating_sub(x);
        if *action == Action::ChaosKill {
            x += put(
                buf,
                x,
                area.y,
                left,
                "DEMO ",
                theme.danger.add_modifier(Modifier::REVERSED),
            );
            x += 1;
        }
        let key_style = if demo { theme.danger } else { theme.focus };
        let left = area.right().saturating_sub(x);
        x += put(buf, x, area.y, left, keys, key_style);
        let left = area.right().saturating_sub(x);
        x += put(
            buf,
            x,
            area.y,
            left,
            &format!(" {}  ", action.short()),
            theme.muted,
        );
    }
}

/// `k/↑` for a list of keys.
pub fn keys_label(keys: &[super::super::keymap::KeySpec]) -> String {
    let mut out = String::new();
    for (i, k) in keys.iter().enumerate() {
        if i > 0 {
            out.push('/');
        }
        let _ = write!(out, "{k}");
    }
    out
}

/// The stale-data banner's text: how old, and why.
pub fn stale_text(age: Option<Duration>, error: Option<&str>) -> String {
    let mut text = match age {
        Some(a) => format!(" ⚠ STALE DATA: inventory is {} old", fmt_age(a)),
        None => " ⚠ STALE DATA: no inventory yet".to_string(),
    };
    match error {
        Some(e) => {
            let _ = write!(text, "; last refresh failed: {}", clean(e));
        }
        None => text.push_str("; refreshes are not arriving"),
    }
    text
}

/// The coordination banner's text: the shared store's error (code, request id) and what it
/// means for operations.
pub fn coordination_text(error: &str) -> String {
    format!(
        " ⚠ COORDINATION UNAVAILABLE: operations refused until the shared store answers; {}",
        clean(error)
    )
}

/// The stale-data banner, wrapped over the rows of `area`.
pub fn stale_banner(buf: &mut Buffer, area: Rect, text: &str, theme: &Theme) {
    buf.set_style(area, theme.banner);
    Paragraph::new(text)
        .style(theme.banner)
        .wrap(Wrap { trim: false })
        .render(area, buf);
}

/// The alarm banner for the newest undismissed MASTER DOWN / SPLIT.
pub fn alarm_banner(
    buf: &mut Buffer,
    area: Rect,
    state: &UiState,
    alarm: &Alarm,
    others: usize,
    theme: &Theme,
) {
    buf.set_style(area, theme.banner);
    let mut text = format!(
        " {} {}: {}",
        glyph(alarm.state),
        alarm.state.label(),
        clean(&alarm.role)
    );
    if let Some(since) = alarm.since {
        let _ = write!(text, " since {}Z", fmt_clock(since));
    }
    if others > 0 {
        let _ = write!(text, " (+{others} more)");
    }
    let hint = state
        .keymap()
        .keys_for(Action::Close)
        .first()
        .map(|k| format!(" {k} dismiss "));
    let hint_w = hint.as_deref().map_or(0, width_of) as u16;
    let text_w = area.width.saturating_sub(hint_w);
    let style: Style = theme.banner;
    put(buf, area.x, area.y, text_w, &text, style);
    if let Some(h) = hint {
        put(buf, area.right() - hint_w, area.y, hint_w, &h, style);
    }
}
