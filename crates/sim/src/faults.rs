//! Faults injected into the simulator by tests, benchmarks and chaos demos: per-face rules,
//! each with a kind, an optional path filter and an optional number of requests it lasts.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use std::time::Duration;
//! use flightdeck_sim::{Face, Fault, Faults, Rule, SimHandle, SimOptions};
//! let sim = SimHandle::start(SimOptions::default()).await?;
//! sim.set_faults(Faults::new([
//!     Rule::new(Fault::Latency(Duration::from_millis(50))),
//!     Rule::new(Fault::Hang).on(Face::Argo),
//!     Rule::new(Fault::RateLimit { retry_after: Some(2) }).on(Face::HarnessFg).times(3),
//! ]));
//! sim.set_faults(Faults::default()); // all clear
//! # Ok(()) }
//! ```
//!
//! What a client can conclude from each fault matters for writes (a start, a decision), so
//! every kind says whether the request was handled — the world changed — before the answer
//! went wrong:
//!
//! | fault | the request was | the client sees |
//! |---|---|---|
//! | `Latency` | handled after the delay | a slow answer |
//! | `Status` | refused, not handled | that status with an error body |
//! | `RateLimit` | refused, not handled | 429, with or without `Retry-After` |
//! | `Refused` | refused, not handled | the connection closed without an answer |
//! | `Hang` | never handled | nothing, until it gives up (or the faults change) |
//! | `Reset` | **handled** | the status line and part of the body, then a broken connection |
//! | `TruncatedJson` | **handled** | the first half of the real body |
//! | `WrongTypes` | **handled** | the real body with every number and boolean as a string |
//! | `UnknownEnum` | **handled** | the real body with every status/phase/state value unknown |
//! | `HugeBody` | **handled** | 200 with a 50 MB body instead of the real one |
//! | `SlowBody` | **handled** | the real body, trickling in small pieces over the time given |
//!
//! The handled kinds are "sent, but the answer was lost": a client must treat the outcome of
//! a write as unknown and re-read before trying again. Streamed answers (Argo watches and
//! logs, Infraxys progress) have no known length: `Reset` cuts them after their first
//! piece, `HugeBody` replaces them, and the other body faults leave them alone.
//!
//! A refused request never reaches the routers, so it is not counted in
//! [`super::SimStats`]; handled ones are.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use serde_json::Value;
use tokio::sync::Notify;

use super::Shared;

/// A backend the simulator plays. Harness NextGen and First Gen share a listener, as on the
/// real gateway; First Gen is the GraphQL endpoint (`/api/graphql`, `/gateway/api/graphql`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Face {
    Harness,
    HarnessFg,
    Argo,
    Infraxys,
}

/// What goes wrong (see the module docs for what each means to a client).
#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    /// Waits this long before handling. Adds up with the other rules that match.
    Latency(Duration),
    /// Answers this status (a 5xx, say) without handling the request.
    Status(u16),
    /// Answers 429, with `Retry-After: <seconds>` when given.
    RateLimit { retry_after: Option<u64> },
    /// Closes the connection without answering, as a server that went away.
    Refused,
    /// Never answers; the request is dropped unhandled when the faults are next replaced.
    Hang,
    /// Handles the request, then breaks the connection part-way through the answer.
    Reset,
    /// Handles the request and answers the first half of the body.
    TruncatedJson,
    /// Handles the request and answers every JSON number and boolean as a string.
    WrongTypes,
    /// Handles the request and answers every `*status`, `phase` and `state` string as a
    /// value no client knows.
    UnknownEnum,
    /// Handles the request and answers a 50 MB JSON document instead.
    HugeBody,
    /// Handles the request and sends the body in small pieces spread over this long.
    SlowBody(Duration),
    /// Handles the request and answers with [`POISON`] put before every display-only string
    /// (names, display names, descriptions, messages, Harness log lines; Infraxys status
    /// words), as a hostile
    /// server or a pipeline author would. Ids stay intact, so a client can follow them.
    Poison,
}

/// What [`Fault::Poison`] puts into display strings: an OSC 52 clipboard write, 8-bit CSI
/// and OSC, C1 NEL, bidi overrides and isolates, a zero-width space and DEL.
pub const POISON: &str = "\u{1b}]52;c;T1dORUQtQlktT1NDNTI=\u{7}\u{9b}2J\u{9d}0;C1\u{9c}\u{85}\u{202e}gnp.exe\u{202c}\u{2066}x\u{2069}\u{200b}\u{7f}";

impl Fault {
    /// Whether a request hit by this fault was handled (a write took effect) even though
    /// its answer went wrong.
    pub fn is_handled(&self) -> bool {
        matches!(
            self,
            Fault::Latency(_)
                | Fault::Reset
                | Fault::TruncatedJson
                | Fault::WrongTypes
                | Fault::UnknownEnum
                | Fault::HugeBody
                | Fault::SlowBody(_)
                | Fault::Poison
        )
    }
}

/// One fault and the requests it applies to.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    pub fault: Fault,
    /// `None`: every face.
    pub face: Option<Face>,
    /// Only requests whose path contains this text.
    pub path_contains: Option<String>,
    /// How many more requests it applies to; `None`: until the faults are replaced.
    pub remaining: Option<u32>,
}

impl Rule {
    /// `fault` on every request of every face, until replaced.
    pub fn new(fault: Fault) -> Rule {
        Rule {
            fault,
            face: None,
            path_contains: None,
            remaining: None,
        }
    }

    /// Only requests to `face`.
    pub fn on(self, face: Face) -> Rule {
        Rule {
            face: Some(face),
            ..self
        }
    }

    /// Only requests whose path contains `text` (an id, a route segment).
    pub fn paths(self, text: impl Into<String>) -> Rule {
        Rule {
            path_contains: Some(text.into()),
            ..self
        }
    }

    /// Only the next `n` matching requests.
    pub fn times(self, n: u32) -> Rule {
        Rule {
            remaining: Some(n),
            ..self
        }
    }

    fn matches(&self, face: Face, path: &str) -> bool {
        self.remaining != Some(0)
            && self.face.is_none_or(|f| f == face)
            && self
                .path_contains
                .as_deref()
                .is_none_or(|p| !p.is_empty() && path.contains(p))
    }
}

/// The faults in force; `Faults::default()` has none.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Faults {
    pub rules: Vec<Rule>,
}

impl Faults {
    pub fn new(rules: impl IntoIterator<Item = Rule>) -> Faults {
        Faults {
            rules: rules.into_iter().collect(),
        }
    }
}

/// The faults of one simulator, and a signal for requests hanging until they change.
#[derive(Default)]
pub(crate) struct SharedFaults {
    rules: Mutex<Vec<Rule>>,
    replaced: Notify,
}

impl SharedFaults {
    pub(crate) fn replace(&self, faults: Faults) {
        *self.rules() = faults.rules;
        self.replaced.notify_waiters();
    }

    fn rules(&self) -> MutexGuard<'_, Vec<Rule>> {
        self.rules.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// What happens to one request: the total latency of the matching latency rules, and the
    /// first other matching fault. Every rule used counts the request.
    fn plan(&self, face: Face, path: &str) -> (Duration, Option<Fault>) {
        let mut rules = self.rules();
        let mut latency = Duration::ZERO;
        let mut fault = None;
        for rule in rules.iter_mut().filter(|r| r.matches(face, path)) {
            match &rule.fault {
                Fault::Latency(d) => latency += *d,
                _ if fault.is_some() => continue,
                other => fault = Some(other.clone()),
            }
            if let Some(n) = rule.remaining.as_mut() {
                *n -= 1;
            }
        }
        rules.retain(|r| r.remaining != Some(0));
        (latency, fault)
    }
}

/// The 50 MB of [`Fault::HugeBody`].
const HUGE: usize = 50 * 1024 * 1024;
/// Pieces a [`Fault::SlowBody`] body is sent in (at most).
const SLOW_PIECES: usize = 50;
/// What [`Fault::UnknownEnum`] puts in place of every status.
const UNKNOWN: &str = "FLIGHTDECK_UNKNOWN_VALUE";

/// The middleware in front of each listener; `listener` is the face it serves (Harness for
/// the shared Harness gateway).
pub(crate) async fn inject(
    State((shared, listener)): State<(Arc<Shared>, Face)>,
    req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path();
    let face = match listener {
        Face::Harness if path.ends_with("/api/graphql") => Face::HarnessFg,
        other => other,
    };
    // Listening before the rules are read, so a replacement in between is not missed.
    let replaced = shared.faults.replaced.notified();
    tokio::pin!(replaced);
    replaced.as_mut().enable();
    let (latency, fault) = shared.faults.plan(face, path);
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let Some(fault) = fault else {
        return next.run(req).await;
    };
    match fault {
        Fault::Status(code) => status(face, code),
        Fault::RateLimit { retry_after } => rate_limited(retry_after),
        Fault::Refused => abort(),
        Fault::Hang => {
            // Woken when the faults are replaced; a client that gave up earlier closed the
            // connection, which drops this future with it.
            replaced.await;
            abort()
        }
        // (`plan` never returns latency: it only adds up.)
        handled => spoil(next.run(req).await, handled, face).await,
    }
}

/// A response whose body fails before anything is written: the server closes the connection
/// without sending a byte (hyper writes the status line only with the first body piece).
fn abort() -> Response {
    let failing = futures::stream::once(async {
        Err::<Bytes, _>(std::io::Error::other("fault: connection dropped"))
    });
    Body::from_stream(failing).into_response()
}

fn status(face: Face, code: u16) -> Response {
    let code = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    match face {
        // What the Harness gateway answers for an unhandled exception.
        Face::Harness => {
            let body = serde_json::json!({
                "status": "ERROR",
                "code": "UNKNOWN_ERROR",
                "message": "Oops, something went wrong on our end. Please contact Harness Support.",
                "correlationId": null,
                "detailedMessage": null,
                "responseMessages": [],
                "metadata": null,
            });
            (code, axum::Json(body)).into_response()
        }
        // Elsewhere, what a reverse proxy in front of a failing server answers.
        _ => {
            let reason = code.canonical_reason().unwrap_or("Error");
            let page = format!(
                "<html>\r\n<head><title>{} {reason}</title></head>\r\n<body>\r\n<center><h1>{} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n",
                code.as_u16(),
                code.as_u16()
            );
            (code, [(header::CONTENT_TYPE, "text/html")], page).into_response()
        }
    }
}

fn rate_limited(retry_after: Option<u64>) -> Response {
    let mut response = (StatusCode::TOO_MANY_REQUESTS, "Too Many Requests").into_response();
    if let Some(secs) = retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}

/// `{"data":"xxx…"}`, 50 MB of it, in 64 KiB pieces of one shared buffer.
fn huge() -> Response {
    const PIECE: usize = 64 * 1024;
    let filler = Bytes::from(vec![b'x'; PIECE]);
    let pieces = HUGE / PIECE;
    let body = futures::stream::iter(
        std::iter::once(Bytes::from_static(b"{\"data\":\""))
            .chain(std::iter::repeat_n(filler, pieces))
            .chain(std::iter::once(Bytes::from_static(b"\"}")))
            .map(Ok::<_, std::io::Error>),
    );
    (
        [(header::CONTENT_TYPE, "application/json")],
        Body::from_stream(body),
    )
        .into_response()
}

/// Spoils the answer of a handled request.
async fn spoil(response: Response, fault: Fault, face: Face) -> Response {
    if fault == Fault::HugeBody {
        return huge();
    }
    let (mut parts, body) = response.into_parts();
    let streamed = axum::body::HttpBody::size_hint(&body).exact().is_none();
    if streamed {
        return match fault {
            Fault::Reset => {
                parts.headers.remove(header::CONTENT_LENGTH);
                let first = body.into_data_stream().take(1);
                Response::from_parts(parts, Body::from_stream(first.chain(broken())))
            }
            _ => Response::from_parts(parts, body),
        };
    }
    // A body of known length is already complete in memory.
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return abort();
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    let body = match fault {
        Fault::Reset => {
            let half = bytes.slice(..bytes.len() / 2);
            let first = futures::stream::once(async move { Ok::<_, axum::Error>(half) });
            Body::from_stream(first.chain(broken()))
        }
        Fault::TruncatedJson => Body::from(bytes.slice(..bytes.len() / 2)),
        Fault::WrongTypes => Body::from(rewrite_json(bytes, wrong_types)),
        Fault::UnknownEnum => Body::from(rewrite_json(bytes, unknown_enums)),
        Fault::Poison => Body::from(rewrite_json(
            bytes,
            match face {
                Face::Harness | Face::HarnessFg => poison_harness,
                Face::Argo => poison_argo,
                Face::Infraxys => poison_infraxys,
            },
        )),
        Fault::SlowBody(over) => trickle(bytes, over),
        _ => Body::from(bytes),
    };
    Response::from_parts(parts, body)
}

/// After a pause (so what came before is on the wire), the connection breaks.
fn broken() -> impl futures::Stream<Item = Result<Bytes, axum::Error>> {
    futures::stream::once(async {
        tokio::time::sleep(Duration::from_millis(20)).await;
        Err(axum::Error::new(std::io::Error::other(
            "fault: connection reset",
        )))
    })
}

fn trickle(bytes: Bytes, over: Duration) -> Body {
    let size = bytes.len().div_ceil(SLOW_PIECES).max(1);
    let pause = over / SLOW_PIECES as u32;
    let pieces: Vec<Bytes> = (0..bytes.len())
        .step_by(size)
        .map(|at| bytes.slice(at..(at + size).min(bytes.len())))
        .collect();
    Body::from_stream(futures::stream::iter(pieces).then(move |piece| async move {
        tokio::time::sleep(pause).await;
        Ok::<_, std::io::Error>(piece)
    }))
}

/// The body with `change` applied, when it is JSON; anything else is left as it is.
fn rewrite_json(bytes: Bytes, change: fn(&mut Value)) -> Bytes {
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(mut value) => {
            change(&mut value);
            Bytes::from(value.to_string())
        }
        Err(_) => rewrite_ndjson(bytes, change),
    }
}

/// A body of JSON lines (the Harness log service's blob), each line changed on its own;
/// anything else is left as it is.
fn rewrite_ndjson(bytes: Bytes, change: fn(&mut Value)) -> Bytes {
    let Ok(text) = std::str::from_utf8(&bytes) else {
        return bytes;
    };
    let mut out = String::with_capacity(text.len());
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let Ok(mut value) = serde_json::from_str::<Value>(line) else {
            return bytes;
        };
        change(&mut value);
        out.push_str(&value.to_string());
        out.push('\n');
    }
    Bytes::from(out)
}

/// Puts [`POISON`] before every string under one of `keys` (compared without case).
fn poison(value: &mut Value, keys: &[&str]) {
    match value {
        Value::Array(items) => items.iter_mut().for_each(|v| poison(v, keys)),
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                match v {
                    Value::String(text)
                        if keys.iter().any(|k| k.eq_ignore_ascii_case(key)) && !text.is_empty() =>
                    {
                        *text = format!("{POISON}{text}");
                    }
                    other => poison(other, keys),
                }
            }
        }
        _ => {}
    }
}

/// Harness (both generations): names of pipelines, executions, stages and steps, users,
/// descriptions and messages. Status words stay: the envelope's `status` says whether the
/// answer is one.
fn poison_harness(value: &mut Value) {
    // `out`: a log line's text.
    poison(
        value,
        &["name", "description", "message", "errorMessage", "out"],
    );
}

/// Argo: node display names and messages. `metadata.name` is the workflow's id and a
/// parameter's `name` is what a decision sets, so both stay.
fn poison_argo(value: &mut Value) {
    poison(value, &["displayName", "message"]);
}

/// Infraxys: the status word and messages of its answers.
fn poison_infraxys(value: &mut Value) {
    poison(value, &["status", "message", "statusMessage"]);
}

fn wrong_types(value: &mut Value) {
    match value {
        Value::Number(n) => *value = Value::String(n.to_string()),
        Value::Bool(b) => *value = Value::String(b.to_string()),
        Value::Array(items) => items.iter_mut().for_each(wrong_types),
        Value::Object(map) => map.values_mut().for_each(wrong_types),
        Value::Null | Value::String(_) => {}
    }
}

fn unknown_enums(value: &mut Value) {
    match value {
        Value::Array(items) => items.iter_mut().for_each(unknown_enums),
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                let key = key.to_ascii_lowercase();
                if v.is_string() && (key.ends_with("status") || key == "phase" || key == "state") {
                    *v = Value::String(UNKNOWN.to_owned());
                } else {
                    unknown_enums(v);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rules_match_face_path_and_count() {
        let faults = SharedFaults::default();
        faults.replace(Faults::new([
            Rule::new(Fault::Latency(Duration::from_millis(5))),
            Rule::new(Fault::Latency(Duration::from_millis(7))).on(Face::Argo),
            Rule::new(Fault::Status(502))
                .on(Face::Argo)
                .paths("/workflows")
                .times(2),
            Rule::new(Fault::Hang).on(Face::Argo),
        ]));
        let ms = Duration::from_millis;
        assert_eq!(faults.plan(Face::Harness, "/x"), (ms(5), None));
        assert_eq!(
            faults.plan(Face::Argo, "/api/v1/workflows/argo"),
            (ms(12), Some(Fault::Status(502)))
        );
        assert_eq!(
            faults.plan(Face::Argo, "/api/v1/workflows/argo"),
            (ms(12), Some(Fault::Status(502)))
        );
        // Used up: the next rule in line applies.
        assert_eq!(
            faults.plan(Face::Argo, "/api/v1/workflows/argo"),
            (ms(12), Some(Fault::Hang))
        );
        assert_eq!(faults.rules().len(), 3);
        faults.replace(Faults::default());
        assert_eq!(faults.plan(Face::Argo, "/x"), (Duration::ZERO, None));
    }

    #[test]
    fn an_empty_path_filter_matches_nothing() {
        assert!(
            !Rule::new(Fault::Refused)
                .paths("")
                .matches(Face::Harness, "/x")
        );
    }

    #[test]
    fn json_rewrites() {
        let mut v = json!({"a": 1, "b": [true, 2.5, "s", null], "status": "Running",
            "node": {"phase": "Succeeded", "state": {"x": 1}, "approvalStatus": "WAITING"}});
        let mut types = v.clone();
        wrong_types(&mut types);
        assert_eq!(types["a"], "1");
        assert_eq!(types["b"], json!(["true", "2.5", "s", null]));
        unknown_enums(&mut v);
        assert_eq!(v["status"], UNKNOWN);
        assert_eq!(v["node"]["phase"], UNKNOWN);
        assert_eq!(v["node"]["approvalStatus"], UNKNOWN);
        assert_eq!(v["node"]["state"], json!({"x": 1}), "only strings change");
        assert_eq!(v["a"], 1);
        assert_eq!(
            rewrite_json(Bytes::from_static(b"<html>"), wrong_types),
            "<html>"
        );
    }
}
