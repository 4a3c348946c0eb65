//! A dedicated prober for plain `http://` heartbeats: one kept-alive HTTP/1.1 connection per
//! probe, a request built once as bytes, and a reader that takes only the status and the body
//! framing from the answer. At fleet scale this costs a fraction of a general HTTP client's
//! per-request layers (pool checkout, URL and header maps, boxed futures).
//!
//! It owns its connection and the exchange on it; it must not classify results beyond "2xx
//! is up" and must not handle TLS, proxies or redirects (the engine sends those targets to
//! `reqwest`, see [`HttpProbe::new`]). Semantics match [`crate::probe::check_http`]: healthy on
//! a 2xx head within the timeout, latency measured to the head, `HTTP <code>` otherwise,
//! `timeout after <n>ms`, `connection refused`.

mod wire;

use crate::core::model::ProbeStatus;
use std::time::{Duration, Instant};
use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use wire::{Head, WireError};

/// Read buffer per connection: a health answer's head and body fit many times over.
const READ_BUFFER: usize = 1024;

/// One probe's HTTP/1.1 client: sends `GET` to one URL over its own kept-alive connection.
///
/// The connection is opened on first use and kept while the server keeps it; it is dropped on
/// any error, timeout, `Connection: close` or body read to end of stream, and reopened by the
/// next check. A kept connection the server closed meanwhile is detected when the request gets
/// no answer at all, and the request is retried once on a fresh connection (GET is
/// idempotent), within the same timeout.
#[derive(Debug)]
pub struct HttpProbe {
    host: String,
    port: u16,
    request: Box<[u8]>,
    conn: Option<BufReader<TcpStream>>,
    line: Vec<u8>,
}

/// Why an exchange produced no usable head.
#[derive(Debug, thiserror::Error)]
enum Failure {
    /// The connection could not be opened.
    #[error("{0}")]
    Connect(String),
    /// No byte of an answer came back: on a kept connection, the server closed it while idle.
    #[error("{0}")]
    Stale(WireError),
    /// The answer was broken after it started.
    #[error("{0}")]
    Broken(WireError),
}

impl HttpProbe {
    /// A prober for `url` when it is plain `http://` with a host and no user info; `None` for
    /// anything else (`https://`, credentials), which needs the general client.
    pub fn new(url: &url::Url) -> Option<Self> {
        if url.scheme() != "http" || !url.username().is_empty() || url.password().is_some() {
            return None;
        }
        let host = match url.host()? {
            url::Host::Domain(d) => d.to_string(),
            url::Host::Ipv4(a) => a.to_string(),
            url::Host::Ipv6(a) => a.to_string(),
        };
        let port = url.port_or_known_default()?;
        let authority = match url.port() {
            Some(p) => format!("{}:{p}", url.host_str()?),
            None => url.host_str()?.to_string(),
        };
        let target = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        };
        let request = format!("GET {target} HTTP/1.1\r\nhost: {authority}\r\naccept: */*\r\n\r\n");
        Some(HttpProbe {
            host,
            port,
            request: request.into_bytes().into_boxed_slice(),
            conn: None,
            line: Vec::new(),
        })
    }

    /// GETs the URL; healthy on any 2xx head within `timeout`, which bounds connecting,
    /// sending, the head and draining the body (so the connection can be reused).
    pub async fn check(&mut self, timeout: Duration) -> ProbeStatus {
        let started = Instant::now();
        let mut head = None;
        let exchange = tokio::time::timeout(timeout, self.exchange(started, &mut head)).await;
        match (head, exchange) {
            (Some((status, latency_ms)), _) => verdict(status, latency_ms),
            (None, Err(_)) => super::once::timed_out(timeout),
            (None, Ok(Err(failure))) => ProbeStatus::Down {
                reason: failure.to_string(),
            },
            (None, Ok(Ok(()))) => ProbeStatus::Down {
                reason: "no response".to_string(),
            },
        }
    }

    /// Whether a connection is kept for the next check.
    pub fn is_connected(&self) -> bool {
        self.conn.is_some()
    }

    /// One request and its answer. The connection is out of `self` while in use, so a timeout
    /// (which drops this future) or an error drops it; it goes back only after a complete,
    /// persistent answer with nothing unread behind it. `head` gets (status, latency) as soon
    /// as the head is read, so a body that fails later does not change the verdict.
    async fn exchange(
        &mut self,
        started: Instant,
        head: &mut Option<(u16, u64)>,
    ) -> Result<(), Failure> {
        let (mut conn, answer) = match self.conn.take() {
            Some(mut kept) => match round_trip(&mut kept, &self.request, &mut self.line).await {
                Err(Failure::Stale(_)) => self.fresh_round_trip().await?,
                answer => (kept, answer),
            },
            None => self.fresh_round_trip().await?,
        };
        let answer = answer?;
        *head = Some((answer.status, super::once::elapsed_ms(started)));
        let drained = wire::drain_body(&mut conn, &answer, &mut self.line).await;
        if drained.is_ok() && answer.keep_alive && conn.buffer().is_empty() {
            self.conn = Some(conn);
        }
        Ok(())
    }

    /// Opens a connection and sends the request on it.
    async fn fresh_round_trip(
        &mut self,
    ) -> Result<(BufReader<TcpStream>, Result<Head, Failure>), Failure> {
        let mut conn = connect(&self.host, self.port).await?;
        let answer = round_trip(&mut conn, &self.request, &mut self.line).await;
        Ok((conn, answer))
    }
}

/// `Up` with the latency for 2xx, `HTTP <code>` otherwise (no redirect is followed).
fn verdict(status: u16, latency_ms: u64) -> ProbeStatus {
    if (200..300).contains(&status) {
        ProbeStatus::Up { latency_ms }
    } else {
        ProbeStatus::Down {
            reason: format!("HTTP {status}"),
        }
    }
}

async fn connect(host: &str, port: u16) -> Result<BufReader<TcpStream>, Failure> {
    let stream = TcpStream::connect((host, port)).await.map_err(|e| {
        Failure::Connect(if e.kind() == std::io::ErrorKind::ConnectionRefused {
            "connection refused".to_string()
        } else {
            format!("cannot connect: {e}")
        })
    })?;
    // One write per request: Nagle would only delay it behind the previous answer's ACK.
    stream
        .set_nodelay(true)
        .map_err(|e| Failure::Connect(format!("cannot connect: {e}")))?;
    Ok(BufReader::with_capacity(READ_BUFFER, stream))
}

/// Writes the request and reads the answer's head. A failure before any byte of the answer is
/// [`Failure::Stale`] (worth one retry on a kept connection), any later one [`Failure::Broken`].
async fn round_trip(
    conn: &mut BufReader<TcpStream>,
    request: &[u8],
    line: &mut Vec<u8>,
) -> Result<Head, Failure> {
    conn.get_mut()
        .write_all(request)
        .await
        .map_err(|e| Failure::Stale(WireError::Io(e)))?;
    wire::read_head(conn, line).await.map_err(|e| match e {
        WireError::Eof | WireError::Io(_) => Failure::Stale(e),
        other => Failure::Broken(other),
    })
}
