//! The First Gen schema over the shared world (spec 4.2 to 4.5).
//!
//! Applications are the world's First Gen projects (NextGen projects, served by the NextGen
//! face, do not exist here); a world pipeline is a First Gen workflow when `seed/first_gen.rs`
//! lists it, otherwise a First Gen pipeline. Ids are derived from the
//! world's identifiers (stable for a seed, opaque like the real 22-character ids). Scalars
//! follow the spec: `DateTime` fields are JSON numbers (epoch ms), `Long` fields strings.
//!
//! Texts the spec does not give, chosen here: a required text variable left empty is
//! `Value not provided for required variable(s): [a, b]`; an entity variable left empty uses
//! the spec's `<Kind> [<name>] has <type> parameterized. However, the value not supplied`;
//! a missing artifact is `Artifact source for service [<svc>] not supplied`; a key without
//! execute permission gets `User not authorized to deploy`, and one outside the approval's
//! user groups `User not authorized to approve or reject this approval`.

use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::{Map, Value, json};

use super::graphql::{OpKind, Resolver};
use crate::Shared;
use crate::ids;
use crate::seed::first_gen;
use crate::world::{
    Action, Approval, ApprovalStatus, DecideError, Execution, Generation, InputProblem, Pipeline,
    RunStatus, StageKind, StartOpts, Trigger, TriggerKind, VarValue, World,
};

#[path = "control.rs"]
mod control;

pub(crate) const NO_EXECUTION: &str = "Execution does not exist or access is denied";

/// A stable opaque id for a world object, shaped like First Gen's url-safe uuids.
pub(crate) fn fg_id(parts: &[&str]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.bytes().chain([0]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    ids::url_id(&mut StdRng::seed_from_u64(ids::mix(h)))
}

pub(crate) fn app_id(project: &str) -> String {
    fg_id(&["application", project])
}

pub(crate) fn entity_id(project: &str, pipeline: &str) -> String {
    fg_id(&["entity", project, pipeline])
}

/// Whether a First Gen application's pipeline is a workflow (else a pipeline).
pub(crate) fn is_workflow(p: &Pipeline) -> bool {
    first_gen::workflow(&p.project, &p.id).is_some()
}

fn status_text(s: RunStatus) -> &'static str {
    match s {
        RunStatus::NotStarted => "QUEUED",
        RunStatus::Running => "RUNNING",
        // A waiting approval reads PAUSED in First Gen (spec 4.4).
        RunStatus::Waiting => "PAUSED",
        RunStatus::Success => "SUCCESS",
        RunStatus::Failed => "FAILED",
        RunStatus::Aborted => "ABORTED",
        RunStatus::Rejected => "REJECTED",
        RunStatus::Expired => "EXPIRED",
        // Only guarded steps are skipped, and no First Gen pipeline has one.
        RunStatus::Skipped => "SKIPPED",
    }
}

/// The items of a list input. GraphQL input coercion reads a single value given for a list
/// type as a list of one: the Deep Dive's examples pass `serviceInputs` as one object.
fn items(v: Option<&Value>) -> &[Value] {
    match v {
        Some(Value::Array(list)) => list,
        Some(Value::Null) | None => &[],
        Some(one) => std::slice::from_ref(one),
    }
}

fn arg<'v>(args: &'v Map<String, Value>, name: &str) -> Option<&'v str> {
    args.get(name).and_then(Value::as_str)
}

/// One `IdFilter` against a value.
fn id_filter(filter: &Value, value: &str) -> bool {
    let values: Vec<&str> = items(filter.get("values"))
        .iter()
        .filter_map(Value::as_str)
        .collect();
    match filter["operator"].as_str().unwrap_or("EQUALS") {
        "NOT_IN" => !values.contains(&value),
        "NOT_NULL" => true,
        "LIKE" => values.iter().any(|v| value.contains(v)),
        _ => values.contains(&value),
    }
}

/// Whether every filter of a `filters` list that names one of `fields` accepts the item.
fn filters_accept(args: &Map<String, Value>, fields: &[(&str, &str)]) -> bool {
    items(args.get("filters")).iter().all(|f| {
        fields
            .iter()
            .all(|(name, value)| f.get(*name).is_none_or(|flt| id_filter(flt, value)))
    })
}

/// The First Gen face's view of the world during one request.
pub(crate) struct Schema<'a> {
    pub(crate) shared: &'a Shared,
    pub(crate) world: &'a mut World,
    /// The world user the API key belongs to.
    pub(crate) user: String,
    pub(crate) account: String,
}

impl Schema<'_> {
    fn project_of_app(&self, id: &str) -> Option<String> {
        self.world
            .projects_of(Generation::FirstGen)
            .find(|p| app_id(&p.id) == id)
            .map(|p| p.id.clone())
    }

    /// Whether a world project is a First Gen application.
    fn is_app(&self, project: &str) -> bool {
        self.world.serves(Generation::FirstGen, project)
    }

    /// The pipelines and workflows of every application.
    fn fg_pipelines(&self) -> impl Iterator<Item = &Pipeline> {
        self.world
            .pipelines
            .iter()
            .filter(|p| self.is_app(&p.project))
    }

    fn entity(&self, id: &str) -> Option<&Pipeline> {
        self.fg_pipelines()
            .find(|p| entity_id(&p.project, &p.id) == id)
    }

    /// An execution of an application (NextGen runs do not exist here).
    fn fg_execution(&self, id: &str) -> Option<&Execution> {
        self.world.execution(id).filter(|e| self.is_app(&e.project))
    }

    fn app_json(&self, project: &str) -> Value {
        let Some(p) = self.world.project(project) else {
            return Value::Null;
        };
        let mut pipelines = Vec::new();
        let mut workflows = Vec::new();
        for def in self.world.pipelines_of(project) {
            if is_workflow(def) {
                workflows.push(self.entity_json(def));
            } else {
                pipelines.push(self.entity_json(def));
            }
        }
        let created = self.world.pipelines_of(project).map(|d| d.created_ms).min();
        json!({
            "__typename": "Application",
            "id": app_id(&p.id),
            "name": p.name,
            "description": null,
            "createdAt": created,
            "createdBy": null,
            "isManualTriggerAuthorized": null,
            "areWebHookSecretsMandated": null,
            "disableTriggers": false,
            "pipelines": {"__conn": pipelines},
            "workflows": {"__conn": workflows},
            "services": {"__conn": self.services(project)},
            "environments": {"__conn": self.environments(project)},
        })
    }

    fn services(&self, project: &str) -> Vec<Value> {
        let mut names: Vec<&str> = self
            .world
            .pipelines_of(project)
            .flat_map(|p| p.stages.iter().filter_map(|s| s.service.as_deref()))
            .collect();
        names.sort_unstable();
        names.dedup();
        names
            .into_iter()
            .map(|n| service_json(project, n))
            .collect()
    }

    fn environments(&self, project: &str) -> Vec<Value> {
        let mut names: Vec<&str> = self
            .world
            .pipelines_of(project)
            .flat_map(|p| p.stages.iter().filter_map(|s| s.environment.as_deref()))
            .collect();
        names.sort_unstable();
        names.dedup();
        names
            .into_iter()
            .map(|n| environment_json(project, n))
            .collect()
    }

    /// A workflow run's deployments so far: one `DeploymentOutcome` per service and
    /// environment it has started deploying to.
    fn outcomes(&self, e: &Execution, def: &Pipeline) -> Vec<Value> {
        let mut seen = Vec::new();
        for (stage, run) in def.stages.iter().zip(&e.stages) {
            if let (Some(service), Some(env)) = (&stage.service, &stage.environment)
                && run.status != RunStatus::NotStarted
                && !seen.contains(&(service, env))
            {
                seen.push((service, env));
            }
        }
        seen.into_iter()
            .map(|(service, env)| {
                json!({
                    "__typename": "DeploymentOutcome",
                    "execution": {"__ref": "execution", "id": e.id},
                    "service": service_json(&e.project, service),
                    "environment": environment_json(&e.project, env),
                })
            })
            .collect()
    }

    fn entity_json(&self, p: &Pipeline) -> Value {
        let (typename, vars_key) = if is_workflow(p) {
            ("Workflow", "workflowVariables")
        } else {
            ("Pipeline", "pipelineVariables")
        };
        let mut v = json!({
            "__typename": typename,
            "id": entity_id(&p.project, &p.id),
            "name": p.name,
            "description": p.description,
            "createdAt": p.created_ms,
            "createdBy": null,
            "tags": p.tags.iter().map(|(k, v)| json!({"name": k, "value": v})).collect::<Vec<_>>(),
        });
        v[vars_key] = Value::Array(variables(p));
        v
    }

    fn user_json(&self, id: &str) -> Value {
        match self.world.user(id) {
            Some(u) => {
                json!({"__typename": "User", "id": u.id, "name": u.name, "email": u.email})
            }
            None => Value::Null,
        }
    }

    fn execution_json(&self, e: &Execution) -> Value {
        let Some(def) = self.world.pipeline(&e.project, &e.pipeline) else {
            return Value::Null;
        };
        let workflow = is_workflow(def);
        let cause = match (&e.trigger.kind, &e.trigger.name) {
            (TriggerKind::Webhook | TriggerKind::Scheduler, Some((id, name))) => json!({
                "__typename": "ExecutedByTrigger",
                "trigger": {"__typename": "Trigger", "id": fg_id(&["trigger", id]), "name": name},
            }),
            _ => json!({
                "__typename": "ExecutedByUser",
                "user": self.user_json(&e.trigger.user),
                "using": "GRAPHQL_API",
            }),
        };
        let mut v = json!({
            "__typename": if workflow { "WorkflowExecution" } else { "PipelineExecution" },
            "id": e.id,
            // The portal's own link (spec control-logs-identity.md §4.2): a pipeline's
            // execution page, or a workflow's under its first environment.
            "executionUrl": if workflow {
                let env = def.stages.iter().find_map(|s| s.environment.as_deref()).unwrap_or("");
                format!(
                    "https://app.harness.io/#/account/{}/app/{}/env/{}/executions/{}/details",
                    self.account, app_id(&e.project), fg_id(&["environment", &e.project, env]), e.id
                )
            } else {
                format!(
                    "https://app.harness.io/#/account/{}/app/{}/pipeline-execution/{}/workflow-execution/undefined/details",
                    self.account, app_id(&e.project), e.id
                )
            },
            "application": {"__ref": "application", "project": e.project},
            "createdAt": e.start_ms,
            "startedAt": e.start_ms,
            "endedAt": e.end_ms,
            "status": status_text(e.status),
            "cause": cause,
            "notes": e.notes,
            "tags": [],
            "failureDetails": e.failure,
        });
        let entity = json!({"__ref": "entity", "project": e.project, "pipeline": e.pipeline});
        if workflow {
            v["workflow"] = entity;
            v["artifacts"] = json!([]);
            v["rollbackArtifacts"] = json!([]);
            v["manifests"] = json!([]);
            v["outcomes"] = whole_connection("OutcomeConnection", self.outcomes(e, def));
            v["inputVariables"] = input_variables(&workflow_inputs(&e.inputs, def));
        } else {
            v["pipeline"] = entity;
            v["memberExecutions"] = whole_connection("ExecutionConnection", Vec::new());
            v["pipelineStageExecutions"] = Value::Array(
                def.stages
                    .iter()
                    .zip(&e.stages)
                    .enumerate()
                    .map(|(i, (stage, run))| {
                        let common = json!({
                            "pipelineStageElementId": run.node_id,
                            "pipelineStageName": format!("STAGE {}", i + 1),
                            "pipelineStepName": stage.name,
                            "status": status_text(run.status),
                        });
                        let mut s = common;
                        if stage.kind == StageKind::Approval {
                            s["__typename"] = json!("ApprovalStageExecution");
                            s["approvalStepType"] = json!("USER_GROUP");
                        } else {
                            s["__typename"] = json!("WorkflowStageExecution");
                            s["workflowExecutionId"] = json!(run.section_id);
                            s["runtimeInputVariables"] = json!([]);
                            // Each workflow stage receives the pipeline's variables.
                            s["inputVariables"] = input_variables(&e.inputs);
                        }
                        s
                    })
                    .collect(),
            );
        }
        v
    }

    fn approval_json(&self, a: &Approval) -> Value {
        let def = self.world.pipeline(&a.project, &a.pipeline);
        let stage = def.and_then(|d| d.stages.get(a.stage));
        let step = stage.and_then(|s| s.steps.get(a.step));
        let workflow = def.is_some_and(is_workflow);
        let exec = self.world.execution(&a.execution);
        let triggered_by = exec
            .and_then(|e| self.world.user(&e.trigger.user))
            .map(|u| json!({"__typename": "EmbeddedUser", "name": u.name, "email": u.email}))
            .unwrap_or(Value::Null);
        let approvers: Vec<&str> = a
            .spec
            .user_groups
            .iter()
            .filter_map(|g| self.world.group(g).map(|g| g.name.as_str()))
            .collect();
        let variables = if a.spec.inputs.is_empty() {
            Value::Null
        } else {
            Value::Array(
                a.spec
                    .inputs
                    .iter()
                    .map(|(n, d)| json!({"__typename": "NameValuePair", "name": n, "value": d}))
                    .collect(),
            )
        };
        json!({
            "__typename": "UserGroupApprovalDetails",
            "approvalId": a.id,
            "approvalType": "USER_GROUP",
            "stepName": step.map(|s| s.name.as_str()),
            // Workflow approvals have no pipeline stage (the DEVHUB example shows null).
            "stageName": if workflow { None } else { stage.map(|s| s.name.as_str()) },
            "startedAt": a.created_ms.to_string(),
            "willExpireAt": a.deadline_ms.to_string(),
            "triggeredBy": triggered_by,
            "approvers": approvers,
            "executionId": a.execution,
            "variables": variables,
        })
    }

    fn entities(&self, args: &Map<String, Value>, workflows: bool) -> Value {
        let key = if workflows { "workflow" } else { "pipeline" };
        let nodes: Vec<Value> = self
            .fg_pipelines()
            .filter(|p| is_workflow(p) == workflows)
            .filter(|p| {
                filters_accept(
                    args,
                    &[
                        ("application", &app_id(&p.project)),
                        (key, &entity_id(&p.project, &p.id)),
                    ],
                )
            })
            .map(|p| self.entity_json(p))
            .collect();
        json!({"__conn": nodes})
    }

    fn by_name(&self, args: &Map<String, Value>, workflows: bool) -> Result<Value, String> {
        let (kind, name_arg) = if workflows {
            ("Workflow", "workflowName")
        } else {
            ("Pipeline", "pipelineName")
        };
        let app = arg(args, "applicationId").unwrap_or_default();
        let name = arg(args, name_arg).unwrap_or_default();
        let project = self
            .project_of_app(app)
            .ok_or_else(|| "Application does not exist".to_string())?;
        self.world
            .pipelines_of(&project)
            .find(|p| p.name == name && is_workflow(p) == workflows)
            .map(|p| self.entity_json(p))
            .ok_or_else(|| format!("{kind} with name {name} not found in application {app}"))
    }

    fn executions(&self, args: &Map<String, Value>) -> Value {
        let mut list: Vec<&Execution> = self
            .world
            .executions
            .values()
            .filter(|e| self.is_app(&e.project))
            .collect();
        list.sort_by(|a, b| b.start_ms.cmp(&a.start_ms).then(b.id.cmp(&a.id)));
        let nodes: Vec<Value> = list
            .into_iter()
            .filter(|e| {
                let entity = entity_id(&e.project, &e.pipeline);
                let workflow = self
                    .world
                    .pipeline(&e.project, &e.pipeline)
                    .is_some_and(is_workflow);
                let (pipeline, workflow_id) = if workflow {
                    ("", entity.as_str())
                } else {
                    (entity.as_str(), "")
                };
                filters_accept(
                    args,
                    &[
                        ("application", &app_id(&e.project)),
                        ("execution", &e.id),
                        ("status", status_text(e.status)),
                        ("pipeline", pipeline),
                        ("workflow", workflow_id),
                    ],
                )
            })
            .map(|e| self.execution_json(e))
            .collect();
        json!({"__conn": nodes})
    }

    fn approval_details(&self, args: &Map<String, Value>) -> Result<Value, String> {
        let exec_id = arg(args, "executionId").unwrap_or_default();
        let e = self
            .fg_execution(exec_id)
            .filter(|e| arg(args, "applicationId") == Some(app_id(&e.project).as_str()))
            .ok_or_else(|| NO_EXECUTION.to_string())?;
        let details: Vec<Value> = self
            .world
            .approvals_of(&e.id)
            .into_iter()
            .filter(|a| a.status == ApprovalStatus::Waiting)
            .map(|a| self.approval_json(a))
            .collect();
        Ok(json!({"__typename": "ApprovalDetailsPayload", "approvalDetails": details}))
    }

    fn execution_inputs(&self, args: &Map<String, Value>) -> Result<Value, String> {
        let def = self.start_target(args)?;
        Ok(json!({
            "__typename": "ExecutionInputs",
            "serviceInputs": artifact_services(def)
                .into_iter()
                .map(|s| {
                    let mut service = service_json(&def.project, s);
                    service["artifactSources"] = json!([{"name": first_gen::artifact_source(s)}]);
                    service
                })
                .collect::<Vec<_>>(),
            "serviceManifestInputs": [],
        }))
    }

    /// The pipeline or workflow a start (or its companion query) names.
    fn start_target(&self, input: &Map<String, Value>) -> Result<&Pipeline, String> {
        let app = arg(input, "applicationId").unwrap_or_default();
        let entity = arg(input, "entityId").unwrap_or_default();
        if app.is_empty() {
            return Err("Application Id cannot be empty".into());
        }
        if entity.is_empty() {
            return Err("Entity Id cannot be empty".into());
        }
        let project = self
            .project_of_app(app)
            .ok_or_else(|| "Application does not exist".to_string())?;
        let kind = arg(input, "executionType").unwrap_or_default();
        let workflows = match kind {
            "PIPELINE" => false,
            "WORKFLOW" => true,
            other => return Err(format!("Unsupported execution type: {other}")),
        };
        self.entity(entity)
            .filter(|p| p.project == project && is_workflow(p) == workflows)
            .ok_or_else(|| {
                let label = if workflows { "Workflow" } else { "Pipeline" };
                format!("{label} {entity} doesn't exist in the specified application {app}")
            })
    }

    fn start(&mut self, input: &Map<String, Value>) -> Result<Value, String> {
        let def = self.start_target(input)?.clone();
        if !self.world.user(&self.user).is_some_and(|u| u.can_execute) {
            return Err("User not authorized to deploy".into());
        }
        let label = if is_workflow(&def) {
            "Workflow"
        } else {
            "Pipeline"
        };
        // Given values by name; entity values are checked against the application's entities.
        let mut given = std::collections::BTreeMap::new();
        let mut entity_values = Vec::new();
        let mut ignored = Vec::new();
        let entity_vars = first_gen::workflow(&def.project, &def.id)
            .map(|w| w.entity_variables)
            .unwrap_or_default();
        for v in items(input.get("variableInputs")) {
            let name = v["name"].as_str().unwrap_or_default();
            let kind = v["variableValue"]["type"].as_str().unwrap_or_default();
            let value = v["variableValue"]["value"].as_str().unwrap_or_default();
            if kind == "EXPRESSION" {
                return Err("Expression Type not supported".into());
            }
            if let Some((_, display, _)) = entity_vars.iter().find(|(n, _, _)| *n == name) {
                if value.is_empty() {
                    continue;
                }
                if !entity_choices(&def, display).iter().any(|c| c == value) {
                    return Err(format!("{display} {value} does not exist"));
                }
                entity_values.push((name.to_string(), value.to_string()));
            } else if def.runtime_variables().any(|rv| rv.name == name) {
                given.insert(name.to_string(), Some(value.to_string()));
            } else {
                ignored.push(name.to_string());
            }
        }
        for (name, display, required) in entity_vars {
            if *required && !entity_values.iter().any(|(n, _)| n == name) {
                return Err(format!(
                    "{label} [{}] has {} parameterized. However, the value not supplied",
                    def.name,
                    display.to_lowercase()
                ));
            }
        }
        let mut inputs = self
            .world
            .resolve_inputs(&def, &given)
            .map_err(|problems| problem_text(&problems))?;
        // Artifacts: every listed service must belong to the entity; workflows need one per
        // deployed service.
        let services = artifact_services(&def);
        let mut artifacts = Vec::new();
        for s in items(input.get("serviceInputs")) {
            let name = s["name"].as_str().unwrap_or_default();
            let deployed = def
                .stages
                .iter()
                .any(|st| st.service.as_deref() == Some(name));
            if !deployed {
                return Err(format!(
                    "Service [{name}] is not deployed by {label} [{}]",
                    def.name
                ));
            }
            let artifact = &s["artifactValueInput"];
            let value = match artifact["valueType"].as_str().unwrap_or_default() {
                "BUILD_NUMBER" => {
                    let source = artifact["buildNumber"]["artifactSourceName"]
                        .as_str()
                        .unwrap_or_default();
                    let build = artifact["buildNumber"]["buildNumber"]
                        .as_str()
                        .unwrap_or_default();
                    if source != first_gen::artifact_source(name) {
                        return Err(format!(
                            "Artifact source [{source}] not found for service [{name}]"
                        ));
                    }
                    if build.is_empty() {
                        return Err(format!("Build number for service [{name}] cannot be empty"));
                    }
                    format!("{source}/{build}")
                }
                "ARTIFACT_ID" => artifact["artifactId"]["artifactId"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                other => {
                    return Err(format!(
                        "Artifact input type {other} is not supported for service [{name}]"
                    ));
                }
            };
            artifacts.push((format!("artifact:{name}"), value));
        }
        if let Some(missing) = services
            .iter()
            .find(|s| !artifacts.iter().any(|(n, _)| n == &format!("artifact:{s}")))
        {
            return Err(format!(
                "Artifact source for service [{missing}] not supplied"
            ));
        }
        inputs.extend(entity_values);
        inputs.extend(artifacts);
        let trigger = Trigger {
            kind: TriggerKind::Manual,
            user: self.user.clone(),
            name: None,
        };
        let notes = arg(input, "notes")
            .filter(|n| !n.is_empty())
            .map(str::to_string);
        let id = self
            .world
            .start_execution(
                &def.project,
                &def.id,
                trigger,
                inputs,
                notes,
                StartOpts::default(),
            )
            .ok_or_else(|| format!("{label} {} could not be started", def.name))?;
        self.shared.stats().count_start(&def.project);
        let execution = self
            .world
            .execution(&id)
            .map(|e| self.execution_json(e))
            .unwrap_or(Value::Null);
        let warning = (!ignored.is_empty()).then(|| {
            format!(
                "Ignoring values for variables: [{}] as they don't exist in {label}. Might be modified",
                ignored.join(",")
            )
        });
        Ok(json!({
            "__typename": "StartExecutionPayload",
            "clientMutationId": input.get("clientMutationId").cloned().unwrap_or(Value::Null),
            "warningMessage": warning,
            "execution": execution,
        }))
    }

    fn decide(&mut self, input: &Map<String, Value>) -> Result<Value, String> {
        let exec_id = arg(input, "executionId").unwrap_or_default();
        let approval_id = arg(input, "approvalId").unwrap_or_default();
        let app = arg(input, "applicationId").unwrap_or_default();
        self.fg_execution(exec_id)
            .filter(|e| app_id(&e.project) == app)
            .ok_or_else(|| NO_EXECUTION.to_string())?;
        let action = match arg(input, "action") {
            Some("APPROVE") => Action::Approve,
            Some("REJECT") => Action::Reject,
            other => return Err(format!("Invalid action: {}", other.unwrap_or_default())),
        };
        let a = self
            .world
            .approval(approval_id)
            .filter(|a| a.execution == exec_id)
            .ok_or_else(|| {
                format!("Approval {approval_id} does not exist in execution {exec_id}")
            })?;
        let mut inputs = Vec::new();
        for v in items(input.get("variableInputs")) {
            if a.spec.inputs.is_empty() {
                return Err("Variable were not present for the given approval".into());
            }
            let name = v["name"].as_str().unwrap_or_default();
            if !a.spec.inputs.iter().any(|(n, _)| n == name) {
                return Err(format!("Variable with name \"{name}\" not present"));
            }
            inputs.push((
                name.to_string(),
                v["value"].as_str().unwrap_or_default().to_string(),
            ));
        }
        // A decided or expired gate says so before anything about the caller.
        match a.status {
            ApprovalStatus::Waiting if a.deadline_ms > self.world.now() => {}
            ApprovalStatus::Waiting | ApprovalStatus::Expired => {
                return Err("Approval has expired".into());
            }
            _ => return Err("Approval is already approved or rejected".into()),
        }
        // Deciding needs the execute permission (as in NextGen), then group membership.
        let may_execute = self.world.user(&self.user).is_some_and(|u| u.can_execute);
        if !may_execute || self.world.authorize(a, &self.user).is_err() {
            return Err("User not authorized to approve or reject this approval".into());
        }
        let comments = arg(input, "comments").unwrap_or_default().to_string();
        self.world
            .decide(approval_id, &self.user, action, comments, inputs)
            .map_err(|e| match e {
                DecideError::NotFound => {
                    format!("Approval {approval_id} does not exist in execution {exec_id}")
                }
                DecideError::Expired => "Approval has expired".to_string(),
                DecideError::Completed(_) => "Approval is already approved or rejected".to_string(),
            })?;
        self.shared
            .stats()
            .count_decision(approval_id, action == Action::Approve);
        Ok(json!({
            "__typename": "ApproveOrRejectApprovalsInputPayload",
            "success": true,
            "clientMutationId": input.get("clientMutationId").cloned().unwrap_or(Value::Null),
        }))
    }
}

/// A connection field the schema declares without `limit`/`offset` (`outcomes`,
/// `memberExecutions`): every node on one page.
/// `QLInputVariable { name value }`: the variables a run was started with. The world also
/// keeps the run's artifacts among its inputs; First Gen reports those as `artifacts`, never
/// as variables.
fn input_variables(inputs: &[(String, String)]) -> Value {
    inputs
        .iter()
        .filter(|(n, _)| !n.starts_with("artifact:"))
        .map(|(n, val)| json!({"__typename": "InputVariable", "name": n, "value": val}))
        .collect()
}

fn whole_connection(typename: &str, nodes: Vec<Value>) -> Value {
    let total = nodes.len();
    json!({
        "__typename": typename,
        "pageInfo": {"__typename": "PageInfo", "hasMore": false, "total": total, "offset": 0, "limit": total},
        "nodes": nodes,
    })
}

/// Every service deploys a Docker image here.
fn service_json(project: &str, name: &str) -> Value {
    json!({
        "__typename": "Service",
        "id": fg_id(&["service", project, name]),
        "name": name,
        "artifactType": "DOCKER",
    })
}

fn environment_json(project: &str, name: &str) -> Value {
    json!({"__typename": "Environment", "id": fg_id(&["environment", project, name]), "name": name})
}

/// Services a start must name an artifact for: those deployed by a workflow (pipelines take
/// their artifacts from their workflows' defaults here).
fn artifact_services(def: &Pipeline) -> Vec<&str> {
    if !is_workflow(def) {
        return Vec::new();
    }
    let mut names: Vec<&str> = def
        .stages
        .iter()
        .filter_map(|s| s.service.as_deref())
        .collect();
    names.sort_unstable();
    names.dedup();
    names
}

/// What a workflow run received: its inputs, and for each entity variable it was not given
/// (the history's automatic starts give none), the entity it ran against, as First Gen
/// records every templatized variable of a run.
fn workflow_inputs(inputs: &[(String, String)], def: &Pipeline) -> Vec<(String, String)> {
    let mut out = inputs.to_vec();
    if let Some(w) = first_gen::workflow(&def.project, &def.id) {
        for (name, display, _) in w.entity_variables {
            if out.iter().any(|(n, _)| n == name) {
                continue;
            }
            if let Some(value) = entity_choices(def, display).into_iter().next() {
                out.push((name.to_string(), value));
            }
        }
    }
    out
}

/// The values an entity variable of a workflow accepts (by name).
fn entity_choices(def: &Pipeline, display: &str) -> Vec<String> {
    let envs = def.stages.iter().filter_map(|s| s.environment.clone());
    let mut out: Vec<String> = match display {
        "Environment" => envs.collect(),
        "Service" => def
            .stages
            .iter()
            .filter_map(|s| s.service.clone())
            .collect(),
        _ => envs.map(|e| format!("{e}-k8s")).collect(),
    };
    out.sort_unstable();
    out.dedup();
    out
}

fn variables(p: &Pipeline) -> Vec<Value> {
    let mut out = Vec::new();
    if let Some(w) = first_gen::workflow(&p.project, &p.id) {
        for (name, display, required) in w.entity_variables {
            out.push(json!({
                "__typename": "Variable", "name": name, "type": display, "required": required,
                "allowedValues": entity_choices(p, display), "defaultValue": null,
                "fixed": false, "allowMultipleValues": false,
            }));
        }
    }
    for v in p.runtime_variables() {
        let VarValue::Runtime { default, allowed } = &v.value else {
            continue;
        };
        out.push(json!({
            "__typename": "Variable", "name": v.name, "type": "Text", "required": default.is_none(),
            "allowedValues": if allowed.is_empty() { Value::Null } else { json!(allowed) },
            "defaultValue": default, "fixed": false, "allowMultipleValues": false,
        }));
    }
    out
}

fn problem_text(problems: &[InputProblem]) -> String {
    let missing: Vec<&str> = problems
        .iter()
        .filter_map(|p| match p {
            InputProblem::Missing { name } => Some(name.as_str()),
            _ => None,
        })
        .collect();
    if !missing.is_empty() {
        return format!(
            "Value not provided for required variable(s): [{}]",
            missing.join(", ")
        );
    }
    match problems.first() {
        Some(InputProblem::NotAllowed {
            name,
            value,
            allowed,
        }) => format!(
            "Variable {name} has value {value}, which is not one of the allowed values [{}]",
            allowed.join(", ")
        ),
        Some(InputProblem::NotNumber { name, value }) => {
            format!("Variable {name} has value {value}, which is not a number")
        }
        _ => "Invalid variable values".to_string(),
    }
}

impl Resolver for Schema<'_> {
    fn has_root(&self, kind: OpKind, name: &str) -> bool {
        match kind {
            OpKind::Query => matches!(
                name,
                "application"
                    | "applications"
                    | "applicationByName"
                    | "pipeline"
                    | "pipelines"
                    | "pipelineByName"
                    | "workflow"
                    | "workflows"
                    | "workflowByName"
                    | "execution"
                    | "executions"
                    | "approvalDetails"
                    | "executionInputs"
            ),
            OpKind::Mutation => matches!(
                name,
                "startExecution" | "approveOrRejectApprovals" | "resumeExecution"
            ),
        }
    }

    fn root(&mut self, _: OpKind, name: &str, args: &Map<String, Value>) -> Result<Value, String> {
        let input = || {
            args.get("input")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default()
        };
        match name {
            "application" => {
                let id = arg(args, "applicationId").unwrap_or_default();
                let project = self
                    .project_of_app(id)
                    .ok_or_else(|| "Application does not exist".to_string())?;
                Ok(self.app_json(&project))
            }
            "applicationByName" => {
                let name = arg(args, "name").unwrap_or_default();
                let project = self
                    .world
                    .projects_of(Generation::FirstGen)
                    .find(|p| p.name == name)
                    .map(|p| p.id.clone())
                    .ok_or_else(|| format!("No application found with name {name}"))?;
                Ok(self.app_json(&project))
            }
            "applications" => {
                let nodes: Vec<Value> = self
                    .world
                    .projects_of(Generation::FirstGen)
                    .filter(|p| filters_accept(args, &[("application", &app_id(&p.id))]))
                    .map(|p| self.app_json(&p.id))
                    .collect();
                Ok(json!({"__conn": nodes}))
            }
            "pipeline" | "workflow" => {
                let workflows = name == "workflow";
                let key = if workflows {
                    "workflowId"
                } else {
                    "pipelineId"
                };
                let id = arg(args, key).unwrap_or_default();
                self.entity(id)
                    .filter(|p| is_workflow(p) == workflows)
                    .map(|p| self.entity_json(p))
                    .ok_or_else(|| format!("Entity {id} does not exist or access is denied"))
            }
            "pipelines" => Ok(self.entities(args, false)),
            "workflows" => Ok(self.entities(args, true)),
            "pipelineByName" => self.by_name(args, false),
            "workflowByName" => self.by_name(args, true),
            "execution" => {
                let id = arg(args, "executionId").unwrap_or_default();
                self.fg_execution(id)
                    .map(|e| self.execution_json(e))
                    .ok_or_else(|| NO_EXECUTION.to_string())
            }
            "executions" => Ok(self.executions(args)),
            "approvalDetails" => self.approval_details(args),
            "executionInputs" => self.execution_inputs(args),
            "startExecution" => self.start(&input()),
            "approveOrRejectApprovals" => self.decide(&input()),
            "resumeExecution" => self.resume(&input()),
            _ => Err(format!("Unknown field {name}")),
        }
    }

    fn expand(&mut self, reference: &Value) -> Value {
        let project = reference["project"].as_str().unwrap_or_default();
        match reference["__ref"].as_str() {
            Some("application") => self.app_json(project),
            Some("execution") => {
                let id = reference["id"].as_str().unwrap_or_default();
                self.world
                    .execution(id)
                    .map(|e| self.execution_json(e))
                    .unwrap_or(Value::Null)
            }
            Some("entity") => {
                let pipeline = reference["pipeline"].as_str().unwrap_or_default();
                self.world
                    .pipeline(project, pipeline)
                    .map(|p| self.entity_json(p))
                    .unwrap_or(Value::Null)
            }
            _ => Value::Null,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_and_distinct() {
        assert_eq!(app_id("legacy_billing"), app_id("legacy_billing"));
        assert_ne!(app_id("legacy_billing"), app_id("storefront_classic"));
        assert_eq!(app_id("legacy_billing").len(), 22);
        assert_ne!(entity_id("a", "bc"), entity_id("ab", "c"));
    }

    #[test]
    fn id_filters() {
        let f = json!({"operator": "IN", "values": ["a", "b"]});
        assert!(id_filter(&f, "a"));
        assert!(!id_filter(&f, "c"));
        assert!(id_filter(
            &json!({"operator": "NOT_IN", "values": ["a"]}),
            "c"
        ));
    }
}
