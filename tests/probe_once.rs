//! Single-shot probes against real local sockets: 2xx, 503, a server that never answers,
//! a refused port, and TCP open/refused.

use baton::core::model::ProbeStatus;
use baton::probe::{check_http, check_tcp, http_client};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Serves every connection with one fixed raw HTTP answer, or holds it open when `None`.
async fn server(answer: Option<&'static str>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 1024];
                let _ = sock.read(&mut buf).await;
                match answer {
                    Some(a) => {
                        let _ = sock.write_all(a.as_bytes()).await;
                    }
                    None => tokio::time::sleep(Duration::from_secs(30)).await,
                }
            });
        }
    });
    port
}

async fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    l.local_addr().expect("addr").port()
}

const OK: &str = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok";
const UNAVAILABLE: &str =
    "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";

#[tokio::test]
async fn http_2xx_is_up_and_503_is_down() {
    let client = http_client();
    let t = Duration::from_secs(2);
    let up = check_http(
        &client,
        &format!("http://127.0.0.1:{}/", server(Some(OK)).await),
        t,
    )
    .await;
    assert!(matches!(up, ProbeStatus::Up { .. }), "{up:?}");
    let url = format!("http://127.0.0.1:{}/", server(Some(UNAVAILABLE)).await);
    assert_eq!(
        check_http(&client, &url, t).await,
        ProbeStatus::Down {
            reason: "HTTP 503".into()
        }
    );
}

#[tokio::test]
async fn http_silence_is_a_timeout_and_closed_port_is_refused() {
    let client = http_client();
    let url = format!("http://127.0.0.1:{}/", server(None).await);
    assert_eq!(
        check_http(&client, &url, Duration::from_millis(150)).await,
        ProbeStatus::Down {
            reason: "timeout after 150ms".into()
        }
    );
    let url = format!("http://127.0.0.1:{}/", free_port().await);
    assert_eq!(
        check_http(&client, &url, Duration::from_secs(2)).await,
        ProbeStatus::Down {
            reason: "connection refused".into()
        }
    );
}

#[tokio::test]
async fn tcp_open_is_up_and_closed_is_down() {
    let port = server(Some(OK)).await;
    let up = check_tcp("127.0.0.1", port, Duration::from_secs(2)).await;
    assert!(up.is_up(), "{up:?}");
    let down = check_tcp("127.0.0.1", free_port().await, Duration::from_secs(2)).await;
    assert_eq!(
        down,
        ProbeStatus::Down {
            reason: "connection refused".into()
        }
    );
}
