//! The failover/switchover flow's transitions that do not come from a key inside a dialog:
//! asking for a plan, taking in the engine's plans and journal events, interrupted operations
//! found at start-up, and opening the abort / choice / summary dialogs when they are due.
//!
//! Pure like the rest of `update`. Callers have already refused everything in read-only and
//! wall mode. A journal event that does not fold is logged, never fatal.

use super::super::state::ops::{outcome_word, Choice, Dialog, OpView, Preview};
use super::super::state::UiState;
use super::{log_now, push_log};
use crate::core::operation::{OpEvent, Operation, Outcome};
use crate::core::plan::{human_duration, OperationKind, Plan};
use crate::core::snapshot::Severity;
use crate::core::text::sanitize;
use crate::protocol::{Effect, OpEffect};

/// `f` / `s` on the selected role: open the preview (planning…) and ask the engine for a plan.
pub(super) fn request(state: &mut UiState, kind: OperationKind) -> Vec<Effect> {
    let Some(role) = state.selected_role() else {
        return Vec::new();
    };
    let name = role.role.clone();
    let refused = coordination_refusal(state);
    let standbys = role
        .vms
        .iter()
        .filter(|v| !v.is_master)
        .map(|v| v.name.clone())
        .collect();
    state
        .ops
        .dialogs
        .push_back(Dialog::Preview(Box::new(Preview {
            role: name.clone(),
            kind,
            target: None,
            standbys,
            plan: None,
            error: refused.clone(),
            typed: String::new(),
            scroll: 0,
        })));
    if refused.is_some() {
        return Vec::new();
    }
    let text = format!("{} plan requested", kind.as_str());
    log_now(state, Severity::Info, Some(sanitize(&name)), text);
    vec![Effect::Op(OpEffect::RequestPlan {
        role: name.into(),
        kind,
        target: None,
    })]
}

/// Why no operation may start now: the shared store cannot be read, so its lock cannot be
/// taken (the engine would refuse too; the preview says so without asking).
pub(super) fn coordination_refusal(state: &UiState) -> Option<String> {
    let why = state.snapshot().coordination.unavailable.as_deref()?;
    Some(format!(
        "coordination unavailable: {why}. Operations are refused until the shared store \
         answers again (checked at every refresh)."
    ))
}

/// The preview waiting for a plan of this role and kind.
fn preview_for<'a>(
    state: &'a mut UiState,
    role: &str,
    kind: OperationKind,
) -> Option<&'a mut Preview> {
    state.ops.dialogs.iter_mut().find_map(|d| match d {
        Dialog::Preview(p) if p.role == role && p.kind == kind => Some(&mut **p),
        _ => None,
    })
}

/// A plan arrived: it replaces what the preview showed, and the typed text is cleared so the
/// operator confirms the plan on screen, not an earlier one.
pub(super) fn on_plan(state: &mut UiState, plan: Plan) -> Vec<Effect> {
    if let Some(why) = coordination_refusal(state) {
        // The store went away while it planned: no plan to confirm until it is back.
        return on_plan_error(state, &why);
    }
    let Some(preview) = preview_for(state, &plan.role, plan.kind) else {
        tracing::debug!(role = %plan.role, "plan without an open preview ignored");
        return Vec::new();
    };
    preview.target = plan.to.clone().or(preview.target.take());
    preview.plan = Some(plan);
    preview.error = None;
    preview.typed.clear();
    preview.scroll = 0;
    state.dirty = true;
    Vec::new()
}

/// Planning failed: the open preview says why.
pub(super) fn on_plan_error(state: &mut UiState, error: &str) -> Vec<Effect> {
    let Some(Dialog::Preview(preview)) = state
        .ops
        .dialogs
        .iter_mut()
        .find(|d| matches!(d, Dialog::Preview(_)))
    else {
        return Vec::new();
    };
    preview.plan = None;
    preview.error = Some(sanitize(error));
    preview.typed.clear();
    state.dirty = true;
    Vec::new()
}

/// Folds one journal event into its operation, then opens or closes the dialogs it makes due.
pub(super) fn on_event(state: &mut UiState, op_id: &str, event: &OpEvent) -> Vec<Effect> {
    state.dirty = true;
    let folded = match event {
        OpEvent::Begun { .. } if state.ops.get(op_id).is_none() => {
            Operation::begin(event).map(|op| {
                state.ops.ops.push(OpView {
                    op,
                    interrupted: false,
                    choice_sent: false,
                    remote: None,
                });
            })
        }
        _ => match state.ops.get_mut(op_id) {
            Some(view) => view.op.apply(event).map(|()| {
                if !matches!(event, OpEvent::RollbackChosen { .. }) {
                    view.choice_sent = false;
                }
            }),
            None => {
                tracing::warn!(op_id, ?event, "event for an unknown operation ignored");
                return Vec::new();
            }
        },
    };
    if let Err(e) = folded {
        tracing::warn!(op_id, ?event, error = %e, "journal event does not fold; ignored");
        let text = format!("operation event out of order ignored: {e}");
        log_now(state, Severity::Warn, None, sanitize(&text));
        return Vec::new();
    }
    log_event(state, op_id, event);
    refresh_dialogs(state, op_id);
    Vec::new()
}

/// Folds one event of an operation another baton runs: it is followed like ours (same steps
/// pane, same log lines) but marked remote, and opens no dialog — nothing can be decided about
/// it from here.
pub(super) fn on_remote_event(
    state: &mut UiState,
    op_id: &str,
    by: &str,
    event: &OpEvent,
) -> Vec<Effect> {
    state.dirty = true;
    let folded = match (event, state.ops.get_mut(op_id)) {
        // The journal from its start: it replaces whatever this cockpit knew of the operation
        // (found "interrupted" at start-up while its holder was in fact running it).
        (OpEvent::Begun { .. }, _) => Operation::begin(event).map(|op| {
            let ops = &mut state.ops;
            ops.ops
                .retain(|v| v.op.op_id != op_id && (v.op.role != op.role || !v.op.is_finished()));
            ops.dialogs.retain(|d| d.op_id() != Some(op_id));
            ops.ops.push(OpView {
                op,
                interrupted: false,
                choice_sent: false,
                remote: Some(sanitize(by)),
            });
        }),
        (_, Some(view)) => view.op.apply(event),
        (_, None) => {
            tracing::warn!(op_id, ?event, "remote event before its Begun ignored");
            return Vec::new();
        }
    };
    if let Err(e) = folded {
        tracing::warn!(op_id, ?event, error = %e, "remote journal event does not fold; ignored");
        return Vec::new();
    }
    log_event(state, op_id, event);
    Vec::new()
}

/// The event-log line for the events worth a line (begin, failure, abort, end).
fn log_event(state: &mut UiState, op_id: &str, event: &OpEvent) {
    let Some(view) = state.ops.get(op_id) else {
        return;
    };
    let role = Some(sanitize(&view.op.role));
    let kind = match &view.op.drill {
        Some(link) => format!("drill leg {}", link.leg.as_str()),
        None => view.op.kind.as_str().to_string(),
    };
    let (severity, text) = match event {
        OpEvent::Begun { to, operator, .. } => {
            let text = match &view.remote {
                Some(by) => format!("{kind} to {to} begun by {by} (remote)"),
                None => format!("{kind} to {to} begun by {operator}"),
            };
            (Severity::Warn, text)
        }
        OpEvent::StepFailed { step, error, .. } => (
            Severity::Critical,
            format!("{kind} step {} FAILED: {error}", step.label()),
        ),
        OpEvent::AbortRequested { by, .. } => {
            (Severity::Warn, format!("{kind} abort requested by {by}"))
        }
        OpEvent::RollbackChosen { mode, by, .. } => (
            Severity::Warn,
            format!("{kind}: {by} chose {}", mode.label()),
        ),
        OpEvent::Finished { outcome, .. } => {
            let rto = view
                .op
                .rto()
                .map(human_duration)
                .unwrap_or_else(|| "—".into());
            let sev = match outcome {
                Outcome::Succeeded => Severity::Info,
                Outcome::RolledBack | Outcome::Aborted => Severity::Warn,
                Outcome::Failed => Severity::Critical,
            };
            (
                sev,
                format!("{kind} finished: {} (RTO {rto})", outcome_word(*outcome)),
            )
        }
        _ => return,
    };
    // Logged at the journal's time, so the log reads as the operation happened.
    push_log(state, event.at(), severity, role, sanitize(&text));
}

/// After an event: a finished operation gets its summary (and loses its other dialogs); one
/// that waits for the operator gets a choice dialog; a choice no longer on offer closes.
fn refresh_dialogs(state: &mut UiState, op_id: &str) {
    let Some(view) = state.ops.get(op_id) else {
        return;
    };
    let finished = view.op.is_finished();
    let due = view.needs_choice();
    let interrupted = view.interrupted;
    let options = choices(view);
    let drill_leg = state.ops.is_followed_drill_leg(view);
    let ops = &mut state.ops;
    if finished {
        ops.dialogs.retain(|d| d.op_id() != Some(op_id));
        if drill_leg {
            // The drill goes on (hold, the other leg); its own summary comes at the end.
            return;
        }
        ops.dialogs.push_back(Dialog::Summary {
            op_id: op_id.to_string(),
        });
        return;
    }
    if !due {
        ops.dialogs
            .retain(|d| !(d.op_id() == Some(op_id) && matches!(d, Dialog::Choose { .. })));
        return;
    }
    // A halted operation cannot be aborted again; the choice replaces the confirmation.
    ops.dialogs
        .retain(|d| !(d.op_id() == Some(op_id) && matches!(d, Dialog::Abort { .. })));
    if let Some(Dialog::Choose {
        options: o, cursor, ..
    }) = ops
        .dialogs
        .iter_mut()
        .find(|d| d.op_id() == Some(op_id) && matches!(d, Dialog::Choose { .. }))
    {
        if *o != options {
            *o = options;
            *cursor = 0;
        }
        return;
    }
    ops.dialogs.push_back(Dialog::Choose {
        op_id: op_id.to_string(),
        options,
        cursor: 0,
        interrupted,
        typed: String::new(),
    });
}

/// What an operation offers: resume first when it was found interrupted, then exactly its
/// `rollback_options()`.
fn choices(view: &OpView) -> Vec<Choice> {
    let resume = view.interrupted && !view.op.is_halted();
    resume
        .then_some(Choice::Resume)
        .into_iter()
        .chain(view.op.rollback_options().into_iter().map(Choice::Rollback))
        .collect()
}

/// Operations found unfinished at start-up: each is followed and gets its own dialog.
pub(super) fn on_interrupted(state: &mut UiState, found: Vec<Operation>) -> Vec<Effect> {
    for op in found.into_iter().filter(|op| !op.is_finished()) {
        let op_id = op.op_id.clone();
        let role = sanitize(&op.role);
        let view = OpView {
            op,
            interrupted: true,
            choice_sent: false,
            remote: None,
        };
        let options = choices(&view);
        state.ops.ops.retain(|v| v.op.op_id != op_id);
        state
            .ops
            .dialogs
            .retain(|d| d.op_id() != Some(op_id.as_str()));
        state.ops.ops.push(view);
        state.ops.dialogs.push_back(Dialog::Choose {
            op_id,
            options,
            cursor: 0,
            interrupted: true,
            typed: String::new(),
        });
        log_now(
            state,
            Severity::Warn,
            Some(role),
            "interrupted operation found".into(),
        );
    }
    state.dirty = true;
    Vec::new()
}

/// `A` on the selected role: confirm an abort of its running operation, or reopen the choice
/// it waits for (an interrupted operation, a failure, a halt).
pub(super) fn abort(state: &mut UiState) {
    let Some(role) = state.selected_role().map(|r| r.role.clone()) else {
        return;
    };
    let Some(view) = state.ops.for_role(&role).filter(|v| !v.op.is_finished()) else {
        if let Some(op_id) = super::drill::abortable_leg(state, &role) {
            state.ops.dialogs.push_back(Dialog::Abort {
                op_id,
                typed: String::new(),
            });
            return;
        }
        log_now(
            state,
            Severity::Info,
            Some(sanitize(&role)),
            "no running operation to abort".into(),
        );
        return;
    };
    if let Some(by) = &view.remote {
        let text = format!("{by} runs this operation on another host: only they can abort it");
        log_now(state, Severity::Info, Some(sanitize(&role)), text);
        return;
    }
    let op_id = view.op.op_id.clone();
    let waiting = view.op.running_steps().is_empty()
        && (view.interrupted || view.op.is_halted() || view.needs_choice());
    let dialog = if waiting {
        let options = choices(view);
        if options.is_empty() {
            return;
        }
        Dialog::Choose {
            op_id,
            options,
            cursor: 0,
            interrupted: view.interrupted,
            typed: String::new(),
        }
    } else if view.op.is_halted() {
        return;
    } else {
        Dialog::Abort {
            op_id,
            typed: String::new(),
        }
    };
    state.ops.dialogs.push_back(dialog);
}
