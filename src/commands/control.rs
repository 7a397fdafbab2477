//! `flightdeck abort|retry|rerun|suspend|resume TARGET`: execution control from scripts.
//!
//! Each verb passes the write rules (read-only: exit 9), sends the action once and records
//! one audit entry. Refusals keep the backend's words: a run not in a state for the action
//! (finished, already aborting, not failed) is a conflict (exit 5); a backend with no API
//! for it exits 11 and sends nothing. An answer that may have acted (timeout, broken
//! connection, 5xx) is never retried: the run is read again and what it reads now is
//! reported with the failure's exit code (1, or 6 for a timeout).

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use super::json::StatusJson;
use super::{Failure, Global, failure, target};
use crate::backend::{Backend, Control, ControlOutcome};
use crate::cli::{AbortArgs, RerunArgs, RetryArgs};
use crate::domain::{BackendError, ExecRef, ExecStatus, Status};
use crate::out;
use crate::sanitize::clean;
use crate::write::control_label;

/// Exit code: the backend has no API for this action (see `cli::EXIT_CODES`).
pub const UNSUPPORTED: u8 = 11;

/// The JSON result of a control verb (README, "JSON output").
#[derive(Debug, Serialize)]
struct ControlJson {
    backend: String,
    project: String,
    /// The execution the action was asked for.
    execution_id: String,
    /// `abort`, `abort-stage`, `terminate`, `retry`, `rerun`, `suspend`, `resume`.
    action: String,
    /// The execution acted on, or the new one (`new_run`).
    result_execution_id: String,
    new_run: bool,
    /// The run's status after the action, as answered or read right after.
    status: Option<StatusJson>,
    /// Accepted but not acted on, and why (Argo stop of a suspended workflow).
    pending: Option<String>,
    /// With --wait: the status it ended with.
    final_status: Option<StatusJson>,
}

fn failure_of(backend: &str, err: &BackendError) -> Failure {
    match err {
        BackendError::Unsupported(_) => {
            let f = Failure::backend(backend, err);
            Failure::new(UNSUPPORTED, "unsupported", f.message)
        }
        _ => Failure::backend(backend, err),
    }
}

pub async fn abort(global: &Global, args: AbortArgs) -> Result<(), Failure> {
    let action = Control::Abort {
        stage: args.stage,
        terminate: args.terminate,
    };
    act(global, &args.target, action, None).await
}

pub async fn retry(global: &Global, args: RetryArgs) -> Result<(), Failure> {
    let poll = wait_poll(args.wait, &args.poll)?;
    let action = Control::Retry {
        stages: args.stages,
    };
    act(global, &args.target, action, poll).await
}

pub async fn rerun(global: &Global, args: RerunArgs) -> Result<(), Failure> {
    let poll = wait_poll(args.wait, &args.poll)?;
    act(global, &args.target, Control::Rerun, poll).await
}

pub async fn suspend(global: &Global, target: &str) -> Result<(), Failure> {
    act(global, target, Control::Suspend, None).await
}

pub async fn resume(global: &Global, target: &str) -> Result<(), Failure> {
    act(global, target, Control::Resume, None).await
}

fn wait_poll(wait: bool, poll: &str) -> Result<Option<Duration>, Failure> {
    wait.then(|| super::start::duration("poll", poll))
        .transpose()
}

async fn act(
    global: &Global,
    target_text: &str,
    action: Control,
    wait: Option<Duration>,
) -> Result<(), Failure> {
    let loaded = global.load()?;
    let t = target::Target::parse(target_text, "execution")?;
    let p = target::find(&loaded.backends, &t.backend)?;
    let writes = global.writable(&loaded, &t.backend).await?;
    let backend = &p.backend;
    // What a backend has no API for is known before anything is read or sent.
    if let Err(why) = crate::backend::control::has_api(backend.kind(), &action) {
        return Err(failure_of(&t.backend, &BackendError::Unsupported(why)));
    }
    let exec = target::execution(backend, &t).await?;
    // The pipeline's name, for the audit entry; a backend that cannot show one execution
    // still gets to say whether it offers the action.
    let pipeline_name = match backend.execution(&exec).await {
        Ok(detail) => detail.execution.pipeline_name,
        Err(BackendError::Unsupported(_)) => String::new(),
        Err(e) => return Err(Failure::backend(&t.backend, &e)),
    };

    let (result, request_id) =
        crate::backend::identity::capture_request_id(backend.control(&exec, &action)).await;
    if let Err(e @ BackendError::Unsupported(_)) = &result {
        // Nothing was sent: no audit entry, as for a read-only refusal.
        return Err(failure_of(&t.backend, e));
    }
    // An answer that may have acted: read the run before saying anything.
    let after = match &result {
        Err(e) if e.outcome_unknown() => Some(read_status(backend, &exec).await),
        _ => None,
    };
    global.audit(
        &writes.control_entry(
            &t.backend,
            &exec,
            &pipeline_name,
            &action,
            &result,
            after
                .as_ref()
                .map(|a| a.as_deref().unwrap_or("could not be read")),
            request_id,
            jiff::Timestamp::now(),
        ),
    );
    let outcome = match result {
        Ok(o) => o,
        Err(e) => {
            let mut f = failure_of(&t.backend, &e);
            if let Some(after) = after {
                f.message = format!(
                    "{}; the outcome is unknown (not sent again): {} now reads {}",
                    f.message,
                    clean(&exec.id),
                    clean(after.as_deref().unwrap_or("nothing (it could not be read)"))
                );
            }
            return Err(f);
        }
    };
    report(global, &t.backend, backend, &exec, &action, outcome, wait).await
}

/// The run's status word now, or why it could not be read.
async fn read_status(backend: &Arc<dyn Backend>, exec: &ExecRef) -> Result<String, String> {
    backend
        .execution(exec)
        .await
        .map(|d| d.execution.status.said())
        .map_err(|e| e.to_string())
}

async fn report(
    global: &Global,
    name: &str,
    backend: &Arc<dyn Backend>,
    exec: &ExecRef,
    action: &Control,
    mut outcome: ControlOutcome,
    wait: Option<Duration>,
) -> Result<(), Failure> {
    let result_ref = ExecRef {
        project: exec.project.clone(),
        id: outcome.execution_id.clone(),
    };
    // The answer did not say (Harness registers an abort and acts later): read the run.
    if outcome.status.is_none()
        && let Ok(d) = backend.execution(&result_ref).await
    {
        outcome.status = Some(d.execution.status);
    }
    let mut json = ControlJson {
        backend: name.to_string(),
        project: exec.project.clone(),
        execution_id: exec.id.clone(),
        action: action.verb().into(),
        result_execution_id: outcome.execution_id.clone(),
        new_run: outcome.new_run,
        status: outcome.status.as_ref().map(StatusJson::from),
        pending: outcome.pending.clone(),
        final_status: None,
    };
    let label = control_label(action, &outcome);
    let line = || {
        let mut text = format!("{name}/{}/{}: {label}\n", exec.project, exec.id);
        if let Some(pending) = &outcome.pending {
            text.push_str(pending);
            text.push('\n');
        }
        text
    };
    if let Some(pending) = &outcome.pending {
        global.print(&json, line);
        return Err(Failure::conflict(format!("{name}: {}", clean(pending))));
    }
    let Some(poll) = wait else {
        global.print(&json, line);
        return Ok(());
    };
    out::note(&format!(
        "{name}/{}/{}: {}; waiting for {} to finish",
        exec.project,
        clean(&exec.id),
        clean(&label),
        clean(&result_ref.id)
    ));
    let status = follow(backend, &result_ref, poll, name).await?;
    json.final_status = Some(StatusJson::from(&status));
    global.print(&json, || {
        format!(
            "{name}/{}/{} finished: {}\n",
            exec.project,
            result_ref.id,
            status.said()
        )
    });
    if status.status == ExecStatus::Succeeded {
        Ok(())
    } else {
        Err(Failure::new(
            failure::UNSUCCESSFUL,
            "unsuccessful",
            format!("{} ended {}", result_ref.id, status.said()),
        ))
    }
}

/// Reads the run every `poll` until it ends; transient read errors are waited out.
async fn follow(
    backend: &Arc<dyn Backend>,
    exec: &ExecRef,
    poll: Duration,
    name: &str,
) -> Result<Status, Failure> {
    let mut last = String::new();
    loop {
        match backend.execution(exec).await {
            Ok(detail) => {
                let s = detail.execution.status;
                let said = s.said();
                if said != last {
                    out::note(&format!("{}: {said}", clean(&exec.id)));
                    last = said;
                }
                if s.status.is_terminal() {
                    return Ok(s);
                }
            }
            Err(e) if e.is_transient() => out::note(&format!(
                "{}: {} (still waiting)",
                clean(&exec.id),
                clean(&e.to_string())
            )),
            Err(e) => return Err(Failure::backend(name, &e)),
        }
        tokio::time::sleep(poll).await;
    }
}
