//! The rate limiters of the Harness faces: a sliding one-minute window of request times per
//! key (a NextGen API key, or a First Gen account). Off by default, so the demo polls
//! freely; [`crate::SimHandle::set_vendor_limits`] sets the vendors' documented limits.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use tokio::time::Instant;

/// Harness NextGen: "External API requests: 400 calls per minute per X-API-Key" (the
/// platform's rate-limits page; it also names 1,000 requests per key per minute for all
/// requests, which the external limit reaches first).
pub const HARNESS_PER_KEY: u32 = 400;
/// Harness First Gen GraphQL: 30 external calls per minute per account
/// (`GRAPHQL_EXTERNAL_RATE_LIMIT_ACCOUNT_DEFAULT`), in a sliding window.
pub const HARNESS_FG_PER_ACCOUNT: u32 = 30;

/// Sliding one-minute window of request times per key.
#[derive(Debug, Default)]
pub(crate) struct Limiter {
    per_minute: Option<u32>,
    hits: HashMap<String, VecDeque<Instant>>,
}

impl Limiter {
    pub(crate) fn set(&mut self, per_minute: Option<u32>) {
        self.per_minute = per_minute;
        self.hits.clear();
    }

    /// Records a request and says whether it is within the limit. Measured on the runtime's
    /// clock, which is the wall clock (the limit is about how fast a client really calls,
    /// whatever the simulated time does) except under tokio's paused clock, where tests and
    /// benchmarks run simulated minutes in seconds and the limit must follow them.
    pub(crate) fn allow(&mut self, key: &str, now: Instant) -> bool {
        let Some(limit) = self.per_minute else {
            return true;
        };
        let window = self.hits.entry(key.to_string()).or_default();
        while window
            .front()
            .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(60))
        {
            window.pop_front();
        }
        if window.len() >= limit as usize {
            return false;
        }
        window.push_back(now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limiter_counts_per_key() {
        let mut l = Limiter::default();
        let t = Instant::now();
        assert!(l.allow("k", t));
        l.set(Some(2));
        assert!(l.allow("k", t));
        assert!(l.allow("k", t));
        assert!(!l.allow("k", t));
        assert!(l.allow("other", t));
        assert!(l.allow("k", t + Duration::from_secs(61)));
    }
}
