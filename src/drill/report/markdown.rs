//! The drill report in Markdown: a title, the one-line verdict, the drill's facts, both legs'
//! timelines, the hold, and the notes (forced during an incident, resumed, stopped, comments).
//! Pure: everything comes from the record and the legs' operations.

use crate::core::drill::{DrillRecord, LegRecord, Verdict};
use crate::core::operation::{DrillLeg, Operation, Outcome};
use crate::core::report::{human_ms, outcome_word, section, stamp};
use crate::core::text::sanitize;
use std::fmt::Write as _;

fn ms(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn leg_words(record: &DrillRecord, leg: DrillLeg) -> String {
    let (dest, verb) = match leg {
        DrillLeg::Out => (&record.to, format!("{} moved to", sanitize(&record.role))),
        DrillLeg::Back => (&record.from, "back to".to_string()),
    };
    let dest = sanitize(dest);
    match record.leg(leg) {
        None => format!("leg {} did not run", leg.as_str()),
        Some(LegRecord {
            outcome: Some(Outcome::Succeeded),
            rto_ms: Some(rto),
            ..
        }) => {
            let missed = if record
                .leg(leg)
                .is_some_and(|l| l.passed(record.rto_target()))
            {
                ""
            } else {
                " (missed)"
            };
            format!("{verb} {dest} in {}{missed}", human_ms(*rto))
        }
        Some(l) => format!(
            "leg {} towards {dest} {}",
            leg.as_str(),
            outcome_word(l.outcome)
        ),
    }
}

fn hold_words(record: &DrillRecord) -> String {
    match &record.hold {
        None => "no hold".into(),
        Some(h) => {
            let total = h.probes_ok + h.probes_failed;
            let state = if h.ended_at.is_some() {
                ""
            } else {
                " (cut short)"
            };
            format!(
                "hold {} s{state}, {}/{total} probes healthy",
                record.hold_secs, h.probes_ok
            )
        }
    }
}

/// The one-line verdict: `**PASS** — web moved to web-b in 41 s and back to web-a in 39 s
/// (target 5 min); hold 30 s, 30/30 probes healthy`. The verdict is the record's, else judged.
pub fn verdict_line(record: &DrillRecord) -> String {
    let verdict = record.verdict.unwrap_or_else(|| record.judge());
    let mut legs = leg_words(record, DrillLeg::Out);
    if record.switch_back {
        let _ = write!(legs, " and {}", leg_words(record, DrillLeg::Back));
    } else {
        legs.push_str(", no switch back (as asked)");
    }
    let mut line = format!(
        "**{}** — {legs} (target {}); {}",
        verdict.as_str(),
        human_ms(record.rto_target_ms),
        hold_words(record)
    );
    if let Some(why) = &record.stopped {
        let _ = write!(line, ". Stopped: {}", sanitize(why));
    }
    line
}

/// The whole report; `out_op` and `back_op` are the legs' operations from their journals.
pub fn drill_report_markdown(
    record: &DrillRecord,
    out_op: Option<&Operation>,
    back_op: Option<&Operation>,
) -> String {
    let mut out = String::new();
    let role = sanitize(&record.role);
    let (from, to) = (sanitize(&record.from), sanitize(&record.to));
    let back = if record.switch_back {
        format!(" → {from}")
    } else {
        String::new()
    };
    let _ = writeln!(out, "# Drill of {role}: {from} → {to}{back}\n");
    let _ = writeln!(out, "{}\n", verdict_line(record));
    facts(&mut out, record);
    notes(&mut out, record);
    let target = record.rto_target();
    for (leg, op, dest_from, dest_to) in [
        (DrillLeg::Out, out_op, &from, &to),
        (DrillLeg::Back, back_op, &to, &from),
    ] {
        let title = format!("Leg {}: {dest_from} → {dest_to}", leg.as_str());
        match op {
            Some(op) => out.push_str(&section(op, target, 2, Some(&title))),
            None if leg == DrillLeg::Back && !record.switch_back => {}
            None => {
                let _ = writeln!(out, "## {title}\n\nDid not run.\n");
            }
        }
        if leg == DrillLeg::Out {
            hold(&mut out, record);
        }
    }
    out
}

fn facts(out: &mut String, record: &DrillRecord) {
    let verdict = record.verdict.unwrap_or_else(|| record.judge());
    let ended = record.finished_at.map_or("not finished".to_string(), stamp);
    let rows = [
        ("drill", format!("`{}`", sanitize(&record.drill_id))),
        ("role", sanitize(&record.role)),
        ("operator", sanitize(&record.operator)),
        ("begun", stamp(record.begun_at)),
        ("ended", ended),
        ("RTO target", human_ms(record.rto_target_ms)),
        ("hold", format!("{} s", record.hold_secs)),
        (
            "switch back",
            if record.switch_back { "yes" } else { "no" }.into(),
        ),
        ("verdict", verdict.as_str().into()),
    ];
    let _ = writeln!(out, "| | |\n|---|---|");
    for (k, v) in rows {
        let _ = writeln!(out, "| {k} | {} |", v.replace('|', "\\|"));
    }
    out.push('\n');
}

fn notes(out: &mut String, record: &DrillRecord) {
    let mut lines = Vec::new();
    if let Some(c) = &record.forced {
        lines.push(format!(
            "Forced during an incident, comment: {}",
            sanitize(c)
        ));
    }
    for r in &record.resumed {
        lines.push(format!(
            "Resumed after an interruption by {} at {}",
            sanitize(&r.by),
            stamp(r.at)
        ));
    }
    if let Some(why) = &record.stopped {
        lines.push(format!("Stopped early: {}", sanitize(why)));
    }
    for c in &record.comments {
        lines.push(format!(
            "Comment by {} at {}: {}",
            sanitize(&c.by),
            stamp(c.at),
            sanitize(&c.text)
        ));
    }
    if record.verdict == Some(Verdict::Fail) {
        lines.extend(fail_reasons(record));
    }
    for l in lines {
        let _ = writeln!(out, "> {l}\n");
    }
}

fn fail_reasons(record: &DrillRecord) -> Vec<String> {
    let target = record.rto_target();
    let mut out = Vec::new();
    for l in &record.legs {
        match (l.outcome, l.rto()) {
            (Some(Outcome::Succeeded), Some(rto)) if rto > target => out.push(format!(
                "Leg {} took {} to expose the endpoint, over the {} target",
                l.leg.as_str(),
                human_ms(ms(rto)),
                human_ms(ms(target))
            )),
            (Some(Outcome::Succeeded), _) => {}
            (o, _) => out.push(format!("Leg {} {}", l.leg.as_str(), outcome_word(o))),
        }
    }
    if let Some(h) = record.hold.as_ref().filter(|h| !h.passed()) {
        out.push(format!(
            "The hold was not verified: {} healthy, {} failed probes{}",
            h.probes_ok,
            h.probes_failed,
            if h.ended_at.is_none() {
                ", cut short"
            } else {
                ""
            }
        ));
    }
    out
}

fn hold(out: &mut String, record: &DrillRecord) {
    let Some(h) = &record.hold else {
        return;
    };
    let _ = writeln!(out, "## Hold on {}\n", sanitize(&record.to));
    let ended = h.ended_at.map_or("cut short".to_string(), stamp);
    let verdict = if h.passed() {
        "verified"
    } else {
        "NOT verified"
    };
    let _ = writeln!(
        out,
        "Service probe of {} from {} to {ended}: {} healthy, {} failed — **{verdict}**.\n",
        sanitize(&record.to),
        stamp(h.started_at),
        h.probes_ok,
        h.probes_failed
    );
}
