//! What each fault of the simulator does on the wire, seen by a plain HTTP client: refused
//! kinds answer before anything is handled, handled kinds spoil the real answer after the
//! world changed, rules pick their face and path and run out when counted.

use std::time::{Duration, Instant};

use flightdeck_sim::{ClockMode, Face, Fault, Faults, Rule, SimHandle, SimOptions};
use futures::StreamExt;
use reqwest::{Client, RequestBuilder, StatusCode};
use serde_json::{Value, json};

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

/// A page of the payments project's executions: JSON with numbers and statuses.
fn executions(sim: &SimHandle) -> RequestBuilder {
    Client::new()
        .post(format!(
            "{}/pipeline/api/pipelines/execution/summary?accountIdentifier={}&orgIdentifier=default&projectIdentifier=payments&page=0&size=5",
            sim.harness_url(),
            sim.account()
        ))
        .header("x-api-key", sim.harness_token())
        .json(&json!({"filterType": "PipelineExecution"}))
}

fn approve(sim: &SimHandle, approval: &str) -> RequestBuilder {
    Client::new()
        .post(format!(
            "{}/pipeline/api/approvals/{approval}/harness/activity?accountIdentifier={}",
            sim.harness_url(),
            sim.account()
        ))
        .header("x-api-key", sim.harness_token())
        .json(&json!({"action": "APPROVE", "comments": "under fault"}))
}

async fn body(request: RequestBuilder) -> (StatusCode, String) {
    let response = request.send().await.expect("an answer");
    let status = response.status();
    (status, response.text().await.expect("a whole body"))
}

#[tokio::test]
async fn refusing_faults_answer_before_anything_is_handled() {
    let sim = sim().await;
    let before = sim.stats().total_requests;

    sim.set_faults(Faults::new([Rule::new(Fault::Status(503))]));
    let (status, text) = body(executions(&sim)).await;
    assert_eq!(status, 503);
    let error: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        error["code"], "UNKNOWN_ERROR",
        "the Harness gateway's error body"
    );

    sim.set_faults(Faults::new([Rule::new(Fault::RateLimit {
        retry_after: Some(7),
    })]));
    let limited = executions(&sim).send().await.unwrap();
    assert_eq!(limited.status(), 429);
    assert_eq!(limited.headers()["retry-after"], "7");
    sim.set_faults(Faults::new([Rule::new(Fault::RateLimit {
        retry_after: None,
    })]));
    let limited = executions(&sim).send().await.unwrap();
    assert_eq!(limited.status(), 429);
    assert!(limited.headers().get("retry-after").is_none());

    sim.set_faults(Faults::new([Rule::new(Fault::Refused).times(1)]));
    let refused = executions(&sim).send().await;
    assert!(refused.is_err(), "no status line: {refused:?}");
    // Used up: the next request is served.
    assert_eq!(body(executions(&sim)).await.0, 200);
    assert_eq!(
        sim.stats().total_requests,
        before + 1,
        "only the served request reached the routes"
    );

    // A refused decision changes nothing.
    let gate = sim.world().waiting_gate().unwrap();
    sim.set_faults(Faults::new([
        Rule::new(Fault::Status(500)).paths("/harness/activity")
    ]));
    assert_eq!(body(approve(&sim, &gate.approval)).await.0, 500);
    assert_eq!(
        sim.world().approval_status(&gate.approval),
        Some(flightdeck_sim::ApprovalStatus::Waiting)
    );
    assert!(sim.stats().decisions.is_empty());
}

#[tokio::test]
async fn handled_faults_spoil_the_real_answer() {
    let sim = sim().await;
    let (_, real) = body(executions(&sim)).await;
    let real: Value = serde_json::from_str(&real).unwrap();
    assert!(real["data"]["content"][0]["status"].is_string());

    sim.set_faults(Faults::new([Rule::new(Fault::TruncatedJson)]));
    let (status, text) = body(executions(&sim)).await;
    assert_eq!(status, 200);
    assert!(serde_json::from_str::<Value>(&text).is_err());
    assert!(text.starts_with("{\""), "{text}");

    sim.set_faults(Faults::new([Rule::new(Fault::WrongTypes)]));
    let (_, text) = body(executions(&sim)).await;
    let v: Value = serde_json::from_str(&text).unwrap();
    assert!(v["data"]["totalElements"].is_string(), "{}", v["data"]);

    sim.set_faults(Faults::new([Rule::new(Fault::UnknownEnum)]));
    let (_, text) = body(executions(&sim)).await;
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        v["data"]["content"][0]["status"],
        "FLIGHTDECK_UNKNOWN_VALUE"
    );
    assert_eq!(
        v["data"]["content"][0]["planExecutionId"],
        real["data"]["content"][0]["planExecutionId"]
    );

    sim.set_faults(Faults::new([Rule::new(Fault::Reset)]));
    let response = executions(&sim)
        .send()
        .await
        .expect("the status line arrives");
    assert_eq!(response.status(), 200);
    assert!(
        response.bytes().await.is_err(),
        "then the connection breaks"
    );

    sim.set_faults(Faults::new([Rule::new(Fault::SlowBody(
        Duration::from_millis(400),
    ))]));
    let started = Instant::now();
    let (_, text) = body(executions(&sim)).await;
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "{:?}",
        started.elapsed()
    );
    serde_json::from_str::<Value>(&text).expect("slow, but whole");

    sim.set_faults(Faults::new([Rule::new(Fault::HugeBody)]));
    let response = executions(&sim).send().await.unwrap();
    assert!(
        response.content_length().is_none(),
        "the size is not announced"
    );
    let mut stream = response.bytes_stream();
    let mut size = 0;
    while let Some(piece) = stream.next().await {
        size += piece.unwrap().len();
    }
    assert!(size >= 50 * 1024 * 1024, "{size}");
}

#[tokio::test]
async fn a_handled_write_takes_effect_though_its_answer_is_lost() {
    let sim = sim().await;
    for fault in [Fault::Reset, Fault::TruncatedJson, Fault::HugeBody] {
        let gate = sim.world().waiting_gate().unwrap();
        sim.set_faults(Faults::new([
            Rule::new(fault.clone()).paths("/harness/activity")
        ]));
        assert!(fault.is_handled());
        // The world changed before the answer started: the status line is enough.
        let _ = approve(&sim, &gate.approval).send().await;
        assert_eq!(
            sim.world().approval_status(&gate.approval),
            Some(flightdeck_sim::ApprovalStatus::Approved),
            "{fault:?}"
        );
        assert_eq!(sim.stats().decisions[&gate.approval].approve, 1);
    }
}

#[tokio::test]
async fn a_hung_request_waits_until_the_faults_change_and_other_faces_carry_on() {
    let sim = sim().await;
    sim.set_faults(Faults::new([Rule::new(Fault::Hang).on(Face::Argo)]));
    let info = Client::new()
        .get(format!("{}/api/v1/info", sim.argo_url()))
        .bearer_auth(sim.argo_token())
        .send();
    let hung = tokio::spawn(info);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!hung.is_finished());
    // The Harness listener is another face: it answers meanwhile.
    assert_eq!(body(executions(&sim)).await.0, 200);
    sim.set_faults(Faults::default());
    let released = tokio::time::timeout(Duration::from_secs(5), hung)
        .await
        .expect("released when the faults change")
        .unwrap();
    assert!(released.is_err(), "dropped unanswered: {released:?}");
}

#[tokio::test]
async fn first_gen_and_next_gen_share_a_listener_but_not_their_faults() {
    let sim = sim().await;
    sim.set_faults(Faults::new([
        Rule::new(Fault::Status(502)).on(Face::HarnessFg)
    ]));
    assert_eq!(body(executions(&sim)).await.0, 200);
    let (status, page) = body(
        Client::new()
            .post(format!(
                "{}/api/graphql?accountId={}",
                sim.harness_fg_url(),
                sim.account()
            ))
            .header("x-api-key", sim.harness_fg_api_key())
            .json(&json!({"query": "{ applications(limit: 1) { nodes { id } } }"})),
    )
    .await;
    assert_eq!(status, 502);
    assert!(page.contains("502 Bad Gateway"), "a proxy's page: {page}");

    sim.set_faults(Faults::new([
        Rule::new(Fault::Status(500)).on(Face::Infraxys)
    ]));
    assert_eq!(body(executions(&sim)).await.0, 200);
    let (status, _) = body(Client::new().post(format!(
        "{}/api/v1/actions/start/flush-cdn-cache",
        sim.infraxys_url()
    )))
    .await;
    assert_eq!(status, 500);
    assert_eq!(sim.stats().infraxys_starts, 0);
}
