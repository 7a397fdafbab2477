//! Counters of what the simulator received, so tests and benchmarks can assert on traffic
//! ("nothing approved twice", "list polled at most N times") instead of trusting the client.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::Shared;

/// Approve and reject decisions an approval instance accepted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DecisionCount {
    pub approve: u64,
    pub reject: u64,
}

/// The requests one face received, per (method, route template); unknown paths count under
/// [`UNMATCHED_ROUTE`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FaceRequests {
    pub routes: BTreeMap<(String, String), u64>,
}

impl FaceRequests {
    pub fn total(&self) -> u64 {
        self.routes.values().sum()
    }
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
    /// Requests per face (`harness`, `argo`, `infraxys`), for `GET /_sim/state`: the
    /// Argo and Infraxys faces share route prefixes, so `requests` alone cannot tell them
    /// apart. Inspection requests themselves are not counted.
    pub faces: BTreeMap<String, FaceRequests>,
    /// Control actions accepted (abort, retry, rerun, suspend, ...) per (face, action);
    /// refused attempts are not counted.
    pub controls: BTreeMap<(String, String), u64>,
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

    /// Counts one request.
    pub(crate) fn count_request(&mut self, method: &str, route: &str) {
        *self
            .requests
            .entry((known_method(method).to_string(), route.to_string()))
            .or_default() += 1;
    }

    /// Counts one request to a face, the way [`SimStats::count_request`] counts it overall.
    pub(crate) fn count_face_request(&mut self, face: &str, method: &str, route: &str) {
        *self
            .faces
            .entry(face.to_string())
            .or_default()
            .routes
            .entry((known_method(method).to_string(), route.to_string()))
            .or_default() += 1;
    }

    pub(crate) fn count_start(&mut self, project: &str) {
        self.starts += 1;
        *self.starts_in.entry(project.to_string()).or_default() += 1;
    }

    /// Counts one accepted control action.
    pub(crate) fn count_control(&mut self, face: &str, action: &str) {
        *self
            .controls
            .entry((face.to_string(), action.to_string()))
            .or_default() += 1;
    }

    /// Control actions accepted for one face and action.
    pub fn controls_of(&self, face: &str, action: &str) -> u64 {
        self.controls
            .get(&(face.to_string(), action.to_string()))
            .copied()
            .unwrap_or(0)
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

/// A request method as counted: extension methods become `OTHER`, so arbitrary method names
/// cannot grow the counters without bound.
/// The route template `req` matched (as the face declares it, e.g. `/api/v1/workflows/{namespace}`),
/// or [`UNMATCHED_ROUTE`].
pub(crate) fn route_of(req: &Request) -> String {
    req.extensions()
        .get::<MatchedPath>()
        .map_or(UNMATCHED_ROUTE, |m| m.as_str())
        .to_string()
}

/// Every face's middleware counting requests per route template: layered with `route_layer`,
/// so only matched routes get here.
pub(crate) async fn count_route(
    State(s): State<Arc<Shared>>,
    req: Request,
    next: Next,
) -> Response {
    let route = route_of(&req);
    s.stats().count_request(req.method().as_str(), &route);
    next.run(req).await
}

fn known_method(method: &str) -> &str {
    const KNOWN: [&str; 9] = [
        "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE",
    ];
    if KNOWN.contains(&method) {
        method
    } else {
        "OTHER"
    }
}
