//! Execution control (`Backend::control`) of each client against the simulator over HTTP:
//! what is sent (exactly one request per action), what each backend refuses and in which
//! words, and what it does not offer (nothing sent).

use std::time::Duration;

use secrecy::SecretString;
use url::Url;

use flightdeck::backend::Backend;
use flightdeck::backend::argo::{ArgoBackend, ArgoOptions, RejectMode};
use flightdeck::backend::harness::{HarnessBackend, HarnessOptions};
use flightdeck::backend::harness_fg::{HarnessFgBackend, HarnessFgOptions};
use flightdeck::backend::{Control, ControlOutcome};
use flightdeck::domain::{BackendError, ExecRef, ExecStatus, StartRequest, VarKind};
use flightdeck_sim::{ClockMode, SimHandle, SimOptions};

use crate::common::swagger;

const INTERRUPT: &str = "/pipeline/api/pipeline/execute/interrupt/{planExecutionId}";
const STAGE_INTERRUPT: &str =
    "/pipeline/api/pipeline/execute/interrupt/{planExecutionId}/{nodeExecutionId}";

async fn sim() -> SimHandle {
    let sim = SimHandle::start(SimOptions {
        seed: 42,
        clock: ClockMode::Manual,
        ..SimOptions::default()
    })
    .await
    .expect("simulator starts");
    sim.world().set_failures(false);
    sim
}

fn harness(sim: &SimHandle) -> HarnessBackend {
    HarnessBackend::new(HarnessOptions {
        name: "hx".into(),
        base_url: Url::parse(&sim.harness_url()).unwrap(),
        account: sim.account(),
        org: sim.org(),
        projects: sim.projects(),
        api_key: SecretString::from(sim.harness_token()),
        timeout: Duration::from_secs(10),
        ca_file: None,
        insecure_skip_verify: false,
    })
    .expect("backend builds")
}

fn argo(sim: &SimHandle) -> ArgoBackend {
    ArgoBackend::new(ArgoOptions {
        name: "argo".into(),
        base_url: sim.argo_url().parse().unwrap(),
        namespace: "argo".into(),
        token: Some(sim.argo_token().into()),
        cluster_templates: true,
        label_selector: None,
        reject: RejectMode::Stop,
        events: Vec::new(),
        timeout: Duration::from_secs(10),
        ca_file: None,
        insecure_skip_verify: false,
    })
    .expect("client")
}

fn exec(project: &str, id: &str) -> ExecRef {
    ExecRef {
        project: project.into(),
        id: id.into(),
    }
}

fn abort() -> Control {
    Control::Abort {
        stage: None,
        terminate: false,
    }
}

async fn raw_status(b: &dyn Backend, e: &ExecRef) -> String {
    b.execution(e).await.expect("read").execution.status.raw
}

fn conflict(result: Result<ControlOutcome, BackendError>) -> String {
    match result {
        Err(BackendError::Conflict(text)) => text,
        other => panic!("expected a conflict, got {other:?}"),
    }
}

#[tokio::test]
async fn harness_abort_is_registered_then_lands_and_refusals_are_verbatim_conflicts() {
    let sim = sim().await;
    let b = harness(&sim);
    let id = sim
        .world()
        .start("payments", "ledger_migrations")
        .expect("started");
    let e = exec("payments", &id);
    sim.advance(Duration::from_secs(1));

    let out = b.control(&e, &abort()).await.expect("abort accepted");
    assert_eq!(out.execution_id, id);
    assert!(!out.new_run && out.pending.is_none());
    // Asynchronous: the run winds down before it is aborted.
    assert_eq!(raw_status(&b, &e).await, "Discontinuing");
    let again = conflict(b.control(&e, &abort()).await);
    assert_eq!(again, "Execution abort is already under progress.");

    sim.advance(Duration::from_secs(5));
    let detail = b.execution(&e).await.unwrap();
    assert_eq!(detail.execution.status.status, ExecStatus::Aborted);
    assert_eq!(detail.execution.status.raw, "Aborted");
    let finished = conflict(b.control(&e, &abort()).await);
    assert_eq!(
        finished,
        "Execution is already finished with status: [ABORTED]"
    );

    let stats = sim.stats();
    assert_eq!(
        stats.requests_to("PUT", INTERRUPT),
        3,
        "one request per action"
    );
    assert_eq!(stats.controls_of("harness", "AbortAll"), 1);
}

#[tokio::test]
async fn harness_stage_abort_uses_the_stage_node_and_ends_the_run() {
    let sim = sim().await;
    let b = harness(&sim);
    let id = sim
        .world()
        .start("payments", "ledger_migrations")
        .expect("started");
    let e = exec("payments", &id);
    sim.advance(Duration::from_secs(1));
    let stage = Control::Abort {
        stage: Some("plan".into()),
        terminate: false,
    };
    b.control(&e, &stage).await.expect("stage abort accepted");
    assert_eq!(raw_status(&b, &e).await, "Discontinuing");
    sim.advance(Duration::from_secs(5));
    let detail = b.execution(&e).await.unwrap();
    assert_eq!(detail.execution.status.status, ExecStatus::Aborted);
    assert_eq!(detail.stages[0].status.raw, "Aborted");
    let stats = sim.stats();
    assert_eq!(stats.requests_to("PUT", STAGE_INTERRUPT), 1);
    assert_eq!(stats.requests_to("PUT", INTERRUPT), 0);
    // A stage that is not in the run is named, and nothing is sent.
    let missing = Control::Abort {
        stage: Some("nope".into()),
        terminate: false,
    };
    let err = b.control(&e, &missing).await.unwrap_err();
    assert!(matches!(err, BackendError::NotFound(_)), "{err:?}");
    assert_eq!(sim.stats().requests_to("PUT", STAGE_INTERRUPT), 1);
}

#[tokio::test]
async fn harness_offers_no_terminate_suspend_or_resume_and_sends_nothing() {
    let sim = sim().await;
    let b = harness(&sim);
    let id = sim.world().start("payments", "ledger_migrations").unwrap();
    let e = exec("payments", &id);
    let before = sim.stats().total_requests;
    for action in [
        Control::Abort {
            stage: None,
            terminate: true,
        },
        Control::Suspend,
        Control::Resume,
    ] {
        let err = b.control(&e, &action).await.unwrap_err();
        assert!(matches!(err, BackendError::Unsupported(_)), "{err:?}");
    }
    assert_eq!(sim.stats().total_requests, before);
}

#[tokio::test]
async fn first_gen_abort_is_not_offered_with_the_reason() {
    let sim = sim().await;
    let b = first_gen(&sim);
    let before = sim.stats().total_requests;
    let err = b.control(&exec("x", "y"), &abort()).await.unwrap_err();
    let BackendError::Unsupported(why) = err else {
        panic!("{err:?}")
    };
    assert!(why.contains("no abort mutation"), "{why}");
    assert_eq!(sim.stats().total_requests, before);
}

#[tokio::test]
async fn argo_stop_and_terminate_end_the_workflow_and_refuse_finished_ones() {
    let sim = sim().await;
    let b = argo(&sim);
    for (terminate, strategy) in [(false, "Stop"), (true, "Terminate")] {
        let name = sim.world().start("argo", "canary").expect("started");
        sim.advance(Duration::from_secs(1));
        let e = exec("argo", &name);
        let action = Control::Abort {
            stage: None,
            terminate,
        };
        let out = b.control(&e, &action).await.expect("accepted");
        assert!(out.pending.is_none());
        let status = out.status.expect("read again after acting");
        assert!(status.status.is_terminal(), "{status:?}");
        let path = format!("/{}", if terminate { "terminate" } else { "stop" });
        let sent: Vec<_> = sim
            .argo_requests()
            .into_iter()
            .filter(|r| r.method == "PUT" && r.path.ends_with(&format!("{name}{path}")))
            .collect();
        assert_eq!(sent.len(), 1, "one request per action");
        assert_eq!(sim.stats().controls_of("argo", strategy), 1);
        let refused = conflict(b.control(&e, &action).await);
        assert!(
            refused.contains("cannot shutdown a completed workflow"),
            "{refused}"
        );
    }
}

#[tokio::test]
async fn argo_stop_of_a_suspended_workflow_is_reported_as_not_acted_on() {
    let sim = sim().await;
    let b = argo(&sim);
    let name = sim.world().start("argo", "canary").unwrap();
    sim.advance(Duration::from_secs(1));
    let e = exec("argo", &name);
    b.control(&e, &Control::Suspend).await.expect("suspended");
    let out = b.control(&e, &abort()).await.expect("answered 200");
    let pending = out.pending.expect("the client saw the stop was ignored");
    assert!(pending.contains("17041"), "{pending}");
    assert!(!out.status.unwrap().status.is_terminal());
    // Resuming lets the recorded stop take effect.
    b.control(&e, &Control::Resume).await.expect("resumed");
    sim.advance(Duration::from_secs(1));
    let detail = b.execution(&e).await.unwrap();
    assert!(detail.execution.status.status.is_terminal());
    // Where the bug is fixed, the stop acts at once and nothing is pending.
    sim.set_argo_shutdown_bug(false);
    let other = sim.world().start("argo", "canary").unwrap();
    sim.advance(Duration::from_secs(1));
    let e = exec("argo", &other);
    b.control(&e, &Control::Suspend).await.unwrap();
    let out = b.control(&e, &abort()).await.unwrap();
    assert!(out.pending.is_none());
}

#[tokio::test]
async fn argo_retry_resubmit_suspend_resume_follow_the_phase_rules() {
    let sim = sim().await;
    let b = argo(&sim);
    let name = sim.world().start("argo", "canary").unwrap();
    sim.advance(Duration::from_secs(1));
    let e = exec("argo", &name);
    // Running: no retry, and resume of a workflow that is not suspended sends nothing.
    let refused = conflict(b.control(&e, &Control::Retry { stages: vec![] }).await);
    assert_eq!(refused, "Cannot retry a workflow in phase Running");
    let puts = |sim: &SimHandle, action: &str| {
        sim.argo_requests()
            .into_iter()
            .filter(|r| r.method == "PUT" && r.path.ends_with(&format!("/{action}")))
            .count()
    };
    let not_suspended = conflict(b.control(&e, &Control::Resume).await);
    assert!(not_suspended.contains("not suspended"), "{not_suspended}");
    assert_eq!(puts(&sim, "resume"), 0);
    // Stopped (Failed): retry runs the same workflow again; resubmit makes a new one.
    b.control(&e, &abort()).await.unwrap();
    let out = b
        .control(&e, &Control::Retry { stages: vec![] })
        .await
        .expect("retried");
    assert_eq!(out.execution_id, name);
    assert!(!out.new_run);
    assert_eq!(out.status.unwrap().raw, "Running");
    let out = b.control(&e, &Control::Rerun).await.expect("resubmitted");
    assert!(out.new_run);
    assert_ne!(out.execution_id, name);
    assert_eq!(puts(&sim, "retry"), 2);
    assert_eq!(puts(&sim, "resubmit"), 1);
    // Suspend is refused once finished.
    b.control(&e, &abort()).await.unwrap();
    let refused = conflict(b.control(&e, &Control::Suspend).await);
    assert!(
        refused.contains("cannot suspend completed workflows"),
        "{refused}"
    );
    // Every body sent fits the official swagger's request schema.
    for r in sim.argo_requests() {
        if r.method != "PUT" || r.body.is_null() {
            continue;
        }
        let path = r.path.split('?').next().unwrap();
        let schema = swagger::request_schema(&r.method, path)
            .unwrap_or_else(|| panic!("{path}: no request schema"));
        swagger::validate_schema(&schema, &r.body)
            .unwrap_or_else(|p| panic!("{path}: {p:?}\n{}", r.body));
    }
    // Argo has no stage-level abort or retry: refused before sending.
    let before = sim.argo_requests().len();
    let err = b
        .control(
            &e,
            &Control::Abort {
                stage: Some("x".into()),
                terminate: false,
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, BackendError::Unsupported(_)));
    assert_eq!(sim.argo_requests().len(), before);
}

#[tokio::test]
async fn harness_retry_asks_retry_stages_sends_the_inputs_and_refuses_an_old_run_verbatim() {
    let sim = sim().await;
    let b = harness(&sim);
    let id = sim.world().start("payments", "ledger_migrations").unwrap();
    let e = exec("payments", &id);
    sim.advance(Duration::from_secs(1));
    // Not finished: refused before anything is sent.
    let running = conflict(b.control(&e, &Control::Retry { stages: vec![] }).await);
    assert!(running.contains("is Running"), "{running}");
    b.control(&e, &abort()).await.unwrap();
    sim.advance(Duration::from_secs(5));

    let stages = b.retry_stages(&e).await.expect("retryStages");
    assert!(stages.resumable);
    let ids: Vec<Vec<&str>> = stages
        .groups
        .iter()
        .map(|g| g.iter().map(|s| s.identifier.as_str()).collect())
        .collect();
    assert_eq!(ids, [["plan"], ["dba_approval"], ["apply"]]);
    assert_eq!(stages.default_stages(), ["plan"]);

    let out = b
        .control(&e, &Control::Retry { stages: vec![] })
        .await
        .expect("retried");
    assert!(out.new_run);
    assert_ne!(out.execution_id, id);
    let retried = b
        .execution(&exec("payments", &out.execution_id))
        .await
        .unwrap();
    assert_eq!(retried.execution.status.status, ExecStatus::Running);
    let stats = sim.stats();
    assert_eq!(
        stats.requests_to(
            "POST",
            "/pipeline/api/pipeline/execute/retry/{pipelineIdentifier}"
        ),
        1
    );
    assert_eq!(stats.controls_of("harness", "Retry"), 1);

    // The old run is no longer the latest of its chain: Harness's words, a conflict.
    let old = b.retry_stages(&e).await.unwrap();
    assert!(!old.resumable);
    let refused = conflict(b.control(&e, &Control::Retry { stages: vec![] }).await);
    assert_eq!(
        refused,
        "This execution is not the latest of all retried execution. You can only retry the latest execution."
    );
    let named = conflict(
        b.control(
            &e,
            &Control::Retry {
                stages: vec!["plan".into()],
            },
        )
        .await,
    );
    assert_eq!(named, refused, "the server refuses it too");
    assert_eq!(sim.stats().controls_of("harness", "Retry"), 1);
}

#[tokio::test]
async fn harness_rerun_starts_a_new_run_with_the_original_inputs() {
    let sim = sim().await;
    let b = harness(&sim);
    let id = sim
        .world()
        .start("payments", "payments_api_deploy")
        .unwrap();
    let e = exec("payments", &id);
    let out = b.control(&e, &Control::Rerun).await.expect("rerun");
    assert!(out.new_run);
    assert_ne!(out.execution_id, id);
    let inputs = |exec_id: String| {
        let sim = &sim;
        async move {
            let url = format!(
                "{}/pipeline/api/pipelines/execution/{exec_id}/inputsetV2?accountIdentifier={}&orgIdentifier={}&projectIdentifier=payments",
                sim.harness_url(),
                sim.account(),
                sim.org()
            );
            let body: serde_json::Value = reqwest::Client::new()
                .get(url)
                .header("x-api-key", sim.harness_token())
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            body["data"]["inputSetYaml"].as_str().unwrap().to_string()
        }
    };
    let before = inputs(id.clone()).await;
    assert!(before.contains("image_tag"), "{before}");
    assert_eq!(inputs(out.execution_id.clone()).await, before);
    let stats = sim.stats();
    assert_eq!(
        stats.requests_to(
            "POST",
            "/pipeline/api/pipeline/execute/rerun/{originalExecutionId}/{pipelineIdentifier}"
        ),
        1
    );
    assert_eq!(stats.controls_of("harness", "Rerun"), 1);
}

#[tokio::test]
async fn first_gen_retry_is_resume_execution_from_the_failed_stage_with_verbatim_refusals() {
    let sim = sim().await;
    let b = first_gen(&sim);
    let id = sim
        .world()
        .start("legacy_billing", "billing_release")
        .unwrap();
    let e = exec("Legacy Billing", &id);
    // Still running: First Gen refuses in its own words.
    sim.advance(Duration::from_secs(1));
    let detail = b.execution(&e).await.unwrap();
    let first = detail.stages[0].name.clone();
    let running = conflict(
        b.control(
            &e,
            &Control::Retry {
                stages: vec![first],
            },
        )
        .await,
    );
    assert_eq!(
        running,
        format!(
            "Pipeline resume is not available for [{id}]. Resumable states are : [FAILED, ABORTED, REJECTED, EXPIRED, ERROR]"
        )
    );
    // The gate expires: the run ends badly, and resumes from that stage as a new run.
    let mut gate = None;
    for _ in 0..600 {
        gate = sim.world().gates_of(&id).into_iter().next();
        if gate.is_some() {
            break;
        }
        sim.advance(Duration::from_secs(1));
    }
    assert!(sim.world().expire(&gate.expect("a gate waits").approval));
    let out = b
        .control(&e, &Control::Retry { stages: vec![] })
        .await
        .expect("resumed");
    assert!(out.new_run);
    assert_ne!(out.execution_id, id);
    assert_eq!(sim.stats().controls_of("harness-fg", "resumeExecution"), 1);
    let again = conflict(b.control(&e, &Control::Retry { stages: vec![] }).await);
    assert_eq!(
        again,
        format!(
            "Pipeline resume is only available on the latest iteration of a resumed execution: {id}"
        )
    );
}

fn first_gen(sim: &SimHandle) -> HarnessFgBackend {
    HarnessFgBackend::new(HarnessFgOptions {
        name: "fg".into(),
        base_url: sim.harness_fg_url().parse().unwrap(),
        account: sim.account(),
        applications: sim.harness_fg_applications(),
        api_key: sim.harness_fg_api_key().into(),
        timeout: Duration::from_secs(10),
        ca_file: None,
        insecure_skip_verify: false,
    })
    .unwrap()
}

/// Starts `name` of `project` through the client with `values`, plus whatever artifact its
/// form asks for, and returns the run.
async fn start_first_gen(
    b: &HarnessFgBackend,
    project: &str,
    name: &str,
    values: &[(&str, &str)],
) -> ExecRef {
    let pipeline = b
        .list_pipelines()
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.project == project && p.name == name)
        .expect("the pipeline is listed");
    let form = b.start_form(project, &pipeline.id).await.unwrap();
    let mut values: Vec<(String, String)> = values
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    for v in form
        .variables
        .iter()
        .filter(|v| v.name.starts_with("artifact:"))
    {
        let service = v.name.trim_start_matches("artifact:");
        values.push((v.name.clone(), format!("docker_{service}/1.0.0")));
    }
    let started = b
        .start(&StartRequest {
            project: project.into(),
            pipeline_id: pipeline.id,
            values,
            notes: None,
        })
        .await
        .expect("started");
    exec(project, &started.execution_id)
}

#[tokio::test]
async fn first_gen_rerun_starts_the_pipeline_again_with_the_inputs_the_run_recorded() {
    let sim = sim().await;
    let b = first_gen(&sim);
    let e = start_first_gen(
        &b,
        "Legacy Billing",
        "Invoice batch rerun",
        &[("billing_period", "2026-11")],
    )
    .await;
    let inputs = b.run_inputs(&e).await.expect("inputs read back");
    assert!(inputs.pipeline_id.starts_with("pipeline:"), "{inputs:?}");
    assert_eq!(inputs.project, "Legacy Billing");
    assert_eq!(
        inputs.values,
        vec![("billing_period".to_string(), "2026-11".to_string())],
        "only what the start form asks for, as the stages recorded it"
    );
    let before = sim.stats().starts;
    // Waiting at its approval: not ended, so not started a second time beside it.
    let early = conflict(b.control(&e, &Control::Rerun).await);
    assert!(early.contains("has not ended (waiting)"), "{early}");
    assert_eq!(sim.stats().starts, before);
    for gate in sim.world().gates_of(&e.id) {
        sim.world().expire(&gate.approval);
    }
    sim.advance(Duration::from_secs(60));
    let out = b.control(&e, &Control::Rerun).await.expect("re-run");
    assert!(out.new_run);
    assert_ne!(out.execution_id, e.id);
    assert_eq!(sim.stats().starts, before + 1, "one start, never resent");
    let sent = sim.world().execution_inputs(&out.execution_id).unwrap();
    assert!(
        sent.contains(&("billing_period".to_string(), "2026-11".to_string())),
        "{sent:?}"
    );
}

#[tokio::test]
async fn first_gen_rerun_of_a_workflow_reads_its_own_input_variables() {
    let sim = sim().await;
    let b = first_gen(&sim);
    let pipelines = b.list_pipelines().await.unwrap();
    let workflow = pipelines
        .iter()
        .find(|p| p.id.starts_with("workflow:"))
        .expect("a workflow is listed")
        .clone();
    let form = b.start_form(&workflow.project, &workflow.id).await.unwrap();
    let asked: Vec<&str> = form
        .variables
        .iter()
        .filter(|v| !v.name.starts_with("artifact:"))
        .map(|v| v.name.as_str())
        .collect();
    assert!(!asked.is_empty(), "{form:?}");
    let e = start_first_gen(
        &b,
        &workflow.project,
        &workflow.name,
        &[("Environment", "qa"), ("image_tag", "2.4.1")],
    )
    .await;
    let inputs = b.run_inputs(&e).await.expect("inputs read back");
    assert_eq!(inputs.pipeline_id, workflow.id);
    for (name, _) in &inputs.values {
        assert!(
            asked.contains(&name.as_str()),
            "{name} is not asked: {asked:?}"
        );
    }
    // What was sent comes back as sent; an entity variable left out (Service here) comes
    // back as the entity the run deployed, as First Gen records a templatized run.
    let recorded = sim.world().execution_inputs(&e.id).unwrap();
    for (name, value) in &inputs.values {
        let entity = form
            .variables
            .iter()
            .any(|v| v.name == *name && matches!(v.kind, VarKind::Entity(_)));
        assert!(
            recorded.contains(&(name.clone(), value.clone())) || entity,
            "{name}={value} not in {recorded:?}"
        );
    }
    assert!(
        inputs.values.contains(&("Environment".into(), "qa".into())),
        "{inputs:?}"
    );
    assert!(
        inputs.values.iter().any(|(n, _)| n == "Service"),
        "the entity the run deployed: {inputs:?}"
    );
    assert!(
        inputs
            .values
            .contains(&("image_tag".to_string(), "2.4.1".to_string())),
        "{inputs:?}"
    );
}
