//! Human durations as the config writes them: `"500ms"`, `"2s"`, `"5m"`, `"1h"`, or several
//! pieces run together (`"1m30s"`). Whole numbers only; units `ms`, `s`, `m`, `h`; spaces
//! between pieces or before a unit are tolerated.
//!
//! Kept in-house rather than via `humantime` so the accepted grammar is exactly the documented
//! one and error messages can say what was expected.

use std::time::Duration;

/// What the config expects, for error messages.
pub(crate) const EXPECTED: &str =
    "expected a whole number with a unit (ms, s, m, h), e.g. \"500ms\", \"2s\", \"5m\", \"1m30s\"";

/// Parses a config duration. The error is a short reason suitable for a [`super::ConfigProblem`].
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(format!("empty duration; {EXPECTED}"));
    }
    let mut rest = text;
    let mut total = Duration::ZERO;
    while !rest.is_empty() {
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits == 0 {
            return Err(format!("invalid duration; {EXPECTED}"));
        }
        let amount: u64 = rest[..digits]
            .parse()
            .map_err(|_| format!("number too large; {EXPECTED}"))?;
        rest = rest[digits..].trim_start();
        let unit_len = rest.len()
            - rest
                .trim_start_matches(|c: char| c.is_ascii_alphabetic())
                .len();
        if unit_len == 0 && rest.starts_with('.') {
            return Err(format!(
                "fractions are not supported, use a smaller unit (\"1500ms\"); {EXPECTED}"
            ));
        }
        if unit_len == 0 && !rest.is_empty() {
            return Err(format!("invalid duration; {EXPECTED}"));
        }
        let piece = unit(&rest[..unit_len], amount)?;
        rest = rest[unit_len..].trim_start();
        total = total
            .checked_add(piece)
            .ok_or_else(|| "duration too large".to_string())?;
    }
    Ok(total)
}

fn unit(unit: &str, amount: u64) -> Result<Duration, String> {
    let seconds = |factor: u64| {
        amount
            .checked_mul(factor)
            .map(Duration::from_secs)
            .ok_or_else(|| "duration too large".to_string())
    };
    match unit {
        "ms" => Ok(Duration::from_millis(amount)),
        "s" => seconds(1),
        "m" => seconds(60),
        "h" => seconds(3600),
        "" => Err(format!("missing unit; {EXPECTED}")),
        other => Err(format!("unknown unit `{other}`; {EXPECTED}")),
    }
}

/// Formats a duration the way the config writes it (`800ms`, `15s`, `5m`, `1m30s`), so messages
/// can quote defaults in the user's own notation.
pub fn format_duration(duration: Duration) -> String {
    let mut millis = duration.as_millis();
    if millis == 0 {
        return "0s".to_string();
    }
    let mut out = String::new();
    for (unit, size) in [("h", 3_600_000u128), ("m", 60_000), ("s", 1000), ("ms", 1)] {
        if millis >= size {
            out.push_str(&format!("{}{unit}", millis / size));
            millis %= size;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_documented_unit() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration(" 1m30s "), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("1m 30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("2 s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
    }

    #[test]
    fn rejects_what_is_not_documented() {
        for bad in ["", "5", "1.5s", "5 minutes", "s", "-1s", "10x", "1d"] {
            assert!(parse_duration(bad).is_err(), "{bad:?} should be rejected");
        }
        assert!(parse_duration("5").unwrap_err().starts_with("missing unit"));
        assert!(parse_duration("1.5s").unwrap_err().starts_with("fractions"));
        assert!(parse_duration("2 minutes")
            .unwrap_err()
            .starts_with("unknown unit `minutes`"));
        assert!(parse_duration("10x")
            .unwrap_err()
            .starts_with("unknown unit `x`"));
        assert!(parse_duration("99999999999999999999s").is_err());
        assert!(parse_duration("18446744073709551615h").is_err());
    }

    #[test]
    fn formats_round_trip() {
        for text in ["800ms", "15s", "5m", "1h", "1m30s", "1h2m3s4ms"] {
            let parsed = parse_duration(text).unwrap();
            assert_eq!(format_duration(parsed), text);
        }
        assert_eq!(format_duration(Duration::ZERO), "0s");
    }
}
