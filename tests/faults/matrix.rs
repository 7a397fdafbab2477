//! The fault matrix: for each fault, injected into every face of one simulator at once,
//! the dashboard (real `App`, `Service` and HTTP clients) is checked backend by backend:
//!
//! - while the fault lasts, keys keep working, the healthy `control` backend stays fresh,
//!   and every faulted backend that cannot read shows its trouble and `STALE` with the age
//!   of its last good data in the status bar;
//! - a start and a decision per backend sent under the fault come back as done, refused
//!   (the simulator's counts did not move) or unknown (the app blocks a blind retry);
//! - when the fault ends, every backend recovers by itself, unknown outcomes are settled by a
//!   fresh read, and after the retries a person would make every gate holds exactly one
//!   decision and every pipeline exactly one start, as the simulator counts them.
//!
//! Each test prints its rows of the matrix (`cargo test --test faults matrix -- --nocapture`).

use std::collections::BTreeMap;
use std::time::Duration;

use crossterm::event::KeyCode;
use flightdeck::app::{Dialog, Health, Pane};
use flightdeck::domain::{BackendError, ItemKey};
use flightdeck_sim::{Fault, Faults, Rule};

use super::rig::{
    ARGO, CONTROL, FAULTED, FG, HARNESS, INFRAXYS, OPERATION_TIMEOUT, POLL, Rig, WITH_GATES,
};

/// What happened to one write under the fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Write {
    Done,
    Refused,
    /// Outcome unknown to the client; the simulator says whether it happened.
    Unknown {
        applied: bool,
    },
}

impl Write {
    fn label(self) -> &'static str {
        match self {
            Write::Done => "done",
            Write::Refused => "refused",
            Write::Unknown { applied: true } => "unknown (applied)",
            Write::Unknown { applied: false } => "unknown (not applied)",
        }
    }
}

/// One row of the matrix.
struct Row {
    backend: &'static str,
    /// What the status bar said during the fault.
    shown: String,
    start: Write,
    decision: Option<Write>,
}

/// The world project each backend's test pipeline starts in, as the simulator counts it.
fn start_project(backend: &str) -> &'static str {
    match backend {
        HARNESS => "platform",
        FG => "legacy_billing",
        ARGO => "argo",
        _ => unreachable!(),
    }
}

fn starts(rig: &Rig, backend: &str) -> u64 {
    let stats = rig.sim.stats();
    match backend {
        INFRAXYS => stats.infraxys_starts,
        other => stats
            .starts_in
            .get(start_project(other))
            .copied()
            .unwrap_or(0),
    }
}

fn classify(result: &Result<impl Sized, BackendError>, moved: bool) -> Write {
    match result {
        Ok(_) => {
            assert!(moved, "a write reported done did happen");
            Write::Done
        }
        Err(e) if e.outcome_unknown() => Write::Unknown { applied: moved },
        Err(e) => {
            assert!(!moved, "a write reported refused did not happen: {e}");
            Write::Refused
        }
    }
}

/// Faults no client could read through: every read fails while they last.
fn breaks_reads(fault: &Fault) -> bool {
    !matches!(
        fault,
        Fault::Latency(_) | Fault::WrongTypes | Fault::UnknownEnum
    )
}

/// The gates the test decides, one per backend with gates, as (backend, the client's gate
/// id), with the simulator's id for each (an Argo gate is a node to the client).
fn pick_gates(rig: &Rig) -> (Vec<(String, String)>, BTreeMap<String, String>) {
    let mut gates = Vec::new();
    let mut sim_ids = BTreeMap::new();
    for backend in WITH_GATES {
        let pipeline = match backend {
            HARNESS => "Rotate TLS certificates",
            FG => "Invoice batch rerun",
            _ => "canary",
        };
        let gate = rig
            .app
            .approvals
            .iter()
            .find(|a| &*a.backend == backend && a.pipeline_name == pipeline)
            .unwrap_or_else(|| panic!("a {pipeline} gate on {backend}"));
        // Each of these gates is the only one waiting in its execution.
        let sim_gate = rig.sim.world().gates_of(&gate.execution_id).remove(0);
        gates.push((backend.to_string(), gate.id.clone()));
        sim_ids.insert(gate.id.clone(), sim_gate.approval);
    }
    (gates, sim_ids)
}

/// The pipeline each backend starts.
fn pick_pipelines(rig: &Rig) -> Vec<ItemKey> {
    FAULTED
        .iter()
        .map(|backend| {
            let name = match *backend {
                HARNESS => "DNS record sync",
                FG => "Invoice batch rerun",
                ARGO => "canary",
                _ => "Export inventory",
            };
            rig.pipeline(backend, |p| p.name == name).key()
        })
        .collect()
}

async fn run(fault: Fault) {
    let mut rig = Rig::start(42).await;
    let (gates, sim_ids) = pick_gates(&rig);
    let decisions = |rig: &Rig, gate: &str| {
        rig.decision_counts()
            .get(&sim_ids[gate])
            .copied()
            .unwrap_or(0)
    };
    let pipelines = pick_pipelines(&rig);
    let faults = Faults::new([Rule::new(fault.clone())]);

    // Decisions: the batch is confirmed while all is well, the fault starts before Enter.
    let decisions_before: BTreeMap<String, u64> = gates
        .iter()
        .map(|(_, g)| (g.clone(), decisions(&rig, g)))
        .collect();
    rig.prepare_batch(&gates);
    rig.sim.set_faults(faults.clone());
    rig.send();
    rig.pump_until(
        "every decision's answer",
        OPERATION_TIMEOUT * 3,
        |app| matches!(&app.dialog, Some(Dialog::Batch(b)) if b.finished()),
    )
    .await;
    let mut decision_writes = BTreeMap::new();
    for (backend, gate) in &gates {
        let (_, _, result) = rig
            .decided
            .iter()
            .find(|(b, g, _)| b == backend && g == gate)
            .expect("an answer per decision");
        let moved = decisions(&rig, gate) > decisions_before[gate];
        let write = classify(result, moved);
        if matches!(write, Write::Unknown { .. }) {
            let key = ItemKey::new(backend, &gate_project(&rig, backend, gate), gate);
            assert!(
                rig.app.gates().is_unknown(&key),
                "{backend}: blocked until re-read"
            );
        }
        decision_writes.insert(backend.clone(), write);
    }
    rig.key(KeyCode::Esc);

    // Starts: the forms load while all is well, the fault starts again before Enter.
    rig.sim.set_faults(Faults::default());
    let starts_before: BTreeMap<&str, u64> =
        FAULTED.iter().map(|b| (*b, starts(&rig, b))).collect();
    rig.prepare_bulk_start(&pipelines).await;
    rig.sim.set_faults(faults);
    rig.send();
    rig.pump_until(
        "every start's answer",
        OPERATION_TIMEOUT * 3,
        |app| matches!(&app.dialog, Some(Dialog::BulkStart(b)) if b.finished()),
    )
    .await;
    rig.key(KeyCode::Esc);
    let mut start_writes = BTreeMap::new();
    for backend in FAULTED {
        let (_, _, result) = rig
            .started
            .iter()
            .find(|(b, _, _)| b == backend)
            .expect("an answer per start");
        let moved = starts(&rig, backend) > starts_before[backend];
        start_writes.insert(backend, classify(result, moved));
    }

    // Reads under the fault: the trouble shows, the witness stays fresh, keys work.
    let expect_errors = breaks_reads(&fault);
    if expect_errors {
        rig.pump_until(
            "every faulted backend to show its trouble",
            Duration::from_secs(8),
            |app| {
                WITH_GATES.iter().all(|name| {
                    let b = app.backend(name).unwrap();
                    b.error.is_some() && b.is_stale(app.now, app.intervals.lists)
                })
            },
        )
        .await;
    } else {
        rig.pump_for(POLL * 4).await;
    }
    let status = rig.status_line();
    let mut shown = BTreeMap::new();
    for backend in WITH_GATES {
        let b = rig.backend(backend);
        let text = match b.health() {
            Health::Failing | Health::RateLimited => {
                // `▲ argo failing live · 3s ago STALE`: the trouble, then the data's age.
                let label = b.health().label();
                let entry = status
                    .split("  ")
                    .find(|e| e.starts_with(&format!("▲ {backend} {label}")))
                    .unwrap_or_else(|| panic!("{backend} {label} in {status}"));
                assert!(entry.ends_with(" ago STALE"), "{entry}");
                format!("{label}, STALE")
            }
            health => {
                assert!(!expect_errors, "{backend} is {health:?} under {fault:?}");
                health.label().to_string()
            }
        };
        shown.insert(backend, text);
    }
    shown.insert(INFRAXYS, "ok (reads are local)".into());
    let control = rig.backend(CONTROL);
    assert!(control.error.is_none(), "{status}");
    assert!(
        control.age(rig.app.now).unwrap() < Duration::from_secs(3),
        "the healthy backend kept polling: {status}"
    );
    rig.app.pane = Pane::Executions;
    let before = rig.app.selected_index(Pane::Executions);
    rig.keys([KeyCode::Char('j'), KeyCode::Tab]);
    assert_eq!(rig.app.pane, Pane::Approvals, "keys work under {fault:?}");
    assert_ne!(rig.app.selected_index(Pane::Executions), before);

    // The fault ends: everything recovers by itself, and the gates are read afresh.
    rig.sim.set_faults(Faults::default());
    rig.pump_until("every backend to recover", Duration::from_secs(15), |app| {
        app.backends
            .iter()
            .all(|b| b.error.is_none() && !b.is_stale(app.now, app.intervals.lists))
            && app.gates().unknown().next().is_none()
    })
    .await;
    rig.fresh_gates().await;

    // What a person does next: retry what did not happen (the gates list, or for a start of
    // unknown outcome the Executions pane, tells them); then nothing is missing or doubled.
    let retry_gates: Vec<(String, String)> = gates
        .iter()
        .filter(|(backend, gate)| {
            rig.app
                .approvals
                .iter()
                .any(|a| &*a.backend == backend && &a.id == gate)
        })
        .cloned()
        .collect();
    for (backend, gate) in &gates {
        let listed = retry_gates.iter().any(|(_, g)| g == gate);
        let applied = matches!(
            decision_writes[backend],
            Write::Done | Write::Unknown { applied: true }
        );
        assert_eq!(
            listed, !applied,
            "{backend}: the fresh read tells the truth"
        );
    }
    if !retry_gates.is_empty() {
        rig.prepare_batch(&retry_gates);
        rig.send();
        rig.pump_until(
            "the retried decisions",
            OPERATION_TIMEOUT * 3,
            |app| matches!(&app.dialog, Some(Dialog::Batch(b)) if b.finished()),
        )
        .await;
        rig.key(KeyCode::Esc);
    }
    let retry_starts: Vec<ItemKey> = FAULTED
        .iter()
        .zip(&pipelines)
        .filter(|(backend, _)| starts(&rig, backend) == starts_before[*backend])
        .map(|(_, key)| key.clone())
        .collect();
    if !retry_starts.is_empty() {
        rig.prepare_bulk_start(&retry_starts).await;
        rig.send();
        rig.pump_until(
            "the retried starts",
            OPERATION_TIMEOUT * 3,
            |app| matches!(&app.dialog, Some(Dialog::BulkStart(b)) if b.finished()),
        )
        .await;
        rig.key(KeyCode::Esc);
    }
    for (backend, gate) in &gates {
        assert_eq!(
            decisions(&rig, gate),
            decisions_before[gate] + 1,
            "{backend}: exactly one decision under {fault:?}"
        );
    }
    for backend in FAULTED {
        assert_eq!(
            starts(&rig, backend),
            starts_before[backend] + 1,
            "{backend}: exactly one start under {fault:?}"
        );
    }

    for backend in FAULTED {
        let row = Row {
            backend,
            shown: shown[backend].clone(),
            start: start_writes[backend],
            decision: decision_writes.get(backend).copied(),
        };
        eprintln!(
            "| {fault:?} | {} | {} | yes | start {} · decision {} | 0 / 0 |",
            row.backend,
            row.shown,
            row.start.label(),
            row.decision.map_or("n/a (no gates)", Write::label),
        );
    }
}

fn gate_project(rig: &Rig, backend: &str, gate: &str) -> String {
    rig.app
        .approvals
        .iter()
        .find(|a| &*a.backend == backend && a.id == gate)
        .expect("a listed gate")
        .project
        .clone()
}

macro_rules! matrix {
    ($($name:ident: $fault:expr;)*) => {
        $(
            #[tokio::test(flavor = "multi_thread")]
            async fn $name() {
                run($fault).await;
            }
        )*
    };
}

matrix! {
    latency: Fault::Latency(Duration::from_millis(150));
    server_error: Fault::Status(503);
    rate_limited_with_retry_after: Fault::RateLimit { retry_after: Some(1) };
    rate_limited_without_retry_after: Fault::RateLimit { retry_after: None };
    connection_refused: Fault::Refused;
    connection_reset: Fault::Reset;
    hung_response: Fault::Hang;
    truncated_json: Fault::TruncatedJson;
    wrong_types: Fault::WrongTypes;
    unknown_enum: Fault::UnknownEnum;
    huge_body: Fault::HugeBody;
    slow_body: Fault::SlowBody(Duration::from_secs(3));
}
