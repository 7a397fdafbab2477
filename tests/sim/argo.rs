//! The simulator's Argo Workflows face over real HTTP, the way a client meets it: auth, the
//! list with its selectors, paging and projection, workflow objects and their node trees,
//! submit and create, the approval actions, templates, the events webhook, watches (ended,
//! cut and resumed) and logs. Every body is checked against the official swagger, strictly
//! (`common/swagger.rs`). Time only moves through `advance`.

use crate::common;

use std::time::Duration;

use common::swagger;
use flightdeck_sim::{ApprovalStatus, ClockMode, RunStatus, SimHandle, SimOptions};
use reqwest::header::HeaderMap;
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

const UI_FIELDS: &str = "metadata,items.metadata.uid,items.metadata.name,items.metadata.namespace,\
items.metadata.creationTimestamp,items.metadata.labels,items.metadata.annotations,items.status.phase,\
items.status.message,items.status.finishedAt,items.status.startedAt,items.status.estimatedDuration,\
items.status.progress,items.spec.suspend,items.spec.arguments";
const NO_TOKEN: &str = "token not valid. see https://argo-workflows.readthedocs.io/en/latest/faq/";
const VERSION_HEADER: &str = "grpc-metadata-argo-version";

struct Sim {
    sim: SimHandle,
    http: Client,
}

#[derive(Debug)]
struct Resp {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
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

/// Percent-encodes a query value.
fn q(v: &str) -> String {
    url::form_urlencoded::byte_serialize(v.as_bytes()).collect()
}

impl Sim {
    async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Resp {
        let mut req = self
            .http
            .request(method.clone(), format!("{}{path}", self.sim.argo_url()));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.expect("request reaches the simulator");
        let status = res.status();
        let headers = res.headers().clone();
        let text = res.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        let resp = Resp {
            status,
            headers,
            body,
        };
        conforms(method.as_str(), path, &resp);
        resp
    }

    async fn get(&self, path: &str) -> Resp {
        self.send(Method::GET, path, Some(&self.sim.argo_token()), None)
            .await
    }

    async fn put(&self, path: &str, body: Value) -> Resp {
        self.send(Method::PUT, path, Some(&self.sim.argo_token()), Some(body))
            .await
    }

    async fn post(&self, path: &str, body: Value) -> Resp {
        self.send(Method::POST, path, Some(&self.sim.argo_token()), Some(body))
            .await
    }

    async fn workflow(&self, ns: &str, name: &str) -> Value {
        let r = self.get(&format!("/api/v1/workflows/{ns}/{name}")).await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        r.body
    }

    async fn list(&self, ns: &str, query: &str) -> Value {
        let r = self.get(&format!("/api/v1/workflows/{ns}?{query}")).await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        r.body
    }

    /// Submits a template with parameters, answering the new workflow's name.
    async fn submit(&self, ns: &str, kind: &str, template: &str, params: &[&str]) -> String {
        let r = self
            .post(
                &format!("/api/v1/workflows/{ns}/submit"),
                json!({"resourceKind": kind, "resourceName": template,
                       "submitOptions": {"parameters": params}}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        r.body["metadata"]["name"].as_str().unwrap().to_string()
    }

    /// Lets the clock run in one-second steps until `done` holds for the workflow.
    async fn until(&self, ns: &str, name: &str, done: impl Fn(&Value) -> bool) -> Value {
        for _ in 0..900 {
            let wf = self.workflow(ns, name).await;
            if done(&wf) {
                return wf;
            }
            self.sim.advance(Duration::from_secs(1));
        }
        panic!(
            "{name} never got there: {:#}",
            self.workflow(ns, name).await
        );
    }
}

/// Every answer conforms: a success to the swagger's response (and carries the version
/// header), an error to the error shape (without it).
fn conforms(method: &str, path: &str, r: &Resp) {
    if !path.starts_with("/api/") || swagger::template_for(method, path).is_none() {
        return;
    }
    if r.status.is_success() {
        assert!(
            r.headers.contains_key(VERSION_HEADER),
            "{method} {path}: no version header"
        );
        swagger::check_response(method, path, &r.body);
    } else {
        assert!(
            !r.headers.contains_key(VERSION_HEADER),
            "{method} {path}: version header on an error"
        );
        swagger::check_error(&r.body);
    }
}

fn assert_error(r: &Resp, status: u16, code: i64, message: &str) {
    assert_eq!(r.status.as_u16(), status, "{:?}", r.body);
    assert_eq!(r.body, json!({"code": code, "message": message}));
}

fn names(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|i| i["metadata"]["name"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn nodes(wf: &Value) -> Vec<&Value> {
    wf["status"]["nodes"]
        .as_object()
        .map(|m| m.values().collect())
        .unwrap_or_default()
}

/// The node whose display name is `display`.
fn node<'a>(wf: &'a Value, display: &str) -> &'a Value {
    nodes(wf)
        .into_iter()
        .find(|n| n["displayName"] == display)
        .unwrap_or_else(|| panic!("no node {display} in {:#}", wf["status"]["nodes"]))
}

fn fnv32a(s: &str) -> u32 {
    s.bytes().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

fn label<'a>(wf: &'a Value, key: &str) -> &'a Value {
    &wf["metadata"]["labels"][format!("workflows.argoproj.io/{key}")]
}

#[tokio::test]
async fn every_route_is_in_the_swagger_and_the_checker_is_strict() {
    let s = sim().await;
    let routes = s.sim.argo_routes();
    assert!(routes.len() >= 20, "{routes:?}");
    for (method, path) in &routes {
        assert!(
            swagger::has_route(method, path),
            "{method} {path} is not in the swagger"
        );
    }
    // The checker refuses what the open swagger would let through.
    let wf = "io.argoproj.workflow.v1alpha1.Workflow";
    let typo = json!({"metadata": {"nmae": "x"}, "spec": {}});
    assert_eq!(
        swagger::validate(wf, &typo).unwrap_err(),
        ["$.metadata.nmae: not a property of the schema"]
    );
    assert!(
        swagger::validate(wf, &json!({"metadata": {}})).is_err(),
        "spec is required"
    );
    let wrong = json!({"metadata": {"labels": {"a": 1}}, "spec": {"suspend": "yes"}});
    assert_eq!(swagger::validate(wf, &wrong).unwrap_err().len(), 2);
    let ok = json!({"metadata": {"creationTimestamp": null}, "spec": {"arguments": {}},
                    "status": {"startedAt": null, "nodes": {"a": {"id": "a", "name": "a", "type": "Pod"}}}});
    assert_eq!(swagger::validate(wf, &ok), Ok(()));
    assert!(swagger::validate(wf, &json!({"metadata": {"name": null}, "spec": {}})).is_err());
    assert_eq!(
        swagger::template_for("POST", "/api/v1/workflows/argo/submit").as_deref(),
        Some("/api/v1/workflows/{namespace}/submit")
    );
    assert_eq!(
        swagger::response_definition("GET", "/api/v1/workflows/argo/x").as_deref(),
        Some(wf)
    );
    assert!(swagger::validate_error(&json!({"code": 5, "message": "x", "error": "x"})).is_err());
    let submit = json!({"resourceKind": "WorkflowTemplate", "resourceName": "release",
                        "submitOptions": {"entryPoint": "release", "parameters": ["a=b"], "labels": "a=b"}});
    assert_eq!(
        swagger::validate_request("POST", "/api/v1/workflows/argo/submit", &submit),
        Ok(())
    );
    let typo = json!({"resourceKind": "WorkflowTemplate", "submitOptions": {"entrypoint": "x"}});
    assert!(swagger::validate_request("POST", "/api/v1/workflows/argo/submit", &typo).is_err());
}

#[tokio::test]
async fn info_version_and_userinfo() {
    let s = sim().await;
    let info = s.get("/api/v1/info").await;
    assert_eq!(info.status, StatusCode::OK);
    assert_eq!(info.headers[VERSION_HEADER], "v4.1.2");
    assert_eq!(
        info.body["modals"],
        json!({"feedback": true, "firstTimeUser": true, "newVersion": true})
    );
    assert!(info.body.get("managedNamespace").is_none());
    let version = s.get("/api/v1/version").await;
    assert_eq!(version.body["version"], "v4.1.2");
    assert_eq!(version.body["gitTag"], "v4.1.2");
    let me = s.get("/api/v1/userinfo").await;
    assert_eq!(me.body["subject"], "system:serviceaccount:argo:flightdeck");
    assert_eq!(me.body["serviceAccountName"], "flightdeck");
    assert_eq!(me.body["serviceAccountNamespace"], "argo");
    let viewer = s
        .send(
            Method::GET,
            "/api/v1/userinfo",
            Some(&s.sim.argo_viewer_token()),
            None,
        )
        .await;
    assert_eq!(viewer.body["serviceAccountName"], "flightdeck-viewer");
}

#[tokio::test]
async fn credentials_are_checked_after_the_route() {
    let s = sim().await;
    let none = s
        .send(Method::GET, "/api/v1/workflows/argo", None, None)
        .await;
    assert_error(&none, 401, 16, NO_TOKEN);
    let url = format!("{}/api/v1/workflows/argo", s.sim.argo_url());
    let token_scheme = s
        .http
        .get(&url)
        .header("authorization", format!("token {}", s.sim.argo_token()))
        .send()
        .await
        .unwrap();
    assert_eq!(token_scheme.status(), 401);
    assert_eq!(
        token_scheme.json::<Value>().await.unwrap()["message"],
        NO_TOKEN
    );
    let wrong = s
        .send(Method::GET, "/api/v1/workflows/argo", Some("nope"), None)
        .await;
    assert_error(&wrong, 401, 16, "Unauthorized");
    // The browser UI's cookie works as well.
    let cookie = s
        .http
        .get(&url)
        .header(
            "cookie",
            format!("authorization=Bearer%20{}", s.sim.argo_token()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(cookie.status(), 200);
    // Unknown routes are 501 whatever the credentials; a known path with another method too.
    let unknown = s
        .send(Method::GET, "/api/v1/nothing-here", None, None)
        .await;
    assert_error(&unknown, 501, 12, "Not Implemented");
    assert!(!unknown.headers.contains_key(VERSION_HEADER));
    let method = s
        .send(
            Method::DELETE,
            "/api/v1/info",
            Some(&s.sim.argo_token()),
            None,
        )
        .await;
    assert_error(&method, 501, 12, "Method Not Allowed");
}

#[tokio::test]
async fn seeded_namespaces_templates_workflows_and_gates() {
    let s = sim().await;
    assert_eq!(s.sim.argo_namespaces(), ["argo", "data"]);
    let gates = s.sim.world().argo_waiting_gates();
    let at = |ns: &str, step: &str| {
        gates
            .iter()
            .filter(|g| g.project == ns && g.step == step)
            .count()
    };
    assert!(at("argo", "approval") >= 1, "{gates:?}");
    assert!(at("argo", "promote") >= 1, "{gates:?}");
    assert!(
        at("data", "dba-approval") >= 1 && at("data", "sre-approval") >= 1,
        "{gates:?}"
    );
    // The two db-migrate gates of one run wait in parallel.
    let dba = gates.iter().find(|g| g.step == "dba-approval").unwrap();
    assert!(
        gates
            .iter()
            .any(|g| g.step == "sre-approval" && g.execution == dba.execution)
    );
    let mut phases = std::collections::BTreeSet::new();
    for ns in ["argo", "data"] {
        let list = s.list(ns, "").await;
        for wf in list["items"].as_array().unwrap() {
            phases.insert(wf["status"]["phase"].as_str().unwrap().to_string());
        }
    }
    for phase in ["Running", "Succeeded", "Failed"] {
        assert!(phases.contains(phase), "no {phase} workflow: {phases:?}");
    }
}

#[tokio::test]
async fn list_is_sorted_per_page_with_a_resource_version_and_null_items() {
    let s = sim().await;
    let list = s.list("argo", "").await;
    let rv: u64 = list["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(rv > 0);
    let items = list["items"].as_array().unwrap();
    // Unfinished first (newest created first), then finished (newest finish first).
    let unfinished = items
        .iter()
        .take_while(|i| i["status"]["finishedAt"].is_null())
        .count();
    assert!(unfinished > 0 && unfinished < items.len());
    assert!(
        items[unfinished..]
            .iter()
            .all(|i| !i["status"]["finishedAt"].is_null())
    );
    let created: Vec<&str> = items[..unfinished]
        .iter()
        .map(|i| i["metadata"]["creationTimestamp"].as_str().unwrap())
        .collect();
    assert!(created.windows(2).all(|w| w[0] >= w[1]), "{created:?}");
    let finished: Vec<&str> = items[unfinished..]
        .iter()
        .map(|i| i["status"]["finishedAt"].as_str().unwrap())
        .collect();
    assert!(finished.windows(2).all(|w| w[0] >= w[1]), "{finished:?}");
    let none = s
        .list(
            "argo",
            &format!("listOptions.labelSelector={}", q("team=nobody")),
        )
        .await;
    assert_eq!(none["items"], Value::Null);
    let elsewhere = s.list("kube-system", "").await;
    assert_eq!(elsewhere["items"], Value::Null);
    // An empty namespace segment lists every namespace.
    let everywhere = names(&s.list("", "").await);
    let data = names(&s.list("data", "").await);
    assert_eq!(everywhere.len(), items.len() + data.len());
    let only_data = s
        .list(
            "",
            &format!("listOptions.fieldSelector={}", q("metadata.namespace=data")),
        )
        .await;
    assert_eq!(names(&only_data).len(), data.len());
}

#[tokio::test]
async fn world_helpers_start_and_decide_argo_workflows() {
    let s = sim().await;
    let w = s.sim.world();
    let name = w.start("argo", "canary").expect("the canary template runs");
    assert!(name.starts_with("canary-"), "{name}");
    s.sim.advance(Duration::from_secs(60));
    let gates = w.gates_of(&name);
    assert_eq!(gates.len(), 1, "{gates:?}");
    assert_eq!(
        (gates[0].project.as_str(), gates[0].step.as_str()),
        ("argo", "promote")
    );
    assert!(w.argo_waiting_gates().contains(&gates[0]));
    assert_eq!(w.execution_status(&name), Some(RunStatus::Waiting));
    let wf = s.workflow("argo", &name).await;
    assert_eq!(label(&wf, "workflow-template"), "canary");
    assert!(
        label(&wf, "creator-email")
            .as_str()
            .unwrap()
            .ends_with(".at.example.com")
    );
    let id = node(&wf, "promote")["id"].as_str().unwrap().to_string();
    s.put(
        &format!("/api/v1/workflows/argo/{name}/resume"),
        json!({"nodeFieldSelector": format!("id={id}")}),
    )
    .await;
    assert_eq!(
        w.approval_status(&gates[0].approval),
        Some(ApprovalStatus::Approved)
    );
    assert_eq!(s.sim.stats().decisions[&gates[0].approval].approve, 1);
    s.until("argo", &name, |wf| wf["status"]["phase"] == "Succeeded")
        .await;
    assert_eq!(w.execution_status(&name), Some(RunStatus::Success));
}

#[tokio::test]
async fn label_selectors_use_the_kubernetes_operators() {
    let s = sim().await;
    let s = &s;
    let all = s.list("argo", "").await;
    let count = |phase: &str| {
        all["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| label(i, "phase") == phase)
            .count()
    };
    let with = |sel: &str| {
        let sel = q(sel);
        async move {
            names(
                &s.list("argo", &format!("listOptions.labelSelector={sel}"))
                    .await,
            )
            .len()
        }
    };
    assert_eq!(
        with("workflows.argoproj.io/phase in (Running,Pending)").await,
        count("Running")
    );
    assert_eq!(
        with("workflows.argoproj.io/phase=Succeeded").await,
        count("Succeeded")
    );
    assert_eq!(
        with("workflows.argoproj.io/phase!=Succeeded").await,
        count("Running") + count("Failed")
    );
    assert_eq!(
        with("workflows.argoproj.io/phase notin (Running)").await,
        count("Succeeded") + count("Failed")
    );
    assert_eq!(
        with(
            "workflows.argoproj.io/workflow-template=release,workflows.argoproj.io/completed=false"
        )
        .await,
        all["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(
                |i| label(i, "workflow-template") == "release" && label(i, "completed") == "false"
            )
            .count()
    );
    assert_eq!(
        with("workflows.argoproj.io/cluster-workflow-template").await,
        all["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| !label(i, "cluster-workflow-template").is_null())
            .count()
    );
    assert_eq!(with("!workflows.argoproj.io/phase").await, 0);
    let bad = s
        .get(&format!(
            "/api/v1/workflows/argo?listOptions.labelSelector={}",
            q("a in b")
        ))
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn field_selectors_allow_only_the_documented_terms() {
    let s = sim().await;
    let s = &s;
    let bad = s
        .get(&format!(
            "/api/v1/workflows/argo?listOptions.fieldSelector={}",
            q("status.phase=Running")
        ))
        .await;
    assert_error(&bad, 400, 3, "unsupported requirement status.phase=Running");
    let all = names(&s.list("argo", "").await);
    let name = all
        .iter()
        .find(|n| n.starts_with("release-"))
        .unwrap()
        .clone();
    let by = |sel: String, filter: &str| {
        let query = format!("listOptions.fieldSelector={}&nameFilter={filter}", q(&sel));
        async move { names(&s.list("argo", &query).await) }
    };
    assert_eq!(
        by(format!("metadata.name={name}"), "Exact").await,
        vec![name.clone()]
    );
    let releases: Vec<String> = all
        .iter()
        .filter(|n| n.starts_with("release-"))
        .cloned()
        .collect();
    let mut prefixed = by("metadata.name=release-".to_string(), "Prefix").await;
    prefixed.sort();
    let mut expected = releases.clone();
    expected.sort();
    assert_eq!(prefixed, expected);
    assert_eq!(
        by("metadata.name=elease".to_string(), "Contains")
            .await
            .len(),
        releases.len()
    );
    assert_eq!(
        by(format!("metadata.name={name}"), "NotEquals").await.len(),
        all.len() - 1
    );
    assert_eq!(
        by(format!("metadata.name!={name}"), "").await.len(),
        all.len() - 1
    );
    assert_eq!(
        by("metadata.namespace=argo".to_string(), "").await.len(),
        all.len()
    );
    let future = by("spec.startedAt>2100-01-01T00:00:00Z".to_string(), "").await;
    assert!(future.is_empty());
    let past = by("spec.startedAt<2100-01-01T00:00:00Z".to_string(), "").await;
    assert_eq!(past.len(), all.len());
    let clash = s
        .get(&format!(
            "/api/v1/workflows/argo?listOptions.fieldSelector={}",
            q("metadata.namespace=data")
        ))
        .await;
    assert_eq!(clash.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn paging_by_integer_offsets_with_and_without_the_v4_bug() {
    let s = sim().await;
    let total = names(&s.list("argo", "").await).len();
    assert!(total > 5);
    // v4.1.2: no continue unless counting is asked for.
    let first = s.list("argo", "listOptions.limit=2").await;
    assert_eq!(names(&first).len(), 2);
    assert!(
        first["metadata"].get("continue").is_none(),
        "{:?}",
        first["metadata"]
    );
    assert!(first["metadata"].get("remainingItemCount").is_none());
    // Counting: exact remaining count, continue until the last page.
    let count = q("ext.showRemainingItemCount=true");
    let mut seen = Vec::new();
    let mut cont = String::new();
    loop {
        let page = s
            .list("argo", &format!("listOptions.limit=3&listOptions.fieldSelector={count}&listOptions.continue={cont}"))
            .await;
        seen.extend(names(&page));
        let remaining = page["metadata"]["remainingItemCount"].as_u64().unwrap() as usize;
        assert_eq!(remaining, total - seen.len());
        match page["metadata"]["continue"].as_str() {
            Some(c) => {
                assert_eq!(c, seen.len().to_string());
                cont = c.to_string();
            }
            None => break,
        }
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), total, "pages overlap or miss: {seen:?}");
    // Without the bug, continue is set whenever more follow.
    s.sim.set_argo_continue_bug(false);
    let page = s.list("argo", "listOptions.limit=2").await;
    assert_eq!(page["metadata"]["continue"], "2");
    let last = s
        .list(
            "argo",
            &format!("listOptions.limit=2&listOptions.continue={}", total - 1),
        )
        .await;
    assert_eq!(names(&last).len(), 1);
    assert!(last["metadata"].get("continue").is_none());
    let bad = s
        .get("/api/v1/workflows/argo?listOptions.continue=abc")
        .await;
    assert_error(&bad, 400, 3, "listOptions.continue must be int");
    let bad = s.get("/api/v1/workflows/argo?listOptions.limit=ten").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn fields_projection_keeps_paths_and_struct_defaults_reappear() {
    let s = sim().await;
    let list = s.list("argo", &format!("fields={}", q(UI_FIELDS))).await;
    let rv = list["metadata"]["resourceVersion"].as_str().unwrap();
    assert!(!rv.is_empty());
    for item in list["items"].as_array().unwrap() {
        let keys: Vec<&String> = item["status"].as_object().unwrap().keys().collect();
        for k in &keys {
            assert!(
                [
                    "phase",
                    "message",
                    "finishedAt",
                    "startedAt",
                    "estimatedDuration",
                    "progress"
                ]
                .contains(&k.as_str()),
                "{k}"
            );
        }
        assert!(item["status"].get("nodes").is_none());
        assert!(item["spec"].get("workflowTemplateRef").is_none());
        assert!(item["spec"]["arguments"].is_object());
        assert!(item["metadata"]["labels"].is_object());
    }
    // Only names: the Go structs bring back their non-omitempty fields.
    let names_only = s
        .list("argo", "fields=items.metadata.name&listOptions.limit=1")
        .await;
    assert_eq!(names_only["metadata"], json!({}));
    let item = &names_only["items"][0];
    assert_eq!(item["metadata"]["creationTimestamp"], Value::Null);
    assert_eq!(item["spec"], json!({"arguments": {}}));
    assert_eq!(
        item["status"],
        json!({"startedAt": null, "finishedAt": null})
    );
    // Exclude mode.
    let slim = s
        .list(
            "argo",
            "fields=-items.status.nodes,items.status.storedWorkflowTemplateSpec",
        )
        .await;
    for item in slim["items"].as_array().unwrap() {
        assert!(item["status"].get("nodes").is_none());
        assert!(item["status"].get("storedWorkflowTemplateSpec").is_none());
        assert!(item["status"]["phase"].is_string());
    }
}

#[tokio::test]
async fn get_latest_projection_and_not_found() {
    let s = sim().await;
    let latest = s.workflow("argo", "@latest").await;
    let newest = s.list("argo", "").await["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            i["metadata"]["creationTimestamp"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .max()
        .unwrap();
    assert_eq!(latest["metadata"]["creationTimestamp"], newest.as_str());
    let name = latest["metadata"]["name"].as_str().unwrap();
    let phase_only = s
        .get(&format!(
            "/api/v1/workflows/argo/{name}?fields=status.phase"
        ))
        .await;
    assert_eq!(
        phase_only.body,
        json!({"metadata": {"creationTimestamp": null}, "spec": {"arguments": {}},
               "status": {"phase": latest["status"]["phase"], "startedAt": null, "finishedAt": null}})
    );
    let missing = s.get("/api/v1/workflows/argo/not-found").await;
    assert_error(
        &missing,
        404,
        5,
        "workflows.argoproj.io \"not-found\" not found",
    );
    // A workflow is only found in its own namespace.
    let elsewhere = s.get(&format!("/api/v1/workflows/data/{name}")).await;
    assert_eq!(elsewhere.status, StatusCode::NOT_FOUND);
    let none = s.get("/api/v1/workflows/kube-system/@latest").await;
    assert_error(&none, 404, 5, "no workflows found");
}

#[tokio::test]
async fn workflow_objects_have_argo_node_trees_and_labels() {
    let s = sim().await;
    let name = s.submit("argo", "WorkflowTemplate", "release", &[]).await;
    let wf = s
        .until("argo", &name, |w| {
            nodes(w).iter().any(|n| n["displayName"] == "approval")
        })
        .await;
    // Root node id is the workflow name; others are name-fnv32a(node name).
    let root = &wf["status"]["nodes"][name.as_str()];
    assert_eq!(root["type"], "Steps");
    assert_eq!(root["templateName"], "release");
    for n in nodes(&wf) {
        let node_name = n["name"].as_str().unwrap();
        let expected = if node_name == name {
            name.clone()
        } else {
            format!("{name}-{}", fnv32a(node_name))
        };
        assert_eq!(n["id"], expected.as_str());
    }
    let group0 = node(&wf, "[0]");
    assert_eq!(group0["type"], "StepGroup");
    assert_eq!(group0["name"], format!("{name}[0]"));
    assert_eq!(root["children"], json!([group0["id"]]));
    let build = node(&wf, "build");
    assert_eq!(build["name"], format!("{name}[0].build"));
    assert_eq!(group0["children"], json!([build["id"]]));
    assert_eq!(build["children"], json!([node(&wf, "[1]")["id"]]));
    assert_eq!(build["outputs"]["exitCode"], "0");
    let gate = node(&wf, "approval");
    assert_eq!(
        (gate["type"].as_str(), gate["phase"].as_str()),
        (Some("Suspend"), Some("Running"))
    );
    assert_eq!(gate["finishedAt"], Value::Null);
    assert_eq!(
        gate["inputs"]["parameters"][0],
        json!({"name": "approve", "default": "NO", "enum": ["YES", "NO"], "description": "Deploy to production?"})
    );
    assert_eq!(
        gate["outputs"]["parameters"][0],
        json!({"name": "approve", "valueFrom": {"supplied": {}}})
    );
    assert_eq!(wf["status"]["phase"], "Running");
    assert_eq!(wf["status"]["finishedAt"], Value::Null);
    assert_eq!(wf["status"]["progress"], "1/1");
    assert_eq!(label(&wf, "phase"), "Running");
    assert_eq!(label(&wf, "completed"), "false");
    assert_eq!(label(&wf, "workflow-template"), "release");
    assert_eq!(
        label(&wf, "creator"),
        "system-serviceaccount-argo-flightdeck"
    );
    assert_eq!(
        wf["metadata"]["annotations"]["workflows.argoproj.io/pod-name-format"],
        "v2"
    );
    assert_eq!(
        wf["spec"]["workflowTemplateRef"],
        json!({"name": "release"})
    );
    assert_eq!(
        wf["status"]["storedWorkflowTemplateSpec"]["entrypoint"],
        "release"
    );
    // The DAG: tasks named wf.task, the two gates children of the backup task.
    let dag = s
        .submit("data", "WorkflowTemplate", "db-migrate", &[])
        .await;
    let wf = s
        .until("data", &dag, |w| {
            w["status"]["nodes"]
                .as_object()
                .is_some_and(|n| n.len() >= 4)
        })
        .await;
    assert_eq!(wf["status"]["nodes"][dag.as_str()]["type"], "DAG");
    let backup = node(&wf, "backup");
    assert_eq!(backup["name"], format!("{dag}.backup"));
    let mut children: Vec<&str> = backup["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    children.sort();
    let mut gates = vec![
        node(&wf, "dba-approval")["id"].as_str().unwrap(),
        node(&wf, "sre-approval")["id"].as_str().unwrap(),
    ];
    gates.sort();
    assert_eq!(children, gates);
    assert_eq!(node(&wf, "dba-approval")["boundaryID"], dag.as_str());
}

#[tokio::test]
async fn retried_steps_have_a_retry_node_with_one_pod_per_run() {
    let s = sim().await;
    // Somewhere in the seeded ci-build history a unit test run failed and was retried.
    let list = s
        .list(
            "argo",
            &format!(
                "listOptions.labelSelector={}",
                q("workflows.argoproj.io/cluster-workflow-template=ci-build")
            ),
        )
        .await;
    let retried = list["items"].as_array().unwrap().iter().find_map(|wf| {
        nodes(wf)
            .into_iter()
            .find(|n| n["type"] == "Retry" && n["children"].as_array().is_some_and(|c| c.len() > 1))
            .map(|n| (wf.clone(), n.clone()))
    });
    let (wf, retry) = retried.expect("a retried unit test run");
    assert_eq!(retry["displayName"], "unit-tests");
    let attempts: Vec<&Value> = retry["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|id| &wf["status"]["nodes"][id.as_str().unwrap()])
        .collect();
    assert_eq!(attempts[0]["type"], "Pod");
    assert_eq!(attempts[0]["phase"], "Failed");
    assert_eq!(attempts[0]["displayName"], "unit-tests(0)");
    assert_eq!(attempts[0]["nodeFlag"], json!({"retried": true}));
    assert_eq!(
        attempts[0]["name"],
        format!("{}(0)", retry["name"].as_str().unwrap())
    );
}

#[tokio::test]
async fn approve_with_set_then_resume_runs_the_guarded_deploy() {
    let s = sim().await;
    let r = s
        .post(
            "/api/v1/workflows/argo/submit",
            json!({"namespace": "argo", "resourceKind": "WorkflowTemplate", "resourceName": "release",
                   "submitOptions": {"parameters": ["version=2.0.0", "environment=staging"],
                                     "labels": "team=payments,tier=web", "annotations": "ticket=OPS-9"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    // The answer is the object as stored, before the controller looked at it.
    let created = &r.body;
    let name = created["metadata"]["name"].as_str().unwrap().to_string();
    assert!(
        name.starts_with("release-") && name.len() == "release-".len() + 5,
        "{name}"
    );
    assert_eq!(created["metadata"]["generateName"], "release-");
    assert_eq!(
        created["status"],
        json!({"startedAt": null, "finishedAt": null})
    );
    assert_eq!(label(created, "phase"), &Value::Null);
    assert_eq!(created["metadata"]["labels"]["team"], "payments");
    assert_eq!(created["metadata"]["labels"]["tier"], "web");
    assert_eq!(created["metadata"]["annotations"]["ticket"], "OPS-9");
    assert_eq!(
        created["spec"]["arguments"]["parameters"],
        json!([{"name": "version", "value": "2.0.0"}, {"name": "environment", "value": "staging"}])
    );
    let starts = s.sim.stats().starts;
    assert_eq!(starts, 1);
    let wf = s
        .until("argo", &name, |w| {
            w["status"]["nodes"]
                .as_object()
                .unwrap()
                .values()
                .any(|n| n["type"] == "Suspend" && n["phase"] == "Running")
        })
        .await;
    let gate = node(&wf, "approval");
    let id = gate["id"].as_str().unwrap();
    let set = s
        .put(
            &format!("/api/v1/workflows/argo/{name}/set"),
            json!({"nodeFieldSelector": format!("id={id}"), "outputParameters": "{\"approve\":\"YES\"}"}),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{:?}", set.body);
    let gate = &set.body["status"]["nodes"][id];
    assert_eq!(gate["phase"], "Running");
    assert_eq!(
        gate["outputs"]["parameters"][0],
        json!({"name": "approve", "value": "YES"})
    );
    let resumed = s
        .put(
            &format!("/api/v1/workflows/argo/{name}/resume"),
            json!({"nodeFieldSelector": format!("id={id}")}),
        )
        .await;
    assert_eq!(resumed.status, StatusCode::OK, "{:?}", resumed.body);
    let gate = &resumed.body["status"]["nodes"][id];
    assert_eq!(gate["phase"], "Succeeded");
    assert!(!gate["finishedAt"].is_null());
    assert_eq!(
        gate["message"],
        "Resumed by: map[User:system:serviceaccount:argo:flightdeck]"
    );
    assert_eq!(label(&resumed.body, "action"), "Resume");
    assert_eq!(
        label(&resumed.body, "actor"),
        "system-serviceaccount-argo-flightdeck"
    );
    let decisions = s.sim.stats().decisions;
    assert_eq!(decisions.len(), 1);
    assert_eq!(decisions.values().next().unwrap().approve, 1);
    let done = s
        .until("argo", &name, |w| w["status"]["phase"] != "Running")
        .await;
    assert_eq!(done["status"]["phase"], "Succeeded");
    assert_eq!(node(&done, "deploy")["phase"], "Succeeded");
    assert_eq!(done["status"]["progress"], "2/2");
    assert_eq!(label(&done, "completed"), "true");
    assert!(!done["status"]["finishedAt"].is_null());
}

#[tokio::test]
async fn soft_reject_skips_the_guarded_step_and_hard_reject_fails() {
    let s = sim().await;
    let waiting = |w: &Value| {
        nodes(w)
            .iter()
            .any(|n| n["type"] == "Suspend" && n["phase"] == "Running")
    };
    // Soft: the reject value, then resume; the deploy is skipped and the workflow succeeds.
    let soft = s.submit("argo", "WorkflowTemplate", "release", &[]).await;
    let wf = s.until("argo", &soft, waiting).await;
    let id = node(&wf, "approval")["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/workflows/argo/{soft}");
    let set = s.put(&format!("{path}/set"), json!({"nodeFieldSelector": format!("id={id}"), "outputParameters": "{\"approve\":\"NO\"}", "message": "not this week"})).await;
    // `set` writes the value and the message into the node at once; it still waits.
    let gate = &set.body["status"]["nodes"][id.as_str()];
    assert_eq!(
        (gate["phase"].as_str(), gate["message"].as_str()),
        (Some("Running"), Some("not this week"))
    );
    assert_eq!(
        gate["outputs"]["parameters"],
        json!([{"name": "approve", "value": "NO"}])
    );
    s.put(
        &format!("{path}/resume"),
        json!({"nodeFieldSelector": format!("id={id}")}),
    )
    .await;
    let done = s
        .until("argo", &soft, |w| w["status"]["phase"] != "Running")
        .await;
    assert_eq!(done["status"]["phase"], "Succeeded");
    // The resumed gate keeps its verdict; the resume, made with user claims, wrote who.
    let gate = node(&done, "approval");
    assert_eq!(gate["phase"], "Succeeded");
    assert_eq!(
        gate["outputs"]["parameters"],
        json!([{"name": "approve", "value": "NO"}])
    );
    assert_eq!(
        gate["message"],
        "Resumed by: map[User:system:serviceaccount:argo:flightdeck]"
    );
    let deploy = node(&done, "deploy");
    assert_eq!(
        (deploy["type"].as_str(), deploy["phase"].as_str()),
        (Some("Skipped"), Some("Skipped"))
    );
    assert_eq!(deploy["message"], "when 'NO == YES' evaluated false");
    // Hard: stop the node with a message; the node and then the workflow fail.
    let hard = s.submit("argo", "WorkflowTemplate", "release", &[]).await;
    let wf = s.until("argo", &hard, waiting).await;
    let id = node(&wf, "approval")["id"].as_str().unwrap().to_string();
    let stopped = s
        .put(
            &format!("/api/v1/workflows/argo/{hard}/stop"),
            json!({"nodeFieldSelector": format!("id={id}"), "message": "rejected by alice"}),
        )
        .await;
    let gate = &stopped.body["status"]["nodes"][id.as_str()];
    assert_eq!(
        (gate["phase"].as_str(), gate["message"].as_str()),
        (Some("Failed"), Some("rejected by alice"))
    );
    let done = s
        .until("argo", &hard, |w| w["status"]["phase"] != "Running")
        .await;
    assert_eq!(done["status"]["phase"], "Failed");
    assert_eq!(done["status"]["message"], format!("child '{id}' failed"));
    let stats = s.sim.stats();
    assert_eq!(stats.total_decisions(), 2);
    assert_eq!(stats.decisions.values().map(|d| d.reject).sum::<u64>(), 1);
    // set with a phase decides too: Error on a canary promotion.
    let canary = s.submit("argo", "WorkflowTemplate", "canary", &[]).await;
    let wf = s.until("argo", &canary, waiting).await;
    let id = node(&wf, "promote")["id"].as_str().unwrap().to_string();
    let set = s
        .put(
            &format!("/api/v1/workflows/argo/{canary}/set"),
            json!({"nodeFieldSelector": format!("id={id}"), "phase": "Error", "message": "metrics look bad"}),
        )
        .await;
    assert_eq!(set.body["status"]["nodes"][id.as_str()]["phase"], "Error");
    let done = s
        .until("argo", &canary, |w| w["status"]["phase"] != "Running")
        .await;
    assert_eq!(done["status"]["phase"], "Failed");
}

#[tokio::test]
async fn resume_by_node_selector_touches_only_that_gate() {
    let s = sim().await;
    let name = s
        .submit(
            "data",
            "WorkflowTemplate",
            "db-migrate",
            &["database=orders"],
        )
        .await;
    let both = |w: &Value| {
        nodes(w)
            .iter()
            .filter(|n| n["type"] == "Suspend" && n["phase"] == "Running")
            .count()
            == 2
    };
    let wf = s.until("data", &name, both).await;
    let dba = node(&wf, "dba-approval")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/api/v1/workflows/data/{name}");
    // Selecting by input value works as well as by id.
    let r = s
        .put(
            &format!("{path}/resume"),
            json!({"nodeFieldSelector": "displayName=sre-approval"}),
        )
        .await;
    assert_eq!(node(&r.body, "sre-approval")["phase"], "Succeeded");
    assert_eq!(node(&r.body, "dba-approval")["phase"], "Running");
    s.sim.advance(Duration::from_secs(30));
    let wf = s.workflow("data", &name).await;
    assert!(
        wf["status"]["nodes"]
            .as_object()
            .unwrap()
            .values()
            .all(|n| n["displayName"] != "apply")
    );
    s.put(&format!("{path}/set"), json!({"nodeFieldSelector": format!("id={dba}"), "outputParameters": "{\"ticket\":\"CHG-7\"}"})).await;
    s.put(
        &format!("{path}/resume"),
        json!({"nodeFieldSelector": format!("id={dba}")}),
    )
    .await;
    let done = s
        .until("data", &name, |w| w["status"]["phase"] != "Running")
        .await;
    assert_eq!(done["status"]["phase"], "Succeeded");
    assert_eq!(
        node(&done, "dba-approval")["outputs"]["parameters"][0]["value"],
        "CHG-7"
    );
    assert_eq!(node(&done, "verify")["phase"], "Succeeded");
}

#[tokio::test]
async fn action_errors_carry_the_servers_texts() {
    let s = sim().await;
    let name = s.submit("argo", "WorkflowTemplate", "release", &[]).await;
    let wf = s
        .until("argo", &name, |w| {
            nodes(w).iter().any(|n| n["type"] == "Suspend")
        })
        .await;
    let id = node(&wf, "approval")["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/workflows/argo/{name}");
    let r = s
        .put(
            &format!("{path}/set"),
            json!({"outputParameters": "{\"approve\":\"YES\"}"}),
        )
        .await;
    assert_error(
        &r,
        500,
        13,
        "'set' currently only targets suspend nodes, use a node field selector to target them",
    );
    let build = node(&wf, "build")["id"].as_str().unwrap().to_string();
    let r = s
        .put(
            &format!("{path}/resume"),
            json!({"nodeFieldSelector": format!("id={build}")}),
        )
        .await;
    assert_error(
        &r,
        500,
        13,
        &format!(
            "currently, set only targets suspend nodes: no suspend nodes matching nodeFieldSelector: id={build}"
        ),
    );
    let r = s.put(&format!("{path}/set"), json!({"nodeFieldSelector": format!("id={id}"), "outputParameters": "{\"nope\":\"x\"}"})).await;
    assert_error(&r, 500, 13, "node is not expecting output parameter 'nope'");
    let r = s
        .put(
            &format!("{path}/set"),
            json!({"nodeFieldSelector": format!("id={id}"), "phase": "Running"}),
        )
        .await;
    assert_error(&r, 400, 3, "Running is an invalid phase to set to");
    // Resuming everything needs a value (or default) for every supplied output.
    let r = s.put(&format!("{path}/resume"), json!({})).await;
    assert_error(
        &r,
        500,
        13,
        "raw output parameter 'approve' has not been set and does not have a default value",
    );
    let set = json!({"nodeFieldSelector": format!("id={id}"), "outputParameters": "{\"approve\":\"YES\"}"});
    assert_eq!(
        s.put(&format!("{path}/set"), set.clone()).await.status,
        StatusCode::OK
    );
    let r = s.put(&format!("{path}/set"), set).await;
    assert_error(
        &r,
        500,
        13,
        "cannot set output parameter 'approve' because it does not use valueFrom.raw or it was already set",
    );
    let r = s.put(&format!("{path}/retry"), json!(null)).await;
    assert_error(&r, 400, 3, "Cannot retry a workflow in phase Running");
    let r = s
        .put(
            &format!("{path}/resume"),
            json!({"nodeFieldSelector": "id"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // The viewer may look but not touch.
    let viewer = s
        .send(
            Method::PUT,
            &format!("{path}/resume"),
            Some(&s.sim.argo_viewer_token()),
            Some(json!({})),
        )
        .await;
    assert_eq!(viewer.status, StatusCode::FORBIDDEN);
    assert_eq!(viewer.body["code"], 7);
    let viewer_get = s
        .send(Method::GET, &path, Some(&s.sim.argo_viewer_token()), None)
        .await;
    assert_eq!(viewer_get.status, StatusCode::OK);
    let missing = s
        .put("/api/v1/workflows/argo/not-there/resume", json!({}))
        .await;
    assert_error(
        &missing,
        404,
        5,
        "workflows.argoproj.io \"not-there\" not found",
    );
    // Finished workflows refuse to be stopped or suspended.
    let finished = s
        .list(
            "argo",
            &format!(
                "listOptions.labelSelector={}",
                q("workflows.argoproj.io/completed=true")
            ),
        )
        .await;
    let done = names(&finished)[0].clone();
    let r = s
        .put(&format!("/api/v1/workflows/argo/{done}/stop"), json!({}))
        .await;
    assert_error(
        &r,
        500,
        13,
        &format!("cannot shutdown a completed workflow: workflow: \"{done}\", namespace: \"argo\""),
    );
    let r = s
        .put(&format!("/api/v1/workflows/argo/{done}/suspend"), json!({}))
        .await;
    assert_error(&r, 400, 3, "cannot suspend completed workflows");
}

#[tokio::test]
async fn suspend_holds_the_workflow_and_resume_removes_spec_suspend() {
    let s = sim().await;
    let name = s.submit("argo", "WorkflowTemplate", "canary", &[]).await;
    s.sim.advance(Duration::from_secs(1));
    let path = format!("/api/v1/workflows/argo/{name}");
    let r = s
        .send(
            Method::PUT,
            &format!("{path}/suspend"),
            Some(&s.sim.argo_token()),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["spec"]["suspend"], true);
    assert_eq!(label(&r.body, "action"), "Suspend");
    assert_eq!(r.body["metadata"]["generation"], 2);
    // The running pod finishes, nothing new starts.
    s.sim.advance(Duration::from_secs(120));
    let wf = s.workflow("argo", &name).await;
    assert_eq!(node(&wf, "deploy-canary")["phase"], "Succeeded");
    assert!(nodes(&wf).iter().all(|n| n["displayName"] != "promote"));
    assert_eq!(wf["status"]["phase"], "Running");
    let r = s
        .put(
            &format!("{path}/resume"),
            json!({"nodeFieldSelector": null}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert!(
        r.body["spec"].get("suspend").is_none(),
        "{:?}",
        r.body["spec"]
    );
    // The gate without parameters: resuming everything approves it.
    let wf = s
        .until("argo", &name, |w| {
            nodes(w)
                .iter()
                .any(|n| n["displayName"] == "promote" && n["phase"] == "Running")
        })
        .await;
    assert!(wf["spec"].get("suspend").is_none());
    s.put(&format!("{path}/resume"), json!({})).await;
    let done = s
        .until("argo", &name, |w| w["status"]["phase"] != "Running")
        .await;
    assert_eq!(done["status"]["phase"], "Succeeded");
}

#[tokio::test]
async fn stop_and_terminate_patch_the_spec_and_end_with_their_messages() {
    let s = sim().await;
    for strategy in ["Terminate", "Stop"] {
        let name = s
            .submit("data", "WorkflowTemplate", "nightly-etl", &[])
            .await;
        s.sim.advance(Duration::from_secs(2));
        let path = format!("/api/v1/workflows/data/{name}/{}", strategy.to_lowercase());
        let r = s.put(&path, json!({})).await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        // The controller has not reacted yet: the patch, over the old status.
        assert_eq!(r.body["spec"]["shutdown"], strategy);
        assert_eq!(r.body["status"]["phase"], "Running");
        assert_eq!(label(&r.body, "action"), strategy);
        let wf = s.workflow("data", &name).await;
        assert_eq!(wf["status"]["phase"], "Failed");
        assert_eq!(
            wf["status"]["message"],
            format!("Stopped with strategy '{strategy}'")
        );
        assert_eq!(node(&wf, "extract")["phase"], "Failed");
    }
}

#[tokio::test]
async fn retry_reruns_in_place_and_resubmit_starts_a_new_workflow() {
    let s = sim().await;
    let name = s.submit("argo", "WorkflowTemplate", "release", &[]).await;
    let wf = s
        .until("argo", &name, |w| {
            nodes(w).iter().any(|n| n["type"] == "Suspend")
        })
        .await;
    let id = node(&wf, "approval")["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/workflows/argo/{name}");
    s.put(
        &format!("{path}/stop"),
        json!({"nodeFieldSelector": format!("id={id}"), "message": "not now"}),
    )
    .await;
    s.until("argo", &name, |w| w["status"]["phase"] == "Failed")
        .await;
    let r = s
        .put(
            &format!("{path}/retry"),
            json!({"parameters": ["version=9.9.9"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["metadata"]["name"], name.as_str());
    assert_eq!(r.body["status"]["phase"], "Running");
    assert_eq!(label(&r.body, "action"), "Retry");
    // The failed gate waits again; the build that passed is kept.
    let gate = node(&r.body, "approval");
    assert_eq!(gate["phase"], "Running");
    assert_eq!(node(&r.body, "build")["phase"], "Succeeded");
    let params = r.body["spec"]["arguments"]["parameters"]
        .as_array()
        .unwrap();
    assert!(
        params
            .iter()
            .any(|p| p["name"] == "version" && p["value"] == "9.9.9")
    );
    let again = s
        .put(&format!("{path}/resubmit"), json!({"memoized": false}))
        .await;
    assert_eq!(again.status, StatusCode::OK, "{:?}", again.body);
    let new = again.body["metadata"]["name"].as_str().unwrap();
    assert_ne!(new, name);
    assert!(new.starts_with("release-"));
    assert_eq!(
        label(&again.body, "resubmitted-from-workflow"),
        name.as_str()
    );
    assert_eq!(s.workflow("argo", new).await["status"]["phase"], "Running");
}

#[tokio::test]
async fn create_from_a_manifest() {
    let s = sim().await;
    let manifest = json!({
        "metadata": {"generateName": "hello-", "labels": {"team": "platform"}},
        "spec": {
            "entrypoint": "main",
            "arguments": {"parameters": [{"name": "who", "value": "world"}]},
            "templates": [
                {"name": "main", "steps": [[{"name": "say", "template": "say"}], [{"name": "ok", "template": "gate"}]]},
                {"name": "say", "container": {"image": "alpine", "command": ["echo", "hello"]}},
                {"name": "gate", "suspend": {}},
            ],
        },
    });
    let r = s
        .post("/api/v1/workflows/argo", json!({"workflow": manifest}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let name = r.body["metadata"]["name"].as_str().unwrap().to_string();
    assert!(name.starts_with("hello-"));
    assert!(r.body["metadata"]["uid"].is_string());
    assert_eq!(r.body["metadata"]["labels"]["team"], "platform");
    assert_eq!(
        r.body["status"],
        json!({"startedAt": null, "finishedAt": null})
    );
    assert_eq!(r.body["spec"]["templates"][1]["container"]["name"], "");
    let wf = s
        .until("argo", &name, |w| {
            nodes(w).iter().any(|n| n["type"] == "Suspend")
        })
        .await;
    assert_eq!(node(&wf, "say")["phase"], "Succeeded");
    assert!(
        s.sim
            .world()
            .argo_waiting_gates()
            .iter()
            .any(|g| g.execution == name)
    );
    // The same name again.
    let named = json!({"workflow": {"metadata": {"name": name}, "spec": manifest["spec"]}});
    let r = s.post("/api/v1/workflows/argo", named).await;
    assert_error(
        &r,
        409,
        6,
        &format!("workflows.argoproj.io \"{name}\" already exists"),
    );
    // A dry run is answered but not stored.
    let dry = json!({"workflow": {"metadata": {"name": "dry-one"}, "spec": manifest["spec"]},
                     "createOptions": {"dryRun": ["All"]}});
    let r = s.post("/api/v1/workflows/argo", dry).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert!(r.body["metadata"].get("uid").is_none());
    assert_eq!(
        s.get("/api/v1/workflows/argo/dry-one").await.status,
        StatusCode::NOT_FOUND
    );
    // A reference to a template, with a single-pod entrypoint.
    let by_ref = json!({"workflow": {"metadata": {"generateName": "etl-"},
        "spec": {"workflowTemplateRef": {"name": "nightly-etl"}, "entrypoint": "load",
                 "arguments": {"parameters": [{"name": "date", "value": "2026-03-01"}]}}}});
    let r = s.post("/api/v1/workflows/data", by_ref).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let etl = r.body["metadata"]["name"].as_str().unwrap().to_string();
    assert_eq!(label(&r.body, "workflow-template"), "nightly-etl");
    let wf = s
        .until("data", &etl, |w| w["status"]["phase"] != "Running")
        .await;
    assert_eq!(wf["status"]["nodes"][etl.as_str()]["type"], "Pod");
    // Bad manifests.
    let r = s.post("/api/v1/workflows/argo", json!({"workflow": {"metadata": {"name": "x"}, "spec": {"entrypoint": "nope", "templates": []}}})).await;
    assert_error(&r, 400, 3, "spec.entrypoint template 'nope' undefined");
    let r = s
        .post(
            "/api/v1/workflows/argo",
            json!({"workflow": {"metadata": {}, "spec": manifest["spec"]}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = s.post("/api/v1/workflows/argo", json!({})).await;
    assert_error(&r, 400, 3, "workflow body not specified");
    let viewer = s
        .send(
            Method::POST,
            "/api/v1/workflows/argo",
            Some(&s.sim.argo_viewer_token()),
            Some(json!({"workflow": manifest})),
        )
        .await;
    assert_eq!(viewer.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn submit_checks_kind_template_parameters_and_entrypoint() {
    let s = sim().await;
    let submit = |body: Value| s.post("/api/v1/workflows/argo/submit", body);
    let r = submit(json!({"resourceKind": "Deployment", "resourceName": "release"})).await;
    assert_error(
        &r,
        400,
        3,
        "Resource kind 'Deployment' is not supported for submitting",
    );
    let r = submit(json!({"resourceKind": "WorkflowTemplate", "resourceName": "nope"})).await;
    assert_error(
        &r,
        404,
        5,
        "workflowtemplates.argoproj.io \"nope\" not found",
    );
    let r = submit(json!({"resourceKind": "cwftmpl", "resourceName": "nope"})).await;
    assert_error(
        &r,
        404,
        5,
        "clusterworkflowtemplates.argoproj.io \"nope\" not found",
    );
    let r = submit(json!({"resourceKind": "wftmpl", "resourceName": "release",
                          "submitOptions": {"parameters": ["environment=moon"]}}))
    .await;
    assert_error(
        &r,
        400,
        3,
        "spec.arguments.environment.value should be present in spec.arguments.environment.enum list",
    );
    let r = submit(
        json!({"resourceKind": "WorkflowTemplate", "resourceName": "release",
                          "submitOptions": {"parameters": ["colour=blue"]}}),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body["message"].as_str().unwrap().contains("colour"));
    let r = submit(
        json!({"resourceKind": "WorkflowTemplate", "resourceName": "release",
                          "submitOptions": {"parameters": ["novalue"]}}),
    )
    .await;
    assert_error(
        &r,
        400,
        3,
        "expected parameter of the form: NAME=VALUE. Received: novalue",
    );
    let r = submit(
        json!({"resourceKind": "WorkflowTemplate", "resourceName": "release",
                          "submitOptions": {"entryPoint": "ghost"}}),
    )
    .await;
    assert_error(&r, 400, 3, "spec.entrypoint template 'ghost' undefined");
    // Another entry point: just the build pod, the workflow's only node.
    let r = submit(
        json!({"resourceKind": "WorkflowTemplate", "resourceName": "release",
                          "submitOptions": {"entryPoint": "build", "name": "just-build"}}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["metadata"]["name"], "just-build");
    assert_eq!(r.body["spec"]["entrypoint"], "build");
    let wf = s
        .until("argo", "just-build", |w| w["status"]["phase"] != "Running")
        .await;
    assert_eq!(wf["status"]["nodes"]["just-build"]["type"], "Pod");
    // A cluster template, in the other namespace.
    let name = s
        .submit(
            "data",
            "ClusterWorkflowTemplate",
            "ci-build",
            &["revision=abc123"],
        )
        .await;
    let wf = s.workflow("data", &name).await;
    assert_eq!(label(&wf, "cluster-workflow-template"), "ci-build");
    assert_eq!(
        wf["spec"]["workflowTemplateRef"],
        json!({"name": "ci-build", "clusterScope": true})
    );
    let dry = submit(
        json!({"resourceKind": "WorkflowTemplate", "resourceName": "canary",
                            "submitOptions": {"dryRun": true}}),
    )
    .await;
    assert_eq!(dry.status, StatusCode::OK);
    let dry_name = dry.body["metadata"]["name"].as_str().unwrap();
    assert_eq!(
        s.get(&format!("/api/v1/workflows/argo/{dry_name}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn templates_cluster_templates_and_bindings() {
    let s = sim().await;
    let list = s.get("/api/v1/workflow-templates/argo").await;
    assert_eq!(names(&list.body), ["canary", "release"]);
    let data = s.get("/api/v1/workflow-templates/data").await;
    assert_eq!(names(&data.body), ["db-migrate", "nightly-etl"]);
    let page = s
        .get("/api/v1/workflow-templates/argo?listOptions.limit=1")
        .await;
    assert_eq!(names(&page.body), ["canary"]);
    let token = page.body["metadata"]["continue"].as_str().unwrap();
    let next = s
        .get(&format!(
            "/api/v1/workflow-templates/argo?listOptions.limit=1&listOptions.continue={token}"
        ))
        .await;
    assert_eq!(names(&next.body), ["release"]);
    assert!(next.body["metadata"].get("continue").is_none());
    let pattern = s
        .get("/api/v1/workflow-templates/data?namePattern=etl")
        .await;
    assert_eq!(names(&pattern.body), ["nightly-etl"]);
    let release = s.get("/api/v1/workflow-templates/argo/release").await;
    let params = &release.body["spec"]["arguments"]["parameters"];
    assert_eq!(
        params[2],
        json!({"name": "environment", "value": "production", "enum": ["staging", "production"], "description": "Where to deploy"})
    );
    assert_eq!(release.body["metadata"]["namespace"], "argo");
    let missing = s.get("/api/v1/workflow-templates/argo/db-migrate").await;
    assert_error(
        &missing,
        404,
        5,
        "workflowtemplates.argoproj.io \"db-migrate\" not found",
    );
    let cluster = s.get("/api/v1/cluster-workflow-templates").await;
    assert_eq!(names(&cluster.body), ["ci-build"]);
    let ci = s.get("/api/v1/cluster-workflow-templates/ci-build").await;
    assert!(ci.body["metadata"].get("namespace").is_none());
    assert_eq!(ci.body["spec"]["templates"][3]["retryStrategy"]["limit"], 2);
    let missing = s.get("/api/v1/cluster-workflow-templates/nope").await;
    assert_error(
        &missing,
        404,
        5,
        "clusterworkflowtemplates.argoproj.io \"nope\" not found",
    );
    let bindings = s.get("/api/v1/workflow-event-bindings/argo").await;
    assert_eq!(names(&bindings.body), ["github-push"]);
    assert_eq!(
        s.get("/api/v1/workflow-event-bindings/data").await.body["items"],
        Value::Null
    );
}

#[tokio::test]
async fn events_submit_through_matching_bindings() {
    let s = sim().await;
    let ci = format!(
        "listOptions.labelSelector={}",
        q("workflows.argoproj.io/workflow-event-binding=github-push")
    );
    let before = names(&s.list("argo", &ci).await).len();
    let push = json!({"ref": "refs/heads/main", "after": "f00dfeed", "repository": {"full_name": "example/ledger"}});
    let r = s.post("/api/v1/events/argo/github", push.clone()).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, json!({}));
    let after = s.list("argo", &ci).await;
    assert_eq!(names(&after).len(), before + 1);
    let wf = after["items"].as_array().unwrap().iter().find(|w| {
        w["spec"]["arguments"]["parameters"]
            .as_array()
            .is_some_and(|p| p.iter().any(|p| p["value"] == "f00dfeed"))
    });
    let wf = wf.expect("the workflow the event started");
    assert_eq!(label(wf, "cluster-workflow-template"), "ci-build");
    assert!(
        wf["spec"]["arguments"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "repo" && p["value"] == "example/ledger")
    );
    // Other branches, other discriminators and an empty one start nothing.
    let other = json!({"ref": "refs/heads/feature", "after": "1"});
    assert_eq!(
        s.post("/api/v1/events/argo/github", other).await.body,
        json!({})
    );
    assert_eq!(
        s.post("/api/v1/events/argo/gitlab", push.clone())
            .await
            .body,
        json!({})
    );
    assert_eq!(s.post("/api/v1/events/argo/", push).await.body, json!({}));
    assert_eq!(names(&s.list("argo", &ci).await).len(), before + 1);
}

/// A streaming answer read line by line.
struct Lines {
    res: reqwest::Response,
    buf: String,
}

impl Lines {
    async fn open(s: &Sim, path: &str, sse: bool) -> Lines {
        let mut req = s
            .http
            .get(format!("{}{path}", s.sim.argo_url()))
            .bearer_auth(s.sim.argo_token());
        if sse {
            req = req.header("accept", "text/event-stream");
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert!(res.headers().contains_key(VERSION_HEADER));
        let want = if sse {
            "text/event-stream"
        } else {
            "application/json"
        };
        assert_eq!(res.headers()["content-type"], want);
        Lines {
            res,
            buf: String::new(),
        }
    }

    /// The next line; `Ok(None)` at the end of the stream, `Err` if it was cut.
    async fn next(&mut self) -> Result<Option<String>, String> {
        loop {
            if let Some(i) = self.buf.find('\n') {
                let line = self.buf[..i].to_string();
                self.buf.drain(..=i);
                return Ok(Some(line));
            }
            let chunk = tokio::time::timeout(Duration::from_secs(10), self.res.chunk())
                .await
                .map_err(|_| "timed out".to_string())?;
            match chunk {
                Ok(Some(bytes)) => self.buf.push_str(&String::from_utf8_lossy(&bytes)),
                Ok(None) => return Ok(None),
                Err(e) => return Err(e.to_string()),
            }
        }
    }

    /// The next message (skipping SSE blank and comment lines), parsed; `None` at the end.
    async fn message(&mut self) -> Option<Value> {
        loop {
            let line = self.next().await.expect("stream open")?;
            if line.trim().is_empty() || line.starts_with(':') {
                continue;
            }
            let json = line.strip_prefix("data: ").unwrap_or(&line);
            return Some(serde_json::from_str(json).expect("a JSON message"));
        }
    }
}

/// A stream message conforms (leniently about required properties when `fields` pruned it).
fn check_event(path: &str, event: &Value) {
    if path.contains("fields=") {
        swagger::check_projected("GET", path, event);
    } else {
        swagger::check_response("GET", path, event);
    }
}

#[tokio::test]
async fn watch_sends_added_then_changes_with_sse_framing_and_keepalives() {
    let s = sim().await;
    s.sim.set_argo_keepalive(Duration::from_millis(50));
    let name = s.submit("argo", "WorkflowTemplate", "release", &[]).await;
    let fields = "result.type,result.object.metadata.name,result.object.metadata.resourceVersion,result.object.status.phase,result.object.status.progress";
    let path = format!(
        "/api/v1/workflow-events/argo?listOptions.fieldSelector={}&fields={fields}",
        q(&format!("metadata.namespace=argo,metadata.name={name}"))
    );
    let mut w = Lines::open(&s, &path, true).await;
    // Raw framing: `data: <json> \n\n` then the gateway's `\n`.
    let first = w.next().await.unwrap().unwrap();
    assert!(
        first.starts_with("data: {") && first.ends_with("} "),
        "{first:?}"
    );
    assert_eq!(w.next().await.unwrap().unwrap(), "");
    assert_eq!(w.next().await.unwrap().unwrap(), "");
    let added: Value = serde_json::from_str(first.trim_start_matches("data: ")).unwrap();
    check_event(&path, &added);
    assert_eq!(added["result"]["type"], "ADDED");
    assert_eq!(added["result"]["object"]["metadata"]["name"], name.as_str());
    assert!(
        added["result"]["object"].get("spec").is_none(),
        "the stream is pruned, not re-encoded"
    );
    // A keep-alive comes while nothing changes.
    let mut keepalive = false;
    for _ in 0..3 {
        if w.next().await.unwrap().unwrap() == ":" {
            keepalive = true;
            break;
        }
    }
    assert!(keepalive, "no keep-alive");
    s.sim.advance(Duration::from_secs(120));
    let changed = w.message().await.unwrap();
    check_event(&path, &changed);
    assert_eq!(changed["result"]["type"], "MODIFIED");
    let rv = |e: &Value| {
        e["result"]["object"]["metadata"]["resourceVersion"]
            .as_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
    };
    assert!(rv(&changed) > rv(&added));
}

#[tokio::test]
async fn watch_ndjson_prunes_the_type_unless_listed_and_honours_selectors() {
    let s = sim().await;
    let sel = q("workflows.argoproj.io/workflow-template=release");
    let path = format!(
        "/api/v1/workflow-events/argo?listOptions.labelSelector={sel}&fields=result.object.metadata.name"
    );
    let mut w = Lines::open(&s, &path, false).await;
    let expected = names(
        &s.list("argo", &format!("listOptions.labelSelector={sel}"))
            .await,
    )
    .len();
    for _ in 0..expected {
        let e = w.message().await.unwrap();
        check_event(&path, &e);
        assert!(e["result"].get("type").is_none(), "{e}");
        assert!(
            e["result"]["object"]["metadata"]["name"]
                .as_str()
                .unwrap()
                .starts_with("release-")
        );
    }
    // A workflow of another template does not show; one of this template does.
    s.submit("argo", "WorkflowTemplate", "canary", &[]).await;
    let name = s.submit("argo", "WorkflowTemplate", "release", &[]).await;
    let e = w.message().await.unwrap();
    assert_eq!(e["result"]["object"]["metadata"]["name"], name.as_str());
    // Full objects without `fields`; @latest names the newest.
    let latest = format!(
        "/api/v1/workflow-events/data?listOptions.fieldSelector={}",
        q("metadata.name=@latest")
    );
    let mut w = Lines::open(&s, &latest, false).await;
    let e = w.message().await.unwrap();
    check_event(&latest, &e);
    assert_eq!(e["result"]["type"], "ADDED");
    assert!(e["result"]["object"]["status"]["nodes"].is_object());
    // An empty namespace watches every namespace.
    let all = "/api/v1/workflow-events/?fields=result.object.metadata.namespace";
    let mut w = Lines::open(&s, all, false).await;
    let total = names(&s.list("", "").await).len();
    let mut namespaces = std::collections::BTreeSet::new();
    for _ in 0..total {
        let e = w.message().await.unwrap();
        check_event(all, &e);
        namespaces.insert(
            e["result"]["object"]["metadata"]["namespace"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    assert_eq!(namespaces.into_iter().collect::<Vec<_>>(), ["argo", "data"]);
    let bad = s
        .get(&format!(
            "/api/v1/workflow-events/argo?listOptions.fieldSelector={}",
            q("status.phase=Running")
        ))
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn watches_ended_or_cut_resume_from_a_resource_version_without_losing_updates() {
    let s = sim().await;
    let name = s.submit("argo", "WorkflowTemplate", "release", &[]).await;
    let one = q(&format!("metadata.name={name}"));
    let base = format!("/api/v1/workflow-events/argo?listOptions.fieldSelector={one}");
    let rv_of = |e: &Value| {
        e["result"]["object"]["metadata"]["resourceVersion"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let mut w = Lines::open(&s, &base, true).await;
    let added = w.message().await.unwrap();
    let mut last = rv_of(&added);
    // Ended: the EOF chunk, then the stream closes.
    s.sim.argo_end_watches();
    let eof = w.message().await.unwrap();
    assert_eq!(
        eof,
        json!({"error": {"grpc_code": 8, "http_code": 429, "message": "EOF", "http_status": "Too Many Requests"}})
    );
    check_event(&base, &eof);
    assert!(w.message().await.is_none());
    // A change while nobody watches arrives on resuming from the last version seen.
    s.sim.advance(Duration::from_secs(150));
    let mut w = Lines::open(
        &s,
        &format!("{base}&listOptions.resourceVersion={last}"),
        true,
    )
    .await;
    let e = w.message().await.unwrap();
    assert_eq!(
        e["result"]["type"], "MODIFIED",
        "no ADDED replay when resuming"
    );
    assert!(rv_of(&e).parse::<u64>().unwrap() > last.parse::<u64>().unwrap());
    last = rv_of(&e);
    // Cut: no chunk, the connection just ends in an error.
    s.sim.argo_drop_watches();
    let cut = loop {
        match w.next().await {
            Ok(Some(line)) if line.trim().is_empty() || line.starts_with(':') => continue,
            other => break other,
        }
    };
    assert!(cut.is_err(), "{cut:?}");
    let wf = s.workflow("argo", &name).await;
    let gate = nodes(&wf)
        .into_iter()
        .find(|n| n["type"] == "Suspend")
        .expect("waiting at the gate")
        .clone();
    s.put(
        &format!("/api/v1/workflows/argo/{name}/resume"),
        json!({"nodeFieldSelector": format!("id={}", gate["id"].as_str().unwrap())}),
    )
    .await;
    let mut w = Lines::open(
        &s,
        &format!("{base}&listOptions.resourceVersion={last}"),
        false,
    )
    .await;
    let e = w.message().await.unwrap();
    assert_eq!(e["result"]["type"], "MODIFIED");
    assert_eq!(
        e["result"]["object"]["status"]["nodes"][gate["id"].as_str().unwrap()]["phase"],
        "Succeeded"
    );
}

#[tokio::test]
async fn logs_stream_pod_lines_with_options_and_follow_until_done() {
    let s = sim().await;
    let name = s
        .submit("argo", "WorkflowTemplate", "release", &["version=3.1.4"])
        .await;
    let wf = s
        .until("argo", &name, |w| {
            nodes(w).iter().any(|n| n["type"] == "Suspend")
        })
        .await;
    let build = node(&wf, "build");
    let pod = format!("{name}-build-{}", fnv32a(build["name"].as_str().unwrap()));
    let path = format!("/api/v1/workflows/argo/{name}/log?logOptions.container=main");
    let mut all = Lines::open(&s, &path, false).await;
    let mut lines = Vec::new();
    while let Some(m) = all.message().await {
        check_event(&path, &m);
        assert_eq!(m["result"]["podName"], pod.as_str());
        lines.push(m["result"]["content"].as_str().unwrap().to_string());
    }
    assert_eq!(lines[0], "Building payments-api at 3.1.4");
    assert_eq!(lines.last().unwrap(), "Successfully built image tag 3.1.4");
    let tail = format!("{path}&podName={pod}&logOptions.tailLines=1");
    let mut t = Lines::open(&s, &tail, true).await;
    assert_eq!(
        t.message().await.unwrap()["result"]["content"],
        "Successfully built image tag 3.1.4"
    );
    assert!(t.message().await.is_none());
    let grep = format!("{path}&grep={}", q("^go: .*modules$"));
    let mut g = Lines::open(&s, &grep, false).await;
    assert_eq!(
        g.message().await.unwrap()["result"]["content"],
        "go: downloading modules"
    );
    assert!(g.message().await.is_none());
    let legacy = format!("/api/v1/workflows/argo/{name}/{pod}/log?logOptions.timestamps=true");
    let mut l = Lines::open(&s, &legacy, false).await;
    let stamped = l.message().await.unwrap();
    assert!(
        stamped["result"]["content"]
            .as_str()
            .unwrap()
            .ends_with("Z Building payments-api at 3.1.4")
    );
    let mut wait = Lines::open(
        &s,
        &format!("/api/v1/workflows/argo/{name}/log?logOptions.container=wait"),
        false,
    )
    .await;
    assert!(wait.message().await.is_none());
    assert_eq!(
        s.get("/api/v1/workflows/argo/nope/log").await.status,
        StatusCode::NOT_FOUND
    );
    // A followed log of a workflow that waits ends only when told to.
    let waiting = format!("/api/v1/workflows/argo/{name}/log?logOptions.follow=true");
    let mut held = Lines::open(&s, &waiting, false).await;
    for _ in 0..lines.len() {
        held.message().await.unwrap();
    }
    s.sim.argo_end_watches();
    assert_eq!(held.message().await.unwrap()["error"]["message"], "EOF");
    assert!(held.message().await.is_none());
    // Following: the deploy's lines arrive as it runs, and the stream ends with the workflow.
    let follow = format!("/api/v1/workflows/argo/{name}/log?logOptions.follow=true&podName=");
    let mut f = Lines::open(&s, &follow, true).await;
    for _ in 0..lines.len() {
        f.message().await.unwrap();
    }
    let id = node(&wf, "approval")["id"].as_str().unwrap().to_string();
    s.put(&format!("/api/v1/workflows/argo/{name}/set"), json!({"nodeFieldSelector": format!("id={id}"), "outputParameters": "{\"approve\":\"YES\"}"})).await;
    s.put(
        &format!("/api/v1/workflows/argo/{name}/resume"),
        json!({"nodeFieldSelector": format!("id={id}")}),
    )
    .await;
    let advance = async {
        for _ in 0..120 {
            s.sim.advance(Duration::from_secs(1));
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    let read = async {
        let mut deploy = Vec::new();
        while let Some(m) = f.message().await {
            deploy.push(
                m["result"]["content"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            );
        }
        deploy
    };
    let (_, deploy) = tokio::join!(advance, read);
    assert!(
        deploy.iter().any(|l| l.contains("successfully rolled out")),
        "{deploy:?}"
    );
}

#[tokio::test]
async fn requests_are_recorded_for_request_body_checks() {
    let s = sim().await;
    s.submit("argo", "WorkflowTemplate", "canary", &["weight=25"])
        .await;
    s.get("/api/v1/workflows/argo?listOptions.limit=1").await;
    let seen = s.sim.argo_requests();
    let submit = seen
        .iter()
        .find(|r| r.method == "POST")
        .expect("the submit");
    assert_eq!(submit.path, "/api/v1/workflows/argo/submit");
    assert_eq!(
        submit.body["submitOptions"]["parameters"],
        json!(["weight=25"])
    );
    swagger::validate_request("POST", &submit.path, &submit.body).unwrap();
    let list = seen.last().unwrap();
    assert_eq!(
        (list.method.as_str(), list.path.as_str()),
        ("GET", "/api/v1/workflows/argo?listOptions.limit=1")
    );
    assert_eq!(list.body, Value::Null);
    assert_eq!(
        s.sim
            .stats()
            .requests_to("GET", "/api/v1/workflows/{namespace}"),
        1
    );
}
