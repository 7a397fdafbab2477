//! The JSON helpers every part of the Argo face shares, with nothing of the face's state:
//! label keys, times as `metav1.Time` marshals them, stable uids, stored objects, the fields
//! Go writes even when empty ([`go_spec`], [`restore_workflow`], [`restore_list`]), label
//! values, and the origin labels of a workflow.

use jiff::Timestamp;
use serde_json::{Map, Value, json};

use super::plan::Origin;
use crate::ids;
use crate::world::Ms;

/// The label keys the controller and server set.
pub(crate) const PHASE: &str = "workflows.argoproj.io/phase";
pub(crate) const COMPLETED: &str = "workflows.argoproj.io/completed";
pub(crate) const CREATOR: &str = "workflows.argoproj.io/creator";
pub(crate) const CREATOR_EMAIL: &str = "workflows.argoproj.io/creator-email";
pub(crate) const CREATOR_USERNAME: &str = "workflows.argoproj.io/creator-preferred-username";
pub(crate) const ACTOR: &str = "workflows.argoproj.io/actor";
pub(crate) const ACTOR_EMAIL: &str = "workflows.argoproj.io/actor-email";
pub(crate) const ACTOR_USERNAME: &str = "workflows.argoproj.io/actor-preferred-username";
pub(crate) const ACTION: &str = "workflows.argoproj.io/action";
pub(crate) const WORKFLOW_TEMPLATE: &str = "workflows.argoproj.io/workflow-template";
pub(crate) const CLUSTER_WORKFLOW_TEMPLATE: &str =
    "workflows.argoproj.io/cluster-workflow-template";
pub(crate) const EVENT_BINDING: &str = "workflows.argoproj.io/workflow-event-binding";
pub(crate) const RESUBMITTED_FROM: &str = "workflows.argoproj.io/resubmitted-from-workflow";

/// RFC 3339 with whole seconds, as `metav1.Time` marshals.
pub(crate) fn ts(ms: Ms) -> Value {
    Timestamp::from_millisecond(ms)
        .map(|t| Value::String(t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()))
        .unwrap_or(Value::Null)
}

pub(crate) fn opt_ts(ms: Option<Ms>) -> Value {
    ms.map_or(Value::Null, ts)
}

/// A stable uid for an object, derived from what names it.
pub(crate) fn uid(key: &str) -> String {
    let a = ids::mix(u64::from(ids::fnv32a(key)));
    let b = ids::mix(a ^ key.len() as u64);
    ids::uuid_v4(u128::from(a) << 64 | u128::from(b))
}

/// A stored object (template or binding): `metadata` as read back from Kubernetes, and its
/// body under `key`.
pub(crate) fn object(
    namespace: Option<&str>,
    name: &str,
    created: Ms,
    key: &str,
    body: Value,
) -> Value {
    let mut meta = json!({
        "name": name,
        "uid": uid(&format!("{}/{name}", namespace.unwrap_or(""))),
        "resourceVersion": "1",
        "generation": 1,
        "creationTimestamp": ts(created),
    });
    if let Some(ns) = namespace {
        meta["namespace"] = json!(ns);
    }
    let mut o = json!({"metadata": meta});
    o[key] = body;
    o
}

/// Adds what Go writes for empty struct fields of a WorkflowSpec: `arguments: {}`, and on
/// every template `inputs`, `outputs`, `metadata` (`{}`), `container.name` (`""`) and
/// `container.resources` (`{}`), and `arguments: {}` on each step and task.
pub(crate) fn go_spec(spec: &mut Value) {
    let Some(spec) = spec.as_object_mut() else {
        return;
    };
    spec.entry("arguments").or_insert_with(|| json!({}));
    let templates = spec.get_mut("templates").and_then(Value::as_array_mut);
    for t in templates.into_iter().flatten() {
        let Some(t) = t.as_object_mut() else {
            continue;
        };
        for key in ["inputs", "outputs", "metadata"] {
            t.entry(key).or_insert_with(|| json!({}));
        }
        for key in ["container", "script"] {
            if let Some(c) = t.get_mut(key).and_then(Value::as_object_mut) {
                c.entry("name").or_insert_with(|| json!(""));
                c.entry("resources").or_insert_with(|| json!({}));
            }
        }
        let steps = t.get_mut("steps").and_then(Value::as_array_mut);
        for s in steps
            .into_iter()
            .flatten()
            .filter_map(Value::as_array_mut)
            .flatten()
        {
            if let Some(s) = s.as_object_mut() {
                s.entry("arguments").or_insert_with(|| json!({}));
            }
        }
        let tasks = t
            .get_mut("dag")
            .and_then(|d| d.get_mut("tasks"))
            .and_then(Value::as_array_mut);
        for task in tasks.into_iter().flatten().filter_map(Value::as_object_mut) {
            task.entry("arguments").or_insert_with(|| json!({}));
        }
    }
}

/// What Go re-encodes around a projected Workflow: `metadata` with a `creationTimestamp`
/// (`null` if not kept), `spec` with `arguments`, `status` with both times.
pub(crate) fn restore_workflow(wf: &mut Value) {
    let Some(o) = wf.as_object_mut() else {
        return;
    };
    let meta = o.entry("metadata").or_insert_with(|| json!({}));
    if let Some(m) = meta.as_object_mut() {
        m.entry("creationTimestamp").or_insert(Value::Null);
    }
    let spec = o.entry("spec").or_insert_with(|| json!({}));
    if let Some(s) = spec.as_object_mut() {
        s.entry("arguments").or_insert_with(|| json!({}));
    }
    let status = o.entry("status").or_insert_with(|| json!({}));
    if let Some(s) = status.as_object_mut() {
        s.entry("startedAt").or_insert(Value::Null);
        s.entry("finishedAt").or_insert(Value::Null);
    }
}

/// A projected WorkflowList: `metadata` at least `{}`, `items` `null` when empty, and each
/// item restored.
pub(crate) fn restore_list(list: &mut Value) {
    let Some(o) = list.as_object_mut() else {
        return;
    };
    o.entry("metadata").or_insert_with(|| json!({}));
    let items = o.entry("items").or_insert(Value::Null);
    match items.as_array_mut() {
        Some(a) if !a.is_empty() => a.iter_mut().for_each(restore_workflow),
        _ => *items = Value::Null,
    }
}

/// Makes a label value out of free text the way Argo's `dnsFriendly` does: lower case,
/// characters outside `[a-z0-9.-]` become `-`, at most 63 characters, trimmed of `-` and `.`.
pub(crate) fn label_value(s: &str) -> String {
    let v: String = s
        .to_lowercase()
        .chars()
        .map(|c| match c {
            'a'..='z' | '0'..='9' | '.' | '-' => c,
            _ => '-',
        })
        .take(63)
        .collect();
    v.trim_matches(|c| c == '-' || c == '.').to_string()
}

/// Workflow parameters filled into a log line.
pub(crate) fn fill(line: &str, inputs: &[(String, String)]) -> String {
    inputs.iter().fold(line.to_string(), |l, (name, value)| {
        l.replace(&format!("{{{{workflow.parameters.{name}}}}}"), value)
    })
}

/// The origin label of a workflow started from a template.
pub(crate) fn origin_labels(origin: &Origin) -> Map<String, Value> {
    let mut m = Map::new();
    match origin {
        Origin::Template(t) => {
            m.insert(WORKFLOW_TEMPLATE.to_string(), json!(t));
        }
        Origin::ClusterTemplate(t) => {
            m.insert(CLUSTER_WORKFLOW_TEMPLATE.to_string(), json!(t));
        }
        Origin::Inline => {}
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_whole_seconds() {
        assert_eq!(ts(0), json!("1970-01-01T00:00:00Z"));
        assert_eq!(ts(1_500), json!("1970-01-01T00:00:01Z"));
    }

    #[test]
    fn label_values_are_dns_friendly() {
        assert_eq!(
            label_value("system:serviceaccount:argo:ci"),
            "system-serviceaccount-argo-ci"
        );
        assert_eq!(label_value("jane.doe@example.com"), "jane.doe-example.com");
    }

    #[test]
    fn go_defaults_come_back() {
        let mut list = json!({"items": []});
        restore_list(&mut list);
        assert_eq!(list, json!({"metadata": {}, "items": null}));
        let mut list = json!({"items": [{"metadata": {"name": "a"}}]});
        restore_list(&mut list);
        assert_eq!(
            list["items"][0],
            json!({"metadata": {"name": "a", "creationTimestamp": null},
                   "spec": {"arguments": {}},
                   "status": {"startedAt": null, "finishedAt": null}})
        );
        let mut spec = json!({"templates": [{"name": "t", "container": {"image": "x"}}]});
        go_spec(&mut spec);
        assert_eq!(spec["templates"][0]["container"]["name"], "");
        assert_eq!(spec["templates"][0]["outputs"], json!({}));
    }
}
