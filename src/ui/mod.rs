//! The cockpit: a full-screen terminal UI (ratatui + crossterm) for on-call engineers, wall
//! displays and demos. Calm, fast, truthful, and impossible to misuse.
//!
//! This module owns everything on screen and nothing else: it never talks to Azure, the probes or
//! the emulator. It receives a [`FleetSnapshot`](crate::core::snapshot::FleetSnapshot)
//! (latest-wins, `tokio::sync::watch`) and [`EngineEvent`](crate::core::snapshot::EngineEvent)s
//! (bounded `mpsc`, never dropped), and sends [`Effect`](crate::protocol::Effect)s back. It must
//! never print to stdout/stderr while the TUI is up, and must draw no string from Azure, probes or
//! config without `core::text::sanitize` (an escape sequence in a VM name cannot reach the
//! terminal).
//!
//! # Architecture (Elm style)
//!
//! - [`UiState`] owns everything shown. [`update()`]`(&mut UiState, Msg) -> Vec<Effect>` is the
//!   only state transition; it does no I/O and never reads the clock — time arrives as
//!   [`Msg::Tick`]. [`render`]`(frame, &UiState, &Theme)` draws from state alone, so every
//!   screen renders identically in a test at a fixed time.
//! - [`Msg`]: `Key` (resolved through the [`Keymap`] into an [`Action`], or straight to the
//!   open dialog), `Action` (already resolved), `Tick(OffsetDateTime)`,
//!   `Snapshot(FleetSnapshot)`, `Event(EngineEvent)`, `Resize(w, h)`, and `Engine(EngineMsg)`:
//!   the engine's answers from [`crate::protocol`] — plans and typed plan failures, every
//!   journalled operation event in order, operations found interrupted at start-up, drill
//!   records and the history (a read, answered in every mode).
//! - [`Effect`](crate::protocol::Effect) (also in [`crate::protocol`], which the engine
//!   imports; the UI and the engine never import each other), nested by who executes it:
//!   `Ui(Quit | Bell)`, `Read(RefreshInventory | LoadHistory | ExportTimeline)`,
//!   `Chaos(ChaosRequest)` (demo only) and `Op(RequestPlan | StartOperation | AbortOperation |
//!   ChooseRollback | ResumeOperation | ReadLock | BreakLock)`. [`run`] handles `Ui` itself and forwards the rest to
//!   `UiOptions::effects` with `try_send`; a full or closed engine queue is reported in the
//!   event log instead of freezing the screen. `UiOptions::ops` carries the engine's
//!   messages; `UiOptions::rto_target` is what the summary measures against.
//! - [`run`]`(UiOptions) -> Result<(), UiError>` owns the terminal: raw mode, alternate
//!   screen, hidden cursor; a Drop guard and a panic hook always restore it. One
//!   `tokio::select!` over crossterm's `EventStream`, the snapshot watch, the event channel
//!   and a 1 s tick (plus a 250 ms tick while a role is FAILING OVER, whose glyph spins).
//!   It redraws only when the state is dirty; ratatui then writes only changed cells.
//!
//! The UI itself detects role state transitions between consecutive snapshots: each one is
//! logged (`web  HEALTHY → MASTER DOWN`); a transition into MASTER DOWN or SPLIT (including a
//! role already in that state in the first snapshot) emits exactly one `UiEffect::Bell` and
//! raises a banner. `Esc` dismisses the banner; it disappears by itself when the role leaves
//! that state, and a new fall raises it again.
//!
//! # Modes
//!
//! | mode | badge | what exists |
//! |---|---|---|
//! | [`Mode::Operator`] | — | navigation, refresh, help, quit, history, failover, switchover, abort, unlock |
//! | [`Mode::ReadOnly`] | `READ-ONLY` | navigation, refresh, help, quit, history — no mutating action at all |
//! | [`Mode::Wall`] | `WALL` | refresh, help, quit — read-only, no selection, no cursor |
//! | [`Mode::Demo`] | `DEMO` | operator + chaos keys against the embedded emulator |
//!
//! "No mutating action" is enforced three times: the mode's keymap has no binding for it,
//! `update` ignores it even when handed the [`Action`] directly, and read-only and wall drop
//! every operation message (`EngineMsg::is_operation`: plans, plan failures, operation events,
//! interrupted operations, drills), so no dialog can open and no operation effect can be
//! emitted; and those modes build no operations task, so an `Effect::Op` has nowhere to go.
//! Refresh is a read and exists everywhere.
//!
//! # Failover and switchover
//!
//! 1. `f` (failover) or `s` (switchover) on the selected role opens the **plan preview**
//!    (`planning…`) and emits `RequestPlan { target: None }`. The engine answers
//!    `EngineMsg::Plan` (or `EngineMsg::PlanError`, shown in the preview). A plan for a
//!    preview that is not open is ignored.
//! 2. The preview shows kind, role, `from → to`, the total estimate, every blocker in the
//!    critical style, then each step with what it does, its estimate (`✔ done` when the facts
//!    show nothing to do) and the Azure calls it makes; `↑`/`↓`/`pgup`/`pgdn` scroll the steps.
//!    The dialog is modal: every key goes to it (only ctrl-c still quits).
//! 3. Confirmation: `type app to confirm: …` — printable keys type, backspace deletes. Enter
//!    starts only when the plan has no blocker and the text is the role name exactly, same case
//!    (`core::name::typed_name_confirms`, the rule the engine and the headless commands use; the
//!    hint lights up `enter START`); it then emits `StartOperation` once and closes. A blocked
//!    plan takes no typing and says why. Esc cancels. `tab` asks for the plan again with the
//!    next standby as target (`RequestPlan { target: Some(vm) }`); the old plan and the typed
//!    text are dropped, so a plan for another target can never be confirmed.
//! 4. While an operation runs, `OpEvent`s are folded with `Operation::apply` (an event that
//!    does not fold is logged and ignored). The selected role's detail panes give way to the
//!    **step stream**: `RUNNING app-a → app-b · 22s elapsed · by alice`, then per step
//!    `· pending`, `◐ running 12s` (spinner driven by ticks) with the latest progress note (LRO
//!    status), `✔ done 7s`, `↷ skipped` with the reason, `✖ FAILED` with HTTP status, ARM code,
//!    message and request id; then the rollback leg once chosen. It scrolls itself to keep the
//!    running or failed step in view at 80x24. The header shows an `OPERATION` badge while any
//!    followed operation runs; the roles list shows FAILING OVER from the engine's snapshot.
//! 5. `A` asks **abort?** (`y` confirms → `AbortOperation`, `n`/Esc keep going).
//! 6. When the operation waits for the operator (halted by an abort, or a failed step) and no
//!    step runs, the **choice dialog** offers exactly `Operation::rollback_options()`
//!    (`↑`/`↓`/`j`/`k` or the digit, Enter → `ChooseRollback`). Esc postpones; `A` reopens it.
//!    It is not asked again until the operation moves on.
//! 7. `Finished` opens the **summary**: outcome, who and when, per-step durations, and the
//!    measured RTO (`Operation::rto`) against `rto_target`: `✔ MET` or `✖ MISSED`. Closing it
//!    (Enter/Esc) stops following the operation and brings the detail panes back.
//! 8. `EngineMsg::Interrupted` at start-up opens one dialog per unfinished operation: role, kind,
//!    `from → to`, where it stopped (the step running when baton died, or the failed step and
//!    its error, or the abort), the last activity time, who began it; offering `resume`
//!    (`ResumeOperation`) and then the operation's rollback options.
//!
//! 9. `U` on a role whose lock another baton holds (a remote holder in the snapshot) opens the
//!    **unlock dialog** and emits `ReadLock`; the engine answers `EngineMsg::Lock` (holder, pid,
//!    operation, since, epoch, lease state, last write), shown with the warning that a live
//!    holder stops before its next Azure write. The role's exact name and Enter emit
//!    `BreakLock` with the epoch shown, once; `EngineMsg::LockBroken` becomes one event-log
//!    line. With local locks (`UiState::with_shared_locks(false)`, the default) `U` only says
//!    a local lock dies with its process.
//!
//! Dialogs queue (events can open one while another is shown); the front one gets the keys.
//!
//! # Screens
//!
//! - **Header** (one row): title · environment, mode badge, role counts worst first
//!   (`roles 4: ✖1 ●3`), inventory age (`inventory 12s ago`), and the clock of the last tick
//!   (`03:12:00Z`). When the inventory is older than 3× the refresh interval, or the latest
//!   refresh failed, the age turns into `STALE inventory 4m00s ago` and a **stale-data banner**
//!   (up to three rows) gives the age and the full error with ARM code and request id. The
//!   refresh interval is learned from the snapshots (the shortest `next_refresh_at −
//!   fetched_at` seen, 30 s until known), so a throttled schedule never makes old data look
//!   fresh.
//! - **Alarm banner**: `✖ MASTER DOWN: web since 03:12:01Z (+1 more)      esc dismiss`.
//! - **Roles**: one row per role: selection marker `▶`, state glyph AND word (never colour
//!   only), name, master, and a sparkline of the master's service probe (`×` = failed sample).
//!
//!   | glyph | word | slot |
//!   |---|---|---|
//!   | `●` | HEALTHY | ok |
//!   | `▲` | DEGRADED | warn |
//!   | `✖` | MASTER DOWN | critical |
//!   | `⇄` | SPLIT | critical |
//!   | `○` | NO MASTER | critical |
//!   | `↻` (spins) | FAILING OVER | drill |
//!   | `?` | UNKNOWN | unknown |
//!
//! - **Heartbeats** (selected role): per VM `★` master marker, name, master/standby, power,
//!   vm probe (`up 11ms` / `DOWN timeout after 800ms`), its sparkline, service probe and its
//!   sparkline, and when the host probe last answered (`2s ago`). A standby whose service is
//!   down behind a live master reads `stopped (standby)` in the muted style with `·` samples —
//!   expected, not an alarm. Cut texts end in `…`.
//! - **Leader**: state, role, master (or `none`), then every violation as facts in the critical
//!   style (`✖ endpoint lb-db/db-sql on db-a and db-b`), wrapped, never silently resolved.
//! - **Attachments**: endpoint holder(s) (`on db-a AND db-b` in critical when more than one),
//!   then each disk with LUN, owner VM (`— (detached)` when free) and `diskState`.
//! - **Events**: newest first, `HH:MM:SS`, severity mark (`·` info, `!` warn, `✖` critical),
//!   role, text: UI-detected transitions, staleness changes, requests the operator made, and
//!   engine events with their ARM code and request id. Kept in time order, 500 lines.
//! - **Footer**: generated from the resolved keymap; lower-priority entries drop when narrow;
//!   chaos keys are marked `DEMO`.
//! - **History overlay** (`h`): the selected role's runs from `core::history` (failovers,
//!   switchovers, drills as one row each), newest first: date, kind, from → to, RTO, verdict
//!   as glyph and word (`✔ PASS`, `✖ FAIL`, `↻ RUNNING`, `! INTERRUPTED`), operator, notes
//!   (columns drop by priority when narrow), the RTO target and trend sparkline on top and
//!   the selected run's id, end and notes below. Opening it shows `loading history…` and
//!   emits `LoadHistory`; the engine reads the state directory and answers. `↑↓ j k g G`
//!   move the cursor, `tab` toggles every role, `r` reloads, `esc`/`h` close; help and quit
//!   still work, other actions wait until it is closed. Operations this cockpit follows and
//!   that have not finished read RUNNING; one beginning or finishing while the overlay is open
//!   reloads it.
//! - **Help overlay** (`?`): every bound key and what it does, grouped (Navigate, General,
//!   DEMO chaos), generated from the keymap, plus the mode and "ctrl-c always quits". Modal:
//!   other keys do nothing while it is open.
//! - **Layout**: below 60x15 only `terminal too small (need 60x15)`. Below 120x32 the panes
//!   stack (Roles, Heartbeats, Leader, Attachments, Events); each gets its minimum in priority
//!   order (Roles, the focused pane, Leader, Heartbeats, Attachments, Events), lowest priority
//!   dropped first, and table columns drop right-to-left by priority. From 120x32 the roles
//!   list sits left of Leader and Attachments, Heartbeats spans the full width with every
//!   column, and Events runs along the bottom. Only visible rows are laid out: a 200x60 frame
//!   with 1,000 roles costs the same as one with 20.
//! - **Wall**: one tile per role filled with its state's colour (reverse video of the state's
//!   slot, so it works in `mono` too): role name, glyph + letter-spaced word
//!   (`✖ M A S T E R   D O W N`), master. Below the tiles a detail strip rotates every 5 s
//!   (driven by ticks) through the roles that are not healthy (through all when all are).
//!   When roles outnumber the tiles, the worst are shown first and a `+N more roles` tile
//!   closes the grid. Stale-data and alarm banners as above; no cursor, no selection.
//!
//! # Keys
//!
//! | action (config name) | default keys | modes |
//! |---|---|---|
//! | `up` / `down` | `k` `↑` / `j` `↓` — select role, or scroll the focused pane | not wall |
//! | `first` / `last` | `g` `home` / `G` `end` | not wall |
//! | `next_pane` / `prev_pane` | `tab` / `shift-tab` | not wall |
//! | `refresh` | `r` — refresh inventory now | all |
//! | `help` | `?` | all |
//! | `close` | `esc` — close overlay, dismiss banner | all |
//! | `quit` | `q` (and always `ctrl-c`) | all |
//! | `chaos_kill` | `K` — kill the selected role's master service | demo |
//! | `chaos_hang` | `H` — hang the selected role's master VM | demo |
//! | `chaos_heal` | `R` — heal every VM of the selected role | demo |
//! | `failover` | `f` — plan a failover of the selected role (preview, typed confirmation) | operator, demo |
//! | `switchover` | `s` — plan a switchover of the selected role | operator, demo |
//! | `abort` | `A` — abort the role's running operation, or reopen its pending choice | operator, demo |
//! | `history` | `h` — open / close the run history of the selected role | not wall |
//! | `drill` | `d` — plan a drill (switchover, hold, switch back) of the selected role | operator, demo |
//! | `export_timeline` | `t` — write the role's newest operation as a Markdown timeline | not wall |
//! | `unlock` | `U` — break another baton's lock of the selected role (a dead holder's) | operator, demo |
//!
//! Inside dialogs (not rebindable, the dialog says them): preview — characters type,
//! `backspace`, `enter` start, `esc` cancel, `tab` next standby, `↑↓ pgup pgdn` scroll; abort —
//! type the role name, `enter` aborts, `esc` keeps going; choice — `↑↓` move, type the role
//! name, `enter` picks, `esc` later; summary and drill summary — `enter` `esc`.
//!
//! Overrides: [`Keymap::from_overrides`]`(mode, &BTreeMap<action, spec>)`, e.g.
//! `refresh = "F5, ctrl-r"`. Specs: a single character (case matters: `G` is shift-g), named
//! keys (`up down left right home end pgup pgdn tab shift-tab enter esc space comma backspace
//! del ins F1…F12`), with `ctrl-` / `alt-` prefixes; several keys separated by commas or spaces.
//! Validation (errors name the action and key): unknown action; unparsable key; `quit`,
//! `help` and `close` must keep a key; no key bound twice; no mutating action on a navigation
//! key (arrows, home/end, pgup/pgdn, tab, enter, esc, space, h j k l g G); `ctrl-c` is reserved
//! for quit. Overrides are validated across all actions, so a config valid in one mode is valid
//! in every mode; actions that do not exist in the mode are then left out.
//! Drill (`d`) is a mutating [`Action`], so it vanishes from read-only and wall like `f`, `s`
//! and `A`. History (`h`) is a read: it exists in read-only
//! but not on a wall. `h` is on the navigation-key list (vim left), which only forbids
//! *mutating* actions; nothing in the cockpit moves left, so history takes it.
//!
//! # Themes
//!
//! Semantic slots only, never per-widget colours: `text muted border focus selection header ok
//! warn critical unknown leader danger drill banner`. Each slot is a colour string (foreground)
//! or a table `{ fg, bg, bold, dim, italic, underline, reversed }`; colours are ANSI names
//! (`red`, `darkgray`, `lightred`…), `"#rrggbb"`, a 0–255 index or `"reset"`. Built in (compiled
//! with `include_str!` from `themes/`): `default` (dark, named ANSI colours so it follows the
//! terminal palette over SSH), `light`, `high-contrast`, `mono`. A file
//! `$XDG_CONFIG_HOME/baton/themes/NAME.toml` (else `~/.config/baton/themes/NAME.toml`) overrides
//! the built-in of that name or adds a new one, and must define every slot. `NO_COLOR` set to a
//! non-empty value selects `mono`. [`Theme::load`]`(name, override_dir, no_color)` fails with
//! a [`ThemeError`] naming file, key and value, or listing the valid names; environment reads
//! live only in [`ThemeEnv::from_process`], so tests inject them.
//!
//! # Trying it
//!
//! `cargo run --example ui_preview -- [operator|read-only|wall|demo] [THEME]` runs [`run`] on
//! the dev-only fixtures in `tests/ui_fixtures` (not part of the library; the fleet cycles
//! healthy → master down → split; in demo the chaos keys switch it). The same fixtures back the
//! screen snapshots in `tests/ui_screens.rs`; `ui_fixtures::ops` builds plans and operations
//! with the real core (facts → `leader::derive` → `plan::build`, journal events →
//! `Operation::replay`) for `tests/ui_ops_*.rs`; `ui_fixtures::history` builds journals and
//! drill records for `tests/ui_history.rs` and `baton history`'s tests.

pub mod action;
pub mod keymap;
mod render;
pub mod state;
mod terminal;
pub mod theme;
pub mod update;

pub use action::Action;
pub use keymap::{KeySpec, Keymap, KeymapError};
pub use render::{render, MIN_HEIGHT, MIN_WIDTH};
pub use state::{Freshness, Mode, Pane, UiState};
pub use terminal::{run, UiError, UiOptions};
pub use theme::{Theme, ThemeEnv, ThemeError};
pub use update::{update, Msg};
