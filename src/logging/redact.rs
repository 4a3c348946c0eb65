//! The last line of defence for the log file: any `Bearer <token>` in a formatted line is
//! replaced by `Bearer [redacted]` before the line is written, whoever logged it.

use std::borrow::Cow;
use std::io::{self, Write};

const SCHEME: &str = "bearer";
const MASK: &str = "[redacted]";

/// `text` with the credential after every `Bearer` (any case, then spaces) masked.
pub fn redact(text: &str) -> Cow<'_, str> {
    let lower = text.to_ascii_lowercase();
    if !lower.contains(SCHEME) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = 0;
    let mut from = 0;
    while let Some(found) = lower[from..].find(SCHEME) {
        let scheme_end = from + found + SCHEME.len();
        let token_start = scheme_end + spaces(&text[scheme_end..]);
        let token_len = token_chars(&text[token_start..]);
        if token_start > scheme_end && token_len > 0 {
            out.push_str(&text[rest..token_start]);
            out.push_str(MASK);
            rest = token_start + token_len;
        }
        from = scheme_end.max(rest);
    }
    out.push_str(&text[rest..]);
    Cow::Owned(out)
}

fn spaces(s: &str) -> usize {
    s.bytes().take_while(|b| *b == b' ' || *b == b'\t').count()
}

/// Length of a token68 (RFC 7235) and the JWT / opaque token characters around it.
fn token_chars(s: &str) -> usize {
    s.bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || b"-._~+/=".contains(b))
        .count()
}

/// Redacts each write (one formatted event each) before passing it on.
pub struct Redacting<W: Write> {
    inner: W,
}

impl<W: Write> Redacting<W> {
    /// Wraps `inner`.
    pub fn new(inner: W) -> Self {
        Redacting { inner }
    }
}

impl<W: Write> Write for Redacting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        self.inner.write_all(redact(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::{redact, Redacting};
    use std::io::Write;

    #[test]
    fn masks_every_bearer_token_in_any_case() {
        let line =
            r#"headers: {"authorization": "Bearer eyJ0.a-b_c/d+e=", x: "bearer  baton-emulator"}"#;
        assert_eq!(
            redact(line),
            r#"headers: {"authorization": "Bearer [redacted]", x: "bearer  [redacted]"}"#
        );
    }

    #[test]
    fn leaves_text_without_a_token_alone() {
        assert_eq!(redact("a bearer: none"), "a bearer: none");
        assert_eq!(redact("Bearer"), "Bearer");
        assert_eq!(redact("plain line"), "plain line");
    }

    #[test]
    fn the_writer_redacts_what_it_passes_on() {
        let mut w = Redacting::new(Vec::new());
        w.write_all(b"GET with Authorization: Bearer s3cret\n")
            .unwrap();
        assert_eq!(w.inner, b"GET with Authorization: Bearer [redacted]\n");
    }
}
