//! Simulated time.
//!
//! Everything in the simulator reads time from here, never from the system clock directly, so
//! tests can run the world on a manual clock (moved only by `advance`) and demos can run it
//! faster than real time. Times are epoch milliseconds because every wire format we serve
//! speaks epoch milliseconds.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How simulated time moves.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ClockMode {
    /// Wall-clock time multiplied by `speed` (1.0 = real time, 60.0 = a minute per second).
    Real { speed: f64 },
    /// Time stands still until `SimHandle::advance` moves it: deterministic tests.
    Manual,
}

/// Where a manual clock starts: 2026-03-02T09:30:00Z. A fixed origin (rather than "now") is
/// what makes a seeded world byte-identical from one test run to the next.
pub const MANUAL_EPOCH_MS: i64 = 1_772_443_800_000;

/// Time stops at the end of year 9999, so that any jump leaves room for the world's own
/// arithmetic (deadlines, step ends) and every timestamp stays printable as a date.
const LATEST_MS: i64 = 253_402_300_799_999;

pub(crate) struct Clock {
    mode: ClockMode,
    origin_ms: i64,
    origin: Instant,
    /// Time added by `advance`, on top of whatever the mode itself measures.
    offset_ms: AtomicI64,
}

impl Clock {
    pub(crate) fn new(mode: ClockMode) -> Clock {
        let origin_ms = match mode {
            ClockMode::Manual => MANUAL_EPOCH_MS,
            ClockMode::Real { .. } => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(MANUAL_EPOCH_MS, |d| {
                    i64::try_from(d.as_millis()).unwrap_or(MANUAL_EPOCH_MS)
                }),
        };
        Clock {
            mode,
            origin_ms,
            origin: Instant::now(),
            offset_ms: AtomicI64::new(0),
        }
    }

    /// The current simulated time in epoch milliseconds.
    pub(crate) fn now_ms(&self) -> i64 {
        let offset = self.offset_ms.load(Ordering::SeqCst);
        let measured = match self.mode {
            ClockMode::Manual => 0,
            ClockMode::Real { speed } => {
                (self.origin.elapsed().as_secs_f64() * 1000.0 * speed) as i64
            }
        };
        self.origin_ms
            .saturating_add(measured)
            .saturating_add(offset)
            .min(LATEST_MS)
    }

    /// Jumps forward. On a real clock this skips ahead; time keeps flowing from there.
    pub(crate) fn advance(&self, d: Duration) {
        let ms = i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        let _ = self
            .offset_ms
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |o| {
                Some(o.saturating_add(ms))
            });
    }

    pub(crate) fn is_real(&self) -> bool {
        matches!(self.mode, ClockMode::Real { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_advanced() {
        let c = Clock::new(ClockMode::Manual);
        assert_eq!(c.now_ms(), MANUAL_EPOCH_MS);
        c.advance(Duration::from_secs(90));
        assert_eq!(c.now_ms(), MANUAL_EPOCH_MS + 90_000);
    }
}
