//! The screen's clock: the time ages, durations and countdowns are drawn against, and the
//! first moment one of the texts drawn against it will read differently. A clock tick
//! before that moment changes nothing on screen, so it asks for no frame: a screen whose
//! times move once a minute is drawn once a minute, not every second.

use std::cell::Cell;

use jiff::Timestamp;

#[derive(Debug)]
pub struct Clock {
    now: Timestamp,
    /// The earliest change the last frame drawn will show, if any of its text moves.
    next: Cell<Option<Timestamp>>,
}

impl Clock {
    pub fn new(now: Timestamp) -> Self {
        Clock {
            now,
            next: Cell::new(None),
        }
    }

    /// The time on screen. Whoever draws text from it says when that text next changes
    /// ([`Clock::changes_at`]); the helpers in `ui::format` do.
    pub fn now(&self) -> Timestamp {
        self.now
    }

    pub(super) fn set(&mut self, now: Timestamp) {
        self.now = now;
    }

    /// Some text drawn now reads differently from `at` on.
    pub fn changes_at(&self, at: Timestamp) {
        if at > self.now && self.next.get().is_none_or(|next| at < next) {
            self.next.set(Some(at));
        }
    }

    /// Whether `at` has passed; one that has not will have, just after `at`.
    pub fn is_past(&self, at: Timestamp) -> bool {
        self.changes_at(at + std::time::Duration::from_nanos(1));
        at < self.now
    }

    /// The earliest change recorded since the last [`Clock::forget`].
    pub fn next(&self) -> Option<Timestamp> {
        self.next.get()
    }

    /// A new frame is being drawn: what it draws says again when it changes.
    pub fn forget(&self) {
        self.next.set(None);
    }

    /// Whether the last frame drawn shows a time that has moved since.
    pub fn moved(&self) -> bool {
        self.next.get().is_some_and(|next| self.now >= next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_earliest_change_ahead_counts() {
        let t0: Timestamp = "2026-11-22T10:00:00Z".parse().unwrap();
        let at = |s: i64| t0 + jiff::SignedDuration::from_secs(s);
        let mut clock = Clock::new(t0);
        assert!(!clock.moved(), "nothing drawn, nothing moves");
        clock.changes_at(at(60));
        clock.changes_at(at(5));
        clock.changes_at(at(0));
        clock.changes_at(at(-5));
        clock.set(at(4));
        assert!(!clock.moved());
        clock.set(at(5));
        assert!(clock.moved());
        clock.forget();
        assert!(!clock.moved());
    }
}
