//! Taking in a new snapshot: role state transitions (logged), alarms (raised with one Bell,
//! cleared when the state clears), counts, selection by name, the learned refresh interval,
//! and staleness.
//!
//! Pure like the rest of `update`; must not read the clock.

use super::super::state::{state_index, Alarm, Freshness, UiState};
use super::log_now;
use crate::core::leader::LeaderState;
use crate::core::snapshot::{FleetSnapshot, Severity};
use crate::core::text::sanitize;
use crate::protocol::{Effect, UiEffect};
use std::collections::HashMap;

pub(super) fn apply_snapshot(state: &mut UiState, snapshot: FleetSnapshot) -> Vec<Effect> {
    let selected_name = state.selected_role().map(|r| r.role.clone());
    let previous: HashMap<&str, LeaderState> = state
        .snapshot
        .roles
        .iter()
        .map(|r| (r.role.as_str(), r.state))
        .collect();
    let first = !state.seen_roles;
    let mut bell = false;
    let mut entries = Vec::new();
    let mut raised = Vec::new();
    for role in &snapshot.roles {
        let before = previous.get(role.role.as_str()).copied();
        if before == Some(role.state) {
            continue;
        }
        let alarming = matches!(role.state, LeaderState::MasterDown | LeaderState::Split);
        if let Some(before) = before {
            let text = format!("{} → {}", before.label(), role.state.label());
            entries.push((severity_of(role.state), sanitize(&role.role), text));
        } else if !first || alarming {
            entries.push((
                severity_of(role.state),
                sanitize(&role.role),
                role.state.label().to_string(),
            ));
        }
        if alarming {
            bell = true;
            raised.push((role.role.clone(), role.state));
        }
    }
    drop(previous);
    learn_interval(state, &snapshot);
    state.snapshot = snapshot;
    if first && !state.snapshot.roles.is_empty() {
        state.seen_roles = true;
        let n = state.snapshot.roles.len();
        log_now(
            state,
            Severity::Info,
            None,
            format!("first snapshot: {n} roles"),
        );
    }
    for (severity, role, text) in entries {
        log_now(state, severity, Some(role), text);
    }
    update_alarms(state, raised);
    recount(state);
    reselect(state, selected_name);
    check_stale(state);
    state.dirty = true;
    if bell {
        vec![Effect::Ui(UiEffect::Bell)]
    } else {
        Vec::new()
    }
}

fn severity_of(state: LeaderState) -> Severity {
    match state {
        LeaderState::Healthy => Severity::Info,
        LeaderState::Degraded | LeaderState::Unknown | LeaderState::FailingOver => Severity::Warn,
        LeaderState::MasterDown | LeaderState::Split | LeaderState::NoMaster => Severity::Critical,
    }
}

fn update_alarms(state: &mut UiState, raised: Vec<(String, LeaderState)>) {
    let roles = &state.snapshot.roles;
    state
        .alarms
        .retain(|a| roles.iter().any(|r| r.role == a.role && r.state == a.state));
    for (role, alarm_state) in raised {
        state.alarms.retain(|a| a.role != role);
        state.alarms.push(Alarm {
            role,
            state: alarm_state,
            since: state.now,
            dismissed: false,
        });
    }
}

fn recount(state: &mut UiState) {
    state.counts = [0; 7];
    for role in &state.snapshot.roles {
        state.counts[state_index(role.state)] += 1;
    }
}

fn reselect(state: &mut UiState, name: Option<String>) {
    let roles = &state.snapshot.roles;
    if let Some(i) = name.and_then(|n| roles.iter().position(|r| r.role == n)) {
        state.selected = i;
    } else {
        state.selected = state.selected.min(roles.len().saturating_sub(1));
    }
}

/// Learns the nominal refresh interval: the shortest scheduled gap seen, so a throttled
/// (longer) schedule never makes old data look fresh.
fn learn_interval(state: &mut UiState, snapshot: &FleetSnapshot) {
    let inv = &snapshot.inventory;
    if let (Some(at), Some(next)) = (inv.fetched_at, inv.next_refresh_at) {
        let gap = next - at;
        if gap.is_positive() {
            state.refresh_interval = Some(state.refresh_interval.map_or(gap, |g| g.min(gap)));
        }
    }
}

pub(super) fn check_stale(state: &mut UiState) {
    let freshness = state.freshness();
    let stale = freshness.is_stale();
    if stale == state.stale {
        return;
    }
    state.stale = stale;
    let (severity, text) = match (stale, freshness) {
        (true, Freshness::Stale { error: Some(e), .. }) => {
            (Severity::Critical, format!("inventory STALE: {e}"))
        }
        (true, _) => (
            Severity::Critical,
            "inventory STALE: no refresh for too long".into(),
        ),
        (false, _) => (Severity::Info, "inventory fresh again".into()),
    };
    log_now(state, severity, None, text);
}
