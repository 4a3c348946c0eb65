//! Preflight, fence, start and verify: the checks and the application. Preflight re-plans under
//! the lock; fence stops the app on every other holder (graceful) or powers off a holder that
//! does not answer its vm probe (failover); start runs the start command on the destination;
//! verify wants N healthy service probes in a row there.

use super::{arm_error, own_error, Cadence, Ctx, StepOutcome, StepResult};
use crate::azure::{ArmCode, ArmError, RunCommandOutput, WriteOutcome, WriteStatus};
use crate::core::model::{same_name, PowerState, ProbeStatus, VmProbes};
use crate::core::operation::StepError;
use crate::core::plan::Blocker;
use crate::failover::executor::observe::{holders, service_probe, View};
use crate::failover::executor::Request;

fn stopped(power: PowerState) -> bool {
    matches!(power, PowerState::Stopped | PowerState::Deallocated)
}

impl Ctx<'_> {
    /// Re-plans with the lock held and the journal's target: any blocker fails the step.
    pub(super) async fn preflight(&self) -> StepResult {
        let req = Request {
            kind: self.leg.kind,
            to: Some(self.leg.dest.clone()),
            force_detach: self.session.force_detach,
            override_cooldown: self.session.override_cooldown.clone(),
            drill: self.session.drill.clone(),
        };
        let plan = self
            .exec
            .plan_with(&req, None, false)
            .await
            .map_err(|e| own_error("PreflightFailed", e.to_string()))?;
        let blockers: Vec<String> = plan
            .blockers
            .iter()
            .filter(|b| !matches!(b, Blocker::OperationRunning))
            .map(ToString::to_string)
            .collect();
        if !blockers.is_empty() {
            return Err(own_error("Blocked", blockers.join("; ")));
        }
        self.note(format!(
            "lock held; {} runs and answers its vm probe",
            self.leg.dest
        ))
        .await;
        Ok(StepOutcome::Done(Vec::new()))
    }

    /// The other holders of the role, and the VMs the plan moves it away from (they may hold
    /// nothing any more, after isolate and detach), that still need fencing. A stopped VM, or one for which
    /// `spare` gives a reason, is left alone; when nobody is left, the skip outcome (with every
    /// reason, or "nothing to `verb`") comes back as the error.
    fn to_fence(
        &self,
        view: &View,
        verb: &str,
        spare: impl Fn(&str, &VmProbes) -> Option<String>,
    ) -> Result<Vec<String>, StepOutcome> {
        let mut todo = Vec::new();
        let mut reasons = Vec::new();
        let mut vms = holders(&view.facts, self.role(), &self.leg.dest);
        for vm in &self.leg.from {
            if !same_name(vm, &self.leg.dest) && !vms.iter().any(|v| same_name(v, vm)) {
                vms.push(vm.clone());
            }
        }
        for vm in vms {
            let power = view.facts.vm(&vm).map_or(PowerState::Unknown, |v| v.power);
            if stopped(power) {
                reasons.push(format!("{vm} is {}", power.as_str()));
            } else if let Some(reason) = spare(&vm, &view.probes.get(&vm)) {
                reasons.push(reason);
            } else {
                todo.push(vm);
            }
        }
        if !todo.is_empty() {
            return Ok(todo);
        }
        Err(StepOutcome::Skipped(if reasons.is_empty() {
            format!("nothing to {verb}: no other VM holds the role")
        } else {
            reasons.join("; ")
        }))
    }

    /// Stops the app on every other holder, then waits until its service probe fails.
    pub(super) async fn fence_stop(&self) -> StepResult {
        let view = self.view().await?;
        let todo = match self.to_fence(&view, "stop", |vm, probes| {
            probes
                .service
                .is_down()
                .then(|| format!("the service on {vm} is down already"))
        }) {
            Ok(todo) => todo,
            Err(skipped) => return Ok(skipped),
        };
        let mut ids = Vec::new();
        let script = self.role().stop_command.clone();
        for vm in &todo {
            ids.extend(self.run_script(vm, &script, "stop command").await?);
        }
        for vm in &todo {
            self.wait_service(vm, false).await?;
        }
        Ok(StepOutcome::Done(ids))
    }

    /// Powers off every other holder that does not answer its vm probe (shoot first).
    pub(super) async fn fence_power_off(&self) -> StepResult {
        let view = self.view().await?;
        let shared = self.role().spec.has_shared_disks();
        let todo = match self.to_fence(&view, "fence", |vm, probes| {
            probes.vm.is_up().then(|| match shared {
                true => format!(
                    "{vm} answers its vm probe: no power-off; isolate fences the endpoint, the \
                     shared disks stay attached (keeping it off them is the app's SCSI \
                     reservations' job)"
                ),
                false => {
                    format!("{vm} answers its vm probe: no power-off, isolate and detach fence it")
                }
            })
        }) {
            Ok(todo) => todo,
            Err(skipped) => return Ok(skipped),
        };
        let mut ids = Vec::new();
        for vm in &todo {
            let what = format!("power off {vm}");
            let out = self
                .audited(&what, self.arm.power_off(self.rg(), vm).await)
                .await?;
            ids.extend(out.request_ids);
            let facts = self
                .arm
                .reader()
                .get_vm(self.rg(), vm)
                .await
                .map_err(|e| arm_error(&e))?;
            if !stopped(facts.power) {
                return Err(own_error(
                    "NotFenced",
                    format!("{vm} is {} after the power-off", facts.power.as_str()),
                ));
            }
        }
        Ok(StepOutcome::Done(ids))
    }

    /// Runs the start command on the destination unless its service already answers.
    pub(super) async fn start(&self) -> StepResult {
        let dest = &self.leg.dest;
        let probe = self.service(dest).await;
        if probe.is_up() {
            return Ok(StepOutcome::Skipped(format!(
                "the service on {dest} answers its probe already"
            )));
        }
        let script = self.role().start_command.clone();
        let ids = self.run_script(dest, &script, "start command").await?;
        Ok(StepOutcome::Done(ids))
    }

    /// Waits for `verify_successes` healthy service probes in a row on the destination.
    pub(super) async fn verify(&self) -> StepResult {
        let want = self.exec.opts.verify_successes.max(1);
        let dest: &str = &self.leg.dest;
        let mut streak = 0u32;
        let mut last_words = String::new();
        loop {
            let probe = self.service(dest).await;
            streak = if probe.is_up() { streak + 1 } else { 0 };
            if streak >= want {
                return Ok(StepOutcome::Done(Vec::new()));
            }
            let words = format!(
                "service probe on {dest}: {} ({streak}/{want} healthy in a row)",
                probe_words(&probe)
            );
            // Latency changes every probe: note only when the verdict or the count changes.
            let key = format!("{}{streak}", probe.is_up());
            if key != last_words {
                self.note(words).await;
                last_words = key;
            }
            tokio::time::sleep(self.exec.opts.verify_interval).await;
        }
    }

    async fn service(&self, vm: &str) -> ProbeStatus {
        service_probe(
            self.role(),
            &self.exec.http,
            vm,
            self.exec.opts.probe_timeout,
        )
        .await
    }

    /// Waits until the service probe of `vm` is up (`true`) or down (`false`).
    async fn wait_service(&self, vm: &str, up: bool) -> Result<(), StepError> {
        self.poll_until(
            Cadence::every(self.exec.opts.verify_interval),
            || async move {
                let probe = self.service(vm).await;
                if probe.is_up() == up {
                    return Ok(Ok(()));
                }
                Ok(Err(format!(
                    "waiting for the service probe of {vm} to {}: {}",
                    if up { "answer" } else { "fail" },
                    probe_words(&probe)
                )))
            },
        )
        .await
    }

    /// Runs a script through Run Command, audited, its output noted; returns the request ids.
    async fn run_script(
        &self,
        vm: &str,
        script: &str,
        label: &str,
    ) -> Result<Vec<String>, StepError> {
        let what = format!("{label} on {vm}");
        // After a crash right after the command was sent, the resumed step finds that command
        // still running: Azure refuses a second one with 409 OperationNotAllowed until it ends.
        let result = self
            .poll_until(Cadence::every(self.exec.opts.release_poll), || async {
                match self.arm.run_command(self.rg(), vm, script).await {
                    Err(e) if earlier_command_running(&e) => Ok(Err(format!(
                        "an earlier run command on {vm} is still running (HTTP 409 \
                         OperationNotAllowed): waiting to run the {label}"
                    ))),
                    other => Ok(Ok(other)),
                }
            })
            .await?;
        let as_write: Result<WriteOutcome, ArmError> = match &result {
            Ok(out) => Ok(WriteOutcome {
                status: WriteStatus::Applied,
                request_ids: out.request_ids.clone(),
                attempts: 1,
            }),
            Err(e) => Err(e.clone()),
        };
        let out = self.audited(&what, as_write).await?;
        if let Ok(RunCommandOutput { code, message, .. }) = &result {
            self.note(format!("{what}: {code}: {}", short(message)))
                .await;
            if !code.to_ascii_lowercase().contains("succeeded") {
                return Err(own_error(
                    "CommandFailed",
                    format!("{what} reported {code}: {}", short(message)),
                ));
            }
        }
        Ok(out.request_ids)
    }
}

/// Azure's refusal of a Run Command while another one runs on the VM (transient: it ends).
fn earlier_command_running(e: &ArmError) -> bool {
    match e {
        ArmError::Http(h) => {
            h.status == 409
                && h.arm_code() == ArmCode::OperationNotAllowed
                && h.message.to_ascii_lowercase().contains("run command")
                && h.message.to_ascii_lowercase().contains("in progress")
        }
        _ => false,
    }
}

fn probe_words(p: &ProbeStatus) -> String {
    match p {
        ProbeStatus::Up { latency_ms } => format!("up ({latency_ms} ms)"),
        ProbeStatus::Down { reason } => format!("down ({reason})"),
        ProbeStatus::Unknown => "unknown".into(),
    }
}

/// The first 200 characters of a command's output on one line, control characters dropped.
fn short(text: &str) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let trimmed = flat.split_whitespace().collect::<Vec<_>>().join(" ");
    trimmed.chars().take(200).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::azure::ArmHttpError;

    fn http(status: u16, code: &str, message: &str) -> ArmError {
        ArmError::Http(Box::new(ArmHttpError {
            status,
            code: code.into(),
            message: message.into(),
            request_id: None,
            retry_after: None,
            method: "POST".into(),
            url: "http://127.0.0.1/runCommand".into(),
        }))
    }

    #[test]
    fn only_a_run_command_in_progress_is_waited_out() {
        let busy = "Run command extension execution is in progress. Please wait for completion \
                    before invoking a run command.";
        assert!(earlier_command_running(&http(
            409,
            "OperationNotAllowed",
            busy
        )));
        let stopped = "Operation 'runCommand' is not allowed since the VM is deallocated.";
        assert!(!earlier_command_running(&http(
            409,
            "OperationNotAllowed",
            stopped
        )));
        assert!(!earlier_command_running(&http(
            409,
            "ConflictingUserInput",
            busy
        )));
        assert!(!earlier_command_running(&http(
            400,
            "OperationNotAllowed",
            busy
        )));
    }
}
