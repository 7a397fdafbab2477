//! Step logs through `Backend::logs` against the simulator over HTTP: Harness NextGen's log
//! service (a finished step's blob, a running step followed to its end, the empty blob right
//! after a step ends, hostile bytes in a line) and an Infraxys run's output and status
//! messages. The simulator runs on the manual clock; a test moves it while the client reads.

use std::time::Duration;

use secrecy::SecretString;
use tokio::sync::mpsc;
use url::Url;

use flightdeck::backend::Backend;
use flightdeck::backend::harness::{HarnessBackend, HarnessOptions};
use flightdeck::domain::{ExecRef, LogLine, StartRequest};
use flightdeck_sim::{ClockMode, Fault, Faults, Rule, SimHandle, SimOptions};

const BLOB: &str = "/log-service/blob";
const STREAM: &str = "/log-service/stream";

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
    .unwrap()
}

/// Starts a payments deploy; its first step (Checkout, a shell script) starts at once.
async fn start(backend: &HarnessBackend) -> ExecRef {
    let started = backend
        .start(&StartRequest {
            project: "payments".into(),
            pipeline_id: "payments_api_deploy".into(),
            values: vec![("image_tag".into(), "1.44.0".into())],
            notes: None,
        })
        .await
        .expect("started");
    ExecRef {
        project: "payments".into(),
        id: started.execution_id,
    }
}

/// Moves the clock in small steps until `step` of `exec` has `status`.
async fn until_step(
    sim: &SimHandle,
    backend: &HarnessBackend,
    exec: &ExecRef,
    step: &str,
    status: &str,
) {
    for _ in 0..2000 {
        let detail = backend.execution(exec).await.unwrap();
        let found = detail
            .stages
            .iter()
            .flat_map(|s| &s.steps)
            .any(|s| s.name == step && s.status.raw == status);
        if found {
            return;
        }
        sim.advance(Duration::from_millis(500));
    }
    panic!("{step} never became {status}");
}

/// Every line `logs` sends, once it returned.
async fn read(backend: &HarnessBackend, exec: &ExecRef, step: Option<&str>) -> Vec<LogLine> {
    let (tx, mut rx) = mpsc::unbounded_channel();
    backend.logs(exec, step, false, &tx).await.expect("logs");
    drop(tx);
    let mut lines = Vec::new();
    while let Some(l) = rx.recv().await {
        lines.push(l);
    }
    lines
}

/// No character of any line would act on a terminal.
fn assert_inert(lines: &[LogLine]) {
    for l in lines {
        for text in [&l.text, &l.source] {
            assert!(
                text.chars().all(flightdeck::sanitize::is_plain),
                "raw control in {text:?}"
            );
        }
    }
}

#[tokio::test]
async fn a_finished_steps_log_comes_from_its_blob_with_level_and_time_and_no_escapes() {
    let sim = sim().await;
    let backend = harness(&sim);
    let exec = start(&backend).await;
    until_step(&sim, &backend, &exec, "Build and push image", "Success").await;
    sim.advance(Duration::from_secs(10));
    let lines = read(&backend, &exec, Some("Build and push image")).await;
    assert!(lines.len() >= 5, "{lines:?}");
    assert!(lines.iter().all(|l| l.source == "Build and push image"));
    assert!(lines.iter().all(|l| l.time.is_some()));
    assert!(lines.windows(2).all(|w| w[0].time <= w[1].time));
    let warn = lines
        .iter()
        .find(|l| l.level.as_deref() == Some("WARN"))
        .expect("the build warns");
    // The writer's colour is gone; the level says what it meant.
    assert_eq!(warn.text, "warning: 2 dependencies use a deprecated API");
    assert!(
        lines
            .iter()
            .any(|l| l.text.contains("Compiling payments_api_deploy"))
    );
    assert_inert(&lines);
    assert_eq!(sim.stats().requests_to("GET", STREAM), 0);

    // Without a step: every step that ran, in order, each unit of a multi-unit step named.
    let all = read(&backend, &exec, None).await;
    let mut sources: Vec<&str> = Vec::new();
    for l in &all {
        if sources.last() != Some(&l.source.as_str()) {
            sources.push(&l.source);
        }
    }
    assert_eq!(
        sources[..3],
        ["Checkout", "Unit tests", "Build and push image"],
        "{sources:?}"
    );
    // A step nobody ran is not found.
    let (tx, _rx) = mpsc::unbounded_channel();
    let missing = backend.logs(&exec, Some("No such step"), false, &tx).await;
    assert!(
        matches!(missing, Err(flightdeck::domain::BackendError::NotFound(_))),
        "{missing:?}"
    );
}

#[tokio::test]
async fn a_running_step_is_followed_through_its_stream_to_the_end_marker() {
    let sim = sim().await;
    let backend = std::sync::Arc::new(harness(&sim));
    let exec = start(&backend).await;
    sim.advance(Duration::from_secs(1));
    let (tx, mut rx) = mpsc::unbounded_channel();
    let follow = {
        let backend = backend.clone();
        let exec = exec.clone();
        tokio::spawn(async move { backend.logs(&exec, Some("Checkout"), true, &tx).await })
    };
    let mut got: Vec<LogLine> = Vec::new();
    let mut ticks = 0;
    while !follow.is_finished() {
        tokio::time::sleep(Duration::from_millis(300)).await;
        while let Ok(l) = rx.try_recv() {
            got.push(l);
        }
        sim.advance(Duration::from_millis(700));
        ticks += 1;
        assert!(ticks < 100, "the follow never ended");
    }
    follow.await.unwrap().expect("the follow ends cleanly");
    while let Ok(l) = rx.try_recv() {
        got.push(l);
    }
    assert!(sim.stats().requests_to("GET", STREAM) >= 1);
    // Every line once, in order: the same as the blob read afterwards.
    sim.advance(Duration::from_secs(10));
    let blob = read(&backend, &exec, Some("Checkout")).await;
    let texts = |ls: &[LogLine]| ls.iter().map(|l| l.text.clone()).collect::<Vec<_>>();
    assert_eq!(texts(&got), texts(&blob));
    assert!(got.len() >= 5, "{got:?}");
    assert_eq!(
        got.last().unwrap().text,
        "Command completed with exit code 0"
    );
    assert_inert(&got);
}

#[tokio::test]
async fn an_empty_blob_right_after_the_step_ended_is_asked_for_again() {
    let sim = sim().await;
    let backend = std::sync::Arc::new(harness(&sim));
    let exec = start(&backend).await;
    until_step(&sim, &backend, &exec, "Checkout", "Success").await;
    // The blob is written 3 s after the step ended: not yet.
    let before = sim.stats().requests_to("GET", BLOB);
    let task = {
        let backend = backend.clone();
        let exec = exec.clone();
        tokio::spawn(async move { read(&backend, &exec, Some("Checkout")).await })
    };
    // The first answer is empty; while the client waits to ask again, the blob is written.
    tokio::time::sleep(Duration::from_millis(700)).await;
    sim.advance(Duration::from_secs(5));
    let lines = tokio::time::timeout(Duration::from_secs(20), task)
        .await
        .expect("bounded")
        .unwrap();
    assert!(lines.len() >= 5, "{lines:?}");
    assert_eq!(sim.stats().requests_to("GET", BLOB) - before, 2);
}

#[tokio::test]
async fn asking_again_for_an_empty_blob_is_bounded() {
    let sim = sim().await;
    let backend = harness(&sim);
    let exec = start(&backend).await;
    until_step(&sim, &backend, &exec, "Checkout", "Success").await;
    // Still empty for every ask: three more asks, two seconds apart, then it gives up
    // with what there is (nothing).
    let before = sim.stats().requests_to("GET", BLOB);
    let started = std::time::Instant::now();
    let lines = read(&backend, &exec, Some("Checkout")).await;
    assert!(lines.is_empty());
    assert_eq!(sim.stats().requests_to("GET", BLOB) - before, 4);
    assert!(started.elapsed() >= Duration::from_secs(6));
    assert!(started.elapsed() < Duration::from_secs(12));
}

#[tokio::test]
async fn hostile_bytes_in_a_line_never_come_out_raw() {
    let sim = sim().await;
    let backend = harness(&sim);
    let exec = start(&backend).await;
    until_step(&sim, &backend, &exec, "Unit tests", "Success").await;
    sim.advance(Duration::from_secs(10));
    sim.set_faults(Faults::new([Rule::new(Fault::Poison).paths("log-service")]));
    let lines = read(&backend, &exec, Some("Unit tests")).await;
    assert!(lines.len() >= 5);
    assert_inert(&lines);
    // The poison's visible part stays, its clipboard write and cursor moves do not.
    assert!(
        lines.iter().all(|l| l.text.contains("gnp.exe")),
        "{lines:?}"
    );
    assert!(lines.iter().all(|l| !l.text.contains("52;c;")), "{lines:?}");
}

fn infraxys(sim: &SimHandle) -> flightdeck::backend::infraxys::InfraxysBackend {
    let catalogue = crate::common::infraxys::configured_catalogue(sim);
    flightdeck::backend::infraxys::InfraxysBackend::new(
        flightdeck::backend::infraxys::InfraxysOptions {
            name: "ix".into(),
            base_url: sim.infraxys_url().parse().unwrap(),
            branch: catalogue.branch,
            token: Some(sim.infraxys_token().into()),
            timeout: Duration::from_secs(5),
            ca_file: None,
            insecure_skip_verify: false,
            workflows: catalogue.workflows,
            actions: catalogue.actions,
            aliases: catalogue.aliases,
        },
    )
    .unwrap()
}

async fn collect(
    backend: &dyn Backend,
    exec: &ExecRef,
    step: Option<&str>,
    follow: bool,
) -> flightdeck::backend::Result<Vec<LogLine>> {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let result = backend.logs(exec, step, follow, &tx).await;
    drop(tx);
    let mut lines = Vec::new();
    while let Some(l) = rx.recv().await {
        lines.push(l);
    }
    result.map(|()| lines)
}

#[tokio::test]
async fn an_infraxys_synchronous_answer_is_the_runs_log() {
    let sim = sim().await;
    sim.set_infraxys_latency(Duration::from_millis(5));
    let ix = infraxys(&sim);
    let started = ix
        .start(&StartRequest {
            project: flightdeck::backend::infraxys::ALIASES.into(),
            pipeline_id: "Flush CDN cache".into(),
            values: vec![("path".into(), "/img/*".into())],
            notes: None,
        })
        .await
        .unwrap();
    let exec = ExecRef {
        project: flightdeck::backend::infraxys::ALIASES.into(),
        id: started.execution_id,
    };
    // Ended already: following it gives the same lines and returns.
    for follow in [false, true] {
        let lines = collect(&ix, &exec, None, follow).await.unwrap();
        let texts: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts[0], "status: Purged /img/* on 3 edge locations");
        assert_eq!(texts[1], "purge requested for /img/*");
        assert_eq!(*texts.last().unwrap(), "iad: done");
        assert!(lines.iter().all(|l| l.source == "Flush CDN cache"));
        assert_inert(&lines);
    }
    let named = collect(&ix, &exec, Some("Flush CDN cache"), false).await;
    assert!(named.is_ok());
    let other = collect(&ix, &exec, Some("deploy"), false).await;
    assert!(
        matches!(other, Err(flightdeck::domain::BackendError::NotFound(_))),
        "{other:?}"
    );
    let unknown = ExecRef {
        project: exec.project.clone(),
        id: "run-20260101T000000-00000000".into(),
    };
    let unknown = collect(&ix, &unknown, None, false).await;
    assert!(
        matches!(&unknown, Err(flightdeck::domain::BackendError::NotFound(m)) if m.contains("not started by this flightdeck process")),
        "{unknown:?}"
    );
}

#[tokio::test]
async fn an_infraxys_asynchronous_run_is_followed_through_its_progress_stream() {
    let sim = sim().await;
    sim.set_infraxys_latency(Duration::from_millis(5));
    let ix = infraxys(&sim);
    let started = ix
        .start(&StartRequest {
            project: flightdeck::backend::infraxys::WORKFLOWS.into(),
            pipeline_id: "Rotate DB credentials".into(),
            values: vec![("database".into(), "billing".into())],
            notes: None,
        })
        .await
        .unwrap();
    let exec = ExecRef {
        project: flightdeck::backend::infraxys::WORKFLOWS.into(),
        id: started.execution_id,
    };
    let lines = tokio::time::timeout(Duration::from_secs(10), collect(&ix, &exec, None, true))
        .await
        .expect("the follow ends with the run")
        .unwrap();
    let texts: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
    assert!(
        texts[0].starts_with("status: submitted as run "),
        "{texts:?}"
    );
    assert_eq!(
        texts.iter().filter(|t| t.ends_with(" started")).count(),
        2,
        "{texts:?}"
    );
    assert_eq!(
        texts.iter().filter(|t| t.ends_with(" done")).count(),
        2,
        "{texts:?}"
    );
    assert!(
        texts.contains(&"status: Credentials of billing rotated"),
        "{texts:?}"
    );
    assert!(texts.iter().all(|t| !t.contains("CLIENT-FEEDBACK")));
    assert_inert(&lines);
    let detail = ix.execution(&exec).await.unwrap();
    assert!(detail.execution.ended.is_some());
}

#[tokio::test]
async fn running_sections_of_parallel_stages_are_streamed_side_by_side() {
    let sim = sim().await;
    let backend = std::sync::Arc::new(harness(&sim));
    let started = backend
        .start(&StartRequest {
            project: "payments".into(),
            pipeline_id: "payments_release_train".into(),
            values: vec![("release".into(), "2026.11".into())],
            notes: None,
        })
        .await
        .expect("started");
    let exec = ExecRef {
        project: "payments".into(),
        id: started.execution_id,
    };
    sim.advance(Duration::from_secs(1));
    // Both regions' gates wait at once; each gate's stream lasts until it is decided.
    let (tx, mut rx) = mpsc::unbounded_channel();
    let follow = {
        let backend = backend.clone();
        let exec = exec.clone();
        tokio::spawn(async move { backend.logs(&exec, None, true, &tx).await })
    };
    let mut sources = std::collections::BTreeSet::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while sources.len() < 2 {
        let line = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .expect("both gates' lines arrive while neither is decided")
            .expect("still following");
        assert!(
            line.text.starts_with("Approval message: ") || line.text.starts_with("Waiting for ")
        );
        sources.insert(line.source);
    }
    assert_eq!(
        sources.into_iter().collect::<Vec<_>>(),
        ["EU sign-off", "US sign-off"]
    );
    assert!(sim.stats().requests_to("GET", STREAM) >= 2);
    assert!(!follow.is_finished(), "still following the waiting gates");
    // Nobody reading any more ends the follow at its next look at the graph.
    drop(rx);
    tokio::time::timeout(Duration::from_secs(5), follow)
        .await
        .expect("the follow stops")
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn a_step_with_command_units_gives_one_source_per_unit() {
    let sim = sim().await;
    let backend = harness(&sim);
    let exec = start(&backend).await;
    until_step(&sim, &backend, &exec, "Rolling deployment", "Success").await;
    sim.advance(Duration::from_secs(10));
    let lines = read(&backend, &exec, Some("Rolling deployment")).await;
    let mut sources: Vec<&str> = Vec::new();
    for l in &lines {
        if sources.last() != Some(&l.source.as_str()) {
            sources.push(&l.source);
        }
    }
    assert_eq!(
        sources,
        [
            "Rolling deployment · Initialize",
            "Rolling deployment · Prepare",
            "Rolling deployment · Apply",
            "Rolling deployment · Wait for Steady State",
        ]
    );
    // The release name the deploy step prints in colour comes without its escapes.
    assert!(
        lines
            .iter()
            .any(|l| l.text.starts_with("Release Name: [payments_api_deploy-")),
        "{lines:?}"
    );
    assert_inert(&lines);
}

#[tokio::test]
async fn following_a_whole_execution_ends_when_it_ends() {
    let sim = sim().await;
    let backend = std::sync::Arc::new(harness(&sim));
    let exec = start(&backend).await;
    sim.advance(Duration::from_secs(1));
    let (tx, mut rx) = mpsc::unbounded_channel();
    let follow = {
        let backend = backend.clone();
        let exec = exec.clone();
        tokio::spawn(async move { backend.logs(&exec, None, true, &tx).await })
    };
    // Let it see the first step, then stop the run.
    tokio::time::sleep(Duration::from_millis(500)).await;
    sim.advance(Duration::from_secs(3));
    backend
        .control(
            &exec,
            &flightdeck::backend::Control::Abort {
                stage: None,
                terminate: false,
            },
        )
        .await
        .expect("aborted");
    let mut ticks = 0;
    while !follow.is_finished() {
        tokio::time::sleep(Duration::from_millis(300)).await;
        sim.advance(Duration::from_secs(1));
        ticks += 1;
        assert!(ticks < 60, "the follow outlived the execution");
    }
    follow.await.unwrap().expect("ends cleanly");
    let mut got = Vec::new();
    while let Ok(l) = rx.try_recv() {
        got.push(l);
    }
    assert!(got.iter().any(|l| l.source == "Checkout"), "{got:?}");
    let detail = backend.execution(&exec).await.unwrap();
    assert!(detail.execution.status.status.is_terminal());
}
