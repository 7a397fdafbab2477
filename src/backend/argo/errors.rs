//! Argo's `{code, message}` error bodies (spec §2) as [`BackendError`]s.

use super::wire::ErrorBody;
use crate::backend::http::{self, MAX_SERVER_TEXT, Response, truncate};
use crate::domain::BackendError;

/// Maps a non-success response. The gRPC code is more precise than the HTTP status (409 is
/// both AlreadyExists and Aborted), so it decides when present; bodies that are not Argo's
/// (a proxy's HTML page) fall back to the generic status mapping.
pub fn error(response: &Response) -> BackendError {
    let Ok(body) = serde_json::from_slice::<ErrorBody>(&response.body) else {
        return http::status_error(response);
    };
    let (Some(code), Some(message)) = (body.code, body.message) else {
        return http::status_error(response);
    };
    let message = truncate(&message, MAX_SERVER_TEXT);
    match code {
        16 => BackendError::Unauthenticated(format!(
            "{message} (check the backend's token: it is sent as `Authorization: Bearer <token>`, \
             so give a service account token or `argo auth token`'s output, with or without its \
             `Bearer ` prefix)"
        )),
        7 => BackendError::NotAuthorized(message),
        5 => BackendError::NotFound(message),
        6 | 10 => BackendError::Conflict(message),
        8 => BackendError::RateLimited {
            retry_after: response.retry_after(),
        },
        3 | 9 | 11 => BackendError::BadRequest(message),
        12 => BackendError::Unsupported(format!(
            "{message}: the server does not know this API; is base_url an Argo Workflows server?"
        )),
        4 => BackendError::Server {
            status: response.status.as_u16(),
            message: format!("deadline exceeded: {message}"),
        },
        // "no suspend nodes matching nodeFieldSelector": the gate was decided meanwhile.
        13 if message.contains("no suspend nodes matching") => BackendError::Conflict(format!(
            "the gate is no longer waiting (decided by someone else, or timed out): {message}"
        )),
        13 if message.contains("cannot shutdown a completed workflow") => {
            BackendError::Conflict(message)
        }
        _ => BackendError::Server {
            status: response.status.as_u16(),
            message,
        },
    }
}

#[cfg(test)]
mod tests {

    use super::*;

    #[test]
    fn spec_error_bodies_map_to_clear_errors() {
        let cases = [
            (
                401,
                r#"{"code":16,"message":"token not valid. see https://argo-workflows.readthedocs.io/en/latest/faq/"}"#,
                "authentication failed: token not valid",
            ),
            (
                403,
                r#"{"code":7,"message":"not allowed"}"#,
                "not authorized: not allowed",
            ),
            (
                404,
                r#"{"code":5,"message":"workflows.argoproj.io \"x\" not found"}"#,
                "not found: workflows.argoproj.io \"x\" not found",
            ),
            (
                409,
                r#"{"code":6,"message":"already exists"}"#,
                "conflict: already exists",
            ),
            (429, r#"{"code":8,"message":"slow down"}"#, "rate limited"),
            (400, r#"{"code":3,"message":"bad"}"#, "bad request: bad"),
            (
                500,
                r#"{"code":13,"message":"currently, set only targets suspend nodes: no suspend nodes matching nodeFieldSelector: id=x"}"#,
                "conflict: the gate is no longer waiting",
            ),
            (
                501,
                r#"{"code":12,"message":"Not Implemented"}"#,
                "not supported: Not Implemented",
            ),
            (
                502,
                "<html><body>Bad Gateway</body></html>",
                "server error 502",
            ),
        ];
        for (status, body, expected) in cases {
            let shown = error(&Response::for_test(status, body)).to_string();
            assert!(shown.starts_with(expected), "{status} {body} -> {shown}");
        }
    }

    #[test]
    fn long_messages_are_bounded() {
        let body = format!(r#"{{"code":3,"message":"{}"}}"#, "x".repeat(5000));
        assert!(
            error(&Response::for_test(400, &body))
                .to_string()
                .chars()
                .count()
                < MAX_SERVER_TEXT + 40
        );
    }
}
