//! The engine against the emulator: snapshots become healthy, a killed master turns MASTER
//! DOWN, demo chaos and refresh-now go through effects, and a throttled refresh keeps the old
//! facts while saying why they are old.

use baton::protocol::{ChaosAction, ChaosRequest, Effect, EngineMsg, OpEffect, ReadEffect};
mod azure_support;

use azure_support::{arm, fault, reader_with, start};
use baton::config::{self, Config};
use baton::core::leader::LeaderState;
use baton::core::operation::{OpEvent, Outcome};
use baton::core::plan::OperationKind;
use baton::core::snapshot::FleetSnapshot;
use baton::emulator::EmulatorHandle;
use baton::engine::{self, ChaosPort, EngineHandle, EngineSetup};
use baton::failover::{Operator, StateDir};
use baton::ops::Runner;
use baton::probe::ScheduleParams;
use baton::setup;
use serde_json::json;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

fn config_of(emu: &EmulatorHandle) -> Config {
    config::parse_str(&emu.baton_config_toml(), Path::new("<test>")).expect("emulator config")
}

fn start_engine(emu: &EmulatorHandle, refresh: Duration) -> EngineHandle {
    start_engine_with(emu, refresh, None)
}

fn start_engine_with(emu: &EmulatorHandle, refresh: Duration, ops: Option<Runner>) -> EngineHandle {
    let config = config_of(emu);
    let schedule = ScheduleParams {
        interval: Duration::from_millis(50),
        timeout: Duration::from_millis(40),
        ..setup::schedule(&config)
    };
    engine::start(EngineSetup {
        roles: config.role_specs(),
        reader: reader_with(emu, emu.token()),
        probes: setup::probe_specs(&config),
        schedule,
        refresh_interval: refresh,
        budget_share: 0.5,
        chaos: Some(ChaosPort::new(emu.base_url().clone())),
        ops,
    })
}

/// An operator engine (fast heartbeats, state in `state`), `tweak`ed config.
fn ops_engine(emu: &EmulatorHandle, state: &Path, tweak: impl FnOnce(&mut Config)) -> EngineHandle {
    let mut config = config_of(emu);
    config.heartbeat.interval = Duration::from_millis(50);
    config.heartbeat.timeout = Duration::from_millis(40);
    tweak(&mut config);
    let ops = Runner::new(
        arm(emu),
        Arc::new(config),
        StateDir::new(state),
        Operator::from_env(),
    );
    start_engine_with(emu, Duration::from_millis(200), Some(ops))
}

/// Waits (bounded) for a snapshot satisfying `pred`.
async fn until(
    rx: &mut watch::Receiver<FleetSnapshot>,
    what: &str,
    pred: impl Fn(&FleetSnapshot) -> bool,
) -> FleetSnapshot {
    let wait = async {
        loop {
            if pred(&rx.borrow_and_update()) {
                return rx.borrow().clone();
            }
            if rx.changed().await.is_err() {
                panic!("engine stopped before {what}");
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(30), wait)
        .await
        .unwrap_or_else(|_| panic!("never saw {what}: {:?}", rx.borrow().roles))
}

fn state_of(s: &FleetSnapshot, role: &str) -> LeaderState {
    s.roles
        .iter()
        .find(|r| r.role == role)
        .map_or(LeaderState::Unknown, |r| r.state)
}

fn all_healthy(s: &FleetSnapshot) -> bool {
    s.roles.len() == 4 && s.roles.iter().all(|r| r.state == LeaderState::Healthy)
}

#[tokio::test(flavor = "multi_thread")]
async fn healthy_then_chaos_turns_master_down_then_heals() {
    let emu = start(100.0).await;
    let engine = start_engine(&emu, Duration::from_secs(5));
    let mut rx = engine.snapshots();
    let first = until(&mut rx, "all healthy", all_healthy).await;
    assert_eq!(
        first.inventory.arm_requests, 6,
        "lists, load balancer and the region's VM size list"
    );
    assert!(first.inventory.fetched_at.is_some());
    let web_a = first.heartbeats_of("web-a").expect("web-a probed");
    assert!(!web_a.service.samples.is_empty());

    let effects = engine.effects();
    let kill = Effect::Chaos(ChaosRequest {
        vm: "web-a".into(),
        action: ChaosAction::KillService,
    });
    effects.send(kill).await.expect("engine takes effects");
    let down = until(&mut rx, "web master down", |s| {
        state_of(s, "web") == LeaderState::MasterDown
    })
    .await;
    let web = down.roles.iter().find(|r| r.role == "web").expect("web");
    assert_eq!(web.master.as_deref(), Some("web-a"));
    assert_eq!(
        web.violations
            .iter()
            .map(|v| v.to_string())
            .collect::<Vec<_>>(),
        vec!["service probe of master web-a down: HTTP 503".to_string()]
    );
    assert_eq!(state_of(&down, "db"), LeaderState::Healthy);

    let heal = Effect::Chaos(ChaosRequest {
        vm: "web-a".into(),
        action: ChaosAction::Heal,
    });
    effects.send(heal).await.expect("engine takes effects");
    until(&mut rx, "healthy again", all_healthy).await;
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn throttled_refresh_keeps_facts_and_reports_the_error() {
    let emu = start(100.0).await;
    let mut engine = start_engine(&emu, Duration::from_secs(3600));
    let mut events = engine.take_events().expect("event stream");
    let mut rx = engine.snapshots();
    until(&mut rx, "all healthy", all_healthy).await;

    // More throttled answers than the client's retry budget: the refresh itself fails.
    fault(
        &emu,
        json!({"method": "GET", "path_contains": "networkInterfaces", "count": 20,
               "status": 429, "code": "SubscriptionRequestsThrottled",
               "message": "Number of read requests exceeded", "retry_after": 7}),
    )
    .await;
    engine
        .effects()
        .send(Effect::Read(ReadEffect::RefreshInventory))
        .await
        .expect("engine takes effects");
    let stale = until(&mut rx, "refresh error", |s| {
        s.inventory.last_error.is_some()
    })
    .await;
    let error = stale.inventory.last_error.clone().unwrap_or_default();
    assert!(error.contains("SubscriptionRequestsThrottled"), "{error}");
    assert!(error.contains("429"), "{error}");
    assert!(all_healthy(&stale), "old facts are kept, not dropped");
    let (fetched, next) = (stale.inventory.fetched_at, stale.inventory.next_refresh_at);
    assert!(next > fetched, "the next refresh is scheduled");

    let event = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let e = events.recv().await.expect("event");
            if e.text.contains("inventory refresh failed") {
                return e;
            }
        }
    })
    .await
    .expect("a refresh-failure event");
    assert!(
        event.text.contains("SubscriptionRequestsThrottled"),
        "{}",
        event.text
    );
    engine.shutdown().await;
}

/// The cockpit's operation path: plan, typed confirmation, every journalled event streamed to
/// the UI, the role shown FAILING OVER meanwhile, and the new master afterwards.
#[tokio::test(flavor = "multi_thread")]
async fn switchover_from_the_cockpit_streams_events_and_moves_the_master() {
    let (emu, state) = (start(150.0).await, tempfile::tempdir().expect("state dir"));
    let mut engine = ops_engine(&emu, state.path(), |_| {});
    let mut ui = engine.take_ops().expect("ops channel");
    let mut events = engine.take_events().expect("events");
    let mut rx = engine.snapshots();
    until(&mut rx, "all healthy", all_healthy).await;
    let effects = engine.effects();

    // A typo, and the right letters in the wrong case: the typed confirmation is exact.
    for typed in ["wbe", "WEB"] {
        let wrong = Effect::Op(OpEffect::StartOperation {
            role: "web".into(),
            kind: OperationKind::Switchover,
            target: "web-b".into(),
            confirmed_name: typed.into(),
        });
        effects.send(wrong).await.expect("effects");
        let refused = tokio::time::timeout(Duration::from_secs(10), events.recv())
            .await
            .expect("an event")
            .expect("event");
        assert!(
            refused.text.contains("confirmation did not match"),
            "{typed}: {}",
            refused.text
        );
    }

    let ask = Effect::Op(OpEffect::RequestPlan {
        role: "web".into(),
        kind: OperationKind::Switchover,
        target: None,
    });
    effects.send(ask).await.expect("effects");
    let plan = match tokio::time::timeout(Duration::from_secs(10), ui.recv()).await {
        Ok(Some(EngineMsg::Plan(plan))) => plan,
        other => panic!("expected a plan, got {other:?}"),
    };
    assert!(plan.can_confirm(), "{:?}", plan.blockers);
    assert_eq!(plan.to.as_deref(), Some("web-b"));

    let go = Effect::Op(OpEffect::StartOperation {
        role: "web".into(),
        kind: OperationKind::Switchover,
        target: "web-b".into(),
        confirmed_name: "web".into(),
    });
    effects.send(go).await.expect("effects");
    let mut seen = Vec::new();
    let mut op_ids = std::collections::BTreeSet::new();
    let mut saw_failing_over = false;
    let outcome = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            tokio::select! {
                msg = ui.recv() => match msg {
                    Some(EngineMsg::OpEvent { op_id, event }) => {
                        op_ids.insert(op_id);
                        seen.push(event.clone());
                        if let OpEvent::Finished { outcome, .. } = event {
                            return outcome;
                        }
                    }
                    Some(_) => {}
                    None => panic!("ops channel closed"),
                },
                _ = rx.changed() => {
                    saw_failing_over |= state_of(&rx.borrow(), "web") == LeaderState::FailingOver;
                }
            }
        }
    })
    .await
    .expect("the switchover finishes");
    assert_eq!(outcome, Outcome::Succeeded);
    assert!(
        matches!(seen.first(), Some(OpEvent::Begun { .. })),
        "{seen:?}"
    );
    assert_eq!(op_ids.len(), 1, "every event carries the operation id");
    assert!(!op_ids.contains(""), "the id is known from Begun on");
    assert!(
        saw_failing_over,
        "the role showed FAILING OVER while it moved"
    );
    // From the end to healthy on web-b, web never shows a state the move did not cause.
    let after = until(&mut rx, "web healthy on web-b", |s| {
        let web = state_of(s, "web");
        assert!(
            matches!(web, LeaderState::FailingOver | LeaderState::Healthy),
            "web showed {web:?} after its switchover ended"
        );
        all_healthy(s)
            && s.roles
                .iter()
                .any(|r| r.role == "web" && r.master.as_deref() == Some("web-b"))
    })
    .await;
    assert_eq!(state_of(&after, "web"), LeaderState::Healthy);
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cockpit_abort_on_the_first_event_halts_the_operation() {
    let (emu, state) = (start(150.0).await, tempfile::tempdir().expect("state dir"));
    let mut engine = ops_engine(&emu, state.path(), |_| {});
    let mut ui = engine.take_ops().expect("ops channel");
    let mut rx = engine.snapshots();
    until(&mut rx, "all healthy", all_healthy).await;
    let effects = engine.effects();
    let go = Effect::Op(OpEffect::StartOperation {
        role: "web".into(),
        kind: OperationKind::Switchover,
        target: "web-b".into(),
        confirmed_name: "web".into(),
    });
    effects.send(go).await.expect("effects");
    let mut aborted = false;
    let mut seen = Vec::new();
    tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            match ui.recv().await {
                Some(EngineMsg::OpEvent { op_id, event }) => {
                    // The first event already names the operation, and its abort is armed.
                    if !aborted {
                        let abort = Effect::Op(OpEffect::AbortOperation { op_id });
                        effects.send(abort).await.expect("effects");
                        aborted = true;
                    }
                    let halted = matches!(event, OpEvent::AbortRequested { .. });
                    seen.push(event);
                    if halted {
                        return;
                    }
                }
                Some(_) => {}
                None => panic!("ops channel closed"),
            }
        }
    })
    .await
    .expect("the operation halts");
    assert!(
        matches!(seen.first(), Some(OpEvent::Begun { .. })),
        "{seen:?}"
    );
    assert!(
        !seen.iter().any(|e| matches!(e, OpEvent::Finished { .. })),
        "halted, not finished: {seen:?}"
    );
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn drill_from_the_cockpit_plans_runs_both_legs_and_reports_the_record() {
    let (emu, state) = (start(150.0).await, tempfile::tempdir().expect("state dir"));
    let mut engine = ops_engine(&emu, state.path(), |c| {
        c.failover.drill_hold = Duration::from_millis(400)
    });
    let mut ui = engine.take_ops().expect("ops channel");
    let mut rx = engine.snapshots();
    until(&mut rx, "all healthy", all_healthy).await;
    let effects = engine.effects();
    let ask = Effect::Op(OpEffect::RequestPlan {
        role: "web".into(),
        kind: OperationKind::Drill,
        target: None,
    });
    effects.send(ask).await.expect("effects");
    let plan = match tokio::time::timeout(Duration::from_secs(10), ui.recv()).await {
        Ok(Some(EngineMsg::Plan(plan))) => plan,
        other => panic!("expected a plan, got {other:?}"),
    };
    assert_eq!(plan.kind, OperationKind::Drill);
    assert!(plan.can_confirm(), "{:?}", plan.blockers);
    let go = Effect::Op(OpEffect::StartOperation {
        role: "web".into(),
        kind: OperationKind::Drill,
        target: "web-b".into(),
        confirmed_name: "web".into(),
    });
    effects.send(go).await.expect("effects");
    let mut legs = Vec::new();
    let mut first_record_before_legs = None;
    let (record, report) = tokio::time::timeout(Duration::from_secs(90), async {
        loop {
            match ui.recv().await {
                Some(EngineMsg::OpEvent {
                    event: OpEvent::Begun { drill, .. },
                    ..
                }) => legs.push(drill.expect("a drill leg carries its link").leg),
                Some(EngineMsg::Drill { record, report }) => {
                    first_record_before_legs.get_or_insert(legs.is_empty());
                    if record.is_finished() {
                        return (record, report);
                    }
                }
                Some(_) => {}
                None => panic!("ops channel closed"),
            }
        }
    })
    .await
    .expect("the drill finishes");
    assert_eq!(
        first_record_before_legs,
        Some(true),
        "the drill is known before its legs"
    );
    use baton::core::operation::DrillLeg;
    assert_eq!(legs, [DrillLeg::Out, DrillLeg::Back]);
    assert_eq!(
        record.verdict,
        Some(baton::core::drill::Verdict::Pass),
        "{record:?}"
    );
    let hold = record.hold.as_ref().expect("a hold");
    assert!(hold.probes_ok > 0 && hold.probes_failed == 0, "{hold:?}");
    let report = report.expect("the report's path");
    assert!(report.exists(), "{}", report.display());
    let after = until(&mut rx, "web healthy on web-a again", |s| {
        all_healthy(s)
            && s.roles
                .iter()
                .any(|r| r.role == "web" && r.master.as_deref() == Some("web-a"))
    })
    .await;
    assert_eq!(state_of(&after, "web"), LeaderState::Healthy);
    engine.shutdown().await;
}
