//! The front door (`ops::Runner`) driven through its handle alone: the id is known before the
//! first event and every event carries it; an abort armed before the first event halts the
//! operation before any step, and one sent on the first event halts it too; a halted operation
//! is resumed by its id; a drill's one stream is in order (each leg announced before its
//! events, each update with its record); a wrong confirmation, an unknown role or
//! an unknown id starts nothing. No test here
//! reads a journal or a record from disk.

mod failover_support;

use baton::core::drill::Verdict;
use baton::core::operation::{DrillLeg, OpEvent, Outcome};
use baton::core::plan::OperationKind;
use baton::drill::{DrillRequest, DrillUpdate};
use baton::failover::{Request, RunEnd, StateDir};
use baton::ops::{
    Confirmation, OpEnd, OpHandle, OpId, OpStreamEvent, Runner, StartError, StartRequest,
};
use failover_support::*;
use std::sync::Arc;
use std::time::Duration;

fn runner(
    emu: &baton::emulator::EmulatorHandle,
    config: &baton::config::Config,
    dir: &StateDir,
) -> Runner {
    Runner::new(arm(emu), Arc::new(config.clone()), dir.clone(), operator())
        .with_options(options(config))
}

fn switchover(confirmation: Confirmation) -> StartRequest {
    StartRequest::Operation {
        role: "web".into(),
        request: Request::new(OperationKind::Switchover),
        confirmation,
    }
}

/// Every item of the handle's stream, then its end.
async fn follow(mut handle: OpHandle) -> (Vec<OpStreamEvent>, OpEnd) {
    let mut items = Vec::new();
    while let Some(item) = handle.events.recv().await {
        items.push(item);
    }
    (items, handle.done.await.expect("the run's task ends"))
}

/// The operation events of `items` with their ids.
fn op_events(items: &[OpStreamEvent]) -> Vec<(String, OpEvent)> {
    items
        .iter()
        .filter_map(|i| match i {
            OpStreamEvent::Op { op_id, event } => Some((op_id.clone(), event.clone())),
            OpStreamEvent::Drill { .. } => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_switchover_runs_through_the_handle_with_its_id_known_up_front() {
    let (emu, config) = start().await;
    let tmp = tempfile::tempdir().unwrap();
    let runner = runner(&emu, &config, &StateDir::new(tmp.path()));
    let handle = runner
        .start(switchover(Confirmation::Typed("web".into())))
        .await
        .expect("started");
    let OpId::Operation(id) = handle.id.clone() else {
        panic!("a switchover is an operation: {:?}", handle.id);
    };
    let (items, end) = follow(handle).await;
    let events = op_events(&items);
    assert_eq!(
        events.len(),
        items.len(),
        "no drill in a switchover's stream"
    );
    assert!(events.iter().all(|(op_id, _)| *op_id == id));
    match events.first() {
        Some((_, OpEvent::Begun { op_id, .. })) => assert_eq!(*op_id, id),
        other => panic!("the stream starts with Begun: {other:?}"),
    }
    assert!(matches!(
        events.last(),
        Some((
            _,
            OpEvent::Finished {
                outcome: Outcome::Succeeded,
                ..
            }
        ))
    ));
    let OpEnd::Operation(Ok(report)) = end else {
        panic!("the switchover ran: {end:?}");
    };
    assert_eq!(report.op_id, id);
    assert_eq!(report.end, RunEnd::Finished(Outcome::Succeeded));
    assert_master(&emu, &config, "web", "web-b").await;
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_abort_before_the_first_event_halts_before_any_step_and_resumes_by_id() {
    let (emu, config) = start().await;
    let tmp = tempfile::tempdir().unwrap();
    let runner = runner(&emu, &config, &StateDir::new(tmp.path()));
    let handle = runner
        .start(switchover(Confirmation::Yes))
        .await
        .expect("started");
    handle.abort.abort();
    let id = handle.id.as_str().to_owned();
    let (items, end) = follow(handle).await;
    let kinds: Vec<&str> = op_events(&items)
        .iter()
        .map(|(_, e)| match e {
            OpEvent::Begun { .. } => "begun",
            OpEvent::AbortRequested { .. } => "abort_requested",
            _ => "other",
        })
        .collect();
    assert_eq!(kinds, ["begun", "abort_requested"], "no step ran");
    let OpEnd::Operation(Ok(report)) = end else {
        panic!("the operation halted: {end:?}");
    };
    assert_eq!(report.end, RunEnd::Halted);
    assert_master(&emu, &config, "web", "web-a").await;

    // Resumed by its id: a halted operation rolls forward, under the same id.
    let handle = runner
        .start(StartRequest::Resume {
            role: "web".into(),
            op_id: id.clone(),
            rollback: None,
            force_detach: false,
            override_cooldown: None,
        })
        .await
        .expect("resumed");
    assert_eq!(handle.id, OpId::Operation(id.clone()));
    let (items, end) = follow(handle).await;
    assert!(op_events(&items).iter().all(|(op_id, _)| *op_id == id));
    let OpEnd::Operation(Ok(report)) = end else {
        panic!("the resume ran: {end:?}");
    };
    assert_eq!(report.end, RunEnd::Finished(Outcome::Succeeded));
    assert_master(&emu, &config, "web", "web-b").await;
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_abort_on_the_first_event_halts_the_operation() {
    let (emu, config) = start().await;
    let tmp = tempfile::tempdir().unwrap();
    let runner = runner(&emu, &config, &StateDir::new(tmp.path()));
    let mut handle = runner
        .start(switchover(Confirmation::Yes))
        .await
        .expect("started");
    let first = handle.events.recv().await;
    assert!(
        matches!(
            first,
            Some(OpStreamEvent::Op {
                event: OpEvent::Begun { .. },
                ..
            })
        ),
        "{first:?}"
    );
    handle.abort.abort();
    assert!(handle.abort.is_requested());
    let (items, end) = follow(handle).await;
    assert!(op_events(&items)
        .iter()
        .any(|(_, e)| matches!(e, OpEvent::AbortRequested { .. })));
    let OpEnd::Operation(Ok(report)) = end else {
        panic!("the operation halted: {end:?}");
    };
    assert_eq!(report.end, RunEnd::Halted);
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drill_streams_legs_and_updates_in_order_each_update_with_its_record() {
    let (emu, config) = start().await;
    let tmp = tempfile::tempdir().unwrap();
    let runner = runner(&emu, &config, &StateDir::new(tmp.path()));
    let request = DrillRequest {
        hold: Duration::from_secs(1),
        report_dir: Some(tmp.path().join("reports")),
        ..DrillRequest::default()
    };
    let handle = runner
        .start(StartRequest::Drill {
            role: "web".into(),
            request,
            confirmation: Confirmation::Typed("web".into()),
        })
        .await
        .expect("started");
    let OpId::Drill(drill_id) = handle.id.clone() else {
        panic!("a drill: {:?}", handle.id);
    };
    let (items, end) = follow(handle).await;

    // Each leg is announced (with its operation's id) before any of its events.
    let mut current: Option<(DrillLeg, String)> = None;
    let mut legs = Vec::new();
    for item in &items {
        match item {
            OpStreamEvent::Drill { update, record } => {
                assert_eq!(record.drill_id, drill_id);
                match update {
                    DrillUpdate::LegStarted { leg, op_id } => {
                        assert_eq!(
                            record.leg(*leg).map(|l| l.op_id.as_str()),
                            Some(op_id.as_str())
                        );
                        current = Some((*leg, op_id.clone()));
                        legs.push(*leg);
                    }
                    DrillUpdate::HoldProbe { n_ok, n_failed, .. } => {
                        let hold = record.hold.as_ref().expect("the record has the hold");
                        assert_eq!((hold.probes_ok, hold.probes_failed), (*n_ok, *n_failed));
                    }
                    DrillUpdate::Finished { verdict, .. } => {
                        assert_eq!(record.verdict, Some(*verdict));
                    }
                    DrillUpdate::Begun { .. }
                    | DrillUpdate::Resumed { .. }
                    | DrillUpdate::LegEnded { .. }
                    | DrillUpdate::HoldStarted { .. }
                    | DrillUpdate::HoldEnded { .. } => {}
                }
            }
            OpStreamEvent::Op { op_id, event } => {
                let (leg, id) = current.clone().expect("a leg was announced first");
                assert_eq!(*op_id, id, "{event:?}");
                if let OpEvent::Begun { drill, .. } = event {
                    assert_eq!(drill.as_ref().map(|d| d.leg), Some(leg));
                }
            }
        }
    }
    assert_eq!(legs, [DrillLeg::Out, DrillLeg::Back]);
    assert!(matches!(
        items.first(),
        Some(OpStreamEvent::Drill {
            update: DrillUpdate::Begun { .. },
            ..
        })
    ));
    assert!(matches!(
        items.last(),
        Some(OpStreamEvent::Drill {
            update: DrillUpdate::Finished {
                verdict: Verdict::Pass,
                ..
            },
            ..
        })
    ));
    let OpEnd::Drill(Ok(outcome)) = end else {
        panic!("the drill ran: {end:?}");
    };
    assert_eq!(outcome.record.drill_id, drill_id);
    assert_master(&emu, &config, "web", "web-a").await;
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_confirmation_an_unknown_role_or_id_starts_nothing() {
    let (emu, config) = start().await;
    let tmp = tempfile::tempdir().unwrap();
    let runner = runner(&emu, &config, &StateDir::new(tmp.path()));
    let err = runner
        .start(switchover(Confirmation::Typed("WEB".into())))
        .await
        .expect_err("refused");
    assert!(matches!(err, StartError::NotConfirmed { .. }), "{err:?}");
    assert_eq!(err.exit_code(), 1);
    assert!(runner.unfinished_operation("web").await.is_none());
    let unknown = runner
        .start(StartRequest::Operation {
            role: "nope".into(),
            request: Request::new(OperationKind::Failover),
            confirmation: Confirmation::Yes,
        })
        .await
        .expect_err("refused");
    assert!(matches!(unknown, StartError::UnknownRole(_)), "{unknown:?}");
    assert_eq!(unknown.exit_code(), 2);
    let missing = runner
        .start(StartRequest::Resume {
            role: "web".into(),
            op_id: "no-such-operation".into(),
            rollback: None,
            force_detach: false,
            override_cooldown: None,
        })
        .await
        .expect_err("nothing to resume");
    assert!(
        matches!(&missing, StartError::OperationNotFound { op_id, .. } if op_id == "no-such-operation"),
        "{missing:?}"
    );
    assert_master(&emu, &config, "web", "web-a").await;
    emu.shutdown().await;
}
