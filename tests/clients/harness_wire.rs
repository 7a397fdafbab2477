//! The Harness NextGen client against a recording mock server that answers with the spec's
//! example bodies: what is sent (paths, queries, headers, bodies) and what is made of the
//! answers. The full client-versus-simulator tests live elsewhere.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use secrecy::SecretString;
use url::Url;

use flightdeck::backend::Backend;
use flightdeck::backend::harness::{HarnessBackend, HarnessOptions};
use flightdeck::domain::{
    Approval, BackendError, Decision, DecisionAction, DecisionOutcome, ExecRef, ExecStatus,
    StartRequest, VarKind,
};

const KEY: &str = "pat.acc.tok1.s3cr3t-value";

#[derive(Debug, Clone)]
struct Seen {
    method: Method,
    path: String,
    query: Vec<(String, String)>,
    headers: HeaderMap,
    body: String,
}

impl Seen {
    fn q(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: String,
}

fn ok(body: impl Into<String>) -> Reply {
    Reply {
        status: 200,
        headers: vec![("content-type", "application/json".into())],
        body: body.into(),
    }
}

fn fail(status: u16, body: impl Into<String>) -> Reply {
    Reply { status, ..ok(body) }
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/harness/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn envelope(data: serde_json::Value) -> String {
    serde_json::json!({"status": "SUCCESS", "data": data, "metaData": null, "correlationId": "c"})
        .to_string()
}

type Handler = dyn Fn(&Seen) -> Reply + Send + Sync;

struct Mock {
    base: Url,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Mock {
    /// Serves `reply` under `prefix` (e.g. `/gateway`); anything outside it is a 404.
    async fn start(prefix: &str, reply: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> Mock {
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let handler: Arc<Handler> = Arc::new(reply);
        let prefix_owned = prefix.to_owned();
        let log = seen.clone();
        let app = Router::new().fallback(
            move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                let handler = handler.clone();
                let log = log.clone();
                let prefix = prefix_owned.clone();
                async move {
                    let Some(path) = uri.path().strip_prefix(&prefix) else {
                        return StatusCode::NOT_FOUND.into_response();
                    };
                    let query = url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
                        .into_owned()
                        .collect();
                    let request = Seen {
                        method,
                        path: path.to_owned(),
                        query,
                        headers,
                        body: String::from_utf8_lossy(&body).into_owned(),
                    };
                    let reply = handler(&request);
                    log.lock().unwrap().push(request);
                    let mut response: Response =
                        (StatusCode::from_u16(reply.status).unwrap(), reply.body).into_response();
                    for (name, value) in reply.headers {
                        response.headers_mut().insert(name, value.parse().unwrap());
                    }
                    response
                }
            },
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Mock {
            base: Url::parse(&format!("http://{addr}{prefix}")).unwrap(),
            seen,
        }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    fn backend(&self, projects: &[&str]) -> HarnessBackend {
        HarnessBackend::new(options(self.base.clone(), projects)).unwrap()
    }
}

fn options(base_url: Url, projects: &[&str]) -> HarnessOptions {
    HarnessOptions {
        name: "hx".into(),
        base_url,
        account: "acc".into(),
        org: "default".into(),
        projects: projects.iter().map(|p| p.to_string()).collect(),
        api_key: SecretString::from(KEY),
        timeout: Duration::from_secs(5),
        ca_file: None,
        insecure_skip_verify: false,
    }
}

fn assert_authenticated(seen: &[Seen]) {
    assert!(!seen.is_empty());
    for s in seen {
        assert_eq!(s.header("x-api-key"), Some(KEY), "{} {}", s.method, s.path);
        assert_eq!(
            s.header("harness-account"),
            Some("acc"),
            "{} {}",
            s.method,
            s.path
        );
        assert!(
            s.header("user-agent").unwrap().starts_with("flightdeck/"),
            "{:?}",
            s.header("user-agent")
        );
    }
}

fn pipeline(id: &str) -> serde_json::Value {
    serde_json::json!({"identifier": id, "name": id.to_uppercase(), "tags": {}})
}

#[tokio::test]
async fn lists_pipelines_of_every_project_and_page_behind_a_gateway_prefix() {
    let mock = Mock::start("/gateway", |s| {
        assert_eq!(s.path, "/pipeline/api/pipelines/list");
        let page: u64 = s.q("page").unwrap().parse().unwrap();
        match (s.q("projectIdentifier").unwrap(), page) {
            ("payments", _) => ok(fixture("pipelines_page.json")),
            ("checkout", 0) => ok(envelope(serde_json::json!({
                "content": [pipeline("a"), pipeline("b")], "number": 0, "totalPages": 2, "last": false
            }))),
            ("checkout", 1) => ok(envelope(serde_json::json!({
                "content": [pipeline("c")], "number": 1, "totalPages": 2, "last": true
            }))),
            other => panic!("unexpected {other:?}"),
        }
    })
    .await;
    let backend = mock.backend(&["payments", "checkout"]);
    let pipelines = backend.list_pipelines().await.unwrap();

    let ids: Vec<(&str, &str)> = pipelines
        .iter()
        .map(|p| (p.project.as_str(), p.id.as_str()))
        .collect();
    assert_eq!(
        ids,
        vec![
            ("payments", "deploy"),
            ("checkout", "a"),
            ("checkout", "b"),
            ("checkout", "c")
        ]
    );
    let deploy = &pipelines[0];
    assert_eq!(&*deploy.backend, "hx");
    assert_eq!(deploy.name, "Deploy");
    assert_eq!(deploy.tags, vec![("team".into(), "payments".into())]);
    assert_eq!(deploy.stages, Some(3));
    let last = deploy.last_status.as_ref().unwrap();
    assert_eq!(
        (last.status, last.raw.as_str()),
        (ExecStatus::Succeeded, "Success")
    );
    assert_eq!(deploy.last_run.unwrap().as_millisecond(), 1_700_200_000_000);

    let seen = mock.seen();
    assert_eq!(seen.len(), 3);
    assert_authenticated(&seen);
    for s in &seen {
        assert_eq!(s.method, Method::POST);
        assert_eq!(s.q("accountIdentifier"), Some("acc"));
        assert_eq!(s.q("orgIdentifier"), Some("default"));
        assert_eq!(s.q("size"), Some("100"));
        assert_eq!(s.header("content-type"), Some("application/json"));
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&s.body).unwrap(),
            serde_json::json!({"filterType": "PipelineSetup"})
        );
    }
}

#[tokio::test]
async fn paging_stops_at_the_hard_cap() {
    // A server that never says "last".
    let mock = Mock::start("", |_| {
        ok(envelope(serde_json::json!({"content": [pipeline("x")]})))
    })
    .await;
    let pipelines = mock.backend(&["p"]).list_pipelines().await.unwrap();
    assert_eq!(pipelines.len(), 100);
    assert_eq!(mock.seen().len(), 100);
}

const FULL_TEMPLATE: &str = "pipeline:\n  identifier: deploy\n  stages:\n    - stage:\n        identifier: prod\n        spec:\n          environment:\n            environmentRef: <+input>.allowedValues(prod_eu,prod_us)\n  variables:\n    - name: tag\n      type: String\n      value: <+input>\n    - name: replicas\n      type: Number\n      value: <+input>.default(2)\n";

fn start_server() -> impl Fn(&Seen) -> Reply + Send + Sync + 'static {
    |s| match s.path.as_str() {
        "/pipeline/api/inputSets/template" => ok(envelope(serde_json::json!({
            "inputSetTemplateYaml": FULL_TEMPLATE, "replacedExpressions": [], "hasInputSets": false
        }))),
        "/pipeline/api/pipeline/execute/deploy" => ok(fixture("execute.json")),
        other => panic!("unexpected {other}"),
    }
}

#[tokio::test]
async fn start_form_reads_the_template() {
    let mock = Mock::start("", start_server()).await;
    let form = mock
        .backend(&["proj"])
        .start_form("proj", "deploy")
        .await
        .unwrap();
    let names: Vec<(&str, &VarKind, bool)> = form
        .variables
        .iter()
        .map(|v| (v.name.as_str(), &v.kind, v.required))
        .collect();
    assert_eq!(
        names,
        vec![
            ("tag", &VarKind::Text, true),
            ("replicas", &VarKind::Number, false),
            (
                "stages.prod.environment.environmentRef",
                &VarKind::Choice(vec!["prod_eu".into(), "prod_us".into()]),
                true
            ),
        ]
    );
    let seen = mock.seen();
    assert_authenticated(&seen);
    assert_eq!(seen[0].method, Method::POST);
    assert_eq!(seen[0].q("pipelineIdentifier"), Some("deploy"));
    assert_eq!(seen[0].q("projectIdentifier"), Some("proj"));
}

#[tokio::test]
async fn start_without_required_inputs_never_executes() {
    let mock = Mock::start("", start_server()).await;
    let request = StartRequest {
        project: "proj".into(),
        pipeline_id: "deploy".into(),
        values: vec![("replicas".into(), "3".into())],
        notes: None,
    };
    let err = mock.backend(&["proj"]).start(&request).await.unwrap_err();
    assert_eq!(
        err,
        BackendError::BadRequest(
            "missing required input(s): tag, stages.prod.environment.environmentRef".into()
        )
    );
    let paths: Vec<String> = mock.seen().into_iter().map(|s| s.path).collect();
    assert_eq!(paths, vec!["/pipeline/api/inputSets/template"]);
}

#[tokio::test]
async fn start_sends_exactly_the_previewed_request() {
    let mock = Mock::start("", start_server()).await;
    let backend = mock.backend(&["proj"]);
    let request = StartRequest {
        project: "proj".into(),
        pipeline_id: "deploy".into(),
        values: vec![
            ("tag".into(), "1.4.2".into()),
            (
                "stages.prod.environment.environmentRef".into(),
                "prod_eu".into(),
            ),
        ],
        notes: Some("hotfix & rollout".into()),
    };
    let template = backend.runtime_template("proj", "deploy").await.unwrap();
    let preview = backend.start_request_preview(&template, &request).unwrap();
    let result = backend.start(&request).await.unwrap();

    assert_eq!(result.execution_id, "Kq3HsT1aQ9yZ0b2cD4eF5w");
    assert_eq!(
        (result.status.status, result.status.raw.as_str()),
        (ExecStatus::Running, "RUNNING")
    );

    let seen = mock.seen();
    assert_authenticated(&seen);
    let execute = seen.last().unwrap();
    assert_eq!(execute.method, Method::POST);
    assert_eq!(execute.path, "/pipeline/api/pipeline/execute/deploy");
    assert_eq!(execute.q("moduleType"), Some("cd"));
    assert_eq!(
        execute.q("notesForPipelineExecution"),
        Some("hotfix & rollout")
    );
    assert_eq!(execute.header("content-type"), Some("application/yaml"));

    // The preview is the request: same method, URL, headers (key masked) and body.
    assert_eq!(preview.method, "POST");
    let preview_url = Url::parse(&preview.url).unwrap();
    assert_eq!(preview_url.path(), execute.path);
    let preview_query: Vec<(String, String)> = preview_url.query_pairs().into_owned().collect();
    assert_eq!(preview_query, execute.query);
    assert_eq!(preview.body, execute.body);
    assert_eq!(
        preview.headers,
        vec![
            ("x-api-key".to_owned(), "***".to_owned()),
            ("harness-account".to_owned(), "acc".to_owned()),
            ("content-type".to_owned(), "application/yaml".to_owned()),
        ]
    );
    for (name, value) in &preview.headers {
        if name != "x-api-key" {
            assert_eq!(execute.header(name), Some(value.as_str()), "{name}");
        }
    }
    assert!(!format!("{preview:?}").contains("s3cr3t"));

    let body: serde_norway::Value = serde_norway::from_str(&execute.body).unwrap();
    let vars = &body["pipeline"]["variables"];
    assert_eq!(
        vars[0]["value"],
        serde_norway::Value::String("1.4.2".into())
    );
    assert_eq!(vars[1]["value"], serde_norway::Value::Number(2.into()));
    assert_eq!(
        body["pipeline"]["stages"][0]["stage"]["spec"]["environment"]["environmentRef"],
        "prod_eu"
    );
}

#[tokio::test]
async fn start_of_a_pipeline_without_inputs_sends_an_empty_body() {
    let mock = Mock::start("", |s| match s.path.as_str() {
        "/pipeline/api/inputSets/template" => {
            ok(envelope(serde_json::json!({"inputSetTemplateYaml": null})))
        }
        _ => ok(fixture("execute.json")),
    })
    .await;
    let request = StartRequest {
        project: "proj".into(),
        pipeline_id: "deploy".into(),
        ..Default::default()
    };
    mock.backend(&["proj"]).start(&request).await.unwrap();
    let execute = mock.seen().pop().unwrap();
    assert_eq!(execute.body, "");
    assert_eq!(execute.q("notesForPipelineExecution"), Some(""));
}

#[tokio::test]
async fn lists_executions_newest_first() {
    let mock = Mock::start("", |s| {
        assert_eq!(s.path, "/pipeline/api/pipelines/execution/summary");
        assert_eq!(s.q("size"), Some("50"));
        assert_eq!(s.q("sort"), Some("startTs,DESC"));
        assert_eq!(s.q("status"), None);
        match s.q("projectIdentifier").unwrap() {
            "proj" => ok(fixture("executions_page.json")),
            _ => ok(envelope(serde_json::json!({"content": [
                {"planExecutionId": "old", "pipelineIdentifier": "x", "status": "Failed",
                 "startTs": 1600000000000u64, "failureInfo": {"message": "exit 1"},
                 "executionTriggerInfo": {"triggerType": "WEBHOOK", "triggeredBy": {"identifier": "", "extraInfo": {}}}},
                {"planExecutionId": "queued", "pipelineIdentifier": "x", "status": "Queued"}
            ], "last": true}))),
        }
    })
    .await;
    let mut executions = mock
        .backend(&["proj", "other"])
        .list_executions()
        .await
        .unwrap();
    // The backend does not sort: the display order is `domain::order`'s.
    flightdeck::domain::order::executions(&mut executions);
    let ids: Vec<&str> = executions.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, vec!["queued", "Kq3HsT1aQ9yZ0b2cD4eF5w", "old"]);

    let e = &executions[1];
    assert_eq!(e.project, "proj");
    assert_eq!(e.pipeline_id, "deploy");
    assert_eq!(e.pipeline_name, "Deploy");
    assert_eq!(
        (e.status.status, e.status.raw.as_str()),
        (ExecStatus::Waiting, "ApprovalWaiting")
    );
    assert_eq!(e.triggered_by, "Jane");
    assert_eq!(e.run_number, Some(43));
    assert_eq!((e.stages_done, e.stages_total), (1, 3));
    assert_eq!(e.message, None);
    assert!(e.ended.is_none());

    let old = &executions[2];
    assert_eq!(old.status.status, ExecStatus::Failed);
    assert_eq!(old.message.as_deref(), Some("exit 1"));
    assert_eq!(old.triggered_by, "webhook");
    assert_eq!(old.stages_total, 0);
    assert_authenticated(&mock.seen());
    for s in mock.seen() {
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&s.body).unwrap(),
            serde_json::json!({"filterType": "PipelineExecution"})
        );
    }
}

#[tokio::test]
async fn execution_detail_with_its_waiting_gate() {
    let mock = Mock::start("", |s| match s.path.as_str() {
        "/pipeline/api/pipelines/execution/v2/Kq3HsT1aQ9yZ0b2cD4eF5w" => {
            assert_eq!(s.method, Method::GET);
            assert_eq!(s.q("renderFullBottomGraph"), Some("true"));
            assert_eq!(s.q("projectIdentifier"), Some("proj"));
            ok(fixture("execution_detail.json"))
        }
        "/pipeline/api/approvals/6571f0c2e1b2a34d5c6e7f80" => {
            assert_eq!(s.q("accountIdentifier"), Some("acc"));
            ok(fixture("approval_instance.json"))
        }
        other => panic!("unexpected {other}"),
    })
    .await;
    let exec = ExecRef {
        project: "proj".into(),
        id: "Kq3HsT1aQ9yZ0b2cD4eF5w".into(),
    };
    let detail = mock.backend(&["proj"]).execution(&exec).await.unwrap();
    assert_eq!(detail.execution.id, exec.id);
    let stages: Vec<(&str, usize)> = detail
        .stages
        .iter()
        .map(|s| (s.name.as_str(), s.steps.len()))
        .collect();
    assert_eq!(stages, vec![("Build", 0), ("Approve", 1), ("Deploy", 0)]);

    let [gate] = detail.approvals.as_slice() else {
        panic!("{:?}", detail.approvals)
    };
    assert_eq!(gate.id, "6571f0c2e1b2a34d5c6e7f80");
    assert_eq!(gate.execution_id, exec.id);
    assert_eq!(
        (gate.pipeline_id.as_str(), gate.pipeline_name.as_str()),
        ("deploy", "Deploy")
    );
    assert_eq!(
        (gate.stage.as_str(), gate.step.as_str()),
        ("Approve", "Approval")
    );
    assert_eq!(gate.message, "Please review and approve");
    assert_eq!(gate.approvers, vec!["All Project Users"]);
    assert_eq!(gate.min_count, 1);
    assert_eq!(gate.inputs[0].name, "ticket");
    assert_eq!(gate.inputs[0].default, "OPS-1");
    assert_eq!(gate.deadline.unwrap().as_millisecond(), 1_700_286_500_900);
    assert_eq!(gate.created.unwrap().as_millisecond(), 1_700_200_100_900);
    assert_eq!(gate.triggered_by, "Jane");
    assert_authenticated(&mock.seen());
}

#[tokio::test]
async fn a_gate_decided_meanwhile_is_not_listed() {
    let mock = Mock::start("", |s| {
        if s.path.starts_with("/pipeline/api/approvals/") {
            let mut instance: serde_json::Value =
                serde_json::from_str(&fixture("approval_instance.json")).unwrap();
            instance["data"]["status"] = "APPROVED".into();
            ok(instance.to_string())
        } else {
            ok(fixture("execution_detail.json"))
        }
    })
    .await;
    let exec = ExecRef {
        project: "proj".into(),
        id: "Kq3HsT1aQ9yZ0b2cD4eF5w".into(),
    };
    let detail = mock.backend(&["proj"]).execution(&exec).await.unwrap();
    assert!(detail.approvals.is_empty());
    assert_eq!(detail.stages.len(), 3);
}

#[tokio::test]
async fn waiting_approvals_from_v1_with_names_from_the_stage_graph() {
    let mock = Mock::start("", |s| match s.path.as_str() {
        "/pipeline/api/pipelines/execution/summary" => {
            assert_eq!(s.q("status"), Some("ApprovalWaiting"));
            ok(fixture("executions_page.json"))
        }
        "/v1/orgs/default/projects/proj/approvals/execution/Kq3HsT1aQ9yZ0b2cD4eF5w" => {
            assert_eq!(s.method, Method::GET);
            assert_eq!(s.q("approval_status"), Some("WAITING"));
            assert_eq!(s.q("approval_type"), Some("HarnessApproval"));
            ok(fixture("v1_approvals.json"))
        }
        "/pipeline/api/pipelines/execution/v2/Kq3HsT1aQ9yZ0b2cD4eF5w" => {
            assert_eq!(s.q("stageNodeId"), Some("Ap7stage2uuid"));
            ok(fixture("execution_detail.json"))
        }
        other => panic!("unexpected {other}"),
    })
    .await;
    let approvals = mock.backend(&["proj"]).waiting_approvals().await.unwrap();
    let [gate] = approvals.as_slice() else {
        panic!("{approvals:?}")
    };
    assert_eq!(gate.id, "6571f0c2e1b2a34d5c6e7f80");
    assert_eq!(
        (gate.stage.as_str(), gate.step.as_str()),
        ("Approve", "Approval")
    );
    assert_eq!(gate.approvers, vec!["_project_all_users"]);
    assert_eq!(gate.project, "proj");
    assert_authenticated(&mock.seen());
}

#[tokio::test]
async fn waiting_approvals_survive_a_failing_stage_graph() {
    let mock = Mock::start("", |s| match s.path.as_str() {
        "/pipeline/api/pipelines/execution/summary" => ok(fixture("executions_page.json")),
        p if p.starts_with("/v1/") => ok(fixture("v1_approvals.json")),
        _ => fail(
            500,
            r#"{"status":"ERROR","code":"UNKNOWN_ERROR","message":"Oops"}"#,
        ),
    })
    .await;
    let approvals = mock.backend(&["proj"]).waiting_approvals().await.unwrap();
    assert_eq!(approvals.len(), 1);
    // Named by the only waiting stage of the layout; the step is unknown.
    assert_eq!(
        (approvals[0].stage.as_str(), approvals[0].step.as_str()),
        ("Approve", "")
    );
}

fn decision(action: DecisionAction) -> Decision {
    Decision {
        action,
        comment: "lgtm".into(),
        inputs: vec![("ticket".into(), "OPS-7".into())],
    }
}

fn instance_with_status(status: &str) -> String {
    let mut instance: serde_json::Value =
        serde_json::from_str(&fixture("approval_instance.json")).unwrap();
    instance["data"]["status"] = status.into();
    instance.to_string()
}

/// A gate as the app holds it; `decide` needs only its instance id.
fn gate() -> Approval {
    Approval {
        backend: "hx".into(),
        project: "proj".into(),
        id: "6571f0c2e1b2a34d5c6e7f80".into(),
        execution_id: "Kq3HsT1aQ9yZ0b2cD4eF5w".into(),
        pipeline_id: "deploy".into(),
        pipeline_name: "Deploy".into(),
        stage: "Approve".into(),
        step: "Approval".into(),
        message: String::new(),
        approvers: Vec::new(),
        min_count: 1,
        inputs: Vec::new(),
        created: None,
        deadline: None,
        triggered_by: "Jane".into(),
        environment: None,
        callback_id: None,
        url: None,
    }
}

#[tokio::test]
async fn decide_approves_and_rejects_by_instance() {
    for (action, answer, outcome, wire) in [
        (
            DecisionAction::Approve,
            "APPROVED",
            DecisionOutcome::Approved,
            "APPROVE",
        ),
        (
            DecisionAction::Approve,
            "WAITING",
            DecisionOutcome::StillWaiting,
            "APPROVE",
        ),
        (
            DecisionAction::Reject,
            "REJECTED",
            DecisionOutcome::Rejected,
            "REJECT",
        ),
    ] {
        let mock = Mock::start("", move |s| {
            assert_eq!(s.method, Method::POST);
            assert_eq!(
                s.path,
                "/pipeline/api/approvals/6571f0c2e1b2a34d5c6e7f80/harness/activity"
            );
            assert_eq!(s.q("accountIdentifier"), Some("acc"));
            ok(instance_with_status(answer))
        })
        .await;
        let got = mock
            .backend(&["proj"])
            .decide(&gate(), &decision(action))
            .await
            .unwrap();
        assert_eq!(got, outcome);
        let seen = mock.seen();
        assert_eq!(seen.len(), 1, "sent exactly once");
        assert_authenticated(&seen);
        assert_eq!(seen[0].header("content-type"), Some("application/json"));
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&seen[0].body).unwrap(),
            serde_json::json!({
                "action": wire, "comments": "lgtm",
                "approverInputs": [{"name": "ticket", "value": "OPS-7"}]
            })
        );
    }
}

#[tokio::test]
async fn decide_reports_documented_refusals() {
    type Check = fn(&BackendError) -> bool;
    let cases: Vec<(u16, &str, Check)> = vec![
        (
            400,
            r#"{"status":"ERROR","code":"INVALID_REQUEST","message":"Invalid request: Unable to add Harness Approval Activity : Harness approval instance has already completed. Status: APPROVED"}"#,
            |e| *e == BackendError::Conflict("already decided by someone else: APPROVED".into()),
        ),
        (
            400,
            r#"{"status":"ERROR","code":"INVALID_REQUEST","message":"Invalid request: SERVICE_ACCOUNT is not supported for Harness Approval Step yet"}"#,
            |e| matches!(e, BackendError::NotAuthorized(m) if m.contains("personal access token")),
        ),
        (
            401,
            r#"{"status":"ERROR","code":"INVALID_TOKEN","message":"Token is not valid."}"#,
            |e| matches!(e, BackendError::Unauthenticated(m) if m.starts_with("the API key was refused (Token is not valid.)")),
        ),
        (429, "<html><body>Too many requests</body></html>", |e| {
            *e == BackendError::RateLimited { retry_after: None }
        }),
    ];
    for (status, body, check) in cases {
        let mock = Mock::start("", move |_| fail(status, body)).await;
        let err = mock
            .backend(&["proj"])
            .decide(&gate(), &decision(DecisionAction::Approve))
            .await
            .unwrap_err();
        assert!(check(&err), "{status}: {err:?}");
        assert!(!err.to_string().contains("s3cr3t"));
        assert_eq!(mock.seen().len(), 1, "never retried");
    }
}

#[tokio::test]
async fn decide_by_execution_uses_v1_with_callback_id() {
    let mock = Mock::start("/gateway", |s| {
        assert_eq!(s.method, Method::POST);
        assert_eq!(
            s.path,
            "/v1/orgs/default/projects/proj/approvals/execution/Kq3HsT1aQ9yZ0b2cD4eF5w"
        );
        ok(fixture("v1_approval_approved.json"))
    })
    .await;
    let backend = mock.backend(&["proj"]);
    let outcome = backend
        .decide_by_execution(
            "proj",
            "Kq3HsT1aQ9yZ0b2cD4eF5w",
            Some("cb-1"),
            &decision(DecisionAction::Approve),
        )
        .await
        .unwrap();
    assert_eq!(outcome, DecisionOutcome::Approved);
    backend
        .decide_by_execution(
            "proj",
            "Kq3HsT1aQ9yZ0b2cD4eF5w",
            None,
            &decision(DecisionAction::Approve),
        )
        .await
        .unwrap();

    let seen = mock.seen();
    assert_authenticated(&seen);
    assert_eq!(seen[0].q("callback_id"), Some("cb-1"));
    assert_eq!(seen[1].q("callback_id"), None);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&seen[0].body).unwrap(),
        serde_json::json!({
            "action": "APPROVE", "comments": "lgtm",
            "approver_inputs": [{"name": "ticket", "value": "OPS-7"}]
        })
    );
}

#[tokio::test]
async fn decide_by_execution_conflicts() {
    let mock = Mock::start("", |_| {
        fail(400, r#"{"status":"ERROR","code":"INVALID_REQUEST","message":"Invalid request: Found more than 1 Harness Approval Instance waiting for pipeline execution id: e and callback id: null"}"#)
    })
    .await;
    let err = mock
        .backend(&["proj"])
        .decide_by_execution("proj", "e", None, &decision(DecisionAction::Reject))
        .await
        .unwrap_err();
    assert!(matches!(err, BackendError::Conflict(m) if m.contains("callback id")));
}

#[tokio::test]
async fn unreadable_and_enveloped_errors() {
    let mock = Mock::start("", |s| match s.q("projectIdentifier") {
        Some("html") => ok("<html>maintenance</html>"),
        Some("error200") => ok(r#"{"status":"ERROR","code":"ENTITY_NOT_FOUND","message":"gone"}"#),
        Some("nodata") => ok(r#"{"status":"SUCCESS","data":null}"#),
        Some("wrongtype") => ok(envelope(
            serde_json::json!({"content": [{"identifier": 5}]}),
        )),
        _ => fail(
            401,
            r#"{"status":"ERROR","code":"INVALID_TOKEN","message":"Token is not valid."}"#,
        ),
    })
    .await;
    let run = |project: &'static str| {
        let backend = mock.backend(&[project]);
        async move { backend.list_pipelines().await.unwrap_err() }
    };
    assert!(
        matches!(run("html").await, BackendError::Decode(m) if m.starts_with("not valid JSON"))
    );
    assert_eq!(run("error200").await, BackendError::NotFound("gone".into()));
    assert_eq!(
        run("nodata").await,
        BackendError::Decode("the response has no data".into())
    );
    assert!(matches!(
        run("wrongtype").await,
        BackendError::Decode(m) if m.starts_with("at data.content[0].identifier: invalid type")
    ));
    let err = run("denied").await;
    assert!(matches!(&err, BackendError::Unauthenticated(_)));
    assert!(!err.to_string().contains("s3cr3t"));
}

#[tokio::test]
async fn errors_name_the_project_when_several_are_configured() {
    let mock = Mock::start("", |s| match s.q("projectIdentifier") {
        Some("good") => ok(fixture("pipelines_page.json")),
        _ => fail(403, r#"{"status":"ERROR","code":"NG_ACCESS_DENIED","message":"Missing permission core_pipeline_view"}"#),
    })
    .await;
    let err = mock
        .backend(&["good", "bad"])
        .list_pipelines()
        .await
        .unwrap_err();
    assert_eq!(
        err,
        BackendError::NotAuthorized("project bad: Missing permission core_pipeline_view".into())
    );
}

#[tokio::test]
async fn timeouts_and_refused_connections() {
    // Accepts connections but never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let mut opts = options(Url::parse(&format!("http://{addr}")).unwrap(), &["p"]);
    opts.timeout = Duration::from_millis(200);
    let err = HarnessBackend::new(opts)
        .unwrap()
        .list_pipelines()
        .await
        .unwrap_err();
    assert_eq!(err, BackendError::Timeout(Duration::from_millis(200)));

    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = closed.local_addr().unwrap();
    drop(closed);
    let backend = HarnessBackend::new(options(
        Url::parse(&format!("http://{addr}")).unwrap(),
        &["p"],
    ))
    .unwrap();
    assert!(matches!(
        backend.list_executions().await.unwrap_err(),
        BackendError::Network(_)
    ));
}

#[test]
fn construction_checks_and_no_secret_in_debug() {
    let good = options(
        Url::parse("https://app.harness.io/gateway").unwrap(),
        &["p"],
    );
    let backend = HarnessBackend::new(good.clone()).unwrap();
    assert_eq!(backend.kind(), flightdeck::domain::BackendKind::Harness);
    assert_eq!(&**backend.name(), "hx");
    let debug = format!("{backend:?} {good:?}");
    assert!(!debug.contains("s3cr3t"), "{debug}");

    let bad = |f: fn(&mut HarnessOptions)| {
        let mut o = good.clone();
        f(&mut o);
        HarnessBackend::new(o).unwrap_err()
    };
    assert!(matches!(
        bad(|o| o.base_url = Url::parse("ftp://x/").unwrap()),
        BackendError::BadRequest(_)
    ));
    assert!(matches!(
        bad(|o| o.base_url = Url::parse("https://x/?a=b").unwrap()),
        BackendError::BadRequest(_)
    ));
    assert!(matches!(
        bad(|o| o.projects.clear()),
        BackendError::BadRequest(_)
    ));
    assert!(matches!(
        bad(|o| o.org = " ".into()),
        BackendError::BadRequest(_)
    ));
    let err = bad(|o| o.api_key = SecretString::from("pat.acc.x.sec\nret"));
    assert!(!err.to_string().contains("pat.acc"), "{err}");
    assert!(matches!(err, BackendError::BadRequest(_)));
}
