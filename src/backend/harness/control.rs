//! Execution control on Harness NextGen (spec `control-logs-identity.md` §1.1).
//!
//! | action | requests |
//! |---|---|
//! | abort | `PUT /pipeline/api/pipeline/execute/interrupt/{id}?interruptType=AbortAll` (no body) |
//! | abort one stage | `GET …/pipelines/execution/v2/{id}` (the stage's `nodeExecutionId`), then `PUT …/interrupt/{id}/{nodeExecutionId}?interruptType=AbortAll` |
//! | retryable stages | `GET …/pipelines/execution/v2/{id}` (the pipeline), `GET …/pipeline/execute/{id}/retryStages?pipelineIdentifier=` |
//! | retry | the summary; without stages named, `retryStages` (a refusal is reported verbatim, and its first group that did not succeed is the default); `GET …/pipelines/execution/{id}/inputsetV2`; then `POST …/pipeline/execute/retry/{pipeline}?planExecutionId=&retryStages=…` (repeated) `&runAllStages=true` with that input YAML |
//! | rerun | the summary, `inputsetV2`, then `POST …/pipeline/execute/rerun/{id}/{pipeline}` with that input YAML |
//!
//! An abort is asynchronous: the run reads `Discontinuing`, then `Aborted`. The answer
//! says only that the interrupt was registered, so the outcome carries no status.
//! Refusals keep the server's words: a finished run (`Execution is already finished with
//! status: [SUCCEEDED]`) and an abort already under way (`Execution abort is already under
//! progress.`) are conflicts.

use reqwest::Method;
use serde::Deserialize;

use super::status::status;
use super::wire::{self, ExecuteResponse};
use super::{HarnessBackend, YAML};
use crate::backend::Result;
use crate::backend::control::{Control, ControlOutcome, RetryStage, RetryStages, not_offered};
use crate::domain::{BackendError, BackendKind, ExecRef, ExecStatus};

/// `InterruptDTO`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Interrupt {
    #[serde(default)]
    plan_execution_id: Option<String>,
}

/// `RetryInfo` of `retryStages` (Lombok's `isResumable` is written `resumable`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RetryInfo {
    #[serde(default)]
    error_message: Option<String>,
    #[serde(default)]
    resumable: bool,
    #[serde(default)]
    groups: Option<Vec<RetryGroup>>,
}

#[derive(Debug, Deserialize)]
struct RetryGroup {
    #[serde(default)]
    info: Vec<RetryStageInfo>,
}

#[derive(Debug, Deserialize)]
struct RetryStageInfo {
    #[serde(default)]
    name: Option<String>,
    identifier: String,
    #[serde(default)]
    status: Option<String>,
}

/// `InputSetYamlWithTemplateDTO`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct InputSetV2 {
    #[serde(default)]
    input_set_yaml: Option<String>,
}

/// Harness's refusals of a control action that mean "not in this state": conflicts.
fn conflict(err: BackendError) -> BackendError {
    match err {
        BackendError::BadRequest(text)
            if text.contains("is already finished with status")
                || text.contains("already under progress")
                || text.contains("not the latest of all retried execution")
                || text.contains("undergone Pipeline Rollback")
                || text.contains("more than 30 days old") =>
        {
            BackendError::Conflict(text)
        }
        other => other,
    }
}

impl HarnessBackend {
    pub(super) async fn control_exec(
        &self,
        exec: &ExecRef,
        action: &Control,
    ) -> Result<ControlOutcome> {
        match action {
            Control::Abort {
                terminate: true, ..
            } => Err(BackendError::Unsupported(
                "Harness has one abort (AbortAll); terminate is Argo's: leave out --terminate"
                    .into(),
            )),
            Control::Abort { stage, .. } => self.abort(exec, stage.as_deref()).await,
            Control::Retry { stages } => self.retry(exec, stages).await,
            Control::Rerun => self.rerun(exec).await,
            other => Err(BackendError::Unsupported(not_offered(
                BackendKind::Harness,
                other,
            ))),
        }
    }

    /// The runtime id of `stage` (its identifier, name or `nodeExecutionId`) in `exec`.
    async fn stage_node(&self, exec: &ExecRef, stage: &str) -> Result<String> {
        let detail = self.execution_v2(&exec.id, &exec.project, &[]).await?;
        let nodes = &detail.pipeline_execution_summary.layout_node_map;
        let found = nodes.values().find(|n| {
            n.node_group.as_deref().is_none_or(|g| g == "STAGE")
                && [&n.node_identifier, &n.name, &n.node_execution_id]
                    .iter()
                    .any(|v| v.as_deref() == Some(stage))
        });
        match found.and_then(|n| n.node_execution_id.clone()) {
            Some(id) => Ok(id),
            None if found.is_some() => Err(BackendError::Conflict(format!(
                "stage {stage:?} has not started in execution {}: nothing to abort",
                exec.id
            ))),
            None => Err(BackendError::NotFound(format!(
                "no stage {stage:?} in execution {}",
                exec.id
            ))),
        }
    }

    /// The execution's summary (its pipeline and status), without the graph.
    async fn summary(&self, exec: &ExecRef) -> Result<wire::ExecutionSummary> {
        let detail = self.execution_v2(&exec.id, &exec.project, &[]).await?;
        Ok(detail.pipeline_execution_summary)
    }

    pub(super) async fn retry_stages_of(
        &self,
        exec: &ExecRef,
        pipeline: &str,
    ) -> Result<RetryStages> {
        let url = self.legacy_url(
            &["pipeline", "execute", &exec.id, "retryStages"],
            &exec.project,
            &[("pipelineIdentifier", pipeline)],
        );
        let info: RetryInfo = self.legacy(&self.call(Method::GET, url)).await?;
        Ok(RetryStages {
            resumable: info.resumable,
            error: info.error_message.filter(|m| !m.is_empty()),
            groups: info
                .groups
                .unwrap_or_default()
                .into_iter()
                .map(|g| {
                    g.info
                        .into_iter()
                        .map(|s| RetryStage {
                            name: s.name.unwrap_or_else(|| s.identifier.clone()),
                            identifier: s.identifier,
                            status: s.status.unwrap_or_default(),
                        })
                        .collect()
                })
                .collect(),
        })
    }

    pub(super) async fn retryable(&self, exec: &ExecRef) -> Result<RetryStages> {
        let summary = self.summary(exec).await?;
        let pipeline = summary.pipeline_identifier.unwrap_or_default();
        self.retry_stages_of(exec, &pipeline).await
    }

    /// The runtime-input YAML the run was started with (empty when it took none).
    async fn inputs_of(&self, exec: &ExecRef) -> Result<String> {
        let url = self.legacy_url(
            &["pipelines", "execution", &exec.id, "inputsetV2"],
            &exec.project,
            &[("resolveExpressions", "false")],
        );
        let inputs: InputSetV2 = self.legacy(&self.call(Method::GET, url)).await?;
        Ok(inputs.input_set_yaml.unwrap_or_default())
    }

    async fn retry(&self, exec: &ExecRef, stages: &[String]) -> Result<ControlOutcome> {
        let summary = self.summary(exec).await?;
        let now = status(summary.status.as_deref());
        // Harness's UI offers retry only for these; the server would register it anyway.
        if !matches!(
            now.status,
            ExecStatus::Failed | ExecStatus::Aborted | ExecStatus::Expired | ExecStatus::Rejected
        ) {
            return Err(BackendError::Conflict(format!(
                "only a failed, aborted, expired or rejected execution can be retried; {} is {}",
                exec.id, now.raw
            )));
        }
        let pipeline = summary.pipeline_identifier.unwrap_or_default();
        let stages = if stages.is_empty() {
            let info = self.retry_stages_of(exec, &pipeline).await?;
            if !info.resumable {
                return Err(BackendError::Conflict(
                    info.error
                        .unwrap_or_else(|| "Harness says it cannot be retried".into()),
                ));
            }
            let default = info.default_stages();
            if default.is_empty() {
                return Err(BackendError::Conflict(format!(
                    "no stage of {} failed: nothing to retry",
                    exec.id
                )));
            }
            default
        } else {
            stages.to_vec()
        };
        let body = self.inputs_of(exec).await?;
        let mut extra: Vec<(&str, &str)> = vec![("planExecutionId", &exec.id)];
        extra.extend(stages.iter().map(|s| ("retryStages", s.as_str())));
        extra.push(("runAllStages", "true"));
        let url = self.legacy_url(
            &["pipeline", "execute", "retry", &pipeline],
            &exec.project,
            &extra,
        );
        let started: ExecuteResponse = self
            .legacy(&self.call(Method::POST, url).body(YAML, body))
            .await
            .map_err(conflict)?;
        Ok(ControlOutcome {
            status: Some(status(started.plan_execution.status.as_deref())),
            execution_id: started.plan_execution.uuid,
            new_run: true,
            pending: None,
        })
    }

    async fn rerun(&self, exec: &ExecRef) -> Result<ControlOutcome> {
        let summary = self.summary(exec).await?;
        let pipeline = summary.pipeline_identifier.unwrap_or_default();
        // The server does not copy the old inputs: they are read back and sent.
        let body = self.inputs_of(exec).await?;
        let url = self.legacy_url(
            &["pipeline", "execute", "rerun", &exec.id, &pipeline],
            &exec.project,
            &[("moduleType", "cd")],
        );
        let started: ExecuteResponse = self
            .legacy(&self.call(Method::POST, url).body(YAML, body))
            .await?;
        Ok(ControlOutcome {
            status: Some(status(started.plan_execution.status.as_deref())),
            execution_id: started.plan_execution.uuid,
            new_run: true,
            pending: None,
        })
    }

    async fn abort(&self, exec: &ExecRef, stage: Option<&str>) -> Result<ControlOutcome> {
        let mut segments = vec!["pipeline", "execute", "interrupt", exec.id.as_str()];
        let node;
        if let Some(stage) = stage {
            node = self.stage_node(exec, stage).await?;
            segments.push(&node);
        }
        let url = self.legacy_url(&segments, &exec.project, &[("interruptType", "AbortAll")]);
        // No body: the route takes none (Harness's own MCP server warns a body fails it).
        let answer: Interrupt = self
            .legacy(&self.call(Method::PUT, url))
            .await
            .map_err(conflict)?;
        Ok(ControlOutcome {
            execution_id: answer.plan_execution_id.unwrap_or_else(|| exec.id.clone()),
            new_run: false,
            status: None,
            pending: None,
        })
    }
}
