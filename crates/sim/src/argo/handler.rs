//! What every handler of the face shares: reading a JSON body, answering JSON, and locking
//! the world and the face's state.

use std::sync::MutexGuard;

use axum::body::Bytes;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::errors::ApiError;
use super::state::ArgoState;
use crate::Shared;
use crate::world::World;

/// A JSON body: empty means `{}` (grpc-gateway tolerates EOF); anything unparsable is 400.
pub(crate) fn body(bytes: &Bytes) -> Result<Value, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Default::default()));
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Null) => Ok(Value::Object(Default::default())),
        Ok(v) => Ok(v),
        Err(e) => Err(ApiError::invalid(e.to_string())),
    }
}

/// A successful JSON answer.
pub(crate) fn ok(v: Value) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], v.to_string()).into_response()
}

/// Locks the world and then the face's state (every request has brought both up to the clock
/// on its way in).
pub(crate) fn lock(s: &Shared) -> (MutexGuard<'_, World>, MutexGuard<'_, ArgoState>) {
    let w = s.world();
    let st = s.argo.state();
    (w, st)
}
