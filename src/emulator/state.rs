//! The emulator's shared state: the world, armed faults, request log, throttle and timing,
//! behind one lock, plus the signal that wakes held heartbeats.
//!
//! Holds no request logic; every handler locks, advances the world, acts, and unlocks without
//! awaiting while locked.

use serde::Serialize;
use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;
use tokio::sync::watch;
use url::Url;

use super::clock::Timing;
use super::faults::Faults;
use super::scenario::Scenario;
use super::throttle::Throttle;
use super::world::World;

/// One ARM request as the request log shows it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct LogEntry {
    pub method: String,
    pub path: String,
    pub status: u16,
    pub at_ms: u64,
    pub request_id: String,
}

/// The newest ARM requests, at most `cap` of them: the oldest goes when a new one comes.
#[derive(Debug)]
pub(crate) struct RequestLog {
    entries: VecDeque<LogEntry>,
    cap: usize,
}

impl RequestLog {
    fn new(cap: usize) -> Self {
        RequestLog {
            entries: VecDeque::new(),
            cap: cap.max(1),
        }
    }

    /// Remembers one request, forgetting the oldest when full.
    pub fn push(&mut self, entry: LogEntry) {
        if self.entries.len() == self.cap {
            self.entries.pop_front();
        }
        self.entries.push_back(entry);
    }

    /// Oldest first.
    pub fn entries(&self) -> &VecDeque<LogEntry> {
        &self.entries
    }
}

/// Everything that changes while the emulator runs.
pub(crate) struct State {
    pub world: World,
    pub faults: Faults,
    pub log: RequestLog,
    pub throttle: Throttle,
    pub timing: Timing,
}

impl State {
    fn initial(scenario: &Scenario, speed: f64) -> Self {
        let mut faults = Faults::with_cap(scenario.limits.faults);
        faults.add(scenario.faults.clone());
        State {
            world: World::from_scenario(scenario),
            faults,
            log: RequestLog::new(scenario.limits.request_log),
            throttle: Throttle::new(&scenario.throttle, speed, Instant::now()),
            timing: Timing::new(scenario.latencies.clone(), scenario.seed, speed),
        }
    }

    /// Bring the world up to `now`.
    pub fn advance(&mut self, now: Instant) {
        self.world.advance(now, &mut self.timing);
    }
}

/// State shared by every connection.
pub(crate) struct Shared {
    state: Mutex<State>,
    wake: watch::Sender<u64>,
    pub base_url: Url,
    pub scenario: Scenario,
    pub speed: f64,
    pub started: Instant,
    /// The storage account served beside ARM (its own lock: never held with the state's).
    pub blob: super::blob::BlobService,
}

impl Shared {
    /// Fresh state for a scenario.
    pub fn new(scenario: Scenario, speed: f64, base_url: Url) -> Self {
        let speed = if speed.is_finite() && speed > 0.0 {
            speed
        } else {
            1.0
        };
        let (wake, _) = watch::channel(0);
        Shared {
            state: Mutex::new(State::initial(&scenario, speed)),
            wake,
            base_url,
            scenario,
            speed,
            started: Instant::now(),
            blob: super::blob::BlobService::default(),
        }
    }

    /// Lock the state (a poisoned lock is still usable: the state stays consistent per call).
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Back to the scenario's initial world; faults and log cleared, scenario faults re-armed.
    pub fn reset(&self) {
        *self.lock() = State::initial(&self.scenario, self.speed);
        self.blob.reset();
        self.wake_heartbeats();
    }

    /// Wake heartbeats held by a hung VM so they re-check.
    pub fn wake_heartbeats(&self) {
        self.wake.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// A receiver for heartbeat wake-ups.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.wake.subscribe()
    }

    /// Milliseconds since start.
    pub fn at_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }
}
