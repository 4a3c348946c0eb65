//! The `?` help overlay, generated from the resolved keymap so it can never disagree with what
//! the keys do. Also states the mode and what it forbids.
//!
//! Must not list an action the mode does not have (the keymap already left it out).

use super::super::action::Section;
use super::super::state::{Mode, UiState};
use super::super::theme::Theme;
use super::chrome::keys_label;
use super::widgets::centered;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget};

/// Draws the help box centred over `area`.
pub fn render(buf: &mut Buffer, area: Rect, state: &UiState, theme: &Theme) {
    let natural = [
        Section::Navigate,
        Section::General,
        Section::Operate,
        Section::Demo,
    ];
    let mut lines = help_lines(state, theme, natural);
    // Short terminals lose the blank separators before they lose a key; then the ctrl-c line
    // moves into the title; then the keys that change things come first and navigation (also
    // named in the footer) is what is cut, with a line that says so.
    let mut title = " Help: keys ";
    let room = area.height.saturating_sub(2) as usize;
    if lines.len() > room {
        lines.retain(|l| l.width() > 0);
    }
    if lines.len() > room {
        lines.pop();
        title = " Help: keys · ctrl-c always quits ";
    }
    if lines.len() > room {
        let urgent_first = [
            Section::Operate,
            Section::Demo,
            Section::General,
            Section::Navigate,
        ];
        lines = help_lines(state, theme, urgent_first);
        lines.retain(|l| l.width() > 0);
        lines.pop();
        lines.truncate(room.saturating_sub(1));
        lines.push(Line::styled(
            "  … a taller terminal shows every key",
            theme.muted,
        ));
    }
    let h = (lines.len() as u16 + 2).min(area.height);
    let w = 64.min(area.width.saturating_sub(2));
    let rect = centered(area, w, h);
    Clear.render(rect, buf);
    buf.set_style(rect, theme.text);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.focus)
        .title(Line::styled(title, theme.focus));
    Paragraph::new(lines).block(block).render(rect, buf);
}

/// The mode line, then each section of the keymap in `order` (blank line, title, one line per
/// binding), then the ctrl-c line.
fn help_lines(state: &UiState, theme: &Theme, order: [Section; 4]) -> Vec<Line<'static>> {
    let keymap = state.keymap();
    let mut lines: Vec<Line> = Vec::new();
    lines.push(Line::styled(mode_line(state.mode()), theme.text));
    for section in order {
        let entries: Vec<_> = keymap
            .bindings()
            .filter(|(a, _)| a.section() == section)
            .collect();
        if entries.is_empty() {
            continue;
        }
        lines.push(Line::raw(""));
        let title_style = if matches!(section, Section::Demo | Section::Operate) {
            theme.danger
        } else {
            theme.focus
        };
        lines.push(Line::styled(section_title(section), title_style));
        for (action, keys) in entries {
            let key_style = if action.is_mutating() {
                theme.danger
            } else {
                theme.focus
            };
            lines.push(Line::from(vec![
                Span::styled(format!("  {:<14}", keys_label(keys)), key_style),
                Span::styled(action.description(), theme.text),
            ]));
        }
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled("ctrl-c always quits", theme.muted));
    lines
}

fn section_title(section: Section) -> &'static str {
    match section {
        Section::Navigate => "Navigate",
        Section::General => "General",
        Section::Operate => "Operate (changes Azure; confirmed)",
        Section::Demo => "DEMO chaos (changes the emulator)",
    }
}

fn mode_line(mode: Mode) -> &'static str {
    match mode {
        Mode::Operator => "mode: operator",
        Mode::ReadOnly => "mode: READ-ONLY (no action here can change Azure)",
        Mode::Wall => "mode: WALL (read-only display, no selection)",
        Mode::Demo => "mode: DEMO (operator + chaos keys, embedded emulator)",
    }
}
