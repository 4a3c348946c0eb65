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

#[cfg(test)]
mod tests {
    use super::sanitize;

    #[test]
    fn strips_escape_sequences_and_controls() {
        assert_eq!(sanitize("web\u{1b}[2J-a"), "web[2J-a");
        assert_eq!(sanitize("a\u{7}b\u{0}c\u{7f}d\u{9b}e"), "abcde");
        assert_eq!(sanitize("line1\nline2\tx\r"), "line1 line2 x ");
        assert_eq!(sanitize("naïve – ok"), "naïve – ok");
    }
}
