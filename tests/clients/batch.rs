//! A batch decision end to end below the terminal: the real `App`, the real service and two
//! Harness backends talking HTTP to two simulators, with server errors injected for some
//! gates. Every gate must get exactly one decision and its own result.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use flightdeck::app::{App, BackendInfo, Dialog, Effect, Msg, Outcome, Pane};
use flightdeck::backend::harness::{HarnessBackend, HarnessOptions};
use flightdeck::domain::BackendKind;
use flightdeck::service::{Intervals, Limits, Reply, Service};
use flightdeck_sim::{ClockMode, Fault, Faults, Rule, SimHandle, SimOptions};
use tokio::sync::mpsc;

const PER_BACKEND: usize = 25;

async fn sim_with_gates() -> SimHandle {
    let sim = SimHandle::start(SimOptions {
        seed: 7,
        clock: ClockMode::Manual,
        ..SimOptions::default()
    })
    .await
    .unwrap();
    let world = sim.world();
    world.set_failures(false);
    while world.waiting_gates().len() < PER_BACKEND {
        // Its first step is a gate: each start adds one waiting gate.
        world.start("platform", "rotate_certificates").unwrap();
    }
    sim
}

fn backend(name: &str, sim: &SimHandle) -> Arc<HarnessBackend> {
    Arc::new(
        HarnessBackend::new(HarnessOptions {
            name: name.into(),
            base_url: sim.harness_url().parse().unwrap(),
            account: sim.account(),
            org: sim.org(),
            projects: sim.projects(),
            api_key: sim.harness_token().into(),
            timeout: Duration::from_secs(10),
            ca_file: None,
            insecure_skip_verify: false,
        })
        .unwrap(),
    )
}

struct Rig {
    app: App,
    service: Service,
    replies: mpsc::UnboundedReceiver<Reply>,
}

impl Rig {
    fn dispatch(&mut self, effects: Vec<Effect>) {
        for effect in effects {
            if let Effect::Send { backend, command } = effect {
                self.service.send(&backend, command);
            }
        }
    }

    fn keys(&mut self, keys: impl IntoIterator<Item = KeyCode>) {
        for code in keys {
            let effects = self.app.update(
                Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)),
                jiff::Timestamp::now(),
            );
            self.dispatch(effects);
        }
    }

    /// Feeds replies into the app until `done` holds (bounded by a deadline).
    async fn pump_until(&mut self, what: &str, done: impl Fn(&App) -> bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while !done(&self.app) {
            let reply = tokio::time::timeout_at(deadline, self.replies.recv())
                .await
                .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
                .expect("service running");
            let effects = self.app.update(Msg::Reply(reply), jiff::Timestamp::now());
            self.dispatch(effects);
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn fifty_gates_across_two_backends_each_decided_exactly_once() {
    let east = sim_with_gates().await;
    let west = sim_with_gates().await;
    let limits = Limits {
        concurrency: 4,
        operation_timeout: Duration::from_secs(20),
        min_interval: Duration::ZERO,
    };
    let (tx, replies) = mpsc::unbounded_channel();
    let service = Service::spawn(
        vec![
            (backend("east", &east), limits),
            (backend("west", &west), limits),
        ],
        Intervals::default(),
        tx,
    );
    let infos = ["east", "west"]
        .map(|n| BackendInfo {
            name: n.into(),
            kind: BackendKind::Harness,
            production: false,
            read_only: false,
            insecure: false,
            identity: None,
        })
        .to_vec();
    let mut rig = Rig {
        app: App::new(flightdeck::app::Settings {
            backends: infos,
            intervals: Intervals::default(),
            read_only: false,
            ..Default::default()
        }),
        service,
        replies,
    };
    let expected = east.world().waiting_gates().len() + west.world().waiting_gates().len();
    assert!(expected >= 2 * PER_BACKEND);
    rig.pump_until("both gate lists", |app| app.approvals.len() == expected)
        .await;

    // Some gates of each backend will fail with a server error.
    let failing: Vec<String> = [&east, &west]
        .iter()
        .flat_map(|sim| {
            sim.world()
                .waiting_gates()
                .into_iter()
                .take(3)
                .map(|g| g.approval)
        })
        .collect();
    for sim in [&east, &west] {
        sim.set_faults(Faults::new(
            failing
                .iter()
                .map(|id| Rule::new(Fault::Status(500)).paths(id.clone())),
        ));
    }

    rig.keys([KeyCode::Tab, KeyCode::Char('*'), KeyCode::Char('A')]);
    assert_eq!(rig.app.pane, Pane::Approvals);
    let Some(Dialog::Batch(batch)) = &rig.app.dialog else {
        panic!("batch dialog")
    };
    assert_eq!(batch.gates.len(), expected);
    rig.keys([KeyCode::Tab, KeyCode::Tab]);
    rig.keys("yes".chars().map(KeyCode::Char));
    rig.keys([KeyCode::Tab, KeyCode::Enter]);
    rig.pump_until(
        "every result",
        |app| matches!(&app.dialog, Some(Dialog::Batch(b)) if b.finished()),
    )
    .await;

    let Some(Dialog::Batch(batch)) = &rig.app.dialog else {
        panic!()
    };
    let results = batch.results.as_ref().unwrap();
    let mut failed = HashSet::new();
    for ((gate, _), result) in batch.gates.iter().zip(results) {
        match result {
            Outcome::Done(Ok(_)) => {}
            Outcome::Done(Err(e)) => {
                assert!(
                    failing.contains(&gate.id),
                    "{} failed unexpectedly: {e}",
                    gate.id
                );
                assert!(
                    result.label().starts_with("failed: server error 500"),
                    "{}",
                    result.label()
                );
                failed.insert(gate.key());
            }
            other => panic!("{}: {other:?}", gate.id),
        }
    }
    assert_eq!(
        failed.len(),
        failing.len(),
        "every injected failure is reported"
    );
    assert_eq!(
        *rig.app.gates().marks(),
        failed,
        "exactly the failed gates stay marked"
    );

    // The simulators saw exactly one accepted decision per gate that did not fail, and none
    // for the failed ones (the fault answers before the handler).
    for sim in [&east, &west] {
        let stats = sim.stats();
        for (id, count) in &stats.decisions {
            assert_eq!((count.approve, count.reject), (1, 0), "gate {id}");
            assert!(!failing.contains(id));
        }
        assert_eq!(stats.decisions.len(), expected / 2 - 3);
    }
}
