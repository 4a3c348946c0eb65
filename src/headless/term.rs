//! The terminal side shared by the headless commands (`failover`, `switchover`, `drill`):
//! setup of the role, state directory and client, the typed confirmation, the refusal of a
//! blocked plan, and how plans and events are printed. Writes only to the writers it is given.

use crate::config::Config;
use crate::core::name::typed_name_confirms;
use crate::core::operation::OpEvent;
use crate::core::plan::{human_duration, Plan};
use crate::failover::{Audit, AuditEvent, Operator, StateDir};
use crate::ops::{Confirmation, Runner};
use std::io::{BufRead, Write};
use std::sync::Arc;

/// Where the command writes and reads.
pub struct Terminal<'a> {
    /// Plan and events.
    pub out: &'a mut (dyn Write + Send),
    /// Prompts and errors.
    pub err: &'a mut (dyn Write + Send),
    /// Typed confirmations.
    pub input: &'a mut (dyn BufRead + Send),
}

/// The operations runner of the command (write client, the configured store — local, or Azure
/// Blob Storage as `host_id` — operator, options from `config`), or the exit code after saying
/// what is missing: 2 for the role, the state directory or a credential; 1 when coordination
/// storage is unreachable (fail closed: nothing is done without the shared lock).
pub async fn prepare(
    config: &Config,
    role: &str,
    state_dir: Option<&std::path::Path>,
    host_id: Option<&str>,
    err: &mut (dyn Write + Send),
) -> Result<Runner, u8> {
    if config.role(role).is_none() {
        let _ = writeln!(
            err,
            "error: no role named `{role}` in {}",
            config.source.display()
        );
        return Err(2);
    }
    let Some(dir) = StateDir::discover(state_dir) else {
        let _ = writeln!(err, "error: {}", crate::core::wording::MISSING_STATE_DIR);
        return Err(2);
    };
    let arm = match crate::setup::arm_client(config) {
        Ok(arm) => arm,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return Err(2);
        }
    };
    let store = match crate::setup::store(config, dir.clone(), host_id).await {
        Ok(store) => store,
        Err(e) => {
            // Fail closed: without the shared lock, acting could split the brain.
            let _ = writeln!(err, "error: coordination unavailable, nothing done: {e}");
            return Err(1);
        }
    };
    let runner = Runner::new(arm, Arc::new(config.clone()), dir, Operator::from_env());
    Ok(runner.with_store(store))
}

/// Prints every blocker of `plan` and audits the refusal; returns the exit code (1).
pub async fn refuse_blocked(err: &mut (dyn Write + Send), audit: &Audit, plan: &Plan) -> u8 {
    let reasons: Vec<String> = plan.blockers.iter().map(ToString::to_string).collect();
    for r in &reasons {
        let _ = writeln!(err, "blocked: {r}");
    }
    if plan.to.is_none() && reasons.is_empty() {
        let _ = writeln!(err, "blocked: no target");
    }
    let lost = audit
        .note(&plan.role, None, &AuditEvent::Refused { reasons })
        .await;
    warn_audit_lost(err, lost);
    1
}

/// How the operator confirmed: `--yes`, or the role name typed on `input`. A mismatch is
/// audited and said on `err`, and gives `None` (nothing may be done).
pub async fn confirm_role(
    err: &mut (dyn Write + Send),
    input: &mut (dyn BufRead + Send),
    audit: &Audit,
    role: &str,
    yes: bool,
) -> Option<Confirmation> {
    if yes {
        return Some(Confirmation::Yes);
    }
    let _ = writeln!(err, "Type the role name ({role}) to confirm:");
    match read_line(input) {
        Some(typed) if typed_name_confirms(role, &typed) => Some(Confirmation::Typed(typed)),
        typed => {
            let typed = typed.unwrap_or_default();
            let refused = AuditEvent::ConfirmationRefused {
                typed: typed.chars().filter(|c| !c.is_control()).collect(),
            };
            let lost = audit.note(role, None, &refused).await;
            let _ = writeln!(err, "`{typed}` is not `{role}`: nothing done");
            warn_audit_lost(err, lost);
            None
        }
    }
}

/// The exit code of a run whose role lock's lease was lost mid-way (3), after saying what it
/// means: nothing more was sent to Azure, and another host may hold the lock by now.
pub fn lease_lost(err: &mut (dyn Write + Send), resume: &str) -> u8 {
    let _ = writeln!(
        err,
        "lease lost: stopped before the next Azure write; another host may hold the lock now.\n\
         the operation is safe to resume from any host: {resume}"
    );
    LEASE_LOST
}

/// Exit code of a run stopped because its lease was lost (see `docs/cli.md`).
pub const LEASE_LOST: u8 = 3;

/// Says on `err` that audit records were lost, one line each.
pub fn warn_audit_lost(err: &mut (dyn Write + Send), lost: impl IntoIterator<Item = String>) {
    for message in lost {
        let _ = writeln!(err, "warning: {message}");
    }
}

pub(crate) fn read_line(input: &mut (dyn BufRead + Send)) -> Option<String> {
    let mut line = String::new();
    match input.read_line(&mut line) {
        Ok(0) | Err(_) => None,
        Ok(_) => Some(line.trim().to_owned()),
    }
}

pub(super) fn confirm(
    err: &mut (dyn Write + Send),
    input: &mut (dyn BufRead + Send),
    word: &str,
) -> bool {
    let _ = writeln!(err, "Type `{word}` to confirm:");
    read_line(input).is_some_and(|t| t == word)
}

/// The plan as text (from → to, estimate, one line per step), or one JSON line with the plan
/// and its blockers' texts.
pub fn print_plan(out: &mut (dyn Write + Send), plan: &Plan, json: bool) {
    if json {
        let blockers: Vec<String> = plan.blockers.iter().map(ToString::to_string).collect();
        let line = serde_json::json!({"plan": plan, "blocker_text": blockers});
        let _ = writeln!(out, "{line}");
        return;
    }
    let _ = writeln!(
        out,
        "{} of role {}: {} -> {} (estimate {})",
        plan.kind.as_str(),
        plan.role,
        plan.from.as_deref().unwrap_or("nobody"),
        plan.to.as_deref().unwrap_or("no target"),
        human_duration(plan.estimated_total)
    );
    for (i, step) in plan.steps.iter().enumerate() {
        let done = if step.already_done {
            " (already done)"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "  {:>2}. {:<9} {}{done}",
            i,
            step.kind.label(),
            step.what
        );
        if let Some(beside) = step.beside() {
            let _ = writeln!(out, "      {:<9} {beside}", "");
        }
    }
}

/// One event as a line: JSON, or [`event_line`]; flushed.
pub fn print_event(out: &mut (dyn Write + Send), ev: &OpEvent, json: bool) {
    let line = if json {
        serde_json::to_string(ev).unwrap_or_default()
    } else {
        event_line(ev)
    };
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// One event in plain words, control characters stripped (ARM strings reach the terminal).
pub fn event_line(ev: &OpEvent) -> String {
    let text = match ev {
        OpEvent::Begun {
            op_id, kind, to, ..
        } => format!("begun {} {op_id} -> {to}", kind.as_str()),
        OpEvent::StepStarted { step, .. } => format!("{:<9} started", step.label()),
        OpEvent::StepProgress { step, note, .. } => format!("{:<9} {note}", step.label()),
        OpEvent::StepDone {
            step, request_ids, ..
        } if request_ids.is_empty() => format!("{:<9} done", step.label()),
        OpEvent::StepDone {
            step, request_ids, ..
        } => format!(
            "{:<9} done (request ids {})",
            step.label(),
            request_ids.join(", ")
        ),
        OpEvent::StepSkipped { step, reason, .. } => {
            format!("{:<9} skipped: {reason}", step.label())
        }
        OpEvent::StepFailed { step, error, .. } => format!("{:<9} FAILED: {error}", step.label()),
        OpEvent::AbortRequested { by, .. } => format!("abort requested by {by}"),
        OpEvent::RollbackChosen { mode, by, .. } => format!("{by} chose: {}", mode.label()),
        OpEvent::Finished { outcome, .. } => format!("finished: {outcome:?}"),
        OpEvent::Comment { by, text, .. } => format!("{by}: {text}"),
    };
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}
