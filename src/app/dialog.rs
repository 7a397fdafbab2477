//! The modal dialogs: help, start form, decision. Each carries the epoch it was opened at;
//! replies tagged with another epoch are ignored, so a late answer never lands in the wrong
//! dialog.

use super::form::{Field, FieldKind, Form};
use crate::domain::{
    Approval, Decision, DecisionAction, Pipeline, StartForm, StartRequest, VarKind, VariableSpec,
};

#[derive(Debug, Clone)]
pub enum Dialog {
    Help { scroll: u16 },
    Start(Box<StartDialog>),
    Decision(Box<DecisionDialog>),
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
        }
    }

    pub fn loaded(&mut self, form: StartForm) {
        let mut fields: Vec<Field> = form.variables.iter().map(variable_field).collect();
        fields.push(Field::new(NOTES, FieldKind::Text, ""));
        self.phase = StartPhase::Editing(Form::new(fields, "Start"));
    }

    /// The request the confirmed form describes; empty optional fields are left out so the
    /// backend applies its own defaults.
    pub fn request(pipeline: &Pipeline, form: &Form) -> StartRequest {
        // The notes field is always last, so a variable that happens to be called "notes"
        // cannot be confused with it.
        let (notes, variables) = form.fields.split_last().expect("notes field");
        let values = variables
            .iter()
            .filter(|f| !f.value().is_empty())
            .map(|f| (f.label.clone(), f.value().to_string()))
            .collect();
        let notes = Some(notes.value()).filter(|n| !n.trim().is_empty());
        StartRequest {
            project: pipeline.project.clone(),
            pipeline_id: pipeline.id.clone(),
            values,
            notes: notes.map(str::to_string),
        }
    }
}

fn variable_field(v: &VariableSpec) -> Field {
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
