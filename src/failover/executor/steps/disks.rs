//! Detach, release, attach: the role's data disks. Detach asks every non-destination owner to
//! let go (verified on the VM model); release waits on each disk itself until Azure really let
//! go (`managedBy` empty and `diskState` Unattached) — the detach call returns before that, and
//! attaching in that window fails or, worse, races; attach refuses any disk another VM still
//! owns, then attaches at the configured LUNs and verifies `managedBy` = destination. Shared
//! disks stay attached to every VM and are never touched here.

use super::{arm_error, own_error, Cadence, Ctx, StepOutcome, StepResult};
use crate::azure::lro::likely_window;
use crate::core::model::{same_name, DiskFacts};
use crate::core::operation::StepError;
use crate::failover::executor::observe::{disk_owners, vm_answers};

impl Ctx<'_> {
    /// Detaches every role disk from every owner that is not the destination.
    pub(super) async fn detach(&self) -> StepResult {
        if let Some(skipped) = self.all_shared("detach") {
            return Ok(skipped);
        }
        let facts = self.facts().await?;
        let dest = &self.leg.dest;
        let mut by_owner: Vec<(String, Vec<String>)> = Vec::new();
        for disk in self.role().spec.moving_disks() {
            for owner in disk_owners(&facts, &disk.name) {
                if same_name(&owner, dest) {
                    continue;
                }
                match by_owner.iter_mut().find(|(o, _)| same_name(o, &owner)) {
                    Some((_, d)) => d.push(disk.name.clone()),
                    None => by_owner.push((owner, vec![disk.name.clone()])),
                }
            }
        }
        if by_owner.is_empty() {
            return Ok(StepOutcome::Skipped(format!(
                "no disk of the role is attached to a VM other than {dest}"
            )));
        }
        let mut ids = Vec::new();
        for (owner, disks) in &by_owner {
            let names: Vec<&str> = disks.iter().map(String::as_str).collect();
            ids.extend(self.detach_from(owner, &names).await?);
        }
        for (owner, disks) in &by_owner {
            let vm = self
                .arm
                .reader()
                .get_vm(self.rg(), owner)
                .await
                .map_err(|e| arm_error(&e))?;
            let left: Vec<&String> = disks
                .iter()
                .filter(|d| vm.data_disks.iter().any(|a| same_name(&a.name, d)))
                .collect();
            if !left.is_empty() {
                return Err(own_error(
                    "NotDetached",
                    format!("{owner} still lists {left:?} after the detach"),
                ));
            }
        }
        Ok(StepOutcome::Done(ids))
    }

    /// The skip of a disk step when the role has disks and every one is shared: the step
    /// stream says why nothing moves (fencing keeps the old master off the data).
    fn all_shared(&self, step: &str) -> Option<StepOutcome> {
        let spec = &self.role().spec;
        (spec.has_shared_disks() && spec.moving_disks().next().is_none()).then(|| {
            StepOutcome::Skipped(format!(
                "nothing to {step}: every disk of the role is shared and stays attached to \
                 every VM; fencing keeps the old master off the data"
            ))
        })
    }

    /// Detaches `names` from `owner`. On a failover leg the detach gets a window
    /// ([`crate::failover::ExecutorOptions::detach_window`]): a hung guest can stall it, and
    /// when the window passes and the owner does not answer its vm probe, the owner is powered
    /// off first and the detach sent again (the same call: an owner that is off lets go at
    /// once). The probe runs beside the detach call, not before it, so a hung owner's probe
    /// timeout is not on the critical path.
    async fn detach_from(&self, owner: &str, names: &[&str]) -> Result<Vec<String>, StepError> {
        let force = self.session.force_detach;
        let how = if force { "force-detach" } else { "detach" };
        let what = format!("{how} {} from {owner}", names.join(", "));
        let first = self.arm.detach_disks(self.rg(), owner, names, force);
        let result = if self.leg.graceful {
            first.await
        } else {
            let mut first = std::pin::pin!(first);
            let timeout = self.exec.opts.probe_timeout;
            let mut probe =
                std::pin::pin!(vm_answers(self.role(), &self.exec.http, owner, timeout));
            let mut window = std::pin::pin!(tokio::time::sleep(self.exec.opts.detach_window));
            let mut answers: Option<bool> = None;
            loop {
                tokio::select! {
                    result = &mut first => break result,
                    up = &mut probe, if answers.is_none() => answers = Some(up),
                    () = &mut window => {
                        let up = match answers {
                            Some(up) => up,
                            None => probe.as_mut().await,
                        };
                        if !up {
                            return self.power_off_then_detach(owner, names, &what).await;
                        }
                        break first.await;
                    }
                }
            }
        };
        Ok(self.audited(&what, result).await?.request_ids)
    }

    /// The fallback when the detach from an unreachable owner stalls: power-off first, then
    /// detach again. Each call is audited; the notes say why.
    async fn power_off_then_detach(
        &self,
        owner: &str,
        names: &[&str],
        what: &str,
    ) -> Result<Vec<String>, StepError> {
        self.note(format!(
            "the detach from {owner} did not finish within {:.1} s (a hung guest can stall it): \
             powering {owner} off first, then detaching again",
            self.exec.opts.detach_window.as_secs_f64()
        ))
        .await;
        let off = format!("power off {owner} (the detach stalled)");
        let mut ids = self
            .audited(&off, self.arm.power_off(self.rg(), owner).await)
            .await?
            .request_ids;
        let again = self
            .arm
            .detach_disks(self.rg(), owner, names, self.session.force_detach)
            .await;
        ids.extend(self.audited(what, again).await?.request_ids);
        Ok(ids)
    }

    /// Waits until every disk is free or already on the destination, reading each disk.
    pub(super) async fn release(&self) -> StepResult {
        if let Some(skipped) = self.all_shared("release") {
            return Ok(skipped);
        }
        let dest: &str = &self.leg.dest;
        if self.unreleased(dest).await?.is_empty() {
            return Ok(StepOutcome::Skipped(format!(
                "every disk is free or on {dest} already"
            )));
        }
        self.wait_for_disks(
            || self.unreleased(dest),
            |disks| {
                format!(
                    "waiting for Azure to release {disks} (want managedBy empty, diskState \
                     Unattached)"
                )
            },
        )
        .await?;
        Ok(StepOutcome::Done(Vec::new()))
    }

    /// Reads the disks (`pending`: those not there yet) at the disk cadence until none is
    /// left; each new wait is noted with `waiting` of the disks' states.
    async fn wait_for_disks<F, Fut>(
        &self,
        pending: F,
        waiting: impl Fn(&str) -> String,
    ) -> Result<(), StepError>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<Vec<DiskFacts>, StepError>>,
    {
        self.poll_until(self.disk_cadence(), || async {
            let left = pending().await?;
            if left.is_empty() {
                return Ok(Ok(()));
            }
            let words: Vec<String> = left.iter().map(describe).collect();
            Ok(Err(waiting(&words.join("; "))))
        })
        .await
    }

    /// Disk reads while waiting on Azure: fast while the release lag is likely to end (it
    /// started during the detach, so the wait is often shorter than the lag), then backing off
    /// to `release_poll`.
    fn disk_cadence(&self) -> Cadence {
        let opts = &self.exec.opts;
        Cadence {
            fast: opts.release_poll_fast,
            until: likely_window(opts.timings.release.estimate).1,
            slow: opts.release_poll,
        }
    }

    /// Disks neither free nor on `dest`.
    async fn unreleased(&self, dest: &str) -> Result<Vec<DiskFacts>, StepError> {
        let mut out = Vec::new();
        for disk in self.role().spec.moving_disks() {
            let facts = self
                .arm
                .reader()
                .get_disk(self.rg(), &disk.name)
                .await
                .map_err(|e| arm_error(&e))?;
            let on_dest = facts
                .managed_by
                .as_deref()
                .is_some_and(|m| same_name(m, dest));
            let free =
                facts.managed_by.is_none() && facts.disk_state.eq_ignore_ascii_case("Unattached");
            if !on_dest && !free {
                out.push(facts);
            }
        }
        Ok(out)
    }

    /// Attaches every disk not yet on the destination, at its configured LUN.
    pub(super) async fn attach(&self) -> StepResult {
        if let Some(skipped) = self.all_shared("attach") {
            return Ok(skipped);
        }
        let dest = self.leg.dest.clone();
        let facts = self.facts().await?;
        let mut missing: Vec<(&str, i32)> = Vec::new();
        for disk in self.role().spec.moving_disks() {
            let owners = disk_owners(&facts, &disk.name);
            if owners.iter().any(|o| same_name(o, &dest)) && owners.len() == 1 {
                continue;
            }
            if let Some(other) = owners.iter().find(|o| !same_name(o, &dest)) {
                return Err(own_error(
                    "NotReleased",
                    format!(
                        "{} is still owned by {other}: refusing to attach it to {dest}",
                        disk.name
                    ),
                ));
            }
            missing.push((disk.name.as_str(), disk.lun));
        }
        if missing.is_empty() {
            return Ok(StepOutcome::Skipped(format!(
                "every disk is on {dest} already"
            )));
        }
        let words: Vec<String> = missing.iter().map(|(n, l)| format!("{n}@{l}")).collect();
        let what = format!("attach {} to {dest}", words.join(", "));
        let out = self
            .audited(
                &what,
                self.arm.attach_disks(self.rg(), &dest, &missing).await,
            )
            .await?;
        let dest: &str = &dest;
        self.wait_for_disks(
            || self.not_on(dest),
            |disks| format!("waiting for managedBy = {dest}: {disks}"),
        )
        .await?;
        Ok(StepOutcome::Done(out.request_ids))
    }

    /// Disks whose `managedBy` is not `dest`.
    async fn not_on(&self, dest: &str) -> Result<Vec<DiskFacts>, StepError> {
        let mut out = Vec::new();
        for disk in self.role().spec.moving_disks() {
            let facts = self
                .arm
                .reader()
                .get_disk(self.rg(), &disk.name)
                .await
                .map_err(|e| arm_error(&e))?;
            if !facts
                .managed_by
                .as_deref()
                .is_some_and(|m| same_name(m, dest))
            {
                out.push(facts);
            }
        }
        Ok(out)
    }
}

fn describe(d: &DiskFacts) -> String {
    format!(
        "{} (managedBy {}, {})",
        d.name,
        d.managed_by.as_deref().unwrap_or("none"),
        d.disk_state
    )
}
