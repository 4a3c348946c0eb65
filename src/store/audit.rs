//! The audit log: `audit.jsonl`, append-only JSON lines, one per decision or mutating ARM call,
//! each naming the operator (user, host, SSH client), the time, the role and the operation.
//! Owns the record format and the append; must not hold secrets: records are built from plain
//! names, ARM request ids and error texts (which carry URLs and ARM messages, never headers or
//! tokens).

use super::operator::Operator;
use super::SharedStore;
use crate::core::operation::{Outcome, RollbackMode};
use crate::core::plan::{OperationKind, StepKind};
use serde::Serialize;
use std::io::Write;
use std::path::Path;
use time::OffsetDateTime;

/// What happened, one variant per kind of audit record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum AuditEvent {
    /// The operator confirmed a plan.
    Confirmed {
        /// Failover or switchover.
        kind: OperationKind,
        /// The old master / holders.
        from: Option<String>,
        /// The target.
        to: String,
        /// How: `typed role name` or `--yes`.
        how: String,
    },
    /// The typed confirmation did not match the role name; nothing was done.
    ConfirmationRefused {
        /// What was typed (control characters stripped).
        typed: String,
    },
    /// An interrupted operation was resumed.
    Resumed {
        /// The step it resumes at.
        at_step: Option<StepKind>,
    },
    /// One mutating ARM call and how it ended.
    ArmCall {
        /// The step that made it.
        step: StepKind,
        /// What (`detach web-data from web-a`).
        operation: String,
        /// `applied`, `already done`, or the error text.
        outcome: String,
        /// `x-ms-request-id` of every write request sent.
        request_ids: Vec<String>,
    },
    /// A step failed; the operation stopped in a resumable state.
    StepFailed {
        /// The step.
        step: StepKind,
        /// The error.
        error: String,
    },
    /// The operator asked to abort between steps.
    AbortRequested,
    /// The operator chose how to go on after an abort or a failure.
    RollbackChosen {
        /// The choice.
        mode: RollbackMode,
    },
    /// Break-glass: disks are detached with `ForceDetach` (writes in flight may be lost).
    ForceDetach {
        /// The operator's confirmation of the data-loss risk.
        confirmed: bool,
    },
    /// The cooldown was overridden.
    CooldownOverride {
        /// The operator's reason.
        comment: String,
    },
    /// The operation was refused before it began (blockers, lock).
    Refused {
        /// Every reason.
        reasons: Vec<String>,
    },
    /// The operation ended.
    Finished {
        /// How.
        outcome: Outcome,
    },
    /// The role lock's lease was lost mid-operation: it stopped before its next ARM write.
    LeaseLost {
        /// Why (refused renew, renews failing until the margin).
        reason: String,
    },
    /// `baton unlock`: the operator broke another holder's lease on purpose.
    LockBroken {
        /// The holder as the lock blob named it (`operator on host (pid …)`), if it did.
        holder: Option<String>,
        /// The holder's operation, if known.
        holder_op: Option<String>,
        /// The holder's epoch.
        epoch: u64,
        /// The operator's reason (`--comment`).
        comment: Option<String>,
    },
    /// A drill began (its legs are audited as operations of their own).
    DrillBegun {
        /// The drill.
        drill_id: String,
        /// The master it leaves and comes back to.
        from: String,
        /// The standby it visits.
        to: String,
        /// Planned hold in seconds.
        hold_secs: u64,
    },
    /// A drill was started despite an incident (a role MASTER DOWN or SPLIT).
    IncidentOverride {
        /// The drill.
        drill_id: String,
        /// The roles in trouble, as the blocker said.
        incident: String,
        /// The operator's reason.
        comment: String,
    },
    /// An interrupted drill was resumed.
    DrillResumed {
        /// The drill.
        drill_id: String,
    },
    /// A drill ended with its verdict.
    DrillFinished {
        /// The drill.
        drill_id: String,
        /// Pass or fail.
        verdict: crate::core::drill::Verdict,
    },
}

/// One line of the audit log.
#[derive(Debug, Clone, Serialize)]
pub struct AuditRecord<'a> {
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// Who.
    pub operator: &'a Operator,
    /// The role.
    pub role: &'a str,
    /// The operation, once it has an id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub op_id: Option<&'a str>,
    /// What happened.
    #[serde(flatten)]
    pub event: &'a AuditEvent,
}

/// Why an audit record could not be written.
pub type AuditError = super::StoreError;

/// Appends one encoded record to the audit file at `path` (created 0600 in a 0700 folder): a
/// single `write` on an `O_APPEND` file, then fsync, so records of concurrent batons never
/// interleave within a line.
pub fn append_line(path: &Path, record: &AuditRecord<'_>) -> Result<(), AuditError> {
    let err = |source| AuditError::Io {
        what: "audit log",
        path: path.to_path_buf(),
        source,
    };
    let mut line = serde_json::to_vec(record).map_err(|e| AuditError::Corrupt {
        what: format!("audit record for {}", path.display()),
        reason: e.to_string(),
    })?;
    line.push(b'\n');
    if let Some(parent) = path.parent() {
        super::private::create_dir_all(parent).map_err(err)?;
    }
    let mut f = super::private::options()
        .create(true)
        .append(true)
        .open(path)
        .map_err(err)?;
    f.write_all(&line).map_err(err)?;
    f.sync_data().map_err(err)
}

/// The audit log of one store, for one operator.
#[derive(Debug, Clone)]
pub struct Audit {
    store: SharedStore,
    operator: Operator,
}

impl Audit {
    /// The audit log in `store`, written as `operator`.
    pub fn new(store: SharedStore, operator: Operator) -> Audit {
        Audit { store, operator }
    }

    /// The operator records are written as.
    pub fn operator(&self) -> &Operator {
        &self.operator
    }

    /// Appends one record; returns once it is durable. Records that justify a write
    /// (confirmation, force-detach, cooldown override) go through here, and the write waits.
    pub async fn record(
        &self,
        role: &str,
        op_id: Option<&str>,
        event: &AuditEvent,
    ) -> Result<(), AuditError> {
        let rec = AuditRecord {
            at: OffsetDateTime::now_utc(),
            operator: &self.operator,
            role,
            op_id,
            event,
        };
        self.store.append_audit(&rec).await
    }

    /// Like [`Audit::record`] for records written after the fact (an ARM call made, a step
    /// failed): an audit hiccup must not stop a failover half-way (the journal still has every
    /// step), so the failure is logged and returned as text for the operator's screen.
    #[must_use = "a lost audit record must be shown to the operator"]
    pub async fn note(
        &self,
        role: &str,
        op_id: Option<&str>,
        event: &AuditEvent,
    ) -> Option<String> {
        let e = self.record(role, op_id, event).await.err()?;
        tracing::error!(error = %e, "audit record lost");
        Some(format!("audit record lost ({}): {e}", event.name()))
    }
}

impl AuditEvent {
    /// The record's `event` tag, for messages.
    pub fn name(&self) -> &'static str {
        match self {
            AuditEvent::Confirmed { .. } => "confirmed",
            AuditEvent::ConfirmationRefused { .. } => "confirmation_refused",
            AuditEvent::Resumed { .. } => "resumed",
            AuditEvent::ArmCall { .. } => "arm_call",
            AuditEvent::StepFailed { .. } => "step_failed",
            AuditEvent::AbortRequested => "abort_requested",
            AuditEvent::RollbackChosen { .. } => "rollback_chosen",
            AuditEvent::ForceDetach { .. } => "force_detach",
            AuditEvent::CooldownOverride { .. } => "cooldown_override",
            AuditEvent::Refused { .. } => "refused",
            AuditEvent::Finished { .. } => "finished",
            AuditEvent::LeaseLost { .. } => "lease_lost",
            AuditEvent::LockBroken { .. } => "lock_broken",
            AuditEvent::DrillBegun { .. } => "drill_begun",
            AuditEvent::IncidentOverride { .. } => "incident_override",
            AuditEvent::DrillResumed { .. } => "drill_resumed",
            AuditEvent::DrillFinished { .. } => "drill_finished",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::store::state_dir::StateDir;

    #[tokio::test]
    async fn records_are_json_lines_with_the_operator() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = StateDir::new(tmp.path());
        let op = Operator {
            ssh_client: Some("10.1.2.3".into()),
            ..Operator::named("alice", "jump")
        };
        let audit = Audit::new(dir.clone().into(), op);
        audit
            .record(
                "web",
                Some("op1"),
                &AuditEvent::CooldownOverride {
                    comment: "drill".into(),
                },
            )
            .await
            .unwrap();
        audit
            .record("web", None, &AuditEvent::AbortRequested)
            .await
            .unwrap();
        let text = std::fs::read_to_string(dir.audit_path()).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["event"], "cooldown_override");
        assert_eq!(lines[0]["comment"], "drill");
        assert_eq!(lines[0]["operator"]["ssh_client"], "10.1.2.3");
        assert_eq!(lines[0]["op_id"], "op1");
        assert!(lines[1].get("op_id").is_none());
    }
}
