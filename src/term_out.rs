//! The one output path to a terminal: every byte any command writes to stdout or stderr goes
//! through a [`Sanitized`] writer, and every cockpit frame through [`scrub_buffer`], so a
//! string from Azure (an ARM error message, a VM name, a run-command output) cannot carry an
//! escape sequence to the operator's terminal, whichever `writeln!` printed it.
//!
//! The filter is [`crate::core::text::is_terminal_safe`] applied to bytes: C0 controls but
//! newline and tab, DEL, and C1 controls (U+0080–U+009F, two bytes in UTF-8) are dropped. The
//! library's `println!`-family macros are refused by clippy (`clippy.toml`), and so are
//! `std::io::stdout` / `stderr` outside this module, so nothing can go around it.

use ratatui::buffer::Buffer;
use std::io::{self, Write};

/// First byte of every C1 control in UTF-8 (U+0080–U+009F are `C2 80`–`C2 9F`).
const C1_LEAD: u8 = 0xC2;

/// A writer that drops every terminal control byte before passing the rest to `inner`.
/// Writes may split a character anywhere: a pending `C2` lead byte waits for the next one.
#[derive(Debug)]
pub struct Sanitized<W: Write> {
    inner: W,
    pending_lead: bool,
}

impl<W: Write> Sanitized<W> {
    /// Wraps `inner`.
    pub fn new(inner: W) -> Self {
        Sanitized {
            inner,
            pending_lead: false,
        }
    }

    /// The wrapped writer (a `C2` still waiting for its second byte is dropped).
    pub fn into_inner(self) -> W {
        self.inner
    }

    fn filter(&mut self, buf: &[u8]) -> Vec<u8> {
        let mut clean = Vec::with_capacity(buf.len() + 1);
        for &b in buf {
            if std::mem::take(&mut self.pending_lead) {
                if (0x80..=0x9F).contains(&b) {
                    continue;
                }
                clean.push(C1_LEAD);
            }
            match b {
                C1_LEAD => self.pending_lead = true,
                b'\n' | b'\t' => clean.push(b),
                0x00..=0x1F | 0x7F => {}
                _ => clean.push(b),
            }
        }
        clean
    }
}

impl<W: Write> Write for Sanitized<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let clean = self.filter(buf);
        self.inner.write_all(&clean)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// The process's standard output, sanitized.
#[allow(clippy::disallowed_methods)] // the one place allowed to open it
pub fn stdout() -> Sanitized<io::Stdout> {
    Sanitized::new(io::stdout())
}

/// The process's standard error, sanitized.
#[allow(clippy::disallowed_methods)] // the one place allowed to open it
pub fn stderr() -> Sanitized<io::Stderr> {
    Sanitized::new(io::stderr())
}

/// The raw standard output, for the cockpit's ratatui backend only: it must send its own
/// escape sequences (cursor, colours). What it draws comes from frames [`scrub_buffer`] cleaned.
#[allow(clippy::disallowed_methods)] // the cockpit backend is the one raw writer
pub fn cockpit_stdout() -> io::Stdout {
    io::stdout()
}

/// Blanks every cell of a rendered frame whose symbol holds a control character, so a string
/// that skipped `core::text::sanitize` on its way to a widget still cannot reach the terminal.
pub fn scrub_buffer(buf: &mut Buffer) {
    for cell in buf.content.iter_mut() {
        if cell.symbol().chars().any(char::is_control) {
            cell.set_symbol(" ");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{scrub_buffer, Sanitized};
    use crate::core::text::sanitize_block;
    use ratatui::buffer::{Buffer, Cell};
    use ratatui::layout::Rect;
    use std::io::Write;

    const DIRTY: &str =
        "ok\u{1b}]0;pwned\u{7}\u{1b}[2J\r\n\tnaïve – \u{9b}31m\u{85}\u{7f}é\u{0}end\n";

    fn through(chunks: &[&[u8]]) -> Vec<u8> {
        let mut w = Sanitized::new(Vec::new());
        for c in chunks {
            w.write_all(c).unwrap();
        }
        w.into_inner()
    }

    #[test]
    fn drops_controls_and_keeps_text_lines_and_tabs() {
        let out = through(&[DIRTY.as_bytes()]);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "ok]0;pwned[2J\n\tnaïve – 31méend\n"
        );
    }

    #[test]
    fn agrees_with_sanitize_block_however_the_writes_are_split() {
        let bytes = DIRTY.as_bytes();
        let want = sanitize_block(DIRTY).into_bytes();
        for cut in 0..bytes.len() {
            let (a, b) = bytes.split_at(cut);
            assert_eq!(through(&[a, b]), want, "split at byte {cut}");
        }
    }

    #[test]
    fn scrub_blanks_cells_holding_controls() {
        let mut buf = Buffer::empty(Rect::new(0, 0, 4, 1));
        buf.content[0] = Cell::new("a");
        buf.content[1] = Cell::new("\u{1b}");
        buf.content[2] = Cell::new("\u{9b}");
        buf.content[3] = Cell::new("é");
        scrub_buffer(&mut buf);
        let symbols: Vec<&str> = buf.content.iter().map(Cell::symbol).collect();
        assert_eq!(symbols, ["a", " ", " ", "é"]);
    }
}
