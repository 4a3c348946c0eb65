//! Table tests of the budget parsing and the pacing rule.

use super::*;

const HIGH: &str = "HighCostGet3Min";

fn high() -> BudgetName {
    BudgetName::Compute(HIGH.into())
}

/// A tally of `requests` answers whose remaining counts fall from `highest` to `lowest`.
fn tally(entries: &[(BudgetName, u32, u32, u32)]) -> BudgetTally {
    let mut t = BudgetTally::default();
    for (name, requests, highest, lowest) in entries {
        t.0.insert(
            name.clone(),
            BudgetUse {
                requests: *requests,
                lowest_remaining: *lowest,
                highest_remaining: *highest,
            },
        );
    }
    t
}

fn rules(interval_secs: u64, share: f64) -> PacingRules {
    PacingRules {
        interval: Duration::from_secs(interval_secs),
        share,
    }
}

#[test]
fn remaining_resource_header_lists_every_compute_policy() {
    let parsed = parse_remaining_resource(
        "Microsoft.Compute/HighCostGet3Min;107, Microsoft.Compute/HighCostGet30Min;591,\
         Microsoft.Network/Other;5,garbage,Microsoft.Compute/LowCostGet3Min;x",
    );
    assert_eq!(
        parsed,
        vec![
            (high(), 107),
            (BudgetName::Compute("HighCostGet30Min".into()), 591)
        ]
    );
}

#[test]
fn windows_come_from_the_policy_name() {
    let cases = [
        ("HighCostGet3Min", Some(180)),
        ("HighCostGet30Min", Some(1800)),
        ("PutVM1Hour", Some(3600)),
        ("GetOperation0Min", None),
        ("Mystery", None),
        ("Min", None),
    ];
    for (policy, secs) in cases {
        let want = secs.map(|s| Refill::Window(Duration::from_secs(s)));
        assert_eq!(
            BudgetName::Compute(policy.into()).refill(),
            want,
            "{policy}"
        );
    }
    assert_eq!(
        BudgetName::SubscriptionReads.refill(),
        Some(Refill::Bucket(SUBSCRIPTION_READS_REFILL))
    );
}

#[test]
fn the_tally_keeps_count_and_extremes() {
    let mut t = BudgetTally::default();
    for remaining in [899, 850, 870] {
        t.observe(high(), remaining);
    }
    assert_eq!(
        t.0[&high()],
        BudgetUse {
            requests: 3,
            lowest_remaining: 850,
            highest_remaining: 899
        }
    );
    assert_eq!(t.requests(&BudgetName::SubscriptionReads), 0);
}

/// Per refresh: HighCostGet3Min cost, highest and lowest remaining.
type Refreshes = &'static [(u32, u32, u32)];

/// (configured s, share, refreshes) → (interval s, stretch reason's used percent).
#[test]
fn pacing_table() {
    let cases: [(u64, f64, Refreshes, u64, Option<u32>); 6] = [
        // A small fleet: 10 per refresh of 900 needs 10·180/(450−10) = 4.1 s: configured wins.
        (15, 0.5, &[(10, 899, 890)], 15, None),
        // 60 every refresh: 60·180/(450−60) = 27.7 s → 28 s; 60 of 900 used = 6%.
        (15, 0.5, &[(60, 899, 840)], 28, Some(6)),
        // One full read (100) among light ones (60): mean 80 and the spike 100 → 80·180/350.
        (15, 0.5, &[(100, 899, 800), (60, 899, 740)], 42, Some(17)),
        // A smaller share stretches more: 60·180/(270−60) = 51.4 s.
        (15, 0.3, &[(60, 899, 840)], 52, Some(6)),
        // The share cannot even hold one refresh: one per window.
        (15, 0.05, &[(60, 899, 840)], 180, Some(6)),
        // Someone else used 80% of the window: slower by 0.8/0.5.
        (15, 0.5, &[(60, 899, 180)], 45, Some(80)),
    ];
    for (configured, share, refreshes, want_secs, want_used) in cases {
        let mut book = BudgetBook::default();
        for &(cost, highest, lowest) in refreshes {
            book.record(&tally(&[(high(), cost, highest, lowest)]));
        }
        let pace = book.pace(&rules(configured, share), false);
        assert_eq!(
            pace.interval.as_secs(),
            want_secs,
            "{refreshes:?} at {share}"
        );
        let used = match pace.reason {
            Some(StretchReason::Budget { name, used_percent }) => {
                assert_eq!(name, high());
                Some(used_percent)
            }
            Some(StretchReason::Operation) => panic!("no operation runs"),
            None => None,
        };
        assert_eq!(used, want_used, "{refreshes:?} at {share}");
        assert!(pace.interval >= Duration::from_secs(configured));
    }
}

#[test]
fn the_steady_state_stays_within_the_share_in_any_window() {
    // Light refreshes of 60 with a full one of 100 every tenth, paced by the book, counted in
    // every 180-s window starting at a refresh (the worst alignment of a fixed window).
    let mut book = BudgetBook::default();
    let mut times = Vec::new();
    let mut costs = Vec::new();
    let mut now = 0.0;
    for i in 0..200 {
        let cost = if i % RECENT_REFRESHES == 0 { 100 } else { 60 };
        book.record(&tally(&[(high(), cost, 899, 899 - cost)]));
        times.push(now);
        costs.push(cost);
        now += book.pace(&rules(15, 0.5), false).interval.as_secs_f64();
    }
    // From the twentieth refresh on, the recent costs hold a full read: steady state.
    for start in 20..times.len() {
        let used: u32 = (start..times.len())
            .take_while(|&j| times[j] < times[start] + 180.0)
            .map(|j| costs[j])
            .sum();
        assert!(used <= 450, "window from refresh {start} used {used}");
    }
}

#[test]
fn subscription_reads_bound_the_rate_only() {
    // 110 reads of a 250-token bucket refilled in 10 s at 50%: 110·10/125 = 8.8 s < 15 s.
    let mut book = BudgetBook::default();
    book.record(&tally(&[(BudgetName::SubscriptionReads, 110, 249, 139)]));
    assert_eq!(book.pace(&rules(15, 0.5), false).interval.as_secs(), 15);
    // 250 a refresh needs 20 s.
    let mut book = BudgetBook::default();
    book.record(&tally(&[(BudgetName::SubscriptionReads, 250, 249, 0)]));
    let pace = book.pace(&rules(15, 0.5), false);
    assert_eq!(pace.interval.as_secs(), 20);
    assert_eq!(
        pace.to_string(),
        "refresh 20s: subscription reads 100% used"
    );
}

#[test]
fn the_slowest_budget_sets_the_pace_and_names_itself() {
    let mut book = BudgetBook::default();
    book.record(&tally(&[
        (high(), 60, 899, 840),
        (
            BudgetName::Compute("LowCostGet3Min".into()),
            200,
            3999,
            3800,
        ),
    ]));
    let pace = book.pace(&rules(15, 0.5), false);
    assert_eq!(pace.to_string(), "refresh 28s: HighCostGet3Min 6% used");
}

#[test]
fn an_operation_slows_the_refresh_by_the_documented_factor() {
    let book = BudgetBook::default();
    let pace = book.pace(&rules(15, 0.5), true);
    assert_eq!(
        pace.interval,
        Duration::from_secs(15 * u64::from(OPERATION_SLOWDOWN))
    );
    assert_eq!(pace.to_string(), "refresh 60s: operation running");
    assert_eq!(book.pace(&rules(15, 0.5), false).to_string(), "refresh 15s");
}

#[test]
fn a_budget_no_longer_reported_ages_out() {
    let mut book = BudgetBook::default();
    book.record(&tally(&[(high(), 300, 899, 599)]));
    assert!(book.pace(&rules(15, 0.5), false).interval.as_secs() > 15);
    for _ in 0..RECENT_REFRESHES {
        book.record(&BudgetTally::default());
    }
    assert_eq!(book.pace(&rules(15, 0.5), false).interval.as_secs(), 15);
}
