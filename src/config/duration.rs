//! Durations written as strings: "500ms", "10s", "2m", "1h" (also "1m30s").
//!
//! Parsing is jiff's "friendly" duration format, which already accepts these spellings, so
//! no extra crate is needed. Calendar units (days and longer) are refused by jiff, which
//! suits every interval in this config.

use std::time::Duration;

use jiff::SignedDuration;

use super::reader::{Item, Result};

/// Inclusive limits for one duration setting.
pub(crate) struct Bounds {
    pub min: Duration,
    pub max: Option<Duration>,
}

impl Item<'_> {
    pub(crate) fn duration(&self, bounds: &Bounds) -> Result<Duration> {
        let text = match self.string() {
            Ok(text) => text,
            Err(_) => return Err(self.wrong_type(r#"a duration string like "10s""#)),
        };
        let value = parse(text).ok_or_else(|| {
            self.invalid(format!(
                r#"invalid duration {text:?}; write a number and a unit, like "500ms", "10s", "2m" or "1h""#
            ))
        })?;
        if value < bounds.min {
            return Err(self.invalid(format!(
                "must be at least {} (got {text:?})",
                display(bounds.min)
            )));
        }
        if let Some(max) = bounds.max.filter(|max| value > *max) {
            return Err(self.invalid(format!("must be at most {} (got {text:?})", display(max))));
        }
        Ok(value)
    }
}

/// `None` for text that is not a duration, or is negative.
fn parse(text: &str) -> Option<Duration> {
    let signed: SignedDuration = text.trim().parse().ok()?;
    Duration::try_from(signed).ok()
}

/// Shortest exact spelling in the units users write: `500ms`, `2s`, `5m`, `1h`.
pub(crate) fn display(d: Duration) -> String {
    let ms = d.as_millis();
    if !ms.is_multiple_of(1000) {
        format!("{ms}ms")
    } else if ms != 0 && ms.is_multiple_of(3_600_000) {
        format!("{}h", ms / 3_600_000)
    } else if ms != 0 && ms.is_multiple_of(60_000) {
        format!("{}m", ms / 60_000)
    } else {
        format!("{}s", ms / 1000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_common_spellings() {
        assert_eq!(parse("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse("10s"), Some(Duration::from_secs(10)));
        assert_eq!(parse("2m"), Some(Duration::from_secs(120)));
        assert_eq!(parse("1h"), Some(Duration::from_secs(3600)));
        assert_eq!(parse("1m30s"), Some(Duration::from_secs(90)));
        assert_eq!(parse(" 3s "), Some(Duration::from_secs(3)));
    }

    #[test]
    fn rejects_unitless_negative_and_calendar_values() {
        for bad in ["10", "-5s", "1d", "soon", ""] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn displays_in_the_largest_exact_unit() {
        assert_eq!(display(Duration::from_millis(500)), "500ms");
        assert_eq!(display(Duration::from_secs(2)), "2s");
        assert_eq!(display(Duration::from_secs(300)), "5m");
        assert_eq!(display(Duration::from_secs(3600)), "1h");
        assert_eq!(display(Duration::from_secs(90)), "90s");
        assert_eq!(display(Duration::ZERO), "0s");
    }
}
