//! Counters of what the simulator received, so tests and benchmarks can assert on traffic
//! ("nothing approved twice", "list polled at most N times") instead of trusting the client.

use std::collections::BTreeMap;

/// Approve and reject decisions an approval instance accepted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DecisionCount {
    pub approve: u64,
    pub reject: u64,
}

/// A snapshot of the counters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SimStats {
    /// Every HTTP request received, matched or not.
    pub total_requests: u64,
    /// Requests per (method, route template), e.g. `("POST", "/pipeline/api/pipelines/list")`.
    /// Templates keep the prefix they were reached by (`/gateway/...` counts separately).
    /// Unknown paths count under [`UNMATCHED_ROUTE`].
    pub requests: BTreeMap<(String, String), u64>,
    /// Decisions accepted per approval instance id (refused attempts are not counted).
    pub decisions: BTreeMap<String, DecisionCount>,
    /// Executions started through the API (the world's own triggers are not counted).
    pub starts: u64,
    /// The same, per world project: a NextGen project, a First Gen application's project
    /// id, an Argo namespace (so a test can tell which backend started what).
    pub starts_in: BTreeMap<String, u64>,
    /// Runs the Infraxys face accepted (synchronous and asynchronous, in-band failures
    /// included); refused calls are not counted.
    pub infraxys_starts: u64,
    /// Requests refused with 429 by the rate limiter.
    pub rate_limited: u64,
}

/// The route template under which requests to unknown paths are counted.
pub const UNMATCHED_ROUTE: &str = "(unmatched)";

impl SimStats {
    /// Requests received for one method and route template.
    pub fn requests_to(&self, method: &str, route: &str) -> u64 {
        self.requests
            .get(&(method.to_string(), route.to_string()))
            .copied()
            .unwrap_or(0)
    }

    /// Accepted decisions (approve + reject) across all approval instances.
    pub fn total_decisions(&self) -> u64 {
        self.decisions.values().map(|d| d.approve + d.reject).sum()
    }

    /// Counts one request. Extension methods are counted as `OTHER`, so arbitrary method
    /// names cannot grow the map without bound.
    pub(crate) fn count_request(&mut self, method: &str, route: &str) {
        const KNOWN: [&str; 9] = [
            "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE",
        ];
        let method = if KNOWN.contains(&method) {
            method
        } else {
            "OTHER"
        };
        *self
            .requests
            .entry((method.to_string(), route.to_string()))
            .or_default() += 1;
    }

    pub(crate) fn count_start(&mut self, project: &str) {
        self.starts += 1;
        *self.starts_in.entry(project.to_string()).or_default() += 1;
    }

    pub(crate) fn count_decision(&mut self, approval_id: &str, approve: bool) {
        let d = self.decisions.entry(approval_id.to_string()).or_default();
        if approve {
            d.approve += 1;
        } else {
            d.reject += 1;
        }
    }
}
