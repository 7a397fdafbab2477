//! The gate ledger: the one place that knows what this session did to each gate, so a
//! decision is sent at most once.
//!
//! Per gate (by [`ItemKey`]) it holds a mark (chosen for a batch), and at most one of:
//! a decision in flight, a decision answered here (with its outcome), or a decision whose
//! outcome is unknown (timed out, cut off: the backend may or may not have acted). It also
//! remembers the starts awaiting their reply, for their audit entry.
//!
//! Events, and what they do:
//!
//! | event | in flight | answered | unknown | marked |
//! |---|---|---|---|---|
//! | [`Gates::sent`] | set | — | — | — |
//! | [`Gates::answered`] `Ok` | cleared | set (outcome) | — | cleared |
//! | [`Gates::answered`] outcome unknown | cleared | — | set | kept |
//! | [`Gates::answered`] other error | cleared | — | — | kept (retry) |
//! | [`Gates::listed`] (listed again) | — | kept | cleared | kept |
//! | [`Gates::listed`] (not listed) | — | cleared | cleared | cleared |
//!
//! [`Gates::may_decide`] says why not, if a gate may not be decided now: its backend is
//! read-only, a decision is in flight, the last one's outcome is unknown, or it was decided
//! here. A list read settles unknown outcomes of its backend whatever it says: a gate still
//! listed still waits (may be decided again), one gone is gone.

use std::collections::{HashMap, HashSet};
use std::fmt;

use crate::domain::{Approval, BackendError, DecisionOutcome, ItemKey};

/// Why a gate may not be decided now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Blocked {
    ReadOnly(String),
    InFlight,
    Unknown,
    Decided(DecisionOutcome),
}

impl fmt::Display for Blocked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Blocked::ReadOnly(backend) => write!(f, "{backend} is read-only"),
            Blocked::InFlight => f.write_str("a decision is already in flight"),
            Blocked::Unknown => {
                f.write_str("the last decision's outcome is unknown; waiting for a fresh read")
            }
            Blocked::Decided(outcome) => write!(f, "already {} here", outcome.label()),
        }
    }
}

/// A start sent and not yet answered: what its audit entry needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingStart {
    pub pipeline_name: String,
    /// Names of secret-typed inputs, masked in the audit log.
    pub secrets: Vec<String>,
}

/// What a list read changed in the ledger.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Settled {
    /// Marks dropped because their gate is no longer listed.
    pub marks_dropped: usize,
    /// Anything shown changed (a marker or a mark went).
    pub changed: bool,
}

/// Where a decision of one gate stands; a gate with none is free.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Decision {
    InFlight,
    Decided(DecisionOutcome),
    Unknown,
}

#[derive(Debug, Clone, Default)]
pub struct Gates {
    marks: HashSet<ItemKey>,
    /// Where the last single mark was: a range marks from here.
    anchor: Option<ItemKey>,
    /// One state per gate, so a gate is never both in flight and decided.
    decisions: HashMap<ItemKey, Decision>,
    /// By dialog epoch and pipeline.
    starts: HashMap<(u64, ItemKey), PendingStart>,
}

impl Gates {
    /// `Ok` if `gate` may be decided now; else why not. `read_only`: its backend takes no
    /// writes.
    pub fn may_decide(&self, gate: &Approval, read_only: bool) -> Result<(), Blocked> {
        if read_only {
            return Err(Blocked::ReadOnly(gate.backend.to_string()));
        }
        match self.decisions.get(&gate.key()) {
            None => Ok(()),
            Some(Decision::InFlight) => Err(Blocked::InFlight),
            Some(Decision::Unknown) => Err(Blocked::Unknown),
            Some(Decision::Decided(outcome)) => Err(Blocked::Decided(outcome.clone())),
        }
    }

    /// A decision of `key` was sent.
    pub fn sent(&mut self, key: ItemKey) {
        self.decisions.insert(key, Decision::InFlight);
    }

    /// The decision of `key` was answered.
    pub fn answered(&mut self, key: &ItemKey, result: &Result<DecisionOutcome, BackendError>) {
        match result {
            Ok(outcome) => {
                self.decisions
                    .insert(key.clone(), Decision::Decided(outcome.clone()));
                self.marks.remove(key);
            }
            Err(e) if e.outcome_unknown() => {
                self.decisions.insert(key.clone(), Decision::Unknown);
            }
            // Not done: free again, and still marked for another try.
            Err(_) => {
                if self.decisions.get(key) == Some(&Decision::InFlight) {
                    self.decisions.remove(key);
                }
            }
        }
    }

    /// `backend` listed its waiting gates again (`listed`, its whole list): its unknown
    /// outcomes are settled, and its decided markers and marks of gates no longer listed
    /// go. Gates of other backends are left alone.
    pub fn listed(&mut self, backend: &str, listed: &HashSet<ItemKey>) -> Settled {
        let (decisions, marks) = (self.decisions.len(), self.marks.len());
        let gone = |k: &ItemKey| &*k.backend == backend && !listed.contains(k);
        self.decisions.retain(|k, d| match d {
            Decision::InFlight => true,
            Decision::Unknown => &*k.backend != backend,
            Decision::Decided(_) => !gone(k),
        });
        self.marks.retain(|k| !gone(k));
        let marks_dropped = marks - self.marks.len();
        Settled {
            marks_dropped,
            changed: marks_dropped > 0 || decisions != self.decisions.len(),
        }
    }

    fn count(&self, pick: impl Fn(&Decision) -> bool) -> usize {
        self.decisions.values().filter(|d| pick(d)).count()
    }

    pub fn is_in_flight(&self, key: &ItemKey) -> bool {
        self.decisions.get(key) == Some(&Decision::InFlight)
    }

    /// Decisions in flight.
    pub fn in_flight(&self) -> usize {
        self.count(|d| *d == Decision::InFlight)
    }

    pub fn is_unknown(&self, key: &ItemKey) -> bool {
        self.decisions.get(key) == Some(&Decision::Unknown)
    }

    /// Gates whose last decision's outcome is unknown.
    pub fn unknown(&self) -> impl Iterator<Item = &ItemKey> {
        self.decisions
            .iter()
            .filter(|(_, d)| **d == Decision::Unknown)
            .map(|(k, _)| k)
    }

    /// The outcome of the decision made here, while the gate is still listed.
    pub fn decided(&self, key: &ItemKey) -> Option<&DecisionOutcome> {
        match self.decisions.get(key) {
            Some(Decision::Decided(outcome)) => Some(outcome),
            _ => None,
        }
    }

    /// Gates decided here and still listed.
    pub fn decided_count(&self) -> usize {
        self.count(|d| matches!(d, Decision::Decided(_)))
    }

    // Marks.

    pub fn marks(&self) -> &HashSet<ItemKey> {
        &self.marks
    }

    pub fn is_marked(&self, key: &ItemKey) -> bool {
        self.marks.contains(key)
    }

    /// Marks or unmarks `key`, and makes it where a range starts.
    pub fn toggle_mark(&mut self, key: ItemKey) {
        if !self.marks.remove(&key) {
            self.marks.insert(key.clone());
        }
        self.anchor = Some(key);
    }

    pub fn mark(&mut self, keys: impl IntoIterator<Item = ItemKey>) {
        self.marks.extend(keys);
    }

    /// Where the last single mark was.
    pub fn anchor(&self) -> Option<&ItemKey> {
        self.anchor.as_ref()
    }

    pub fn set_anchor(&mut self, key: ItemKey) {
        self.anchor = Some(key);
    }

    pub fn clear_marks(&mut self) {
        self.marks.clear();
        self.anchor = None;
    }

    // Starts.

    /// A start of `pipeline` was sent from the dialog opened at `epoch`.
    pub fn start_sent(&mut self, epoch: u64, pipeline: ItemKey, pending: PendingStart) {
        self.starts.insert((epoch, pipeline), pending);
    }

    /// The start was answered: what was remembered for it, if it was sent here.
    pub fn start_answered(&mut self, epoch: u64, pipeline: ItemKey) -> Option<PendingStart> {
        self.starts.remove(&(epoch, pipeline))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Where one gate stands, as the ledger says it.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum State {
        Free,
        InFlight,
        Decided,
        Unknown,
    }

    #[derive(Debug, Clone, Copy)]
    enum Event {
        Sent,
        AnsweredOk,
        AnsweredUnknown,
        AnsweredFailed,
        ListedAgain,
        NotListed,
        OtherBackendListed,
    }

    const STATES: [State; 4] = [State::Free, State::InFlight, State::Decided, State::Unknown];
    const EVENTS: [Event; 7] = [
        Event::Sent,
        Event::AnsweredOk,
        Event::AnsweredUnknown,
        Event::AnsweredFailed,
        Event::ListedAgain,
        Event::NotListed,
        Event::OtherBackendListed,
    ];

    fn gate() -> Approval {
        Approval {
            backend: "prod".into(),
            project: "payments".into(),
            id: "gate-1".into(),
            execution_id: "exec-1".into(),
            pipeline_id: "deploy".into(),
            pipeline_name: "Deploy".into(),
            stage: "Approve".into(),
            step: "Sign-off".into(),
            message: String::new(),
            approvers: Vec::new(),
            min_count: 1,
            inputs: Vec::new(),
            created: None,
            deadline: None,
            triggered_by: String::new(),
            environment: None,
            callback_id: None,
            url: None,
        }
    }

    fn ledger_in(state: State, marked: bool) -> Gates {
        let mut g = Gates::default();
        let key = gate().key();
        if marked {
            g.toggle_mark(key.clone());
        }
        match state {
            State::Free => {}
            State::InFlight => g.sent(key),
            State::Decided => {
                g.sent(key.clone());
                g.answered(&key, &Ok(DecisionOutcome::Approved));
                // A decided gate loses its mark; mark it again to test what follows.
                if marked {
                    g.mark([key]);
                }
            }
            State::Unknown => {
                g.sent(key.clone());
                g.answered(&key, &Err(BackendError::Network("cut off".into())));
            }
        }
        g
    }

    fn state_of(g: &Gates) -> State {
        let key = gate().key();
        let states = [
            (g.is_in_flight(&key), State::InFlight),
            (g.decided(&key).is_some(), State::Decided),
            (g.is_unknown(&key), State::Unknown),
        ];
        let on: Vec<State> = states
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, s)| *s)
            .collect();
        assert!(on.len() <= 1, "one state at a time: {on:?}");
        on.first().copied().unwrap_or(State::Free)
    }

    fn apply(g: &mut Gates, event: Event) {
        let key = gate().key();
        let listed: HashSet<ItemKey> = [key.clone()].into();
        match event {
            Event::Sent => g.sent(key),
            Event::AnsweredOk => g.answered(&key, &Ok(DecisionOutcome::Rejected)),
            Event::AnsweredUnknown => g.answered(
                &key,
                &Err(BackendError::Timeout(std::time::Duration::from_secs(30))),
            ),
            Event::AnsweredFailed => {
                g.answered(&key, &Err(BackendError::Conflict("already".into())))
            }
            Event::ListedAgain => {
                g.listed("prod", &listed);
            }
            Event::NotListed => {
                g.listed("prod", &HashSet::new());
            }
            Event::OtherBackendListed => {
                g.listed("staging", &HashSet::new());
            }
        }
    }

    /// What every event does in every state, marked or not.
    fn expected(state: State, event: Event) -> State {
        use Event::*;
        use State::*;
        match (event, state) {
            (Sent, _) => InFlight,
            (AnsweredOk, _) => Decided,
            (AnsweredUnknown, _) => Unknown,
            (AnsweredFailed, InFlight | Free) => Free,
            (AnsweredFailed, s) => s,
            (ListedAgain, Unknown) => Free,
            (ListedAgain, s) => s,
            (NotListed, Decided | Unknown) => Free,
            (NotListed, s) => s,
            (OtherBackendListed, s) => s,
        }
    }

    fn expected_mark(marked: bool, event: Event) -> bool {
        match event {
            Event::AnsweredOk | Event::NotListed => false,
            _ => marked,
        }
    }

    #[test]
    fn every_event_in_every_state() {
        for state in STATES {
            for marked in [false, true] {
                let before = ledger_in(state, marked);
                assert_eq!(state_of(&before), state);
                for event in EVENTS {
                    let mut g = before.clone();
                    apply(&mut g, event);
                    let what = format!("{event:?} in {state:?} (marked: {marked})");
                    assert_eq!(state_of(&g), expected(state, event), "{what}");
                    assert_eq!(
                        g.is_marked(&gate().key()),
                        expected_mark(marked, event),
                        "{what}: mark"
                    );
                }
            }
        }
    }

    #[test]
    fn may_decide_says_why_not_in_every_state() {
        let g = gate();
        for state in STATES {
            let ledger = ledger_in(state, false);
            let want = match state {
                State::Free => Ok(()),
                State::InFlight => Err(Blocked::InFlight),
                State::Decided => Err(Blocked::Decided(DecisionOutcome::Approved)),
                State::Unknown => Err(Blocked::Unknown),
            };
            assert_eq!(ledger.may_decide(&g, false), want, "{state:?}");
            // Read-only wins over everything.
            assert_eq!(
                ledger.may_decide(&g, true),
                Err(Blocked::ReadOnly("prod".into())),
                "{state:?}"
            );
        }
        assert_eq!(
            Blocked::Decided(DecisionOutcome::Approved).to_string(),
            "already approved here"
        );
    }

    #[test]
    fn a_read_reports_what_it_settled() {
        let mut g = ledger_in(State::Free, true);
        let none = HashSet::new();
        assert_eq!(
            g.listed("staging", &none),
            Settled::default(),
            "another backend's read touches nothing"
        );
        assert_eq!(
            g.listed("prod", &none),
            Settled {
                marks_dropped: 1,
                changed: true
            }
        );
        assert_eq!(g.listed("prod", &none), Settled::default());
    }

    #[test]
    fn a_start_is_remembered_once_per_dialog_and_pipeline() {
        let mut g = Gates::default();
        let p = ItemKey::new("prod", "payments", "deploy");
        let pending = PendingStart {
            pipeline_name: "Deploy".into(),
            secrets: vec!["token".into()],
        };
        g.start_sent(3, p.clone(), pending.clone());
        assert_eq!(g.start_answered(2, p.clone()), None, "another dialog's");
        assert_eq!(g.start_answered(3, p.clone()), Some(pending));
        assert_eq!(g.start_answered(3, p), None, "answered once");
    }
}
