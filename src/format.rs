//! Time texts shared by the terminal UI and the command line: pure functions of the time
//! now and the time shown. The UI's variants in `ui::format` also note when a text they
//! drew next reads differently; the command line prints once and needs no such thing.

use std::fmt;
use std::time::Duration;

use jiff::Timestamp;

use crate::domain::Compact;

/// The time from `from` to `to`; zero when `to` is earlier.
pub fn between(from: Timestamp, to: Timestamp) -> Duration {
    Duration::try_from(to.duration_since(from)).unwrap_or(Duration::ZERO)
}

/// `45s ago`, `12m ago`, `3h05m ago`, or `-` when unknown.
pub fn ago(now: Timestamp, at: Option<Timestamp>) -> String {
    match at {
        Some(at) => format!("{} ago", Age(between(at, now))),
        None => "-".into(),
    }
}

/// How far a moment is from now, to the second within a minute and to the minute beyond.
/// The seconds of something long past tell nobody anything, and a text that changes every
/// second redraws the screen (and costs an SSH link) every second.
pub struct Age(pub Duration);

impl fmt::Display for Age {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0.as_secs();
        match s {
            0..60 => write!(f, "{s}s"),
            60..3600 => write!(f, "{}m", s / 60),
            _ => Compact(self.0).fmt(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ago_reads_from_now() {
        let t0: Timestamp = "2026-11-22T10:00:00Z".parse().unwrap();
        let t1 = t0 + jiff::SignedDuration::from_secs(192);
        assert_eq!(ago(t1, Some(t0)), "3m ago");
        assert_eq!(ago(t0, Some(t1)), "0s ago");
        assert_eq!(ago(t1, None), "-");
    }
}
