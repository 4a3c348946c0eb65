//! The history overlay (`h`): the selected role's runs (or every role's), newest first, with
//! date, kind, from → to, RTO, verdict (glyph and word, never colour only), operator and notes,
//! the RTO trend as a sparkline, and the selected run's detail. Columns drop right-to-left by
//! priority when narrow. Must not change state; every string from a journal goes through
//! `widgets::clean`.

use super::super::state::history::HistoryView;
use super::super::theme::Theme;
use super::widgets::{clean, dialog_box, put, put_cut, width_of, wrap};
use crate::core::history::{sparkline, HistoryRun, RunVerdict};
use crate::core::plan::human_duration;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use std::time::Duration;
use time::macros::format_description;

/// One column: title, width, and drop priority (higher drops first).
struct Col {
    title: &'static str,
    width: u16,
    drop: u8,
    cell: fn(&str, &HistoryRun, bool) -> String,
}

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
            let text = format!("history unavailable: {}", clean(e));
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
    let cols = columns(&runs, view.shows_all(), wide, area.width);
    let head_y = area.y + 2;
    let mut x = area.x + 2;
    for c in &cols {
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
        row(buf, area, y, &cols, role, run, selected, wide, theme);
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

#[allow(clippy::too_many_arguments)]
fn row(
    buf: &mut Buffer,
    area: Rect,
    y: u16,
    cols: &[Col],
    role: &str,
    run: &HistoryRun,
    selected: bool,
    wide: bool,
    theme: &Theme,
) {
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
    for c in cols {
        let width = c.width.min(area.right().saturating_sub(x));
        let text = (c.cell)(role, run, wide);
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

fn verdict_text(verdict: RunVerdict) -> String {
    let glyph = match verdict {
        RunVerdict::Pass => "✔",
        RunVerdict::Fail => "✖",
        RunVerdict::Running => "↻",
        RunVerdict::Interrupted => "!",
    };
    format!("{glyph} {}", verdict.as_str())
}

fn date(run: &HistoryRun, wide: bool) -> String {
    let at = run.begun_at.to_offset(time::UtcOffset::UTC);
    let text = if wide {
        at.format(format_description!("[year]-[month]-[day] [hour]:[minute]"))
    } else {
        at.format(format_description!("[month]-[day] [hour]:[minute]"))
    };
    text.unwrap_or_else(|_| "?".into())
}

fn rto(ms: Option<u64>) -> String {
    ms.map_or("—".into(), |m| human_duration(Duration::from_millis(m)))
}

fn from_to(run: &HistoryRun) -> String {
    let from = run
        .from
        .as_deref()
        .map_or("—".into(), |f| clean(f).into_owned());
    format!("{from} → {}", clean(&run.to))
}

fn notes(run: &HistoryRun) -> String {
    let mut parts: Vec<String> = Vec::new();
    if !run.legs.is_empty() {
        let legs: Vec<String> = run
            .legs
            .iter()
            .map(|l| format!("{} {}", l.leg.as_str(), rto(l.rto_ms)))
            .collect();
        parts.push(legs.join(", "));
    }
    if let Some(note) = &run.note {
        parts.push(clean(note).into_owned());
    }
    parts.join(" · ")
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

fn columns(runs: &[(&str, &HistoryRun)], all: bool, wide: bool, width: u16) -> Vec<Col> {
    let most = |f: &dyn Fn(&str, &HistoryRun) -> String, min: usize, max: usize| {
        let w = runs
            .iter()
            .map(|(r, run)| width_of(&f(r, run)))
            .max()
            .unwrap_or(0);
        w.clamp(min, max) as u16
    };
    let mut cols = Vec::new();
    if all {
        cols.push(Col {
            title: "ROLE",
            width: most(&|r, _| clean(r).into_owned(), 4, 14),
            drop: 3,
            cell: |r, _, _| clean(r).into_owned(),
        });
    }
    cols.extend([
        Col {
            title: "DATE (UTC)",
            width: if wide { 16 } else { 11 },
            drop: 0,
            cell: |_, run, wide| date(run, wide),
        },
        Col {
            title: "KIND",
            width: 10,
            drop: 1,
            cell: |_, run, _| run.kind.as_str().to_string(),
        },
        Col {
            title: "FROM → TO",
            width: most(&|_, run| from_to(run), 9, 30),
            drop: 4,
            cell: |_, run, _| from_to(run),
        },
        Col {
            title: "RTO",
            width: 6,
            drop: 0,
            cell: |_, run, _| rto(run.rto_ms),
        },
        Col {
            title: "VERDICT",
            width: 13,
            drop: 0,
            cell: |_, run, _| verdict_text(run.verdict),
        },
        Col {
            title: "BY",
            width: most(&|_, run| clean(&run.operator).into_owned(), 2, 12),
            drop: 5,
            cell: |_, run, _| clean(&run.operator).into_owned(),
        },
    ]);
    let avail = width.saturating_sub(2);
    let used = |cols: &[Col]| cols.iter().map(|c| c.width + 1).sum::<u16>();
    while used(&cols) > avail {
        let Some(worst) = cols
            .iter()
            .enumerate()
            .max_by_key(|(_, c)| c.drop)
            .map(|(i, _)| i)
        else {
            break;
        };
        if cols[worst].drop == 0 {
            break;
        }
        cols.remove(worst);
    }
    let rest = avail.saturating_sub(used(&cols));
    if rest >= 12 {
        cols.push(Col {
            title: "NOTES",
            width: rest,
            drop: 6,
            cell: |_, run, _| notes(run),
        });
    }
    cols
}
