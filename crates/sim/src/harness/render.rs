//! World objects rendered as the pipeline service's DTOs: pipeline summaries (legacy and v1)
//! and execution summaries with their stage layout. Field names, enum strings and null
//! handling follow `specs/harness-api.md` sections 2.1, 2.2, 2.7 and 2.8.

use serde_json::{Map, Value, json};

use crate::world::{
    Execution, Ms, Pipeline, RunStatus, StageKind, StageRun, Trigger, TriggerKind, World,
};

const DAY: Ms = 86_400_000;

/// ExecutionStatus display names the server accepts in filters (spec 2.8), including the
/// legacy spellings still in the enum.
const KNOWN_STATUSES: [&str; 31] = [
    "Running",
    "AsyncWaiting",
    "TaskWaiting",
    "TimedWaiting",
    "Queued",
    "QueuedLicenseLimitReached",
    "QueuedExecutionConcurrencyReached",
    "NotStarted",
    "Paused",
    "Pausing",
    "Discontinuing",
    "ResourceWaiting",
    "InterventionWaiting",
    "ApprovalWaiting",
    "InputWaiting",
    "WaitStepRunning",
    "Success",
    "IgnoreFailed",
    "Skipped",
    "Failed",
    "Errored",
    "Aborted",
    "AbortedByFreeze",
    "Expired",
    "ApprovalRejected",
    "Suspended",
    "NOT_STARTED",
    "INTERVENTION_WAITING",
    "APPROVAL_WAITING",
    "APPROVAL_REJECTED",
    "WAITING",
];

/// The ExecutionStatus display name of a world status.
pub(crate) fn status_name(s: RunStatus) -> &'static str {
    match s {
        RunStatus::NotStarted => "NotStarted",
        RunStatus::Running => "Running",
        RunStatus::Waiting => "ApprovalWaiting",
        RunStatus::Success => "Success",
        RunStatus::Failed => "Failed",
        RunStatus::Aborted => "Aborted",
        RunStatus::Rejected => "ApprovalRejected",
        RunStatus::Expired => "Expired",
        // Only guarded steps are skipped, and no Harness pipeline has one.
        RunStatus::Skipped => "Skipped",
    }
}

fn fold(s: &str) -> String {
    s.chars()
        .filter(|c| *c != '_')
        .flat_map(char::to_lowercase)
        .collect()
}

/// A status filter value in comparable form, or `None` if the server would not know it.
/// Parsing is case-insensitive and accepts the legacy `APPROVAL_WAITING` style.
pub(crate) fn status_filter(value: &str) -> Option<String> {
    let f = fold(value.trim());
    KNOWN_STATUSES.iter().any(|k| fold(k) == f).then_some(f)
}

pub(crate) fn status_matches(filter: &str, s: RunStatus) -> bool {
    fold(status_name(s)) == filter
}

pub(crate) fn trigger_type(k: TriggerKind) -> &'static str {
    match k {
        TriggerKind::Manual => "MANUAL",
        TriggerKind::Webhook => "WEBHOOK",
        TriggerKind::Scheduler => "SCHEDULER_CRON",
    }
}

fn stage_module(kind: StageKind) -> &'static str {
    match kind {
        StageKind::Build => "ci",
        StageKind::Deployment => "cd",
        StageKind::Approval | StageKind::Custom => "pms",
    }
}

/// Modules a pipeline touches, sorted: `cd`, `ci`, `pms`.
pub(crate) fn modules(p: &Pipeline) -> Vec<&'static str> {
    let mut m: Vec<&'static str> = p.stages.iter().map(|s| stage_module(s.kind)).collect();
    m.push("pms");
    m.sort_unstable();
    m.dedup();
    m
}

pub(crate) fn tags_map(tags: &[(String, String)]) -> Value {
    Value::Object(
        tags.iter()
            .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
            .collect(),
    )
}

/// `{username, email}` of whoever started a run: the person, or the trigger's name.
fn executor(w: &World, t: &Trigger) -> (String, String) {
    match (&t.name, w.user(&t.user)) {
        (Some((_, name)), _) => (name.clone(), String::new()),
        (None, Some(u)) => (u.name.clone(), u.email.clone()),
        (None, None) => (t.user.clone(), String::new()),
    }
}

fn git_details_nulls() -> Value {
    json!({
        "objectId": null, "branch": null, "repoIdentifier": null, "rootFolder": null,
        "filePath": null, "repoName": null, "commitId": null, "fileUrl": null, "repoUrl": null,
        "parentEntityConnectorRef": null, "parentEntityRepoName": null, "isHarnessCodeRepo": null,
    })
}

fn cd_filters(p: &Pipeline) -> Value {
    let mut envs: Vec<&str> = p
        .stages
        .iter()
        .filter_map(|s| s.environment.as_deref())
        .collect();
    let mut services: Vec<&str> = p
        .stages
        .iter()
        .filter_map(|s| s.service.as_deref())
        .collect();
    envs.dedup();
    services.dedup();
    json!({
        "deploymentTypes": ["Kubernetes"],
        "environmentNames": envs,
        "serviceNames": services,
        "infrastructureTypes": ["KubernetesDirect"],
    })
}

/// `PMSPipelineSummaryResponseDTO` (spec 2.1).
pub(crate) fn pipeline_summary(w: &World, p: &Pipeline) -> Value {
    let runs = w.runs_of(p);
    let now = w.now();
    let mut deployments = [0u64; 7];
    let mut errors = [0u64; 7];
    for e in &runs {
        let Ok(day) = usize::try_from((now - e.start_ms).div_euclid(DAY)) else {
            continue;
        };
        if day < 7 {
            deployments[day] += 1;
            if e.status.is_bad() {
                errors[day] += 1;
            }
        }
    }
    let mut summary = json!({"numOfErrors": errors, "deployments": deployments});
    if let Some(last) = runs.first() {
        summary["lastExecutionTs"] = json!(last.start_ms);
        summary["lastExecutionStatus"] = json!(status_name(last.status));
        summary["lastExecutionId"] = json!(last.id);
    }
    let recent: Vec<Value> = runs
        .iter()
        .take(10)
        .map(|e| {
            let (username, email) = executor(w, &e.trigger);
            let mut r = json!({
                "executorInfo": {"triggerType": trigger_type(e.trigger.kind), "username": username, "email": email},
                "planExecutionId": e.id,
                "status": super::control::execution_status(e),
                "startTs": e.start_ms,
                "runSequence": e.run_seq,
            });
            if let Some(end) = e.end_ms {
                r["endTs"] = json!(end);
            }
            r
        })
        .collect();
    let mods = modules(p);
    let mut filters = Map::new();
    for m in &mods {
        let f = if *m == "cd" { cd_filters(p) } else { json!({}) };
        filters.insert((*m).to_string(), f);
    }
    json!({
        "name": p.name,
        "identifier": p.id,
        "description": p.description,
        "tags": tags_map(&p.tags),
        "version": p.version,
        "numOfStages": p.stages.len(),
        "createdAt": p.created_ms,
        "lastUpdatedAt": p.updated_ms,
        "modules": mods,
        "executionSummaryInfo": summary,
        "recentExecutionsInfo": recent,
        "filters": filters,
        "stageNames": p.stages.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
        "gitDetails": git_details_nulls(),
        "entityValidityDetails": {"valid": true, "invalidYaml": null},
        "storeType": "INLINE",
        "isDraft": false,
        "yamlVersion": "0",
    })
}

/// One element of the v1 pipeline list (spec 2.2).
pub(crate) fn v1_pipeline(w: &World, p: &Pipeline) -> Value {
    let recent: Vec<Value> = w
        .runs_of(p)
        .iter()
        .take(10)
        .map(|e| {
            let (username, email) = executor(w, &e.trigger);
            json!({
                "executor_info": {"trigger_type": trigger_type(e.trigger.kind), "username": username, "email": email},
                "execution_id": e.id,
                "execution_status": super::control::execution_status(e),
                "started": e.start_ms,
                "ended": e.end_ms,
                "run_number": e.run_seq,
            })
        })
        .collect();
    json!({
        "identifier": p.id,
        "name": p.name,
        "description": p.description,
        "tags": tags_map(&p.tags),
        "created": p.created_ms,
        "updated": p.updated_ms,
        "modules": modules(p),
        "recent_execution_info": recent,
        "store_type": "INLINE",
        "connector_ref": null,
        "valid": true,
        "git_details": null,
        "yaml_version": "0",
    })
}

pub(crate) fn trigger_info(w: &World, account: &str, org: &str, e: &Execution) -> Value {
    let t = &e.trigger;
    let user = w.user(&t.user);
    let by = match &t.name {
        Some((id, name)) => json!({
            "uuid": t.user,
            "identifier": id,
            "extraInfo": {"triggerRef": format!("{account}/{org}/{}/{id}", e.project)},
            "triggerIdentifier": id,
            "triggerName": name,
        }),
        None => json!({
            "uuid": t.user,
            "identifier": user.map_or(t.user.as_str(), |u| u.name.as_str()),
            "extraInfo": {"email": user.map_or("", |u| u.email.as_str())},
            "triggerIdentifier": "",
            "triggerName": "",
        }),
    };
    let mut info =
        json!({"triggerType": trigger_type(t.kind), "triggeredBy": by, "isRerun": false});
    if let Some(original) = &e.lineage.rerun_of {
        info["isRerun"] = json!(true);
        info["rerunInfo"] = json!({"rootExecutionId": original, "prevExecutionId": original});
    }
    info
}

fn failure_info(message: Option<&str>) -> Value {
    match message {
        Some(m) => json!({
            "message": m,
            "failureTypeList": ["APPLICATION_FAILURE"],
            "responseMessages": [{
                "code": "GENERAL_ERROR", "level": "ERROR", "message": m,
                "exception": null, "failureTypes": ["APPLICATION_FAILURE"],
            }],
        }),
        None => json!({"message": "", "failureTypeList": [], "responseMessages": []}),
    }
}

/// The failure message of a stage whose step failed.
fn stage_failure(p: &Pipeline, si: usize, run: &StageRun) -> Option<String> {
    let ti = run
        .steps
        .iter()
        .position(|s| s.status == RunStatus::Failed)?;
    Some(p.stages.get(si)?.steps.get(ti)?.failure.clone())
}

/// The status of several stages shown as one (a parallel block).
pub(crate) fn combined(statuses: &[RunStatus]) -> RunStatus {
    if statuses.iter().all(|s| *s == RunStatus::NotStarted) {
        RunStatus::NotStarted
    } else if statuses.contains(&RunStatus::Waiting) {
        RunStatus::Waiting
    } else if !statuses.iter().all(|s| s.is_terminal()) {
        RunStatus::Running
    } else {
        statuses
            .iter()
            .copied()
            .find(|s| s.is_bad())
            .unwrap_or(RunStatus::Success)
    }
}

fn environment_type(env: &str) -> &'static str {
    if env.starts_with("prod") {
        "Production"
    } else {
        "PreProduction"
    }
}

fn stage_node(p: &Pipeline, si: usize, run: &StageRun, next: Option<&str>) -> Value {
    let def = &p.stages[si];
    let module = stage_module(def.kind);
    let mut info = json!({});
    if let (Some(env), Some(svc)) = (&def.environment, &def.service) {
        info = json!({
            "serviceInfo": {"identifier": svc, "displayName": svc},
            "infraExecutionSummary": {"identifier": env, "name": env, "type": environment_type(env)},
        });
    }
    let mut n = json!({
        "nodeType": super::yaml::stage_type(def.kind),
        "nodeGroup": "STAGE",
        "nodeIdentifier": def.id,
        "name": def.name,
        "nodeUuid": def.setup_id,
        "status": status_name(run.status),
        "module": module,
        "moduleInfo": {module: info},
        "edgeLayoutList": {"currentNodeChildren": [], "nextIds": next.into_iter().collect::<Vec<_>>()},
        "barrierFound": false,
    });
    if let Some(start) = run.start_ms {
        n["startTs"] = json!(start);
        n["nodeExecutionId"] = json!(run.node_id);
    }
    if let Some(end) = run.end_ms {
        n["endTs"] = json!(end);
    }
    if let Some(message) = stage_failure(p, si, run) {
        n["failureInfo"] = json!({"message": message});
        n["failureInfoDTO"] = failure_info(Some(&message));
    }
    n
}

/// `layoutNodeMap` and `startingNodeId`: one node per stage (keyed by its setup id), plus a
/// `parallel` node for each group of stages that run side by side.
fn layout(p: &Pipeline, e: &Execution) -> (Value, Option<String>) {
    let waves = p.waves();
    let keys: Vec<String> = waves
        .iter()
        .enumerate()
        .map(|(wi, wave)| match wave.as_slice() {
            [single] => p.stages[*single].setup_id.clone(),
            _ => e.wave_ids.get(wi).cloned().unwrap_or_default(),
        })
        .collect();
    let mut map = Map::new();
    for (wi, wave) in waves.iter().enumerate() {
        let next = keys.get(wi + 1).map(String::as_str);
        if let [single] = wave.as_slice() {
            if let Some(run) = e.stages.get(*single) {
                map.insert(keys[wi].clone(), stage_node(p, *single, run, next));
            }
            continue;
        }
        let statuses: Vec<RunStatus> = wave
            .iter()
            .filter_map(|&i| e.stages.get(i).map(|s| s.status))
            .collect();
        let children: Vec<&str> = wave
            .iter()
            .map(|&i| p.stages[i].setup_id.as_str())
            .collect();
        map.insert(
            keys[wi].clone(),
            json!({
                "nodeType": "parallel",
                "nodeGroup": "STAGE",
                "nodeIdentifier": format!("parallel{}", keys[wi]),
                "name": format!("parallel{}", keys[wi]),
                "nodeUuid": keys[wi],
                "status": status_name(combined(&statuses)),
                "edgeLayoutList": {"currentNodeChildren": children, "nextIds": next.into_iter().collect::<Vec<_>>()},
                "barrierFound": false,
            }),
        );
        for &i in wave {
            if let Some(run) = e.stages.get(i) {
                map.insert(p.stages[i].setup_id.clone(), stage_node(p, i, run, None));
            }
        }
    }
    (Value::Object(map), keys.first().cloned())
}

/// `PipelineExecutionSummaryDTO` (spec 2.7).
pub(crate) fn execution_summary(w: &World, account: &str, org: &str, e: &Execution) -> Value {
    let Some(p) = w.pipeline(&e.project, &e.pipeline) else {
        return json!({"planExecutionId": e.id, "status": super::control::execution_status(e)});
    };
    let (layout_map, start) = layout(p, e);
    let count = |f: fn(RunStatus) -> bool| e.stages.iter().filter(|s| f(s.status)).count();
    let mut envs: Vec<&str> = p
        .stages
        .iter()
        .filter_map(|s| s.environment.as_deref())
        .collect();
    let mut services: Vec<&str> = p
        .stages
        .iter()
        .filter_map(|s| s.service.as_deref())
        .collect();
    envs.dedup();
    services.dedup();
    let mut module_info = Map::new();
    if !envs.is_empty() {
        let mut types: Vec<&str> = envs.iter().map(|e| environment_type(e)).collect();
        types.sort_unstable();
        types.dedup();
        module_info.insert(
            "cd".to_string(),
            json!({"envIdentifiers": envs, "serviceIdentifiers": services, "environmentTypes": types}),
        );
    }
    let failure = (e.status == RunStatus::Failed).then(|| e.failure.clone().unwrap_or_default());
    let mut s = json!({
        "pipelineIdentifier": e.pipeline,
        "orgIdentifier": org,
        "projectIdentifier": e.project,
        "planExecutionId": e.id,
        "name": e.pipeline_name,
        "yamlVersion": "0",
        "status": super::control::execution_status(e),
        "tags": p.tags.iter().map(|(k, v)| json!({"key": k, "value": v})).collect::<Vec<_>>(),
        "executionTriggerInfo": trigger_info(w, account, org, e),
        "failureInfo": failure_info(failure.as_deref()),
        "moduleInfo": module_info,
        "layoutNodeMap": layout_map,
        "modules": modules(p),
        "startingNodeId": start,
        "startTs": e.start_ms,
        "createdAt": e.start_ms,
        "canRetry": e.status.is_bad() && e.lineage.retried_by.is_none(),
        "showRetryHistory": e.lineage.retry_of.is_some() || e.lineage.retried_by.is_some(),
        "runSequence": e.run_seq,
        "successfulStagesCount": count(|s| s == RunStatus::Success),
        "runningStagesCount": count(|s| matches!(s, RunStatus::Running | RunStatus::Waiting)),
        "failedStagesCount": count(|s| s.is_bad()),
        "totalStagesCount": e.stages.len(),
        "storeType": "INLINE",
        "executionInputConfigured": false,
        "stagesExecution": false,
        "stagesExecuted": [],
        "stagesExecutedNames": {},
        "allowStageExecutions": false,
        "executionMode": "NORMAL",
        "notesExistForPlanExecutionId": e.notes.is_some(),
        "shouldUseSimplifiedKey": false,
    });
    if let Some(end) = e.end_ms {
        s["endTs"] = json!(end);
    }
    if let Some(message) = &failure {
        s["executionErrorInfo"] = json!({"message": message});
    }
    if let Some((user, at)) = &e.aborted_by {
        let u = w.user(user);
        s["abortedBy"] = json!({
            "email": u.map_or("", |u| u.email.as_str()),
            "userName": u.map_or(user.as_str(), |u| u.name.as_str()),
            "createdAt": at,
        });
    }
    s
}
