//! The lists on screen: merging one backend's fresh list into everyone's, in the one
//! display order (`domain::order`), and telling the service which row the user is on.

use super::{App, Effect, Pane, RowKey, View};
use crate::domain::Execution;
use crate::service::Command;

impl App {
    /// Tells the service which execution the user is on, and whether its detail is open,
    /// whenever either changes.
    pub(super) fn sync_selection(&mut self, effects: &mut Vec<Effect>) {
        self.keep_detail_on_its_execution();
        // Resolving here also re-anchors cursors whose item vanished. This runs on every
        // message, so a cursor still on its item's row is left alone without building the
        // keys of the whole list.
        for pane in Pane::ALL {
            let settled = self.cursors.get(&pane).is_some_and(|c| {
                c.key()
                    .is_some_and(|k| self.key_at(pane, c.index()).as_ref() == Some(k))
            });
            if !settled {
                let keys = self.keys(pane);
                self.cursors.entry(pane).or_default().resolve(&keys);
            }
        }
        let current = self.current_exec();
        let open = self.view == View::Detail;
        if current == self.selected_exec && open == self.selected_open {
            return;
        }
        if let Some((backend, _)) = &self.selected_exec
            && current.as_ref().is_none_or(|(b, _)| b != backend)
        {
            effects.push(Effect::Send {
                backend: backend.clone(),
                command: Command::Select {
                    exec: None,
                    open: false,
                },
            });
        }
        if let Some((backend, exec)) = &current {
            effects.push(Effect::Send {
                backend: backend.clone(),
                command: Command::Select {
                    exec: Some(exec.clone()),
                    open,
                },
            });
        }
        self.selected_exec = current;
        self.selected_open = open;
    }

    /// The detail opened from a gate stays on that gate's execution when the gate leaves
    /// the Approvals list (decided here or elsewhere, expired): it moves to the execution's
    /// row in Executions rather than to whichever gate took the vanished one's row.
    fn keep_detail_on_its_execution(&mut self) {
        if self.view != View::Detail || self.pane != Pane::Approvals {
            return;
        }
        let Some(Some(RowKey::Item(gate))) = self.cursors.get(&Pane::Approvals).map(|c| c.key())
        else {
            return;
        };
        let index = self.cursors[&Pane::Approvals].index();
        if self.key_at(Pane::Approvals, index) == Some(RowKey::Item(gate.clone()))
            || self.item_keys(Pane::Approvals).contains(gate)
        {
            return;
        }
        let Some((backend, exec)) = self.selected_exec.clone() else {
            return;
        };
        let Some(row) = self
            .executions
            .iter()
            .find(|e| e.backend == backend && e.id == exec.id)
        else {
            return;
        };
        let key = RowKey::Item(row.key());
        self.cursors
            .entry(Pane::Executions)
            .or_default()
            .select(key);
        self.pane = Pane::Executions;
    }

    /// A fresher read of one execution also updates its row in the list; returns whether
    /// the row changed.
    pub(super) fn merge_execution(&mut self, fresh: &Execution) -> bool {
        match self
            .executions
            .iter_mut()
            .find(|e| e.backend == fresh.backend && e.id == fresh.id)
        {
            Some(row) if row != fresh => {
                *row = fresh.clone();
                true
            }
            _ => false,
        }
    }
}

/// Puts `fresh`, one backend's whole list, in place of that backend's rows in `all` (the
/// rows `of_backend` picks) and sorts by `sort`; returns false, leaving `all` as it was,
/// when those rows are the same as before.
pub(super) fn replace_rows<T: PartialEq>(
    all: &mut Vec<T>,
    mut fresh: Vec<T>,
    of_backend: impl Fn(&T) -> bool,
    sort: impl Fn(&mut [T]),
) -> bool {
    // The orders are total, so one backend's rows sorted alone come in the order they
    // take among everyone's.
    sort(&mut fresh);
    if all.iter().filter(|r| of_backend(r)).eq(fresh.iter()) {
        return false;
    }
    all.retain(|r| !of_backend(r));
    all.append(&mut fresh);
    sort(all);
    true
}
