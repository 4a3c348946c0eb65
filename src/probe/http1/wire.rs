//! HTTP/1.x response reading for [`super::HttpProbe`]: the status line, the few headers that
//! frame the body, and draining that body so the connection can carry the next probe.
//!
//! It owns byte-level parsing only; it must not decide health, keep time or open connections.

use tokio::io::{AsyncBufRead, AsyncBufReadExt};

/// Longest status or header line accepted; a health answer is a few hundred bytes.
const MAX_LINE: usize = 8 * 1024;
/// Most header lines accepted in one response head.
const MAX_HEADERS: usize = 128;

/// Why a response could not be read.
#[derive(Debug, thiserror::Error)]
pub(super) enum WireError {
    /// The peer closed the connection before sending any byte of a response.
    #[error("connection closed before the response")]
    Eof,
    /// The peer closed the connection in the middle of a response.
    #[error("connection closed mid-response")]
    Truncated,
    /// The bytes are not an HTTP/1.x response.
    #[error("bad HTTP response: {0}")]
    Malformed(&'static str),
    /// The socket failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// How the body after a head is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Framing {
    /// No body (1xx, 204, 304, `Content-Length: 0`).
    Empty,
    /// Exactly this many bytes.
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// Everything until the peer closes the connection.
    UntilClose,
}

/// What the probe needs from a response head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Head {
    /// The status code (100–999).
    pub(super) status: u16,
    /// How the body is delimited.
    pub(super) framing: Framing,
    /// Whether the connection may carry another request after this response.
    pub(super) keep_alive: bool,
}

/// Reads one line into `line` without its `\r\n` (or bare `\n`). A clean end of stream before
/// any byte is [`WireError::Eof`], in the middle of a line [`WireError::Truncated`].
async fn read_line<R: AsyncBufRead + Unpin>(
    io: &mut R,
    line: &mut Vec<u8>,
) -> Result<(), WireError> {
    line.clear();
    loop {
        let buf = io.fill_buf().await?;
        if buf.is_empty() {
            return Err(if line.is_empty() {
                WireError::Eof
            } else {
                WireError::Truncated
            });
        }
        let newline = buf.iter().position(|b| *b == b'\n');
        let take = newline.map_or(buf.len(), |i| i + 1);
        if line.len() + take > MAX_LINE {
            return Err(WireError::Malformed("line too long"));
        }
        line.extend_from_slice(&buf[..take]);
        io.consume(take);
        if newline.is_some() {
            line.pop();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            return Ok(());
        }
    }
}

/// Like [`read_line`] inside a response, where any end of stream is a truncation.
async fn read_inner_line<R: AsyncBufRead + Unpin>(
    io: &mut R,
    line: &mut Vec<u8>,
) -> Result<(), WireError> {
    match read_line(io, line).await {
        Err(WireError::Eof) => Err(WireError::Truncated),
        other => other,
    }
}

/// `HTTP/1.x SSS reason` → (minor version, status).
fn parse_status_line(line: &[u8]) -> Result<(u8, u16), WireError> {
    let rest = line
        .strip_prefix(b"HTTP/1.")
        .ok_or(WireError::Malformed("not an HTTP/1.x status line"))?;
    let (minor, rest) = match rest {
        [m @ b'0'..=b'9', b' ', rest @ ..] => (m - b'0', rest),
        _ => return Err(WireError::Malformed("bad HTTP version")),
    };
    let (digits, tail) = rest.split_at(rest.len().min(3));
    let status = match digits {
        [a @ b'1'..=b'9', b @ b'0'..=b'9', c @ b'0'..=b'9'] => {
            u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0')
        }
        _ => return Err(WireError::Malformed("bad status code")),
    };
    if !(tail.is_empty() || tail[0] == b' ') {
        return Err(WireError::Malformed("bad status code"));
    }
    Ok((minor, status))
}

/// Whether a comma-separated header value holds `token` (case-insensitive).
fn has_token(value: &[u8], token: &[u8]) -> bool {
    value
        .split(|b| *b == b',')
        .any(|t| t.trim_ascii().eq_ignore_ascii_case(token))
}

/// The framing headers of one head, as read.
#[derive(Debug, Default)]
struct Fields {
    length: Option<u64>,
    transfer_encoding: bool,
    chunked_last: bool,
    close: bool,
    keep_alive: bool,
}

impl Fields {
    fn add(&mut self, line: &[u8]) -> Result<(), WireError> {
        let colon = line
            .iter()
            .position(|b| *b == b':')
            .ok_or(WireError::Malformed("header without a colon"))?;
        let (name, value) = (&line[..colon], line[colon + 1..].trim_ascii());
        if name.eq_ignore_ascii_case(b"content-length") {
            let n = std::str::from_utf8(value)
                .ok()
                .and_then(|v| v.parse::<u64>().ok())
                .ok_or(WireError::Malformed("bad content-length"))?;
            if self.length.is_some_and(|m| m != n) {
                return Err(WireError::Malformed("conflicting content-length"));
            }
            self.length = Some(n);
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            self.transfer_encoding = true;
            let last = value.rsplit(|b| *b == b',').next().unwrap_or_default();
            self.chunked_last = last.trim_ascii().eq_ignore_ascii_case(b"chunked");
        } else if name.eq_ignore_ascii_case(b"connection") {
            self.close |= has_token(value, b"close");
            self.keep_alive |= has_token(value, b"keep-alive");
        }
        Ok(())
    }
}

/// Reads header lines up to the empty line that ends a head.
async fn read_fields<R: AsyncBufRead + Unpin>(
    io: &mut R,
    line: &mut Vec<u8>,
) -> Result<Fields, WireError> {
    let mut fields = Fields::default();
    for _ in 0..=MAX_HEADERS {
        read_inner_line(io, line).await?;
        if line.is_empty() {
            return Ok(fields);
        }
        fields.add(line)?;
    }
    Err(WireError::Malformed("too many headers"))
}

/// Reads a response head, skipping interim 1xx answers (except `101 Switching Protocols`).
/// [`WireError::Eof`] means the peer closed before the first byte (a stale kept-alive
/// connection); any later end of stream is [`WireError::Truncated`].
pub(super) async fn read_head<R: AsyncBufRead + Unpin>(
    io: &mut R,
    line: &mut Vec<u8>,
) -> Result<Head, WireError> {
    read_line(io, line).await?;
    loop {
        let (minor, status) = parse_status_line(line)?;
        let fields = read_fields(io, line).await?;
        if (100..200).contains(&status) && status != 101 {
            read_inner_line(io, line).await?;
            continue;
        }
        return Ok(head_of(minor, status, &fields));
    }
}

/// RFC 9112 §6.3, for a response to GET.
fn head_of(minor: u8, status: u16, fields: &Fields) -> Head {
    let persistent = if minor == 0 {
        fields.keep_alive && !fields.close
    } else {
        !fields.close
    };
    let framing = if status == 101 || status == 204 || status == 304 {
        Framing::Empty
    } else if fields.transfer_encoding {
        if fields.chunked_last {
            Framing::Chunked
        } else {
            Framing::UntilClose
        }
    } else {
        match fields.length {
            Some(0) => Framing::Empty,
            Some(n) => Framing::Length(n),
            None => Framing::UntilClose,
        }
    };
    Head {
        status,
        framing,
        keep_alive: persistent && status != 101 && framing != Framing::UntilClose,
    }
}

/// Discards exactly `n` bytes.
async fn skip<R: AsyncBufRead + Unpin>(io: &mut R, mut n: u64) -> Result<(), WireError> {
    while n > 0 {
        let buf = io.fill_buf().await?;
        if buf.is_empty() {
            return Err(WireError::Truncated);
        }
        let take = buf.len().min(usize::try_from(n).unwrap_or(usize::MAX));
        io.consume(take);
        n -= take as u64;
    }
    Ok(())
}

/// Discards everything until the peer closes.
async fn skip_to_end<R: AsyncBufRead + Unpin>(io: &mut R) -> Result<(), WireError> {
    loop {
        let len = io.fill_buf().await?.len();
        if len == 0 {
            return Ok(());
        }
        io.consume(len);
    }
}

/// The size of a chunk from its size line (`1a;ext=1`).
fn chunk_size(line: &[u8]) -> Result<u64, WireError> {
    let digits = line.split(|b| *b == b';').next().unwrap_or_default();
    let digits = std::str::from_utf8(digits.trim_ascii())
        .map_err(|_| WireError::Malformed("bad chunk size"))?;
    if digits.is_empty() {
        return Err(WireError::Malformed("bad chunk size"));
    }
    u64::from_str_radix(digits, 16).map_err(|_| WireError::Malformed("bad chunk size"))
}

/// Discards a chunked body, its last chunk and trailers included.
async fn skip_chunked<R: AsyncBufRead + Unpin>(
    io: &mut R,
    line: &mut Vec<u8>,
) -> Result<(), WireError> {
    loop {
        read_inner_line(io, line).await?;
        let size = chunk_size(line)?;
        if size == 0 {
            return skip_trailers(io, line).await;
        }
        skip(io, size).await?;
        read_inner_line(io, line).await?;
        if !line.is_empty() {
            return Err(WireError::Malformed("chunk longer than its size"));
        }
    }
}

async fn skip_trailers<R: AsyncBufRead + Unpin>(
    io: &mut R,
    line: &mut Vec<u8>,
) -> Result<(), WireError> {
    for _ in 0..=MAX_HEADERS {
        read_inner_line(io, line).await?;
        if line.is_empty() {
            return Ok(());
        }
    }
    Err(WireError::Malformed("too many trailers"))
}

/// Discards the body `head` announces, leaving the stream at the next response.
pub(super) async fn drain_body<R: AsyncBufRead + Unpin>(
    io: &mut R,
    head: &Head,
    line: &mut Vec<u8>,
) -> Result<(), WireError> {
    match head.framing {
        Framing::Empty => Ok(()),
        Framing::Length(n) => skip(io, n).await,
        Framing::Chunked => skip_chunked(io, line).await,
        Framing::UntilClose => skip_to_end(io).await,
    }
}

#[cfg(test)]
mod tests;
