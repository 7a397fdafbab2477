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
            if let Some(key) = self.selected_pipeline().map(|p| p.key())
                && !self.pipeline_marks.remove(&key)
            {
                self.pipeline_marks.insert(key);
            }
            return self.step(1);
        }
        if self.pane == Pane::Executions {
            if let Some(key) = self.selected_execution().map(|e| e.key()) {
                self.runs.toggle_mark(key);
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
