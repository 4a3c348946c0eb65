//! The two client types: [`ReadClient`] (reads only, by construction) and [`ArmClient`] (writes,
//! plus a [`ReadClient`] for its reads). Owns the ARM target, the credential, the azure_core
//! pipeline setup (crate retry disabled, capture policy added, our own reqwest transport) and the
//! raw authenticated GET the poller uses. It must not hand a write-capable client out of a
//! [`ReadClient`].
//!
//! Read-only is enforced by the type system: every write method is defined on [`ArmClient`]
//! only, and nothing converts a [`ReadClient`] into an [`ArmClient`]:
//!
//! ```compile_fail
//! async fn try_write(reader: baton::azure::ReadClient) {
//!     // error[E0599]: no method named `power_off` found for struct `ReadClient`
//!     let _ = reader.power_off("rg-contoso", "web-a").await;
//! }
//! ```
//!
//! while the same call compiles on an [`ArmClient`], which also hands out its reader:
//!
//! ```no_run
//! async fn write(client: baton::azure::ArmClient) {
//!     let _ = client.power_off("rg-contoso", "web-a").await;
//!     let _reader: &baton::azure::ReadClient = client.reader();
//! }
//! ```

mod transport;

pub(crate) use transport::RawResponse;

use crate::azure::error::ArmError;
use crate::azure::lro::PollPolicy;
use crate::azure::progress::Progress;
use crate::azure::retry::RetryPolicy;
use azure_core::auth::TokenCredential;
use azure_core::Pipeline;
use std::sync::Arc;
use transport::client_options;
use url::Url;

/// Where ARM is and which subscription baton works in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArmTarget {
    /// ARM endpoint (`https://management.azure.com/` or the emulator's base URL).
    pub endpoint: Url,
    /// Subscription id.
    pub subscription_id: String,
    /// Token scopes asked of the credential.
    pub scopes: Vec<String>,
}

impl ArmTarget {
    /// A target with the default scopes for `endpoint` (see [`ArmTarget::default_scopes`]).
    pub fn new(endpoint: Url, subscription_id: impl Into<String>) -> Self {
        let scopes = Self::default_scopes(&endpoint);
        ArmTarget {
            endpoint,
            subscription_id: subscription_id.into(),
            scopes,
        }
    }

    /// Public Azure (`https://management.azure.com/`).
    pub fn azure_public(subscription_id: impl Into<String>) -> Result<Self, ArmError> {
        let endpoint = Url::parse("https://management.azure.com/")
            .map_err(|e| ArmError::Invalid(format!("endpoint: {e}")))?;
        Ok(Self::new(endpoint, subscription_id))
    }

    /// `{endpoint}/.default`, written exactly `https://management.azure.com/.default` for
    /// public Azure whatever the endpoint's spelling (trailing slash, upper case).
    pub fn default_scopes(endpoint: &Url) -> Vec<String> {
        if endpoint
            .host_str()
            .is_some_and(|h| h.eq_ignore_ascii_case("management.azure.com"))
        {
            return vec!["https://management.azure.com/.default".to_owned()];
        }
        let base = endpoint.as_str().trim_end_matches('/');
        vec![format!("{base}/.default")]
    }
}

/// What every clone of a client shares.
struct Shared {
    target: ArmTarget,
    credential: Arc<dyn TokenCredential>,
    compute: azure_mgmt_compute::package_2024_07_01::Client,
    network: azure_mgmt_network::package_2024_03::Client,
    pipeline: Pipeline,
    /// `maxDataDiskCount` by size, per region: sizes do not change, so each region is read once.
    size_limits: std::sync::Mutex<SizeCache>,
}

/// Region (lower-cased) → size name (lower-cased) → `maxDataDiskCount`.
pub(crate) type SizeCache =
    std::collections::HashMap<String, std::collections::HashMap<String, u32>>;

/// A client that can only read. Cheap to clone; carries its retry and poll policies and
/// progress sink.
#[derive(Clone)]
pub struct ReadClient {
    shared: Arc<Shared>,
    retry: RetryPolicy,
    poll: PollPolicy,
    progress: Progress,
}

impl std::fmt::Debug for ReadClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadClient")
            .field("target", &self.shared.target)
            .field("retry", &self.retry)
            .field("poll", &self.poll)
            .finish_non_exhaustive()
    }
}

impl ReadClient {
    /// A read-only client for `target` using `credential`.
    pub fn new(target: ArmTarget, credential: Arc<dyn TokenCredential>) -> Result<Self, ArmError> {
        let options = client_options()?;
        let scopes = target.scopes.clone();
        let endpoint = target.endpoint.clone();
        let compute = azure_mgmt_compute::package_2024_07_01::Client::new(
            endpoint.clone(),
            credential.clone(),
            scopes.clone(),
            options.clone(),
        );
        let network = azure_mgmt_network::package_2024_03::Client::new(
            endpoint,
            credential.clone(),
            scopes,
            options.clone(),
        );
        let pipeline = Pipeline::new(None, None, options, Vec::new(), Vec::new());
        Ok(ReadClient {
            shared: Arc::new(Shared {
                target,
                credential,
                compute,
                network,
                pipeline,
                size_limits: std::sync::Mutex::default(),
            }),
            retry: RetryPolicy::default(),
            poll: PollPolicy::default(),
            progress: Progress::none(),
        })
    }

    /// The same client with another retry policy.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The same client with another poll policy.
    pub fn with_poll(mut self, poll: PollPolicy) -> Self {
        self.poll = poll;
        self
    }

    /// The same client reporting to `progress`.
    pub fn with_progress(mut self, progress: Progress) -> Self {
        self.progress = progress;
        self
    }

    /// Where this client talks to.
    pub fn target(&self) -> &ArmTarget {
        &self.shared.target
    }

    /// The subscription id.
    pub fn subscription_id(&self) -> &str {
        &self.shared.target.subscription_id
    }

    /// The retry policy in use.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    /// The poll policy in use.
    pub fn poll_policy(&self) -> &PollPolicy {
        &self.poll
    }

    /// The progress sink in use.
    pub fn progress(&self) -> &Progress {
        &self.progress
    }

    pub(crate) fn compute(&self) -> &azure_mgmt_compute::package_2024_07_01::Client {
        &self.shared.compute
    }

    pub(crate) fn network(&self) -> &azure_mgmt_network::package_2024_03::Client {
        &self.shared.network
    }

    /// The cached size limits of a region, if it was read already.
    pub(crate) fn cached_size_limits(
        &self,
        location: &str,
    ) -> Option<std::collections::HashMap<String, u32>> {
        let cache = self.shared.size_limits.lock().ok()?;
        cache.get(&location.to_ascii_lowercase()).cloned()
    }

    /// Remembers the size limits of a region for every later refresh.
    pub(crate) fn cache_size_limits(
        &self,
        location: &str,
        limits: std::collections::HashMap<String, u32>,
    ) {
        if let Ok(mut cache) = self.shared.size_limits.lock() {
            cache.insert(location.to_ascii_lowercase(), limits);
        }
    }

    /// `{endpoint}{path}?api-version=…` for a path starting with `/subscriptions/`.
    pub(crate) fn url(&self, path: &str, api_version: &str) -> Url {
        let mut url = self.shared.target.endpoint.clone();
        url.set_path(path);
        url.query_pairs_mut()
            .append_pair("api-version", api_version);
        url
    }

    /// One authenticated GET of an absolute URL (status and result URLs), through the same
    /// pipeline as the SDK calls. Non-success statuses come back as [`ArmError::Http`].
    pub(crate) async fn get_raw(&self, url: &Url) -> Result<RawResponse, ArmError> {
        let mut req = self.authorized(url, azure_core::Method::Get).await?;
        let resp = self
            .send_request(&mut req)
            .await
            .map_err(|e| ArmError::from_azure(&e, "GET", url.as_str()))?;
        RawResponse::collect(resp, "GET", url.as_str()).await
    }

    /// A request to `url` carrying the bearer token.
    async fn authorized(
        &self,
        url: &Url,
        method: azure_core::Method,
    ) -> Result<azure_core::Request, ArmError> {
        let scopes: Vec<&str> = self
            .shared
            .target
            .scopes
            .iter()
            .map(String::as_str)
            .collect();
        let token = self
            .shared
            .credential
            .get_token(&scopes)
            .await
            .map_err(|e| ArmError::from_azure(&e, method.as_ref(), url.as_str()))?;
        let mut req = azure_core::Request::new(url.clone(), method);
        req.insert_header(
            azure_core::headers::AUTHORIZATION,
            format!("Bearer {}", token.token.secret()),
        );
        Ok(req)
    }

    /// Sends a built request through the shared pipeline (capture policy included).
    async fn send_request(
        &self,
        req: &mut azure_core::Request,
    ) -> azure_core::Result<azure_core::Response> {
        let ctx = azure_core::Context::new();
        self.shared.pipeline.send(&ctx, req).await
    }
}

/// A client that can write; its reads go through [`ArmClient::reader`].
#[derive(Clone, Debug)]
pub struct ArmClient {
    reader: ReadClient,
    gate: WriteGate,
}

/// What a write asks right before it is sent: `Some(reason)` when it must not go (the role
/// lock's lease is no longer certainly held). Checked per request, not per step, because a step
/// can run for minutes and a lease can be lost in the middle of it.
#[derive(Clone, Default)]
pub struct WriteGate(Option<Arc<GateCheck>>);

/// The check behind a [`WriteGate`]: a future giving the reason it is closed, if it is.
type GateCheck = dyn Fn() -> futures::future::BoxFuture<'static, Option<String>> + Send + Sync;

impl WriteGate {
    /// A gate that closes when the future `closed` makes gives a reason.
    pub fn new(
        closed: impl Fn() -> futures::future::BoxFuture<'static, Option<String>> + Send + Sync + 'static,
    ) -> WriteGate {
        WriteGate(Some(Arc::new(closed)))
    }

    /// Why no write may be sent now, `None` when it may.
    pub async fn closed(&self) -> Option<String> {
        match &self.0 {
            Some(f) => f().await,
            None => None,
        }
    }
}

impl std::fmt::Debug for WriteGate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "WriteGate(set)"
        } else {
            "WriteGate(open)"
        })
    }
}

impl ArmClient {
    /// A read-write client for `target` using `credential`.
    pub fn new(target: ArmTarget, credential: Arc<dyn TokenCredential>) -> Result<Self, ArmError> {
        Ok(ArmClient {
            reader: ReadClient::new(target, credential)?,
            gate: WriteGate::default(),
        })
    }

    /// The read side of this client (same target, credential, policies and progress).
    pub fn reader(&self) -> &ReadClient {
        &self.reader
    }

    /// One PUT of a raw JSON body through the shared pipeline, for read-modify-writes that
    /// must send back every property exactly as read (no typed model in between). Same
    /// contract as a builder's `.send()`: the caller follows the operation with baton's poller.
    pub(crate) async fn put_json(
        &self,
        url: &Url,
        body: &serde_json::Value,
    ) -> azure_core::Result<azure_core::Response> {
        let mut req = self
            .reader
            .authorized(url, azure_core::Method::Put)
            .await
            .map_err(|e| azure_core::Error::new(azure_core::error::ErrorKind::Credential, e))?;
        let bytes = serde_json::to_vec(body)
            .map_err(|e| azure_core::Error::new(azure_core::error::ErrorKind::DataConversion, e))?;
        req.insert_header(azure_core::headers::CONTENT_TYPE, "application/json");
        req.set_body(bytes);
        self.reader.send_request(&mut req).await
    }

    /// The same client with another retry policy.
    pub fn with_retry(self, retry: RetryPolicy) -> Self {
        ArmClient {
            reader: self.reader.with_retry(retry),
            gate: self.gate,
        }
    }

    /// The same client with another poll policy.
    pub fn with_poll(self, poll: PollPolicy) -> Self {
        ArmClient {
            reader: self.reader.with_poll(poll),
            gate: self.gate,
        }
    }

    /// The same client sending no write while `gate` is closed: such a write fails with
    /// [`ArmError::LeaseLost`] before it leaves (never retried).
    pub fn with_write_gate(self, gate: WriteGate) -> Self {
        ArmClient { gate, ..self }
    }

    /// Why a write may not be sent now.
    pub(crate) async fn write_gate_closed(&self) -> Option<String> {
        self.gate.closed().await
    }

    /// The same client reporting to `progress`.
    pub fn with_progress(self, progress: Progress) -> Self {
        ArmClient {
            reader: self.reader.with_progress(progress),
            gate: self.gate,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes() {
        let u = |s: &str| Url::parse(s).unwrap();
        assert_eq!(
            ArmTarget::default_scopes(&u("https://management.azure.com/")),
            vec!["https://management.azure.com/.default"]
        );
        assert_eq!(
            ArmTarget::default_scopes(&u("https://Management.Azure.com")),
            vec!["https://management.azure.com/.default"]
        );
        assert_eq!(
            ArmTarget::default_scopes(&u("http://127.0.0.1:4567/")),
            vec!["http://127.0.0.1:4567/.default"]
        );
        let t = ArmTarget::azure_public("sub").unwrap();
        assert_eq!(t.scopes, vec!["https://management.azure.com/.default"]);
    }
}
