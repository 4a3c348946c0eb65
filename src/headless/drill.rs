//! `baton drill ROLE` without the cockpit: print the plan of the way out and every blocker (the
//! incident included), ask for the role name unless `--yes`, run (or `--resume` an interrupted
//! drill) through the `crate::ops::Runner`, print its one ordered stream, one line per leg
//! event and per drill update (JSON lines with `--json`), then the verdict line and the report
//! paths. Writes only to the writers it is given; shares the
//! terminal helpers of `crate::headless`. Exit codes: 0 PASS; 1 FAIL, blocked, refused,
//! locked; 2 usage, config or auth.

use super::{
    confirm_role, prepare, print_event, print_plan, refuse_blocked, warn_audit_lost, Terminal,
};
use crate::config::Config;
use crate::core::drill::Verdict;
use crate::core::text::sanitize;
use crate::drill::report::human_ms;
use crate::drill::{DrillError, DrillOutcome, DrillPlan, DrillRequest, DrillUpdate};
use crate::ops::{OpEnd, OpStreamEvent, Runner, StartError, StartRequest};
use crate::term_out::Sanitized;
use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::time::Duration;

/// What the command line asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrillArgs {
    /// The role.
    pub role: String,
    /// The standby to visit.
    pub to: Option<String>,
    /// The hold.
    pub hold: Duration,
    /// False with `--no-switch-back`.
    pub switch_back: bool,
    /// `--report DIR`.
    pub report_dir: Option<PathBuf>,
    /// Skip the typed confirmation.
    pub yes: bool,
    /// JSON lines instead of text.
    pub json: bool,
    /// Go on with the role's interrupted drill.
    pub resume: bool,
    /// `--force-during-incident COMMENT`.
    pub force_during_incident: Option<String>,
    /// `--comment TEXT`.
    pub comment: Option<String>,
    /// State directory.
    pub state_dir: Option<PathBuf>,
}

/// Runs the command; returns the exit code.
pub async fn run(config: &Config, args: &DrillArgs, term: Terminal<'_>) -> u8 {
    let Terminal { out, err, input } = term;
    // Sanitized here as well as at the CLI's edge: a caller handing in a raw stream still
    // gets no control byte from an ARM message or a VM name.
    let (mut out, mut err) = (Sanitized::new(out), Sanitized::new(err));
    let (out, err): (&mut (dyn Write + Send), &mut (dyn Write + Send)) = (&mut out, &mut err);
    let runner = match prepare(config, &args.role, args.state_dir.as_deref(), None, err).await {
        Ok(runner) => runner,
        Err(code) => return code,
    };
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
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return e.exit_code();
        }
    };
    // One stream, in the order things happened: nothing to interleave here.
    let end = super::follow(handle, |item| match item {
        OpStreamEvent::Op { event, .. } => print_event(out, &event, args.json),
        OpStreamEvent::Drill { update, .. } => print_update(out, &update, args.json),
    })
    .await;
    match end {
        Ok(OpEnd::Drill(Ok(outcome))) => finish(out, err, &outcome, args.json),
        Ok(OpEnd::Drill(Err(e))) => error_code(err, &args.role, &e),
        Ok(OpEnd::Operation(_)) => {
            let _ = writeln!(err, "error: an operation ended where a drill was started");
            1
        }
        Err(e) => {
            let _ = writeln!(err, "error: the drill's task ended abnormally: {e}");
            1
        }
    }
}

/// A new drill: prints the plan, refuses a blocked one, asks for the role name.
async fn new_request(
    runner: &Runner,
    args: &DrillArgs,
    out: &mut (dyn Write + Send),
    err: &mut (dyn Write + Send),
    input: &mut (dyn BufRead + Send),
) -> Result<StartRequest, u8> {
    let request = DrillRequest {
        to: args.to.clone(),
        hold: args.hold,
        switch_back: args.switch_back,
        force_during_incident: args.force_during_incident.clone(),
        comment: args.comment.clone(),
        report_dir: args.report_dir.clone(),
    };
    let plan = match runner.plan_drill(&args.role, &request).await {
        Ok(p) => p,
        Err(StartError::Drill(e)) => return Err(error_code(err, &args.role, &e)),
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return Err(e.exit_code());
        }
    };
    print_drill_plan(out, &plan, args.json);
    let audit = runner.audit();
    if !plan.can_confirm() {
        return Err(refuse_blocked(err, &audit, &plan.out).await);
    }
    if let (Some(c), false) = (&request.force_during_incident, plan.incident.is_empty()) {
        let _ = writeln!(err, "forced during an incident: {c}");
    }
    let confirmation = confirm_role(err, input, &audit, &plan.out.role, args.yes)
        .await
        .ok_or(1u8)?;
    Ok(StartRequest::Drill {
        role: plan.out.role.clone(),
        request,
        confirmation,
    })
}

/// The role's interrupted drill, by its id.
async fn resume_request(
    config: &Config,
    runner: &Runner,
    args: &DrillArgs,
    err: &mut (dyn Write + Send),
) -> Result<StartRequest, u8> {
    let Some(record) = runner.unfinished_drill(&args.role).await else {
        let _ = writeln!(err, "no interrupted drill of role {}", args.role);
        return Err(1);
    };
    super::wait::wait_out_lease(config, runner.store(), &args.role, err).await?;
    let _ = writeln!(
        err,
        "resuming drill {} of role {}: {} -> {}",
        record.drill_id, record.role, record.from, record.to
    );
    Ok(StartRequest::DrillResume {
        role: record.role,
        drill_id: record.drill_id,
        report_dir: args.report_dir.clone(),
    })
}

fn print_drill_plan(out: &mut (dyn Write + Send), plan: &DrillPlan, json: bool) {
    if json {
        let blockers: Vec<String> = plan.blockers().iter().map(ToString::to_string).collect();
        let line = serde_json::json!({"drill_plan": plan, "blocker_text": blockers});
        let _ = writeln!(out, "{line}");
        return;
    }
    let _ = writeln!(
        out,
        "drill of role {}: out to {}, hold {}, {} (RTO target {})",
        plan.out.role,
        plan.out.to.as_deref().unwrap_or("no target"),
        human_ms(millis(plan.hold)),
        if plan.switch_back {
            format!("back to {}", plan.out.from.as_deref().unwrap_or("?"))
        } else {
            "no switch back".into()
        },
        human_ms(millis(plan.rto_target))
    );
    print_plan(out, &plan.out, false);
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn print_update(out: &mut (dyn Write + Send), up: &DrillUpdate, json: bool) {
    let line = if json {
        serde_json::to_string(up).ok()
    } else {
        update_line(up)
    };
    if let Some(line) = line {
        let _ = writeln!(out, "{}", sanitize(&line));
        let _ = out.flush();
    }
}

/// One drill update in plain words; `None` for the quiet ones (healthy hold probes, the end,
/// which `finish` prints).
pub fn update_line(up: &DrillUpdate) -> Option<String> {
    let text = match up {
        DrillUpdate::Begun {
            drill_id,
            role,
            from,
            to,
            hold_secs,
        } => format!("== drill {drill_id}: {role} {from} -> {to}, hold {hold_secs} s"),
        DrillUpdate::Resumed { drill_id, by } => format!("== drill {drill_id} resumed by {by}"),
        DrillUpdate::LegStarted { leg, op_id } => {
            format!("== leg {} started: operation {op_id}", leg.as_str())
        }
        DrillUpdate::LegEnded {
            leg,
            outcome,
            rto_ms,
        } => format!(
            "== leg {} ended {}{}",
            leg.as_str(),
            outcome.map_or("unfinished".into(), |o| format!("{o:?}").to_lowercase()),
            rto_ms.map_or(String::new(), |r| format!(", RTO {}", human_ms(r)))
        ),
        DrillUpdate::HoldStarted { vm, .. } => format!("== hold on {vm}: probing its service"),
        DrillUpdate::HoldProbe {
            ok: false,
            n_ok,
            n_failed,
        } => format!("== hold: service probe FAILED ({n_ok} healthy, {n_failed} failed)"),
        DrillUpdate::HoldProbe { .. } => return None,
        DrillUpdate::HoldEnded { passed } => format!(
            "== hold ended: {}",
            if *passed { "verified" } else { "NOT verified" }
        ),
        DrillUpdate::Finished { .. } => return None,
    };
    Some(text)
}

fn finish(
    out: &mut (dyn Write + Send),
    err: &mut (dyn Write + Send),
    outcome: &DrillOutcome,
    json: bool,
) -> u8 {
    if !json {
        let _ = writeln!(out, "{}", sanitize(&outcome.summary.replace("**", "")));
        let _ = writeln!(out, "report: {}", outcome.reports.markdown.display());
        let _ = writeln!(out, "report: {}", outcome.reports.json.display());
    }
    if let Some(why) = &outcome.record.stopped {
        let _ = writeln!(err, "drill stopped: {}", sanitize(why));
    }
    warn_audit_lost(err, outcome.audit_lost.iter().cloned());
    match outcome.verdict {
        Verdict::Pass => 0,
        Verdict::Fail => 1,
    }
}

fn error_code(err: &mut (dyn Write + Send), role: &str, e: &DrillError) -> u8 {
    let _ = writeln!(err, "error: {e}");
    let lost = match e {
        DrillError::Exec(crate::failover::ExecError::Store(s)) => s.is_lease_lost(),
        DrillError::Store(s) => s.is_lease_lost(),
        _ => false,
    };
    if lost {
        return super::lease_lost(err, &format!("baton drill {role} --resume"));
    }
    if e.is_auth() || matches!(e, DrillError::Usage(_)) {
        2
    } else {
        1
    }
}
