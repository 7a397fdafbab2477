//! Text helpers shared by the panes: relative times, durations, fitting text to a width.

use std::borrow::Cow;
use std::time::Duration;

use jiff::Timestamp;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::domain::{Compact, Status};
use crate::sanitize::clean;

fn between(from: Timestamp, to: Timestamp) -> Duration {
    Duration::try_from(to.duration_since(from)).unwrap_or(Duration::ZERO)
}

/// `3m12s ago`, or `-` when unknown.
pub fn ago(now: Timestamp, at: Option<Timestamp>) -> String {
    match at {
        Some(at) => format!("{} ago", Compact(between(at, now))),
        None => "-".into(),
    }
}

/// Run time: to the end, or to now while still running.
pub fn duration(now: Timestamp, start: Option<Timestamp>, end: Option<Timestamp>) -> String {
    match start {
        Some(start) => Compact(between(start, end.unwrap_or(now))).to_string(),
        None => "-".into(),
    }
}

/// Time left before a deadline: `in 23h59m`, or `overdue 2m00s`.
pub fn countdown(now: Timestamp, deadline: Option<Timestamp>) -> String {
    match deadline {
        Some(d) if d >= now => format!("in {}", Compact(between(now, d))),
        Some(d) => format!("overdue {}", Compact(between(d, now))),
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
        assert_eq!(ago(t1, Some(t0)), "3m12s ago");
        assert_eq!(duration(t1, Some(t0), None), "3m12s");
        assert_eq!(countdown(t0, Some(t1)), "in 3m12s");
        assert_eq!(countdown(t1, Some(t0)), "overdue 3m12s");
        assert_eq!(ago(t1, None), "-");
    }
}
