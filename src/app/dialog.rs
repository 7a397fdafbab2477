//! The modal dialogs: help, start form, decision. Each carries the epoch it was opened at;
//! replies tagged with another epoch are ignored, so a late answer never lands in the wrong
//! dialog.

use super::form::{Field, FieldKind, Form};
use crate::domain::RequestPreview;
use crate::domain::{
    Approval, BackendError, Decision, DecisionAction, DecisionOutcome, Pipeline, StartForm,
    StartRequest, VarKind, VariableSpec,
};

#[derive(Debug, Clone)]
pub enum Dialog {
    Help { scroll: u16 },
    Start(Box<StartDialog>),
    Decision(Box<DecisionDialog>),
    Batch(Box<BatchDialog>),
    BulkStart(Box<super::bulk_start::BulkStartDialog>),
}

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
}

/// Field label of the free-text notes every start offers.
pub const NOTES: &str = "notes";

impl StartDialog {
    pub fn loading(epoch: u64, pipeline: Pipeline) -> Self {
        StartDialog {
            epoch,
            pipeline,
            phase: StartPhase::Loading,
            error: None,
            preview: None,
            preview_asked: None,
        }
    }

    /// Builds the form. On a production backend the pipeline's name must be typed to
    /// confirm, so a start there is never one keystroke away.
    pub fn loaded(&mut self, form: StartForm, production: bool) {
        let mut fields: Vec<Field> = form.variables.iter().map(variable_field).collect();
        if production {
            fields.push(Field::confirmation(
                "type the pipeline name",
                &self.pipeline.name,
            ));
        }
        fields.push(Field::new(NOTES, FieldKind::Text, ""));
        self.phase = StartPhase::Editing(Form::new(fields, "Start"));
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

pub(super) fn variable_field(v: &VariableSpec) -> Field {
    let kind = match &v.kind {
        VarKind::Text | VarKind::Entity(_) => FieldKind::Text,
        VarKind::Number => FieldKind::Number,
        VarKind::Secret => FieldKind::Secret,
        VarKind::Choice(options) => FieldKind::Choice(options.clone()),
    };
    let default = match (&v.default, &kind) {
        (Some(d), _) => d.clone(),
        (None, FieldKind::Choice(options)) if v.required => {
            options.first().cloned().unwrap_or_default()
        }
        _ => String::new(),
    };
    let mut field = Field::new(&v.name, kind, default);
    field.required = v.required;
    field.help = match (&v.kind, &v.description) {
        (VarKind::Entity(entity), _) => Some(format!("{entity} (name or id)")),
        (_, Some(d)) => Some(d.clone()),
        _ => None,
    };
    field
}

#[derive(Debug, Clone)]
pub struct DecisionDialog {
    pub epoch: u64,
    pub approval: Approval,
    pub action: DecisionAction,
    pub form: Form,
    pub sending: bool,
}

/// Field label of the decision comment.
pub const COMMENT: &str = "comment";

impl DecisionDialog {
    pub fn new(epoch: u64, approval: Approval, action: DecisionAction) -> Self {
        let mut fields = vec![Field::new(COMMENT, FieldKind::Text, "")];
        if action == DecisionAction::Approve {
            fields.extend(approval.inputs.iter().map(|i| {
                let kind = if i.options.is_empty() {
                    FieldKind::Text
                } else {
                    FieldKind::Choice(i.options.clone())
                };
                Field::new(&i.name, kind, &i.default)
            }));
        }
        let label = match action {
            DecisionAction::Approve => "Approve",
            DecisionAction::Reject => "Reject",
        };
        DecisionDialog {
            epoch,
            approval,
            action,
            form: Form::new(fields, label),
            sending: false,
        }
    }

    pub fn decision(&self) -> Decision {
        Decision {
            action: self.action,
            // The comment is always the first field; approver inputs follow.
            comment: self.form.fields[0].value().to_string(),
            inputs: self.form.fields[1..]
                .iter()
                .map(|f| (f.label.clone(), f.value().to_string()))
                .collect(),
        }
    }
}

/// Where one gate of a batch stands.
#[derive(Debug, Clone, PartialEq)]
pub enum GateResult {
    /// Not sent, and why (in flight already, outcome unknown, read-only...).
    Skipped(String),
    Sent,
    Done(Result<DecisionOutcome, BackendError>),
}

impl GateResult {
    /// What the results list says, in the words an on-call engineer needs.
    pub fn label(&self) -> String {
        match self {
            GateResult::Skipped(why) => format!("skipped: {why}"),
            GateResult::Sent => "sending…".into(),
            GateResult::Done(Ok(outcome)) => outcome.label().into(),
            GateResult::Done(Err(e)) => match e {
                BackendError::Conflict(_) => "already decided by someone else".into(),
                BackendError::NotAuthorized(_) | BackendError::Unauthenticated(_) => {
                    "not authorized".into()
                }
                BackendError::Expired(_) => "expired".into(),
                BackendError::NotFound(_) => "no longer waiting".into(),
                other => format!("failed: {other}"),
            },
        }
    }

    pub fn is_ok(&self) -> bool {
        matches!(self, GateResult::Done(Ok(_)))
    }
}

/// `A`/`X` on marked gates: one confirmation listing every gate, then a result per gate.
#[derive(Debug, Clone)]
pub struct BatchDialog {
    pub epoch: u64,
    pub action: DecisionAction,
    /// The marked gates, in list order, each with whether the filter hides it.
    pub gates: Vec<(Approval, bool)>,
    pub form: Form,
    /// `None` while confirming; then one result per gate.
    pub results: Option<Vec<GateResult>>,
}

impl BatchDialog {
    pub fn new(epoch: u64, action: DecisionAction, gates: Vec<(Approval, bool)>) -> Self {
        let mut fields = vec![Field::new(COMMENT, FieldKind::Text, "")];
        // One gate confirms like a single decision; more need a typed "yes".
        if gates.len() > 1 {
            fields.push(Field::confirmation("type yes", "yes"));
        }
        let verb = match action {
            DecisionAction::Approve => "Approve",
            DecisionAction::Reject => "Reject",
        };
        let label = format!("{verb} {}", gates.len());
        BatchDialog {
            epoch,
            action,
            gates,
            form: Form::new(fields, label),
            results: None,
        }
    }

    pub fn hidden(&self) -> usize {
        self.gates.iter().filter(|(_, hidden)| *hidden).count()
    }

    /// The decision for one gate: the shared comment, and that gate's own approver-input
    /// defaults (gates differ in their inputs, so a batch never invents values).
    pub fn decision(&self, gate: &Approval) -> Decision {
        let inputs = match self.action {
            DecisionAction::Approve => gate
                .inputs
                .iter()
                .map(|i| (i.name.clone(), i.default.clone()))
                .collect(),
            DecisionAction::Reject => Vec::new(),
        };
        Decision {
            action: self.action,
            comment: self.form.fields[0].value().to_string(),
            inputs,
        }
    }

    pub fn finished(&self) -> bool {
        self.results
            .as_ref()
            .is_some_and(|r| !r.contains(&GateResult::Sent))
    }
}
