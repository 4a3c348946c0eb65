//! Keys and actions while a dialog is open: the dialogs are modal, so the front one gets every
//! key (the keymap is bypassed; only ctrl-c still quits).
//!
//! Every dialog that mutates asks for the role name, typed (every mutation needs it): printable
//! characters type, backspace deletes, Enter acts only when
//! [`typed_name_confirms`] (the exact, same-case name).
//! Preview: `tab` cycles the target (re-asking for the plan), arrows/page keys scroll, Esc
//! cancels. Abort: Enter with the name aborts, Esc keeps going. Choice: arrows move (letters
//! and digits type: role names contain them), Enter with the name picks, Esc decides later
//! (`A` reopens). Summary: Enter/Esc close it and return the role to its detail panes. Must not
//! do I/O.

use super::super::action::Action;
use super::super::state::ops::{Choice, Dialog, Preview, MAX_TYPED};
use super::super::state::UiState;
use super::log_now;
use crate::core::name::typed_name_confirms;
use crate::core::snapshot::Severity;
use crate::core::text::sanitize;
use crate::protocol::{Effect, OpEffect, UiEffect};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// Handles a key when a dialog is open; `None` when no dialog is (the keymap takes it).
pub(super) fn key(state: &mut UiState, key: &KeyEvent) -> Option<Vec<Effect>> {
    if state.ops.dialogs.is_empty() || !state.mode.allows_mutation() {
        return None;
    }
    if key.kind == KeyEventKind::Release {
        return Some(Vec::new());
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if ctrl && key.code == KeyCode::Char('c') {
        return Some(vec![Effect::Ui(UiEffect::Quit)]);
    }
    if ctrl || key.modifiers.contains(KeyModifiers::ALT) {
        return Some(Vec::new());
    }
    state.dirty = true;
    let effects = match state.ops.dialogs.front() {
        Some(Dialog::Preview(_)) => preview_key(state, key.code),
        Some(Dialog::Abort { .. }) => abort_key(state, key.code),
        Some(Dialog::Choose { .. }) => choose_key(state, key.code),
        Some(Dialog::Summary { .. } | Dialog::DrillSummary { .. }) => summary_key(state, key.code),
        Some(Dialog::Unlock(_)) => super::unlock::key(state, key.code),
        None => Vec::new(),
    };
    Some(effects)
}

/// An already-resolved action while a dialog is open: Quit quits, Close acts as Esc, nothing
/// else exists until the dialog is answered.
pub(super) fn action(state: &mut UiState, action: Action) -> Vec<Effect> {
    match action {
        Action::Quit => vec![Effect::Ui(UiEffect::Quit)],
        Action::Close => {
            state.dirty = true;
            close_front(state);
            Vec::new()
        }
        // Listed one by one so a new action has to be placed here on purpose.
        Action::Up
        | Action::Down
        | Action::First
        | Action::Last
        | Action::NextPane
        | Action::PrevPane
        | Action::Refresh
        | Action::Help
        | Action::ChaosKill
        | Action::ChaosHang
        | Action::ChaosHeal
        | Action::Failover
        | Action::Switchover
        | Action::Abort
        | Action::Drill
        | Action::History
        | Action::ExportTimeline
        | Action::Unlock => Vec::new(),
    }
}

/// Esc on any dialog. Closing a summary also stops following its (finished) operation.
fn close_front(state: &mut UiState) {
    match state.ops.dialogs.pop_front() {
        Some(Dialog::Summary { op_id }) => state.ops.ops.retain(|v| v.op.op_id != op_id),
        Some(Dialog::DrillSummary { drill_id }) => super::drill::forget(state, &drill_id),
        _ => {}
    }
}

fn front_preview(state: &mut UiState) -> Option<&mut Preview> {
    match state.ops.dialogs.front_mut() {
        Some(Dialog::Preview(p)) => Some(&mut **p),
        _ => None,
    }
}

fn preview_key(state: &mut UiState, code: KeyCode) -> Vec<Effect> {
    let Some(p) = front_preview(state) else {
        return Vec::new();
    };
    match code {
        KeyCode::Esc => {
            let role = sanitize(&p.role);
            let text = format!("{} cancelled", p.kind.as_str());
            state.ops.dialogs.pop_front();
            log_now(state, Severity::Info, Some(role), text);
        }
        KeyCode::Enter => return confirm(state),
        KeyCode::Tab => return cycle_target(state),
        KeyCode::Backspace => {
            p.typed.pop();
        }
        KeyCode::Up => p.scroll = p.scroll.saturating_sub(1),
        KeyCode::Down => p.scroll = p.scroll.saturating_add(1),
        KeyCode::PageUp => p.scroll = p.scroll.saturating_sub(10),
        KeyCode::PageDown => p.scroll = p.scroll.saturating_add(10),
        // Only a confirmable plan takes typing: a blocked one has nothing to confirm.
        KeyCode::Char(c)
            if !c.is_control()
                && p.typed.chars().count() < MAX_TYPED
                && p.plan.as_ref().is_some_and(|plan| plan.can_confirm()) =>
        {
            p.typed.push(c);
        }
        _ => {}
    }
    Vec::new()
}

/// Enter: starts the operation only for a confirmable plan and the role's exact name.
fn confirm(state: &mut UiState) -> Vec<Effect> {
    let Some(p) = front_preview(state) else {
        return Vec::new();
    };
    if !p.confirmable() {
        return Vec::new();
    }
    let Some(plan) = p.plan.as_ref() else {
        return Vec::new();
    };
    let Some(target) = plan.to.clone() else {
        return Vec::new();
    };
    let effect = Effect::Op(OpEffect::StartOperation {
        role: plan.role.as_str().into(),
        kind: plan.kind,
        target,
        confirmed_name: p.typed.clone(),
    });
    let text = format!("{} confirmed by typing the role name", plan.kind.as_str());
    let role = sanitize(&plan.role);
    state.ops.dialogs.pop_front();
    log_now(state, Severity::Warn, Some(role), text);
    vec![effect]
}

/// Tab: the next standby after the current target; the plan is asked again for it and the
/// preview waits (a plan for the previous target can no longer be confirmed).
fn cycle_target(state: &mut UiState) -> Vec<Effect> {
    let Some(p) = front_preview(state) else {
        return Vec::new();
    };
    if p.standbys.is_empty() {
        return Vec::new();
    }
    let current = p
        .plan
        .as_ref()
        .and_then(|plan| plan.to.clone())
        .or_else(|| p.target.clone());
    let next = match current.and_then(|c| p.standbys.iter().position(|s| *s == c)) {
        Some(i) => p.standbys[(i + 1) % p.standbys.len()].clone(),
        None => p.standbys[0].clone(),
    };
    p.target = Some(next.clone());
    p.plan = None;
    p.error = None;
    p.typed.clear();
    p.scroll = 0;
    vec![Effect::Op(OpEffect::RequestPlan {
        role: p.role.as_str().into(),
        kind: p.kind,
        target: Some(next),
    })]
}

/// Typing into a dialog's name field: a printable character (up to [`MAX_TYPED`]) or
/// backspace. True when the key was one of those.
fn edit_typed(typed: &mut String, code: KeyCode) -> bool {
    match code {
        KeyCode::Backspace => {
            typed.pop();
            true
        }
        KeyCode::Char(c) if !c.is_control() => {
            if typed.chars().count() < MAX_TYPED {
                typed.push(c);
            }
            true
        }
        _ => false,
    }
}

/// Whether the front dialog's typed text confirms the role of its operation.
fn name_typed(state: &UiState) -> bool {
    let front = state.ops.dialogs.front();
    let typed = match front {
        Some(Dialog::Abort { typed, .. } | Dialog::Choose { typed, .. }) => typed,
        _ => return false,
    };
    front
        .and_then(Dialog::op_id)
        .and_then(|id| state.ops.get(id))
        .is_some_and(|v| typed_name_confirms(&v.op.role, typed))
}

fn abort_key(state: &mut UiState, code: KeyCode) -> Vec<Effect> {
    let Some(Dialog::Abort { typed, .. }) = state.ops.dialogs.front_mut() else {
        return Vec::new();
    };
    if edit_typed(typed, code) {
        return Vec::new();
    }
    match code {
        KeyCode::Enter if name_typed(state) => {
            let Some(Dialog::Abort { op_id, .. }) = state.ops.dialogs.pop_front() else {
                return Vec::new();
            };
            let role = state.ops.get(&op_id).map(|v| sanitize(&v.op.role));
            let text = "abort confirmed by typing the role name".to_owned();
            log_now(state, Severity::Warn, role, text);
            vec![Effect::Op(OpEffect::AbortOperation { op_id })]
        }
        KeyCode::Esc => {
            state.ops.dialogs.pop_front();
            Vec::new()
        }
        _ => Vec::new(),
    }
}

fn choose_key(state: &mut UiState, code: KeyCode) -> Vec<Effect> {
    let Some(Dialog::Choose {
        options,
        cursor,
        typed,
        ..
    }) = state.ops.dialogs.front_mut()
    else {
        return Vec::new();
    };
    if edit_typed(typed, code) {
        return Vec::new();
    }
    let n = options.len();
    match code {
        KeyCode::Esc => {
            state.ops.dialogs.pop_front();
        }
        KeyCode::Up => *cursor = cursor.saturating_sub(1),
        KeyCode::Down => *cursor = (*cursor + 1).min(n.saturating_sub(1)),
        KeyCode::Enter if name_typed(state) => return choose(state),
        _ => {}
    }
    Vec::new()
}

/// Enter on a choice with the role name typed: sends it once and waits for the operation to
/// move on.
fn choose(state: &mut UiState) -> Vec<Effect> {
    let Some(Dialog::Choose {
        op_id,
        options,
        cursor,
        ..
    }) = state.ops.dialogs.pop_front()
    else {
        return Vec::new();
    };
    let Some(choice) = options.get(cursor).copied() else {
        return Vec::new();
    };
    let role = state.ops.get_mut(&op_id).map(|v| {
        v.choice_sent = true;
        v.interrupted = false;
        sanitize(&v.op.role)
    });
    log_now(
        state,
        Severity::Warn,
        role,
        format!("chose by typing the role name: {}", choice.label()),
    );
    vec![match choice {
        Choice::Resume => Effect::Op(OpEffect::ResumeOperation { op_id }),
        Choice::Rollback(mode) => Effect::Op(OpEffect::ChooseRollback { op_id, mode }),
    }]
}

fn summary_key(state: &mut UiState, code: KeyCode) -> Vec<Effect> {
    if matches!(code, KeyCode::Esc | KeyCode::Enter) {
        close_front(state);
    }
    Vec::new()
}
