//! The I/O shell around `update` and `render`: owns the terminal (raw mode, alternate screen,
//! hidden cursor), restores it on every exit path (Drop guard and panic hook), and runs the
//! event loop over keys, snapshots, engine events and ticks.
//!
//! The only place in the UI that reads the clock or touches the terminal. It never prints to
//! stdout/stderr while the TUI is up; Bell is the BEL byte sent through the backend.

use super::keymap::Keymap;
use super::render::render;
use super::state::{Mode, UiState};
use super::theme::Theme;
use super::update::{update, Msg};
use crate::core::snapshot::{EngineEvent, FleetSnapshot, Severity};
use crate::protocol::{Effect, EngineMsg, UiEffect};
use crossterm::event::{Event, EventStream};
use crossterm::{cursor, execute, terminal};
use futures::StreamExt;
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;
use std::io::{IsTerminal, Stdout, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Once;
use time::OffsetDateTime;
use tokio::sync::{mpsc, watch};
use tokio::time::{interval, Duration, MissedTickBehavior};

/// Everything `run` needs; the engine keeps the other ends of the channels.
pub struct UiOptions {
    /// What the cockpit may do.
    pub mode: Mode,
    /// Colours and emphasis.
    pub theme: Theme,
    /// Resolved key bindings (for `mode`).
    pub keymap: Keymap,
    /// Shown at the left of the header (e.g. `baton`).
    pub title: String,
    /// Environment name shown next to the title (e.g. `prod-weu`).
    pub environment: String,
    /// Latest fleet snapshot (latest-wins).
    pub snapshots: watch::Receiver<FleetSnapshot>,
    /// Engine events for the log (bounded; the engine awaits capacity, so none are dropped).
    pub events: mpsc::Receiver<EngineEvent>,
    /// Where reads, chaos and operation requests go; [`Effect::Ui`] is handled here.
    pub effects: mpsc::Sender<Effect>,
    /// The engine's answers: plans and plan failures, every journalled operation event in
    /// order, interrupted operations (once, at start-up), drill records and the history.
    /// Bounded; the engine awaits capacity, so none are dropped.
    pub ops: mpsc::Receiver<EngineMsg>,
    /// A failover or switchover slower than this missed its RTO (config `failover.rto_target`).
    pub rto_target: std::time::Duration,
    /// Role locks are shared leases (`[coordination] backend = "azure-blob"`), so the unlock
    /// key can break another baton's; false for host-local `flock`s.
    pub shared_locks: bool,
}

/// Why the cockpit stopped abnormally.
#[derive(Debug, thiserror::Error)]
pub enum UiError {
    /// stdout is not a terminal (use `baton status` in scripts).
    #[error("stdout is not a terminal; the cockpit needs one (try `baton status`)")]
    NotATerminal,
    /// The terminal failed (setup, drawing or reading keys).
    #[error("terminal I/O failed: {0}")]
    Io(#[from] std::io::Error),
}

/// True while the alternate screen is up, so the panic hook knows to restore.
static ACTIVE: AtomicBool = AtomicBool::new(false);
static HOOK: Once = Once::new();

fn restore_terminal() {
    if ACTIVE.swap(false, Ordering::SeqCst) {
        let _ = terminal::disable_raw_mode();
        let _ = execute!(
            crate::term_out::cockpit_stdout(),
            terminal::LeaveAlternateScreen,
            cursor::Show
        );
    }
}

/// Puts the terminal into TUI mode; dropping it (or panicking) puts it back.
struct TerminalGuard;

impl TerminalGuard {
    fn enter() -> Result<TerminalGuard, UiError> {
        HOOK.call_once(|| {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                restore_terminal();
                previous(info);
            }));
        });
        terminal::enable_raw_mode()?;
        ACTIVE.store(true, Ordering::SeqCst);
        let guard = TerminalGuard;
        execute!(
            crate::term_out::cockpit_stdout(),
            terminal::EnterAlternateScreen,
            cursor::Hide
        )?;
        Ok(guard)
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore_terminal();
    }
}

/// Runs the cockpit until the operator quits or the key stream ends. Redraws only when the
/// state changed; ticks once a second, four times a second while something animates.
pub async fn run(opts: UiOptions) -> Result<(), UiError> {
    if !crate::term_out::cockpit_stdout().is_terminal() {
        return Err(UiError::NotATerminal);
    }
    let _guard = TerminalGuard::enter()?;
    let mut term = Terminal::new(CrosstermBackend::new(crate::term_out::cockpit_stdout()))?;
    term.clear()?;
    let UiOptions {
        mode,
        theme,
        keymap,
        title,
        environment,
        mut snapshots,
        events,
        effects,
        ops,
        rto_target,
        shared_locks,
    } = opts;
    let mut state = UiState::new(mode, keymap, &title, &environment)
        .with_rto_target(rto_target)
        .with_shared_locks(shared_locks);
    let size = term.size()?;
    update(&mut state, Msg::Resize(size.width, size.height));
    update(&mut state, Msg::Tick(OffsetDateTime::now_utc()));
    let first = snapshots.borrow_and_update().clone();
    let initial = update(&mut state, Msg::Snapshot(first));
    if execute_all(&mut term, &mut state, &effects, initial)? {
        return Ok(());
    }
    let mut inputs = Inputs {
        snapshots,
        events,
        ops,
    };
    event_loop(&mut term, &mut state, &theme, &mut inputs, &effects).await
}

/// What the engine sends the cockpit.
struct Inputs {
    snapshots: watch::Receiver<FleetSnapshot>,
    events: mpsc::Receiver<EngineEvent>,
    ops: mpsc::Receiver<EngineMsg>,
}

async fn event_loop(
    term: &mut Terminal<CrosstermBackend<Stdout>>,
    state: &mut UiState,
    theme: &Theme,
    inputs: &mut Inputs,
    effects: &mpsc::Sender<Effect>,
) -> Result<(), UiError> {
    let Inputs {
        snapshots,
        events,
        ops,
    } = inputs;
    let mut keys = EventStream::new();
    let mut tick = interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut fast = interval(Duration::from_millis(250));
    fast.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let (mut snapshots_open, mut events_open, mut ops_open) = (true, true, true);
    loop {
        if state.is_dirty() {
            term.draw(|frame| {
                render(frame, state, theme);
                crate::term_out::scrub_buffer(frame.buffer_mut());
            })?;
            state.mark_drawn();
        }
        let msg = tokio::select! {
            key = keys.next() => match key {
                Some(Ok(Event::Key(k))) => Msg::Key(k),
                Some(Ok(Event::Resize(w, h))) => Msg::Resize(w, h),
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Err(e.into()),
                None => return Ok(()),
            },
            changed = snapshots.changed(), if snapshots_open => match changed {
                Ok(()) => Msg::Snapshot(snapshots.borrow_and_update().clone()),
                Err(_) => { snapshots_open = false; continue; }
            },
            event = events.recv(), if events_open => match event {
                Some(e) => Msg::Event(e),
                None => { events_open = false; continue; }
            },
            op = ops.recv(), if ops_open => match op {
                Some(m) => Msg::Engine(m),
                None => { ops_open = false; continue; }
            },
            _ = tick.tick() => Msg::Tick(OffsetDateTime::now_utc()),
            _ = fast.tick(), if state.animating() => Msg::Tick(OffsetDateTime::now_utc()),
        };
        let out = update(state, msg);
        if execute_all(term, state, effects, out)? {
            return Ok(());
        }
    }
}

/// Executes effects; returns true on Quit. A full or closed engine queue is reported in the
/// event log instead of blocking the screen.
fn execute_all(
    term: &mut Terminal<CrosstermBackend<Stdout>>,
    state: &mut UiState,
    effects: &mpsc::Sender<Effect>,
    out: Vec<Effect>,
) -> Result<bool, UiError> {
    for effect in out {
        match effect {
            Effect::Ui(UiEffect::Quit) => return Ok(true),
            Effect::Ui(UiEffect::Bell) => {
                term.backend_mut().write_all(b"\x07")?;
                term.backend_mut().flush()?;
            }
            engine @ (Effect::Read(_) | Effect::Chaos(_) | Effect::Op(_)) => {
                if let Err(e) = effects.try_send(engine) {
                    let why = match e {
                        mpsc::error::TrySendError::Full(_) => "engine busy",
                        mpsc::error::TrySendError::Closed(_) => "engine gone",
                    };
                    let event = EngineEvent {
                        at: OffsetDateTime::now_utc(),
                        severity: Severity::Warn,
                        role: None,
                        text: format!("{why}: request not sent, try again"),
                    };
                    update(state, Msg::Event(event));
                }
            }
        }
    }
    Ok(false)
}
