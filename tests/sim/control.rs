//! The simulator's execution control as an oracle of the vendors' contracts
//! (`control-logs-identity.md` §1): Harness NextGen's stage interrupt and its verbatim
//! refusals, Argo's memoized resubmit rule and the open bug argo-workflows#17041, every
//! Argo body checked against the official swagger.

use std::time::Duration;

use crate::common::swagger;
use flightdeck_sim::{ClockMode, SimHandle, SimOptions};
use reqwest::{Client, StatusCode};
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

async fn harness_put(sim: &SimHandle, path: &str) -> (StatusCode, Value) {
    let r = Client::new()
        .put(format!("{}{path}", sim.harness_url()))
        .header("x-api-key", sim.harness_token())
        .send()
        .await
        .unwrap();
    (r.status(), r.json().await.unwrap())
}

async fn harness_get(sim: &SimHandle, path: &str) -> Value {
    Client::new()
        .get(format!("{}{path}", sim.harness_url()))
        .header("x-api-key", sim.harness_token())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn argo_send(
    sim: &SimHandle,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = Client::new()
        .request(method.clone(), format!("{}{path}", sim.argo_url()))
        .bearer_auth(sim.argo_token());
    if let Some(b) = &body {
        swagger::validate_request(method.as_str(), path, b).expect("the request fits the swagger");
        req = req.json(b);
    }
    let r = req.send().await.unwrap();
    let status = r.status();
    let value: Value = r.json().await.unwrap();
    if status.is_success() {
        swagger::check_response(method.as_str(), path, &value);
    } else {
        swagger::check_error(&value);
    }
    (status, value)
}

#[tokio::test]
async fn harness_stage_interrupt_takes_abort_all_or_marked_failure_only() {
    let sim = sim().await;
    let exec = sim.world().start("payments", "ledger_migrations").unwrap();
    sim.advance(Duration::from_secs(1));
    let scope = format!(
        "accountIdentifier={}&orgIdentifier=default&projectIdentifier=payments",
        sim.account()
    );
    let detail = harness_get(
        &sim,
        &format!("/pipeline/api/pipelines/execution/v2/{exec}?{scope}"),
    )
    .await;
    let nodes = detail["data"]["pipelineExecutionSummary"]["layoutNodeMap"]
        .as_object()
        .unwrap();
    let plan = nodes
        .values()
        .find(|n| n["nodeIdentifier"] == "plan")
        .unwrap();
    let node = plan["nodeExecutionId"].as_str().unwrap();
    let path = |kind: &str| {
        format!(
            "/pipeline/api/pipeline/execute/interrupt/{exec}/{node}?{scope}&interruptType={kind}"
        )
    };
    let (status, body) = harness_put(&sim, &path("UserMarkedFailure")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["message"],
        "Invalid request: [Allow user to mark the step as failed explicitly] Settings is not \
         enabled, Please enable this setting if you want to use this product."
    );
    let (status, body) = harness_put(&sim, &path("Pause")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], "RESOURCE_NOT_FOUND_EXCEPTION");
    let (status, body) = harness_put(&sim, &path("AbortAll")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["type"], "AbortAll");
    let (status, body) = harness_put(&sim, &path("AbortAll")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], "ABORT_ALL_ALREADY_NG");
    assert_eq!(
        body["message"],
        "Execution abort is already under progress."
    );
    assert_eq!(sim.stats().controls_of("harness", "AbortAll"), 1);
}

#[tokio::test]
async fn argo_stop_of_a_suspended_workflow_is_recorded_but_not_acted_on() {
    let sim = sim().await;
    let name = sim.world().start("argo", "canary").unwrap();
    sim.advance(Duration::from_secs(1));
    let wf = format!("/api/v1/workflows/argo/{name}");
    let put = reqwest::Method::PUT;
    let (status, _) = argo_send(&sim, put.clone(), &format!("{wf}/suspend"), Some(json!({}))).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = argo_send(
        &sim,
        put.clone(),
        &format!("{wf}/stop"),
        Some(json!({"nodeFieldSelector": "", "message": ""})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["spec"]["shutdown"], "Stop");
    sim.advance(Duration::from_secs(60));
    let (_, now) = argo_send(&sim, reqwest::Method::GET, &wf, None).await;
    assert_eq!(
        now["status"]["phase"], "Running",
        "the controller ignores it"
    );
    assert!(now["status"]["message"].is_null());
    // Resumed, the recorded shutdown takes effect.
    let (status, _) = argo_send(
        &sim,
        put.clone(),
        &format!("{wf}/resume"),
        Some(json!({"nodeFieldSelector": ""})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, now) = argo_send(&sim, reqwest::Method::GET, &wf, None).await;
    assert_eq!(now["status"]["phase"], "Failed");
    assert_eq!(now["status"]["message"], "Stopped with strategy 'Stop'");
    // Memoized resubmit needs a Failed or Error workflow.
    let running = sim.world().start("argo", "canary").unwrap();
    let (status, body) = argo_send(
        &sim,
        put.clone(),
        &format!("/api/v1/workflows/argo/{running}/resubmit"),
        Some(json!({"memoized": true})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], 3);
    assert_eq!(
        body["message"],
        "workflow must be Failed/Error to resubmit in memoized mode"
    );
    let (status, _) = argo_send(
        &sim,
        put,
        &format!("{wf}/resubmit"),
        Some(json!({"memoized": true})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(sim.stats().controls_of("argo", "Resubmit"), 1);
}

#[tokio::test]
async fn harness_retry_makes_a_new_run_in_the_chain_with_its_history() {
    let sim = sim().await;
    let exec = sim.world().start("payments", "ledger_migrations").unwrap();
    sim.advance(Duration::from_secs(1));
    let scope = format!(
        "accountIdentifier={}&orgIdentifier=default&projectIdentifier=payments",
        sim.account()
    );
    let (status, _) = harness_put(
        &sim,
        &format!("/pipeline/api/pipeline/execute/interrupt/{exec}?{scope}&interruptType=AbortAll"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    sim.advance(Duration::from_secs(5));
    let post = |query: String| {
        let sim = &sim;
        async move {
            let r = Client::new()
                .post(format!(
                    "{}/pipeline/api/pipeline/execute/retry/ledger_migrations?{query}",
                    sim.harness_url()
                ))
                .header("x-api-key", sim.harness_token())
                .header("content-type", "application/yaml")
                .body("")
                .send()
                .await
                .unwrap();
            (r.status(), r.json::<Value>().await.unwrap())
        }
    };
    let (status, body) = post(format!("{scope}&planExecutionId={exec}")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["message"],
        "Invalid request: You need to select the stage to retry!!"
    );
    let (status, body) = post(format!(
        "{scope}&planExecutionId={exec}&retryStages=plan&runAllStages=true"
    ))
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let new = body["data"]["planExecution"]["uuid"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(new, exec);
    let retry = &body["data"]["planExecution"]["metadata"]["retryInfo"];
    assert_eq!(retry["isRetry"], true);
    assert_eq!(retry["rootExecutionId"], exec.as_str());
    assert_eq!(retry["parentRetryId"], exec.as_str());

    let stages = harness_get(
        &sim,
        &format!("/pipeline/api/pipeline/execute/{exec}/retryStages?{scope}&pipelineIdentifier=ledger_migrations"),
    )
    .await;
    assert_eq!(stages["data"]["resumable"], false);
    assert_eq!(
        stages["data"]["errorMessage"],
        "This execution is not the latest of all retried execution. You can only retry the latest execution."
    );
    let history = harness_get(
        &sim,
        &format!("/pipeline/api/pipeline/execute/retryHistory/{new}?{scope}&pipelineIdentifier=ledger_migrations"),
    )
    .await;
    assert_eq!(history["data"]["latestExecutionId"], new.as_str());
    let infos = history["data"]["executionInfos"].as_array().unwrap();
    assert_eq!(infos.len(), 2);
    assert_eq!(infos[0]["uuid"], new.as_str(), "the latest first");
    let summary = harness_get(
        &sim,
        &format!("/pipeline/api/pipelines/execution/v2/{exec}?{scope}"),
    )
    .await;
    assert_eq!(
        summary["data"]["pipelineExecutionSummary"]["canRetry"],
        false
    );
    assert_eq!(
        summary["data"]["pipelineExecutionSummary"]["showRetryHistory"],
        true
    );
}
