//! A hold out of range in a drill record (a record written before the bounds, or damaged) must
//! not panic half-way with the role on the standby: the hold is cut to one probe, noted in the
//! record, and the drill switches back as usual. The CLI and the config refuse such a hold up
//! front (`tests/config_bounds.rs`); this is the check that runs again on the stored value.

mod drill_support;

use baton::failover::StateDir;
use drill_support::*;
use std::time::Duration;
use tokio::sync::watch;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_absurd_stored_hold_is_cut_and_the_role_comes_back() {
    let (emu, config) = start().await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = StateDir::new(tmp.path());
    let (drill, _events, _updates) = drill(&emu, &config, &dir, "web");
    let req = baton::drill::DrillRequest {
        hold: Duration::from_secs(400_000_000_000),
        ..request(dir.root())
    };
    let plan = drill.plan(&req).await.unwrap();
    let (_abort_tx, abort) = watch::channel(false);
    let outcome = drill.run(&req, &plan, "--yes", abort).await.unwrap();

    assert_master(&emu, &config, "web", "web-a").await;
    assert!(outcome.record.is_finished(), "{}", outcome.summary);
    let notes: Vec<&str> = outcome
        .record
        .comments
        .iter()
        .map(|c| c.text.as_str())
        .collect();
    assert!(
        notes.contains(
            &"the stored hold of 400000000000 s is not between 0s and 24h: held for one probe only"
        ),
        "{notes:?}"
    );
    let hold = outcome.record.hold.as_ref().expect("a hold ran");
    assert_eq!(hold.probes_ok + hold.probes_failed, 1, "one probe only");
    assert!(baton::drill::store::unfinished(&dir).is_empty());
    emu.shutdown().await;
}
