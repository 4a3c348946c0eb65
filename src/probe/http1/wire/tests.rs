use super::*;

async fn head(bytes: &[u8]) -> Result<Head, WireError> {
    let mut io = bytes;
    read_head(&mut io, &mut Vec::new()).await
}

/// Reads a head and drains its body; returns the head and what was left unread.
async fn whole(bytes: &[u8]) -> Result<(Head, Vec<u8>), WireError> {
    let mut io = bytes;
    let mut line = Vec::new();
    let h = read_head(&mut io, &mut line).await?;
    drain_body(&mut io, &h, &mut line).await?;
    Ok((h, io.to_vec()))
}

#[tokio::test]
async fn status_length_and_persistence() {
    let h = head(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        .await
        .expect("head");
    assert_eq!(
        h,
        Head {
            status: 200,
            framing: Framing::Length(2),
            keep_alive: true
        }
    );
    let h = head(b"HTTP/1.1 503 Unavailable\r\nconnection: Close\r\ncontent-length: 0\r\n\r\n")
        .await
        .expect("head");
    assert_eq!(
        (h.status, h.framing, h.keep_alive),
        (503, Framing::Empty, false)
    );
    let h = head(b"HTTP/1.0 200 OK\r\ncontent-length: 2\r\n\r\nok")
        .await
        .expect("head");
    assert!(!h.keep_alive);
    let h = head(b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\ncontent-length: 2\r\n\r\n")
        .await
        .expect("head");
    assert!(h.keep_alive);
    let h = head(b"HTTP/1.1 204\n\n")
        .await
        .expect("bare newlines, no reason");
    assert_eq!(
        (h.status, h.framing, h.keep_alive),
        (204, Framing::Empty, true)
    );
}

#[tokio::test]
async fn body_without_length_runs_to_close() {
    let (h, rest) = whole(b"HTTP/1.1 200 OK\r\n\r\nall of it")
        .await
        .expect("whole");
    assert_eq!((h.framing, h.keep_alive), (Framing::UntilClose, false));
    assert!(rest.is_empty());
}

#[tokio::test]
async fn chunked_body_is_drained_with_trailers() {
    let raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
        5;ext=1\r\nhello\r\nA\r\n0123456789\r\n0\r\nx-trailer: 1\r\n\r\nNEXT";
    let (h, rest) = whole(raw).await.expect("whole");
    assert_eq!((h.framing, h.keep_alive), (Framing::Chunked, true));
    assert_eq!(rest, b"NEXT");
}

#[tokio::test]
async fn interim_answers_are_skipped() {
    let raw = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\ncontent-length: 1\r\n\r\nx";
    let (h, rest) = whole(raw).await.expect("whole");
    assert_eq!(h.status, 201);
    assert!(rest.is_empty());
}

#[tokio::test]
async fn garbage_and_truncation_are_errors() {
    assert!(matches!(head(b"").await, Err(WireError::Eof)));
    assert!(matches!(
        head(b"HTTP/1.1 200 OK\r\nconte").await,
        Err(WireError::Truncated)
    ));
    for bad in [
        &b"SSH-2.0-OpenSSH_9.6\r\n\r\n"[..],
        b"HTTP/2 200\r\n\r\n",
        b"HTTP/1.1 20 OK\r\n\r\n",
        b"HTTP/1.1 2000 OK\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
        b"HTTP/1.1 200 OK\r\ncontent-length: two\r\n\r\n",
        b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-length: 3\r\n\r\n",
    ] {
        let got = head(bad).await;
        assert!(
            matches!(got, Err(WireError::Malformed(_))),
            "{bad:?}: {got:?}"
        );
    }
    let short = whole(b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc").await;
    assert!(matches!(short, Err(WireError::Truncated)), "{short:?}");
    let bad_chunk = whole(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n").await;
    assert!(
        matches!(bad_chunk, Err(WireError::Malformed(_))),
        "{bad_chunk:?}"
    );
    let long =
        whole(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n").await;
    assert!(matches!(long, Err(WireError::Malformed(_))), "{long:?}");
}

#[tokio::test]
async fn endless_line_is_refused() {
    let mut raw = b"HTTP/1.1 200 OK\r\nx: ".to_vec();
    raw.extend(std::iter::repeat(b'a').take(MAX_LINE + 1));
    assert!(matches!(
        head(&raw).await,
        Err(WireError::Malformed("line too long"))
    ));
}
