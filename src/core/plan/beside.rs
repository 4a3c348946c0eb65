//! The ∥ marker: how a step that runs beside an earlier one says so, with the one-line why.
//! One wording for the plan preview, the step stream and the headless lines. Pure.

use super::StepKind;

/// `∥ fence: the power-off is on the old master`: a step's partner and why they may overlap.
pub fn beside_line(partner: StepKind) -> String {
    format!("∥ {}: {}", partner.label(), why(partner))
}

/// Why a step need not wait for `partner` to end (short: it fits one line at 80 columns).
fn why(partner: StepKind) -> &'static str {
    match partner {
        StepKind::Isolate => "NIC and disks are fenced at once",
        StepKind::Fence => "the power-off is on the old master",
        StepKind::Expose => "no traffic until the app answers the probe",
        StepKind::Preflight
        | StepKind::Detach
        | StepKind::Release
        | StepKind::Attach
        | StepKind::Start
        | StepKind::Verify
        | StepKind::Commit => "needs it started, not ended",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_partner_says_why_in_one_short_line() {
        assert_eq!(
            beside_line(StepKind::Fence),
            "∥ fence: the power-off is on the old master"
        );
        assert_eq!(
            beside_line(StepKind::Isolate),
            "∥ isolate: NIC and disks are fenced at once"
        );
        for kind in StepKind::ALL {
            let line = beside_line(kind);
            assert!(
                line.chars().count() <= 54,
                "fits the preview at 80 columns: {line}"
            );
        }
    }

    #[test]
    fn a_step_with_nothing_to_do_shows_no_beside_line() {
        let mut step = super::super::PlanStep {
            kind: StepKind::Detach,
            what: "nothing to detach: every disk of the role is shared".to_string(),
            azure_calls: Vec::new(),
            estimate: std::time::Duration::ZERO,
            timeout: std::time::Duration::from_secs(60),
            concurrent_with: Some(StepKind::Isolate),
            already_done: true,
        };
        assert_eq!(step.beside(), None);
        step.already_done = false;
        assert_eq!(
            step.beside().as_deref(),
            Some("∥ isolate: NIC and disks are fenced at once")
        );
    }
}
