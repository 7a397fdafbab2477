//! The Argo Workflows face: the `argo-server` REST API of `specs/argo-api.md` (`/api/v1/...`,
//! grpc-gateway JSON) on a listener of its own, over the world's Argo namespaces.
//!
//! Workflows are world executions of pipelines compiled from WorkflowTemplates (`plan.rs`);
//! this face adds what Kubernetes would hold besides (`state.rs`: uids, labels, the spec as
//! submitted, values set on gates, resource versions) and renders Workflow objects from both
//! (`wire.rs`, with their node trees in `nodes.rs`). Requests go through the same pipeline as on the real server: the route is
//! matched first (unknown `/api/` routes are 501 without looking at credentials), then the
//! bearer token, then the handler's checks, each with the spec's verbatim texts.
//!
//! Choices made where the spec is silent or unsure:
//! - Every endpoint needs a token, `info` and `version` included.
//! - The view-only token is refused every write with Kubernetes' RBAC wording (403, code 7).
//! - Objects carry no `apiVersion`/`kind` and no `managedFields`.
//! - Submitting with a parameter the template does not declare is a 400
//!   (`spec.arguments.<name> is not a parameter of this workflow`); the real server passes
//!   it on.
//! - Suspending a finished workflow is 400 (code 3), as the spec infers.
//! - A gate resumed through a node selector before any `set` keeps its outputs unset, and a
//!   step guarded on them is skipped.
//! - Accepting decisions: a resume (or `set` to `Succeeded`) counts as an approval of that
//!   gate, a node stop (or `set` to `Failed`/`Error`) as a rejection, in [`SimStats`].
//! - Stop and terminate answer with the patched spec over the status as it was (the
//!   controller has not reacted yet); the world stops the run at once.
//! - A watch resuming from a resource version older than the kept log replays the current
//!   objects as `ADDED`, as a watch without one does.
//! - `createOptions.dryRun` and `serverDryRun` both answer without storing anything.
//! - Workflow names are unique across namespaces (the world keys runs by name), so a name
//!   taken in one namespace is 409 in the other.
//! - Suspend templates wait for people: a `duration` is not modelled, nor the copying of a
//!   JSON `enum` from an input value onto the node.
//!
//! Not served (answered 501 like any unknown route): lint, delete, cron workflows, archived
//! workflows, the Kubernetes events stream (`/api/v1/stream/events`), template writes, and
//! the rate limiter. Log options other than `podName`, `container`, `follow`, `tailLines`,
//! `sinceSeconds`, `timestamps` and `grep` are accepted and ignored.
//!
//! [`SimStats`]: crate::SimStats

mod actions;
mod auth;
mod control;
mod errors;
mod events;
mod fields;
mod handler;
mod info;
pub(crate) mod json;
mod logs;
mod meta;
mod nodes;
pub(crate) mod plan;
mod selectors;
mod state;
mod submit;
mod templates;
mod watch;
mod wire;
mod workflows;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::handler::Handler;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use tokio::sync::watch as signal;

pub(crate) use auth::Token;
use errors::{ApiError, Code};
use info::VERSION;
pub(crate) use meta::{Identities, ServiceAccount};
pub(crate) use state::{ArgoSeed, ArgoState, SeedTemplate};
use watch::StreamControl;

use super::Shared;
use super::stats::{UNMATCHED_ROUTE, count_route};
use super::world::World;

/// How many requests [`ArgoFace::requests`] remembers.
const REQUEST_LOG: usize = 500;
/// Request bodies beyond this are not recorded (they are still handled).
const BODY_LIMIT: usize = 4 << 20;
const KEEPALIVE: Duration = Duration::from_secs(15);

/// One request as received: method, path with query, and body (JSON, or `null` when empty,
/// or the raw text as a string when it is not JSON).
#[derive(Clone, Debug, PartialEq)]
pub struct ArgoRequest {
    pub method: String,
    pub path: String,
    pub body: Value,
}

/// The face's settings, state and signals, shared by its handlers and the handle.
pub(crate) struct ArgoFace {
    pub(crate) tokens: Vec<Token>,
    state: Mutex<ArgoState>,
    /// The latest resource version, for watches to wake on.
    changed: signal::Sender<u64>,
    control: signal::Sender<StreamControl>,
    keepalive_ms: AtomicU64,
    continue_bug: AtomicBool,
    /// argo-workflows#17041 (see `argo/control.rs`).
    pub(crate) shutdown_bug: AtomicBool,
    requests: Mutex<VecDeque<ArgoRequest>>,
}

impl ArgoFace {
    pub(crate) fn new(tokens: Vec<Token>, state: ArgoState) -> ArgoFace {
        let rv = state.rv();
        ArgoFace {
            tokens,
            state: Mutex::new(state),
            changed: signal::channel(rv).0,
            control: signal::channel(StreamControl::default()).0,
            keepalive_ms: AtomicU64::new(KEEPALIVE.as_millis() as u64),
            continue_bug: AtomicBool::new(true),
            shutdown_bug: AtomicBool::new(true),
            requests: Mutex::default(),
        }
    }

    /// The face's state. Lock the world first when holding both.
    pub(crate) fn state(&self) -> MutexGuard<'_, ArgoState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records what changed in the world since the last look and wakes the watches.
    pub(crate) fn observe(&self, w: &World, now: i64) {
        let mut st = self.state();
        self.settle(w, &mut st, now);
    }

    /// `observe` for a caller already holding the state (after an action changed things).
    pub(crate) fn settle(&self, w: &World, st: &mut ArgoState, now: i64) {
        if st.observe(w, now) {
            self.changed.send_replace(st.rv());
        }
    }

    pub(crate) fn namespaces(&self) -> Vec<String> {
        self.state().namespaces.clone()
    }

    pub(crate) fn end_streams(&self) {
        self.control.send_modify(|c| c.ended += 1);
    }

    pub(crate) fn drop_streams(&self) {
        self.control.send_modify(|c| c.dropped += 1);
    }

    pub(crate) fn set_keepalive(&self, every: Duration) {
        let ms = u64::try_from(every.as_millis()).unwrap_or(u64::MAX).max(1);
        self.keepalive_ms.store(ms, Ordering::Relaxed);
    }

    fn keepalive(&self) -> Duration {
        Duration::from_millis(self.keepalive_ms.load(Ordering::Relaxed))
    }

    pub(crate) fn set_continue_bug(&self, on: bool) {
        self.continue_bug.store(on, Ordering::Relaxed);
    }

    fn continue_bug(&self) -> bool {
        self.continue_bug.load(Ordering::Relaxed)
    }

    pub(crate) fn requests(&self) -> Vec<ArgoRequest> {
        self.requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .cloned()
            .collect()
    }

    fn record(&self, r: ArgoRequest) {
        let mut log = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        if log.len() == REQUEST_LOG {
            log.pop_front();
        }
        log.push_back(r);
    }
}

/// The router, and the (method, documented path) of every route it serves.
pub(crate) fn router(shared: Arc<Shared>) -> (Router, Vec<(&'static str, &'static str)>) {
    let routes = Routes::default()
        .get("/api/v1/info", info::info)
        .get("/api/v1/version", info::version)
        .get("/api/v1/userinfo", info::userinfo)
        .get("/api/v1/workflows/{namespace}", workflows::list)
        // An empty namespace segment means every namespace (spec §4.1).
        .get_as(
            "/api/v1/workflows/",
            "/api/v1/workflows/{namespace}",
            workflows::list_all,
        )
        .post("/api/v1/workflows/{namespace}", submit::create)
        .post("/api/v1/workflows/{namespace}/submit", submit::submit)
        .get("/api/v1/workflows/{namespace}/{name}", workflows::get)
        .put(
            "/api/v1/workflows/{namespace}/{name}/suspend",
            actions::suspend,
        )
        .put(
            "/api/v1/workflows/{namespace}/{name}/resume",
            actions::resume,
        )
        .put("/api/v1/workflows/{namespace}/{name}/stop", actions::stop)
        .put(
            "/api/v1/workflows/{namespace}/{name}/terminate",
            actions::terminate,
        )
        .put("/api/v1/workflows/{namespace}/{name}/set", actions::set)
        .put("/api/v1/workflows/{namespace}/{name}/retry", actions::retry)
        .put(
            "/api/v1/workflows/{namespace}/{name}/resubmit",
            actions::resubmit,
        )
        .get(
            "/api/v1/workflows/{namespace}/{name}/log",
            logs::workflow_log,
        )
        .get(
            "/api/v1/workflows/{namespace}/{name}/{podName}/log",
            logs::pod_log,
        )
        .get("/api/v1/workflow-events/{namespace}", watch::watch)
        .get_as(
            "/api/v1/workflow-events/",
            "/api/v1/workflow-events/{namespace}",
            watch::watch_all,
        )
        .get("/api/v1/workflow-templates/{namespace}", templates::list)
        .get(
            "/api/v1/workflow-templates/{namespace}/{name}",
            templates::get,
        )
        .get(
            "/api/v1/cluster-workflow-templates",
            templates::cluster_list,
        )
        .get(
            "/api/v1/cluster-workflow-templates/{name}",
            templates::cluster_get,
        )
        .get(
            "/api/v1/workflow-event-bindings/{namespace}",
            templates::bindings,
        )
        .post(
            "/api/v1/events/{namespace}/{discriminator}",
            events::receive,
        )
        // An empty discriminator leaves a trailing slash (spec §9).
        .post_as(
            "/api/v1/events/{namespace}/",
            "/api/v1/events/{namespace}/{discriminator}",
            events::receive_plain,
        );
    let router = routes
        .router
        .method_not_allowed_fallback(method_not_allowed)
        .route_layer(middleware::from_fn_with_state(shared.clone(), count_route))
        .route_layer(middleware::from_fn(version_header))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(
            shared.clone(),
            begin_request,
        ))
        .with_state(shared);
    (router, routes.table)
}

/// A router that remembers what it serves, for the conformance tests.
#[derive(Default)]
struct Routes {
    router: Router<Arc<Shared>>,
    table: Vec<(&'static str, &'static str)>,
}

impl Routes {
    fn get<H: Handler<T, Arc<Shared>>, T: 'static>(self, path: &'static str, h: H) -> Routes {
        self.get_as(path, path, h)
    }

    /// A GET served at `path` that the API documents as `documented`.
    fn get_as<H: Handler<T, Arc<Shared>>, T: 'static>(
        mut self,
        path: &'static str,
        documented: &'static str,
        h: H,
    ) -> Routes {
        self.router = self.router.route(path, axum::routing::get(h));
        self.table.push(("GET", documented));
        self
    }

    fn put<H: Handler<T, Arc<Shared>>, T: 'static>(mut self, path: &'static str, h: H) -> Routes {
        self.router = self.router.route(path, axum::routing::put(h));
        self.table.push(("PUT", path));
        self
    }

    fn post<H: Handler<T, Arc<Shared>>, T: 'static>(self, path: &'static str, h: H) -> Routes {
        self.post_as(path, path, h)
    }

    /// A POST served at `path` that the API documents as `documented`.
    fn post_as<H: Handler<T, Arc<Shared>>, T: 'static>(
        mut self,
        path: &'static str,
        documented: &'static str,
        h: H,
    ) -> Routes {
        self.router = self.router.route(path, axum::routing::post(h));
        self.table.push(("POST", documented));
        self
    }
}

/// Runs before everything: counts the request, records it for the tests, and brings the world
/// (and the face's resource versions) up to the clock.
async fn begin_request(State(s): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    s.stats().total_requests += 1;
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, BODY_LIMIT).await else {
        return ApiError::invalid("request body too large").into_response();
    };
    let path = parts
        .uri
        .path_and_query()
        .map_or_else(|| parts.uri.path().to_string(), |p| p.as_str().to_string());
    s.argo.record(ArgoRequest {
        method: parts.method.to_string(),
        path,
        body: recorded_body(&bytes),
    });
    s.sync();
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

fn recorded_body(bytes: &Bytes) -> Value {
    if bytes.is_empty() {
        return Value::Null;
    }
    serde_json::from_slice(bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(bytes).into_owned()))
}

/// Successful answers carry the server version; errors do not (spec §1).
async fn version_header(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    if res.status().is_success() {
        res.headers_mut().insert(
            "grpc-metadata-argo-version",
            HeaderValue::from_static(VERSION),
        );
    }
    res
}

/// Unknown path: grpc-gateway's `ErrUnknownURI` under `/api/`; the UI's file server elsewhere.
async fn not_found(State(s): State<Arc<Shared>>, req: Request) -> Response {
    s.stats()
        .count_request(req.method().as_str(), UNMATCHED_ROUTE);
    if req.uri().path().starts_with("/api/") {
        return ApiError::new(Code::Unimplemented, "Not Implemented").into_response();
    }
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "404 page not found\n",
    )
        .into_response()
}

/// Known path, other method: grpc-gateway v1 answers `Unimplemented`.
async fn method_not_allowed() -> Response {
    ApiError::new(Code::Unimplemented, "Method Not Allowed").into_response()
}
