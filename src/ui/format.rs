//! Text helpers shared by the panes: relative times, durations, fitting text to a width.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use jiff::Timestamp;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::app::{fresh_bound, is_late};
use crate::domain::{Compact, Status};
use crate::sanitize::clean;

fn between(from: Timestamp, to: Timestamp) -> Duration {
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

/// The age of data read every `period`: `<20s` while it is within two periods (one read
/// may take up to a period), so a dashboard whose reads keep arriving shows a text that
/// does not move; its exact age once reads are late.
pub fn data_age(age: Duration, period: Duration) -> String {
    if is_late(age, period) {
        Age(age).to_string()
    } else {
        format!("<{}", Age(fresh_bound(period)))
    }
}

/// Run time: to the end, or to now while still running.
pub fn duration(now: Timestamp, start: Option<Timestamp>, end: Option<Timestamp>) -> String {
    match start {
        Some(start) => Compact(between(start, end.unwrap_or(now))).to_string(),
        None => "-".into(),
    }
}

/// Time left before a deadline, to the second only in its last minute: `in 23h59m`,
/// `in 12m`, `in 45s`, or `overdue 2m`.
pub fn countdown(now: Timestamp, deadline: Option<Timestamp>) -> String {
    match deadline {
        Some(d) if d >= now => format!("in {}", Age(between(now, d))),
        Some(d) => format!("overdue {}", Age(between(d, now))),
        None => "-".into(),
    }
}

/// A status as glyph plus text: the backend's own word where there is room, the short
/// normalized label where there is not.
pub fn status_text(status: &Status, wide: bool) -> String {
    if wide {
        format!("{} {}", status.status.glyph(), clean(&status.raw))
    } else {
        format!("{} {}", status.status.glyph(), status.status.label())
    }
}

/// Server text made safe and cut to `width` display cells, with `…` when cut.
pub fn fit(s: &str, width: usize) -> Cow<'_, str> {
    let s = clean(s);
    if s.width() <= width {
        return s;
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    if width > 0 {
        out.push('…');
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_cuts_by_display_width() {
        assert_eq!(fit("deploy", 10), "deploy");
        assert_eq!(fit("deploy-production", 8), "deploy-…");
        assert_eq!(fit("日本語テキスト", 5), "日本…");
        assert_eq!(fit("a\u{1b}[2Jb", 5), "ab");
    }

    #[test]
    fn relative_times() {
        let t0: Timestamp = "2026-11-22T10:00:00Z".parse().unwrap();
        let t1 = t0 + jiff::SignedDuration::from_secs(192);
        assert_eq!(ago(t1, Some(t0)), "3m ago");
        assert_eq!(duration(t1, Some(t0), None), "3m12s");
        assert_eq!(countdown(t0, Some(t1)), "in 3m");
        assert_eq!(countdown(t1, Some(t0)), "overdue 3m");
        assert_eq!(
            countdown(t1, Some(t1 + jiff::SignedDuration::from_secs(45))),
            "in 45s"
        );
        assert_eq!(ago(t1, None), "-");
    }

    #[test]
    fn ages_past_a_minute_move_once_a_minute() {
        let age = |s| Age(Duration::from_secs(s)).to_string();
        assert_eq!(age(59), "59s");
        assert_eq!(age(60), "1m");
        assert_eq!(age(119), "1m");
        assert_eq!(age(3599), "59m");
        assert_eq!(age(3600 + 5 * 60 + 59), "1h05m");
        assert_eq!(age(2 * 86400 + 3 * 3600), "2d03h");
    }

    #[test]
    fn data_within_two_periods_shows_its_bound() {
        let period = Duration::from_secs(10);
        let shown = |s| data_age(Duration::from_secs(s), period);
        assert_eq!(shown(0), "<20s");
        assert_eq!(shown(19), "<20s");
        assert_eq!(shown(20), "20s");
        assert_eq!(shown(95), "1m");
        assert!(!is_late(Duration::from_secs(19), period));
        assert!(is_late(Duration::from_secs(20), period));
        assert_eq!(data_age(Duration::ZERO, Duration::from_secs(30)), "<1m");
    }
}
