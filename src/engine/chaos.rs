//! Demo chaos: the UI's chaos keys become calls to the emulator's control API.

use crate::core::snapshot::{EngineEvent, Severity};
use crate::protocol::ChaosAction;
use time::OffsetDateTime;
use url::Url;

/// The emulator's control API, where demo chaos is sent.
#[derive(Debug, Clone)]
pub struct ChaosPort {
    base: Url,
    client: reqwest::Client,
}

impl ChaosPort {
    /// Chaos goes to `{base}_emulator/chaos`.
    pub fn new(base: Url) -> ChaosPort {
        ChaosPort {
            base,
            client: reqwest::Client::new(),
        }
    }

    /// Applies one chaos action and says what happened, as an event for the log.
    pub async fn apply(&self, vm: &str, action: ChaosAction) -> EngineEvent {
        let word = action_word(action);
        let outcome = self.post(vm, word).await;
        let (severity, text) = match outcome {
            Ok(()) => (Severity::Warn, format!("demo chaos: {word} on {vm}")),
            Err(why) => (
                Severity::Critical,
                format!("demo chaos {word} on {vm} failed: {why}"),
            ),
        };
        EngineEvent {
            at: OffsetDateTime::now_utc(),
            severity,
            role: None,
            text,
        }
    }

    async fn post(&self, vm: &str, action: &str) -> Result<(), String> {
        let url = self
            .base
            .join("_emulator/chaos")
            .map_err(|e| e.to_string())?;
        let body = serde_json::json!({ "vm": vm, "action": action });
        let rsp = self
            .client
            .post(url)
            .json(&body)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if rsp.status().is_success() {
            Ok(())
        } else {
            Err(format!("HTTP {}", rsp.status().as_u16()))
        }
    }
}

/// The emulator's word for a chaos action.
pub fn action_word(action: ChaosAction) -> &'static str {
    match action {
        ChaosAction::KillService => "kill-service",
        ChaosAction::HangVm => "hang-vm",
        ChaosAction::Heal => "heal",
    }
}
