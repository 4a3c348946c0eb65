//! The cockpit's only state transition: `update(state, msg) -> effects`.
//!
//! Pure: no I/O, no clock reads (time arrives as `Msg::Tick`), no channels. It resolves keys
//! through the keymap, refuses actions that do not exist in the mode (defence in depth behind
//! the keymap), detects role state transitions between snapshots, raises and clears alarms, and
//! keeps the event log, drives the failover/switchover flow (`ops`, `dialog`), the unlock
//! dialog (`unlock`) and the history overlay (`history`). Effects are
//! requests; the caller (`run`, the engine) executes them.

use super::action::Action;
use super::state::{LogEntry, Mode, Pane, UiState, LOG_CAPACITY};
use crate::core::plan::OperationKind;
use crate::core::snapshot::{EngineEvent, FleetSnapshot, Severity};
use crate::core::text::sanitize;
use crate::protocol::{ChaosAction, Effect, EngineMsg, ReadEffect, UiEffect};
use crossterm::event::KeyEvent;

mod chaos;
mod dialog;
mod drill;
mod history;
mod ops;
mod unlock;
use chaos::{chaos_heal, chaos_on_master};
mod snapshot;
use snapshot::{apply_snapshot, check_stale};
use time::OffsetDateTime;

/// Everything that can happen to the cockpit.
#[derive(Debug, Clone)]
pub enum Msg {
    /// A key press, resolved through the keymap.
    Key(KeyEvent),
    /// An action already resolved (tests, future mouse or command palette); still refused when
    /// it does not exist in the mode.
    Action(Action),
    /// The clock, once a second (faster while something animates).
    Tick(OffsetDateTime),
    /// The latest fleet snapshot (latest-wins).
    Snapshot(FleetSnapshot),
    /// One engine event for the log (never dropped).
    Event(EngineEvent),
    /// The terminal changed size.
    Resize(u16, u16),
    /// A message from the engine (plans, operation events, drills, history).
    Engine(EngineMsg),
}

/// Applies one message; returns the effects to execute, in order.
pub fn update(state: &mut UiState, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Key(key) => {
            if let Some(effects) = dialog::key(state, &key) {
                return effects;
            }
            match state.keymap.resolve(&key) {
                Some(action) => apply_action(state, action),
                None => Vec::new(),
            }
        }
        Msg::Action(action) => apply_action(state, action),
        Msg::Tick(now) => {
            state.now = Some(now);
            check_stale(state);
            state.dirty = true;
            Vec::new()
        }
        Msg::Snapshot(snapshot) => apply_snapshot(state, snapshot),
        Msg::Event(event) => {
            let role = event.role.as_deref().map(sanitize);
            push_log(state, event.at, event.severity, role, sanitize(&event.text));
            state.dirty = true;
            Vec::new()
        }
        Msg::Resize(w, h) => {
            state.size = (w, h);
            state.dirty = true;
            Vec::new()
        }
        Msg::Engine(msg) if msg.is_operation() && !state.mode.allows_mutation() => {
            tracing::debug!("operation message ignored in {:?} mode", state.mode);
            Vec::new()
        }
        Msg::Engine(msg) => engine_msg(state, msg),
    }
}

/// Routes the engine's answers (the mode was checked by the caller).
fn engine_msg(state: &mut UiState, msg: EngineMsg) -> Vec<Effect> {
    match msg {
        EngineMsg::Plan(plan) => ops::on_plan(state, plan),
        EngineMsg::PlanError(error) => ops::on_plan_error(state, &error.to_string()),
        EngineMsg::OpEvent { op_id, event } => {
            let mut effects = ops::on_event(state, &op_id, &event);
            effects.extend(history::on_op_event(state, &event));
            effects
        }
        EngineMsg::Interrupted(found) => ops::on_interrupted(state, found),
        EngineMsg::Drill { record, report } => drill::on_drill(state, *record, report),
        EngineMsg::History(loaded) => history::on_loaded(state, loaded),
        EngineMsg::RemoteEvent { op_id, by, event } => {
            ops::on_remote_event(state, &op_id, &by, &event)
        }
        EngineMsg::Lock { role, status } => unlock::on_lock(state, &role, status),
        EngineMsg::LockBroken { role, result } => unlock::on_broken(state, &role, result),
    }
}

fn apply_action(state: &mut UiState, action: Action) -> Vec<Effect> {
    if !action.exists_in(state.mode) {
        return Vec::new();
    }
    if !state.ops.dialogs.is_empty() {
        return dialog::action(state, action);
    }
    if state.help_open && !matches!(action, Action::Help | Action::Close | Action::Quit) {
        return Vec::new();
    }
    state.dirty = true;
    if !state.help_open {
        if let Some(effects) = history::action(state, action) {
            return effects;
        }
    }
    match action {
        Action::Up => move_or_scroll(state, -1),
        Action::Down => move_or_scroll(state, 1),
        Action::First => select(state, 0),
        Action::Last => select(state, state.snapshot.roles.len().saturating_sub(1)),
        Action::NextPane => state.focus = state.focus.next(),
        Action::PrevPane => state.focus = state.focus.prev(),
        Action::Help => state.help_open = !state.help_open,
        Action::Close => close(state),
        Action::Quit => return vec![Effect::Ui(UiEffect::Quit)],
        Action::Refresh => {
            log_now(
                state,
                Severity::Info,
                None,
                "inventory refresh requested".into(),
            );
            return vec![Effect::Read(ReadEffect::RefreshInventory)];
        }
        Action::ChaosKill => return chaos_on_master(state, ChaosAction::KillService),
        Action::ChaosHang => return chaos_on_master(state, ChaosAction::HangVm),
        Action::ChaosHeal => return chaos_heal(state),
        Action::Failover => return ops::request(state, OperationKind::Failover),
        Action::Switchover => return ops::request(state, OperationKind::Switchover),
        Action::Drill => return ops::request(state, OperationKind::Drill),
        Action::Abort => ops::abort(state),
        Action::History => return history::toggle(state),
        Action::ExportTimeline => return export_timeline(state),
        Action::Unlock => return unlock::open(state),
    }
    Vec::new()
}

/// `t`: the selected role's current or last operation, as a timeline file (engine I/O).
fn export_timeline(state: &mut UiState) -> Vec<Effect> {
    let Some(role) = state.selected_role().map(|r| r.role.clone()) else {
        return Vec::new();
    };
    let text = "timeline export requested".to_string();
    log_now(state, Severity::Info, Some(sanitize(&role)), text);
    vec![Effect::Read(ReadEffect::ExportTimeline {
        role: role.into(),
    })]
}

fn close(state: &mut UiState) {
    if state.help_open {
        state.help_open = false;
    } else {
        for alarm in &mut state.alarms {
            alarm.dismissed = true;
        }
    }
}

fn move_or_scroll(state: &mut UiState, delta: isize) {
    if state.mode == Mode::Wall {
        return;
    }
    if state.focus == Pane::Roles {
        let target = state.selected.saturating_add_signed(delta);
        select(state, target);
    } else {
        let max = content_len(state, state.focus).saturating_sub(1);
        let slot = &mut state.scroll[state.focus.index()];
        *slot = slot.saturating_add_signed(delta).min(max);
    }
}

/// Roughly how many lines a pane's content has, to bound scrolling.
fn content_len(state: &UiState, pane: Pane) -> usize {
    let role = state.selected_role();
    match pane {
        Pane::Roles => state.snapshot.roles.len(),
        Pane::Heartbeats => role.map_or(0, |r| r.vms.len()),
        Pane::Leader => role.map_or(0, |r| r.violations.len() + 2),
        Pane::Attachments => role.map_or(0, |r| r.disks.len() + 1),
        Pane::Events => state.log.len(),
    }
}

fn select(state: &mut UiState, index: usize) {
    if state.mode == Mode::Wall || state.snapshot.roles.is_empty() {
        return;
    }
    let index = index.min(state.snapshot.roles.len() - 1);
    if index != state.selected {
        state.selected = index;
        for pane in [Pane::Heartbeats, Pane::Leader, Pane::Attachments] {
            state.scroll[pane.index()] = 0;
        }
    }
}

pub(super) fn log_now(state: &mut UiState, severity: Severity, role: Option<String>, text: String) {
    let at = state
        .now
        .or(state.snapshot.inventory.fetched_at)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    push_log(state, at, severity, role, text);
}

pub(super) fn push_log(
    state: &mut UiState,
    at: OffsetDateTime,
    severity: Severity,
    role: Option<String>,
    text: String,
) {
    if state.log.len() == LOG_CAPACITY {
        state.log.pop_front();
    }
    // Keep the log in time order even when an engine event arrives after a later local one.
    let pos = state
        .log
        .iter()
        .rposition(|e| e.at <= at)
        .map_or(0, |p| p + 1);
    state.log.insert(
        pos,
        LogEntry {
            at,
            severity,
            role,
            text,
        },
    );
    // Keep a scrolled event log looking at the same lines while new ones arrive.
    let events = Pane::Events.index();
    if state.scroll[events] > 0 {
        state.scroll[events] = (state.scroll[events] + 1).min(state.log.len() - 1);
    }
}
