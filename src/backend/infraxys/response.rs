//! Reading what Infraxys answers to an execute call, and its errors (spec A.4, A.7).
//!
//! No source documents the execute response, so the body is read as an open JSON value and
//! the known candidates are picked out by best effort, accepting every spelling seen or
//! inferred: `status`, `message` or `actionResponse.message` (what an action sets with
//! `set_rest_response`), a log under `log`/`logs`/`output`, and run ids (`workflowRunGuid`,
//! `actionRunnerGuid(s)`, the ids the progress stream is addressed by). When none of these is
//! present, the raw body is kept for display instead of a guess.
//!
//! | server says | error |
//! |---|---|
//! | 2xx with `{"status":"FAILED","message":m}` (any case; also `FAILURE`, `ERROR`) | `BadRequest("Infraxys reported FAILED: m")` |
//! | 400 | `BadRequest("Infraxys refused the request (HTTP 400): m")` |
//! | 401, or 403 when no token is configured | `Unauthenticated`, saying a token is needed or was refused |
//! | 403 with a token | `NotAuthorized`: the token was refused or its owner may not run this |
//! | 404 | `NotFound`, naming what was addressed and pointing at the config's ids |
//! | 503 | `RateLimited` (Nginx `limit_req`, which Infraxys configures, answers 503) |
//! | anything else | [`http::status_error`] |

use serde_json::Value;

use crate::backend::http::{self, MAX_SERVER_TEXT, Response, truncate};
use crate::domain::{BackendError, ExecStatus, Status};
use crate::sanitize;

/// Longest raw body kept for display when the response shape is not recognised.
const MAX_RAW_BODY: usize = 2_000;
/// Longest log kept per run; the end of a log says most about how it ended.
pub const MAX_LOG: usize = 8_000;

/// The parts of an execute response that could be recognised.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Answer {
    /// The server's own status word, as sent.
    pub status: Option<String>,
    pub message: Option<String>,
    pub log: Option<String>,
    /// Workflow run id first, then action runner ids.
    pub run_ids: Vec<String>,
    /// The body, sanitized and shortened, when nothing above was found in it.
    pub raw: Option<String>,
}

impl Answer {
    /// Reads a 2xx body. Never fails: an unreadable body is kept as raw text.
    pub fn parse(body: &[u8]) -> Answer {
        let text = String::from_utf8_lossy(body);
        let Ok(Value::Object(map)) = serde_json::from_str::<Value>(&text) else {
            return Answer {
                raw: Some(raw_text(&text)),
                ..Answer::default()
            };
        };
        let string = |keys: &[&str]| {
            keys.iter()
                .find_map(|k| map.get(*k).and_then(text_of))
                .filter(|s| !s.trim().is_empty())
        };
        let status = string(&["status", "state"]);
        let message = string(&["message", "errorMessage"]).or_else(|| {
            map.get("actionResponse").and_then(|r| match r {
                Value::Object(inner) => inner.get("message").and_then(text_of),
                other => text_of(other),
            })
        });
        let log = string(&["log", "logs", "output", "consoleLog"])
            .or_else(|| ["log", "logs"].iter().find_map(|k| lines_of(map.get(*k)?)))
            .map(|log| tail(&log, MAX_LOG));
        let mut run_ids: Vec<String> = Vec::new();
        let mut push = |id: &str| {
            let id = id.trim();
            if !id.is_empty() && !run_ids.iter().any(|r| r == id) {
                run_ids.push(id.to_owned());
            }
        };
        for key in [
            "workflowRunGuid",
            "runGuid",
            "workflowRunId",
            "runId",
            "actionRunnerGuid",
            "actionRunGuid",
        ] {
            if let Some(id) = map.get(key).and_then(text_of) {
                push(&id);
            }
        }
        for key in ["actionRunnerGuids", "actionRunGuids"] {
            if let Some(Value::Array(ids)) = map.get(key) {
                ids.iter().filter_map(text_of).for_each(|id| push(&id));
            }
        }
        let recognised =
            status.is_some() || message.is_some() || log.is_some() || !run_ids.is_empty();
        Answer {
            status,
            message,
            log,
            run_ids,
            raw: (!recognised).then(|| raw_text(&text)),
        }
    }

    /// The in-band failure of a 2xx answer (`{"status":"FAILED","message":...}`).
    pub fn failure(&self) -> Option<BackendError> {
        let status = self.status.as_deref()?;
        is_failure(status).then(|| {
            let message = self
                .message
                .as_deref()
                .map(|m| truncate(&sanitize::clean(m), MAX_SERVER_TEXT))
                .unwrap_or_else(|| "no message".to_owned());
            BackendError::BadRequest(format!(
                "Infraxys reported {}: {message}",
                truncate(&sanitize::clean(status), 40)
            ))
        })
    }

    /// The run's status. A synchronous call has finished when it answers, so without a
    /// status word it succeeded; an asynchronous one was only submitted, and Infraxys has
    /// no call that says how it ended, so it stays unknown.
    pub fn run_status(&self, asynchronous: bool) -> Status {
        match self.status.as_deref() {
            Some(s) if is_failure(s) => Status::new(ExecStatus::Failed, s),
            Some(s) if !asynchronous && is_success(s) => Status::new(ExecStatus::Succeeded, s),
            Some(s) if asynchronous => Status::new(ExecStatus::Unknown, format!("submitted ({s})")),
            Some(s) => Status::new(ExecStatus::Unknown, s),
            None if asynchronous => Status::new(ExecStatus::Unknown, "submitted"),
            None => Status::new(ExecStatus::Succeeded, "completed"),
        }
    }
}

fn is_failure(status: &str) -> bool {
    ["FAILED", "FAILURE", "ERROR"]
        .iter()
        .any(|s| status.trim().eq_ignore_ascii_case(s))
}

fn is_success(status: &str) -> bool {
    [
        "SUCCESS",
        "SUCCEEDED",
        "SUCCESSFUL",
        "OK",
        "COMPLETED",
        "FINISHED",
        "DONE",
    ]
    .iter()
    .any(|s| status.trim().eq_ignore_ascii_case(s))
}

/// A scalar as text; objects and arrays are not taken for a message or an id.
fn text_of(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A log sent as an array of lines.
fn lines_of(value: &Value) -> Option<String> {
    let Value::Array(items) = value else {
        return None;
    };
    let lines: Vec<String> = items.iter().filter_map(text_of).collect();
    (!lines.is_empty()).then(|| lines.join("\n"))
}

fn raw_text(text: &str) -> String {
    if text.trim().is_empty() {
        return "(empty response body)".to_owned();
    }
    truncate(&sanitize::clean(text.trim()), MAX_RAW_BODY)
}

/// The last `max` characters of `text`, marking the cut with `…`.
pub fn tail(text: &str, max: usize) -> String {
    let count = text.chars().count();
    if count <= max {
        return text.to_owned();
    }
    let kept: String = text.chars().skip(count - max + 1).collect();
    format!("…{kept}")
}

/// What an unsuccessful execute response means. `target` names what was addressed
/// ("workflow 456 in environment 123") and `has_token` says whether a token was sent.
pub fn map_error(response: &Response, target: &str, has_token: bool) -> BackendError {
    let status = response.status.as_u16();
    let said = server_text(response);
    let with = |prefix: String| match &said {
        Some(text) => format!("{prefix}: {text}"),
        None => prefix,
    };
    match status {
        400 => BackendError::BadRequest(with("Infraxys refused the request (HTTP 400)".into())),
        401 => BackendError::Unauthenticated(with("Infraxys refused the token (HTTP 401)".into())),
        403 if has_token => BackendError::NotAuthorized(with(format!(
            "Infraxys refused the token or its owner may not run {target} (HTTP 403)"
        ))),
        403 => BackendError::Unauthenticated(with(
            "Infraxys needs a personal access token and none is configured (HTTP 403)".into(),
        )),
        404 => BackendError::NotFound(with(format!(
            "{target} (HTTP 404; check the ids and branch in the config)"
        ))),
        503 => BackendError::RateLimited {
            retry_after: response.retry_after(),
        },
        _ => http::status_error(response),
    }
}

/// The server's explanation: the `message` of a JSON body, else an excerpt of the text.
fn server_text(response: &Response) -> Option<String> {
    let from_json = serde_json::from_slice::<Value>(&response.body)
        .ok()
        .and_then(|v| v.get("message").and_then(text_of))
        .map(|m| truncate(&sanitize::clean(m.trim()), MAX_SERVER_TEXT));
    from_json
        .or_else(|| Some(response.excerpt()))
        .filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synchronous_answer_with_action_response_and_log() {
        let a = Answer::parse(
            br#"{"status":"SUCCESS","actionResponse":{"message":"done"},"log":"a\nb","extra":1}"#,
        );
        assert_eq!(a.status.as_deref(), Some("SUCCESS"));
        assert_eq!(a.message.as_deref(), Some("done"));
        assert_eq!(a.log.as_deref(), Some("a\nb"));
        assert_eq!(a.raw, None);
        assert_eq!(a.failure(), None);
        assert_eq!(
            a.run_status(false),
            Status::new(ExecStatus::Succeeded, "SUCCESS")
        );
    }

    #[test]
    fn asynchronous_answer_records_run_ids_in_order_without_duplicates() {
        let a = Answer::parse(
            br#"{"workflowRunGuid":"r1","actionRunnerGuids":["a1","a2","r1",7,{}],"actionRunnerGuid":"a1"}"#,
        );
        assert_eq!(a.run_ids, ["r1", "a1", "a2", "7"]);
        assert_eq!(
            a.run_status(true),
            Status::new(ExecStatus::Unknown, "submitted")
        );
        assert_eq!(
            Answer::parse(br#"{"status":"QUEUED","runGuid":"r"}"#).run_status(true),
            Status::new(ExecStatus::Unknown, "submitted (QUEUED)")
        );
    }

    #[test]
    fn failure_inside_a_200() {
        let a =
            Answer::parse(br#"{"status":"failed","message":"Namespace kube-system is reserved"}"#);
        assert_eq!(
            a.failure(),
            Some(BackendError::BadRequest(
                "Infraxys reported failed: Namespace kube-system is reserved".into()
            ))
        );
        assert_eq!(a.run_status(false).status, ExecStatus::Failed);
        assert_eq!(a.run_status(true).status, ExecStatus::Failed);
        let bare = Answer::parse(br#"{"status":"ERROR"}"#);
        assert_eq!(
            bare.failure(),
            Some(BackendError::BadRequest(
                "Infraxys reported ERROR: no message".into()
            ))
        );
    }

    #[test]
    fn unknown_shapes_keep_the_raw_body_sanitized() {
        let a = Answer::parse(b"OK\x1b[31m done\n");
        assert_eq!(a.raw.as_deref(), Some("OK done"));
        assert_eq!(
            a.run_status(false),
            Status::new(ExecStatus::Succeeded, "completed")
        );
        let b = Answer::parse(br#"{"result":{"x":1}}"#);
        assert_eq!(b.raw.as_deref(), Some(r#"{"result":{"x":1}}"#));
        assert_eq!(
            Answer::parse(b"").raw.as_deref(),
            Some("(empty response body)")
        );
        assert_eq!(Answer::parse(b"[1,2]").raw.as_deref(), Some("[1,2]"));
        let huge = "y".repeat(50_000);
        assert_eq!(
            Answer::parse(huge.as_bytes()).raw.unwrap().chars().count(),
            MAX_RAW_BODY
        );
        // Invalid UTF-8 and odd values never panic.
        Answer::parse(&[0xff, 0xfe, b'{']);
        Answer::parse(br#"{"status":null,"message":[],"log":{},"actionResponse":5}"#);
    }

    #[test]
    fn logs_as_lines_and_long_logs_keep_their_end() {
        let a = Answer::parse(br#"{"logs":["one","two"]}"#);
        assert_eq!(a.log.as_deref(), Some("one\ntwo"));
        let long = format!("{}END", "x".repeat(MAX_LOG * 2));
        let b = Answer::parse(serde_json::json!({"log": long}).to_string().as_bytes());
        let log = b.log.unwrap();
        assert_eq!(log.chars().count(), MAX_LOG);
        assert!(log.starts_with('…') && log.ends_with("END"));
    }

    #[test]
    fn unknown_sync_status_words_are_not_guessed() {
        assert_eq!(
            Answer::parse(br#"{"status":"TIMEOUT"}"#).run_status(false),
            Status::new(ExecStatus::Unknown, "TIMEOUT")
        );
    }

    #[test]
    fn error_statuses() {
        let target = "workflow w in environment e";
        assert_eq!(
            map_error(
                &Response::for_test(400, r#"{"status":"FAILED","message":"bad argument"}"#),
                target,
                true
            ),
            BackendError::BadRequest(
                "Infraxys refused the request (HTTP 400): bad argument".into()
            )
        );
        assert_eq!(
            map_error(&Response::for_test(403, "Forbidden"), target, true),
            BackendError::NotAuthorized(
                "Infraxys refused the token or its owner may not run workflow w in environment e (HTTP 403): Forbidden".into()
            )
        );
        assert!(matches!(
            map_error(&Response::for_test(403, ""), target, false),
            BackendError::Unauthenticated(m) if m.contains("none is configured")
        ));
        assert!(matches!(
            map_error(&Response::for_test(401, ""), target, true),
            BackendError::Unauthenticated(_)
        ));
        assert_eq!(
            map_error(
                &Response::for_test(404, "<html><body><h1>HTTP Status 404 – Not Found</h1></body></html>"),
                target,
                true
            ),
            BackendError::NotFound(
                "workflow w in environment e (HTTP 404; check the ids and branch in the config): HTTP Status 404 – Not Found".into()
            )
        );
        assert_eq!(
            map_error(&Response::for_test(503, "<html>503</html>"), target, true),
            BackendError::RateLimited { retry_after: None }
        );
        assert!(matches!(
            map_error(&Response::for_test(500, "boom"), target, true),
            BackendError::Server { status: 500, .. }
        ));
        // Control characters from the server never reach the message.
        assert!(matches!(
            map_error(&Response::for_test(400, "{\"message\":\"a\\u001b[2Jb\"}"), target, true),
            BackendError::BadRequest(m) if m.ends_with(": ab")
        ));
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config {
            failure_persistence: None,
            ..Default::default()
        })]

        /// Any 2xx body is read into something to show, never a panic.
        #[test]
        fn any_answer_is_read(body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400)) {
            let answer = Answer::parse(&body);
            let _ = answer.failure();
            let _ = answer.run_status(false);
        }
    }
}
