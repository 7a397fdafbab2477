//! Sorting a pane by a column of the user's choice (`o` cycles the column, `O` reverses).
//! The orders themselves live in `domain::order`; here is which column each pane is sorted
//! by, and the view built in that order. The lists stay in the default order: a sort only
//! reorders the rows shown, and the cursor follows its item wherever the row goes.

use super::{App, FlashLevel, Pane};
use crate::domain::order::{self, Column, LastRun};

/// The sort in force on one pane: an index into its [`columns`], and whether reversed.
/// Column 0 not reversed is the default order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sort {
    pub column: usize,
    pub reversed: bool,
}

impl Sort {
    pub fn is_default(&self) -> bool {
        *self == Sort::default()
    }
}

/// The columns `pane` can be sorted by, its default first; the Audit log has one order.
pub fn columns(pane: Pane) -> &'static [Column] {
    match pane {
        Pane::Pipelines => order::PIPELINE_COLUMNS,
        Pane::Executions => order::EXECUTION_COLUMNS,
        Pane::Approvals => order::APPROVAL_COLUMNS,
        Pane::Audit => &[],
    }
}

impl App {
    pub fn sort(&self, pane: Pane) -> Sort {
        self.sorts[pane.index()]
    }

    /// The column `pane` is sorted by.
    pub fn sort_column(&self, pane: Pane) -> Option<Column> {
        columns(pane).get(self.sort(pane).column).copied()
    }

    /// What the pane's title says of its order: nothing for the default one.
    pub fn sort_label(&self, pane: Pane) -> Option<String> {
        let sort = self.sort(pane);
        if sort.is_default() {
            return None;
        }
        let column = self.sort_column(pane)?;
        Some(if sort.reversed {
            format!("sort: {} reversed", column.label())
        } else {
            format!("sort: {}", column.label())
        })
    }

    /// `o`: the next column (after the last, the default order again), not reversed.
    pub(super) fn cycle_sort(&mut self) {
        let n = columns(self.pane).len();
        if n == 0 {
            return self.flash(FlashLevel::Info, "the audit log is shown newest first");
        }
        let sort = &mut self.sorts[self.pane.index()];
        *sort = Sort {
            column: (sort.column + 1) % n,
            reversed: false,
        };
        self.sorted();
    }

    /// `O`: the same column the other way round.
    pub(super) fn reverse_sort(&mut self) {
        if columns(self.pane).is_empty() {
            return self.flash(FlashLevel::Info, "the audit log is shown newest first");
        }
        let sort = &mut self.sorts[self.pane.index()];
        sort.reversed = !sort.reversed;
        self.sorted();
    }

    fn sorted(&mut self) {
        // The rows move under a cursor that rested on the first row: it stays on its item.
        if let Some(cursor) = self.cursors.get_mut(&self.pane) {
            cursor.hold();
        }
        self.mark_views_stale();
    }

    /// Puts `view` (indices into the pane's list, in the default order) in the order the
    /// pane's sort asks for. Ties keep the default order, reversed or not.
    pub(super) fn sort_view(&self, pane: Pane, view: &mut [usize]) {
        let sort = self.sort(pane);
        if sort.is_default() {
            return;
        }
        if sort.column == 0 {
            view.reverse();
            return;
        }
        let Some(column) = self.sort_column(pane) else {
            return;
        };
        let flip = |o: std::cmp::Ordering| if sort.reversed { o.reverse() } else { o };
        match pane {
            Pane::Approvals => view.sort_by(|&i, &j| {
                flip(order::approvals_by(
                    column,
                    &self.approvals[i],
                    &self.approvals[j],
                ))
            }),
            Pane::Executions => view.sort_by(|&i, &j| {
                flip(order::executions_by(
                    column,
                    &self.executions[i],
                    &self.executions[j],
                ))
            }),
            Pane::Pipelines => {
                let with_last = |i: usize| {
                    let p = &self.pipelines[i];
                    (p, self.last_run(p))
                };
                view.sort_by(|&i, &j| flip(order::pipelines_by(column, with_last(i), with_last(j))))
            }
            Pane::Audit => {}
        }
    }

    /// What the LAST RUN and WHEN columns show for `p`: the backend's report, else the
    /// newest run listed.
    pub fn last_run(&self, p: &crate::domain::Pipeline) -> Option<LastRun> {
        match (&p.last_status, self.last_seen_run(p)) {
            (Some(s), _) => Some(LastRun {
                status: s.status,
                at: p.last_run,
            }),
            (None, Some(e)) => Some(LastRun {
                status: e.status.status,
                at: e.started,
            }),
            (None, None) => None,
        }
    }
}
