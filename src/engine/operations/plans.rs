//! Previews for the cockpit: a failover, switchover or drill planned through the runner (which
//! takes nothing) and sent to the UI as `EngineMsg::Plan`, or why it could not be planned.

use super::Ops;
use crate::core::plan::OperationKind;
use crate::failover::Request;
use crate::ops::StartError;
use crate::protocol::{EngineMsg, PlanFailure};

impl Ops {
    pub(super) async fn plan(&self, role: &str, kind: OperationKind, target: Option<String>) {
        let request = Request {
            to: target,
            ..Request::new(kind)
        };
        let msg = match self.runner.plan(role, &request).await {
            Ok(plan) => EngineMsg::Plan(plan),
            Err(e) => EngineMsg::PlanError(failure(role, e)),
        };
        self.tell_ui(msg).await;
    }

    pub(super) async fn plan_drill(&self, role: &str, target: Option<String>) {
        let request = self.drill_request(target);
        let msg = match self.runner.plan_drill(role, &request).await {
            Ok(plan) => EngineMsg::Plan(plan.out),
            Err(e) => EngineMsg::PlanError(failure(role, e)),
        };
        self.tell_ui(msg).await;
    }
}

fn failure(role: &str, e: StartError) -> PlanFailure {
    match e {
        StartError::UnknownRole(_) => PlanFailure::UnknownRole { role: role.into() },
        other => PlanFailure::Refused {
            reason: other.to_string(),
        },
    }
}
