//! Drills in the cockpit: the engine reports a drill's record after every phase
//! (`EngineMsg::Drill`); the cockpit follows it, keeps its legs' step streams on screen between the
//! legs (their own summaries are skipped), and opens the drill's summary with the verdict when
//! it ends. Pure like the rest of `update`.

use super::super::state::ops::{Dialog, DrillView};
use super::super::state::UiState;
use super::log_now;
use crate::core::drill::DrillRecord;
use crate::core::plan::human_duration;
use crate::core::snapshot::Severity;
use crate::core::text::sanitize;
use crate::protocol::Effect;
use std::path::PathBuf;

/// The drill's latest record (and report path, once written).
pub(super) fn on_drill(
    state: &mut UiState,
    record: DrillRecord,
    report: Option<PathBuf>,
) -> Vec<Effect> {
    state.dirty = true;
    let id = record.drill_id.clone();
    let role = sanitize(&record.role);
    let known = state.ops.drill(&id).cloned();
    if known.is_none() {
        let text = format!(
            "drill begun by {}: {} → {} and back, hold {}",
            record.operator,
            record.from,
            record.to,
            human_duration(std::time::Duration::from_secs(record.hold_secs))
        );
        log_now(state, Severity::Warn, Some(role.clone()), sanitize(&text));
    }
    let was_finished = known.as_ref().is_some_and(|d| d.record.is_finished());
    let finished_now = record.is_finished() && !was_finished;
    let verdict = record.verdict.unwrap_or_else(|| record.judge());
    let view = DrillView {
        report: report.or_else(|| known.and_then(|k| k.report)),
        record,
    };
    match state
        .ops
        .drills
        .iter_mut()
        .find(|d| d.record.drill_id == id)
    {
        Some(slot) => *slot = view,
        None => state.ops.drills.push(view),
    }
    if finished_now {
        let text = format!("drill finished: {}", verdict.as_str());
        let severity = match verdict {
            crate::core::drill::Verdict::Pass => Severity::Info,
            crate::core::drill::Verdict::Fail => Severity::Critical,
        };
        log_now(state, severity, Some(role), text);
        state.ops.dialogs.retain(|d| !drill_summary_of(d, &id));
        state
            .ops
            .dialogs
            .push_back(Dialog::DrillSummary { drill_id: id });
    }
    Vec::new()
}

fn drill_summary_of(dialog: &Dialog, id: &str) -> bool {
    matches!(dialog, Dialog::DrillSummary { drill_id } if drill_id == id)
}

/// Closing a drill's summary stops following the drill and its legs.
pub(super) fn forget(state: &mut UiState, drill_id: &str) {
    state.ops.drills.retain(|d| d.record.drill_id != drill_id);
    let of_drill = |v: &super::super::state::ops::OpView| {
        v.op.drill.as_ref().map(|l| l.drill_id.as_str()) == Some(drill_id)
    };
    state.ops.ops.retain(|v| !of_drill(v));
}

/// The leg to name in an abort request while a drill of `role` runs between its legs (the
/// engine maps any leg of a drill to the drill's abort switch).
pub(super) fn abortable_leg(state: &UiState, role: &str) -> Option<String> {
    let drill = state
        .ops
        .drill_of(role)
        .filter(|d| !d.record.is_finished())?;
    drill.record.legs.last().map(|leg| leg.op_id.clone())
}
