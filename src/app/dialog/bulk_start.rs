//! Starting several marked pipelines together with one shared set of inputs (the same
//! build number for every service, say), with the same safety as a batch decision: every
//! pipeline listed, the exact request shown, a typed `yes`, and a result per pipeline.

use std::collections::HashMap;

use crossterm::event::KeyEvent;

use crate::app::keymap::Action;
use crate::write::{Confirm, Confirming};

use super::Outcome;
use crate::app::Dialog;
use crate::app::form::{Field, FieldKind, Focus, Form, FormEvent, NOTES, variable_field};
use crate::app::{App, Effect, FlashLevel};
use crate::domain::RequestPreview;
use crate::domain::{
    BackendError, ItemKey, Pipeline, StartForm, StartRequest, StartResult, VarKind,
};
use crate::service::Command;

#[derive(Debug, Clone)]
pub struct BulkStartDialog {
    pub epoch: u64,
    pub pipelines: Vec<Pipeline>,
    /// Each pipeline's own inputs, as they load.
    pub forms: Vec<Option<Result<StartForm, String>>>,
    /// The shared form, once every pipeline's inputs are known.
    pub form: Option<Form>,
    /// Each pipeline's exact request, asked when the confirm button gets focus.
    pub previews: Vec<Option<Result<RequestPreview, String>>>,
    previews_for: Option<Vec<(String, String)>>,
    pub results: Option<Vec<Outcome<StartResult>>>,
}

fn key(p: &Pipeline) -> ItemKey {
    p.key()
}

impl BulkStartDialog {
    fn new(epoch: u64, pipelines: Vec<Pipeline>) -> Self {
        let n = pipelines.len();
        BulkStartDialog {
            epoch,
            pipelines,
            forms: vec![None; n],
            form: None,
            previews: vec![None; n],
            previews_for: None,
            results: None,
        }
    }

    pub fn loading(&self) -> usize {
        self.forms.iter().filter(|f| f.is_none()).count()
    }

    /// One field per variable name across all pipelines: required if any pipeline requires
    /// it without a default, prefilled only where every pipeline declaring it agrees.
    fn build_form(&mut self, confirm: Confirm) {
        let mut order: Vec<String> = Vec::new();
        let mut specs: HashMap<String, Vec<&crate::domain::VariableSpec>> = HashMap::new();
        for form in self.forms.iter().flatten().flatten() {
            for v in &form.variables {
                if !specs.contains_key(&v.name) {
                    order.push(v.name.clone());
                }
                specs.entry(v.name.clone()).or_default().push(v);
            }
        }
        let mut fields: Vec<Field> = order
            .iter()
            .map(|name| {
                let declared = &specs[name];
                let mut field = variable_field(declared[0]);
                let defaults: Vec<&Option<String>> = declared.iter().map(|v| &v.default).collect();
                if defaults.iter().any(|d| *d != defaults[0]) {
                    field.input = tui_input::Input::default();
                }
                field.required = declared.iter().any(|v| v.required && v.default.is_none());
                let users = declared.len();
                if users < self.pipelines.len() {
                    field.help = Some(format!(
                        "used by {users} of {} pipelines",
                        self.pipelines.len()
                    ));
                }
                field
            })
            .collect();
        fields.extend(Field::confirming(confirm));
        fields.push(Field::new(NOTES, FieldKind::Text, ""));
        self.form = Some(Form::new(fields, format!("Start {}", self.pipelines.len())));
    }

    /// The shared values, as typed (notes and confirmations excluded).
    fn values(form: &Form) -> Vec<(String, String)> {
        let Some((_, variables)) = form.fields.split_last() else {
            return Vec::new();
        };
        variables
            .iter()
            .filter(|f| f.expect.is_none() && !f.value().is_empty())
            .map(|f| (f.label.clone(), f.value().to_string()))
            .collect()
    }

    /// The request for pipeline `i`: only the shared values its own form declares.
    fn request(&self, i: usize, form: &Form) -> StartRequest {
        let p = &self.pipelines[i];
        let declared: Vec<&str> = match &self.forms[i] {
            Some(Ok(f)) => f.variables.iter().map(|v| v.name.as_str()).collect(),
            _ => Vec::new(),
        };
        let notes = form
            .fields
            .last()
            .map(Field::value)
            .filter(|n| !n.trim().is_empty());
        StartRequest {
            project: p.project.clone(),
            pipeline_id: p.id.clone(),
            values: Self::values(form)
                .into_iter()
                .filter(|(name, _)| declared.contains(&name.as_str()))
                .collect(),
            notes: notes.map(str::to_string),
        }
    }

    /// Names of secret-typed variables of pipeline `i`, masked in the audit log.
    fn secrets(&self, i: usize) -> Vec<String> {
        match &self.forms[i] {
            Some(Ok(f)) => f
                .variables
                .iter()
                .filter(|v| v.kind == VarKind::Secret)
                .map(|v| v.name.clone())
                .collect(),
            _ => Vec::new(),
        }
    }

    pub fn finished(&self) -> bool {
        self.results
            .as_ref()
            .is_some_and(|r| !r.iter().any(Outcome::is_sent))
    }
}

impl App {
    /// `s` with pipelines marked: one form for all of them.
    pub(in crate::app) fn open_bulk_start(&mut self, effects: &mut Vec<Effect>) {
        let pipelines: Vec<Pipeline> = self
            .pipelines
            .iter()
            .filter(|p| self.pipeline_marks.contains(&key(p)))
            .cloned()
            .collect();
        let epoch = self.next_epoch();
        for p in &pipelines {
            effects.push(Effect::Send {
                backend: p.backend.clone(),
                command: Command::LoadStartForm {
                    epoch,
                    project: p.project.clone(),
                    pipeline_id: p.id.clone(),
                },
            });
        }
        let dialog = BulkStartDialog::new(epoch, pipelines);
        self.dialog = Some(Dialog::BulkStart(Box::new(dialog)));
    }

    fn bulk(&mut self, epoch: u64) -> Option<&mut BulkStartDialog> {
        match self.dialog.as_mut() {
            Some(Dialog::BulkStart(b)) if b.epoch == epoch => Some(b),
            _ => None,
        }
    }

    /// A pipeline's inputs arrived; `true` if they were this dialog's.
    pub(super) fn on_bulk_form(
        &mut self,
        epoch: u64,
        backend: &str,
        project: &str,
        pipeline_id: &str,
        result: &Result<StartForm, BackendError>,
    ) -> bool {
        let Some(bulk) = self.bulk(epoch) else {
            return false;
        };
        let Some(i) = bulk
            .pipelines
            .iter()
            .position(|p| &*p.backend == backend && p.project == project && p.id == pipeline_id)
        else {
            return true;
        };
        bulk.forms[i] = Some(result.clone().map_err(|e| e.to_string()));
        if bulk.loading() == 0 && bulk.form.is_none() {
            let pipelines = bulk.pipelines.len();
            let confirm = self
                .writes
                .confirmation(Confirming::BulkStart { pipelines });
            if let Some(bulk) = self.bulk(epoch) {
                bulk.build_form(confirm);
            }
        }
        true
    }

    pub(super) fn on_bulk_preview(
        &mut self,
        epoch: u64,
        backend: &str,
        request: &StartRequest,
        result: Result<RequestPreview, String>,
    ) -> bool {
        let Some(bulk) = self.bulk(epoch) else {
            return false;
        };
        if let Some(i) = bulk.pipelines.iter().position(|p| {
            &*p.backend == backend && p.project == request.project && p.id == request.pipeline_id
        }) {
            bulk.previews[i] = Some(result);
        }
        true
    }

    pub(super) fn on_bulk_started(
        &mut self,
        epoch: u64,
        backend: &str,
        request: &StartRequest,
        result: &Result<StartResult, BackendError>,
    ) -> bool {
        let Some(bulk) = self.bulk(epoch) else {
            return false;
        };
        let Some(i) = bulk.pipelines.iter().position(|p| {
            &*p.backend == backend && p.project == request.project && p.id == request.pipeline_id
        }) else {
            return true;
        };
        if let Some(results) = bulk.results.as_mut() {
            results[i] = Outcome::Done(result.clone());
        }
        // Started pipelines leave the marks, and so do those that may have started (their
        // outcome is unknown: another try could start them twice); failed ones stay marked
        // for another try.
        let started = result
            .as_ref()
            .map_or_else(|e| e.outcome_unknown(), |_| true)
            .then(|| key(&bulk.pipelines[i]));
        let finished = bulk.finished();
        if let Some(k) = started {
            self.pipeline_marks.remove(&k);
        }
        let Some(bulk) = self.bulk(epoch) else {
            return true;
        };
        if finished {
            let results = bulk.results.as_deref().unwrap_or_default();
            let ok = results.iter().filter(|r| r.is_ok()).count();
            let total = results.len();
            let level = if ok == total {
                FlashLevel::Success
            } else {
                FlashLevel::Error
            };
            self.flash(level, format!("started {ok} of {total} pipelines"));
        }
        true
    }

    pub(super) fn on_bulk_key(
        &mut self,
        action: Option<Action>,
        key: KeyEvent,
        effects: &mut Vec<Effect>,
    ) {
        let Some(Dialog::BulkStart(bulk)) = self.dialog.as_mut() else {
            return;
        };
        if bulk.results.is_some() || bulk.form.is_none() {
            if matches!(action, Some(Action::Cancel | Action::Confirm)) {
                self.dialog = None;
            }
            return;
        }
        let Some(form) = bulk.form.as_mut() else {
            return;
        };
        match form.handle(action, key) {
            FormEvent::Cancel => self.dialog = None,
            FormEvent::None => {
                let values = BulkStartDialog::values(form);
                if form.focus == Focus::Confirm && bulk.previews_for.as_ref() != Some(&values) {
                    bulk.previews_for = Some(values);
                    let form = form.clone();
                    for i in 0..bulk.pipelines.len() {
                        bulk.previews[i] = None;
                        effects.push(Effect::Send {
                            backend: bulk.pipelines[i].backend.clone(),
                            command: Command::Preview {
                                epoch: bulk.epoch,
                                request: bulk.request(i, &form),
                            },
                        });
                    }
                }
            }
            FormEvent::Confirm => {
                let form = form.clone();
                self.send_bulk(&form, effects);
            }
        }
    }

    fn send_bulk(&mut self, form: &Form, effects: &mut Vec<Effect>) {
        let Some(Dialog::BulkStart(bulk)) = self.dialog.as_ref() else {
            return;
        };
        let mut results = Vec::new();
        let mut pending = Vec::new();
        for (i, p) in bulk.pipelines.iter().enumerate() {
            if self.is_read_only(&p.backend) {
                results.push(Outcome::Skipped(format!("{} is read-only", p.backend)));
                continue;
            }
            if let Some(Err(e)) = &bulk.forms[i] {
                results.push(Outcome::Skipped(format!("inputs did not load: {e}")));
                continue;
            }
            let request = bulk.request(i, form);
            results.push(Outcome::Sent);
            pending.push((p.clone(), request, bulk.secrets(i)));
        }
        let epoch = bulk.epoch;
        for (p, request, secrets) in pending {
            let pending = crate::app::PendingStart {
                pipeline_name: p.name.clone(),
                secrets,
            };
            self.gates.start_sent(epoch, key(&p), pending);
            effects.push(Effect::Send {
                backend: p.backend.clone(),
                command: Command::Start { epoch, request },
            });
        }
        if let Some(Dialog::BulkStart(bulk)) = self.dialog.as_mut() {
            bulk.results = Some(results);
        }
    }
}
