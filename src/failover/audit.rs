//! The audit log: `audit.jsonl`, append-only JSON lines, one per decision or mutating ARM call,
//! each naming the operator (user, host, SSH client), the time, the role and the operation.
//! Owns the record format and the append; must not hold secrets: records are built from plain
//! names, ARM request ids and error texts (which carry URLs and ARM messages, never headers or
//! tokens).

use super::operator::Operator;
use super::state_dir::StateDir;
use crate::core::operation::{Outcome, RollbackMode};
use crate::core::plan::{OperationKind, StepKind};
use serde::Serialize;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::PathBuf;
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
#[derive(Debug, thiserror::Error)]
#[error("audit log {path}: {reason}")]
pub struct AuditError {
    /// The audit file.
    pub path: PathBuf,
    /// Why.
    pub reason: String,
}

/// The audit log of one state directory, for one operator.
#[derive(Debug, Clone)]
pub struct Audit {
    path: PathBuf,
    operator: Operator,
}

impl Audit {
    /// The audit log in `dir`, written as `operator`.
    pub fn new(dir: &StateDir, operator: Operator) -> Audit {
        Audit {
            path: dir.audit_path(),
            operator,
        }
    }

    /// The operator records are written as.
    pub fn operator(&self) -> &Operator {
        &self.operator
    }

    /// Appends one record (a single `write` on an `O_APPEND` file, then fsync), so records of
    /// concurrent batons never interleave within a line.
    pub fn record(
        &self,
        role: &str,
        op_id: Option<&str>,
        event: &AuditEvent,
    ) -> Result<(), AuditError> {
        let err = |reason: String| AuditError {
            path: self.path.clone(),
            reason,
        };
        let rec = AuditRecord {
            at: OffsetDateTime::now_utc(),
            operator: &self.operator,
            role,
            op_id,
            event,
        };
        let mut line = serde_json::to_vec(&rec).map_err(|e| err(e.to_string()))?;
        line.push(b'\n');
        if let Some(parent) = self.path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| err(e.to_string()))?;
        }
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(|e| err(e.to_string()))?;
        f.write_all(&line).map_err(|e| err(e.to_string()))?;
        f.sync_data().map_err(|e| err(e.to_string()))
    }

    /// Like [`Audit::record`], but a failure is only logged: an audit hiccup must not stop a
    /// failover half-way (the journal still has every step).
    pub fn note(&self, role: &str, op_id: Option<&str>, event: &AuditEvent) {
        if let Err(e) = self.record(role, op_id, event) {
            tracing::error!(error = %e, "audit record lost");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_json_lines_with_the_operator() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = StateDir::new(tmp.path());
        let op = Operator {
            user: "alice".into(),
            host: "jump".into(),
            ssh_client: Some("10.1.2.3".into()),
        };
        let audit = Audit::new(&dir, op);
        audit
            .record(
                "web",
                Some("op1"),
                &AuditEvent::CooldownOverride {
                    comment: "drill".into(),
                },
            )
            .unwrap();
        audit
            .record("web", None, &AuditEvent::AbortRequested)
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
