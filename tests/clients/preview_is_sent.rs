//! "The preview is what is sent", for every backend: the preview of a start equals the
//! request the simulator then received (method, path and query, headers, body). Each
//! backend talks to the simulator through a small recording proxy, which keeps every
//! request exactly as it arrived, headers included, and forwards it unchanged.

use crate::common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use reqwest::header::{CONTENT_LENGTH, HOST, TRANSFER_ENCODING};
use secrecy::SecretString;
use url::Url;

use flightdeck::backend::Backend;
use flightdeck::backend::argo::{ArgoBackend, ArgoOptions, RejectMode};
use flightdeck::backend::harness::{HarnessBackend, HarnessOptions};
use flightdeck::backend::harness_fg::{HarnessFgBackend, HarnessFgOptions};
use flightdeck::backend::infraxys::{ALIASES, InfraxysBackend, InfraxysOptions};
use flightdeck::domain::{RequestPreview, StartRequest};
use flightdeck_sim::{ClockMode, SimHandle, SimOptions};

async fn sim() -> SimHandle {
    let sim = SimHandle::start(SimOptions {
        clock: ClockMode::Manual,
        ..SimOptions::default()
    })
    .await
    .expect("simulator starts");
    sim.world().set_failures(false);
    sim
}

/// One request as the proxy received it.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path_and_query: String,
    headers: Vec<(String, String)>,
    body: String,
}

struct Recorder {
    /// Where requests are forwarded: the simulator face's origin.
    origin: String,
    client: reqwest::Client,
    seen: Mutex<Vec<Seen>>,
}

impl Recorder {
    fn last(&self) -> Seen {
        self.seen
            .lock()
            .unwrap()
            .last()
            .cloned()
            .expect("a request")
    }
}

/// Starts a recording proxy in front of the simulator face at `face_url`; returns the URL a
/// backend uses instead (same path, the proxy's port) and the recorder.
async fn proxy(face_url: &str) -> (Url, Arc<Recorder>) {
    let face: Url = face_url.parse().unwrap();
    let origin = format!(
        "{}://{}:{}",
        face.scheme(),
        face.host_str().unwrap(),
        face.port_or_known_default().unwrap()
    );
    let recorder = Arc::new(Recorder {
        origin,
        client: reqwest::Client::new(),
        seen: Mutex::default(),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let app = axum::Router::new()
        .fallback(forward)
        .with_state(recorder.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let mut url = face;
    url.set_host(Some("127.0.0.1")).unwrap();
    url.set_port(Some(port)).unwrap();
    (url, recorder)
}

async fn forward(State(recorder): State<Arc<Recorder>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    let path_and_query = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    recorder.seen.lock().unwrap().push(Seen {
        method: parts.method.to_string(),
        path_and_query: path_and_query.clone(),
        headers: parts
            .headers
            .iter()
            .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap().to_owned()))
            .collect(),
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    let mut out = recorder
        .client
        .request(parts.method, format!("{}{path_and_query}", recorder.origin))
        .body(body);
    for (name, value) in &parts.headers {
        if name != HOST && name != CONTENT_LENGTH {
            out = out.header(name, value);
        }
    }
    let answer = out.send().await.unwrap();
    let mut response = Response::builder().status(answer.status());
    for (name, value) in answer.headers() {
        if name != TRANSFER_ENCODING && name != CONTENT_LENGTH {
            response = response.header(name, value);
        }
    }
    response
        .body(Body::from(answer.bytes().await.unwrap()))
        .unwrap()
}

/// The request `seen` is the one `preview` showed: same method, path and query, body, and
/// headers, the credential being the previewed value with `***` replaced by `secret`.
/// Headers the HTTP stack adds on its own (and curl adds too) are left out: host,
/// user-agent, content-length, and `accept: */*` when the preview names no `accept`.
fn assert_sent_as_previewed(preview: &RequestPreview, seen: &Seen, secret: &str) {
    let url = Url::parse(&preview.url).unwrap();
    let previewed_path = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    };
    assert_eq!(seen.method, preview.method);
    assert_eq!(seen.path_and_query, previewed_path);
    assert_eq!(seen.body, preview.body);

    let previews_accept = preview.headers.iter().any(|(n, _)| n == "accept");
    let mut sent: Vec<(String, String)> = seen
        .headers
        .iter()
        .filter(|(n, v)| {
            let transport = matches!(
                n.as_str(),
                "host" | "user-agent" | "content-length" | "accept-encoding"
            );
            let default_accept = n == "accept" && v == "*/*" && !previews_accept;
            !transport && !default_accept
        })
        .cloned()
        .collect();
    let mut expected: Vec<(String, String)> = preview
        .headers
        .iter()
        .map(|(n, v)| (n.clone(), v.replace("***", secret)))
        .collect();
    sent.sort();
    expected.sort();
    assert_eq!(sent, expected);
    assert!(
        preview.headers.iter().all(|(_, v)| !v.contains(secret)),
        "the preview shows no secret"
    );
}

fn start_request(project: &str, pipeline_id: &str, values: &[(&str, &str)]) -> StartRequest {
    StartRequest {
        project: project.into(),
        pipeline_id: pipeline_id.into(),
        values: values
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        notes: Some("preview check".into()),
    }
}

#[tokio::test]
async fn harness_next_gen_sends_its_preview() {
    let sim = sim().await;
    let (url, recorder) = proxy(&sim.harness_url()).await;
    let key = sim.harness_token();
    let backend = HarnessBackend::new(HarnessOptions {
        name: "hx".into(),
        base_url: url,
        account: sim.account(),
        org: sim.org(),
        projects: sim.projects(),
        api_key: SecretString::from(key.clone()),
        timeout: Duration::from_secs(10),
        ca_file: None,
        insecure_skip_verify: false,
    })
    .unwrap();
    let request = start_request("checkout", "cart_service_deploy", &[("image_tag", "3.9.1")]);
    let preview = backend.start_preview(&request).await.unwrap();
    backend.start(&request).await.unwrap();
    assert_sent_as_previewed(&preview, &recorder.last(), &key);
}

#[tokio::test]
async fn argo_sends_its_preview() {
    let sim = sim().await;
    let (url, recorder) = proxy(&sim.argo_url()).await;
    let token = sim.argo_token();
    let backend = ArgoBackend::new(ArgoOptions {
        name: "argo".into(),
        base_url: url,
        namespace: "argo".into(),
        token: Some(token.clone().into()),
        cluster_templates: true,
        label_selector: None,
        reject: RejectMode::Stop,
        events: Vec::new(),
        timeout: Duration::from_secs(10),
        ca_file: None,
        insecure_skip_verify: false,
    })
    .unwrap();
    let request = start_request("argo", "release", &[("version", "2.0.0")]);
    let preview = backend.start_preview(&request).await.unwrap();
    backend.start(&request).await.unwrap();
    assert_sent_as_previewed(&preview, &recorder.last(), &token);
}

#[tokio::test]
async fn harness_first_gen_sends_its_preview() {
    let sim = sim().await;
    let (url, recorder) = proxy(&sim.harness_fg_url()).await;
    let key = sim.harness_fg_api_key();
    let backend = HarnessFgBackend::new(HarnessFgOptions {
        name: "fg".into(),
        base_url: url,
        account: sim.account(),
        applications: Vec::new(),
        api_key: key.clone().into(),
        timeout: Duration::from_secs(10),
        ca_file: None,
        insecure_skip_verify: false,
    })
    .unwrap();
    let pipelines = backend.list_pipelines().await.unwrap();
    let web = pipelines
        .iter()
        .find(|p| p.name == "Storefront web deploy")
        .unwrap();
    let request = start_request(
        &web.project,
        &web.id,
        &[
            ("Environment", "production"),
            ("image_tag", "5.2.0"),
            ("artifact:storefront-web", "docker_storefront-web/5.2.0"),
        ],
    );
    let preview = backend.start_request_preview(&request).await.unwrap();
    backend.start(&request).await.unwrap();
    assert_sent_as_previewed(&preview, &recorder.last(), &key);
}

#[tokio::test]
async fn infraxys_sends_its_preview() {
    let sim = sim().await;
    sim.set_infraxys_latency(Duration::from_millis(5));
    let (url, recorder) = proxy(&sim.infraxys_url()).await;
    let token = sim.infraxys_token();
    let catalogue = common::infraxys::configured_catalogue(&sim);
    let backend = InfraxysBackend::new(InfraxysOptions {
        name: "ix".into(),
        base_url: url,
        branch: catalogue.branch,
        token: Some(token.clone().into()),
        timeout: Duration::from_secs(5),
        ca_file: None,
        insecure_skip_verify: false,
        workflows: catalogue.workflows,
        actions: catalogue.actions,
        aliases: catalogue.aliases,
    })
    .unwrap();
    let request = start_request(ALIASES, "Flush CDN cache", &[("path", "/img/*")]);
    let preview = backend.start_request_preview(&request).unwrap();
    assert!(
        recorder.seen.lock().unwrap().is_empty(),
        "a preview sends nothing"
    );
    backend.start(&request).await.unwrap();
    assert_sent_as_previewed(&preview, &recorder.last(), &token);
}
