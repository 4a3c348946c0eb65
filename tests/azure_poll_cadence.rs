//! The poller's cadence against the emulator, counted on the emulator's request log (never
//! timed): an operation polled with an expectation costs no more status reads than the pure
//! schedule allows, and a throttled status read waits the throttle's whole Retry-After.

mod azure_support;

use azure_support::*;
use baton::azure::lro::{expecting, Answer};
use baton::azure::{ArmClient, ArmEvent, PollPolicy, WriteStatus};
use baton::emulator::{self, EmulatorHandle, EmulatorOptions, Range, Scenario};
use serde_json::json;
use std::time::Duration;

/// Emulated seconds of the pinned detach, and the emulator's speed: 3.125 s real.
const DETACH: f64 = 12.5;
const SPEED: f64 = 4.0;

async fn start_pinned() -> EmulatorHandle {
    let mut scenario = Scenario::contoso();
    scenario.latencies.disk_detach = Range::new(DETACH, DETACH);
    emulator::start(EmulatorOptions {
        scenario,
        ..EmulatorOptions::local(SPEED)
    })
    .await
    .expect("emulator starts")
}

/// A client with baton's default poll policy (the cadence under test), fast retries.
fn shipped_poll(emu: &EmulatorHandle) -> ArmClient {
    arm(emu).with_poll(PollPolicy::default())
}

/// Status reads the pure schedule makes for an operation ending at `ends`: the first wait from
/// the write's `first` answer, later answers without a hint (as `Azure-AsyncOperation` gives).
fn scheduled_polls(p: &PollPolicy, typical: Duration, first: Answer, ends: Duration) -> usize {
    let mut at = p.schedule(Some(typical), Duration::ZERO, first);
    let mut polls = 1;
    while at < ends {
        at += p.schedule(Some(typical), at, Answer::default());
        polls += 1;
    }
    polls
}

#[tokio::test]
async fn one_detach_costs_the_scheduled_status_reads_only() {
    let emu = start_pinned().await;
    let arm = shipped_poll(&emu);
    // The failover plan's detach estimate (15 s), at the emulator's speed.
    let typical = Duration::from_secs_f64(15.0 / SPEED);
    let out = expecting(typical, arm.detach_disks(RG, "web-a", &["web-data"], false))
        .await
        .unwrap();
    assert_eq!(out.status, WriteStatus::Applied);

    let log = requests(&emu).await;
    let monitors = matching(&log, Some("GET"), "/operations/");
    let status_reads = monitors
        .iter()
        .filter(|r| !r["path"].as_str().unwrap_or("").contains("monitor=true"))
        .count();
    let results = monitors.len() - status_reads;
    // The emulator's Retry-After: 10 s / 4, rounded up to whole seconds.
    let first = Answer {
        retry_after: Some(Duration::from_secs(3)),
        reads_left: None,
    };
    let ends = Duration::from_secs_f64(DETACH / SPEED);
    let bound = scheduled_polls(&PollPolicy::default(), typical, first, ends);
    assert_eq!(
        bound, 4,
        "2.5 s (hint cut to the likely start), 2.75, 3.0, 3.25 s"
    );
    // Polls only happen at scheduled times; a slow machine can only make fewer of them. One
    // more is allowed for the emulator finishing an instant after a poll lands.
    assert!(
        (1..=bound + 1).contains(&status_reads),
        "{status_reads} status reads, schedule allows {bound}: {monitors:?}"
    );
    assert_eq!(results, 1, "one read of the Location result");
    emu.shutdown().await;
}

#[tokio::test]
async fn a_throttled_status_read_waits_the_whole_retry_after() {
    let emu = start(200.0).await;
    fault(
        &emu,
        json!({"method": "GET", "path_contains": "/operations/", "kind": "respond",
               "status": 429, "code": "TooManyRequests", "message": "slow down",
               "retry_after": 1, "count": 1}),
    )
    .await;
    let (progress, mut rx) = progress();
    // fast_poll caps pacing hints at 20 ms; a throttle is not a pacing hint.
    let arm = arm(&emu).with_progress(progress);
    let out = arm.power_off(RG, "web-b").await.unwrap();
    assert_eq!(out.status, WriteStatus::Applied);
    let waits: Vec<Duration> = drain(&mut rx)
        .into_iter()
        .filter_map(|e| match e {
            ArmEvent::Retry {
                operation, wait, ..
            } if operation.starts_with("read status of") => Some(wait),
            _ => None,
        })
        .collect();
    assert_eq!(waits, vec![Duration::from_secs(1)]);
    let log = requests(&emu).await;
    let statuses: Vec<u64> = matching(&log, Some("GET"), "/operations/")
        .iter()
        .map(|r| r["status"].as_u64().unwrap_or(0))
        .collect();
    assert_eq!(statuses.first(), Some(&429));
    assert!(statuses[1..].iter().all(|s| *s == 200), "{statuses:?}");
    emu.shutdown().await;
}
