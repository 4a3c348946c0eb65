//! The Azure Resource Manager adapter (full documentation below is filled in at the end).

mod capture;
pub mod client;
pub mod credential;
pub mod error;
pub mod inventory;
pub mod lro;
pub mod parse;
pub mod progress;
mod reads;
pub mod retry;
pub mod writes;

pub use client::{ArmClient, ArmTarget, ReadClient};
pub use credential::{create_credential, CredentialChoice, StaticTokenCredential};
pub use error::{ArmError, ArmHttpError, AzureError, LroEnd};
pub use inventory::{refresh, Inventory, InventoryScope};
pub use lro::{PollPolicy, WriteKind};
pub use progress::{ArmEvent, Progress};
pub use retry::RetryPolicy;
pub use writes::{MoveOutcome, RunCommandOutput, WriteOutcome, WriteStatus};
