//! The Infraxys client against the simulator's Infraxys face, over HTTP on loopback: pipelines
//! and start forms from config, synchronous and asynchronous starts, in-band and HTTP errors,
//! the token header, and that nothing secret or unchecked ever leaves the client.

use crate::common;

use std::time::Duration;

use common::infraxys::configured_catalogue;

use flightdeck::backend::infraxys::{
    ACTIONS, ALIASES, ARGUMENT_JSON, ArgumentField, ArgumentType, InfraxysAlias, InfraxysBackend,
    InfraxysOptions, InfraxysWorkflow, WORKFLOWS,
};
use flightdeck::backend::{Backend, Control};
use flightdeck::config::{BackendSettings, Config};
use flightdeck::domain::{
    BackendError, BackendKind, Decision, DecisionAction, ExecRef, ExecStatus, StartRequest, VarKind,
};
use flightdeck_sim::{ClockMode, SimHandle, SimOptions};

const EXECUTE_WORKFLOW: &str =
    "/api/v1/environment/{branch}/{environment_id}/workflow/{workflow_id}/execute";

async fn sim() -> SimHandle {
    let sim = SimHandle::start(SimOptions {
        clock: ClockMode::Manual,
        ..SimOptions::default()
    })
    .await
    .expect("simulator starts");
    sim.set_infraxys_latency(Duration::from_millis(5));
    sim
}

fn options(sim: &SimHandle, token: Option<String>) -> InfraxysOptions {
    let catalogue = configured_catalogue(sim);
    InfraxysOptions {
        name: "ix".into(),
        base_url: sim.infraxys_url().parse().unwrap(),
        branch: catalogue.branch,
        token: token.map(Into::into),
        timeout: Duration::from_secs(5),
        ca_file: None,
        insecure_skip_verify: false,
        workflows: catalogue.workflows,
        actions: catalogue.actions,
        aliases: catalogue.aliases,
    }
}

fn client(sim: &SimHandle) -> InfraxysBackend {
    InfraxysBackend::new(options(sim, Some(sim.infraxys_token()))).unwrap()
}

fn request(project: &str, pipeline: &str, values: &[(&str, &str)]) -> StartRequest {
    StartRequest {
        project: project.into(),
        pipeline_id: pipeline.into(),
        values: values
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        notes: None,
    }
}

fn exec(project: &str, id: &str) -> ExecRef {
    ExecRef {
        project: project.into(),
        id: id.into(),
    }
}

#[tokio::test]
async fn pipelines_come_from_config_grouped_by_kind() {
    let sim = sim().await;
    let ix = client(&sim);
    assert_eq!(ix.kind(), BackendKind::Infraxys);
    let pipelines = ix.list_pipelines().await.unwrap();
    let listed: Vec<(&str, &str)> = pipelines
        .iter()
        .map(|p| (p.project.as_str(), p.id.as_str()))
        .collect();
    assert_eq!(
        listed,
        [
            (WORKFLOWS, "Provision namespace"),
            (WORKFLOWS, "Rotate DB credentials"),
            (ACTIONS, "Restart ingress"),
            (ACTIONS, "Export inventory"),
            (ALIASES, "Flush CDN cache"),
        ]
    );
    let rotate = &pipelines[1];
    assert!(rotate.tags.contains(&("mode".into(), "async".into())));
    assert!(rotate.description.contains("async, branch master"));
    assert_eq!(rotate.last_status, None);
    // Listing is config only: nothing was sent.
    assert_eq!(sim.stats().total_requests, 0);
}

#[tokio::test]
async fn the_example_config_builds_a_backend() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.toml");
    let config = Config::load(&path).unwrap_or_else(|e| panic!("{e}"));
    let backend = config
        .backends
        .iter()
        .find(|b| b.kind == BackendKind::Infraxys)
        .unwrap();
    let BackendSettings::Infraxys {
        branch,
        workflows,
        actions,
        aliases,
        ..
    } = &backend.settings
    else {
        panic!("{backend:?}");
    };
    let ix = InfraxysBackend::new(InfraxysOptions {
        name: backend.name.clone(),
        base_url: backend.base_url.clone(),
        branch: branch.clone(),
        // The example reads it from the environment; resolving is the config's business.
        token: None,
        timeout: backend.timeout,
        ca_file: None,
        insecure_skip_verify: backend.insecure_skip_verify,
        workflows: workflows.clone(),
        actions: actions.clone(),
        aliases: aliases.clone(),
    })
    .unwrap();
    let pipelines = ix.list_pipelines().await.unwrap();
    assert_eq!(
        pipelines.len(),
        workflows.len() + actions.len() + aliases.len()
    );
    assert_eq!(pipelines[0].name, "Provision namespace");
    assert_eq!(pipelines[0].project, WORKFLOWS);
}

#[tokio::test]
async fn start_form_has_the_argument_fields_and_the_json_editor() {
    let sim = sim().await;
    let form = client(&sim)
        .start_form(WORKFLOWS, "Provision namespace")
        .await
        .unwrap();
    let names: Vec<&str> = form.variables.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(names, ["namespace", "cpu_quota", "dry_run", ARGUMENT_JSON]);
    assert!(form.variables[0].required);
    assert_eq!(form.variables[1].kind, VarKind::Number);
    assert_eq!(form.variables[1].default.as_deref(), Some("4"));
    assert_eq!(
        form.variables[2].kind,
        VarKind::Choice(vec!["true".into(), "false".into()])
    );
    assert!(matches!(
        client(&sim)
            .start_form(ACTIONS, "Provision namespace")
            .await,
        Err(BackendError::NotFound(_))
    ));
}

#[tokio::test]
async fn synchronous_start_keeps_the_message_for_the_detail_view() {
    let sim = sim().await;
    let ix = client(&sim);
    let started = ix
        .start(&request(
            WORKFLOWS,
            "Provision namespace",
            &[
                ("namespace", "team-a"),
                (ARGUMENT_JSON, r#"{"cpu_quota": 99}"#),
            ],
        ))
        .await
        .unwrap();
    assert_eq!(started.status.status, ExecStatus::Succeeded);
    assert_eq!(sim.stats().infraxys_starts, 1);
    assert_eq!(sim.stats().requests_to("POST", EXECUTE_WORKFLOW), 1);

    let detail = ix
        .execution(&exec(WORKFLOWS, &started.execution_id))
        .await
        .unwrap();
    // The free JSON beats the field's default (4), and the server saw it.
    let message = "Namespace team-a provisioned with a quota of 99 CPU";
    assert_eq!(detail.execution.message.as_deref(), Some(message));
    assert_eq!(detail.execution.status.raw, "SUCCESS");
    assert_eq!(
        (detail.execution.stages_done, detail.execution.stages_total),
        (1, 1)
    );
    assert!(detail.execution.ended.is_some());
    assert_eq!(detail.stages.len(), 1);
    assert_eq!(detail.stages[0].name, "execute");
    let step = &detail.stages[0].steps[0];
    assert_eq!(
        (step.name.as_str(), step.kind.as_str()),
        ("Provision namespace", "workflow")
    );
    assert_eq!(step.message.as_deref(), Some(message));
    assert!(detail.approvals.is_empty());

    let pipelines = ix.list_pipelines().await.unwrap();
    assert_eq!(
        pipelines[0].last_status.as_ref().map(|s| s.status),
        Some(ExecStatus::Succeeded)
    );
}

#[tokio::test]
async fn alias_returns_its_log_and_plain_text_answers_stay_raw() {
    let sim = sim().await;
    let ix = client(&sim);
    let flush = ix
        .start(&request(ALIASES, "Flush CDN cache", &[("path", "/img/*")]))
        .await
        .unwrap();
    let detail = ix
        .execution(&exec(ALIASES, &flush.execution_id))
        .await
        .unwrap();
    assert_eq!(
        detail.execution.message.as_deref(),
        Some("Purged /img/* on 3 edge locations")
    );
    let log = detail.stages[0].steps[0].message.clone().unwrap();
    assert!(
        log.starts_with("purge requested for /img/*\n") && log.ends_with("iad: done"),
        "{log}"
    );

    let export = ix
        .start(&request(ACTIONS, "Export inventory", &[]))
        .await
        .unwrap();
    assert_eq!(export.status.status, ExecStatus::Succeeded);
    let detail = ix
        .execution(&exec(ACTIONS, &export.execution_id))
        .await
        .unwrap();
    assert_eq!(detail.execution.message, None);
    assert_eq!(
        detail.stages[0].steps[0].message.as_deref(),
        Some("response: inventory written to /cache/project/inventory.csv (42 hosts)")
    );
}

#[tokio::test]
async fn asynchronous_start_records_the_run_ids() {
    let sim = sim().await;
    // Even a slow server answers an asynchronous call at once.
    sim.set_infraxys_latency(Duration::from_secs(30));
    let ix = client(&sim);
    let started = ix
        .start(&request(WORKFLOWS, "Rotate DB credentials", &[]))
        .await
        .unwrap();
    // Followed through the progress stream from now on.
    assert_eq!(started.status.status, ExecStatus::Running);
    assert_eq!(started.status.raw, "running");
    let detail = ix
        .execution(&exec(WORKFLOWS, &started.execution_id))
        .await
        .unwrap();
    let message = detail.execution.message.clone().unwrap();
    assert!(message.starts_with("submitted as run "), "{message}");
    assert!(message.contains("(action runners "), "{message}");
    assert_eq!(message.matches(", ").count(), 1, "two runners: {message}");
    assert_eq!(detail.execution.ended, None);
    assert_eq!(detail.execution.stages_done, 0);
    assert_eq!(sim.stats().infraxys_starts, 1);
}

/// Polls the run until `done` holds, for at most a few seconds.
async fn wait_for_run(
    ix: &InfraxysBackend,
    project: &str,
    id: &str,
    done: impl Fn(&flightdeck::domain::ExecutionDetail) -> bool,
) -> flightdeck::domain::ExecutionDetail {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let detail = ix.execution(&exec(project, id)).await.unwrap();
        if done(&detail) {
            return detail;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "run never got there: {detail:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn the_progress_stream_is_followed_to_its_end() {
    let sim = sim().await;
    let ix = client(&sim);
    let started = ix
        .start(&request(
            WORKFLOWS,
            "Rotate DB credentials",
            &[("database", "billing")],
        ))
        .await
        .unwrap();
    let detail = wait_for_run(&ix, WORKFLOWS, &started.execution_id, |d| {
        d.execution.status.raw == "ended"
    })
    .await;
    // The stream reports no outcome, so none is claimed.
    assert_eq!(detail.execution.status.status, ExecStatus::Unknown);
    assert!(detail.execution.ended.is_some());
    assert_eq!(detail.execution.stages_done, 1);
    // The last status message of the last runner.
    assert_eq!(
        detail.execution.message.as_deref(),
        Some("Credentials of billing rotated")
    );
    let log = detail.stages[0].steps[0].message.clone().unwrap();
    assert_eq!(log.matches(" started\n").count(), 2, "{log}");
    assert_eq!(log.matches(" done\n").count(), 2, "{log}");
    assert!(!log.contains("CLIENT-FEEDBACK"), "{log}");
    assert_eq!(
        sim.stats()
            .requests_to("GET", "/api/v1/actions/stream2/{run}/{runner}"),
        2
    );
}

#[tokio::test]
async fn an_unreadable_progress_stream_leaves_the_run_submitted() {
    let sim = sim().await;
    sim.set_infraxys_token_required(false);
    let ix = InfraxysBackend::new(options(&sim, None)).unwrap();
    let started = ix
        .start(&request(WORKFLOWS, "Rotate DB credentials", &[]))
        .await
        .unwrap();
    // The test runtime is single-threaded: the follower has not run yet, so its stream
    // request meets the token check switched on here.
    sim.set_infraxys_token_required(true);
    let detail = wait_for_run(&ix, WORKFLOWS, &started.execution_id, |d| {
        d.execution.status.raw == "submitted"
    })
    .await;
    let message = detail.execution.message.unwrap();
    assert!(
        message.contains("progress is not available")
            && message.contains("none is configured (HTTP 403)"),
        "{message}"
    );
    assert_eq!(detail.execution.ended, None);
}

#[tokio::test]
async fn executions_are_the_runs_of_this_process_newest_first() {
    let sim = sim().await;
    let ix = client(&sim);
    assert!(ix.list_executions().await.unwrap().is_empty());
    let first = ix
        .start(&request(
            ACTIONS,
            "Restart ingress",
            &[("graceful", "false")],
        ))
        .await
        .unwrap();
    let second = ix
        .start(&request(WORKFLOWS, "Rotate DB credentials", &[]))
        .await
        .unwrap();
    let listed = ix.list_executions().await.unwrap();
    let ids: Vec<&str> = listed.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(
        ids,
        [second.execution_id.as_str(), first.execution_id.as_str()]
    );
    assert_eq!(
        listed[1].message.as_deref(),
        Some("ingress-nginx restarted (forced)")
    );
    assert_eq!(listed[1].status.raw, "completed");
    // Ids are unique across processes: no per-process counter, no run number.
    assert_eq!(listed[1].run_number, None);
    assert_ne!(first.execution_id, second.execution_id);
    assert!(
        first.execution_id.starts_with("run-"),
        "{}",
        first.execution_id
    );
    // Another client (another process) knows nothing of these runs.
    let other = client(&sim);
    assert!(matches!(
        other.execution(&exec(ACTIONS, &first.execution_id)).await,
        Err(BackendError::NotFound(m)) if m.contains("no API to read past runs")
    ));
}

#[tokio::test]
async fn failure_inside_a_200_is_an_error_and_a_failed_run() {
    let sim = sim().await;
    let ix = client(&sim);
    let err = ix
        .start(&request(
            WORKFLOWS,
            "Provision namespace",
            &[("namespace", "kube-system")],
        ))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        BackendError::BadRequest(
            "Infraxys reported FAILED: Namespace kube-system is reserved and cannot be provisioned"
                .into()
        )
    );
    let listed = ix.list_executions().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].status.status, ExecStatus::Failed);
    assert!(
        listed[0]
            .message
            .as_deref()
            .unwrap()
            .contains("is reserved")
    );
}

#[tokio::test]
async fn token_header_is_checked_and_never_shown() {
    let sim = sim().await;
    let token = sim.infraxys_token();
    let wrong = format!("{token}x");
    let ix = InfraxysBackend::new(options(&sim, Some(wrong.clone()))).unwrap();
    let err = ix
        .start(&request(ACTIONS, "Restart ingress", &[]))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, BackendError::NotAuthorized(m) if m.contains("refused the token")),
        "{err:?}"
    );
    let text = format!("{err} {err:?} {ix:?}");
    assert!(!text.contains(&token) && !text.contains(&wrong), "{text}");

    let none = InfraxysBackend::new(options(&sim, None)).unwrap();
    let err = none
        .start(&request(ACTIONS, "Restart ingress", &[]))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, BackendError::Unauthenticated(m) if m.contains("none is configured")),
        "{err:?}"
    );
    // Refused calls never ran and were never recorded.
    assert_eq!(sim.stats().infraxys_starts, 0);
    assert!(ix.list_executions().await.unwrap().is_empty());

    // The developer edition takes calls without a token.
    sim.set_infraxys_token_required(false);
    let started = none
        .start(&request(ACTIONS, "Restart ingress", &[]))
        .await
        .unwrap();
    assert_eq!(started.status.status, ExecStatus::Succeeded);
}

/// A backend whose config points at things the server does not have.
fn misconfigured(sim: &SimHandle, branch: &str, workflow_id: &str, alias: &str) -> InfraxysBackend {
    let catalogue = sim.infraxys_catalogue();
    let good = &catalogue.workflows[0];
    InfraxysBackend::new(InfraxysOptions {
        branch: branch.into(),
        workflows: vec![InfraxysWorkflow {
            name: "w".into(),
            environment_id: good.environment_id.clone(),
            workflow_id: workflow_id.into(),
            asynchronous: false,
            argument_fields: vec![ArgumentField {
                name: "namespace".into(),
                field_type: ArgumentType::String,
                required: false,
                default: Some("team-b".into()),
            }],
        }],
        actions: vec![],
        aliases: vec![InfraxysAlias {
            name: "a".into(),
            alias: alias.into(),
            asynchronous: false,
            argument_fields: vec![],
        }],
        ..options(sim, Some(sim.infraxys_token()))
    })
    .unwrap()
}

#[tokio::test]
async fn http_errors_map_to_clear_messages() {
    let sim = sim().await;
    let good_id = sim.infraxys_catalogue().workflows[0].workflow_id.clone();

    let ix = misconfigured(&sim, "master", "no-such-workflow", "no-such-alias");
    let err = ix.start(&request(WORKFLOWS, "w", &[])).await.unwrap_err();
    assert!(
        matches!(&err, BackendError::NotFound(m)
            if m.starts_with("workflow no-such-workflow in environment ")
                && m.contains("check the ids and branch in the config")
                && m.ends_with("Workflow no-such-workflow not found in environment 5b0d6c1e-3a4f-4f7e-9d2a-1c8e7b6a0f31")),
        "{err:?}"
    );
    let err = ix.start(&request(ALIASES, "a", &[])).await.unwrap_err();
    assert!(
        matches!(&err, BackendError::NotFound(m) if m.contains("No action is linked to alias no-such-alias")),
        "{err:?}"
    );

    let wrong_branch = misconfigured(&sim, "develop", &good_id, "x");
    let err = wrong_branch
        .start(&request(WORKFLOWS, "w", &[]))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, BackendError::NotFound(m) if m.contains("Branch develop not found")),
        "{err:?}"
    );

    // A base URL with a path the server does not serve meets Tomcat's HTML page.
    let lost = InfraxysBackend::new(InfraxysOptions {
        base_url: format!("{}/infraxys", sim.infraxys_url()).parse().unwrap(),
        ..options(&sim, Some(sim.infraxys_token()))
    })
    .unwrap();
    let err = lost
        .start(&request(ALIASES, "Flush CDN cache", &[]))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, BackendError::NotFound(m) if m.ends_with("HTTP Status 404 – Not Found")),
        "{err:?}"
    );
    assert_eq!(sim.stats().infraxys_starts, 0);
}

#[tokio::test]
async fn the_server_refuses_a_malformed_body_with_400() {
    let sim = sim().await;
    let catalogue = sim.infraxys_catalogue();
    let wf = &catalogue.workflows[0];
    let url = format!(
        "{}/api/v1/environment/master/{}/workflow/{}/execute",
        sim.infraxys_url(),
        wf.environment_id,
        wf.workflow_id
    );
    let http = reqwest::Client::new();
    for body in [
        "not json",
        r#"{"asynchronous":"yes"}"#,
        r#"{"argument":[1]}"#,
    ] {
        let res = http
            .post(&url)
            .header("authorization", format!("token {}", sim.infraxys_token()))
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{body}");
        let json: serde_json::Value = res.json().await.unwrap();
        assert_eq!(json["status"], "FAILED", "{body}");
    }
    assert_eq!(sim.stats().infraxys_starts, 0);
}

#[tokio::test]
async fn invalid_argument_json_is_refused_before_any_request() {
    let sim = sim().await;
    let ix = client(&sim);
    for values in [
        vec![("namespace", "a"), (ARGUMENT_JSON, "{\"unclosed\": ")],
        vec![("namespace", "a"), (ARGUMENT_JSON, "[1, 2]")],
        vec![("cpu_quota", "2")],
        vec![("namespace", "a"), ("cpu_quota", "lots")],
        vec![("namespace", "a"), ("colour", "red")],
    ] {
        let err = ix
            .start(&request(WORKFLOWS, "Provision namespace", &values))
            .await
            .unwrap_err();
        assert!(
            matches!(err, BackendError::BadRequest(_)),
            "{values:?}: {err:?}"
        );
    }
    assert_eq!(sim.stats().total_requests, 0);
    assert!(ix.list_executions().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_slow_synchronous_run_times_out_and_stays_visible() {
    let sim = sim().await;
    sim.set_infraxys_latency(Duration::from_secs(30));
    let ix = InfraxysBackend::new(InfraxysOptions {
        timeout: Duration::from_millis(300),
        ..options(&sim, Some(sim.infraxys_token()))
    })
    .unwrap();
    let err = ix
        .start(&request(ACTIONS, "Restart ingress", &[]))
        .await
        .unwrap_err();
    assert_eq!(err, BackendError::Timeout(Duration::from_millis(300)));
    let listed = ix.list_executions().await.unwrap();
    assert_eq!(listed[0].status.status, ExecStatus::Unknown);
    assert!(
        listed[0]
            .message
            .as_deref()
            .unwrap()
            .contains("may still be going")
    );
}

#[tokio::test]
async fn there_are_no_approval_gates() {
    let sim = sim().await;
    let ix = client(&sim);
    assert!(ix.waiting_approvals().await.unwrap().is_empty());
    let approval = flightdeck::domain::Approval {
        backend: "ix".into(),
        project: WORKFLOWS.into(),
        id: "g".into(),
        execution_id: "run-1".into(),
        pipeline_id: "Provision namespace".into(),
        pipeline_name: "Provision namespace".into(),
        stage: String::new(),
        step: String::new(),
        message: String::new(),
        approvers: vec![],
        min_count: 1,
        inputs: vec![],
        created: None,
        deadline: None,
        triggered_by: String::new(),
        environment: None,
        callback_id: None,
        url: None,
    };
    let decision = Decision {
        action: DecisionAction::Approve,
        comment: String::new(),
        inputs: vec![],
    };
    assert_eq!(
        ix.decide(&approval, &decision).await,
        Err(BackendError::Unsupported(
            flightdeck::backend::infraxys::NO_GATES.into()
        ))
    );
    assert_eq!(sim.stats().total_requests, 0);
}

#[tokio::test]
async fn a_rerun_sends_again_what_this_process_sent_and_other_controls_are_not_offered() {
    let sim = sim().await;
    let ix = client(&sim);
    let values = [
        ("namespace", "team-b"),
        (ARGUMENT_JSON, r#"{"cpu_quota": 7}"#),
    ];
    let started = ix
        .start(&request(WORKFLOWS, "Provision namespace", &values))
        .await
        .unwrap();
    let first = exec(WORKFLOWS, &started.execution_id);
    let inputs = ix.run_inputs(&first).await.unwrap();
    assert_eq!(inputs.pipeline_id, "Provision namespace");
    assert_eq!(inputs.values, request(WORKFLOWS, "", &values).values);
    assert!(
        inputs.source.contains("cannot read a run back"),
        "{}",
        inputs.source
    );

    let out = ix.control(&first, &Control::Rerun).await.unwrap();
    assert!(out.new_run);
    assert_ne!(out.execution_id, first.id);
    assert_eq!(sim.stats().infraxys_starts, 2, "the same start, once more");
    let again = ix
        .execution(&exec(WORKFLOWS, &out.execution_id))
        .await
        .unwrap();
    assert_eq!(
        again.execution.message.as_deref(),
        Some("Namespace team-b provisioned with a quota of 7 CPU")
    );

    // A run this process did not start cannot be read back, so not re-run either.
    let unknown = ix
        .control(
            &exec(WORKFLOWS, "run-20260101T000000-00000000"),
            &Control::Rerun,
        )
        .await
        .unwrap_err();
    assert!(matches!(unknown, BackendError::NotFound(_)), "{unknown:?}");
    let abort = Control::Abort {
        stage: None,
        terminate: false,
    };
    let refused = ix.control(&first, &abort).await.unwrap_err();
    assert!(
        matches!(refused, BackendError::Unsupported(_)),
        "{refused:?}"
    );
    assert_eq!(sim.stats().infraxys_starts, 2);
}
