//! The backend-neutral domain model every backend maps its wire format into.
//!
//! Raw backend statuses travel beside the normalized [`ExecStatus`] so the UI can show
//! exactly what the server said while colouring and sorting by the normalized value.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;

pub mod order;
mod preview;

pub use preview::RequestPreview;

/// The configured name of a backend (`[[backend]] name = ...`); shared, cheap to clone.
pub type BackendName = Arc<str>;

/// Which wire protocol a backend speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Deserialize, serde::Serialize)]
pub enum BackendKind {
    #[serde(rename = "harness")]
    Harness,
    #[serde(rename = "harness-fg")]
    HarnessFg,
    #[serde(rename = "argo")]
    Argo,
    #[serde(rename = "infraxys")]
    Infraxys,
}

impl BackendKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BackendKind::Harness => "harness",
            BackendKind::HarnessFg => "harness-fg",
            BackendKind::Argo => "argo",
            BackendKind::Infraxys => "infraxys",
        }
    }
}

/// Normalized execution / stage / step status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ExecStatus {
    /// Waiting for a person: an approval gate or manual intervention.
    Waiting,
    Running,
    Queued,
    Paused,
    NotStarted,
    Succeeded,
    Failed,
    Aborted,
    Rejected,
    Expired,
    Skipped,
    Unknown,
}

impl ExecStatus {
    /// Finished executions are never polled again. For a stage this is what "done" means
    /// in [`stage_progress`]: it has ended, however it ended.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            ExecStatus::Succeeded
                | ExecStatus::Failed
                | ExecStatus::Aborted
                | ExecStatus::Rejected
                | ExecStatus::Expired
                | ExecStatus::Skipped
        )
    }

    /// Still moving: worth polling fast.
    pub fn is_active(self) -> bool {
        matches!(
            self,
            ExecStatus::Waiting | ExecStatus::Running | ExecStatus::Queued | ExecStatus::Paused
        )
    }

    pub fn is_bad(self) -> bool {
        matches!(
            self,
            ExecStatus::Failed | ExecStatus::Aborted | ExecStatus::Rejected | ExecStatus::Expired
        )
    }

    /// One-cell glyph; always shown together with text so colour is never the only signal.
    /// Only characters with a narrow, text presentation in common terminal fonts: emoji such
    /// as ⏸ or ⌛ render double-width in some terminals and break the table layout.
    pub fn glyph(self) -> &'static str {
        match self {
            ExecStatus::Waiting => "◆",
            ExecStatus::Running => "↻",
            ExecStatus::Queued => "…",
            ExecStatus::Paused => "‖",
            ExecStatus::NotStarted => "·",
            ExecStatus::Succeeded => "✓",
            ExecStatus::Failed => "✗",
            ExecStatus::Aborted => "■",
            ExecStatus::Rejected => "⊘",
            ExecStatus::Expired => "⊗",
            ExecStatus::Skipped => "»",
            ExecStatus::Unknown => "?",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ExecStatus::Waiting => "waiting",
            ExecStatus::Running => "running",
            ExecStatus::Queued => "queued",
            ExecStatus::Paused => "paused",
            ExecStatus::NotStarted => "not started",
            ExecStatus::Succeeded => "success",
            ExecStatus::Failed => "failed",
            ExecStatus::Aborted => "aborted",
            ExecStatus::Rejected => "rejected",
            ExecStatus::Expired => "expired",
            ExecStatus::Skipped => "skipped",
            ExecStatus::Unknown => "unknown",
        }
    }
}

/// The one progress rule of every backend, the TUI, the CLI table and JSON alike:
/// `(stages done, stages known)`. A stage is done once it has ended, however it ended
/// (succeeded, failed, skipped, aborted, rejected, expired: [`ExecStatus::is_terminal`]); a
/// stage that runs, waits for a person, is queued, paused, not started or unknown is not.
///
/// What a stage is, per backend: Harness NextGen, a pipeline stage (the summary's layout
/// nodes); First Gen, a pipeline stage execution (a workflow's run is one stage); Argo, a
/// top-level step group of a Steps workflow, or the whole DAG or single template as one
/// stage (Argo creates a group's nodes only when the workflow reaches it, so its total grows
/// as the workflow runs, like Argo's own pod progress); Infraxys, the one run.
pub fn stage_progress(stages: impl IntoIterator<Item = ExecStatus>) -> (u32, u32) {
    let (mut done, mut total) = (0u32, 0u32);
    for status in stages {
        total = total.saturating_add(1);
        done = done.saturating_add(u32::from(status.is_terminal()));
    }
    (done, total)
}

/// A status as normalized plus the backend's own spelling (e.g. `ApprovalWaiting`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub status: ExecStatus,
    pub raw: String,
}

impl Status {
    pub fn new(status: ExecStatus, raw: impl Into<String>) -> Self {
        Status {
            status,
            raw: raw.into(),
        }
    }

    /// The status in a sentence of the command line: the normalized word every view uses,
    /// then the backend's own word where it says something else (`waiting (PAUSED)`).
    pub fn said(&self) -> String {
        let word = self.status.label();
        if self.raw_says_more() {
            format!("{word} ({})", crate::sanitize::clean(&self.raw))
        } else {
            word.to_string()
        }
    }

    /// Whether the backend's own word says something the normalized one does not.
    pub fn raw_says_more(&self) -> bool {
        !self.raw.is_empty() && !self.raw.eq_ignore_ascii_case(self.status.label())
    }
}

/// A startable thing: a Harness pipeline, an Argo WorkflowTemplate, an Infraxys workflow...
#[derive(Debug, Clone, PartialEq)]
pub struct Pipeline {
    pub backend: BackendName,
    /// Project (Harness project, Argo namespace, FG application); part of the identity.
    pub project: String,
    /// Identifier unique within `project`.
    pub id: String,
    pub name: String,
    pub description: String,
    pub tags: Vec<(String, String)>,
    pub last_status: Option<Status>,
    pub last_run: Option<Timestamp>,
    /// Number of stages, when the backend reports it.
    pub stages: Option<u32>,
}

impl Pipeline {
    pub fn key(&self) -> ItemKey {
        ItemKey::new(&self.backend, &self.project, &self.id)
    }
}

/// Stable identity of any listed item across refreshes: cursor and marks are keyed by it.
/// Ids are unique within a project of a backend, so the three together name one item;
/// "this backend's items" is a comparison of `backend`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ItemKey {
    pub backend: BackendName,
    pub project: String,
    pub id: String,
}

impl ItemKey {
    pub fn new(backend: &str, project: &str, id: &str) -> Self {
        ItemKey {
            backend: backend.into(),
            project: project.into(),
            id: id.into(),
        }
    }
}

/// How a start-form variable is typed by its backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VarKind {
    Text,
    Number,
    Secret,
    Choice(Vec<String>),
    /// An entity reference (environment, service, infrastructure...), named by type.
    Entity(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariableSpec {
    /// The name the user types and `--var name=value` uses.
    pub name: String,
    pub kind: VarKind,
    pub required: bool,
    pub default: Option<String>,
    pub description: Option<String>,
}

/// What a backend needs filled in to start a pipeline.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StartForm {
    pub variables: Vec<VariableSpec>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct StartRequest {
    pub project: String,
    pub pipeline_id: String,
    /// Values by variable name; unnamed variables take their defaults.
    pub values: Vec<(String, String)>,
    pub notes: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StartResult {
    pub execution_id: String,
    pub status: Status,
}

/// Addresses one execution in its backend.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExecRef {
    pub project: String,
    pub id: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Execution {
    pub backend: BackendName,
    pub project: String,
    pub id: String,
    pub pipeline_id: String,
    pub pipeline_name: String,
    pub status: Status,
    pub started: Option<Timestamp>,
    pub ended: Option<Timestamp>,
    pub triggered_by: String,
    pub run_number: Option<u64>,
    pub stages_done: u32,
    pub stages_total: u32,
    /// Failure or status message from the server, if any.
    pub message: Option<String>,
    /// Its page in the vendor's web UI (`backend::links`), checked to be a plain http(s)
    /// URL; `None` where the vendor has none.
    pub url: Option<String>,
}

impl Execution {
    pub fn key(&self) -> ItemKey {
        ItemKey::new(&self.backend, &self.project, &self.id)
    }

    pub fn exec_ref(&self) -> ExecRef {
        ExecRef {
            project: self.project.clone(),
            id: self.id.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub name: String,
    /// Backend step type (`HarnessApproval`, `ShellScript`, `Pod`, `Suspend`...).
    pub kind: String,
    pub status: Status,
    pub started: Option<Timestamp>,
    pub ended: Option<Timestamp>,
    pub message: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Stage {
    pub name: String,
    pub status: Status,
    pub started: Option<Timestamp>,
    pub ended: Option<Timestamp>,
    pub steps: Vec<Step>,
}

/// One execution with its stage/step tree and its waiting gates.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecutionDetail {
    pub execution: Execution,
    pub stages: Vec<Stage>,
    pub approvals: Vec<Approval>,
    /// The gate whose rejection made the execution `Rejected`, where the backend's own
    /// status does not say it (an Argo gate whose verdict was set to its reject value).
    pub rejection: Option<Rejection>,
}

/// A gate that was rejected, and what the backend recorded about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// Backend id of the gate (the Argo node id).
    pub gate: String,
    pub stage: String,
    pub step: String,
    /// Who rejected it, when the backend recorded it; `None` means nobody can tell.
    pub by: Option<String>,
    /// The gate's message as the server has it (the comment, or Argo's `Resumed by: …`).
    pub message: Option<String>,
}

/// One line of a step's log, as the server sent it (sanitized only when drawn).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogLine {
    /// Where it came from: a pod, a container, a step.
    pub source: String,
    pub text: String,
    /// When it was written, where the backend says (Harness NextGen's `time`).
    pub time: Option<Timestamp>,
    /// The backend's level word, upper case (`INFO`, `WARN`, `ERROR`), where it has one.
    pub level: Option<String>,
}

impl LogLine {
    /// A line with no time or level, as most backends send them.
    pub fn new(source: impl Into<String>, text: impl Into<String>) -> Self {
        LogLine {
            source: source.into(),
            text: text.into(),
            ..LogLine::default()
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApproverInput {
    pub name: String,
    pub default: String,
    /// Allowed values, when the backend restricts them.
    pub options: Vec<String>,
}

/// A gate waiting for a person.
#[derive(Debug, Clone, PartialEq)]
pub struct Approval {
    pub backend: BackendName,
    pub project: String,
    /// Backend id of the gate (Harness approval instance id, Argo node id...).
    pub id: String,
    pub execution_id: String,
    pub pipeline_id: String,
    pub pipeline_name: String,
    pub stage: String,
    pub step: String,
    pub message: String,
    pub approvers: Vec<String>,
    pub min_count: u32,
    pub inputs: Vec<ApproverInput>,
    pub created: Option<Timestamp>,
    pub deadline: Option<Timestamp>,
    pub triggered_by: String,
    pub environment: Option<String>,
    /// Harness: the approval step's author-chosen `callbackId`, which `--callback-id` names.
    pub callback_id: Option<String>,
    /// The gate in the vendor's web UI (its execution's page, with the gate selected where
    /// the UI can); `None` where the vendor has none.
    pub url: Option<String>,
}

impl Approval {
    pub fn key(&self) -> ItemKey {
        ItemKey::new(&self.backend, &self.project, &self.id)
    }

    pub fn exec_ref(&self) -> ExecRef {
        ExecRef {
            project: self.project.clone(),
            id: self.execution_id.clone(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DecisionAction {
    Approve,
    Reject,
}

impl DecisionAction {
    pub fn verb(self) -> &'static str {
        match self {
            DecisionAction::Approve => "approve",
            DecisionAction::Reject => "reject",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub action: DecisionAction,
    pub comment: String,
    pub inputs: Vec<(String, String)>,
}

/// What the backend said the gate became after a decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecisionOutcome {
    Approved,
    Rejected,
    /// Approval recorded, but more approvers are required.
    StillWaiting,
}

impl DecisionOutcome {
    /// The words a person reads: the status line, the batch results, the CLI's text
    /// output and the audit log.
    pub fn label(&self) -> &'static str {
        match self {
            DecisionOutcome::Approved => "approved",
            DecisionOutcome::Rejected => "rejected",
            DecisionOutcome::StillWaiting => "approved (more approvals needed)",
        }
    }

    /// The word a script reads: `outcome` in the CLI's JSON.
    pub fn code(&self) -> &'static str {
        match self {
            DecisionOutcome::Approved => "approved",
            DecisionOutcome::Rejected => "rejected",
            DecisionOutcome::StillWaiting => "approved_more_needed",
        }
    }
}

/// Everything that can go wrong talking to a backend, already phrased for a person.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BackendError {
    /// The credentials were refused (bad or expired token).
    #[error("authentication failed: {0}")]
    Unauthenticated(String),
    /// Authenticated, but not allowed to do this.
    #[error("not authorized: {0}")]
    NotAuthorized(String),
    #[error("not found: {0}")]
    NotFound(String),
    /// The request is ambiguous or clashes with the current state (several gates waiting,
    /// already decided by someone else).
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("expired: {0}")]
    Expired(String),
    #[error("rate limited{}", retry_after.map(|d| format!(", retry after {}s", d.as_secs())).unwrap_or_default())]
    RateLimited { retry_after: Option<Duration> },
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("timed out after {}s", .0.as_secs())]
    Timeout(Duration),
    #[error("network: {0}")]
    Network(String),
    #[error("server error {status}: {message}")]
    Server { status: u16, message: String },
    /// The server answered something we could not read.
    #[error("unreadable response: {0}")]
    Decode(String),
    #[error("not supported: {0}")]
    Unsupported(String),
}

impl BackendError {
    /// Whether a write (a start, a decision) that failed this way may still have taken
    /// effect. A refusal (4xx, 429) means the backend did nothing; a timeout, a broken
    /// connection, a 5xx or an unreadable answer may come after it acted, so the outcome is
    /// unknown until the backend is read again.
    pub fn outcome_unknown(&self) -> bool {
        match self {
            BackendError::Timeout(_)
            | BackendError::Network(_)
            | BackendError::Server { .. }
            | BackendError::Decode(_) => true,
            BackendError::Unauthenticated(_)
            | BackendError::NotAuthorized(_)
            | BackendError::NotFound(_)
            | BackendError::Conflict(_)
            | BackendError::Expired(_)
            | BackendError::RateLimited { .. }
            | BackendError::BadRequest(_)
            | BackendError::Unsupported(_) => false,
        }
    }

    /// Worth retrying automatically on the next poll (reads only; decisions never retry).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            BackendError::RateLimited { .. }
                | BackendError::Timeout(_)
                | BackendError::Network(_)
                | BackendError::Server { .. }
                | BackendError::Decode(_)
        )
    }
}

/// Formats a duration compactly for tables: `45s`, `3m12s`, `2h05m`, `3d04h`.
pub struct Compact(pub Duration);

impl fmt::Display for Compact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0.as_secs();
        match s {
            0..60 => write!(f, "{s}s"),
            60..3600 => write!(f, "{}m{:02}s", s / 60, s % 60),
            3600..86400 => write!(f, "{}h{:02}m", s / 3600, (s % 3600) / 60),
            _ => write!(f, "{}d{:02}h", s / 86400, (s % 86400) / 3600),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ExecStatus::*;

    #[test]
    fn a_stage_is_done_once_it_ended_however_it_ended() {
        assert_eq!(stage_progress([]), (0, 0));
        assert_eq!(
            stage_progress([Succeeded, Failed, Skipped, Aborted, Rejected, Expired]),
            (6, 6)
        );
        for unfinished in [Waiting, Running, Queued, Paused, NotStarted, Unknown] {
            assert_eq!(
                stage_progress([Succeeded, unfinished]),
                (1, 2),
                "{unfinished:?}"
            );
        }
    }

    #[test]
    fn a_sentence_says_the_normalized_word_and_the_backends_own_when_it_differs() {
        assert_eq!(Status::new(Waiting, "PAUSED").said(), "waiting (PAUSED)");
        assert_eq!(Status::new(Failed, "failed").said(), "failed");
        assert_eq!(Status::new(Succeeded, "").said(), "success");
        assert_eq!(
            Status::new(Running, "Run\u{1b}]52;c;x\u{7}").said(),
            "running (Run)"
        );
    }
}
