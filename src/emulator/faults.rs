//! Injected faults: which requests they hit, how often, and what they do instead of serving.
//!
//! Owns only matching and counting; the request pipeline decides how a fault is carried out.

use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// One fault as posted to `/_emulator/faults` or listed in a scenario's `[[faults]]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultSpec {
    /// HTTP method to match (any when absent).
    #[serde(default)]
    pub method: Option<String>,
    /// Substring of the path and query to match (case-insensitive; empty matches everything).
    #[serde(default)]
    pub path_contains: String,
    /// How many matching requests it hits before it disarms.
    #[serde(default = "default_count")]
    pub count: u32,
    /// What it does.
    #[serde(default)]
    pub kind: FaultKind,
    /// HTTP status of a `respond` fault (and of a failed operation's `Location` result).
    #[serde(default = "default_status")]
    pub status: u16,
    /// ARM error code.
    #[serde(default)]
    pub code: Option<String>,
    /// ARM error message.
    #[serde(default)]
    pub message: Option<String>,
    /// Retry-After header (seconds, sent verbatim).
    #[serde(default)]
    pub retry_after: Option<u64>,
}

fn default_count() -> u32 {
    1
}
fn default_status() -> u16 {
    500
}

/// What a fault does to the request it hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FaultKind {
    /// Answer with the fault's status, code and Retry-After instead of serving.
    #[default]
    Respond,
    /// Close the connection without any response.
    Drop,
    /// Accept the write normally; its long-running operation ends `Failed`.
    FailOperation,
    /// Serve the request (storage only), then close the connection without the answer: the
    /// write happened but the client cannot know.
    DropAfter,
    /// Accept a write that detaches a data disk from a VM whose guest hangs (chaos `hang-vm`);
    /// its long-running operation stays `InProgress` while the guest hangs, as a guest that
    /// never acknowledges the disk's removal stalls it in Azure. A power-off or deallocate
    /// preempts it (`OperationPreempted`, the disk stays attached); healing the guest lets it
    /// finish. Not taken by a write that detaches nothing or by a VM whose guest answers.
    StallUntilOff,
}

impl FaultSpec {
    /// The ARM error code (a default per status when none was given).
    pub fn code(&self) -> String {
        self.code.clone().unwrap_or_else(|| match self.status {
            429 => "TooManyRequests".to_string(),
            409 => "Conflict".to_string(),
            503 => "ServiceUnavailable".to_string(),
            _ => "InternalServerError".to_string(),
        })
    }

    /// The ARM error message (a default when none was given).
    pub fn message(&self) -> String {
        self.message
            .clone()
            .unwrap_or_else(|| format!("Injected fault ({}).", self.code()))
    }

    fn matches(&self, method: &str, path: &str) -> bool {
        let method_ok = self
            .method
            .as_deref()
            .map_or(true, |m| m.eq_ignore_ascii_case(method));
        method_ok
            && path
                .to_ascii_lowercase()
                .contains(&self.path_contains.to_ascii_lowercase())
    }
}

/// The armed faults, in the order they were added; at most `cap` of them, so a client arming
/// faults in a loop cannot grow the emulator without bound (the oldest goes first).
#[derive(Debug)]
pub(crate) struct Faults {
    armed: VecDeque<FaultSpec>,
    cap: usize,
}

impl Faults {
    /// No fault armed; at most `cap` at once.
    pub fn with_cap(cap: usize) -> Self {
        Faults {
            armed: VecDeque::new(),
            cap: cap.max(1),
        }
    }

    /// Arm more faults; returns how many older ones were disarmed to make room.
    pub fn add(&mut self, specs: impl IntoIterator<Item = FaultSpec>) -> usize {
        let mut evicted = 0;
        for spec in specs.into_iter().filter(|f| f.count > 0) {
            if self.armed.len() == self.cap {
                self.armed.pop_front();
                evicted += 1;
            }
            self.armed.push_back(spec);
        }
        evicted
    }

    /// Disarm everything.
    pub fn clear(&mut self) {
        self.armed.clear();
    }

    /// Take one hit of the first armed fault of one of `kinds` matching the request.
    pub fn take(&mut self, method: &str, path: &str, kinds: &[FaultKind]) -> Option<FaultSpec> {
        let idx = self
            .armed
            .iter()
            .position(|f| kinds.contains(&f.kind) && f.matches(method, path))?;
        let fault = self.armed[idx].clone();
        self.armed[idx].count -= 1;
        if self.armed[idx].count == 0 {
            self.armed.remove(idx);
        }
        Some(fault)
    }
}

#[cfg(test)]
mod tests {
    use super::{FaultKind, FaultSpec, Faults};

    fn fault(path: &str) -> FaultSpec {
        serde_json::from_value(serde_json::json!({"path_contains": path})).unwrap()
    }

    #[test]
    fn a_full_ring_disarms_the_oldest_fault() {
        let mut faults = Faults::with_cap(2);
        assert_eq!(faults.add([fault("a"), fault("b")]), 0);
        assert_eq!(faults.add([fault("c")]), 1);
        let kinds = [FaultKind::Respond];
        assert!(faults.take("GET", "/a", &kinds).is_none(), "a was evicted");
        assert_eq!(faults.take("GET", "/b", &kinds).unwrap().path_contains, "b");
        assert_eq!(faults.take("GET", "/c", &kinds).unwrap().path_contains, "c");
    }
}
