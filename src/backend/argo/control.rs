//! Execution control on Argo Workflows (spec `control-logs-identity.md` §1.3, `argo-api.md`
//! §7): every action is `PUT /api/v1/workflows/{ns}/{name}/<action>`.
//!
//! | action | body | then |
//! |---|---|---|
//! | stop / terminate | `{"nodeFieldSelector":"","message":""}` / `{}` | the workflow is read again: a workflow suspended as a whole ignores both while it stays suspended (argo-workflows#17041), which the outcome says |
//! | retry | `{"restartSuccessful":false,"nodeFieldSelector":""}` | Failed/Error only; the same workflow |
//! | resubmit (rerun) | `{"memoized":false}` | a new workflow |
//! | suspend | `{}` | |
//! | resume | `{"nodeFieldSelector":""}` | read first: only a workflow suspended as a whole, with no gate waiting (a resume without a selector would approve every waiting gate with its defaults) |
//!
//! Refusals keep the server's words; those that mean "not in this state" are conflicts.

use serde_json::json;

use super::map;
use super::wire::Workflow;
use super::{ArgoBackend, to_json};
use crate::backend::Result;
use crate::backend::control::{Control, ControlOutcome, not_offered};
use crate::domain::{BackendError, BackendKind, ExecRef};

/// The fields the checks before and after an action read.
const STATE_FIELDS: &str = "metadata.name,metadata.namespace,spec.suspend,spec.shutdown,\
                            status.phase,status.progress,status.message,status.nodes";

/// Argo's refusals that mean "not in this state": conflicts (exit 5), not bad input.
fn conflict(err: BackendError) -> BackendError {
    match err {
        BackendError::BadRequest(text)
            if text.contains("Cannot retry a workflow in phase")
                || text.contains("cannot suspend completed workflows")
                || text.contains("to resubmit in memoized mode")
                || text.contains("To retry a succeeded workflow") =>
        {
            BackendError::Conflict(text)
        }
        other => other,
    }
}

fn outcome(workflow: &Workflow, new_run: bool) -> ControlOutcome {
    ControlOutcome {
        execution_id: workflow.metadata.name.clone(),
        new_run,
        status: Some(map::workflow_status(
            workflow,
            map::facts(workflow).as_ref(),
        )),
        pending: None,
    }
}

/// Running Suspend nodes: gates waiting for a person.
fn gates(workflow: &Workflow) -> usize {
    workflow.status.nodes.as_ref().map_or(0, |nodes| {
        nodes.values().filter(|n| map::is_gate(n)).count()
    })
}

fn finished(workflow: &Workflow) -> bool {
    matches!(
        workflow.status.phase.as_deref(),
        Some("Succeeded" | "Failed" | "Error")
    )
}

impl ArgoBackend {
    pub(super) async fn control_exec(
        &self,
        exec: &ExecRef,
        action: &Control,
    ) -> Result<ControlOutcome> {
        self.check_project(&exec.project)?;
        let name = exec.id.as_str();
        match action {
            Control::Abort {
                stage: None,
                terminate,
            } => self.shut_down(name, *terminate).await,
            Control::Retry { stages } if stages.is_empty() => {
                let body = json!({"restartSuccessful": false, "nodeFieldSelector": ""});
                let wf = self.act(name, "retry", body).await?;
                Ok(outcome(&wf, false))
            }
            Control::Rerun => {
                let wf = self
                    .act(name, "resubmit", json!({"memoized": false}))
                    .await?;
                Ok(outcome(&wf, true))
            }
            Control::Suspend => {
                let wf = self.act(name, "suspend", json!({})).await?;
                Ok(outcome(&wf, false))
            }
            Control::Resume => self.resume_whole(name).await,
            other => Err(BackendError::Unsupported(not_offered(
                BackendKind::Argo,
                other,
            ))),
        }
    }

    async fn act(&self, name: &str, action: &str, body: serde_json::Value) -> Result<Workflow> {
        self.call(&self.action_call(name, action, to_json(&body)))
            .await
            .map_err(conflict)
    }

    async fn shut_down(&self, name: &str, terminate: bool) -> Result<ControlOutcome> {
        let (action, body) = if terminate {
            ("terminate", json!({}))
        } else {
            ("stop", json!({"nodeFieldSelector": "", "message": ""}))
        };
        let _: Workflow = self.act(name, action, body).await?;
        // The answer is the patched object, not the controller's reaction: read it again.
        let now = self.workflow(name, STATE_FIELDS).await?;
        let mut out = outcome(&now, false);
        if !finished(&now) && now.spec.suspend == Some(true) {
            out.pending = Some(format!(
                "Argo recorded the {action}, but does not act on it while the workflow is \
                 suspended as a whole (spec.suspend; argo-workflows#17041): it is still {}. \
                 Resume it (flightdeck resume) and the {action} takes effect",
                now.status.phase.as_deref().unwrap_or("running")
            ));
        }
        Ok(out)
    }

    async fn resume_whole(&self, name: &str) -> Result<ControlOutcome> {
        let before = self.workflow(name, STATE_FIELDS).await?;
        let waiting = gates(&before);
        if waiting > 0 {
            return Err(BackendError::Conflict(format!(
                "{name} waits at {waiting} gate(s): a resume of the whole workflow would approve \
                 them all with their defaults; decide them with approve or reject"
            )));
        }
        if before.spec.suspend != Some(true) {
            // Argo answers 200 and changes nothing: say so instead of sending it.
            return Err(BackendError::Conflict(format!(
                "{name} is not suspended ({}): nothing to resume",
                before.status.phase.as_deref().unwrap_or("no phase")
            )));
        }
        let wf = self
            .act(name, "resume", json!({"nodeFieldSelector": ""}))
            .await?;
        Ok(outcome(&wf, false))
    }
}
