//! Property tests: no answer a server can give makes a client panic or hang. Each backend's
//! real client talks to the simulator through a proxy that garbles every answer the way a
//! case says — a value anywhere in the JSON replaced by another type, an unknown word, a
//! huge or negative number, text full of controls; the body cut short; or arbitrary bytes —
//! and every read, start form, start and decision must come back as a value or an error.
//!
//! Bounded for CI (`GARBLED_CASES` per backend); `PROPTEST_CASES=N` runs more.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use flightdeck::backend::Backend;
use flightdeck::backend::argo::{ArgoBackend, ArgoOptions, RejectMode};
use flightdeck::backend::harness::{HarnessBackend, HarnessOptions};
use flightdeck::backend::harness_fg::{HarnessFgBackend, HarnessFgOptions};
use flightdeck::backend::infraxys::{InfraxysBackend, InfraxysOptions};
use flightdeck::domain::{Decision, DecisionAction, ExecRef, StartRequest};
use flightdeck_sim::{ClockMode, SimHandle, SimOptions};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::Value;

use super::rig::configured_catalogue;

const GARBLED_CASES: u32 = 32;
/// Longer than any client's timeout: a call still running then hangs.
const HANG: Duration = Duration::from_secs(20);

/// A value put in place of another.
#[derive(Debug, Clone)]
enum Garbage {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
    Array,
    Object,
    Nested(u8),
}

impl Garbage {
    fn value(&self) -> Value {
        match self {
            Garbage::Null => Value::Null,
            Garbage::Bool(b) => Value::Bool(*b),
            Garbage::Int(i) => Value::from(*i),
            Garbage::Float(f) => {
                serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number)
            }
            Garbage::Text(s) => Value::String(s.clone()),
            Garbage::Array => Value::Array(Vec::new()),
            Garbage::Object => Value::Object(Default::default()),
            Garbage::Nested(depth) => (0..*depth).fold(Value::Null, |v, _| Value::Array(vec![v])),
        }
    }
}

/// What happens to every answer of one case.
#[derive(Debug, Clone)]
enum Mutation {
    /// The `n`-th value of the document (counted depth first, wrapping) becomes `garbage`.
    Replace { n: u16, garbage: Garbage },
    /// The body is cut at this fraction of its length (in 1/256ths).
    Truncate(u8),
    /// The body is these bytes instead.
    Bytes(Vec<u8>),
}

fn garbage() -> impl Strategy<Value = Garbage> {
    prop_oneof![
        Just(Garbage::Null),
        any::<bool>().prop_map(Garbage::Bool),
        prop_oneof![Just(i64::MIN), Just(i64::MAX), Just(-1), any::<i64>()].prop_map(Garbage::Int),
        prop_oneof![Just(1e300), Just(-0.5), any::<f64>()].prop_map(Garbage::Float),
        prop_oneof![
            any::<String>(),
            Just("FLIGHTDECK_UNKNOWN".to_string()),
            Just(String::new()),
            Just("\u{1b}]52;c;eA==\u{7}\u{202e}".to_string()),
            // Text a YAML or date reader gets (runtime templates, timestamps).
            "[a-zA-Z0-9:<>+.(),\\- \\n]{0,80}",
            Just("9999-99-99T99:99:99Z".to_string()),
        ]
        .prop_map(Garbage::Text),
        Just(Garbage::Array),
        Just(Garbage::Object),
        (1u8..200).prop_map(Garbage::Nested),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        6 => (any::<u16>(), garbage()).prop_map(|(n, garbage)| Mutation::Replace { n, garbage }),
        1 => any::<u8>().prop_map(Mutation::Truncate),
        1 => prop::collection::vec(any::<u8>(), 0..300).prop_map(Mutation::Bytes),
    ]
}

/// What happens to the answers of one case: `mutations`, to every `every`-th document or
/// stream line (so a case can also get past the first answer and garble a later one).
#[derive(Debug, Clone)]
struct Plan {
    mutations: Vec<Mutation>,
    every: usize,
}

fn plan() -> impl Strategy<Value = Plan> {
    (prop::collection::vec(mutation(), 1..4), 1usize..4)
        .prop_map(|(mutations, every)| Plan { mutations, every })
}

/// Replaces the `n`-th value met depth first; `false` when there are fewer.
fn replace_nth(value: &mut Value, n: &mut usize, with: &Value) -> bool {
    if *n == 0 {
        *value = with.clone();
        return true;
    }
    *n -= 1;
    match value {
        Value::Array(items) => items.iter_mut().any(|v| replace_nth(v, n, with)),
        Value::Object(map) => map.values_mut().any(|v| replace_nth(v, n, with)),
        _ => false,
    }
}

fn count(value: &Value) -> usize {
    1 + match value {
        Value::Array(items) => items.iter().map(count).sum(),
        Value::Object(map) => map.values().map(count).sum(),
        _ => 0,
    }
}

/// A body of one JSON document is garbled whole; a stream (NDJSON, server-sent events) line
/// by line, each `data:` payload or JSON line on its own.
fn garble(body: &[u8], plan: &Plan, seen: &AtomicUsize) -> Vec<u8> {
    if serde_json::from_slice::<Value>(body).is_ok() || !body.contains(&b'\n') {
        return garble_one(body, plan, seen);
    }
    let mut out = Vec::with_capacity(body.len());
    for line in body.split_inclusive(|b| *b == b'\n') {
        out.extend(garble_line(line, plan, seen));
    }
    out
}

fn garble_line(line: &[u8], plan: &Plan, seen: &AtomicUsize) -> Vec<u8> {
    let (content, end) = match line.strip_suffix(b"\n") {
        Some(content) => (content, &b"\n"[..]),
        None => (line, &b""[..]),
    };
    let (prefix, payload) = match content.strip_prefix(b"data:") {
        Some(payload) => (&b"data:"[..], payload),
        None => (&b""[..], content),
    };
    [prefix, &garble_one(payload, plan, seen), end].concat()
}

fn garble_one(body: &[u8], plan: &Plan, seen: &AtomicUsize) -> Vec<u8> {
    let mut bytes = body.to_vec();
    if body.trim_ascii().is_empty()
        || !seen
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(plan.every)
    {
        return bytes;
    }
    for m in &plan.mutations {
        match m {
            Mutation::Replace { n, garbage } => {
                if let Ok(mut doc) = serde_json::from_slice::<Value>(&bytes) {
                    let mut n = usize::from(*n) % count(&doc);
                    replace_nth(&mut doc, &mut n, &garbage.value());
                    bytes = doc.to_string().into_bytes();
                }
            }
            Mutation::Truncate(at) => bytes.truncate(bytes.len() * usize::from(*at) / 256),
            Mutation::Bytes(b) => bytes = b.clone(),
        }
    }
    bytes
}

/// Forwards everything to `upstream` and garbles each answer by the current plan.
struct Proxy {
    upstream: String,
    http: reqwest::Client,
    plan: Mutex<Plan>,
    /// Documents and stream lines seen, for `Plan::every`.
    seen: Arc<AtomicUsize>,
}

async fn forward(State(p): State<Arc<Proxy>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let Ok(body) = axum::body::to_bytes(body, usize::MAX).await else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let mut headers = parts.headers.clone();
    headers.remove(header::HOST);
    let sent = p
        .http
        .request(parts.method, format!("{}{path}", p.upstream))
        .headers(headers)
        .body(body)
        .send()
        .await;
    let Ok(answer) = sent else {
        return StatusCode::BAD_GATEWAY.into_response();
    };
    let status = answer.status();
    let streamed = answer.content_length().is_none();
    let mut headers = HeaderMap::new();
    for (k, v) in answer.headers() {
        if k != header::CONTENT_LENGTH && k != header::TRANSFER_ENCODING {
            headers.insert(k, v.clone());
        }
    }
    let plan = p.plan.lock().unwrap().clone();
    if !streamed {
        let body = answer.bytes().await.unwrap_or_default();
        return (status, headers, Body::from(garble(&body, &plan, &p.seen))).into_response();
    }
    // A stream (a watch, a followed log) is passed on line by line as it comes.
    let seen = p.seen.clone();
    let lines = futures::stream::unfold(
        (answer, Vec::new(), plan),
        move |(mut answer, mut pending, plan)| {
            let seen = seen.clone();
            async move {
                loop {
                    if let Some(end) = pending.iter().position(|b| *b == b'\n') {
                        let line: Vec<u8> = pending.drain(..=end).collect();
                        let out = Ok::<_, std::io::Error>(garble_line(&line, &plan, &seen));
                        return Some((out, (answer, pending, plan)));
                    }
                    match answer.chunk().await {
                        Ok(Some(chunk)) => pending.extend_from_slice(&chunk),
                        _ if pending.is_empty() => return None,
                        _ => {
                            let rest = std::mem::take(&mut pending);
                            let out = Ok(garble_line(&rest, &plan, &seen));
                            return Some((out, (answer, pending, plan)));
                        }
                    }
                }
            }
        },
    );
    (status, headers, Body::from_stream(lines)).into_response()
}

async fn proxy(upstream: String) -> (Arc<Proxy>, String) {
    let p = Arc::new(Proxy {
        upstream,
        http: reqwest::Client::new(),
        plan: Mutex::new(Plan {
            mutations: Vec::new(),
            every: 1,
        }),
        seen: Arc::new(AtomicUsize::new(0)),
    });
    let app = axum::Router::new().fallback(forward).with_state(p.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (p, url)
}

async fn sim() -> SimHandle {
    let sim = SimHandle::start(SimOptions {
        clock: ClockMode::Manual,
        ..SimOptions::default()
    })
    .await
    .unwrap();
    sim.world().set_failures(false);
    sim.set_infraxys_latency(Duration::from_millis(1));
    sim
}

fn approve() -> Decision {
    Decision {
        action: DecisionAction::Approve,
        comment: "fuzz".into(),
        inputs: vec![],
    }
}

fn request(project: &str, pipeline: &str) -> StartRequest {
    StartRequest {
        project: project.into(),
        pipeline_id: pipeline.into(),
        values: vec![],
        notes: None,
    }
}

/// Every call a dashboard or script makes, each bounded; errors are fine, a panic or a hang
/// is not. What the ungarbled client saw (`known`) names an execution, gate and pipeline.
async fn exercise(
    backend: &dyn Backend,
    known: &Known,
    sim: &SimHandle,
) -> Result<(), TestCaseError> {
    macro_rules! bounded {
        ($what:literal, $call:expr) => {
            match tokio::time::timeout(HANG, $call).await {
                Ok(result) => {
                    if let Err(e) = &result {
                        prop_assert!(!e.to_string().is_empty(), "{}: an empty error", $what);
                    }
                }
                Err(_) => return Err(TestCaseError::fail(concat!($what, " hung"))),
            }
        };
    }
    bounded!("pipelines", backend.list_pipelines());
    bounded!("executions", backend.list_executions());
    bounded!("gates", backend.waiting_approvals());
    if let Some(exec) = &known.execution {
        bounded!("execution", backend.execution(exec));
        let (lines, _read) = tokio::sync::mpsc::unbounded_channel();
        bounded!("log", backend.logs(exec, None, false, &lines));
    }
    if backend.can_watch() {
        // The watch runs until it fails; a change in the world while it runs sends events.
        let (lists, mut pushed) = tokio::sync::mpsc::unbounded_channel();
        let watch = backend.watch_executions(&lists);
        let change = async {
            let _ = pushed.recv().await;
            sim.world().start("argo", "canary");
            // The Argo face notices changes when the world is brought up to the clock.
            sim.advance(Duration::from_millis(1));
            let _ = tokio::time::timeout(Duration::from_millis(300), pushed.recv()).await;
        };
        tokio::select! {
            result = watch => {
                if let Err(e) = result {
                    prop_assert!(!e.to_string().is_empty(), "watch: an empty error");
                }
            }
            () = change => {}
            () = tokio::time::sleep(HANG) => return Err(TestCaseError::fail("watch hung")),
        }
    }
    if let Some((project, pipeline)) = &known.pipeline {
        bounded!("start form", backend.start_form(project, pipeline));
        bounded!("start", backend.start(&request(project, pipeline)));
    }
    if let Some(gate) = &known.gate {
        bounded!("decision", backend.decide(gate, &approve()));
    }
    Ok(())
}

/// Things the ungarbled client listed, to address in every case.
struct Known {
    execution: Option<ExecRef>,
    pipeline: Option<(String, String)>,
    gate: Option<flightdeck::domain::Approval>,
}

async fn known(backend: &dyn Backend, pipeline: &str) -> Known {
    let pipelines = backend.list_pipelines().await.unwrap();
    let executions = backend.list_executions().await.unwrap();
    let gates = backend.waiting_approvals().await.unwrap();
    Known {
        execution: executions.first().map(|e| e.exec_ref()),
        pipeline: pipelines
            .iter()
            .find(|p| p.name == pipeline)
            .map(|p| (p.project.clone(), p.id.clone())),
        gate: gates.into_iter().next(),
    }
}

/// Names of the threads that panicked, so a panic in a task a client spawned (which nobody
/// awaits) fails the test too.
static PANICKED: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn record_panics() {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let name = std::thread::current()
                .name()
                .unwrap_or_default()
                .to_string();
            PANICKED
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(name);
            previous(info);
        }));
    });
}

/// Runs the property for the client `make` builds against a proxy of the face at `upstream`.
fn property<B: Backend + 'static>(
    upstream: fn(&SimHandle) -> String,
    make: fn(&SimHandle, &str) -> B,
    pipeline: &str,
) {
    record_panics();
    let threads = format!("garbled {pipeline}");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name(threads.clone())
        .enable_all()
        .build()
        .unwrap();
    let (sim, proxy, backend) = runtime.block_on(async {
        let sim = sim().await;
        let (proxy, url) = proxy(upstream(&sim)).await;
        let backend = make(&sim, &url);
        (sim, proxy, backend)
    });
    let known = runtime.block_on(known(&backend, pipeline));
    let config = Config {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(GARBLED_CASES),
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let result = runner.run(&plan(), |plan| {
        *proxy.plan.lock().unwrap() = plan;
        // A fresh gate each time, for the decision to have something to decide.
        let _ = sim.world().waiting_gate();
        runtime.block_on(exercise(&backend, &known, &sim))?;
        let panicked = PANICKED.lock().unwrap().contains(&threads);
        prop_assert!(!panicked, "a task of the client panicked");
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

fn harness(sim: &SimHandle, url: &str) -> HarnessBackend {
    HarnessBackend::new(HarnessOptions {
        name: "harness".into(),
        base_url: url.parse().unwrap(),
        account: sim.account(),
        org: sim.org(),
        projects: vec!["platform".into()],
        api_key: sim.harness_token().into(),
        timeout: Duration::from_secs(5),
        ca_file: None,
        insecure_skip_verify: false,
    })
    .unwrap()
}

fn first_gen(sim: &SimHandle, url: &str) -> HarnessFgBackend {
    HarnessFgBackend::new(HarnessFgOptions {
        name: "harness-fg".into(),
        base_url: format!("{url}/gateway").parse().unwrap(),
        account: sim.account(),
        applications: vec!["Legacy Billing".into()],
        api_key: sim.harness_fg_api_key().into(),
        timeout: Duration::from_secs(5),
        ca_file: None,
        insecure_skip_verify: false,
    })
    .unwrap()
}

fn argo(sim: &SimHandle, url: &str) -> ArgoBackend {
    ArgoBackend::new(ArgoOptions {
        name: "argo".into(),
        base_url: url.parse().unwrap(),
        namespace: "argo".into(),
        token: Some(sim.argo_token().into()),
        cluster_templates: false,
        label_selector: None,
        reject: RejectMode::Stop,
        events: Vec::new(),
        timeout: Duration::from_secs(5),
        ca_file: None,
        insecure_skip_verify: false,
    })
    .unwrap()
}

fn infraxys(sim: &SimHandle, url: &str) -> InfraxysBackend {
    let catalogue = configured_catalogue(sim);
    InfraxysBackend::new(InfraxysOptions {
        name: "infraxys".into(),
        base_url: url.parse().unwrap(),
        branch: catalogue.branch,
        token: Some(sim.infraxys_token().into()),
        timeout: Duration::from_secs(5),
        ca_file: None,
        insecure_skip_verify: false,
        workflows: catalogue.workflows,
        actions: catalogue.actions,
        aliases: catalogue.aliases,
    })
    .unwrap()
}

#[test]
fn harness_client_survives_any_answer() {
    property(|s| s.harness_url(), harness, "DNS record sync");
}

#[test]
fn first_gen_client_survives_any_answer() {
    property(|s| s.harness_url(), first_gen, "Invoice batch rerun");
}

#[test]
fn argo_client_survives_any_answer() {
    property(|s| s.argo_url(), argo, "canary");
}

/// Asynchronous starts also read the progress stream.
#[test]
fn infraxys_client_survives_any_answer() {
    property(|s| s.infraxys_url(), infraxys, "Rotate DB credentials");
}
