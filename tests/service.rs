//! The backend service's own guarantees — de-duplication, concurrency limits, timeouts,
//! isolation between backends, writes sent once — checked with a counting backend on tokio's
//! paused clock. No wire format is involved here; the HTTP clients are tested against the
//! simulator elsewhere.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use flightdeck::backend::{Backend, Result};
use flightdeck::domain::*;
use flightdeck::service::{Command, Intervals, Limits, Payload, Reply, Resource, Service};
use tokio::sync::mpsc;

#[derive(Default)]
struct Counts {
    executions: AtomicUsize,
    running: AtomicUsize,
    max_running: AtomicUsize,
    decisions: AtomicUsize,
}

/// Answers every read after `delay`, counting calls and how many ran at once.
struct Counting {
    name: BackendName,
    delay: Duration,
    counts: Arc<Counts>,
}

impl Counting {
    fn spawn(name: &str, delay: Duration) -> (Arc<dyn Backend>, Arc<Counts>) {
        let counts = Arc::new(Counts::default());
        let backend = Counting {
            name: name.into(),
            delay,
            counts: counts.clone(),
        };
        (Arc::new(backend), counts)
    }

    async fn work(&self) {
        let now = self.counts.running.fetch_add(1, Ordering::SeqCst) + 1;
        self.counts.max_running.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(self.delay).await;
        self.counts.running.fetch_sub(1, Ordering::SeqCst);
    }
}

#[async_trait]
impl Backend for Counting {
    fn name(&self) -> &BackendName {
        &self.name
    }
    fn kind(&self) -> BackendKind {
        BackendKind::Harness
    }
    async fn list_pipelines(&self) -> Result<Vec<Pipeline>> {
        self.work().await;
        Ok(vec![])
    }
    async fn start_form(&self, _: &str, _: &str) -> Result<StartForm> {
        Ok(StartForm::default())
    }
    async fn start(&self, _: &StartRequest) -> Result<StartResult> {
        Err(BackendError::Unsupported("start".into()))
    }
    async fn list_executions(&self) -> Result<Vec<Execution>> {
        self.counts.executions.fetch_add(1, Ordering::SeqCst);
        self.work().await;
        Ok(vec![])
    }
    async fn execution(&self, exec: &ExecRef) -> Result<ExecutionDetail> {
        self.work().await;
        Err(BackendError::NotFound(exec.id.clone()))
    }
    async fn waiting_approvals(&self) -> Result<Vec<Approval>> {
        self.work().await;
        Ok(vec![])
    }
    async fn decide(&self, _: &Approval, _: &Decision) -> Result<DecisionOutcome> {
        self.counts.decisions.fetch_add(1, Ordering::SeqCst);
        self.work().await;
        Ok(DecisionOutcome::Approved)
    }
}

fn limits(concurrency: usize, timeout: Duration) -> Limits {
    Limits {
        concurrency,
        operation_timeout: timeout,
        min_interval: Duration::ZERO,
    }
}

async fn next(rx: &mut mpsc::UnboundedReceiver<Reply>) -> Reply {
    tokio::time::timeout(Duration::from_secs(600), rx.recv())
        .await
        .expect("a reply")
        .expect("open")
}

#[tokio::test(start_paused = true)]
async fn refreshes_of_a_read_in_flight_are_coalesced() {
    let (backend, counts) = Counting::spawn("a", Duration::from_secs(2));
    let (tx, mut rx) = mpsc::unbounded_channel();
    let service = Service::spawn(
        vec![(backend, limits(4, Duration::from_secs(30)))],
        Intervals::default(),
        tx,
    );
    // The first poll is in flight now; ten more refreshes arrive meanwhile.
    tokio::time::sleep(Duration::from_millis(100)).await;
    for _ in 0..10 {
        service.send("a", Command::Refresh(Resource::Executions));
    }
    let mut executions = 0;
    while executions < 2 {
        if let Payload::Executions(_) = next(&mut rx).await.payload {
            executions += 1;
        }
    }
    // One initial read plus exactly one follow-up for all ten refreshes.
    assert_eq!(counts.executions.load(Ordering::SeqCst), 2);
}

#[tokio::test(start_paused = true)]
async fn concurrency_is_bounded_per_backend() {
    let (backend, counts) = Counting::spawn("a", Duration::from_secs(1));
    let (tx, mut rx) = mpsc::unbounded_channel();
    let service = Service::spawn(
        vec![(backend, limits(2, Duration::from_secs(30)))],
        Intervals::default(),
        tx,
    );
    for i in 0..6 {
        service.send(
            "a",
            Command::Select(Some(ExecRef {
                project: "p".into(),
                id: format!("e{i}"),
            })),
        );
    }
    for _ in 0..4 {
        next(&mut rx).await;
    }
    assert_eq!(counts.max_running.load(Ordering::SeqCst), 2);
}

#[tokio::test(start_paused = true)]
async fn a_slow_backend_times_out_without_delaying_another() {
    let (slow, _) = Counting::spawn("slow", Duration::from_secs(3600));
    let (fast, _) = Counting::spawn("fast", Duration::from_millis(10));
    let (tx, mut rx) = mpsc::unbounded_channel();
    let _service = Service::spawn(
        vec![
            (slow, limits(4, Duration::from_secs(5))),
            (fast, limits(4, Duration::from_secs(5))),
        ],
        Intervals::default(),
        tx,
    );
    let first = next(&mut rx).await;
    assert_eq!(&*first.backend, "fast", "the fast backend answers first");
    loop {
        let reply = next(&mut rx).await;
        if &*reply.backend == "slow" {
            assert!(
                matches!(
                    reply.payload,
                    Payload::Pipelines(Err(BackendError::Timeout(_)))
                        | Payload::Executions(Err(BackendError::Timeout(_)))
                        | Payload::Approvals(Err(BackendError::Timeout(_)))
                ),
                "slow reads end in a timeout: {:?}",
                reply.payload
            );
            break;
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_decision_is_sent_once_even_when_it_times_out() {
    let (backend, counts) = Counting::spawn("a", Duration::from_secs(60));
    let (tx, mut rx) = mpsc::unbounded_channel();
    let service = Service::spawn(
        vec![(backend, limits(4, Duration::from_secs(5)))],
        Intervals::default(),
        tx,
    );
    let approval = Approval {
        backend: "a".into(),
        project: "p".into(),
        id: "g".into(),
        execution_id: "e".into(),
        pipeline_id: "x".into(),
        pipeline_name: "x".into(),
        stage: "s".into(),
        step: "t".into(),
        message: String::new(),
        approvers: vec![],
        min_count: 1,
        inputs: vec![],
        created: None,
        deadline: None,
        triggered_by: String::new(),
        environment: None,
    };
    let decision = Decision {
        action: DecisionAction::Approve,
        comment: String::new(),
        inputs: vec![],
    };
    service.send(
        "a",
        Command::Decide {
            epoch: 7,
            approval: Box::new(approval),
            decision,
        },
    );
    loop {
        let reply = next(&mut rx).await;
        if let Payload::Decided { result, .. } = reply.payload {
            assert_eq!(reply.epoch, 7);
            assert!(matches!(result, Err(BackendError::Timeout(_))));
            break;
        }
    }
    tokio::time::sleep(Duration::from_secs(120)).await;
    assert_eq!(counts.decisions.load(Ordering::SeqCst), 1, "never retried");
}
