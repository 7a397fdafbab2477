//! The rate limiters of the Harness faces: a sliding one-minute window of request times per
//! key (a NextGen API key, or a First Gen account).

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

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

    /// Records a request and says whether it is within the limit. Measured on the wall clock:
    /// the limit is about how fast a client really calls, whatever the simulated time does.
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
