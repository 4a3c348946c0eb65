//! VM actions: Run Command (RunShellScript, result read from the `Location` URL at the end),
//! power off and start. Power actions first read the instance view and skip when the VM is
//! already there. Run Command has no such check: a retried run re-runs the script, so scripts
//! given to it must be idempotent (baton's are `systemctl start|stop`).

use crate::azure::client::ArmClient;
use crate::azure::error::ArmError;
use crate::azure::lro::WriteKind;
use crate::azure::parse;
use crate::azure::writes::{outcome, Ids, WriteOutcome, WriteStatus};
use crate::core::model::PowerState;
use azure_mgmt_compute::package_2024_07_01::models::{RunCommandInput, RunCommandResult};

/// What a Run Command reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunCommandOutput {
    /// Code of the first status (`ProvisioningState/succeeded`, `ComponentStatus/StdOut/…`).
    pub code: String,
    /// Its message: the script's stdout/stderr (last 4 KB on real Azure).
    pub message: String,
    /// `x-ms-request-id` of each runCommand request sent.
    pub request_ids: Vec<String>,
}

/// Which power action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PowerAction {
    Off,
    Start,
}

impl PowerAction {
    fn done_in(self, state: PowerState) -> bool {
        match self {
            PowerAction::Off => matches!(state, PowerState::Stopped | PowerState::Deallocated),
            PowerAction::Start => state == PowerState::Running,
        }
    }
}

impl ArmClient {
    /// Runs a shell script on the VM (RunShellScript) and returns its output.
    pub async fn run_command(
        &self,
        resource_group: &str,
        vm: &str,
        script: &str,
    ) -> Result<RunCommandOutput, ArmError> {
        let operation = format!("run command on {vm}");
        let ids = Ids::default();
        let (result, _) = self
            .write(&operation, |_| {
                self.run_command_attempt(&operation, resource_group, vm, script, &ids)
            })
            .await?;
        let (code, message) = result;
        Ok(RunCommandOutput {
            code,
            message,
            request_ids: outcome(WriteStatus::Applied, &ids, 0).request_ids,
        })
    }

    async fn run_command_attempt(
        &self,
        operation: &str,
        resource_group: &str,
        vm: &str,
        script: &str,
        ids: &Ids,
    ) -> Result<(String, String), ArmError> {
        let mut input = RunCommandInput::new("RunShellScript".to_owned());
        input.script = script.lines().map(str::to_owned).collect();
        let send = self
            .reader()
            .compute()
            .virtual_machines_client()
            .run_command(resource_group, vm, input, self.reader().subscription_id())
            .send();
        let finished = self
            .send_and_wait(operation, &WriteKind::Post, ids, send)
            .await?;
        let what = format!("run command result of {vm}");
        let body = finished.body.ok_or_else(|| ArmError::Decode {
            what: what.clone(),
            reason: "no result body".into(),
        })?;
        let result: RunCommandResult =
            serde_json::from_slice(&body).map_err(|e| ArmError::Decode {
                what: what.clone(),
                reason: e.to_string(),
            })?;
        let first = result.value.into_iter().next().ok_or(ArmError::Decode {
            what,
            reason: "empty `value`".into(),
        })?;
        Ok((
            first.code.unwrap_or_default(),
            first.message.unwrap_or_default(),
        ))
    }

    /// Powers the VM off (stays allocated); `AlreadyDone` when stopped or deallocated.
    pub async fn power_off(
        &self,
        resource_group: &str,
        vm: &str,
    ) -> Result<WriteOutcome, ArmError> {
        self.power(resource_group, vm, PowerAction::Off).await
    }

    /// Starts the VM; `AlreadyDone` when running.
    pub async fn start(&self, resource_group: &str, vm: &str) -> Result<WriteOutcome, ArmError> {
        self.power(resource_group, vm, PowerAction::Start).await
    }

    async fn power(
        &self,
        resource_group: &str,
        vm: &str,
        action: PowerAction,
    ) -> Result<WriteOutcome, ArmError> {
        let operation = match action {
            PowerAction::Off => format!("power off {vm}"),
            PowerAction::Start => format!("start {vm}"),
        };
        let ids = Ids::default();
        let (status, attempts) = self
            .write(&operation, |_| {
                self.power_attempt(&operation, resource_group, vm, action, &ids)
            })
            .await?;
        Ok(outcome(status, &ids, attempts))
    }

    async fn power_attempt(
        &self,
        operation: &str,
        resource_group: &str,
        vm: &str,
        action: PowerAction,
        ids: &Ids,
    ) -> Result<WriteStatus, ArmError> {
        let model = self.reader().vm_model(resource_group, vm, true).await?;
        if action.done_in(parse::power_of(&model)) {
            return Ok(WriteStatus::AlreadyDone);
        }
        let client = self.reader().compute().virtual_machines_client();
        let sub = self.reader().subscription_id();
        match action {
            PowerAction::Off => {
                let send = client.power_off(resource_group, vm, sub).send();
                self.send_and_wait(operation, &WriteKind::Post, ids, send)
                    .await?;
            }
            PowerAction::Start => {
                let send = client.start(resource_group, vm, sub).send();
                self.send_and_wait(operation, &WriteKind::Post, ids, send)
                    .await?;
            }
        }
        Ok(WriteStatus::Applied)
    }
}
