//! Marking gates and deciding them in one batch.
//!
//! The rules that keep a batch safe: marks are gate identities, so refreshes and filters
//! never move them; one confirmation lists every marked gate, hidden ones included and
//! counted; more than one gate needs a typed `yes`; a gate in flight, decided here, or
//! whose last decision has an unknown outcome is never sent again; failed gates stay
//! marked for a retry.

use crossterm::event::{KeyCode, KeyEvent};

use super::dialog::{BatchDialog, Dialog, GateResult};
use super::form::FormEvent;
use super::{App, Effect, FlashLevel, Pane};
use crate::domain::{Approval, BackendError, DecisionAction, DecisionOutcome, ItemKey};
use crate::service::Command;

impl App {
    fn selected_gate_key(&self) -> Option<ItemKey> {
        (self.pane == Pane::Approvals)
            .then(|| self.selected_approval().map(Approval::key))
            .flatten()
    }

    /// `space`: toggles the mark on the selected gate (or pipeline) and moves down.
    pub(super) fn toggle_mark(&mut self) {
        if self.pane == Pane::Pipelines {
            if let Some(key) = self.selected_pipeline().map(|p| p.key())
                && !self.pipeline_marks.remove(&key)
            {
                self.pipeline_marks.insert(key);
            }
            return self.step(1);
        }
        let Some(key) = self.selected_gate_key() else {
            return self.flash(FlashLevel::Info, "marks are for gates: Tab to Approvals");
        };
        self.gates.toggle_mark(key);
        self.step(1);
    }

    /// `V`: marks every shown gate between the last mark and the cursor.
    pub(super) fn mark_range(&mut self) {
        let keys = self.item_keys(Pane::Approvals);
        let (Some(cursor), Some(here)) = (
            self.selected_index(Pane::Approvals),
            self.selected_gate_key(),
        ) else {
            return;
        };
        let from = self
            .gates
            .anchor()
            .and_then(|a| keys.iter().position(|k| k == a))
            .unwrap_or(cursor);
        let (lo, hi) = (from.min(cursor), from.max(cursor));
        self.gates.mark(keys[lo..=hi].iter().cloned());
        self.gates.set_anchor(here);
    }

    /// `*`: marks every gate (or pipeline) the filter shows.
    pub(super) fn mark_all(&mut self) {
        if self.pane == Pane::Pipelines {
            let keys = self.item_keys(Pane::Pipelines);
            return self.pipeline_marks.extend(keys);
        }
        if self.pane != Pane::Approvals {
            return self.flash(FlashLevel::Info, "marks are for gates: Tab to Approvals");
        }
        let keys = self.item_keys(Pane::Approvals);
        self.gates.mark(keys);
    }

    pub(super) fn clear_marks(&mut self) {
        if self.pane == Pane::Pipelines {
            return self.pipeline_marks.clear();
        }
        self.gates.clear_marks();
    }

    /// Why a gate may not be decided now, if it may not.
    pub(super) fn blocked(&self, gate: &Approval) -> Option<String> {
        let read_only = self.is_read_only(&gate.backend);
        self.gates
            .may_decide(gate, read_only)
            .err()
            .map(|why| why.to_string())
    }

    /// `A`/`X`: opens the confirmation for every marked gate.
    pub(super) fn open_batch(&mut self, action: DecisionAction) {
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
        self.dialog = Some(Dialog::Batch(Box::new(BatchDialog::new(
            epoch, action, gates,
        ))));
    }

    pub(super) fn on_batch_key(&mut self, key: KeyEvent, effects: &mut Vec<Effect>) {
        let Some(Dialog::Batch(batch)) = self.dialog.as_mut() else {
            return;
        };
        if batch.results.is_some() {
            // The results stay until read; decisions still in flight complete either way.
            if matches!(key.code, KeyCode::Esc | KeyCode::Enter) {
                self.dialog = None;
            }
            return;
        }
        match batch.form.handle(key) {
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
                Some(why) => results.push(GateResult::Skipped(why)),
                None => {
                    results.push(GateResult::Sent);
                    sends.push((gate.clone(), batch.decision(gate)));
                }
            }
        }
        let epoch = batch.epoch;
        for (gate, decision) in sends {
            self.gates.sent(gate.key());
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
            results[i] = GateResult::Done(result.clone());
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
