//! Latency statistics of a set of timed iterations.

use std::time::Duration;

/// Mean, median, 99th percentile and maximum of some durations.
#[derive(Debug, Clone, Copy)]
pub struct Summary {
    /// How many samples.
    pub n: usize,
    /// Arithmetic mean.
    pub mean: Duration,
    /// Median.
    pub p50: Duration,
    /// 99th percentile (nearest rank).
    pub p99: Duration,
    /// Slowest sample.
    pub max: Duration,
}

impl Summary {
    /// Summarizes `samples` (any order); all zero when empty.
    pub fn of(samples: &[Duration]) -> Summary {
        let mut sorted = samples.to_vec();
        sorted.sort_unstable();
        let n = sorted.len();
        let total: Duration = sorted.iter().sum();
        let rank = |q: f64| {
            let i = ((q * n as f64).ceil() as usize).clamp(1, n.max(1)) - 1;
            sorted.get(i).copied().unwrap_or_default()
        };
        Summary {
            n,
            mean: total.checked_div(n as u32).unwrap_or_default(),
            p50: rank(0.50),
            p99: rank(0.99),
            max: sorted.last().copied().unwrap_or_default(),
        }
    }
}

/// Milliseconds with three decimals, for tables.
pub fn ms(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64() * 1000.0)
}
