//! Transitions, replay of crash logs and time arithmetic; shared event helpers.

use super::*;
use crate::core::plan::fixture::{failover, switchover, World, NOW};
use StepKind::*;

pub(super) fn t(secs: i64) -> OffsetDateTime {
    NOW + time::Duration::seconds(secs)
}

/// A real failover plan (dead master web-a → web-b), as its `Begun` event.
pub(super) fn begun_failover() -> OpEvent {
    let mut w = World::healthy();
    w.master_dead();
    let plan = failover().plan(&w);
    OpEvent::begun_from_plan(&plan, "op-1", "alice", t(0)).expect("has a target")
}

pub(super) fn begun_switchover() -> OpEvent {
    let plan = switchover().plan(&World::healthy());
    OpEvent::begun_from_plan(&plan, "op-2", "bob", t(0)).expect("has a target")
}

pub(super) fn started(step: StepKind, at: i64) -> OpEvent {
    OpEvent::StepStarted { step, at: t(at) }
}

pub(super) fn done(step: StepKind, at: i64) -> OpEvent {
    OpEvent::StepDone {
        step,
        at: t(at),
        request_ids: vec![format!("req-{}", step.label())],
    }
}

pub(super) fn failed(step: StepKind, at: i64) -> OpEvent {
    OpEvent::StepFailed {
        step,
        at: t(at),
        error: StepError {
            code: "ConflictingUserInput".into(),
            message: "Disk web-data is already owned by VM web-a".into(),
            request_id: Some("req-x".into()),
            http_status: Some(409),
        },
    }
}

pub(super) fn op(events: &[OpEvent]) -> Operation {
    Operation::replay(events).expect("legal journal")
}

/// Applies one more event and returns the error (the operation must be unchanged by it).
pub(super) fn refuse(op: &mut Operation, ev: OpEvent) -> TransitionError {
    let before = op.clone();
    let err = op.apply(&ev).expect_err("illegal event");
    assert_eq!(*op, before, "a refused event changes nothing");
    err
}

/// The whole failover of an unreachable master: isolate ∥ detach, then the power-off beside
/// release … expose, commit after the power-off ended.
pub(super) fn full_failover() -> Vec<OpEvent> {
    vec![
        begun_failover(),
        started(Preflight, 1),
        done(Preflight, 2),
        started(Isolate, 2),
        started(Detach, 3),
        done(Isolate, 10),
        done(Detach, 20),
        started(Fence, 20),
        started(Release, 20),
        OpEvent::StepProgress {
            step: Fence,
            at: t(25),
            note: "LRO InProgress".into(),
        },
        done(Release, 24),
        started(Attach, 24),
        done(Attach, 38),
        done(Fence, 40),
        started(Start, 38),
        done(Start, 63),
        started(Verify, 63),
        done(Verify, 64),
        started(Expose, 64),
        done(Expose, 72),
        started(Commit, 72),
        done(Commit, 73),
        OpEvent::Finished {
            at: t(73),
            outcome: Outcome::Succeeded,
        },
    ]
}

#[test]
fn begun_carries_the_plan() {
    let o = op(&[begun_failover()]);
    assert_eq!(o.op_id, "op-1");
    assert_eq!(o.role, "web");
    assert_eq!(o.kind, OperationKind::Failover);
    assert_eq!(o.from.as_deref(), Some("web-a"));
    assert_eq!(o.to, "web-b");
    assert_eq!(o.operator, "alice");
    let kinds: Vec<StepKind> = o.steps.iter().map(|s| s.kind).collect();
    assert_eq!(
        kinds,
        [Preflight, Isolate, Detach, Fence, Release, Attach, Start, Verify, Expose, Commit]
    );
    assert_eq!(
        o.step(Detach).map(|s| s.concurrent_with),
        Some(Some(Isolate))
    );
    assert_eq!(o.step(Attach).map(|s| s.concurrent_with), Some(Some(Fence)));
    assert_eq!(o.step(Commit).map(|s| s.concurrent_with), Some(None));
    assert_eq!(o.next_step(), Some(Preflight));
    assert_eq!(o.interrupted_step(), None);
    assert!(!o.is_finished());
}

#[test]
fn a_whole_failover_replays_with_durations_and_rto() {
    let o = op(&full_failover());
    assert_eq!(o.outcome(), Some(Outcome::Succeeded));
    assert_eq!(o.next_step(), None);
    assert_eq!(o.interrupted_step(), None);
    assert_eq!(o.rto(), Some(Duration::from_secs(72)));
    assert_eq!(
        o.elapsed(t(500)),
        Duration::from_secs(73),
        "stops at the end"
    );
    let secs: Vec<(StepKind, u64)> = o
        .step_durations()
        .into_iter()
        .map(|(k, d)| (k, d.as_secs()))
        .collect();
    assert_eq!(
        secs,
        [
            (Preflight, 1),
            (Isolate, 8),
            (Detach, 17),
            (Fence, 20),
            (Release, 4),
            (Attach, 14),
            (Start, 25),
            (Verify, 1),
            (Expose, 8),
            (Commit, 1)
        ]
    );
    let fence = o.step(Fence).expect("fence");
    assert_eq!(fence.notes.len(), 1);
    assert_eq!(fence.notes[0].text, "LRO InProgress");
    assert_eq!(fence.request_ids, ["req-fence"]);
}

#[test]
fn elapsed_while_running_and_with_a_clock_behind() {
    let o = op(&[begun_failover(), started(Preflight, 1)]);
    assert_eq!(o.elapsed(t(42)), Duration::from_secs(42));
    assert_eq!(o.elapsed(t(-5)), Duration::ZERO);
    assert_eq!(o.rto(), None);
}

#[test]
fn detach_may_start_once_isolate_started_but_release_waits_for_both() {
    let mut o = op(&[begun_failover(), started(Preflight, 1), done(Preflight, 2)]);
    assert_eq!(
        refuse(&mut o, started(Detach, 4)),
        TransitionError::OutOfOrder {
            step: Detach,
            waiting_for: Isolate,
            partner: true
        }
    );
    o.apply(&started(Isolate, 4)).expect("isolate");
    o.apply(&started(Detach, 4)).expect("detach alongside");
    assert_eq!(o.running_steps(), [Isolate, Detach]);
    o.apply(&done(Detach, 10)).expect("detach first");
    assert_eq!(
        refuse(&mut o, started(Release, 11)),
        TransitionError::OutOfOrder {
            step: Release,
            waiting_for: Isolate,
            partner: false
        }
    );
    o.apply(&done(Isolate, 12)).expect("isolate");
    assert_eq!(
        refuse(&mut o, started(Release, 12)),
        TransitionError::OutOfOrder {
            step: Release,
            waiting_for: Fence,
            partner: true
        },
        "release runs beside the power-off, once it started"
    );
    o.apply(&started(Fence, 12))
        .expect("power-off after detach");
    o.apply(&started(Release, 12)).expect("release");
}

#[test]
fn the_power_off_runs_beside_the_target_steps_and_commit_waits_for_it() {
    let mut o = op(&[
        begun_failover(),
        started(Preflight, 1),
        done(Preflight, 2),
        started(Isolate, 2),
        started(Detach, 2),
        done(Isolate, 5),
    ]);
    assert_eq!(
        refuse(&mut o, started(Fence, 3)),
        TransitionError::OutOfOrder {
            step: Fence,
            waiting_for: Detach,
            partner: false
        },
        "never a power-off and a detach on the same VM at once"
    );
    for ev in [
        done(Detach, 10),
        started(Fence, 10),
        started(Release, 10),
        done(Release, 12),
        started(Attach, 12),
        done(Attach, 20),
        started(Start, 20),
        done(Start, 25),
        started(Verify, 25),
        done(Verify, 26),
        started(Expose, 26),
        done(Expose, 30),
    ] {
        o.apply(&ev).expect("beside the power-off");
    }
    assert_eq!(o.running_steps(), [Fence]);
    assert_eq!(o.next_step(), Some(Fence));
    assert_eq!(
        refuse(&mut o, started(Commit, 31)),
        TransitionError::OutOfOrder {
            step: Commit,
            waiting_for: Fence,
            partner: false
        }
    );
    o.apply(&failed(Fence, 32)).expect("power-off failed");
    assert_eq!(o.next_step(), Some(Fence), "resume retries the power-off");
    assert_eq!(
        refuse(&mut o, started(Commit, 33)),
        TransitionError::OutOfOrder {
            step: Commit,
            waiting_for: Fence,
            partner: false
        }
    );
    o.apply(&started(Fence, 40)).expect("retried");
    o.apply(&done(Fence, 50)).expect("off");
    o.apply(&started(Commit, 50))
        .expect("commit after the power-off");
}

#[test]
fn a_switchover_has_no_concurrent_pair() {
    let mut o = op(&[
        begun_switchover(),
        started(Preflight, 1),
        done(Preflight, 2),
        started(Isolate, 2),
    ]);
    assert_eq!(
        refuse(&mut o, started(Fence, 3)),
        TransitionError::OutOfOrder {
            step: Fence,
            waiting_for: Isolate,
            partner: false
        }
    );
    assert_eq!(
        refuse(&mut o, started(Detach, 3)),
        TransitionError::OutOfOrder {
            step: Detach,
            waiting_for: Isolate,
            partner: false
        }
    );
    let err = refuse(&mut o, started(Fence, 3));
    assert_eq!(
        err.to_string(),
        "step fence cannot start before isolate has ended"
    );
}

#[test]
fn illegal_transitions_are_refused() {
    let mut o = op(&[begun_failover(), started(Preflight, 1), done(Preflight, 2)]);
    assert_eq!(
        refuse(&mut o, done(Fence, 3)),
        TransitionError::NotRunning {
            step: Fence,
            state: StepState::Pending
        }
    );
    assert_eq!(
        refuse(&mut o, failed(Fence, 3)),
        TransitionError::NotRunning {
            step: Fence,
            state: StepState::Pending
        }
    );
    assert_eq!(
        refuse(
            &mut o,
            OpEvent::StepProgress {
                step: Fence,
                at: t(3),
                note: "x".into()
            }
        ),
        TransitionError::NotRunning {
            step: Fence,
            state: StepState::Pending
        }
    );
    assert_eq!(
        refuse(&mut o, started(Preflight, 3)),
        TransitionError::AlreadyEnded {
            step: Preflight,
            state: StepState::Done
        }
    );
    assert_eq!(
        refuse(&mut o, done(Preflight, 3)),
        TransitionError::NotRunning {
            step: Preflight,
            state: StepState::Done
        }
    );
    assert_eq!(
        refuse(&mut o, begun_failover()),
        TransitionError::AlreadyBegun
    );
    assert_eq!(
        refuse(
            &mut o,
            OpEvent::Finished {
                at: t(3),
                outcome: Outcome::Succeeded
            }
        ),
        TransitionError::OutcomeNotReached {
            outcome: Outcome::Succeeded,
            why: "step isolate is Pending".into()
        }
    );
}

#[test]
fn a_step_outside_the_plan_is_unknown() {
    let OpEvent::Begun {
        op_id,
        role,
        kind,
        from,
        to,
        operator,
        at,
        mut plan_steps,
        drill,
    } = begun_failover()
    else {
        panic!("begun");
    };
    plan_steps.retain(|s| s.kind != Fence);
    for s in &mut plan_steps {
        s.concurrent_with = s.concurrent_with.filter(|p| *p != Fence);
    }
    let short = OpEvent::Begun {
        op_id,
        role,
        kind,
        from,
        to,
        operator,
        at,
        plan_steps,
        drill,
    };
    let mut o = op(&[short]);
    assert_eq!(
        refuse(&mut o, started(Fence, 1)),
        TransitionError::UnknownStep {
            step: Fence,
            leg: "plan"
        }
    );
}

#[test]
fn nothing_after_finished() {
    let mut o = op(&full_failover());
    for ev in [
        started(Commit, 200),
        OpEvent::Comment {
            at: t(200),
            by: "alice".into(),
            text: "late".into(),
        },
        OpEvent::AbortRequested {
            at: t(200),
            by: "alice".into(),
        },
        OpEvent::Finished {
            at: t(200),
            outcome: Outcome::Failed,
        },
    ] {
        assert_eq!(refuse(&mut o, ev), TransitionError::Finished);
    }
    assert_eq!(o.rollback_options(), []);
}

#[test]
fn a_failed_step_is_retried_and_keeps_its_history() {
    let mut events = vec![
        begun_failover(),
        started(Preflight, 1),
        done(Preflight, 2),
        started(Isolate, 2),
        started(Detach, 2),
        done(Isolate, 2),
        done(Detach, 2),
        started(Fence, 2),
        failed(Fence, 20),
    ];
    let o = op(&events);
    assert_eq!(o.next_step(), Some(Fence));
    assert_eq!(o.interrupted_step(), None, "failed is not interrupted");
    assert_eq!(o.step(Fence).map(|s| s.state), Some(StepState::Failed));
    assert_eq!(o.step(Fence).and_then(|s| s.duration()), None);
    events.extend([started(Fence, 30), done(Fence, 45)]);
    let o = op(&events);
    let fence = o.step(Fence).expect("fence");
    assert_eq!(fence.attempts, 2);
    assert_eq!(fence.state, StepState::Done);
    assert_eq!(
        fence.duration(),
        Some(Duration::from_secs(43)),
        "first start to end"
    );
    assert_eq!(fence.last_started_at, Some(t(30)));
    assert_eq!(
        fence.error.as_ref().map(|e| e.code.as_str()),
        Some("ConflictingUserInput")
    );
}

#[test]
fn replay_of_a_crash_log_finds_the_interrupted_steps_and_resumes() {
    let log = [
        begun_failover(),
        started(Preflight, 1),
        done(Preflight, 2),
        started(Isolate, 30),
        started(Detach, 31),
        done(Isolate, 38),
        // baton died here, detach's LRO still running
    ];
    let mut o = op(&log);
    assert!(!o.is_finished());
    assert_eq!(o.interrupted_step(), Some(Detach));
    assert_eq!(o.running_steps(), [Detach]);
    assert_eq!(o.next_step(), Some(Detach));
    assert_eq!(o.rollback_options(), [], "a step is still running");
    o.apply(&started(Detach, 300)).expect("resume re-starts it");
    o.apply(&OpEvent::StepSkipped {
        step: Detach,
        at: t(301),
        reason: "no disk attached to web-a".into(),
    })
    .expect("observed done");
    assert_eq!(o.next_step(), Some(Fence));
    assert_eq!(o.step(Detach).map(|s| s.attempts), Some(2));
}

#[test]
fn a_crash_during_the_concurrent_pair_interrupts_both() {
    let o = op(&[
        begun_failover(),
        started(Preflight, 1),
        done(Preflight, 2),
        started(Isolate, 3),
        started(Detach, 3),
    ]);
    assert_eq!(o.running_steps(), [Isolate, Detach]);
    assert_eq!(o.interrupted_step(), Some(Isolate));
}

#[test]
fn a_crash_with_the_power_off_in_flight_resumes_it() {
    let mut o = op(&[
        begun_failover(),
        started(Preflight, 1),
        done(Preflight, 2),
        started(Isolate, 3),
        started(Detach, 3),
        done(Isolate, 5),
        done(Detach, 9),
        started(Fence, 9),
        started(Release, 9),
        done(Release, 12),
        started(Attach, 12),
    ]);
    assert_eq!(o.running_steps(), [Fence, Attach]);
    assert_eq!(o.interrupted_step(), Some(Fence));
    assert_eq!(o.rollback_options(), [], "steps are still running");
    o.apply(&started(Fence, 100)).expect("the power-off again");
    o.apply(&started(Attach, 100))
        .expect("attach again, beside it");
    assert_eq!(o.step(Fence).map(|s| s.attempts), Some(2));
}

#[test]
fn skipping_follows_the_order_unless_the_step_is_running() {
    let mut o = op(&[begun_failover()]);
    let skip = |step| OpEvent::StepSkipped {
        step,
        at: t(1),
        reason: "already done".into(),
    };
    assert_eq!(
        refuse(&mut o, skip(Isolate)),
        TransitionError::OutOfOrder {
            step: Isolate,
            waiting_for: Preflight,
            partner: false
        }
    );
    o.apply(&started(Preflight, 1)).expect("start");
    o.apply(&done(Preflight, 1)).expect("done");
    o.apply(&skip(Isolate)).expect("skip from pending");
    o.apply(&skip(Detach)).expect("skip from pending");
    o.apply(&skip(Fence)).expect("skip from pending");
    let fence = o.step(Fence).expect("fence");
    assert_eq!(fence.state, StepState::Skipped);
    assert_eq!(fence.duration(), Some(Duration::ZERO));
    assert_eq!(fence.skip_reason.as_deref(), Some("already done"));
    assert_eq!(
        refuse(&mut o, skip(Fence)),
        TransitionError::AlreadyEnded {
            step: Fence,
            state: StepState::Skipped
        }
    );
}

#[test]
fn replay_errors_name_the_event() {
    assert_eq!(Operation::replay(&[]), Err(TransitionError::Empty));
    assert_eq!(
        Operation::replay(&[started(Preflight, 1)]),
        Err(TransitionError::AtEvent {
            index: 0,
            error: Box::new(TransitionError::NotBegun)
        })
    );
    let err = Operation::replay(&[
        begun_failover(),
        started(Preflight, 1),
        done(Preflight, 2),
        done(Fence, 3),
    ])
    .expect_err("done before started");
    assert_eq!(
        err.to_string(),
        "event 3: step fence is Pending, not running"
    );
}

#[test]
fn invalid_plans_are_refused() {
    let begun = |plan_steps: Vec<PlannedStep>| OpEvent::Begun {
        op_id: "x".into(),
        role: "web".into(),
        kind: OperationKind::Failover,
        from: None,
        to: "web-b".into(),
        operator: "a".into(),
        at: t(0),
        plan_steps,
        drill: None,
    };
    let s = |kind, concurrent_with| PlannedStep {
        kind,
        what: String::new(),
        concurrent_with,
    };
    for (steps, want) in [
        (vec![], "invalid plan: no steps"),
        (
            vec![s(Isolate, None), s(Isolate, None)],
            "invalid plan: step isolate appears twice",
        ),
        (
            vec![s(Detach, Some(Isolate)), s(Isolate, None)],
            "invalid plan: step detach is concurrent with isolate, which does not come before it",
        ),
    ] {
        let err = Operation::begin(&begun(steps)).expect_err(want);
        assert_eq!(err.to_string(), want);
    }
}
