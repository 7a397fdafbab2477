//! Execution control on Harness First Gen (spec `control-logs-identity.md` §1.2): its
//! GraphQL API has one control mutation, `resumeExecution`, which retries a failed pipeline
//! from a stage as a **new** pipeline execution. Abort, pause and resume exist only in an
//! undocumented REST route of the web UI, so they are not offered.
//!
//! | action | requests |
//! |---|---|
//! | retry | without `--stage`: the execution's detail (its first stage that did not succeed); then `mutation resumeExecution(input: {applicationId, pipelineExecutionId, pipelineStageName})` |
//! | rerun | the run's `inputVariables` (one query), the start form (cached by the last listing), then `startExecution` as `start` sends it |
//!
//! First Gen has no rerun: a re-run is a new start with the inputs the run recorded. A
//! workflow run records its own `inputVariables`; a pipeline run records them per workflow
//! stage, as the stage received the pipeline's variables. Only names the start form asks
//! for are kept, so a stage's own variables are not sent to the pipeline. The run's
//! artifacts are not read back: a form that asks for one must be given it again.

use serde_json::json;

use super::run_status;
use super::wire;
use super::{EntityKind, HarnessFgBackend, queries};
use crate::backend::Backend;
use crate::backend::Result;
use crate::backend::control::{Control, ControlOutcome, RunInputs, not_offered, rerun_as_start};
use crate::domain::{BackendError, BackendKind, ExecRef, ExecStatus, VarKind};

const RESUME: &str = "mutation($input: ResumeExecutionInput!) {\
  resumeExecution(input: $input) { clientMutationId execution { __typename id status createdAt startedAt endedAt } } }";

/// First Gen's refusals that mean "not in this state": conflicts.
fn conflict(err: BackendError) -> BackendError {
    match err {
        // The list of resumable states names EXPIRED, which the generic mapping reads as
        // the gate-expiry error.
        BackendError::BadRequest(text) | BackendError::Expired(text)
            if text.contains("Pipeline resume is")
                || text.contains("You cannot resume")
                || text.contains("has not yet started") =>
        {
            BackendError::Conflict(text)
        }
        other => other,
    }
}

impl HarnessFgBackend {
    pub(super) async fn control_exec(
        &self,
        exec: &ExecRef,
        action: &Control,
    ) -> Result<ControlOutcome> {
        match action {
            Control::Retry { stages } if stages.len() <= 1 => {
                self.resume_from(exec, stages.first().map(String::as_str))
                    .await
            }
            Control::Rerun => {
                let inputs = self.read_run_inputs(exec).await?;
                rerun_as_start(self, exec, inputs).await
            }
            other => Err(BackendError::Unsupported(not_offered(
                BackendKind::HarnessFg,
                other,
            ))),
        }
    }

    async fn resume_from(&self, exec: &ExecRef, stage: Option<&str>) -> Result<ControlOutcome> {
        let stage = match stage {
            Some(s) => s.to_string(),
            None => {
                let detail = self.execution(exec).await?;
                detail
                    .stages
                    .iter()
                    .find(|s| {
                        matches!(
                            s.status.status,
                            ExecStatus::Failed
                                | ExecStatus::Aborted
                                | ExecStatus::Rejected
                                | ExecStatus::Expired
                        )
                    })
                    .map(|s| s.name.clone())
                    .ok_or_else(|| {
                        BackendError::Conflict(format!(
                            "no stage of {} failed: name the stage to resume from with --stage",
                            exec.id
                        ))
                    })?
            }
        };
        let app = self.app_id(&exec.project).await?;
        #[derive(serde::Deserialize)]
        struct Payload {
            execution: Option<wire::Execution>,
        }
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Data {
            resume_execution: Option<Payload>,
        }
        let input = json!({"input": {
            "applicationId": app,
            "pipelineExecutionId": exec.id,
            "pipelineStageName": stage,
        }});
        let data: Data = self.call(RESUME, input).await.map_err(conflict)?;
        let e = data
            .resume_execution
            .and_then(|p| p.execution)
            .ok_or_else(|| BackendError::Decode("resumeExecution returned no execution".into()))?;
        Ok(ControlOutcome {
            status: Some(run_status(&e)),
            execution_id: e.id,
            new_run: true,
            pending: None,
        })
    }

    /// What `exec` was started with, limited to the inputs its pipeline's start form asks
    /// for (secrets are never among them: First Gen does not record their values).
    pub(super) async fn read_run_inputs(&self, exec: &ExecRef) -> Result<RunInputs> {
        #[derive(serde::Deserialize)]
        struct Data {
            execution: Option<wire::Execution>,
        }
        let data: Data = self
            .call(queries::RUN_INPUTS, json!({"id": exec.id}))
            .await?;
        let e = data.execution.ok_or_else(|| {
            BackendError::NotFound(format!("execution {} does not exist", exec.id))
        })?;
        let (entity, kind) = match (&e.pipeline, &e.workflow) {
            (Some(p), _) => (p, EntityKind::Pipeline),
            (None, Some(w)) => (w, EntityKind::Workflow),
            (None, None) => {
                return Err(BackendError::Decode(format!(
                    "execution {} names no pipeline or workflow",
                    exec.id
                )));
            }
        };
        let entity_id = entity.id.as_deref().ok_or_else(|| {
            BackendError::Decode(format!("execution {} names no pipeline id", exec.id))
        })?;
        let project = e
            .application
            .as_ref()
            .and_then(|a| a.name.clone())
            .unwrap_or_else(|| exec.project.clone());
        let pipeline_id = format!("{}{entity_id}", kind.prefix());
        let form = self.start_form(&project, &pipeline_id).await?;
        let asked = |name: &str| {
            form.variables
                .iter()
                .any(|v| v.name == name && v.kind != VarKind::Secret)
        };
        let mut values: Vec<(String, String)> = Vec::new();
        let recorded = e.input_variables.iter().chain(
            e.pipeline_stage_executions
                .iter()
                .flat_map(|s| &s.input_variables),
        );
        for v in recorded {
            // Stages of one pipeline run received the same pipeline variable: the first says it.
            if let Some(value) = &v.value
                && asked(&v.name)
                && !values.iter().any(|(n, _)| *n == v.name)
            {
                values.push((v.name.clone(), value.clone()));
            }
        }
        Ok(RunInputs {
            project,
            pipeline_id,
            values,
            source: "as First Gen recorded them",
            status: run_status(&e).status,
        })
    }
}
