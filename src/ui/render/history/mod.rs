//! The history overlay (`h`): the selected role's runs (or every role's), newest first, with
//! date, kind, from → to, RTO, verdict (glyph and word, never colour only), operator and notes,
//! the RTO trend as a sparkline, and the selected run's detail. Columns drop right-to-left by
//! priority when narrow. Must not change state; every string from a journal goes through
//! `widgets::clean`.

use super::super::state::history::HistoryView;
use super::super::theme::Theme;
use super::widgets::{clean, dialog_box, put, put_cut, wrap};
use crate::core::history::{sparkline, HistoryRun, RunVerdict};
use crate::core::plan::human_duration;
use columns::{columns, notes, Col};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use std::time::Duration;
use time::macros::format_description;

mod columns;

/// Draws the overlay over `area` (the screen between header and footer).
pub fn render(buf: &mut Buffer, area: Rect, theme: &Theme, view: &HistoryView) {
    let title = match (&view.role, view.shows_all()) {
        (Some(role), false) => format!("History: {}", clean(role)),
        _ => "History: every role".to_string(),
    };
    // Summary, blank, header, the runs, blank, two detail rows, hints, and the border.
    let want = view.runs().len() as u16 + 10;
    let h = want.clamp(12, area.height.max(1));
    let inner = dialog_box(buf, area, area.width, h, &title, theme.focus, theme);
    if inner.height < 4 || inner.width < 20 {
        return;
    }
    let hints_y = inner.bottom() - 1;
    put_cut(
        buf,
        inner.x,
        hints_y,
        inner.width,
        &hints(view),
        theme.muted,
    );
    let body = Rect::new(inner.x, inner.y, inner.width, inner.height - 1);
    match &view.loaded {
        None => {
            put(
                buf,
                body.x,
                body.y,
                body.width,
                "loading history…",
                theme.muted,
            );
        }
        Some(Err(e)) => {
            let text = format!("history unavailable: {}", clean(&e.to_string()));
            for (i, line) in wrap(&text, body.width as usize).iter().enumerate() {
                if i as u16 >= body.height {
                    break;
                }
                put(
                    buf,
                    body.x,
                    body.y + i as u16,
                    body.width,
                    line,
                    theme.critical,
                );
            }
        }
        Some(Ok(history)) => {
            let target = human_duration(Duration::from_millis(history.rto_target_ms));
            runs(buf, body, theme, view, &target);
        }
    }
}

fn hints(view: &HistoryView) -> String {
    let scope = match (&view.role, view.all_roles) {
        (Some(role), true) => format!(" · tab only {}", clean(role)),
        (Some(_), false) => " · tab every role".to_string(),
        (None, _) => String::new(),
    };
    format!("↑↓ select{scope} · r reload · esc close")
}

fn runs(buf: &mut Buffer, area: Rect, theme: &Theme, view: &HistoryView, target: &str) {
    let runs = view.runs();
    let mut summary = format!("RTO target {target} · {} run(s)", runs.len());
    let trend = view.trend();
    if !trend.is_empty() {
        let max = trend.iter().copied().max().unwrap_or(0);
        let max = human_duration(Duration::from_millis(max));
        summary = format!(
            "{summary} · RTO trend {} oldest → newest, max {max}",
            sparkline(trend)
        );
    }
    put_cut(buf, area.x, area.y, area.width, &summary, theme.text);
    if runs.is_empty() {
        let text = match (&view.role, view.shows_all()) {
            (Some(role), false) => format!("no runs recorded for {}", clean(role)),
            _ => "no runs recorded".to_string(),
        };
        put(buf, area.x, area.y + 2, area.width, &text, theme.muted);
        return;
    }
    let detail_h = 2u16;
    let table_h = area.height.saturating_sub(2 + detail_h + 1);
    if table_h == 0 {
        return;
    }
    let wide = area.width >= 100;
    let table = Table {
        area,
        cols: columns(&runs, view.shows_all(), wide, area.width),
        wide,
        theme,
    };
    let head_y = area.y + 2;
    let mut x = area.x + 2;
    for c in &table.cols {
        if x >= area.right() {
            break;
        }
        put(
            buf,
            x,
            head_y,
            c.width.min(area.right() - x),
            c.title,
            theme.muted,
        );
        x += c.width + 1;
    }
    let visible = table_h.saturating_sub(1) as usize;
    let offset = view.cursor.saturating_sub(visible.saturating_sub(1));
    for (i, (role, run)) in runs.iter().enumerate().skip(offset).take(visible) {
        let y = head_y + 1 + (i - offset) as u16;
        let selected = i == view.cursor;
        row(buf, &table, y, (role, run), selected);
    }
    if let Some((_, run)) = runs.get(view.cursor) {
        let y = area.bottom() - detail_h;
        for (i, line) in wrap(&detail(run), area.width as usize)
            .iter()
            .take(detail_h as usize)
            .enumerate()
        {
            put_cut(buf, area.x, y + i as u16, area.width, line, theme.muted);
        }
    }
}

/// The laid-out table: where it is, its columns and the date form.
struct Table<'a> {
    area: Rect,
    cols: Vec<Col>,
    wide: bool,
    theme: &'a Theme,
}

fn row(buf: &mut Buffer, t: &Table<'_>, y: u16, (role, run): (&str, &HistoryRun), selected: bool) {
    let (area, theme) = (t.area, t.theme);
    let base = if selected {
        theme.selection
    } else {
        theme.text
    };
    if selected {
        buf.set_style(Rect::new(area.x, y, area.width, 1), base);
        put(buf, area.x, y, 2, "▶", base);
    }
    let mut x = area.x + 2;
    for c in &t.cols {
        let width = c.width.min(area.right().saturating_sub(x));
        let text = (c.cell)(role, run, t.wide);
        let style = if c.title == "VERDICT" {
            verdict_style(theme, run.verdict).patch(sel_only(base, selected))
        } else {
            base
        };
        put_cut(buf, x, y, width, &text, style);
        x += c.width + 1;
        if x >= area.right() {
            break;
        }
    }
}

/// Selection keeps its background on the coloured verdict cell.
fn sel_only(base: Style, selected: bool) -> Style {
    if selected {
        Style { fg: None, ..base }
    } else {
        Style::default()
    }
}

fn verdict_style(theme: &Theme, verdict: RunVerdict) -> Style {
    match verdict {
        RunVerdict::Pass => theme.ok,
        RunVerdict::Fail => theme.critical,
        RunVerdict::Running => theme.drill,
        RunVerdict::Interrupted => theme.warn,
    }
}

/// The selected run in full: id, when it ended, legs and notes.
fn detail(run: &HistoryRun) -> String {
    let ended = run.finished_at.map_or("not finished".to_string(), |at| {
        let at = at.to_offset(time::UtcOffset::UTC);
        let t = at
            .format(format_description!(
                "[year]-[month]-[day] [hour]:[minute]:[second]"
            ))
            .unwrap_or_else(|_| "?".into());
        format!("ended {t}Z")
    });
    let notes = notes(run);
    let mut text = format!("{} {} · {ended}", run.kind.as_str(), clean(&run.id));
    if !notes.is_empty() {
        text = format!("{text} · {notes}");
    }
    text
}
