//! Failover and switchover execution: runs a `core::plan` as an event-sourced
//! `core::operation::Operation` through the ARM adapter, with a role lock, a durable journal and
//! an audit log. Owns the I/O around the pure plan and operation; must not build plans (it asks
//! `core::plan::build`), fold events (it asks `Operation::apply`), or print outside `headless`.
//!
//! # Running one
//!
//! [`Executor::plan`] reads a fresh inventory of the role's scope and probes every VM of the
//! role once, derives the role (`core::leader::derive`), and builds the plan with every blocker:
//! the lock holder (someone else's flock), the cooldown, an unfinished operation of the role
//! (`OperationRunning`: resume it first), plus the plan's own (target, split, master healthy for
//! a failover…). [`Executor::run_as`] takes the lock, journals `Begun` with the plan's steps
//! under the id its caller chose, and drives the steps. Events go out, in order and never
//! dropped, on the bounded `mpsc::Sender<OpEvent>` given to [`Executor::new`] (the executor
//! waits when it is full); every event is on disk before it is sent. Outside tests of the
//! executor itself, only `crate::ops::Runner` builds executors: it checks the confirmation,
//! plans again at confirmation time, assigns the id and hands the stream to the cockpit and
//! the headless commands (`crate::headless`).
//!
//! # Steps
//!
//! Each step = `StepStarted` → observe (fresh reads; if nothing is left to do → `StepSkipped`
//! with what was observed) → act through [`crate::azure::ArmClient`] (`send()` + baton's own
//! poller; never the crates' `.await`) → verify on the resource itself → `StepDone` with the
//! `x-ms-request-id` of every write. The adapter's progress (LRO status changes, retries with
//! their cause and wait, write ends) becomes `StepProgress` notes. Every step works towards the
//! leg's *destination* from the facts it reads, never from what the plan assumed, which is what
//! makes a re-run after a crash or a failure safe.
//!
//! | step | observe / act | verified when |
//! |---|---|---|
//! | preflight | re-plan under the lock with the journal's target | no blocker (else the operation ends `Failed`; nothing was changed) |
//! | isolate | NIC PUT removing the endpoint from every NIC but the destination's | each NIC read back has no reference |
//! | fence (switchover, rollback) | stop command (Run Command) on every other VM holding the endpoint or a disk, unless stopped or its service probe is already down | that VM's service probe fails |
//! | fence (failover) | after detach: power-off of every other holder or old master that does not answer its vm probe (one that answers is fenced by isolate + detach) | instance view says stopped/deallocated |
//! | detach | attachDetachDataDisks on each owner (disk `managedBy` or VM model) other than the destination; `ForceDetach` only with break-glass | the VM model no longer lists the disks |
//! | release | read each disk until `managedBy` is empty and `diskState` is Unattached (or it is on the destination); notes say which disk waits on what | every disk free |
//! | attach | refuses any disk another VM still owns; attachDetachDataDisks at the configured LUNs | each disk's `managedBy` = destination |
//! | start | start command on the destination, unless its service probe answers already | Run Command succeeded |
//! | verify | service probe of the destination every `verify_interval` (250 ms) | `verify_successes` healthy in a row |
//! | expose | refuses while any other NIC holds the endpoint (two masters); NIC PUT adding it | the destination's NIC read back references it |
//! | commit | — (then `Finished`, audit, lock released) | — |
//!
//! The executor starts every step the operation lets start (its earlier steps ended, its
//! declared partners started): in an unplanned failover isolate ∥ detach, then the power-off of
//! an unreachable old master beside release … expose on the target, commit after it; for a
//! backend pool behind a probed LB rule, expose beside start and verify. A detach from an
//! unreachable VM that outlasts [`ExecutorOptions::detach_window`] falls back to power-off
//! first, then detach again. See `docs/failover.md` (step order) and `core::plan`.
//!
//! **Timeouts** are per step ([`ExecutorOptions::timings`], from `[failover.timeouts]`): past
//! it the step fails with code `Timeout` and the last progress note ("last seen: waiting for
//! Azure to release web-data (managedBy web-a, Attached)…"). **Retries** are the adapter's
//! ([`crate::azure::RetryPolicy`]): 408/429/5xx, dropped connections, network 409
//! `AnotherOperationInProgress` and `OperationPreempted` are retried inside the step (each
//! retry is a note); anything else (409 `ConflictingUserInput`, an operation ending `Failed`,
//! 412, 4xx) fails the step at once with the ARM code, message, HTTP status and request id.
//!
//! # After a failure: stop, resume, roll back
//!
//! A failed step journals `StepFailed` and the run returns [`RunEnd::Stopped`]; the operation
//! stays unfinished, the lock is released, the state is safe (a step never hands something to
//! the destination before the previous holder let go). [`Executor::resume`] (`--resume`) takes
//! the lock again, reopens the journal and continues at the first step not done — a failed or
//! interrupted step is simply started again: it observes first. The same holds after a crash
//! (process killed, SSH session gone): the journal ends with a `StepStarted`, and resume
//! re-runs that step.
//!
//! Abort: the `watch::Receiver<bool>` given to `run`/`resume` is checked between steps; when
//! true the executor journals `AbortRequested` and returns [`RunEnd::Halted`]. The operator then
//! picks a `RollbackMode` with [`Executor::rollback`]: before detach started,
//! `RestoreEndpoint` (start the app again on the old master if needed, verify, expose the
//! endpoint there); after, `ReattachOld` (stop the app on the target, detach, release, attach
//! back to the old master, start, verify, expose) or `RollForward` (carry on). The leg's steps
//! (`core::operation::rollback_leg`) run through the same machinery and end `RolledBack`.
//! `resume` of a halted operation rolls forward.
//!
//! # Journal ([`Journal`])
//!
//! `$STATE/journal/<role>/<op_id>.jsonl`: one `OpEvent` per line (`{"event":"step_done",
//! "step":"detach","at":"…","request_ids":["…"]}`), each written, flushed and fsynced before the
//! step goes on. [`Journal::open_interrupted`] replays every journal without `Finished`. A torn
//! last line (crash mid-write) is dropped and reported, and cut off when the journal is
//! reopened; a bad line elsewhere is corruption and that journal is skipped with a warning.
//!
//! # Lock ([`RoleLock`])
//!
//! `$STATE/locks/<role>.lock`: `flock(LOCK_EX | LOCK_NB)`; the holder writes
//! `{who, host, pid, since, op_id}` into it. A loser gets [`LockError::Held`] ("role web is
//! locked by alice on jump1 (pid 4242) since …, operation …"); `plan` shows the holder as the
//! `Locked` blocker. The kernel releases it when the process exits or dies. It is host-local:
//! batons on several hosts need a shared lock (an Azure blob lease, not built yet).
//!
//! # Audit ([`Audit`])
//!
//! `$STATE/audit.jsonl`, append-only: each line has `at`, `operator` (`user`: the account of
//! the process's uid in `/etc/passwd`, `uid`, `claimed_user` from `$USER`/`$LOGNAME`, `host`,
//! `ssh_client` from `$SSH_CLIENT`/`$SSH_CONNECTION`), `role`,
//! `op_id`, and an `event`: `confirmed` (how: typed role name or `--yes`),
//! `confirmation_refused`, `refused` (blockers, lock holder), `resumed`, `arm_call` (every
//! mutating call: step, operation, outcome, request ids), `step_failed`, `abort_requested`,
//! `rollback_chosen`, `force_detach`, `cooldown_override` (with the comment), `finished`.
//! Tokens never appear: records hold names, request ids and ARM error texts only. The records
//! that justify a write (`confirmed`, `resumed`, `rollback_chosen`, `force_detach`,
//! `cooldown_override`) are stored before it, and the operation is refused
//! ([`ExecError::AuditRefused`]) when that fails; a later record that is lost is listed in
//! [`RunReport::audit_lost`] for the screen. All of this state goes through
//! [`crate::store::Store`] (see `docs/storage.md`); a local I/O failure mid-run stops the
//! operation resumably with the command to resume it ([`ExecError::StoppedByStore`]).
//!
//! # Break-glass and cooldown
//!
//! `ForceDetach` ([`Request::force_detach`], `--force-detach`) detaches even when the old
//! master's guest does not cooperate; writes it still has in flight **may be lost** (data
//! loss). It needs its own confirmation (typing `force-detach`, or `--yes` in scripts) and is
//! audited. After a finished move (the role's latest `Finished` succeeded or rolled back) the
//! role is in cooldown for [`ExecutorOptions::cooldown`] (default 10 min), shown as a blocker
//! with the time left; `--override-cooldown COMMENT` lifts it and audits the comment. A drill
//! leg ([`Request::drill`], see `crate::drill`) journals its `DrillLink` on `Begun`; the way
//! back of a drill is not held up by the cooldown its own way out started.
//!
//! # State directory ([`StateDir`])
//!
//! `--state-dir DIR`, else `$BATON_STATE_DIR`, else `$XDG_STATE_HOME/baton`, else
//! `~/.local/state/baton`.
//!
//! # Headless (`crate::headless::operation`, through `crate::ops::Runner`)
//!
//! `baton failover ROLE [--to VM] [--yes] [--json] [--resume [--rollback MODE]]
//! [--force-detach] [--override-cooldown COMMENT] [--state-dir DIR]` and `baton switchover ROLE
//! …` print the plan and every blocker, ask for the role name on the terminal unless `--yes`
//! (a mismatch aborts), then print one line per event (JSON lines with `--json`). Exit codes:
//! 0 the operation succeeded (or rolled back as asked); 1 blocked, refused, locked (the message
//! names the holder), a step failed (resumable: the message says how), aborted; 2 usage,
//! config or authentication errors. Ctrl-C requests an abort between steps.

pub mod executor;
pub mod timeline;

// The durable state moved to `crate::store`; these paths stay valid for callers.
pub use crate::store::{audit, journal, lock, operator, state_dir};

pub use audit::{Audit, AuditError, AuditEvent};
pub use executor::{ExecError, Executor, ExecutorOptions, Request, RunEnd, RunReport};
pub use journal::{Journal, JournalError, Loaded, TornLine};
pub use lock::{LockError, LockInfo, RoleLock};
pub use operator::Operator;
pub use state_dir::{StateDir, STATE_DIR_ENV};

use crate::core::operation::RollbackMode;

/// The command-line spelling of a rollback mode.
pub fn mode_word(mode: RollbackMode) -> &'static str {
    match mode {
        RollbackMode::RestoreEndpoint => "restore-endpoint",
        RollbackMode::ReattachOld => "reattach-old",
        RollbackMode::RollForward => "roll-forward",
    }
}
