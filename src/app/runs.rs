//! The run ledger: what this session did to each execution, so a control action (abort,
//! retry, re-run, suspend/resume) is sent at most once per run while one is in flight, and
//! not again while the last one's outcome is unknown. It also holds the marks of the
//! Executions pane, for a batch.
//!
//! | event | in flight | unknown | marked |
//! |---|---|---|---|
//! | [`Runs::sent`] | set | — | — |
//! | [`Runs::answered`] answered, or unknown and the run read again | cleared | — | cleared if done |
//! | [`Runs::answered`] unknown, the run not readable | cleared | set | kept |
//! | [`Runs::read`], [`Runs::listed`] (the run read again) | — | cleared at the second | — |
//! | [`Runs::listed`] (not listed) | — | — | cleared |
//!
//! The first read of the run after an unknown answer may have been sent before the action
//! ended (reads and writes run side by side in the service), so it settles nothing: the
//! second one does.

use std::collections::{HashMap, HashSet};

use crate::backend::Control;
use crate::domain::ItemKey;

/// Actions that may not overlap on one run: abort and terminate are one, as are suspend
/// and resume (each undoes the other).
fn class(action: &Control) -> &'static str {
    match action {
        Control::Abort { .. } => "abort",
        Control::Retry { .. } => "retry",
        Control::Rerun => "rerun",
        Control::Suspend | Control::Resume => "suspend",
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Acting {
    /// Sent, not answered: the pipeline's name, for the audit entry.
    InFlight(String),
    /// `true` until the first read after the answer, which may predate the action.
    Unknown(bool),
}

#[derive(Debug, Clone, Default)]
pub struct Runs {
    marks: HashSet<ItemKey>,
    acting: HashMap<(ItemKey, &'static str), Acting>,
}

impl Runs {
    /// `Ok` if `action` may be sent to the run `key` now; else why not.
    pub fn may_act(&self, key: &ItemKey, action: &Control) -> Result<(), String> {
        match self.acting.get(&(key.clone(), class(action))) {
            None => Ok(()),
            Some(Acting::InFlight(_)) => Err(format!("a {} is already in flight", action.verb())),
            Some(Acting::Unknown(_)) => Err(format!(
                "the last {}'s outcome is unknown; waiting for a fresh read of the run",
                class(action)
            )),
        }
    }

    pub fn sent(&mut self, key: ItemKey, action: &Control, pipeline_name: &str) {
        self.acting
            .insert((key, class(action)), Acting::InFlight(pipeline_name.into()));
    }

    /// The action was answered: `unknown` if it may have acted and the run could not be
    /// read after it. Returns the pipeline's name it was sent with.
    pub fn answered(
        &mut self,
        key: &ItemKey,
        action: &Control,
        done: bool,
        unknown: bool,
    ) -> String {
        let k = (key.clone(), class(action));
        let name = match self.acting.remove(&k) {
            Some(Acting::InFlight(name)) => name,
            _ => String::new(),
        };
        if unknown {
            self.acting.insert(k, Acting::Unknown(true));
        }
        if done {
            self.marks.remove(key);
        }
        name
    }

    /// The run was read again: unknown outcomes on it are settled (at the second read).
    pub fn read(&mut self, key: &ItemKey) {
        self.settle(|k| k == key);
    }

    fn settle(&mut self, read: impl Fn(&ItemKey) -> bool) {
        self.acting.retain(|(k, _), a| match a {
            Acting::Unknown(first) if read(k) => std::mem::replace(first, false),
            _ => true,
        });
    }

    /// `backend` listed its executions: marks of runs no longer listed go, and unknown
    /// outcomes of the listed ones are settled (at the second read).
    pub fn listed(&mut self, backend: &str, listed: &HashSet<ItemKey>) {
        self.marks
            .retain(|k| &*k.backend != backend || listed.contains(k));
        self.settle(|k| listed.contains(k));
    }

    pub fn toggle_mark(&mut self, key: ItemKey) {
        if !self.marks.remove(&key) {
            self.marks.insert(key);
        }
    }

    pub fn mark(&mut self, keys: impl IntoIterator<Item = ItemKey>) {
        self.marks.extend(keys);
    }

    pub fn is_marked(&self, key: &ItemKey) -> bool {
        self.marks.contains(key)
    }

    pub fn marks(&self) -> &HashSet<ItemKey> {
        &self.marks
    }

    pub fn clear_marks(&mut self) {
        self.marks.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_action_per_run_in_flight_and_unknown_waits_for_a_read() {
        let mut runs = Runs::default();
        let key = ItemKey::new("argo", "ns", "wf-1");
        let abort = Control::Abort {
            stage: None,
            terminate: false,
        };
        let terminate = Control::Abort {
            stage: None,
            terminate: true,
        };
        runs.sent(key.clone(), &abort, "Deploy");
        assert!(
            runs.may_act(&key, &terminate)
                .unwrap_err()
                .contains("in flight")
        );
        assert_eq!(runs.may_act(&key, &Control::Rerun), Ok(()));
        assert_eq!(runs.answered(&key, &abort, false, true), "Deploy");
        assert!(runs.may_act(&key, &abort).unwrap_err().contains("unknown"));
        // The first read may have left before the action ended.
        runs.read(&key);
        assert!(runs.may_act(&key, &abort).is_err());
        runs.read(&key);
        assert_eq!(runs.may_act(&key, &abort), Ok(()));
    }
}
