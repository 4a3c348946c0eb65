//! Heartbeat probes: single HTTP/TCP checks and the engine that schedules them, classifies the
//! results (through `core::health`) and publishes a latest-wins board of verdicts and histories.
//!
//! This module owns the I/O around the pure classifier; it never decides what a verdict means
//! for a role (that is `core::leader`) and never panics on a bad answer: every failure becomes
//! `Down` with a short reason.
//!
//! Heartbeat semantics, end to end:
//! - **Schedule**: one Tokio task per probe, ticking every `interval` with
//!   `MissedTickBehavior::Delay`; a probe awaits its own check before its next tick, so it never
//!   overlaps itself. First runs are staggered across one interval in slots of at least 10 ms
//!   (100 slots at 1 s), so 4,000 probes fire as 100 small groups of 40, never all at once, and
//!   a timer wake-up serves a whole group. A plain `http://` probe owns an [`HttpProbe`]: one
//!   kept-alive HTTP/1.1 connection and a request pre-built as bytes, the cheapest exchange at
//!   4,000 probes per second (a general client's per-request layers cost about twice the CPU).
//!   Every other HTTP probe (`https://`, credentials in the URL) shares one `reqwest::Client`
//!   whose idle pool per host is sized by [`http_client_for`] to the most probes that target one
//!   host (at least 4); the engine parses each URL once, at configuration time. Both paths judge
//!   alike (2xx head within the timeout is up; same reasons and latency).
//! - **Timeout**: each check is bounded by `timeout`, clamped to at most `interval`.
//! - **Verdicts**: see `core::health` — `Up` after the first success, `Down` after `fail_after`
//!   consecutive failures, `Up` again after `recover_after` consecutive successes, held `Down`
//!   while flapping (`flap_threshold` direction changes in the last `flap_window` samples).
//! - **Detection bound**: a target that stops answering is declared `Down` within
//!   `fail_after × interval + one interval`: the next tick comes within one interval, then
//!   `fail_after` checks run one interval apart, and each ends within `timeout < interval`.
//! - **Time stamps**: a sample is stamped when its answer (or timeout) arrives, by a replaceable
//!   `Clock` (`ProbeEngine::spawn_with_clock`); the classifier itself never reads a clock.
//! - **Publication**: the board lives in a `tokio::sync::watch` channel and is updated in place
//!   (never cloned per sample). Its histories are shared copy-on-write with the snapshots that
//!   took them (`core::snapshot::Heartbeats`): a sample copies only its own VM's history, and
//!   only while a snapshot still holds it. Receivers are notified at once when a verdict changes
//!   kind (Up / Down / Unknown; `HeartbeatBoard::kind_changes` counts those) and otherwise at
//!   most every 100 ms, so 4,000 probes per second cost ten notifications per second. A receiver
//!   that borrows between notifications may already see newer samples; every state it can see
//!   is a consistent board.
//! - **Shutdown**: `ProbeEngineHandle::shutdown()` or dropping the handle aborts every task; the
//!   watch sender goes away with them, so receivers learn the engine stopped.

mod engine;
mod http1;
mod once;
mod pool;

pub use engine::{
    Clock, HeartbeatBoard, ProbeEngine, ProbeEngineHandle, ProbeKind, ProbeSpec, ScheduleParams,
    SystemClock, PUBLISH_EVERY,
};
pub use http1::HttpProbe;
pub use once::{
    check, check_http, check_http_url, check_tcp, http_client, http_client_with_idle, IDLE_PER_HOST,
};
pub use pool::{http_client_for, max_probes_per_host};
