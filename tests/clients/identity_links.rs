//! Who each client's key acts as (`Backend::whoami`), the correlation id a write's answer
//! carries (`identity::capture_request_id`), and each execution's and gate's web UI link,
//! against the simulator over HTTP.

use std::time::Duration;

use secrecy::SecretString;
use url::Url;

use flightdeck::backend::argo::{ArgoBackend, ArgoOptions, RejectMode};
use flightdeck::backend::harness::{HarnessBackend, HarnessOptions};
use flightdeck::backend::harness_fg::{HarnessFgBackend, HarnessFgOptions};
use flightdeck::backend::identity::capture_request_id;
use flightdeck::backend::{Backend, IdentitySource};
use flightdeck::domain::{Decision, DecisionAction, StartRequest};
use flightdeck_sim::{ClockMode, SimHandle, SimOptions};

async fn sim_with(token: Option<String>) -> SimHandle {
    SimHandle::start(SimOptions {
        seed: 42,
        clock: ClockMode::Manual,
        token,
        ..SimOptions::default()
    })
    .await
    .expect("simulator starts")
}

fn harness(sim: &SimHandle, key: &str) -> HarnessBackend {
    HarnessBackend::new(HarnessOptions {
        name: "hx".into(),
        base_url: Url::parse(&sim.harness_url()).unwrap(),
        account: sim.account(),
        org: sim.org(),
        projects: sim.projects(),
        api_key: SecretString::from(key.to_owned()),
        timeout: Duration::from_secs(10),
        ca_file: None,
        insecure_skip_verify: false,
    })
    .unwrap()
}

fn argo(sim: &SimHandle, namespace: &str) -> ArgoBackend {
    ArgoBackend::new(ArgoOptions {
        name: "argo".into(),
        base_url: sim.argo_url().parse().unwrap(),
        namespace: namespace.into(),
        token: Some(sim.argo_token().into()),
        cluster_templates: false,
        label_selector: None,
        reject: RejectMode::Stop,
        events: Vec::new(),
        timeout: Duration::from_secs(10),
        ca_file: None,
        insecure_skip_verify: false,
    })
    .unwrap()
}

fn first_gen(sim: &SimHandle) -> HarnessFgBackend {
    HarnessFgBackend::new(HarnessFgOptions {
        name: "fg".into(),
        base_url: sim.harness_fg_url().parse().unwrap(),
        account: sim.account(),
        applications: Vec::new(),
        api_key: sim.harness_fg_api_key().into(),
        timeout: Duration::from_secs(10),
        ca_file: None,
        insecure_skip_verify: false,
    })
    .unwrap()
}

#[tokio::test]
async fn each_backend_says_who_its_key_acts_as_or_why_it_cannot() {
    let sim = sim_with(None).await;
    let pat = harness(&sim, &sim.harness_token()).whoami().await.unwrap();
    assert_eq!(pat.source, IdentitySource::Verified);
    assert_eq!(
        pat.who.as_deref(),
        Some("Demo Admin <demo.admin@example.com>")
    );
    assert!(pat.via.starts_with("currentUser"), "{}", pat.via);

    let sat = harness(&sim, &sim.harness_sat_token())
        .whoami()
        .await
        .unwrap();
    assert_eq!(sat.source, IdentitySource::Verified);
    assert!(
        sat.who.as_deref().unwrap().starts_with("service account "),
        "{sat:?}"
    );
    assert!(sat.via.contains("token/validate") && sat.via.contains("Demo Admin"));

    let a = argo(&sim, "argo").whoami().await.unwrap();
    assert_eq!(a.who.as_deref(), Some("service account argo/flightdeck"));
    assert_eq!(a.source, IdentitySource::Verified);

    let fg = first_gen(&sim).whoami().await.unwrap();
    assert_eq!(fg.source, IdentitySource::Unknown);
    assert!(fg.via.contains("no who-am-I API"), "{}", fg.via);

    // A bad key is an error, not somebody.
    let made_up = format!("pat.{}.x.y", sim.account());
    assert!(harness(&sim, &made_up).whoami().await.is_err());
}

#[tokio::test]
async fn an_argo_token_without_claims_names_nobody() {
    let sim = sim_with(Some(flightdeck_sim::new_token(3))).await;
    let a = argo(&sim, "argo").whoami().await.unwrap();
    assert_eq!(a.source, IdentitySource::Unknown);
    assert!(a.via.contains("not a JWT"), "{}", a.via);
}

#[tokio::test]
async fn a_harness_write_keeps_the_correlation_id_of_the_request_that_acted() {
    let sim = sim_with(None).await;
    sim.world().set_failures(false);
    let b = harness(&sim, &sim.harness_token());
    let request = StartRequest {
        project: "checkout".into(),
        pipeline_id: "cart_service_deploy".into(),
        values: vec![("image_tag".into(), "3.9.1".into())],
        notes: None,
    };
    let (started, id) = capture_request_id(b.start(&request)).await;
    started.expect("the pipeline starts");
    let id = id.expect("the execute answer's correlationId");
    assert_eq!(id.len(), 36, "{id}");
    let (_, again) = capture_request_id(b.start(&request)).await;
    assert_ne!(again.as_deref(), Some(id.as_str()), "one id per request");
    // A refused write has one too: the error body carries it.
    let (refused, id) = capture_request_id(b.start(&StartRequest {
        pipeline_id: "no_such_pipeline".into(),
        ..request.clone()
    }))
    .await;
    assert!(refused.is_err());
    assert!(id.is_some());
    // Reads outside a write keep nothing and cost no parsing.
    assert!(!flightdeck::backend::identity::capturing());
}

#[tokio::test]
async fn every_execution_and_gate_links_to_its_page() {
    let sim = sim_with(None).await;
    let b = harness(&sim, &sim.harness_token());
    let base = format!("{}/ng/account/{}/", sim.harness_url(), sim.account());
    let executions = b.list_executions().await.unwrap();
    assert!(!executions.is_empty());
    for e in &executions {
        let url = e
            .url
            .as_deref()
            .expect("every NextGen execution has a page");
        let module = url[base.len()..].split('/').next().unwrap();
        assert!(matches!(module, "cd" | "ci"), "{url}");
        assert_eq!(
            url,
            format!(
                "{base}{module}/orgs/default/projects/{}/pipelines/{}/executions/{}/pipeline",
                e.project, e.pipeline_id, e.id
            )
        );
    }
    let gates = b.waiting_approvals().await.unwrap();
    assert!(!gates.is_empty());
    for g in &gates {
        let url = g.url.as_deref().unwrap();
        assert!(
            url.contains(&format!("/executions/{}/pipeline?stage=", g.execution_id)),
            "{url}"
        );
        assert!(url.contains("&step="), "{url}");
    }
    // A self-managed UI.
    let own = harness(&sim, &sim.harness_token())
        .with_ui_url(Some(Url::parse("https://harness.corp.example/ng").unwrap()));
    let e = &own.list_executions().await.unwrap()[0];
    assert!(
        e.url.as_deref().unwrap().starts_with(&format!(
            "https://harness.corp.example/ng/account/{}/",
            sim.account()
        )),
        "{:?}",
        e.url
    );

    let a = argo(&sim, "argo");
    for e in a.list_executions().await.unwrap() {
        assert_eq!(
            e.url.as_deref(),
            Some(format!("{}/workflows/argo/{}", sim.argo_url(), e.id).as_str())
        );
    }
    for g in a.waiting_approvals().await.unwrap() {
        assert_eq!(
            g.url.as_deref(),
            Some(
                format!(
                    "{}/workflows/argo/{}?tab=workflow&nodeId={}",
                    sim.argo_url(),
                    g.execution_id,
                    g.id
                )
                .as_str()
            )
        );
    }

    // First Gen: the API's own executionUrl.
    let fg = first_gen(&sim);
    let listed = fg.list_executions().await.unwrap();
    assert!(!listed.is_empty());
    for e in &listed {
        let url = e.url.as_deref().unwrap();
        assert!(
            url.starts_with(&format!(
                "https://app.harness.io/#/account/{}/app/",
                sim.account()
            )),
            "{url}"
        );
        assert!(url.contains(&e.id) && url.ends_with("/details"), "{url}");
    }
}

#[test]
fn a_reject_records_the_verdict_it_set() {
    use flightdeck::domain::ApproverInput;
    use flightdeck::write::{Guard, Source, Writes};
    let writes = Writes::new(
        "alice",
        Source::Cli,
        false,
        vec![Guard {
            name: "argo".into(),
            kind: flightdeck::domain::BackendKind::Argo,
            read_only: false,
            production: false,
            identity: Some("release-bot".into()),
        }],
    );
    let mut gate = flightdeck::domain::Approval {
        backend: "argo".into(),
        project: "argo".into(),
        id: "wf-1".into(),
        execution_id: "wf".into(),
        pipeline_id: "release".into(),
        pipeline_name: "release".into(),
        stage: String::new(),
        step: "approve".into(),
        message: String::new(),
        approvers: Vec::new(),
        min_count: 1,
        inputs: vec![ApproverInput {
            name: "approve".into(),
            default: "YES".into(),
            options: vec!["YES".into(), "NO".into()],
        }],
        created: None,
        deadline: None,
        triggered_by: String::new(),
        environment: None,
        callback_id: None,
        url: None,
    };
    let reject = Decision {
        action: DecisionAction::Reject,
        comment: "not today".into(),
        inputs: Vec::new(),
    };
    let entry = writes.decision_entry(
        &gate,
        &reject,
        &Ok(flightdeck::domain::DecisionOutcome::Rejected),
        None,
        jiff::Timestamp::now(),
    );
    assert_eq!(entry.inputs.values.len(), 1);
    assert_eq!(
        (
            entry.inputs.values[0].name.as_str(),
            entry.inputs.values[0].value.as_str()
        ),
        ("approve", "NO")
    );
    let identity = entry.identity.unwrap();
    assert_eq!(
        (identity.who.as_deref(), identity.source),
        (Some("release-bot"), IdentitySource::Configured)
    );
    // A gate without a verdict parameter records only what was given.
    gate.inputs.clear();
    let entry = writes.decision_entry(
        &gate,
        &reject,
        &Ok(flightdeck::domain::DecisionOutcome::Rejected),
        None,
        jiff::Timestamp::now(),
    );
    assert!(entry.inputs.values.is_empty());
}

/// A backend whose who-am-I fails as an unreachable server does, `failures` times.
struct Flaky {
    name: flightdeck::domain::BackendName,
    failures: usize,
    asked: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

#[async_trait::async_trait]
impl Backend for Flaky {
    fn name(&self) -> &flightdeck::domain::BackendName {
        &self.name
    }
    fn kind(&self) -> flightdeck::domain::BackendKind {
        flightdeck::domain::BackendKind::Harness
    }
    async fn whoami(&self) -> flightdeck::backend::Result<flightdeck::backend::Identity> {
        let n = self.asked.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        if n < self.failures {
            return Err(flightdeck::domain::BackendError::Network("refused".into()));
        }
        Ok(flightdeck::backend::Identity::verified("ada", "test"))
    }
    async fn list_pipelines(
        &self,
    ) -> flightdeck::backend::Result<Vec<flightdeck::domain::Pipeline>> {
        Ok(Vec::new())
    }
    async fn start_form(
        &self,
        _: &str,
        _: &str,
    ) -> flightdeck::backend::Result<flightdeck::domain::StartForm> {
        Ok(Default::default())
    }
    async fn start(
        &self,
        _: &StartRequest,
    ) -> flightdeck::backend::Result<flightdeck::domain::StartResult> {
        Err(flightdeck::domain::BackendError::Unsupported(
            "start".into(),
        ))
    }
    async fn list_executions(
        &self,
    ) -> flightdeck::backend::Result<Vec<flightdeck::domain::Execution>> {
        Ok(Vec::new())
    }
    async fn execution(
        &self,
        exec: &flightdeck::domain::ExecRef,
    ) -> flightdeck::backend::Result<flightdeck::domain::ExecutionDetail> {
        Err(flightdeck::domain::BackendError::NotFound(exec.id.clone()))
    }
    async fn waiting_approvals(
        &self,
    ) -> flightdeck::backend::Result<Vec<flightdeck::domain::Approval>> {
        Ok(Vec::new())
    }
    async fn decide(
        &self,
        _: &flightdeck::domain::Approval,
        _: &Decision,
    ) -> flightdeck::backend::Result<flightdeck::domain::DecisionOutcome> {
        Ok(flightdeck::domain::DecisionOutcome::Approved)
    }
}

/// The service asks who the key is once, when the backend's task starts; a backend it could
/// not reach is asked again later, and one that keeps refusing ends as unknown, saying why.
#[tokio::test(start_paused = true)]
async fn the_service_asks_once_and_again_only_after_an_unreachable_backend() {
    use flightdeck::service::{Intervals, Limits, Payload, Service};
    for (failures, asked, verified) in [(0, 1, true), (2, 3, true), (10, 4, false)] {
        let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let backend: std::sync::Arc<dyn Backend> = std::sync::Arc::new(Flaky {
            name: "f".into(),
            failures,
            asked: count.clone(),
        });
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let _service = Service::spawn(
            vec![(
                backend,
                Limits {
                    concurrency: 1,
                    operation_timeout: Duration::from_secs(5),
                    min_interval: Duration::ZERO,
                },
            )],
            Intervals::default(),
            tx,
        );
        let identity = loop {
            let reply = tokio::time::timeout(Duration::from_secs(3600), rx.recv())
                .await
                .expect("an answer")
                .expect("open");
            if let Payload::Identity(identity) = reply.payload {
                break identity;
            }
        };
        assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), asked);
        assert_eq!(
            identity.source == IdentitySource::Verified,
            verified,
            "{identity:?}"
        );
        if !verified {
            assert!(identity.via.contains("refused"), "{}", identity.via);
        }
    }
}
