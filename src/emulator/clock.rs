//! Emulated time: latency draws with seeded jitter, the speed factor, Retry-After rounding.
//!
//! Never sleeps and never reads the clock; callers pass `Instant`s in.

use std::time::Duration;

use super::scenario::{Latencies, Range};

/// A small seeded generator (splitmix64): reproducible jitter without a dependency.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// The next value in [0, 1).
    pub fn next_f64(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Latencies, speed and jitter together.
#[derive(Debug, Clone)]
pub(crate) struct Timing {
    pub rng: Rng,
    pub latencies: Latencies,
    pub speed: f64,
}

impl Timing {
    /// A timing for a scenario's latencies and seed at a speed factor.
    pub fn new(latencies: Latencies, seed: u64, speed: f64) -> Self {
        let speed = if speed.is_finite() && speed > 0.0 {
            speed
        } else {
            1.0
        };
        Timing {
            rng: Rng::new(seed),
            latencies,
            speed,
        }
    }

    /// Draw a real-time duration from a range of emulated seconds.
    pub fn draw(&mut self, r: Range) -> Duration {
        let secs = r.min + self.rng.next_f64() * (r.max - r.min);
        self.real(secs)
    }

    /// Emulated seconds as real time.
    pub fn real(&self, secs: f64) -> Duration {
        Duration::from_secs_f64((secs / self.speed).max(0.0))
    }

    /// A Retry-After for emulated seconds: divided by the speed, rounded up to whole seconds;
    /// less than one real second becomes 0 so fast runs poll at once.
    pub fn retry_after(&self, secs: f64) -> u64 {
        real_secs_header(secs / self.speed)
    }
}

/// Whole seconds for a Retry-After header from real seconds (see [`Timing::retry_after`]).
pub(crate) fn real_secs_header(real: f64) -> u64 {
    if !real.is_finite() || real < 1.0 {
        0
    } else {
        real.ceil() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rng_is_seeded_and_in_range() {
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        for _ in 0..100 {
            let x = a.next_f64();
            assert_eq!(x, b.next_f64());
            assert!((0.0..1.0).contains(&x));
        }
    }

    #[test]
    fn retry_after_divides_by_speed_and_rounds_up() {
        let t = Timing::new(Latencies::default(), 1, 4.0);
        assert_eq!(t.retry_after(10.0), 3);
        assert_eq!(t.retry_after(2.0), 0);
        let fast = Timing::new(Latencies::default(), 1, 200.0);
        assert_eq!(fast.retry_after(10.0), 0);
    }
}
