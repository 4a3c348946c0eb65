//! Making untrusted text safe to draw: strings from Azure, probes and config reach the terminal
//! only through [`sanitize`], so an escape sequence in a VM name or an ARM error message cannot
//! move the cursor, change colours or retitle the terminal.

/// Removes control characters (C0, DEL, C1, including ESC) and replaces tabs and newlines
/// with a space, so the result is one printable line.
pub fn sanitize(input: &str) -> String {
    input
        .chars()
        .filter_map(|c| match c {
            '\t' | '\n' | '\r' => Some(' '),
            c if c.is_control() => None,
            c => Some(c),
        })
        .collect()
}

/// True for the characters a terminal may receive in a block of text: everything but control
/// characters (C0, DEL, C1), except newline and tab which only move the cursor forward.
pub fn is_terminal_safe(c: char) -> bool {
    matches!(c, '\n' | '\t') || !c.is_control()
}

/// Removes every character [`is_terminal_safe`] refuses, keeping lines and tabs: for text of
/// several lines (a config summary, a status table) that reaches a terminal.
pub fn sanitize_block(input: &str) -> String {
    input.chars().filter(|c| is_terminal_safe(*c)).collect()
}

#[cfg(test)]
mod tests {
    use super::{sanitize, sanitize_block};

    #[test]
    fn block_keeps_lines_and_tabs_but_no_other_control() {
        let dirty = "a\u{1b}]0;title\u{7}\r\nb\tc\u{7f}\u{9b}2J\u{85}";
        assert_eq!(sanitize_block(dirty), "a]0;title\nb\tc2J");
    }

    #[test]
    fn strips_escape_sequences_and_controls() {
        assert_eq!(sanitize("web\u{1b}[2J-a"), "web[2J-a");
        assert_eq!(sanitize("a\u{7}b\u{0}c\u{7f}d\u{9b}e"), "abcde");
        assert_eq!(sanitize("line1\nline2\tx\r"), "line1 line2 x ");
        assert_eq!(sanitize("naïve – ok"), "naïve – ok");
    }
}
