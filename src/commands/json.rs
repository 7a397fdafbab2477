//! The JSON shapes of `--output json`. These are a public interface for scripts: fields are
//! only ever added, never renamed or removed (README, "JSON output").

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::Serialize;

use crate::domain::{Approval, Execution, ExecutionDetail, Pipeline, Stage, Status, Step};

/// Every time in the JSON documents: RFC 3339 UTC in whole seconds, `2026-03-01T12:00:05Z`,
/// the one form every reader takes (jq 1.6's `fromdateiso8601` refuses fractions). Backends
/// report milliseconds or nanoseconds; the fraction is dropped, never rounded up.
fn whole_seconds<S: serde::Serializer>(t: &Option<Timestamp>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()),
        None => s.serialize_none(),
    }
}

#[derive(Debug, Serialize)]
pub struct StatusJson {
    /// Normalized: waiting, running, queued, paused, not_started, success, failed, aborted,
    /// rejected, expired, skipped, unknown.
    pub status: String,
    /// The backend's own word (`ApprovalWaiting`, `Succeeded`, ...).
    pub raw: String,
}

impl From<&Status> for StatusJson {
    fn from(s: &Status) -> Self {
        StatusJson {
            status: s.status.label().replace(' ', "_"),
            raw: s.raw.clone(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct PipelineJson {
    /// `backend/project/id` (or `backend/id`, see `target::format`): what `start` and
    /// `inputs` take.
    pub target: String,
    pub backend: String,
    pub project: String,
    pub id: String,
    pub name: String,
    pub description: String,
    pub tags: BTreeMap<String, String>,
    pub last_status: Option<StatusJson>,
    #[serde(serialize_with = "whole_seconds")]
    pub last_run: Option<Timestamp>,
    pub stages: Option<u32>,
}

impl From<&Pipeline> for PipelineJson {
    fn from(p: &Pipeline) -> Self {
        PipelineJson {
            target: super::target::format(&p.backend, &p.project, &p.id),
            backend: p.backend.to_string(),
            project: p.project.clone(),
            id: p.id.clone(),
            name: p.name.clone(),
            description: p.description.clone(),
            tags: p.tags.iter().cloned().collect(),
            last_status: p.last_status.as_ref().map(Into::into),
            last_run: p.last_run,
            stages: p.stages,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct ExecutionJson {
    /// What `status`, `abort`, `approve`... take.
    pub target: String,
    pub backend: String,
    pub project: String,
    pub id: String,
    pub pipeline_id: String,
    pub pipeline_name: String,
    pub status: StatusJson,
    #[serde(serialize_with = "whole_seconds")]
    pub started: Option<Timestamp>,
    #[serde(serialize_with = "whole_seconds")]
    pub ended: Option<Timestamp>,
    pub triggered_by: String,
    pub run_number: Option<u64>,
    pub stages_done: u32,
    pub stages_total: u32,
    pub message: Option<String>,
    /// The execution's page in the vendor's web UI; `null` where there is none (Infraxys).
    pub url: Option<String>,
}

impl From<&Execution> for ExecutionJson {
    fn from(e: &Execution) -> Self {
        ExecutionJson {
            target: super::target::format(&e.backend, &e.project, &e.id),
            backend: e.backend.to_string(),
            project: e.project.clone(),
            id: e.id.clone(),
            pipeline_id: e.pipeline_id.clone(),
            pipeline_name: e.pipeline_name.clone(),
            status: (&e.status).into(),
            started: e.started,
            ended: e.ended,
            triggered_by: e.triggered_by.clone(),
            run_number: e.run_number,
            stages_done: e.stages_done,
            stages_total: e.stages_total,
            message: e.message.clone(),
            url: e.url.clone(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct InputJson {
    pub name: String,
    pub default: String,
    pub options: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct GateJson {
    /// The gate's execution, as `approve`/`reject` take it (with `--gate` `id` when several
    /// gates wait in it).
    pub target: String,
    pub backend: String,
    pub project: String,
    pub id: String,
    pub execution_id: String,
    pub pipeline_id: String,
    pub pipeline_name: String,
    pub stage: String,
    pub step: String,
    pub message: String,
    pub approvers: Vec<String>,
    pub min_count: u32,
    pub inputs: Vec<InputJson>,
    #[serde(serialize_with = "whole_seconds")]
    pub created: Option<Timestamp>,
    #[serde(serialize_with = "whole_seconds")]
    pub deadline: Option<Timestamp>,
    pub triggered_by: String,
    pub environment: Option<String>,
    /// Harness: the approval step's `callbackId` (for `--callback-id`); `null` elsewhere.
    pub callback_id: Option<String>,
    /// The gate in the vendor's web UI (its execution's page with the gate selected where
    /// the UI can); `null` where there is none.
    pub url: Option<String>,
}

impl From<&Approval> for GateJson {
    fn from(a: &Approval) -> Self {
        GateJson {
            target: super::target::format(&a.backend, &a.project, &a.execution_id),
            backend: a.backend.to_string(),
            project: a.project.clone(),
            id: a.id.clone(),
            execution_id: a.execution_id.clone(),
            pipeline_id: a.pipeline_id.clone(),
            pipeline_name: a.pipeline_name.clone(),
            stage: a.stage.clone(),
            step: a.step.clone(),
            message: a.message.clone(),
            approvers: a.approvers.clone(),
            min_count: a.min_count,
            inputs: a
                .inputs
                .iter()
                .map(|i| InputJson {
                    name: i.name.clone(),
                    default: i.default.clone(),
                    options: i.options.clone(),
                })
                .collect(),
            created: a.created,
            deadline: a.deadline,
            triggered_by: a.triggered_by.clone(),
            environment: a.environment.clone(),
            callback_id: a.callback_id.clone(),
            url: a.url.clone(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct StepJson {
    pub name: String,
    pub kind: String,
    pub status: StatusJson,
    #[serde(serialize_with = "whole_seconds")]
    pub started: Option<Timestamp>,
    #[serde(serialize_with = "whole_seconds")]
    pub ended: Option<Timestamp>,
    pub message: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct StageJson {
    pub name: String,
    pub status: StatusJson,
    #[serde(serialize_with = "whole_seconds")]
    pub started: Option<Timestamp>,
    #[serde(serialize_with = "whole_seconds")]
    pub ended: Option<Timestamp>,
    pub steps: Vec<StepJson>,
}

impl From<&Step> for StepJson {
    fn from(s: &Step) -> Self {
        StepJson {
            name: s.name.clone(),
            kind: s.kind.clone(),
            status: (&s.status).into(),
            started: s.started,
            ended: s.ended,
            message: s.message.clone(),
        }
    }
}

impl From<&Stage> for StageJson {
    fn from(s: &Stage) -> Self {
        StageJson {
            name: s.name.clone(),
            status: (&s.status).into(),
            started: s.started,
            ended: s.ended,
            steps: s.steps.iter().map(Into::into).collect(),
        }
    }
}

/// The gate whose rejection made an execution `rejected` (an Argo verdict set to its
/// reject value); `by` is `null` when the backend recorded nobody.
#[derive(Debug, Serialize)]
pub struct RejectionJson {
    pub gate: String,
    pub stage: String,
    pub step: String,
    pub by: Option<String>,
    pub message: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct DetailJson {
    pub execution: ExecutionJson,
    pub stages: Vec<StageJson>,
    pub gates: Vec<GateJson>,
    pub rejection: Option<RejectionJson>,
}

impl From<&ExecutionDetail> for DetailJson {
    fn from(d: &ExecutionDetail) -> Self {
        DetailJson {
            execution: (&d.execution).into(),
            stages: d.stages.iter().map(Into::into).collect(),
            gates: d.approvals.iter().map(Into::into).collect(),
            rejection: d.rejection.as_ref().map(|r| RejectionJson {
                gate: r.gate.clone(),
                stage: r.stage.clone(),
                step: r.step.clone(),
                by: r.by.clone(),
                message: r.message.clone(),
            }),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct StartJson {
    pub backend: String,
    pub project: String,
    pub pipeline_id: String,
    pub execution_id: String,
    pub status: StatusJson,
    /// With `--wait`: how the execution ended; `null` when the wait stopped before the end.
    pub final_status: Option<StatusJson>,
    /// With `--wait`: each gate the execution stopped at, with the commands that decide it.
    pub waited_at: Vec<WaitedGate>,
    /// Why the run did not end in success (`--wait` timed out, the execution failed...);
    /// the exit code is `error.code`.
    pub error: Option<ErrorJson>,
}

#[derive(Debug, Serialize)]
pub struct WaitedGate {
    pub id: String,
    pub stage: String,
    pub step: String,
    pub approve: String,
    pub reject: String,
}

#[derive(Debug, Serialize)]
pub struct DecisionJson {
    pub backend: String,
    pub gate: Option<String>,
    pub callback_id: Option<String>,
    pub execution_id: String,
    /// approve or reject.
    pub action: String,
    /// approved, rejected, or approved_more_needed.
    pub outcome: String,
}

/// Every `list` document: the rows read, and each backend that could not be read. `failed`
/// is always present, so `jq '.failed == []'` tells "none waiting" from "unknown".
#[derive(Debug, Serialize)]
pub struct ListJson<T: Serialize> {
    pub items: Vec<T>,
    pub failed: Vec<FailedJson>,
}

/// A backend whose part of a document could not be read, and why.
#[derive(Debug, Serialize)]
pub struct FailedJson {
    pub backend: String,
    /// As in `error.kind`: `not_authorized`, `backend`, `timeout`, ...
    pub kind: String,
    /// The exit code this failure alone would have given.
    pub code: u8,
    pub message: String,
}

#[derive(Debug, Serialize)]
pub struct ErrorJson {
    pub kind: String,
    pub code: u8,
    pub message: String,
}

impl ErrorJson {
    pub fn of(f: &super::Failure) -> ErrorJson {
        ErrorJson {
            kind: f.kind.to_string(),
            code: f.code,
            message: f.message.clone(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct CheckJson {
    pub config: String,
    pub warnings: Vec<String>,
    pub backends: Vec<CheckedBackend>,
}

#[derive(Debug, Serialize)]
pub struct CheckedBackend {
    pub name: String,
    pub kind: String,
    /// ok, skipped (not connected), or error.
    pub state: String,
    pub pipelines: Option<usize>,
    /// With `--connect`: what was sent and what its answer proves.
    pub checked: Option<String>,
    pub error: Option<String>,
    /// With `--connect`: who the key acts as (`{who, source, via}`), as audit entries say.
    pub identity: Option<crate::backend::identity::Identity>,
}

#[cfg(test)]
mod tests {
    #[test]
    fn times_are_whole_seconds_in_utc() {
        #[derive(serde::Serialize)]
        struct T(#[serde(serialize_with = "super::whole_seconds")] Option<jiff::Timestamp>);
        let t: jiff::Timestamp = "2026-03-01T12:00:05.999+02:00".parse().unwrap();
        assert_eq!(
            serde_json::to_string(&T(Some(t))).unwrap(),
            "\"2026-03-01T10:00:05Z\""
        );
        assert_eq!(serde_json::to_string(&T(None)).unwrap(), "null");
    }
}
