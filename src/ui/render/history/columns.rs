//! The history table's columns: what each shows, how wide, and which drop first when the
//! overlay is narrow. Must not draw; every string from a journal goes through `clean`.

use super::super::widgets::{clean, width_of};
use crate::core::history::{rto_text, HistoryRun, RunVerdict};
use time::macros::format_description;

/// One column: title, width, and drop priority (higher drops first).
pub(super) struct Col {
    pub(super) title: &'static str,
    pub(super) width: u16,
    pub(super) drop: u8,
    pub(super) cell: fn(&str, &HistoryRun, bool) -> String,
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

fn from_to(run: &HistoryRun) -> String {
    let from = run
        .from
        .as_deref()
        .map_or("—".into(), |f| clean(f).into_owned());
    format!("{from} → {}", clean(&run.to))
}

pub(super) fn notes(run: &HistoryRun) -> String {
    clean(&run.notes()).into_owned()
}

pub(super) fn columns(runs: &[(&str, &HistoryRun)], all: bool, wide: bool, width: u16) -> Vec<Col> {
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
            cell: |_, run, _| rto_text(run.rto_ms),
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
