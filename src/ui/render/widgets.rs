//! Small drawing helpers shared by the screens: safe text, state glyphs and styles, ages,
//! pane blocks, and a one-row heartbeat sparkline written straight into the buffer.
//!
//! Must not decide layout or read anything but its arguments.

use super::super::theme::Theme;
use crate::core::leader::LeaderState;
use crate::core::snapshot::Severity;
use crate::core::text::sanitize;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders};
use std::borrow::Cow;
use time::Duration;

/// Untrusted text made safe to draw; borrows (no allocation) when it is already clean.
pub fn clean(s: &str) -> Cow<'_, str> {
    if s.chars().any(char::is_control) {
        Cow::Owned(sanitize(s))
    } else {
        Cow::Borrowed(s)
    }
}

/// The glyph that goes with a state word, so health is never colour-only.
pub fn glyph(state: LeaderState) -> &'static str {
    match state {
        LeaderState::Healthy => "●",
        LeaderState::Degraded => "▲",
        LeaderState::MasterDown => "✖",
        LeaderState::Split => "⇄",
        LeaderState::NoMaster => "○",
        LeaderState::FailingOver => "↻",
        LeaderState::Unknown => "?",
    }
}

/// Spinner frames for a role failing over (the only animation; it makes `run` tick faster).
const SPINNER: [&str; 4] = ["◐", "◓", "◑", "◒"];

/// The state's glyph; a role failing over spins with the tick clock.
pub fn state_glyph(state: LeaderState, now: Option<time::OffsetDateTime>) -> &'static str {
    match (state, now) {
        (LeaderState::FailingOver, Some(n)) => SPINNER[(n.millisecond() / 250) as usize % 4],
        _ => glyph(state),
    }
}

/// The theme slot a state is drawn in.
pub fn state_style(theme: &Theme, state: LeaderState) -> Style {
    match state {
        LeaderState::Healthy => theme.ok,
        LeaderState::Degraded => theme.warn,
        LeaderState::MasterDown | LeaderState::Split | LeaderState::NoMaster => theme.critical,
        LeaderState::FailingOver => theme.drill,
        LeaderState::Unknown => theme.unknown,
    }
}

/// Glyph and slot for an event-log severity.
pub fn severity_mark(theme: &Theme, severity: Severity) -> (&'static str, Style) {
    match severity {
        Severity::Info => ("·", theme.muted),
        Severity::Warn => ("!", theme.warn),
        Severity::Critical => ("✖", theme.critical),
    }
}

/// A compact age: `12s`, `5m12s`, `2h03m`, `3d04h`.
pub fn fmt_age(d: Duration) -> String {
    let s = d.whole_seconds().max(0);
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m{:02}s", s / 60, s % 60),
        3600..=86_399 => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
        _ => format!("{}d{:02}h", s / 86_400, (s % 86_400) / 3600),
    }
}

/// `HH:MM:SS` of a time (UTC offset as given).
pub fn fmt_clock(t: time::OffsetDateTime) -> String {
    format!("{:02}:{:02}:{:02}", t.hour(), t.minute(), t.second())
}

/// A bordered pane; the focused one gets the focus slot and a marker in its title.
pub fn pane_block<'a>(title: &'a str, focused: bool, theme: &Theme) -> Block<'a> {
    let (style, title) = if focused {
        (
            theme.focus,
            Line::from(vec![Span::raw("▸ "), Span::raw(title)]),
        )
    } else {
        (theme.border, Line::from(title))
    };
    Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Plain)
        .border_style(style)
        .title(title.style(if focused { theme.focus } else { theme.text }))
}

/// Bar glyphs from low to high latency.
const BARS: [&str; 8] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"];

/// How one sparkline draws its samples.
#[derive(Debug, Clone, Copy)]
pub struct SparkStyle {
    /// Style of answered samples.
    pub ok: Style,
    /// Style of failed samples.
    pub fail: Style,
    /// Symbol of a failed sample (`×` for an alarm, `·` for a standby's stopped service).
    pub fail_symbol: &'static str,
}

/// Draws the last `width` samples at (x, y), newest at the right; bars scale to the window's
/// highest latency. Writes cells directly: no allocation.
pub fn sparkline(
    buf: &mut Buffer,
    x: u16,
    y: u16,
    width: u16,
    samples: &[Option<u64>],
    s: SparkStyle,
) {
    let n = samples.len().min(width as usize);
    let window = &samples[samples.len() - n..];
    let max = window.iter().flatten().copied().max().unwrap_or(1).max(1);
    let pad = width as usize - n;
    for (i, sample) in window.iter().enumerate() {
        let Some(cell) = buf.cell_mut((x + (pad + i) as u16, y)) else {
            continue;
        };
        match sample {
            Some(v) => {
                let level = ((*v * 7 + max / 2) / max).min(7) as usize;
                cell.set_symbol(BARS[level]).set_style(s.ok);
            }
            None => {
                cell.set_symbol(s.fail_symbol).set_style(s.fail);
            }
        }
    }
}

/// Writes `text` at (x, y) in at most `width` columns; returns the columns used.
pub fn put(buf: &mut Buffer, x: u16, y: u16, width: u16, text: &str, style: Style) -> u16 {
    if width == 0 {
        return 0;
    }
    let (end, _) = buf.set_stringn(x, y, text, width as usize, style);
    end - x
}

/// Like [`put`], but a text that does not fit ends in `…` so a cut is never mistaken for the
/// whole (`41ms` cut to `41m` would read as minutes).
pub fn put_cut(buf: &mut Buffer, x: u16, y: u16, width: u16, text: &str, style: Style) -> u16 {
    if width_of(text) <= width as usize || width == 0 {
        return put(buf, x, y, width, text, style);
    }
    let used = put(buf, x, y, width - 1, text, style);
    put(buf, x + used, y, 1, "…", style);
    used + 1
}

/// Display width of a string.
pub fn width_of(s: &str) -> usize {
    Span::raw(s).width()
}

/// Letter-spaces a word for large-ish wall text (`MASTER DOWN` → `M A S T E R   D O W N`).
pub fn spaced(word: &str) -> String {
    let mut out = String::with_capacity(word.len() * 2);
    for (i, c) in word.chars().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// A rectangle of `w`x`h` centred in `area` (clipped to it).
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

/// Greedy word wrap to `width` columns; a word longer than a line is cut into pieces. Leading
/// spaces indent every line.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let body = text.trim_start_matches(' ');
    let indent = &text[..text.len() - body.len()];
    if !indent.is_empty() {
        let inner = wrap(body, width.saturating_sub(indent.len()));
        return inner.into_iter().map(|l| format!("{indent}{l}")).collect();
    }
    let width = width.max(1);
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let sep = usize::from(!line.is_empty());
        if width_of(&line) + sep + width_of(word) <= width {
            if sep == 1 {
                line.push(' ');
            }
            line.push_str(word);
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        let mut rest = word;
        while width_of(rest) > width {
            let cut = rest
                .char_indices()
                .nth(width)
                .map_or(rest.len(), |(i, _)| i);
            lines.push(rest[..cut].to_string());
            rest = &rest[cut..];
        }
        line.push_str(rest);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// Clears a centred `w`x`h` box in `area`, draws its border and title in `style`, and returns
/// the inside.
pub fn dialog_box(
    buf: &mut Buffer,
    area: Rect,
    w: u16,
    h: u16,
    title: &str,
    style: Style,
    theme: &Theme,
) -> Rect {
    use ratatui::widgets::{Clear, Widget};
    let rect = centered(area, w, h);
    Clear.render(rect, buf);
    buf.set_style(rect, theme.text);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Thick)
        .border_style(style)
        .title(Line::styled(format!(" {title} "), style));
    let inner = block.inner(rect);
    block.render(rect, buf);
    inner
}
