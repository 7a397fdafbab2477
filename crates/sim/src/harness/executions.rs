//! Execution endpoints: start (legacy YAML and v1 JSON), list, detail with graph, and abort
//! (specs 2.5 to 2.9).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, State};
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::Caller;
use super::errors::{self, ApiError};
use super::graph::{Scope, execution_graph};
use super::pipelines::{
    LEGACY_SCOPE, TagFilter, body, check_filter_type, contains, crud_not_found, has_tag, in_scope,
    json_body, path,
};
use super::render::{execution_summary, status_filter, status_matches, trigger_type};
use super::yaml::parse_inputs;
use super::{Cid, Outcome, Params, Reply, finish, page_json, slice};
use crate::Shared;
use crate::world::{Execution, InputProblem, StartOpts, Trigger, TriggerKind, World};

const PAGE_SIZE_ERROR: &str = "Please Verify Executions list parameters for page and size, page should be >= 0 and size should be > 0 and <=1000";

fn summary_not_found(id: &str) -> ApiError {
    ApiError::NotFound(format!(
        "Plan Execution Summary does not exist or has been deleted for planExecutionId: {id}"
    ))
}

/// One message naming every runtime input that cannot be used.
fn input_error(problems: Vec<InputProblem>) -> ApiError {
    let texts: Vec<String> = problems
        .into_iter()
        .map(|p| match p {
            InputProblem::Missing { name } => format!(
                "Runtime input pipeline.variables.{name} is required and has no default value"
            ),
            InputProblem::NotAllowed {
                name,
                value,
                allowed,
            } => format!(
                "Value '{value}' for pipeline.variables.{name} is not one of the allowed values [{}]",
                allowed.join(", ")
            ),
            InputProblem::NotNumber { name, value } => {
                format!("Value '{value}' for pipeline.variables.{name} is not a valid Number")
            }
        })
        .collect();
    ApiError::Invalid(texts.join("; "))
}

/// Validates runtime inputs and starts a run for `caller`. Returns the new execution's id.
pub(crate) fn start(
    s: &Shared,
    w: &mut World,
    caller: &Caller,
    (account, org, project, id): (&str, &str, &str, &str),
    inputs_yaml: &[u8],
    notes: Option<String>,
) -> Result<String, ApiError> {
    caller.require_execute(w, org, project, Some(id))?;
    let p = w
        .pipeline(project, id)
        .filter(|_| in_scope(s, w, account, org, project))
        .ok_or_else(|| crud_not_found(id, org, project))?;
    let given = parse_inputs(inputs_yaml, p)?;
    let values = w.resolve_inputs(p, &given).map_err(input_error)?;
    let trigger = Trigger {
        kind: TriggerKind::Manual,
        user: caller.user.clone(),
        name: None,
    };
    let exec = w
        .start_execution(project, id, trigger, values, notes, StartOpts::default())
        .ok_or_else(|| crud_not_found(id, org, project))?;
    s.stats().count_start(project);
    Ok(exec)
}

/// `validUntil` as the server's Jackson renders a Date.
fn date_text(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.strftime("%Y-%m-%dT%H:%M:%S%.3f+00:00").to_string())
        .unwrap_or_default()
}

/// `POST /pipeline/api/pipeline/execute/{identifier}` with the runtime-input YAML as the body.
pub(crate) async fn execute(
    State(s): State<Arc<Shared>>,
    cid: Cid,
    caller: Caller,
    params: Params,
    id: Result<Path<String>, PathRejection>,
    b: Result<Bytes, BytesRejection>,
) -> Response {
    let outcome = (|| -> Outcome {
        let id = path(id)?;
        let [account, org, project] = params.required(LEGACY_SCOPE)?;
        let bytes = body(b)?;
        let mut w = s.world();
        let notes = params
            .non_empty("notesForPipelineExecution")
            .map(str::to_string);
        let exec_id = start(
            &s,
            &mut w,
            &caller,
            (&account, &org, &project, &id),
            &bytes,
            notes,
        )?;
        let plan_id = w.new_id();
        let e = w
            .execution(&exec_id)
            .ok_or_else(|| summary_not_found(&exec_id))?;
        let user = w.user(&caller.user);
        let mut metadata = json!({
            "runSequence": e.run_seq,
            "pipelineIdentifier": e.pipeline,
            "executionUuid": e.id,
            "triggerInfo": {
                "triggerType": "MANUAL",
                "triggeredBy": {
                    "uuid": caller.user,
                    "identifier": user.map_or("", |u| u.name.as_str()),
                    "extraInfo": {"email": user.map_or("", |u| u.email.as_str())},
                },
            },
        });
        if let Some(module) = params.non_empty("moduleType") {
            metadata["moduleType"] = json!(module);
        }
        Ok(Reply::Envelope(json!({
            "planExecution": {
                "uuid": e.id,
                "createdAt": e.start_ms,
                "planId": plan_id,
                "setupAbstractions": {"accountId": account, "orgIdentifier": org, "projectIdentifier": project},
                "validUntil": date_text(e.start_ms + 183 * 86_400_000),
                "status": "RUNNING",
                "startTs": e.start_ms,
                "endTs": null,
                "metadata": metadata,
                "lastUpdatedAt": e.start_ms,
                "version": 0,
            },
            "gitDetails": {
                "objectId": null, "branch": null, "repoIdentifier": null, "rootFolder": null,
                "filePath": null, "repoName": null, "commitId": null, "fileUrl": null,
                "repoUrl": null, "parentEntityConnectorRef": null, "parentEntityRepoName": null,
                "isHarnessCodeRepo": null,
            },
        })))
    })();
    finish(&cid, outcome)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct V1ExecuteBody {
    inputs_yaml: Option<String>,
}

/// `POST /v1/orgs/{org}/projects/{project}/pipelines/{pipeline}/execute`
pub(crate) async fn v1_execute(
    State(s): State<Arc<Shared>>,
    cid: Cid,
    caller: Caller,
    params: Params,
    p: Result<Path<(String, String, String)>, PathRejection>,
    b: Result<Bytes, BytesRejection>,
) -> Response {
    let outcome = (|| -> Outcome {
        let (org, project, id) = path(p)?;
        let account = caller.require_harness_account()?.to_string();
        let request: V1ExecuteBody = json_body(&body(b)?)?.unwrap_or_default();
        let yaml = request.inputs_yaml.unwrap_or_default();
        let notes = params.non_empty("notes").map(str::to_string);
        let mut w = s.world();
        let exec_id = start(
            &s,
            &mut w,
            &caller,
            (&account, &org, &project, &id),
            yaml.as_bytes(),
            notes,
        )?;
        Ok(Reply::Bare(json!({
            "execution_details": {"execution_id": exec_id, "status": "RUNNING"},
        })))
    })();
    finish(&cid, outcome)
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct ExecutionFilter {
    status: Option<Vec<String>>,
    pipeline_name: Option<String>,
    pipeline_tags: Option<Vec<TagFilter>>,
    time_range: Option<TimeRange>,
    trigger_types: Option<Vec<String>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct TimeRange {
    start_time: Option<i64>,
    end_time: Option<i64>,
}

/// Status filters in comparable form; an unknown name fails like any unconvertible parameter.
fn statuses(values: &[&str]) -> Result<Vec<String>, ApiError> {
    values
        .iter()
        .map(|v| status_filter(v).ok_or(ApiError::NoRoute(errors::NOT_FOUND)))
        .collect()
}

/// `POST /pipeline/api/pipelines/execution/summary`
pub(crate) async fn list(
    State(s): State<Arc<Shared>>,
    cid: Cid,
    caller: Caller,
    params: Params,
    b: Result<Bytes, BytesRejection>,
) -> Response {
    finish(&cid, list_inner(&s, &caller, &params, b))
}

fn list_inner(
    s: &Shared,
    caller: &Caller,
    params: &Params,
    b: Result<Bytes, BytesRejection>,
) -> Outcome {
    let [account, org, project] = params.required(LEGACY_SCOPE)?;
    let page = params.int("page", 0)?;
    let size = params.int("size", 10)?;
    if page < 0 || size <= 0 || size > 1000 {
        return Err(ApiError::Invalid(PAGE_SIZE_ERROR.to_string()));
    }
    let query_status = statuses(&params.all("status"))?;
    let raw: Option<Value> = json_body(&body(b)?)?;
    let filter = match raw {
        Some(v) => {
            check_filter_type(&v, "PipelineExecution")?;
            serde_json::from_value::<ExecutionFilter>(v)
                .map_err(|e| ApiError::BadJson(e.to_string()))?
        }
        None => ExecutionFilter::default(),
    };
    let body_status = match &filter.status {
        Some(list) => {
            let refs: Vec<&str> = list.iter().map(String::as_str).collect();
            statuses(&refs).map_err(|_| {
                ApiError::BadJson("Cannot deserialize value of type `ExecutionStatus`".to_string())
            })?
        }
        None => Vec::new(),
    };
    let pipeline = params.non_empty("pipelineIdentifier");
    let term = params.non_empty("searchTerm");
    let mine = params
        .get("myDeployments")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let w = s.world();
    let keep = |e: &Execution| -> bool {
        let status_ok =
            |set: &[String]| set.is_empty() || set.iter().any(|f| status_matches(f, e.status));
        let tags_ok = filter.pipeline_tags.as_ref().is_none_or(|tags| {
            w.pipeline(&e.project, &e.pipeline)
                .is_some_and(|p| tags.iter().all(|t| has_tag(p, &t.key, t.value.as_deref())))
        });
        let time_ok = filter.time_range.as_ref().is_none_or(|r| {
            r.start_time.is_none_or(|t| e.start_ms >= t)
                && r.end_time.is_none_or(|t| e.start_ms <= t)
        });
        let trigger_ok = filter
            .trigger_types
            .as_ref()
            .is_none_or(|t| t.is_empty() || t.iter().any(|t| t == trigger_type(e.trigger.kind)));
        pipeline.is_none_or(|p| e.pipeline == p)
            && status_ok(&query_status)
            && status_ok(&body_status)
            && filter
                .pipeline_name
                .as_deref()
                .is_none_or(|n| contains(&e.pipeline_name, n))
            && tags_ok
            && time_ok
            && trigger_ok
            && (!mine || e.trigger.user == caller.user)
            && term.is_none_or(|t| {
                contains(&e.pipeline_name, t) || contains(&e.pipeline, t) || e.id == t
            })
    };
    let items: Vec<&Execution> = if in_scope(s, &w, &account, &org, &project) {
        w.executions_of(&project)
            .into_iter()
            .filter(|e| keep(e))
            .collect()
    } else {
        Vec::new()
    };
    let total = items.len();
    let content = slice(items, page, size)
        .into_iter()
        .map(|e| execution_summary(&w, &account, &org, e))
        .collect();
    Ok(Reply::Envelope(page_json(content, total, page, size)))
}

fn detail(
    s: &Shared,
    params: &Params,
    id: Result<Path<String>, PathRejection>,
    always_graph: bool,
) -> Outcome {
    let id = path(id)?;
    let [account, org, project] = params.required(LEGACY_SCOPE)?;
    let w = s.world();
    let e = w
        .execution(&id)
        .filter(|e| e.project == project && in_scope(s, &w, &account, &org, &project))
        .ok_or_else(|| summary_not_found(&id))?;
    let full = params
        .get("renderFullBottomGraph")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let scope = match params.non_empty("stageNodeId") {
        Some(node) => Some(
            w.pipeline(&e.project, &e.pipeline)
                .and_then(|p| {
                    p.stages.iter().enumerate().position(|(i, st)| {
                        st.setup_id == node || e.stages.get(i).is_some_and(|r| r.node_id == node)
                    })
                })
                .map_or(Scope::Nothing, Scope::Stage),
        ),
        None if full || always_graph => Some(Scope::Whole),
        None => None,
    };
    let mut data = json!({"pipelineExecutionSummary": execution_summary(&w, &account, &org, e)});
    if let Some(scope) = scope {
        data["executionGraph"] = execution_graph(&w, &account, &org, e, scope);
    }
    Ok(Reply::Envelope(data))
}

/// `GET /pipeline/api/pipelines/execution/v2/{planExecutionId}`: the graph only on request.
pub(crate) async fn detail_v2(
    State(s): State<Arc<Shared>>,
    cid: Cid,
    _caller: Caller,
    params: Params,
    id: Result<Path<String>, PathRejection>,
) -> Response {
    finish(&cid, detail(&s, &params, id, false))
}

/// `GET /pipeline/api/pipelines/execution/{planExecutionId}` (deprecated): always the graph.
pub(crate) async fn detail_v1(
    State(s): State<Arc<Shared>>,
    cid: Cid,
    _caller: Caller,
    params: Params,
    id: Result<Path<String>, PathRejection>,
) -> Response {
    finish(&cid, detail(&s, &params, id, true))
}
