//! Opening the cockpit: theme, keymap, read-only ARM client, engine and UI, in that order,
//! and a clean shutdown of all of them when the UI quits.
//!
//! An engine task that dies (panic or early end) ends the cockpit too: the UI is dropped, which
//! restores the terminal, and [`CockpitError::Engine`] carries the message (exit 2). A cockpit
//! left drawing without its engine would show data that silently stops changing.
//!
//! The engine's inventory and probes read through [`crate::azure::ReadClient`] in every mode.
//! Writes happen only in operator and demo modes, where the cockpit also gives the engine a
//! [`Runner`] with a write client: failovers, switchovers and drills the operator confirmed
//! by typing the role's name. Read-only and wall modes build no write client at all, and hold
//! the configured store only through its read half ([`crate::store::StoreRead`]): they show
//! other batons' operations and the history without being able to write to the shared store.

use crate::azure::ArmError;
use crate::config::Config;
use crate::engine::{self, ChaosPort, CoordinationSource, EngineSetup, HistorySource, TaskFailure};
use crate::failover::{Operator, StateDir};
use crate::ops::Runner;
use crate::setup;
use crate::store::{BlobStore, LocalStore, SharedReader, SharedStore};
use crate::ui::{self, Keymap, KeymapError, Mode, Theme, ThemeEnv, ThemeError, UiError, UiOptions};
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// How to open the cockpit.
pub struct CockpitParams<'a> {
    /// The validated config.
    pub config: &'a Config,
    /// Operator, read-only, wall or demo.
    pub mode: Mode,
    /// Theme name (built-in or a file in the user's theme directory).
    pub theme: &'a str,
    /// Key overrides (action → key spec), validated by the keymap.
    pub keys: &'a BTreeMap<String, String>,
    /// Shown in the header (e.g. "prod-westeurope", "demo").
    pub environment: String,
    /// Demo chaos goes here; `None` outside the demo.
    pub chaos: Option<ChaosPort>,
    /// Overrides `azure.refresh_interval` (the demo refreshes faster).
    pub refresh_interval: Option<Duration>,
}

/// Why the cockpit could not open or ended badly.
#[derive(Debug, thiserror::Error)]
pub enum CockpitError {
    /// The theme is unknown or broken.
    #[error(transparent)]
    Theme(#[from] ThemeError),
    /// The `[keys]` overrides are invalid.
    #[error(transparent)]
    Keymap(#[from] KeymapError),
    /// No credential or client could be built.
    #[error(transparent)]
    Arm(#[from] ArmError),
    /// No state directory for journals, locks and audit.
    #[error("{}", crate::core::wording::MISSING_STATE_DIR)]
    NoStateDir,
    /// The terminal failed (or is not a terminal).
    #[error(transparent)]
    Ui(#[from] UiError),
    /// A background task of the engine died while the cockpit ran.
    #[error(transparent)]
    Engine(#[from] TaskFailure),
    /// `[coordination]` cannot even be set up (the account key variable is unset, the host id
    /// is invalid, no HTTP client). A storage account that does not answer is no error here:
    /// the cockpit opens with the "coordination unavailable" banner instead.
    #[error("coordination: {0}")]
    Coordination(#[from] crate::store::StoreError),
}

/// The configured store as this cockpit uses it: the read half every mode holds (remote
/// operations, the coordination banner, history), and the writing store only operator and
/// demo modes get (for their runner).
struct Stores {
    read: Option<CoordinationSource>,
    write: Option<SharedStore>,
}

/// Opens the configured store without ever refusing to open the cockpit over the storage
/// itself: an unreachable or refusing account gives a store that fails every call, so the
/// first refresh raises the "coordination unavailable" banner (operations refused) and a later
/// one clears it when the storage answers. Read-only and wall modes never connect (connecting
/// may create the container): they read through a client that cannot write.
async fn stores_for(
    mode: Mode,
    config: &Config,
    state_dir: Option<&StateDir>,
) -> Result<Stores, CockpitError> {
    let writes = matches!(mode, Mode::Operator | Mode::Demo);
    let Some(settings) = setup::blob_settings(config, None)? else {
        let host = Operator::from_env().host;
        let local = state_dir.map(|dir| Arc::new(LocalStore::new(dir.clone())));
        return Ok(Stores {
            read: local.clone().map(|store| CoordinationSource {
                store: store as SharedReader,
                host,
            }),
            write: local.filter(|_| writes).map(|store| store as SharedStore),
        });
    };
    let host = settings.host_id.clone();
    let store = if writes {
        match BlobStore::connect(settings.clone()).await {
            Ok(store) => store,
            Err(e) => {
                tracing::warn!(error = %e, "coordination unavailable at start-up");
                BlobStore::offline(settings)?
            }
        }
    } else {
        BlobStore::offline(settings)?
    };
    let store = Arc::new(store);
    Ok(Stores {
        read: Some(CoordinationSource {
            store: store.clone(),
            host,
        }),
        write: writes.then_some(store as SharedStore),
    })
}

/// A write client and the configured store for failovers — only in operator and demo modes,
/// so a read-only or wall cockpit holds no write client at all.
fn operations_for(
    config: &Config,
    state_dir: Option<StateDir>,
    store: Option<SharedStore>,
) -> Result<Option<Runner>, CockpitError> {
    let Some(store) = store else {
        return Ok(None);
    };
    let state_dir = state_dir.ok_or(CockpitError::NoStateDir)?;
    let runner = Runner::new(
        setup::arm_client(config)?,
        Arc::new(config.clone()),
        state_dir,
        Operator::from_env(),
    );
    Ok(Some(runner.with_store(store)))
}

/// Runs the cockpit until the operator quits.
pub async fn run(params: CockpitParams<'_>) -> Result<(), CockpitError> {
    let theme = Theme::load_with_env(params.theme, &ThemeEnv::from_process())?;
    let keymap = Keymap::from_overrides(params.mode, params.keys)?;
    let config = params.config;
    let reader = setup::read_client(config)?;
    let state_dir = StateDir::discover(None);
    if matches!(params.mode, Mode::Operator | Mode::Demo) && state_dir.is_none() {
        return Err(CockpitError::NoStateDir);
    }
    let stores = stores_for(params.mode, config, state_dir.as_ref()).await?;
    // Every mode reads the history (a read) from the configured store.
    let history = stores.read.as_ref().map(|source| HistorySource {
        store: source.store.clone(),
        timelines: state_dir.as_ref().map(StateDir::timelines),
        rto_target: config.failover.rto_target,
    });
    let ops = operations_for(config, state_dir, stores.write)?;
    let mut handle = engine::start_coordinated(
        EngineSetup {
            roles: config.role_specs(),
            reader,
            probes: setup::probe_specs(config),
            schedule: setup::schedule(config),
            refresh_interval: params
                .refresh_interval
                .unwrap_or(config.azure.refresh_interval),
            budget_share: f64::from(config.azure.budget_share_percent) / 100.0,
            chaos: params.chaos.filter(|_| params.mode == Mode::Demo),
            ops,
        },
        history,
        stores.read,
    );
    let ops_rx = handle
        .take_ops()
        .unwrap_or_else(|| tokio::sync::mpsc::channel(1).1);
    let events = handle
        .take_events()
        .unwrap_or_else(|| tokio::sync::mpsc::channel(1).1);
    let mut failures = handle
        .take_failures()
        .unwrap_or_else(|| tokio::sync::mpsc::channel(1).1);
    let ui = ui::run(UiOptions {
        mode: params.mode,
        theme,
        keymap,
        title: "baton".to_string(),
        environment: params.environment,
        snapshots: handle.snapshots(),
        events,
        effects: handle.effects(),
        ops: ops_rx,
        rto_target: config.failover.rto_target,
        shared_locks: !matches!(config.coordination, crate::config::Coordination::Local),
    });
    let result = until_engine_fails(ui, &mut failures).await;
    handle.shutdown().await;
    result
}

/// Runs the UI until it ends or an engine task fails, whichever comes first; the UI future is
/// dropped on a failure (its terminal guard restores the screen before the error is printed).
async fn until_engine_fails(
    ui: impl Future<Output = Result<(), UiError>>,
    failures: &mut tokio::sync::mpsc::Receiver<TaskFailure>,
) -> Result<(), CockpitError> {
    tokio::select! {
        result = ui => result.map_err(CockpitError::from),
        Some(failure) = failures.recv() => Err(CockpitError::Engine(failure)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::sync::mpsc;

    #[tokio::test]
    async fn a_dead_engine_task_ends_the_ui() {
        let (tx, mut rx) = mpsc::channel(1);
        let dropped = Arc::new(std::sync::atomic::AtomicBool::new(false));
        struct Guard(Arc<std::sync::atomic::AtomicBool>);
        impl Drop for Guard {
            fn drop(&mut self) {
                self.0.store(true, std::sync::atomic::Ordering::SeqCst);
            }
        }
        let guard = Guard(dropped.clone());
        let ui = async move {
            let _guard = guard;
            std::future::pending::<Result<(), UiError>>().await
        };
        let failure = TaskFailure {
            task: "inventory",
            reason: "panicked: overflow".to_string(),
        };
        tx.send(failure.clone()).await.expect("channel open");
        let result = until_engine_fails(ui, &mut rx).await;
        assert!(matches!(result, Err(CockpitError::Engine(f)) if f == failure));
        assert!(
            dropped.load(std::sync::atomic::Ordering::SeqCst),
            "the UI (and its terminal guard) is dropped"
        );
    }

    #[tokio::test]
    async fn the_ui_ending_first_is_its_own_result() {
        let (_tx, mut rx) = mpsc::channel::<TaskFailure>(1);
        let ui = async { Ok::<(), UiError>(()) };
        assert!(until_engine_fails(ui, &mut rx).await.is_ok());
    }
}
