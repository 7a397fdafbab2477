//! What a backend allows: its request budget ([`Budget`], from [`super::Backend::budget`]),
//! the client-side [`Limiter`] that keeps a run of requests within it, and the one rule for
//! when a failed start may be sent again ([`start_retry_delay`]).

use std::collections::VecDeque;
use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::domain::BackendError;

/// A backend's documented request budget and what it means for flightdeck. The dashboard
/// polls no faster than `min_poll_interval`; the CLI's bulk start books `per_start` requests
/// per start (and one per status read) in a [`Limiter`] of `per_minute`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Requests a minute the backend allows (per key or account); `None` when it documents
    /// no limit.
    pub per_minute: Option<usize>,
    /// Requests one start costs in that budget.
    pub per_start: usize,
    /// The shortest poll interval that keeps the dashboard within the budget.
    pub min_poll_interval: Duration,
}

impl Budget {
    /// No documented limit: one request per start, poll as configured.
    pub const UNLIMITED: Budget = Budget {
        per_minute: None,
        per_start: 1,
        min_poll_interval: Duration::ZERO,
    };

    /// A limiter enforcing `per_minute`, when there is one.
    pub fn limiter(&self) -> Option<Limiter> {
        self.per_minute.map(Limiter::new)
    }
}

/// Client-side limiter: the same sliding one-minute window the backend applies, so a run
/// stays under the limit instead of bouncing off it.
#[derive(Debug)]
pub struct Limiter {
    per_minute: usize,
    sent: Mutex<VecDeque<Instant>>,
}

impl Limiter {
    pub fn new(per_minute: usize) -> Self {
        Limiter {
            per_minute,
            sent: Mutex::new(VecDeque::new()),
        }
    }

    /// Waits until `cost` more requests fit in the window, then books them.
    pub async fn acquire(&self, cost: usize) {
        let cost = cost.min(self.per_minute);
        loop {
            let wait = {
                let mut sent = self.sent.lock().await;
                let now = Instant::now();
                while sent
                    .front()
                    .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(60))
                {
                    sent.pop_front();
                }
                if sent.len() + cost <= self.per_minute {
                    sent.extend(std::iter::repeat_n(now, cost));
                    return;
                }
                // The oldest booking that must leave the window for `cost` to fit.
                let blocking = sent[sent.len() + cost - self.per_minute - 1];
                blocking + Duration::from_secs(60) - now
            };
            tokio::time::sleep(wait).await;
        }
    }
}

/// Rate-limited attempts of one start before it is given up (nothing started).
pub const MAX_START_RETRIES: u32 = 8;
/// Without `Retry-After`, back-off starts here and doubles per attempt, up to the cap.
const BACKOFF_BASE: Duration = Duration::from_millis(500);
const BACKOFF_CAP: Duration = Duration::from_secs(60);

/// When a start that failed with `error` on its `attempt`-th retry (0 for the first send)
/// may be sent again, or `None` if it must not be. The rule: only a 429 is retried, because
/// a refused request started nothing, after the server's `Retry-After` (or a back-off), at
/// most [`MAX_START_RETRIES`] times. Anything else may have started something (see
/// [`BackendError::outcome_unknown`]) or will fail the same way, so a person decides.
///
/// The CLI's bulk start follows this rule; the dashboard never retries a start on its own
/// (the user sees the refusal and starts again), which the rule allows.
pub fn start_retry_delay(error: &BackendError, attempt: u32) -> Option<Duration> {
    match error {
        BackendError::RateLimited { retry_after } if attempt < MAX_START_RETRIES => {
            Some(retry_after.unwrap_or_else(|| backoff(attempt)))
        }
        _ => None,
    }
}

/// Exponential back-off with jitter (50% to 150%), so parallel sends refused together do
/// not come back together.
fn backoff(attempt: u32) -> Duration {
    let exp = BACKOFF_BASE
        .saturating_mul(1 << attempt.min(16))
        .min(BACKOFF_CAP);
    exp.mul_f64(0.5 + rand::random::<f64>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_limiter_keeps_a_sliding_minute() {
        let limiter = Limiter::new(4);
        let begun = Instant::now();
        limiter.acquire(2).await;
        limiter.acquire(2).await;
        assert_eq!(begun.elapsed(), Duration::ZERO);
        limiter.acquire(2).await;
        assert_eq!(begun.elapsed(), Duration::from_secs(60));
    }

    #[test]
    fn backoff_grows_with_jitter_and_a_cap() {
        for attempt in 0..20 {
            let d = backoff(attempt);
            let exp = BACKOFF_BASE
                .saturating_mul(1 << attempt.min(16))
                .min(BACKOFF_CAP);
            assert!(d >= exp / 2 && d <= exp * 3 / 2, "{attempt}: {d:?}");
        }
    }

    #[test]
    fn only_a_refused_start_is_retried_and_not_forever() {
        let asked = BackendError::RateLimited {
            retry_after: Some(Duration::from_secs(7)),
        };
        assert_eq!(start_retry_delay(&asked, 0), Some(Duration::from_secs(7)));
        assert_eq!(start_retry_delay(&asked, MAX_START_RETRIES), None);
        let unsaid = BackendError::RateLimited { retry_after: None };
        let delay = start_retry_delay(&unsaid, 0).unwrap();
        assert!(delay >= BACKOFF_BASE / 2 && delay <= BACKOFF_BASE * 3 / 2);
        for error in [
            BackendError::Timeout(Duration::from_secs(1)),
            BackendError::Server {
                status: 503,
                message: String::new(),
            },
            BackendError::BadRequest("x".into()),
        ] {
            assert_eq!(start_retry_delay(&error, 0), None, "{error:?}");
        }
    }
}
