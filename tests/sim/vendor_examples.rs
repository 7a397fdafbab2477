//! The request examples of the vendors' public API documentation, sent over HTTP to the
//! simulator unchanged apart from host, identifiers and token, as a user trying their
//! scripts against `flightdeck sim` would. Each test names the document its requests come
//! from and quotes the part it reproduces.
//!
//! The simulator runs in-process with one token for every face (as `flightdeck sim` does)
//! on a manual clock, so nothing moves unless a test says so.

use std::time::Duration;

use flightdeck_sim::{ClockMode, SimHandle, SimOptions};
use reqwest::{Client, RequestBuilder, StatusCode};
use serde_json::{Value, json};

/// Shaped like the Harness account ids of the docs' examples.
const ACCOUNT: &str = "px7xd_BFRCi-pfWPYXVjvw";
const TOKEN: &str = "pat.px7xd_BFRCi-pfWPYXVjvw.64d3b8f1c2a9e07b5d4f6a11.dOcsExAmPlEsEcReT01";

struct Sim {
    sim: SimHandle,
    http: Client,
}

async fn sim() -> Sim {
    let sim = SimHandle::start(SimOptions {
        clock: ClockMode::Manual,
        token: Some(TOKEN.to_string()),
        ..SimOptions::default()
    })
    .await
    .expect("simulator starts");
    sim.world().set_failures(false);
    sim.set_infraxys_latency(Duration::from_millis(10));
    Sim {
        sim,
        http: Client::new(),
    }
}

async fn send(req: RequestBuilder) -> (StatusCode, Value) {
    let resp = req.send().await.expect("the simulator answers");
    let status = resp.status();
    let text = resp.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, body)
}

impl Sim {
    // --- Harness First Gen: POST https://app.harness.io/gateway/api/graphql?accountId=...

    /// The docs' curl: `--url 'https://app.harness.io/gateway/api/graphql?accountId='$HARNESS_ACCOUNT_ID''
    /// --header 'content-type: application/json' --header 'x-api-key:'$HARNESS_KEY' --data '{"query":...}'`.
    async fn graphql(&self, body: Value) -> Value {
        let (status, body) = send(
            self.http
                .post(format!(
                    "{}/api/graphql?accountId={ACCOUNT}",
                    self.sim.harness_fg_url()
                ))
                .header("content-type", "application/json")
                .header("x-api-key", TOKEN)
                .body(body.to_string()),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body.get("errors").is_none(), "{body}");
        body
    }

    async fn query(&self, query: &str) -> Value {
        self.graphql(json!({"query": query})).await["data"].clone()
    }

    async fn app_id(&self, name: &str) -> String {
        let data = self
            .query(&format!(
                "{{ applicationByName(name: \"{name}\") {{ id }} }}"
            ))
            .await;
        data["applicationByName"]["id"]
            .as_str()
            .unwrap()
            .to_string()
    }

    // --- Harness NextGen: https://app.harness.io/gateway/pipeline/api/... and /v1/...

    fn harness(&self, method: reqwest::Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.sim.harness_url()))
            .header("x-api-key", TOKEN)
    }

    // --- Argo Workflows: https://localhost:2746/api/v1/...

    /// `-H "Authorization: $ARGO_TOKEN"` with `ARGO_TOKEN="Bearer $(kubectl get secret ...)"`
    /// (docs/access-token.md).
    fn argo(&self, method: reqwest::Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.sim.argo_url()))
            .header("Authorization", format!("Bearer {TOKEN}"))
    }

    // --- Infraxys: https://<host>:8444/api/v1/...

    /// The Python client's headers on every call: `Content-Type: application/json` and
    /// `Authorization: token {api_token}` (infraxys_rest_client.py, `execute_request`).
    fn infraxys(&self, path: &str, body: Value) -> RequestBuilder {
        self.http
            .post(format!("{}{path}", self.sim.infraxys_url()))
            .header("Content-Type", "application/json")
            .header("Authorization", format!("token {TOKEN}"))
            .body(body.to_string())
    }
}

// ------------------------------------------------------------------------------------------
// Harness First Gen GraphQL
// ------------------------------------------------------------------------------------------

/// "Trigger Workflows or Pipelines Using GraphQL API", Step 1: Fetch the Application ID
/// (developer.harness.io, first-gen/.../api/trigger-workflow-or-a-pipeline-using-api).
#[tokio::test]
async fn first_gen_application_by_name() {
    let s = sim().await;
    let data = s
        .query(
            r#"{
  applicationByName(name: "Legacy Billing") {
    id
    name
  }
}"#,
        )
        .await;
    let app = &data["applicationByName"];
    assert_eq!(app["name"], "Legacy Billing");
    assert_eq!(app["id"].as_str().unwrap().len(), 22, "{app}");
}

/// "Harness StartExecution API Deep Dive", Deploy Fargate Production Pipeline: "First query
/// by the Application name to retrieve the Application ID and PipelineID", sent as its
/// `func_getAppByName` script sends it (first-gen/.../api/use-harness-start-execution-api).
#[tokio::test]
async fn first_gen_application_with_its_pipelines() {
    let s = sim().await;
    let data = s
        .query(
            "query {\n  applicationByName(name:\"Legacy Billing\"){\n    id\n    name\n    \
             pipelines(limit:4){\n      nodes{\n        id\n        description\n      }\n    }\n  }\n}\n\n",
        )
        .await;
    let nodes = data["applicationByName"]["pipelines"]["nodes"]
        .as_array()
        .unwrap();
    assert!(!nodes.is_empty() && nodes.len() <= 4, "{data}");
    assert!(
        nodes
            .iter()
            .all(|n| n["id"].is_string() && n["description"].is_string())
    );
}

/// The Deep Dive's "Get Pipelines By Name" and "Get Workflow By Name": the name and the
/// variables to start it with.
#[tokio::test]
async fn first_gen_pipeline_and_workflow_by_name_with_their_variables() {
    let s = sim().await;
    let app = s.app_id("Legacy Billing").await;
    let data = s
        .query(&format!(
            r#"{{
  pipelineByName(applicationId: "{app}", pipelineName: "Billing release") {{
    id
    name
    pipelineVariables {{
      name
      type
      required
    }}
  }}
}}"#
        ))
        .await;
    assert_eq!(data["pipelineByName"]["name"], "Billing release");
    assert_eq!(
        data["pipelineByName"]["pipelineVariables"],
        json!([
            {"name": "release_version", "type": "Text", "required": true},
            {"name": "notify_finance", "type": "Text", "required": false},
        ])
    );
    let data = s
        .query(&format!(
            r#"{{
  workflowByName(applicationId: "{app}", workflowName: "Billing API deploy") {{
    id
    name
    workflowVariables {{
      name
      type
      required
    }}
  }}
}}"#
        ))
        .await;
    assert_eq!(
        data["workflowByName"]["workflowVariables"],
        json!([
            {"name": "Environment", "type": "Environment", "required": true},
            {"name": "Service", "type": "Service", "required": false},
            {"name": "image_tag", "type": "Text", "required": true},
        ])
    );
}

/// "Trigger Workflows or Pipelines Using GraphQL API", Step 3: Fetch the Execution Input,
/// then Step 4: Start the Execution, both written inline as the page writes them.
#[tokio::test]
async fn first_gen_execution_inputs_then_start_a_workflow() {
    let s = sim().await;
    let app = s.app_id("Legacy Billing").await;
    let workflow = s
        .query(&format!(
            r#"{{ workflowByName(applicationId: "{app}", workflowName: "Billing API deploy") {{ id }} }}"#
        ))
        .await["workflowByName"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let data = s
        .query(&format!(
            r#"query {{
  executionInputs(applicationId: "{app}"
    entityId: "{workflow}"
  executionType: WORKFLOW,
  variableInputs: [
    {{
      name: "Environment"
      variableValue: {{
        type: NAME
        value: "production"
      }}
    }}
  ]){{
    serviceInputs{{
      id
      name
      artifactType
    }}
  }}
}}"#
        ))
        .await;
    let inputs = &data["executionInputs"]["serviceInputs"];
    assert_eq!(inputs[0]["name"], "billing-api", "{data}");
    assert_eq!(inputs[0]["artifactType"], "DOCKER");

    let data = s
        .query(&format!(
            r#"mutation {{
  startExecution(input: {{
    applicationId: "{app}"
    entityId: "{workflow}"
    executionType: WORKFLOW,
    variableInputs: [
    {{
      name: "Environment"
      variableValue: {{
        type: NAME
        value: "production"
      }}
    }},
    {{
      name: "image_tag"
      variableValue: {{
        type: NAME
        value: "7.15.1"
      }}
    }}
    ],
    serviceInputs: [ {{
      name: "billing-api",
      artifactValueInput: {{
        valueType: BUILD_NUMBER
        buildNumber: {{
          buildNumber: "7.15.1"
          artifactSourceName: "docker_billing-api"
        }}
      }}
    }}
    ]
  }}
  ){{
    clientMutationId
    execution{{
      id
      status
    }}
  }}
}}"#
        ))
        .await;
    // Response: {"data":{"startExecution":{"clientMutationId":null,"execution":{"id":"s7QEfVP7SL-3ZUt8FBrnzQ","status":"RUNNING"}}}}
    let started = &data["startExecution"];
    assert_eq!(started["clientMutationId"], Value::Null);
    assert_eq!(started["execution"]["status"], "RUNNING", "{data}");
    assert!(started["execution"]["id"].is_string());
}

/// The Deep Dive's "Deploy a Pipeline with Variables" query with the `$startExecution`
/// variable, and "Deploy Fargate Production Pipeline"'s service input written as one object
/// (not a list), which GraphQL input coercion turns into a list of one.
#[tokio::test]
async fn first_gen_start_a_pipeline_with_variables_and_a_service_object() {
    let s = sim().await;
    let app = s.app_id("Legacy Billing").await;
    let pipeline = s
        .query(&format!(
            r#"{{ pipelineByName(applicationId: "{app}", pipelineName: "Billing release") {{ id }} }}"#
        ))
        .await["pipelineByName"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let body = json!({
        "query": "mutation($startExecution: StartExecutionInput!){\n  startExecution (input:$startExecution){\n    \
                  clientMutationId\n    execution {\n      notes\n      status\n      startedAt\n      id\n      \
                  application{\n        id\n      }\n    }\n  }\n}",
        "variables": {"startExecution": {
            "applicationId": app,
            "notes": "Demo",
            "executionType": "PIPELINE",
            "entityId": pipeline,
            "serviceInputs": {
                "name": "billing-api",
                "artifactValueInput": {
                    "buildNumber": {"buildNumber": "7.15.1", "artifactSourceName": "docker_billing-api"},
                    "valueType": "BUILD_NUMBER"
                }
            },
            "variableInputs": [
                {"name": "release_version", "variableValue": {"type": "NAME", "value": "7.15.1"}},
                {"name": "notify_finance", "variableValue": {"value": "false", "type": "NAME"}}
            ]
        }}
    });
    let data = s.graphql(body).await["data"].clone();
    let execution = &data["startExecution"]["execution"];
    assert_eq!(execution["notes"], "Demo", "{data}");
    assert_eq!(execution["status"], "RUNNING");
    assert_eq!(execution["application"]["id"], app.as_str());
    assert!(execution["startedAt"].is_number(), "DateTime is a number");
}

/// The Deep Dive's "Deploy a Workflow with Variables": the workflow's service input as one
/// object and its entity variables by name, through `$startExecution`.
#[tokio::test]
async fn first_gen_start_a_workflow_with_variables() {
    let s = sim().await;
    let app = s.app_id("Storefront Classic").await;
    let workflow = s
        .query(&format!(
            r#"{{ workflowByName(applicationId: "{app}", workflowName: "Storefront web deploy") {{ id }} }}"#
        ))
        .await["workflowByName"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let data = s
        .graphql(json!({
            "query": "mutation ($startExecution: StartExecutionInput!) {\n  startExecution(input: $startExecution) {\n    \
                      clientMutationId\n    execution {\n      notes\n      status\n      startedAt\n      id\n      \
                      application {\n        id\n      }\n    }\n  }\n}",
            "variables": {"startExecution": {
                "applicationId": app,
                "notes": "Demo",
                "executionType": "WORKFLOW",
                "entityId": workflow,
                "serviceInputs": {
                    "name": "storefront-web",
                    "artifactValueInput": {
                        "buildNumber": {"buildNumber": "v6", "artifactSourceName": "docker_storefront-web"},
                        "valueType": "BUILD_NUMBER"
                    }
                },
                "variableInputs": [
                    {"name": "Environment", "variableValue": {"type": "NAME", "value": "staging"}},
                    {"name": "Service", "variableValue": {"type": "NAME", "value": "storefront-web"}},
                    {"name": "image_tag", "variableValue": {"type": "NAME", "value": "v6"}}
                ]
            }}
        }))
        .await["data"]
        .clone();
    assert_eq!(
        data["startExecution"]["execution"]["status"], "RUNNING",
        "{data}"
    );
}

/// The Deep Dive's "Check the Status of Deployments Via API", for a pipeline execution and
/// for a workflow execution, each with its inline fragment.
#[tokio::test]
async fn first_gen_execution_status_with_fragments() {
    let s = sim().await;
    let app = s.app_id("Legacy Billing").await;
    let pipeline_run = s
        .sim
        .world()
        .start("legacy_billing", "billing_release")
        .unwrap();
    let workflow_run = s
        .sim
        .world()
        .start("legacy_billing", "billing_api_deploy")
        .unwrap();
    s.sim.advance(Duration::from_secs(600));
    let data = s
        .query(&format!(
            r#"query{{
  execution(executionId: "{pipeline_run}") {{
    id
    ... on PipelineExecution {{
      id
      status
    }}
  }}
}}"#
        ))
        .await;
    assert_eq!(data["execution"]["id"], pipeline_run.as_str());
    // The finance sign-off is waiting: a First Gen approval reads PAUSED.
    assert_eq!(data["execution"]["status"], "PAUSED", "{data}");

    let data = s
        .query(&format!(
            r#"{{
  execution(executionId:"{workflow_run}"){{
    id
    status
    ... on WorkflowExecution {{
      id
      outcomes{{
        nodes{{
          execution {{
            id
            endedAt
            startedAt
          }}
        }}
      }}
    }}
  }}
}}"#
        ))
        .await;
    let execution = &data["execution"];
    assert_eq!(execution["status"], "SUCCESS", "{data}");
    let nodes = execution["outcomes"]["nodes"].as_array().unwrap();
    assert!(!nodes.is_empty(), "a deployment has outcomes: {data}");
    for node in nodes {
        assert_eq!(node["execution"]["id"], workflow_run.as_str());
        assert!(node["execution"]["startedAt"].is_number());
        assert!(node["execution"]["endedAt"].is_number());
    }
    let _ = app;
}

/// "Use Approvals API" (first-gen/.../api/use-approvals-api): "Step: Query Approvals by
/// Execution" with its four fragments, then "Step: Approve or Reject Approval" with
/// `variableInputs`.
#[tokio::test]
async fn first_gen_approval_details_then_approve_with_variables() {
    let s = sim().await;
    let gate = s.sim.world().first_gen_waiting_gate().unwrap();
    let app = s.app_id("Legacy Billing").await;
    let execution = &gate.execution;
    let data = s
        .query(&format!(
            r#"{{
  approvalDetails(applicationId: "{app}", executionId: "{execution}") {{
    approvalDetails {{
      approvalId
      approvalType
      stepName
      stageName
      startedAt
      triggeredBy {{
        name
        email
      }}
      willExpireAt
      ... on UserGroupApprovalDetails {{
        approvers
        approvalId
        approvalType
        stepName
        stageName
        startedAt
        executionId
        triggeredBy {{
          name
          email
        }}
        willExpireAt
        variables {{
          name
          value
        }}
      }}
      ... on ShellScriptDetails {{
        approvalId
        approvalType
        retryInterval
        stageName
        stepName
        startedAt
        triggeredBy {{
          email
          name
        }}
        willExpireAt
      }}
      ... on SNOWApprovalDetails {{
        approvalCondition
        approvalId
        approvalType
        currentStatus
        rejectionCondition
        stageName
        startedAt
        stepName
        ticketType
        ticketUrl
        triggeredBy {{
          email
          name
        }}
        willExpireAt
      }}
      ... on JiraApprovalDetails {{
        approvalCondition
        approvalId
        approvalType
        currentStatus
        issueKey
        issueUrl
        rejectionCondition
        stepName
        stageName
        startedAt
        triggeredBy {{
          email
          name
        }}
        willExpireAt
      }}
    }}
  }}
}}"#
        ))
        .await;
    let details = &data["approvalDetails"]["approvalDetails"][0];
    assert_eq!(details["approvalId"], gate.approval.as_str(), "{data}");
    assert_eq!(details["approvalType"], "USER_GROUP");
    assert_eq!(details["executionId"], execution.as_str());
    assert!(details["startedAt"].is_string(), "Long is a string");
    assert_eq!(details["variables"][0]["name"], "ticket");

    let data = s
        .query(&format!(
            r#"mutation {{
 approveOrRejectApprovals(input: {{
  action: APPROVE
  approvalId: "{}"
  applicationId: "{app}"
  comments: "Testing"
  executionId: "{execution}"
  clientMutationId: "testing"
  variableInputs: [ {{
    name: "ticket"
    value: "FIN-1234"}}],
  }})
  {{
  success
  clientMutationId
  }}
}}"#,
            gate.approval
        ))
        .await;
    assert_eq!(
        data["approveOrRejectApprovals"],
        json!({"success": true, "clientMutationId": "testing"})
    );
    assert_eq!(s.sim.stats().decisions[&gate.approval].approve, 1);
}

/// "Use Approvals API", the plain example: reject, no variables.
#[tokio::test]
async fn first_gen_reject_an_approval() {
    let s = sim().await;
    let gate = s.sim.world().first_gen_waiting_gate().unwrap();
    let app = s.app_id("Legacy Billing").await;
    let data = s
        .query(&format!(
            r#"mutation {{
 approveOrRejectApprovals(input: {{
  action: REJECT
  approvalId: "{}"
  applicationId: "{app}"
  comments: "Testing"
  executionId: "{}"
  clientMutationId: "testing"
  }})
  {{
  success
  clientMutationId
  }}
}}"#,
            gate.approval, gate.execution
        ))
        .await;
    assert_eq!(data["approveOrRejectApprovals"]["success"], true);
    assert_eq!(s.sim.stats().decisions[&gate.approval].reject, 1);
}

// ------------------------------------------------------------------------------------------
// Harness NextGen
// ------------------------------------------------------------------------------------------

/// The API reference's runtime input template (`POST /pipeline/api/inputSets/template`,
/// apidocs.harness.io "Input Sets"), then "How To Trigger A Pipeline By Passing Runtime
/// Variable Through Harness Rest API?" (discuss.harness.io/t/12903): "Pass a Runtime YAML as
/// the body using Pipeline Execute API", `Content-Type: application/yaml`.
#[tokio::test]
async fn next_gen_execute_with_a_runtime_input_yaml() {
    let s = sim().await;
    let scope = format!(
        "routingId={ACCOUNT}&accountIdentifier={ACCOUNT}&orgIdentifier=default&projectIdentifier=payments"
    );
    let (status, body) = send(
        s.harness(
            reqwest::Method::POST,
            &format!(
                "/gateway/pipeline/api/inputSets/template?{scope}&pipelineIdentifier=payments_api_deploy"
            ),
        )
        .header("Content-Type", "application/json")
        .body("{}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let template = body["data"]["inputSetTemplateYaml"].as_str().unwrap();
    assert!(template.contains("name: image_tag"), "{template}");

    let runtime_yaml = "pipeline:\n  identifier: payments_api_deploy\n  variables:\n    \
                        - name: image_tag\n      type: String\n      value: \"1.43.0\"\n    \
                        - name: skip_smoke_tests\n      type: String\n      value: \"false\"\n";
    let (status, body) = send(
        s.harness(
            reqwest::Method::POST,
            &format!(
                "/gateway/pipeline/api/pipeline/execute/payments_api_deploy?{scope}\
                 &moduleType=cd&notesForPipelineExecution=from%20the%20docs"
            ),
        )
        .header("Content-Type", "application/yaml")
        .body(runtime_yaml),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "SUCCESS");
    let plan = &body["data"]["planExecution"];
    assert_eq!(plan["status"], "RUNNING");
    let id = plan["uuid"].as_str().unwrap();

    let (status, body) = send(s.harness(
        reqwest::Method::GET,
        &format!("/gateway/pipeline/api/pipelines/execution/v2/{id}?{scope}"),
    ))
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["data"]["pipelineExecutionSummary"]["planExecutionId"],
        id
    );
}

/// The API reference's "Execute a Pipeline" (`POST /v1/orgs/{org}/projects/{project}/
/// pipelines/{pipeline}/execute`, apidocs.harness.io "Pipeline Execute"): a JSON body with
/// `inputs_yaml`, and `Harness-Account`.
#[tokio::test]
async fn next_gen_v1_execute() {
    let s = sim().await;
    let (status, body) = send(
        s.harness(
            reqwest::Method::POST,
            "/v1/orgs/default/projects/platform/pipelines/rotate_certificates/execute?module=CD&notes=rotation",
        )
        .header("Harness-Account", ACCOUNT)
        .header("Content-Type", "application/json")
        .body(
            json!({"inputs_yaml": "pipeline:\n  identifier: rotate_certificates\n  variables:\n    \
                   - name: scope\n      type: String\n      value: \"internal\"\n"})
            .to_string(),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["execution_details"]["status"], "RUNNING");
    assert!(body["execution_details"]["execution_id"].is_string());
}

/// The body of "Automate your workflows: Using Harness Approval APIs" (developer.harness.io
/// kb/continuous-delivery/articles/harness-approval-api), as its curl sends it.
fn kb_approval_body(action: &str, inputs: &[(&str, &str)]) -> String {
    let inputs: Vec<Value> = inputs
        .iter()
        .map(|(n, v)| json!({"name": n, "value": v}))
        .collect();
    json!({"action": action, "approverInputs": inputs, "comments": "Approving via API"}).to_string()
}

impl Sim {
    /// The KB's `curl -i -X POST 'https://app.harness.io/gateway/pipeline/api/v1/orgs/<org>/
    /// projects/<project>/approvals/execution/<executionId>[?callback_id=<callback_id>]'
    /// -H 'Content-Type: application/json' -H 'Harness-Account: <accountIdentifier>'
    /// -H 'x-api-key: yourpattoken'`.
    async fn approve_by_execution(
        &self,
        token: &str,
        project: &str,
        execution: &str,
        callback: Option<&str>,
        body: String,
    ) -> (StatusCode, Value) {
        let query = callback.map_or(String::new(), |c| format!("?callback_id={c}"));
        send(
            self.http
                .post(format!(
                    "{}/gateway/pipeline/api/v1/orgs/default/projects/{project}/approvals/execution/{execution}{query}",
                    self.sim.harness_url()
                ))
                .header("Content-Type", "application/json")
                .header("Harness-Account", ACCOUNT)
                .header("x-api-key", token)
                .body(body),
        )
        .await
    }
}

/// The KB's first request: approve by execution id alone, with approver inputs and a comment.
#[tokio::test]
async fn next_gen_approve_by_execution_id() {
    let s = sim().await;
    let gate = s.sim.world().waiting_gate().unwrap();
    let (status, body) = s
        .approve_by_execution(
            TOKEN,
            &gate.project,
            &gate.execution,
            None,
            kb_approval_body("APPROVE", &[("change_ticket", "CHG-1234")]),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "APPROVED");
    assert_eq!(body["id"], gate.approval.as_str());
    let activity = &body["details"]["approvalActivities"][0];
    assert_eq!(activity["action"], "APPROVE");
    assert_eq!(activity["comments"], "Approving via API");
    assert_eq!(
        activity["approverInputs"],
        json!([{"name": "change_ticket", "value": "CHG-1234"}])
    );
}

/// The KB's second request: with several gates waiting in one execution, `callback_id`
/// picks one; without it the API fails as the KB's "API Limitations" say.
#[tokio::test]
async fn next_gen_approve_by_execution_id_and_callback_id() {
    let s = sim().await;
    let (execution, gates) = s.sim.world().two_waiting_gates().unwrap();
    let (status, body) = s
        .approve_by_execution(
            TOKEN,
            "payments",
            &execution,
            None,
            kb_approval_body("APPROVE", &[]),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["message"],
        format!(
            "Invalid request: Found more than 1 Harness Approval Instance waiting for pipeline \
             execution id: {execution} and callback id: null"
        )
    );
    let eu = gates
        .iter()
        .find(|g| g.callback_id.as_deref() == Some("eu_signoff"))
        .unwrap();
    let (status, body) = s
        .approve_by_execution(
            TOKEN,
            "payments",
            &execution,
            Some("eu_signoff"),
            kb_approval_body("APPROVE", &[("eu_change", "CHG-EU-42")]),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["id"], eu.approval.as_str());
    assert_eq!(
        body["details"]["approvalActivities"][0]["approverInputs"][0]["value"],
        "CHG-EU-42"
    );
    assert_eq!(s.sim.stats().total_decisions(), 1);
}

/// The KB request with `"action": "REJECT"` (the API reference's other action).
#[tokio::test]
async fn next_gen_reject_by_execution_id() {
    let s = sim().await;
    let gate = s.sim.world().waiting_gate().unwrap();
    let (status, body) = s
        .approve_by_execution(
            TOKEN,
            &gate.project,
            &gate.execution,
            None,
            kb_approval_body("REJECT", &[]),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "REJECTED");
}

/// The errors the approval API documents (its API reference and the KB's "API
/// Limitations"): no action, a service-account token ("SERVICE_ACCOUNT is not supported for
/// Harness Approval Step yet"), no gate waiting for the callback id, a decided gate, and a
/// missing `Harness-Account`.
#[tokio::test]
async fn next_gen_approval_api_documented_errors() {
    let s = sim().await;
    let gate = s.sim.world().waiting_gate().unwrap();
    let message = |body: &Value| body["message"].as_str().unwrap_or_default().to_string();

    let (status, body) = s
        .approve_by_execution(TOKEN, &gate.project, &gate.execution, None, "{}".into())
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        message(&body),
        "Invalid request: action in request body should be one of [APPROVE, REJECT]"
    );

    let (status, body) = s
        .approve_by_execution(
            &s.sim.harness_sat_token(),
            &gate.project,
            &gate.execution,
            None,
            kb_approval_body("APPROVE", &[]),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        message(&body),
        "Invalid request: SERVICE_ACCOUNT is not supported for Harness Approval Step yet"
    );

    let (status, body) = s
        .approve_by_execution(
            TOKEN,
            &gate.project,
            &gate.execution,
            Some("no_such_step"),
            kb_approval_body("APPROVE", &[]),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        message(&body),
        format!(
            "Invalid request: Found no Harness Approval Instance waiting for pipeline execution \
             id: {} and callback id: no_such_step",
            gate.execution
        )
    );

    let (status, _) = s
        .approve_by_execution(
            TOKEN,
            &gate.project,
            &gate.execution,
            None,
            kb_approval_body("APPROVE", &[]),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = s
        .approve_by_execution(
            TOKEN,
            &gate.project,
            &gate.execution,
            None,
            kb_approval_body("APPROVE", &[]),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        message(&body),
        format!(
            "Invalid request: Found no Harness Approval Instance waiting for pipeline execution \
             id: {} and callback id: null",
            gate.execution
        )
    );

    // Without `Harness-Account` the authentication filter cannot tell the account; with the
    // account only in the query it can, and the handler then wants the header.
    let without_header = |query: &str| {
        s.http
            .post(format!(
                "{}/gateway/pipeline/api/v1/orgs/default/projects/{}/approvals/execution/{}{query}",
                s.sim.harness_url(),
                gate.project,
                gate.execution
            ))
            .header("Content-Type", "application/json")
            .header("x-api-key", TOKEN)
            .body(kb_approval_body("APPROVE", &[]))
    };
    let (status, body) = send(without_header("")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        message(&body),
        "Invalid request: Account detail is not present in the request"
    );
    let (status, body) = send(without_header(&format!("?accountIdentifier={ACCOUNT}"))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        message(&body),
        "Invalid request: harnessAccount param value is required"
    );
    assert_eq!(
        s.sim.stats().total_decisions(),
        1,
        "refusals are not decisions"
    );
}

// ------------------------------------------------------------------------------------------
// Argo Workflows
// ------------------------------------------------------------------------------------------

/// `GET /api/v1/info`, which the UI reads on load (swagger `InfoService_GetInfo`), and
/// `GET /api/v1/version`, which `argo version` asks the server for.
#[tokio::test]
async fn argo_info_and_version() {
    let s = sim().await;
    let (status, body) = send(s.argo(reqwest::Method::GET, "/api/v1/info")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["modals"].is_object(), "{body}");
    let (status, body) = send(s.argo(reqwest::Method::GET, "/api/v1/version")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["version"].as_str().unwrap().starts_with('v'), "{body}");
}

/// docs/rest-examples.md, "Submitting workflow": the full manifest, then "Getting workflows
/// for namespace argo" and "Getting single workflow for namespace argo".
#[tokio::test]
async fn argo_create_list_and_get_as_in_the_rest_examples() {
    let s = sim().await;
    let manifest = r#"{
  "namespace": "argo",
  "serverDryRun": false,
  "workflow": {
      "metadata": {
        "generateName": "hello-world-",
        "namespace": "argo",
        "labels": {
          "workflows.argoproj.io/completed": "false"
         }
      },
     "spec": {
       "templates": [
        {
         "name": "hello-world",
         "arguments": {},
         "inputs": {},
         "outputs": {},
         "metadata": {},
         "container": {
          "name": "",
          "image": "busybox",
          "command": [
            "echo"
          ],
          "args": [
            "hello world"
          ],
          "resources": {}
        }
      }
    ],
    "entrypoint": "hello-world",
    "arguments": {}
  }
}
}"#;
    let (status, body) = send(
        s.argo(reqwest::Method::POST, "/api/v1/workflows/argo")
            .header("content-type", "application/json")
            .body(manifest),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let name = body["metadata"]["name"].as_str().unwrap().to_string();
    assert!(name.starts_with("hello-world-"), "{name}");
    assert_eq!(body["metadata"]["namespace"], "argo");

    let (status, body) = send(s.argo(reqwest::Method::GET, "/api/v1/workflows/argo")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["metadata"]["name"] == name.as_str()),
        "the new workflow is listed"
    );

    let (status, body) = send(s.argo(
        reqwest::Method::GET,
        &format!("/api/v1/workflows/argo/{name}"),
    ))
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["spec"]["entrypoint"], "hello-world");
}

/// The Python SDK's `examples/hello-world-from-raw-yaml.py`: `create_workflow(namespace,
/// body=WorkflowCreateRequest(workflow=manifest))` with `examples/hello-world.yaml` as loaded
/// by `yaml.safe_load`, `apiVersion` and `kind` included; then `argo get @latest`.
#[tokio::test]
async fn argo_create_from_the_python_client_then_get_latest() {
    let s = sim().await;
    let manifest = json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {
            "generateName": "hello-world-",
            "labels": {"workflows.argoproj.io/archive-strategy": "false"},
            "annotations": {"workflows.argoproj.io/description": "This is a simple hello world example.\n"}
        },
        "spec": {
            "entrypoint": "hello-world",
            "templates": [{
                "name": "hello-world",
                "container": {"image": "busybox", "command": ["echo"], "args": ["hello world"]}
            }]
        }
    });
    let (status, body) = send(
        s.argo(reqwest::Method::POST, "/api/v1/workflows/argo")
            .header("Accept", "application/json")
            .header("Content-Type", "application/json")
            .header("User-Agent", "OpenAPI-Generator/6.7.18/python")
            .body(json!({"workflow": manifest}).to_string()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let name = body["metadata"]["name"].as_str().unwrap().to_string();
    s.sim.advance(Duration::from_secs(1));

    let (status, body) = send(s.argo(reqwest::Method::GET, "/api/v1/workflows/argo/@latest")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["metadata"]["name"], name.as_str());
}

/// `argo submit --from workflowtemplate/release -p version=1.44.0` as the CLI sends it over
/// HTTP (swagger `WorkflowService_SubmitWorkflow`: `resourceKind` as the `--from` prefix
/// spells it, `resourceName`, `submitOptions.parameters` as `name=value`).
#[tokio::test]
async fn argo_submit_from_a_template() {
    let s = sim().await;
    let (status, body) = send(
        s.argo(reqwest::Method::POST, "/api/v1/workflows/argo/submit")
            .header("Content-Type", "application/json")
            .body(
                json!({
                    "namespace": "argo",
                    "resourceKind": "workflowtemplate",
                    "resourceName": "release",
                    "submitOptions": {"parameters": ["version=1.44.0"]}
                })
                .to_string(),
            ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        body["metadata"]["name"]
            .as_str()
            .unwrap()
            .starts_with("release-")
    );
    assert_eq!(
        body["metadata"]["labels"]["workflows.argoproj.io/workflow-template"],
        "release"
    );
}

/// docs/events.md: "Example (note the trailing slash)" and "With a discriminator", as curl
/// sends `-d` (form content type) with `-H "Authorization: $ARGO_TOKEN"`; then an event the
/// simulator's `github-push` WorkflowEventBinding matches.
#[tokio::test]
async fn argo_events() {
    let s = sim().await;
    for path in [
        "/api/v1/events/argo/",
        "/api/v1/events/argo/my-discriminator",
    ] {
        let (status, body) = send(
            s.argo(reqwest::Method::POST, path)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(r#"{"message": "hello"}"#),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        assert_eq!(body, json!({}));
    }
    let before = s.sim.stats().starts;
    let (status, body) = send(
        s.argo(reqwest::Method::POST, "/api/v1/events/argo/github")
            .header("X-GitHub-Event", "push")
            .body(
                json!({
                    "ref": "refs/heads/main",
                    "after": "4f2c1e9",
                    "repository": {"full_name": "acme/storefront"}
                })
                .to_string(),
            ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        s.sim.stats().starts,
        before + 1,
        "the binding started a workflow"
    );
}

/// docs/intermediate-inputs.md, "Intermediate Parameters Approval Example": the workflow
/// created as written there, then decided the way `argo node set --output-parameter
/// approve=YES --node-field-selector displayName=approval` and `argo resume
/// --node-field-selector displayName=approval` do it over HTTP.
#[tokio::test]
async fn argo_intermediate_parameters_approval() {
    let s = sim().await;
    let manifest = json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {"generateName": "intermediate-parameters-cicd-"},
        "spec": {
            "entrypoint": "cicd-pipeline",
            "templates": [
                {"name": "cicd-pipeline", "steps": [
                    [{"name": "deploy-pre-prod", "template": "deploy"}],
                    [{"name": "approval", "template": "approval"}],
                    [{"name": "deploy-prod", "template": "deploy",
                      "when": "{{steps.approval.outputs.parameters.approve}} == YES"}]
                ]},
                {"name": "approval", "suspend": {},
                 "inputs": {"parameters": [{"name": "approve", "default": "NO", "enum": ["YES", "NO"],
                     "description": "Choose YES to continue workflow and deploy to production"}]},
                 "outputs": {"parameters": [{"name": "approve", "valueFrom": {"supplied": {}}}]}},
                {"name": "deploy", "container": {"image": "argoproj/argosay:v2",
                    "command": ["/argosay"], "args": ["echo", "deploying"]}}
            ]
        }
    });
    let (status, body) = send(
        s.argo(reqwest::Method::POST, "/api/v1/workflows/argo")
            .header("Content-Type", "application/json")
            .body(json!({"workflow": manifest}).to_string()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let workflow = body["metadata"]["name"].as_str().unwrap().to_string();
    s.sim.advance(Duration::from_secs(600));
    let gate = s.sim.world().gates_of(&workflow);
    assert_eq!(gate.len(), 1, "the approval step waits");

    let (status, body) = send(
        s.argo(
            reqwest::Method::PUT,
            &format!("/api/v1/workflows/argo/{workflow}/set"),
        )
        .header("Content-Type", "application/json")
        .body(
            json!({
                "nodeFieldSelector": "displayName=approval",
                "outputParameters": "{\"approve\":\"YES\"}"
            })
            .to_string(),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = send(
        s.argo(
            reqwest::Method::PUT,
            &format!("/api/v1/workflows/argo/{workflow}/resume"),
        )
        .header("Content-Type", "application/json")
        .body(json!({"nodeFieldSelector": "displayName=approval"}).to_string()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(s.sim.stats().decisions[&gate[0].approval].approve, 1);

    s.sim.advance(Duration::from_secs(600));
    let (_, body) = send(s.argo(
        reqwest::Method::GET,
        &format!("/api/v1/workflows/argo/{workflow}"),
    ))
    .await;
    assert_eq!(body["status"]["phase"], "Succeeded", "{body}");
    let prod = body["status"]["nodes"]
        .as_object()
        .unwrap()
        .values()
        .find(|n| n["displayName"] == "deploy-prod")
        .unwrap();
    assert_eq!(
        prod["phase"], "Succeeded",
        "YES lets production deploy: {prod}"
    );
}

// ------------------------------------------------------------------------------------------
// Infraxys
// ------------------------------------------------------------------------------------------

/// infraxys.com/topics/rest-api: `POST /api/v1/environment/{branch}/{environment_id}/
/// workflow/{workflow_id}/execute` with `{"asynchronous": false, "argument": {...}}`.
#[tokio::test]
async fn infraxys_execute_a_workflow() {
    let s = sim().await;
    let c = s.sim.infraxys_catalogue();
    let w = &c.workflows[0];
    let (status, body) = send(s.infraxys(
        &format!(
            "/api/v1/environment/{}/{}/workflow/{}/execute",
            c.branch, w.environment_id, w.workflow_id
        ),
        json!({"asynchronous": false, "argument": {"namespace": "team-a"}}),
    ))
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(s.sim.stats().infraxys_starts, 1);
}

/// infraxys.com/topics/rest-api: `POST /api/v1/instance/{branch}/{instance_id}/files/
/// {filename}/execute`, asynchronous, then the run followed through `stream2` as
/// infraxys-js `followAction` does.
#[tokio::test]
async fn infraxys_execute_an_instance_file_asynchronously_and_follow_it() {
    let s = sim().await;
    let c = s.sim.infraxys_catalogue();
    let a = &c.actions[0];
    let (status, body) = send(s.infraxys(
        &format!(
            "/api/v1/instance/{}/{}/files/{}/execute",
            c.branch, a.instance_id, a.filename
        ),
        json!({"asynchronous": true, "argument": {}}),
    ))
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let run = body["workflowRunGuid"].as_str().unwrap();
    let runner = body["actionRunnerGuids"][0].as_str().unwrap();
    let resp = s
        .http
        .get(format!(
            "{}/api/v1/actions/stream2/{run}/{runner}",
            s.sim.infraxys_url()
        ))
        .header("Authorization", format!("token {TOKEN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let text = resp.text().await.unwrap();
    assert!(text.contains("data:"), "{text}");
}

/// infraxys-js `runAction`: `POST /api/v1/actions/start/{actionAlias}` with
/// `{"asynchronous": false, "timeoutSeconds": 600, "returnLog": true, "argument": ...}`.
#[tokio::test]
async fn infraxys_start_an_action_alias() {
    let s = sim().await;
    let alias = &s.sim.infraxys_catalogue().aliases[0];
    let (status, body) = send(s.infraxys(
        &format!("/api/v1/actions/start/{}", alias.alias),
        json!({"asynchronous": false, "timeoutSeconds": 600, "returnLog": true, "argument": {"path": "/img/*"}}),
    ))
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(s.sim.stats().infraxys_starts, 1);
}
