//! Azure's read budgets as baton sees them: the `x-ms-ratelimit-remaining-*` counts the answers
//! report, tallied per refresh, and the pacing that keeps the periodic inventory within a share
//! of each budget.
//!
//! Azure reports only what *remains*; a budget's size is estimated as the highest remaining
//! count seen plus one (an underestimate when another client of the same identity spent some
//! first, which only makes baton more careful). Pure: no I/O, no clock; durations are inputs.

use serde::Serialize;
use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::time::Duration;

/// Refreshes whose costs are averaged (a full VM-model read happens about once in this many).
pub const RECENT_REFRESHES: usize = 10;

/// How much slower the periodic inventory runs while an operation runs in this process, so the
/// operation's own reads and polls keep most of the budget.
pub const OPERATION_SLOWDOWN: u32 = 4;

/// Seconds Azure's subscription read bucket takes to refill completely (250 tokens at 25 per
/// second, Azure Resource Manager's token-bucket throttling).
pub const SUBSCRIPTION_READS_REFILL: Duration = Duration::from_secs(10);

/// Default share of every budget the periodic inventory may use in steady state.
pub const DEFAULT_SHARE_PERCENT: u8 = 50;

/// The allowed range of that share, in percent (below 5 a fleet would barely refresh; above
/// 90 nothing is left for an operation).
pub const SHARE_PERCENT_RANGE: (u8, u8) = (5, 90);

/// One budget an answer reports.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum BudgetName {
    /// `x-ms-ratelimit-remaining-subscription-reads` (a token bucket).
    SubscriptionReads,
    /// One `Microsoft.Compute/<Policy>` of `x-ms-ratelimit-remaining-resource` (a window counter).
    Compute(String),
}

impl fmt::Display for BudgetName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BudgetName::SubscriptionReads => f.write_str("subscription reads"),
            BudgetName::Compute(policy) => f.write_str(policy),
        }
    }
}

/// How a budget refills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refill {
    /// A counter reset (or sliding) every window: `HighCostGet3Min` → 3 minutes.
    Window(Duration),
    /// A token bucket refilled completely in this time.
    Bucket(Duration),
}

impl BudgetName {
    /// How the budget refills; `None` for a compute policy whose name states no window.
    pub fn refill(&self) -> Option<Refill> {
        match self {
            BudgetName::SubscriptionReads => Some(Refill::Bucket(SUBSCRIPTION_READS_REFILL)),
            BudgetName::Compute(policy) => window_of_policy(policy).map(Refill::Window),
        }
    }
}

/// The window a policy name ends with: `…3Min`, `…30Min`, `…1Hour`.
fn window_of_policy(policy: &str) -> Option<Duration> {
    let (digits_end, unit) = if let Some(rest) = policy.strip_suffix("Min") {
        (rest, 60)
    } else if let Some(rest) = policy.strip_suffix("Hour") {
        (rest, 3600)
    } else {
        return None;
    };
    let start = digits_end
        .rfind(|c: char| !c.is_ascii_digit())
        .map_or(0, |i| i + 1);
    let n: u64 = digits_end[start..].parse().ok()?;
    (n > 0).then(|| Duration::from_secs(n * unit))
}

/// The compute policies and remaining counts of one `x-ms-ratelimit-remaining-resource` value
/// (`Microsoft.Compute/HighCostGet3Min;107,Microsoft.Compute/HighCostGet30Min;591`); entries of
/// other providers or without a count are skipped.
pub fn parse_remaining_resource(value: &str) -> Vec<(BudgetName, u32)> {
    value
        .split(',')
        .filter_map(|entry| {
            let (name, count) = entry.trim().split_once(';')?;
            let policy = name.trim().strip_prefix("Microsoft.Compute/")?;
            let count = count.trim().parse().ok()?;
            (!policy.is_empty()).then(|| (BudgetName::Compute(policy.to_owned()), count))
        })
        .collect()
}

/// What the answers of one refresh (or one call) said of one budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct BudgetUse {
    /// Answers that reported it (each one was charged to it).
    pub requests: u32,
    /// The lowest remaining count reported.
    pub lowest_remaining: u32,
    /// The highest remaining count reported.
    pub highest_remaining: u32,
}

/// Per budget, what a run of answers reported.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BudgetTally(pub BTreeMap<BudgetName, BudgetUse>);

impl BudgetTally {
    /// One answer reported `remaining` of `name`.
    pub fn observe(&mut self, name: BudgetName, remaining: u32) {
        let entry = self.0.entry(name).or_insert(BudgetUse {
            requests: 0,
            lowest_remaining: remaining,
            highest_remaining: remaining,
        });
        entry.requests += 1;
        entry.lowest_remaining = entry.lowest_remaining.min(remaining);
        entry.highest_remaining = entry.highest_remaining.max(remaining);
    }

    /// Requests charged to `name`.
    pub fn requests(&self, name: &BudgetName) -> u32 {
        self.0.get(name).map_or(0, |u| u.requests)
    }
}

/// What the refresh loop knows of one budget across refreshes.
#[derive(Debug, Clone, Default)]
struct Ledger {
    /// Estimated size: highest remaining ever seen, plus one.
    size: u32,
    /// Costs of the recent refreshes, oldest first.
    costs: VecDeque<u32>,
    /// Lowest remaining count of the last refresh that reported the budget.
    lowest_remaining: u32,
}

/// How the refresh loop should pace itself.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PacingRules {
    /// The configured refresh interval (never refreshed faster).
    pub interval: Duration,
    /// Share of each budget the inventory may use in steady state, 0 < share < 1.
    pub share: f64,
}

/// Why the refresh interval is longer than configured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum StretchReason {
    /// Keeping within the share of this budget; its window is `used_percent` used.
    Budget {
        /// The budget that sets the pace.
        name: BudgetName,
        /// How much of it the last refresh saw used, in percent.
        used_percent: u32,
    },
    /// An operation runs (in this process, or on another host of the shared store): the
    /// inventory leaves it the budget.
    Operation,
}

/// The refresh interval to keep, and why when it is longer than configured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pace {
    /// Wait between refreshes.
    pub interval: Duration,
    /// Why it is stretched; `None` when it is the configured interval.
    pub reason: Option<StretchReason>,
}

impl fmt::Display for Pace {
    /// The header's words: `refresh 24s: HighCostGet3Min 61% used`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "refresh {}s", self.interval.as_secs())?;
        match &self.reason {
            None => Ok(()),
            Some(StretchReason::Budget { name, used_percent }) => {
                write!(f, ": {name} {used_percent}% used")
            }
            Some(StretchReason::Operation) => f.write_str(": operation running"),
        }
    }
}

/// Every budget the refreshes reported, and the pace they allow.
#[derive(Debug, Clone, Default)]
pub struct BudgetBook {
    ledgers: BTreeMap<BudgetName, Ledger>,
}

impl BudgetBook {
    /// Records one refresh's tally (a budget it did not report cost it nothing).
    pub fn record(&mut self, tally: &BudgetTally) {
        for (name, ledger) in &mut self.ledgers {
            if !tally.0.contains_key(name) {
                push_cost(&mut ledger.costs, 0);
            }
        }
        for (name, used) in &tally.0 {
            let ledger = self.ledgers.entry(name.clone()).or_default();
            ledger.size = ledger.size.max(used.highest_remaining.saturating_add(1));
            ledger.lowest_remaining = used.lowest_remaining;
            push_cost(&mut ledger.costs, used.requests);
        }
    }

    /// The interval that keeps steady-state use of every budget within `rules.share`, never
    /// below `rules.interval`; [`OPERATION_SLOWDOWN`] times longer while an operation runs.
    pub fn pace(&self, rules: &PacingRules, operation_running: bool) -> Pace {
        let mut pace = Pace {
            interval: rules.interval,
            reason: None,
        };
        for (name, ledger) in &self.ledgers {
            let Some(needed) = needed_interval(name, ledger, rules.share) else {
                continue;
            };
            if needed > pace.interval {
                pace = Pace {
                    interval: round_up_secs(needed),
                    reason: Some(StretchReason::Budget {
                        name: name.clone(),
                        used_percent: used_percent(ledger),
                    }),
                };
            }
        }
        if operation_running {
            pace = Pace {
                interval: pace.interval.saturating_mul(OPERATION_SLOWDOWN),
                reason: Some(StretchReason::Operation),
            };
        }
        pace
    }
}

fn push_cost(costs: &mut VecDeque<u32>, cost: u32) {
    costs.push_back(cost);
    while costs.len() > RECENT_REFRESHES {
        costs.pop_front();
    }
}

fn used_percent(ledger: &Ledger) -> u32 {
    if ledger.size == 0 {
        return 0;
    }
    let used = ledger.size.saturating_sub(ledger.lowest_remaining);
    let percent = u64::from(used) * 100 / u64::from(ledger.size);
    u32::try_from(percent).unwrap_or(100)
}

/// Whole seconds, rounded up: the header shows seconds and must not promise a faster pace.
fn round_up_secs(d: Duration) -> Duration {
    let whole = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    Duration::from_secs(whole)
}

/// The shortest interval keeping this budget within `share`.
///
/// Window counters: with `m` the mean and `x` the largest recent cost, refreshes `I` apart put
/// at most `W/I + 1` refreshes in any window, at most one of them a costly one when full reads
/// are rarer than one per window: `(W/I)·m + x ≤ share·size` gives `I = m·W / (share·size − x)`.
/// When that is not positive one refresh per window is all the share allows. When the window
/// is more used than the share (another client of the same identity), slower in proportion.
/// Token buckets only bound the rate: `I = m·T / (share·size)`.
fn needed_interval(name: &BudgetName, ledger: &Ledger, share: f64) -> Option<Duration> {
    if ledger.size == 0 || ledger.costs.is_empty() {
        return None;
    }
    let mean = f64::from(ledger.costs.iter().sum::<u32>()) / ledger.costs.len() as f64;
    let largest = f64::from(ledger.costs.iter().copied().max().unwrap_or(0));
    let allowed = share * f64::from(ledger.size);
    let secs = match name.refill()? {
        Refill::Bucket(t) => mean * t.as_secs_f64() / allowed,
        Refill::Window(w) => {
            let room = allowed - largest;
            if room <= 0.0 {
                return Some(w);
            }
            let used = f64::from(used_percent(ledger)) / 100.0;
            mean * w.as_secs_f64() / room * (used / share).max(1.0)
        }
    };
    Duration::try_from_secs_f64(secs).ok()
}

#[cfg(test)]
#[path = "budget_tests.rs"]
mod tests;
