//! First Gen GraphQL response types. Tolerant when reading: every field is optional, unknown
//! fields are ignored, and the two scalar encodings are accepted either way (`DateTime` is a
//! JSON number, `Long` a JSON string, per spec 4.1; both are read as number or string).

use jiff::Timestamp;
use serde::{Deserialize, Deserializer};

/// Epoch milliseconds sent as a number or a numeric string; anything else reads as absent,
/// so an odd timestamp never fails a whole response.
pub(crate) fn lenient_ms<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.is_finite()).map(|f| f as i64)),
        serde_json::Value::String(s) => s.trim().parse::<i64>().ok(),
        _ => None,
    })
}

pub(crate) fn millis(ms: Option<i64>) -> Option<Timestamp> {
    ms.and_then(|ms| Timestamp::from_millisecond(ms).ok())
}

/// `null` lists read as empty.
fn null_list<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Vec<T>, D::Error> {
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct PageInfo {
    pub(crate) has_more: Option<bool>,
    pub(crate) total: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", bound(deserialize = "T: Deserialize<'de>"))]
pub(crate) struct Connection<T> {
    #[serde(default)]
    pub(crate) page_info: Option<PageInfo>,
    /// Pages ask for 100 nodes; a page of more than [`MAX_PAGE_NODES`] fails while decoding
    /// (every field of a node has a default, so `{}` is a node and a small body could hold
    /// millions), which with at most 50 pages bounds a read by items.
    #[serde(
        default = "Vec::new",
        deserialize_with = "crate::backend::capped::at_most::<_, _, MAX_PAGE_NODES>"
    )]
    pub(crate) nodes: Vec<T>,
}

/// The most nodes one page of a First Gen connection may hold.
pub(crate) const MAX_PAGE_NODES: usize = 1_000;

impl<T> Connection<T> {
    /// Whether another page follows `offset + nodes`.
    pub(crate) fn has_more(&self, offset: i64) -> bool {
        let info = self.page_info.as_ref();
        match (info.and_then(|i| i.has_more), info.and_then(|i| i.total)) {
            (Some(more), _) => more && !self.nodes.is_empty(),
            (None, Some(total)) => offset + (self.nodes.len() as i64) < total,
            (None, None) => false,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct Variable {
    pub(crate) name: String,
    #[serde(rename = "type")]
    pub(crate) kind: Option<String>,
    pub(crate) required: Option<bool>,
    #[serde(deserialize_with = "null_list")]
    pub(crate) allowed_values: Vec<String>,
    pub(crate) default_value: Option<String>,
    pub(crate) fixed: Option<bool>,
}

/// A Pipeline or a Workflow: the variables field depends on the type.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct Entity {
    pub(crate) id: String,
    pub(crate) name: Option<String>,
    pub(crate) description: Option<String>,
    #[serde(deserialize_with = "null_list")]
    pub(crate) pipeline_variables: Vec<Variable>,
    #[serde(deserialize_with = "null_list")]
    pub(crate) workflow_variables: Vec<Variable>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Application {
    pub(crate) id: String,
    #[serde(default)]
    pub(crate) name: Option<String>,
    #[serde(default)]
    pub(crate) pipelines: Option<Connection<Entity>>,
    #[serde(default)]
    pub(crate) workflows: Option<Connection<Entity>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct Named {
    pub(crate) id: Option<String>,
    pub(crate) name: Option<String>,
    pub(crate) email: Option<String>,
}

/// The `Cause` union; which member it is shows in which field is set.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct Cause {
    pub(crate) user: Option<Named>,
    pub(crate) api_key: Option<Named>,
    pub(crate) trigger: Option<Named>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct StageExecution {
    #[serde(rename = "__typename")]
    pub(crate) typename: Option<String>,
    pub(crate) pipeline_stage_name: Option<String>,
    pub(crate) pipeline_step_name: Option<String>,
    pub(crate) status: Option<String>,
    /// Read only by the run-inputs query: the variables this workflow stage ran with.
    #[serde(deserialize_with = "null_list")]
    pub(crate) input_variables: Vec<NameValue>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct Execution {
    #[serde(rename = "__typename")]
    pub(crate) typename: Option<String>,
    pub(crate) id: String,
    /// The portal's own link to the execution (control-logs-identity.md §4.2).
    pub(crate) execution_url: Option<String>,
    pub(crate) status: Option<String>,
    #[serde(deserialize_with = "lenient_ms")]
    pub(crate) created_at: Option<i64>,
    #[serde(deserialize_with = "lenient_ms")]
    pub(crate) started_at: Option<i64>,
    #[serde(deserialize_with = "lenient_ms")]
    pub(crate) ended_at: Option<i64>,
    pub(crate) failure_details: Option<String>,
    pub(crate) cause: Option<Cause>,
    pub(crate) application: Option<Named>,
    pub(crate) pipeline: Option<Named>,
    pub(crate) workflow: Option<Named>,
    #[serde(deserialize_with = "null_list")]
    pub(crate) pipeline_stage_executions: Vec<StageExecution>,
    /// Read only by the run-inputs query: a workflow run's variables.
    #[serde(deserialize_with = "null_list")]
    pub(crate) input_variables: Vec<NameValue>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct NameValue {
    pub(crate) name: String,
    pub(crate) value: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct ApprovalDetails {
    pub(crate) approval_id: String,
    pub(crate) approval_type: Option<String>,
    pub(crate) step_name: Option<String>,
    pub(crate) stage_name: Option<String>,
    #[serde(deserialize_with = "lenient_ms")]
    pub(crate) started_at: Option<i64>,
    #[serde(deserialize_with = "lenient_ms")]
    pub(crate) will_expire_at: Option<i64>,
    pub(crate) triggered_by: Option<Named>,
    #[serde(deserialize_with = "null_list")]
    pub(crate) approvers: Vec<String>,
    pub(crate) execution_id: Option<String>,
    #[serde(deserialize_with = "null_list")]
    pub(crate) variables: Vec<NameValue>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct ArtifactSource {
    pub(crate) name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct ServiceNeed {
    pub(crate) name: String,
    #[serde(deserialize_with = "null_list")]
    pub(crate) artifact_sources: Vec<ArtifactSource>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_read_as_number_or_string() {
        let e: Execution = serde_json::from_value(serde_json::json!({
            "id": "x", "createdAt": 1628609788000i64, "startedAt": "1628609788702", "endedAt": null,
            "pipelineStageExecutions": null, "unknown": {"a": 1}
        }))
        .unwrap();
        assert_eq!(e.created_at, Some(1_628_609_788_000));
        assert_eq!(e.started_at, Some(1_628_609_788_702));
        assert_eq!(e.ended_at, None);
        assert!(e.pipeline_stage_executions.is_empty());
        let a: ApprovalDetails = serde_json::from_value(serde_json::json!({
            "approvalId": "a", "startedAt": "oops", "willExpireAt": 1.5e12, "variables": null
        }))
        .unwrap();
        assert_eq!(a.started_at, None);
        assert_eq!(a.will_expire_at, Some(1_500_000_000_000));
    }

    #[test]
    fn paging_uses_has_more_then_total() {
        let c: Connection<Named> = serde_json::from_value(
            serde_json::json!({"pageInfo": {"total": 3}, "nodes": [{}, {}]}),
        )
        .unwrap();
        assert!(c.has_more(0));
        assert!(!c.has_more(1));
        let c: Connection<Named> =
            serde_json::from_value(serde_json::json!({"pageInfo": {"hasMore": true}, "nodes": []}))
                .unwrap();
        // A server claiming more while sending nothing cannot keep us paging.
        assert!(!c.has_more(0));
    }

    #[test]
    fn a_page_of_too_many_nodes_fails_while_decoding_and_null_is_empty() {
        let nodes = vec!["{}"; MAX_PAGE_NODES + 1].join(",");
        let err = serde_json::from_str::<Connection<serde_json::Value>>(&format!(
            r#"{{"nodes": [{nodes}]}}"#
        ))
        .unwrap_err();
        assert!(err.to_string().contains("more than 1000 items"), "{err}");
        let full = vec!["{}"; MAX_PAGE_NODES].join(",");
        let ok: Connection<serde_json::Value> =
            serde_json::from_str(&format!(r#"{{"nodes": [{full}]}}"#)).unwrap();
        assert_eq!(ok.nodes.len(), MAX_PAGE_NODES);
        let empty: Connection<serde_json::Value> =
            serde_json::from_str(r#"{"nodes": null}"#).unwrap();
        assert!(empty.nodes.is_empty());
    }
}
