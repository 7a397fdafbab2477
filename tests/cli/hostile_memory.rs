//! Finding 3 of the hostile-server review: memory is bounded by items, not only by bytes.
//! Each case is what a hostile server sent in the review, and each measures the peak RSS
//! of the real binary (or, for the watch, of this test process) and prints it to stderr:
//! the bound is 256 MiB whatever a server sends.
//!
//! | case | before the item caps |
//! |---|---|
//! | one Argo page of 1,000,000 `{}` workflows | 824 MiB |
//! | Harness pipeline pages that never say `last` | 1,051 MiB |
//! | an endless distinct-name Argo watch stream | grows without limit |

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{Method, Uri};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;

const BIN: &str = env!("CARGO_BIN_EXE_flightdeck");
const LIMIT_KIB: u64 = 256 * 1024;

type Answer = dyn Fn(&Method, &Uri) -> Response + Send + Sync;

async fn serve(answer: Arc<Answer>) -> String {
    let app = Router::new().fallback(move |method: Method, uri: Uri| {
        let answer = answer.clone();
        async move { answer(&method, &uri) }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

fn json(body: impl Into<Body>) -> Response {
    ([("content-type", "application/json")], body.into()).into_response()
}

/// Runs the binary under `/usr/bin/time -v`; its exit status, stderr and peak RSS in KiB.
/// `None` where `/usr/bin/time` is missing (the test then says so and checks the rest).
async fn run_measured(config: &str, args: &[&str]) -> (bool, String, Option<u64>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flightdeck.toml");
    std::fs::write(&path, config).unwrap();
    let time = std::path::Path::new("/usr/bin/time");
    let mut command = if time.exists() {
        let mut c = tokio::process::Command::new(time);
        c.arg("-v").arg(BIN);
        c
    } else {
        tokio::process::Command::new(BIN)
    };
    let started = Instant::now();
    let out = command
        .arg("--config")
        .arg(&path)
        .args(args)
        .env("FD_SECRET", "not-a-real-secret-0123")
        .env("FLIGHTDECK_AUDIT_LOG", dir.path().join("audit.jsonl"))
        .env_remove("FLIGHTDECK_CONFIG")
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let peak = stderr
        .lines()
        .find_map(|l| l.trim().strip_prefix("Maximum resident set size (kbytes):"))
        .and_then(|v| v.trim().parse::<u64>().ok());
    eprintln!(
        "flightdeck {}: peak RSS {} in {:.1}s",
        args.join(" "),
        peak.map_or("not measured (no /usr/bin/time)".to_owned(), |k| format!(
            "{:.1} MiB",
            k as f64 / 1024.0
        )),
        started.elapsed().as_secs_f64()
    );
    // `time -v` exits with the command's status.
    (out.status.success(), stderr, peak)
}

fn assert_bounded(peak: Option<u64>) {
    if let Some(kib) = peak {
        assert!(kib < LIMIT_KIB, "peak RSS {kib} KiB is over 256 MiB");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_million_empty_argo_workflows_are_refused_while_decoding() {
    let page = {
        let mut body = String::from(r#"{"metadata":{"resourceVersion":"1"},"items":["#);
        body.push_str(&"{},".repeat(999_999));
        body.push_str("{}]}");
        Bytes::from(body)
    };
    let url = serve(Arc::new(move |_: &Method, uri: &Uri| {
        if uri.path().ends_with("/workflows/argo") {
            json(page.clone())
        } else {
            json(r#"{"metadata":{},"items":[]}"#)
        }
    }))
    .await;
    let config = format!(
        "[[backend]]\nname = \"argo\"\nkind = \"argo\"\nbase_url = \"{url}\"\nnamespace = \"argo\"\n"
    );
    let (ok, stderr, peak) = run_measured(&config, &["list", "executions"]).await;
    assert!(!ok, "{stderr}");
    assert!(stderr.contains("more than 10000 items"), "{stderr}");
    assert_bounded(peak);
}

fn harness_config(url: &str) -> String {
    format!(
        "[[backend]]\nname = \"hx\"\nkind = \"harness\"\nbase_url = \"{url}\"\naccount = \"a\"\n\
         org = \"default\"\nprojects = [\"proj\"]\napi_key = {{ env = \"FD_SECRET\" }}\n"
    )
}

/// Harness pipeline pages that never say `last`, each of `per_page` distinct pipelines
/// (`None`: as many as asked for).
async fn endless_harness_pages(per_page: Option<usize>) -> String {
    serve(Arc::new(move |_: &Method, uri: &Uri| {
        let query: std::collections::HashMap<String, String> =
            url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
                .into_owned()
                .collect();
        let page: usize = query.get("page").and_then(|p| p.parse().ok()).unwrap_or(0);
        let size: usize = query
            .get("size")
            .and_then(|p| p.parse().ok())
            .unwrap_or(100);
        let items: Vec<String> = (0..per_page.unwrap_or(size))
            .map(|i| format!(r#"{{"identifier":"p{page}_{i}","name":"p{page}_{i}"}}"#))
            .collect();
        json(format!(
            r#"{{"status":"SUCCESS","data":{{"content":[{}],"number":{page},"last":false}}}}"#,
            items.join(",")
        ))
    }))
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn harness_pages_that_never_end_stop_at_the_item_cap() {
    // Honest page sizes, but never the last: the running total stops the walk.
    let url = endless_harness_pages(None).await;
    let (ok, stderr, peak) = run_measured(&harness_config(&url), &["list", "pipelines"]).await;
    assert!(!ok, "{stderr}");
    assert!(stderr.contains("past 5000 items"), "{stderr}");
    assert_bounded(peak);

    // The review's case: 10,000 items a page where 100 were asked for.
    let url = endless_harness_pages(Some(10_000)).await;
    let (ok, stderr, peak) = run_measured(&harness_config(&url), &["list", "pipelines"]).await;
    assert!(!ok, "{stderr}");
    assert!(stderr.contains("more than 1000 items"), "{stderr}");
    assert_bounded(peak);
}

/// This process's peak RSS in KiB, from `/proc/self/status`.
fn own_peak_kib() -> Option<u64> {
    std::fs::read_to_string("/proc/self/status")
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

#[tokio::test(flavor = "multi_thread")]
async fn an_endless_argo_watch_flood_stops_at_the_workflow_cap() {
    use flightdeck::backend::Backend;
    use flightdeck::backend::argo::{ArgoBackend, ArgoOptions, RejectMode};

    let url = serve(Arc::new(|_: &Method, uri: &Uri| {
        if uri.path().contains("workflow-events") {
            // Distinct names without end, a thousand events a piece.
            let events = futures::stream::iter(0u64..).map(|piece| {
                let mut text = String::new();
                for i in piece * 1000..(piece + 1) * 1000 {
                    text.push_str(&format!(
                        r#"{{"result":{{"type":"ADDED","object":{{"metadata":{{"name":"wf-{i}","resourceVersion":"{i}"}}}}}}}}"#
                    ));
                    text.push('\n');
                }
                Ok::<_, std::io::Error>(Bytes::from(text))
            });
            ([("content-type", "application/json")], Body::from_stream(events)).into_response()
        } else {
            json(r#"{"metadata":{"resourceVersion":"1"},"items":[]}"#)
        }
    }))
    .await;
    let backend = ArgoBackend::new(ArgoOptions {
        name: "argo".into(),
        base_url: url.parse().unwrap(),
        namespace: "argo".into(),
        token: None,
        cluster_templates: false,
        label_selector: None,
        reject: RejectMode::Stop,
        events: vec![],
        timeout: Duration::from_secs(5),
        ca_file: None,
        insecure_skip_verify: false,
    })
    .unwrap();
    let (lists, mut received) = tokio::sync::mpsc::unbounded_channel();
    let drain = tokio::spawn(async move {
        let mut most = 0;
        while let Some(list) = received.recv().await {
            most = most.max(Vec::len(&list));
        }
        most
    });
    let started = Instant::now();
    let end = tokio::time::timeout(Duration::from_secs(20), backend.watch_executions(&lists))
        .await
        .expect("the watch gives up on the flood");
    drop(lists);
    let most = drain.await.unwrap();
    let error = end
        .expect_err("a flood past the cap ends the watch")
        .to_string();
    assert!(error.contains("more than 10000 workflows"), "{error}");
    assert!(most <= 10_000, "a list of {most} executions was sent");
    let peak = own_peak_kib();
    eprintln!(
        "argo watch flood: stopped after {:.1}s, largest list {most}, test process peak RSS {}",
        started.elapsed().as_secs_f64(),
        peak.map_or("unknown".to_owned(), |k| format!(
            "{:.1} MiB",
            k as f64 / 1024.0
        ))
    );
    assert_bounded(peak);
}
