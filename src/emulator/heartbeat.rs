//! Per-VM heartbeat endpoints: `/_vm/{vm}/ping` (machine alive) and `/_vm/{vm}/health`
//! (service running). A hung VM never answers: the request is held until the VM is healed,
//! the world is reset, or the client gives up.
//!
//! Reads VM state only; chaos changes it elsewhere.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use std::time::Instant;

use super::state::Shared;
use super::world::{Power, Vm};

/// `GET /_vm/{vm}/ping`: 200 while running, 503 otherwise, no answer while hung.
pub(crate) async fn ping(State(shared): State<Arc<Shared>>, Path(vm): Path<String>) -> Response {
    beat(shared, vm, |v| v.power == Power::Running).await
}

/// `GET /_vm/{vm}/health`: 200 while the service runs, 503 otherwise, no answer while hung.
pub(crate) async fn health(State(shared): State<Arc<Shared>>, Path(vm): Path<String>) -> Response {
    beat(shared, vm, |v| {
        v.power == Power::Running && v.service_running
    })
    .await
}

async fn beat(shared: Arc<Shared>, name: String, up: fn(&Vm) -> bool) -> Response {
    let mut wake = shared.subscribe();
    loop {
        let outcome = {
            let mut st = shared.lock();
            st.advance(Instant::now());
            match st.world.vm_by_name(&name).map(|i| &st.world.vms[i]) {
                None => Some((StatusCode::NOT_FOUND, "no such vm")),
                Some(v) if v.hung => None,
                Some(v) if up(v) => Some((StatusCode::OK, "ok")),
                Some(_) => Some((StatusCode::SERVICE_UNAVAILABLE, "down")),
            }
        };
        if let Some(answer) = outcome {
            return answer.into_response();
        }
        if wake.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}
