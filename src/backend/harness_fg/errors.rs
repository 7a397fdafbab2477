//! First Gen error bodies mapped to [`BackendError`] (spec 4.6 and 5.3).
//!
//! Three shapes reach a client: GraphQL `errors` in an HTTP 200 (data-fetcher exceptions,
//! prefixed `Exception while fetching data (/path) : `, and validation errors), the CG
//! `RestResponse` envelope from the authentication filter (400 missing key, 401 bad key),
//! and GraphQL-shaped bodies from the endpoint itself (401 invalid key, 429 rate limit).
//! Messages are classified by the texts the server is known to use.

use serde::Deserialize;

use crate::backend::http::{self, MAX_SERVER_TEXT, Response, truncate};
use crate::domain::BackendError;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct GqlError {
    pub(crate) message: Option<String>,
    /// Where in the data it happened: the field's alias first. Kept as it came, so an
    /// odd path never makes the whole answer unreadable.
    pub(crate) path: serde_json::Value,
}

impl GqlError {
    /// The top-level field (its alias) the error belongs to.
    pub(crate) fn field(&self) -> Option<&str> {
        self.path.get(0).and_then(serde_json::Value::as_str)
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct ResponseMessage {
    code: Option<String>,
    message: Option<String>,
}

/// Anything an error body may hold: GraphQL `errors` or RestResponse `responseMessages`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct ErrorBody {
    errors: Option<Vec<GqlError>>,
    response_messages: Option<Vec<ResponseMessage>>,
}

const FETCH_PREFIX: &str = "Exception while fetching data (";

/// The server's text without graphql-java's `Exception while fetching data (/path) : `.
fn clean(message: &str) -> String {
    let text = match message.strip_prefix(FETCH_PREFIX) {
        Some(rest) => rest.split_once(") : ").map_or(rest, |(_, m)| m),
        None => message,
    };
    truncate(&http::excerpt(text), MAX_SERVER_TEXT)
}

/// Classifies a GraphQL error message.
pub(crate) fn from_message(message: &str) -> BackendError {
    let text = clean(message);
    let lower = text.to_lowercase();
    let has = |needles: &[&str]| needles.iter().any(|n| lower.contains(n));
    // "does not exist or access is denied" is how the server hides both cases: not found.
    if has(&[
        "does not exist",
        "doesn't exist",
        "not found",
        "no application found",
    ]) {
        BackendError::NotFound(text)
    } else if has(&["rate limit"]) {
        BackendError::RateLimited { retry_after: None }
    } else if has(&[
        "invalid api key",
        "token is not valid",
        "api key not supplied",
    ]) {
        BackendError::Unauthenticated(text)
    } else if has(&[
        "not authorized",
        "not authorised",
        "doesn't have permission",
        "does not have permission",
        "doesn't have rights",
        "access denied",
        "permission denied",
    ]) {
        BackendError::NotAuthorized(text)
    } else if has(&["not supported", "feature not enabled"]) {
        BackendError::Unsupported(text)
    } else if has(&["expired"]) {
        BackendError::Expired(text)
    } else if has(&["already"]) {
        BackendError::Conflict(text)
    } else {
        BackendError::BadRequest(text)
    }
}

/// The error of a GraphQL response's `errors`, several joined into one message.
pub(crate) fn from_errors(errors: &[GqlError]) -> BackendError {
    let messages: Vec<&str> = errors
        .iter()
        .filter_map(|e| e.message.as_deref())
        .filter(|m| !m.trim().is_empty())
        .collect();
    match messages.as_slice() {
        [] => BackendError::BadRequest("the server reported an error without a message".into()),
        [one] => from_message(one),
        [first, rest @ ..] => match from_message(first) {
            BackendError::BadRequest(m) => BackendError::BadRequest(truncate(
                &format!("{m} (and {} more)", rest.len()),
                MAX_SERVER_TEXT,
            )),
            other => other,
        },
    }
}

/// Maps a non-success HTTP response.
pub(crate) fn map_error(response: &Response) -> BackendError {
    let status = response.status.as_u16();
    if status == 429 {
        return BackendError::RateLimited {
            retry_after: response.retry_after(),
        };
    }
    let body: ErrorBody = response.json().unwrap_or_default();
    let message = body
        .response_messages
        .as_deref()
        .and_then(|m| m.iter().find_map(|m| m.message.clone().or(m.code.clone())))
        .or_else(|| {
            body.errors
                .as_deref()
                .and_then(|e| e.iter().find_map(|e| e.message.clone()))
        });
    let code = body
        .response_messages
        .as_deref()
        .and_then(|m| m.iter().find_map(|m| m.code.clone()))
        .unwrap_or_default();
    match message {
        Some(m) if status == 401 || code == "INVALID_TOKEN" || m.contains("Api Key") => {
            BackendError::Unauthenticated(format!("{} (check the First Gen API key)", clean(&m)))
        }
        Some(m) if (400..500).contains(&status) => from_message(&m),
        _ => http::status_error(response),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graphql_messages() {
        assert_eq!(
            from_message(
                "Exception while fetching data (/execution) : Execution does not exist or access is denied"
            ),
            BackendError::NotFound("Execution does not exist or access is denied".into())
        );
        assert!(matches!(
            from_message("Exception while fetching data (/approveOrRejectApprovals) : JIRA Approval Type not supported"),
            BackendError::Unsupported(m) if m == "JIRA Approval Type not supported"
        ));
        assert!(matches!(
            from_message("User not authorized to deploy"),
            BackendError::NotAuthorized(_)
        ));
        assert!(matches!(
            from_message(
                "Validation error of type FieldUndefined: Field 'x' in type 'Query' is undefined"
            ),
            BackendError::BadRequest(_)
        ));
        assert!(matches!(
            from_message("Approval has expired"),
            BackendError::Expired(_)
        ));
    }

    #[test]
    fn envelopes_and_limits() {
        let bad_key = r#"{"metaData":null,"resource":null,"responseMessages":[{"code":"INVALID_TOKEN","level":"ERROR","message":"Token is not valid.","exception":null,"failureTypes":[]}]}"#;
        assert_eq!(
            map_error(&Response::for_test(401, bad_key)),
            BackendError::Unauthenticated(
                "Token is not valid. (check the First Gen API key)".into()
            )
        );
        let missing = r#"{"responseMessages":[{"code":"INVALID_REQUEST","message":"Invalid request: Api Key not supplied"}]}"#;
        assert!(matches!(
            map_error(&Response::for_test(400, missing)),
            BackendError::Unauthenticated(_)
        ));
        let limited = r#"{"errors":[{"message":"You've reached your account's rate limit for data queries. Please try again later."}]}"#;
        assert_eq!(
            map_error(&Response::for_test(429, limited)),
            BackendError::RateLimited { retry_after: None }
        );
        assert!(matches!(
            map_error(&Response::for_test(
                500,
                "Error while handling api request for Graphql api for accountId a : boom"
            )),
            BackendError::Server { status: 500, .. }
        ));
        assert!(matches!(
            map_error(&Response::for_test(
                401,
                r#"{"errors":[{"message":"Invalid Api Key"}]}"#
            )),
            BackendError::Unauthenticated(_)
        ));
    }

    #[test]
    fn several_errors() {
        let errors = vec![
            GqlError {
                message: Some("first".into()),
                ..GqlError::default()
            },
            GqlError {
                message: Some("second".into()),
                ..GqlError::default()
            },
        ];
        assert_eq!(
            from_errors(&errors),
            BackendError::BadRequest("first (and 1 more)".into())
        );
        assert!(matches!(from_errors(&[]), BackendError::BadRequest(_)));
    }
}
