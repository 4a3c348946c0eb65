//! Isolate and expose: the endpoint reference on the NICs. Isolate removes it from every NIC
//! but the destination's; expose adds it to the destination's NIC only when no other NIC holds
//! it (two holders would be two masters). Both verify by reading the NIC back.

use super::{own_error, Ctx, StepOutcome, StepResult};
use crate::core::model::same_name;
use crate::failover::executor::observe::{endpoint_nics, vm_nic};

impl Ctx<'_> {
    /// Removes the endpoint from every NIC that is not the destination's.
    pub(super) async fn isolate(&self) -> StepResult {
        let facts = self.facts().await?;
        let dest_nic = vm_nic(&facts, &self.leg.dest);
        let spec = &self.role().spec.endpoint;
        let others: Vec<String> = endpoint_nics(&facts, self.role())
            .into_iter()
            .filter(|(nic, _)| !dest_nic.as_deref().is_some_and(|d| same_name(d, nic)))
            .map(|(nic, _)| nic)
            .collect();
        if others.is_empty() {
            return Ok(StepOutcome::Skipped(format!(
                "endpoint {} is on no NIC but {}'s",
                spec.label(),
                self.leg.dest
            )));
        }
        let mut ids = Vec::new();
        for nic in &others {
            let what = format!("remove {} from {nic}", spec.label());
            let out = self
                .audited(&what, self.arm.remove_endpoint(self.rg(), nic, spec).await)
                .await?;
            ids.extend(out.request_ids);
        }
        for nic in &others {
            let facts = self
                .arm
                .reader()
                .get_nic(self.rg(), nic)
                .await
                .map_err(|e| super::arm_error(&e))?;
            if facts.lb_refs.iter().any(|r| spec.matches_id(r)) {
                return Err(own_error(
                    "NotIsolated",
                    format!("{nic} still references {} after the write", spec.label()),
                ));
            }
        }
        Ok(StepOutcome::Done(ids))
    }

    /// Adds the endpoint to the destination's NIC, refusing while another NIC holds it.
    pub(super) async fn expose(&self) -> StepResult {
        let facts = self.facts().await?;
        let spec = &self.role().spec.endpoint;
        let dest = &self.leg.dest;
        let nic = vm_nic(&facts, dest)
            .ok_or_else(|| own_error("NoNic", format!("{dest} has no network interface")))?;
        let holders = endpoint_nics(&facts, self.role());
        if holders.iter().any(|(n, _)| same_name(n, &nic)) {
            return Ok(StepOutcome::Skipped(format!(
                "{} is on {nic} already",
                spec.label()
            )));
        }
        if let Some((other, _)) = holders.first() {
            return Err(own_error(
                "EndpointHeldElsewhere",
                format!(
                    "{} is on {other}: refusing to expose it on {nic} as well (two masters)",
                    spec.label()
                ),
            ));
        }
        let what = format!("add {} to {nic}", spec.label());
        let out = self
            .audited(&what, self.arm.add_endpoint(self.rg(), &nic, spec).await)
            .await?;
        let facts = self
            .arm
            .reader()
            .get_nic(self.rg(), &nic)
            .await
            .map_err(|e| super::arm_error(&e))?;
        if !facts.lb_refs.iter().any(|r| spec.matches_id(r)) {
            return Err(own_error(
                "NotExposed",
                format!("{nic} does not reference {} after the write", spec.label()),
            ));
        }
        Ok(StepOutcome::Done(out.request_ids))
    }
}
