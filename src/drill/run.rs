//! The drill's phases in order — leg out, hold, leg back — as one resumable walk over the
//! record: each phase the record shows done is passed over, so `run` and `resume` share it.
//! Ends by judging, writing the reports and saving the record with the verdict.

use super::hold::HoldEnd;
use super::legs::LegEnd;
use super::report::{self, ReportPaths};
use super::{Drill, DrillError, DrillOutcome, DrillPlan, DrillRequest, DrillUpdate};
use crate::core::drill::{DrillNote, DrillRecord, Verdict};
use crate::core::operation::DrillLeg;
use crate::core::plan::{Blocker, Plan};
use crate::failover::AuditEvent;
use std::path::PathBuf;
use time::OffsetDateTime;
use tokio::sync::watch;

impl Drill {
    /// Runs a confirmed plan (see the module doc). `confirmation` says how the operator
    /// confirmed (`typed role name`, `--yes`), for the audit of the leg out.
    /// The drill gets a fresh id; [`Drill::run_as`] takes the caller's.
    pub async fn run(
        &self,
        req: &DrillRequest,
        plan: &DrillPlan,
        confirmation: &str,
        abort: watch::Receiver<bool>,
    ) -> Result<DrillOutcome, DrillError> {
        let drill_id = uuid::Uuid::new_v4().to_string();
        self.run_as(&drill_id, req, plan, confirmation, abort).await
    }

    /// [`Drill::run`] under the id `drill_id`, assigned by the caller before the run.
    pub async fn run_as(
        &self,
        drill_id: &str,
        req: &DrillRequest,
        plan: &DrillPlan,
        confirmation: &str,
        abort: watch::Receiver<bool>,
    ) -> Result<DrillOutcome, DrillError> {
        if !plan.can_confirm() {
            return Err(DrillError::Blocked(Box::new(plan.clone())));
        }
        let record = self.new_record(drill_id, req, plan)?;
        self.take_audit_lost();
        // Both justify what follows: stored first, or the drill does not begin.
        self.require_audit(&AuditEvent::DrillBegun {
            drill_id: record.drill_id.clone(),
            from: record.from.clone(),
            to: record.to.clone(),
            hold_secs: record.hold_secs,
        })
        .await?;
        if let (Some(comment), false) = (&record.forced, plan.incident.is_empty()) {
            let incident = Blocker::Incident {
                roles: plan.incident.clone(),
            };
            self.require_audit(&AuditEvent::IncidentOverride {
                drill_id: record.drill_id.clone(),
                incident: incident.to_string(),
                comment: comment.clone(),
            })
            .await?;
        }
        self.save(&record).await?;
        let begun = DrillUpdate::Begun {
            drill_id: record.drill_id.clone(),
            role: record.role.clone(),
            from: record.from.clone(),
            to: record.to.clone(),
            hold_secs: record.hold_secs,
        };
        self.update(begun, &record).await;
        let dir = req.report_dir.clone();
        self.advance(record, Some(plan.out.clone()), confirmation, dir, abort)
            .await
    }

    /// Goes on with an unfinished drill of this role (see [`Drill::unfinished`]): the
    /// interrupted leg's operation is resumed, then the remaining phases run.
    pub async fn resume(
        &self,
        mut record: DrillRecord,
        report_dir: Option<PathBuf>,
        abort: watch::Receiver<bool>,
    ) -> Result<DrillOutcome, DrillError> {
        if record.is_finished()
            || !crate::core::model::same_name(&record.role, &self.role.spec.name)
        {
            return Err(DrillError::NothingToResume(self.role.spec.name.clone()));
        }
        let by = self.operator.user.clone();
        record.resumed.push(DrillNote {
            at: OffsetDateTime::now_utc(),
            by: by.clone(),
            text: "resumed after an interruption".into(),
        });
        self.take_audit_lost();
        self.require_audit(&AuditEvent::DrillResumed {
            drill_id: record.drill_id.clone(),
        })
        .await?;
        self.save(&record).await?;
        let resumed = DrillUpdate::Resumed {
            drill_id: record.drill_id.clone(),
            by,
        };
        self.update(resumed, &record).await;
        let how = format!("drill {} resumed", record.drill_id);
        self.advance(record, None, &how, report_dir, abort).await
    }

    fn new_record(
        &self,
        drill_id: &str,
        req: &DrillRequest,
        plan: &DrillPlan,
    ) -> Result<DrillRecord, DrillError> {
        let to = plan.out.to.clone().unwrap_or_default();
        let from = plan
            .out
            .from
            .clone()
            .filter(|f| self.role.spec.vms.iter().any(|v| v == f))
            .ok_or_else(|| {
                DrillError::Usage(format!(
                    "role {} has no single master to come back to (holders: {})",
                    plan.out.role,
                    plan.out.from.as_deref().unwrap_or("nobody")
                ))
            })?;
        let now = OffsetDateTime::now_utc();
        let comments = req
            .comment
            .iter()
            .filter(|c| !c.trim().is_empty())
            .map(|c| DrillNote {
                at: now,
                by: self.operator.user.clone(),
                text: c.clone(),
            })
            .collect();
        Ok(DrillRecord {
            drill_id: drill_id.to_owned(),
            role: self.role.spec.name.clone(),
            from,
            to,
            operator: self.operator.user.clone(),
            begun_at: now,
            hold_secs: req.hold.as_secs(),
            switch_back: req.switch_back,
            rto_target_ms: u64::try_from(plan.rto_target.as_millis()).unwrap_or(u64::MAX),
            forced: req
                .force_during_incident
                .clone()
                .filter(|_| !plan.incident.is_empty()),
            legs: Vec::new(),
            hold: None,
            comments,
            resumed: Vec::new(),
            finished_at: None,
            verdict: None,
            stopped: None,
            reports: Vec::new(),
        })
    }

    /// Every phase not done yet, then the end.
    async fn advance(
        &self,
        mut record: DrillRecord,
        first: Option<Plan>,
        how: &str,
        report_dir: Option<PathBuf>,
        abort: watch::Receiver<bool>,
    ) -> Result<DrillOutcome, DrillError> {
        let role = record.role.clone();
        let out = self
            .ensure_leg(&mut record, DrillLeg::Out, first, how, abort.clone())
            .await?;
        if let LegEnd::Ended(why) = out {
            return self.conclude(record, Some(why), report_dir).await;
        }
        let to = record.to.clone();
        let held = record.hold.as_ref().is_some_and(|h| h.ended_at.is_some());
        if !held && (*abort.borrow() || self.hold(&mut record, &abort).await? == HoldEnd::Aborted) {
            let why = format!(
                "aborted during the hold: {role} stays on {to}; switch it back with baton \
                 switchover {role} --to {}",
                record.from
            );
            return self.conclude(record, Some(why), report_dir).await;
        }
        if !record.switch_back {
            return self.conclude(record, None, report_dir).await;
        }
        if *abort.borrow() {
            let why = format!("aborted before the switch back: {role} stays on {to}");
            return self.conclude(record, Some(why), report_dir).await;
        }
        self.note_failed_hold(&mut record);
        let how = format!("drill {}: switch back", record.drill_id);
        let back = self
            .ensure_leg(&mut record, DrillLeg::Back, None, &how, abort)
            .await?;
        let why = match back {
            LegEnd::Succeeded => None,
            LegEnd::Ended(why) => Some(why),
        };
        self.conclude(record, why, report_dir).await
    }

    /// A failed hold does not stop the way back; the record says so.
    fn note_failed_hold(&self, record: &mut DrillRecord) {
        let Some(h) = record.hold.as_ref().filter(|h| !h.passed()) else {
            return;
        };
        let text = format!(
            "the hold was not verified ({} healthy, {} failed probes); switched back anyway",
            h.probes_ok, h.probes_failed
        );
        if record.comments.iter().any(|c| c.text == text) {
            return;
        }
        record.comments.push(DrillNote {
            at: OffsetDateTime::now_utc(),
            by: "baton".into(),
            text,
        });
    }

    /// Judges, writes the reports, saves the finished record, audits and announces the end.
    async fn conclude(
        &self,
        mut record: DrillRecord,
        stopped: Option<String>,
        report_dir: Option<PathBuf>,
    ) -> Result<DrillOutcome, DrillError> {
        let verdict = if stopped.is_some() {
            Verdict::Fail
        } else {
            record.judge()
        };
        record.stopped = stopped;
        record.finished_at = Some(OffsetDateTime::now_utc());
        record.verdict = Some(verdict);
        self.save(&record).await?;
        let reports = self.write_reports(&mut record, report_dir).await?;
        self.save(&record).await?;
        let finished = AuditEvent::DrillFinished {
            drill_id: record.drill_id.clone(),
            verdict,
        };
        let lost = self.audit().note(&record.role, None, &finished).await;
        self.note_audit_lost(lost);
        let summary = report::verdict_line(&record);
        let finished = DrillUpdate::Finished {
            verdict,
            summary: summary.clone(),
            reports: reports.clone(),
        };
        self.update(finished, &record).await;
        Ok(DrillOutcome {
            record,
            verdict,
            summary,
            reports,
            audit_lost: self.take_audit_lost(),
        })
    }

    async fn write_reports(
        &self,
        record: &mut DrillRecord,
        report_dir: Option<PathBuf>,
    ) -> Result<ReportPaths, DrillError> {
        let dir = report_dir.unwrap_or_else(|| self.dir.reports());
        let out = self.leg_op(record, DrillLeg::Out).await;
        let back = self.leg_op(record, DrillLeg::Back).await;
        let paths =
            report::write_reports(&dir, record, out.as_ref(), back.as_ref()).map_err(|source| {
                DrillError::Report {
                    path: dir.clone(),
                    source,
                }
            })?;
        record.reports = vec![
            paths.markdown.display().to_string(),
            paths.json.display().to_string(),
        ];
        Ok(paths)
    }

    /// Audits a record the drill needs before it may act; refuses when it fails.
    async fn require_audit(&self, event: &AuditEvent) -> Result<(), DrillError> {
        let role = &self.role.spec.name;
        self.audit()
            .record(role, None, event)
            .await
            .map_err(|source| {
                DrillError::Exec(crate::failover::ExecError::AuditRefused {
                    kind: "drill",
                    role: role.clone(),
                    record: event.name(),
                    source: Box::new(source),
                })
            })
    }

    /// The audit failures so far, taken.
    fn take_audit_lost(&self) -> Vec<String> {
        self.audit_lost
            .lock()
            .map(|mut all| std::mem::take(&mut *all))
            .unwrap_or_default()
    }
}
