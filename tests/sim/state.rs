//! `GET /_sim/state` on each face of the simulator: what the face holds, and the requests and
//! decisions it received, counted per face. Looking is neither counted nor subject to injected
//! faults.

use std::time::Duration;

use flightdeck_sim::{ClockMode, Fault, Faults, Rule, STATE_PATH, SimHandle, SimOptions};
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
    sim.set_infraxys_latency(Duration::from_millis(10));
    sim
}

async fn state(base: &str) -> Value {
    let resp = Client::new()
        .get(format!("{base}{STATE_PATH}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK, "no token needed");
    resp.json().await.unwrap()
}

fn route_count(state: &Value, method: &str, route: &str) -> u64 {
    state["requests"]["by_route"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["method"] == method && r["route"] == route)
        .map_or(0, |r| r["count"].as_u64().unwrap())
}

#[tokio::test]
async fn the_harness_face_holds_projects_and_applications_and_counts_its_traffic() {
    let sim = sim().await;
    let http = Client::new();
    let before = state(&sim.harness_url()).await;
    assert_eq!(before["face"], "harness");
    assert_eq!(before["seed"], 42);
    assert_eq!(before["account"], sim.account().as_str());
    assert_eq!(before["org"], "default");
    let projects: Vec<&str> = before["projects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(projects, ["payments", "checkout", "platform"]);
    let applications: Vec<&str> = before["applications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(applications, ["Legacy Billing", "Storefront Classic"]);
    assert!(before["projects"][0]["pipelines"].as_array().unwrap().len() > 1);
    assert_eq!(before["requests"], json!({"total": 0, "by_route": []}));

    // One NextGen read, one First Gen query, one unknown path.
    let list = format!(
        "{}/pipeline/api/pipelines/list?accountIdentifier={}&orgIdentifier=default&projectIdentifier=payments",
        sim.harness_url(),
        sim.account()
    );
    let resp = http
        .post(&list)
        .header("x-api-key", sim.harness_token())
        .json(&json!({"filterType": "PipelineSetup"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = http
        .post(format!("{}/api/graphql", sim.harness_fg_url()))
        .header("x-api-key", sim.harness_fg_api_key())
        .json(&json!({"query": "{ applications(limit: 1) { nodes { id } } }"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    http.get(format!("{}/nowhere", sim.harness_url()))
        .send()
        .await
        .unwrap();

    // A gate of each generation decided through the world's own API paths.
    let gate = sim.world().waiting_gate().unwrap();
    let resp = http
        .post(format!(
            "{}/v1/orgs/default/projects/{}/approvals/execution/{}",
            sim.harness_url(),
            gate.project,
            gate.execution
        ))
        .header("x-api-key", sim.harness_token())
        .header("Harness-Account", sim.account())
        .json(&json!({"action": "APPROVE"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);

    let after = state(&sim.harness_url()).await;
    assert_eq!(after["requests"]["total"], 4, "{}", after["requests"]);
    assert_eq!(
        route_count(&after, "POST", "/pipeline/api/pipelines/list"),
        1
    );
    assert_eq!(route_count(&after, "POST", "/gateway/api/graphql"), 1);
    assert_eq!(route_count(&after, "GET", "(unmatched)"), 1);
    assert_eq!(after["decisions"]["approve"], 1);
    assert_eq!(after["decisions"]["reject"], 0);
    assert_eq!(
        after["decisions"]["by_gate"],
        json!([{"gate": gate.approval, "approve": 1, "reject": 0}])
    );
    // The decided gate shows in its execution.
    let execution = after["projects"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["executions"].as_array().unwrap())
        .find(|e| e["id"] == gate.execution.as_str())
        .unwrap()
        .clone();
    assert_eq!(execution["gates"][0]["id"], gate.approval.as_str());
    assert_eq!(execution["gates"][0]["status"], "approved");
    assert_eq!(execution["gates"][0]["callback_id"], "cert_change");

    // The other faces saw none of it.
    assert_eq!(state(&sim.argo_url()).await["requests"]["total"], 0);
    assert_eq!(state(&sim.infraxys_url()).await["requests"]["total"], 0);
    assert_eq!(state(&sim.argo_url()).await["decisions"]["approve"], 0);
    // Looking was not counted anywhere.
    assert_eq!(sim.stats().total_requests, 4);
    assert_eq!(sim.stats().faces["harness"].total(), 4);
}

#[tokio::test]
async fn first_gen_applications_are_listed_by_their_graphql_ids() {
    let sim = sim().await;
    let gate = sim.world().first_gen_waiting_gate().unwrap();
    let s = state(&sim.harness_url()).await;
    let billing = &s["applications"][0];
    assert_eq!(billing["name"], "Legacy Billing");
    assert_eq!(billing["id"].as_str().unwrap().len(), 22);
    let names = |key: &str| -> Vec<String> {
        billing[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(names("pipelines").contains(&"Billing release".to_string()));
    assert!(names("workflows").contains(&"Billing API deploy".to_string()));
    let execution = billing["executions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == gate.execution.as_str())
        .unwrap();
    assert_eq!(execution["status"], "waiting");
    assert_eq!(execution["gates"][0]["status"], "waiting");
}

#[tokio::test]
async fn the_argo_face_holds_namespaces_templates_and_workflows() {
    let sim = sim().await;
    let http = Client::new();
    let s = state(&sim.argo_url()).await;
    assert_eq!(s["face"], "argo");
    let namespaces: Vec<&str> = s["namespaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap())
        .collect();
    assert_eq!(namespaces, ["argo", "data"]);
    let templates = &s["namespaces"][0]["templates"];
    assert!(templates.as_array().unwrap().contains(&json!("release")));
    assert!(
        templates
            .as_array()
            .unwrap()
            .contains(&json!("cluster/ci-build"))
    );
    assert!(
        !s["namespaces"][0]["workflows"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    let gate = sim
        .world()
        .argo_waiting_gates()
        .into_iter()
        .find(|g| g.pipeline == "canary")
        .unwrap();
    let resp = http
        .put(format!(
            "{}/api/v1/workflows/argo/{}/resume",
            sim.argo_url(),
            gate.execution
        ))
        .bearer_auth(sim.argo_token())
        .json(&json!({"nodeFieldSelector": format!("displayName={}", gate.step)}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        StatusCode::OK,
        "{}",
        resp.text().await.unwrap()
    );

    let s = state(&sim.argo_url()).await;
    assert_eq!(s["requests"]["total"], 1);
    assert_eq!(
        route_count(&s, "PUT", "/api/v1/workflows/{namespace}/{name}/resume"),
        1
    );
    assert_eq!(s["decisions"]["approve"], 1);
    assert_eq!(s["decisions"]["by_gate"][0]["gate"], gate.approval.as_str());
    assert_eq!(state(&sim.harness_url()).await["decisions"]["approve"], 0);
}

#[tokio::test]
async fn the_infraxys_face_holds_its_catalogue_and_counts_runs() {
    let sim = sim().await;
    let s = state(&sim.infraxys_url()).await;
    assert_eq!(s["face"], "infraxys");
    assert_eq!(s["branch"], "master");
    assert_eq!(s["token_required"], true);
    let catalogue = sim.infraxys_catalogue();
    assert_eq!(
        s["workflows"][0]["workflow_id"],
        catalogue.workflows[0].workflow_id.as_str()
    );
    assert_eq!(
        s["actions"][0]["filename"],
        catalogue.actions[0].filename.as_str()
    );
    assert_eq!(
        s["aliases"][0]["alias"],
        catalogue.aliases[0].alias.as_str()
    );
    assert_eq!(s["runs"], 0);

    let resp = Client::new()
        .post(format!(
            "{}/api/v1/actions/start/{}",
            sim.infraxys_url(),
            catalogue.aliases[0].alias
        ))
        .header("Authorization", format!("token {}", sim.infraxys_token()))
        .json(&json!({"asynchronous": false, "argument": {}}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let s = state(&sim.infraxys_url()).await;
    assert_eq!(s["runs"], 1);
    assert_eq!(route_count(&s, "POST", "/api/v1/actions/start/{alias}"), 1);
    assert_eq!(state(&sim.argo_url()).await["requests"]["total"], 0);
}

#[tokio::test]
async fn injected_faults_spare_the_inspection_endpoint() {
    let sim = sim().await;
    sim.set_faults(Faults::new([
        Rule::new(Fault::Status(500)).paths("_sim"),
        Rule::new(Fault::Status(500)).paths("state"),
    ]));
    for base in [sim.harness_url(), sim.argo_url(), sim.infraxys_url()] {
        assert_eq!(state(&base).await["requests"]["total"], 0);
    }
}
