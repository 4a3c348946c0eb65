//! The unlock flow (`U`, operator and demo only): on a role whose lock another baton holds
//! (a remote holder in the snapshot), open the unlock dialog and ask the engine for the lock as
//! the store has it (`ReadLock`); once it is shown, the role's exact name typed and Enter emit
//! `BreakLock` with the epoch shown, once; the engine's answer becomes one event-log line.
//!
//! Pure like the rest of `update`. A local backend has no lock to break (a `flock` dies with
//! its process): the key says so in the event log and opens nothing.

use super::super::state::ops::{Dialog, UnlockDialog, MAX_TYPED};
use super::super::state::UiState;
use super::log_now;
use crate::core::name::RoleName;
use crate::core::snapshot::Severity;
use crate::core::text::sanitize;
use crate::protocol::{Effect, LockBreak, LockView, OpEffect};
use crossterm::event::KeyCode;

/// `U` on the selected role.
pub(super) fn open(state: &mut UiState) -> Vec<Effect> {
    let Some(role) = state.selected_role().map(|r| r.role.clone()) else {
        return Vec::new();
    };
    let shown = Some(sanitize(&role));
    if !state.shared_locks {
        let text = "role locks are local (backend = \"local\"): a local lock dies with its \
                    process, so there is nothing to break";
        log_now(state, Severity::Info, shown, text.to_string());
        return Vec::new();
    }
    if let Some(why) = super::ops::coordination_refusal(state) {
        log_now(state, Severity::Warn, shown, sanitize(&why));
        return Vec::new();
    }
    let Some(holder) = state.snapshot.coordination.remote.get(&role) else {
        let text = "no other baton holds this role's lock: nothing to break";
        log_now(state, Severity::Info, shown, text.to_string());
        return Vec::new();
    };
    let by = holder.by();
    state
        .ops
        .dialogs
        .push_back(Dialog::Unlock(Box::new(UnlockDialog {
            role: role.clone(),
            by,
            lock: None,
            error: None,
            typed: String::new(),
        })));
    vec![Effect::Op(OpEffect::ReadLock {
        role: RoleName::from(role.as_str()),
    })]
}

/// The lock as read: shown in the open dialog of that role (dropped when none is open).
pub(super) fn on_lock(
    state: &mut UiState,
    role: &RoleName,
    status: Result<Option<LockView>, String>,
) -> Vec<Effect> {
    let Some(dialog) = dialog_of(state, role.as_str()) else {
        return Vec::new();
    };
    dialog.typed.clear();
    match status {
        Ok(Some(lock)) if lock.held => {
            dialog.lock = Some(lock);
            dialog.error = None;
        }
        Ok(lock) => {
            let lease = lock.as_ref().map_or("never taken", |l| l.lease.as_str());
            dialog.error = Some(format!(
                "not locked now (lease {}): nothing to break",
                sanitize(lease)
            ));
            dialog.lock = lock;
        }
        Err(why) => dialog.error = Some(sanitize(&why)),
    }
    state.dirty = true;
    Vec::new()
}

/// What the break did, as one event-log line.
pub(super) fn on_broken(
    state: &mut UiState,
    role: &RoleName,
    result: Result<LockBreak, String>,
) -> Vec<Effect> {
    let name = sanitize(role.as_str());
    let (severity, text) = match result {
        Ok(done) => (Severity::Warn, broken_line(&name, &done)),
        Err(why) => (
            Severity::Critical,
            format!("unlock of {name} refused: {why}"),
        ),
    };
    log_now(state, severity, Some(name), sanitize(&text));
    state.dirty = true;
    Vec::new()
}

/// `lock of db broken (was oncall@jump-2, epoch 3); resume with baton switchover db --resume
/// from any host`.
fn broken_line(role: &str, done: &LockBreak) -> String {
    let was = done.was.as_deref().unwrap_or("an unnamed holder");
    let head = if done.broken {
        format!("lock of {role} broken (was {was}, epoch {})", done.epoch)
    } else {
        format!(
            "the lease of {role} ended by itself meanwhile (was {was}, epoch {})",
            done.epoch
        )
    };
    match &done.resume {
        Some(command) => format!("{head}; resume with `{command}` from any host"),
        None => format!("{head}; no operation of {role} is unfinished"),
    }
}

/// A key in the front unlock dialog: typing (only while a held lock is shown), backspace,
/// Enter with the exact name, Esc.
pub(super) fn key(state: &mut UiState, code: KeyCode) -> Vec<Effect> {
    let Some(Dialog::Unlock(dialog)) = state.ops.dialogs.front_mut() else {
        return Vec::new();
    };
    match code {
        KeyCode::Esc => {
            let role = sanitize(&dialog.role);
            state.ops.dialogs.pop_front();
            log_now(state, Severity::Info, Some(role), "unlock cancelled".into());
        }
        KeyCode::Enter => return confirm(state),
        KeyCode::Backspace => {
            dialog.typed.pop();
        }
        KeyCode::Char(c)
            if !c.is_control()
                && dialog.typed.chars().count() < MAX_TYPED
                && dialog.held().is_some() =>
        {
            dialog.typed.push(c);
        }
        _ => {}
    }
    Vec::new()
}

/// Enter: breaks only a held lock, shown, with the role's exact name typed.
fn confirm(state: &mut UiState) -> Vec<Effect> {
    let Some(Dialog::Unlock(dialog)) = state.ops.dialogs.front() else {
        return Vec::new();
    };
    if !dialog.confirmable() {
        return Vec::new();
    }
    let Some(epoch) = dialog.held().map(|l| l.epoch) else {
        return Vec::new();
    };
    let effect = Effect::Op(OpEffect::BreakLock {
        role: RoleName::from(dialog.role.as_str()),
        epoch,
        confirmed_name: dialog.typed.clone(),
    });
    let role = sanitize(&dialog.role);
    state.ops.dialogs.pop_front();
    let text = "unlock confirmed by typing the role name".to_string();
    log_now(state, Severity::Warn, Some(role), text);
    vec![effect]
}

fn dialog_of<'a>(state: &'a mut UiState, role: &str) -> Option<&'a mut UnlockDialog> {
    state.ops.dialogs.iter_mut().find_map(|d| match d {
        Dialog::Unlock(u) if u.role == role => Some(&mut **u),
        _ => None,
    })
}
