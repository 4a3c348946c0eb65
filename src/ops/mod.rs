//! The front door of every operation. A [`Runner`] is built once per cockpit or headless
//! command and owns what every operation needs (write client, store, operator, executor
//! options, config); [`Runner::plan`] / [`Runner::plan_drill`] give the preview and
//! [`Runner::start`] checks the confirmation, plans again at confirmation time, assigns the
//! operation's or drill's id, and hands back an [`OpHandle`]: that id, the abort switch (armed
//! before the first event), and ONE ordered stream of [`OpStreamEvent`]s carrying both
//! operation events and drill updates (each with its record).
//!
//! [`Runner::lock_status`] / [`Runner::break_lock`] ([`unlock`]) are the one way to break a dead
//! holder's shared role lock, for `baton unlock` and the cockpit alike.
//!
//! Owns constructing the engines underneath (`failover::Executor`, `drill::Drill`): nothing
//! else in the crate builds them. Must not run steps, decide blockers or verdicts (the engines
//! and `core` do), print (its callers do), or read back from the store what a run just told it.

mod handle;
mod request;
pub mod unlock;

pub use crate::drill::OpStreamEvent;
pub use handle::{AbortSwitch, OpEnd, OpHandle, OpId};
pub use request::{Confirmation, StartError, StartRequest};
pub use unlock::{BreakOutcome, NextStep, UnlockError, UnlockRequest, Unlocked};

use crate::azure::ArmClient;
use crate::config::{Config, RoleConfig};
use crate::core::drill::DrillRecord;
use crate::core::operation::{OpEvent, Operation};
use crate::core::plan::Plan;
use crate::drill::{Drill, DrillPlan, DrillRequest};
use crate::failover::{Audit, ExecError, Executor, ExecutorOptions, Operator, Request, StateDir};
use crate::store::{SharedStore, StoreExt};
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::mpsc;

/// Room in a run's stream; producers wait when it is full, nothing is dropped.
const STREAM_BUFFER: usize = 256;

/// Plans and starts failovers, switchovers, resumes, rollbacks and drills.
#[derive(Debug, Clone)]
pub struct Runner {
    arm: ArmClient,
    config: Arc<Config>,
    dir: StateDir,
    store: SharedStore,
    operator: Operator,
    options: ExecutorOptions,
}

impl Runner {
    /// A runner acting through `arm`, keeping its state in `dir`'s local store, with the
    /// executor options of `config`.
    pub fn new(arm: ArmClient, config: Arc<Config>, dir: StateDir, operator: Operator) -> Runner {
        Runner {
            arm,
            options: ExecutorOptions::from_config(&config),
            config,
            store: dir.clone().into(),
            dir,
            operator,
        }
    }

    /// The same runner with other executor options (tests run with millisecond cadences).
    pub fn with_options(mut self, options: ExecutorOptions) -> Runner {
        self.options = options;
        self
    }

    /// The same runner keeping its state in `store` (reports still go to the state
    /// directory's `reports/`).
    pub fn with_store(mut self, store: SharedStore) -> Runner {
        self.store = store;
        self
    }

    /// The config it runs.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The store it keeps its state in.
    pub fn store(&self) -> &SharedStore {
        &self.store
    }

    /// The audit log its operations write, for the caller's own records (a refused
    /// confirmation, a blocked plan).
    pub fn audit(&self) -> Audit {
        Audit::new(self.store.clone(), self.operator.clone())
    }

    /// The preview of a failover or switchover of `role` (takes nothing).
    pub async fn plan(&self, role: &str, request: &Request) -> Result<Plan, StartError> {
        let (exec, _) = self.executor(role)?;
        Ok(exec.plan(request).await?)
    }

    /// The preview of a drill of `role`, the incident check included (takes nothing).
    pub async fn plan_drill(
        &self,
        role: &str,
        request: &DrillRequest,
    ) -> Result<DrillPlan, StartError> {
        let (drill, _) = self.drill(role)?;
        Ok(drill.plan(request).await?)
    }

    /// The unfinished operation of `role`, from that role's journals only.
    pub async fn unfinished_operation(&self, role: &str) -> Option<Operation> {
        self.store
            .operations_of_role(role)
            .await
            .into_iter()
            .find(|op| !op.is_finished())
    }

    /// The oldest unfinished drill of `role`.
    pub async fn unfinished_drill(&self, role: &str) -> Option<DrillRecord> {
        let (drill, _) = self.drill(role).ok()?;
        drill.unfinished().await
    }

    /// Starts what `request` asks for. A new operation or drill is refused unless the
    /// confirmation names the role and a plan made now has no blocker; its id is chosen here.
    pub async fn start(&self, request: StartRequest) -> Result<OpHandle, StartError> {
        match request {
            StartRequest::Operation {
                role,
                request,
                confirmation,
            } => self.start_operation(&role, request, &confirmation).await,
            StartRequest::Resume {
                role,
                op_id,
                rollback,
                force_detach,
                override_cooldown,
            } => {
                let op = self.unfinished_by_id(&role, &op_id).await?;
                let request = Request {
                    to: Some(op.to.clone()),
                    force_detach,
                    override_cooldown,
                    ..Request::new(op.kind)
                };
                self.spawn_resume(&role, op, request, rollback)
            }
            StartRequest::Drill {
                role,
                request,
                confirmation,
            } => self.start_drill(&role, request, &confirmation).await,
            StartRequest::DrillResume {
                role,
                drill_id,
                report_dir,
            } => self.resume_drill(&role, &drill_id, report_dir).await,
        }
    }

    async fn start_operation(
        &self,
        role: &str,
        request: Request,
        confirmation: &Confirmation,
    ) -> Result<OpHandle, StartError> {
        let (exec, rx) = self.executor(role)?;
        confirmed(role, confirmation)?;
        // Planned again now: the world may have moved since the preview.
        let plan = exec.plan(&request).await?;
        if !plan.can_confirm() {
            return Err(blocked(role, plan.blockers));
        }
        let op_id = uuid::Uuid::new_v4().to_string();
        let (abort, abort_rx) = AbortSwitch::new();
        let how = confirmation.how();
        let id = op_id.clone();
        let run = async move {
            let r = exec.run_as(&id, &request, &plan, how, abort_rx).await;
            drop(exec); // closes the executor's stream so the forwarder ends
            r
        };
        Ok(spawn_operation(role, op_id, abort, rx, run))
    }

    fn spawn_resume(
        &self,
        role: &str,
        op: Operation,
        request: Request,
        rollback: Option<crate::core::operation::RollbackMode>,
    ) -> Result<OpHandle, StartError> {
        let (exec, rx) = self.executor(role)?;
        let op_id = op.op_id.clone();
        let (abort, abort_rx) = AbortSwitch::new();
        let run = async move {
            let r = match rollback {
                Some(mode) => exec.rollback(op, mode, &request, abort_rx).await,
                None => exec.resume(op, &request, abort_rx).await,
            };
            drop(exec); // closes the executor's stream so the forwarder ends
            r
        };
        Ok(spawn_operation(role, op_id, abort, rx, run))
    }

    /// The unfinished operation `op_id` of `role`, read from its own journal.
    async fn unfinished_by_id(&self, role: &str, op_id: &str) -> Result<Operation, StartError> {
        let not_found = || StartError::OperationNotFound {
            role: role.to_owned(),
            op_id: op_id.to_owned(),
        };
        // Listed, not replayed: an id that is not there is "not found", while a journal that
        // is there but unreadable is the store's error, said as such.
        let listed = self
            .store
            .journals_of_role(role)
            .await
            .map_err(ExecError::from_store)?;
        if !listed.iter().any(|id| id == op_id) {
            return Err(not_found());
        }
        let loaded = self
            .store
            .load_journal(role, op_id)
            .await
            .map_err(ExecError::from_store)?;
        let op = loaded.operation().map_err(ExecError::from)?;
        if op.is_finished() {
            return Err(not_found());
        }
        Ok(op)
    }

    async fn start_drill(
        &self,
        role: &str,
        request: DrillRequest,
        confirmation: &Confirmation,
    ) -> Result<OpHandle, StartError> {
        let (drill, rx) = self.drill(role)?;
        confirmed(role, confirmation)?;
        // Planned again now: the world (or the incident) may have moved since the preview.
        let plan = drill.plan(&request).await?;
        if !plan.can_confirm() {
            return Err(blocked(role, plan.out.blockers));
        }
        let drill_id = uuid::Uuid::new_v4().to_string();
        let (abort, abort_rx) = AbortSwitch::new();
        let how = confirmation.how();
        let id = drill_id.clone();
        let done = tokio::spawn(async move {
            let r = drill.run_as(&id, &request, &plan, how, abort_rx).await;
            OpEnd::Drill(r)
        });
        Ok(OpHandle {
            id: OpId::Drill(drill_id),
            role: role.to_owned(),
            abort,
            events: rx,
            done,
        })
    }

    async fn resume_drill(
        &self,
        role: &str,
        drill_id: &str,
        report_dir: Option<PathBuf>,
    ) -> Result<OpHandle, StartError> {
        let (drill, rx) = self.drill(role)?;
        let record = drill.load(drill_id).await?;
        let (abort, abort_rx) = AbortSwitch::new();
        let done =
            tokio::spawn(
                async move { OpEnd::Drill(drill.resume(record, report_dir, abort_rx).await) },
            );
        Ok(OpHandle {
            id: OpId::Drill(drill_id.to_owned()),
            role: role.to_owned(),
            abort,
            events: rx,
            done,
        })
    }

    fn role(&self, role: &str) -> Result<RoleConfig, StartError> {
        self.config
            .role(role)
            .cloned()
            .ok_or_else(|| StartError::UnknownRole(role.to_owned()))
    }

    /// The only place an executor is built: for `role`, streaming to the returned receiver.
    fn executor(&self, role: &str) -> Result<(Executor, mpsc::Receiver<OpEvent>), StartError> {
        let role = self.role(role)?;
        let (tx, rx) = mpsc::channel(STREAM_BUFFER);
        let exec = Executor::new(
            self.arm.clone(),
            role,
            self.store.clone(),
            self.operator.clone(),
            self.options.clone(),
            tx,
        );
        Ok((exec, rx))
    }

    /// The only place a drill runner is built: for `role`, streaming to the returned receiver.
    fn drill(&self, role: &str) -> Result<(Drill, mpsc::Receiver<OpStreamEvent>), StartError> {
        let (exec, _) = self.executor(role)?;
        let (tx, rx) = mpsc::channel(STREAM_BUFFER);
        let drill = Drill::new(exec, (*self.config).clone(), self.dir.clone(), tx);
        Ok((drill, rx))
    }
}

fn confirmed(role: &str, confirmation: &Confirmation) -> Result<(), StartError> {
    if confirmation.confirms(role) {
        Ok(())
    } else {
        Err(StartError::NotConfirmed {
            role: role.to_owned(),
        })
    }
}

fn blocked(role: &str, blockers: Vec<crate::core::plan::Blocker>) -> StartError {
    StartError::Blocked {
        role: role.to_owned(),
        blockers,
    }
}

/// Spawns one operation's run with the forwarder that puts its events, tagged with its id,
/// into the handle's stream; the end resolves once every event is in the stream.
fn spawn_operation(
    role: &str,
    op_id: String,
    abort: AbortSwitch,
    mut rx: mpsc::Receiver<OpEvent>,
    run: impl std::future::Future<Output = Result<crate::failover::RunReport, crate::failover::ExecError>>
        + Send
        + 'static,
) -> OpHandle {
    let (tx, events) = mpsc::channel(STREAM_BUFFER);
    let id = op_id.clone();
    let forward = async move {
        while let Some(event) = rx.recv().await {
            let item = OpStreamEvent::Op {
                op_id: id.clone(),
                event,
            };
            if tx.send(item).await.is_err() {
                // Nobody listens any more; the run goes on and is journalled regardless.
                continue;
            }
        }
    };
    let done = tokio::spawn(async move {
        let (r, ()) = tokio::join!(run, forward);
        OpEnd::Operation(r)
    });
    OpHandle {
        id: OpId::Operation(op_id),
        role: role.to_owned(),
        abort,
        events,
        done,
    }
}
