//! The screen's clock: the time ages, durations and countdowns are drawn against, and the
//! first moment one of the texts drawn against it will read differently. A clock tick
//! before that moment changes nothing on screen, so it asks for no frame: a screen whose
//! times move once a minute is drawn once a minute, not every second.
//!
//! Drawing finds out when its texts change (`ui::format::Times` records it while a frame
//! is drawn) and says so in [`super::Msg::Drawn`]; nothing here is written by drawing.

use jiff::Timestamp;

#[derive(Debug)]
pub struct Clock {
    now: Timestamp,
    /// The earliest change the last frame drawn will show, if any of its text moves.
    next: Option<Timestamp>,
}

impl Clock {
    pub fn new(now: Timestamp) -> Self {
        Clock { now, next: None }
    }

    /// The time on screen.
    pub fn now(&self) -> Timestamp {
        self.now
    }

    pub(super) fn set(&mut self, now: Timestamp) {
        self.now = now;
    }

    /// A frame was drawn; its texts next change at `next` (`None`: none of them moves).
    pub(super) fn drawn(&mut self, next: Option<Timestamp>) {
        self.next = next;
    }

    /// The earliest change the last frame drawn shows.
    pub fn next(&self) -> Option<Timestamp> {
        self.next
    }

    /// Whether the last frame drawn shows a time that has moved since.
    pub fn moved(&self) -> bool {
        self.next.is_some_and(|next| self.now >= next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_moves_once_its_earliest_change_has_come() {
        let t0: Timestamp = "2026-11-22T10:00:00Z".parse().unwrap();
        let at = |s: i64| t0 + jiff::SignedDuration::from_secs(s);
        let mut clock = Clock::new(t0);
        assert!(!clock.moved(), "nothing drawn, nothing moves");
        clock.drawn(Some(at(5)));
        clock.set(at(4));
        assert!(!clock.moved());
        clock.set(at(5));
        assert!(clock.moved());
        clock.drawn(None);
        assert!(!clock.moved());
    }
}
