//! A blob's lease: Azure's state machine (available, leased, breaking, broken, expired) with
//! its exact 409/412 error codes, on the emulator's storage clock.
//!
//! Pure: every call takes `now`, so tests move time by advancing the storage clock.

use std::time::{Duration, Instant};

use super::wire::StorageError;

/// The lease of one blob as stored; time-dependent states are resolved by [`Lease::state`].
#[derive(Debug, Clone, Default)]
pub(crate) enum Lease {
    /// Never leased or released.
    #[default]
    Available,
    /// Held by `id` for `period` from `since` (`None`: infinite).
    Leased {
        id: String,
        since: Instant,
        period: Option<Duration>,
    },
    /// Broken on purpose: `id` keeps its name until `until`, then the lease is broken.
    Breaking { id: String, until: Instant },
    /// Broken: no holder, but `id` is still what a renew names in its error.
    Broken { id: String },
}

/// A lease resolved at an instant, as Azure reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LeaseState {
    Available,
    Leased { id: String, infinite: bool },
    Breaking { id: String, remaining: Duration },
    Broken { id: String },
    Expired { id: String },
}

impl LeaseState {
    /// `x-ms-lease-state`.
    pub fn state_name(&self) -> &'static str {
        match self {
            LeaseState::Available => "available",
            LeaseState::Leased { .. } => "leased",
            LeaseState::Breaking { .. } => "breaking",
            LeaseState::Broken { .. } => "broken",
            LeaseState::Expired { .. } => "expired",
        }
    }

    /// `x-ms-lease-status`: locked while a lease is active (leased or breaking).
    pub fn status_name(&self) -> &'static str {
        match self {
            LeaseState::Leased { .. } | LeaseState::Breaking { .. } => "locked",
            LeaseState::Available | LeaseState::Broken { .. } | LeaseState::Expired { .. } => {
                "unlocked"
            }
        }
    }

    /// `x-ms-lease-duration`, only while leased.
    pub fn duration_name(&self) -> Option<&'static str> {
        match self {
            LeaseState::Leased { infinite: true, .. } => Some("infinite"),
            LeaseState::Leased { .. } => Some("fixed"),
            LeaseState::Available
            | LeaseState::Breaking { .. }
            | LeaseState::Broken { .. }
            | LeaseState::Expired { .. } => None,
        }
    }

    /// The id a write must carry, while the lease is active.
    pub fn active_id(&self) -> Option<&str> {
        match self {
            LeaseState::Leased { id, .. } | LeaseState::Breaking { id, .. } => Some(id),
            LeaseState::Available | LeaseState::Broken { .. } | LeaseState::Expired { .. } => None,
        }
    }
}

/// A lease action as sent in `x-ms-lease-action` with its headers.
#[derive(Debug, Clone)]
pub(crate) enum LeaseAction {
    Acquire {
        proposed: Option<String>,
        seconds: i64,
    },
    Renew {
        id: String,
    },
    Change {
        id: String,
        proposed: String,
    },
    Release {
        id: String,
    },
    Break {
        period: Option<u64>,
    },
}

/// What a successful lease action answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LeaseAnswer {
    /// 201 (acquire) or 200 (renew, change) with `x-ms-lease-id`.
    Id { status: u16, id: String },
    /// 200 release.
    Released,
    /// 202 break with `x-ms-lease-time` seconds.
    Breaking { seconds: u64 },
}

impl Lease {
    /// The state at `now`.
    pub fn state(&self, now: Instant) -> LeaseState {
        match self {
            Lease::Available => LeaseState::Available,
            Lease::Leased {
                id, period: None, ..
            } => LeaseState::Leased {
                id: id.clone(),
                infinite: true,
            },
            Lease::Leased {
                id,
                since,
                period: Some(p),
            } if now < *since + *p => LeaseState::Leased {
                id: id.clone(),
                infinite: false,
            },
            Lease::Leased { id, .. } => LeaseState::Expired { id: id.clone() },
            Lease::Breaking { id, until } if now < *until => LeaseState::Breaking {
                id: id.clone(),
                remaining: *until - now,
            },
            Lease::Breaking { id, .. } | Lease::Broken { id } => {
                LeaseState::Broken { id: id.clone() }
            }
        }
    }

    /// Applies one action at `now` following Azure's lease table.
    pub fn apply(
        &mut self,
        action: LeaseAction,
        now: Instant,
    ) -> Result<LeaseAnswer, StorageError> {
        let state = self.state(now);
        match action {
            LeaseAction::Acquire { proposed, seconds } => {
                self.acquire(&state, proposed, seconds, now)
            }
            LeaseAction::Renew { id } => self.renew(&state, id, now),
            LeaseAction::Change { id, proposed } => self.change(&state, id, proposed),
            LeaseAction::Release { id } => self.release(&state, &id),
            LeaseAction::Break { period } => self.brk(&state, period, now),
        }
    }

    fn acquire(
        &mut self,
        state: &LeaseState,
        proposed: Option<String>,
        seconds: i64,
        now: Instant,
    ) -> Result<LeaseAnswer, StorageError> {
        let period = lease_period(seconds)?;
        match state {
            LeaseState::Leased { id, .. } if proposed.as_deref() != Some(id.as_str()) => {
                Err(already_present())
            }
            LeaseState::Breaking { id, .. } if proposed.as_deref() == Some(id.as_str()) => {
                Err(StorageError::new(
                    409,
                    "LeaseIsBreakingAndCannotBeAcquired",
                    "There is already a lease present, and it is being broken.",
                ))
            }
            LeaseState::Breaking { .. } => Err(already_present()),
            LeaseState::Leased { .. }
            | LeaseState::Available
            | LeaseState::Broken { .. }
            | LeaseState::Expired { .. } => {
                let id = proposed.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
                *self = Lease::Leased {
                    id: id.clone(),
                    since: now,
                    period,
                };
                Ok(LeaseAnswer::Id { status: 201, id })
            }
        }
    }

    fn renew(
        &mut self,
        state: &LeaseState,
        given: String,
        now: Instant,
    ) -> Result<LeaseAnswer, StorageError> {
        match state {
            LeaseState::Available => Err(not_present()),
            LeaseState::Leased { id, .. } | LeaseState::Expired { id }
                if *id != given =>
            {
                Err(mismatch())
            }
            LeaseState::Breaking { id, .. } | LeaseState::Broken { id } if *id != given => {
                Err(mismatch())
            }
            LeaseState::Breaking { .. } => Err(StorageError::new(
                409,
                "LeaseIsBreakingAndCannotBeRenewed",
                "The lease ID matched, but the lease is currently in breaking state and cannot be renewed.",
            )),
            LeaseState::Broken { .. } => Err(StorageError::new(
                409,
                "LeaseIsBrokenAndCannotBeRenewed",
                "The lease ID matched, but the lease has been broken explicitly and cannot be renewed.",
            )),
            LeaseState::Leased { .. } | LeaseState::Expired { .. } => {
                if let Lease::Leased { since, .. } = self {
                    *since = now;
                }
                Ok(LeaseAnswer::Id {
                    status: 200,
                    id: given,
                })
            }
        }
    }

    fn change(
        &mut self,
        state: &LeaseState,
        given: String,
        proposed: String,
    ) -> Result<LeaseAnswer, StorageError> {
        match state {
            LeaseState::Leased { id, .. } if *id == given || *id == proposed => {
                if let Lease::Leased { id, .. } = self {
                    *id = proposed.clone();
                }
                Ok(LeaseAnswer::Id {
                    status: 200,
                    id: proposed,
                })
            }
            LeaseState::Leased { .. } => Err(mismatch()),
            LeaseState::Breaking { .. } => Err(StorageError::new(
                409,
                "LeaseIsBreakingAndCannotBeChanged",
                "The lease ID matched, but the lease is currently in breaking state and cannot be changed.",
            )),
            LeaseState::Available | LeaseState::Broken { .. } | LeaseState::Expired { .. } => {
                Err(not_present())
            }
        }
    }

    fn release(&mut self, state: &LeaseState, given: &str) -> Result<LeaseAnswer, StorageError> {
        match state {
            LeaseState::Available => Err(not_present()),
            LeaseState::Leased { id, .. }
            | LeaseState::Breaking { id, .. }
            | LeaseState::Broken { id }
            | LeaseState::Expired { id } => {
                if id != given {
                    return Err(mismatch());
                }
                *self = Lease::Available;
                Ok(LeaseAnswer::Released)
            }
        }
    }

    fn brk(
        &mut self,
        state: &LeaseState,
        period: Option<u64>,
        now: Instant,
    ) -> Result<LeaseAnswer, StorageError> {
        if period.is_some_and(|p| p > 60) {
            return Err(StorageError::invalid_header("x-ms-lease-break-period"));
        }
        match state {
            LeaseState::Available => Err(not_present()),
            LeaseState::Broken { .. } | LeaseState::Expired { .. } => {
                Ok(LeaseAnswer::Breaking { seconds: 0 })
            }
            LeaseState::Breaking { id, remaining } => {
                let left = period.map_or(*remaining, |p| Duration::from_secs(p).min(*remaining));
                self.break_for(id.clone(), left, now)
            }
            LeaseState::Leased { id, infinite } => {
                let remaining = match self {
                    Lease::Leased {
                        since,
                        period: Some(p),
                        ..
                    } => (*since + *p).saturating_duration_since(now),
                    Lease::Leased { period: None, .. }
                    | Lease::Available
                    | Lease::Breaking { .. }
                    | Lease::Broken { .. } => Duration::ZERO,
                };
                // Without a period, a fixed lease breaks when it would have expired and an
                // infinite one at once.
                let left = match period {
                    Some(p) if *infinite => Duration::from_secs(p),
                    Some(p) => Duration::from_secs(p).min(remaining),
                    None if *infinite => Duration::ZERO,
                    None => remaining,
                };
                self.break_for(id.clone(), left, now)
            }
        }
    }

    fn break_for(
        &mut self,
        id: String,
        left: Duration,
        now: Instant,
    ) -> Result<LeaseAnswer, StorageError> {
        *self = if left.is_zero() {
            Lease::Broken { id }
        } else {
            Lease::Breaking {
                id,
                until: now + left,
            }
        };
        Ok(LeaseAnswer::Breaking {
            seconds: left.as_secs_f64().ceil() as u64,
        })
    }
}

/// Azure accepts -1 (infinite) or 15 to 60 seconds.
fn lease_period(seconds: i64) -> Result<Option<Duration>, StorageError> {
    match seconds {
        -1 => Ok(None),
        15..=60 => Ok(Some(Duration::from_secs(seconds.unsigned_abs()))),
        _ => Err(StorageError::invalid_header("x-ms-lease-duration")),
    }
}

fn already_present() -> StorageError {
    StorageError::new(
        409,
        "LeaseAlreadyPresent",
        "There is already a lease present.",
    )
}

fn not_present() -> StorageError {
    StorageError::new(
        409,
        "LeaseNotPresentWithLeaseOperation",
        "There is currently no lease on the blob.",
    )
}

fn mismatch() -> StorageError {
    StorageError::new(
        409,
        "LeaseIdMismatchWithLeaseOperation",
        "The lease ID specified did not match the lease ID for the blob.",
    )
}
