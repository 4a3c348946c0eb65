//! The LRO poller sends the bearer token with every status read, so it follows a status URL
//! only on the ARM endpoint's scheme, host and port. A fake ARM on 127.0.0.1 answers a write
//! with `Azure-AsyncOperation` / `Location` naming a second loopback server on another host
//! (127.0.0.2); that server must never be asked anything.

use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use baton::azure::{create_credential, ArmClient, ArmTarget, CredentialChoice, PollPolicy};
use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const VM: &str =
    "/subscriptions/sub/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1";

/// Requests a server received: (method, path, Authorization header).
type Log = Arc<Mutex<Vec<(String, String, Option<String>)>>>;

async fn serve(ip: &str, answer: fn(&Method, &str, &str) -> Response) -> (Log, String) {
    let log: Log = Arc::default();
    let listener = tokio::net::TcpListener::bind((ip, 0)).await.unwrap();
    let base = format!("http://{}/", listener.local_addr().unwrap());
    let (seen, me) = (log.clone(), base.clone());
    let app = axum::Router::new().fallback(move |method: Method, uri: Uri, headers: HeaderMap| {
        let auth = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        seen.lock()
            .unwrap()
            .push((method.to_string(), uri.path().to_owned(), auth));
        let reply = answer(&method, uri.path(), &me);
        async move { reply }
    });
    tokio::spawn(async move { axum::serve(listener, app).await });
    (log, base)
}

fn foreign(_: &Method, _: &str, _: &str) -> Response {
    (StatusCode::OK, axum::Json(json!({"status": "Succeeded"}))).into_response()
}

fn arm(method: &Method, path: &str, _: &str) -> Response {
    match (method.as_str(), path) {
        ("GET", p) if p == VM => {
            let vm = json!({"id": VM, "name": "vm1", "location": "westeurope", "properties": {
                "provisioningState": "Succeeded",
                "storageProfile": {"dataDisks": []},
                "instanceView": {"statuses": [{"code": "PowerState/running"}]}}});
            (StatusCode::OK, axum::Json(vm)).into_response()
        }
        _ => {
            let status = FOREIGN.lock().unwrap().clone();
            let mut r = StatusCode::ACCEPTED.into_response();
            for header in ["azure-asyncoperation", "location"] {
                r.headers_mut()
                    .insert(header, format!("{status}ops/1").parse().unwrap());
            }
            r
        }
    }
}

/// The foreign server's base URL, for `arm` (a plain fn) to name it.
static FOREIGN: Mutex<String> = Mutex::new(String::new());

#[tokio::test]
async fn a_status_url_on_another_host_is_refused_and_gets_no_token() {
    let (foreign_log, foreign_base) = serve("127.0.0.2", foreign).await;
    *FOREIGN.lock().unwrap() = foreign_base.clone();
    let (arm_log, arm_base) = serve("127.0.0.1", arm).await;
    let cred = create_credential(&CredentialChoice::StaticToken("secret-token".into())).unwrap();
    let target = ArmTarget::new(url::Url::parse(&arm_base).unwrap(), "sub");
    let client = ArmClient::new(target, cred).unwrap().with_poll(PollPolicy {
        min_interval: Duration::ZERO,
        default_interval: Duration::from_millis(1),
        retry_after_cap: Duration::from_millis(1),
        timeout: Duration::from_secs(10),
        unreadable_limit: 1,
    });

    let err = client
        .attach_disks("rg", "vm1", &[("d1", 3)])
        .await
        .expect_err("a foreign status URL must not be followed");

    let text = err.to_string();
    assert!(text.contains(&format!("{foreign_base}ops/1")), "{text}");
    assert!(text.contains("is not on the ARM endpoint"), "{text}");
    assert!(text.contains("no token sent"), "{text}");
    assert!(
        foreign_log.lock().unwrap().is_empty(),
        "the foreign host was contacted: {:?}",
        foreign_log.lock().unwrap()
    );
    let arm_log = arm_log.lock().unwrap();
    assert!(
        arm_log
            .iter()
            .any(|(m, _, auth)| m == "POST" && auth.as_deref() == Some("Bearer secret-token")),
        "the write itself went to ARM with the token: {arm_log:?}"
    );
}
