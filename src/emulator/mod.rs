//! A local Azure Resource Manager (the subset baton uses) plus per-VM heartbeats, for demos,
//! integration tests and `baton emulator`.
//!
//! It owns the emulated world, the LRO engine, faults, chaos, throttling, auth, the request log
//! and the control API under `/_emulator/`. It must never call real Azure and never depends on
//! baton's own Azure adapter: it is what that adapter is tested against.

mod auth;
mod blob;
mod clock;
mod config_toml;
mod control;
mod faults;
mod guard;
mod heartbeat;
mod lro;
mod reply;
mod routes;
mod scenario;
mod server;
mod stall;
mod state;
mod throttle;
mod world;

pub use blob::{ACCOUNT as STORAGE_ACCOUNT, ACCOUNT_KEY as STORAGE_ACCOUNT_KEY};
pub use faults::{FaultKind, FaultSpec};
pub use scenario::{
    BucketDef, DiskDef, EndpointDef, EndpointKindDef, Latencies, LbRuleDef, Limits,
    LoadBalancerDef, NatRuleDef, ProbeDef, Range, RoleDef, Scenario, ThrottleDef, Tokens,
    CONTOSO_SUBSCRIPTION,
};

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use url::Url;

/// Errors of starting the emulator or reading a scenario.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// Address asked for.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// A scenario file could not be read.
    #[error("cannot read scenario {path}: {source}")]
    Read {
        /// File path.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// A scenario file is invalid.
    #[error("{file}:{line}: {key} = {value}: {message}")]
    Scenario {
        /// File (or source name).
        file: String,
        /// 1-based line.
        line: usize,
        /// Key path, e.g. `roles[1].endpoint.nat_rule`.
        key: String,
        /// The offending value as written.
        value: String,
        /// What is wrong.
        message: String,
    },
    /// The base URL could not be built.
    #[error("invalid base url: {0}")]
    Url(#[from] url::ParseError),
}

/// How to start the emulator.
#[derive(Debug, Clone)]
pub struct EmulatorOptions {
    /// Address to listen on (port 0 picks a free one).
    pub listen: SocketAddr,
    /// The world and its behaviour.
    pub scenario: Scenario,
    /// Speed factor: every emulated latency is divided by it.
    pub speed: f64,
}

impl EmulatorOptions {
    /// 127.0.0.1:0, the contoso scenario, the given speed factor.
    pub fn local(speed: f64) -> Self {
        EmulatorOptions {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            scenario: Scenario::contoso(),
            speed,
        }
    }
}

/// A running emulator; dropping it without [`EmulatorHandle::shutdown`] leaves it serving
/// until the runtime ends.
pub struct EmulatorHandle {
    base_url: Url,
    subscription_id: String,
    token: String,
    reader_token: String,
    shared: Arc<state::Shared>,
    shutdown: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl std::fmt::Debug for EmulatorHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmulatorHandle")
            .field("base_url", &self.base_url.as_str())
            .finish_non_exhaustive()
    }
}

/// Bind the listener and start serving; returns once the listener is bound.
pub async fn start(opts: EmulatorOptions) -> Result<EmulatorHandle, EmulatorError> {
    let listener = tokio::net::TcpListener::bind(opts.listen)
        .await
        .map_err(|source| EmulatorError::Bind {
            addr: opts.listen,
            source,
        })?;
    let addr = listener
        .local_addr()
        .map_err(|source| EmulatorError::Bind {
            addr: opts.listen,
            source,
        })?;
    let base_url = Url::parse(&format!("http://{}/", connectable(addr)))?;
    let subscription_id = opts.scenario.subscription_id.clone();
    let tokens = opts.scenario.tokens.clone();
    let shared = Arc::new(state::Shared::new(
        opts.scenario,
        opts.speed,
        base_url.clone(),
    ));
    let (shutdown, rx) = watch::channel(false);
    let task = tokio::spawn(server::serve(listener, server::router(shared.clone()), rx));
    Ok(EmulatorHandle {
        base_url,
        subscription_id,
        token: tokens.contributor,
        reader_token: tokens.reader,
        shared,
        shutdown,
        task,
    })
}

/// Where a client on this machine reaches a listener bound to `addr`: the wildcard address
/// becomes loopback, whose `Host` the control API accepts.
fn connectable(addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => {
            SocketAddr::from((Ipv4Addr::LOCALHOST, addr.port()))
        }
        IpAddr::V6(ip) if ip.is_unspecified() => {
            SocketAddr::from((Ipv6Addr::LOCALHOST, addr.port()))
        }
        _ => addr,
    }
}

/// The warning to show before listening on `listen`, when that is more than loopback: the
/// control API has no authentication and the ARM API's tokens are fixed, well-known strings.
pub fn exposure_warning(listen: SocketAddr) -> Option<String> {
    (!listen.ip().is_loopback()).then(|| {
        format!(
            "warning: listening on {listen}, beyond this machine: anyone who can reach it can \
             use the emulator's ARM API with its well-known tokens; its control API \
             (/_emulator, /_vm) has no authentication and answers only requests whose Host \
             is loopback"
        )
    })
}

impl EmulatorHandle {
    /// `http://127.0.0.1:PORT/`.
    pub fn base_url(&self) -> &Url {
        &self.base_url
    }

    /// The storage account's URL, path-style: `http://127.0.0.1:PORT/devstoreaccount1`.
    pub fn blob_url(&self) -> String {
        format!("{}{}", self.base_url, blob::ACCOUNT)
    }

    /// The emulated subscription id.
    pub fn subscription_id(&self) -> &str {
        &self.subscription_id
    }

    /// The accepted (contributor) bearer token.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// A token accepted for GETs; writes answer 403 AuthorizationFailed.
    pub fn reader_token(&self) -> &str {
        &self.reader_token
    }

    /// A baton config for this world (see config.example.toml).
    pub fn baton_config_toml(&self) -> String {
        config_toml::render(&self.shared.scenario, &self.base_url, &self.token)
    }

    /// A `[coordination]` section for this emulator's storage account (the contributor token as
    /// a static bearer token, so no key variable is needed).
    pub fn coordination_toml(&self) -> String {
        format!(
            "\n[coordination]\nbackend = \"azure-blob\"\naccount_url = \"{}\"\ncontainer = \"baton\"\ncredential = \"static-token\"\nstatic_token = \"{}\"\n",
            self.blob_url(),
            self.token
        )
    }

    /// Stop accepting, close every connection, and wait for the server task.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        let _ = self.task.await;
    }
}

#[cfg(test)]
mod tests {
    use super::{connectable, exposure_warning};
    use std::net::SocketAddr;

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn warns_only_beyond_loopback() {
        assert_eq!(exposure_warning(addr("127.0.0.1:8780")), None);
        assert_eq!(exposure_warning(addr("[::1]:8780")), None);
        for wide in ["0.0.0.0:8780", "[::]:8780", "192.168.1.10:8780"] {
            let text = exposure_warning(addr(wide)).unwrap();
            assert!(
                text.contains(wide) && text.contains("no authentication"),
                "{text}"
            );
        }
    }

    #[test]
    fn the_wildcard_is_reached_on_loopback() {
        assert_eq!(connectable(addr("0.0.0.0:81")), addr("127.0.0.1:81"));
        assert_eq!(connectable(addr("[::]:81")), addr("[::1]:81"));
        assert_eq!(connectable(addr("10.1.2.3:81")), addr("10.1.2.3:81"));
    }
}
