//! The Harness NextGen face of the world: the pipeline service's legacy REST endpoints
//! (`/pipeline/api/...`, ResponseDTO envelopes) and its `/v1/...` endpoints (bare JSON),
//! each reachable with and without the `/gateway` prefix, as `specs/harness-api.md` describes.
//!
//! Requests are answered the way the real server's filters and exception mappers would: the
//! route is matched first (unknown paths and methods never see authentication), then the API key
//! and account are checked, then bean validation of required parameters, then RBAC, then the
//! handler's own checks, each with its verbatim error body.
//!
//! Where the spec marks a point unconfirmed, the choice made here:
//! - Both `/v1/...` and `/gateway/pipeline/api/v1/...` are served, like both legacy prefixes.
//! - A bad or missing `x-api-key` gives 401 `INVALID_TOKEN` with the template text
//!   `Token is not valid.`.
//! - `inputSetTemplateYaml` is `""` for a pipeline without runtime inputs.
//! - v1 approve reads `approver_inputs`, and also the camelCase `approverInputs` of published
//!   examples. `callback_id` matches the approval step's spec `callbackId` (an author-chosen
//!   id), not the instance id found in the graph's `callbackIds`.
//! - v1 list, get and execute require `Harness-Account` like the v1 approval endpoints.
//! - Structural graph nodes use `PIPELINE_SECTION`, `STAGES_STEP`, `NG_FORK` (parallel stages)
//!   and `NG_EXECUTION`; stage nodes `IntegrationStageStepPMS`, `DEPLOYMENT_STAGE_STEP`,
//!   `APPROVAL_STAGE`, `CUSTOM_STAGE`. Parallel stages sit under a `parallel` layout node.
//! - An execution is `ApprovalWaiting` while any of its stages waits on a gate, even if a
//!   parallel stage is still running.
//! - Interrupts accept `AbortAll` (any case, underscores ignored); other types are an
//!   unconvertible parameter (400 FailureDTO).
//! - Runtime-input problems are 400 `INVALID_REQUEST` naming every bad input.
//! - Throttling is a 429 ErrorDTO (`TOO_MANY_REQUESTS`) without `Retry-After`.
//! - The log service (`harness/logs.rs`) answers on `/gateway/log-service/...` and on
//!   `/log-service/...`, with its own `{"error_msg"}` error bodies.
//! - Malformed JSON gets Dropwizard's `{"code":400,"message":"Unable to process JSON",...}`,
//!   the one error body without a correlation id; AccessDeniedErrorDTO carries one.

mod approvals;
mod auth;
mod control;
mod errors;
mod executions;
mod graph;
mod identity;
mod logs;
mod pipelines;
mod render;
mod yaml;

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Router;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::HeaderValue;
use axum::http::request::Parts;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde_json::{Value, json};

pub(crate) use auth::{HarnessAuth, Token, TokenKind, token_account};
use errors::ApiError;

use super::Shared;
use super::ids;
use super::stats::{UNMATCHED_ROUTE, count_route};

/// The correlation id of the request being answered; every error body and envelope carries it.
#[derive(Clone, Debug)]
pub(crate) struct Cid(pub(crate) String);

/// Query parameters, decoded leniently (a repeated key keeps every value, in order). Parsed by
/// hand so a malformed query never produces a framework-shaped error body.
#[derive(Clone, Debug, Default)]
pub(crate) struct Params(Vec<(String, String)>);

impl Params {
    pub(crate) fn parse(query: Option<&str>) -> Params {
        Params(
            url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// The first value of `key`.
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The first non-empty value of `key`.
    pub(crate) fn non_empty(&self, key: &str) -> Option<&str> {
        self.get(key).filter(|v| !v.is_empty())
    }

    /// Every value of a repeatable `key`.
    pub(crate) fn all(&self, key: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The values of parameters the server declares `@NotNull`, or the bean-validation failure
    /// naming every missing one.
    pub(crate) fn required<const N: usize>(
        &self,
        keys: [&str; N],
    ) -> Result<[String; N], ApiError> {
        let missing: Vec<(String, String)> = keys
            .iter()
            .filter(|k| self.get(k).is_none())
            .map(|k| (k.to_string(), "must not be null".to_string()))
            .collect();
        if !missing.is_empty() {
            return Err(ApiError::Validation(missing));
        }
        Ok(keys.map(|k| self.get(k).unwrap_or_default().to_string()))
    }

    /// An integer parameter with a default. A value that is not a 32-bit integer fails the way
    /// JAX-RS parameter conversion does: as if the resource did not exist.
    pub(crate) fn int(&self, key: &str, default: i64) -> Result<i64, ApiError> {
        match self.get(key) {
            None => Ok(default),
            Some(v) => v
                .trim()
                .parse::<i32>()
                .map(i64::from)
                .map_err(|_| ApiError::NoRoute(errors::NOT_FOUND)),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Params, Infallible> {
        Ok(Params::parse(parts.uri.query()))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Cid {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Cid, Infallible> {
        Ok(parts
            .extensions
            .get::<Cid>()
            .cloned()
            .unwrap_or_else(|| Cid(String::new())))
    }
}

/// A successful answer before it is serialized.
pub(crate) enum Reply {
    /// Legacy endpoints: wrapped in `{"status":"SUCCESS","data":...}`.
    Envelope(Value),
    /// v1 endpoints: the value itself.
    Bare(Value),
    /// v1 list endpoints: the array plus `X-Total-Elements`, `X-Page-Number`, `X-Page-Size`.
    Paged {
        items: Value,
        total: usize,
        page: i64,
        size: i64,
    },
}

pub(crate) type Outcome = Result<Reply, ApiError>;

/// Serializes an outcome with the request's correlation id.
pub(crate) fn finish(cid: &Cid, outcome: Outcome) -> Response {
    match outcome {
        Ok(Reply::Envelope(data)) => axum::Json(json!({
            "status": "SUCCESS",
            "data": data,
            "metaData": null,
            "correlationId": cid.0,
        }))
        .into_response(),
        Ok(Reply::Bare(value)) => axum::Json(value).into_response(),
        Ok(Reply::Paged {
            items,
            total,
            page,
            size,
        }) => {
            let mut response = axum::Json(items).into_response();
            let headers = response.headers_mut();
            for (name, value) in [
                ("X-Total-Elements", total.to_string()),
                ("X-Page-Number", page.to_string()),
                ("X-Page-Size", size.to_string()),
            ] {
                if let Ok(v) = HeaderValue::from_str(&value) {
                    headers.insert(name, v);
                }
            }
            response
        }
        Err(e) => e.response(&cid.0),
    }
}

/// A Spring Data `Page` as Jackson renders it.
pub(crate) fn page_json(content: Vec<Value>, total: usize, page: i64, size: i64) -> Value {
    let size_u = usize::try_from(size.max(1)).unwrap_or(usize::MAX);
    let total_pages = total.div_ceil(size_u);
    let count = content.len();
    let sort = json!({"sorted": true, "unsorted": false, "empty": false});
    json!({
        "content": content,
        "pageable": {
            "sort": sort,
            "pageNumber": page,
            "pageSize": size,
            "offset": page.saturating_mul(size),
            "paged": true,
            "unpaged": false,
        },
        "totalElements": total,
        "totalPages": total_pages,
        "last": i64::try_from(total_pages).unwrap_or(i64::MAX) <= page.saturating_add(1),
        "first": page == 0,
        "size": size,
        "number": page,
        "sort": sort,
        "numberOfElements": count,
        "empty": count == 0,
    })
}

/// One page of `items` (page and size are already validated as non-negative and positive).
pub(crate) fn slice<T>(items: Vec<T>, page: i64, size: i64) -> Vec<T> {
    let skip = usize::try_from(page.saturating_mul(size)).unwrap_or(usize::MAX);
    let take = usize::try_from(size).unwrap_or(usize::MAX);
    items.into_iter().skip(skip).take(take).collect()
}

/// Every NextGen route, under every prefix the real gateway answers on.
pub(crate) fn routes() -> Router<Arc<Shared>> {
    let mut r: Router<Arc<Shared>> = Router::new();
    for p in ["/pipeline/api", "/gateway/pipeline/api"] {
        r = r
            .route(&format!("{p}/pipelines/list"), post(pipelines::list))
            .route(
                &format!("{p}/pipelines/summary/{{pipelineIdentifier}}"),
                get(pipelines::summary),
            )
            .route(
                &format!("{p}/pipelines/{{pipelineIdentifier}}"),
                get(pipelines::get),
            )
            .route(
                &format!("{p}/inputSets/template"),
                post(pipelines::template),
            )
            .route(
                &format!("{p}/pipeline/execute/{{identifier}}"),
                post(executions::execute),
            )
            .route(
                &format!("{p}/pipeline/execute/interrupt/{{planExecutionId}}"),
                put(control::interrupt),
            )
            .route(
                &format!("{p}/pipeline/execute/interrupt/{{planExecutionId}}/{{nodeExecutionId}}"),
                put(control::stage_interrupt),
            )
            .route(
                &format!("{p}/pipeline/execute/{{identifier}}/retryStages"),
                get(control::retry_stages),
            )
            .route(
                &format!("{p}/pipeline/execute/retry/{{pipelineIdentifier}}"),
                post(control::retry),
            )
            .route(
                &format!("{p}/pipeline/execute/retryHistory/{{planExecutionId}}"),
                get(control::retry_history),
            )
            .route(
                &format!("{p}/pipelines/execution/{{planExecutionId}}/inputsetV2"),
                get(control::inputset),
            )
            .route(
                &format!(
                    "{p}/pipeline/execute/rerun/{{originalExecutionId}}/{{pipelineIdentifier}}"
                ),
                post(control::rerun),
            )
            .route(
                &format!("{p}/pipelines/execution/summary"),
                post(executions::list),
            )
            .route(
                &format!("{p}/pipelines/execution/v2/{{planExecutionId}}"),
                get(executions::detail_v2),
            )
            .route(
                &format!("{p}/pipelines/execution/{{planExecutionId}}"),
                get(executions::detail_v1),
            )
            .route(
                &format!("{p}/approvals/{{approvalInstanceId}}"),
                get(approvals::get),
            )
            .route(
                &format!("{p}/approvals/{{approvalInstanceId}}/harness/authorization"),
                get(approvals::authorization),
            )
            .route(
                &format!("{p}/approvals/{{approvalInstanceId}}/harness/activity"),
                post(approvals::activity),
            );
    }
    // The log service: `/gateway/log-service` on SaaS; without the prefix too, like the
    // pipeline service, for a client whose base URL is the host itself.
    for p in ["/log-service", "/gateway/log-service"] {
        r = r
            .route(&format!("{p}/blob"), get(logs::blob))
            .route(&format!("{p}/stream"), get(logs::stream));
    }
    // The NextGen manager, beside the pipeline service on the same gateway.
    for p in ["/ng/api", "/gateway/ng/api"] {
        r = r
            .route(
                &format!("{p}/user/currentUser"),
                get(identity::current_user),
            )
            .route(&format!("{p}/token/validate"), post(identity::validate));
    }
    for p in ["/v1", "/gateway/pipeline/api/v1"] {
        let base = format!("{p}/orgs/{{org}}/projects/{{project}}");
        r = r
            .route(&format!("{base}/pipelines"), get(pipelines::v1_list))
            .route(
                &format!("{base}/pipelines/{{pipeline}}"),
                get(pipelines::v1_get),
            )
            .route(
                &format!("{base}/pipelines/{{pipeline}}/execute"),
                post(executions::v1_execute),
            )
            .route(
                &format!("{base}/approvals/execution/{{executionId}}"),
                get(approvals::v1_list).post(approvals::v1_decide),
            );
    }
    r
}

/// The gateway in front of `routes` (the NextGen routes, and whatever else shares the host):
/// correlation ids, request counting, and the pipeline service's answers to unknown paths
/// and methods.
pub(crate) fn gateway(routes: Router<Arc<Shared>>, shared: Arc<Shared>) -> Router {
    routes
        .method_not_allowed_fallback(method_not_allowed)
        .route_layer(middleware::from_fn_with_state(shared.clone(), count_route))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(
            shared.clone(),
            begin_request,
        ))
        .with_state(shared)
}

/// Runs before everything: gives the request its correlation id, counts it, and brings the
/// world up to the clock so every answer reflects "now".
async fn begin_request(State(s): State<Arc<Shared>>, mut req: Request, next: Next) -> Response {
    let n = s.requests.fetch_add(1, Ordering::SeqCst);
    let bits = u128::from(ids::mix(s.seed ^ n)) << 64
        | u128::from(ids::mix(n.wrapping_add(s.seed.rotate_left(32))));
    req.extensions_mut().insert(Cid(ids::uuid_v4(bits)));
    s.stats().total_requests += 1;
    s.sync();
    next.run(req).await
}

/// Unknown path: the pipeline service's NotFoundExceptionMapper answers 400, not 404.
async fn not_found(State(s): State<Arc<Shared>>, cid: Cid, req: Request) -> Response {
    s.stats()
        .count_request(req.method().as_str(), UNMATCHED_ROUTE);
    ApiError::NoRoute(errors::NOT_FOUND).response(&cid.0)
}

/// Known path, wrong method: NotAllowedExceptionMapper, also 400.
async fn method_not_allowed(cid: Cid) -> Response {
    ApiError::NoRoute(errors::NOT_ALLOWED).response(&cid.0)
}
