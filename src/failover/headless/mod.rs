//! `baton failover ROLE` / `baton switchover ROLE` without the cockpit: print the plan and every
//! blocker, ask for the role name (unless `--yes`), run, and stream one line per operation event
//! (JSON lines with `--json`). Writes only to the writers it is given (the CLI passes stdout and
//! stderr); exit codes: 0 done, 1 failed / blocked / refused / locked, 2 usage, config or auth.

use super::executor::{ExecError, Executor, ExecutorOptions, Request, RunEnd, RunReport};
use super::operator::Operator;
use crate::config::Config;
use crate::core::operation::{OpEvent, Outcome, RollbackMode};
use crate::core::plan::OperationKind;
use crate::term_out::Sanitized;
use std::io::{BufRead, Write};
use std::path::PathBuf;
use tokio::sync::{mpsc, watch};

mod term;

use term::confirm;
pub use term::{
    confirm_role, event_line, mode_word, prepare, print_event, print_plan, refuse_blocked,
    warn_audit_lost, Terminal,
};

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
    /// This host's name in shared locks (`--host-id` / `BATON_HOST_ID`; `azure-blob` only).
    pub host_id: Option<String>,
}

/// Runs the command; returns the exit code.
pub async fn run(config: &Config, args: &HeadlessArgs, term: Terminal<'_>) -> u8 {
    let Terminal { out, err, input } = term;
    // Sanitized here as well as at the CLI's edge: a caller handing in a raw stream still
    // gets no control byte from an ARM message or a VM name.
    let (mut out, mut err) = (Sanitized::new(out), Sanitized::new(err));
    let (out, err): (&mut (dyn Write + Send), &mut (dyn Write + Send)) = (&mut out, &mut err);
    let (role, dir, arm) = match prepare(config, &args.role, args.state_dir.as_deref(), err) {
        Ok(parts) => parts,
        Err(code) => return code,
    };
    let store = match crate::setup::store(config, dir, args.host_id.as_deref()).await {
        Ok(store) => store,
        Err(e) => {
            // Fail closed: without the shared lock, acting could split the brain.
            let _ = writeln!(err, "error: coordination unavailable, nothing done: {e}");
            return 1;
        }
    };
    let (tx, rx) = mpsc::channel(256);
    let exec = Executor::new(
        arm,
        role,
        store,
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
        return refuse_blocked(err, exec.audit(), &plan).await;
    }
    let Some(how) = confirm_role(err, input, exec.audit(), &plan.role, args.yes).await else {
        return 1;
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
    let Some(op) = exec.interrupted().await.into_iter().next() else {
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
    if let Ok(report) = &result {
        warn_audit_lost(err, report.audit_lost.iter().cloned());
    }
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

async fn print_events(mut rx: mpsc::Receiver<OpEvent>, out: &mut (dyn Write + Send), json: bool) {
    while let Some(ev) = rx.recv().await {
        print_event(out, &ev, json);
    }
}
