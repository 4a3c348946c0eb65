//! Wire-level checks against a scripted fake ARM on 127.0.0.1:0 (shapes the emulator does not
//! produce, and headers its request log does not show): `If-Match` only on the NIC PUT, a
//! `Location`-only POST polled through 202s to its 200 result, a 204 final result, and a
//! credential failure surfacing as `ArmError::Credential`.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use baton::azure::{
    create_credential, ArmClient, ArmError, ArmEvent, ArmTarget, CredentialChoice, PollPolicy,
    Progress, RetryPolicy, WriteStatus,
};
use baton::core::model::{EndpointKind, EndpointSpec};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SUB: &str = "sub";
const NIC: &str =
    "/subscriptions/sub/resourceGroups/rg/providers/Microsoft.Network/networkInterfaces/nic1";
const VM: &str =
    "/subscriptions/sub/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1";

#[derive(Default)]
struct Stub {
    base: String,
    /// (method, path?query, If-Match header)
    log: Vec<(String, String, Option<String>)>,
    nic: Value,
    etag: u32,
    polls: u32,
}

type Shared = Arc<Mutex<Stub>>;

fn reply(status: StatusCode, headers: &[(&str, String)], body: Option<Value>) -> Response {
    let mut r = match body {
        Some(b) => (status, axum::Json(b)).into_response(),
        None => status.into_response(),
    };
    for (k, v) in headers {
        r.headers_mut().insert(
            axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            v.parse().unwrap(),
        );
    }
    r.headers_mut()
        .insert("x-ms-request-id", "stub-request".parse().unwrap());
    r
}

fn nic_body(s: &Stub) -> Value {
    let mut nic = s.nic.clone();
    nic["etag"] = json!(format!("W/\"{}\"", s.etag));
    nic
}

async fn handle(
    State(st): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut s = st.lock().unwrap();
    let pq = uri
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    let if_match = headers
        .get("if-match")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    s.log.push((method.to_string(), pq.clone(), if_match));
    let base = s.base.clone();
    let path = uri.path();
    match (method.as_str(), path) {
        ("GET", p) if p == NIC => reply(StatusCode::OK, &[], Some(nic_body(&s))),
        ("PUT", p) if p == NIC => {
            s.nic = serde_json::from_slice(&body).unwrap();
            s.etag += 1;
            s.polls = 0;
            let op = format!("{base}ops/nic?api-version=x");
            reply(
                StatusCode::OK,
                &[("azure-asyncoperation", op)],
                Some(nic_body(&s)),
            )
        }
        ("GET", "/ops/nic") => {
            s.polls += 1;
            let status = if s.polls < 3 {
                "InProgress"
            } else {
                "Succeeded"
            };
            reply(
                StatusCode::OK,
                &[("retry-after", "0".into())],
                Some(json!({"status": status})),
            )
        }
        ("GET", p) if p == VM => {
            let vm = json!({"id": VM, "name": "vm1", "location": "westeurope", "properties": {
                "provisioningState": "Succeeded",
                "storageProfile": {"dataDisks": []},
                "instanceView": {"statuses": [{"code": "PowerState/running"}]}}});
            reply(StatusCode::OK, &[], Some(vm))
        }
        ("POST", p) if p == format!("{VM}/attachDetachDataDisks") => {
            s.polls = 0;
            let loc = format!("{base}loc/attach?api-version=x");
            reply(
                StatusCode::ACCEPTED,
                &[("location", loc), ("retry-after", "0".into())],
                None,
            )
        }
        ("GET", "/loc/attach") => {
            s.polls += 1;
            if s.polls < 3 {
                return reply(StatusCode::ACCEPTED, &[("retry-after", "0".into())], None);
            }
            let profile = json!({"dataDisks": [{"lun": 3, "name": "d1", "createOption": "Attach",
                "managedDisk": {"id": "/subscriptions/sub/resourceGroups/rg/providers/Microsoft.Compute/disks/d1"}}]});
            reply(StatusCode::OK, &[], Some(profile))
        }
        ("POST", p) if p == format!("{VM}/powerOff") => {
            let loc = format!("{base}loc/off?api-version=x");
            reply(StatusCode::ACCEPTED, &[("location", loc)], None)
        }
        ("GET", "/loc/off") => reply(StatusCode::NO_CONTENT, &[], None),
        _ => reply(
            StatusCode::NOT_FOUND,
            &[],
            Some(json!({"error": {"code": "NotStubbed", "message": pq}})),
        ),
    }
}

async fn stub() -> (Shared, String) {
    let st: Shared = Arc::new(Mutex::new(Stub::default()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/", listener.local_addr().unwrap());
    {
        let mut s = st.lock().unwrap();
        s.base = base.clone();
        s.nic = json!({"id": NIC, "name": "nic1", "location": "westeurope", "properties": {
            "ipConfigurations": [{"name": "ipconfig1", "id": format!("{NIC}/ipConfigurations/ipconfig1"),
                "properties": {"primary": true, "loadBalancerInboundNatRules": []}}]}});
        s.etag = 7;
    }
    let app = axum::Router::new().fallback(handle).with_state(st.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (st, base)
}

fn client(base: &str, progress: Progress) -> ArmClient {
    let cred = create_credential(&CredentialChoice::StaticToken("t".into())).unwrap();
    let target = ArmTarget::new(url::Url::parse(base).unwrap(), SUB);
    ArmClient::new(target, cred)
        .unwrap()
        .with_retry(RetryPolicy {
            max_attempts: 2,
            base_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(1),
            retry_after_cap: Duration::from_millis(1),
        })
        .with_poll(PollPolicy {
            min_interval: Duration::ZERO,
            default_interval: Duration::from_millis(1),
            retry_after_cap: Duration::from_millis(1),
            timeout: Duration::from_secs(30),
            unreadable_limit: 2,
        })
        .with_progress(progress)
}

#[tokio::test]
async fn if_match_goes_on_the_nic_put_only() {
    let (st, base) = stub().await;
    let (tx, mut rx) = tokio::sync::mpsc::channel(256);
    let arm = client(&base, Progress::new(tx));
    let spec = EndpointSpec {
        load_balancer: "lb".into(),
        resource_group: "rg".into(),
        kind: EndpointKind::NatRule("rule".into()),
    };
    let out = arm.add_endpoint("rg", "nic1", &spec).await.unwrap();
    assert_eq!(out.status, WriteStatus::Applied);
    assert_eq!(out.request_ids, vec!["stub-request"]);

    let s = st.lock().unwrap();
    let puts: Vec<_> = s.log.iter().filter(|(m, _, _)| m == "PUT").collect();
    assert_eq!(puts.len(), 1);
    assert_eq!(puts[0].2.as_deref(), Some("W/\"7\""));
    assert!(s
        .log
        .iter()
        .filter(|(m, _, _)| m == "GET")
        .all(|(_, _, im)| im.is_none()));
    // Initial GET, PUT, three status polls, final GET of the NIC.
    assert_eq!(s.log.len(), 6, "{:?}", s.log);
    let rule =
        &s.nic["properties"]["ipConfigurations"][0]["properties"]["loadBalancerInboundNatRules"];
    assert_eq!(
        rule,
        &json!([{"id": "/subscriptions/sub/resourceGroups/rg/providers/Microsoft.Network/loadBalancers/lb/inboundNatRules/rule"}])
    );
    drop(s);
    let mut statuses = Vec::new();
    while let Ok(ev) = rx.try_recv() {
        if let ArmEvent::Poll { status, .. } = ev {
            statuses.push(status);
        }
    }
    assert_eq!(statuses, vec!["InProgress", "InProgress", "Succeeded"]);
}

#[tokio::test]
async fn location_only_post_is_polled_to_its_result() {
    let (st, base) = stub().await;
    let arm = client(&base, Progress::none());
    let out = arm.attach_disks("rg", "vm1", &[("d1", 3)]).await.unwrap();
    assert_eq!(out.status, WriteStatus::Applied);
    let s = st.lock().unwrap();
    let locs = s
        .log
        .iter()
        .filter(|(_, p, _)| p.starts_with("/loc/attach"))
        .count();
    assert_eq!(locs, 3, "202, 202, then the 200 result: {:?}", s.log);
    let body_post = s
        .log
        .iter()
        .filter(|(m, p, _)| m == "POST" && p.contains("attachDetachDataDisks"))
        .count();
    assert_eq!(body_post, 1);
}

#[tokio::test]
async fn no_content_final_result_is_success() {
    let (st, base) = stub().await;
    let arm = client(&base, Progress::none());
    let out = arm.power_off("rg", "vm1").await.unwrap();
    assert_eq!(out.status, WriteStatus::Applied);
    let s = st.lock().unwrap();
    assert!(s.log.iter().any(|(_, p, _)| p.starts_with("/loc/off")));
}

#[derive(Debug)]
struct Refusing;

#[async_trait::async_trait]
impl azure_core::auth::TokenCredential for Refusing {
    async fn get_token(&self, _: &[&str]) -> azure_core::Result<azure_core::auth::AccessToken> {
        Err(azure_core::Error::new(
            azure_core::error::ErrorKind::Credential,
            std::io::Error::other("no login session"),
        ))
    }
    async fn clear_cache(&self) -> azure_core::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn credential_failure_is_reported_as_such_and_nothing_is_sent() {
    let (st, base) = stub().await;
    let target = ArmTarget::new(url::Url::parse(&base).unwrap(), SUB);
    let arm = ArmClient::new(target, Arc::new(Refusing)).unwrap();
    let err = arm.reader().get_vm("rg", "vm1").await.unwrap_err();
    match &err {
        ArmError::Credential { reason, .. } => assert!(reason.contains("no login session")),
        other => panic!("expected a credential error, got {other:?}"),
    }
    assert!(!err.is_retryable());
    assert!(st.lock().unwrap().log.is_empty());
}
