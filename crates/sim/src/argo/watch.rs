//! `GET /api/v1/workflow-events/{ns}` (spec §10.1) and the stream framing shared with logs
//! (§10.2).
//!
//! A watch without `listOptions.resourceVersion` starts with an `ADDED` event per matching
//! workflow, then sends every later change; with one it sends only the changes after it, read
//! from the face's change log. Events carry whole objects. `fields` prunes the whole
//! `{"result":…}` envelope, so `result.type` disappears unless listed. Streams (watches and
//! followed logs) end when the test controls say so: with the EOF error chunk (what the
//! server sends when the Kubernetes watch closes), or cut without it ([`Controls`]).

use std::collections::VecDeque;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::sync::watch as signal;
use tokio::time::{Instant, Interval, interval_at};

use super::auth::Caller;
use super::errors::{Answer, ApiError};
use super::fields::Fields;
use super::selectors::{FieldSelector, LabelSelector};
use super::state::Change;
use super::workflows;
use crate::Shared;
use crate::harness::Params;

/// How open streams are told to stop: each counter going up ends (with the EOF chunk) or cuts
/// (without it) every stream open at that moment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct StreamControl {
    pub(crate) ended: u64,
    pub(crate) dropped: u64,
}

/// SSE (`Accept: text/event-stream`, with keep-alives) or one JSON document per line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Framing {
    Sse,
    Ndjson,
}

impl Framing {
    pub(crate) fn of(headers: &HeaderMap) -> Framing {
        let sse = headers
            .get(header::ACCEPT)
            .is_some_and(|a| a.as_bytes() == b"text/event-stream");
        if sse { Framing::Sse } else { Framing::Ndjson }
    }

    /// One message: `data: <json> \n\n` plus the gateway's `\n`, or `<json>\n`.
    pub(crate) fn frame(self, v: &Value) -> Bytes {
        match self {
            Framing::Sse => Bytes::from(format!("data: {v} \n\n\n")),
            Framing::Ndjson => Bytes::from(format!("{v}\n")),
        }
    }

    /// A streaming answer over `body`.
    pub(crate) fn response(self, body: Body) -> Response {
        match self {
            Framing::Sse => (
                [
                    (header::CONTENT_TYPE, "text/event-stream"),
                    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
                ],
                body,
            )
                .into_response(),
            Framing::Ndjson => ([(header::CONTENT_TYPE, "application/json")], body).into_response(),
        }
    }
}

/// The chunk that ends a stream whose Kubernetes watch closed: clients reconnect on it.
pub(crate) fn eof_chunk() -> Value {
    json!({"error": {"grpc_code": 8, "http_code": 429, "message": "EOF", "http_status": "Too Many Requests"}})
}

/// Which workflows a watch sends, and how.
struct Filter {
    namespace: String,
    labels: LabelSelector,
    fields: FieldSelector,
    projection: Option<Fields>,
}

impl Filter {
    fn event(&self, kind: &str, namespace: &str, object: &Value) -> Option<Value> {
        let wanted = (self.namespace.is_empty() || namespace == self.namespace)
            && self.labels.matches_object(object)
            && self.fields.matches_object(object);
        if !wanted {
            return None;
        }
        let mut event = json!({"result": {"type": kind, "object": object}});
        if let Some(f) = &self.projection {
            f.apply(&mut event);
        }
        Some(event)
    }
}

struct Watch {
    s: Arc<Shared>,
    framing: Framing,
    filter: Filter,
    pending: VecDeque<Bytes>,
    last_rv: u64,
    changed: signal::Receiver<u64>,
    controls: Controls,
    keepalive: Option<Interval>,
    done: bool,
}

impl Watch {
    fn queue(&mut self, changes: Vec<Change>) {
        for c in changes {
            self.last_rv = self.last_rv.max(c.rv);
            if let Some(e) = self.filter.event(c.kind, &c.namespace, &c.object) {
                self.pending.push_back(self.framing.frame(&e));
            }
        }
    }

    /// Every current workflow as `ADDED`, oldest first, and the version they stand at.
    fn snapshot(&mut self) {
        let st = self.s.argo.state();
        let mut objects = st.objects(None);
        objects.sort_by(|a, b| {
            a["metadata"]["creationTimestamp"]
                .as_str()
                .cmp(&b["metadata"]["creationTimestamp"].as_str())
        });
        let rv = st.rv();
        drop(st);
        for o in objects {
            let ns = o["metadata"]["namespace"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            if let Some(e) = self.filter.event("ADDED", &ns, &o) {
                self.pending.push_back(self.framing.frame(&e));
            }
        }
        self.last_rv = rv;
    }

    fn catch_up(&mut self) {
        let changes = self.s.argo.state().changes_since(self.last_rv);
        match changes {
            Some(changes) => self.queue(changes),
            None => self.snapshot(),
        }
    }

    /// The next chunk: `Err` cuts the connection.
    async fn next(&mut self) -> Option<io::Result<Bytes>> {
        loop {
            if let Some(frame) = self.pending.pop_front() {
                return Some(Ok(frame));
            }
            if self.done {
                return None;
            }
            let wake = {
                let keepalive = &mut self.keepalive;
                tokio::select! {
                    r = self.changed.changed() => Wake::Changed(r.is_ok()),
                    stop = self.controls.stopped() => Wake::Stop(stop),
                    _ = tick(keepalive) => Wake::KeepAlive,
                }
            };
            match wake {
                Wake::Changed(true) => self.catch_up(),
                Wake::Changed(false) => self.done = true,
                Wake::Stop(stop) => {
                    self.done = true;
                    match stop {
                        Stop::End => self.pending.push_back(self.framing.frame(&eof_chunk())),
                        Stop::Cut => return Some(Err(cut())),
                    }
                }
                Wake::KeepAlive => self.pending.push_back(Bytes::from_static(b":\n")),
            }
        }
    }
}

/// What woke a stream up.
enum Wake {
    /// New changes (`false`: the face is gone).
    Changed(bool),
    /// The test controls say stop.
    Stop(Stop),
    KeepAlive,
}

/// How a stream is told to stop.
pub(crate) enum Stop {
    /// With the EOF error chunk.
    End,
    /// Without a word: the connection breaks.
    Cut,
}

/// What a body stream returns to break its connection.
pub(crate) fn cut() -> io::Error {
    io::Error::new(io::ErrorKind::ConnectionAborted, "stream cut")
}

/// A stream's view of the test controls (`argo_end_watches`, `argo_drop_watches`): only
/// calls made after the stream opened concern it.
pub(crate) struct Controls {
    rx: signal::Receiver<StreamControl>,
    started: StreamControl,
}

impl Controls {
    pub(crate) fn new(s: &Shared) -> Controls {
        let rx = s.argo.control.subscribe();
        let started = *rx.borrow();
        Controls { rx, started }
    }

    /// Resolves once the stream must stop (cut if the face is gone).
    pub(crate) async fn stopped(&mut self) -> Stop {
        loop {
            if self.rx.changed().await.is_err() {
                return Stop::Cut;
            }
            let now = *self.rx.borrow_and_update();
            if now.dropped > self.started.dropped {
                return Stop::Cut;
            }
            if now.ended > self.started.ended {
                return Stop::End;
            }
        }
    }
}

/// The next keep-alive tick, or never for a stream without keep-alives.
pub(crate) async fn tick(timer: &mut Option<Interval>) {
    match timer {
        Some(t) => {
            t.tick().await;
        }
        None => std::future::pending().await,
    }
}

/// A keep-alive timer for SSE streams (NDJSON streams have none).
pub(crate) fn keepalive(s: &Shared, framing: Framing) -> Option<Interval> {
    let every: Duration = s.argo.keepalive();
    (framing == Framing::Sse).then(|| interval_at(Instant::now() + every, every))
}

pub(crate) async fn watch(
    State(s): State<Arc<Shared>>,
    _caller: Caller,
    Path(ns): Path<String>,
    headers: HeaderMap,
    params: Params,
) -> Answer<Response> {
    watch_in(s, ns, &headers, &params)
}

/// `GET /api/v1/workflow-events/`: an empty namespace watches every namespace.
pub(crate) async fn watch_all(
    State(s): State<Arc<Shared>>,
    _caller: Caller,
    headers: HeaderMap,
    params: Params,
) -> Answer<Response> {
    watch_in(s, String::new(), &headers, &params)
}

fn watch_in(s: Arc<Shared>, ns: String, headers: &HeaderMap, params: &Params) -> Answer<Response> {
    let labels = LabelSelector::parse(params.get("listOptions.labelSelector"))?;
    let mut fields = FieldSelector::for_watch(params.get("listOptions.fieldSelector"))?;
    let since = match params
        .get("listOptions.resourceVersion")
        .filter(|v| !v.is_empty() && *v != "0")
    {
        None => None,
        Some(v) => Some(v.parse::<u64>().map_err(|_| {
            ApiError::invalid(format!(
                "resourceVersion: Invalid value: \"{v}\": invalid resource version"
            ))
        })?),
    };
    let framing = Framing::of(headers);
    let (changed, controls) = {
        let st = s.argo.state();
        // A single-workflow watch names the workflow, `@latest` resolved.
        if let Some(name) = fields.equal("metadata.name").map(str::to_string) {
            let resolved = if name == "@latest" {
                let wf = workflows::find(&st, &ns, &name)?;
                wf["metadata"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string()
            } else {
                name
            };
            fields = FieldSelector::parse(Some(&format!("metadata.name={resolved}")))?;
        }
        (s.argo.changed.subscribe(), Controls::new(&s))
    };
    let mut watch = Watch {
        s: s.clone(),
        framing,
        filter: Filter {
            namespace: ns,
            labels,
            fields,
            projection: Fields::parse(params.get("fields")),
        },
        pending: VecDeque::new(),
        last_rv: 0,
        changed,
        controls,
        keepalive: keepalive(&s, framing),
        done: false,
    };
    match since {
        None => watch.snapshot(),
        Some(rv) => {
            watch.last_rv = rv;
            watch.catch_up();
        }
    }
    let stream = futures::stream::unfold(watch, |mut w| async move {
        let chunk = w.next().await?;
        Some((chunk, w))
    });
    Ok(framing.response(Body::from_stream(stream)))
}
