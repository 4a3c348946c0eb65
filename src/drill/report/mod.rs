//! Drill reports: [`drill_report_markdown`] and [`drill_report_json`] (one drill), and
//! [`write_reports`] (both files, named `<role>-<UTC yyyymmddThhmmssZ>-<id first 8>.md` and
//! `.json`). Rendering is pure; only `write_reports` touches the disk.
//!
//! Each leg is an operation timeline from `core::report` (re-exported here): each step is
//! charged from the end of the previous step to its own end, so the steps add up to the leg
//! time `Begun` → `Finished`.

mod markdown;

pub use crate::core::report::{
    charged_total_ms, human_ms, leg_ms, operation_timeline_markdown, timeline_rows, TimelineRow,
};
pub use markdown::{drill_report_markdown, verdict_line};

use crate::core::drill::{DrillNote, DrillRecord, HoldRecord, Verdict};
use crate::core::operation::{DrillLeg, Operation, Outcome};
use serde::Serialize;
use std::path::{Path, PathBuf};
use time::OffsetDateTime;

/// One leg in the JSON report.
#[derive(Debug, Clone, Serialize)]
pub struct LegJson {
    /// Out or back.
    pub leg: DrillLeg,
    /// The leg's operation id.
    pub op_id: String,
    /// Where it left.
    pub from: Option<String>,
    /// Where it went.
    pub to: String,
    /// When it began.
    #[serde(with = "time::serde::rfc3339")]
    pub begun_at: OffsetDateTime,
    /// When it finished.
    #[serde(with = "time::serde::rfc3339::option")]
    pub finished_at: Option<OffsetDateTime>,
    /// How it ended.
    pub outcome: Option<Outcome>,
    /// `Begun` → `Finished` in ms; the steps' `duration_ms` add up to it.
    pub leg_ms: Option<u64>,
    /// `Begun` → endpoint exposed in ms.
    pub rto_ms: Option<u64>,
    /// RTO within the target.
    pub rto_met: bool,
    /// Every step.
    pub steps: Vec<TimelineRow>,
}

/// The JSON report: every field of the record, the verdict line, and both legs step by step.
#[derive(Debug, Clone, Serialize)]
pub struct DrillReportJson {
    /// The drill's id.
    pub drill_id: String,
    /// Role.
    pub role: String,
    /// The master at the start.
    pub from: String,
    /// The standby visited.
    pub to: String,
    /// Who confirmed it.
    pub operator: String,
    /// Begin.
    #[serde(with = "time::serde::rfc3339")]
    pub begun_at: OffsetDateTime,
    /// End.
    #[serde(with = "time::serde::rfc3339::option")]
    pub finished_at: Option<OffsetDateTime>,
    /// Pass or fail (judged when the record has none yet).
    pub verdict: Verdict,
    /// The one-line verdict (Markdown).
    pub verdict_line: String,
    /// RTO target in ms.
    pub rto_target_ms: u64,
    /// Planned hold in seconds.
    pub hold_secs: u64,
    /// The hold as it ran.
    pub hold: Option<HoldRecord>,
    /// The hold was verified.
    pub hold_passed: bool,
    /// Switch back asked.
    pub switch_back: bool,
    /// Comment when forced during an incident.
    pub forced: Option<String>,
    /// Why it ended early, and the state the role was left in.
    pub stopped: Option<String>,
    /// Each resume after an interruption.
    pub resumed: Vec<DrillNote>,
    /// Comments.
    pub comments: Vec<DrillNote>,
    /// The legs that ran.
    pub legs: Vec<LegJson>,
}

fn leg_json(record: &DrillRecord, leg: DrillLeg, op: &Operation) -> LegJson {
    let rto_ms = op
        .rto()
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    LegJson {
        leg,
        op_id: op.op_id.clone(),
        from: op.from.clone(),
        to: op.to.clone(),
        begun_at: op.begun_at,
        finished_at: op.finished.map(|(at, _)| at),
        outcome: op.outcome(),
        leg_ms: leg_ms(op),
        rto_ms,
        rto_met: op.outcome() == Some(Outcome::Succeeded)
            && rto_ms.is_some_and(|r| r <= record.rto_target_ms),
        steps: timeline_rows(op),
    }
}

/// The JSON report of a drill and its legs' operations.
pub fn drill_report_json(
    record: &DrillRecord,
    out_op: Option<&Operation>,
    back_op: Option<&Operation>,
) -> DrillReportJson {
    let legs = [(DrillLeg::Out, out_op), (DrillLeg::Back, back_op)]
        .into_iter()
        .filter_map(|(leg, op)| op.map(|op| leg_json(record, leg, op)))
        .collect();
    DrillReportJson {
        drill_id: record.drill_id.clone(),
        role: record.role.clone(),
        from: record.from.clone(),
        to: record.to.clone(),
        operator: record.operator.clone(),
        begun_at: record.begun_at,
        finished_at: record.finished_at,
        verdict: record.verdict.unwrap_or_else(|| record.judge()),
        verdict_line: verdict_line(record),
        rto_target_ms: record.rto_target_ms,
        hold_secs: record.hold_secs,
        hold: record.hold.clone(),
        hold_passed: record.hold.as_ref().is_some_and(HoldRecord::passed),
        switch_back: record.switch_back,
        forced: record.forced.clone(),
        stopped: record.stopped.clone(),
        resumed: record.resumed.clone(),
        comments: record.comments.clone(),
        legs,
    }
}

/// Where the two files of one report went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportPaths {
    /// The Markdown report.
    pub markdown: PathBuf,
    /// The JSON report.
    pub json: PathBuf,
}

/// `<role>-<yyyymmddThhmmssZ>-<first 8 of the id>` (no extension), safe as a file name.
pub fn report_stem(record: &DrillRecord) -> String {
    let t = record.begun_at.to_offset(time::UtcOffset::UTC);
    let safe = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .collect()
    };
    format!(
        "{}-{}{:02}{:02}T{:02}{:02}{:02}Z-{}",
        safe(&record.role),
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        safe(&record.drill_id.chars().take(8).collect::<String>())
    )
}

/// Writes both reports into `dir` (created 0700 if needed), each 0600 and fsynced.
pub fn write_reports(
    dir: &Path,
    record: &DrillRecord,
    out_op: Option<&Operation>,
    back_op: Option<&Operation>,
) -> std::io::Result<ReportPaths> {
    crate::store::private::create_dir_all(dir)?;
    let stem = report_stem(record);
    let paths = ReportPaths {
        markdown: dir.join(format!("{stem}.md")),
        json: dir.join(format!("{stem}.json")),
    };
    let md = drill_report_markdown(record, out_op, back_op);
    let json = serde_json::to_vec_pretty(&drill_report_json(record, out_op, back_op))?;
    crate::store::private::write_file(&paths.markdown, md.as_bytes())?;
    crate::store::private::write_file(&paths.json, &json)?;
    Ok(paths)
}

#[cfg(test)]
mod tests;
