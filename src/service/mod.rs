//! The backend service: owns the backend clients and talks to them on the app's behalf.
//!
//! One task per backend keeps backends independent: a slow or failing backend never delays
//! another one or the keyboard. Inside a task, reads are de-duplicated per resource (a
//! refresh asked for while the same read is queued or in flight is coalesced into one
//! follow-up run), run under a per-backend concurrency limit with a timeout, and scheduled
//! by [`schedule::Schedule`]. Writes (start, decide) are sent exactly once and never retried.

mod schedule;
mod task;
mod watch;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use crate::backend::{Backend, Control, ControlOutcome, RetryStages, RunInputs};
use crate::domain::{
    Approval, BackendError, BackendName, Decision, DecisionOutcome, ExecRef, Execution,
    ExecutionDetail, LogLine, Pipeline, StartForm, StartRequest, StartResult,
};

pub use schedule::Intervals;

/// A read the service can schedule and de-duplicate.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Resource {
    Pipelines,
    Executions,
    Approvals,
    Execution(ExecRef),
}

/// What the app asks of one backend.
#[derive(Debug, Clone)]
pub enum Command {
    /// Read now (coalesced with a read of the same resource already queued or in flight).
    Refresh(Resource),
    /// The execution the user is on: read once when selected, so its detail opens at
    /// once, and polled fastest while its detail is `open` and it is active.
    Select {
        exec: Option<ExecRef>,
        open: bool,
    },
    /// Load the start form of a pipeline for a dialog opened at `epoch`.
    LoadStartForm {
        epoch: u64,
        project: String,
        pipeline_id: String,
    },
    /// Render the exact start request for a dialog's preview; changes nothing.
    Preview {
        epoch: u64,
        request: StartRequest,
    },
    Start {
        epoch: u64,
        request: StartRequest,
    },
    Decide {
        epoch: u64,
        approval: Box<Approval>,
        decision: Decision,
    },
    /// Streams the log of an execution (one step, or all) for the log view opened at
    /// `epoch`; replaces any log already streaming from this backend.
    Logs {
        epoch: u64,
        exec: ExecRef,
        step: Option<String>,
        follow: bool,
    },
    /// The log view closed: stop streaming.
    StopLogs,
    /// One control action on one execution, sent once; an answer that may have acted is
    /// followed by a read of the run, so its reply says what the run reads now.
    Control {
        epoch: u64,
        exec: ExecRef,
        action: Control,
    },
    /// Which stages a retry of `exec` may start from (Harness NextGen's `retryStages`).
    RetryStages {
        epoch: u64,
        exec: ExecRef,
    },
    /// The inputs `exec` was started with, to pre-fill a re-run's start form.
    RunInputs {
        epoch: u64,
        exec: ExecRef,
    },
}

/// A typed answer, tagged with the backend and the epoch of the dialog that asked (0 for
/// polling), so a late reply never lands in the wrong dialog.
#[derive(Debug, Clone)]
pub struct Reply {
    pub backend: BackendName,
    pub epoch: u64,
    /// How long the backend took; feeds the "slow" health state.
    pub elapsed: Duration,
    pub payload: Payload,
}

type Res<T> = Result<T, BackendError>;

#[derive(Debug, Clone)]
pub enum Payload {
    Pipelines(Res<Vec<Pipeline>>),
    Executions(Res<Vec<Execution>>),
    Approvals(Res<Vec<Approval>>),
    Execution(ExecRef, Res<Box<ExecutionDetail>>),
    StartForm {
        project: String,
        pipeline_id: String,
        result: Res<StartForm>,
    },
    Preview {
        request: StartRequest,
        result: Res<Box<crate::domain::RequestPreview>>,
    },
    Started {
        request: StartRequest,
        result: Res<StartResult>,
        /// The backend's correlation id for the request that acted, where it gives one.
        request_id: Option<String>,
    },
    Decided {
        approval: Box<Approval>,
        decision: Decision,
        result: Res<DecisionOutcome>,
        request_id: Option<String>,
    },
    /// How the executions list is kept fresh changed (backends that can watch only).
    Feed(Feed),
    /// The backend's requests are held back below its budget, and why (the server refused
    /// some: 429); `None` once they are back to the budget.
    Pace(Option<String>),
    /// Lines of the log streaming for the view opened at the reply's epoch.
    LogLines(Vec<LogLine>),
    /// That log ended: the step finished, or it failed.
    LogEnded(Res<()>),
    Controlled {
        exec: ExecRef,
        action: Control,
        result: Res<ControlOutcome>,
        /// The run's status read right after an answer that may have acted (else `None`),
        /// or why it could not be read.
        after: Option<Result<String, String>>,
        request_id: Option<String>,
    },
    /// Who the backend's key acts as, read when its task starts (see `backend::identity`).
    Identity(crate::backend::Identity),
    RetryStages {
        exec: ExecRef,
        result: Res<RetryStages>,
    },
    RunInputs(Res<RunInputs>),
}

/// How a backend's executions list is kept fresh.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Feed {
    /// Pushed by the backend's watch stream as things change.
    Watching,
    /// Polled, because the watch is down for `reason`.
    Polling { reason: String },
}

/// The app's handle on the service: one command queue per backend.
#[derive(Clone)]
pub struct Service {
    queues: Vec<(BackendName, mpsc::UnboundedSender<Command>)>,
}

/// Per-backend limits the service enforces.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub concurrency: usize,
    /// Cap on one whole operation (a paged list is several requests, each with its own
    /// HTTP timeout inside the client).
    pub operation_timeout: Duration,
    /// No read of this backend is polled more often than this, whatever the intervals say:
    /// for backends with a tight request budget (First Gen GraphQL allows 30 calls a minute
    /// per account).
    pub min_interval: Duration,
}

impl Service {
    /// Spawns one task per backend; replies go to `replies`.
    pub fn spawn(
        backends: Vec<(Arc<dyn Backend>, Limits)>,
        intervals: Intervals,
        replies: mpsc::UnboundedSender<Reply>,
    ) -> Service {
        let queues = backends
            .into_iter()
            .map(|(backend, limits)| {
                let (tx, rx) = mpsc::unbounded_channel();
                let name = backend.name().clone();
                tokio::spawn(task::run(backend, limits, intervals, rx, replies.clone()));
                (name, tx)
            })
            .collect();
        Service { queues }
    }

    pub fn send(&self, backend: &str, command: Command) {
        if let Some((_, tx)) = self.queues.iter().find(|(n, _)| &**n == backend) {
            // A closed queue means the task ended with the runtime; nothing to tell anyone.
            let _ = tx.send(command);
        }
    }

    pub fn broadcast(&self, command: Command) {
        for (_, tx) in &self.queues {
            let _ = tx.send(command.clone());
        }
    }
}
