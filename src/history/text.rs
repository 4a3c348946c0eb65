//! `baton history` as text: per role a header with the RTO target and the trend sparkline,
//! then one line per run (date UTC, kind, from → to, RTO, verdict, operator, notes). Pure;
//! every string read from a journal or record goes through `core::text::sanitize`.

use crate::core::history::{rto_text, sparkline, HistoryRun, RoleHistory};
use crate::core::plan::human_duration;
use crate::core::text::sanitize;
use std::fmt::Write as _;
use std::time::Duration;
use time::macros::format_description;

const HEAD: [&str; 6] = [
    "DATE (UTC)",
    "KIND",
    "FROM → TO",
    "RTO",
    "VERDICT",
    "OPERATOR",
];

/// One role's table, ending with a blank line.
pub(super) fn role_table(out: &mut String, role: &RoleHistory, rto_target_ms: u64) {
    let target = human_duration(Duration::from_millis(rto_target_ms));
    let _ = write!(out, "{}  · RTO target {target}", sanitize(&role.role));
    if role.trend_ms.is_empty() {
        out.push_str(" · no RTO measured yet\n");
    } else {
        let _ = writeln!(
            out,
            " · RTO trend {} (oldest → newest, max {})",
            sparkline(&role.trend_ms),
            rto_text(role.trend_ms.iter().copied().max())
        );
    }
    if role.runs.is_empty() {
        out.push_str("  no runs recorded\n\n");
        return;
    }
    let rows: Vec<[String; 7]> = role.runs.iter().map(row).collect();
    let mut widths = HEAD.map(|h| h.chars().count());
    for r in &rows {
        for (w, cell) in widths.iter_mut().zip(r.iter()) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let head: Vec<String> = HEAD.iter().map(|h| h.to_string()).collect();
    line(out, &head, &widths, "");
    for r in &rows {
        line(out, &r[..6], &widths, &r[6]);
    }
    out.push('\n');
}

fn line(out: &mut String, cells: &[String], widths: &[usize; 6], note: &str) {
    out.push(' ');
    for (cell, w) in cells.iter().zip(widths) {
        let pad = w.saturating_sub(cell.chars().count());
        let _ = write!(out, " {cell}{}", " ".repeat(pad + 1));
    }
    if note.is_empty() {
        let trimmed = out.trim_end_matches(' ').len();
        out.truncate(trimmed);
    } else {
        out.push_str(note);
    }
    out.push('\n');
}

fn row(run: &HistoryRun) -> [String; 7] {
    let date = run
        .begun_at
        .to_offset(time::UtcOffset::UTC)
        .format(format_description!("[year]-[month]-[day] [hour]:[minute]"))
        .unwrap_or_else(|_| "?".into());
    let from = run.from.as_deref().map_or("—".into(), sanitize);
    [
        date,
        run.kind.as_str().to_string(),
        format!("{from} → {}", sanitize(&run.to)),
        rto_text(run.rto_ms),
        run.verdict.as_str().to_string(),
        sanitize(&run.operator),
        sanitize(&run.notes()),
    ]
}
