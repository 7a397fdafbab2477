//! Error answers as grpc-gateway v1.16 writes them (spec §2): a `google.rpc.Status` body
//! `{"code":<grpc code>,"message":...}` with the HTTP status of the code (§2.2), and no
//! `Grpc-Metadata-Argo-Version` header (only successes carry it).

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// The gRPC codes the face answers with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Code {
    InvalidArgument = 3,
    NotFound = 5,
    AlreadyExists = 6,
    PermissionDenied = 7,
    Unimplemented = 12,
    Internal = 13,
    Unauthenticated = 16,
}

impl Code {
    /// grpc-gateway's `HTTPStatusFromCode`.
    fn status(self) -> StatusCode {
        match self {
            Code::InvalidArgument => StatusCode::BAD_REQUEST,
            Code::NotFound => StatusCode::NOT_FOUND,
            Code::AlreadyExists => StatusCode::CONFLICT,
            Code::PermissionDenied => StatusCode::FORBIDDEN,
            Code::Unimplemented => StatusCode::NOT_IMPLEMENTED,
            Code::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            Code::Unauthenticated => StatusCode::UNAUTHORIZED,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub(crate) code: Code,
    pub(crate) message: String,
}

pub(crate) type Answer<T> = Result<T, ApiError>;

impl ApiError {
    pub(crate) fn new(code: Code, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            message: message.into(),
        }
    }

    pub(crate) fn invalid(message: impl Into<String>) -> ApiError {
        ApiError::new(Code::InvalidArgument, message)
    }

    pub(crate) fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(Code::Internal, message)
    }

    /// A missing object, in the Kubernetes wording: `workflows.argoproj.io "x" not found`.
    pub(crate) fn not_found(resource: &str, name: &str) -> ApiError {
        ApiError::new(
            Code::NotFound,
            format!("{resource}.argoproj.io \"{name}\" not found"),
        )
    }

    /// What Kubernetes RBAC says to the view-only service account.
    pub(crate) fn forbidden(
        subject: &str,
        verb: &str,
        resource: &str,
        namespace: &str,
    ) -> ApiError {
        ApiError::new(
            Code::PermissionDenied,
            format!(
                "{resource}.argoproj.io is forbidden: User \"{subject}\" cannot {verb} resource \
                 \"{resource}\" in API group \"argoproj.io\" in the namespace \"{namespace}\""
            ),
        )
    }

    /// A query parameter grpc-gateway could not convert.
    pub(crate) fn bad_int(param: &str, value: &str) -> ApiError {
        ApiError::invalid(format!(
            "type mismatch, parameter: {param}, error: strconv.ParseInt: parsing \"{value}\": \
             invalid syntax"
        ))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"code": self.code as i32, "message": self.message});
        (
            self.code.status(),
            [(header::CONTENT_TYPE, "application/json")],
            body.to_string(),
        )
            .into_response()
    }
}
