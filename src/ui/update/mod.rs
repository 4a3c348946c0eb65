//! The cockpit's only state transition: `update(state, msg) -> effects`.
//!
//! Pure: no I/O, no clock reads (time arrives as `Msg::Tick`), no channels. It resolves keys
//! through the keymap, refuses actions that do not exist in the mode (defence in depth behind
//! the keymap), detects role state transitions between snapshots, raises and clears alarms, and
//! keeps the event log, drives the failover/switchover flow (`ops`, `dialog`) and the history
//! overlay (`history`). Effects are
//! requests; the caller (`run`, the engine) executes them.

use super::action::Action;
use super::state::{LogEntry, Mode, Pane, UiState, LOG_CAPACITY};
use crate::core::drill::DrillRecord;
use crate::core::history::History;
use crate::core::operation::{OpEvent, Operation, RollbackMode};
use crate::core::plan::{OperationKind, Plan};
use crate::core::snapshot::{EngineEvent, FleetSnapshot, Severity};
use crate::core::text::sanitize;
use crossterm::event::KeyEvent;

mod chaos;
mod dialog;
mod drill;
mod history;
mod ops;
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
    /// The engine's answer to [`Effect::RequestPlan`] (ignored unless its preview is open).
    Plan(Plan),
    /// Planning failed; the text says why (shown in the open preview).
    PlanError(String),
    /// One journalled event of an operation, in journal order (never dropped).
    OpEvent {
        /// The operation it belongs to (`Begun` carries it too).
        op_id: String,
        /// The event.
        event: OpEvent,
    },
    /// Unfinished operations found at start-up (their journals replayed); each opens a dialog.
    Interrupted(Vec<Operation>),
    /// A drill's record after one of its phases (legs, hold, verdict); its legs' steps come
    /// as `OpEvent`s like any operation's.
    Drill {
        /// The record as saved.
        record: Box<DrillRecord>,
        /// The Markdown report's path, once written.
        report: Option<String>,
    },
    /// The engine's answer to [`Effect::LoadHistory`]: the history, or why it could not be read
    /// (ignored unless the history overlay is open). Arrives in every mode: it is a read.
    History(Result<History, String>),
}

/// What the cockpit asks its surroundings to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Leave: restore the terminal and return from `run`.
    Quit,
    /// Ring the terminal bell (a role went MASTER DOWN or SPLIT).
    Bell,
    /// Refresh the Azure inventory now.
    RefreshInventory,
    /// Demo only: break or heal a VM in the emulator.
    Chaos {
        /// The VM (raw name as in the snapshot).
        vm: String,
        /// What to do to it.
        action: ChaosAction,
    },
    /// Plan a failover or switchover; the engine answers `Msg::Plan` or `Msg::PlanError`.
    RequestPlan {
        /// The role (raw name).
        role: String,
        /// Failover or switchover.
        kind: OperationKind,
        /// The standby the operator picked; `None` lets the planner choose.
        target: Option<String>,
    },
    /// Start the previewed plan: the operator typed the role's name exactly.
    StartOperation {
        /// The role (raw name).
        role: String,
        /// Failover or switchover.
        kind: OperationKind,
        /// The target of the previewed plan.
        target: String,
        /// What the operator typed (equal to `role`).
        confirmed_name: String,
    },
    /// Halt a running operation after its running step (confirmed by the operator).
    AbortOperation {
        /// The operation.
        op_id: String,
    },
    /// How to go on after an abort, a failure or an interruption.
    ChooseRollback {
        /// The operation.
        op_id: String,
        /// One of the operation's `rollback_options()`.
        mode: RollbackMode,
    },
    /// Carry on with an operation found interrupted at start-up.
    ResumeOperation {
        /// The operation.
        op_id: String,
    },
    /// Read the run history from the state directory; the engine answers `Msg::History`.
    LoadHistory,
    /// Write the role's newest operation as a Markdown timeline; the engine logs the file.
    ExportTimeline {
        /// The role (raw name).
        role: String,
    },
}

/// Demo-mode chaos the emulator understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChaosAction {
    /// Stop the VM's service (service probe fails, VM stays up).
    KillService,
    /// Hang the whole VM (both probes fail).
    HangVm,
    /// Undo any chaos on the VM.
    Heal,
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
        Msg::Plan(_)
        | Msg::PlanError(_)
        | Msg::OpEvent { .. }
        | Msg::Interrupted(_)
        | Msg::Drill { .. }
            if !state.mode.allows_mutation() =>
        {
            tracing::debug!("operation message ignored in {:?} mode", state.mode);
            Vec::new()
        }
        Msg::Plan(plan) => ops::on_plan(state, plan),
        Msg::PlanError(error) => ops::on_plan_error(state, &error),
        Msg::OpEvent { op_id, event } => {
            let mut effects = ops::on_event(state, &op_id, &event);
            effects.extend(history::on_op_event(state, &event));
            effects
        }
        Msg::Interrupted(found) => ops::on_interrupted(state, found),
        Msg::Drill { record, report } => drill::on_drill(state, *record, report),
        Msg::History(loaded) => history::on_loaded(state, loaded),
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
        Action::Quit => return vec![Effect::Quit],
        Action::Refresh => {
            log_now(
                state,
                Severity::Info,
                None,
                "inventory refresh requested".into(),
            );
            return vec![Effect::RefreshInventory];
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
    vec![Effect::ExportTimeline { role }]
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
