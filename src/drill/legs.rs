//! One leg of a drill: planned (or given), run or resumed through a fresh `Executor` whose
//! events are forwarded into the drill's one ordered stream, and noted in the record as it
//! begins (under the id the drill chose for it) and ends. Finds a leg's operation in the
//! journals by that id or its `DrillLink`, so a crash between a save and `Begun` loses nothing.

use super::{Drill, DrillError, DrillUpdate, OpStreamEvent};
use crate::core::drill::{DrillRecord, LegRecord};
use crate::core::operation::{DrillLeg, DrillLink, OpEvent, Operation, Outcome};
use crate::core::plan::{OperationKind, Plan};
use crate::failover::mode_word;
use crate::failover::{ExecError, Request, RunEnd, RunReport};
use crate::store::StoreExt;
use time::OffsetDateTime;
use tokio::sync::{mpsc, watch};

/// How a leg ended, for the drill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum LegEnd {
    /// The role is on the leg's destination.
    Succeeded,
    /// The drill cannot go on: why, and where the role was left.
    Ended(String),
}

enum Start {
    /// A new leg: its plan and the id chosen for its operation.
    Plan(Box<Plan>, String),
    Resume(Box<Operation>),
}

impl Drill {
    /// Brings `leg` to an end: nothing when the record shows it ended, else resumes its
    /// operation when the journal has one, else plans it (or takes `first`) and runs it.
    pub(super) async fn ensure_leg(
        &self,
        record: &mut DrillRecord,
        leg: DrillLeg,
        first: Option<Plan>,
        how: &str,
        abort: watch::Receiver<bool>,
    ) -> Result<LegEnd, DrillError> {
        let (src, dest) = ends(record, leg);
        let req = Request {
            to: Some(dest.clone()),
            drill: Some(DrillLink {
                drill_id: record.drill_id.clone(),
                leg,
            }),
            ..Request::new(OperationKind::Drill)
        };
        let start = match self.leg_op(record, leg).await {
            Some(op) if op.is_finished() => {
                note_leg(record, leg, &op);
                self.save(record).await?;
                return Ok(finished_end(record, leg, &op));
            }
            Some(op) => {
                note_leg(record, leg, &op);
                self.save(record).await?;
                Start::Resume(Box::new(op))
            }
            None => {
                let plan = match first {
                    Some(p) => p,
                    None => match self.plan_leg(&req).await {
                        Ok(p) => p,
                        Err(e) => return Ok(LegEnd::Ended(not_run(record, leg, &src, &e))),
                    },
                };
                if !plan.can_confirm() {
                    let why: Vec<String> = plan.blockers.iter().map(ToString::to_string).collect();
                    return Ok(LegEnd::Ended(format!(
                        "the leg {} is blocked ({}); {} stays on {src}",
                        leg.as_str(),
                        why.join("; "),
                        record.role
                    )));
                }
                // The leg's id is chosen here, before its `Begun`: the record names it from
                // the start (a crash before `Begun` leaves an id without a journal, and the
                // next run plans the leg afresh).
                let op_id = uuid::Uuid::new_v4().to_string();
                upsert(record, leg, &op_id, OffsetDateTime::now_utc());
                self.save(record).await?;
                Start::Plan(Box::new(plan), op_id)
            }
        };
        let op_id = match &start {
            Start::Plan(_, id) => id.clone(),
            Start::Resume(op) => op.op_id.clone(),
        };
        let started = DrillUpdate::LegStarted {
            leg,
            op_id: op_id.clone(),
        };
        self.update(started, record).await;
        let (tx, rx) = mpsc::channel(256);
        let exec = self.executor(tx);
        let how = how.to_owned();
        let work = async move {
            let r = match start {
                Start::Plan(plan, id) => exec.run_as(&id, &req, &plan, &how, abort).await,
                Start::Resume(op) => exec.resume(*op, &req, abort).await,
            };
            drop(exec); // closes the stream so the forwarder ends
            r
        };
        let (result, ()) = tokio::join!(work, self.forward(rx, &op_id));
        let report = match result {
            Ok(r) => r,
            Err(e) => {
                if self.leg_op(record, leg).await.is_none() {
                    // Refused before its `Begun`: there is no operation to point at.
                    record.legs.retain(|l| l.leg != leg);
                    self.save(record).await?;
                }
                return Ok(LegEnd::Ended(not_run(record, leg, &src, &e)));
            }
        };
        note_leg(record, leg, &report.operation);
        self.note_audit_lost(report.audit_lost.iter().cloned());
        self.save(record).await?;
        let l = record.leg(leg);
        let ended = DrillUpdate::LegEnded {
            leg,
            outcome: l.and_then(|l| l.outcome),
            rto_ms: l.and_then(|l| l.rto_ms),
        };
        self.update(ended, record).await;
        Ok(run_end(record, leg, &report))
    }

    async fn plan_leg(&self, req: &Request) -> Result<Plan, ExecError> {
        let (tx, _rx) = mpsc::channel(1);
        self.executor(tx).plan(req).await
    }

    /// Passes the leg's events on, in the drill's one ordered stream.
    async fn forward(&self, mut rx: mpsc::Receiver<OpEvent>, op_id: &str) {
        while let Some(event) = rx.recv().await {
            let ev = OpStreamEvent::Op {
                op_id: op_id.to_owned(),
                event,
            };
            let _ = self.stream.send(ev).await;
        }
    }

    /// The leg's operation: by the id the record holds, else by its drill link.
    pub(super) async fn leg_op(&self, record: &DrillRecord, leg: DrillLeg) -> Option<Operation> {
        let id = record.leg(leg).map(|l| l.op_id.clone());
        self.store
            .operations_of_role(&record.role)
            .await
            .into_iter()
            .find(|op| {
                id.as_deref() == Some(op.op_id.as_str())
                    || op
                        .drill
                        .as_ref()
                        .is_some_and(|d| d.drill_id == record.drill_id && d.leg == leg)
            })
    }
}

/// (where the leg leaves, where it goes).
pub(super) fn ends(record: &DrillRecord, leg: DrillLeg) -> (String, String) {
    match leg {
        DrillLeg::Out => (record.from.clone(), record.to.clone()),
        DrillLeg::Back => (record.to.clone(), record.from.clone()),
    }
}

fn upsert(record: &mut DrillRecord, leg: DrillLeg, op_id: &str, at: time::OffsetDateTime) {
    if let Some(l) = record.legs.iter_mut().find(|l| l.leg == leg) {
        l.op_id = op_id.to_owned();
        return;
    }
    record.legs.push(LegRecord {
        leg,
        op_id: op_id.to_owned(),
        started_at: at,
        ended_at: None,
        outcome: None,
        rto_ms: None,
    });
}

/// Copies what the operation says about its end into the record's leg.
fn note_leg(record: &mut DrillRecord, leg: DrillLeg, op: &Operation) {
    upsert(record, leg, &op.op_id, op.begun_at);
    if let Some(l) = record.legs.iter_mut().find(|l| l.leg == leg) {
        l.started_at = op.begun_at;
        l.ended_at = op.finished.map(|(at, _)| at);
        l.outcome = op.outcome();
        l.rto_ms = op
            .rto()
            .filter(|_| op.outcome() == Some(Outcome::Succeeded))
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    }
}

fn finished_end(record: &DrillRecord, leg: DrillLeg, op: &Operation) -> LegEnd {
    let (src, dest) = ends(record, leg);
    let role = &record.role;
    match op.outcome() {
        Some(Outcome::Succeeded) => LegEnd::Succeeded,
        Some(Outcome::RolledBack) => LegEnd::Ended(format!(
            "the leg {} was rolled back: {role} is on {src}",
            leg.as_str()
        )),
        Some(Outcome::Failed) => {
            let why = op
                .steps
                .iter()
                .find_map(|s| s.error.as_ref())
                .map_or_else(|| "failed".to_owned(), ToString::to_string);
            LegEnd::Ended(format!(
                "the leg {} failed at preflight ({why}); {role} stays on {src}",
                leg.as_str()
            ))
        }
        other => LegEnd::Ended(format!(
            "the leg {} towards {dest} ended {other:?}; check `baton status`",
            leg.as_str()
        )),
    }
}

fn run_end(record: &DrillRecord, leg: DrillLeg, report: &RunReport) -> LegEnd {
    let (src, dest) = ends(record, leg);
    let (role, op_id) = (&record.role, &report.op_id);
    match &report.end {
        RunEnd::Finished(_) => finished_end(record, leg, &report.operation),
        RunEnd::Stopped { step, error } => LegEnd::Ended(format!(
            "the leg {} stopped at step {}: {error}; {role} is mid-way from {src} to {dest}: its \
             operation {op_id} is safe to resume (baton switchover {role} --resume) or to roll \
             back (--resume --rollback MODE)",
            leg.as_str(),
            step.label()
        )),
        RunEnd::Halted => {
            let modes: Vec<&str> = report
                .operation
                .rollback_options()
                .into_iter()
                .map(mode_word)
                .collect();
            LegEnd::Ended(format!(
                "aborted during the leg {}: {role} is mid-way from {src} to {dest}; its operation \
                 {op_id} is halted, choose with baton switchover {role} --resume [--rollback {}]",
                leg.as_str(),
                modes.join("|")
            ))
        }
    }
}

fn not_run(record: &DrillRecord, leg: DrillLeg, src: &str, e: &ExecError) -> String {
    let role = &record.role;
    match record.leg(leg) {
        Some(l) => format!(
            "the leg {} could not go on: {e}; its operation {} is in the journal (baton \
             switchover {role} --resume)",
            leg.as_str(),
            l.op_id
        ),
        None => format!(
            "the leg {} could not start: {e}; {role} stays on {src}",
            leg.as_str()
        ),
    }
}
