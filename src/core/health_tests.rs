//! Table tests for the heartbeat classifier: every transition, the detection bound, recovery,
//! flap damping and the history ring.

use super::*;
use time::macros::datetime;
use time::Duration;

const T0: OffsetDateTime = datetime!(2026-01-01 00:00:00 UTC);

fn params(
    fail_after: u32,
    recover_after: u32,
    flap_window: u32,
    flap_threshold: u32,
) -> HealthParams {
    HealthParams {
        fail_after,
        recover_after,
        flap_window,
        flap_threshold,
    }
}

/// No flap damping: fail after 3, recover after 2.
const PLAIN: HealthParams = HealthParams {
    fail_after: 3,
    recover_after: 2,
    flap_window: 0,
    flap_threshold: 0,
};

fn up(ms: u64) -> ProbeStatus {
    ProbeStatus::Up { latency_ms: ms }
}

fn down(reason: &str) -> ProbeStatus {
    ProbeStatus::Down {
        reason: reason.into(),
    }
}

/// `+` = success, `-` = failure, `?` = raw unknown; sample i is taken at T0 + i s.
fn outcome(c: char, i: usize) -> ProbeStatus {
    match c {
        '+' => up(10 + i as u64),
        '-' => down(&format!("HTTP 503 #{i}")),
        _ => ProbeStatus::Unknown,
    }
}

fn at(i: usize) -> OffsetDateTime {
    T0 + Duration::seconds(i as i64)
}

fn letter(v: &ProbeStatus) -> char {
    match v {
        ProbeStatus::Up { .. } => 'U',
        ProbeStatus::Down { .. } => 'D',
        ProbeStatus::Unknown => '?',
    }
}

/// Runs the samples and returns the verdict letter after each one.
fn run(p: HealthParams, samples: &str) -> (HealthClassifier, String) {
    let mut c = HealthClassifier::new(p, DEFAULT_HISTORY);
    let mut verdicts = String::new();
    for (i, ch) in samples.chars().enumerate() {
        c.observe(at(i), outcome(ch, i));
        verdicts.push(letter(c.verdict()));
    }
    (c, verdicts)
}

#[test]
fn transitions_table() {
    let damped = params(3, 2, 6, 3);
    let cases: &[(&str, HealthParams, &str, &str)] = &[
        ("nothing yet", PLAIN, "", ""),
        ("first success is up at once", PLAIN, "+", "U"),
        (
            "first failures stay unknown until fail_after",
            PLAIN,
            "---",
            "??D",
        ),
        (
            "a success before fail_after is up at once",
            PLAIN,
            "--+",
            "??U",
        ),
        (
            "blips below fail_after keep up",
            PLAIN,
            "+--+--+",
            "UUUUUUU",
        ),
        ("down exactly at fail_after", PLAIN, "+---", "UUUD"),
        ("down stays down on failures", PLAIN, "+------", "UUUDDDD"),
        ("one success is not recovery", PLAIN, "+---+", "UUUDD"),
        ("recovery after recover_after", PLAIN, "+---++", "UUUDDU"),
        (
            "an interrupted recovery restarts",
            PLAIN,
            "+---+-++",
            "UUUDDDDU",
        ),
        (
            "after recovery, down needs fail_after again",
            PLAIN,
            "+---++--+---",
            "UUUDDUUUUUUD",
        ),
        ("raw unknown is no evidence", PLAIN, "?+?--?-", "?UUUUUD"),
        ("fail_after 1", params(1, 1, 0, 0), "+-+", "UDU"),
        ("recover_after 1", params(3, 1, 0, 0), "+---+", "UUUDU"),
        ("recover_after 4", params(3, 4, 0, 0), "---++++", "??DDDDU"),
        ("zero thresholds act as 1", params(0, 0, 0, 0), "-+", "DU"),
        ("flapping forces down", damped, "+-+-", "UUUD"),
        (
            "flapping holds down until calm",
            damped,
            "+-+-++++",
            "UUUDDDDU",
        ),
        (
            "calm but not recovered stays down",
            damped,
            "+-+----++",
            "UUUDDDDDU",
        ),
        (
            "a single blip is not flapping",
            damped,
            "++-+++++",
            "UUUUUUUU",
        ),
        ("two blips in the window flap", damped, "++-+++-", "UUUUUUD"),
        ("failures alone never flap", damped, "------", "??DDDD"),
        (
            "damping disabled ignores flaps",
            params(3, 2, 6, 0),
            "+-+-+-",
            "UUUUUU",
        ),
    ];
    for (name, p, samples, expected) in cases {
        let (_, got) = run(*p, samples);
        assert_eq!(&got, expected, "{name}: samples {samples}");
    }
}

#[test]
fn observe_reports_kind_changes_only() {
    let mut c = HealthClassifier::new(PLAIN, DEFAULT_HISTORY);
    let changes: Vec<bool> = "+++---+--++"
        .chars()
        .enumerate()
        .map(|(i, ch)| c.observe(at(i), outcome(ch, i)))
        .collect();
    let expected = [
        true, false, false, false, false, true, false, false, false, false, true,
    ];
    assert_eq!(changes, expected);
}

#[test]
fn up_carries_the_latest_success_latency() {
    let mut c = HealthClassifier::new(PLAIN, DEFAULT_HISTORY);
    c.observe(at(0), up(7));
    assert_eq!(c.verdict(), &up(7));
    c.observe(at(1), up(42));
    assert_eq!(c.verdict(), &up(42));
    c.observe(at(2), down("timeout after 800ms"));
    assert_eq!(c.verdict(), &up(42), "a blip keeps the last good latency");
}

#[test]
fn down_carries_the_latest_failure_reason() {
    let mut c = HealthClassifier::new(PLAIN, DEFAULT_HISTORY);
    for (i, r) in ["connection refused", "HTTP 503", "timeout after 800ms"]
        .iter()
        .enumerate()
    {
        c.observe(at(i), down(r));
    }
    assert_eq!(c.verdict(), &down("timeout after 800ms"));
    c.observe(at(3), down("HTTP 500"));
    assert_eq!(c.verdict(), &down("HTTP 500"));
    c.observe(at(4), up(5));
    assert_eq!(c.verdict(), &down("recovering: 1/2 ok since HTTP 500"));
    c.observe(at(5), up(6));
    assert_eq!(c.verdict(), &up(6));
}

#[test]
fn flapping_reason_names_changes_and_window() {
    let (c, _) = run(params(3, 2, 6, 3), "+-+-");
    assert_eq!(c.verdict(), &down("flapping: 3 changes in last 4 probes"));
    let (c, _) = run(params(3, 2, 6, 3), "+-+-+-+-");
    assert_eq!(c.verdict(), &down("flapping: 5 changes in last 6 probes"));
}

#[test]
fn after_flapping_the_reason_is_the_real_cause() {
    // Window 4, threshold 3: "+-+-" flaps; then failures calm the window while staying down.
    let (c, got) = run(params(3, 2, 4, 3), "+-+----");
    assert_eq!(got, "UUUDDDD");
    assert_eq!(c.verdict(), &down("HTTP 503 #6"));
}

#[test]
fn detection_bound_is_exactly_fail_after_failures() {
    for fail_after in 1..=6u32 {
        for healthy_prefix in 0..4usize {
            let p = params(fail_after, 2, 0, 0);
            let samples = format!(
                "{}{}",
                "+".repeat(healthy_prefix),
                "-".repeat(fail_after as usize + 2)
            );
            let (_, got) = run(p, &samples);
            let first_down = got.find('D').expect("declared down");
            assert_eq!(
                first_down,
                healthy_prefix + fail_after as usize - 1,
                "fail_after {fail_after}, prefix {healthy_prefix}: {got}"
            );
        }
    }
}

#[test]
fn damping_never_delays_detection() {
    // Every history of up to 8 samples, then the target dies: down within fail_after failures.
    let p = params(3, 2, 6, 3);
    for bits in 0u32..(1 << 8) {
        for len in 0..=8usize {
            let prefix: String = (0..len)
                .map(|i| if bits & (1 << i) != 0 { '+' } else { '-' })
                .collect();
            let (_, got) = run(p, &format!("{prefix}---"));
            assert_eq!(got.chars().last(), Some('D'), "prefix {prefix}: {got}");
        }
    }
}

#[test]
fn flapping_server_stays_down_while_it_flaps() {
    let p = params(3, 2, 6, 3);
    let (_, got) = run(p, &"+-".repeat(20));
    assert!(got[3..].chars().all(|v| v == 'D'), "{got}");
    // Pairs of successes still flap in a window of 8: + + - - + + - - ...
    let (_, got) = run(params(3, 2, 8, 3), &"++--".repeat(10));
    assert!(got[6..].chars().all(|v| v == 'D'), "{got}");
}

#[test]
fn history_ring_is_bounded_and_ordered() {
    let mut c = HealthClassifier::new(PLAIN, 3);
    for (i, ch) in "++-++".chars().enumerate() {
        c.observe(at(i), outcome(ch, i));
    }
    let h = c.history();
    assert_eq!(h.samples, vec![None, Some(13), Some(14)]);
    assert_eq!(h.last_run, Some(at(4)));
    assert_eq!(h.last_ok, Some(at(4)));
    assert_eq!(h.consecutive_failures, 0);
}

#[test]
fn history_ring_default_capacity_holds() {
    let (c, _) = run(PLAIN, &"+".repeat(200));
    assert_eq!(c.history().samples.len(), DEFAULT_HISTORY);
    assert_eq!(c.history().samples.last(), Some(&Some(10 + 199)));
}

#[test]
fn history_tracks_failures_and_last_ok() {
    let (c, _) = run(PLAIN, "++---");
    let h = c.history();
    assert_eq!(h.consecutive_failures, 3);
    assert_eq!(h.last_ok, Some(at(1)));
    assert_eq!(h.last_run, Some(at(4)));
    assert_eq!(h.samples, vec![Some(10), Some(11), None, None, None]);
}

#[test]
fn history_ignores_raw_unknown_and_zero_capacity_keeps_nothing() {
    let (c, _) = run(PLAIN, "?");
    assert_eq!(c.history().last_run, None);
    assert!(c.history().samples.is_empty());
    let mut c = HealthClassifier::new(PLAIN, 0);
    c.observe(at(0), up(1));
    assert!(c.history().samples.is_empty());
    assert_eq!(c.history().last_ok, Some(at(0)));
}

#[test]
fn params_validation() {
    assert_eq!(HealthParams::default().validate(), Ok(()));
    assert_eq!(
        params(0, 1, 0, 0).validate(),
        Err(HealthParamsError::FailAfterZero)
    );
    assert_eq!(
        params(1, 0, 0, 0).validate(),
        Err(HealthParamsError::RecoverAfterZero)
    );
    assert_eq!(
        params(1, 1, 4, 4).validate(),
        Err(HealthParamsError::FlapUnreachable {
            threshold: 4,
            window: 4
        })
    );
    assert_eq!(params(1, 1, 0, 0).validate(), Ok(()));
    assert_eq!(params(1, 1, 5, 4).validate(), Ok(()));
}
