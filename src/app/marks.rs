//! Marks: gates for a batch decision, pipelines for a bulk start, executions for a batch
//! control action (`space`, `V`, `*`, `u`). Gate marks live in the gate ledger (`gates.rs`),
//! execution marks in the run ledger (`runs.rs`), so refreshes and filters never move them.

use super::{App, FlashLevel, Pane};
use crate::domain::{Approval, ItemKey};

impl App {
    fn selected_gate_key(&self) -> Option<ItemKey> {
        (self.pane == Pane::Approvals)
            .then(|| self.selected_approval().map(Approval::key))
            .flatten()
    }

    /// `space`: toggles the mark on the selected gate (or pipeline) and moves down.
    pub(super) fn toggle_mark(&mut self) {
        if self.pane == Pane::Pipelines {
            if let Some(key) = self.selected_pipeline().map(|p| p.key()) {
                if !self.pipeline_marks.remove(&key) {
                    self.pipeline_marks.insert(key.clone());
                }
                self.mark_anchor = Some((Pane::Pipelines, key));
            }
            return self.step(1);
        }
        if self.pane == Pane::Executions {
            if let Some(key) = self.selected_execution().map(|e| e.key()) {
                self.runs.toggle_mark(key.clone());
                self.mark_anchor = Some((Pane::Executions, key));
            }
            return self.step(1);
        }
        let Some(key) = self.selected_gate_key() else {
            return self.flash(
                FlashLevel::Info,
                "marks are for gates, executions and pipelines",
            );
        };
        self.gates.toggle_mark(key);
        self.step(1);
    }

    /// `V`: marks every shown row between the last mark and the cursor (gates, executions,
    /// pipelines).
    pub(super) fn mark_range(&mut self) {
        let pane = self.pane;
        if pane == Pane::Audit {
            return self.flash(
                FlashLevel::Info,
                "marks are for gates, executions and pipelines",
            );
        }
        let keys = self.item_keys(pane);
        let Some((cursor, here)) = self
            .selected_index(pane)
            .and_then(|i| Some((i, keys.get(i)?.clone())))
        else {
            return;
        };
        let anchor = match pane {
            Pane::Approvals => self.gates.anchor().cloned(),
            _ => self
                .mark_anchor
                .as_ref()
                .filter(|(p, _)| *p == pane)
                .map(|(_, k)| k.clone()),
        };
        let from = anchor
            .and_then(|a| keys.iter().position(|k| *k == a))
            .unwrap_or(cursor);
        let range = keys[from.min(cursor)..=from.max(cursor)].iter().cloned();
        match pane {
            Pane::Approvals => {
                self.gates.mark(range);
                self.gates.set_anchor(here);
            }
            Pane::Executions => {
                self.runs.mark(range);
                self.mark_anchor = Some((pane, here));
            }
            _ => {
                self.pipeline_marks.extend(range);
                self.mark_anchor = Some((pane, here));
            }
        }
    }

    /// `*`: marks every gate (or pipeline) the filter shows.
    pub(super) fn mark_all(&mut self) {
        if self.pane == Pane::Pipelines {
            let keys = self.item_keys(Pane::Pipelines);
            return self.pipeline_marks.extend(keys);
        }
        if self.pane == Pane::Executions {
            let keys = self.item_keys(Pane::Executions);
            return self.runs.mark(keys);
        }
        if self.pane != Pane::Approvals {
            return self.flash(
                FlashLevel::Info,
                "marks are for gates, executions and pipelines",
            );
        }
        let keys = self.item_keys(Pane::Approvals);
        self.gates.mark(keys);
    }

    pub(super) fn clear_marks(&mut self) {
        if self.pane == Pane::Pipelines {
            return self.pipeline_marks.clear();
        }
        if self.pane == Pane::Executions {
            return self.runs.clear_marks();
        }
        self.gates.clear_marks();
    }
}
