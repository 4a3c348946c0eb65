//! One operation as a Markdown section: what it was, who ran it, when, the step table with
//! charged durations and request ids, the errors with their ARM code and request id, comments,
//! and the RTO against the target. Standalone (the cockpit's timeline export calls it); the
//! drill report nests two of them. Pure.

use super::timeline::{clock, human_ms, leg_ms, stamp, timeline_rows, TimelineRow};
use crate::core::operation::{Operation, Outcome};
use crate::core::text::sanitize;
use std::fmt::Write as _;
use std::time::Duration;

/// A Markdown section (`## ` heading) with the timeline of one operation.
pub fn operation_timeline_markdown(op: &Operation, rto_target: Duration) -> String {
    section(op, rto_target, 2, None)
}

/// The section at heading `level`, titled `title` (else from the operation); the drill report
/// nests one per leg.
pub fn section(op: &Operation, rto_target: Duration, level: usize, title: Option<&str>) -> String {
    let mut out = String::new();
    let hashes = "#".repeat(level.max(1));
    let from = op.from.as_deref().map(sanitize);
    let default_title = format!(
        "{} of {}: {} → {}",
        capitalized(op.kind.as_str()),
        sanitize(&op.role),
        from.as_deref().unwrap_or("nobody"),
        sanitize(&op.to)
    );
    let _ = writeln!(out, "{hashes} {}\n", title.unwrap_or(&default_title));
    facts(&mut out, op, rto_target);
    table(&mut out, op);
    errors(&mut out, op);
    comments(&mut out, op);
    out
}

fn capitalized(word: &str) -> String {
    let mut c = word.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// The words for an outcome.
pub fn outcome_word(o: Option<Outcome>) -> &'static str {
    match o {
        Some(Outcome::Succeeded) => "succeeded",
        Some(Outcome::Failed) => "failed",
        Some(Outcome::Aborted) => "aborted",
        Some(Outcome::RolledBack) => "rolled back",
        None => "unfinished",
    }
}

fn facts(out: &mut String, op: &Operation, rto_target: Duration) {
    let _ = writeln!(out, "- operation `{}`", sanitize(&op.op_id));
    let _ = writeln!(out, "- operator {}", sanitize(&op.operator));
    let ended = match op.finished {
        Some((at, o)) => format!("ended {} ({})", stamp(at), outcome_word(Some(o))),
        None => "not finished".to_string(),
    };
    let _ = writeln!(out, "- begun {}, {ended}", stamp(op.begun_at));
    if let Some(ms) = leg_ms(op) {
        let _ = writeln!(out, "- time {} (begun → finished)", human_ms(ms));
    }
    let target = human_ms(u64::try_from(rto_target.as_millis()).unwrap_or(u64::MAX));
    match op.rto() {
        Some(rto) => {
            let verdict = if rto <= rto_target { "met" } else { "missed" };
            let ms = u64::try_from(rto.as_millis()).unwrap_or(u64::MAX);
            let _ = writeln!(
                out,
                "- RTO {} (begun → endpoint exposed), target {target}: **{verdict}**",
                human_ms(ms)
            );
        }
        None => {
            let _ = writeln!(
                out,
                "- RTO: none, the endpoint was not exposed on {} (target {target})",
                sanitize(&op.to)
            );
        }
    }
    out.push('\n');
}

fn cell(text: &str) -> String {
    let t = sanitize(text).replace('|', "\\|");
    if t.is_empty() {
        "—".into()
    } else {
        t
    }
}

fn step_cell(r: &TimelineRow) -> String {
    let mut s = String::new();
    if r.rollback {
        s.push_str("rollback: ");
    }
    s.push_str(r.step.label());
    if let Some(p) = r.concurrent_with {
        let _ = write!(s, " ∥ {}", p.label());
    }
    if r.attempts > 1 {
        let _ = write!(s, " ({} attempts)", r.attempts);
    }
    s
}

fn table(out: &mut String, op: &Operation) {
    let rows = timeline_rows(op);
    let _ = writeln!(
        out,
        "| step | started | duration | outcome | request ids |\n|---|---|---:|---|---|"
    );
    for r in &rows {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            step_cell(r),
            r.started_at.map_or("—".into(), clock),
            r.duration_ms.map_or("—".into(), human_ms),
            cell(&r.outcome),
            cell(&r.request_ids.join(", "))
        );
    }
    let charged: u64 = rows.iter().filter_map(|r| r.duration_ms).sum();
    let _ = writeln!(out, "| **total** | | **{}** | | |\n", human_ms(charged));
    let _ = writeln!(
        out,
        "Each duration runs from the end of the previous step (the start of the operation for \
         the first) to the end of this one, so they add up to the operation's time; the journal \
         write between two steps counts in the next step. A step marked ∥ ran alongside its \
         partner and is charged only the time it outlasted it.\n"
    );
}

fn errors(out: &mut String, op: &Operation) {
    let mut lines = Vec::new();
    let all = op
        .steps
        .iter()
        .chain(op.rollback.iter().flat_map(|r| r.steps.iter()));
    for s in all {
        if let Some(e) = &s.error {
            lines.push(format!(
                "- {}: {}",
                s.kind.label(),
                sanitize(&e.to_string())
            ));
        }
    }
    if let Some(a) = &op.abort {
        lines.push(format!(
            "- abort requested by {} at {}",
            sanitize(&a.by),
            clock(a.at)
        ));
    }
    if let Some(r) = &op.rollback {
        lines.push(format!(
            "- {} chose: {} at {}",
            sanitize(&r.by),
            r.mode.label(),
            clock(r.at)
        ));
    }
    if lines.is_empty() {
        return;
    }
    let _ = writeln!(out, "Errors and decisions:\n\n{}\n", lines.join("\n"));
}

fn comments(out: &mut String, op: &Operation) {
    if op.comments.is_empty() {
        return;
    }
    let _ = writeln!(out, "Comments:\n");
    for c in &op.comments {
        let by = c.by.as_deref().unwrap_or("baton");
        let _ = writeln!(
            out,
            "- {} {}: {}",
            clock(c.at),
            sanitize(by),
            sanitize(&c.text)
        );
    }
    out.push('\n');
}

/// The charged milliseconds of every step, for callers that check the sum.
pub fn charged_total_ms(op: &Operation) -> u64 {
    timeline_rows(op).iter().filter_map(|r| r.duration_ms).sum()
}
