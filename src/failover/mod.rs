//! Failover and switchover execution (placeholder doc, completed below).

pub mod audit;
pub mod executor;
pub mod headless;
pub mod journal;
pub mod lock;
pub mod operator;
pub mod state_dir;

pub use audit::{Audit, AuditError, AuditEvent};
pub use executor::{ExecError, Executor, ExecutorOptions, Request, RunEnd, RunReport};
pub use journal::{Journal, JournalError, Loaded, TornLine};
pub use lock::{LockError, LockInfo, RoleLock};
pub use operator::Operator;
pub use state_dir::{StateDir, STATE_DIR_ENV};
