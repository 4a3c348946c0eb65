//! `baton failover ROLE` / `baton switchover ROLE` without the cockpit: print the plan and every
//! blocker, ask for the role name (unless `--yes`), start through the `crate::ops::Runner` (which
//! plans again at confirmation time), and stream one line per operation event (JSON lines with
//! `--json`). Writes only to the writers it is given (the CLI passes stdout and
//! stderr); exit codes: 0 done, 1 failed / blocked / refused / locked, 2 usage, config or auth.

use super::term::confirm;
use super::{
    confirm_role, prepare, print_event, print_plan, refuse_blocked, warn_audit_lost, Terminal,
};
use crate::config::Config;
use crate::core::operation::{Outcome, RollbackMode};
use crate::core::plan::OperationKind;
use crate::failover::{mode_word, ExecError, Request, RunEnd, RunReport};
use crate::ops::{OpEnd, OpStreamEvent, Runner, StartError, StartRequest};
use crate::term_out::Sanitized;
use std::io::{BufRead, Write};
use std::path::PathBuf;

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
    let runner = match prepare(
        config,
        &args.role,
        args.state_dir.as_deref(),
        args.host_id.as_deref(),
        err,
    )
    .await
    {
        Ok(runner) => runner,
        Err(code) => return code,
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
    let start = if args.resume {
        resume_request(config, &runner, args, err).await
    } else {
        new_request(&runner, args, out, err, input).await
    };
    let start = match start {
        Ok(start) => start,
        Err(code) => return code,
    };
    let handle = match runner.start(start).await {
        Ok(handle) => handle,
        Err(e) => return start_error(err, &e),
    };
    let end = super::follow(handle, |item| match item {
        OpStreamEvent::Op { event, .. } => print_event(out, &event, args.json),
        // A failover's or switchover's stream has no drill in it.
        OpStreamEvent::Drill { .. } => {}
    })
    .await;
    match end {
        Ok(OpEnd::Operation(result)) => finish(err, args, result),
        Ok(OpEnd::Drill(_)) => {
            let _ = writeln!(err, "error: a drill ended where an operation was started");
            1
        }
        Err(e) => {
            let _ = writeln!(err, "error: the operation's task ended abnormally: {e}");
            1
        }
    }
}

/// A new operation: prints the plan, refuses a blocked one, asks for the role name.
async fn new_request(
    runner: &Runner,
    args: &HeadlessArgs,
    out: &mut (dyn Write + Send),
    err: &mut (dyn Write + Send),
    input: &mut (dyn BufRead + Send),
) -> Result<StartRequest, u8> {
    let request = Request {
        kind: args.kind,
        to: args.to.clone(),
        force_detach: args.force_detach,
        override_cooldown: args.override_cooldown.clone(),
        drill: None,
    };
    let plan = runner
        .plan(&args.role, &request)
        .await
        .map_err(|e| start_error(err, &e))?;
    print_plan(out, &plan, args.json);
    if let Some(comment) = &args.override_cooldown {
        let _ = writeln!(err, "cooldown overridden: {comment}");
    }
    let audit = runner.audit();
    if !plan.can_confirm() {
        return Err(refuse_blocked(err, &audit, &plan).await);
    }
    let confirmation = confirm_role(err, input, &audit, &plan.role, args.yes)
        .await
        .ok_or(1u8)?;
    Ok(StartRequest::Operation {
        role: plan.role.clone(),
        request,
        confirmation,
    })
}

/// The role's unfinished operation, by its id.
async fn resume_request(
    config: &Config,
    runner: &Runner,
    args: &HeadlessArgs,
    err: &mut (dyn Write + Send),
) -> Result<StartRequest, u8> {
    let Some(op) = runner.unfinished_operation(&args.role).await else {
        let _ = writeln!(err, "no interrupted operation of role {}", args.role);
        return Err(1);
    };
    super::wait::wait_out_lease(config, runner.store(), &args.role, err).await?;
    let _ = writeln!(
        err,
        "resuming {} {} of role {}: {} -> {}",
        op.kind.as_str(),
        op.op_id,
        op.role,
        op.from.as_deref().unwrap_or("?"),
        op.to
    );
    Ok(StartRequest::Resume {
        role: op.role,
        op_id: op.op_id,
        rollback: args.rollback,
        force_detach: args.force_detach,
        override_cooldown: args.override_cooldown.clone(),
    })
}

fn start_error(err: &mut (dyn Write + Send), e: &StartError) -> u8 {
    let _ = writeln!(err, "error: {e}");
    e.exit_code()
}

fn finish(
    err: &mut (dyn Write + Send),
    args: &HeadlessArgs,
    result: Result<RunReport, ExecError>,
) -> u8 {
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
        Err(e) => error_code(err, args, &e),
    }
}

fn error_code(err: &mut (dyn Write + Send), args: &HeadlessArgs, e: &ExecError) -> u8 {
    let _ = writeln!(err, "error: {e}");
    if let ExecError::Store(source) = e {
        if matches!(**source, crate::store::StoreError::LeaseLost { .. }) {
            let resume = format!("baton {} {} --resume", args.kind.as_str(), args.role);
            return super::lease_lost(err, &resume);
        }
    }
    if e.is_auth() {
        2
    } else {
        1
    }
}
