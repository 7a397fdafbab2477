//! The Harness First Gen face of the world: the GraphQL endpoint `POST /gateway/api/graphql`
//! (and `/api/graphql`), served on the same listener as the NextGen face, as on the real
//! gateway (spec section 4 and 5.2/5.3).
//!
//! A request goes through, in the server's order: the API key (`x-api-key`; missing → 400 and
//! unknown → 401, both in the CG `RestResponse` envelope with `X-Harness-Error`), the
//! per-account limiter (429 with the GraphQL-shaped `RATE_LIMIT_REACHED` body), then the
//! GraphQL document itself (HTTP 200 whatever the GraphQL outcome).
//!
//! Choices where the spec is unsure:
//! - The bad-key message is the template text `Token is not valid.`.
//! - The account comes from the key; `accountId` in the query is ignored (the real server
//!   uses it only when the key yields none, which never happens here).
//! - The limiter is off by default so the demo and tests poll freely; tests switch it on
//!   with [`crate::SimHandle::set_harness_fg_rate_limit`] (30 is the real default). It
//!   counts per account in a sliding wall-clock minute, like the NextGen limiter.
//! - A body that is not JSON (or `text/plain`) is answered 400 with a GraphQL `errors` body.
//! - `executionInputs` lists each service with its `artifactSources { name }`, which the
//!   schema excerpt does not show; sources are named `docker_<service>`.
//! - A pipeline stage's `workflowExecutionId` is the id of that stage's run in the world,
//!   which `execution(executionId)` does not resolve (member workflow runs are not modelled).
//! - Every service deploys a Docker image (`artifactType: DOCKER`). A workflow execution's
//!   `outcomes` holds one `DeploymentOutcome` per service and environment its stages have
//!   started deploying to, whose `execution` is the workflow execution itself.
//! - A single value given for a list input (`serviceInputs: {...}`, as the Deep Dive's
//!   examples write it) is a list of one, as GraphQL input coercion has it.

mod graphql;
mod schema;

use std::sync::{Arc, Mutex};
use tokio::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header::CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Map, Value, json};

use super::Shared;
use super::limit::Limiter;
use schema::Schema;
pub(crate) use schema::{app_id, entity_id, is_workflow};

/// The GraphQL limiter's message (CORE `GraphQLConstants.RATE_LIMIT_REACHED`).
pub(crate) const RATE_LIMIT_MESSAGE: &str =
    "You've reached your account's rate limit for data queries. Please try again later.";

/// One First Gen API key and the world user it acts as.
#[derive(Clone, Debug)]
pub(crate) struct FgKey {
    pub(crate) value: String,
    pub(crate) user: String,
}

/// The account's First Gen keys and its GraphQL limiter.
#[derive(Debug)]
pub(crate) struct FgAuth {
    pub(crate) account: String,
    pub(crate) keys: Vec<FgKey>,
    pub(crate) limiter: Mutex<Limiter>,
}

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/gateway/api/graphql", post(graphql))
        .route("/api/graphql", post(graphql))
}

/// The CG `RestResponse` error envelope the authentication filter answers with.
fn rest_error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = json!({
        "metaData": null,
        "resource": null,
        "responseMessages": [{"code": code, "level": "ERROR", "message": message, "exception": null, "failureTypes": []}],
    });
    let mut response = (status, axum::Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(code) {
        response.headers_mut().insert("X-Harness-Error", v);
    }
    response
}

fn graphql_error(status: StatusCode, message: &str) -> Response {
    (
        status,
        axum::Json(json!({"errors": [{"message": message, "locations": []}]})),
    )
        .into_response()
}

async fn graphql(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let key = headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|k| !k.is_empty());
    let Some(key) = key else {
        return rest_error(
            StatusCode::BAD_REQUEST,
            "INVALID_REQUEST",
            "Invalid request: Api Key not supplied",
        );
    };
    let auth = &s.harness_fg;
    let Some(user) = auth
        .keys
        .iter()
        .find(|k| k.value == key)
        .map(|k| k.user.clone())
    else {
        return rest_error(
            StatusCode::UNAUTHORIZED,
            "INVALID_TOKEN",
            "Token is not valid.",
        );
    };
    let allowed = auth
        .limiter
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .allow(&auth.account, Instant::now());
    if !allowed {
        s.stats().rate_limited += 1;
        return graphql_error(StatusCode::TOO_MANY_REQUESTS, RATE_LIMIT_MESSAGE);
    }
    let Ok(bytes) = body else {
        return graphql_error(StatusCode::BAD_REQUEST, "Unable to read the request body");
    };
    let plain = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/plain"));
    let (query, operation, variables) = if plain {
        (
            String::from_utf8_lossy(&bytes).into_owned(),
            None,
            Map::new(),
        )
    } else {
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Object(mut o)) => (
                o.get("query")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                o.get("operationName")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                match o.remove("variables") {
                    Some(Value::Object(v)) => v,
                    _ => Map::new(),
                },
            ),
            _ => return graphql_error(StatusCode::BAD_REQUEST, "Unable to process JSON"),
        }
    };
    let mut world = s.world();
    let mut schema = Schema {
        shared: &s,
        world: &mut world,
        user,
        account: auth.account.clone(),
    };
    let body = graphql::execute(&query, operation.as_deref(), &variables, &mut schema);
    axum::Json(body).into_response()
}
