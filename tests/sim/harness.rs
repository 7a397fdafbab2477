//! The simulator's Harness NextGen face, exercised over raw HTTP the way a client would: paths,
//! envelopes, paging, the execute-to-completion flow, approvals through both APIs, and every
//! documented error with its verbatim text and status. Time only moves through `advance`.

use std::time::Duration;

use flightdeck_sim::{
    ApprovalStatus, ClockMode, RunStatus, SimHandle, SimOptions, UNMATCHED_ROUTE,
};
use reqwest::header::HeaderMap;
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

struct Sim {
    sim: SimHandle,
    http: Client,
}

struct Resp {
    status: StatusCode,
    body: Value,
    headers: HeaderMap,
}

async fn sim() -> Sim {
    let sim = SimHandle::start(SimOptions {
        clock: ClockMode::Manual,
        ..SimOptions::default()
    })
    .await
    .expect("simulator starts");
    Sim {
        sim,
        http: Client::new(),
    }
}

impl Sim {
    fn scope(&self, project: &str) -> String {
        format!(
            "accountIdentifier={}&orgIdentifier=default&projectIdentifier={project}",
            self.sim.account()
        )
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<(&str, String)>,
    ) -> Resp {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.sim.harness_url()));
        if let Some(t) = token {
            req = req.header("x-api-key", t);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some((content_type, text)) = body {
            req = req.header("content-type", content_type).body(text);
        }
        let res = req.send().await.expect("request is answered");
        let status = res.status();
        let headers = res.headers().clone();
        let text = res.text().await.expect("body is read");
        let body = serde_json::from_str(&text).unwrap_or_else(|_| panic!("JSON body: {text}"));
        Resp {
            status,
            body,
            headers,
        }
    }

    /// A legacy call with the admin PAT.
    async fn legacy(&self, method: Method, path: &str, body: Option<Value>) -> Resp {
        let tok = self.sim.harness_token();
        let body = body.map(|b| ("application/json", b.to_string()));
        self.send(method, path, Some(&tok), &[], body).await
    }

    /// A v1 call with `Harness-Account`.
    async fn v1(&self, method: Method, path: &str, token: &str, body: Option<Value>) -> Resp {
        let acc = self.sim.account();
        let body = body.map(|b| ("application/json", b.to_string()));
        self.send(
            method,
            path,
            Some(token),
            &[("Harness-Account", &acc)],
            body,
        )
        .await
    }

    async fn execute_yaml(&self, project: &str, pipeline: &str, token: &str, yaml: &str) -> Resp {
        let path = format!(
            "/pipeline/api/pipeline/execute/{pipeline}?{}&moduleType=cd",
            self.scope(project)
        );
        self.send(
            Method::POST,
            &path,
            Some(token),
            &[],
            Some(("application/yaml", yaml.to_string())),
        )
        .await
    }

    async fn execution(&self, project: &str, id: &str) -> Value {
        let path = format!(
            "/pipeline/api/pipelines/execution/v2/{id}?{}",
            self.scope(project)
        );
        let r = self.legacy(Method::GET, &path, None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.body["data"]["pipelineExecutionSummary"].clone()
    }

    async fn activity(&self, id: &str, token: &str, body: Value) -> Resp {
        let path = format!(
            "/pipeline/api/approvals/{id}/harness/activity?accountIdentifier={}",
            self.sim.account()
        );
        self.send(
            Method::POST,
            &path,
            Some(token),
            &[],
            Some(("application/json", body.to_string())),
        )
        .await
    }

    async fn v1_decide(
        &self,
        project: &str,
        exec: &str,
        query: &str,
        token: &str,
        body: Value,
    ) -> Resp {
        let path = format!("/v1/orgs/default/projects/{project}/approvals/execution/{exec}{query}");
        self.v1(Method::POST, &path, token, Some(body)).await
    }
}

fn assert_error(r: &Resp, status: u16, code: &str, message: &str) {
    assert_eq!(r.status.as_u16(), status, "{}", r.body);
    assert_eq!(r.body["status"], "ERROR", "{}", r.body);
    assert_eq!(r.body["code"], code, "{}", r.body);
    assert_eq!(r.body["message"], message, "{}", r.body);
    assert_eq!(r.body["responseMessages"][0]["code"], code);
    assert_eq!(r.body["responseMessages"][0]["message"], message);
    assert_eq!(r.body["correlationId"].as_str().map(str::len), Some(36));
}

fn assert_invalid(r: &Resp, text: &str) {
    assert_error(
        r,
        400,
        "INVALID_REQUEST",
        &format!("Invalid request: {text}"),
    );
}

fn assert_success(r: &Resp) {
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["status"], "SUCCESS");
    assert_eq!(r.body["metaData"], Value::Null);
    assert_eq!(r.body["correlationId"].as_str().map(str::len), Some(36));
}

const DEPLOY_YAML: &str = "pipeline:
  identifier: payments_api_deploy
  variables:
    - name: image_tag
      type: String
      value: \"1.44.0\"
    - name: skip_smoke_tests
      type: String
      value: <+input>.default(false).allowedValues(true,false)
";

#[tokio::test]
async fn pipeline_list_is_a_spring_page_in_a_response_envelope() {
    let s = sim().await;
    let scope = s.scope("payments");
    let filter = json!({"filterType": "PipelineSetup"});
    let r = s
        .legacy(
            Method::POST,
            &format!("/pipeline/api/pipelines/list?{scope}&page=0&size=3"),
            Some(filter.clone()),
        )
        .await;
    assert_success(&r);
    let page = &r.body["data"];
    assert_eq!(page["content"].as_array().map(Vec::len), Some(3));
    assert_eq!(page["totalElements"], 4);
    assert_eq!(page["totalPages"], 2);
    assert_eq!(
        (page["first"].clone(), page["last"].clone()),
        (json!(true), json!(false))
    );
    assert_eq!(page["pageable"]["pageSize"], 3);
    assert_eq!(page["numberOfElements"], 3);
    let first = &page["content"][0];
    for field in [
        "name",
        "identifier",
        "tags",
        "version",
        "numOfStages",
        "createdAt",
        "lastUpdatedAt",
        "modules",
        "executionSummaryInfo",
        "recentExecutionsInfo",
        "stageNames",
        "storeType",
    ] {
        assert!(!first[field].is_null(), "{field} missing in {first}");
    }
    let updated: Vec<i64> = page["content"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["lastUpdatedAt"].as_i64().unwrap())
        .collect();
    assert!(
        updated.windows(2).all(|w| w[0] >= w[1]),
        "sorted lastUpdatedAt DESC"
    );

    let last = s
        .legacy(
            Method::POST,
            &format!("/gateway/pipeline/api/pipelines/list?{scope}&page=1&size=3"),
            Some(filter),
        )
        .await;
    assert_success(&last);
    assert_eq!(
        last.body["data"]["content"].as_array().map(Vec::len),
        Some(1)
    );
    assert_eq!(last.body["data"]["last"], true);

    let search = s
        .legacy(
            Method::POST,
            &format!("/pipeline/api/pipelines/list?{scope}&searchTerm=LEDGER"),
            None,
        )
        .await;
    assert_eq!(
        search.body["data"]["content"][0]["identifier"],
        "ledger_migrations"
    );
    assert_eq!(search.body["data"]["totalElements"], 1);

    let bad = s
        .legacy(
            Method::POST,
            &format!("/pipeline/api/pipelines/list?{scope}"),
            Some(json!({"name": "x"})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.body["code"], 400);
    assert_eq!(bad.body["message"], "Unable to process JSON");

    let acc = s.sim.account();
    let tok = s.sim.harness_token();
    let missing = s
        .send(
            Method::POST,
            "/pipeline/api/pipelines/list?orgIdentifier=default",
            Some(&tok),
            &[("Harness-Account", &acc)],
            None,
        )
        .await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert_eq!(missing.body["status"], "FAILURE");
    assert_eq!(missing.body["code"], "INVALID_REQUEST");
    assert_eq!(
        missing.body["message"],
        "accountIdentifier: must not be null, projectIdentifier: must not be null"
    );
    assert_eq!(
        missing.body["errors"][1],
        json!({"fieldId": "projectIdentifier", "error": "must not be null"})
    );
}

#[tokio::test]
async fn v1_pipeline_list_is_a_bare_array_with_paging_headers() {
    let s = sim().await;
    let tok = s.sim.harness_token();
    let r = s
        .v1(
            Method::GET,
            "/v1/orgs/default/projects/platform/pipelines?limit=4&sort=name&order=ASC",
            &tok,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let items = r.body.as_array().expect("bare array");
    assert_eq!(items.len(), 4);
    assert_eq!(r.headers["X-Total-Elements"], "6");
    assert_eq!(r.headers["X-Page-Number"], "0");
    assert_eq!(r.headers["X-Page-Size"], "4");
    assert_eq!(items[0]["identifier"], "base_image_rebuild");
    assert!(items[0]["recent_execution_info"][0]["execution_status"].is_string());
    assert_eq!(items[0]["store_type"], "INLINE");

    let gw = s
        .v1(
            Method::GET,
            "/gateway/pipeline/api/v1/orgs/default/projects/platform/pipelines?page=1&limit=4",
            &tok,
            None,
        )
        .await;
    assert_eq!(gw.body.as_array().map(Vec::len), Some(2));

    let order = s
        .v1(
            Method::GET,
            "/v1/orgs/default/projects/platform/pipelines?order=ASC",
            &tok,
            None,
        )
        .await;
    assert_invalid(&order, "Order of sorting provided without Sort field.");
    let limit = s
        .v1(
            Method::GET,
            "/v1/orgs/default/projects/platform/pipelines?limit=101",
            &tok,
            None,
        )
        .await;
    assert_eq!(limit.body["status"], "FAILURE");
    assert_eq!(
        limit.body["message"],
        "limit: must be less than or equal to 100"
    );

    let one = s
        .v1(
            Method::GET,
            "/v1/orgs/default/projects/platform/pipelines/dns_record_sync",
            &tok,
            None,
        )
        .await;
    assert_eq!(one.body["identifier"], "dns_record_sync");
    assert!(
        one.body["pipeline_yaml"]
            .as_str()
            .unwrap()
            .contains("identifier: dns_record_sync")
    );
}

#[tokio::test]
async fn get_pipeline_summary_and_template() {
    let s = sim().await;
    let scope = s.scope("payments");
    let r = s
        .legacy(
            Method::GET,
            &format!("/pipeline/api/pipelines/payments_api_deploy?{scope}"),
            None,
        )
        .await;
    assert_success(&r);
    let yaml = r.body["data"]["yamlPipeline"].as_str().unwrap();
    assert!(yaml.contains("identifier: payments_api_deploy"));
    assert!(yaml.contains("type: HarnessApproval"));
    assert!(yaml.contains("value: <+input>.default(false).allowedValues(true,false)"));
    assert_eq!(r.body["data"]["storeType"], "INLINE");

    let summary = s
        .legacy(
            Method::GET,
            &format!("/pipeline/api/pipelines/summary/payments_api_deploy?{scope}"),
            None,
        )
        .await;
    assert_eq!(summary.body["data"]["numOfStages"], 4);

    let missing = s
        .legacy(
            Method::GET,
            &format!("/pipeline/api/pipelines/nope?{scope}"),
            None,
        )
        .await;
    assert_error(
        &missing,
        404,
        "ENTITY_NOT_FOUND",
        "Pipeline with the given ID: nope does not exist or has been deleted.",
    );

    let t = s
        .legacy(
            Method::POST,
            &format!(
                "/pipeline/api/inputSets/template?{scope}&pipelineIdentifier=ledger_migrations"
            ),
            None,
        )
        .await;
    assert_success(&t);
    let template = t.body["data"]["inputSetTemplateYaml"].as_str().unwrap();
    assert!(
        template.starts_with("pipeline:\n  identifier: ledger_migrations\n"),
        "{template}"
    );
    assert!(
        template.contains("type: Number\n    value: <+input>\n"),
        "{template}"
    );
    assert!(template.contains("type: Secret\n    value: <+input>\n"));
    assert!(template.contains("value: <+input>.default(true).allowedValues(true,false)"));
    assert_eq!(t.body["data"]["hasInputSets"], false);

    let none = s
        .legacy(
            Method::POST,
            &format!(
                "/pipeline/api/inputSets/template?{scope}&pipelineIdentifier=fraud_model_refresh"
            ),
            Some(json!({"stageIdentifiers": []})),
        )
        .await;
    assert_eq!(none.body["data"]["inputSetTemplateYaml"], "");
}

#[tokio::test]
async fn execute_validates_inputs_then_runs_to_completion() {
    let s = sim().await;
    s.sim.world().set_failures(false);
    let tok = s.sim.harness_token();

    let template = s.execute_yaml("payments", "payments_api_deploy", &tok, "pipeline:\n  identifier: payments_api_deploy\n  variables:\n    - name: image_tag\n      type: String\n      value: <+input>\n").await;
    assert_invalid(
        &template,
        "Runtime input pipeline.variables.image_tag is required and has no default value",
    );
    let not_allowed = s
        .execute_yaml(
            "payments",
            "payments_api_deploy",
            &tok,
            &DEPLOY_YAML.replace("<+input>.default(false).allowedValues(true,false)", "maybe"),
        )
        .await;
    assert_invalid(
        &not_allowed,
        "Value 'maybe' for pipeline.variables.skip_smoke_tests is not one of the allowed values [true, false]",
    );
    let number = s.execute_yaml("payments", "ledger_migrations", &tok, "pipeline:\n  variables:\n    - name: migration_version\n      value: soon\n    - name: db_admin_password\n      value: account.pw\n").await;
    assert_invalid(
        &number,
        "Value 'soon' for pipeline.variables.migration_version is not a valid Number",
    );
    let broken = s
        .execute_yaml(
            "payments",
            "payments_api_deploy",
            &tok,
            "pipeline: [unclosed",
        )
        .await;
    assert_eq!(broken.body["code"], "INVALID_REQUEST");
    let unknown = s.execute_yaml("payments", "nope", &tok, "").await;
    assert_error(
        &unknown,
        404,
        "ENTITY_NOT_FOUND",
        "Pipeline [nope] under Project[payments], Organization [default] doesn't exist or has been deleted.",
    );
    assert_eq!(s.sim.stats().starts, 0);

    let r = s
        .execute_yaml("payments", "payments_api_deploy", &tok, DEPLOY_YAML)
        .await;
    assert_success(&r);
    let plan = &r.body["data"]["planExecution"];
    assert_eq!(plan["status"], "RUNNING");
    let id = plan["uuid"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 22);
    assert!(
        id.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    );
    assert_eq!(
        plan["metadata"]["pipelineIdentifier"],
        "payments_api_deploy"
    );
    assert_eq!(s.sim.stats().starts, 1);

    let e = s.execution("payments", &id).await;
    assert_eq!(e["status"], "Running");
    assert_eq!(e["executionTriggerInfo"]["triggerType"], "MANUAL");
    assert_eq!(
        e["executionTriggerInfo"]["triggeredBy"]["extraInfo"]["email"],
        "demo.admin@example.com"
    );

    // The world does not move on its own on a manual clock.
    assert_eq!(s.execution("payments", &id).await["startTs"], e["startTs"]);
    s.sim.advance(Duration::from_secs(600));
    let e = s.execution("payments", &id).await;
    assert_eq!(e["status"], "ApprovalWaiting");
    assert_eq!(e["successfulStagesCount"], 2);
    assert_eq!(e["runningStagesCount"], 1);

    // Two approvals are needed: the first keeps the gate waiting.
    let gates = s.sim.world().gates_of(&id);
    assert_eq!(gates.len(), 1);
    let gate = &gates[0];
    let first = s
        .activity(
            &gate.approval,
            &tok,
            json!({"action": "APPROVE", "comments": "lgtm"}),
        )
        .await;
    assert_eq!(first.body["data"]["status"], "WAITING");
    let second = s
        .activity(
            &gate.approval,
            &s.sim.harness_second_token(),
            json!({"action": "APPROVE"}),
        )
        .await;
    assert_eq!(second.body["data"]["status"], "APPROVED");
    assert_eq!(
        second.body["data"]["details"]["approvalActivities"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    // The execution moves on shortly after the decision, not inside the call.
    assert_eq!(
        s.execution("payments", &id).await["status"],
        "ApprovalWaiting"
    );
    s.sim.advance(Duration::from_secs(5));
    assert_eq!(s.execution("payments", &id).await["status"], "Running");
    s.sim.advance(Duration::from_secs(600));
    let e = s.execution("payments", &id).await;
    assert_eq!(e["status"], "Success");
    assert_eq!(e["successfulStagesCount"], e["totalStagesCount"]);
    assert!(e["endTs"].as_i64().unwrap() > e["startTs"].as_i64().unwrap());
    for node in e["layoutNodeMap"].as_object().unwrap().values() {
        assert_eq!(node["status"], "Success", "{node}");
    }
    let stats = s.sim.stats();
    assert_eq!(stats.decisions[&gate.approval].approve, 2);
    assert_eq!(stats.decisions[&gate.approval].reject, 0);

    // v1 execute with JSON-wrapped YAML.
    let v1 = s
        .v1(Method::POST, "/v1/orgs/default/projects/checkout/pipelines/cart_service_deploy/execute?notes=hotfix", &tok, Some(json!({"inputs_yaml": "pipeline:\n  identifier: cart_service_deploy\n  variables:\n    - name: image_tag\n      type: String\n      value: 3.9.1\n"})))
        .await;
    assert_eq!(v1.status, StatusCode::OK, "{}", v1.body);
    assert_eq!(v1.body["execution_details"]["status"], "RUNNING");
    let v1_id = v1.body["execution_details"]["execution_id"]
        .as_str()
        .unwrap()
        .to_string();
    s.sim.advance(Duration::from_secs(900));
    let done = s.execution("checkout", &v1_id).await;
    assert_eq!(done["status"], "Success");
    assert_eq!(done["notesExistForPlanExecutionId"], true);
    assert_eq!(s.sim.stats().starts, 2);
}

#[tokio::test]
async fn waiting_gate_shows_its_instance_id_in_the_graph() {
    let s = sim().await;
    let gate = s.sim.world().waiting_gate().expect("gate");
    let scope = s.scope("platform");
    let plain = s
        .legacy(
            Method::GET,
            &format!(
                "/pipeline/api/pipelines/execution/v2/{}?{scope}",
                gate.execution
            ),
            None,
        )
        .await;
    assert_success(&plain);
    assert!(plain.body["data"].get("executionGraph").is_none());
    let summary = &plain.body["data"]["pipelineExecutionSummary"];
    assert_eq!(summary["status"], "ApprovalWaiting");
    let start = summary["startingNodeId"].as_str().unwrap();
    let first_stage = &summary["layoutNodeMap"][start];
    assert_eq!(first_stage["nodeIdentifier"], "change_approval");
    assert_eq!(first_stage["status"], "ApprovalWaiting");

    for path in [
        format!(
            "/pipeline/api/pipelines/execution/v2/{}?{scope}&renderFullBottomGraph=true",
            gate.execution
        ),
        format!(
            "/pipeline/api/pipelines/execution/{}?{scope}",
            gate.execution
        ),
        format!(
            "/pipeline/api/pipelines/execution/v2/{}?{scope}&stageNodeId={start}",
            gate.execution
        ),
    ] {
        let r = s.legacy(Method::GET, &path, None).await;
        let graph = &r.body["data"]["executionGraph"];
        let nodes = graph["nodeMap"].as_object().expect("graph");
        assert!(nodes.contains_key(graph["rootNodeId"].as_str().unwrap()));
        let step = nodes
            .values()
            .find(|n| n["stepType"] == "HarnessApproval" && n["status"] == "ApprovalWaiting")
            .expect("a waiting approval step");
        assert_eq!(
            step["executableResponses"][0]["async"]["callbackIds"][0],
            gate.approval.as_str()
        );
        assert_eq!(step["stepParameters"]["spec"]["callbackId"], "cert_change");
        let edges = graph["nodeAdjacencyListMap"].as_object().unwrap();
        assert!(
            edges
                .values()
                .any(|e| e["children"].as_array().unwrap().contains(&step["uuid"]))
        );
    }
    let stage_graph = s
        .legacy(
            Method::GET,
            &format!(
                "/pipeline/api/pipelines/execution/v2/{}?{scope}&stageNodeId={start}",
                gate.execution
            ),
            None,
        )
        .await;
    assert_eq!(
        stage_graph.body["data"]["executionGraph"]["rootNodeId"],
        first_stage["nodeExecutionId"]
    );

    let missing = s
        .legacy(
            Method::GET,
            &format!("/pipeline/api/pipelines/execution/v2/nope?{scope}"),
            None,
        )
        .await;
    assert_error(
        &missing,
        404,
        "ENTITY_NOT_FOUND",
        "Plan Execution Summary does not exist or has been deleted for planExecutionId: nope",
    );
}

#[tokio::test]
async fn legacy_approval_get_authorize_and_approve() {
    let s = sim().await;
    let gate = s.sim.world().waiting_gate().expect("gate");
    let tok = s.sim.harness_token();
    let acc = s.sim.account();
    let get = s
        .legacy(
            Method::GET,
            &format!(
                "/pipeline/api/approvals/{}?accountIdentifier={acc}",
                gate.approval
            ),
            None,
        )
        .await;
    assert_success(&get);
    let a = &get.body["data"];
    assert_eq!(a["type"], "HarnessApproval");
    assert_eq!(a["status"], "WAITING");
    assert_eq!(
        a["deadline"].as_i64().unwrap() - a["createdAt"].as_i64().unwrap(),
        3_600_000
    );
    assert_eq!(
        a["details"]["approverInputs"],
        json!([{"name": "change_ticket", "defaultValue": "CHG-0000"}])
    );
    assert_eq!(
        a["details"]["approvers"],
        json!({"userGroups": ["_project_all_users"], "minimumCount": 1, "disallowPipelineExecutor": true})
    );
    assert_eq!(
        a["details"]["validatedApprovalUserGroups"][0]["identifier"],
        "_project_all_users"
    );
    assert_eq!(a["errorMessage"], Value::Null);

    let wrong_account = s
        .legacy(
            Method::GET,
            &format!(
                "/pipeline/api/approvals/{}?accountIdentifier=other",
                gate.approval
            ),
            None,
        )
        .await;
    // The header names the key's account, so authentication passes; the handler compares.
    assert_eq!(wrong_account.status, StatusCode::UNAUTHORIZED);
    let header_first = s
        .send(
            Method::GET,
            &format!(
                "/pipeline/api/approvals/{}?accountIdentifier=other",
                gate.approval
            ),
            Some(&tok),
            &[("Harness-Account", &acc)],
            None,
        )
        .await;
    assert_invalid(
        &header_first,
        &format!(
            "Account Identifier provided other doesn't match with approval instance's account identifier: {acc}"
        ),
    );
    let unknown = s
        .legacy(
            Method::GET,
            "/pipeline/api/approvals/0123456789abcdef01234567",
            None,
        )
        .await;
    assert_invalid(&unknown, "Account detail is not present in the request");
    let unknown = s
        .legacy(
            Method::GET,
            &format!("/pipeline/api/approvals/0123456789abcdef01234567?accountIdentifier={acc}"),
            None,
        )
        .await;
    assert_invalid(
        &unknown,
        "Invalid approval instance id: 0123456789abcdef01234567",
    );

    let auth_path = format!(
        "/pipeline/api/approvals/{}/harness/authorization?accountIdentifier={acc}",
        gate.approval
    );
    let auth = s.legacy(Method::GET, &auth_path, None).await;
    assert_eq!(
        auth.body["data"],
        json!({"authorized": true, "reason": null})
    );

    let approve = s
        .activity(&gate.approval, &tok, json!({"action": "APPROVE", "comments": "ok", "approverInputs": [{"name": "change_ticket", "value": "CHG-1234"}, {"name": "", "value": "dropped"}, {"name": "note", "value": null}]}))
        .await;
    assert_success(&approve);
    let a = &approve.body["data"];
    assert_eq!(a["status"], "APPROVED");
    let act = &a["details"]["approvalActivities"][0];
    assert_eq!(act["action"], "APPROVE");
    assert_eq!(act["comments"], "ok");
    assert_eq!(act["user"]["email"], "demo.admin@example.com");
    assert_eq!(
        act["approverInputs"],
        json!([{"name": "change_ticket", "value": "CHG-1234"}, {"name": "note", "value": ""}])
    );
    assert_eq!(
        s.sim.world().approval_status(&gate.approval),
        Some(ApprovalStatus::Approved)
    );
    assert_eq!(
        s.sim.world().execution_status(&gate.execution),
        Some(RunStatus::Waiting)
    );
    s.sim.advance(Duration::from_secs(5));
    assert_eq!(
        s.sim.world().execution_status(&gate.execution),
        Some(RunStatus::Running)
    );

    let again = s
        .activity(&gate.approval, &tok, json!({"action": "APPROVE"}))
        .await;
    assert_invalid(&again, "User not authorized to approve/reject");
    let auth = s.legacy(Method::GET, &auth_path, None).await;
    assert_eq!(
        auth.body["data"],
        json!({"authorized": false, "reason": "You have already approved/rejected the pipeline"})
    );
    let other = s
        .activity(
            &gate.approval,
            &s.sim.harness_second_token(),
            json!({"action": "REJECT"}),
        )
        .await;
    assert_invalid(
        &other,
        "Unable to add Harness Approval Activity : Harness approval instance has already completed. Status: APPROVED",
    );
    let no_action = s
        .activity(&gate.approval, &tok, json!({"comments": "?"}))
        .await;
    assert_eq!(no_action.body["status"], "FAILURE");
    assert_eq!(no_action.body["message"], "action: must not be null");
    let bad_action = s
        .activity(&gate.approval, &tok, json!({"action": "MAYBE"}))
        .await;
    assert_eq!(bad_action.body["message"], "Unable to process JSON");
    // A user outside the gate's groups: the DBA review of a ledger migration.
    let migration = s
        .sim
        .world()
        .start("payments", "ledger_migrations")
        .expect("started");
    s.sim.advance(Duration::from_secs(60));
    let dba = s.sim.world().gates_of(&migration).remove(0);
    assert_eq!(dba.step, "dba_review");
    let outsider = s
        .activity(
            &dba.approval,
            &s.sim.harness_second_token(),
            json!({"action": "APPROVE"}),
        )
        .await;
    assert_invalid(&outsider, "User not authorized to approve/reject");
    let unknown = s
        .activity(
            "0123456789abcdef01234567",
            &tok,
            json!({"action": "APPROVE"}),
        )
        .await;
    assert_invalid(
        &unknown,
        "Invalid harness approval instance id: 0123456789abcdef01234567",
    );
    assert_eq!(s.sim.stats().total_decisions(), 1);
    let sat = s
        .activity(
            &dba.approval,
            &s.sim.harness_sat_token(),
            json!({"action": "APPROVE"}),
        )
        .await;
    assert_invalid(
        &sat,
        "SERVICE_ACCOUNT is not supported for Harness Approval Step yet",
    );
}

#[tokio::test]
async fn v1_reject_by_execution_and_callback_id() {
    let s = sim().await;
    let gate = s.sim.world().waiting_gate().expect("gate");
    let tok = s.sim.harness_token();
    let r = s
        .v1_decide(
            "platform",
            &gate.execution,
            "?callback_id=cert_change",
            &tok,
            json!({"action": "REJECT", "comments": "not now"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["id"], gate.approval.as_str());
    assert_eq!(r.body["status"], "REJECTED");
    assert_eq!(r.body["error_message"], Value::Null);
    assert!(r.body["created"].is_i64() && r.body["updated"].is_i64());
    assert_eq!(
        r.body["details"]["approvalActivities"][0]["action"],
        "REJECT"
    );
    s.sim.advance(Duration::from_secs(5));
    let e = s.execution("platform", &gate.execution).await;
    assert_eq!(e["status"], "ApprovalRejected");
    assert!(e["endTs"].is_i64());
    assert_eq!(s.sim.stats().decisions[&gate.approval].reject, 1);

    let again = s
        .v1_decide(
            "platform",
            &gate.execution,
            "",
            &tok,
            json!({"action": "APPROVE"}),
        )
        .await;
    assert_invalid(
        &again,
        &format!(
            "Found no Harness Approval Instance waiting for pipeline execution id: {} and callback id: null",
            gate.execution
        ),
    );
}

#[tokio::test]
async fn v1_approve_by_execution_errors_in_server_order() {
    let s = sim().await;
    let tok = s.sim.harness_token();
    let (exec, gates) = s.sim.world().two_waiting_gates().expect("two gates");
    assert_eq!(gates.len(), 2);
    let approve = json!({"action": "APPROVE"});

    let many = s
        .v1_decide("payments", &exec, "", &tok, approve.clone())
        .await;
    assert_invalid(
        &many,
        &format!(
            "Found more than 1 Harness Approval Instance waiting for pipeline execution id: {exec} and callback id: null"
        ),
    );
    let none = s
        .v1_decide(
            "payments",
            &exec,
            "?callback_id=nope",
            &tok,
            approve.clone(),
        )
        .await;
    assert_invalid(
        &none,
        &format!(
            "Found no Harness Approval Instance waiting for pipeline execution id: {exec} and callback id: nope"
        ),
    );
    let elsewhere = s
        .v1_decide(
            "checkout",
            &exec,
            "?callback_id=eu_signoff",
            &tok,
            approve.clone(),
        )
        .await;
    assert_invalid(
        &elsewhere,
        &format!(
            "execution_id param value provided doesn't belong to Account: {}, Org: default, Project: checkout or the pipeline has been deleted",
            s.sim.account()
        ),
    );
    let no_action = s
        .v1_decide(
            "payments",
            &exec,
            "?callback_id=eu_signoff",
            &tok,
            json!({"comments": "x"}),
        )
        .await;
    assert_invalid(
        &no_action,
        "action in request body should be one of [APPROVE, REJECT]",
    );
    let sat = s
        .v1_decide(
            "payments",
            &exec,
            "?callback_id=eu_signoff",
            &s.sim.harness_sat_token(),
            approve.clone(),
        )
        .await;
    assert_invalid(
        &sat,
        "SERVICE_ACCOUNT is not supported for Harness Approval Step yet",
    );

    let viewer = s.sim.harness_unauthorized_token();
    let denied = s
        .v1_decide(
            "payments",
            &exec,
            "?callback_id=eu_signoff",
            &viewer,
            approve.clone(),
        )
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    assert_eq!(denied.body["code"], "NG_ACCESS_DENIED");
    assert!(
        denied.body["message"]
            .as_str()
            .unwrap()
            .contains("Missing permission core_pipeline_execute on pipeline")
    );
    assert_eq!(
        denied.body["failedPermissionChecks"][0]["permission"],
        "core_pipeline_execute"
    );

    let path = format!(
        "/v1/orgs/default/projects/payments/approvals/execution/{exec}?callback_id=eu_signoff&accountIdentifier={}",
        s.sim.account()
    );
    let no_header = s
        .send(
            Method::POST,
            &path,
            Some(&tok),
            &[],
            Some(("application/json", approve.to_string())),
        )
        .await;
    assert_invalid(&no_header, "harnessAccount param value is required");

    // The camelCase spelling of the inputs is accepted as well.
    let ok = s
        .v1_decide("payments", &exec, "?callback_id=eu_signoff", &tok, json!({"action": "APPROVE", "approverInputs": [{"name": "eu_change", "value": "CHG-EU-7"}]}))
        .await;
    assert_eq!(ok.body["status"], "APPROVED", "{}", ok.body);
    assert_eq!(
        ok.body["details"]["approvalActivities"][0]["approverInputs"],
        json!([{"name": "eu_change", "value": "CHG-EU-7"}])
    );
    let snake = s
        .v1_decide("payments", &exec, "", &s.sim.harness_second_token(), json!({"action": "APPROVE", "approver_inputs": [{"name": "us_change", "value": "CHG-US-9"}]}))
        .await;
    assert_eq!(snake.body["status"], "APPROVED", "{}", snake.body);
    assert_eq!(
        snake.body["details"]["approvalActivities"][0]["approverInputs"][0]["value"],
        "CHG-US-9"
    );
    s.sim.advance(Duration::from_secs(5));
    assert_eq!(
        s.sim.world().execution_status(&exec),
        Some(RunStatus::Running)
    );

    // The person who started the run may not decide a gate that blocks the executor.
    let run = s
        .execute_yaml("platform", "rotate_certificates", &tok, "")
        .await;
    let own = run.body["data"]["planExecution"]["uuid"]
        .as_str()
        .unwrap()
        .to_string();
    let blocked = s
        .v1_decide("platform", &own, "", &tok, approve.clone())
        .await;
    assert_invalid(&blocked, "User not authorized to approve/reject");
    let gate = s.sim.world().gates_of(&own).remove(0);
    let auth = s
        .legacy(
            Method::GET,
            &format!(
                "/pipeline/api/approvals/{}/harness/authorization?accountIdentifier={}",
                gate.approval,
                s.sim.account()
            ),
            None,
        )
        .await;
    assert_eq!(
        auth.body["data"]["reason"],
        "Pipeline executor is not allowed to approve/reject"
    );
    let viewer_auth = s
        .send(
            Method::GET,
            &format!(
                "/pipeline/api/approvals/{}/harness/authorization?accountIdentifier={}",
                gates[0].approval,
                s.sim.account()
            ),
            Some(&viewer),
            &[],
            None,
        )
        .await;
    assert_eq!(
        viewer_auth.body["data"],
        json!({"authorized": false, "reason": "You are not authorized to approve/reject"})
    );
}

#[tokio::test]
async fn expired_gate_fails_the_step_and_refuses_decisions() {
    let s = sim().await;
    let tok = s.sim.harness_token();
    let gate = s.sim.world().waiting_gate().expect("gate");
    assert!(s.sim.world().expire(&gate.approval));
    assert_eq!(
        s.sim.world().execution_status(&gate.execution),
        Some(RunStatus::Expired)
    );
    let r = s
        .activity(&gate.approval, &tok, json!({"action": "APPROVE"}))
        .await;
    assert_invalid(
        &r,
        "Unable to add Harness Approval Activity : Harness approval instance has already expired",
    );
    let get = s
        .legacy(
            Method::GET,
            &format!(
                "/pipeline/api/approvals/{}?accountIdentifier={}",
                gate.approval,
                s.sim.account()
            ),
            None,
        )
        .await;
    assert_eq!(get.body["data"]["status"], "EXPIRED");
    let e = s.execution("platform", &gate.execution).await;
    assert_eq!(e["status"], "Expired");

    // A deadline passing on the clock has the same effect: the gate's timeout is one hour.
    let late = s.sim.world().waiting_gate().expect("gate");
    s.sim.advance(Duration::from_secs(3601));
    assert_eq!(
        s.sim.world().approval_status(&late.approval),
        Some(ApprovalStatus::Expired)
    );
    assert_eq!(
        s.sim.world().execution_status(&late.execution),
        Some(RunStatus::Expired)
    );
    assert_eq!(s.sim.stats().total_decisions(), 0);
}

#[tokio::test]
async fn v1_list_approvals_of_an_execution() {
    let s = sim().await;
    let tok = s.sim.harness_token();
    let (exec, gates) = s.sim.world().two_waiting_gates().expect("two gates");
    let base = format!("/v1/orgs/default/projects/payments/approvals/execution/{exec}");
    let all = s
        .v1(
            Method::GET,
            &format!("{base}?approval_status=WAITING&approval_type=HarnessApproval"),
            &tok,
            None,
        )
        .await;
    assert_eq!(all.body.as_array().map(Vec::len), Some(2), "{}", all.body);
    assert_eq!(all.body[0]["type"], "HarnessApproval");
    assert!(all.body[0].get("createdAt").is_none() && all.body[0]["created"].is_i64());

    let graph = s
        .legacy(
            Method::GET,
            &format!(
                "/pipeline/api/pipelines/execution/{exec}?{}",
                s.scope("payments")
            ),
            None,
        )
        .await;
    let node = graph.body["data"]["executionGraph"]["nodeMap"]
        .as_object()
        .unwrap()
        .values()
        .find(|n| {
            n["executableResponses"][0]["async"]["callbackIds"][0] == gates[1].approval.as_str()
        })
        .expect("node of the second gate")["uuid"]
        .as_str()
        .unwrap()
        .to_string();
    let one = s
        .v1(
            Method::GET,
            &format!("{base}?node_execution_id={node}"),
            &tok,
            None,
        )
        .await;
    assert_eq!(one.body.as_array().map(Vec::len), Some(1));
    assert_eq!(one.body[0]["id"], gates[1].approval.as_str());
    let approved = s
        .v1(
            Method::GET,
            &format!("{base}?approval_status=APPROVED"),
            &tok,
            None,
        )
        .await;
    assert_eq!(approved.body, json!([]));

    let bad_type = s
        .v1(
            Method::GET,
            &format!("{base}?approval_type=Bogus"),
            &tok,
            None,
        )
        .await;
    assert_invalid(
        &bad_type,
        "approval_type param value should be one of [HarnessApproval, JiraApproval, CustomApproval, ServiceNowApproval]",
    );
    let bad_status = s
        .v1(
            Method::GET,
            &format!("{base}?approval_status=waiting"),
            &tok,
            None,
        )
        .await;
    assert_invalid(
        &bad_status,
        "approval_status param value should be one of [WAITING, APPROVED, REJECTED, FAILED, ABORTED, EXPIRED]",
    );
    let bad_exec = s
        .v1(
            Method::GET,
            "/v1/orgs/default/projects/payments/approvals/execution/nope",
            &tok,
            None,
        )
        .await;
    assert_invalid(
        &bad_exec,
        &format!(
            "execution_id param value provided doesn't belong to Account: {}, Org: default, Project: payments or the pipeline has been deleted",
            s.sim.account()
        ),
    );
    let no_header = s
        .send(
            Method::GET,
            &format!("{base}?accountIdentifier={}", s.sim.account()),
            Some(&tok),
            &[],
            None,
        )
        .await;
    assert_invalid(&no_header, "harnessAccount param value is required");
}

#[tokio::test]
async fn execution_list_pages_filters_and_validates_size() {
    let s = sim().await;
    let scope = s.scope("payments");
    let path = format!("/pipeline/api/pipelines/execution/summary?{scope}");
    let filter = json!({"filterType": "PipelineExecution"});
    let r = s
        .legacy(
            Method::POST,
            &format!("{path}&page=0&size=20"),
            Some(filter),
        )
        .await;
    assert_success(&r);
    let page = &r.body["data"];
    assert_eq!(page["size"], 20);
    assert!(page["totalElements"].as_u64().unwrap() > 20);
    let content = page["content"].as_array().unwrap();
    let starts: Vec<i64> = content
        .iter()
        .map(|e| e["startTs"].as_i64().unwrap())
        .collect();
    assert!(starts.windows(2).all(|w| w[0] >= w[1]), "startTs DESC");
    for e in content {
        let start = e["startingNodeId"].as_str().unwrap();
        assert!(e["layoutNodeMap"].get(start).is_some());
        assert!(e["executionTriggerInfo"]["triggerType"].is_string());
        assert!(e["totalStagesCount"].as_u64().unwrap() > 0);
    }

    let waiting = s
        .legacy(
            Method::POST,
            &format!("{path}&status=ApprovalWaiting&status=Running&size=100"),
            None,
        )
        .await;
    let waiting = waiting.body["data"]["content"].as_array().unwrap().clone();
    assert!(!waiting.is_empty());
    assert!(
        waiting
            .iter()
            .all(|e| e["status"] == "ApprovalWaiting" || e["status"] == "Running")
    );
    let legacy_name = s
        .legacy(
            Method::POST,
            &format!("{path}&status=APPROVAL_WAITING&size=100"),
            None,
        )
        .await;
    assert!(
        legacy_name.body["data"]["content"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["status"] == "ApprovalWaiting")
    );
    let body_status = s
        .legacy(
            Method::POST,
            &format!("{path}&pipelineIdentifier=payments_api_deploy&size=100"),
            Some(json!({"filterType": "PipelineExecution", "status": ["Success"]})),
        )
        .await;
    let items = body_status.body["data"]["content"].as_array().unwrap();
    assert!(!items.is_empty());
    assert!(
        items
            .iter()
            .all(|e| e["status"] == "Success" && e["pipelineIdentifier"] == "payments_api_deploy")
    );

    let size_error = "Please Verify Executions list parameters for page and size, page should be >= 0 and size should be > 0 and <=1000";
    for q in ["size=0", "size=1001", "page=-1"] {
        let r = s.legacy(Method::POST, &format!("{path}&{q}"), None).await;
        assert_invalid(&r, size_error);
    }
    let not_int = s
        .legacy(Method::POST, &format!("{path}&size=99999999999"), None)
        .await;
    assert_eq!(not_int.body["code"], "RESOURCE_NOT_FOUND_EXCEPTION");
    let bad_status = s
        .legacy(Method::POST, &format!("{path}&status=Sleeping"), None)
        .await;
    assert_eq!(bad_status.body["code"], "RESOURCE_NOT_FOUND_EXCEPTION");
}

#[tokio::test]
async fn authentication_and_account_resolution() {
    let s = sim().await;
    let acc = s.sim.account();
    let tok = s.sim.harness_token();
    let scope = s.scope("payments");
    let list = format!("/pipeline/api/pipelines/list?{scope}");

    let none = s.send(Method::POST, &list, None, &[], None).await;
    assert_error(&none, 401, "INVALID_TOKEN", "Token is not valid.");
    let wrong_secret = format!("{}x", tok);
    let r = s
        .send(Method::POST, &list, Some(&wrong_secret), &[], None)
        .await;
    assert_error(&r, 401, "INVALID_TOKEN", "Token is not valid.");
    for bad in ["garbage", "pat.only.three", "xat.a.b.c"] {
        let r = s.send(Method::POST, &list, Some(bad), &[], None).await;
        assert_error(&r, 401, "INVALID_TOKEN", "Token is not valid.");
    }
    let other_account = s
        .send(Method::POST, "/pipeline/api/pipelines/list?accountIdentifier=other&orgIdentifier=default&projectIdentifier=payments", Some(&tok), &[], None)
        .await;
    assert_error(&other_account, 401, "INVALID_TOKEN", "Token is not valid.");
    let no_account = s
        .send(
            Method::POST,
            "/pipeline/api/pipelines/list?orgIdentifier=default&projectIdentifier=payments",
            Some(&tok),
            &[],
            None,
        )
        .await;
    assert_invalid(&no_account, "Account detail is not present in the request");

    // Harness-Account wins over the query; `account` wins over `accountIdentifier`.
    let header = s
        .send(Method::POST, "/pipeline/api/pipelines/list?accountIdentifier=other&orgIdentifier=default&projectIdentifier=payments", Some(&tok), &[("Harness-Account", &acc)], None)
        .await;
    assert_success(&header);
    assert_eq!(
        header.body["data"]["totalElements"], 0,
        "the listing itself is scoped by accountIdentifier"
    );
    let query = s
        .send(Method::POST, &format!("/pipeline/api/pipelines/list?account={acc}&accountIdentifier=other&orgIdentifier=default&projectIdentifier=payments"), Some(&tok), &[], None)
        .await;
    assert_success(&query);

    let sat = s
        .send(
            Method::POST,
            &list,
            Some(&s.sim.harness_sat_token()),
            &[],
            None,
        )
        .await;
    assert_success(&sat);
    let viewer = s.sim.harness_unauthorized_token();
    let view = s.send(Method::POST, &list, Some(&viewer), &[], None).await;
    assert_success(&view);
    let exec = s
        .execute_yaml("payments", "fraud_model_refresh", &viewer, "")
        .await;
    assert_eq!(exec.status, StatusCode::FORBIDDEN);
    assert_eq!(exec.body["status"], "ERROR");
    assert_eq!(exec.body["code"], "NG_ACCESS_DENIED");
    assert!(exec.body["message"].as_str().unwrap().ends_with(
        "Missing permission core_pipeline_execute on pipeline with identifier fraud_model_refresh"
    ));
    assert_eq!(
        exec.body["failedPermissionChecks"][0]["resourceIdentifier"],
        "fraud_model_refresh"
    );
    assert_eq!(
        exec.body["failedPermissionChecks"][0]["resourceScope"]["projectIdentifier"],
        "payments"
    );
    assert_eq!(s.sim.stats().starts, 0);
}

#[tokio::test]
async fn unknown_routes_answer_400_without_authentication() {
    let s = sim().await;
    let r = s
        .send(Method::GET, "/pipeline/api/nope", None, &[], None)
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body["status"], "FAILURE");
    assert_eq!(r.body["code"], "RESOURCE_NOT_FOUND_EXCEPTION");
    assert_eq!(r.body["message"], "HTTP 404 Not Found");
    assert_eq!(r.body["errors"], Value::Null);
    assert_eq!(r.body["correlationId"].as_str().map(str::len), Some(36));
    let method = s
        .send(Method::GET, "/pipeline/api/pipelines/list", None, &[], None)
        .await;
    assert_eq!(method.status, StatusCode::BAD_REQUEST);
    assert_eq!(method.body["message"], "HTTP 405 Method Not Allowed");
    let stats = s.sim.stats();
    assert_eq!(stats.requests_to("GET", UNMATCHED_ROUTE), 1);
    assert_eq!(stats.requests_to("GET", "/pipeline/api/pipelines/list"), 1);
    assert_eq!(stats.total_requests, 2);
}

#[tokio::test]
async fn abort_interrupt() {
    let s = sim().await;
    let exec = s
        .sim
        .world()
        .start("checkout", "cart_service_deploy")
        .expect("started");
    let scope = s.scope("checkout");
    let path =
        format!("/pipeline/api/pipeline/execute/interrupt/{exec}?{scope}&interruptType=AbortAll");
    let viewer = s.sim.harness_unauthorized_token();
    let denied = s.send(Method::PUT, &path, Some(&viewer), &[], None).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    let r = s.legacy(Method::PUT, &path, None).await;
    assert_success(&r);
    assert_eq!(r.body["data"]["type"], "AbortAll");
    assert_eq!(r.body["data"]["planExecutionId"], exec.as_str());
    // Asynchronous: `Discontinuing` until the running task winds down.
    let e = s.execution("checkout", &exec).await;
    assert_eq!(e["status"], "Discontinuing");
    let again = s.legacy(Method::PUT, &path, None).await;
    assert_eq!(again.body["code"], "ABORT_ALL_ALREADY_NG");
    s.sim.advance(Duration::from_secs(5));
    let e = s.execution("checkout", &exec).await;
    assert_eq!(e["status"], "Aborted");
    assert_eq!(e["abortedBy"]["email"], "demo.admin@example.com");
    let again = s.legacy(Method::PUT, &path, None).await;
    assert_eq!(again.body["code"], "INVALID_REQUEST");
    assert_eq!(
        again.body["message"],
        "Invalid request: Execution is already finished with status: [ABORTED]"
    );
    let pause = s
        .legacy(Method::PUT, &path.replace("AbortAll", "Pause"), None)
        .await;
    assert_eq!(pause.body["code"], "RESOURCE_NOT_FOUND_EXCEPTION");
}

#[tokio::test]
async fn rate_limit_answers_429_without_retry_after() {
    let s = sim().await;
    s.sim.set_harness_rate_limit(Some(3));
    let path = format!(
        "/pipeline/api/pipelines/summary/dns_record_sync?{}",
        s.scope("platform")
    );
    for _ in 0..3 {
        assert_success(&s.legacy(Method::GET, &path, None).await);
    }
    let limited = s.legacy(Method::GET, &path, None).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.headers.get("retry-after").is_none());
    assert_eq!(limited.body["code"], "TOO_MANY_REQUESTS");
    let other = s
        .send(
            Method::GET,
            &path,
            Some(&s.sim.harness_second_token()),
            &[],
            None,
        )
        .await;
    assert_success(&other);
    assert_eq!(s.sim.stats().rate_limited, 1);
    s.sim.set_harness_rate_limit(None);
    assert_success(&s.legacy(Method::GET, &path, None).await);
}

#[tokio::test]
async fn hostile_input_gets_errors_not_crashes() {
    let s = sim().await;
    let tok = s.sim.harness_token();
    let scope = s.scope("payments");
    let bomb = "a: &a [\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n";
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    for body in [
        bomb.to_string(),
        deep.clone(),
        "pipeline:\n  variables: 7\n".to_string(),
        "pipeline:\n  variables:\n    - value: x\n".to_string(),
        "*undefined".to_string(),
        "\u{0}\u{1}binary".to_string(),
    ] {
        let r = s
            .execute_yaml("payments", "payments_api_deploy", &tok, &body)
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
        assert_eq!(r.body["code"], "INVALID_REQUEST");
    }
    let r = s
        .send(
            Method::POST,
            &format!("/pipeline/api/pipelines/list?{scope}"),
            Some(&tok),
            &[],
            Some(("application/json", deep)),
        )
        .await;
    assert_eq!(r.body["message"], "Unable to process JSON");
    let r = s
        .send(
            Method::POST,
            &format!("/pipeline/api/pipelines/list?{scope}&page=2147483647&size=2147483647"),
            Some(&tok),
            &[],
            None,
        )
        .await;
    assert_success(&r);
    assert_eq!(r.body["data"]["content"], json!([]));
    let r = s
        .send(
            Method::POST,
            &format!("/pipeline/api/pipelines/list?{scope}&page=-1"),
            Some(&tok),
            &[],
            None,
        )
        .await;
    assert_error(
        &r,
        500,
        "UNKNOWN_ERROR",
        "Oops, something went wrong on our end. Please contact Harness Support.",
    );
    let r = s
        .send(
            Method::GET,
            "/pipeline/api/pipelines/%FF%FE?x=%zz",
            Some(&tok),
            &[],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(s.sim.stats().starts, 0);
    // Still serving.
    assert_success(
        &s.legacy(
            Method::GET,
            &format!("/pipeline/api/pipelines/summary/ledger_migrations?{scope}"),
            None,
        )
        .await,
    );
}

/// Every execution of a project, without the per-request correlation id.
async fn executions(s: &Sim) -> Value {
    let path = format!(
        "/pipeline/api/pipelines/execution/summary?{}&size=1000",
        s.scope("checkout")
    );
    let mut r = s.legacy(Method::POST, &path, None).await;
    r.body["correlationId"] = Value::Null;
    r.body
}

#[tokio::test]
async fn same_seed_same_answers() {
    let a = sim().await;
    let b = sim().await;
    assert_eq!(a.sim.account(), b.sim.account());
    assert_eq!(a.sim.projects(), vec!["payments", "checkout", "platform"]);
    assert_eq!(executions(&a).await, executions(&b).await);
    a.sim.advance(Duration::from_secs(3600));
    b.sim.advance(Duration::from_secs(3600));
    assert_eq!(executions(&a).await, executions(&b).await);
    assert!(!a.sim.world().waiting_gates().is_empty());
}

#[tokio::test]
async fn long_jumps_finish_and_leave_a_consistent_world() {
    let s = sim().await;
    let gate = s.sim.world().waiting_gate().expect("gate");
    s.sim.advance(Duration::from_secs(40 * 86_400));
    assert_eq!(
        s.sim.world().execution_status(&gate.execution),
        Some(RunStatus::Expired)
    );
    let r = s
        .legacy(
            Method::POST,
            &format!(
                "/pipeline/api/pipelines/execution/summary?{}&size=1000",
                s.scope("platform")
            ),
            None,
        )
        .await;
    assert_success(&r);
    assert!(
        r.body["data"]["totalElements"].as_u64().unwrap() <= 6 * 50,
        "history is capped"
    );
    s.sim.advance(Duration::MAX);
    assert!(s.sim.now_ms() < 253_402_300_800_000);
    assert_success(
        &s.legacy(
            Method::POST,
            &format!("/pipeline/api/pipelines/list?{}", s.scope("platform")),
            None,
        )
        .await,
    );
}
