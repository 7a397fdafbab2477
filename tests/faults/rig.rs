//! The dashboard below the terminal, for fault tests: the real `App` and `Service` with the
//! real HTTP clients of all four backend kinds against one simulator, plus a `control`
//! Harness backend on a second, healthy simulator (the witness that a faulted backend delays
//! nobody else). Keys go through `App::update` as from the terminal; replies are pumped into
//! it as the event loop would, and the outcomes of starts and decisions are kept.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use flightdeck::app::{App, BackendInfo, BackendState, Dialog, FieldKind, Msg, Pane};
use flightdeck::backend::Backend;
use flightdeck::backend::argo::{ArgoBackend, ArgoOptions, RejectMode};
use flightdeck::backend::harness::{HarnessBackend, HarnessOptions};
use flightdeck::backend::harness_fg::{HarnessFgBackend, HarnessFgOptions};
use flightdeck::backend::infraxys::{InfraxysBackend, InfraxysOptions};
use flightdeck::domain::{BackendError, DecisionOutcome, ItemKey, Pipeline, StartResult};
use flightdeck::service::{Intervals, Limits, Payload, Reply, Service};
use flightdeck::ui::{self, Theme};
use flightdeck_sim::{ClockMode, SimHandle, SimOptions};
use jiff::Timestamp;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::sync::mpsc;
use tokio::time::Instant;

pub const HARNESS: &str = "harness";
pub const FG: &str = "harness-fg";
pub const ARGO: &str = "argo";
pub const INFRAXYS: &str = "infraxys";
pub const CONTROL: &str = "control";
/// The backends on the simulator that faults are injected into.
pub const FAULTED: [&str; 4] = [HARNESS, FG, ARGO, INFRAXYS];
/// Those with gates (Infraxys has none).
pub const WITH_GATES: [&str; 3] = [HARNESS, FG, ARGO];

/// One HTTP request gives up after this.
pub const REQUEST_TIMEOUT: Duration = Duration::from_millis(800);
/// One backend operation (a paged list is several requests) gives up after this.
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(2);
/// Every poll interval: short, so a test sees errors and recovery within a second or two.
pub const POLL: Duration = Duration::from_millis(250);

pub struct Rig {
    pub sim: SimHandle,
    /// The healthy simulator behind the `control` backend, kept running.
    _control: SimHandle,
    pub app: App,
    service: Service,
    replies: mpsc::UnboundedReceiver<Reply>,
    /// Every start and decision answer, in arrival order.
    pub started: Vec<(String, String, Result<StartResult, BackendError>)>,
    pub decided: Vec<(String, String, Result<DecisionOutcome, BackendError>)>,
    /// Successful reads of the gates, per backend.
    pub gate_reads: BTreeMap<String, usize>,
}

async fn simulator(seed: u64) -> SimHandle {
    let sim = SimHandle::start(SimOptions {
        seed,
        clock: ClockMode::Manual,
        ..SimOptions::default()
    })
    .await
    .expect("simulator starts");
    sim.world().set_failures(false);
    sim.set_infraxys_latency(Duration::from_millis(5));
    sim
}

fn harness(name: &str, sim: &SimHandle, timeout: Duration) -> Arc<dyn Backend> {
    Arc::new(
        HarnessBackend::new(HarnessOptions {
            name: name.into(),
            base_url: sim.harness_url().parse().unwrap(),
            account: sim.account(),
            org: sim.org(),
            // One project keeps the polling light: the tests use its pipelines and gates.
            projects: vec!["platform".into()],
            api_key: sim.harness_token().into(),
            timeout,
            ca_file: None,
            insecure_skip_verify: false,
        })
        .unwrap(),
    )
}

fn backends(sim: &SimHandle, control: &SimHandle) -> Vec<Arc<dyn Backend>> {
    let fg = HarnessFgBackend::new(HarnessFgOptions {
        name: FG.into(),
        base_url: sim.harness_fg_url().parse().unwrap(),
        account: sim.account(),
        applications: vec!["Legacy Billing".into()],
        api_key: sim.harness_fg_api_key().into(),
        timeout: REQUEST_TIMEOUT,
        ca_file: None,
        insecure_skip_verify: false,
    })
    .unwrap();
    let argo = ArgoBackend::new(ArgoOptions {
        name: ARGO.into(),
        base_url: sim.argo_url().parse().unwrap(),
        namespace: "argo".into(),
        token: Some(sim.argo_token().into()),
        cluster_templates: false,
        label_selector: None,
        reject: RejectMode::Stop,
        events: Vec::new(),
        timeout: REQUEST_TIMEOUT,
        ca_file: None,
        insecure_skip_verify: false,
    })
    .unwrap();
    let catalogue = configured_catalogue(sim);
    let infraxys = InfraxysBackend::new(InfraxysOptions {
        name: INFRAXYS.into(),
        base_url: sim.infraxys_url().parse().unwrap(),
        branch: catalogue.branch,
        token: Some(sim.infraxys_token().into()),
        timeout: REQUEST_TIMEOUT,
        ca_file: None,
        insecure_skip_verify: false,
        workflows: catalogue.workflows,
        actions: catalogue.actions,
        aliases: catalogue.aliases,
    })
    .unwrap();
    vec![
        harness(HARNESS, sim, REQUEST_TIMEOUT),
        Arc::new(fg),
        Arc::new(argo),
        Arc::new(infraxys),
        // Patient: on a busy machine (a 50 MB body per request next door) it must not
        // time out for want of CPU, which would prove nothing about isolation.
        harness(CONTROL, control, Duration::from_secs(5)),
    ]
}

impl Rig {
    /// Both simulators running, every backend read once.
    pub async fn start(seed: u64) -> Rig {
        let sim = simulator(seed).await;
        let control = simulator(seed).await;
        let limits = Limits {
            concurrency: 4,
            operation_timeout: OPERATION_TIMEOUT,
            min_interval: Duration::ZERO,
        };
        let intervals = Intervals {
            lists: POLL,
            running: POLL,
            selected: POLL,
        };
        let backends = backends(&sim, &control);
        let infos = backends
            .iter()
            .map(|b| BackendInfo {
                name: b.name().clone(),
                kind: b.kind(),
                production: false,
                read_only: false,
                insecure: false,
                identity: None,
            })
            .collect();
        let (tx, replies) = mpsc::unbounded_channel();
        let service = Service::spawn(
            backends.into_iter().map(|b| (b, limits)).collect(),
            intervals,
            tx,
        );
        let mut rig = Rig {
            sim,
            _control: control,
            app: App::new(flightdeck::app::Settings {
                backends: infos,
                intervals,
                read_only: false,
                ..Default::default()
            }),
            service,
            replies,
            started: Vec::new(),
            decided: Vec::new(),
            gate_reads: BTreeMap::new(),
        };
        rig.update(Msg::Resize {
            width: 250,
            height: 40,
        });
        rig.pump_until(
            "every backend's first read",
            Duration::from_secs(20),
            |app| {
                app.backends.iter().all(|b| b.last_ok.is_some())
                    && WITH_GATES
                        .iter()
                        .all(|name| app.approvals.iter().any(|a| &*a.backend == *name))
                    && FAULTED
                        .iter()
                        .all(|name| app.pipelines.iter().any(|p| &*p.backend == *name))
            },
        )
        .await;
        rig
    }

    fn update(&mut self, msg: Msg) {
        if let Msg::Reply(reply) = &msg {
            let backend = reply.backend.to_string();
            match &reply.payload {
                Payload::Started {
                    request, result, ..
                } => self
                    .started
                    .push((backend, request.pipeline_id.clone(), result.clone())),
                Payload::Decided {
                    approval, result, ..
                } => self
                    .decided
                    .push((backend, approval.id.clone(), result.clone())),
                Payload::Approvals(Ok(_)) => *self.gate_reads.entry(backend).or_default() += 1,
                _ => {}
            }
        }
        for effect in self.app.update(msg, Timestamp::now()) {
            if let flightdeck::app::Effect::Send { backend, command } = effect {
                self.service.send(&backend, command);
            }
        }
    }

    pub fn key(&mut self, code: KeyCode) {
        self.update(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    }

    pub fn keys(&mut self, codes: impl IntoIterator<Item = KeyCode>) {
        for code in codes {
            self.key(code);
        }
    }

    pub fn type_text(&mut self, text: &str) {
        self.keys(text.chars().map(KeyCode::Char));
    }

    /// Feeds replies (and a tick every poll interval) into the app until `done` holds.
    pub async fn pump_until(&mut self, what: &str, limit: Duration, done: impl Fn(&App) -> bool) {
        let deadline = Instant::now() + limit;
        while !done(&self.app) {
            let tick = (Instant::now() + POLL).min(deadline);
            tokio::select! {
                reply = self.replies.recv() => self.update(Msg::Reply(reply.expect("service running"))),
                _ = tokio::time::sleep_until(tick) => self.update(Msg::Tick),
            }
            if Instant::now() >= deadline && !done(&self.app) {
                panic!(
                    "timed out after {limit:?} waiting for {what}; status: {}",
                    self.status_line()
                );
            }
        }
    }

    /// Feeds replies into the app for a while.
    pub async fn pump_for(&mut self, time: Duration) {
        let until = Instant::now() + time;
        self.pump_until("time to pass", time * 2, |_| Instant::now() >= until)
            .await;
    }

    /// Waits until every backend with gates has read them afresh: two more reads, since the
    /// first may have been sent before now (reads of one resource never overlap).
    pub async fn fresh_gates(&mut self) {
        let before = self.gate_reads.clone();
        let deadline = Instant::now() + Duration::from_secs(15);
        while WITH_GATES.iter().any(|name| {
            self.gate_reads.get(*name).copied().unwrap_or(0)
                < before.get(*name).copied().unwrap_or(0) + 2
        }) {
            assert!(Instant::now() < deadline, "no fresh read of the gates");
            self.pump_for(POLL).await;
        }
    }

    pub fn backend(&self, name: &str) -> &BackendState {
        self.app.backend(name).expect("a configured backend")
    }

    /// The status bar as drawn, with any flash message put aside (it hides the health
    /// line for a few seconds): what the user sees about each backend.
    pub fn status_line(&mut self) -> String {
        let flash = self.app.flash.take();
        let mut terminal = Terminal::new(TestBackend::new(250, 40)).unwrap();
        let theme = Theme::new(
            flightdeck::config::Theme::Dark,
            flightdeck::ui::depth::Depth::None,
        );
        terminal
            .draw(|f| {
                ui::draw(f, &self.app, &theme);
            })
            .unwrap();
        self.app.flash = flash;
        let buffer = terminal.backend().buffer();
        let row = |y| -> String {
            (0..buffer.area.width)
                .map(|x| buffer[(x, y)].symbol().to_string())
                .collect()
        };
        (0..buffer.area.height)
            .rev()
            .map(row)
            .find(|line| line.contains(&format!(" {CONTROL} ")))
            .expect("a status bar naming every backend")
    }

    /// Marks exactly `gates` (backend, approval id) and confirms a batch approval of them
    /// up to the last key: `send` then presses it.
    pub fn prepare_batch(&mut self, gates: &[(String, String)]) {
        let marks: Vec<_> = gates
            .iter()
            .filter_map(|(backend, id)| {
                self.app
                    .approvals
                    .iter()
                    .find(|a| &*a.backend == backend && &a.id == id)
                    .map(|a| a.key())
            })
            .collect();
        let ledger = self.app.gates_mut();
        ledger.clear_marks();
        ledger.mark(marks);
        assert_eq!(
            self.app.gates().marks().len(),
            gates.len(),
            "every gate is listed"
        );
        self.app.pane = Pane::Approvals;
        self.key(KeyCode::Char('A'));
        assert!(matches!(self.app.dialog, Some(Dialog::Batch(_))));
        // Cancel -> comment -> typed confirmation (more than one gate) -> Approve.
        self.keys([KeyCode::Tab, KeyCode::Tab]);
        if gates.len() > 1 {
            self.type_text("yes");
            self.key(KeyCode::Tab);
        }
    }

    /// Marks `pipelines` and opens one start form for all of them, every required input
    /// filled, focus on the Start button: `send` then presses it.
    pub async fn prepare_bulk_start(&mut self, pipelines: &[ItemKey]) {
        self.app.pane = Pane::Pipelines;
        self.app.pipeline_marks = pipelines.iter().cloned().collect();
        // The forms load before any fault is set; on a machine busy enough for one of these
        // reads to outlast the rig's short request timeout, the form is asked for again, so
        // the fault under test, not the machine's load, decides what the starts meet.
        for attempt in 1.. {
            self.key(KeyCode::Char('s'));
            self.pump_until(
                "every start form",
                Duration::from_secs(10),
                |app| matches!(&app.dialog, Some(Dialog::BulkStart(b)) if b.form.is_some()),
            )
            .await;
            let Some(Dialog::BulkStart(bulk)) = &self.app.dialog else {
                unreachable!()
            };
            let failed: Vec<&String> = bulk
                .forms
                .iter()
                .filter_map(|f| f.as_ref().and_then(|f| f.as_ref().err()))
                .collect();
            if failed.is_empty() {
                break;
            }
            assert!(
                attempt < 5,
                "start forms did not load without a fault: {failed:?}"
            );
            self.key(KeyCode::Esc);
        }
        let Some(Dialog::BulkStart(bulk)) = &mut self.app.dialog else {
            unreachable!()
        };
        let form = bulk.form.as_mut().unwrap();
        for field in &mut form.fields {
            if field.problem().is_none() {
                continue;
            }
            let value = match (&field.expect, &field.kind) {
                (Some(expected), _) => expected.clone(),
                (None, FieldKind::Number) => "1".into(),
                (None, FieldKind::Choice(options)) => options[0].clone(),
                (None, _) => "fault-test".into(),
            };
            field.input = tui_input::Input::new(value);
        }
        // Cancel -> Start.
        self.key(KeyCode::Right);
    }

    pub fn send(&mut self) {
        self.key(KeyCode::Enter);
    }

    /// Every approval count the simulator holds, by gate.
    pub fn decision_counts(&self) -> BTreeMap<String, u64> {
        self.sim
            .stats()
            .decisions
            .into_iter()
            .map(|(id, d)| (id, d.approve + d.reject))
            .collect()
    }

    pub fn pipeline(&self, backend: &str, pick: impl Fn(&Pipeline) -> bool) -> Pipeline {
        self.app
            .pipelines
            .iter()
            .find(|p| &*p.backend == backend && pick(p))
            .unwrap_or_else(|| panic!("no such pipeline on {backend}"))
            .clone()
    }
}

pub use crate::common::infraxys::configured_catalogue;
