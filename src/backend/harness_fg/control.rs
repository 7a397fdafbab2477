//! Execution control on Harness First Gen (spec `control-logs-identity.md` §1.2): its
//! GraphQL API has one control mutation, `resumeExecution`, which retries a failed pipeline
//! from a stage as a **new** pipeline execution. Abort, pause and resume exist only in an
//! undocumented REST route of the web UI, so they are not offered.
//!
//! | action | requests |
//! |---|---|
//! | retry | without `--stage`: the execution's detail (its first stage that did not succeed); then `mutation resumeExecution(input: {applicationId, pipelineExecutionId, pipelineStageName})` |

use serde_json::json;

use super::HarnessFgBackend;
use super::status;
use super::wire;
use crate::backend::Backend;
use crate::backend::Result;
use crate::backend::control::{Control, ControlOutcome, not_offered};
use crate::domain::{BackendError, BackendKind, ExecRef, ExecStatus};

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
            Control::Retry { .. } => Err(BackendError::BadRequest(
                "First Gen resumes a pipeline from one stage: give one --stage".into(),
            )),
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
            status: Some(status(e.status.as_deref())),
            execution_id: e.id,
            new_run: true,
            pending: None,
        })
    }
}
