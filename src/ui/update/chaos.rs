//! Demo-mode chaos: turns the chaos keys into `Effect::Chaos` on the selected role's VMs and
//! logs what was asked. Must not run outside demo mode (the action does not exist elsewhere).

use super::super::state::UiState;
use super::log_now;
use crate::core::snapshot::Severity;
use crate::core::text::sanitize;
use crate::protocol::{ChaosAction, ChaosRequest, Effect};

pub(super) fn chaos_on_master(state: &mut UiState, action: ChaosAction) -> Vec<Effect> {
    let Some(role) = state.selected_role() else {
        return Vec::new();
    };
    let role_name = role.role.clone();
    let Some(master) = role.master.clone() else {
        let text = "DEMO: no master to break (chaos needs a master)".to_string();
        log_now(state, Severity::Warn, Some(sanitize(&role_name)), text);
        return Vec::new();
    };
    let verb = match action {
        ChaosAction::KillService => "killing service on",
        ChaosAction::HangVm => "hanging VM",
        ChaosAction::Heal => "healing",
    };
    let text = format!("DEMO: {verb} {}", sanitize(&master));
    log_now(state, Severity::Warn, Some(sanitize(&role_name)), text);
    vec![Effect::Chaos(ChaosRequest { vm: master, action })]
}

pub(super) fn chaos_heal(state: &mut UiState) -> Vec<Effect> {
    let Some(role) = state.selected_role() else {
        return Vec::new();
    };
    let role_name = sanitize(&role.role);
    let effects: Vec<Effect> = role
        .vms
        .iter()
        .map(|vm| {
            Effect::Chaos(ChaosRequest {
                vm: vm.name.clone(),
                action: ChaosAction::Heal,
            })
        })
        .collect();
    log_now(
        state,
        Severity::Info,
        Some(role_name),
        "DEMO: healing every VM".into(),
    );
    effects
}
