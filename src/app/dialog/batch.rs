//! Marking gates and deciding them in one batch.
//!
//! The rules that keep a batch safe: marks are gate identities, so refreshes and filters
//! never move them; one confirmation lists every marked gate, hidden ones included and
//! counted; more than one gate needs a typed `yes`; a gate in flight, decided here, or
//! whose last decision has an unknown outcome is never sent again; failed gates stay
//! marked for a retry.

use crossterm::event::KeyEvent;

use crate::app::keymap::Action;
use crate::write::{Confirm, Confirming};

use super::{COMMENT, Outcome};
use crate::app::form::{Field, FieldKind, Form, FormEvent};
use crate::app::{App, Dialog, Effect, FlashLevel, Pane};
use crate::domain::{Approval, BackendError, Decision, DecisionAction, DecisionOutcome};
use crate::service::Command;

/// `A`/`X` on marked gates: one confirmation listing every gate, then a result per gate.
#[derive(Debug, Clone)]
pub struct BatchDialog {
    pub epoch: u64,
    pub action: DecisionAction,
    /// The marked gates, in list order, each with whether the filter hides it.
    pub gates: Vec<(Approval, bool)>,
    pub form: Form,
    /// `None` while confirming; then one result per gate.
    pub results: Option<Vec<Outcome<DecisionOutcome>>>,
}

impl BatchDialog {
    pub fn new(
        epoch: u64,
        action: DecisionAction,
        gates: Vec<(Approval, bool)>,
        confirm: Confirm,
    ) -> Self {
        let mut fields = vec![Field::new(COMMENT, FieldKind::Text, "")];
        fields.extend(Field::confirming(confirm));
        let verb = match action {
            DecisionAction::Approve => "Approve",
            DecisionAction::Reject => "Reject",
        };
        let label = format!("{verb} {}", gates.len());
        BatchDialog {
            epoch,
            action,
            gates,
            form: Form::new(fields, label),
            results: None,
        }
    }

    pub fn hidden(&self) -> usize {
        self.gates.iter().filter(|(_, hidden)| *hidden).count()
    }

    /// The decision for one gate: the shared comment, and that gate's own approver-input
    /// defaults (gates differ in their inputs, so a batch never invents values).
    pub fn decision(&self, gate: &Approval) -> Decision {
        let inputs = match self.action {
            DecisionAction::Approve => gate
                .inputs
                .iter()
                .map(|i| (i.name.clone(), i.default.clone()))
                .collect(),
            DecisionAction::Reject => Vec::new(),
        };
        Decision {
            action: self.action,
            comment: self.form.fields[0].value().to_string(),
            inputs,
        }
    }

    pub fn finished(&self) -> bool {
        self.results
            .as_ref()
            .is_some_and(|r| !r.iter().any(Outcome::is_sent))
    }
}

impl App {
    /// Why a gate may not be decided now, if it may not.
    pub(in crate::app) fn blocked(&self, gate: &Approval) -> Option<String> {
        let read_only = self.is_read_only(&gate.backend);
        self.gates
            .may_decide(gate, read_only)
            .err()
            .map(|why| why.to_string())
    }

    /// `A`/`X`: opens the confirmation for every marked gate.
    pub(in crate::app) fn open_batch(&mut self, action: DecisionAction) {
        if self.gates.marks().is_empty() {
            return self.flash(
                FlashLevel::Info,
                "no gates marked (space marks, * marks all)",
            );
        }
        let shown: std::collections::HashSet<usize> =
            self.view(Pane::Approvals).iter().copied().collect();
        let gates: Vec<(Approval, bool)> = self
            .approvals
            .iter()
            .enumerate()
            .filter(|(_, a)| self.gates.is_marked(&a.key()))
            .map(|(i, a)| (a.clone(), !shown.contains(&i)))
            .collect();
        let epoch = self.next_epoch();
        let production = gates
            .iter()
            .filter(|(a, _)| self.writes.is_production(&a.backend))
            .count();
        let confirm = self.writes.confirmation(Confirming::Batch {
            gates: gates.len(),
            production,
        });
        self.dialog = Some(Dialog::Batch(Box::new(BatchDialog::new(
            epoch, action, gates, confirm,
        ))));
    }

    pub(super) fn on_batch_key(
        &mut self,
        action: Option<Action>,
        key: KeyEvent,
        effects: &mut Vec<Effect>,
    ) {
        let Some(Dialog::Batch(batch)) = self.dialog.as_mut() else {
            return;
        };
        if batch.results.is_some() {
            // The results stay until read; decisions still in flight complete either way.
            if matches!(action, Some(Action::Cancel | Action::Confirm)) {
                self.dialog = None;
            }
            return;
        }
        match batch.form.handle(action, key) {
            FormEvent::None => {}
            FormEvent::Cancel => self.dialog = None,
            FormEvent::Confirm => self.send_batch(effects),
        }
    }

    fn send_batch(&mut self, effects: &mut Vec<Effect>) {
        let Some(Dialog::Batch(batch)) = self.dialog.as_ref() else {
            return;
        };
        let mut results = Vec::with_capacity(batch.gates.len());
        let mut sends = Vec::new();
        for (gate, _) in &batch.gates {
            match self.blocked(gate) {
                Some(why) => results.push(Outcome::Skipped(why)),
                None => {
                    // In flight from here on, so a gate listed twice is sent once.
                    self.gates.sent(gate.key());
                    results.push(Outcome::Sent);
                    sends.push((gate.clone(), batch.decision(gate)));
                }
            }
        }
        let epoch = batch.epoch;
        for (gate, decision) in sends {
            effects.push(Effect::Send {
                backend: gate.backend.clone(),
                command: Command::Decide {
                    epoch,
                    approval: Box::new(gate),
                    decision,
                },
            });
        }
        if let Some(Dialog::Batch(batch)) = self.dialog.as_mut() {
            batch.results = Some(results);
        }
    }

    /// Records one gate's outcome in the open batch, if it belongs to it.
    pub(super) fn on_batch_result(
        &mut self,
        epoch: u64,
        gate: &Approval,
        result: &Result<DecisionOutcome, BackendError>,
    ) {
        let Some(Dialog::Batch(batch)) = self.dialog.as_mut() else {
            return;
        };
        if batch.epoch != epoch {
            return;
        }
        let Some(i) = batch.gates.iter().position(|(g, _)| g.key() == gate.key()) else {
            return;
        };
        if let Some(results) = batch.results.as_mut() {
            results[i] = Outcome::Done(result.clone());
        }
        if batch.finished() {
            let results = batch.results.as_deref().unwrap_or_default();
            let ok = results.iter().filter(|r| r.is_ok()).count();
            let level = if ok == results.len() {
                FlashLevel::Success
            } else {
                FlashLevel::Error
            };
            let text = format!(
                "batch {}: {ok} of {} done; failed gates stay marked",
                batch.action.verb(),
                results.len()
            );
            self.flash(level, text);
        }
    }
}
