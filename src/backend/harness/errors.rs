//! Harness error responses to [`BackendError`] (spec 1.3, 3.4-3.6, 5).
//!
//! Error bodies come in several shapes (`ErrorDTO`, `FailureDTO`, `AccessDeniedErrorDTO`,
//! Dropwizard JSON, HTML from the edge); all are read tolerantly into one shape, then
//! classified by the documented message texts first (the approval errors are all
//! `INVALID_REQUEST`/400 and only the text tells them apart), then by error code, then by
//! HTTP status.
//!
//! | server says | error |
//! |---|---|
//! | HTTP 429 (any body, `Retry-After` read when present), code `TOO_MANY_REQUESTS` | `RateLimited` |
//! | `INVALID_TOKEN`, `EXPIRED_TOKEN`, `INVALID_CREDENTIAL`, HTTP 401 | `Unauthenticated("the API key was refused (<server text>) …")` |
//! | `NG_ACCESS_DENIED`, `ACCESS_DENIED`, HTTP 403 | `NotAuthorized(<server text>)` |
//! | "User not authorized to approve/reject" | `NotAuthorized`, explaining who may approve |
//! | "`<PRINCIPAL>` is not supported for Harness Approval Step yet" | `NotAuthorized`, explaining that a service-account key cannot approve |
//! | "Found more than 1 Harness Approval Instance waiting…" | `Conflict` (pick a gate by callback id) |
//! | "Found no Harness Approval Instance waiting…" | `Conflict("no gate waiting (already decided?) …")` |
//! | "…has already completed. Status: X" | `Conflict("already decided by someone else: X")` |
//! | "…has already expired" | `Expired` |
//! | "execution_id param value provided doesn't belong to…" | `NotFound` |
//! | "Invalid (harness) approval instance id: …" | `NotFound` |
//! | `ENTITY_NOT_FOUND`, HTTP 404 | `NotFound` |
//! | `RESOURCE_NOT_FOUND_EXCEPTION` (unknown path) | `NotFound`, with a base_url hint |
//! | HTTP 5xx | `Server` with the server message |
//! | anything else (`INVALID_REQUEST`, FailureDTO, Dropwizard) | `BadRequest` with the message minus `Invalid request: ` |
//!
//! "Found no Harness Approval Instance waiting" is a `Conflict`, not `NotFound`: the
//! client only acts on gates it saw waiting, so by far the likeliest cause is that
//! someone else decided (or the run moved on) in the meantime, which is a clash with the
//! current state rather than a wrong id.

use crate::backend::http::{self, MAX_SERVER_TEXT, Response, truncate};
use crate::domain::BackendError;

use super::wire::ErrorBody;

const SAAS_HINT: &str =
    "check the backend's base_url (for Harness SaaS: https://app.harness.io/gateway)";

/// Maps an unsuccessful response (or a 2xx whose envelope says ERROR/FAILURE).
pub fn map_error(response: &Response) -> BackendError {
    let http_status = response.status.as_u16();
    if http_status == 429 || response.status.is_redirection() {
        return http::status_error(response);
    }
    let body: ErrorBody = serde_json::from_slice(&response.body).unwrap_or_default();
    let first = body.response_messages.first();
    let code = body
        .code
        .clone()
        .or_else(|| first.and_then(|m| m.code.clone()))
        .unwrap_or_default();
    let message = body
        .message
        .clone()
        .or_else(|| first.and_then(|m| m.message.clone()))
        .filter(|m| !m.trim().is_empty())
        .or_else(|| field_errors(&body))
        .map(|m| match &body.details {
            Some(details) if !details.trim().is_empty() && !m.contains(details.as_str()) => {
                format!("{m}: {details}")
            }
            _ => m,
        })
        .unwrap_or_else(|| response.excerpt());
    let text = match message.trim() {
        "" => format!(
            "HTTP {http_status} {}",
            response.status.canonical_reason().unwrap_or_default()
        )
        .trim_end()
        .to_owned(),
        m => truncate(m, MAX_SERVER_TEXT),
    };
    classify(http_status, &code, &text)
}

fn field_errors(body: &ErrorBody) -> Option<String> {
    let errors: Vec<String> = body
        .errors
        .iter()
        .filter_map(|e| match (&e.field_id, &e.error) {
            (Some(field), Some(error)) => Some(format!("{field}: {error}")),
            (None, Some(error)) => Some(error.clone()),
            _ => None,
        })
        .collect();
    (!errors.is_empty()).then(|| errors.join("; "))
}

fn classify(http_status: u16, code: &str, message: &str) -> BackendError {
    let text = message
        .strip_prefix("Invalid request: ")
        .unwrap_or(message)
        .trim();

    if text.contains("is not supported for Harness Approval Step yet") {
        return BackendError::NotAuthorized(format!(
            "{text}: a service-account API key (sat.…) cannot approve or reject; \
             use a personal access token (pat.…) of a user allowed to approve"
        ));
    }
    if text.contains("User not authorized to approve/reject") {
        return BackendError::NotAuthorized(format!(
            "{text}: the key's user is not an allowed approver of this gate (not in its user \
             groups, already acted, or the pipeline executor may not approve); approvals need \
             a personal access token (pat.…), not a service-account key"
        ));
    }
    if text.contains("Found more than 1 Harness Approval Instance waiting") {
        return BackendError::Conflict(format!(
            "several approval gates are waiting in this execution; choose one by its callback id ({text})"
        ));
    }
    if text.contains("Found no Harness Approval Instance waiting") {
        return BackendError::Conflict(format!("no gate waiting (already decided?): {text}"));
    }
    if let Some((_, status)) = text.split_once("has already completed. Status:") {
        return BackendError::Conflict(format!(
            "already decided by someone else: {}",
            status.trim()
        ));
    }
    if text.contains("has already expired") {
        return BackendError::Expired(text.to_owned());
    }
    if text.contains("execution_id param value provided doesn't belong to")
        || text.starts_with("Invalid approval instance id")
        || text.starts_with("Invalid harness approval instance id")
    {
        return BackendError::NotFound(text.to_owned());
    }

    match code.to_ascii_uppercase().as_str() {
        "INVALID_TOKEN" | "EXPIRED_TOKEN" | "INVALID_CREDENTIAL" => unauthenticated(text),
        "NG_ACCESS_DENIED" | "ACCESS_DENIED" => BackendError::NotAuthorized(text.to_owned()),
        "ENTITY_NOT_FOUND" => BackendError::NotFound(text.to_owned()),
        "RESOURCE_NOT_FOUND_EXCEPTION" => BackendError::NotFound(format!(
            "{text}: the server does not know this path; {SAAS_HINT}"
        )),
        "TOO_MANY_REQUESTS" => BackendError::RateLimited { retry_after: None },
        _ => match http_status {
            401 => unauthenticated(text),
            403 => BackendError::NotAuthorized(text.to_owned()),
            // A 404 without a Harness code did not come from a Harness handler: most likely
            // the base URL points at the wrong place.
            404 if code.is_empty() => BackendError::NotFound(format!("{text}; {SAAS_HINT}")),
            404 => BackendError::NotFound(text.to_owned()),
            500..=599 => BackendError::Server {
                status: http_status,
                message: text.to_owned(),
            },
            _ => BackendError::BadRequest(text.to_owned()),
        },
    }
}

fn unauthenticated(text: &str) -> BackendError {
    BackendError::Unauthenticated(format!(
        "the API key was refused ({text}); check that it is valid, not expired, and issued \
         for this account"
    ))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn error_dto(status: u16, code: &str, message: &str) -> BackendError {
        let body = serde_json::json!({
            "status": "ERROR", "code": code, "message": message, "correlationId": "c",
            "detailedMessage": null,
            "responseMessages": [{"code": code, "level": "ERROR", "message": message,
                                  "exception": null, "failureTypes": []}],
            "metadata": null
        });
        map_error(&Response::for_test(status, &body.to_string()))
    }

    fn invalid_request(text: &str) -> BackendError {
        error_dto(400, "INVALID_REQUEST", &format!("Invalid request: {text}"))
    }

    fn fixture(name: &str) -> String {
        std::fs::read_to_string(format!(
            "{}/tests/fixtures/harness/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    #[test]
    fn invalid_token() {
        assert_eq!(
            error_dto(401, "INVALID_TOKEN", "Token is not valid."),
            BackendError::Unauthenticated(
                "the API key was refused (Token is not valid.); check that it is valid, not \
                 expired, and issued for this account"
                    .into()
            )
        );
        assert!(matches!(
            error_dto(401, "EXPIRED_TOKEN", "Token expired."),
            BackendError::Unauthenticated(m) if m.contains("(Token expired.)")
        ));
        assert!(matches!(
            map_error(&Response::for_test(401, "")),
            BackendError::Unauthenticated(m) if m.contains("(HTTP 401 Unauthorized)")
        ));
    }

    #[test]
    fn access_denied() {
        assert_eq!(
            map_error(&Response::for_test(
                403,
                &fixture("error_access_denied.json")
            )),
            BackendError::NotAuthorized(
                "Principal of type USER with identifier abc123 : Missing permission \
                 core_pipeline_execute on pipeline with identifier deploy"
                    .into()
            )
        );
    }

    #[test]
    fn approver_not_allowed() {
        let err = invalid_request("User not authorized to approve/reject");
        assert!(
            matches!(&err, BackendError::NotAuthorized(m)
                if m.starts_with("User not authorized to approve/reject: ") && m.contains("personal access token")),
            "{err:?}"
        );
    }

    #[test]
    fn service_account_cannot_approve() {
        let err = invalid_request("SERVICE_ACCOUNT is not supported for Harness Approval Step yet");
        assert!(
            matches!(&err, BackendError::NotAuthorized(m)
                if m.starts_with("SERVICE_ACCOUNT is not supported") && m.contains("service-account API key")),
            "{err:?}"
        );
    }

    #[test]
    fn several_or_no_gates_waiting() {
        assert!(matches!(
            invalid_request("Found more than 1 Harness Approval Instance waiting for pipeline execution id: e1 and callback id: null"),
            BackendError::Conflict(m) if m.starts_with("several approval gates are waiting")
        ));
        assert_eq!(
            invalid_request(
                "Found no Harness Approval Instance waiting for pipeline execution id: e1 and callback id: cb"
            ),
            BackendError::Conflict(
                "no gate waiting (already decided?): Found no Harness Approval Instance waiting \
                 for pipeline execution id: e1 and callback id: cb"
                    .into()
            )
        );
    }

    #[test]
    fn already_completed_or_expired() {
        assert_eq!(
            map_error(&Response::for_test(
                400,
                &fixture("error_invalid_request.json")
            )),
            BackendError::Conflict("already decided by someone else: APPROVED".into())
        );
        assert_eq!(
            invalid_request(
                "Unable to add Harness Approval Activity : Harness approval instance has already completed. Status: REJECTED"
            ),
            BackendError::Conflict("already decided by someone else: REJECTED".into())
        );
        assert_eq!(
            invalid_request("Unable to add Harness Approval Activity : Harness approval instance has already expired"),
            BackendError::Expired(
                "Unable to add Harness Approval Activity : Harness approval instance has already expired".into()
            )
        );
    }

    #[test]
    fn not_found_variants() {
        let text = "execution_id param value provided doesn't belong to Account: a, Org: o, Project: p or the pipeline has been deleted";
        assert_eq!(invalid_request(text), BackendError::NotFound(text.into()));
        assert_eq!(
            invalid_request("Invalid approval instance id: x"),
            BackendError::NotFound("Invalid approval instance id: x".into())
        );
        let text =
            "Plan Execution Summary does not exist or has been deleted for planExecutionId: x";
        assert_eq!(
            error_dto(404, "ENTITY_NOT_FOUND", text),
            BackendError::NotFound(text.into())
        );
        assert!(matches!(
            map_error(&Response::for_test(400, r#"{"status":"FAILURE","code":"RESOURCE_NOT_FOUND_EXCEPTION","message":"HTTP 404 Not Found","errors":null}"#)),
            BackendError::NotFound(m) if m.contains("base_url")
        ));
        assert!(matches!(
            map_error(&Response::for_test(404, "<html><body>Not Found</body></html>")),
            BackendError::NotFound(m) if m.starts_with("Not Found;") && m.contains("app.harness.io/gateway")
        ));
    }

    #[test]
    fn rate_limits() {
        let mut r = Response::for_test(
            429,
            "<html><head><title>429</title></head><body>Too Many Requests</body></html>",
        );
        assert_eq!(
            map_error(&r),
            BackendError::RateLimited { retry_after: None }
        );
        r.headers.insert("retry-after", "12".parse().unwrap());
        assert_eq!(
            map_error(&r),
            BackendError::RateLimited {
                retry_after: Some(Duration::from_secs(12))
            }
        );
        assert_eq!(
            error_dto(400, "TOO_MANY_REQUESTS", "slow down"),
            BackendError::RateLimited { retry_after: None }
        );
    }

    #[test]
    fn invalid_request_and_other_bodies() {
        assert_eq!(
            invalid_request("Please Verify Executions list parameters for page and size"),
            BackendError::BadRequest(
                "Please Verify Executions list parameters for page and size".into()
            )
        );
        assert_eq!(
            map_error(&Response::for_test(400, &fixture("error_failure_dto.json"))),
            BackendError::BadRequest("accountIdentifier: must not be null".into())
        );
        assert_eq!(
            map_error(&Response::for_test(
                400,
                r#"{"status":"FAILURE","code":"INVALID_REQUEST","errors":[{"fieldId":"size","error":"must be > 0"}]}"#
            )),
            BackendError::BadRequest("size: must be > 0".into())
        );
        assert_eq!(
            map_error(&Response::for_test(
                400,
                r#"{"code":400,"message":"Unable to process JSON","details":"Unexpected character"}"#
            )),
            BackendError::BadRequest("Unable to process JSON: Unexpected character".into())
        );
        assert_eq!(
            map_error(&Response::for_test(400, "plain words")),
            BackendError::BadRequest("plain words".into())
        );
        assert_eq!(
            map_error(&Response::for_test(400, r#"{"unrelated":[1,2]}"#)),
            BackendError::BadRequest(r#"{"unrelated":[1,2]}"#.into())
        );
    }

    #[test]
    fn server_errors() {
        assert_eq!(
            error_dto(
                500,
                "UNKNOWN_ERROR",
                "Oops, something went wrong on our end. Please contact Harness Support."
            ),
            BackendError::Server {
                status: 500,
                message: "Oops, something went wrong on our end. Please contact Harness Support."
                    .into()
            }
        );
        assert_eq!(
            map_error(&Response::for_test(502, "")),
            BackendError::Server {
                status: 502,
                message: "HTTP 502 Bad Gateway".into()
            }
        );
        let long = "y".repeat(5000);
        match map_error(&Response::for_test(
            500,
            &format!("{{\"message\":\"{long}\"}}"),
        )) {
            BackendError::Server { message, .. } => {
                assert_eq!(message.chars().count(), MAX_SERVER_TEXT)
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn garbage_never_panics() {
        for body in [
            "",
            "null",
            "[]",
            "{",
            "\u{0}\u{1}",
            "{\"code\":{\"x\":1},\"message\":[1]}",
            "42",
        ] {
            for status in [400, 401, 403, 404, 409, 500, 503] {
                let _ = map_error(&Response::for_test(status, body));
            }
        }
    }
}
