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
use flightdeck::service::{Command, Feed, Intervals, Limits, Payload, Reply, Resource, Service};
use tokio::sync::mpsc;

#[derive(Default)]
struct Counts {
    executions: AtomicUsize,
    running: AtomicUsize,
    max_running: AtomicUsize,
    decisions: AtomicUsize,
    controls: AtomicUsize,
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
    async fn control(
        &self,
        exec: &ExecRef,
        _: &flightdeck::backend::Control,
    ) -> Result<flightdeck::backend::ControlOutcome> {
        self.counts.controls.fetch_add(1, Ordering::SeqCst);
        self.work().await;
        Ok(flightdeck::backend::ControlOutcome {
            execution_id: exec.id.clone(),
            new_run: false,
            status: None,
            pending: None,
        })
    }
}

fn limits(concurrency: usize, timeout: Duration) -> Limits {
    Limits {
        concurrency,
        operation_timeout: timeout,
        min_interval: Duration::ZERO,
    }
}

/// The service over one backend, with the defaults most tests want: concurrency 4, 30 s
/// operations, the default intervals.
fn serve(backend: Arc<dyn Backend>) -> (Service, mpsc::UnboundedReceiver<Reply>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let service = Service::spawn(
        vec![(backend, limits(4, Duration::from_secs(30)))],
        Intervals::default(),
        tx,
    );
    (service, rx)
}

/// The next reply of a read or a write; who-am-I answers (one per backend, as its task
/// starts) are skipped.
async fn next(rx: &mut mpsc::UnboundedReceiver<Reply>) -> Reply {
    loop {
        let reply = tokio::time::timeout(Duration::from_secs(600), rx.recv())
            .await
            .expect("a reply")
            .expect("open");
        if !matches!(reply.payload, Payload::Identity(_)) {
            return reply;
        }
    }
}

#[tokio::test(start_paused = true)]
async fn refreshes_of_a_read_in_flight_are_coalesced() {
    let (backend, counts) = Counting::spawn("a", Duration::from_secs(2));
    let (service, mut rx) = serve(backend);
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
            Command::Select {
                exec: Some(ExecRef {
                    project: "p".into(),
                    id: format!("e{i}"),
                }),
                open: false,
            },
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

fn approval(id: &str) -> Approval {
    Approval {
        backend: "a".into(),
        project: "p".into(),
        id: id.into(),
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
        callback_id: None,
        url: None,
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
    let approval = approval("g");
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

/// A backend whose watch pushes one list, then breaks when told to; or, without `lists`,
/// fails before its first list.
struct Watching {
    inner: Counting,
    breaks: Arc<tokio::sync::Notify>,
    watches: Arc<AtomicUsize>,
    lists: bool,
}

#[async_trait]
impl Backend for Watching {
    fn name(&self) -> &BackendName {
        self.inner.name()
    }
    fn kind(&self) -> BackendKind {
        BackendKind::Argo
    }
    async fn list_pipelines(&self) -> Result<Vec<Pipeline>> {
        self.inner.list_pipelines().await
    }
    async fn start_form(&self, p: &str, id: &str) -> Result<StartForm> {
        self.inner.start_form(p, id).await
    }
    async fn start(&self, r: &StartRequest) -> Result<StartResult> {
        self.inner.start(r).await
    }
    async fn list_executions(&self) -> Result<Vec<Execution>> {
        self.inner.list_executions().await
    }
    async fn execution(&self, e: &ExecRef) -> Result<ExecutionDetail> {
        self.inner.execution(e).await
    }
    async fn waiting_approvals(&self) -> Result<Vec<Approval>> {
        self.inner.waiting_approvals().await
    }
    async fn decide(&self, a: &Approval, d: &Decision) -> Result<DecisionOutcome> {
        self.inner.decide(a, d).await
    }
    fn can_watch(&self) -> bool {
        true
    }
    async fn watch_executions(&self, lists: &mpsc::UnboundedSender<Vec<Execution>>) -> Result<()> {
        self.watches.fetch_add(1, Ordering::SeqCst);
        if !self.lists {
            return Err(BackendError::Network("refused".into()));
        }
        let _ = lists.send(vec![]);
        self.breaks.notified().await;
        Err(BackendError::Network("stream broke".into()))
    }
}

#[tokio::test(start_paused = true)]
async fn a_live_watch_replaces_polling_and_polling_resumes_when_it_breaks() {
    let (inner, counts) = {
        let counts = Arc::new(Counts::default());
        let inner = Counting {
            name: "w".into(),
            delay: Duration::from_millis(10),
            counts: counts.clone(),
        };
        (inner, counts)
    };
    let breaks = Arc::new(tokio::sync::Notify::new());
    let watches = Arc::new(AtomicUsize::new(0));
    let backend = Watching {
        inner,
        breaks: breaks.clone(),
        watches: watches.clone(),
        lists: true,
    };
    let (_service, mut rx) = serve(Arc::new(backend));
    let feed = |reply: &Reply| match &reply.payload {
        Payload::Feed(f) => Some(f.clone()),
        _ => None,
    };
    loop {
        if feed(&next(&mut rx).await) == Some(Feed::Watching) {
            break;
        }
    }
    // The watch's own list was the first read, and an hour of a live watch polls nothing.
    let polled = counts.executions.load(Ordering::SeqCst);
    assert_eq!(
        polled, 0,
        "the executions were polled beside the watch's list"
    );
    tokio::time::sleep(Duration::from_secs(3600)).await;
    while rx.try_recv().is_ok() {}
    assert_eq!(counts.executions.load(Ordering::SeqCst), polled);

    breaks.notify_one();
    loop {
        if let Some(Feed::Polling { reason }) = feed(&next(&mut rx).await) {
            assert!(reason.contains("stream broke"), "{reason}");
            break;
        }
    }
    // Polling resumes at once, and the watch is restarted after a pause.
    loop {
        if matches!(next(&mut rx).await.payload, Payload::Executions(_))
            && counts.executions.load(Ordering::SeqCst) > polled
        {
            break;
        }
    }
    loop {
        if feed(&next(&mut rx).await) == Some(Feed::Watching) {
            break;
        }
    }
    assert_eq!(watches.load(Ordering::SeqCst), 2);
}

#[tokio::test(start_paused = true)]
async fn a_watch_that_fails_before_its_first_list_has_the_executions_polled() {
    let counts = Arc::new(Counts::default());
    let backend = Watching {
        inner: Counting {
            name: "w".into(),
            delay: Duration::from_millis(10),
            counts: counts.clone(),
        },
        breaks: Arc::new(tokio::sync::Notify::new()),
        watches: Arc::new(AtomicUsize::new(0)),
        lists: false,
    };
    let (_service, mut rx) = serve(Arc::new(backend));
    loop {
        if matches!(next(&mut rx).await.payload, Payload::Executions(Ok(_))) {
            break;
        }
    }
    // Without the fallback nothing would ever schedule this first poll.
    assert_eq!(counts.executions.load(Ordering::SeqCst), 1);
}

/// A backend whose one execution keeps waiting for a person: counts every read.
#[derive(Default)]
struct Steady {
    reads: std::sync::Mutex<std::collections::HashMap<&'static str, usize>>,
}

impl Steady {
    async fn read(&self, what: &'static str) {
        *self.reads.lock().unwrap().entry(what).or_default() += 1;
        // Every read takes a little time: the schedule counts periods from completions.
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    fn count(&self, what: &str) -> usize {
        self.reads.lock().unwrap().get(what).copied().unwrap_or(0)
    }

    fn waiting() -> Execution {
        Execution {
            backend: "steady".into(),
            project: "p".into(),
            id: "run".into(),
            pipeline_id: "deploy".into(),
            pipeline_name: "deploy".into(),
            status: Status::new(ExecStatus::Waiting, "ApprovalWaiting"),
            started: None,
            ended: None,
            triggered_by: String::new(),
            run_number: None,
            stages_done: 0,
            stages_total: 1,
            message: None,
            url: None,
        }
    }
}

#[async_trait]
impl Backend for Steady {
    fn name(&self) -> &BackendName {
        static NAME: std::sync::OnceLock<BackendName> = std::sync::OnceLock::new();
        NAME.get_or_init(|| "steady".into())
    }
    fn kind(&self) -> BackendKind {
        BackendKind::Harness
    }
    async fn list_pipelines(&self) -> Result<Vec<Pipeline>> {
        self.read("pipelines").await;
        Ok(vec![])
    }
    async fn start_form(&self, _: &str, _: &str) -> Result<StartForm> {
        Ok(StartForm::default())
    }
    async fn start(&self, _: &StartRequest) -> Result<StartResult> {
        Err(BackendError::Unsupported("start".into()))
    }
    async fn list_executions(&self) -> Result<Vec<Execution>> {
        self.read("executions").await;
        Ok(vec![Self::waiting()])
    }
    async fn execution(&self, _: &ExecRef) -> Result<ExecutionDetail> {
        self.read("selected").await;
        Ok(ExecutionDetail {
            execution: Self::waiting(),
            stages: vec![],
            approvals: vec![],
            rejection: None,
        })
    }
    async fn waiting_approvals(&self) -> Result<Vec<Approval>> {
        self.read("approvals").await;
        Ok(vec![])
    }
    async fn decide(&self, _: &Approval, _: &Decision) -> Result<DecisionOutcome> {
        Err(BackendError::Unsupported("decide".into()))
    }
}

/// The first executions list shows a waiting execution the service had not seen: the
/// gates, read at startup anyway, are not read again for it.
#[tokio::test(start_paused = true)]
async fn the_gates_are_read_once_at_startup() {
    let backend = Arc::new(Steady::default());
    let (tx, mut rx) = mpsc::unbounded_channel();
    let _service = Service::spawn(
        vec![(backend.clone(), limits(8, Duration::from_secs(30)))],
        Intervals::default(),
        tx,
    );
    let drain = tokio::spawn(async move { while rx.recv().await.is_some() {} });
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(backend.count("executions"), 2, "every 3 s: it waits");
    assert_eq!(backend.count("approvals"), 1);
    drain.abort();
}

/// The polling formula the README states, per backend, with L = lists, R = running and
/// S = selected intervals and d the time a read takes (periods count from completions):
/// executions every R + d while any is active, gates every L + d, pipelines every 6L + d,
/// the execution on screen every S + d while active; each also once at the start.
#[tokio::test(start_paused = true)]
async fn reads_follow_the_polling_formula() {
    let backend = Arc::new(Steady::default());
    let (tx, mut rx) = mpsc::unbounded_channel();
    let intervals = Intervals::default();
    let service = Service::spawn(
        vec![(backend.clone(), limits(8, Duration::from_secs(30)))],
        intervals,
        tx,
    );
    service.send(
        "steady",
        // Its detail open: polled while it runs.
        Command::Select {
            exec: Some(ExecRef {
                project: "p".into(),
                id: "run".into(),
            }),
            open: true,
        },
    );
    let drain = tokio::spawn(async move { while rx.recv().await.is_some() {} });
    let span = Duration::from_secs(600);
    tokio::time::sleep(span).await;
    let d = Duration::from_millis(100);
    let expected =
        |period: Duration| 1 + (span.as_secs_f64() / (period + d).as_secs_f64()) as usize;
    for (what, period) in [
        ("executions", intervals.running),
        ("approvals", intervals.lists),
        ("pipelines", intervals.lists * 6),
        ("selected", intervals.selected),
    ] {
        let want = expected(period);
        let got = backend.count(what);
        // The first poll of the executions list finds the execution active only after it
        // completes, so one slow period may start the run.
        assert!(
            got.abs_diff(want) <= 1,
            "{what}: {got} reads in 10 min, formula says {want}"
        );
    }
    drain.abort();
}

/// Gates are read in `gate_read` time; decisions fail after 10 ms with an unknown outcome.
struct SlowGates {
    name: BackendName,
    gate_reads: Arc<AtomicUsize>,
    gate_read: Duration,
}

#[async_trait]
impl Backend for SlowGates {
    fn name(&self) -> &BackendName {
        &self.name
    }
    fn kind(&self) -> BackendKind {
        BackendKind::Harness
    }
    async fn list_pipelines(&self) -> Result<Vec<Pipeline>> {
        Ok(vec![])
    }
    async fn start_form(&self, _: &str, _: &str) -> Result<StartForm> {
        Ok(StartForm::default())
    }
    async fn start(&self, _: &StartRequest) -> Result<StartResult> {
        Err(BackendError::Unsupported("start".into()))
    }
    async fn list_executions(&self) -> Result<Vec<Execution>> {
        Ok(vec![])
    }
    async fn execution(&self, exec: &ExecRef) -> Result<ExecutionDetail> {
        Err(BackendError::NotFound(exec.id.clone()))
    }
    async fn waiting_approvals(&self) -> Result<Vec<Approval>> {
        let n = self.gate_reads.fetch_add(1, Ordering::SeqCst) + 1;
        tokio::time::sleep(self.gate_read).await;
        // The gate's id says which read this was.
        Ok(vec![approval(&format!("read{n}"))])
    }
    async fn decide(&self, _: &Approval, _: &Decision) -> Result<DecisionOutcome> {
        tokio::time::sleep(Duration::from_millis(10)).await;
        Err(BackendError::Network("connection reset".into()))
    }
}

impl SlowGates {
    /// A service over gates read in `gate_read`, with the counter of its gate reads.
    fn serve(gate_read: Duration) -> (Service, mpsc::UnboundedReceiver<Reply>, Arc<AtomicUsize>) {
        let gate_reads = Arc::new(AtomicUsize::new(0));
        let backend = SlowGates {
            name: "a".into(),
            gate_reads: gate_reads.clone(),
            gate_read,
        };
        let (service, rx) = serve(Arc::new(backend));
        (service, rx, gate_reads)
    }
}

fn approve(service: &Service, gate: &str) {
    service.send(
        "a",
        Command::Decide {
            epoch: 1,
            approval: Box::new(approval(gate)),
            decision: Decision {
                action: DecisionAction::Approve,
                comment: String::new(),
                inputs: vec![],
            },
        },
    );
}

#[tokio::test(start_paused = true)]
async fn a_gates_read_in_flight_when_a_decision_ends_is_read_again_not_delivered() {
    let (service, mut rx, gate_reads) = SlowGates::serve(Duration::from_secs(2));
    // The first read of the gates is in flight; a decision fails meanwhile.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(gate_reads.load(Ordering::SeqCst), 1);
    approve(&service, "g");
    let mut order = Vec::new();
    while order.len() < 2 {
        match next(&mut rx).await.payload {
            Payload::Approvals(Ok(gates)) => order.push(gates[0].id.clone()),
            Payload::Decided { .. } => order.push("decided".to_string()),
            _ => {}
        }
    }
    // The decision is answered at once; the read that may predate it is dropped, and the
    // one that settles it was sent after the decision had ended.
    assert_eq!(order, ["decided", "read2"]);
    assert_eq!(gate_reads.load(Ordering::SeqCst), 2);
}

#[tokio::test(start_paused = true)]
async fn a_batch_of_decisions_reads_the_gates_once_after_its_last_answer() {
    let (service, mut rx, gate_reads) = SlowGates::serve(Duration::from_millis(5));
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(gate_reads.load(Ordering::SeqCst), 1, "the first read");
    const BATCH: usize = 20;
    for i in 0..BATCH {
        approve(&service, &format!("g{i}"));
    }
    let mut decided = 0;
    let settling = loop {
        match next(&mut rx).await.payload {
            Payload::Decided { .. } => decided += 1,
            Payload::Approvals(Ok(gates)) if decided > 0 => break gates[0].id.clone(),
            _ => {}
        }
    };
    assert_eq!(decided, BATCH, "every answer came before the settling read");
    assert_eq!(settling, "read2");
    // No read per decision came after it either (the next is the periodic one).
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(gate_reads.load(Ordering::SeqCst), 2);
}

/// A control action whose answer is lost is never sent again, and the run is read right
/// after it, so the reply says what the run reads now (or why it could not be read).
#[tokio::test(start_paused = true)]
async fn a_control_action_is_sent_once_and_a_lost_answer_reads_the_run() {
    let (backend, counts) = Counting::spawn("a", Duration::from_secs(60));
    let (tx, mut rx) = mpsc::unbounded_channel();
    let service = Service::spawn(
        vec![(backend, limits(4, Duration::from_secs(5)))],
        Intervals::default(),
        tx,
    );
    service.send(
        "a",
        Command::Control {
            epoch: 9,
            exec: ExecRef {
                project: "p".into(),
                id: "run-1".into(),
            },
            action: flightdeck::backend::Control::Rerun,
        },
    );
    loop {
        let reply = next(&mut rx).await;
        if let Payload::Controlled { result, after, .. } = reply.payload {
            assert_eq!(reply.epoch, 9);
            assert!(matches!(result, Err(BackendError::Timeout(_))));
            // The read after it timed out too: why is said, not a status.
            assert!(matches!(after, Some(Err(_))), "{after:?}");
            break;
        }
    }
    tokio::time::sleep(Duration::from_secs(120)).await;
    assert_eq!(counts.controls.load(Ordering::SeqCst), 1, "never retried");
}
