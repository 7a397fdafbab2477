//! One client per backend kind behind one trait, so the service, the TUI and the CLI never
//! see a wire format.

pub mod argo;
pub mod budget;
pub mod capped;
pub mod control;
mod decoded;
pub mod harness;
pub mod harness_fg;
pub mod http;
pub mod identity;
pub mod infraxys;
pub mod links;

use async_trait::async_trait;
use tokio::sync::mpsc;

pub use budget::Budget;
pub use control::{Control, ControlOutcome, RetryStages, RunInputs};
pub use identity::{Identity, IdentitySource};

use crate::domain::{
    Approval, BackendError, BackendKind, BackendName, Decision, DecisionOutcome, ExecRef,
    Execution, ExecutionDetail, LogLine, Pipeline, StartForm, StartRequest, StartResult,
};

pub type Result<T> = std::result::Result<T, BackendError>;

/// What `config check --connect` proved about a backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    pub pipelines: usize,
    /// What was sent and what its answer proves, for the person reading the check.
    pub checked: String,
}

/// A gate of an execution in whatever state the backend reports it: waiting, decided,
/// expired. Read when a decision finds no waiting gate, to tell "already decided" (exit 5)
/// and "expired" (exit 8) from an id that names no gate (exit 4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GateRecord {
    pub id: String,
    /// Harness: the step's `callbackId`.
    pub callback_id: Option<String>,
    pub stage: String,
    pub step: String,
    /// The gate step's status: `waiting`, `success` (approved), `rejected`, `expired`...
    pub status: crate::domain::Status,
}

/// A CI/CD backend as the rest of flightdeck sees it. Every method is one logical read or
/// write; implementations do their own paging and never retry writes.
#[async_trait]
pub trait Backend: Send + Sync {
    fn name(&self) -> &BackendName;
    fn kind(&self) -> BackendKind;

    /// The backend's request budget: how fast the dashboard may poll it and how many
    /// requests a start costs. Backends with no documented limit keep the default.
    fn budget(&self) -> Budget {
        Budget::UNLIMITED
    }

    /// The pace every request to this backend keeps to (see [`budget::Pace`]); `None` for
    /// backends that send no HTTP requests of their own.
    fn pace(&self) -> Option<&std::sync::Arc<budget::Pace>> {
        None
    }

    /// Who the configured key acts as, as the backend's API says it; a backend with no such
    /// API says why nobody can tell ([`Identity::unknown`]).
    async fn whoami(&self) -> Result<Identity> {
        Ok(Identity::unknown(format!(
            "{} backends have no who-am-I API; name it with `identity = \"…\"` in the config",
            self.kind().as_str()
        )))
    }

    /// Every pipeline visible to the configured credentials, all pages.
    async fn list_pipelines(&self) -> Result<Vec<Pipeline>>;

    /// The variables a start of `pipeline` asks for, typed, with defaults.
    async fn start_form(&self, project: &str, pipeline_id: &str) -> Result<StartForm>;

    /// Starts one execution. Sent at most once: the caller never retries this.
    async fn start(&self, request: &StartRequest) -> Result<StartResult>;

    /// The exact request `start` would send (method, URL, headers with secrets as `***`,
    /// body), for the user to check before confirming. Sends nothing that changes anything.
    async fn start_preview(&self, request: &StartRequest) -> Result<crate::domain::RequestPreview> {
        let _ = request;
        Err(crate::domain::BackendError::Unsupported(format!(
            "{} backends cannot preview a start yet",
            self.kind().as_str()
        )))
    }

    /// Recent executions, newest first.
    async fn list_executions(&self) -> Result<Vec<Execution>>;

    /// One execution with its stage/step tree and waiting gates.
    async fn execution(&self, exec: &ExecRef) -> Result<ExecutionDetail>;

    /// Every gate waiting for a person.
    async fn waiting_approvals(&self) -> Result<Vec<Approval>>;

    /// Approves or rejects one gate. Sent at most once: the caller never retries this.
    async fn decide(&self, approval: &Approval, decision: &Decision) -> Result<DecisionOutcome>;

    /// Whether [`Backend::watch_executions`] is implemented: the service then prefers it to
    /// polling the executions list.
    fn can_watch(&self) -> bool {
        false
    }

    /// Lists the executions, then follows the backend's change stream, sending the whole
    /// list (newest first) on `lists` each time it changed. Returns only when following is
    /// no longer possible; the service polls meanwhile and calls again after a pause.
    async fn watch_executions(&self, lists: &mpsc::UnboundedSender<Vec<Execution>>) -> Result<()> {
        let _ = lists;
        Err(crate::domain::BackendError::Unsupported(format!(
            "{} backends have no watch API",
            self.kind().as_str()
        )))
    }

    /// Sends the log lines of an execution (of one step, named as in its stage tree, or of
    /// all) to `lines` as they arrive; with `follow`, until the execution ends.
    async fn logs(
        &self,
        exec: &ExecRef,
        step: Option<&str>,
        follow: bool,
        lines: &mpsc::UnboundedSender<LogLine>,
    ) -> Result<()> {
        let _ = (exec, step, follow, lines);
        Err(crate::domain::BackendError::Unsupported(format!(
            "{} backends offer no logs through flightdeck",
            self.kind().as_str()
        )))
    }

    /// One read that needs the URL and the credentials to work, for `config check --connect`.
    /// By default: every pipeline, all pages.
    async fn probe(&self) -> Result<Probe> {
        let pipelines = self.list_pipelines().await?.len();
        Ok(Probe {
            pipelines,
            checked: "listed the pipelines".to_owned(),
        })
    }

    /// Every gate of `exec`, waiting or not, as far as the backend reports past gates; `None`
    /// when it reports only the waiting ones (`execution` has those).
    async fn gate_history(&self, exec: &ExecRef) -> Result<Option<Vec<GateRecord>>> {
        let _ = exec;
        Ok(None)
    }

    /// Aborts, retries, re-runs, suspends or resumes one execution (see `backend::control`).
    /// Sent at most once: the caller never retries this. A backend with no API for the
    /// action says why ([`control::not_offered`]) and sends nothing.
    async fn control(&self, exec: &ExecRef, action: &Control) -> Result<ControlOutcome> {
        let _ = exec;
        Err(BackendError::Unsupported(control::not_offered(
            self.kind(),
            action,
        )))
    }

    /// Which stages of a finished execution a retry may start from, or why none (Harness
    /// NextGen's `retryStages`).
    async fn retry_stages(&self, exec: &ExecRef) -> Result<RetryStages> {
        let _ = exec;
        Err(BackendError::Unsupported(format!(
            "{} backends do not list retryable stages",
            self.kind().as_str()
        )))
    }

    /// The inputs `exec` was started with, to start its pipeline again: on backends with no
    /// rerun of their own, a re-run is a new start with these (see `control::RunInputs`).
    async fn run_inputs(&self, exec: &ExecRef) -> Result<RunInputs> {
        let _ = exec;
        Err(BackendError::Unsupported(format!(
            "{} backends do not read a run's inputs back",
            self.kind().as_str()
        )))
    }

    /// Decides the gate of `exec` whose step carries `callback_id` (Harness's approval-step
    /// `callbackId`), for scripts that know the step but not the gate instance.
    async fn decide_by_callback(
        &self,
        exec: &ExecRef,
        callback_id: &str,
        decision: &Decision,
    ) -> Result<DecisionOutcome> {
        let _ = (exec, callback_id, decision);
        Err(crate::domain::BackendError::Unsupported(format!(
            "{} backends have no callback ids; pick the gate with --gate",
            self.kind().as_str()
        )))
    }
}
