//! Wall time to decide 100 gates against the simulator with 50 ms added latency per request:
//! one batch through the service (concurrency 8, the configured default) versus one
//! decision at a time. Prints figures; asserts nothing about time.
//!
//!     cargo bench --bench batch

use std::sync::Arc;
use std::time::{Duration, Instant};

use flightdeck::backend::Backend;
use flightdeck::backend::harness::{HarnessBackend, HarnessOptions};
use flightdeck::domain::{Approval, Decision, DecisionAction};
use flightdeck::service::{Command, Intervals, Limits, Payload, Service};
use flightdeck_sim::{ClockMode, Fault, Faults, Rule, SimHandle, SimOptions};
use tokio::sync::mpsc;

const GATES: usize = 100;
const LATENCY: Duration = Duration::from_millis(50);

async fn setup() -> (SimHandle, Arc<HarnessBackend>, Vec<Approval>) {
    let sim = SimHandle::start(SimOptions {
        seed: 11,
        clock: ClockMode::Manual,
        ..SimOptions::default()
    })
    .await
    .expect("simulator");
    let world = sim.world();
    world.set_failures(false);
    while world.waiting_gates().len() < GATES {
        world
            .start("platform", "rotate_certificates")
            .expect("pipeline");
    }
    let backend = Arc::new(
        HarnessBackend::new(HarnessOptions {
            name: "bench".into(),
            base_url: sim.harness_url().parse().expect("url"),
            account: sim.account(),
            org: sim.org(),
            projects: sim.projects(),
            api_key: sim.harness_token().into(),
            timeout: Duration::from_secs(30),
            ca_file: None,
            insecure_skip_verify: false,
        })
        .expect("client"),
    );
    let mut gates = backend.waiting_approvals().await.expect("gates");
    gates.truncate(GATES);
    sim.set_faults(Faults::new([Rule::new(Fault::Latency(LATENCY))]));
    (sim, backend, gates)
}

fn decision() -> Decision {
    Decision {
        action: DecisionAction::Approve,
        comment: "bench".into(),
        inputs: vec![],
    }
}

async fn decide_all(
    backend: Arc<HarnessBackend>,
    gates: &[Approval],
    concurrency: usize,
) -> (Duration, usize) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let limits = Limits {
        concurrency,
        operation_timeout: Duration::from_secs(60),
        min_interval: Duration::ZERO,
    };
    let service = Service::spawn(vec![(backend, limits)], Intervals::default(), tx);
    let started = Instant::now();
    for gate in gates {
        service.send(
            "bench",
            Command::Decide {
                epoch: 1,
                approval: Box::new(gate.clone()),
                decision: decision(),
            },
        );
    }
    let (mut done, mut ok) = (0, 0);
    while done < gates.len() {
        if let Some(reply) = rx.recv().await
            && let Payload::Decided { result, .. } = reply.payload
        {
            done += 1;
            ok += usize::from(result.is_ok());
        }
    }
    (started.elapsed(), ok)
}

async fn one_at_a_time(backend: &HarnessBackend, gates: &[Approval]) -> (Duration, usize) {
    let started = Instant::now();
    let mut ok = 0;
    for gate in gates {
        ok += usize::from(backend.decide(gate, &decision()).await.is_ok());
    }
    (started.elapsed(), ok)
}

#[tokio::main]
async fn main() {
    let (sim, backend, gates) = setup().await;
    let before = sim.stats().requests;
    let (batch, ok) = decide_all(backend, &gates, 8).await;
    println!(
        "batch of {} gates, concurrency 8, {} ms latency: {:.2} s wall ({ok} approved)",
        gates.len(),
        LATENCY.as_millis(),
        batch.as_secs_f64()
    );
    // The reads the service made meanwhile share the backend's concurrency with the
    // decisions.
    for ((method, route), n) in sim.stats().requests {
        let n = n - before
            .get(&(method.clone(), route.clone()))
            .copied()
            .unwrap_or(0);
        if n > 0 {
            println!("  {n:>4} × {method} {route}");
        }
    }

    let (_sim, backend, gates) = setup().await;
    let (serial, ok) = one_at_a_time(&backend, &gates).await;
    println!(
        "one at a time, {} gates, {} ms latency: {:.2} s wall ({ok} approved)",
        gates.len(),
        LATENCY.as_millis(),
        serial.as_secs_f64()
    );
    println!(
        "batch is {:.1}x faster",
        serial.as_secs_f64() / batch.as_secs_f64()
    );
}
