//! Execution control on the NextGen face (spec `control-logs-identity.md` §1.1): the
//! pipeline interrupt (`AbortAll` only) and the stage interrupt (`AbortAll` or
//! `UserMarkedFailure`). An abort is registered at once and lands asynchronously: the
//! execution reads `Discontinuing` until then, as on the real server.

use std::sync::Arc;

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::response::Response;
use serde_json::json;

use super::auth::Caller;
use super::errors::{self, ApiError};
use super::pipelines::{in_scope, path};
use super::render::status_name;
use super::{Cid, Outcome, Params, Reply, finish};
use crate::Shared;
use crate::world::{AbortError, Execution, RunStatus, World};

/// The ExecutionStatus display name of an execution, `Discontinuing` while an abort winds down.
pub(crate) fn execution_status(e: &Execution) -> &'static str {
    if e.discontinuing.is_some() && !e.status.is_terminal() {
        "Discontinuing"
    } else {
        status_name(e.status)
    }
}

/// The engine's `Status` enum name of a finished execution, as the "already finished" error
/// prints it (not the display name).
fn engine_status(s: RunStatus) -> &'static str {
    match s {
        RunStatus::Success => "SUCCEEDED",
        RunStatus::Failed => "FAILED",
        RunStatus::Aborted => "ABORTED",
        RunStatus::Rejected => "APPROVAL_REJECTED",
        RunStatus::Expired => "EXPIRED",
        RunStatus::Skipped => "SKIPPED",
        RunStatus::NotStarted => "NOT_STARTED",
        RunStatus::Running => "RUNNING",
        RunStatus::Waiting => "APPROVAL_WAITING",
    }
}

fn summary_not_found(id: &str) -> ApiError {
    ApiError::NotFound(format!(
        "Plan Execution Summary does not exist or has been deleted for planExecutionId: {id}"
    ))
}

fn already_finished(status: RunStatus) -> ApiError {
    ApiError::Invalid(format!(
        "Execution is already finished with status: [{}]",
        engine_status(status)
    ))
}

fn abort_in_progress() -> ApiError {
    ApiError::Coded(
        "ABORT_ALL_ALREADY_NG",
        "Execution abort is already under progress.".into(),
    )
}

/// The execution `id` of the caller's scope, checked for `core_pipeline_execute`.
fn scoped<'w>(
    s: &Shared,
    w: &'w World,
    caller: &Caller,
    params: &Params,
    id: &str,
) -> Result<&'w Execution, ApiError> {
    let [account, org, project] =
        params.required(["accountIdentifier", "orgIdentifier", "projectIdentifier"])?;
    let e = w
        .execution(id)
        .filter(|e| e.project == project && in_scope(s, w, &account, &org, &project))
        .ok_or_else(|| summary_not_found(id))?;
    caller.require_execute(w, &org, &project, Some(&e.pipeline))?;
    Ok(e)
}

/// Registers the abort and answers with the `InterruptDTO`.
fn register(s: &Shared, caller: &Caller, id: &str, stage: Option<usize>) -> Outcome {
    let mut w = s.world();
    let status = w.execution(id).map(|e| e.status);
    match w.discontinue(id, &caller.user, stage) {
        Ok(true) => {}
        Ok(false) => return Err(abort_in_progress()),
        Err(AbortError::NotFound) => return Err(summary_not_found(id)),
        Err(AbortError::Finished) => {
            return Err(already_finished(status.unwrap_or(RunStatus::Aborted)));
        }
    }
    s.stats().count_control("harness", "AbortAll");
    let interrupt_id = w.new_id();
    Ok(Reply::Envelope(json!({
        "id": interrupt_id,
        "type": "AbortAll",
        "planExecutionId": id,
    })))
}

/// `interruptType` as JAX-RS converts it into the route's enum: a value outside it never
/// reaches the handler.
fn interrupt_type(params: &Params, allowed: &[&str]) -> Result<String, ApiError> {
    let [kind] = params.required(["interruptType"])?;
    let folded = kind.replace('_', "").to_lowercase();
    allowed
        .iter()
        .find(|a| a.to_lowercase() == folded)
        .map(|a| a.to_string())
        .ok_or(ApiError::NoRoute(errors::NOT_FOUND))
}

/// `PUT /pipeline/api/pipeline/execute/interrupt/{planExecutionId}?interruptType=AbortAll`.
pub(crate) async fn interrupt(
    State(s): State<Arc<Shared>>,
    cid: Cid,
    caller: Caller,
    params: Params,
    id: Result<Path<String>, PathRejection>,
) -> Response {
    let outcome = (|| -> Outcome {
        let id = path(id)?;
        interrupt_type(&params, &["AbortAll"])?;
        {
            let w = s.world();
            scoped(&s, &w, &caller, &params, &id)?;
        }
        register(&s, &caller, &id, None)
    })();
    finish(&cid, outcome)
}

/// `PUT /pipeline/api/pipeline/execute/interrupt/{planExecutionId}/{nodeExecutionId}`.
pub(crate) async fn stage_interrupt(
    State(s): State<Arc<Shared>>,
    cid: Cid,
    caller: Caller,
    params: Params,
    ids: Result<Path<(String, String)>, PathRejection>,
) -> Response {
    let outcome = (|| -> Outcome {
        let (id, node) = path(ids)?;
        let kind = interrupt_type(&params, &["AbortAll", "UserMarkedFailure"])?;
        let stage = {
            let w = s.world();
            let e = scoped(&s, &w, &caller, &params, &id)?;
            if kind == "UserMarkedFailure" {
                // The account setting is off, as it is by default.
                return Err(ApiError::Invalid(
                    "[Allow user to mark the step as failed explicitly] Settings is not enabled, \
                     Please enable this setting if you want to use this product."
                        .into(),
                ));
            }
            if e.status.is_terminal() {
                return Err(already_finished(e.status));
            }
            let (si, run) = e
                .stages
                .iter()
                .enumerate()
                .find(|(_, st)| st.node_id == node)
                .ok_or_else(|| {
                    ApiError::NotFound(format!("Node Execution with id {node} not found"))
                })?;
            if !matches!(run.status, RunStatus::Running | RunStatus::Waiting) {
                return Err(already_finished(run.status));
            }
            si
        };
        register(&s, &caller, &id, Some(stage))
    })();
    finish(&cid, outcome)
}

// ----- retry and rerun (§1.1.5, §1.1.6) ----------------------------------------------------

const NOT_LATEST: &str = "This execution is not the latest of all retried execution. You can only retry the latest execution.";

/// Why `e` cannot be retried, in the server's words; `None` when it can.
fn retry_refusal(w: &World, e: &Execution) -> Option<String> {
    if e.lineage.retried_by.is_some() {
        return Some(NOT_LATEST.into());
    }
    if w.pipeline(&e.project, &e.pipeline).is_none() {
        return Some(format!(
            "Pipeline with the given ID: {} does not exist or has been deleted",
            e.pipeline
        ));
    }
    None
}

/// `GET /pipeline/api/pipeline/execute/{planExecutionId}/retryStages`: the stages in their
/// sequential groups (a group of several ran in parallel), or why none can be retried.
pub(crate) async fn retry_stages(
    State(s): State<Arc<Shared>>,
    cid: Cid,
    caller: Caller,
    params: Params,
    id: Result<Path<String>, PathRejection>,
) -> Response {
    let outcome = (|| -> Outcome {
        let id = path(id)?;
        let w = s.world();
        let e = scoped(&s, &w, &caller, &params, &id)?;
        if let Some(why) = retry_refusal(&w, e) {
            return Ok(Reply::Envelope(
                json!({"errorMessage": why, "resumable": false, "groups": null}),
            ));
        }
        let p = w
            .pipeline(&e.project, &e.pipeline)
            .ok_or_else(|| summary_not_found(&id))?;
        let groups: Vec<_> = p
            .waves()
            .iter()
            .map(|wave| {
                let info: Vec<_> = wave
                    .iter()
                    .map(|&si| {
                        let run = &e.stages[si];
                        json!({
                            "name": p.stages[si].name,
                            "identifier": p.stages[si].id,
                            "status": status_name(run.status),
                            "createdAt": run.start_ms,
                            "parentId": e.stages_id,
                            "nextId": null,
                        })
                    })
                    .collect();
                json!({ "info": info })
            })
            .collect();
        Ok(Reply::Envelope(
            json!({"errorMessage": null, "resumable": true, "groups": groups}),
        ))
    })();
    finish(&cid, outcome)
}

/// `PlanExecutionResponseDto` of a run started by a retry or rerun.
fn started(w: &World, id: &str) -> Outcome {
    let e = w.execution(id).ok_or_else(|| summary_not_found(id))?;
    let mut metadata = json!({
        "runSequence": e.run_seq,
        "pipelineIdentifier": e.pipeline,
        "executionUuid": e.id,
    });
    if let Some((parent, root)) = &e.lineage.retry_of {
        metadata["retryInfo"] =
            json!({"isRetry": true, "rootExecutionId": root, "parentRetryId": parent});
    }
    Ok(Reply::Envelope(json!({
        "planExecution": {
            "uuid": e.id,
            "status": execution_status(e),
            "startTs": e.start_ms,
            "metadata": metadata,
        },
        "gitDetails": null,
    })))
}

/// `POST /pipeline/api/pipeline/execute/retry/{pipelineIdentifier}?planExecutionId=&retryStages=`
/// (repeated) `&runAllStages=`: a new execution in the retry chain, from the stages named.
/// The server does not check the old run's status (spec §1.1.5(b)); the world retries only
/// what has finished, so an unfinished one is refused as the lock would.
pub(crate) async fn retry(
    State(s): State<Arc<Shared>>,
    cid: Cid,
    caller: Caller,
    params: Params,
    pipeline: Result<Path<String>, PathRejection>,
) -> Response {
    let outcome = (|| -> Outcome {
        let pipeline = path(pipeline)?;
        let [plan] = params.required(["planExecutionId"])?;
        let mut w = s.world();
        let e = scoped(&s, &w, &caller, &params, &plan)
            .map_err(|_| ApiError::Invalid(format!("No plan exist for {plan} planExecutionId")))?;
        if e.pipeline != pipeline {
            return Err(ApiError::Invalid(format!(
                "No plan exist for {plan} planExecutionId"
            )));
        }
        let asked = params.all("retryStages");
        if asked.is_empty() {
            return Err(ApiError::Invalid(
                "You need to select the stage to retry!!".into(),
            ));
        }
        if let Some(why) = retry_refusal(&w, e) {
            return Err(ApiError::Invalid(why));
        }
        let p = w
            .pipeline(&e.project, &e.pipeline)
            .ok_or_else(|| summary_not_found(&plan))?;
        let mut restart = Vec::new();
        for stage in &asked {
            let si = p.stages.iter().position(|st| st.id == *stage).ok_or_else(|| {
                ApiError::Invalid(
                    "Adding, deleting or changing the name of the stage identifier is not allowed for retrying"
                        .into(),
                )
            })?;
            restart.push(si);
        }
        let new = w.retry_as_new(&plan, &restart, &caller.user).map_err(|_| {
            ApiError::Invalid("Cannot register the interrupt. Please retry.".into())
        })?;
        s.stats().count_control("harness", "Retry");
        started(&w, &new)
    })();
    finish(&cid, outcome)
}

/// `GET /pipeline/api/pipeline/execute/retryHistory/{planExecutionId}?pipelineIdentifier=`.
pub(crate) async fn retry_history(
    State(s): State<Arc<Shared>>,
    cid: Cid,
    caller: Caller,
    params: Params,
    id: Result<Path<String>, PathRejection>,
) -> Response {
    let outcome = (|| -> Outcome {
        let id = path(id)?;
        let w = s.world();
        let e = scoped(&s, &w, &caller, &params, &id)?;
        // The chain from its root, newest first.
        let root = e
            .lineage
            .retry_of
            .as_ref()
            .map_or_else(|| e.id.clone(), |(_, r)| r.clone());
        let mut chain = vec![root];
        while let Some(next) = chain
            .last()
            .and_then(|last| w.execution(last))
            .and_then(|x| x.lineage.retried_by.clone())
        {
            chain.push(next);
        }
        if chain.len() <= 1 {
            return Ok(Reply::Envelope(
                json!({"errorMessage": "Nothing to show in retry history"}),
            ));
        }
        let infos: Vec<_> = chain
            .iter()
            .rev()
            .filter_map(|x| w.execution(x))
            .map(|x| {
                json!({"uuid": x.id, "startTs": x.start_ms, "endTs": x.end_ms,
                       "status": execution_status(x), "runSequence": x.run_seq})
            })
            .collect();
        Ok(Reply::Envelope(json!({
            "errorMessage": null,
            "latestExecutionId": chain.last(),
            "executionInfos": infos,
        })))
    })();
    finish(&cid, outcome)
}

/// `GET /pipeline/api/pipelines/execution/{planExecutionId}/inputsetV2`: the runtime inputs
/// the run was started with, as the runtime-input YAML a retry or rerun sends back.
pub(crate) async fn inputset(
    State(s): State<Arc<Shared>>,
    cid: Cid,
    // Authenticates; reading inputs needs only view rights, which every key has here.
    _caller: Caller,
    params: Params,
    id: Result<Path<String>, PathRejection>,
) -> Response {
    let outcome = (|| -> Outcome {
        let id = path(id)?;
        let w = s.world();
        let [account, org, project] =
            params.required(["accountIdentifier", "orgIdentifier", "projectIdentifier"])?;
        let e = w
            .execution(&id)
            .filter(|e| e.project == project && in_scope(&s, &w, &account, &org, &project))
            .ok_or_else(|| summary_not_found(&id))?;
        let p = w
            .pipeline(&e.project, &e.pipeline)
            .ok_or_else(|| summary_not_found(&id))?;
        let vars: Vec<_> = p
            .runtime_variables()
            .map(|v| {
                let value = e
                    .inputs
                    .iter()
                    .find(|(n, _)| n == &v.name)
                    .map(|(_, x)| x.clone())
                    .unwrap_or_default();
                json!({"name": v.name, "type": "String", "value": value})
            })
            .collect();
        let input_set = if vars.is_empty() {
            String::new()
        } else {
            serde_norway::to_string(&json!({"pipeline": {"identifier": p.id, "variables": vars}}))
                .unwrap_or_default()
        };
        Ok(Reply::Envelope(json!({
            "inputSetTemplateYaml": super::yaml::template_yaml(p),
            "inputSetYaml": input_set,
        })))
    })();
    finish(&cid, outcome)
}

/// `POST /pipeline/api/pipeline/execute/rerun/{originalExecutionId}/{pipelineIdentifier}`
/// with the runtime-input YAML: a new run marked as a rerun. The server does not copy the old
/// inputs; they come from the body only.
pub(crate) async fn rerun(
    State(s): State<Arc<Shared>>,
    cid: Cid,
    caller: Caller,
    params: Params,
    ids: Result<Path<(String, String)>, PathRejection>,
    b: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    let outcome = (|| -> Outcome {
        let (original, pipeline) = path(ids)?;
        let [account, org, project] =
            params.required(["accountIdentifier", "orgIdentifier", "projectIdentifier"])?;
        let bytes = super::pipelines::body(b)?;
        let mut w = s.world();
        w.execution(&original)
            .filter(|e| e.project == project && e.pipeline == pipeline)
            .ok_or_else(|| summary_not_found(&original))?;
        let notes = params
            .non_empty("notesForPipelineExecution")
            .map(str::to_string);
        let new = super::executions::start(
            &s,
            &mut w,
            &caller,
            (&account, &org, &project, &pipeline),
            &bytes,
            notes,
        )?;
        if let Some(e) = w.executions.get_mut(&new) {
            e.lineage.rerun_of = Some(original.clone());
        }
        s.stats().count_control("harness", "Rerun");
        started(&w, &new)
    })();
    finish(&cid, outcome)
}
