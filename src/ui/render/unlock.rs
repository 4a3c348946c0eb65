//! The unlock dialog: the lock another baton holds (holder, operation, since, epoch, lease
//! state, last write), the one-line warning, the audit comment, and the typed role name. While
//! the lock is read it says so; a lock that cannot be broken says why and takes no typing.
//!
//! Must not change state; every string from the store is cleaned before it is drawn.

use super::super::state::ops::UnlockDialog;
use super::super::theme::Theme;
use super::dialogs::{armed_key, typed_prompt, wrapped};
use super::widgets::{clean, fmt_clock};
use crate::protocol::{LockView, COCKPIT_UNLOCK_COMMENT};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};

/// The dialog's lines at `width` columns.
pub(super) fn lines(dialog: &UnlockDialog, theme: &Theme, width: usize) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    let Some(lock) = &dialog.lock else {
        let text = format!(
            "reading the lock of {} (held by {})…",
            clean(&dialog.role),
            clean(&dialog.by)
        );
        wrapped(&mut out, &text, width, theme.muted);
        out.push(Line::styled("esc cancel", theme.muted));
        return out;
    };
    facts(&mut out, &dialog.role, lock, theme, width);
    out.push(Line::raw(""));
    if let Some(why) = &dialog.error {
        wrapped(&mut out, why, width, theme.critical);
        out.push(Line::styled("esc close", theme.muted));
        return out;
    }
    let warning = "! Breaking a live holder's lock stops it before its next Azure write: use it \
                   for a dead holder.";
    wrapped(
        &mut out,
        warning,
        width,
        theme.warn.add_modifier(Modifier::BOLD),
    );
    let audit = format!("audited as yours, comment \"{COCKPIT_UNLOCK_COMMENT}\"");
    wrapped(&mut out, &audit, width, theme.muted);
    out.push(Line::raw(""));
    out.push(typed_prompt(&dialog.role, &dialog.typed, "break it", theme));
    out.push(Line::from(vec![
        armed_key("enter BREAK", theme),
        Span::styled("   esc cancel", theme.muted),
    ]));
    out
}

/// Holder, operation, since, epoch, lease state and last write.
fn facts(out: &mut Vec<Line<'static>>, role: &str, lock: &LockView, theme: &Theme, width: usize) {
    let holder = lock.holder.as_ref().map_or_else(
        || "an unnamed holder".to_string(),
        |h| format!("{} on {} (pid {})", clean(&h.who), clean(&h.host), h.pid),
    );
    let head = format!("role {} is locked by {holder}", clean(role));
    wrapped(out, &head, width, theme.text.add_modifier(Modifier::BOLD));
    if let Some(h) = &lock.holder {
        let op = h.op_id.as_deref().map_or("none yet".into(), clean);
        let text = format!(
            "operation {op} · since {}Z · epoch {}",
            fmt_clock(h.since),
            lock.epoch
        );
        wrapped(out, &text, width, theme.text);
    }
    let written = lock
        .last_written
        .map_or_else(|| "unknown".to_string(), |t| format!("{}Z", fmt_clock(t)));
    let text = format!(
        "lease {} · lock blob last written {written} (Azure keeps no renew time)",
        clean(&lock.lease)
    );
    wrapped(out, &text, width, theme.text);
}
