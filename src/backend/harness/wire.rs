//! Serde shapes of the Harness NextGen wire format (spec sections 1-3): only the fields
//! flightdeck reads.
//!
//! Reading is tolerant, because the server evolves and the spec is partly inferred: unknown
//! fields are ignored (serde's default), statuses stay strings until normalized, `null`
//! lists and maps read as empty, and numbers are accepted as JSON numbers or numeric
//! strings. Only identifiers the client cannot work without are mandatory.

use std::collections::HashMap;

use jiff::Timestamp;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::backend::capped;

/// The most items one page may hold, whatever size was asked for (flightdeck asks for 100
/// at most); checked while decoding.
pub const MAX_PAGE_ITEMS: usize = 1_000;

/// `ResponseDTO<T>` of the legacy `/pipeline/api` endpoints.
#[derive(Debug, Deserialize)]
#[serde(bound(deserialize = "T: Deserialize<'de>"))]
pub struct Envelope<T> {
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub data: Option<T>,
}

/// A Spring Data page (spec 2.1); only the paging fields flightdeck needs.
#[derive(Debug, Deserialize)]
#[serde(bound(deserialize = "T: Deserialize<'de>"))]
pub struct Page<T> {
    /// At most [`MAX_PAGE_ITEMS`], checked while decoding (a page of a million `{}` items
    /// fits in the body cap); the caller checks it against the size it asked for.
    #[serde(
        default = "Vec::new",
        deserialize_with = "capped::at_most::<_, _, MAX_PAGE_ITEMS>"
    )]
    pub content: Vec<T>,
    #[serde(default, deserialize_with = "lenient_u64")]
    pub number: Option<u64>,
    #[serde(default, rename = "totalPages", deserialize_with = "lenient_u64")]
    pub total_pages: Option<u64>,
    #[serde(default)]
    pub last: Option<bool>,
}

impl<T> Page<T> {
    /// Spec 2.1: stop on `last`, or when `number+1 >= totalPages`. An empty page also ends
    /// the walk, so a server that sends neither field cannot keep us paging.
    pub fn is_last(&self, requested: u64) -> bool {
        if self.last == Some(true) || self.content.is_empty() {
            return true;
        }
        let number = self.number.unwrap_or(requested);
        self.total_pages.is_some_and(|total| number + 1 >= total)
    }
}

/// `PMSPipelineSummaryResponse` (spec 2.1).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PipelineSummary {
    pub identifier: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "tags")]
    pub tags: Vec<(String, String)>,
    #[serde(default, deserialize_with = "lenient_u64")]
    pub num_of_stages: Option<u64>,
    #[serde(default)]
    pub execution_summary_info: Option<ExecutionSummaryInfo>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionSummaryInfo {
    #[serde(default)]
    pub last_execution_status: Option<String>,
    #[serde(default, deserialize_with = "lenient_u64")]
    pub last_execution_ts: Option<u64>,
}

/// `PipelineExecutionSummary` (spec 2.7), also the head of an execution detail (2.9).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionSummary {
    pub plan_execution_id: String,
    #[serde(default)]
    pub pipeline_identifier: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub execution_trigger_info: Option<TriggerInfo>,
    #[serde(default)]
    pub failure_info: Option<Message>,
    /// Deprecated predecessor of `failureInfo`, still read for older servers.
    #[serde(default)]
    pub execution_error_info: Option<Message>,
    #[serde(default = "HashMap::new", deserialize_with = "null_default")]
    pub layout_node_map: HashMap<String, LayoutNode>,
    #[serde(default)]
    pub starting_node_id: Option<String>,
    #[serde(default, deserialize_with = "lenient_u64")]
    pub start_ts: Option<u64>,
    #[serde(default, deserialize_with = "lenient_u64")]
    pub end_ts: Option<u64>,
    #[serde(default, deserialize_with = "lenient_u64")]
    pub run_sequence: Option<u64>,
    #[serde(default, deserialize_with = "lenient_u64")]
    pub successful_stages_count: Option<u64>,
    #[serde(default, deserialize_with = "lenient_u64")]
    pub failed_stages_count: Option<u64>,
    #[serde(default, deserialize_with = "lenient_u64")]
    pub total_stages_count: Option<u64>,
    /// Free-form per-module rollup; read by path (`cd.envIdentifiers`).
    #[serde(default)]
    pub module_info: Option<Value>,
    /// `["cd","pms"]`: the first module other than `pms` names the execution's page.
    #[serde(default = "Vec::new", deserialize_with = "null_default")]
    pub modules: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TriggerInfo {
    #[serde(default)]
    pub trigger_type: Option<String>,
    #[serde(default)]
    pub triggered_by: Option<TriggeredBy>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TriggeredBy {
    #[serde(default)]
    pub identifier: Option<String>,
    #[serde(default = "HashMap::new", deserialize_with = "null_default")]
    pub extra_info: HashMap<String, Value>,
    #[serde(default)]
    pub trigger_name: Option<String>,
    #[serde(default)]
    pub trigger_identifier: Option<String>,
}

/// `{"message": ...}`: `failureInfo`, `executionErrorInfo`.
#[derive(Debug, Deserialize)]
pub struct Message {
    #[serde(default, deserialize_with = "lenient_string")]
    pub message: Option<String>,
}

/// `GraphLayoutNodeDTO` (spec 2.7): one stage, or a parallel/strategy wrapper.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LayoutNode {
    #[serde(default)]
    pub node_type: Option<String>,
    #[serde(default)]
    pub node_group: Option<String>,
    #[serde(default)]
    pub node_identifier: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "lenient_u64")]
    pub start_ts: Option<u64>,
    #[serde(default, deserialize_with = "lenient_u64")]
    pub end_ts: Option<u64>,
    #[serde(default)]
    pub edge_layout_list: Option<EdgeLayout>,
    #[serde(default)]
    pub node_execution_id: Option<String>,
    /// Per-module stage rollup; `cd.infraExecutionSummary.name` is the environment.
    #[serde(default)]
    pub module_info: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EdgeLayout {
    #[serde(default = "Vec::new", deserialize_with = "null_default")]
    pub current_node_children: Vec<String>,
    #[serde(default = "Vec::new", deserialize_with = "null_default")]
    pub next_ids: Vec<String>,
}

/// `PipelineExecutionDetailDTO` (spec 2.9).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionDetail {
    pub pipeline_execution_summary: ExecutionSummary,
    #[serde(default)]
    pub execution_graph: Option<ExecutionGraph>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionGraph {
    #[serde(default)]
    pub root_node_id: Option<String>,
    #[serde(default = "HashMap::new", deserialize_with = "null_default")]
    pub node_map: HashMap<String, GraphNode>,
    #[serde(default = "HashMap::new", deserialize_with = "null_default")]
    pub node_adjacency_list_map: HashMap<String, Adjacency>,
}

/// `ExecutionNode` (spec 2.9). It is serialized without NON_NULL, so every field may be null.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GraphNode {
    #[serde(default)]
    pub setup_id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub identifier: Option<String>,
    #[serde(default)]
    pub base_fqn: Option<String>,
    #[serde(default)]
    pub step_type: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "lenient_u64")]
    pub start_ts: Option<u64>,
    #[serde(default, deserialize_with = "lenient_u64")]
    pub end_ts: Option<u64>,
    #[serde(default)]
    pub failure_info: Option<Message>,
    /// A protobuf `oneof` per entry; read by path (`[0].async.callbackIds[0]`).
    #[serde(default = "Vec::new", deserialize_with = "null_default")]
    pub executable_responses: Vec<Value>,
    /// The step's resolved spec; read by path (`spec.callbackId`).
    #[serde(default)]
    pub step_parameters: Option<Value>,
    /// Where the step's log lives in the log service (`harness/logs.rs`).
    #[serde(default)]
    pub log_base_key: Option<String>,
    /// `[{unitName, status, startTime, endTime}]`, times as strings; read by path.
    #[serde(default = "Vec::new", deserialize_with = "null_default")]
    pub unit_progresses: Vec<Value>,
}

impl GraphNode {
    /// The approval instance id of a HarnessApproval step (spec 2.9).
    pub fn callback_id(&self) -> Option<&str> {
        self.executable_responses
            .first()?
            .get("async")?
            .get("callbackIds")?
            .get(0)?
            .as_str()
            .filter(|id| !id.is_empty())
    }

    /// The author-chosen `callbackId` of a HarnessApproval step's spec (spec 3.1), which the
    /// v1 approve-by-execution call filters on; not the instance id above.
    pub fn spec_callback_id(&self) -> Option<&str> {
        self.step_parameters
            .as_ref()?
            .get("spec")?
            .get("callbackId")?
            .as_str()
            .filter(|id| !id.is_empty())
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Adjacency {
    #[serde(default = "Vec::new", deserialize_with = "null_default")]
    pub children: Vec<String>,
    #[serde(default = "Vec::new", deserialize_with = "null_default")]
    pub next_ids: Vec<String>,
}

/// `InputSetTemplateResponseDTOPMS` (spec 2.4).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InputSetTemplate {
    #[serde(default)]
    pub input_set_template_yaml: Option<String>,
}

/// `PlanExecutionResponseDto` (spec 2.5).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecuteResponse {
    pub plan_execution: PlanExecution,
}

#[derive(Debug, Deserialize)]
pub struct PlanExecution {
    pub uuid: String,
    #[serde(default)]
    pub status: Option<String>,
}

/// An approval instance: legacy `ApprovalInstanceResponse` (camelCase, spec 3.2) and v1
/// `ApprovalInstanceResponseBody` (snake_case top level, camelCase `details`, spec 3.5).
#[derive(Debug, Deserialize)]
pub struct ApprovalInstance {
    pub id: String,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "lenient_u64")]
    pub deadline: Option<u64>,
    #[serde(
        default,
        rename = "createdAt",
        alias = "created",
        deserialize_with = "lenient_u64"
    )]
    pub created_at: Option<u64>,
    #[serde(default)]
    pub details: Option<ApprovalDetails>,
}

/// `HarnessApprovalInstanceDetailsDTO` (spec 3.2).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApprovalDetails {
    #[serde(default, deserialize_with = "lenient_string")]
    pub approval_message: Option<String>,
    #[serde(default)]
    pub approvers: Option<Approvers>,
    #[serde(default = "Vec::new", deserialize_with = "null_default")]
    pub approver_inputs: Vec<ApproverInputDef>,
    #[serde(default = "Vec::new", deserialize_with = "null_default")]
    pub validated_approval_user_groups: Vec<UserGroup>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Approvers {
    #[serde(default = "Vec::new", deserialize_with = "null_default")]
    pub user_groups: Vec<String>,
    #[serde(default, deserialize_with = "lenient_u64")]
    pub minimum_count: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApproverInputDef {
    pub name: String,
    #[serde(default, deserialize_with = "lenient_string")]
    pub default_value: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct UserGroup {
    #[serde(default)]
    pub identifier: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
}

/// Every Harness error body in one tolerant shape: `ErrorDTO`, `FailureDTO`,
/// `AccessDeniedErrorDTO` and Dropwizard's `{"code":400,"message":...}` (spec 1.3).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    /// A string (`INVALID_REQUEST`) in Harness bodies, a number in Dropwizard's.
    #[serde(default, deserialize_with = "lenient_string")]
    pub code: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub message: Option<String>,
    #[serde(default = "Vec::new", deserialize_with = "null_default")]
    pub response_messages: Vec<ResponseMessage>,
    /// FailureDTO field errors.
    #[serde(default = "Vec::new", deserialize_with = "null_default")]
    pub errors: Vec<FieldError>,
    /// v1 bodies may say `error_message`; Dropwizard adds `details`.
    #[serde(default, alias = "error_message", deserialize_with = "lenient_string")]
    pub details: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct ResponseMessage {
    #[serde(default, deserialize_with = "lenient_string")]
    pub code: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub message: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldError {
    #[serde(default, deserialize_with = "lenient_string")]
    pub field_id: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub error: Option<String>,
}

/// Epoch milliseconds to a timestamp; Harness uses 0 and null alike for "not yet".
pub fn millis(ms: Option<u64>) -> Option<Timestamp> {
    let ms = i64::try_from(ms?).ok().filter(|ms| *ms > 0)?;
    Timestamp::from_millisecond(ms).ok()
}

/// `null` reads as the type's default (empty list or map) instead of failing.
fn null_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// A non-negative integer from a JSON number or a numeric string (Harness's GraphQL `Long`
/// and some Jackson configurations send strings); anything else reads as absent.
fn lenient_u64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::Number(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| f.is_finite() && *f >= 0.0)
                .map(|f| f as u64)
        }),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    })
}

/// Text from a string, number or boolean; objects, arrays and null read as absent.
fn lenient_string<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    Ok(scalar_text(&Value::deserialize(deserializer)?))
}

fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Tags as `{"k":"v"}` (pipeline summaries) or `[{"key":"k","value":"v"}]` (execution
/// summaries), sorted by key so the order is stable across refreshes.
fn tags<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<(String, String)>, D::Error> {
    let mut tags: Vec<(String, String)> = match Value::deserialize(deserializer)? {
        Value::Object(map) => map
            .into_iter()
            .map(|(k, v)| (k, scalar_text(&v).unwrap_or_default()))
            .collect(),
        Value::Array(items) => items
            .iter()
            .filter_map(|item| {
                let key = item.get("key").and_then(scalar_text)?;
                let value = item.get("value").and_then(scalar_text).unwrap_or_default();
                Some((key, value))
            })
            .collect(),
        _ => Vec::new(),
    };
    tags.sort();
    Ok(tags)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::http::decode_json;

    fn fixture(name: &str) -> Vec<u8> {
        let path = format!(
            "{}/tests/fixtures/harness/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    #[test]
    fn pipeline_page_from_the_spec() {
        let env: Envelope<Page<PipelineSummary>> =
            decode_json(&fixture("pipelines_page.json")).unwrap();
        assert_eq!(env.status.as_deref(), Some("SUCCESS"));
        let page = env.data.unwrap();
        assert!(page.is_last(0));
        assert_eq!(page.number, Some(0));
        assert_eq!(page.total_pages, Some(1));
        let p = &page.content[0];
        assert_eq!(p.identifier, "deploy");
        assert_eq!(p.name.as_deref(), Some("Deploy"));
        assert_eq!(p.tags, vec![("team".to_owned(), "payments".to_owned())]);
        assert_eq!(p.num_of_stages, Some(3));
        let info = p.execution_summary_info.as_ref().unwrap();
        assert_eq!(info.last_execution_status.as_deref(), Some("Success"));
        assert_eq!(info.last_execution_ts, Some(1_700_200_000_000));
    }

    #[test]
    fn page_end_detection() {
        let page = |json: &str| -> Page<Value> { serde_json::from_str(json).unwrap() };
        assert!(!page(r#"{"content":[1],"number":0,"totalPages":3,"last":false}"#).is_last(0));
        assert!(page(r#"{"content":[1],"number":2,"totalPages":3}"#).is_last(2));
        assert!(page(r#"{"content":[1],"last":true}"#).is_last(0));
        assert!(page(r#"{"content":[]}"#).is_last(0));
        assert!(page(r#"{"content":null}"#).is_last(0));
        // No paging fields at all: keep going until an empty page.
        assert!(!page(r#"{"content":[1]}"#).is_last(0));
        // Missing `number`: the requested page stands in.
        assert!(page(r#"{"content":[1],"totalPages":2}"#).is_last(1));
    }

    #[test]
    fn execution_summary_from_the_spec() {
        let env: Envelope<Page<ExecutionSummary>> =
            decode_json(&fixture("executions_page.json")).unwrap();
        let e = &env.data.unwrap().content[0];
        assert_eq!(e.plan_execution_id, "Kq3HsT1aQ9yZ0b2cD4eF5w");
        assert_eq!(e.pipeline_identifier.as_deref(), Some("deploy"));
        assert_eq!(e.status.as_deref(), Some("ApprovalWaiting"));
        let by = e
            .execution_trigger_info
            .as_ref()
            .unwrap()
            .triggered_by
            .as_ref()
            .unwrap();
        assert_eq!(by.identifier.as_deref(), Some("Jane"));
        assert_eq!(by.extra_info["email"], "jane@x.io");
        assert_eq!(e.layout_node_map.len(), 3);
        assert_eq!(e.starting_node_id.as_deref(), Some("Sx9stage1uuid"));
        let approve = &e.layout_node_map["Ap7stage2uuid"];
        assert_eq!(approve.status.as_deref(), Some("ApprovalWaiting"));
        assert_eq!(
            approve.edge_layout_list.as_ref().unwrap().next_ids,
            vec!["Dp1stage3uuid"]
        );
        assert_eq!(e.run_sequence, Some(43));
        assert_eq!(e.successful_stages_count, Some(1));
        assert_eq!(e.total_stages_count, Some(3));
        assert_eq!(e.end_ts, None);
    }

    #[test]
    fn execution_detail_from_the_spec() {
        let env: Envelope<ExecutionDetail> =
            decode_json(&fixture("execution_detail.json")).unwrap();
        let d = env.data.unwrap();
        let g = d.execution_graph.unwrap();
        assert_eq!(g.root_node_id.as_deref(), Some("n-stage2"));
        let step = &g.node_map["n-step1"];
        assert_eq!(step.step_type.as_deref(), Some("HarnessApproval"));
        assert_eq!(step.callback_id(), Some("6571f0c2e1b2a34d5c6e7f80"));
        assert_eq!(g.node_map["n-stage2"].callback_id(), None);
        assert_eq!(
            g.node_adjacency_list_map["n-stage2"].children,
            vec!["n-exec"]
        );
    }

    #[test]
    fn legacy_approval_instance_from_the_spec() {
        let env: Envelope<ApprovalInstance> =
            decode_json(&fixture("approval_instance.json")).unwrap();
        let a = env.data.unwrap();
        assert_eq!(a.id, "6571f0c2e1b2a34d5c6e7f80");
        assert_eq!(a.kind.as_deref(), Some("HarnessApproval"));
        assert_eq!(a.status.as_deref(), Some("WAITING"));
        assert_eq!(a.deadline, Some(1_700_286_500_900));
        assert_eq!(a.created_at, Some(1_700_200_100_900));
        let d = a.details.unwrap();
        assert_eq!(
            d.approval_message.as_deref(),
            Some("Please review and approve")
        );
        let approvers = d.approvers.unwrap();
        assert_eq!(
            approvers.user_groups,
            vec!["_project_all_users", "account.ops"]
        );
        assert_eq!(approvers.minimum_count, Some(1));
        assert_eq!(d.approver_inputs[0].name, "ticket");
        assert_eq!(d.approver_inputs[0].default_value.as_deref(), Some("OPS-1"));
        assert_eq!(
            d.validated_approval_user_groups[0].name.as_deref(),
            Some("All Project Users")
        );
    }

    #[test]
    fn v1_approval_instances_from_the_spec() {
        let list: Vec<ApprovalInstance> = decode_json(&fixture("v1_approvals.json")).unwrap();
        assert_eq!(list[0].created_at, Some(1_700_200_100_900));
        assert_eq!(list[0].status.as_deref(), Some("WAITING"));
        let approved: ApprovalInstance =
            decode_json(&fixture("v1_approval_approved.json")).unwrap();
        assert_eq!(approved.status.as_deref(), Some("APPROVED"));
    }

    #[test]
    fn template_and_execute_responses_from_the_spec() {
        let t: Envelope<InputSetTemplate> =
            decode_json(&fixture("input_set_template.json")).unwrap();
        assert!(
            t.data
                .unwrap()
                .input_set_template_yaml
                .unwrap()
                .starts_with("pipeline:")
        );
        let x: Envelope<ExecuteResponse> = decode_json(&fixture("execute.json")).unwrap();
        let p = x.data.unwrap().plan_execution;
        assert_eq!(p.uuid, "Kq3HsT1aQ9yZ0b2cD4eF5w");
        assert_eq!(p.status.as_deref(), Some("RUNNING"));
    }

    #[test]
    fn error_bodies_from_the_spec() {
        let e: ErrorBody = decode_json(&fixture("error_invalid_request.json")).unwrap();
        assert_eq!(e.code.as_deref(), Some("INVALID_REQUEST"));
        assert_eq!(
            e.response_messages[0].code.as_deref(),
            Some("INVALID_REQUEST")
        );
        let f: ErrorBody = decode_json(&fixture("error_failure_dto.json")).unwrap();
        assert_eq!(f.errors[0].field_id.as_deref(), Some("accountIdentifier"));
        let a: ErrorBody = decode_json(&fixture("error_access_denied.json")).unwrap();
        assert_eq!(a.code.as_deref(), Some("NG_ACCESS_DENIED"));
        let d: ErrorBody =
            decode_json(br#"{"code":400,"message":"Unable to process JSON","details":"x"}"#)
                .unwrap();
        assert_eq!(d.code.as_deref(), Some("400"));
        assert_eq!(d.details.as_deref(), Some("x"));
    }

    #[test]
    fn tolerant_reading() {
        let p: PipelineSummary = serde_json::from_str(
            r#"{"identifier":"x","tags":null,"numOfStages":"4","executionSummaryInfo":null,
                "brandNewField":{"a":[1,2]}}"#,
        )
        .unwrap();
        assert!(p.tags.is_empty());
        assert_eq!(p.num_of_stages, Some(4));
        let n: GraphNode = serde_json::from_str(
            r#"{"uuid":null,"name":null,"executableResponses":null,"startTs":-5,"status":"SomethingNew"}"#,
        )
        .unwrap();
        assert!(n.executable_responses.is_empty());
        assert_eq!(n.start_ts, None);
        let e: ExecutionSummary =
            serde_json::from_str(r#"{"planExecutionId":"p","layoutNodeMap":null}"#).unwrap();
        assert!(e.layout_node_map.is_empty());
        // Tags as a list of key/value pairs, keys without values, sorted by key.
        let p: PipelineSummary = serde_json::from_str(
            r#"{"identifier":"x","tags":[{"key":"b","value":"2"},{"key":"a"},{"value":"orphan"}]}"#,
        )
        .unwrap();
        assert_eq!(
            p.tags,
            vec![
                ("a".to_owned(), String::new()),
                ("b".to_owned(), "2".to_owned())
            ]
        );
    }

    #[test]
    fn millis_conversion() {
        assert_eq!(millis(None), None);
        assert_eq!(millis(Some(0)), None);
        assert_eq!(
            millis(Some(1_700_000_000_000)).unwrap().to_string(),
            "2023-11-14T22:13:20Z"
        );
        assert_eq!(millis(Some(u64::MAX)), None);
    }
}
