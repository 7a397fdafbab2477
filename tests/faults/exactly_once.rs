//! Many decisions under random faults, exactly once each: rounds of batch approvals of a few
//! gates still waiting, each round under faults drawn from a fixed seed: decisions meet the
//! round's kind of fault (kinds take turns, so every kind comes up in a run), and random
//! rules hit any face, reads or only the decision paths, for a few requests or until cleared.
//! After each round every answer is checked against the simulator's counts (done: counted
//! once; refused: not counted; unknown: blocked until a fresh read), and once all gates are
//! decided each holds exactly one decision. Timing varies from run to run (which request a
//! limited rule meets), so the invariants are asserted, not the exact outcomes.

use std::collections::BTreeMap;
use std::time::Duration;

use flightdeck::app::Dialog;
use flightdeck::domain::{BackendError, DecisionOutcome};
use flightdeck_sim::{Face, Fault, Faults, Rule};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};

use super::rig::{ARGO, FG, HARNESS, OPERATION_TIMEOUT, Rig, WITH_GATES};

const SEED: u64 = 0x5EED_0008;
/// Rounds before giving up: each decides a few of the gates still waiting.
const MAX_ROUNDS: usize = 20;
/// Gates decided per round, at most.
const PER_ROUND: usize = 8;

/// Fault kind number `kind` (0 to 10), its parameters drawn from `rng`.
fn fault(kind: usize, rng: &mut StdRng) -> Fault {
    match kind {
        0 => Fault::Latency(Duration::from_millis(rng.random_range(10..300))),
        1 => Fault::Status([500, 502, 503, 504][rng.random_range(0..4)]),
        2 => Fault::RateLimit {
            retry_after: rng.random_bool(0.5).then_some(1),
        },
        3 => Fault::Refused,
        4 => Fault::Hang,
        5 => Fault::Reset,
        6 => Fault::TruncatedJson,
        7 => Fault::WrongTypes,
        8 => Fault::UnknownEnum,
        9 => Fault::HugeBody,
        _ => Fault::SlowBody(Duration::from_secs(2)),
    }
}

const KINDS: usize = 11;

/// A random face and the path its decisions take.
fn face(rng: &mut StdRng) -> (Face, &'static str) {
    DECISION_PATHS[rng.random_range(0..DECISION_PATHS.len())]
}

/// The decision path of each face.
const DECISION_PATHS: [(Face, &str); 3] = [
    (Face::Harness, "/harness/activity"),
    (Face::HarnessFg, "/api/graphql"),
    (Face::Argo, "/resume"),
];

/// The faults of round `round`: the first two decisions of each face meet the round's kind
/// of fault, and zero to two random rules hit any face, on its decision path or everything,
/// for a few requests or until cleared.
fn faults(round: usize, rng: &mut StdRng) -> Faults {
    let kind = fault(round % KINDS, rng);
    let mut rules: Vec<Rule> = DECISION_PATHS
        .iter()
        .map(|(on, path)| Rule::new(kind.clone()).on(*on).paths(*path).times(2))
        .collect();
    for _ in 0..rng.random_range(0..=2) {
        let kind = rng.random_range(0..KINDS);
        let mut rule = Rule::new(fault(kind, rng));
        if rng.random_bool(0.7) {
            let (on, path) = face(rng);
            rule = rule.on(on);
            if rng.random_bool(0.5) {
                rule = rule.paths(path);
            }
        }
        if rng.random_bool(0.5) {
            rule = rule.times(rng.random_range(1..=3));
        }
        rules.push(rule);
    }
    Faults::new(rules)
}

/// More gates than the seed has: every start of these pipelines waits at a gate at once
/// (Argo's canary after its first step).
async fn add_gates(rig: &Rig) {
    let world = rig.sim.world();
    for _ in 0..6 {
        world.waiting_gate().expect("a Harness gate");
        world.first_gen_waiting_gate().expect("a First Gen gate");
        world.start("argo", "canary").expect("an Argo run");
    }
    rig.sim.advance(Duration::from_secs(120));
}

#[tokio::test(flavor = "multi_thread")]
async fn many_decisions_under_random_faults_are_each_applied_exactly_once() {
    let mut rig = Rig::start(SEED).await;
    add_gates(&rig).await;
    rig.fresh_gates().await;
    let mut rng = StdRng::seed_from_u64(SEED);

    // The simulator's id of every gate the client lists (an Argo gate is a node to the
    // client; each execution here waits at one gate).
    let listed = |rig: &Rig| -> Vec<(String, String)> {
        rig.app
            .approvals
            .iter()
            .filter(|a| WITH_GATES.contains(&&*a.backend) && a.min_count <= 1)
            .map(|a| (a.backend.to_string(), a.id.clone()))
            .collect()
    };
    let mut sim_ids = BTreeMap::new();
    for a in rig
        .app
        .approvals
        .iter()
        .filter(|a| WITH_GATES.contains(&&*a.backend))
    {
        let gates = rig.sim.world().gates_of(&a.execution_id);
        if let [one] = gates.as_slice() {
            sim_ids.insert((a.backend.to_string(), a.id.clone()), one.approval.clone());
        }
    }
    let all: Vec<(String, String)> = listed(&rig)
        .into_iter()
        .filter(|g| sim_ids.contains_key(g))
        .collect();
    for backend in [HARNESS, FG, ARGO] {
        let n = all.iter().filter(|(b, _)| b == backend).count();
        assert!(n >= 5, "{backend} has {n} gates");
    }
    let count = |rig: &Rig, gate: &(String, String)| -> u64 {
        rig.sim
            .stats()
            .decisions
            .get(&sim_ids[gate])
            .map_or(0, |d| d.approve + d.reject)
    };

    let mut tally: BTreeMap<&str, usize> = BTreeMap::new();
    for round in 1..=MAX_ROUNDS {
        let mut waiting: Vec<(String, String)> = listed(&rig)
            .into_iter()
            .filter(|g| all.contains(g))
            .collect();
        if waiting.is_empty() {
            break;
        }
        waiting.shuffle(&mut rng);
        waiting.truncate(PER_ROUND);
        let before: BTreeMap<_, _> = waiting
            .iter()
            .map(|g| (g.clone(), count(&rig, g)))
            .collect();
        let answers_before = rig.decided.len();
        rig.prepare_batch(&waiting);
        rig.sim.set_faults(faults(round, &mut rng));
        rig.send();
        rig.pump_until(
            &format!("round {round}'s answers"),
            OPERATION_TIMEOUT * 4,
            |app| matches!(&app.dialog, Some(Dialog::Batch(b)) if b.finished()),
        )
        .await;
        let answers: Vec<(String, String, Result<DecisionOutcome, BackendError>)> =
            rig.decided[answers_before..].to_vec();
        assert_eq!(answers.len(), waiting.len(), "one answer per gate sent");
        for (backend, id, result) in answers {
            let gate = (backend, id);
            let moved = count(&rig, &gate) - before[&gate];
            assert!(moved <= 1, "{gate:?} decided {moved} times in one round");
            let kind = match &result {
                Ok(_) => {
                    assert_eq!(moved, 1, "{gate:?}: reported done, counted");
                    "done"
                }
                Err(e) if e.outcome_unknown() => {
                    assert!(
                        rig.app.gates().unknown().any(|k| k.id == gate.1),
                        "{gate:?}: unknown outcome ({e}) blocks a retry"
                    );
                    if moved == 1 {
                        "unknown, applied"
                    } else {
                        "unknown, not applied"
                    }
                }
                Err(e) => {
                    assert_eq!(moved, 0, "{gate:?}: reported refused ({e}), not counted");
                    "refused"
                }
            };
            *tally.entry(kind).or_default() += 1;
        }
        // Closing the results lets the gate lists held behind the dialog in.
        rig.key(crossterm::event::KeyCode::Esc);
        rig.sim.set_faults(Faults::default());
        rig.pump_until("unknown outcomes settled", Duration::from_secs(20), |app| {
            app.gates().unknown().next().is_none()
        })
        .await;
        rig.fresh_gates().await;
        for gate in &waiting {
            let decided = count(&rig, gate) > 0;
            let listed = listed(&rig).contains(gate);
            assert_eq!(listed, !decided, "{gate:?}: listed exactly while undecided");
        }
    }
    for gate in &all {
        assert_eq!(count(&rig, gate), 1, "{gate:?}: exactly one decision");
    }
    eprintln!(
        "{} gates, {} answers: {tally:?}",
        all.len(),
        rig.decided.len()
    );
    for kind in ["done", "refused"] {
        assert!(tally.contains_key(kind), "no {kind} answer: {tally:?}");
    }
    assert!(
        tally.keys().any(|k| k.starts_with("unknown")),
        "no unknown outcome: {tally:?}"
    );
}
