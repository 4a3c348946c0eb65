//! The HTTP server: routes, and an accept loop that serves each connection itself so a `drop`
//! fault can close a connection without answering, and shutdown can cut every connection.
//!
//! No ARM logic lives here.

use axum::routing::{get, post};
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{watch, Notify};

use super::state::{LogEntry, Shared};
use super::{blob, control, guard, heartbeat, routes};

/// Closes the connection a request arrived on (request extension).
#[derive(Clone, Debug)]
pub(crate) struct ConnKill(Arc<Notify>);

impl ConnKill {
    /// Close the connection without a response.
    pub fn kill(&self) {
        self.0.notify_one();
    }
}

/// A request's path with its query, as the request log shows it.
pub(crate) fn path_and_query(request: &axum::extract::Request) -> String {
    request.uri().path_and_query().map_or_else(
        || request.uri().path().to_string(),
        |p| p.as_str().to_string(),
    )
}

/// Logs one request with its answer (status 0 when its connection is `dropped`) and, for a
/// dropped one, closes the connection and never returns: the client gets no answer at all, as
/// after a network cut mid-request.
pub(crate) async fn log_or_drop(
    shared: &Shared,
    mut entry: LogEntry,
    dropped: bool,
    kill: Option<axum::Extension<ConnKill>>,
) {
    if dropped {
        entry.status = 0;
    }
    shared.lock().log.push(entry);
    if dropped {
        if let Some(axum::Extension(kill)) = kill {
            kill.kill();
        }
        std::future::pending::<()>().await;
    }
}

/// Every route of the emulator.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    let gated = Router::new()
        .route("/_emulator/state", get(control::state))
        .route("/_emulator/requests", get(control::requests))
        .route(
            "/_emulator/faults",
            post(control::add_faults).delete(control::clear_faults),
        )
        .route("/_emulator/chaos", post(control::chaos))
        .route("/_emulator/reset", post(control::reset))
        .route("/_emulator/storage", post(blob::control))
        .route("/_vm/:vm/ping", get(heartbeat::ping))
        .route("/_vm/:vm/health", get(heartbeat::health))
        .route_layer(axum::middleware::from_fn(guard::control_gate));
    Router::new()
        .merge(gated)
        .fallback(dispatch)
        .with_state(shared)
}

/// Storage requests (`/<account>/…`) to the blob service, everything else to ARM.
async fn dispatch(
    state: axum::extract::State<Arc<Shared>>,
    kill: Option<axum::Extension<ConnKill>>,
    request: axum::extract::Request,
) -> axum::response::Response {
    if blob::is_storage_path(request.uri().path()) {
        blob::serve(state, kill, request).await
    } else {
        routes::arm(state, kill, request).await
    }
}

/// Accept connections until `shutdown` flips.
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let accepted = tokio::select! {
            _ = shutdown.changed() => break,
            r = listener.accept() => r,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(_) => {
                // Out of descriptors or similar: back off instead of spinning.
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(connection(stream, router.clone(), shutdown.clone()));
    }
}

async fn connection(
    stream: tokio::net::TcpStream,
    router: Router,
    mut shutdown: watch::Receiver<bool>,
) {
    let notify = Arc::new(Notify::new());
    let kill = ConnKill(notify.clone());
    let svc = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        req.extensions_mut().insert(kill.clone());
        let mut router = router.clone();
        async move { tower_service::Service::call(&mut router, req).await }
    });
    let conn =
        hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), svc);
    tokio::select! {
        _ = conn => {}
        _ = notify.notified() => {}
        _ = shutdown.changed() => {}
    }
}
