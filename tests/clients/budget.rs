//! Request budgets against the simulator, on tokio's paused clock (the simulator's manual
//! clock stands still, its rate limiters follow tokio's): ten simulated minutes of the
//! dashboard's service within its budget, a CLI-style caller held to the same budget, and
//! the back-off after 429s and the slow recovery once they stop.

use std::collections::BTreeMap;
use std::time::Duration;

use flightdeck::config::Config;
use flightdeck::launch::{self, Prepared};
use flightdeck::service::{Command, Intervals, Payload, Reply, Service};
use flightdeck_sim::client_config::{TokenSource, backends_toml};
use flightdeck_sim::{ClockMode, SimHandle, SimOptions};
use tokio::sync::mpsc;
use tokio::time::Instant;

async fn sim() -> (SimHandle, String) {
    let token = flightdeck_sim::new_token(7);
    let sim = SimHandle::start(SimOptions {
        seed: 7,
        clock: ClockMode::Manual,
        token: Some(token.clone()),
        ..SimOptions::default()
    })
    .await
    .expect("simulator");
    (sim, token)
}

/// The demo's backends of `kinds` against `sim`, each with `share` requests a minute (or
/// its kind's default), built the way the dashboard and every CLI command build them.
fn prepared(sim: &SimHandle, token: &str, kinds: &[&str], share: Option<usize>) -> Vec<Prepared> {
    let config = Config::from_toml_str(
        &backends_toml(&sim.endpoints(), TokenSource::Literal(token)),
        "the simulator's config",
    )
    .expect("config");
    config
        .backends
        .into_iter()
        .filter(|b| kinds.contains(&b.kind.as_str()))
        .map(|mut b| {
            b.max_requests_per_minute = share;
            launch::prepare(&b).expect("backend")
        })
        .collect()
}

/// Collects replies until `until`: how many of each kind, and every pace message.
async fn run_until(
    rx: &mut mpsc::UnboundedReceiver<Reply>,
    until: Instant,
    reads: &mut BTreeMap<(String, &'static str), usize>,
    paces: &mut Vec<(Duration, String, Option<String>)>,
    t0: Instant,
) {
    loop {
        let reply = tokio::select! {
            reply = rx.recv() => reply.expect("service runs"),
            _ = tokio::time::sleep_until(until) => return,
        };
        let kind = match reply.payload {
            Payload::Pipelines(Ok(_)) => "pipelines",
            Payload::Executions(Ok(_)) => "executions",
            Payload::Approvals(Ok(_)) => "gates",
            Payload::Execution(_, Ok(_)) => "detail",
            Payload::Identity(_) => "identity",
            Payload::Pace(why) => {
                paces.push((t0.elapsed(), reply.backend.to_string(), why));
                continue;
            }
            _ => "failed",
        };
        *reads.entry((reply.backend.to_string(), kind)).or_default() += 1;
    }
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn ten_simulated_minutes_of_the_dashboard_never_exceed_its_budget() {
    let (sim, token) = sim().await;
    // The simulator enforces exactly the dashboard's budgets, per key and per account: a
    // single request over either in any sliding minute would be answered 429.
    sim.set_harness_rate_limit(Some(100));
    sim.set_harness_fg_rate_limit(Some(6));
    let backends = prepared(&sim, &token, &["harness", "harness-fg"], None);
    let selected = sim.world().waiting_gate().expect("a gate");
    let (tx, mut rx) = mpsc::unbounded_channel();
    let service = Service::spawn(
        backends
            .into_iter()
            .map(|p| (p.backend, p.limits))
            .collect(),
        Intervals::default(),
        tx,
    );
    service.send(
        "harness",
        Command::Select {
            exec: Some(flightdeck::domain::ExecRef {
                project: selected.project.clone(),
                id: selected.execution.clone(),
            }),
            open: true,
        },
    );
    let t0 = Instant::now();
    let (mut reads, mut paces) = (BTreeMap::new(), Vec::new());
    run_until(
        &mut rx,
        t0 + Duration::from_secs(600),
        &mut reads,
        &mut paces,
        t0,
    )
    .await;
    let stats = sim.stats();
    assert_eq!(stats.rate_limited, 0, "{reads:?}");
    assert!(paces.is_empty(), "never held back: {paces:?}");
    assert_eq!(reads.get(&("harness".into(), "failed")), None, "{reads:?}");
    assert_eq!(
        reads.get(&("harness-fg".into(), "failed")),
        None,
        "{reads:?}"
    );
    // Each budget is spent, on every kind of read: none starves.
    let fg_calls = stats.requests_to("POST", "/gateway/api/graphql");
    // Polls may fill 4 of First Gen's 6 a minute (the rest is kept for starts and
    // decisions), so about 40 in ten minutes.
    assert!(
        (30..=60).contains(&fg_calls),
        "First Gen: most of what polls may spend is used: {fg_calls}"
    );
    assert!(
        stats.total_requests - fg_calls >= 500,
        "NextGen uses its budget: {}",
        stats.total_requests - fg_calls
    );
    for backend in ["harness", "harness-fg"] {
        for kind in ["pipelines", "executions", "gates"] {
            let n = reads.get(&(backend.into(), kind)).copied().unwrap_or(0);
            assert!(n >= 2, "{backend} {kind}: read {n} times in ten minutes");
        }
    }
    assert!(reads[&("harness".into(), "detail")] >= 60, "{reads:?}");
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn every_caller_of_a_backend_keeps_to_its_budget() {
    // What a CLI command does: build the backend from the config, call it.
    let (sim, token) = sim().await;
    let backends = prepared(&sim, &token, &["harness-fg"], Some(3));
    let fg = &backends[0].backend;
    let t0 = Instant::now();
    let mut at = Vec::new();
    for _ in 0..7 {
        fg.list_executions().await.expect("list");
        at.push(t0.elapsed().as_secs());
    }
    assert_eq!(at, [0, 0, 0, 60, 60, 60, 120]);
    assert_eq!(sim.stats().requests_to("POST", "/gateway/api/graphql"), 7);
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn after_429s_the_dashboard_slows_says_so_and_recovers_slowly() {
    let (sim, token) = sim().await;
    let backends = prepared(&sim, &token, &["harness"], Some(100));
    let pace = backends[0].backend.pace().expect("an HTTP backend").clone();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let _service = Service::spawn(
        backends
            .into_iter()
            .map(|p| (p.backend, p.limits))
            .collect(),
        Intervals::default(),
        tx,
    );
    let t0 = Instant::now();
    let (mut reads, mut paces) = (BTreeMap::new(), Vec::new());
    // Warm: the dashboard reads at its own pace, unrefused.
    run_until(
        &mut rx,
        t0 + Duration::from_secs(120),
        &mut reads,
        &mut paces,
        t0,
    )
    .await;
    assert!(paces.is_empty());
    let warm = pace.sent();
    // Others on the key leave this dashboard 20 requests a minute.
    sim.set_harness_rate_limit(Some(20));
    let limited = t0 + Duration::from_secs(120);
    run_until(
        &mut rx,
        limited + Duration::from_secs(60),
        &mut reads,
        &mut paces,
        t0,
    )
    .await;
    let (at, _, why) = paces.first().expect("the status bar is told").clone();
    assert!(at >= Duration::from_secs(120), "{at:?}");
    let why = why.expect("holding back");
    assert!(why.starts_with("after a 429, "), "{why}");
    let first_minute = sim.stats().rate_limited;
    assert!(first_minute >= 1);
    // It keeps below what it is allowed rather than bouncing off the limit: few refusals
    // in the next five minutes, and reads still arrive.
    let before = reads.values().sum::<usize>();
    run_until(
        &mut rx,
        limited + Duration::from_secs(360),
        &mut reads,
        &mut paces,
        t0,
    )
    .await;
    let refused = sim.stats().rate_limited - first_minute;
    assert!(refused <= 10, "{refused} more 429s in five minutes");
    assert!(reads.values().sum::<usize>() > before + 10, "still reading");
    // The others are gone: the rate climbs back over minutes, not at once, and the status
    // bar is told when it is back to its budget.
    sim.set_harness_rate_limit(None);
    let lifted = Instant::now();
    let sent = pace.sent();
    run_until(
        &mut rx,
        lifted + Duration::from_secs(60),
        &mut reads,
        &mut paces,
        t0,
    )
    .await;
    let first_free_minute = pace.sent() - sent;
    assert!(
        first_free_minute < (warm / 2).max(1),
        "slow recovery: {first_free_minute} in the first minute, {} a minute before",
        warm / 2
    );
    run_until(
        &mut rx,
        lifted + Duration::from_secs(900),
        &mut reads,
        &mut paces,
        t0,
    )
    .await;
    let (_, _, last) = paces.last().expect("told");
    assert_eq!(last, &None, "back to its budget: {paces:?}");
    assert_eq!(sim.stats().rate_limited, first_minute + refused);
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn harness_reads_a_waiting_executions_gates_again_only_when_its_summary_changed() {
    let (sim, token) = sim().await;
    sim.world().waiting_gate().expect("a gate");
    let backends = prepared(&sim, &token, &["harness"], None);
    let harness = &backends[0].backend;
    let sent = || sim.stats().total_requests;
    let before = sent();
    let first = harness.waiting_approvals().await.expect("gates");
    let full = sent() - before;
    assert!(
        full > 3,
        "a page per project, then each waiting execution: {full}"
    );
    // Nothing changed: one page of waiting executions per project (three), nothing else.
    let before = sent();
    let mut again = harness.waiting_approvals().await.expect("gates");
    assert_eq!(sent() - before, 3);
    let mut first = first;
    first.sort_by(|a, b| a.id.cmp(&b.id));
    again.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(again, first, "the same gates, from the cache");
    // A new gate opens: its execution's approvals and stage graph are read, no other's.
    let gate = sim.world().waiting_gate().expect("another gate");
    let before = sent();
    let after = harness.waiting_approvals().await.expect("gates");
    assert_eq!(sent() - before, 3 + 2);
    assert_eq!(after.len(), first.len() + 1);
    assert!(after.iter().any(|a| a.id == gate.approval));
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn the_simulator_enforces_the_vendors_limits_when_asked() {
    let (sim, token) = sim().await;
    sim.set_vendor_limits(true);
    let unbudgeted = Some(flightdeck::backend::budget::MAX_SHARE);
    let fg = prepared(&sim, &token, &["harness-fg"], unbudgeted);
    for _ in 0..30 {
        fg[0]
            .backend
            .list_executions()
            .await
            .expect("within 30 a minute");
    }
    assert_eq!(
        fg[0].backend.list_executions().await.unwrap_err(),
        flightdeck::domain::BackendError::RateLimited { retry_after: None }
    );
    // Per key: NextGen's 400 a minute are its own.
    let ng = prepared(&sim, &token, &["harness"], unbudgeted);
    let (before, refused_before) = (sim.stats().total_requests, sim.stats().rate_limited);
    let mut refused = None;
    while refused.is_none() {
        if let Err(e) = ng[0].backend.list_executions().await {
            refused = Some(e);
        }
    }
    let stats = sim.stats();
    assert_eq!(
        stats.total_requests - before - (stats.rate_limited - refused_before),
        400,
        "400 answered, then refused"
    );
    assert_eq!(
        refused,
        Some(flightdeck::domain::BackendError::RateLimited { retry_after: None })
    );
    sim.set_vendor_limits(false);
    fg[0].backend.list_executions().await.expect("no limit");
}
