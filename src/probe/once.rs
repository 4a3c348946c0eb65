//! Single-shot HTTP and TCP probes with a hard timeout.

use crate::config::ProbeTarget;
use crate::core::model::ProbeStatus;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;

/// Idle connections kept per host by [`http_client`]: enough for a VM's two heartbeats.
pub const IDLE_PER_HOST: usize = 4;

/// A reqwest client suited to probing: no redirects, no proxy, connections kept for reuse
/// ([`IDLE_PER_HOST`] idle connections per host).
pub fn http_client() -> reqwest::Client {
    http_client_with_idle(IDLE_PER_HOST)
}

/// Like [`http_client`], keeping up to `idle_per_host` idle connections per host. A pool
/// smaller than the number of probes that share a host makes most probes of that host open a
/// new TCP connection every interval (the probe engine sizes it from its specs).
pub fn http_client_with_idle(idle_per_host: usize) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .pool_max_idle_per_host(idle_per_host.max(1))
        .build()
        .unwrap_or_else(|_| reqwest::Client::new())
}

/// Checks one target within `timeout`.
pub async fn check(
    client: &reqwest::Client,
    target: &ProbeTarget,
    timeout: Duration,
) -> ProbeStatus {
    match target {
        ProbeTarget::Http(url) => check_http_url(client, url, timeout).await,
        ProbeTarget::Tcp { host, port } => check_tcp(host, *port, timeout).await,
    }
}

/// GETs `url`; healthy on any 2xx answer within `timeout`.
pub async fn check_http(client: &reqwest::Client, url: &str, timeout: Duration) -> ProbeStatus {
    get_within(client.get(url), timeout).await
}

/// Like [`check_http`] for an already parsed URL, sparing a parse per probe (the engine's path).
pub async fn check_http_url(
    client: &reqwest::Client,
    url: &url::Url,
    timeout: Duration,
) -> ProbeStatus {
    get_within(client.get(url.clone()), timeout).await
}

/// Sends `request`; one Tokio timer bounds the whole exchange up to the response head.
async fn get_within(request: reqwest::RequestBuilder, timeout: Duration) -> ProbeStatus {
    let started = Instant::now();
    match tokio::time::timeout(timeout, request.send()).await {
        Err(_) => timed_out(timeout),
        Ok(Err(e)) if e.is_timeout() => timed_out(timeout),
        Ok(Err(e)) => ProbeStatus::Down {
            reason: connect_reason(&e),
        },
        Ok(Ok(rsp)) if rsp.status().is_success() => ProbeStatus::Up {
            latency_ms: elapsed_ms(started),
        },
        Ok(Ok(rsp)) => ProbeStatus::Down {
            reason: format!("HTTP {}", rsp.status().as_u16()),
        },
    }
}

/// Opens a TCP connection to `host:port`; healthy when it opens within `timeout`.
pub async fn check_tcp(host: &str, port: u16, timeout: Duration) -> ProbeStatus {
    let started = Instant::now();
    match tokio::time::timeout(timeout, TcpStream::connect((host, port))).await {
        Err(_) => timed_out(timeout),
        Ok(Err(e)) => ProbeStatus::Down {
            reason: e.kind().to_string(),
        },
        Ok(Ok(_)) => ProbeStatus::Up {
            latency_ms: elapsed_ms(started),
        },
    }
}

pub(super) fn timed_out(timeout: Duration) -> ProbeStatus {
    ProbeStatus::Down {
        reason: format!("timeout after {}ms", timeout.as_millis()),
    }
}

pub(super) fn elapsed_ms(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// The innermost cause in a few words ("connection refused"), not reqwest's long chain.
fn connect_reason(e: &reqwest::Error) -> String {
    let mut source: Option<&dyn std::error::Error> = Some(e);
    let mut last = e.to_string();
    while let Some(s) = source {
        last = s.to_string();
        source = s.source();
    }
    let lower = last.to_ascii_lowercase();
    if lower.contains("refused") {
        "connection refused".to_string()
    } else if e.is_connect() {
        format!("cannot connect: {last}")
    } else {
        last
    }
}
