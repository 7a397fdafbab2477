//! The Infraxys face: the three execute endpoints of `specs/infraxys-nexla.md` (A.3 #1-#3)
//! on a listener of their own, over a small fixed catalogue.
//!
//! Infraxys is driven by config (it has no listing API), so this face does not use the shared
//! world: [`demo_catalogue`] is both what it serves and what `flightdeck demo` configures.
//!
//! Where the spec is unsure, the choices made here (all **[I]** in the spec):
//! - With a token required, a missing or wrong `Authorization: token <PAT>` is a 403 (the
//!   reference client knows no 401). The developer edition mode accepts any call.
//! - Error bodies are `{"status":"FAILED","message":...}` with 400/403/404; an unknown path
//!   gets Tomcat's HTML 404 page.
//! - A synchronous run answers after the configured latency with `actionResponse.message`
//!   (what an action sets with `set_rest_response`), `status`, and a `log` when asked for;
//!   the shapes differ per entry on purpose so clients must read them tolerantly. One entry
//!   answers plain text, as an action writing its own response might.
//! - An asynchronous run answers at once with `workflowRunGuid` and one `actionRunnerGuids`
//!   entry per step, the ids the progress stream is addressed by.
//! - `GET /api/v1/actions/stream2/{run}/{runner}` serves each runner's stream once (then
//!   forgets it, as a finished run's console is gone): three `data:` events, base64 as the
//!   spec says, spread over the latency: console output, a `<CLIENT-FEEDBACK>` status
//!   message, more output; then it closes. An unknown pair is a 404.
//! - A reserved namespace (`kube-system`, `default`) makes "Provision namespace" answer
//!   `{"status":"FAILED",...}` inside a 200: the run happened and failed.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use futures::StreamExt;
use serde_json::{Map, Value, json};

use super::Shared;
use super::ids;
use super::stats::{UNMATCHED_ROUTE, count_route};

/// The module branch everything in the catalogue lives on.
pub const BRANCH: &str = "master";
/// How long a synchronous run takes unless a test says otherwise: long enough to see the
/// dashboard wait, short enough not to bore.
const DEFAULT_LATENCY: Duration = Duration::from_millis(800);

const ENVIRONMENT: &str = "5b0d6c1e-3a4f-4f7e-9d2a-1c8e7b6a0f31";
const PROVISION: &str = "a1f3e9c2-7b64-4d15-8e0a-92c4d7f1b356";
const ROTATE: &str = "c7e2b8d4-19a5-4c3e-b6f0-5d8a2e7c9b14";
const INSTANCE: &str = "e4d1a7c9-6b2f-4e8a-a3c5-0f9b7d2e1c68";
const RESTART: &str = "restart_ingress.sh";
const EXPORT: &str = "export_inventory.sh";
const FLUSH: &str = "flush-cdn-cache";
const RESERVED_NAMESPACES: [&str; 2] = ["kube-system", "default"];

/// What the Infraxys face serves: the simulator's own description of its catalogue, from
/// which `client_config` writes the `[[backend.workflow]]`, `[[backend.action]]` and
/// `[[backend.alias]]` entries a flightdeck config needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InfraxysCatalogue {
    pub branch: String,
    pub workflows: Vec<InfraxysWorkflow>,
    pub actions: Vec<InfraxysAction>,
    pub aliases: Vec<InfraxysAlias>,
}

/// A workflow of an environment:
/// `POST /api/v1/environment/{branch}/{environment_id}/workflow/{workflow_id}/execute`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InfraxysWorkflow {
    pub name: String,
    pub environment_id: String,
    pub workflow_id: String,
    pub asynchronous: bool,
    pub arguments: Vec<Argument>,
}

/// A file of an instance: `POST /api/v1/instance/{branch}/{instance_id}/files/{filename}/execute`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InfraxysAction {
    pub name: String,
    pub instance_id: String,
    pub filename: String,
    pub asynchronous: bool,
    pub arguments: Vec<Argument>,
}

/// An action alias: `POST /api/v1/actions/start/{alias}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InfraxysAlias {
    pub name: String,
    pub alias: String,
    pub asynchronous: bool,
    pub arguments: Vec<Argument>,
}

/// One key of the JSON `argument` an entry's script reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Argument {
    pub name: String,
    pub kind: ArgumentKind,
    pub required: bool,
    /// The default as text: `"4"`, `"false"`, `"/*"`.
    pub default: Option<String>,
}

/// The JSON type of an [`Argument`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgumentKind {
    String,
    Number,
    Bool,
}

fn argument(name: &str, kind: ArgumentKind, required: bool, default: Option<&str>) -> Argument {
    Argument {
        name: name.to_owned(),
        kind,
        required,
        default: default.map(str::to_owned),
    }
}

/// The fixed catalogue: two workflows (one synchronous, one asynchronous), two instance
/// actions and one action alias.
pub fn demo_catalogue() -> InfraxysCatalogue {
    InfraxysCatalogue {
        branch: BRANCH.to_owned(),
        workflows: vec![
            InfraxysWorkflow {
                name: "Provision namespace".to_owned(),
                environment_id: ENVIRONMENT.to_owned(),
                workflow_id: PROVISION.to_owned(),
                asynchronous: false,
                arguments: vec![
                    argument("namespace", ArgumentKind::String, true, None),
                    argument("cpu_quota", ArgumentKind::Number, false, Some("4")),
                    argument("dry_run", ArgumentKind::Bool, false, Some("false")),
                ],
            },
            InfraxysWorkflow {
                name: "Rotate DB credentials".to_owned(),
                environment_id: ENVIRONMENT.to_owned(),
                workflow_id: ROTATE.to_owned(),
                asynchronous: true,
                arguments: vec![argument(
                    "database",
                    ArgumentKind::String,
                    false,
                    Some("ledger"),
                )],
            },
        ],
        actions: vec![
            InfraxysAction {
                name: "Restart ingress".to_owned(),
                instance_id: INSTANCE.to_owned(),
                filename: RESTART.to_owned(),
                asynchronous: false,
                arguments: vec![argument(
                    "graceful",
                    ArgumentKind::Bool,
                    false,
                    Some("true"),
                )],
            },
            InfraxysAction {
                name: "Export inventory".to_owned(),
                instance_id: INSTANCE.to_owned(),
                filename: EXPORT.to_owned(),
                asynchronous: false,
                arguments: Vec::new(),
            },
        ],
        aliases: vec![InfraxysAlias {
            name: "Flush CDN cache".to_owned(),
            alias: FLUSH.to_owned(),
            asynchronous: false,
            arguments: vec![argument("path", ArgumentKind::String, false, Some("/*"))],
        }],
    }
}

/// The face's settings and counters, shared by its handlers and the handle.
pub(crate) struct InfraxysFace {
    pub(crate) token: String,
    pub(crate) token_required: AtomicBool,
    latency_ms: AtomicU64,
    runs: AtomicU64,
    /// Progress streams not yet read: (run, runner) to the step's status message.
    streams: Mutex<HashMap<(String, String), String>>,
}

impl InfraxysFace {
    pub(crate) fn new(token: String) -> InfraxysFace {
        InfraxysFace {
            token,
            token_required: AtomicBool::new(true),
            latency_ms: AtomicU64::new(DEFAULT_LATENCY.as_millis() as u64),
            runs: AtomicU64::new(0),
            streams: Mutex::default(),
        }
    }

    pub(crate) fn set_latency(&self, latency: Duration) {
        let ms = u64::try_from(latency.as_millis()).unwrap_or(u64::MAX);
        self.latency_ms.store(ms, Ordering::Relaxed);
    }

    fn latency(&self) -> Duration {
        Duration::from_millis(self.latency_ms.load(Ordering::Relaxed))
    }

    fn streams(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), String>> {
        self.streams.lock().unwrap_or_else(|e| e.into_inner())
    }
}

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route(
            "/api/v1/environment/{branch}/{environment_id}/workflow/{workflow_id}/execute",
            post(workflow),
        )
        .route(
            "/api/v1/instance/{branch}/{instance_id}/files/{filename}/execute",
            post(instance_file),
        )
        .route("/api/v1/actions/start/{alias}", post(alias))
        .route("/api/v1/actions/stream2/{run}/{runner}", get(stream2))
        .route_layer(middleware::from_fn_with_state(shared.clone(), count_route))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(
            shared.clone(),
            count_request,
        ))
        .with_state(shared)
}

async fn count_request(State(s): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    s.stats().total_requests += 1;
    next.run(req).await
}

/// Tomcat's page for a path no servlet maps.
async fn not_found(State(s): State<Arc<Shared>>, req: Request) -> Response {
    s.stats()
        .count_request(req.method().as_str(), UNMATCHED_ROUTE);
    let page = "<!doctype html><html lang=\"en\"><head><title>HTTP Status 404 – Not Found</title></head>\
                <body><h1>HTTP Status 404 – Not Found</h1></body></html>";
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/html;charset=utf-8")],
        page,
    )
        .into_response()
}

/// An error answer: `{"status":"FAILED","message":...}` with a 4xx status.
struct Refusal {
    status: StatusCode,
    message: String,
}

fn refuse(status: StatusCode, message: impl Into<String>) -> Refusal {
    Refusal {
        status,
        message: message.into(),
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        (
            self.status,
            axum::Json(json!({"status": "FAILED", "message": self.message})),
        )
            .into_response()
    }
}

/// What a run was asked to do.
enum Job {
    Provision,
    Rotate,
    Restart,
    Export,
    Flush,
}

/// A checked execute request.
struct Call {
    asynchronous: bool,
    return_log: bool,
    argument: Map<String, Value>,
}

/// Authentication, then the body: the order a servlet filter and then the resource see them.
fn admit(s: &Shared, headers: &HeaderMap, body: &[u8]) -> Result<Call, Refusal> {
    authorize(s, headers)?;
    let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(body) else {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            "Unable to parse the request body: a JSON object is expected",
        ));
    };
    let flag = |key: &str| match body.get(key) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(refuse(
            StatusCode::BAD_REQUEST,
            format!("{key} must be true or false"),
        )),
    };
    let asynchronous = flag("asynchronous")?;
    let return_log = flag("returnLog")?;
    // `arguments` is what older JS clients sent to the actions endpoint.
    let argument = match body.get("argument").or_else(|| body.get("arguments")) {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(map)) => map.clone(),
        Some(_) => {
            return Err(refuse(
                StatusCode::BAD_REQUEST,
                "argument must be a JSON object",
            ));
        }
    };
    Ok(Call {
        asynchronous,
        return_log,
        argument,
    })
}

/// With a token required, `Authorization: token <PAT>` must match it.
fn authorize(s: &Shared, headers: &HeaderMap) -> Result<(), Refusal> {
    let face = &s.infraxys;
    if face.token_required.load(Ordering::Relaxed) {
        let expected = format!("token {}", face.token);
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        if given != Some(expected.as_str()) {
            return Err(refuse(
                StatusCode::FORBIDDEN,
                "Access denied: invalid or missing personal access token",
            ));
        }
    }
    Ok(())
}

fn check_branch(branch: &str) -> Result<(), Refusal> {
    if branch == BRANCH {
        Ok(())
    } else {
        Err(refuse(
            StatusCode::NOT_FOUND,
            format!("Branch {branch} not found in any installed module"),
        ))
    }
}

async fn workflow(
    State(s): State<Arc<Shared>>,
    Path((branch, environment_id, workflow_id)): Path<(String, String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Refusal> {
    let call = admit(&s, &headers, &body)?;
    check_branch(&branch)?;
    if environment_id != ENVIRONMENT {
        return Err(refuse(
            StatusCode::NOT_FOUND,
            format!("Environment {environment_id} not found"),
        ));
    }
    let job = match workflow_id.as_str() {
        PROVISION => Job::Provision,
        ROTATE => Job::Rotate,
        _ => {
            return Err(refuse(
                StatusCode::NOT_FOUND,
                format!("Workflow {workflow_id} not found in environment {environment_id}"),
            ));
        }
    };
    Ok(run(&s, job, call).await)
}

async fn instance_file(
    State(s): State<Arc<Shared>>,
    Path((branch, instance_id, filename)): Path<(String, String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Refusal> {
    let call = admit(&s, &headers, &body)?;
    check_branch(&branch)?;
    if instance_id != INSTANCE {
        return Err(refuse(
            StatusCode::NOT_FOUND,
            format!("Instance {instance_id} not found"),
        ));
    }
    let job = match filename.as_str() {
        RESTART => Job::Restart,
        EXPORT => Job::Export,
        _ => {
            return Err(refuse(
                StatusCode::NOT_FOUND,
                format!("File {filename} not found on instance {instance_id}"),
            ));
        }
    };
    Ok(run(&s, job, call).await)
}

async fn alias(
    State(s): State<Arc<Shared>>,
    Path(alias): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Refusal> {
    let call = admit(&s, &headers, &body)?;
    if alias != FLUSH {
        return Err(refuse(
            StatusCode::NOT_FOUND,
            format!("No action is linked to alias {alias}"),
        ));
    }
    Ok(run(&s, Job::Flush, call).await)
}

/// Runs an admitted job: counted as a start, then answered at once (asynchronous) or after
/// the run's latency (synchronous).
async fn run(s: &Shared, job: Job, call: Call) -> Response {
    s.stats().infraxys_starts += 1;
    let n = s.infraxys.runs.fetch_add(1, Ordering::SeqCst);
    let text = |key: &str, default: &str| match call.argument.get(key) {
        Some(Value::String(v)) => v.clone(),
        Some(other) => other.to_string(),
        None => default.to_owned(),
    };
    if call.asynchronous {
        let guid = |k: u64| {
            let x = s.seed ^ n.rotate_left(17) ^ k;
            ids::uuid_v4(u128::from(ids::mix(x)) << 64 | u128::from(ids::mix(x ^ 0x1F2A)))
        };
        let steps = match job {
            Job::Rotate => {
                let database = text("database", "ledger");
                vec![
                    format!("Rotating credentials of {database}"),
                    format!("Credentials of {database} rotated"),
                ]
            }
            _ => vec!["Action finished".to_owned()],
        };
        let run = guid(0);
        let mut runners = Vec::new();
        let mut streams = s.infraxys.streams();
        for (k, message) in (1..).zip(steps) {
            let runner = guid(k);
            streams.insert((run.clone(), runner.clone()), message);
            runners.push(runner);
        }
        return axum::Json(json!({"workflowRunGuid": run, "actionRunnerGuids": runners}))
            .into_response();
    }
    tokio::time::sleep(s.infraxys.latency()).await;
    let truthy = |key: &str, default: bool| {
        call.argument
            .get(key)
            .and_then(Value::as_bool)
            .unwrap_or(default)
    };
    match job {
        Job::Provision => {
            let namespace = text("namespace", "");
            if namespace.is_empty() {
                return axum::Json(json!({"status": "FAILED", "message": "argument.namespace is required"}))
                    .into_response();
            }
            if RESERVED_NAMESPACES.contains(&namespace.as_str()) {
                return axum::Json(json!({
                    "status": "FAILED",
                    "message": format!("Namespace {namespace} is reserved and cannot be provisioned"),
                }))
                .into_response();
            }
            let cpu = text("cpu_quota", "4");
            let verb = if truthy("dry_run", false) { "would be provisioned (dry run)" } else { "provisioned" };
            axum::Json(json!({
                "status": "SUCCESS",
                "actionResponse": {"message": format!("Namespace {namespace} {verb} with a quota of {cpu} CPU")},
            }))
            .into_response()
        }
        Job::Rotate => axum::Json(json!({
            "status": "SUCCESS",
            "actionResponse": {"message": format!("Credentials of {} rotated", text("database", "ledger"))},
        }))
        .into_response(),
        // No status word: only the message the action set.
        Job::Restart => {
            let how = if truthy("graceful", true) { "graceful" } else { "forced" };
            axum::Json(json!({"actionResponse": {"message": format!("ingress-nginx restarted ({how})")}}))
                .into_response()
        }
        // An action that writes its own plain-text response.
        Job::Export => (
            [(header::CONTENT_TYPE, "text/plain;charset=utf-8")],
            "inventory written to /cache/project/inventory.csv (42 hosts)",
        )
            .into_response(),
        Job::Flush => {
            let path = text("path", "/*");
            let mut body = json!({
                "status": "SUCCESS",
                "message": format!("Purged {path} on 3 edge locations"),
            });
            if call.return_log {
                body["log"] = Value::String(format!(
                    "purge requested for {path}\nams: done\nfra: done\niad: done"
                ));
            }
            axum::Json(body).into_response()
        }
    }
}

/// One runner's progress stream, served once.
async fn stream2(
    State(s): State<Arc<Shared>>,
    Path((run, runner)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, Refusal> {
    authorize(&s, &headers)?;
    let Some(message) = s.infraxys.streams().remove(&(run.clone(), runner.clone())) else {
        return Err(refuse(
            StatusCode::NOT_FOUND,
            format!("No action runner {runner} in run {run}"),
        ));
    };
    let feedback = json!({"type": "STATUS-MESSAGE", "message": message});
    let events = [
        format!("runner {runner} started\n"),
        format!("<CLIENT-FEEDBACK>{feedback}</CLIENT-FEEDBACK>"),
        format!("runner {runner} done\n"),
    ];
    let pause = s.infraxys.latency() / 3;
    let body = futures::stream::iter(events).then(move |text| async move {
        tokio::time::sleep(pause).await;
        Ok::<_, Infallible>(format!("data: {}\n\n", STANDARD.encode(text)))
    });
    Ok((
        [(header::CONTENT_TYPE, "text/event-stream")],
        axum::body::Body::from_stream(body),
    )
        .into_response())
}
