//! The simulator's Harness First Gen face and the `harness-fg` client, over HTTP: the seed
//! examples of the spec sent as raw GraphQL, then the client listing, starting, polling and
//! deciding, and each error class. Time only moves through `advance`.
//!
//! The face serves the two First Gen applications of the account, Legacy Billing and
//! Storefront Classic; the NextGen projects are not applications here, and the applications
//! are not projects on the NextGen face.

use std::time::Duration;

use flightdeck::backend::Backend;
use flightdeck::backend::harness_fg::{HarnessFgBackend, HarnessFgOptions};
use flightdeck::domain::{
    BackendError, Decision, DecisionAction, DecisionOutcome, ExecRef, ExecStatus, StartRequest,
    VarKind,
};
use flightdeck_sim::{ApprovalStatus, ClockMode, DecisionCount, RunStatus, SimHandle, SimOptions};
use reqwest::StatusCode;
use serde_json::{Value, json};

const ROUTE: &str = "/gateway/api/graphql";

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

fn client_with(sim: &SimHandle, key: &str, applications: &[&str]) -> HarnessFgBackend {
    HarnessFgBackend::new(HarnessFgOptions {
        name: "fg".into(),
        base_url: sim.harness_fg_url().parse().unwrap(),
        account: sim.account(),
        applications: applications.iter().map(|a| a.to_string()).collect(),
        api_key: key.to_string().into(),
        timeout: Duration::from_secs(10),
        ca_file: None,
        insecure_skip_verify: false,
    })
    .unwrap()
}

fn client(sim: &SimHandle) -> HarnessFgBackend {
    client_with(sim, &sim.harness_fg_api_key(), &[])
}

/// Posts a GraphQL document with the full key; returns status and body.
async fn gql(sim: &SimHandle, query: &str, variables: Value) -> (StatusCode, Value) {
    raw(
        sim,
        Some(&sim.harness_fg_api_key()),
        json!({"query": query, "variables": variables}),
    )
    .await
}

async fn raw(sim: &SimHandle, key: Option<&str>, body: Value) -> (StatusCode, Value) {
    let mut req = reqwest::Client::new()
        .post(format!(
            "{}/api/graphql?accountId={}",
            sim.harness_fg_url(),
            sim.account()
        ))
        .json(&body);
    if let Some(k) = key {
        req = req.header("x-api-key", k);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap())
}

async fn app_id(sim: &SimHandle, name: &str) -> String {
    let (_, body) = gql(
        sim,
        "query($n: String!){ applicationByName(name: $n){ id } }",
        json!({"n": name}),
    )
    .await;
    body["data"]["applicationByName"]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn seed_examples_work_as_written() {
    let sim = sim().await;
    // applicationByName with pipelines(limit), scalars as the spec encodes them.
    let (status, body) = gql(
        &sim,
        "{ applicationByName(name: \"Legacy Billing\") { id name createdAt pipelines(limit: 1) { pageInfo { hasMore total limit offset } nodes { id name } } } }",
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let app = &body["data"]["applicationByName"];
    assert_eq!(app["name"], "Legacy Billing");
    assert!(app["createdAt"].is_i64(), "DateTime is a number: {app}");
    assert_eq!(app["pipelines"]["nodes"].as_array().unwrap().len(), 1);
    assert_eq!(app["pipelines"]["pageInfo"]["hasMore"], true);
    assert_eq!(app["pipelines"]["pageInfo"]["total"], 2);
    let billing = app["id"].as_str().unwrap().to_string();

    // pipelineByName(applicationId, pipelineName), with variables and an alias.
    let (_, body) = gql(
        &sim,
        "query($app: String!, $name: String!) { p: pipelineByName(applicationId: $app, pipelineName: $name) { id name pipelineVariables { name type required allowedValues defaultValue } } }",
        json!({"app": billing, "name": "Billing release"}),
    )
    .await;
    let pipeline = &body["data"]["p"];
    let vars = pipeline["pipelineVariables"].as_array().unwrap();
    assert_eq!(
        vars[0],
        json!({"name": "release_version", "type": "Text", "required": true, "allowedValues": null, "defaultValue": null})
    );
    assert_eq!(vars[1]["allowedValues"], json!(["true", "false"]));
    assert_eq!(vars[1]["defaultValue"], "true");
    let pipeline_id = pipeline["id"].as_str().unwrap().to_string();

    // workflowByName, with entity variables, through a named fragment.
    let storefront = app_id(&sim, "Storefront Classic").await;
    let (_, body) = gql(
        &sim,
        "query Wf($app: String!) { workflowByName(applicationId: $app, workflowName: \"Storefront web deploy\") { ...W } } fragment W on Workflow { id workflowVariables { name type required } }",
        json!({"app": storefront}),
    )
    .await;
    let workflow = &body["data"]["workflowByName"];
    assert_eq!(
        workflow["workflowVariables"],
        json!([{"name": "Environment", "type": "Environment", "required": true},
               {"name": "Service", "type": "Service", "required": false},
               {"name": "image_tag", "type": "Text", "required": true}])
    );
    let workflow_id = workflow["id"].as_str().unwrap().to_string();

    // startExecution for a PIPELINE with variables: the DEVHUB request shape.
    let start = "mutation($in: StartExecutionInput!){ startExecution(input:$in){ clientMutationId warningMessage execution{ id status __typename } } }";
    let (_, body) = gql(
        &sim,
        start,
        json!({"in": {"applicationId": billing, "entityId": pipeline_id, "executionType": "PIPELINE",
            "notes": "from tui", "clientMutationId": "tui-1",
            "variableInputs": [{"name": "release_version", "variableValue": {"type": "NAME", "value": "7.15.0"}},
                               {"name": "Environment", "variableValue": {"type": "NAME", "value": "Prod"}}]}}),
    )
    .await;
    let payload = &body["data"]["startExecution"];
    assert_eq!(payload["clientMutationId"], "tui-1");
    assert_eq!(payload["execution"]["status"], "RUNNING");
    assert_eq!(payload["execution"]["__typename"], "PipelineExecution");
    assert_eq!(
        payload["warningMessage"],
        "Ignoring values for variables: [Environment] as they don't exist in Pipeline. Might be modified"
    );
    assert_eq!(sim.stats().starts, 1);

    // startExecution for a WORKFLOW with service inputs.
    let (_, body) = gql(
        &sim,
        start,
        json!({"in": {"applicationId": storefront, "entityId": workflow_id, "executionType": "WORKFLOW",
            "variableInputs": [{"name": "Environment", "variableValue": {"type": "NAME", "value": "production"}},
                               {"name": "image_tag", "variableValue": {"type": "NAME", "value": "5.2.0"}}],
            "serviceInputs": [{"name": "storefront-web", "artifactValueInput": {"valueType": "BUILD_NUMBER",
                "buildNumber": {"artifactSourceName": "docker_storefront-web", "buildNumber": "5.2.0"}}}]}}),
    )
    .await;
    let exec = &body["data"]["startExecution"]["execution"];
    assert_eq!(exec["__typename"], "WorkflowExecution", "{body}");
    let exec_id = exec["id"].as_str().unwrap().to_string();
    assert_eq!(sim.stats().starts, 2);

    // The workflow's required entity variable and artifact are enforced.
    let (_, body) = gql(
        &sim,
        start,
        json!({"in": {"applicationId": storefront, "entityId": workflow_id, "executionType": "WORKFLOW",
            "variableInputs": [{"name": "image_tag", "variableValue": {"type": "NAME", "value": "5.2.0"}}]}}),
    )
    .await;
    assert_eq!(body["data"]["startExecution"], Value::Null);
    assert_eq!(
        body["errors"][0]["message"],
        "Exception while fetching data (/startExecution) : Workflow [Storefront web deploy] has environment parameterized. However, the value not supplied"
    );
    assert_eq!(sim.stats().starts, 2);

    // The started workflow moves on the world clock to SUCCESS.
    let q = "query($id: String!){ execution(executionId: $id){ __typename id status startedAt endedAt ... on WorkflowExecution { workflow { name } } } }";
    sim.advance(Duration::from_secs(3600));
    let (_, body) = gql(&sim, q, json!({"id": exec_id})).await;
    let e = &body["data"]["execution"];
    assert_eq!(e["status"], "SUCCESS", "{body}");
    assert_eq!(e["workflow"]["name"], "Storefront web deploy");
    assert!(e["endedAt"].is_i64());
}

#[tokio::test]
async fn plain_text_documents_and_operation_names() {
    let sim = sim().await;
    let resp = reqwest::Client::new()
        .post(format!("{}/api/graphql", sim.harness_url()))
        .header("x-api-key", sim.harness_fg_api_key())
        .header("content-type", "text/plain")
        .body("{ applications(limit: 1, offset: 1) { pageInfo { total offset limit } nodes { name } } }")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(
        body["data"]["applications"],
        json!({"pageInfo": {"total": 2, "offset": 1, "limit": 1}, "nodes": [{"name": "Storefront Classic"}]})
    );
    assert_eq!(sim.stats().requests_to("POST", "/api/graphql"), 1);
    let (_, body) = raw(
        &sim,
        Some(&sim.harness_fg_api_key()),
        json!({"query": "query A { applications(limit: 200) { pageInfo { limit } } } query B { __typename }",
               "operationName": "A"}),
    )
    .await;
    // limit is capped at 100 server-side.
    assert_eq!(
        body,
        json!({"data": {"applications": {"pageInfo": {"limit": 100}}}})
    );
}

#[tokio::test]
async fn waiting_gate_is_paused_with_approval_details() {
    let sim = sim().await;
    let gate = sim.world().first_gen_waiting_gate().unwrap();
    let billing = app_id(&sim, "Legacy Billing").await;
    let (_, body) = gql(
        &sim,
        "query($id:String!){ execution(executionId:$id){ __typename id status ... on PipelineExecution { pipeline{ name } pipelineStageExecutions{ __typename pipelineStageName pipelineStepName ... on ApprovalStageExecution { status approvalStepType } } } } }",
        json!({"id": gate.execution}),
    )
    .await;
    let e = &body["data"]["execution"];
    assert_eq!(e["status"], "PAUSED");
    assert_eq!(e["pipeline"]["name"], "Invoice batch rerun");
    assert_eq!(
        e["pipelineStageExecutions"][0]["__typename"],
        "ApprovalStageExecution"
    );
    assert_eq!(e["pipelineStageExecutions"][0]["status"], "PAUSED");
    assert_eq!(
        e["pipelineStageExecutions"][0]["approvalStepType"],
        "USER_GROUP"
    );

    let (_, body) = gql(
        &sim,
        "query($app:String!,$exec:String!){ approvalDetails(applicationId:$app, executionId:$exec){ approvalDetails{ approvalId approvalType stepName stageName startedAt willExpireAt triggeredBy{ name email } ... on UserGroupApprovalDetails { approvers executionId variables { name value } } } } }",
        json!({"app": billing, "exec": gate.execution}),
    )
    .await;
    let d = &body["data"]["approvalDetails"]["approvalDetails"][0];
    assert_eq!(d["approvalId"], gate.approval.as_str());
    assert_eq!(d["approvalType"], "USER_GROUP");
    assert!(
        d["startedAt"].is_string() && d["willExpireAt"].is_string(),
        "Long is a string: {d}"
    );
    assert_eq!(d["executionId"], gate.execution.as_str());
    assert_eq!(d["stepName"], "Approve rerun");
    assert_eq!(d["stageName"], "Rerun approval");
    assert_eq!(d["approvers"], json!(["All Project Users"]));
    assert_eq!(
        d["variables"],
        json!([{"name": "ticket", "value": "FIN-0000"}])
    );

    // Approve through the mutation: counted once, and the run moves on.
    let decide = "mutation($in: ApproveOrRejectApprovalsInput!){ approveOrRejectApprovals(input:$in){ success clientMutationId } }";
    // Approver variables must exist on the approval; a refused call decides nothing.
    let (_, body) = gql(
        &sim,
        decide,
        json!({"in": {"applicationId": billing, "executionId": gate.execution, "approvalId": gate.approval,
            "action": "APPROVE", "variableInputs": [{"name": "x", "value": "1"}]}}),
    )
    .await;
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.ends_with("Variable with name \"x\" not present"),
        "{message}"
    );
    assert_eq!(sim.stats().total_decisions(), 0);
    let input = json!({"in": {"applicationId": billing, "executionId": gate.execution, "approvalId": gate.approval,
        "action": "APPROVE", "comments": "ok", "clientMutationId": "testing",
        "variableInputs": [{"name": "ticket", "value": "FIN-2291"}]}});
    let (_, body) = gql(&sim, decide, input.clone()).await;
    assert_eq!(
        body["data"]["approveOrRejectApprovals"],
        json!({"success": true, "clientMutationId": "testing"})
    );
    let (_, body) = gql(&sim, decide, input).await;
    assert_eq!(
        body["errors"][0]["message"],
        "Exception while fetching data (/approveOrRejectApprovals) : Approval is already approved or rejected"
    );
    assert_eq!(
        sim.stats().decisions[&gate.approval],
        DecisionCount {
            approve: 1,
            reject: 0
        }
    );
    sim.advance(Duration::from_secs(10));
    assert_ne!(
        sim.world().execution_status(&gate.execution),
        Some(RunStatus::Waiting)
    );
}

#[tokio::test]
async fn client_lists_starts_and_polls_to_completion() {
    let sim = sim().await;
    let fg = client(&sim);
    let pipelines = fg.list_pipelines().await.unwrap();
    assert_eq!(pipelines.len(), 8);
    // Only the First Gen applications: the NextGen projects are not here.
    let mut apps: Vec<&str> = pipelines.iter().map(|p| p.project.as_str()).collect();
    apps.dedup();
    assert_eq!(apps, ["Legacy Billing", "Storefront Classic"]);
    let web = pipelines
        .iter()
        .find(|p| p.name == "Storefront web deploy")
        .unwrap();
    assert!(web.id.starts_with("workflow:"));
    assert_eq!(web.project, "Storefront Classic");
    assert!(
        pipelines
            .iter()
            .find(|p| p.name == "Billing release")
            .unwrap()
            .id
            .starts_with("pipeline:")
    );
    let workflows = pipelines
        .iter()
        .filter(|p| p.id.starts_with("workflow:"))
        .count();
    assert_eq!(workflows, 4);

    let form = fg.start_form(&web.project, &web.id).await.unwrap();
    let names: Vec<&str> = form.variables.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Environment",
            "Service",
            "image_tag",
            "artifact:storefront-web"
        ]
    );
    assert_eq!(
        form.variables[0].kind,
        VarKind::Entity("Environment".into())
    );
    assert_eq!(form.variables[1].kind, VarKind::Entity("Service".into()));
    assert!(form.variables[3].required);

    let started = fg
        .start(&StartRequest {
            project: web.project.clone(),
            pipeline_id: web.id.clone(),
            values: vec![
                ("Environment".into(), "production".into()),
                ("image_tag".into(), "5.2.0".into()),
                (
                    "artifact:storefront-web".into(),
                    "docker_storefront-web/5.2.0".into(),
                ),
            ],
            notes: Some("from the client".into()),
        })
        .await
        .unwrap();
    assert_eq!(started.status.status, ExecStatus::Running);
    let exec = ExecRef {
        project: web.project.clone(),
        id: started.execution_id.clone(),
    };
    let mut polls = 0;
    let detail = loop {
        let d = fg.execution(&exec).await.unwrap();
        if d.execution.status.status.is_terminal() {
            break d;
        }
        polls += 1;
        assert!(polls < 50, "never finished");
        sim.advance(Duration::from_secs(60));
    };
    assert_eq!(detail.execution.status.status, ExecStatus::Succeeded);
    assert_eq!(detail.execution.pipeline_id, web.id);
    assert!(detail.execution.ended.is_some());
    let listed = fg.list_executions().await.unwrap();
    assert!(
        listed
            .iter()
            .any(|e| e.id == started.execution_id && e.project == "Storefront Classic")
    );
}

#[tokio::test]
async fn required_variable_is_refused_before_any_request() {
    let sim = sim().await;
    let fg = client_with(&sim, &sim.harness_fg_api_key(), &["Legacy Billing"]);
    let pipelines = fg.list_pipelines().await.unwrap();
    assert_eq!(pipelines.len(), 4);
    assert!(pipelines.iter().all(|p| p.project == "Legacy Billing"));
    let deploy = pipelines
        .iter()
        .find(|p| p.name == "Billing release")
        .unwrap();
    let before = sim.stats();
    assert_eq!(
        before.requests_to("POST", ROUTE),
        1,
        "one request lists everything"
    );
    let err = fg
        .start(&StartRequest {
            project: deploy.project.clone(),
            pipeline_id: deploy.id.clone(),
            values: vec![("release_version".into(), "  ".into())],
            notes: None,
        })
        .await
        .unwrap_err();
    assert_eq!(
        err,
        BackendError::BadRequest("required input(s) left empty: release_version".into())
    );
    let after = sim.stats();
    assert_eq!(
        after.requests_to("POST", ROUTE),
        before.requests_to("POST", ROUTE)
    );
    assert_eq!(after.starts, 0);
    // An unknown configured application is named; a NextGen project is not an application.
    for name in ["Nope", "Payments"] {
        let err = client_with(&sim, &sim.harness_fg_api_key(), &[name])
            .list_pipelines()
            .await
            .unwrap_err();
        assert!(
            matches!(&err, BackendError::NotFound(m) if m.contains(name)),
            "{err:?}"
        );
    }
}

#[tokio::test]
async fn client_sees_gates_and_approves_and_rejects() {
    let sim = sim().await;
    let fg = client(&sim);
    let gate = sim.world().first_gen_waiting_gate().unwrap();
    let (train, two) = sim.world().first_gen_two_waiting_gates().unwrap();
    assert_eq!(two.len(), 2);

    let exec = ExecRef {
        project: "Legacy Billing".into(),
        id: gate.execution.clone(),
    };
    let detail = fg.execution(&exec).await.unwrap();
    assert_eq!(detail.execution.status.status, ExecStatus::Waiting);
    assert_eq!(detail.execution.status.raw, "PAUSED");
    assert_eq!(detail.approvals.len(), 1);
    assert_eq!(detail.approvals[0].id, gate.approval);
    assert!(detail.approvals[0].deadline.is_some());
    assert!(!detail.approvals[0].approvers.is_empty());

    let graphql =
        || sim.stats().requests[&("POST".to_string(), "/gateway/api/graphql".to_string())];
    let before = graphql();
    let waiting = fg.waiting_approvals().await.unwrap();
    // The account's budget is 30 calls a minute: the paused executions in one call, the
    // gates of all of them in another, however many wait.
    let paused: std::collections::BTreeSet<&str> =
        waiting.iter().map(|a| a.execution_id.as_str()).collect();
    assert!(paused.len() >= 4, "{paused:?}");
    assert_eq!(graphql() - before, 2);
    let gate_approval = waiting
        .iter()
        .find(|a| a.id == gate.approval)
        .unwrap()
        .clone();
    assert!(
        two.iter()
            .all(|g| waiting.iter().any(|a| a.id == g.approval))
    );
    // Exactly the First Gen gates: those seeded waiting and the three just opened, and none
    // of the NextGen projects' gates.
    let mut listed: Vec<&str> = waiting.iter().map(|a| a.id.as_str()).collect();
    listed.sort_unstable();
    let first_gen = sim.world().first_gen_waiting_gates();
    assert!(first_gen.len() >= 5, "{first_gen:?}");
    let mut expected: Vec<&str> = first_gen.iter().map(|g| g.approval.as_str()).collect();
    expected.sort_unstable();
    assert_eq!(listed, expected);
    let next_gen = sim.world().waiting_gates();
    assert!(!next_gen.is_empty());
    assert!(
        next_gen
            .iter()
            .all(|g| !waiting.iter().any(|a| a.id == g.approval))
    );
    let approve = Decision {
        action: DecisionAction::Approve,
        comment: "go".into(),
        inputs: vec![],
    };
    assert_eq!(
        fg.decide(&gate_approval, &approve).await,
        Ok(DecisionOutcome::Approved)
    );
    // A second decision is refused and not counted.
    assert!(matches!(
        fg.decide(&gate_approval, &approve).await,
        Err(BackendError::Conflict(_))
    ));

    let train_gate = waiting
        .iter()
        .find(|a| a.id == two[0].approval)
        .unwrap()
        .clone();
    assert_eq!(train_gate.execution_id, train);
    let reject = Decision {
        action: DecisionAction::Reject,
        comment: "no".into(),
        inputs: vec![],
    };
    assert_eq!(
        fg.decide(&train_gate, &reject).await,
        Ok(DecisionOutcome::Rejected)
    );

    let stats = sim.stats();
    assert_eq!(
        stats.decisions[&gate.approval],
        DecisionCount {
            approve: 1,
            reject: 0
        }
    );
    assert_eq!(
        stats.decisions[&two[0].approval],
        DecisionCount {
            approve: 0,
            reject: 1
        }
    );
    assert_eq!(stats.total_decisions(), 2);

    sim.advance(Duration::from_secs(10));
    // The rejected sign-off is gone; its parallel sibling still waits.
    assert_eq!(
        sim.world().approval_status(&two[0].approval),
        Some(ApprovalStatus::Rejected)
    );
    let after = fg
        .execution(&ExecRef {
            project: "Storefront Classic".into(),
            id: train.clone(),
        })
        .await
        .unwrap();
    let left: Vec<&str> = after.approvals.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(left, [two[1].approval.as_str()]);
    let approved = fg.execution(&exec).await.unwrap();
    assert_ne!(approved.execution.status.status, ExecStatus::Waiting);
}

#[tokio::test]
async fn every_error_class_has_a_clear_message() {
    let sim = sim().await;
    let fg = client(&sim);

    // A GraphQL error in an HTTP 200.
    let err = fg
        .execution(&ExecRef {
            project: "Legacy Billing".into(),
            id: "nope".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(
        err,
        BackendError::NotFound("Execution does not exist or access is denied".into())
    );

    // The RestResponse envelope for a missing and a bad key; the key never shows.
    let (status, body) = raw(
        &sim,
        None,
        json!({"query": "{ applications(limit: 1) { nodes { id } } }"}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["responseMessages"][0]["message"],
        "Invalid request: Api Key not supplied"
    );
    let bad_key = "not-the-key-0123456789";
    let err = client_with(&sim, bad_key, &[])
        .list_pipelines()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, BackendError::Unauthenticated(m) if m.contains("Token is not valid.")),
        "{err:?}"
    );
    assert!(!err.to_string().contains(bad_key));

    // Not authorized to deploy, nor to decide.
    let viewer = client_with(&sim, &sim.harness_fg_viewer_key(), &[]);
    let pipelines = viewer.list_pipelines().await.unwrap();
    let deploy = pipelines
        .iter()
        .find(|p| p.name == "Billing release")
        .unwrap();
    let err = viewer
        .start(&StartRequest {
            project: deploy.project.clone(),
            pipeline_id: deploy.id.clone(),
            values: vec![("release_version".into(), "7.15.0".into())],
            notes: None,
        })
        .await
        .unwrap_err();
    assert_eq!(
        err,
        BackendError::NotAuthorized("User not authorized to deploy".into())
    );
    assert!(!err.to_string().contains(&sim.harness_fg_viewer_key()));
    let gate = sim.world().first_gen_waiting_gate().unwrap();
    let approval = viewer
        .waiting_approvals()
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.id == gate.approval)
        .unwrap();
    let err = viewer
        .decide(
            &approval,
            &Decision {
                action: DecisionAction::Approve,
                comment: String::new(),
                inputs: vec![],
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, BackendError::NotAuthorized(_)), "{err:?}");
    assert_eq!(sim.stats().total_decisions(), 0);

    // The per-account limiter: 30 calls a minute, then 429 with the GraphQL body.
    sim.set_harness_fg_rate_limit(Some(30));
    for _ in 0..30 {
        fg.list_executions().await.unwrap();
    }
    assert_eq!(
        fg.list_executions().await,
        Err(BackendError::RateLimited { retry_after: None })
    );
    let (status, body) = gql(
        &sim,
        "{ applications(limit: 1) { nodes { id } } }",
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        body["errors"][0]["message"],
        "You've reached your account's rate limit for data queries. Please try again later."
    );
    assert_eq!(sim.stats().rate_limited, 2);
    sim.set_harness_fg_rate_limit(None);

    // Hostile documents get GraphQL errors, never a crash.
    for q in [
        "",
        "{",
        "{ nope }",
        "{ applications { nodes { id } } }",
        "mutation { startExecution(input: 5) { execution { id } } }",
    ] {
        let (status, body) = gql(&sim, q, json!(null)).await;
        assert_eq!(status, StatusCode::OK, "{q}");
        assert!(body["errors"][0]["message"].is_string(), "{q}: {body}");
    }
}

/// A NextGen call on a First Gen application's project, answered as for an unknown project.
async fn next_gen(sim: &SimHandle, method: reqwest::Method, path: &str) -> (StatusCode, Value) {
    next_gen_with(sim, method, path, None).await
}

async fn next_gen_with(
    sim: &SimHandle,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = reqwest::Client::new()
        .request(method, format!("{}{path}", sim.harness_url()))
        .header("x-api-key", sim.harness_token())
        .header("Harness-Account", sim.account());
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_two_faces_show_disjoint_content() {
    use reqwest::Method;
    let sim = sim().await;
    assert_eq!(sim.projects(), ["payments", "checkout", "platform"]);
    assert_eq!(
        sim.harness_fg_applications(),
        ["Legacy Billing", "Storefront Classic"]
    );
    let gate = sim.world().first_gen_waiting_gate().unwrap();
    assert_eq!(gate.project, "legacy_billing");
    let scope = |project: &str| {
        format!(
            "accountIdentifier={}&orgIdentifier=default&projectIdentifier={project}",
            sim.account()
        )
    };
    // Lists are empty, as for a project that does not exist.
    for project in ["legacy_billing", "nope"] {
        let (status, body) = next_gen(
            &sim,
            Method::POST,
            &format!("/pipeline/api/pipelines/list?{}", scope(project)),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["data"]["totalElements"], 0, "{project}: {body}");
        let (status, body) = next_gen(
            &sim,
            Method::POST,
            &format!(
                "/pipeline/api/pipelines/execution/summary?{}",
                scope(project)
            ),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["data"]["totalElements"], 0, "{project}: {body}");
    }
    // A First Gen pipeline, execution and gate are not found.
    let (_, body) = next_gen(
        &sim,
        Method::GET,
        &format!(
            "/pipeline/api/pipelines/invoice_batch_rerun?{}",
            scope("legacy_billing")
        ),
    )
    .await;
    assert_eq!(
        body["message"],
        "Pipeline with the given ID: invoice_batch_rerun does not exist or has been deleted.",
        "{body}"
    );
    let (unknown, _) = next_gen(
        &sim,
        Method::GET,
        &format!(
            "/pipeline/api/pipelines/execution/v2/nope?{}",
            scope("legacy_billing")
        ),
    )
    .await;
    let (status, _) = next_gen(
        &sim,
        Method::GET,
        &format!(
            "/pipeline/api/pipelines/execution/v2/{}?{}",
            gate.execution,
            scope("legacy_billing")
        ),
    )
    .await;
    assert_eq!(status, unknown);
    assert_ne!(status, StatusCode::OK);
    let (status, body) = next_gen(
        &sim,
        Method::GET,
        &format!(
            "/pipeline/api/approvals/{}?accountIdentifier={}",
            gate.approval,
            sim.account()
        ),
    )
    .await;
    assert_ne!(status, StatusCode::OK);
    assert_eq!(
        body["message"],
        format!(
            "Invalid request: Invalid approval instance id: {}",
            gate.approval
        )
    );
    let (status, body) = next_gen_with(
        &sim,
        Method::POST,
        &format!(
            "/v1/orgs/default/projects/legacy_billing/approvals/execution/{}",
            gate.execution
        ),
        Some(json!({"action": "APPROVE"})),
    )
    .await;
    assert_ne!(status, StatusCode::OK);
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("doesn't belong to Account")),
        "{body}"
    );
    assert_eq!(sim.stats().total_decisions(), 0);
    assert_eq!(
        sim.world().approval_status(&gate.approval),
        Some(ApprovalStatus::Waiting)
    );
}
