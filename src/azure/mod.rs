//! The Azure Resource Manager adapter: everything baton says to ARM goes through here.
//!
//! It owns credentials, the two client types, baton's own long-running-operation (LRO) poller,
//! retry and throttling decisions, the reads that become `core::model` facts, the inventory
//! refresh, and the writes a failover needs. It must not decide *what* to do (that is the
//! failover plan) and must not print anything (events go to a [`Progress`] sink, logs to
//! `tracing`).
//!
//! # Clients and read-only
//!
//! [`ReadClient`] can only read; [`ArmClient`] adds the writes and hands out its reader with
//! [`ArmClient::reader`]. Read-only is enforced by the type system, not by a flag: the write
//! methods exist only on `ArmClient`, and nothing turns a `ReadClient` into one, so code given a
//! `ReadClient` (the `--read-only` and `--wall` modes) cannot even express a write. A
//! `compile_fail` doctest in [`client`] proves it. A Reader identity is enough for a
//! `ReadClient`; if a write were attempted with one, ARM (and the emulator) answers 403
//! `AuthorizationFailed`, which baton reports with its code and request id.
//!
//! Both clients are cheap to clone and carry a [`RetryPolicy`], a [`PollPolicy`] and a
//! [`Progress`] sink, set with `with_retry`, `with_poll`, `with_progress`. Targets are
//! [`ArmTarget`]s: endpoint, subscription, token scopes (default `{endpoint}/.default`, exactly
//! `https://management.azure.com/.default` for public Azure). Credentials come from
//! [`create_credential`] with a [`CredentialChoice`]: `Default` (azure_identity's
//! `create_credential`, honouring `AZURE_CREDENTIAL_KIND`), `Cli`, `ManagedIdentity`,
//! `Environment`, or `StaticToken` (emulator, tests). A failing credential becomes
//! [`ArmError::Credential`] naming the credential and the reason; tokens are never printed
//! (`Debug` redacts them).
//!
//! # How requests are made
//!
//! Calls use the azure_mgmt_compute / azure_mgmt_network 0.21 builders and their typed models,
//! always through `.send()`; the builders' own `.await` (their LRO handling) is never used,
//! because it is broken against real Azure: VM PUT/PATCH looks for a snake-case
//! `provisioning_state`, never finds it and calls a VM still `Updating` done (and re-sends the
//! PUT on 201/202); disk PUT loops; attach/detach and run command poll only `Location`, expect
//! a JSON `status` where Azure answers 202 with an empty body, and drop the error codes; NIC PUT
//! ignores `Retry-After`. The clients are created
//! with `Client::new(endpoint, credential, scopes, options)` where `options` has azure_core's
//! retry policy turned off (`RetryOptions::none()`: baton decides retries) and a *capture
//! policy* right before the transport. The capture policy sees every raw answer: it counts and
//! reports each request as an [`ArmEvent::Request`] (method, URL, status, `x-ms-request-id`),
//! and turns non-success answers into an [`ArmHttpError`] while the headers are still
//! readable, so the HTTP status, ARM `code`, `message`, `x-ms-request-id` and `Retry-After`
//! survive all the way to the caller as [`ArmError::Http`]. The transport is a reqwest client
//! with a 10 s connect timeout, a 100 s request timeout and no idle connection pooling (as
//! azure_core's default; a pooled connection the server closed would otherwise show up as a
//! spurious dropped connection). The NIC builder has no `If-Match`, so the capture policy adds
//! it for the one PUT that asks (never for GETs).
//!
//! # Retries ([`RetryPolicy`])
//!
//! Retried: 408, 429 and 503 (waiting the server's `Retry-After`, `retry-after-ms` or
//! `x-ms-retry-after-ms`, capped at `retry_after_cap` — a throttle may ask for 20 minutes),
//! other 5xx, dropped or failed connections, network's 409 `AnotherOperationInProgress`, and an
//! LRO that ended `Canceled` with `OperationPreempted` (another write on the same VM took over:
//! the whole write is re-run). Without a `Retry-After` the wait is a deterministic exponential
//! backoff, `base_backoff × 2^(n-1)` capped at `max_backoff`; there is no jitter because a role
//! is acted on by one baton at a time (blob lease), so there is no herd to spread, and a
//! predictable wait is easier to show the operator. Not retried, returned at once: 400, 401,
//! 403, 404, 409 (`ConflictingUserInput`, `AttachDiskWhileBeingDetached`,
//! `OperationNotAllowed`), 412 `PreconditionFailed`, and operations that ended `Failed`.
//! Every retry is reported as an [`ArmEvent::Retry`] with the attempt number, the wait and the
//! full cause. Defaults: 5 attempts, backoff 1 s doubling to 20 s, Retry-After capped at 30 s —
//! a step gives up after roughly a minute of throttling and tells the operator instead of
//! hanging.
//!
//! A write is retried as a whole *attempt*: observe the resource, skip if it is already in the
//! desired state, send, poll to the end, verify. That makes re-running safe after a dropped
//! connection (did the PUT land?), a throttle or a preemption. Each write returns a
//! [`WriteOutcome`]: [`WriteStatus::Applied`] or [`WriteStatus::AlreadyDone`] (nothing sent),
//! the `x-ms-request-id` of every write request sent, and the number of attempts. Reads made
//! inside an attempt are themselves retried, so the worst case is bounded by
//! `max_attempts²` reads.
//!
//! # Polling ([`PollPolicy`], [`lro`])
//!
//! From the raw first answer of a write, the poller watches `Azure-AsyncOperation` if present,
//! else `Location`. It waits `Retry-After` (or `default_interval` when absent), never less than
//! `min_interval` and never more than `retry_after_cap`. `Azure-AsyncOperation` answers
//! `{status}`: `InProgress` (or any non-terminal word) → keep polling; `Succeeded` → fetch the
//! final result; `Failed` / `Canceled` → [`ArmError::Operation`] with `error.code`,
//! `error.message`, the status URL and the request id of the write that started it. A `Location`
//! URL answers 202 while running and the final result when done. A 4xx/5xx or a dropped
//! connection from a status URL means "status unreadable", not "failed": it is retried up to
//! `unreadable_limit` times in a row (each reported as an [`ArmEvent::Retry`]) before
//! [`ArmError::StatusUnreadable`]. The whole wait is bounded by `timeout`
//! ([`ArmError::OperationTimeout`] with the last status seen). The final result is a GET of the
//! resource after PUT/PATCH (used to verify NIC changes) and a GET of the `Location` URL after a
//! POST (the StorageProfile of attachDetachDataDisks, the RunCommandResult, or 204). Every poll
//! is reported as an [`ArmEvent::Poll`] with the status and the next wait. Defaults: 0.25 s
//! floor, 2 s without hint, hints capped at 10 s, 15 min timeout, 5 unreadable reads. When the
//! caller says how long the operation typically takes (`lro::expecting`, from the failover
//! step's estimate), `lro::schedule` honours Retry-After only up to two thirds of that, polls
//! every 0.25 s until four thirds, then backs off — endpoint and disk moves take 5–15 s, so the
//! end is seen within 0.25 s for a few dozen extra reads, while a minutes-long tail costs few.
//!
//! # Progress
//!
//! [`Progress`] wraps an optional `tokio::sync::mpsc::Sender<ArmEvent>`. Events are never
//! dropped: the adapter awaits `send` when the channel is full (the caller sizes it; a few
//! hundred is plenty for one step), and stops reporting if the receiver is gone.
//!
//! # Reads and inventory
//!
//! [`ReadClient`] reads VMs (`list_vms`, `get_vm`), disks (`list_disks`, `get_disk`), NICs
//! (`list_nics`, `get_nic`) and load balancers (`get_load_balancer`, whose NAT rules and pools
//! are resolved to NIC names through the LB's back-references) as `core::model` facts. Power
//! states come from one subscription-wide `statusOnly=true` VM list. [`refresh`] reads an
//! [`InventoryScope`] (the distinct resource groups and load balancers of the configured
//! roles) for `1 + 3 × groups + load balancers` requests when lists fit one page — never one
//! request per VM — and returns the count it actually made (pages and retries included).
//!
//! # Writes ([`ArmClient`])
//!
//! - `remove_endpoint` / `add_endpoint` / `move_endpoint`: GET the NIC, drop or add the NAT rule
//!   or backend pool reference (added on the primary ipconfig), PUT the whole NIC with
//!   `If-Match: <etag>`, poll, verify on the returned NIC. A stale etag is 412, not retried: the
//!   NIC changed under baton and the plan must look again.
//! - `detach_disks` (`force` sends `ForceDetach`, a labelled break-glass option) and
//!   `attach_disks` (disk ids built from subscription, group and name; explicit LUNs) through
//!   `attachDetachDataDisks`, verified on the returned StorageProfile. Waiting for the disk's
//!   release (`managedBy` clearing) is the plan's job, on the disk itself.
//! - `run_command` (RunShellScript; result from the `Location` URL), `power_off`, `start`
//!   (skipped when the instance view already shows the target state). A retried run command
//!   re-runs the script, so scripts must be idempotent (baton's are `systemctl start|stop`).
//!
//! Preemption: when two writes hit one VM, ARM cancels the older with `OperationPreempted`.
//! baton re-runs its write (observe, then send again if still needed) and follows its own
//! operation, so the result converges; the retry is visible as an [`ArmEvent::Retry`].

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
pub mod vm_cache;
pub mod writes;

pub use client::{ArmClient, ArmTarget, ReadClient, WriteGate};
pub use credential::{create_credential, CredentialChoice, StaticTokenCredential};
pub use error::{ArmCode, ArmError, ArmHttpError, AzureError, LroEnd};
pub use inventory::{refresh, refresh_with, Inventory, InventoryScope};
pub use lro::{PollPolicy, WriteKind};
pub use progress::{ArmEvent, Progress};
pub use retry::RetryPolicy;
pub use vm_cache::VmModelCache;
pub use writes::{MoveOutcome, RunCommandOutput, WriteOutcome, WriteStatus};
