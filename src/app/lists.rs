//! The lists on screen: merging one backend's fresh list into everyone's, in the one
//! display order (`domain::order`).

use super::App;
use crate::domain::Execution;

impl App {
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
