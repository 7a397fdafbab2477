//! Execution control: abort (Argo: stop or terminate), retry what failed, re-run with the
//! same inputs, suspend and resume. What each backend offers is in the feature × backend
//! table of the README ("Execution control"); where a backend has no API for an action,
//! [`not_offered`] says why, and nothing is sent.

use crate::backend::Backend;
use crate::domain::{BackendError, BackendKind, ExecRef, ExecStatus, StartRequest, Status};

/// One control action on one execution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Control {
    /// Stop the run. Harness NextGen: `AbortAll`, of the whole run or (with `stage`) of one
    /// stage. Argo: `stop` (exit handlers still run), or `terminate` (they do not).
    Abort {
        stage: Option<String>,
        terminate: bool,
    },
    /// Run again what failed. Harness NextGen: a new execution in the same retry chain,
    /// from `stages` (default: what `retryStages` says failed). Argo: the same workflow.
    Retry { stages: Vec<String> },
    /// A new run with the original run's inputs.
    Rerun,
    /// Argo: hold the whole workflow (running pods go on; nothing new starts).
    Suspend,
    /// Argo: release a suspended workflow.
    Resume,
}

impl Control {
    /// The word of the audit log, the JSON output and the simulator's counters.
    pub fn verb(&self) -> &'static str {
        match self {
            Control::Abort {
                terminate: true, ..
            } => "terminate",
            Control::Abort {
                stage: Some(_),
                terminate: false,
            } => "abort-stage",
            Control::Abort { .. } => "abort",
            Control::Retry { .. } => "retry",
            Control::Rerun => "rerun",
            Control::Suspend => "suspend",
            Control::Resume => "resume",
        }
    }
}

/// What a control action did, as far as the backend's answer tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlOutcome {
    /// The execution acted on, or the new one (rerun, Harness retry).
    pub execution_id: String,
    /// A new execution resulted.
    pub new_run: bool,
    /// The status as the answer gave it; `None` when it does not say (read the run).
    pub status: Option<Status>,
    /// The backend accepted the action but did not act on it (yet), and why: the caller
    /// must not report it as done.
    pub pending: Option<String>,
}

/// The inputs a run was started with, as far as the backend can tell: what a re-run on a
/// backend with no rerun API starts again (First Gen, Infraxys), and what the dashboard's
/// re-run form is pre-filled with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunInputs {
    pub project: String,
    pub pipeline_id: String,
    pub values: Vec<(String, String)>,
    /// Where the values come from, for the form's note: a person must know whether the
    /// backend recorded them or this process remembers what it sent.
    pub source: &'static str,
    /// The run's status when they were read: a re-run starts again only a run that ended.
    pub status: ExecStatus,
}

/// A re-run on a backend with no rerun of its own ([`rerun_is_a_start`]): the run's inputs
/// started again, once the run has ended, as the dashboard offers it (see [`offered`]).
pub async fn rerun_as_start<B: Backend + ?Sized>(
    backend: &B,
    exec: &ExecRef,
    inputs: RunInputs,
) -> Result<ControlOutcome, BackendError> {
    if !inputs.status.is_terminal() {
        return Err(BackendError::Conflict(format!(
            "{} has not ended ({}): re-run it once it has",
            exec.id,
            inputs.status.label()
        )));
    }
    let started = backend
        .start(&StartRequest {
            project: inputs.project,
            pipeline_id: inputs.pipeline_id,
            values: inputs.values,
            notes: Some(format!("re-run of {}", exec.id)),
        })
        .await?;
    Ok(ControlOutcome {
        execution_id: started.execution_id,
        new_run: true,
        status: Some(started.status),
        pending: None,
    })
}

/// Whether the dashboard re-runs a `kind` run through the start form, pre-filled with the
/// run's inputs, rather than a confirm-only dialog: these backends have no rerun of their
/// own, so a re-run is a new start, and the person sees and may change what it sends.
pub fn rerun_is_a_start(kind: BackendKind) -> bool {
    matches!(kind, BackendKind::HarnessFg | BackendKind::Infraxys)
}

/// One stage `retryStages` lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryStage {
    pub identifier: String,
    pub name: String,
    /// The backend's raw status word (`Failed`, `Success`, ...).
    pub status: String,
}

/// Harness NextGen's answer to "which stages can be retried".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryStages {
    pub resumable: bool,
    /// The server's refusal, verbatim, when not resumable.
    pub error: Option<String>,
    /// Sequential groups; a group of several stages ran in parallel.
    pub groups: Vec<Vec<RetryStage>>,
}

impl RetryStages {
    /// Where a retry starts by default: the first group holding a stage that did not
    /// succeed (all its stages, as the Harness UI offers a parallel group).
    pub fn default_stages(&self) -> Vec<String> {
        self.groups
            .iter()
            .find(|g| g.iter().any(|s| !s.status.eq_ignore_ascii_case("success")))
            .map(|g| g.iter().map(|s| s.identifier.clone()).collect())
            .unwrap_or_default()
    }
}

/// Why `kind` offers no `action`, in words for the help, the key hint and the CLI.
pub fn not_offered(kind: BackendKind, action: &Control) -> String {
    let verb = action.verb();
    match (kind, action) {
        (BackendKind::HarnessFg, Control::Abort { .. }) => {
            "Harness First Gen's GraphQL API has no abort mutation (the REST interrupt its web UI \
             uses is undocumented for API keys); abort it in the Harness UI"
                .into()
        }
        (BackendKind::HarnessFg, Control::Suspend | Control::Resume)
        | (BackendKind::Harness, Control::Suspend | Control::Resume) => format!(
            "Harness has no {verb} for pipelines through its API (NextGen removed pause and \
             resume in 2023; First Gen's GraphQL has none)"
        ),
        (BackendKind::HarnessFg, Control::Retry { .. }) => {
            "First Gen resumes a pipeline from one stage (resumeExecution): give one --stage".into()
        }
        (
            BackendKind::Harness,
            Control::Abort {
                terminate: true, ..
            },
        ) => "Harness NextGen has no terminate: its abort (AbortAll) ends the run; leave out \
             --terminate"
            .into(),
        (BackendKind::Infraxys, _) => format!(
            "Infraxys has no API to {verb} a run (no cancel, abort, pause or retry endpoint \
             exists); start the action again instead"
        ),
        (BackendKind::Argo, Control::Abort { stage: Some(_), .. }) => {
            "Argo stops only a whole workflow (a node selector targets suspend nodes only): \
             leave out --stage"
                .into()
        }
        (BackendKind::Argo, Control::Retry { stages }) if !stages.is_empty() => {
            "Argo retries the failed nodes of the whole workflow: leave out --stage".into()
        }
        (kind, _) => format!(
            "{} backends cannot {verb} through flightdeck",
            kind.as_str()
        ),
    }
}

/// Whether `kind` has an API for `action` at all, whatever the run's state; else why not
/// ([`not_offered`]'s words). The help lists these reasons.
pub fn has_api(kind: BackendKind, action: &Control) -> Result<(), String> {
    let api = match (kind, action) {
        (BackendKind::Harness, Control::Abort { terminate, .. }) => !terminate,
        (BackendKind::Harness, Control::Retry { .. } | Control::Rerun) => true,
        (BackendKind::HarnessFg, Control::Retry { stages }) => stages.len() <= 1,
        // A new start with the run's inputs, as read back (First Gen) or as this process
        // sent them (Infraxys, which cannot read a run back).
        (BackendKind::HarnessFg | BackendKind::Infraxys, Control::Rerun) => true,
        (BackendKind::Argo, Control::Abort { stage, .. }) => stage.is_none(),
        (BackendKind::Argo, Control::Retry { stages }) => stages.is_empty(),
        (BackendKind::Argo, Control::Rerun | Control::Suspend | Control::Resume) => true,
        _ => false,
    };
    if api {
        Ok(())
    } else {
        Err(not_offered(kind, action))
    }
}

/// Whether `kind` offers `action` on a run in `status`, else why not. The TUI offers a key
/// only where this says yes; the reasons a backend has no API for an action are
/// [`not_offered`]'s, the words the backend's own refusal carries.
pub fn offered(kind: BackendKind, action: &Control, status: ExecStatus) -> Result<(), String> {
    has_api(kind, action)?;
    let fits = match action {
        Control::Abort { .. } => status.is_active(),
        // Argo retries Failed and Error workflows only (both read as failed).
        Control::Retry { .. } if kind == BackendKind::Argo => status == ExecStatus::Failed,
        Control::Retry { .. } => status.is_bad(),
        Control::Rerun => status.is_terminal(),
        Control::Suspend => status.is_active() && status != ExecStatus::Paused,
        Control::Resume => status == ExecStatus::Paused,
    };
    if fits {
        return Ok(());
    }
    let label = status.label();
    Err(match action {
        Control::Abort { .. } => format!("the run has already ended ({label}): nothing to abort"),
        Control::Retry { .. } => format!("only a failed run can be retried; this one is {label}"),
        Control::Rerun => format!("the run is still {label}: re-run it once it has ended"),
        Control::Suspend => {
            format!("only a running workflow can be suspended; this one is {label}")
        }
        Control::Resume => format!("only a suspended workflow can be resumed; this one is {label}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offered_follows_the_backend_and_the_run_state() {
        let abort = Control::Abort {
            stage: None,
            terminate: false,
        };
        assert_eq!(
            offered(BackendKind::Argo, &abort, ExecStatus::Running),
            Ok(())
        );
        assert_eq!(
            offered(BackendKind::Infraxys, &abort, ExecStatus::Running),
            Err(not_offered(BackendKind::Infraxys, &abort))
        );
        assert_eq!(
            offered(BackendKind::HarnessFg, &abort, ExecStatus::Running),
            Err(not_offered(BackendKind::HarnessFg, &abort))
        );
        assert!(
            offered(BackendKind::Harness, &abort, ExecStatus::Succeeded)
                .unwrap_err()
                .contains("already ended")
        );
        let retry = Control::Retry { stages: Vec::new() };
        assert!(offered(BackendKind::Harness, &retry, ExecStatus::Aborted).is_ok());
        assert!(offered(BackendKind::Argo, &retry, ExecStatus::Aborted).is_err());
        assert!(offered(BackendKind::Argo, &Control::Resume, ExecStatus::Paused).is_ok());
        assert!(offered(BackendKind::Argo, &Control::Suspend, ExecStatus::Paused).is_err());
        assert!(offered(BackendKind::Harness, &Control::Suspend, ExecStatus::Running).is_err());
        assert!(offered(BackendKind::Argo, &Control::Rerun, ExecStatus::Running).is_err());
    }
}
