//! The control dialog (`K` abort, `R` retry, `E` re-run, `p` suspend/resume) on the
//! selected execution, or on every marked one as one batch. State, keys and replies; drawn
//! by `ui/dialog/control.rs`.
//!
//! What is offered is the backend's rule (`backend::control::offered`), so the keys, the
//! CLI and the backend agree; the confirmation is the write rule's (`Writes::confirmation`);
//! at most one request per action per run is in flight, and an answer that may have acted
//! blocks that action on that run until the run is read again (the run ledger,
//! `app/runs.rs`).

use crossterm::event::KeyEvent;

use super::{Answer, Outcome};
use crate::app::form::{Field, FieldKind, Form, FormEvent};
use crate::app::keymap::Action;
use crate::app::{App, Dialog, Effect, FlashLevel, Pane};
use crate::backend::control::{offered, rerun_is_a_start};
use crate::backend::{Control, ControlOutcome, RetryStages};
use crate::domain::{BackendError, BackendKind, BackendName, ExecRef, ExecStatus, ItemKey, Status};
use crate::sanitize::clean;
use crate::service::Command;
use crate::write::{Confirm, Confirming, control_label};

/// Field label of Argo's choice between stop and terminate.
pub const HOW: &str = "how";
/// Field label of the Harness retry's starting stages.
pub const FROM: &str = "retry from";
/// Field label of a Harness abort's target: the whole run, or one running stage.
pub const WHAT: &str = "abort";
/// The choice of `abort` that stops the whole run.
pub const WHOLE_RUN: &str = "the whole run";

/// Which key opened the dialog; each run's own action follows from it and the run's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Abort,
    Retry,
    Rerun,
    SuspendResume,
}

impl Verb {
    pub fn title(self) -> &'static str {
        match self {
            Verb::Abort => "Abort",
            Verb::Retry => "Retry",
            Verb::Rerun => "Re-run",
            Verb::SuspendResume => "Suspend / resume",
        }
    }

    /// The title on one run: suspend/resume says which it is.
    pub fn title_for(self, run: &Run) -> &'static str {
        match self {
            Verb::SuspendResume if run.status.status == ExecStatus::Paused => "Resume",
            Verb::SuspendResume => "Suspend",
            other => other.title(),
        }
    }
}

/// One execution the dialog acts on.
#[derive(Debug, Clone)]
pub struct Run {
    pub backend: BackendName,
    pub kind: BackendKind,
    pub exec: ExecRef,
    pub pipeline_name: String,
    pub status: Status,
    /// The filter hides it (batches only).
    pub hidden: bool,
}

impl Run {
    pub fn key(&self) -> ItemKey {
        ItemKey::new(&self.backend, &self.exec.project, &self.exec.id)
    }
}

/// Harness NextGen's `retryStages` for a single retry.
#[derive(Debug, Clone, PartialEq)]
pub enum Stages {
    Loading,
    Loaded(RetryStages),
    Failed(String),
}

/// The words of one run's answer in a results list, built with the action it answers.
#[derive(Debug, Clone, PartialEq)]
pub struct Done(pub String);

impl Answer for Done {
    const SENDING: &'static str = "sending…";

    fn done(result: &Result<Self, BackendError>) -> String {
        match result {
            Ok(Done(words)) => words.clone(),
            Err(e) if e.outcome_unknown() => format!("unknown, re-reading the run: {e}"),
            Err(e) => format!("failed: {e}"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct ControlDialog {
    pub epoch: u64,
    pub verb: Verb,
    pub runs: Vec<Run>,
    /// Opened on marked executions: results are listed per run.
    pub batch: bool,
    pub form: Form,
    /// A single Harness NextGen retry: the stages it may start from.
    pub stages: Option<Stages>,
    /// Sent (single) or one result per run (batch).
    pub sending: bool,
    pub results: Option<Vec<Outcome<Done>>>,
}

impl ControlDialog {
    /// `running_stages`: the stages of a single Harness run that are running now (from its
    /// detail, when read), each of which can be aborted alone.
    pub fn new(
        epoch: u64,
        verb: Verb,
        runs: Vec<Run>,
        batch: bool,
        running_stages: Vec<String>,
        confirm: Confirm,
    ) -> Self {
        let mut fields = Vec::new();
        if verb == Verb::Abort
            && !batch
            && runs[0].kind == BackendKind::Harness
            && !running_stages.is_empty()
        {
            let options = std::iter::once(WHOLE_RUN.to_string())
                .chain(running_stages)
                .collect();
            let mut what = Field::new(WHAT, FieldKind::Choice(options), WHOLE_RUN);
            what.help = Some("←/→: the whole run, or one running stage only".into());
            fields.push(what);
        }
        if verb == Verb::Abort && runs.iter().any(|r| r.kind == BackendKind::Argo) {
            let mut how = Field::new(
                HOW,
                FieldKind::Choice(vec!["stop".into(), "terminate".into()]),
                "stop",
            );
            how.help = Some("←/→: stop runs exit handlers; terminate does not".into());
            fields.push(how);
        }
        let stages = (verb == Verb::Retry && !batch && runs[0].kind == BackendKind::Harness)
            .then_some(Stages::Loading);
        if stages.is_some() {
            let mut from = Field::new(FROM, FieldKind::Choice(Vec::new()), "");
            from.required = true;
            fields.push(from);
        }
        fields.extend(Field::confirming(confirm));
        let label = if batch {
            format!("{} {}", verb.title(), runs.len())
        } else {
            verb.title_for(&runs[0]).into()
        };
        ControlDialog {
            epoch,
            verb,
            runs,
            batch,
            form: Form::new(fields, label),
            stages,
            sending: false,
            results: None,
        }
    }

    /// The action for `run`, from the key, the run's state and the form.
    pub fn action(&self, run: &Run) -> Control {
        let terminate = self.form.value(HOW) == Some("terminate");
        let mut action = Self::action_for(self.verb, run, terminate, self.chosen_stages());
        if let (Control::Abort { stage, .. }, Some(what)) = (&mut action, self.form.value(WHAT))
            && what != WHOLE_RUN
        {
            *stage = Some(what.to_string());
        }
        action
    }

    fn action_for(verb: Verb, run: &Run, terminate: bool, stages: Vec<String>) -> Control {
        match verb {
            Verb::Abort => Control::Abort {
                stage: None,
                terminate: terminate && run.kind == BackendKind::Argo,
            },
            Verb::Retry => Control::Retry { stages },
            Verb::Rerun => Control::Rerun,
            Verb::SuspendResume if run.status.status == ExecStatus::Paused => Control::Resume,
            Verb::SuspendResume => Control::Suspend,
        }
    }

    /// The stages of the group chosen in `retry from`; none (the backend's default) where
    /// nothing is asked.
    fn chosen_stages(&self) -> Vec<String> {
        let (Some(Stages::Loaded(info)), Some(chosen)) = (&self.stages, self.form.value(FROM))
        else {
            return Vec::new();
        };
        info.groups
            .iter()
            .find(|g| group_label(g) == chosen)
            .map(|g| g.iter().map(|s| s.identifier.clone()).collect())
            .unwrap_or_default()
    }

    /// Why the confirm button may not send yet, if it may not.
    fn not_ready(&self) -> Option<String> {
        match &self.stages {
            None => None,
            Some(Stages::Loading) => Some("still reading which stages can be retried".into()),
            Some(Stages::Failed(why)) => Some(why.clone()),
            // Its words, verbatim, are above the form (too long for this line).
            Some(Stages::Loaded(info)) if !info.resumable => {
                Some("Harness refuses this retry (its words above)".into())
            }
            Some(Stages::Loaded(_)) => None,
        }
    }

    pub fn finished(&self) -> bool {
        self.results
            .as_ref()
            .is_some_and(|r| !r.iter().any(Outcome::is_sent))
    }

    pub fn hidden(&self) -> usize {
        self.runs.iter().filter(|r| r.hidden).count()
    }
}

/// How a retry group reads in the `retry from` choice: its stages, with their status.
pub fn group_label(group: &[crate::backend::control::RetryStage]) -> String {
    group
        .iter()
        .map(|s| format!("{} ({})", s.name, s.status))
        .collect::<Vec<_>>()
        .join(" + ")
}

impl App {
    fn run_of(&self, e: &crate::domain::Execution, hidden: bool) -> Option<Run> {
        Some(Run {
            backend: e.backend.clone(),
            kind: self.backend(&e.backend)?.kind,
            exec: e.exec_ref(),
            pipeline_name: e.pipeline_name.clone(),
            status: e.status.clone(),
            hidden,
        })
    }

    /// Why `verb` cannot act on `run` now, if it cannot: the backend's rule, the write
    /// rule, then the ledger.
    fn control_blocked(&self, run: &Run, action: &Control) -> Option<String> {
        if let Err(why) = offered(run.kind, action, run.status.status) {
            return Some(why);
        }
        if let Err(e) = self.writes.check(&run.backend) {
            return Some(e.to_string());
        }
        self.runs.may_act(&run.key(), action).err()
    }

    /// `K`, `R`, `E`, `p`: the dialog for the marked executions (in the Executions pane,
    /// when any is marked), else for the selected one. A run the action is not offered on
    /// is refused with the reason, in one line.
    pub(in crate::app) fn open_control(&mut self, verb: Verb, effects: &mut Vec<Effect>) {
        if self.pane == Pane::Executions && !self.runs.marks().is_empty() {
            return self.open_control_batch(verb);
        }
        let Some((execution, run)) = self
            .current_execution()
            .and_then(|e| Some((e.clone(), self.run_of(&e, false)?)))
        else {
            return self.flash(FlashLevel::Info, "no execution selected");
        };
        let epoch = self.next_epoch();
        let confirm = self.writes.confirmation(Confirming::Control {
            backend: &run.backend,
            pipeline_name: &run.pipeline_name,
        });
        // The stages running now, as the run's detail (when read) shows them.
        let running_stages = self
            .current_detail()
            .and_then(|d| d.result.as_ref().ok())
            .map(|d| {
                d.stages
                    .iter()
                    .filter(|s| s.status.status.is_active())
                    .map(|s| s.name.clone())
                    .collect()
            })
            .unwrap_or_default();
        let dialog = ControlDialog::new(
            epoch,
            verb,
            vec![run.clone()],
            false,
            running_stages,
            confirm,
        );
        // Argo's stop is checked as an abort: terminate is offered where stop is.
        if let Some(why) = self.control_blocked(&run, &dialog.action(&run)) {
            return self.flash(
                FlashLevel::Error,
                format!("{}: {why}", verb.title().to_lowercase()),
            );
        }
        if verb == Verb::Rerun && rerun_is_a_start(run.kind) {
            return self.open_rerun_form(&execution, effects);
        }
        if dialog.stages.is_some() {
            effects.push(Effect::Send {
                backend: run.backend.clone(),
                command: Command::RetryStages {
                    epoch,
                    exec: run.exec.clone(),
                },
            });
        }
        self.dialog = Some(Dialog::Control(Box::new(dialog)));
    }

    fn open_control_batch(&mut self, verb: Verb) {
        let shown: std::collections::HashSet<usize> =
            self.view(Pane::Executions).iter().copied().collect();
        let runs: Vec<Run> = self
            .executions
            .iter()
            .enumerate()
            .filter(|(_, e)| self.runs.is_marked(&e.key()))
            .filter_map(|(i, e)| self.run_of(e, !shown.contains(&i)))
            .collect();
        let production = runs
            .iter()
            .filter(|r| self.writes.is_production(&r.backend))
            .count();
        let confirm = self.writes.confirmation(Confirming::ControlBatch {
            executions: runs.len(),
            production,
        });
        let epoch = self.next_epoch();
        let dialog = ControlDialog::new(epoch, verb, runs, true, Vec::new(), confirm);
        if dialog
            .runs
            .iter()
            .all(|r| self.control_blocked(r, &dialog.action(r)).is_some())
        {
            let why = dialog
                .runs
                .first()
                .and_then(|r| self.control_blocked(r, &dialog.action(r)))
                .unwrap_or_default();
            return self.flash(
                FlashLevel::Error,
                format!(
                    "{}: no marked execution allows it ({why})",
                    verb.title().to_lowercase()
                ),
            );
        }
        self.dialog = Some(Dialog::Control(Box::new(dialog)));
    }

    /// The control keys the footer offers: those the backend and the run's state allow on
    /// the selected execution, or on any marked one.
    pub(in crate::app) fn control_offers(&self) -> Vec<Action> {
        let runs: Vec<Run> = if self.runs.marks().is_empty() {
            self.current_execution()
                .and_then(|e| self.run_of(&e, false))
                .into_iter()
                .collect()
        } else {
            self.executions
                .iter()
                .filter(|e| self.runs.is_marked(&e.key()))
                .filter_map(|e| self.run_of(e, false))
                .collect()
        };
        [
            (Action::Abort, Verb::Abort),
            (Action::Retry, Verb::Retry),
            (Action::Rerun, Verb::Rerun),
            (Action::SuspendResume, Verb::SuspendResume),
        ]
        .into_iter()
        .filter(|(_, verb)| {
            runs.iter().any(|r| {
                let action = ControlDialog::action_for(*verb, r, false, Vec::new());
                offered(r.kind, &action, r.status.status).is_ok()
                    && !self.writes.is_read_only(&r.backend)
            })
        })
        .map(|(a, _)| a)
        .collect()
    }

    /// The execution the current pane points at, as listed.
    fn current_execution(&self) -> Option<crate::domain::Execution> {
        let (backend, exec) = self.current_exec()?;
        self.executions
            .iter()
            .find(|e| e.backend == backend && e.project == exec.project && e.id == exec.id)
            .cloned()
    }

    pub(super) fn on_control_key(
        &mut self,
        action: Option<Action>,
        key: KeyEvent,
        effects: &mut Vec<Effect>,
    ) {
        let Some(Dialog::Control(d)) = self.dialog.as_mut() else {
            return;
        };
        if d.results.is_some() {
            if matches!(action, Some(Action::Cancel | Action::Confirm)) {
                self.dialog = None;
            }
            return;
        }
        if d.sending {
            return;
        }
        // Before the form's own checks: the backend's refusal says more than "required".
        if action == Some(Action::Confirm)
            && d.form.focus == crate::app::Focus::Confirm
            && let Some(why) = d.not_ready()
        {
            d.form.problem = Some(why);
            return;
        }
        match d.form.handle(action, key) {
            FormEvent::None => {}
            FormEvent::Cancel => self.dialog = None,
            FormEvent::Confirm => self.send_control(effects),
        }
    }

    fn send_control(&mut self, effects: &mut Vec<Effect>) {
        let Some(Dialog::Control(d)) = self.dialog.as_ref() else {
            return;
        };
        let mut results = Vec::with_capacity(d.runs.len());
        let mut sends = Vec::new();
        for run in &d.runs {
            let action = d.action(run);
            match self.control_blocked(run, &action) {
                Some(why) => results.push(Outcome::Skipped(why)),
                None => {
                    // In flight from here on, so a run listed twice is sent once.
                    self.runs.sent(run.key(), &action, &run.pipeline_name);
                    results.push(Outcome::Sent);
                    sends.push((run.clone(), action));
                }
            }
        }
        let (epoch, batch) = (d.epoch, d.batch);
        for (run, action) in sends {
            effects.push(Effect::Send {
                backend: run.backend.clone(),
                command: Command::Control {
                    epoch,
                    exec: run.exec,
                    action,
                },
            });
        }
        let Some(Dialog::Control(d)) = self.dialog.as_mut() else {
            return;
        };
        if batch {
            d.results = Some(results);
        } else if let Some(Outcome::Skipped(why)) = results.pop() {
            // Checked when it opened; the run changed since (a refresh, another action).
            d.form.problem = Some(why);
        } else {
            d.sending = true;
        }
    }

    /// The stages a Harness retry may start from, for the dialog opened at `epoch`.
    pub(super) fn on_retry_stages(&mut self, result: Result<RetryStages, BackendError>) {
        let Some(Dialog::Control(d)) = self.dialog.as_mut() else {
            return;
        };
        let stages = match result {
            Ok(info) => {
                let options: Vec<String> = info.groups.iter().map(|g| group_label(g)).collect();
                let default = info.default_stages();
                let chosen = info
                    .groups
                    .iter()
                    .find(|g| g.iter().map(|s| &s.identifier).eq(default.iter()))
                    .map(|g| group_label(g))
                    .or_else(|| options.first().cloned())
                    .unwrap_or_default();
                if let Some(field) = d.form.fields.iter_mut().find(|f| f.label == FROM) {
                    field.kind = FieldKind::Choice(options);
                    field.input = tui_input::Input::new(chosen);
                    field.help = Some("←/→: the group of stages the retry starts from".into());
                }
                Stages::Loaded(info)
            }
            Err(e) => Stages::Failed(e.to_string()),
        };
        d.stages = Some(stages);
    }

    /// One run's answer (the audit log and the ledger have it already).
    pub(super) fn on_control_result(
        &mut self,
        epoch: u64,
        exec: &ExecRef,
        action: &Control,
        result: &Result<ControlOutcome, BackendError>,
        after: Option<&Result<String, String>>,
    ) {
        let Some(Dialog::Control(d)) = self.dialog.as_mut() else {
            return;
        };
        if d.epoch != epoch {
            return;
        }
        let words = result.clone().map(|o| Done(control_label(action, &o)));
        let unknown = |e: &BackendError| {
            let now = match after {
                Some(Ok(status)) => format!("it now reads {}", clean(status)),
                _ => "it could not be read; not sent again until it is".into(),
            };
            format!("outcome unknown ({e}): {now}")
        };
        if !d.batch {
            self.dialog = None;
            let name = clean(&exec.id).into_owned();
            return match (&words, result) {
                (Ok(Done(w)), Ok(o)) if o.pending.is_some() => self.flash(
                    FlashLevel::Error,
                    format!(
                        "{name}: {w}: {}",
                        clean(o.pending.as_deref().unwrap_or_default())
                    ),
                ),
                (Ok(Done(w)), _) => self.flash(FlashLevel::Success, format!("{name}: {w}")),
                (_, Err(e)) if e.outcome_unknown() => self.flash(
                    FlashLevel::Error,
                    format!("{} {name}: {}", action.verb(), unknown(e)),
                ),
                (_, Err(e)) => self.flash(
                    FlashLevel::Error,
                    format!("{} failed: {name}: {e}", action.verb()),
                ),
                (Err(_), Ok(_)) => {}
            };
        }
        let Some(i) = d.runs.iter().position(|r| r.exec == *exec) else {
            return;
        };
        if let Some(results) = d.results.as_mut() {
            results[i] = Outcome::Done(words);
        }
        if d.finished() {
            let results = d.results.as_deref().unwrap_or_default();
            let ok = results.iter().filter(|r| r.is_ok()).count();
            let level = if ok == results.len() {
                FlashLevel::Success
            } else {
                FlashLevel::Error
            };
            let text = format!(
                "batch {}: {ok} of {} done; the others stay marked",
                d.verb.title().to_lowercase(),
                results.len()
            );
            self.flash(level, text);
        }
    }
}
