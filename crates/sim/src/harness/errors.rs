//! Error bodies, exactly as the pipeline service's exception mappers write them: ErrorDTO for
//! WingsExceptions, FailureDTO for bean validation and unmatched routes, AccessDeniedErrorDTO
//! for RBAC, Dropwizard's body for unparseable JSON.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// What Jersey says when no resource matches the path.
pub(crate) const NOT_FOUND: &str = "HTTP 404 Not Found";
/// What Jersey says when the path matches but the method does not.
pub(crate) const NOT_ALLOWED: &str = "HTTP 405 Method Not Allowed";

/// Who was denied, for the RBAC message.
#[derive(Clone, Debug)]
pub(crate) struct Denied {
    /// `USER` or `SERVICE_ACCOUNT`.
    pub(crate) principal_type: &'static str,
    pub(crate) principal: String,
    pub(crate) permission: &'static str,
    pub(crate) scope: (String, String, String),
    /// The pipeline checked, when the check names one.
    pub(crate) pipeline: Option<String>,
}

#[derive(Clone, Debug)]
pub(crate) enum ApiError {
    /// 400 `INVALID_REQUEST`; the message gets the `Invalid request: ` prefix of its template.
    Invalid(String),
    /// 404 `ENTITY_NOT_FOUND`; the message is used as is.
    NotFound(String),
    /// 400 FailureDTO from bean validation: (field, error) pairs.
    Validation(Vec<(String, String)>),
    /// 400 FailureDTO `RESOURCE_NOT_FOUND_EXCEPTION` (unmatched path or method, or a query
    /// parameter JAX-RS could not convert).
    NoRoute(&'static str),
    /// 403 `NG_ACCESS_DENIED`.
    AccessDenied(Box<Denied>),
    /// 401 `INVALID_TOKEN`.
    InvalidToken,
    /// 400 from Dropwizard's JsonProcessingExceptionMapper, with the parser's details.
    BadJson(String),
    /// 429 from the per-key limiter. No `Retry-After`: the real edge sends none either.
    TooManyRequests,
    /// A body that could not be read (too large, broken stream): the status to answer with.
    Body(StatusCode, String),
    /// 400 ErrorDTO with an ErrorCode of its own and its message template, e.g.
    /// `ABORT_ALL_ALREADY_NG`.
    Coded(&'static str, String),
    /// 500 `UNKNOWN_ERROR`, as GenericExceptionMapperV2 answers an unexpected exception.
    Unknown,
}

fn error_dto(status: StatusCode, code: &str, message: &str, cid: &str) -> Response {
    (
        status,
        axum::Json(json!({
            "status": "ERROR",
            "code": code,
            "message": message,
            "correlationId": cid,
            "detailedMessage": null,
            "responseMessages": [{
                "code": code,
                "level": "ERROR",
                "message": message,
                "exception": null,
                "failureTypes": [],
            }],
            "metadata": null,
        })),
    )
        .into_response()
}

fn failure_dto(code: &str, message: &str, errors: Value, cid: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        axum::Json(json!({
            "status": "FAILURE",
            "code": code,
            "message": message,
            "correlationId": cid,
            "errors": errors,
        })),
    )
        .into_response()
}

impl ApiError {
    pub(crate) fn response(self, cid: &str) -> Response {
        match self {
            ApiError::Invalid(text) => error_dto(
                StatusCode::BAD_REQUEST,
                "INVALID_REQUEST",
                &format!("Invalid request: {text}"),
                cid,
            ),
            ApiError::NotFound(text) => {
                error_dto(StatusCode::NOT_FOUND, "ENTITY_NOT_FOUND", &text, cid)
            }
            ApiError::InvalidToken => error_dto(
                StatusCode::UNAUTHORIZED,
                "INVALID_TOKEN",
                "Token is not valid.",
                cid,
            ),
            ApiError::TooManyRequests => error_dto(
                StatusCode::TOO_MANY_REQUESTS,
                "TOO_MANY_REQUESTS",
                "Too many requests. Please try again later.",
                cid,
            ),
            ApiError::Body(status, text) => error_dto(
                status,
                "INVALID_REQUEST",
                &format!("Invalid request: {text}"),
                cid,
            ),
            ApiError::Coded(code, text) => error_dto(StatusCode::BAD_REQUEST, code, &text, cid),
            ApiError::Unknown => error_dto(
                StatusCode::INTERNAL_SERVER_ERROR,
                "UNKNOWN_ERROR",
                "Oops, something went wrong on our end. Please contact Harness Support.",
                cid,
            ),
            ApiError::Validation(fields) => {
                let message = fields
                    .iter()
                    .map(|(f, e)| format!("{f}: {e}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                let errors: Vec<Value> = fields
                    .iter()
                    .map(|(f, e)| json!({"fieldId": f, "error": e}))
                    .collect();
                failure_dto("INVALID_REQUEST", &message, Value::from(errors), cid)
            }
            ApiError::NoRoute(text) => {
                failure_dto("RESOURCE_NOT_FOUND_EXCEPTION", text, Value::Null, cid)
            }
            ApiError::BadJson(details) => (
                StatusCode::BAD_REQUEST,
                axum::Json(json!({
                    "code": 400,
                    "message": "Unable to process JSON",
                    "details": details,
                })),
            )
                .into_response(),
            ApiError::AccessDenied(d) => {
                let on = match &d.pipeline {
                    Some(p) => format!("pipeline with identifier {p}"),
                    None => "pipeline".to_string(),
                };
                let message = format!(
                    "Principal of type {} with identifier {} : Missing permission {} on {on}",
                    d.principal_type, d.principal, d.permission
                );
                (
                    StatusCode::FORBIDDEN,
                    axum::Json(json!({
                        "status": "ERROR",
                        "code": "NG_ACCESS_DENIED",
                        "message": message,
                        "correlationId": cid,
                        "detailedMessage": null,
                        "responseMessages": null,
                        "metadata": null,
                        "failedPermissionChecks": [{
                            "resourceScope": {
                                "accountIdentifier": d.scope.0,
                                "orgIdentifier": d.scope.1,
                                "projectIdentifier": d.scope.2,
                            },
                            "resourceType": "PIPELINE",
                            "resourceAttributes": null,
                            "resourceIdentifier": d.pipeline,
                            "permission": d.permission,
                        }],
                    })),
                )
                    .into_response()
            }
        }
    }
}
