//! Faults injected into the simulator by tests and benchmarks: added latency on every
//! request, and server errors for requests whose path names given ids (say, the approval
//! instances of a batch that should fail).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::Shared;

#[derive(Debug, Default, Clone)]
pub struct Faults {
    /// Added before every request is handled.
    pub latency: Duration,
    /// A request whose path contains one of these answers 500 without being handled.
    pub fail_paths_containing: Vec<String>,
}

pub(crate) type SharedFaults = Mutex<Faults>;

pub(crate) async fn inject(
    State(shared): State<Arc<Shared>>,
    req: Request,
    next: Next,
) -> Response {
    let faults = shared
        .faults
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    if !faults.latency.is_zero() {
        tokio::time::sleep(faults.latency).await;
    }
    let path = req.uri().path();
    if faults
        .fail_paths_containing
        .iter()
        .any(|id| !id.is_empty() && path.contains(id.as_str()))
    {
        let body = serde_json::json!({
            "status": "ERROR",
            "code": "UNKNOWN_ERROR",
            "message": "Oops, something went wrong on our end. Please contact Harness Support.",
            "correlationId": null,
            "detailedMessage": null,
            "responseMessages": [],
            "metadata": null,
        });
        return (StatusCode::INTERNAL_SERVER_ERROR, axum::Json(body)).into_response();
    }
    next.run(req).await
}
