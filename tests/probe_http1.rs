//! The engine's own HTTP/1.1 prober (`HttpProbe`) against raw local servers: connection reuse,
//! reconnecting after the server closes, `Connection: close`, chunked bodies, non-2xx, a
//! timeout in the middle of an answer, garbage, refused ports, and which URLs it takes.

use baton::core::model::ProbeStatus;
use baton::probe::HttpProbe;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

const T: Duration = Duration::from_secs(5);

/// What the test server does with each request on a connection.
#[derive(Clone, Copy)]
enum Behaviour {
    /// Answer every request with these bytes and keep the connection.
    Answer(&'static str),
    /// Answer every request, then close the connection.
    AnswerThenClose(&'static str),
    /// Send these bytes, then hold the connection open without finishing.
    Stall(&'static str),
}

/// A server on 127.0.0.1:0 counting accepted connections and requests.
struct Server {
    port: u16,
    accepted: Arc<AtomicUsize>,
    requests: Arc<AtomicUsize>,
}

impl Server {
    async fn start(behaviour: Behaviour) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(AtomicUsize::new(0));
        let (a, r) = (Arc::clone(&accepted), Arc::clone(&requests));
        tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                a.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(serve(sock, behaviour, Arc::clone(&r)));
            }
        });
        Server {
            port,
            accepted,
            requests,
        }
    }

    fn probe(&self, path: &str) -> HttpProbe {
        let url = format!("http://127.0.0.1:{}{path}", self.port);
        HttpProbe::new(&url.parse().expect("url")).expect("plain http")
    }

    fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

/// Reads request heads (up to the empty line) and applies `behaviour` to each.
async fn serve(sock: tokio::net::TcpStream, behaviour: Behaviour, requests: Arc<AtomicUsize>) {
    let mut io = BufReader::new(sock);
    let mut line = String::new();
    loop {
        loop {
            line.clear();
            match io.read_line(&mut line).await {
                Ok(0) | Err(_) => return,
                Ok(_) if line == "\r\n" => break,
                Ok(_) => {}
            }
        }
        requests.fetch_add(1, Ordering::SeqCst);
        match behaviour {
            Behaviour::Answer(a) => {
                if io.get_mut().write_all(a.as_bytes()).await.is_err() {
                    return;
                }
            }
            Behaviour::AnswerThenClose(a) => {
                let _ = io.get_mut().write_all(a.as_bytes()).await;
                return;
            }
            Behaviour::Stall(a) => {
                let _ = io.get_mut().write_all(a.as_bytes()).await;
                tokio::time::sleep(Duration::from_secs(30)).await;
                return;
            }
        }
    }
}

const OK: &str = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";

fn is_up(s: &ProbeStatus) -> bool {
    matches!(s, ProbeStatus::Up { .. })
}

fn down(reason: &str) -> ProbeStatus {
    ProbeStatus::Down {
        reason: reason.into(),
    }
}

#[tokio::test]
async fn ten_checks_share_one_kept_alive_connection() {
    let server = Server::start(Behaviour::Answer(OK)).await;
    let mut probe = server.probe("/_vm/a/ping");
    for _ in 0..10 {
        let s = probe.check(T).await;
        assert!(is_up(&s), "{s:?}");
        assert!(probe.is_connected());
    }
    assert_eq!(server.requests(), 10);
    assert_eq!(server.accepted(), 1);
}

#[tokio::test]
async fn server_closing_each_connection_means_a_reconnect_per_check() {
    let server = Server::start(Behaviour::AnswerThenClose(OK)).await;
    let mut probe = server.probe("/");
    for _ in 0..5 {
        let s = probe.check(T).await;
        assert!(is_up(&s), "{s:?}");
    }
    // The server's silent close is noticed on the next request, which is retried once on a
    // fresh connection: every check still succeeds, each on its own connection.
    assert_eq!(server.requests(), 5);
    assert_eq!(server.accepted(), 5);
}

#[tokio::test]
async fn connection_close_answer_is_not_reused() {
    let server = Server::start(Behaviour::Answer(
        "HTTP/1.1 200 OK\r\nConnection: close\r\ncontent-length: 2\r\n\r\nok",
    ))
    .await;
    let mut probe = server.probe("/");
    for _ in 0..3 {
        let s = probe.check(T).await;
        assert!(is_up(&s), "{s:?}");
        assert!(!probe.is_connected());
    }
    assert_eq!(server.accepted(), 3);
}

#[tokio::test]
async fn chunked_body_is_drained_and_the_connection_reused() {
    let server = Server::start(Behaviour::Answer(
        "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n4\r\nwiki\r\n5\r\npedia\r\n0\r\n\r\n",
    ))
    .await;
    let mut probe = server.probe("/health?deep=1");
    for _ in 0..4 {
        let s = probe.check(T).await;
        assert!(is_up(&s), "{s:?}");
    }
    assert_eq!(server.accepted(), 1);
}

#[tokio::test]
async fn non_2xx_is_down_with_its_code_and_keeps_the_connection() {
    let server = Server::start(Behaviour::Answer(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 4\r\n\r\nbusy",
    ))
    .await;
    let mut probe = server.probe("/");
    assert_eq!(probe.check(T).await, down("HTTP 503"));
    assert_eq!(probe.check(T).await, down("HTTP 503"));
    assert_eq!(server.accepted(), 1);
    let redirect = Server::start(Behaviour::Answer(
        "HTTP/1.1 302 Found\r\nlocation: /x\r\ncontent-length: 0\r\n\r\n",
    ))
    .await;
    assert_eq!(redirect.probe("/").check(T).await, down("HTTP 302"));
}

#[tokio::test]
async fn stall_mid_response_is_a_timeout_and_drops_the_connection() {
    let server = Server::start(Behaviour::Stall("HTTP/1.1 20")).await;
    let mut probe = server.probe("/");
    assert_eq!(
        probe.check(Duration::from_millis(100)).await,
        down("timeout after 100ms")
    );
    assert!(!probe.is_connected());
    assert_eq!(
        probe.check(Duration::from_millis(100)).await,
        down("timeout after 100ms")
    );
    assert_eq!(server.accepted(), 2);
}

#[tokio::test]
async fn stall_in_the_body_keeps_the_verdict_of_the_head() {
    // Like the general client, the verdict is the head's; the unfinished body only costs the
    // connection.
    let server = Server::start(Behaviour::Stall(
        "HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\npartial",
    ))
    .await;
    let mut probe = server.probe("/");
    let s = probe.check(Duration::from_millis(100)).await;
    assert!(is_up(&s), "{s:?}");
    assert!(!probe.is_connected());
}

#[tokio::test]
async fn garbage_is_down_with_a_clear_reason() {
    let server = Server::start(Behaviour::AnswerThenClose("SSH-2.0-OpenSSH_9.6\r\n")).await;
    let mut probe = server.probe("/");
    assert_eq!(
        probe.check(T).await,
        down("bad HTTP response: not an HTTP/1.x status line")
    );
    assert!(!probe.is_connected());
    let truncated =
        Server::start(Behaviour::AnswerThenClose("HTTP/1.1 200 OK\r\ncontent-le")).await;
    assert_eq!(
        truncated.probe("/").check(T).await,
        down("connection closed mid-response")
    );
    let silent = Server::start(Behaviour::AnswerThenClose("")).await;
    assert_eq!(
        silent.probe("/").check(T).await,
        down("connection closed before the response")
    );
}

#[tokio::test]
async fn refused_port_is_down() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    let url = format!("http://127.0.0.1:{port}/").parse().expect("url");
    let mut probe = HttpProbe::new(&url).expect("plain http");
    assert_eq!(probe.check(T).await, down("connection refused"));
}

#[test]
fn only_plain_http_without_credentials_is_taken() {
    let take = |u: &str| HttpProbe::new(&u.parse().expect("url")).is_some();
    assert!(take("http://10.0.0.4/ping"));
    assert!(take("http://[::1]:8080/ping"));
    assert!(take("http://vm-a.internal:8080/health?x=1"));
    assert!(!take("https://10.0.0.4/ping"));
    assert!(!take("http://user:pw@10.0.0.4/ping"));
}
