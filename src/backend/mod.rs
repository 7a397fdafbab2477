//! One client per backend kind behind one trait, so the service, the TUI and the CLI never
//! see a wire format.

pub mod argo;
pub mod budget;
pub mod capped;
mod decoded;
pub mod harness;
pub mod harness_fg;
pub mod http;
pub mod infraxys;

use async_trait::async_trait;
use tokio::sync::mpsc;

pub use budget::Budget;

use crate::domain::{
    Approval, BackendError, BackendKind, BackendName, Decision, DecisionOutcome, ExecRef,
    Execution, ExecutionDetail, LogLine, Pipeline, StartForm, StartRequest, StartResult,
};

pub type Result<T> = std::result::Result<T, BackendError>;

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
