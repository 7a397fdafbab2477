//! What deserves a notification: a gate that starts waiting, and the end of an execution the
//! user follows (one they started here, or marked with `w`). Each flashes on the status line
//! and, as `[ui]` says, rings the bell or raises a desktop notification (an `Effect::Notify`
//! that `tui.rs` writes out).
//!
//! The first read of a backend's gates is the baseline: what was already waiting when the
//! dashboard opened is not news.

use std::collections::HashSet;

use super::{App, Effect, FlashLevel, Pane};
use crate::alert::{Channel, Notice};
use crate::domain::{Approval, BackendName, ExecStatus, Execution, ItemKey};
use crate::sanitize::clean;

/// How notifications reach the user beyond the status line (`[ui] bell`, `[ui] desktop`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Alerts {
    pub bell: bool,
    pub desktop: Option<Channel>,
}

/// An execution, by backend and id: the project a start request names may be spelt
/// differently from the one the backend reports on the execution.
pub type Followed = (BackendName, String);

impl App {
    /// Compares a fresh list of `backend`'s gates with the previous one.
    pub(super) fn watch_gates(
        &mut self,
        backend: &BackendName,
        list: &[Approval],
        effects: &mut Vec<Effect>,
    ) {
        let fresh: HashSet<ItemKey> = list.iter().map(Approval::key).collect();
        let Some(before) = self.gates_seen.insert(backend.clone(), fresh.clone()) else {
            return;
        };
        self.watch_gates_gone(&before, &fresh, effects);
        let new: Vec<&Approval> = list.iter().filter(|a| !before.contains(&a.key())).collect();
        let Some(first) = new.first() else {
            return;
        };
        let what = gate_name(first);
        let (title, body) = match new.len() {
            1 => ("gate waiting".to_string(), what),
            n => (
                format!("{n} gates waiting"),
                format!("{what} and {} more", n - 1),
            ),
        };
        self.notify(FlashLevel::Info, title, body, effects);
    }

    /// A gate that leaves the list without a decision from here is news too: it expired, or
    /// someone else decided it (or its run was aborted). It must not just vanish. Called
    /// before the fresh list replaces the shown one, which still holds the gates gone.
    fn watch_gates_gone(
        &mut self,
        before: &HashSet<ItemKey>,
        fresh: &HashSet<ItemKey>,
        effects: &mut Vec<Effect>,
    ) {
        let now = self.now;
        let gone: Vec<(String, bool, bool)> = self
            .approvals
            .iter()
            .filter(|a| {
                let key = a.key();
                before.contains(&key) && !fresh.contains(&key) && self.gates.decided(&key).is_none()
            })
            .map(|a| {
                let key = a.key();
                let ours = self.gates.is_in_flight(&key) || self.gates.is_unknown(&key);
                let expired = a.deadline.is_some_and(|d| d <= now);
                (gate_name(a), expired, ours)
            })
            .collect();
        let Some((what, expired, ours)) = gone.first().cloned() else {
            return;
        };
        let title = match (gone.len(), expired, ours) {
            (1, _, true) => "gate no longer waiting (your decision's outcome was unclear)".into(),
            (1, true, _) => "gate expired".to_string(),
            (1, false, _) => "gate no longer waiting (decided elsewhere, or its run ended)".into(),
            (n, _, _) => format!("{n} gates no longer waiting (expired or decided elsewhere)"),
        };
        let body = match gone.len() {
            1 => what,
            n => format!("{what} and {} more", n - 1),
        };
        self.notify(FlashLevel::Info, title, body, effects);
    }

    /// Notifies for every followed execution in `list` that has ended, and stops following it.
    pub(super) fn watch_executions(&mut self, list: &[Execution], effects: &mut Vec<Effect>) {
        for e in list {
            if !e.status.status.is_terminal() || !self.followed.remove(&followed(e)) {
                continue;
            }
            let run = e.run_number.map(|n| format!(" #{n}")).unwrap_or_default();
            let body = format!(
                "{}{run} ({}): {}",
                clean(&e.pipeline_name),
                e.backend,
                e.status.status.label()
            );
            let (level, title) = match e.status.status {
                ExecStatus::Succeeded => (FlashLevel::Success, "finished"),
                ExecStatus::Failed => (FlashLevel::Error, "failed"),
                _ => (FlashLevel::Error, "ended"),
            };
            self.notify(level, title.to_string(), body, effects);
        }
    }

    /// `w`: follow the current execution, or stop following it.
    pub(super) fn toggle_follow(&mut self) {
        let exec = match self.pane {
            Pane::Executions => self.selected_execution().cloned(),
            Pane::Approvals => self.selected_approval().and_then(|a| {
                self.executions
                    .iter()
                    .find(|e| e.backend == a.backend && e.id == a.execution_id)
                    .cloned()
            }),
            Pane::Pipelines | Pane::Audit => None,
        };
        let Some(e) = exec else {
            return self.flash(FlashLevel::Info, "select an execution to follow");
        };
        let name = clean(&e.pipeline_name).into_owned();
        if self.followed.remove(&followed(&e)) {
            self.flash(FlashLevel::Info, format!("no longer following {name}"));
        } else if e.status.status.is_terminal() {
            self.flash(FlashLevel::Info, format!("{name} has already ended"));
        } else {
            self.followed.insert(followed(&e));
            self.flash(
                FlashLevel::Info,
                format!("following {name}: you will be told when it ends"),
            );
        }
    }

    pub(super) fn follow(&mut self, backend: &BackendName, execution_id: &str) {
        self.followed
            .insert((backend.clone(), execution_id.to_string()));
    }

    pub fn is_followed(&self, e: &Execution) -> bool {
        self.followed.contains(&followed(e))
    }

    fn notify(
        &mut self,
        level: FlashLevel,
        title: String,
        body: String,
        effects: &mut Vec<Effect>,
    ) {
        self.flash(level, format!("{title}: {body}"));
        if self.alerts.bell || self.alerts.desktop.is_some() {
            effects.push(Effect::Notify(Notice {
                title,
                body,
                bell: self.alerts.bell,
                desktop: self.alerts.desktop,
            }));
        }
    }
}

/// `Deploy API · Approve prod / Release sign-off (payments)`
fn gate_name(a: &Approval) -> String {
    format!(
        "{} · {} / {} ({})",
        clean(&a.pipeline_name),
        clean(&a.stage),
        clean(&a.step),
        a.backend
    )
}

fn followed(e: &Execution) -> Followed {
    (e.backend.clone(), e.id.clone())
}
