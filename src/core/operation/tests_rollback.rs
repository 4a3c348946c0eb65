//! Abort, rollback choices and outcomes; serde of every event.

use super::tests::*;
use super::*;
use crate::core::plan::fixture::{failover, World};
use time::macros::datetime;
use StepKind::*;

fn up_to_fence_running() -> Operation {
    op(&[
        begun_switchover(),
        started(Preflight, 1),
        done(Preflight, 2),
        started(Isolate, 2),
        done(Isolate, 10),
        started(Fence, 10),
    ])
}

fn abort(at: i64) -> OpEvent {
    OpEvent::AbortRequested {
        at: t(at),
        by: "bob".into(),
    }
}

fn choose(mode: RollbackMode, at: i64) -> OpEvent {
    OpEvent::RollbackChosen {
        at: t(at),
        by: "bob".into(),
        mode,
    }
}

#[test]
fn abort_halts_between_steps_then_restore_endpoint_rolls_back() {
    let mut o = up_to_fence_running();
    o.apply(&abort(11)).expect("abort");
    assert!(o.is_halted());
    assert_eq!(o.next_step(), None);
    assert_eq!(refuse(&mut o, abort(12)), TransitionError::AlreadyHalted);
    assert_eq!(
        refuse(&mut o, choose(RollbackMode::RestoreEndpoint, 12)),
        TransitionError::StepsRunning {
            running: vec![Fence]
        }
    );
    o.apply(&done(Fence, 30)).expect("the running step may end");
    assert_eq!(
        refuse(&mut o, started(Detach, 31)),
        TransitionError::Halted { step: Detach }
    );
    assert_eq!(
        o.rollback_options(),
        [RollbackMode::RestoreEndpoint, RollbackMode::RollForward]
    );
    assert_eq!(
        refuse(&mut o, choose(RollbackMode::ReattachOld, 31)),
        TransitionError::RollbackNotOffered {
            mode: RollbackMode::ReattachOld,
            offered: vec![RollbackMode::RestoreEndpoint, RollbackMode::RollForward]
        }
    );
    o.apply(&choose(RollbackMode::RestoreEndpoint, 31))
        .expect("restore");
    assert!(!o.is_halted());
    assert_eq!(o.rollback_options(), [], "one rollback leg per operation");
    let leg: Vec<StepKind> = o.active_steps().iter().map(|s| s.kind).collect();
    assert_eq!(leg, [Start, Verify, Expose, Commit]);
    assert_eq!(
        o.active_steps()[2].what,
        "put the endpoint back on web-a's NIC"
    );
    assert_eq!(o.next_step(), Some(Start));
    assert_eq!(
        refuse(&mut o, started(Detach, 32)),
        TransitionError::UnknownStep {
            step: Detach,
            leg: "rollback leg"
        }
    );
    for (i, kind) in leg.iter().enumerate() {
        let at = 40 + 10 * i as i64;
        o.apply(&started(*kind, at)).expect("start");
        o.apply(&done(*kind, at + 5)).expect("done");
    }
    let succeeded = OpEvent::Finished {
        at: t(90),
        outcome: Outcome::Succeeded,
    };
    assert_eq!(
        refuse(&mut o, succeeded),
        TransitionError::OutcomeNotReached {
            outcome: Outcome::Succeeded,
            why: "a rollback leg was chosen".into()
        }
    );
    o.apply(&OpEvent::Finished {
        at: t(90),
        outcome: Outcome::RolledBack,
    })
    .expect("rolled back");
    assert_eq!(o.rto(), None, "the plan's expose never ran");
    assert_eq!(o.abort.as_ref().map(|a| a.by.as_str()), Some("bob"));
}

#[test]
fn after_detach_the_choice_is_reattach_or_roll_forward() {
    let mut o = up_to_fence_running();
    for ev in [done(Fence, 30), started(Detach, 30)] {
        o.apply(&ev).expect("legal");
    }
    o.apply(&failed(Detach, 90)).expect("detach failed");
    assert_eq!(
        o.rollback_options(),
        [RollbackMode::ReattachOld, RollbackMode::RollForward],
        "once detach started the disks may be gone"
    );
    o.apply(&started(Detach, 100)).expect("retry");
    o.apply(&done(Detach, 110)).expect("done");
    assert_eq!(
        o.rollback_options(),
        [RollbackMode::ReattachOld, RollbackMode::RollForward]
    );
    o.apply(&choose(RollbackMode::ReattachOld, 111))
        .expect("reattach");
    let leg: Vec<StepKind> = o.active_steps().iter().map(|s| s.kind).collect();
    assert_eq!(
        leg,
        [Fence, Detach, Release, Attach, Start, Verify, Expose, Commit]
    );
    assert_eq!(
        o.active_steps()[3].what,
        "attach the role's disks to web-a at their LUNs"
    );
    assert_eq!(o.next_step(), Some(Fence));
    o.apply(&started(Fence, 112)).expect("leg fence");
    o.apply(&failed(Fence, 120)).expect("leg fence failed");
    assert_eq!(
        refuse(
            &mut o,
            OpEvent::Finished {
                at: t(121),
                outcome: Outcome::RolledBack
            }
        ),
        TransitionError::OutcomeNotReached {
            outcome: Outcome::RolledBack,
            why: "step fence is Failed".into()
        }
    );
    o.apply(&OpEvent::Finished {
        at: t(121),
        outcome: Outcome::Failed,
    })
    .expect("give up");
}

#[test]
fn roll_forward_clears_the_halt_and_the_plan_can_succeed() {
    let mut events = full_failover();
    events.pop();
    // abort after expose: only rolling forward is left
    let mut o = op(&events[..20]);
    assert_eq!(o.rollback_options(), [RollbackMode::RollForward]);
    o.apply(&abort(105)).expect("abort");
    o.apply(&choose(RollbackMode::RollForward, 106))
        .expect("forward");
    assert!(!o.is_halted());
    assert_eq!(o.active_steps().len(), 10, "still the plan");
    assert_eq!(o.next_step(), Some(Commit));
    o.apply(&started(Commit, 107)).expect("commit");
    o.apply(&done(Commit, 108)).expect("commit");
    o.apply(&OpEvent::Finished {
        at: t(108),
        outcome: Outcome::Succeeded,
    })
    .expect("succeeded");
    assert_eq!(o.rto(), Some(Duration::from_secs(72)));
}

#[test]
fn rollback_without_an_old_master_can_only_go_forward() {
    let OpEvent::Begun { plan_steps, .. } = begun_failover() else {
        panic!("begun");
    };
    let o = op(&[OpEvent::Begun {
        op_id: "op-3".into(),
        role: "web".into(),
        kind: OperationKind::Failover,
        from: None,
        to: "web-b".into(),
        operator: "a".into(),
        at: t(0),
        plan_steps,
        drill: None,
    }]);
    assert_eq!(o.rollback_options(), [RollbackMode::RollForward]);
}

#[test]
fn outcomes_need_their_facts() {
    let mut o = up_to_fence_running();
    let finish = |outcome| OpEvent::Finished { at: t(50), outcome };
    assert_eq!(
        refuse(&mut o, finish(Outcome::Aborted)),
        TransitionError::StepsRunning {
            running: vec![Fence]
        }
    );
    o.apply(&done(Fence, 40)).expect("fence");
    assert_eq!(
        refuse(&mut o, finish(Outcome::Aborted)),
        TransitionError::OutcomeNotReached {
            outcome: Outcome::Aborted,
            why: "no abort was requested".into()
        }
    );
    assert_eq!(
        refuse(&mut o, finish(Outcome::Failed)),
        TransitionError::OutcomeNotReached {
            outcome: Outcome::Failed,
            why: "no step failed".into()
        }
    );
    assert_eq!(
        refuse(&mut o, finish(Outcome::RolledBack)),
        TransitionError::OutcomeNotReached {
            outcome: Outcome::RolledBack,
            why: "no rollback leg was chosen".into()
        }
    );
    o.apply(&abort(45)).expect("abort");
    o.apply(&finish(Outcome::Aborted)).expect("aborted");
    assert!(!o.is_halted());
    assert_eq!(o.next_step(), None);
    assert_eq!(o.elapsed(t(1000)), Duration::from_secs(50));
}

#[test]
fn comments_are_kept() {
    let mut o = op(&[begun_failover()]);
    o.apply(&OpEvent::Comment {
        at: t(5),
        by: "carol".into(),
        text: "paged the DBA".into(),
    })
    .expect("comment");
    assert_eq!(o.comments.len(), 1);
    assert_eq!(o.comments[0].by.as_deref(), Some("carol"));
}

fn every_event() -> Vec<OpEvent> {
    vec![
        begun_failover(),
        started(Preflight, 1),
        OpEvent::StepProgress {
            step: Preflight,
            at: t(1),
            note: "waiting for release".into(),
        },
        done(Preflight, 2),
        OpEvent::StepSkipped {
            step: Fence,
            at: t(2),
            reason: "web-a is deallocated already".into(),
        },
        failed(Isolate, 3),
        abort(4),
        choose(RollbackMode::RestoreEndpoint, 5),
        choose(RollbackMode::ReattachOld, 5),
        choose(RollbackMode::RollForward, 5),
        OpEvent::Comment {
            at: t(6),
            by: "bob".into(),
            text: "ok".into(),
        },
        OpEvent::Finished {
            at: t(7),
            outcome: Outcome::Succeeded,
        },
        OpEvent::Finished {
            at: t(7),
            outcome: Outcome::Failed,
        },
        OpEvent::Finished {
            at: t(7),
            outcome: Outcome::Aborted,
        },
        OpEvent::Finished {
            at: t(7),
            outcome: Outcome::RolledBack,
        },
    ]
}

#[test]
fn every_event_round_trips_through_json() {
    for ev in every_event() {
        let line = serde_json::to_string(&ev).expect("serialize");
        assert!(!line.contains('\n'), "one line: {line}");
        let back: OpEvent = serde_json::from_str(&line).expect("deserialize");
        assert_eq!(back, ev, "{line}");
    }
}

#[test]
fn events_are_self_describing_json() {
    let json = serde_json::to_value(failed(Detach, 3)).expect("json");
    assert_eq!(
        json,
        serde_json::json!({
            "event": "step_failed",
            "step": "detach",
            "at": "2024-05-01T10:00:03Z",
            "error": {
                "code": "ConflictingUserInput",
                "message": "Disk web-data is already owned by VM web-a",
                "request_id": "req-x",
                "http_status": 409
            }
        })
    );
    let begun = serde_json::to_value(begun_failover()).expect("json");
    assert_eq!(begun["event"], "begun");
    assert_eq!(begun["kind"], "failover");
    assert_eq!(begun["plan_steps"][2]["kind"], "detach");
    assert_eq!(begun["plan_steps"][2]["concurrent_with"], "isolate");
    assert_eq!(begun["plan_steps"][4]["concurrent_with"], "fence");
    assert!(begun["plan_steps"][3].get("concurrent_with").is_none());
    let parsed: OpEvent = serde_json::from_str(
        r#"{"event":"step_progress","step":"release","at":"2024-05-01T12:00:00+02:00","note":"managedBy still set"}"#,
    )
    .expect("parse");
    assert_eq!(parsed.at(), datetime!(2024-05-01 10:00:00 UTC));
    assert_eq!(parsed.step(), Some(Release));
}

#[test]
fn a_journal_of_json_lines_replays_to_the_same_operation() {
    let events = full_failover();
    let journal: String = events
        .iter()
        .map(|e| serde_json::to_string(e).expect("line") + "\n")
        .collect();
    let parsed: Vec<OpEvent> = journal
        .lines()
        .map(|l| serde_json::from_str(l).expect("parse"))
        .collect();
    assert_eq!(op(&parsed), op(&events));
}

#[test]
fn step_error_display_keeps_every_arm_fact() {
    let err = StepError {
        code: "OperationNotAllowed".into(),
        message: "VM is deallocated".into(),
        request_id: Some("abc-123".into()),
        http_status: Some(409),
    };
    assert_eq!(
        err.to_string(),
        "HTTP 409 OperationNotAllowed: VM is deallocated (request id abc-123)"
    );
    let local = StepError {
        code: "Timeout".into(),
        message: "release took more than 10m".into(),
        request_id: None,
        http_status: None,
    };
    assert_eq!(local.to_string(), "Timeout: release took more than 10m");
}

#[test]
fn begun_needs_a_target() {
    let mut w = World::healthy();
    w.master_dead()
        .power("web-b", crate::core::model::PowerState::Deallocated)
        .power("web-c", crate::core::model::PowerState::Deallocated);
    let plan = failover().plan(&w);
    assert_eq!(OpEvent::begun_from_plan(&plan, "x", "a", t(0)), None);
}

#[test]
fn rollback_mode_labels() {
    assert_eq!(
        RollbackMode::RestoreEndpoint.label(),
        "restore endpoint on the old master"
    );
    assert_eq!(rollback_leg(RollbackMode::RollForward), []);
}
