//! First Gen's one execution-control mutation (spec `control-logs-identity.md` §1.2.1):
//! `resumeExecution` retries a pipeline that ended badly from a named stage, as a new
//! pipeline execution, with the verbatim refusals of `ResumeExecutionDataFetcher` and
//! `PipelineResumeUtils`. There is no abort mutation.

use serde_json::{Map, Value, json};

use super::{Schema, app_id, arg, is_workflow};
use crate::world::RunStatus;

impl Schema<'_> {
    pub(super) fn resume(&mut self, input: &Map<String, Value>) -> Result<Value, String> {
        let app = arg(input, "applicationId").unwrap_or_default();
        let exec_id = arg(input, "pipelineExecutionId").unwrap_or_default();
        let stage = arg(input, "pipelineStageName").unwrap_or_default();
        if app.is_empty() {
            return Err("Empty app id.".into());
        }
        if stage.is_empty() {
            return Err("Empty pipeline stage name.".into());
        }
        if exec_id.is_empty() {
            return Err("Empty workflow execution Id.".into());
        }
        let e = self
            .fg_execution(exec_id)
            .filter(|e| app_id(&e.project) == app)
            .ok_or_else(|| format!("Execution [{exec_id}] doesn't exist."))?
            .clone();
        let def = self
            .world
            .pipeline(&e.project, &e.pipeline)
            .cloned()
            .ok_or_else(|| format!("Execution [{exec_id}] doesn't exist."))?;
        if is_workflow(&def) {
            return Err(format!(
                "Pipeline resume not available for workflow executions: {exec_id}"
            ));
        }
        if e.lineage.retried_by.is_some() {
            return Err(format!(
                "Pipeline resume is only available on the latest iteration of a resumed execution: {exec_id}"
            ));
        }
        if !e.status.is_bad() {
            return Err(format!(
                "Pipeline resume is not available for [{exec_id}]. Resumable states are : [FAILED, ABORTED, REJECTED, EXPIRED, ERROR]"
            ));
        }
        let si = def
            .stages
            .iter()
            .position(|s| s.name == stage)
            .filter(|&si| e.stages[si].status != RunStatus::NotStarted)
            .ok_or_else(|| {
                format!("Pipeline Stage does not exist or has not yet started: [{stage}]")
            })?;
        let new = self
            .world
            .retry_as_new(exec_id, &[si], &self.user)
            .map_err(|_| format!("Execution [{exec_id}] doesn't exist."))?;
        self.shared
            .stats()
            .count_control("harness-fg", "resumeExecution");
        let execution = self
            .world
            .execution(&new)
            .map(|x| self.execution_json(x))
            .unwrap_or(Value::Null);
        Ok(json!({
            "__typename": "ResumeExecutionPayload",
            "clientMutationId": input.get("clientMutationId").cloned().unwrap_or(Value::Null),
            "execution": execution,
        }))
    }
}
