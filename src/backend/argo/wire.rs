//! The Argo server's JSON shapes, as far as flightdeck reads them (spec `argo-api.md` §4–§10).
//!
//! Every struct takes `#[serde(default)]`: the server omits zero values (`omitempty`), a
//! `fields=` projection drops whole subtrees, and older or newer servers add or lack fields.
//! Enumerations (phases, node types) stay strings here and are mapped with a fallback in
//! `map.rs`, so an unknown value shows as itself instead of failing the whole list.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::backend::capped;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ObjectMeta {
    pub name: String,
    pub namespace: String,
    pub resource_version: String,
    /// `null` when a projection left it out.
    pub creation_timestamp: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ListMeta {
    pub resource_version: String,
    /// An integer offset as a string for workflows; a k8s token for templates.
    #[serde(rename = "continue")]
    pub continue_: Option<String>,
    /// Only with `ext.showRemainingItemCount=true`.
    pub remaining_item_count: Option<i64>,
}

/// `Parameter` of arguments, inputs and outputs; every value is a string on the wire.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Parameter {
    pub name: String,
    pub value: Option<String>,
    pub default: Option<String>,
    #[serde(rename = "enum")]
    pub enum_: Vec<String>,
    pub description: Option<String>,
    pub value_from: Option<ValueFrom>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ValueFrom {
    /// Present (as `{}`) on outputs a person supplies through `set`.
    pub supplied: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Parameters {
    pub parameters: Vec<Parameter>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct TemplateRef {
    pub name: String,
    pub cluster_scope: bool,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct WorkflowSpec {
    pub arguments: Parameters,
    /// Omitted unless the whole workflow is suspended.
    pub suspend: Option<bool>,
    /// `Stop` or `Terminate` once someone stopped it.
    pub shutdown: Option<String>,
    pub workflow_template_ref: Option<TemplateRef>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct WorkflowStatus {
    pub phase: Option<String>,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    /// `"N/M"`: pod nodes finished of all pod nodes.
    pub progress: Option<String>,
    pub message: Option<String>,
    pub nodes: Option<HashMap<String, Node>>,
    /// Set instead of `nodes` on list items of very large workflows; never read, only noticed.
    pub compressed_nodes: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Workflow {
    pub metadata: ObjectMeta,
    pub spec: WorkflowSpec,
    pub status: WorkflowStatus,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct WorkflowList {
    pub metadata: ListMeta,
    /// `null` when nothing matches. Decoding stops with an error past
    /// [`capped::MAX_EXECUTIONS`] items: `{}` is a valid item, and a page of a million of them
    /// fits in the body cap.
    #[serde(deserialize_with = "capped::at_most_opt::<_, _, { capped::MAX_EXECUTIONS }>")]
    pub items: Option<Vec<Workflow>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Node {
    pub id: String,
    pub name: String,
    pub display_name: String,
    #[serde(rename = "type")]
    pub type_: String,
    pub phase: Option<String>,
    pub template_name: Option<String>,
    #[serde(rename = "boundaryID")]
    pub boundary_id: Option<String>,
    pub children: Vec<String>,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    pub message: Option<String>,
    pub inputs: Option<Parameters>,
    pub outputs: Option<Parameters>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct TemplateSpec {
    pub arguments: Parameters,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct WorkflowTemplate {
    pub metadata: ObjectMeta,
    pub spec: TemplateSpec,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct WorkflowTemplateList {
    pub metadata: ListMeta,
    pub items: Option<Vec<WorkflowTemplate>>,
}

/// The `google.rpc.Status` body of every unary error.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ErrorBody {
    pub code: Option<i64>,
    pub message: Option<String>,
}

/// One message of a watch stream: an event, or the error chunk that ends the stream.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct StreamMessage {
    pub result: Option<WatchEvent>,
    pub error: Option<StreamError>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct WatchEvent {
    #[serde(rename = "type")]
    pub type_: String,
    pub object: Workflow,
}

/// One message of a log stream.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct LogMessage {
    pub result: Option<LogEntry>,
    pub error: Option<StreamError>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct LogEntry {
    /// Omitted for an empty line.
    pub content: Option<String>,
    pub pod_name: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct StreamError {
    pub grpc_code: Option<i64>,
    pub http_code: Option<i64>,
    pub message: Option<String>,
}

impl StreamError {
    /// The routine end of a server stream: the k8s watch behind it closed (spec §2.5).
    pub fn is_eof(&self) -> bool {
        self.message.as_deref() == Some("EOF")
    }

    /// Any other final chunk, as an error of the stream named `what`.
    pub fn into_error(self, what: &str) -> crate::domain::BackendError {
        crate::domain::BackendError::Server {
            status: self
                .http_code
                .and_then(|c| u16::try_from(c).ok())
                .unwrap_or(500),
            message: format!("{what}: {}", self.message.unwrap_or_default()),
        }
    }
}

// ----- request bodies ---------------------------------------------------------------------

/// `WorkflowSubmitRequest` (swagger `io.argoproj.workflow.v1alpha1.WorkflowSubmitRequest`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SubmitRequest {
    pub namespace: String,
    pub resource_kind: &'static str,
    pub resource_name: String,
    pub submit_options: SubmitOptions,
}

/// `SubmitOpts`; `parameters` are `name=value` strings, `labels` one `k=v,k2=v2` string.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SubmitOptions {
    pub parameters: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub labels: Option<String>,
}

/// `WorkflowSetRequest`: `outputParameters` is a JSON object encoded as a string.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SetRequest {
    pub namespace: String,
    pub name: String,
    pub node_field_selector: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phase: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_parameters: Option<String>,
}

/// `WorkflowResumeRequest`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResumeRequest {
    pub namespace: String,
    pub name: String,
    pub node_field_selector: String,
}

/// `WorkflowStopRequest`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StopRequest {
    pub namespace: String,
    pub name: String,
    pub node_field_selector: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}
