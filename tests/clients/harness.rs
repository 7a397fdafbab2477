//! The Harness NextGen client (`HarnessBackend`, through the `Backend` trait where it can be)
//! against the embedded simulator over HTTP on loopback. The simulator runs on the manual
//! clock: time only moves through `advance`, and waits for asynchronous transitions are
//! bounded loops of "advance, then poll".

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use secrecy::SecretString;
use serde_json::Value;
use url::Url;

use flightdeck::backend::Backend;
use flightdeck::backend::harness::{HarnessBackend, HarnessOptions};
use flightdeck::domain::{
    Approval, BackendError, Decision, DecisionAction, DecisionOutcome, ExecRef, ExecStatus,
    ExecutionDetail, StartRequest, VarKind, VariableSpec,
};
use flightdeck_sim::{ClockMode, DecisionCount, SimHandle, SimOptions};

const LIST_ROUTE: &str = "/pipeline/api/pipelines/list";
const TEMPLATE_ROUTE: &str = "/pipeline/api/inputSets/template";
const EXECUTE_ROUTE: &str = "/pipeline/api/pipeline/execute/{identifier}";
const ACTIVITY_ROUTE: &str = "/pipeline/api/approvals/{approvalInstanceId}/harness/activity";
const V1_DECIDE_ROUTE: &str = "/v1/orgs/{org}/projects/{project}/approvals/execution/{executionId}";

async fn sim() -> SimHandle {
    SimHandle::start(SimOptions {
        seed: 42,
        clock: ClockMode::Manual,
        ..SimOptions::default()
    })
    .await
    .expect("simulator starts")
}

/// A client for every project of the simulator, authenticating with `token`.
fn backend(sim: &SimHandle, token: &str) -> HarnessBackend {
    HarnessBackend::new(HarnessOptions {
        name: "hx".into(),
        base_url: Url::parse(&sim.harness_url()).unwrap(),
        account: sim.account(),
        org: sim.org(),
        projects: sim.projects(),
        api_key: SecretString::from(token.to_owned()),
        timeout: Duration::from_secs(10),
        ca_file: None,
        insecure_skip_verify: false,
    })
    .expect("backend builds")
}

fn admin(sim: &SimHandle) -> HarnessBackend {
    backend(sim, &sim.harness_token())
}

/// Every key these tests use, made-up ones included.
fn keys(sim: &SimHandle) -> Vec<String> {
    vec![
        sim.harness_token(),
        sim.harness_second_token(),
        sim.harness_sat_token(),
        sim.harness_unauthorized_token(),
        made_up_token(sim),
    ]
}

fn made_up_token(sim: &SimHandle) -> String {
    format!("pat.{}.x.y", sim.account())
}

/// No key, nor the secret part of one, appears in the error's `Display` or `Debug` text.
fn assert_no_key(sim: &SimHandle, err: &BackendError) {
    let texts = [err.to_string(), format!("{err:?}")];
    for key in keys(sim) {
        let secret = key.rsplit('.').next().unwrap_or_default().to_owned();
        for text in &texts {
            assert!(!text.contains(&key), "key leaked into {text}");
            // The one-letter secret of the made-up key is too short to look for.
            if secret.len() >= 8 {
                assert!(!text.contains(&secret), "key secret leaked into {text}");
            }
        }
    }
}

/// The error of `result`, checked to hold no key.
fn error_of<T: std::fmt::Debug>(sim: &SimHandle, result: Result<T, BackendError>) -> BackendError {
    let err = result.expect_err("the call fails");
    assert_no_key(sim, &err);
    err
}

fn approve(comment: &str, inputs: &[(&str, &str)]) -> Decision {
    Decision {
        action: DecisionAction::Approve,
        comment: comment.to_owned(),
        inputs: inputs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect(),
    }
}

fn reject(comment: &str) -> Decision {
    Decision {
        action: DecisionAction::Reject,
        comment: comment.to_owned(),
        inputs: Vec::new(),
    }
}

fn exec_ref(project: &str, id: &str) -> ExecRef {
    ExecRef {
        project: project.to_owned(),
        id: id.to_owned(),
    }
}

/// Advances the clock by `step` and polls `exec` until `done` holds, at most `tries` times.
async fn advance_until(
    sim: &SimHandle,
    b: &HarnessBackend,
    exec: &ExecRef,
    step: Duration,
    tries: usize,
    done: impl Fn(&ExecutionDetail) -> bool,
) -> ExecutionDetail {
    let mut last = None;
    for _ in 0..tries {
        sim.advance(step);
        let detail = b.execution(exec).await.expect("execution is read");
        if done(&detail) {
            return detail;
        }
        last = Some(detail);
    }
    panic!(
        "execution {} never reached the expected state; last seen: {:?}",
        exec.id,
        last.map(|d| d.execution.status)
    );
}

/// The gate `id` as the client sees it in its execution's detail.
async fn gate_in_detail(b: &HarnessBackend, project: &str, exec: &str, id: &str) -> Approval {
    let detail = b
        .execution(&exec_ref(project, exec))
        .await
        .expect("execution is read");
    assert_eq!(detail.execution.status.status, ExecStatus::Waiting);
    assert_eq!(detail.execution.status.raw, "ApprovalWaiting");
    detail
        .approvals
        .into_iter()
        .find(|a| a.id == id)
        .unwrap_or_else(|| panic!("gate {id} is not in the detail of {exec}"))
}

/// The approval instance as the simulator serves it (legacy GET), for checking what a
/// decision recorded.
async fn instance_json(sim: &SimHandle, id: &str) -> Value {
    let url = format!(
        "{}/pipeline/api/approvals/{id}?accountIdentifier={}",
        sim.harness_url(),
        sim.account()
    );
    let body: Value = reqwest::Client::new()
        .get(url)
        .header("x-api-key", sim.harness_token())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["data"].clone()
}

/// What the seed says about a gate, by (pipeline, stage identifier): stage and step names,
/// message, approver group names, minimum count, approver inputs with defaults.
struct GateSpec {
    stage: &'static str,
    step: &'static str,
    message: &'static str,
    approvers: &'static [&'static str],
    min: u32,
    inputs: &'static [(&'static str, &'static str)],
}

fn seeded_gate(pipeline: &str, stage: &str) -> GateSpec {
    let g = |stage, step, message, approvers, min, inputs| GateSpec {
        stage,
        step,
        message,
        approvers,
        min,
        inputs,
    };
    match (pipeline, stage) {
        ("payments_api_deploy", "prod_approval") => g(
            "Prod approval",
            "Production sign-off",
            "Promote payments-api to production? Check the staging dashboards first.",
            &["Release Managers"],
            2,
            &[("change_ticket", "CHG-0000")],
        ),
        ("ledger_migrations", "dba_approval") => g(
            "DBA approval",
            "DBA review",
            "Review the migration plan before it touches the ledger.",
            &["Database Admins"],
            1,
            &[("maintenance_window", "tonight 22:00 UTC")],
        ),
        ("payments_release_train", "eu_signoff") => g(
            "EU sign-off",
            "EU sign-off",
            "Sign off the EU release window.",
            &["Release Managers"],
            1,
            &[("eu_change", "CHG-EU-")],
        ),
        ("payments_release_train", "us_signoff") => g(
            "US sign-off",
            "US sign-off",
            "Sign off the US release window.",
            &["Release Managers"],
            1,
            &[("us_change", "CHG-US-")],
        ),
        ("checkout_web_deploy", "approve_prod") => g(
            "Approve prod",
            "Approve production",
            "Ship checkout-web to production?",
            &["All Project Users"],
            1,
            &[],
        ),
        ("promo_config_publish", "marketing_approval") => g(
            "Marketing approval",
            "Marketing sign-off",
            "Marketing sign-off for the promotion.",
            &["All Project Users"],
            1,
            &[("launch_time", "now")],
        ),
        ("rotate_certificates", "change_approval") => g(
            "Change approval",
            "Approve change",
            "Approve the certificate rotation change.",
            &["All Project Users"],
            1,
            &[("change_ticket", "CHG-0000")],
        ),
        ("k8s_cluster_upgrade", "sre_approval") => g(
            "SRE approval",
            "SRE go/no-go",
            "SRE go/no-go for the cluster upgrade.",
            &["SRE On-call"],
            1,
            &[("rollback_plan", "revert node image")],
        ),
        ("terraform_apply_network", "approve_apply") => g(
            "Approve apply",
            "Approve apply",
            "Apply the network plan?",
            &["SRE On-call"],
            1,
            &[],
        ),
        ("observability_stack_deploy", "prod_approval") => g(
            "Prod approval",
            "Approve prod",
            "Roll the observability stack to production?",
            &["SRE On-call", "Release Managers"],
            1,
            &[],
        ),
        other => panic!("no gate in the seed at {other:?}"),
    }
}

fn var(name: &str, kind: VarKind, required: bool, default: Option<&str>) -> VariableSpec {
    VariableSpec {
        name: name.to_owned(),
        kind,
        required,
        default: default.map(str::to_owned),
        description: None,
    }
}

fn tags(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

// ----- 1. pipelines --------------------------------------------------------------------------

#[tokio::test]
async fn list_pipelines_returns_all_fourteen_of_the_three_projects() {
    let sim = sim().await;
    let b = admin(&sim);
    let pipelines = b.list_pipelines().await.expect("pipelines are listed");

    let found: BTreeSet<(String, String, String)> = pipelines
        .iter()
        .map(|p| (p.project.clone(), p.id.clone(), p.name.clone()))
        .collect();
    let expected: BTreeSet<(String, String, String)> = [
        ("payments", "payments_api_deploy", "Payments API deploy"),
        ("payments", "ledger_migrations", "Ledger DB migrations"),
        ("payments", "fraud_model_refresh", "Fraud model refresh"),
        (
            "payments",
            "payments_release_train",
            "Payments release train",
        ),
        ("checkout", "checkout_web_deploy", "Checkout web deploy"),
        ("checkout", "cart_service_deploy", "Cart service deploy"),
        ("checkout", "checkout_e2e_nightly", "Checkout E2E nightly"),
        ("checkout", "promo_config_publish", "Promo config publish"),
        ("platform", "rotate_certificates", "Rotate TLS certificates"),
        (
            "platform",
            "k8s_cluster_upgrade",
            "Kubernetes cluster upgrade",
        ),
        (
            "platform",
            "terraform_apply_network",
            "Terraform apply: network",
        ),
        ("platform", "base_image_rebuild", "Base image rebuild"),
        ("platform", "dns_record_sync", "DNS record sync"),
        (
            "platform",
            "observability_stack_deploy",
            "Observability stack deploy",
        ),
    ]
    .iter()
    .map(|(p, i, n)| (p.to_string(), i.to_string(), n.to_string()))
    .collect();
    assert_eq!(pipelines.len(), 14, "no pipeline twice");
    assert_eq!(found, expected);
    // Projects keep their configured order.
    let projects: Vec<&str> = pipelines.iter().map(|p| p.project.as_str()).collect();
    let mut ordered = projects.clone();
    ordered.sort_by_key(|p| {
        ["payments", "checkout", "platform"]
            .iter()
            .position(|x| x == p)
    });
    assert_eq!(projects, ordered);

    let by_id = |id: &str| pipelines.iter().find(|p| p.id == id).unwrap();
    let api = by_id("payments_api_deploy");
    assert_eq!(
        api.tags,
        tags(&[
            ("service", "payments-api"),
            ("team", "payments"),
            ("tier", "critical")
        ])
    );
    assert_eq!(api.stages, Some(4));
    assert_eq!(&*api.backend, "hx");
    assert!(api.description.starts_with("Builds the payments API image"));
    assert_eq!(
        by_id("ledger_migrations").tags,
        tags(&[("database", ""), ("team", "payments")])
    );
    assert_eq!(by_id("dns_record_sync").stages, Some(1));
    assert_eq!(by_id("payments_release_train").stages, Some(5));

    // Three days of history: every pipeline has run, and not in the future.
    let now = sim.now_ms();
    for p in &pipelines {
        let last = p
            .last_status
            .as_ref()
            .unwrap_or_else(|| panic!("{} never ran", p.id));
        assert_ne!(last.status, ExecStatus::Unknown, "{}: {last:?}", p.id);
        let at = p
            .last_run
            .unwrap_or_else(|| panic!("{} has no last run", p.id));
        assert!(
            at.as_millisecond() <= now,
            "{}: last run in the future",
            p.id
        );
    }
    // The runs started by hand shortly before "now" are the last ones of their pipelines.
    let last = |id: &str| by_id(id).last_status.clone().unwrap();
    assert_eq!(last("rotate_certificates").raw, "ApprovalWaiting");
    assert_eq!(last("rotate_certificates").status, ExecStatus::Waiting);
    assert_eq!(last("payments_release_train").raw, "ApprovalWaiting");
    assert_eq!(last("base_image_rebuild").raw, "Running");
    assert_eq!(last("base_image_rebuild").status, ExecStatus::Running);
    assert_eq!(last("fraud_model_refresh").raw, "Running");

    // Cross-check: each pipeline's last status is that of its newest listed execution.
    let executions = b.list_executions().await.expect("executions are listed");
    let mut checked = 0;
    for p in &pipelines {
        if let Some(newest) = executions
            .iter()
            .filter(|e| e.project == p.project && e.pipeline_id == p.id)
            .max_by_key(|e| e.started)
        {
            assert_eq!(
                Some(&newest.status),
                p.last_status.as_ref(),
                "{}: newest execution {}",
                p.id,
                newest.id
            );
            assert_eq!(newest.started, p.last_run, "{}", p.id);
            checked += 1;
        }
    }
    assert_eq!(
        checked, 14,
        "every pipeline has a recent execution to compare with"
    );

    // Paging: the client asks for 100 per page and every project has at most 6, so each
    // project is one page whose `last` ends the walk: exactly one list request per project.
    let stats = sim.stats();
    assert_eq!(stats.requests_to("POST", LIST_ROUTE), 3);
    assert_eq!(
        stats.requests_to("POST", &format!("/gateway{LIST_ROUTE}")),
        0
    );
}

// ----- 2. start forms ------------------------------------------------------------------------

#[tokio::test]
async fn start_form_types_every_runtime_input() {
    let sim = sim().await;
    let b = admin(&sim);

    let form = b
        .start_form("payments", "ledger_migrations")
        .await
        .expect("form is read");
    assert_eq!(form.variables.len(), 3, "{form:?}");
    assert_eq!(
        form.variables[0],
        var("migration_version", VarKind::Number, true, None)
    );
    assert_eq!(
        form.variables[1],
        var(
            "dry_run",
            VarKind::Choice(vec!["true".into(), "false".into()]),
            false,
            Some("true")
        )
    );
    let secret = &form.variables[2];
    assert_eq!(secret.name, "db_admin_password");
    assert_eq!(secret.kind, VarKind::Secret);
    assert!(secret.required);
    assert_eq!(secret.default, None);
    assert!(
        secret
            .description
            .as_deref()
            .is_some_and(|d| d.contains("identifier of a Harness secret")),
        "{secret:?}"
    );

    // Free text, and a fixed variable that is not asked for.
    let form = b
        .start_form("payments", "payments_api_deploy")
        .await
        .expect("form is read");
    assert_eq!(
        form.variables,
        vec![
            var("image_tag", VarKind::Text, true, None),
            var(
                "skip_smoke_tests",
                VarKind::Choice(vec!["true".into(), "false".into()]),
                false,
                Some("false")
            ),
        ]
    );

    // A number with allowed values is a choice; a text input with a default is optional.
    let form = b
        .start_form("checkout", "checkout_web_deploy")
        .await
        .expect("form is read");
    assert_eq!(
        form.variables,
        vec![
            var("git_branch", VarKind::Text, false, Some("main")),
            var(
                "canary_percent",
                VarKind::Choice(vec!["5".into(), "10".into(), "25".into(), "50".into()]),
                false,
                Some("10")
            ),
        ]
    );

    // No runtime inputs at all: an empty form.
    for (project, pipeline) in [
        ("payments", "fraud_model_refresh"),
        ("platform", "dns_record_sync"),
    ] {
        let form = b.start_form(project, pipeline).await.expect("form is read");
        assert!(form.variables.is_empty(), "{pipeline}: {form:?}");
    }

    assert_eq!(sim.stats().requests_to("POST", TEMPLATE_ROUTE), 5);

    let err = error_of(&sim, b.start_form("payments", "no_such_pipeline").await);
    assert!(matches!(err, BackendError::NotFound(_)), "{err:?}");
}

// ----- 3. start, list, run to the end ---------------------------------------------------------

#[tokio::test]
async fn start_runs_to_success_with_an_ordered_stage_tree() {
    let sim = sim().await;
    sim.world().set_failures(false);
    let b = admin(&sim);
    let started_at = sim.now_ms();

    let result = b
        .start(&StartRequest {
            project: "checkout".into(),
            pipeline_id: "cart_service_deploy".into(),
            values: vec![("image_tag".into(), "3.9.1".into())],
            notes: Some("integration test".into()),
        })
        .await
        .expect("the pipeline starts");
    assert!(!result.execution_id.is_empty());
    assert_eq!(result.status.status, ExecStatus::Running);
    assert_eq!(result.status.raw, "RUNNING");
    let stats = sim.stats();
    assert_eq!(stats.starts, 1);
    assert_eq!(stats.requests_to("POST", EXECUTE_ROUTE), 1);
    assert_eq!(stats.requests_to("POST", TEMPLATE_ROUTE), 1);

    let listed = b.list_executions().await.expect("executions are listed");
    let mine = listed
        .iter()
        .find(|e| e.id == result.execution_id)
        .expect("the new execution is listed");
    assert_eq!(mine.project, "checkout");
    assert_eq!(mine.pipeline_id, "cart_service_deploy");
    assert_eq!(mine.pipeline_name, "Cart service deploy");
    assert_eq!(mine.status.status, ExecStatus::Running);
    assert_eq!(mine.triggered_by, "Demo Admin");
    assert_eq!(mine.stages_total, 3);
    assert_eq!(mine.stages_done, 0);
    assert_eq!(mine.started.map(|t| t.as_millisecond()), Some(started_at));
    assert_eq!(mine.ended, None);
    // Newest first: nothing listed started later.
    assert!(listed.iter().all(|e| e.started <= mine.started));

    let exec = exec_ref("checkout", &result.execution_id);
    let detail = advance_until(&sim, &b, &exec, Duration::from_secs(15), 40, |d| {
        d.execution.status.status.is_terminal()
    })
    .await;
    let e = &detail.execution;
    assert_eq!(e.status.status, ExecStatus::Succeeded, "{e:?}");
    assert_eq!(e.status.raw, "Success");
    assert_eq!((e.stages_done, e.stages_total), (3, 3));
    assert!(e.ended.is_some() && e.ended > e.started);
    assert!(detail.approvals.is_empty());

    // Stages in pipeline order, steps in stage order, each with the seed's duration range.
    type StepSpec = (&'static str, (i64, i64));
    let expected: [(&str, &[StepSpec]); 3] = [
        ("Build", &[("Compile", (20, 40)), ("Unit tests", (15, 30))]),
        (
            "Deploy staging",
            &[("Rolling deployment", (15, 35)), ("Smoke test", (5, 10))],
        ),
        (
            "Deploy prod",
            &[("Rolling deployment", (20, 45)), ("Smoke test", (5, 10))],
        ),
    ];
    let names: Vec<&str> = detail.stages.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["Build", "Deploy staging", "Deploy prod"]);
    let mut previous_end = e.started;
    for (stage, (name, steps)) in detail.stages.iter().zip(expected) {
        assert_eq!(stage.name, name);
        assert_eq!(stage.status.status, ExecStatus::Succeeded, "{stage:?}");
        assert_eq!(stage.status.raw, "Success");
        let (Some(start), Some(end)) = (stage.started, stage.ended) else {
            panic!("{name} has no start or end: {stage:?}");
        };
        assert!(end > start, "{name}");
        assert!(
            Some(start) >= previous_end,
            "{name} started before its predecessor ended"
        );
        previous_end = Some(end);
        let step_names: Vec<&str> = stage.steps.iter().map(|s| s.name.as_str()).collect();
        let want: Vec<&str> = steps.iter().map(|(n, _)| *n).collect();
        assert_eq!(step_names, want, "{name}");
        for (step, (step_name, (min, max))) in stage.steps.iter().zip(steps) {
            assert_eq!(step.status.status, ExecStatus::Succeeded, "{step:?}");
            let secs = (step.ended.unwrap() - step.started.unwrap())
                .total(jiff::Unit::Second)
                .unwrap();
            assert!(
                (*min as f64..=*max as f64).contains(&secs),
                "{name}/{step_name} took {secs}s, the seed says {min}..{max}s"
            );
        }
    }
    assert_eq!(detail.stages.last().unwrap().ended, e.ended);

    let listed = b.list_executions().await.expect("executions are listed");
    let mine = listed.iter().find(|x| x.id == result.execution_id).unwrap();
    assert_eq!(mine.status.raw, "Success");
    assert_eq!((mine.stages_done, mine.stages_total), (3, 3));
    assert_eq!(sim.stats().starts, 1, "nothing was started twice");

    // The same id in another project, and an id nobody issued, are not found.
    for (project, id) in [
        ("payments", result.execution_id.as_str()),
        ("checkout", "NoSuchExecution00000000"),
    ] {
        let err = error_of(&sim, b.execution(&exec_ref(project, id)).await);
        assert_eq!(
            err,
            BackendError::NotFound(format!(
                "Plan Execution Summary does not exist or has been deleted for planExecutionId: {id}"
            ))
        );
    }
}

#[tokio::test]
async fn start_without_a_required_input_never_reaches_execute() {
    let sim = sim().await;
    let b = admin(&sim);
    let request = StartRequest {
        project: "checkout".into(),
        pipeline_id: "cart_service_deploy".into(),
        values: Vec::new(),
        notes: None,
    };
    let err = error_of(&sim, b.start(&request).await);
    assert_eq!(
        err,
        BackendError::BadRequest("missing required input(s): image_tag".into())
    );
    // An empty value counts as not given.
    let request = StartRequest {
        values: vec![("image_tag".into(), "  ".into())],
        ..request
    };
    let err = error_of(&sim, b.start(&request).await);
    assert!(
        matches!(&err, BackendError::BadRequest(m) if m.contains("image_tag")),
        "{err:?}"
    );
    // A value for an input the pipeline does not have.
    let request = StartRequest {
        values: vec![
            ("image_tag".into(), "3.9.1".into()),
            ("colour".into(), "blue".into()),
        ],
        ..request
    };
    let err = error_of(&sim, b.start(&request).await);
    assert!(
        matches!(&err, BackendError::BadRequest(m) if m.contains("colour") && m.contains("image_tag")),
        "{err:?}"
    );

    let stats = sim.stats();
    assert_eq!(stats.requests_to("POST", TEMPLATE_ROUTE), 3);
    assert_eq!(stats.requests_to("POST", EXECUTE_ROUTE), 0);
    assert_eq!(stats.starts, 0);
}

// ----- 4. waiting approvals ------------------------------------------------------------------

#[tokio::test]
async fn waiting_approvals_match_the_simulators_gates() {
    let sim = sim().await;
    let b = admin(&sim);
    let gates = sim.world().waiting_gates();
    assert!(
        gates.len() >= 3,
        "the seed opens with gates waiting: {gates:?}"
    );

    let mut approvals = b.waiting_approvals().await.expect("approvals are listed");
    // The backend does not sort: the display order is `domain::order`'s.
    flightdeck::domain::order::approvals(&mut approvals);
    let ids = |v: Vec<String>| v.into_iter().collect::<BTreeSet<_>>();
    assert_eq!(
        ids(approvals.iter().map(|a| a.id.clone()).collect()),
        ids(gates.iter().map(|g| g.approval.clone()).collect()),
    );
    assert_eq!(approvals.len(), gates.len(), "no gate twice");

    let now = sim.now_ms();
    for gate in &gates {
        let a = approvals.iter().find(|a| a.id == gate.approval).unwrap();
        let want = seeded_gate(&gate.pipeline, &gate.stage);
        assert_eq!(a.project, gate.project);
        assert_eq!(a.execution_id, gate.execution);
        assert_eq!(a.pipeline_id, gate.pipeline);
        assert_eq!(a.stage, want.stage, "{}", a.id);
        assert_eq!(a.step, want.step, "{}", a.id);
        assert_eq!(a.message, want.message);
        assert_eq!(a.approvers, want.approvers, "{}", a.id);
        assert_eq!(a.min_count, want.min);
        let inputs: Vec<(&str, &str)> = a
            .inputs
            .iter()
            .map(|i| (i.name.as_str(), i.default.as_str()))
            .collect();
        assert_eq!(inputs, want.inputs, "{}", a.id);
        let deadline = a.deadline.expect("a deadline").as_millisecond();
        let created = a.created.expect("a creation time").as_millisecond();
        assert!(
            deadline > now,
            "{}: deadline {deadline} is not after now {now}",
            a.id
        );
        assert!(created <= now && created < deadline);
        assert!(!a.triggered_by.is_empty());
    }
    // Soonest deadline first (every Harness gate here has one).
    assert!(approvals.windows(2).all(|w| w[0].deadline <= w[1].deadline));

    // The release train waits on two gates at once, in parallel stages.
    let train: Vec<&Approval> = approvals
        .iter()
        .filter(|a| a.pipeline_id == "payments_release_train")
        .collect();
    let stages: BTreeSet<&str> = train.iter().map(|a| a.stage.as_str()).collect();
    assert!(
        stages.is_superset(&BTreeSet::from(["EU sign-off", "US sign-off"])),
        "{stages:?}"
    );

    // A new gate shows up on the next read.
    let gate = sim.world().waiting_gate().expect("a gate opens");
    let again = b.waiting_approvals().await.expect("approvals are listed");
    assert_eq!(again.len(), approvals.len() + 1);
    let new = again.iter().find(|a| a.id == gate.approval).unwrap();
    assert_eq!(new.stage, "Change approval");
    assert_eq!(new.execution_id, gate.execution);
    assert_eq!(new.created.unwrap().as_millisecond(), sim.now_ms());
    assert_eq!(
        new.deadline.unwrap().as_millisecond(),
        sim.now_ms() + 3_600_000,
        "one hour of timeout"
    );
}

// ----- 5. approve ----------------------------------------------------------------------------

#[tokio::test]
async fn approve_by_instance_records_once_and_moves_the_run_on() {
    let sim = sim().await;
    sim.world().set_failures(false);
    let b = admin(&sim);
    let gate = sim.world().waiting_gate().expect("a gate opens");
    let approval = gate_in_detail(&b, &gate.project, &gate.execution, &gate.approval).await;
    assert_eq!(approval.step, "Approve change");

    let outcome = b
        .decide(
            &approval,
            &approve("rotation looks fine", &[("change_ticket", "CHG-4242")]),
        )
        .await
        .expect("the gate is approved");
    assert_eq!(outcome, DecisionOutcome::Approved);
    let stats = sim.stats();
    assert_eq!(
        stats.decisions.get(&gate.approval),
        Some(&DecisionCount {
            approve: 1,
            reject: 0
        })
    );
    assert_eq!(stats.total_decisions(), 1);
    assert_eq!(stats.requests_to("POST", ACTIVITY_ROUTE), 1);

    // What the server recorded: who, the comment and the approver input.
    let instance = instance_json(&sim, &gate.approval).await;
    assert_eq!(instance["status"], "APPROVED");
    let activities = instance["details"]["approvalActivities"]
        .as_array()
        .unwrap();
    assert_eq!(activities.len(), 1);
    assert_eq!(activities[0]["action"], "APPROVE");
    assert_eq!(activities[0]["comments"], "rotation looks fine");
    assert_eq!(activities[0]["user"]["name"], "Demo Admin");
    assert_eq!(
        activities[0]["approverInputs"],
        serde_json::json!([{"name": "change_ticket", "value": "CHG-4242"}])
    );

    // The run leaves ApprovalWaiting a moment after the decision, not during it.
    let exec = exec_ref(&gate.project, &gate.execution);
    let detail = advance_until(&sim, &b, &exec, Duration::from_secs(2), 10, |d| {
        d.execution.status.status != ExecStatus::Waiting
    })
    .await;
    assert_eq!(detail.execution.status.status, ExecStatus::Running);
    assert!(detail.approvals.is_empty());
    assert_eq!(detail.stages[0].name, "Change approval");
    assert_eq!(detail.stages[0].status.status, ExecStatus::Succeeded);
    assert_eq!(detail.stages[0].steps[0].name, "Approve change");
    assert_eq!(
        detail.stages[0].steps[0].status.status,
        ExecStatus::Succeeded
    );
    assert_eq!(detail.stages[1].status.status, ExecStatus::Running);
    assert!(
        !b.waiting_approvals()
            .await
            .unwrap()
            .iter()
            .any(|a| a.id == gate.approval)
    );

    // Deciding again is a clash with the current state, and nothing more is recorded. Another
    // allowed approver hears that it is decided; the same user is refused first for having
    // acted already (spec 3.4/3.6: authorization is checked before completion).
    let second = backend(&sim, &sim.harness_second_token());
    let err = error_of(&sim, second.decide(&approval, &approve("again", &[])).await);
    assert_eq!(
        err,
        BackendError::Conflict("already decided by someone else: APPROVED".into())
    );
    let err = error_of(&sim, b.decide(&approval, &approve("again", &[])).await);
    assert!(
        matches!(&err, BackendError::NotAuthorized(m)
            if m.starts_with("User not authorized to approve/reject") && m.contains("already acted")),
        "{err:?}"
    );
    assert_eq!(sim.stats().total_decisions(), 1);

    // A gate id the server never issued.
    let bogus = Approval {
        id: "000000000000000000000000".into(),
        ..approval
    };
    let err = error_of(&sim, b.decide(&bogus, &approve("?", &[])).await);
    assert_eq!(
        err,
        BackendError::NotFound(
            "Invalid harness approval instance id: 000000000000000000000000".into()
        )
    );
    assert_eq!(sim.stats().total_decisions(), 1);
}

// ----- 6. reject -----------------------------------------------------------------------------

#[tokio::test]
async fn reject_by_instance_ends_the_run_rejected() {
    let sim = sim().await;
    let b = admin(&sim);
    let gate = sim.world().waiting_gate().expect("a gate opens");
    let approval = gate_in_detail(&b, &gate.project, &gate.execution, &gate.approval).await;

    let outcome = b
        .decide(&approval, &reject("not during the freeze"))
        .await
        .expect("the gate is rejected");
    assert_eq!(outcome, DecisionOutcome::Rejected);
    assert_eq!(
        sim.stats().decisions.get(&gate.approval),
        Some(&DecisionCount {
            approve: 0,
            reject: 1
        })
    );
    let instance = instance_json(&sim, &gate.approval).await;
    assert_eq!(instance["status"], "REJECTED");
    assert_eq!(
        instance["details"]["approvalActivities"][0]["comments"],
        "not during the freeze"
    );

    let exec = exec_ref(&gate.project, &gate.execution);
    let detail = advance_until(&sim, &b, &exec, Duration::from_secs(2), 10, |d| {
        d.execution.status.status.is_terminal()
    })
    .await;
    assert_eq!(detail.execution.status.status, ExecStatus::Rejected);
    assert_eq!(detail.execution.status.raw, "ApprovalRejected");
    assert!(detail.execution.ended.is_some());
    assert_eq!(detail.stages[0].status.raw, "ApprovalRejected");
    // Nothing after the rejected gate ran.
    for stage in &detail.stages[1..] {
        assert!(stage.started.is_none(), "{stage:?}");
        assert!(!matches!(
            stage.status.status,
            ExecStatus::Succeeded | ExecStatus::Running
        ));
    }

    let second = backend(&sim, &sim.harness_second_token());
    let err = error_of(
        &sim,
        second.decide(&approval, &approve("override", &[])).await,
    );
    assert_eq!(
        err,
        BackendError::Conflict("already decided by someone else: REJECTED".into())
    );
    assert_eq!(sim.stats().total_decisions(), 1);
}

// ----- 7. decide by execution ----------------------------------------------------------------

#[tokio::test]
async fn decide_by_execution_with_and_without_callback_ids() {
    let sim = sim().await;
    let b = admin(&sim);

    // One gate, named by its step's callback id.
    let gate = sim.world().waiting_gate().expect("a gate opens");
    assert_eq!(gate.callback_id.as_deref(), Some("cert_change"));
    let outcome = b
        .decide_by_execution(
            &gate.project,
            &gate.execution,
            gate.callback_id.as_deref(),
            &approve("via callback", &[("change_ticket", "CHG-7")]),
        )
        .await
        .expect("the gate is approved");
    assert_eq!(outcome, DecisionOutcome::Approved);
    assert_eq!(
        sim.stats().decisions.get(&gate.approval),
        Some(&DecisionCount {
            approve: 1,
            reject: 0
        })
    );
    let instance = instance_json(&sim, &gate.approval).await;
    assert_eq!(
        instance["details"]["approvalActivities"][0]["approverInputs"],
        serde_json::json!([{"name": "change_ticket", "value": "CHG-7"}])
    );
    // The same through the trait's callback entry point: now nothing waits there.
    let err = error_of(
        &sim,
        b.decide_by_callback(
            &exec_ref(&gate.project, &gate.execution),
            "cert_change",
            &approve("again", &[]),
        )
        .await,
    );
    assert!(
        matches!(&err, BackendError::Conflict(m) if m.starts_with("no gate waiting")),
        "{err:?}"
    );

    // Two gates waiting and no callback id: ambiguous, nothing decided.
    let (train, gates) = sim.world().two_waiting_gates().expect("the train starts");
    assert_eq!(gates.len(), 2);
    let before = sim.stats().total_decisions();
    let err = error_of(
        &sim,
        b.decide_by_execution("payments", &train, None, &approve("both?", &[]))
            .await,
    );
    assert!(
        matches!(&err, BackendError::Conflict(m)
            if m.starts_with("several approval gates are waiting") && m.contains("callback")),
        "{err:?}"
    );
    assert_eq!(sim.stats().total_decisions(), before);
    // With a callback id, exactly that gate is decided.
    let eu = gates
        .iter()
        .find(|g| g.callback_id.as_deref() == Some("eu_signoff"))
        .unwrap();
    let us = gates
        .iter()
        .find(|g| g.callback_id.as_deref() == Some("us_signoff"))
        .unwrap();
    let outcome = b
        .decide_by_execution(
            "payments",
            &train,
            Some("eu_signoff"),
            &reject("EU not ready"),
        )
        .await
        .expect("the EU gate is rejected");
    assert_eq!(outcome, DecisionOutcome::Rejected);
    let stats = sim.stats();
    assert_eq!(stats.decisions.get(&eu.approval).map(|d| d.reject), Some(1));
    assert_eq!(stats.decisions.get(&us.approval), None);

    // An execution with no gate waiting.
    let plain = sim
        .world()
        .start("checkout", "cart_service_deploy")
        .expect("a run starts");
    let err = error_of(
        &sim,
        b.decide_by_execution("checkout", &plain, None, &approve("?", &[]))
            .await,
    );
    match &err {
        BackendError::Conflict(m) => {
            assert!(m.starts_with("no gate waiting"), "{m}");
            assert!(m.contains(&plain), "{m}");
        }
        other => panic!("{other:?}"),
    }

    // An execution that does not exist, and one that lives in another project.
    let err = error_of(
        &sim,
        b.decide_by_execution(
            "checkout",
            "NoSuchExecution00000000",
            None,
            &approve("?", &[]),
        )
        .await,
    );
    assert!(
        matches!(&err, BackendError::NotFound(m) if m.contains("doesn't belong to")),
        "{err:?}"
    );
    let err = error_of(
        &sim,
        b.decide_by_execution("checkout", &train, Some("us_signoff"), &approve("?", &[]))
            .await,
    );
    assert!(
        matches!(&err, BackendError::NotFound(m) if m.contains("Project: checkout")),
        "{err:?}"
    );

    let stats = sim.stats();
    assert_eq!(stats.total_decisions(), before + 1);
    assert_eq!(stats.requests_to("POST", V1_DECIDE_ROUTE), 7);
    assert_eq!(stats.requests_to("POST", ACTIVITY_ROUTE), 0);
}

// ----- 8. documented auth and permission errors ----------------------------------------------

#[tokio::test]
async fn an_unknown_key_is_unauthenticated() {
    let sim = sim().await;
    let b = backend(&sim, &made_up_token(&sim));
    let err = error_of(&sim, b.list_pipelines().await);
    match &err {
        BackendError::Unauthenticated(m) => {
            assert!(m.contains("Token is not valid."), "{m}");
            assert!(m.contains("the API key was refused"), "{m}");
        }
        other => panic!("{other:?}"),
    }
    let err = error_of(&sim, b.waiting_approvals().await);
    assert!(matches!(err, BackendError::Unauthenticated(_)), "{err:?}");
    let err = error_of(&sim, b.execution(&exec_ref("payments", "whatever")).await);
    assert!(matches!(err, BackendError::Unauthenticated(_)), "{err:?}");
    // A key of another account is refused too.
    let b = backend(&sim, "pat.otheraccount.abc.def");
    let err = error_of(&sim, b.list_executions().await);
    assert!(matches!(err, BackendError::Unauthenticated(_)), "{err:?}");
}

#[tokio::test]
async fn a_viewer_key_may_neither_start_nor_decide() {
    let sim = sim().await;
    let viewer = backend(&sim, &sim.harness_unauthorized_token());
    // Reading is allowed.
    assert_eq!(
        viewer
            .list_pipelines()
            .await
            .expect("a viewer may list")
            .len(),
        14
    );

    let err = error_of(
        &sim,
        viewer
            .start(&StartRequest {
                project: "checkout".into(),
                pipeline_id: "cart_service_deploy".into(),
                values: vec![("image_tag".into(), "3.9.1".into())],
                notes: None,
            })
            .await,
    );
    match &err {
        BackendError::NotAuthorized(m) => {
            assert!(
                m.contains("Missing permission core_pipeline_execute"),
                "{m}"
            );
            assert!(m.contains("cart_service_deploy"), "{m}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(sim.stats().starts, 0);
    assert_eq!(sim.stats().requests_to("POST", EXECUTE_ROUTE), 1);

    let gate = sim.world().waiting_gate().expect("a gate opens");
    let approval = gate_in_detail(&viewer, &gate.project, &gate.execution, &gate.approval).await;
    let err = error_of(&sim, viewer.decide(&approval, &approve("me?", &[])).await);
    assert!(
        matches!(&err, BackendError::NotAuthorized(m) if m.contains("core_pipeline_execute")),
        "{err:?}"
    );
    let err = error_of(
        &sim,
        viewer
            .decide_by_execution(&gate.project, &gate.execution, None, &reject("me?"))
            .await,
    );
    assert!(matches!(err, BackendError::NotAuthorized(_)), "{err:?}");
    assert_eq!(sim.stats().total_decisions(), 0);
    assert_eq!(
        sim.world().approval_status(&gate.approval),
        Some(flightdeck_sim::ApprovalStatus::Waiting)
    );
}

#[tokio::test]
async fn a_service_account_key_cannot_decide() {
    let sim = sim().await;
    let sat = backend(&sim, &sim.harness_sat_token());
    let gate = sim.world().waiting_gate().expect("a gate opens");
    let approval = gate_in_detail(&sat, &gate.project, &gate.execution, &gate.approval).await;

    let err = error_of(
        &sim,
        sat.decide(&approval, &approve("bot says yes", &[])).await,
    );
    match &err {
        BackendError::NotAuthorized(m) => {
            assert!(
                m.starts_with("SERVICE_ACCOUNT is not supported for Harness Approval Step yet"),
                "{m}"
            );
            assert!(m.contains("service-account"), "{m}");
            assert!(m.contains("personal access token"), "{m}");
        }
        other => panic!("{other:?}"),
    }
    let err = error_of(
        &sim,
        sat.decide_by_execution(
            &gate.project,
            &gate.execution,
            Some("cert_change"),
            &reject("bot says no"),
        )
        .await,
    );
    assert!(
        matches!(&err, BackendError::NotAuthorized(m) if m.contains("personal access token")),
        "{err:?}"
    );
    assert_eq!(sim.stats().total_decisions(), 0);
}

#[tokio::test]
async fn an_expired_gate_is_expired() {
    let sim = sim().await;
    let b = admin(&sim);
    let gate = sim.world().waiting_gate().expect("a gate opens");
    let approval = gate_in_detail(&b, &gate.project, &gate.execution, &gate.approval).await;
    assert!(sim.world().expire(&gate.approval));

    let err = error_of(&sim, b.decide(&approval, &approve("too late?", &[])).await);
    match &err {
        BackendError::Expired(m) => assert!(m.contains("has already expired"), "{m}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(sim.stats().total_decisions(), 0);
    let detail = b
        .execution(&exec_ref(&gate.project, &gate.execution))
        .await
        .unwrap();
    assert_eq!(detail.execution.status.status, ExecStatus::Expired);
    assert!(detail.approvals.is_empty());
    assert!(
        !b.waiting_approvals()
            .await
            .unwrap()
            .iter()
            .any(|a| a.id == gate.approval)
    );
}

#[tokio::test]
async fn the_rate_limiter_is_rate_limited() {
    let sim = sim().await;
    let b = admin(&sim);
    sim.set_harness_rate_limit(Some(2));
    // Three projects, three list requests: the third is over the limit.
    let err = error_of(&sim, b.list_pipelines().await);
    assert_eq!(err, BackendError::RateLimited { retry_after: None });
    assert!(err.is_transient());
    assert_eq!(sim.stats().rate_limited, 1);
    // Every further request is refused as well, and nothing is decided.
    let gate = sim.world().waiting_gate().expect("a gate opens");
    let err = error_of(
        &sim,
        b.decide_by_execution(&gate.project, &gate.execution, None, &approve("x", &[]))
            .await,
    );
    assert_eq!(err, BackendError::RateLimited { retry_after: None });
    assert_eq!(sim.stats().total_decisions(), 0);
    // Another key has its own budget.
    let second = backend(&sim, &sim.harness_second_token());
    assert_eq!(
        second
            .start_form("payments", "ledger_migrations")
            .await
            .expect("another key is not limited")
            .variables
            .len(),
        3
    );
    sim.set_harness_rate_limit(None);
    assert_eq!(b.list_pipelines().await.expect("unlimited again").len(), 14);
}

// ----- 9. no key in errors: see `error_of`, used for every error above. -----------------------

#[tokio::test]
async fn the_key_is_in_no_error_nor_in_the_backend_debug() {
    let sim = sim().await;
    for key in keys(&sim) {
        let b = backend(&sim, &key);
        let debug = format!("{b:?}");
        assert!(!debug.contains(&key), "key in {debug}");
        // Whatever each key gets refused, the text does not carry it.
        let errors = [
            b.decide_by_execution("payments", "NoSuchExecution", None, &approve("x", &[]))
                .await
                .err(),
            b.execution(&exec_ref("platform", "NoSuchExecution"))
                .await
                .err(),
            b.start(&StartRequest {
                project: "payments".into(),
                pipeline_id: "ledger_migrations".into(),
                values: vec![("migration_version".into(), "not a number".into())],
                notes: None,
            })
            .await
            .err(),
        ];
        for err in errors.iter().flatten() {
            assert_no_key(&sim, err);
        }
        assert_eq!(errors.iter().flatten().count(), 3, "{key}: {errors:?}");
    }
}

// ----- 10. two approvers ---------------------------------------------------------------------

#[tokio::test]
async fn a_gate_needing_two_approvals_waits_for_the_second() {
    let sim = sim().await;
    sim.world().set_failures(false);
    let b = admin(&sim);
    let second = backend(&sim, &sim.harness_second_token());

    // The seed's production gate of the payments API needs two release managers; the run
    // started by hand 45 minutes before "now" waits on it.
    let approval = b
        .waiting_approvals()
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.min_count == 2);
    let approval = approval.expect("a two-approver gate waits");
    assert_eq!(approval.pipeline_id, "payments_api_deploy");
    assert_eq!(approval.stage, "Prod approval");
    assert_eq!(approval.min_count, 2);
    let instance = instance_json(&sim, &approval.id).await;
    assert_eq!(instance["details"]["approvers"]["minimumCount"], 2);

    let outcome = b
        .decide(&approval, &approve("first", &[("change_ticket", "CHG-1")]))
        .await
        .expect("the first approval is recorded");
    assert_eq!(outcome, DecisionOutcome::StillWaiting);
    // Still waiting: listed, and the run does not move on however long we wait.
    sim.advance(Duration::from_secs(30));
    let exec = approval.exec_ref();
    let detail = b.execution(&exec).await.unwrap();
    assert_eq!(detail.execution.status.raw, "ApprovalWaiting");
    assert_eq!(detail.approvals.len(), 1);
    assert_eq!(detail.approvals[0].id, approval.id);

    // The same user cannot count twice.
    let err = error_of(&sim, b.decide(&approval, &approve("again", &[])).await);
    assert!(
        matches!(&err, BackendError::NotAuthorized(m) if m.starts_with("User not authorized to approve/reject")),
        "{err:?}"
    );

    let outcome = second
        .decide(&approval, &approve("second", &[]))
        .await
        .expect("the second approval is recorded");
    assert_eq!(outcome, DecisionOutcome::Approved);
    assert_eq!(
        sim.stats().decisions.get(&approval.id),
        Some(&DecisionCount {
            approve: 2,
            reject: 0
        })
    );
    let instance = instance_json(&sim, &approval.id).await;
    let who: Vec<&str> = instance["details"]["approvalActivities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["user"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(who, ["Demo Admin", "Priya Natarajan"]);

    let detail = advance_until(&sim, &b, &exec, Duration::from_secs(2), 10, |d| {
        d.execution.status.status != ExecStatus::Waiting
    })
    .await;
    assert_eq!(detail.execution.status.status, ExecStatus::Running);
    let prod = detail
        .stages
        .iter()
        .find(|s| s.name == "Deploy prod")
        .unwrap();
    assert_eq!(prod.status.status, ExecStatus::Running);
}

#[tokio::test]
async fn counts_by_route_are_per_operation() {
    // A guard for the request counts asserted above: the simulator counts routes by template.
    let sim = sim().await;
    let b = admin(&sim);
    b.start_form("payments", "ledger_migrations").await.unwrap();
    let stats = sim.stats();
    let routes: BTreeMap<_, _> = stats.requests.clone();
    assert_eq!(
        routes,
        BTreeMap::from([(("POST".to_string(), TEMPLATE_ROUTE.to_string()), 1)])
    );
}
