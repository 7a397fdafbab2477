//! The Argo client against the simulator over real HTTP: templates and starts, projected
//! paged lists, gates from Suspend nodes and every way of deciding them, errors, the watch
//! stream through a reconnect, and step logs. Every request body the client sends is
//! checked against the official swagger.

use crate::common;

use std::time::Duration;

use common::swagger;
use flightdeck::backend::Backend;
use flightdeck::backend::argo::{ArgoBackend, ArgoEvent, ArgoOptions, RejectMode};
use flightdeck::domain::*;
use flightdeck_sim::{ClockMode, SimHandle, SimOptions};
use tokio::sync::mpsc;

async fn sim() -> SimHandle {
    SimHandle::start(SimOptions {
        clock: ClockMode::Manual,
        ..SimOptions::default()
    })
    .await
    .expect("simulator starts")
}

fn client_with(
    sim: &SimHandle,
    namespace: &str,
    token: Option<String>,
    reject: RejectMode,
) -> ArgoBackend {
    ArgoBackend::new(ArgoOptions {
        name: "argo".into(),
        base_url: sim.argo_url().parse().unwrap(),
        namespace: namespace.into(),
        token: token.map(Into::into),
        cluster_templates: true,
        label_selector: None,
        reject,
        events: vec![ArgoEvent {
            name: "push".into(),
            discriminator: "github".into(),
            description: String::new(),
            payload: r#"{"ref":"refs/heads/main","repository":"payments"}"#.into(),
        }],
        timeout: Duration::from_secs(10),
        ca_file: None,
        insecure_skip_verify: false,
    })
    .expect("client")
}

fn client(sim: &SimHandle, namespace: &str) -> ArgoBackend {
    client_with(sim, namespace, Some(sim.argo_token()), RejectMode::Stop)
}

/// Every body the client sent conforms to the swagger's request schema of its route,
/// strictly (no property the API does not declare).
fn requests_conform(sim: &SimHandle) {
    for r in sim.argo_requests() {
        if r.body.is_null() {
            continue;
        }
        let path = r.path.split('?').next().unwrap();
        let schema = swagger::request_schema(&r.method, path)
            .unwrap_or_else(|| panic!("{} {path}: no request schema", r.method));
        if let Err(problems) = swagger::validate_schema(&schema, &r.body) {
            panic!("{} {path}: {problems:?}\n{}", r.method, r.body);
        }
    }
}

fn sent(sim: &SimHandle, method: &str, path_part: &str) -> Vec<serde_json::Value> {
    sim.argo_requests()
        .into_iter()
        .filter(|r| r.method == method && r.path.contains(path_part))
        .map(|r| r.body)
        .collect()
}

#[tokio::test]
async fn templates_cluster_templates_and_events_are_pipelines() {
    let sim = sim().await;
    let argo = client(&sim, "argo");
    let pipelines = argo.list_pipelines().await.unwrap();
    let ids: Vec<&str> = pipelines.iter().map(|p| p.id.as_str()).collect();
    for id in ["release", "canary", "cluster:ci-build", "event:push"] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    assert!(pipelines.iter().all(|p| p.project == "argo"));

    let form = argo.start_form("argo", "release").await.unwrap();
    let service = form.variables.iter().find(|v| v.name == "service").unwrap();
    assert!(matches!(&service.kind, VarKind::Choice(c) if c.contains(&"payments-api".to_string())));
    assert_eq!(service.default.as_deref(), Some("payments-api"));
    assert!(!service.required);
}

#[tokio::test]
async fn a_start_submits_the_template_with_its_parameters_and_is_listed() {
    let sim = sim().await;
    let argo = client(&sim, "argo");
    let request = StartRequest {
        project: "argo".into(),
        pipeline_id: "release".into(),
        values: vec![
            ("version".into(), "2.0.0".into()),
            ("service".into(), String::new()),
        ],
        notes: None,
    };
    let preview = argo.start_preview(&request).await.unwrap();
    assert!(
        preview.url.ends_with("/api/v1/workflows/argo/submit"),
        "{}",
        preview.url
    );
    assert!(
        preview
            .headers
            .iter()
            .any(|(k, v)| k == "authorization" && v == "Bearer ***")
    );
    assert!(!preview.body.contains(&sim.argo_token()));
    assert!(
        sent(&sim, "POST", "/submit").is_empty(),
        "a preview sends nothing"
    );

    let started = argo.start(&request).await.unwrap();
    let bodies = sent(&sim, "POST", "/submit");
    assert_eq!(bodies.len(), 1);
    assert_eq!(bodies[0]["resourceKind"], "WorkflowTemplate");
    assert_eq!(bodies[0]["resourceName"], "release");
    // Blank values are left to the template's defaults.
    assert_eq!(
        bodies[0]["submitOptions"]["parameters"],
        serde_json::json!(["version=2.0.0"])
    );
    let listed = argo.list_executions().await.unwrap();
    let run = listed
        .iter()
        .find(|e| e.id == started.execution_id)
        .expect("listed");
    assert_eq!(run.pipeline_id, "release");

    // A cluster template is submitted by kind into the namespace.
    let ci = argo
        .start(&StartRequest {
            project: "argo".into(),
            pipeline_id: "cluster:ci-build".into(),
            values: vec![],
            notes: None,
        })
        .await
        .unwrap();
    assert!(!ci.execution_id.is_empty());
    assert_eq!(
        sent(&sim, "POST", "/submit")[1]["resourceKind"],
        "ClusterWorkflowTemplate"
    );

    // Bad inputs are refused before anything is sent.
    for values in [
        vec![("nope".to_string(), "1".to_string())],
        vec![("environment".to_string(), "mars".to_string())],
    ] {
        let err = argo
            .start(&StartRequest {
                project: "argo".into(),
                pipeline_id: "release".into(),
                values,
                notes: None,
            })
            .await
            .unwrap_err();
        assert!(matches!(err, BackendError::BadRequest(_)), "{err}");
    }
    assert_eq!(sent(&sim, "POST", "/submit").len(), 2);
    requests_conform(&sim);
}

#[tokio::test]
async fn an_event_pipeline_posts_its_payload_to_the_binding() {
    let sim = sim().await;
    let argo = client(&sim, "argo");
    let result = argo
        .start(&StartRequest {
            project: "argo".into(),
            pipeline_id: "event:push".into(),
            values: vec![],
            notes: None,
        })
        .await
        .unwrap();
    assert_eq!(result.execution_id, "event:github");
    let bodies = sent(&sim, "POST", "/api/v1/events/argo/github");
    assert_eq!(
        bodies,
        vec![serde_json::json!({"ref":"refs/heads/main","repository":"payments"})]
    );
}

#[tokio::test]
async fn lists_are_projected_and_paged_past_the_v4_continue_bug() {
    let sim = sim().await;
    let world = sim.world();
    // More workflows than two pages of 500.
    let mut started = std::collections::HashSet::new();
    for _ in 0..1_100 {
        started.insert(world.start("argo", "canary").expect("pipeline"));
    }
    let argo = client(&sim, "argo");
    let listed = argo.list_executions().await.unwrap();
    let ids: std::collections::HashSet<&str> = listed.iter().map(|e| e.id.as_str()).collect();
    assert!(started.iter().all(|id| ids.contains(id.as_str())));
    assert_eq!(ids.len(), listed.len(), "no workflow listed twice");
    let lists: Vec<String> = sim
        .argo_requests()
        .into_iter()
        .filter(|r| r.method == "GET" && r.path.starts_with("/api/v1/workflows/argo?"))
        .map(|r| r.path)
        .collect();
    assert_eq!(lists.len(), listed.len().div_ceil(500), "{lists:?}");
    for path in &lists {
        assert!(path.contains("fields="), "{path}");
        // Nodes are kept (status and stage progress are read from them, spec §13), the
        // templates and managed fields are not.
        assert!(path.contains("items.status.nodes"), "{path}");
        assert!(!path.contains("-"), "include mode: {path}");
        assert!(path.contains("ext.showRemainingItemCount"), "{path}");
    }
    // Unsorted: the display order is `domain::order`'s, for every backend alike.
}

#[tokio::test]
async fn gates_are_running_suspend_nodes_and_parallel_ones_are_separate() {
    let sim = sim().await;
    let argo = client(&sim, "data");
    let workflow = sim.world().start("data", "db-migrate").expect("pipeline");
    sim.advance(Duration::from_secs(600));
    let gates = argo.waiting_approvals().await.unwrap();
    let mine: Vec<&Approval> = gates
        .iter()
        .filter(|g| g.execution_id == workflow)
        .collect();
    let steps: Vec<&str> = mine.iter().map(|g| g.step.as_str()).collect();
    assert_eq!(mine.len(), 2, "{steps:?}");
    assert!(
        steps.contains(&"dba-approval") && steps.contains(&"sre-approval"),
        "{steps:?}"
    );
    // A DAG is one stage of its tasks, reached through the dependency edges.
    let detail = argo
        .execution(&ExecRef {
            project: "data".into(),
            id: workflow.clone(),
        })
        .await
        .unwrap();
    let tasks: Vec<&str> = detail
        .stages
        .iter()
        .flat_map(|s| &s.steps)
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(
        tasks,
        ["backup", "dba-approval", "sre-approval"],
        "{:#?}",
        detail.stages
    );
    assert_eq!(detail.approvals.len(), 2);
    // The executions list (no nodes) shows the workflow waiting once gates were read.
    let listed = argo.list_executions().await.unwrap();
    let row = listed.iter().find(|e| e.id == workflow).unwrap();
    assert_eq!(row.status.status, ExecStatus::Waiting);

    // Approving one leaves the other waiting.
    let dba = mine.iter().find(|g| g.step == "dba-approval").unwrap();
    let inputs: Vec<(String, String)> = dba
        .inputs
        .iter()
        .map(|i| {
            (
                i.name.clone(),
                if i.default.is_empty() {
                    "CHG-1".into()
                } else {
                    i.default.clone()
                },
            )
        })
        .collect();
    let outcome = argo
        .decide(
            dba,
            &Decision {
                action: DecisionAction::Approve,
                comment: "ok".into(),
                inputs,
            },
        )
        .await
        .unwrap();
    assert_eq!(outcome, DecisionOutcome::Approved);
    let resumes = sent(&sim, "PUT", "/resume");
    assert_eq!(resumes.len(), 1);
    assert_eq!(resumes[0]["nodeFieldSelector"], format!("id={}", dba.id));
    let left = argo.waiting_approvals().await.unwrap();
    let left: Vec<&Approval> = left.iter().filter(|g| g.execution_id == workflow).collect();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].step, "sre-approval");
    requests_conform(&sim);
}

async fn release_gate(sim: &SimHandle, argo: &ArgoBackend) -> Approval {
    let workflow = sim.world().start("argo", "release").expect("pipeline");
    for _ in 0..60 {
        sim.advance(Duration::from_secs(30));
        let gates = argo.waiting_approvals().await.unwrap();
        if let Some(g) = gates.into_iter().find(|g| g.execution_id == workflow) {
            return g;
        }
    }
    panic!("release never reached its gate");
}

#[tokio::test]
async fn approve_sets_the_verdict_then_resumes_and_the_guarded_deploy_runs() {
    let sim = sim().await;
    let argo = client(&sim, "argo");
    let gate = release_gate(&sim, &argo).await;
    let decision = Decision {
        action: DecisionAction::Approve,
        comment: String::new(),
        inputs: vec![],
    };
    argo.decide(&gate, &decision).await.unwrap();
    let sets = sent(&sim, "PUT", "/set");
    assert_eq!(sets.len(), 1);
    assert_eq!(sets[0]["outputParameters"], r#"{"approve":"YES"}"#);
    assert_eq!(sets[0]["nodeFieldSelector"], format!("id={}", gate.id));
    assert_eq!(sent(&sim, "PUT", "/resume").len(), 1);
    // Deciding it again is a conflict, not a second resume.
    let again = argo.decide(&gate, &decision).await.unwrap_err();
    assert!(matches!(again, BackendError::Conflict(_)), "{again}");
    // The workflow goes on to deploy and succeeds.
    sim.world().set_failures(false);
    for _ in 0..60 {
        sim.advance(Duration::from_secs(60));
        let detail = argo.execution(&gate.exec_ref()).await.unwrap();
        if detail.execution.status.status.is_terminal() {
            assert_eq!(detail.execution.status.status, ExecStatus::Succeeded);
            let deploy = detail
                .stages
                .iter()
                .flat_map(|s| &s.steps)
                .find(|s| s.name == "deploy")
                .unwrap_or_else(|| panic!("{:#?}", detail.stages));
            assert_eq!(deploy.status.status, ExecStatus::Succeeded);
            requests_conform(&sim);
            return;
        }
    }
    panic!("the release never finished");
}

/// The audit's case: a workflow stopped at a gate was `waiting` in the detail and the TUI
/// but `running` in `list executions` (the list only knew gates from an earlier gate read),
/// and its stages said `1/1` done (pods, from `status.progress`) while the approval stage
/// ran. Every read now says the same, from the nodes.
#[tokio::test]
async fn a_workflow_at_a_gate_is_waiting_in_every_read_and_its_running_stage_is_not_done() {
    let sim = sim().await;
    sim.world().set_failures(false);
    let gate = release_gate(&sim, &client(&sim, "argo")).await;
    // Fresh clients: nothing remembered from the gate read above.
    let listed = client(&sim, "argo").list_executions().await.unwrap();
    let row = listed.iter().find(|e| e.id == gate.execution_id).unwrap();
    let detail = client(&sim, "argo")
        .execution(&gate.exec_ref())
        .await
        .unwrap();
    let (tx, mut lists) = mpsc::unbounded_channel();
    let watcher = {
        let argo = std::sync::Arc::new(client(&sim, "argo"));
        tokio::spawn(async move { argo.watch_executions(&tx).await })
    };
    let watched = until(&mut lists, |l| l.iter().any(|e| e.id == gate.execution_id)).await;
    let watched = watched
        .into_iter()
        .find(|e| e.id == gate.execution_id)
        .unwrap();
    watcher.abort();
    for e in [row, &detail.execution, &watched] {
        assert_eq!(
            (e.status.status, e.status.raw.as_str()),
            (ExecStatus::Waiting, "Suspended")
        );
        // [0] build done, [1] approval waiting: one of the two stages reached is done.
        assert_eq!((e.stages_done, e.stages_total), (1, 2), "{e:?}");
    }
    assert_eq!(detail.stages.len(), 2);
    assert_eq!(detail.stages[1].status.status, ExecStatus::Waiting);
}

/// A soft reject (the verdict set to NO, then resume) lets the release go on, skip its
/// deploy and end `Succeeded`: the run is `rejected` (Argo's phase is the raw status) in
/// the detail, the list and the watch alike, and the detail names the gate and who
/// resumed it, as argo-server wrote it into the node's message.
#[tokio::test]
async fn a_soft_rejected_release_is_rejected_everywhere_with_its_gate_and_who() {
    let sim = sim().await;
    sim.world().set_failures(false);
    let argo = std::sync::Arc::new(client(&sim, "argo"));
    let gate = release_gate(&sim, &argo).await;
    let (tx, mut lists) = mpsc::unbounded_channel();
    let watcher = {
        let argo = argo.clone();
        tokio::spawn(async move { argo.watch_executions(&tx).await })
    };
    until(&mut lists, |l| {
        l.iter()
            .any(|e| e.id == gate.execution_id && e.status.status == ExecStatus::Waiting)
    })
    .await;
    argo.decide(
        &gate,
        &Decision {
            action: DecisionAction::Reject,
            comment: "not today".into(),
            inputs: vec![],
        },
    )
    .await
    .unwrap();
    let detail = loop {
        sim.advance(Duration::from_secs(60));
        let detail = argo.execution(&gate.exec_ref()).await.unwrap();
        if detail.execution.status.status.is_terminal() {
            break detail;
        }
    };
    let e = &detail.execution;
    assert_eq!(
        (e.status.status, e.status.raw.as_str()),
        (ExecStatus::Rejected, "Succeeded")
    );
    assert_eq!((e.stages_done, e.stages_total), (3, 3));
    let rejection = detail
        .rejection
        .clone()
        .expect("the rejected gate is named");
    assert_eq!(rejection.gate, gate.id);
    assert_eq!(
        (rejection.stage.as_str(), rejection.step.as_str()),
        ("release", "approval")
    );
    assert_eq!(
        rejection.by.as_deref(),
        Some("system:serviceaccount:argo:flightdeck")
    );
    let deploy = &detail.stages[2].steps[0];
    assert_eq!(
        (
            deploy.name.as_str(),
            deploy.kind.as_str(),
            deploy.status.status
        ),
        ("deploy", "Skipped", ExecStatus::Skipped)
    );
    // The list (a fresh client) and the running watch agree.
    let listed = client(&sim, "argo").list_executions().await.unwrap();
    let row = listed.iter().find(|r| r.id == gate.execution_id).unwrap();
    assert_eq!(row, e);
    let watched = until(&mut lists, |l| {
        l.iter()
            .any(|r| r.id == gate.execution_id && r.status.status.is_terminal())
    })
    .await;
    let watched = watched.iter().find(|r| r.id == gate.execution_id).unwrap();
    assert_eq!(watched.status, e.status);
    assert_eq!((watched.stages_done, watched.stages_total), (3, 3));
    watcher.abort();
    // Approved releases stay successes: only the reject verdict makes a run rejected.
    let approved = client(&sim, "argo").list_executions().await.unwrap();
    assert!(
        approved
            .iter()
            .filter(|r| r.pipeline_id == "release" && r.id != gate.execution_id)
            .all(|r| r.status.status != ExecStatus::Rejected)
    );
    requests_conform(&sim);
}

#[tokio::test]
async fn soft_reject_skips_the_deploy_and_hard_reject_fails_the_node() {
    let sim = sim().await;
    sim.world().set_failures(false);
    let argo = client(&sim, "argo");
    let gate = release_gate(&sim, &argo).await;
    let reject = Decision {
        action: DecisionAction::Reject,
        comment: "not today".into(),
        inputs: vec![],
    };
    assert_eq!(
        argo.decide(&gate, &reject).await.unwrap(),
        DecisionOutcome::Rejected
    );
    let sets = sent(&sim, "PUT", "/set");
    assert_eq!(sets[0]["outputParameters"], r#"{"approve":"NO"}"#);
    assert_eq!(sets[0]["message"], "not today");
    let mut skipped = false;
    for _ in 0..60 {
        sim.advance(Duration::from_secs(60));
        let detail = argo.execution(&gate.exec_ref()).await.unwrap();
        if detail.execution.status.status.is_terminal() {
            let deploy = detail
                .stages
                .iter()
                .flat_map(|s| &s.steps)
                .find(|s| s.name == "deploy")
                .unwrap();
            skipped = deploy.status.status == ExecStatus::Skipped;
            break;
        }
    }
    assert!(skipped, "deploy was not skipped");

    // The canary gate has no verdict parameter: rejecting stops that node (as configured).
    let workflow = sim.world().start("argo", "canary").expect("pipeline");
    let gate = loop {
        sim.advance(Duration::from_secs(30));
        if let Some(g) = argo
            .waiting_approvals()
            .await
            .unwrap()
            .into_iter()
            .find(|g| g.execution_id == workflow)
        {
            break g;
        }
    };
    assert!(gate.inputs.is_empty());
    argo.decide(
        &gate,
        &Decision {
            action: DecisionAction::Reject,
            comment: String::new(),
            inputs: vec![],
        },
    )
    .await
    .unwrap();
    let stops = sent(&sim, "PUT", "/stop");
    assert_eq!(stops.len(), 1);
    assert_eq!(stops[0]["nodeFieldSelector"], format!("id={}", gate.id));
    sim.advance(Duration::from_secs(60));
    let detail = argo.execution(&gate.exec_ref()).await.unwrap();
    assert_eq!(detail.execution.status.status, ExecStatus::Failed);
    requests_conform(&sim);
}

#[tokio::test]
async fn errors_are_clear() {
    let sim = sim().await;
    let viewer = client_with(
        &sim,
        "argo",
        Some(sim.argo_viewer_token()),
        RejectMode::Stop,
    );
    let admin = client(&sim, "argo");
    let gate = release_gate(&sim, &admin).await;
    let approve = Decision {
        action: DecisionAction::Approve,
        comment: String::new(),
        inputs: vec![],
    };
    let denied = viewer.decide(&gate, &approve).await.unwrap_err();
    assert!(matches!(denied, BackendError::NotAuthorized(_)), "{denied}");

    let wrong = client_with(&sim, "argo", Some("not-a-token".into()), RejectMode::Stop);
    let err = wrong.list_executions().await.unwrap_err();
    assert!(matches!(err, BackendError::Unauthenticated(_)), "{err}");
    let none = client_with(&sim, "argo", None, RejectMode::Stop);
    let err = none.list_pipelines().await.unwrap_err();
    assert!(err.to_string().contains("token not valid"), "{err}");

    let missing = admin
        .execution(&ExecRef {
            project: "argo".into(),
            id: "no-such-workflow".into(),
        })
        .await
        .unwrap_err();
    assert!(matches!(missing, BackendError::NotFound(_)), "{missing}");
    assert!(!format!("{denied} {err} {missing}").contains(&sim.argo_token()));
}

fn watch_requests(sim: &SimHandle) -> Vec<String> {
    sim.argo_requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/api/v1/workflow-events/argo"))
        .map(|r| r.path)
        .collect()
}

/// Collects pushed lists until one satisfies `done`, with a deadline.
async fn until(
    lists: &mut mpsc::UnboundedReceiver<Vec<Execution>>,
    done: impl Fn(&[Execution]) -> bool,
) -> Vec<Execution> {
    tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            let list = lists.recv().await.expect("watch alive");
            if done(&list) {
                return list;
            }
        }
    })
    .await
    .expect("the watch delivered in time")
}

#[tokio::test]
async fn the_watch_follows_changes_through_an_ended_and_a_cut_stream() {
    let sim = sim().await;
    let argo = std::sync::Arc::new(client(&sim, "argo"));
    let (tx, mut lists) = mpsc::unbounded_channel();
    let watcher = {
        let argo = argo.clone();
        tokio::spawn(async move { argo.watch_executions(&tx).await })
    };
    let first = until(&mut lists, |_| true).await;
    let started = |sim: &SimHandle| {
        let id = sim.world().start("argo", "canary").unwrap();
        sim.advance(Duration::from_secs(1));
        id
    };

    // A new workflow arrives through the stream.
    let a = started(&sim);
    until(&mut lists, |l| l.iter().any(|e| e.id == a)).await;

    // The server ends the stream (its k8s watch timed out). A change made meanwhile is not
    // lost, whichever stream carries it.
    sim.argo_end_watches();
    let b = started(&sim);
    until(&mut lists, |l| l.iter().any(|e| e.id == b)).await;
    reopened(&sim, 2).await;
    // The reopened stream is live before the next control applies to it.
    let b2 = started(&sim);
    until(&mut lists, |l| l.iter().any(|e| e.id == b2)).await;

    // The connection is cut without a word: the client reconnects from where it was.
    sim.argo_drop_watches();
    let c = started(&sim);
    let last = until(&mut lists, |l| l.iter().any(|e| e.id == c)).await;
    reopened(&sim, 3).await;
    assert!(last.len() >= first.len() + 4);
    // One list, then only watches resuming from a resourceVersion: no relisting.
    let listed = sim
        .argo_requests()
        .into_iter()
        .filter(|r| r.method == "GET" && r.path.starts_with("/api/v1/workflows/argo?"))
        .count();
    assert_eq!(listed, 1);
    assert!(
        watch_requests(&sim)
            .iter()
            .all(|p| p.contains("result.type") && p.contains("listOptions.resourceVersion"))
    );
    assert!(!watcher.is_finished());
    watcher.abort();
}

/// Waits (with a deadline) until the client has opened `n` watch streams.
async fn reopened(sim: &SimHandle, n: usize) {
    tokio::time::timeout(Duration::from_secs(20), async {
        while watch_requests(sim).len() < n {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no watch number {n}: {:?}", watch_requests(sim)));
}

#[tokio::test]
async fn step_logs_stream_with_step_names() {
    let sim = sim().await;
    sim.world().set_failures(false);
    let argo = client(&sim, "data");
    let workflow = sim.world().start("data", "nightly-etl").unwrap();
    sim.advance(Duration::from_secs(3 * 3600));
    let exec = ExecRef {
        project: "data".into(),
        id: workflow,
    };
    let (tx, mut rx) = mpsc::unbounded_channel();
    argo.logs(&exec, None, false, &tx).await.unwrap();
    drop(tx);
    let mut lines = Vec::new();
    while let Some(l) = rx.recv().await {
        lines.push(l);
    }
    assert!(!lines.is_empty());
    let steps: std::collections::BTreeSet<&str> = lines.iter().map(|l| l.source.as_str()).collect();
    assert!(
        steps.iter().all(|s| !s.starts_with(&exec.id)),
        "pod names, not steps: {steps:?}"
    );
    let one = steps.iter().next().unwrap().to_string();
    let (tx, mut rx) = mpsc::unbounded_channel();
    argo.logs(&exec, Some(&one), false, &tx).await.unwrap();
    drop(tx);
    let mut narrowed = Vec::new();
    while let Some(l) = rx.recv().await {
        narrowed.push(l);
    }
    assert!(!narrowed.is_empty() && narrowed.iter().all(|l| l.source == one));
    assert!(narrowed.len() < lines.len());
}

/// A followed log whose steps start after the stream opened: their lines carry the step's
/// name too, never the pod's (the client reads the workflow's pods again when a line names
/// one it does not know).
#[tokio::test]
async fn a_followed_log_names_steps_that_start_later() {
    let sim = sim().await;
    sim.world().set_failures(false);
    let argo = std::sync::Arc::new(client(&sim, "data"));
    let workflow = sim.world().start("data", "nightly-etl").unwrap();
    let exec = ExecRef {
        project: "data".into(),
        id: workflow,
    };
    let (tx, mut rx) = mpsc::unbounded_channel();
    let stream = {
        let (argo, exec) = (argo.clone(), exec.clone());
        tokio::spawn(async move { argo.logs(&exec, None, true, &tx).await })
    };
    let mut lines = Vec::new();
    let ended = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            tokio::select! {
                line = rx.recv() => match line {
                    Some(l) => lines.push(l),
                    None => break,
                },
                _ = tokio::time::sleep(Duration::from_millis(50)) => {
                    sim.advance(Duration::from_secs(120));
                }
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "the followed log never ended");
    stream.await.unwrap().unwrap();
    let steps: std::collections::BTreeSet<&str> = lines.iter().map(|l| l.source.as_str()).collect();
    assert!(steps.len() > 1, "{steps:?}");
    assert!(
        steps
            .iter()
            .all(|s| !s.starts_with(&exec.id) && *s != "(unknown step)"),
        "pod names, not steps: {steps:?}"
    );
}
