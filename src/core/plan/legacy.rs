//! The step order before the control-plane-first fence (power-off first, then isolate ∥
//! detach; expose after verify), kept only so the failover benchmark can measure the old
//! order against the new in one run. Reachable from no configuration key, cockpit key or command-line flag. Pure.

use super::{total_estimate, Plan, StepKind};

/// Reorders `plan` as plans were built before the control-plane-first fence: for a failover,
/// fence (the power-off) before isolate ∥ detach and nothing else concurrent; expose after
/// verify for every kind.
/// The steps' own work and words are unchanged; the estimate is recomputed.
#[doc(hidden)]
pub fn power_off_first_order(plan: &mut Plan) {
    use StepKind::*;
    let failover = !plan.kind.is_planned();
    let order: [StepKind; 10] = if failover {
        [
            Preflight, Fence, Isolate, Detach, Release, Attach, Start, Verify, Expose, Commit,
        ]
    } else {
        StepKind::ALL
    };
    plan.steps
        .sort_by_key(|s| order.iter().position(|k| *k == s.kind));
    for step in &mut plan.steps {
        step.concurrent_with = (failover && step.kind == Detach).then_some(Isolate);
    }
    plan.estimated_total = total_estimate(&plan.steps);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::plan::PlanStep;
    use std::time::Duration;

    fn step(kind: StepKind, secs: u64, with: Option<StepKind>) -> PlanStep {
        PlanStep {
            kind,
            what: kind.label().to_string(),
            azure_calls: Vec::new(),
            estimate: Duration::from_secs(secs),
            timeout: Duration::from_secs(600),
            concurrent_with: with,
            already_done: false,
        }
    }

    #[test]
    fn a_failover_powers_off_first_and_exposes_after_verify() {
        use StepKind::*;
        let mut plan = Plan {
            role: "web".into(),
            kind: crate::core::plan::OperationKind::Failover,
            from: Some("web-a".into()),
            to: Some("web-b".into()),
            steps: vec![
                step(Preflight, 0, None),
                step(Isolate, 8, None),
                step(Detach, 12, Some(Isolate)),
                step(Fence, 20, None),
                step(Release, 4, Some(Fence)),
                step(Attach, 12, Some(Fence)),
                step(Expose, 8, Some(Fence)),
                step(Start, 22, Some(Expose)),
                step(Verify, 2, Some(Expose)),
                step(Commit, 0, None),
            ],
            blockers: Vec::new(),
            estimated_total: Duration::ZERO,
        };
        power_off_first_order(&mut plan);
        let kinds: Vec<StepKind> = plan.steps.iter().map(|s| s.kind).collect();
        assert_eq!(
            kinds,
            [Preflight, Fence, Isolate, Detach, Release, Attach, Start, Verify, Expose, Commit]
        );
        let concurrent: Vec<_> = plan
            .steps
            .iter()
            .filter_map(|s| s.concurrent_with)
            .collect();
        assert_eq!(concurrent, [Isolate], "only detach ∥ isolate");
        // 20 + max(8, 12) + 4 + 12 + 22 + 2 + 8: everything in a row but the fence pair.
        assert_eq!(plan.estimated_total, Duration::from_secs(80));
    }
}
