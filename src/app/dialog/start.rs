//! The start dialog (`s`): the pipeline's inputs as a form, the exact request shown before
//! the confirm button, and the reply. State, keys and replies; drawn by `ui/dialog/start.rs`.
//!
//! It is also the re-run (`E`) of a run on a backend with no rerun of its own
//! (`backend::control::rerun_is_a_start`): the form of the run's pipeline, pre-filled with
//! the inputs the run was started with, as far as the backend can tell.

use crossterm::event::KeyEvent;

use crate::app::keymap::Action;
use crate::write::{Confirm, Confirming};

use crate::app::form::{Field, FieldKind, Focus, Form, FormEvent, NOTES, variable_field};
use crate::app::{App, Dialog, Effect, FlashLevel, Pane, PendingStart};
use crate::backend::RunInputs;
use crate::domain::{BackendError, Pipeline, RequestPreview, StartForm, StartRequest};
use crate::sanitize::clean;
use crate::service::Command;

#[derive(Debug, Clone)]
pub enum StartPhase {
    Loading,
    /// The form could not be loaded; only closing is possible.
    LoadFailed(String),
    Editing(Form),
    /// Sent; keys are ignored until the reply arrives.
    Sending(Form),
}

#[derive(Debug, Clone)]
pub struct StartDialog {
    pub epoch: u64,
    pub pipeline: Pipeline,
    pub phase: StartPhase,
    /// The last start attempt failed with this (the form stays open to fix inputs).
    pub error: Option<String>,
    /// The exact request the form would send, as the backend renders it, and the request it
    /// was rendered for (asked when the confirm button gets focus).
    pub preview: Option<(StartRequest, Result<RequestPreview, String>)>,
    pub preview_asked: Option<StartRequest>,
    /// Set when the dialog re-runs a run: its inputs fill the form.
    pub rerun: Option<Rerun>,
}

/// The run a re-run form starts again, and what is known of its inputs.
#[derive(Debug, Clone)]
pub struct Rerun {
    pub of: String,
    /// `None` while they are being read; `Err` says why they could not be.
    pub inputs: Option<Result<RunInputs, String>>,
    /// Once the form holds them: how many of its inputs were filled, of how many.
    pub filled: Option<(usize, usize)>,
}

impl Rerun {
    /// One line above the form on where its values come from.
    pub fn note(&self) -> String {
        let of = clean(&self.of);
        match (&self.inputs, self.filled) {
            (None, _) | (Some(Ok(_)), None) => {
                format!("re-run of {of}: reading the inputs it was started with…")
            }
            (Some(Ok(inputs)), Some((filled, of_all))) => format!(
                "re-run of {of}: {filled} of {of_all} inputs filled {}; {}",
                inputs.source,
                if filled == of_all {
                    "check them before starting"
                } else {
                    "check the rest"
                }
            ),
            (Some(Err(why)), _) => format!(
                "re-run of {of}: its inputs could not be read ({}); the form holds the defaults",
                clean(why)
            ),
        }
    }
}

impl StartDialog {
    pub fn loading(epoch: u64, pipeline: Pipeline) -> Self {
        StartDialog {
            epoch,
            pipeline,
            phase: StartPhase::Loading,
            error: None,
            preview: None,
            preview_asked: None,
            rerun: None,
        }
    }

    /// Fills the form with the re-run's inputs once both have arrived; secret fields stay
    /// empty (no backend gives their values back, and none are kept).
    fn fill_rerun(&mut self) {
        let (StartPhase::Editing(form), Some(rerun)) = (&mut self.phase, &mut self.rerun) else {
            return;
        };
        if rerun.filled.is_some() {
            return;
        }
        let Some(inputs) = &rerun.inputs else {
            return;
        };
        let values = match inputs {
            Ok(inputs) => inputs.values.as_slice(),
            Err(_) => &[],
        };
        // The notes field is always last (see `request`).
        let last = form.fields.len().saturating_sub(1);
        let (variables, notes) = form.fields.split_at_mut(last);
        let variables: Vec<&mut Field> = variables
            .iter_mut()
            .filter(|f| f.expect.is_none())
            .collect();
        let of_all = variables.len();
        let mut filled = 0;
        for field in variables {
            let value = values.iter().find(|(name, _)| *name == field.label);
            if let Some((_, value)) = value
                && field.kind != FieldKind::Secret
            {
                field.input = tui_input::Input::new(value.clone());
                filled += 1;
            }
        }
        if let Some(notes) = notes.first_mut() {
            notes.input = tui_input::Input::new(format!("re-run of {}", rerun.of));
        }
        rerun.filled = Some((filled, of_all));
    }

    /// Builds the form, with the typed confirmation the write rules ask for (on a
    /// production backend, the pipeline's name).
    pub fn loaded(&mut self, form: StartForm, confirm: Confirm) {
        let mut fields: Vec<Field> = form.variables.iter().map(variable_field).collect();
        fields.extend(Field::confirming(confirm));
        fields.push(Field::new(NOTES, FieldKind::Text, ""));
        self.phase = StartPhase::Editing(Form::new(fields, "Start"));
        self.fill_rerun();
    }

    /// The preview for the form's current values, once it has arrived.
    pub fn current_preview(&self, form: &Form) -> Option<&Result<RequestPreview, String>> {
        let request = Self::request(&self.pipeline, form);
        self.preview
            .as_ref()
            .filter(|(asked, _)| *asked == request)
            .map(|(_, preview)| preview)
    }

    /// The request the confirmed form describes; empty optional fields are left out so the
    /// backend applies its own defaults.
    pub fn request(pipeline: &Pipeline, form: &Form) -> StartRequest {
        // The notes field is always last, so a variable that happens to be called "notes"
        // cannot be confused with it.
        let (notes, variables) = match form.fields.split_last() {
            Some((notes, variables)) => (Some(notes), variables),
            None => (None, &[][..]),
        };
        let values = variables
            .iter()
            // Typed confirmations are for the user, not the backend.
            .filter(|f| f.expect.is_none() && !f.value().is_empty())
            .map(|f| (f.label.clone(), f.value().to_string()))
            .collect();
        let notes = notes.map(Field::value).filter(|n| !n.trim().is_empty());
        StartRequest {
            project: pipeline.project.clone(),
            pipeline_id: pipeline.id.clone(),
            values,
            notes: notes.map(str::to_string),
        }
    }
}

impl App {
    /// The pipeline `s` starts: the selected one, or the selected execution's pipeline.
    fn pipeline_to_start(&self) -> Option<Pipeline> {
        match self.pane {
            Pane::Pipelines => self.selected_pipeline().cloned(),
            Pane::Executions => self.pipeline_of(self.selected_execution()?),
            Pane::Approvals | Pane::Audit => None,
        }
    }

    /// The listed pipeline an execution is a run of.
    fn pipeline_of(&self, e: &crate::domain::Execution) -> Option<Pipeline> {
        self.pipelines
            .iter()
            .find(|p| p.backend == e.backend && p.project == e.project && p.id == e.pipeline_id)
            .cloned()
    }

    /// Asks for `pipeline`'s start form under a new epoch, which the dialog then owns.
    fn load_start_form(&mut self, pipeline: &Pipeline, effects: &mut Vec<Effect>) -> u64 {
        let epoch = self.next_epoch();
        effects.push(Effect::Send {
            backend: pipeline.backend.clone(),
            command: Command::LoadStartForm {
                epoch,
                project: pipeline.project.clone(),
                pipeline_id: pipeline.id.clone(),
            },
        });
        epoch
    }

    pub(in crate::app) fn open_start(&mut self, effects: &mut Vec<Effect>) {
        let Some(pipeline) = self.pipeline_to_start() else {
            self.flash(FlashLevel::Info, "select a pipeline to start");
            return;
        };
        if self.is_read_only(&pipeline.backend) {
            self.flash(
                FlashLevel::Error,
                format!("{} is read-only", pipeline.backend),
            );
            return;
        }
        let epoch = self.load_start_form(&pipeline, effects);
        self.dialog = Some(Dialog::Start(Box::new(StartDialog::loading(
            epoch, pipeline,
        ))));
    }

    pub(super) fn on_start_key(
        &mut self,
        action: Option<Action>,
        key: KeyEvent,
        effects: &mut Vec<Effect>,
    ) {
        let Some(Dialog::Start(start)) = self.dialog.as_mut() else {
            return;
        };
        match &mut start.phase {
            StartPhase::Loading | StartPhase::LoadFailed(_) => {
                if matches!(action, Some(Action::Cancel | Action::Confirm)) {
                    self.dialog = None;
                }
            }
            StartPhase::Sending(_) => {}
            StartPhase::Editing(form) => {
                // A re-run sends nothing before the form holds what the run ran with.
                if action == Some(Action::Confirm)
                    && form.focus == Focus::Confirm
                    && start.rerun.as_ref().is_some_and(|r| r.filled.is_none())
                {
                    form.problem = Some("still reading the inputs the run was started with".into());
                    return;
                }
                if action == Some(Action::CopyRequest) {
                    let request = StartDialog::request(&start.pipeline, form);
                    let curl = start
                        .preview
                        .as_ref()
                        .filter(|(asked, _)| *asked == request)
                        .and_then(|(_, p)| p.as_ref().ok())
                        .map(|p| p.to_curl());
                    match curl {
                        Some(curl) => {
                            effects.push(Effect::Clipboard(curl.text));
                            self.flash(
                                FlashLevel::Info,
                                if curl.escaped {
                                    "copied the request as curl (key as ***; hidden characters \
                                     written as \\u escapes in $'…' quotes)"
                                } else {
                                    "copied the request as curl (key as ***)"
                                },
                            );
                        }
                        None => self.flash(
                            FlashLevel::Info,
                            "no preview yet: move to [Start] to see the request",
                        ),
                    }
                    return;
                }
                match form.handle(action, key) {
                    FormEvent::None => {
                        // Reaching the confirm button shows the exact request first.
                        let request = StartDialog::request(&start.pipeline, form);
                        if form.focus == Focus::Confirm
                            && start.preview_asked.as_ref() != Some(&request)
                        {
                            start.preview_asked = Some(request.clone());
                            effects.push(Effect::Send {
                                backend: start.pipeline.backend.clone(),
                                command: Command::Preview {
                                    epoch: start.epoch,
                                    request,
                                },
                            });
                        }
                    }
                    FormEvent::Cancel => self.dialog = None,
                    FormEvent::Confirm => {
                        let request = StartDialog::request(&start.pipeline, form);
                        // Remembered for the audit entry written when the reply arrives.
                        let secrets = form
                            .fields
                            .iter()
                            .filter(|f| f.kind == FieldKind::Secret)
                            .map(|f| f.label.clone())
                            .collect();
                        self.gates.start_sent(
                            start.epoch,
                            start.pipeline.key(),
                            PendingStart {
                                pipeline_name: start.pipeline.name.clone(),
                                secrets,
                            },
                        );
                        effects.push(Effect::Send {
                            backend: start.pipeline.backend.clone(),
                            command: Command::Start {
                                epoch: start.epoch,
                                request,
                            },
                        });
                        start.error = None;
                        start.phase = StartPhase::Sending(form.clone());
                    }
                }
            }
        }
    }

    /// `E` on a run of a backend with no rerun of its own: the start form of its pipeline,
    /// filled with the run's inputs once they are read.
    pub(in crate::app) fn open_rerun_form(
        &mut self,
        exec: &crate::domain::Execution,
        effects: &mut Vec<Effect>,
    ) {
        let Some(pipeline) = self.pipeline_of(exec) else {
            return self.flash(
                FlashLevel::Error,
                format!(
                    "re-run: pipeline {} is not listed (yet); press r to refresh",
                    clean(&exec.pipeline_name)
                ),
            );
        };
        let epoch = self.load_start_form(&pipeline, effects);
        effects.push(Effect::Send {
            backend: pipeline.backend.clone(),
            command: Command::RunInputs {
                epoch,
                exec: exec.exec_ref(),
            },
        });
        let mut dialog = StartDialog::loading(epoch, pipeline);
        dialog.rerun = Some(Rerun {
            of: exec.id.clone(),
            inputs: None,
            filled: None,
        });
        self.dialog = Some(Dialog::Start(Box::new(dialog)));
    }

    pub(super) fn on_run_inputs(&mut self, epoch: u64, result: Result<RunInputs, BackendError>) {
        let Some(Dialog::Start(start)) = &mut self.dialog else {
            return;
        };
        if start.epoch != epoch {
            return;
        }
        if let Some(rerun) = &mut start.rerun {
            rerun.inputs = Some(result.map_err(|e| e.to_string()));
        }
        start.fill_rerun();
    }

    pub(super) fn on_start_form(
        &mut self,
        epoch: u64,
        result: Result<crate::domain::StartForm, BackendError>,
    ) {
        let Some(Dialog::Start(start)) = &mut self.dialog else {
            return;
        };
        if start.epoch != epoch {
            return;
        }
        let confirm = self.writes.confirmation(Confirming::Start {
            backend: &start.pipeline.backend,
            pipeline_name: &start.pipeline.name,
        });
        match result {
            Ok(form) => start.loaded(form, confirm),
            Err(err) => start.phase = StartPhase::LoadFailed(err.to_string()),
        }
    }

    pub(super) fn on_started(
        &mut self,
        epoch: u64,
        request: crate::domain::StartRequest,
        result: Result<crate::domain::StartResult, BackendError>,
    ) {
        let open = matches!(&self.dialog, Some(Dialog::Start(s)) if s.epoch == epoch);
        let name = self
            .pipelines
            .iter()
            .find(|p| p.project == request.project && p.id == request.pipeline_id)
            .map_or(&request.pipeline_id, |p| &p.name);
        let name = clean(name).into_owned();
        match result {
            Ok(started) => {
                if open {
                    self.dialog = None;
                }
                self.flash(
                    FlashLevel::Success,
                    format!(
                        "started {name} → {} ({})",
                        clean(&started.execution_id),
                        started.status.status.label()
                    ),
                );
            }
            // The backend may have started it (a timeout, a broken answer): close the form
            // so it is not resent blindly; the executions list is being re-read.
            Err(err) if err.outcome_unknown() => {
                if open {
                    self.dialog = None;
                }
                self.flash(
                    FlashLevel::Error,
                    format!(
                        "start of {name}: outcome unknown ({err}); check Executions before retrying"
                    ),
                );
            }
            Err(err) => match &mut self.dialog {
                Some(Dialog::Start(s)) if s.epoch == epoch => {
                    if let StartPhase::Sending(form) = &s.phase {
                        s.phase = StartPhase::Editing(form.clone());
                    }
                    s.error = Some(err.to_string());
                }
                _ => self.flash(FlashLevel::Error, format!("start failed: {err}")),
            },
        }
    }
}
