//! The HTTP side of the clients: the pipeline options every client shares (azure_core's retry
//! off, the capture policy before the transport, a reqwest transport with timeouts) and
//! [`RawResponse`], a collected answer for the poller. It must not interpret bodies.

use crate::azure::capture::{self, CapturePolicy};
use crate::azure::error::ArmError;
use azure_core::headers::{HeaderName, Headers};
use azure_core::{ClientOptions, RetryOptions, TransportOptions};
use std::sync::Arc;
use std::time::Duration;

/// A raw answer with its body collected (for polling and final results).
#[derive(Debug, Clone)]
pub(crate) struct RawResponse {
    /// HTTP status.
    pub status: u16,
    /// Response headers.
    pub headers: Headers,
    /// The whole body.
    pub body: Vec<u8>,
}

impl RawResponse {
    /// Collects a successful azure_core response.
    pub(crate) async fn collect(
        resp: azure_core::Response,
        method: &str,
        url: &str,
    ) -> Result<Self, ArmError> {
        let (status, headers, body) = resp.deconstruct();
        let body = body
            .collect()
            .await
            .map_err(|e| ArmError::from_azure(&e, method, url))?;
        Ok(RawResponse {
            status: u16::from(status),
            headers,
            body: body.to_vec(),
        })
    }

    /// A header's value.
    pub(crate) fn header(&self, name: &'static str) -> Option<&str> {
        self.headers
            .get_optional_str(&HeaderName::from_static(name))
    }

    /// `x-ms-request-id`.
    pub(crate) fn request_id(&self) -> Option<String> {
        capture::request_id(&self.headers)
    }
}

/// Pipeline options shared by every client: azure_core's retry off (baton decides), the capture
/// policy right before the transport, and a reqwest client with timeouts and no idle pooling.
pub(crate) fn client_options() -> Result<ClientOptions, ArmError> {
    // No idle pooling, like azure_core's own default client: a connection the server closed
    // while idle would otherwise surface as a spurious dropped-connection error.
    let http = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(100))
        .pool_max_idle_per_host(0)
        .build()
        .map_err(|e| ArmError::Sdk(format!("cannot build HTTP client: {e}")))?;
    let mut options =
        ClientOptions::new(TransportOptions::new(Arc::new(http))).retry(RetryOptions::none());
    options
        .per_retry_policies_mut()
        .push(Arc::new(CapturePolicy));
    Ok(options)
}
