//! The decision dialog (`a`/`x` on one gate): a comment and the approver inputs, an
//! explicit confirm, and the reply. State, keys and replies; drawn by
//! `ui/dialog/decision.rs`. Whether the gate may be decided is the ledger's word
//! (`app/gates.rs`).

use crossterm::event::KeyEvent;

use crate::app::keymap::Action;

use crate::app::form::{Field, FieldKind, Form, FormEvent};
use crate::app::{App, Dialog, Effect, FlashLevel, Pane};
use crate::domain::{Approval, BackendError, Decision, DecisionAction, DecisionOutcome};
use crate::sanitize::clean;
use crate::service::Command;
use crate::write::{Confirm, Confirming};

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
    /// `confirm` is the write rule's word (`Writes::confirmation`): on a production backend
    /// the pipeline's name must be typed before the button confirms.
    pub fn new(epoch: u64, approval: Approval, action: DecisionAction, confirm: Confirm) -> Self {
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
        fields.extend(Field::confirming(confirm));
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
                // Typed confirmations are for the user, not the backend.
                .filter(|f| f.expect.is_none())
                .map(|f| (f.label.clone(), f.value().to_string()))
                .collect(),
        }
    }
}

impl App {
    /// The gate `a`/`x` acts on: the selected gate, or the only gate of the selected execution.
    fn gate_to_decide(&self) -> Result<Approval, &'static str> {
        const NONE: &str = "no waiting gate selected";
        match self.pane {
            Pane::Approvals => self.selected_approval().cloned().ok_or(NONE),
            Pane::Executions => {
                let e = self.selected_execution().ok_or(NONE)?;
                let mut gates = self
                    .approvals
                    .iter()
                    .filter(|a| a.backend == e.backend && a.execution_id == e.id);
                match (gates.next(), gates.next()) {
                    (Some(one), None) => Ok(one.clone()),
                    (None, _) => Err(NONE),
                    (Some(_), Some(_)) => {
                        Err("several gates wait in this execution: pick one in Approvals")
                    }
                }
            }
            Pane::Pipelines | Pane::Audit => Err(NONE),
        }
    }

    pub(in crate::app) fn open_decision(&mut self, action: DecisionAction) {
        let gate = match self.gate_to_decide() {
            Ok(gate) => gate,
            Err(why) => return self.flash(FlashLevel::Info, why),
        };
        if let Some(why) = self.blocked(&gate) {
            return self.flash(FlashLevel::Error, why);
        }
        let epoch = self.next_epoch();
        let confirm = self.writes.confirmation(Confirming::Decision {
            backend: &gate.backend,
            pipeline_name: &gate.pipeline_name,
        });
        self.dialog = Some(Dialog::Decision(Box::new(DecisionDialog::new(
            epoch, gate, action, confirm,
        ))));
    }

    pub(super) fn on_decision_key(
        &mut self,
        action: Option<Action>,
        key: KeyEvent,
        effects: &mut Vec<Effect>,
    ) {
        let Some(Dialog::Decision(d)) = self.dialog.as_mut() else {
            return;
        };
        {
            if d.sending {
                return;
            }
            match d.form.handle(action, key) {
                FormEvent::None => {}
                FormEvent::Cancel => self.dialog = None,
                FormEvent::Confirm => {
                    d.sending = true;
                    self.gates.sent(d.approval.key());
                    effects.push(Effect::Send {
                        backend: d.approval.backend.clone(),
                        command: Command::Decide {
                            epoch: d.epoch,
                            approval: Box::new(d.approval.clone()),
                            decision: d.decision(),
                        },
                    });
                }
            }
        }
    }

    /// The answer to this dialog's decision (the ledger and the audit log have it already).
    pub(super) fn on_decision_reply(
        &mut self,
        approval: &Approval,
        decision: &Decision,
        result: Result<DecisionOutcome, BackendError>,
    ) {
        self.dialog = None;
        let what = format!(
            "{} · {} / {}",
            clean(&approval.pipeline_name),
            clean(&approval.stage),
            clean(&approval.step)
        );
        match result {
            Ok(outcome) => self.flash(FlashLevel::Success, format!("{}: {what}", outcome.label())),
            Err(err) => {
                let hint = if self.gates.is_unknown(&approval.key()) {
                    " — outcome unknown, re-reading the gate before any retry"
                } else {
                    ""
                };
                // Why first, in the batch results' words, so a narrow status line keeps it;
                // the backend's whole text follows (and is in Audit).
                let why = match <DecisionOutcome as super::Answer>::done(&Err(err.clone())) {
                    words if words.starts_with("failed") => crate::app::reason(&err),
                    words => words,
                };
                self.flash(
                    FlashLevel::Error,
                    format!(
                        "{} failed ({why}): {what}: {err}{hint}",
                        decision.action.verb()
                    ),
                );
            }
        }
    }
}
