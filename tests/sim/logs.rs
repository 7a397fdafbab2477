//! The simulator's Harness NextGen log service (`control-logs-identity.md` §2.1) over raw HTTP:
//! the keys the execution graph gives each step, the blob (empty right after a unit ends, then
//! NDJSON with ANSI colour in `out`), the SSE stream of a running unit to its end marker, and
//! the `{"error_msg"}` errors. Time only moves through `advance`.

use std::time::Duration;

use flightdeck_sim::{ClockMode, SimHandle, SimOptions};
use reqwest::{Client, StatusCode};
use serde_json::Value;

const DEPLOY_YAML: &str = "pipeline:
  identifier: payments_api_deploy
  variables:
    - name: image_tag
      type: String
      value: \"1.44.0\"
";

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

/// Starts a payments deploy and returns its id.
async fn start(sim: &SimHandle, http: &Client) -> String {
    let url = format!(
        "{}/pipeline/api/pipeline/execute/payments_api_deploy?accountIdentifier={}&orgIdentifier=default&projectIdentifier=payments",
        sim.harness_url(),
        sim.account()
    );
    let r: Value = http
        .post(url)
        .header("x-api-key", sim.harness_token())
        .header("content-type", "application/yaml")
        .body(DEPLOY_YAML)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    r["data"]["planExecution"]["uuid"]
        .as_str()
        .expect("started")
        .to_string()
}

/// The full execution graph's step nodes, by identifier.
async fn steps(sim: &SimHandle, http: &Client, id: &str) -> serde_json::Map<String, Value> {
    graph(sim, http, id).await.1
}

/// The execution's run sequence and its graph's step nodes, by identifier.
async fn graph(sim: &SimHandle, http: &Client, id: &str) -> (u64, serde_json::Map<String, Value>) {
    let url = format!(
        "{}/pipeline/api/pipelines/execution/v2/{id}?accountIdentifier={}&orgIdentifier=default&projectIdentifier=payments&renderFullBottomGraph=true",
        sim.harness_url(),
        sim.account()
    );
    let r: Value = http
        .get(url)
        .header("x-api-key", sim.harness_token())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let run = r["data"]["pipelineExecutionSummary"]["runSequence"]
        .as_u64()
        .unwrap();
    let steps = r["data"]["executionGraph"]["nodeMap"]
        .as_object()
        .unwrap()
        .values()
        .filter(|n| !n["logBaseKey"].is_null())
        .map(|n| (n["identifier"].as_str().unwrap().to_string(), n.clone()))
        .collect();
    (run, steps)
}

fn log_url(sim: &SimHandle, prefix: &str, what: &str, key: &str) -> String {
    let mut url =
        url::Url::parse(&format!("{}{prefix}/log-service/{what}", sim.harness_url())).unwrap();
    url.query_pairs_mut()
        .append_pair("accountID", &sim.account())
        .append_pair("key", key);
    url.to_string()
}

async fn blob(sim: &SimHandle, http: &Client, key: &str) -> (StatusCode, String) {
    let r = http
        .get(log_url(sim, "/gateway", "blob", key))
        .header("x-api-key", sim.harness_token())
        .send()
        .await
        .unwrap();
    (r.status(), r.text().await.unwrap())
}

#[tokio::test]
async fn the_graph_gives_each_step_its_keys_in_the_standard_grammar() {
    let sim = sim().await;
    let http = Client::new();
    let id = start(&sim, &http).await;
    sim.advance(Duration::from_secs(1));
    let (run, steps) = graph(&sim, &http, &id).await;
    let checkout = &steps["checkout"];
    let base = format!(
        "accountId:{}/orgId:default/projectId:payments/pipelineId:payments_api_deploy/runSequence:{}/level0:pipeline/level1:stages/level2:build/level3:spec/level4:execution/level5:steps/level6:checkout",
        sim.account(),
        run
    );
    assert_eq!(checkout["logBaseKey"], base.as_str());
    // A shell script reports one unit, its key the base key plus the unit.
    let task = &checkout["executableResponses"][0]["task"];
    assert_eq!(task["units"], serde_json::json!(["Execute"]));
    assert_eq!(task["logKeys"][0], format!("{base}-commandUnit:Execute"));
    let progress = &checkout["unitProgresses"][0];
    assert_eq!(progress["unitName"], "Execute");
    assert_eq!(progress["status"], "RUNNING");
    // Protobuf int64s: strings.
    assert!(progress["startTime"].is_string());

    // A CI step has no units: its log is under the base key alone.
    sim.advance(Duration::from_secs(150));
    let steps = self::steps(&sim, &http, &id).await;
    let tests = &steps["unit_tests"];
    assert!(
        tests["logBaseKey"]
            .as_str()
            .unwrap()
            .ends_with("/level6:unit_tests")
    );
    assert_eq!(
        tests["executableResponses"][0]["async"]["logKeys"],
        serde_json::json!([])
    );
    assert_eq!(tests["unitProgresses"], serde_json::json!([]));
}

#[tokio::test]
async fn a_finished_units_blob_is_empty_at_first_then_ndjson_with_colour() {
    let sim = sim().await;
    let http = Client::new();
    let id = start(&sim, &http).await;
    // Run until the build stage's image step is done, then right up to its end.
    let key = loop {
        sim.advance(Duration::from_millis(500));
        let steps = steps(&sim, &http, &id).await;
        if let Some(build) = steps.get("build_image")
            && build["status"] == "Success"
        {
            break build["logBaseKey"].as_str().unwrap().to_string();
        }
        assert!(sim.now_ms() < 1_772_443_800_000 + 3_600_000, "never ran");
    };
    let (status, body) = blob(&sim, &http, &key).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "", "the blob is written only after the unit ends");
    sim.advance(Duration::from_secs(5));
    let (status, body) = blob(&sim, &http, &key).await;
    assert_eq!(status, StatusCode::OK);
    let lines: Vec<Value> = body
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert!(lines.len() >= 5, "{body}");
    for line in &lines {
        let keys: Vec<&str> = line
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.as_str())
            .collect();
        assert_eq!(keys.len(), 5, "{line}");
        for k in ["level", "pos", "out", "time", "args"] {
            assert!(line.get(k).is_some(), "{k} in {line}");
        }
        let time = line["time"].as_str().unwrap();
        assert!(time.parse::<jiff::Timestamp>().is_ok(), "{time}");
        assert!(time.ends_with('Z') && time.len() == 24, "{time}");
    }
    // The writer's field order, as in the UI fixture.
    assert!(body.starts_with("{\"level\":"), "{body}");
    let warn = lines
        .iter()
        .find(|l| l["level"] == "WARN")
        .expect("a warning");
    let out = warn["out"].as_str().unwrap();
    assert!(
        out.starts_with("\u{1b}[1;93m") && out.ends_with("\u{1b}[0m"),
        "{out:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l["level"] == "INFO" && l["out"].as_str().unwrap().contains('\u{1b}')),
        "tools colour some INFO lines too"
    );
    // `Date` is the server's (simulated) time: how long ago a step ended is told by it.
    let r = http
        .get(log_url(&sim, "/gateway", "blob", &key))
        .header("x-api-key", sim.harness_token())
        .send()
        .await
        .unwrap();
    let date = r.headers()["date"].to_str().unwrap().to_string();
    let now = jiff::Timestamp::from_millisecond(sim.now_ms()).unwrap();
    assert_eq!(date, now.strftime("%a, %d %b %Y %H:%M:%S GMT").to_string());
    // Both prefixes serve it.
    let bare = http
        .get(log_url(&sim, "", "blob", &key))
        .header("x-api-key", sim.harness_token())
        .send()
        .await
        .unwrap();
    assert_eq!(bare.text().await.unwrap(), body);
}

#[tokio::test]
async fn a_running_units_stream_grows_then_ends_with_the_eof_event() {
    let sim = sim().await;
    let http = Client::new();
    let id = start(&sim, &http).await;
    sim.advance(Duration::from_secs(1));
    let steps = steps(&sim, &http, &id).await;
    let key = steps["checkout"]["executableResponses"][0]["task"]["logKeys"][0]
        .as_str()
        .unwrap()
        .to_string();
    let mut response = http
        .get(log_url(&sim, "/gateway", "stream", &key))
        .header("x-api-key", sim.harness_token())
        .header("accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "text/event-stream"
    );
    let mut text = String::new();
    let mut advanced = 0;
    while !text.contains("event: error\ndata: eof\n\n") {
        let chunk = tokio::time::timeout(Duration::from_secs(2), response.chunk()).await;
        match chunk {
            Ok(Ok(Some(bytes))) => text.push_str(&String::from_utf8_lossy(&bytes)),
            Ok(other) => panic!("stream ended early: {other:?} after {text}"),
            // Quiet: move the world on so the step prints more, then ends.
            Err(_) => {
                advanced += 1;
                assert!(advanced < 30, "no end after {text}");
                sim.advance(Duration::from_secs(1));
            }
        }
    }
    assert!(advanced >= 1, "the stream waited for the step");
    assert!(
        response.chunk().await.unwrap().is_none(),
        "closed after eof"
    );
    let data: Vec<Value> = text
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .filter(|d| *d != "eof")
        .map(|d| serde_json::from_str(d).expect("data is one JSON log line"))
        .collect();
    assert!(data.len() >= 4, "{text}");
    assert!(
        data.iter()
            .all(|l| l["level"].is_string() && l["out"].is_string())
    );
    assert!(
        text.lines().any(|l| l.starts_with(':')),
        "comments are sent"
    );
    // Until its blob is written the ended unit's stream still answers whole; then it is gone.
    sim.advance(Duration::from_secs(10));
    let gone = http
        .get(log_url(&sim, "/gateway", "stream", &key))
        .header("x-api-key", sim.harness_token())
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
    let (_, body) = blob(&sim, &http, &key).await;
    assert_eq!(body.lines().count(), data.len());
}

#[tokio::test]
async fn errors_are_error_msg_bodies() {
    let sim = sim().await;
    let http = Client::new();
    let id = start(&sim, &http).await;
    sim.advance(Duration::from_secs(1));
    let key = steps(&sim, &http, &id).await["checkout"]["logBaseKey"]
        .as_str()
        .unwrap()
        .to_string();
    let base = format!("{}/gateway/log-service/blob", sim.harness_url());
    let ask = |url: String, token: Option<String>| {
        let http = http.clone();
        async move {
            let mut req = http.get(url);
            if let Some(t) = token {
                req = req.header("x-api-key", t);
            }
            let r = req.send().await.unwrap();
            let status = r.status().as_u16();
            let body: Value = r.json().await.unwrap();
            (
                status,
                body["error_msg"].as_str().unwrap_or_default().to_string(),
            )
        }
    };
    let tok = Some(sim.harness_token());
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    assert_eq!(
        ask(format!("{base}?key={}", enc(&key)), tok.clone()).await,
        (400, "no account ID in query params".into())
    );
    assert_eq!(
        ask(
            format!("{base}?accountID={}&key={}", sim.account(), enc(&key)),
            None
        )
        .await,
        (401, "unauthorized".into())
    );
    assert_eq!(
        ask(
            format!("{base}?accountID=other&key={}", enc(&key)),
            tok.clone()
        )
        .await,
        (401, "unauthorized".into())
    );
    assert_eq!(
        ask(format!("{base}?accountID={}", sim.account()), tok.clone()).await,
        (400, "key is required".into())
    );
    let unknown = key.replace("level6:checkout", "level6:nope");
    assert_eq!(
        ask(
            format!("{base}?accountID={}&key={}", sim.account(), enc(&unknown)),
            tok.clone()
        )
        .await,
        (404, "log not found".into())
    );
    let stream = format!("{}/gateway/log-service/stream", sim.harness_url());
    assert_eq!(
        ask(
            format!("{stream}?accountID={}&key={}", sim.account(), enc(&unknown)),
            tok
        )
        .await,
        (404, "log not found".into())
    );
}
