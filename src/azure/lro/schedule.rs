//! When to poll next. The schedule is a pure function of what ARM said on the last answer
//! (`Retry-After`, the subscription's remaining reads), what baton expects of the operation
//! (its typical duration, given by the caller through [`expecting`]) and how long it has run.
//! It must not sleep, read a clock or talk to ARM; the poller does that.
//!
//! Why: waiting `Retry-After` (10 s from compute) and then a fixed 2 s means every operation is
//! seen done up to a whole interval after Azure finished; six operations in a row on a
//! switchover's critical path added ~6 s. ARM's `Retry-After` on a 202 is a pacing hint, so it
//! is honoured up to the point where the operation could plausibly be done, and no further; a
//! throttle's `Retry-After` (429/503) is a different thing and is always honoured in full (see
//! the poller).
//!
//! The schedule, for an operation expected to take about `T`:
//! - before `⅔·T` (earliest likely end): the server's hint (else `default_interval`), capped at
//!   `retry_after_cap`, and never past `⅔·T`;
//! - from `⅔·T` to `⁴⁄₃·T` (the likely window: the notes' ranges, e.g. disk 10–15 s for an
//!   estimate of 15 s, sit inside it): every `min_interval`;
//! - after `⁴⁄₃·T` (the tail: detach has a p95 of a minute and rare hangs): half the overrun,
//!   so the interval grows with it, from `min_interval` up to the hint (else
//!   `default_interval`), capped;
//! - without an expectation, or when the last answer says the subscription has fewer than
//!   [`READS_RESERVE`] reads left: the server's hint (else `default_interval`), capped — the
//!   plain ARM cadence, no fine polling.
//!
//! Every wait is at least `min_interval`.

use crate::azure::lro::PollPolicy;
use std::future::Future;
use std::time::Duration;

/// Below this many remaining subscription reads (`x-ms-ratelimit-remaining-subscription-reads`
/// on the last answer) the poller stops fine polling and keeps to the server's pace, so that
/// fast polling can never be what empties the subscription's read budget (ARM: 250 reads,
/// refilled 25 per second, per principal).
pub const READS_RESERVE: u64 = 100;

tokio::task_local! {
    static EXPECTED: Duration;
}

/// Runs `fut` with every long-running operation it starts expected to take about `typical`
/// (a failover step's estimate). The poller reads it; nothing else changes.
pub async fn expecting<F: Future>(typical: Duration, fut: F) -> F::Output {
    EXPECTED.scope(typical, fut).await
}

/// The typical duration set by an enclosing [`expecting`], if any.
pub(crate) fn expected() -> Option<Duration> {
    EXPECTED.try_with(|d| *d).ok()
}

/// What the last answer said that bears on the next wait.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Answer {
    /// Its `Retry-After`.
    pub retry_after: Option<Duration>,
    /// Its `x-ms-ratelimit-remaining-subscription-reads`.
    pub reads_left: Option<u64>,
}

/// The window in which an operation expected to take `typical` likely ends: `[⅔·T, ⁴⁄₃·T]`.
pub fn likely_window(typical: Duration) -> (Duration, Duration) {
    (typical * 2 / 3, typical * 4 / 3)
}

/// Fine polling inside a window, then backing off: `fine` until `until`, after that half the
/// overrun, never below `fine` nor above `ceiling` (when `fine > ceiling`, `ceiling` wins).
pub fn window_wait(
    elapsed: Duration,
    until: Duration,
    fine: Duration,
    ceiling: Duration,
) -> Duration {
    let fine = fine.min(ceiling);
    if elapsed < until {
        return fine;
    }
    ((elapsed - until) / 2).max(fine).min(ceiling)
}

impl PollPolicy {
    /// The wait before the next poll of an operation that has run `elapsed`, expected to take
    /// about `typical`, whose last answer was `answer`. See the module doc for the schedule.
    pub fn schedule(
        &self,
        typical: Option<Duration>,
        elapsed: Duration,
        answer: Answer,
    ) -> Duration {
        let ceiling = self.next_wait(answer.retry_after);
        let budget_low = answer.reads_left.is_some_and(|n| n < READS_RESERVE);
        let wait = match typical {
            Some(t) if !budget_low => {
                let (earliest, latest) = likely_window(t);
                if elapsed < earliest {
                    ceiling.min(earliest - elapsed)
                } else {
                    window_wait(elapsed, latest, self.min_interval, ceiling)
                }
            }
            _ => ceiling,
        };
        wait.max(self.min_interval)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    fn hint(d: Duration) -> Answer {
        Answer {
            retry_after: Some(d),
            reads_left: None,
        }
    }

    const NONE: Answer = Answer {
        retry_after: None,
        reads_left: None,
    };

    /// Follows the schedule for an operation that ends at `ends`: the first wait from the
    /// write's answer (`first`), then status answers without a hint, as the compute and network
    /// `Azure-AsyncOperation` URLs give. Returns the polls made and when the end was seen.
    fn simulate(
        p: &PollPolicy,
        typical: Option<Duration>,
        first: Answer,
        ends: Duration,
    ) -> (u32, Duration) {
        let mut at = p.schedule(typical, Duration::ZERO, first);
        let mut polls = 1;
        while at < ends {
            at += p.schedule(typical, at, NONE);
            polls += 1;
        }
        (polls, at)
    }

    #[test]
    fn without_expectation_it_is_the_plain_arm_cadence() {
        let p = PollPolicy::default();
        for a in [NONE, hint(secs(10)), hint(secs(1200)), hint(Duration::ZERO)] {
            for elapsed in [Duration::ZERO, secs(7), secs(600)] {
                assert_eq!(p.schedule(None, elapsed, a), p.next_wait(a.retry_after));
            }
        }
        assert_eq!(p.schedule(None, Duration::ZERO, hint(secs(10))), secs(10));
        assert_eq!(p.schedule(None, secs(3), NONE), secs(2));
        assert_eq!(p.schedule(None, secs(3), hint(secs(1200))), secs(10));
    }

    #[test]
    fn retry_after_is_honoured_up_to_the_likely_end() {
        let p = PollPolicy::default();
        // Disk detach, estimate 15 s: likely from 10 s; ARM says 10 s: honoured as is.
        assert_eq!(
            p.schedule(Some(secs(15)), Duration::ZERO, hint(secs(10))),
            secs(10)
        );
        // Estimate 9 s: likely from 6 s, so a 10 s hint is cut to 6 s.
        assert_eq!(
            p.schedule(Some(secs(9)), Duration::ZERO, hint(secs(10))),
            secs(6)
        );
        // A shorter hint than the likely start is honoured (the server knows better).
        assert_eq!(
            p.schedule(Some(secs(15)), Duration::ZERO, hint(secs(1))),
            secs(1)
        );
        // No hint (NIC PUT): the default pace, then exactly to the window's start.
        assert_eq!(p.schedule(Some(secs(9)), Duration::ZERO, NONE), secs(2));
        assert_eq!(p.schedule(Some(secs(9)), secs(5), NONE), secs(1));
        // Never below the floor, even right before the window.
        assert_eq!(p.schedule(Some(secs(9)), ms(5_990), NONE), ms(250));
    }

    #[test]
    fn fine_inside_the_window_then_backing_off() {
        let p = PollPolicy::default();
        let t = Some(secs(15)); // window 10–20 s
        for elapsed in [secs(10), ms(12_600), ms(19_999)] {
            assert_eq!(p.schedule(t, elapsed, hint(secs(10))), ms(250));
            assert_eq!(p.schedule(t, elapsed, NONE), ms(250));
        }
        assert_eq!(p.schedule(t, secs(20), NONE), ms(250));
        assert_eq!(p.schedule(t, secs(21), NONE), ms(500));
        assert_eq!(p.schedule(t, secs(23), NONE), ms(1_500));
        assert_eq!(p.schedule(t, secs(25), NONE), secs(2));
        assert_eq!(p.schedule(t, secs(600), NONE), secs(2));
        // In the tail a server hint is the ceiling the backoff grows to (capped at 10 s).
        assert_eq!(p.schedule(t, secs(30), hint(secs(10))), secs(5));
        assert_eq!(p.schedule(t, secs(600), hint(secs(60))), secs(10));
    }

    #[test]
    fn a_low_read_budget_turns_fine_polling_off() {
        let p = PollPolicy::default();
        let t = Some(secs(15));
        let low = Answer {
            retry_after: None,
            reads_left: Some(READS_RESERVE - 1),
        };
        let ample = Answer {
            retry_after: None,
            reads_left: Some(READS_RESERVE),
        };
        assert_eq!(p.schedule(t, secs(12), low), secs(2));
        assert_eq!(p.schedule(t, secs(12), ample), ms(250));
        assert_eq!(
            p.schedule(
                t,
                Duration::ZERO,
                Answer {
                    retry_after: Some(secs(30)),
                    ..low
                }
            ),
            secs(10)
        );
    }

    #[test]
    fn window_wait_never_exceeds_its_ceiling() {
        assert_eq!(window_wait(secs(1), secs(5), ms(250), ms(5)), ms(5));
        assert_eq!(window_wait(secs(9), secs(5), ms(250), ms(5)), ms(5));
        assert_eq!(window_wait(secs(1), secs(5), ms(250), secs(2)), ms(250));
        assert_eq!(window_wait(secs(6), secs(5), ms(250), secs(2)), ms(500));
        assert_eq!(window_wait(secs(60), secs(5), ms(250), secs(2)), secs(2));
    }

    #[test]
    fn an_operation_in_its_window_is_seen_within_one_fine_interval() {
        let p = PollPolicy::default();
        // (estimate, first hint, durations in ms): disk moves and run commands from compute
        // (Retry-After 10 s), endpoint moves from network (no hint).
        let cases: [(u64, Answer, &[u64]); 3] = [
            (
                15,
                hint(secs(10)),
                &[10_000, 10_010, 12_500, 13_333, 14_990, 19_990],
            ),
            (
                25,
                hint(secs(10)),
                &[16_700, 20_000, 22_500, 24_990, 33_000],
            ),
            (8, NONE, &[5_400, 7_500, 9_999, 10_600]),
        ];
        for (t, first, durations) in cases {
            let (lo, hi) = likely_window(secs(t));
            for &d in durations {
                let ends = ms(d);
                assert!(
                    ends >= lo && ends <= hi,
                    "{d} ms inside the window of {t} s"
                );
                let (_, seen) = simulate(&p, Some(secs(t)), first, ends);
                assert!(
                    seen - ends <= ms(250),
                    "estimate {t} s, ends {d} ms, seen {seen:?}"
                );
            }
        }
    }

    #[test]
    fn reads_per_operation_stay_bounded() {
        let p = PollPolicy::default();
        // Within the window: at most ⅔·T / 0.25 s fine polls plus the few before it.
        let (polls, _) = simulate(&p, Some(secs(15)), hint(secs(10)), ms(12_500));
        assert_eq!(polls, 11, "10 s, then 10.25 … 12.5 s");
        let (polls, _) = simulate(&p, Some(secs(8)), NONE, ms(7_500));
        assert_eq!(polls, 12, "2, 4, 5.33, then 5.58 … 7.58 s");
        let (polls, _) = simulate(&p, Some(secs(25)), hint(secs(10)), ms(22_500));
        assert!(polls <= 30, "{polls}");
        // A detach hanging 15 minutes: the tail is polled every 2 s, as before.
        let (polls, _) = simulate(&p, Some(secs(15)), hint(secs(10)), secs(900));
        let plain = simulate(&p, None, hint(secs(10)), secs(900)).0;
        assert!(
            polls <= plain + 50,
            "{polls} vs {plain} without an expectation"
        );
        assert!(plain <= 450);
    }

    #[tokio::test]
    async fn expecting_scopes_the_typical_duration() {
        assert_eq!(expected(), None);
        let inside = expecting(secs(15), async { expected() }).await;
        assert_eq!(inside, Some(secs(15)));
        assert_eq!(expected(), None);
    }
}
