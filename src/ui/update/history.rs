//! The history overlay's transitions: `h` opens it on the selected role and asks the engine to load
//! the history (`ReadEffect::LoadHistory`); the engine's `EngineMsg::History` fills it. While it is
//! open it takes the navigation keys (`↑↓ j k g G` move the cursor, `tab` switches between the role
//! and every role, `r` reloads, `esc` or `h` close); help and quit still work; every other action
//! waits until it is closed. An operation beginning or finishing while it is open asks for the
//! history again.
//!
//! Pure like the rest of `update`. Exists in read-only mode (a read), not on a wall.

use super::super::action::Action;
use super::super::state::history::HistoryView;
use super::super::state::UiState;
use crate::core::history::History;
use crate::core::operation::OpEvent;
use crate::protocol::Effect;
use crate::protocol::{HistoryFailure, ReadEffect};
use std::collections::BTreeSet;

/// `h`: open on the selected role and ask for the history, or close it.
pub(super) fn toggle(state: &mut UiState) -> Vec<Effect> {
    if state.history.take().is_some() {
        return Vec::new();
    }
    let role = state.selected_role().map(|r| r.role.clone());
    state.history = Some(HistoryView::loading(role));
    vec![Effect::Read(ReadEffect::LoadHistory)]
}

/// An action while the overlay is open: `Some` when the overlay took it (or swallowed it).
pub(super) fn action(state: &mut UiState, action: Action) -> Option<Vec<Effect>> {
    let view = state.history.as_mut()?;
    let last = view.runs().len().saturating_sub(1);
    match action {
        Action::Help | Action::Quit => return None,
        Action::History | Action::Close => state.history = None,
        Action::Up => view.cursor = view.cursor.saturating_sub(1),
        Action::Down => view.cursor = (view.cursor + 1).min(last),
        Action::First => view.cursor = 0,
        Action::Last => view.cursor = last,
        Action::NextPane | Action::PrevPane if view.role.is_some() => {
            view.all_roles = !view.all_roles;
            view.cursor = 0;
        }
        Action::Refresh => {
            view.loaded = None;
            return Some(vec![Effect::Read(ReadEffect::LoadHistory)]);
        }
        // One role only (no toggle), or an action that waits until the overlay is closed.
        Action::NextPane
        | Action::PrevPane
        | Action::ChaosKill
        | Action::ChaosHang
        | Action::ChaosHeal
        | Action::Failover
        | Action::Switchover
        | Action::Abort
        | Action::Drill
        | Action::ExportTimeline
        | Action::Unlock => {}
    }
    Some(Vec::new())
}

/// The engine's answer: fills the open overlay (an answer with nothing open is dropped). Runs
/// of operations this cockpit follows and that have not finished read RUNNING.
pub(super) fn on_loaded(
    state: &mut UiState,
    loaded: Result<History, HistoryFailure>,
) -> Vec<Effect> {
    let live: BTreeSet<String> = state
        .ops
        .ops
        .iter()
        .filter(|v| !v.op.is_finished() && !v.interrupted)
        .map(|v| v.op.op_id.clone())
        .collect();
    let Some(view) = state.history.as_mut() else {
        return Vec::new();
    };
    view.loaded = Some(loaded.map(|mut h| {
        h.mark_live(&live);
        h
    }));
    view.cursor = view.cursor.min(view.runs().len().saturating_sub(1));
    state.dirty = true;
    Vec::new()
}

/// An operation began or finished while the overlay is open: read the history again (the old
/// rows stay on screen until the answer arrives).
pub(super) fn on_op_event(state: &UiState, event: &OpEvent) -> Option<Effect> {
    let moved = matches!(event, OpEvent::Begun { .. } | OpEvent::Finished { .. });
    (moved && state.history.is_some()).then_some(Effect::Read(ReadEffect::LoadHistory))
}
