//! `baton failover ROLE` / `baton switchover ROLE` without the cockpit: print the plan and every
//! blocker, ask for the role name (unless `--yes`), run, and stream one line per operation event
//! (JSON lines with `--json`). Writes only to the writers it is given (the CLI passes stdout and
//! stderr); exit codes: 0 done, 1 failed / blocked / refused / locked, 2 usage, config or auth.

use super::executor::{ExecError, Executor, ExecutorOptions, Request, RunEnd, RunReport};
use super::operator::Operator;
use super::state_dir::StateDir;
use super::AuditEvent;
use crate::config::Config;
use crate::core::operation::{OpEvent, Outcome, RollbackMode};
use crate::core::plan::{human_duration, OperationKind, Plan};
use std::io::{BufRead, Write};
use std::path::PathBuf;
use tokio::sync::{mpsc, watch};

/// What the command line asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeadlessArgs {
    /// The role.
    pub role: String,
    /// Failover or switchover.
    pub kind: OperationKind,
    /// The target VM.
    pub to: Option<String>,
    /// Skip the typed confirmations.
    pub yes: bool,
    /// JSON lines instead of text.
    pub json: bool,
    /// Continue the role's interrupted operation instead of starting one.
    pub resume: bool,
    /// With `resume`: how to go on after an abort or a failure.
    pub rollback: Option<RollbackMode>,
    /// Break-glass `ForceDetach`.
    pub force_detach: bool,
    /// Override the cooldown with this comment.
    pub override_cooldown: Option<String>,
    /// State directory (else `BATON_STATE_DIR`, XDG, `~/.local/state/baton`).
    pub state_dir: Option<PathBuf>,
}

/// Where the command writes and reads.
pub struct Terminal<'a> {
    /// Plan and events.
    pub out: &'a mut (dyn Write + Send),
    /// Prompts and errors.
    pub err: &'a mut (dyn Write + Send),
    /// Typed confirmations.
    pub input: &'a mut (dyn BufRead + Send),
}

/// Runs the command; returns the exit code.
pub async fn run(config: &Config, args: &HeadlessArgs, term: Terminal<'_>) -> u8 {
    let Terminal { out, err, input } = term;
    let Some(role) = config.role(&args.role).cloned() else {
        let _ = writeln!(
            err,
            "error: no role named `{}` in {}",
            args.role,
            config.source.display()
        );
        return 2;
    };
    let Some(dir) = StateDir::discover(args.state_dir.as_deref()) else {
        let _ = writeln!(
            err,
            "error: no state directory: set BATON_STATE_DIR or HOME"
        );
        return 2;
    };
    let arm = match crate::setup::arm_client(config) {
        Ok(a) => a,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return 2;
        }
    };
    let (tx, rx) = mpsc::channel(256);
    let exec = Executor::new(
        arm,
        role,
        dir,
        Operator::from_env(),
        ExecutorOptions::from_config(config),
        tx,
    );
    let req = Request {
        kind: args.kind,
        to: args.to.clone(),
        force_detach: args.force_detach,
        override_cooldown: args.override_cooldown.clone(),
        drill: None,
    };
    if args.force_detach && !args.yes {
        let _ = writeln!(
            err,
            "--force-detach: ForceDetach may lose writes the old master has in flight."
        );
        if !confirm(err, input, "force-detach") {
            let _ = writeln!(err, "not confirmed: nothing done");
            return 1;
        }
    }
    let (abort_tx, abort) = watch::channel(false);
    let ctrl_c = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            let _ = abort_tx.send(true);
        }
    });
    let code = if args.resume {
        resume(exec, &req, args, abort, rx, out, err).await
    } else {
        start(exec, &req, args, abort, rx, out, err, input).await
    };
    ctrl_c.abort();
    code
}

#[allow(clippy::too_many_arguments)]
async fn start(
    exec: Executor,
    req: &Request,
    args: &HeadlessArgs,
    abort: watch::Receiver<bool>,
    rx: mpsc::Receiver<OpEvent>,
    out: &mut (dyn Write + Send),
    err: &mut (dyn Write + Send),
    input: &mut (dyn BufRead + Send),
) -> u8 {
    let plan = match exec.plan(req).await {
        Ok(p) => p,
        Err(e) => return error_code(err, &e),
    };
    print_plan(out, &plan, args.json);
    if let Some(comment) = &args.override_cooldown {
        let _ = writeln!(err, "cooldown overridden: {comment}");
    }
    if !plan.can_confirm() {
        let reasons: Vec<String> = plan.blockers.iter().map(ToString::to_string).collect();
        for r in &reasons {
            let _ = writeln!(err, "blocked: {r}");
        }
        if plan.to.is_none() && reasons.is_empty() {
            let _ = writeln!(err, "blocked: no target");
        }
        exec.audit()
            .note(&plan.role, None, &AuditEvent::Refused { reasons });
        return 1;
    }
    let how = if args.yes {
        "--yes".to_owned()
    } else {
        let _ = writeln!(err, "Type the role name ({}) to confirm:", plan.role);
        match read_line(input) {
            Some(typed) if typed == plan.role => "typed role name".to_owned(),
            typed => {
                let typed = typed.unwrap_or_default();
                exec.audit().note(
                    &plan.role,
                    None,
                    &AuditEvent::ConfirmationRefused {
                        typed: typed.chars().filter(|c| !c.is_control()).collect(),
                    },
                );
                let _ = writeln!(err, "`{typed}` is not `{}`: nothing done", plan.role);
                return 1;
            }
        }
    };
    let work = async move {
        let r = exec.run(req, &plan, &how, abort).await;
        drop(exec);
        r
    };
    let (result, ()) = tokio::join!(work, print_events(rx, out, args.json));
    finish(err, result)
}

#[allow(clippy::too_many_arguments)]
async fn resume(
    exec: Executor,
    req: &Request,
    args: &HeadlessArgs,
    abort: watch::Receiver<bool>,
    rx: mpsc::Receiver<OpEvent>,
    out: &mut (dyn Write + Send),
    err: &mut (dyn Write + Send),
) -> u8 {
    let Some(op) = exec.interrupted().into_iter().next() else {
        let _ = writeln!(err, "no interrupted operation of role {}", args.role);
        return 1;
    };
    let _ = writeln!(
        err,
        "resuming {} {} of role {}: {} -> {}",
        op.kind.as_str(),
        op.op_id,
        op.role,
        op.from.as_deref().unwrap_or("?"),
        op.to
    );
    let mode = args.rollback;
    let work = async move {
        let r = match mode {
            Some(m) => exec.rollback(op, m, req, abort).await,
            None => exec.resume(op, req, abort).await,
        };
        drop(exec);
        r
    };
    let (result, ()) = tokio::join!(work, print_events(rx, out, args.json));
    finish(err, result)
}

fn finish(err: &mut (dyn Write + Send), result: Result<RunReport, ExecError>) -> u8 {
    match result {
        Ok(report) => match report.end {
            RunEnd::Finished(Outcome::Succeeded | Outcome::RolledBack) => 0,
            RunEnd::Finished(outcome) => {
                let _ = writeln!(err, "operation {} ended {outcome:?}", report.op_id);
                1
            }
            RunEnd::Stopped { step, error } => {
                let _ = writeln!(
                    err,
                    "step {} failed: {error}\nthe operation {} is safe to resume: baton {} {} --resume",
                    step.label(),
                    report.op_id,
                    report.operation.kind.as_str(),
                    report.operation.role
                );
                1
            }
            RunEnd::Halted => {
                let _ = writeln!(
                    err,
                    "aborted between steps; choose with --resume [--rollback {}]",
                    report
                        .operation
                        .rollback_options()
                        .iter()
                        .map(|m| mode_word(*m))
                        .collect::<Vec<_>>()
                        .join("|")
                );
                1
            }
        },
        Err(e) => error_code(err, &e),
    }
}

fn error_code(err: &mut (dyn Write + Send), e: &ExecError) -> u8 {
    let _ = writeln!(err, "error: {e}");
    if e.is_auth() {
        2
    } else {
        1
    }
}

/// The command-line spelling of a rollback mode.
pub fn mode_word(mode: RollbackMode) -> &'static str {
    match mode {
        RollbackMode::RestoreEndpoint => "restore-endpoint",
        RollbackMode::ReattachOld => "reattach-old",
        RollbackMode::RollForward => "roll-forward",
    }
}

fn read_line(input: &mut (dyn BufRead + Send)) -> Option<String> {
    let mut line = String::new();
    match input.read_line(&mut line) {
        Ok(0) | Err(_) => None,
        Ok(_) => Some(line.trim().to_owned()),
    }
}

fn confirm(err: &mut (dyn Write + Send), input: &mut (dyn BufRead + Send), word: &str) -> bool {
    let _ = writeln!(err, "Type `{word}` to confirm:");
    read_line(input).is_some_and(|t| t == word)
}

fn print_plan(out: &mut (dyn Write + Send), plan: &Plan, json: bool) {
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
    }
}

async fn print_events(mut rx: mpsc::Receiver<OpEvent>, out: &mut (dyn Write + Send), json: bool) {
    while let Some(ev) = rx.recv().await {
        let line = if json {
            serde_json::to_string(&ev).unwrap_or_default()
        } else {
            event_line(&ev)
        };
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }
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
