//! The durable record of one drill: a switchover to the standby, a hold verified by service
//! probes, and a switchover back, each leg an ordinary operation with its own journal (linked
//! by `core::operation::DrillLink`). Pure data plus the verdict rule; the drill runner (in
//! `drill/`) saves it after every phase, the history and the reports read it.
//!
//! Verdict: a drill passes when every leg it ran succeeded within the RTO target, the hold was
//! verified, and (unless `switch_back` is off) the role came back. Anything else fails, and an
//! unfinished drill has no verdict yet.

use super::operation::{DrillLeg, Outcome};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use time::OffsetDateTime;

/// One leg as the drill saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegRecord {
    /// Out or back.
    pub leg: DrillLeg,
    /// The leg's operation (its journal is `journal/<role>/<op_id>.jsonl`).
    pub op_id: String,
    /// When the leg's operation began.
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    /// When it ended.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub ended_at: Option<OffsetDateTime>,
    /// How it ended.
    #[serde(default)]
    pub outcome: Option<Outcome>,
    /// Measured recovery time of the leg in milliseconds (`Operation::rto`).
    #[serde(default)]
    pub rto_ms: Option<u64>,
}

impl LegRecord {
    /// The leg's RTO.
    pub fn rto(&self) -> Option<Duration> {
        self.rto_ms.map(Duration::from_millis)
    }

    /// True when it succeeded within `target`.
    pub fn passed(&self, target: Duration) -> bool {
        self.outcome == Some(Outcome::Succeeded) && self.rto().is_some_and(|r| r <= target)
    }
}

/// The hold between the legs: service probes of the new master, every probe counted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HoldRecord {
    /// When the hold began.
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    /// When it ended.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub ended_at: Option<OffsetDateTime>,
    /// Healthy service probes.
    pub probes_ok: u32,
    /// Failed service probes.
    pub probes_failed: u32,
}

impl HoldRecord {
    /// Verified: ended, at least one healthy probe, none failed.
    pub fn passed(&self) -> bool {
        self.ended_at.is_some() && self.probes_ok > 0 && self.probes_failed == 0
    }
}

/// A timestamped line by a person (a comment, or who resumed the drill).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrillNote {
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// Who.
    pub by: String,
    /// What.
    pub text: String,
}

/// Pass or fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Every leg within target, hold verified, role back home.
    Pass,
    /// Anything else.
    Fail,
}

impl Verdict {
    /// Upper-case word for screens and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "PASS",
            Verdict::Fail => "FAIL",
        }
    }
}

/// Everything known about one drill.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrillRecord {
    /// Unique id (a UUID).
    pub drill_id: String,
    /// Role name.
    pub role: String,
    /// The master at the start, where the role comes back to.
    pub from: String,
    /// The standby the role visits.
    pub to: String,
    /// Who confirmed it.
    pub operator: String,
    /// When it began.
    #[serde(with = "time::serde::rfc3339")]
    pub begun_at: OffsetDateTime,
    /// Planned hold, in seconds.
    pub hold_secs: u64,
    /// False with `--no-switch-back`.
    pub switch_back: bool,
    /// The RTO target each leg is measured against, in milliseconds.
    pub rto_target_ms: u64,
    /// The operator's comment when forced during an incident.
    #[serde(default)]
    pub forced: Option<String>,
    /// The legs run so far, in order.
    #[serde(default)]
    pub legs: Vec<LegRecord>,
    /// The hold, once started.
    #[serde(default)]
    pub hold: Option<HoldRecord>,
    /// Human comments, and who resumed it after an interruption.
    #[serde(default)]
    pub comments: Vec<DrillNote>,
    /// Each time it was resumed after an interruption (when, by whom).
    #[serde(default)]
    pub resumed: Vec<DrillNote>,
    /// When it ended.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub finished_at: Option<OffsetDateTime>,
    /// The verdict, once ended.
    #[serde(default)]
    pub verdict: Option<Verdict>,
    /// Why the drill ended before its last phase (a leg stopped, an abort, a blocked way
    /// back) and the state the role was left in; `None` when every phase ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
    /// The report files written when it ended (Markdown, JSON).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reports: Vec<String>,
}

impl DrillRecord {
    /// The RTO target.
    pub fn rto_target(&self) -> Duration {
        Duration::from_millis(self.rto_target_ms)
    }

    /// The leg, if it ran.
    pub fn leg(&self, leg: DrillLeg) -> Option<&LegRecord> {
        self.legs.iter().find(|l| l.leg == leg)
    }

    /// The verdict the recorded facts give (`finished_at` is not consulted: a caller ending the
    /// drill early gets `Fail` for whatever did not happen).
    pub fn judge(&self) -> Verdict {
        let target = self.rto_target();
        let out_ok = self.leg(DrillLeg::Out).is_some_and(|l| l.passed(target));
        let hold_ok = self.hold.as_ref().is_some_and(HoldRecord::passed);
        let back_ok =
            !self.switch_back || self.leg(DrillLeg::Back).is_some_and(|l| l.passed(target));
        if out_ok && hold_ok && back_ok {
            Verdict::Pass
        } else {
            Verdict::Fail
        }
    }

    /// True once it ended.
    pub fn is_finished(&self) -> bool {
        self.finished_at.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> OffsetDateTime {
        OffsetDateTime::UNIX_EPOCH + time::Duration::seconds(s)
    }

    fn leg(leg: DrillLeg, outcome: Outcome, rto_s: u64) -> LegRecord {
        LegRecord {
            leg,
            op_id: format!("op-{}", leg.as_str()),
            started_at: t(0),
            ended_at: Some(t(rto_s as i64)),
            outcome: Some(outcome),
            rto_ms: Some(rto_s * 1000),
        }
    }

    fn drill() -> DrillRecord {
        DrillRecord {
            drill_id: "d1".into(),
            role: "web".into(),
            from: "web-a".into(),
            to: "web-b".into(),
            operator: "alice".into(),
            begun_at: t(0),
            hold_secs: 30,
            switch_back: true,
            rto_target_ms: 60_000,
            forced: None,
            legs: vec![
                leg(DrillLeg::Out, Outcome::Succeeded, 40),
                leg(DrillLeg::Back, Outcome::Succeeded, 50),
            ],
            hold: Some(HoldRecord {
                started_at: t(40),
                ended_at: Some(t(70)),
                probes_ok: 30,
                probes_failed: 0,
            }),
            comments: vec![],
            resumed: vec![],
            finished_at: Some(t(120)),
            verdict: None,
            stopped: None,
            reports: vec![],
        }
    }

    #[test]
    fn a_clean_drill_passes() {
        assert_eq!(drill().judge(), Verdict::Pass);
    }

    #[test]
    fn a_slow_leg_fails() {
        let mut d = drill();
        d.legs[1] = leg(DrillLeg::Back, Outcome::Succeeded, 61);
        assert_eq!(d.judge(), Verdict::Fail);
    }

    #[test]
    fn a_failed_probe_in_the_hold_fails() {
        let mut d = drill();
        d.hold.as_mut().unwrap().probes_failed = 1;
        assert_eq!(d.judge(), Verdict::Fail);
    }

    #[test]
    fn a_missing_back_leg_fails_unless_not_asked() {
        let mut d = drill();
        d.legs.pop();
        assert_eq!(d.judge(), Verdict::Fail);
        d.switch_back = false;
        assert_eq!(d.judge(), Verdict::Pass);
    }

    #[test]
    fn a_rolled_back_leg_fails() {
        let mut d = drill();
        d.legs[0] = leg(DrillLeg::Out, Outcome::RolledBack, 10);
        assert_eq!(d.judge(), Verdict::Fail);
    }

    #[test]
    fn round_trips_through_json() {
        let d = drill();
        let text = serde_json::to_string(&d).unwrap();
        assert_eq!(serde_json::from_str::<DrillRecord>(&text).unwrap(), d);
    }
}
