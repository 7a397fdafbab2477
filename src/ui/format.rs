//! Text helpers shared by the panes: relative times, durations, fitting text to a width.
//! The time texts note, on the frame's [`Times`], when they next read differently.

use std::borrow::Cow;
use std::cell::Cell;
use std::time::Duration;

use jiff::Timestamp;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::app::{STALE_AFTER, fresh_bound, is_late};
use crate::domain::{Compact, Status};
pub use crate::format::Age;
use crate::format::between;
use crate::sanitize::clean;

/// The screen's time while one frame is drawn, and the first moment a text drawn in that
/// frame reads differently. It belongs to the frame being drawn; the event loop hands the
/// moment back to the app (`Msg::Drawn`), which asks for no frame before it.
#[derive(Debug)]
pub struct Times {
    now: Timestamp,
    next: Cell<Option<Timestamp>>,
}

impl Times {
    pub fn new(now: Timestamp) -> Self {
        Times {
            now,
            next: Cell::new(None),
        }
    }

    pub fn now(&self) -> Timestamp {
        self.now
    }

    /// Some text drawn now reads differently from `at` on.
    pub fn changes_at(&self, at: Timestamp) {
        if at > self.now && self.next.get().is_none_or(|next| at < next) {
            self.next.set(Some(at));
        }
    }

    /// Whether `at` has passed; one that has not will have, just after `at`.
    pub fn is_past(&self, at: Timestamp) -> bool {
        self.changes_at(at + Duration::from_nanos(1));
        at < self.now
    }

    /// The earliest change noted so far.
    pub fn next(&self) -> Option<Timestamp> {
        self.next.get()
    }
}

/// The steps, in seconds, in which an [`Age`] of `s` seconds reads: it shows seconds, then
/// minutes, then (beyond a day) hours.
fn age_step(s: u64) -> u64 {
    match s {
        0..60 => 1,
        60..86400 => 60,
        _ => 3600,
    }
}

/// The same for [`Compact`], which shows seconds for the first hour.
fn compact_step(s: u64) -> u64 {
    match s {
        0..3600 => 1,
        3600..86400 => 60,
        _ => 3600,
    }
}

/// The time from `from` to the clock, telling the clock when a text that shows it in
/// `step`s next reads differently: at the next whole step.
fn since(clock: &Times, from: Timestamp, step: fn(u64) -> u64) -> Duration {
    let elapsed = between(from, clock.now());
    let s = elapsed.as_secs();
    let next = (s / step(s) + 1) * step(s);
    clock.changes_at(from + Duration::from_secs(next));
    elapsed
}

/// The time from the clock to `to`, telling the clock when a text that shows it in
/// `step`s next reads differently: once less than its whole steps are left.
fn until(clock: &Times, to: Timestamp, step: fn(u64) -> u64) -> Duration {
    let left = between(clock.now(), to);
    let s = left.as_secs();
    let whole = s / step(s) * step(s);
    clock.changes_at(to - Duration::from_secs(whole) + Duration::from_nanos(1));
    left
}

/// `45s ago`, `12m ago`, `3h05m ago`, or `-` when unknown.
pub fn ago(clock: &Times, at: Option<Timestamp>) -> String {
    if let Some(at) = at {
        since(clock, at, age_step);
    }
    crate::format::ago(clock.now(), at)
}

/// How old data read at `read` is, telling the clock when what the status bar says of it
/// moves: when it turns late, when it turns stale, and, once late, as its age reads.
pub fn age_of_data(clock: &Times, read: Timestamp, period: Duration) -> Duration {
    clock.changes_at(read + fresh_bound(period));
    clock.changes_at(read + STALE_AFTER * period + Duration::from_nanos(1));
    let age = between(read, clock.now());
    if is_late(age, period) {
        since(clock, read, age_step);
    }
    age
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
pub fn duration(clock: &Times, start: Option<Timestamp>, end: Option<Timestamp>) -> String {
    match (start, end) {
        (Some(start), Some(end)) => Compact(between(start, end)).to_string(),
        (Some(start), None) => Compact(since(clock, start, compact_step)).to_string(),
        (None, _) => "-".into(),
    }
}

/// Time left before a deadline, to the second only in its last minute: `in 23h59m`,
/// `in 12m`, `in 45s`, or `overdue 2m`.
pub fn countdown(clock: &Times, deadline: Option<Timestamp>) -> String {
    match deadline {
        Some(d) if d >= clock.now() => format!("in {}", Age(until(clock, d, age_step))),
        Some(d) => format!("overdue {}", Age(since(clock, d, age_step))),
        None => "-".into(),
    }
}

/// A status as glyph plus the one normalized word, the same at every width and for every
/// backend (and the word `status:` filters on); the backend's own word is shown only in
/// the detail, labelled raw.
pub fn status_text(status: &Status) -> String {
    format!("{} {}", status.status.glyph(), status.status.label())
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

/// Cleaned text broken into lines of at most `width` display cells, at spaces where it can
/// and inside a word longer than a line: for values that must be read whole (a gate's
/// message) beside a label column.
pub fn wrap(s: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut used = 0;
    for word in clean(s).split(' ') {
        let w = word.width();
        if used > 0 && used + 1 + w > width {
            lines.push(std::mem::take(&mut line));
            used = 0;
        }
        if used > 0 {
            line.push(' ');
            used += 1;
        }
        for c in word.chars() {
            let cw = c.width().unwrap_or(0);
            if used + cw > width && used > 0 {
                lines.push(std::mem::take(&mut line));
                used = 0;
            }
            line.push(c);
            used += cw;
        }
    }
    lines.push(line);
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_breaks_at_spaces_and_inside_long_words() {
        assert_eq!(wrap("ship it now", 7), ["ship it", "now"]);
        assert_eq!(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(wrap("", 4), [""]);
        assert_eq!(wrap("漢字漢字", 5), ["漢字", "漢字"]);
    }

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
        let (c0, c1) = (Times::new(t0), Times::new(t1));
        assert_eq!(ago(&c1, Some(t0)), "3m ago");
        assert_eq!(duration(&c1, Some(t0), None), "3m12s");
        assert_eq!(countdown(&c0, Some(t1)), "in 3m");
        assert_eq!(countdown(&c1, Some(t0)), "overdue 3m");
        assert_eq!(
            countdown(&c1, Some(t1 + jiff::SignedDuration::from_secs(45))),
            "in 45s"
        );
        assert_eq!(ago(&c1, None), "-");
    }

    /// The moment a text tells its clock is the first at which it reads differently: not
    /// later (the screen would show a stale time), not earlier (a frame for nothing).
    #[test]
    fn each_time_text_says_exactly_when_it_next_changes() {
        let origin: Timestamp = "2026-11-22T10:00:00Z".parse().unwrap();
        type Text<'a> = &'a dyn Fn(&Times) -> String;
        let texts: [(&str, Text); 4] = [
            ("ago", &|c| ago(c, Some(origin))),
            ("running", &|c| duration(c, Some(origin), None)),
            ("countdown", &|c| countdown(c, Some(origin))),
            ("ended", &|c| duration(c, Some(origin), Some(origin))),
        ];
        let seconds = (0..130)
            .chain(3590..3610)
            .chain(86390..86410)
            .chain([7321, 90061, 200000]);
        for s in seconds {
            for nanos in [0, 300_000_000, 999_999_999] {
                for sign in [1, -1] {
                    let offset = jiff::SignedDuration::new(s, nanos) * sign;
                    for (what, text) in texts {
                        let clock = Times::new(origin + offset);
                        let shown = text(&clock);
                        let Some(next) = clock.next() else {
                            assert_eq!(what, "ended", "{what} at {offset:?} never changes");
                            continue;
                        };
                        let at = |t: Timestamp| text(&Times::new(t));
                        let just_before = next - jiff::SignedDuration::from_nanos(1);
                        assert_eq!(
                            at(just_before),
                            shown,
                            "{what} at {offset:?}: moves before {next}"
                        );
                        assert_ne!(
                            at(next),
                            shown,
                            "{what} at {offset:?}: still the same at {next}"
                        );
                    }
                }
            }
        }
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
