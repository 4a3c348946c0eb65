//! `baton unlock ROLE [--comment TEXT]`: break a dead holder's shared role lock on purpose.
//! Shows the holder (host, operator, pid, operation, since, epoch), the lease state and the lock
//! blob's last write as the store says them, asks for the typed role name (unless `--yes`),
//! audits who broke it and why *before* breaking it, breaks the lease (Break Lease, period 0)
//! and says what to do next (`--resume` from any host). Exit codes: 0 broken or nothing to
//! break, 1 not confirmed / audit refused / storage error, 2 usage or config — including
//! `backend = "local"`, whose `flock` only its process's death releases.

use super::{confirm_role, prepare, Terminal};
use crate::config::{Config, Coordination};
use crate::ops::unlock::{describe, shared_backend};
use crate::ops::{BreakOutcome, NextStep, UnlockError, UnlockRequest};
use crate::store::lock::LockStatus;
use crate::term_out::Sanitized;
use std::io::Write;
use std::path::PathBuf;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// What the command line asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnlockArgs {
    /// The role whose lock to break.
    pub role: String,
    /// Why, for the audit record.
    pub comment: Option<String>,
    /// Skip the typed confirmation (scripts), as the other destructive commands.
    pub yes: bool,
    /// State directory (else `BATON_STATE_DIR`, XDG, `~/.local/state/baton`).
    pub state_dir: Option<PathBuf>,
    /// This host's name (`--host-id` / `BATON_HOST_ID`).
    pub host_id: Option<String>,
}

/// Runs the command; returns the exit code.
pub async fn run(config: &Config, args: &UnlockArgs, term: Terminal<'_>) -> u8 {
    let Terminal { out, err, input } = term;
    let (mut out, mut err) = (Sanitized::new(out), Sanitized::new(err));
    let (out, err): (&mut (dyn Write + Send), &mut (dyn Write + Send)) = (&mut out, &mut err);
    if let Err(e) = shared_backend(config) {
        let _ = writeln!(err, "error: {e}");
        return 2;
    }
    let host_id = args.host_id.as_deref();
    let runner = match prepare(config, &args.role, args.state_dir.as_deref(), host_id, err).await {
        Ok(runner) => runner,
        Err(code) => return code,
    };
    let status = match runner.lock_status(&args.role).await {
        Ok(Some(status)) if status.held => status,
        Ok(other) => {
            let state = other.map_or_else(|| "never taken".to_string(), |s| s.lease);
            let _ = writeln!(
                out,
                "role {} is not locked (lease {state}): nothing to break",
                args.role
            );
            return 0;
        }
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return 1;
        }
    };
    show(out, &args.role, &status, config);
    let _ = writeln!(
        err,
        "Breaking it makes a live holder stop before its next Azure write (lease lost)."
    );
    let audit = runner.audit();
    let Some(confirmation) = confirm_role(err, input, &audit, &args.role, args.yes).await else {
        return 1;
    };
    let request = UnlockRequest {
        role: args.role.clone(),
        seen_epoch: status.epoch,
        comment: args.comment.clone(),
        confirmation,
    };
    let done = match runner.break_lock(&request).await {
        Ok(done) => done,
        Err(e @ UnlockError::AuditRefused { .. }) => {
            let _ = writeln!(err, "{e}");
            return 1;
        }
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return 1;
        }
    };
    let _ = match done.outcome {
        BreakOutcome::Broken => writeln!(
            out,
            "lock of role {} broken (epoch {})",
            args.role, done.epoch
        ),
        BreakOutcome::EndedMeanwhile => {
            writeln!(out, "the lease of role {} ended meanwhile", args.role)
        }
    };
    next_step(out, &args.role, &done.next);
    0
}

fn show(out: &mut (dyn Write + Send), role: &str, status: &LockStatus, config: &Config) {
    let holder = status
        .holder
        .as_ref()
        .map_or_else(|| "an unnamed holder".to_string(), describe);
    let _ = writeln!(out, "role {role} is locked by {holder}");
    if let Some(h) = &status.holder {
        let op = h.op_id.as_deref().unwrap_or("none yet");
        let _ = writeln!(
            out,
            "  operation {op}, since {}, epoch {}",
            rfc3339(h.since),
            status.epoch
        );
    }
    let written = status
        .last_written
        .map_or_else(|| "unknown".to_string(), rfc3339);
    let timing = crate::store::LeaseTiming::for_duration(match &config.coordination {
        Coordination::AzureBlob(b) => b.lease_duration,
        Coordination::Local => crate::store::LeaseTiming::MIN,
    });
    let _ = writeln!(
        out,
        "  lease {}; lock blob last written {written} (Azure keeps no renew time: a live holder \
         renews every {} s, a dead one's lease runs out within {} s)",
        status.lease,
        timing.renew_every.as_secs(),
        timing.seconds()
    );
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_else(|_| t.to_string())
}

/// What to run now: the resume of the role's interrupted operation, from any host.
fn next_step(out: &mut (dyn Write + Send), role: &str, next: &NextStep) {
    let _ = match next {
        NextStep::ResumeDrill => writeln!(
            out,
            "next: resume its drill from any host: baton drill {role} --resume"
        ),
        NextStep::Resume { kind, op_id } => writeln!(
            out,
            "next: resume {} {op_id} from any host: baton {} {role} --resume",
            kind.as_str(),
            kind.as_str()
        ),
        NextStep::Nothing => writeln!(out, "next: no operation of role {role} is unfinished"),
    };
}
