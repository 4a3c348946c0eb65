//! The control API under `/_emulator/`: state snapshot, request log, faults, chaos, reset.
//!
//! Changes the world only through chaos and reset; never answers as ARM would.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Instant;

use super::faults::FaultSpec;
use super::state::Shared;
use super::world::{Power, Vm, World};

/// `GET /_emulator/state`.
pub(crate) async fn state(State(shared): State<Arc<Shared>>) -> Json<Value> {
    let mut st = shared.lock();
    st.advance(Instant::now());
    Json(snapshot(&st.world))
}

fn vm_state(v: &Vm) -> Value {
    json!({
        "name": v.name,
        "resource_group": v.rg,
        "power": v.power.as_str(),
        "provisioning_state": v.provisioning,
        "service": if v.service_running { "running" } else { "stopped" },
        "hung": v.hung,
        "data_disks": v.data_disks.iter().map(|d| json!({"name": d.disk, "lun": d.lun})).collect::<Vec<_>>(),
        "nics": v.nics,
    })
}

fn snapshot(w: &World) -> Value {
    let disks: Vec<Value> = w
        .disks
        .iter()
        .map(|d| {
            json!({
                "name": d.name,
                "resource_group": d.rg,
                "managed_by": d.owner.as_ref().map(|(_, vm)| vm.clone()),
                "holders": d.holders().map(|(_, vm)| vm.clone()).collect::<Vec<_>>(),
                "max_shares": d.max_shares,
                "disk_state": w.disk_state(d),
            })
        })
        .collect();
    let nics: Vec<Value> = w
        .nics
        .iter()
        .map(|n| {
            let rules: Vec<&str> = n
                .ipconfigs
                .iter()
                .flat_map(|c| c.nat_rules.iter().map(|r| r.child.as_str()))
                .collect();
            let pools: Vec<&str> = n
                .ipconfigs
                .iter()
                .flat_map(|c| c.pools.iter().map(|r| r.child.as_str()))
                .collect();
            json!({
                "name": n.name,
                "resource_group": n.rg,
                "vm": n.vm,
                "provisioning_state": n.provisioning,
                "nat_rules": rules,
                "backend_pools": pools,
            })
        })
        .collect();
    let ops: Vec<Value> = w
        .ops
        .iter()
        .map(|o| json!({"id": o.id, "kind": o.kind.as_str(), "target": o.target, "status": o.status.as_str()}))
        .collect();
    json!({
        "vms": w.vms.iter().map(vm_state).collect::<Vec<_>>(),
        "disks": disks,
        "nics": nics,
        "operations": ops,
    })
}

/// `GET /_emulator/requests`.
pub(crate) async fn requests(State(shared): State<Arc<Shared>>) -> Response {
    let st = shared.lock();
    Json(st.log.entries()).into_response()
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(FaultSpec),
    Many(Vec<FaultSpec>),
}

fn bad_request(message: String) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({"error": message}))).into_response()
}

/// `POST /_emulator/faults` with one fault or an array.
pub(crate) async fn add_faults(
    State(shared): State<Arc<Shared>>,
    body: axum::body::Bytes,
) -> Response {
    let parsed: Result<OneOrMany, _> = serde_json::from_slice(&body);
    let specs = match parsed {
        Ok(OneOrMany::One(f)) => vec![f],
        Ok(OneOrMany::Many(v)) => v,
        Err(_) => {
            // Re-parse as the single form to report which field is wrong.
            let why = serde_json::from_slice::<FaultSpec>(&body)
                .err()
                .map_or_else(|| "invalid fault".to_string(), |e| e.to_string());
            return bad_request(why);
        }
    };
    let n = specs.len();
    let evicted = shared.lock().faults.add(specs);
    Json(json!({"added": n, "evicted": evicted})).into_response()
}

/// `DELETE /_emulator/faults`.
pub(crate) async fn clear_faults(State(shared): State<Arc<Shared>>) -> Response {
    shared.lock().faults.clear();
    StatusCode::NO_CONTENT.into_response()
}

#[derive(Deserialize)]
struct Chaos {
    vm: String,
    action: String,
}

/// `POST /_emulator/chaos` `{vm, action: kill-service|hang-vm|stop-vm|heal}`.
pub(crate) async fn chaos(State(shared): State<Arc<Shared>>, body: axum::body::Bytes) -> Response {
    if let Some(answer) = storage_chaos(&shared, &body) {
        return answer;
    }
    let req: Chaos = match serde_json::from_slice(&body) {
        Ok(c) => c,
        Err(e) => return bad_request(e.to_string()),
    };
    let answer = {
        let mut st = shared.lock();
        st.advance(Instant::now());
        apply_chaos(&mut st.world, &req)
    };
    shared.wake_heartbeats();
    answer
}

/// `{action: storage-down|storage-up}`: the storage account unreachable, or back.
fn storage_chaos(shared: &Shared, body: &[u8]) -> Option<Response> {
    let v: Value = serde_json::from_slice(body).ok()?;
    let down = match v.get("action")?.as_str()? {
        "storage-down" => true,
        "storage-up" => false,
        _ => return None,
    };
    shared.blob.set_down(down);
    Some(Json(json!({"storage": if down { "down" } else { "up" }})).into_response())
}

fn apply_chaos(w: &mut World, req: &Chaos) -> Response {
    let Some(vi) = w.vm_by_name(&req.vm) else {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({"error": format!("no VM named {}", req.vm)})),
        )
            .into_response();
    };
    match req.action.as_str() {
        "kill-service" => w.vms[vi].service_running = false,
        "hang-vm" => w.vms[vi].hung = true,
        "stop-vm" => {
            let vm = &mut w.vms[vi];
            vm.power = Power::Stopped;
            vm.service_running = false;
            vm.hung = false;
            vm.chaos_stopped = true;
        }
        "heal" => {
            w.unstall(vi, Instant::now());
            let vm = &mut w.vms[vi];
            vm.hung = false;
            if vm.chaos_stopped {
                vm.power = Power::Running;
                vm.chaos_stopped = false;
            }
            let restart = w.vms[vi].power == Power::Running && w.holds_endpoint(&w.vms[vi]);
            if restart {
                w.vms[vi].service_running = true;
            }
        }
        other => {
            return bad_request(format!(
                "unknown action {other}: use kill-service, hang-vm, stop-vm or heal"
            ));
        }
    }
    Json(vm_state(&w.vms[vi])).into_response()
}

/// `POST /_emulator/reset`.
pub(crate) async fn reset(State(shared): State<Arc<Shared>>) -> StatusCode {
    shared.reset();
    StatusCode::NO_CONTENT
}
