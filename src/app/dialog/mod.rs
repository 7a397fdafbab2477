//! The modal dialogs: the registry (`enum Dialog`) and the routing of keys and replies to
//! the one dialog they belong to. Each dialog is one file holding its state, its keys and
//! its replies; each carries the epoch it was opened at, and a reply goes to the dialog
//! opened at the reply's epoch, so a late answer never lands in the wrong dialog.

mod backends;
mod batch;
mod bulk_start;
mod control;
mod decision;
mod help;
mod outcome;
mod start;

pub use batch::BatchDialog;
pub use bulk_start::BulkStartDialog;
pub use control::{ControlDialog, Done as ControlDone, Run as ControlRun, Stages, Verb, WHAT};
use decision::COMMENT;
pub use decision::DecisionDialog;
pub use outcome::{Answer, Outcome};
pub use start::{StartDialog, StartPhase};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::keymap::{Action, Section};
use super::{App, Effect};
use crate::domain::{Approval, BackendError, Decision, DecisionOutcome, StartRequest, StartResult};

#[derive(Debug, Clone)]
pub enum Dialog {
    /// `?`: the keys of the layer it was opened from.
    Help {
        scroll: u16,
        section: Section,
    },
    /// `b`: every backend's health, data ages and full last error.
    Backends {
        scroll: u16,
    },
    Start(Box<StartDialog>),
    Decision(Box<DecisionDialog>),
    Batch(Box<BatchDialog>),
    BulkStart(Box<BulkStartDialog>),
    /// `K`/`R`/`E`/`p`: a control action on one execution or the marked ones.
    Control(Box<ControlDialog>),
}

impl Dialog {
    /// The epoch the dialog was opened at; help asks the backends nothing.
    pub fn epoch(&self) -> Option<u64> {
        match self {
            Dialog::Help { .. } | Dialog::Backends { .. } => None,
            Dialog::Start(d) => Some(d.epoch),
            Dialog::Decision(d) => Some(d.epoch),
            Dialog::Batch(d) => Some(d.epoch),
            Dialog::BulkStart(d) => Some(d.epoch),
            Dialog::Control(d) => Some(d.epoch),
        }
    }
}

/// The dialog a reply belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Owner {
    Start,
    Decision,
    Batch,
    BulkStart,
    Control,
    /// The dialog that asked is closed (or another is open).
    Gone,
}

impl App {
    fn owner(&self, epoch: u64) -> Owner {
        match &self.dialog {
            Some(d) if d.epoch() != Some(epoch) => Owner::Gone,
            Some(Dialog::Start(_)) => Owner::Start,
            Some(Dialog::Decision(_)) => Owner::Decision,
            Some(Dialog::Batch(_)) => Owner::Batch,
            Some(Dialog::BulkStart(_)) => Owner::BulkStart,
            Some(Dialog::Control(_)) => Owner::Control,
            Some(Dialog::Help { .. } | Dialog::Backends { .. }) | None => Owner::Gone,
        }
    }

    /// A key while a dialog is open: to that dialog.
    /// A key while a dialog is open: to that dialog, with what `[keys.dialog]` binds it to
    /// (a key bound to nothing is typed into the focused field).
    pub(super) fn on_dialog_key(&mut self, key: KeyEvent, effects: &mut Vec<Effect>) {
        let action = self.keymap.action_in(Section::Dialog, &key);
        self.on_dialog_input(action, key, effects);
    }

    /// A dialog action that came without a key (the mouse moving the focus): handled as
    /// its key would be.
    pub(super) fn on_dialog_action(&mut self, action: Action, effects: &mut Vec<Effect>) {
        let key = KeyEvent::new(KeyCode::Null, KeyModifiers::NONE);
        self.on_dialog_input(Some(action), key, effects);
    }

    fn on_dialog_input(
        &mut self,
        action: Option<Action>,
        key: KeyEvent,
        effects: &mut Vec<Effect>,
    ) {
        match &self.dialog {
            None => {}
            Some(Dialog::Help { .. }) => self.on_help_key(key),
            Some(Dialog::Backends { .. }) => self.on_backends_key(key),
            Some(Dialog::Start(_)) => self.on_start_key(action, key, effects),
            Some(Dialog::Decision(_)) => self.on_decision_key(action, key, effects),
            Some(Dialog::Batch(_)) => self.on_batch_key(action, key, effects),
            Some(Dialog::BulkStart(_)) => self.on_bulk_key(action, key, effects),
            Some(Dialog::Control(_)) => self.on_control_key(action, key, effects),
        }
    }

    /// A start form loaded, for the dialog opened at `epoch`.
    pub(super) fn on_form_reply(
        &mut self,
        epoch: u64,
        backend: &str,
        project: &str,
        pipeline_id: &str,
        result: Result<crate::domain::StartForm, BackendError>,
    ) {
        match self.owner(epoch) {
            Owner::Start => self.on_start_form(epoch, result),
            Owner::BulkStart => {
                self.on_bulk_form(epoch, backend, project, pipeline_id, &result);
            }
            Owner::Decision | Owner::Batch | Owner::Control | Owner::Gone => {}
        }
    }

    /// The exact request a form would send, for the dialog opened at `epoch`.
    pub(super) fn on_preview_reply(
        &mut self,
        epoch: u64,
        backend: &str,
        request: StartRequest,
        result: Result<crate::domain::RequestPreview, String>,
    ) {
        match self.owner(epoch) {
            Owner::Start => {
                if let Some(Dialog::Start(start)) = &mut self.dialog {
                    start.preview = Some((request, result));
                }
            }
            Owner::BulkStart => {
                self.on_bulk_preview(epoch, backend, &request, result);
            }
            Owner::Decision | Owner::Batch | Owner::Control | Owner::Gone => {}
        }
    }

    /// A start was answered (the audit log and the ledger have it already). One whose
    /// dialog is closed is told in the status line.
    pub(super) fn on_started_reply(
        &mut self,
        epoch: u64,
        backend: &str,
        request: StartRequest,
        result: Result<StartResult, BackendError>,
    ) {
        match self.owner(epoch) {
            Owner::BulkStart => {
                self.on_bulk_started(epoch, backend, &request, &result);
            }
            _ => self.on_started(epoch, request, result),
        }
    }

    /// A decision was answered (the audit log and the ledger have it already).
    pub(super) fn on_decided_reply(
        &mut self,
        epoch: u64,
        approval: &Approval,
        decision: &Decision,
        result: Result<DecisionOutcome, BackendError>,
    ) {
        match self.owner(epoch) {
            Owner::Batch => self.on_batch_result(epoch, approval, &result),
            Owner::Decision => self.on_decision_reply(approval, decision, result),
            Owner::Start | Owner::BulkStart | Owner::Control | Owner::Gone => {}
        }
    }

    /// A control action was answered (the audit log and the ledger have it already).
    pub(super) fn on_controlled_reply(
        &mut self,
        epoch: u64,
        exec: &crate::domain::ExecRef,
        action: &crate::backend::Control,
        result: &Result<crate::backend::ControlOutcome, BackendError>,
        after: Option<&Result<String, String>>,
    ) {
        if self.owner(epoch) == Owner::Control {
            self.on_control_result(epoch, exec, action, result, after);
        }
    }

    /// Which stages a retry may start from, for the dialog opened at `epoch`.
    pub(super) fn on_run_inputs_reply(
        &mut self,
        epoch: u64,
        result: Result<crate::backend::RunInputs, BackendError>,
    ) {
        if self.owner(epoch) == Owner::Start {
            self.on_run_inputs(epoch, result);
        }
    }

    pub(super) fn on_retry_stages_reply(
        &mut self,
        epoch: u64,
        result: Result<crate::backend::RetryStages, BackendError>,
    ) {
        if self.owner(epoch) == Owner::Control {
            self.on_retry_stages(result);
        }
    }
}
