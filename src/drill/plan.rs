//! The drill's plan: the way out as the executor plans a switchover of kind `Drill`, plus the
//! incident blocker from one fresh read of the whole fleet (`fleet::read`, the same
//! inventory + probe + `derive_all` path as `baton status`).

use super::{Drill, DrillError, DrillPlan, DrillRequest};
use crate::core::leader::{LeaderState, RoleStatus};
use crate::core::model::same_name;
use crate::core::plan::{Blocker, IncidentRole, OperationKind};
use crate::failover::Request;
use tokio::sync::mpsc;

/// Roles MASTER DOWN or SPLIT, in fleet order. The drilled role's own SPLIT is left out: the
/// plan already blocks it with the facts.
pub fn incident_roles(roles: &[RoleStatus], drilled: &str) -> Vec<IncidentRole> {
    roles
        .iter()
        .filter(|r| match r.state {
            LeaderState::MasterDown => true,
            LeaderState::Split => !same_name(&r.role, drilled),
            _ => false,
        })
        .map(|r| IncidentRole {
            role: r.role.clone(),
            state: r.state,
        })
        .collect()
}

impl Drill {
    /// The plan with every blocker (see the module doc). Reads Azure and probes; takes nothing.
    pub async fn plan(&self, req: &DrillRequest) -> Result<DrillPlan, DrillError> {
        if req
            .force_during_incident
            .as_deref()
            .is_some_and(|c| c.trim().is_empty())
        {
            return Err(DrillError::Usage(
                "--force-during-incident needs a comment saying why".into(),
            ));
        }
        if let Some(r) = self.unfinished().await {
            return Err(DrillError::Unfinished {
                role: r.role,
                drill_id: r.drill_id,
            });
        }
        let (tx, _rx) = mpsc::channel(1);
        let exec = self.executor(tx);
        let leg = Request {
            to: req.to.clone(),
            ..Request::new(OperationKind::Drill)
        };
        let reader = self.arm.reader().clone();
        let (out, fleet) = tokio::join!(exec.plan(&leg), crate::fleet::read(&self.fleet, &reader));
        let mut out = out?;
        let incident = incident_roles(&fleet?.roles, &self.role.spec.name);
        if !incident.is_empty() && req.force_during_incident.is_none() {
            out.blockers.push(Blocker::Incident {
                roles: incident.clone(),
            });
        }
        Ok(DrillPlan {
            out,
            incident,
            hold: req.hold,
            switch_back: req.switch_back,
            rto_target: self.fleet.failover.rto_target,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::leader::RoleStatus;

    fn role(name: &str, state: LeaderState) -> RoleStatus {
        RoleStatus {
            role: name.into(),
            state,
            master: None,
            endpoint_holders: vec![],
            disks: vec![],
            vms: vec![],
            violations: vec![],
        }
    }

    #[test]
    fn names_every_role_in_trouble_but_not_its_own_split() {
        let roles = [
            role("web", LeaderState::Split),
            role("app", LeaderState::MasterDown),
            role("db", LeaderState::Split),
            role("gw", LeaderState::Degraded),
        ];
        let got = incident_roles(&roles, "web");
        let names: Vec<_> = got.iter().map(|r| r.role.as_str()).collect();
        assert_eq!(names, ["app", "db"]);
        let text = Blocker::Incident { roles: got }.to_string();
        assert!(text.contains("role app is MASTER DOWN"), "{text}");
        assert!(text.contains("role db is SPLIT"), "{text}");
        assert!(incident_roles(&roles[3..], "web").is_empty());
    }
}
