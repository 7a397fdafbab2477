//! The JSON the Argo server sends: Workflow objects built from the world (metadata and
//! labels, spec, status; the node tree is `nodes.rs`), template and binding objects, and the
//! fields Go writes even when empty.
//!
//! Go's encoder shapes everything here (spec §1): zero times are `null` rather than omitted,
//! struct-valued fields marked `omitempty` still appear as `{}`, and a few string fields
//! without `omitempty` appear as `""` (`Container.name`). [`go_spec`] adds those to stored
//! specs; [`restore_workflow`] and [`restore_list`] put them back after a `fields` projection,
//! as the server's decode-and-re-encode does.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde_json::{Map, Value, json};

use super::nodes;
use super::plan::{Origin, Plan};
use super::state::{Identities, WfMeta};
use crate::ids;
use crate::world::{Execution, Ms, PrincipalKind, RunStatus, User, World};

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
const POD_NAME_FORMAT: &str = "workflows.argoproj.io/pod-name-format";

/// RFC 3339 with whole seconds, as `metav1.Time` marshals.
pub(crate) fn ts(ms: Ms) -> Value {
    Timestamp::from_millisecond(ms)
        .map(|t| Value::String(t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()))
        .unwrap_or(Value::Null)
}

pub(super) fn opt_ts(ms: Option<Ms>) -> Value {
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

/// The labels that say who did something: `<prefix>`, `<prefix>-email` and
/// `<prefix>-preferred-username` for a person; only `<prefix>` for a service account.
pub(crate) fn who_labels(
    labels: &mut BTreeMap<String, String>,
    keys: [&str; 3],
    user: Option<&User>,
    ids: &Identities,
) {
    let Some(user) = user else {
        return;
    };
    if let Some(sa) = ids.service_account(&user.id) {
        labels.insert(keys[0].to_string(), label_value(&sa.subject()));
        return;
    }
    match user.kind {
        PrincipalKind::User => {
            let name = user.email.split('@').next().unwrap_or(&user.email);
            labels.insert(keys[0].to_string(), label_value(name));
            labels.insert(
                keys[1].to_string(),
                label_value(&user.email.replace('@', ".at.")),
            );
            labels.insert(keys[2].to_string(), label_value(name));
        }
        // Schedules, webhooks and bots run as service accounts of their own.
        PrincipalKind::System | PrincipalKind::ServiceAccount => {
            let subject = format!("system:serviceaccount:argo:{}", user.name);
            labels.insert(keys[0].to_string(), label_value(&subject));
        }
    }
}

/// Everything one workflow's rendering reads.
pub(crate) struct Subject<'a> {
    pub(crate) world: &'a World,
    pub(crate) exec: &'a Execution,
    pub(crate) plan: &'a Plan,
    pub(crate) meta: &'a WfMeta,
    pub(crate) ids: &'a Identities,
    /// The stored spec of the template the workflow was submitted from, if any.
    pub(crate) template_spec: Option<&'a Value>,
    pub(crate) now: Ms,
}

impl Subject<'_> {
    /// The workflow's name.
    pub(super) fn name(&self) -> &str {
        &self.exec.id
    }

    /// How the workflow was shut down, if it was: the strategy the face recorded, or a
    /// terminate for runs the world aborted by itself.
    pub(crate) fn shutdown(&self) -> Option<&'static str> {
        self.meta
            .shutdown
            .or_else(|| (self.exec.status == RunStatus::Aborted).then_some("Terminate"))
    }
}

/// The full Workflow object of an execution, as the controller has it now.
pub(crate) fn workflow(s: &Subject) -> Value {
    let e = s.exec;
    let tree = nodes::tree(s);
    let (done, total) = tree.pods;
    let completed = e.status.is_terminal();
    let phase = workflow_phase(e.status);
    let mut labels = s.meta.labels.clone();
    let creator = s.world.user(&e.trigger.user);
    who_labels(
        &mut labels,
        [CREATOR, CREATOR_EMAIL, CREATOR_USERNAME],
        creator,
        s.ids,
    );
    if s.meta.shutdown.is_none()
        && let Some((user, _)) = &e.aborted_by
    {
        who_labels(
            &mut labels,
            [ACTOR, ACTOR_EMAIL, ACTOR_USERNAME],
            s.world.user(user),
            s.ids,
        );
        labels.insert(ACTION.to_string(), "Terminate".to_string());
    }
    labels.insert(PHASE.to_string(), phase.to_string());
    labels.insert(COMPLETED.to_string(), completed.to_string());
    let mut annotations = s.meta.annotations.clone();
    annotations.insert(POD_NAME_FORMAT.to_string(), "v2".to_string());
    let mut status = json!({
        "phase": phase,
        "startedAt": ts(e.start_ms),
        "finishedAt": opt_ts(e.end_ms),
        "progress": format!("{done}/{total}"),
        "nodes": Value::Object(tree.nodes.into_iter().collect()),
        "conditions": conditions(completed, tree.pods_running),
    });
    if let Some(message) = workflow_message(s, &tree.failed) {
        status["message"] = json!(message);
    }
    if tree.cpu_secs > 0 {
        status["resourcesDuration"] = json!({"cpu": tree.cpu_secs, "memory": tree.cpu_secs * 4});
    }
    if let Some(stored) = stored_spec(s) {
        status["storedWorkflowTemplateSpec"] = stored;
    }
    json!({
        "metadata": metadata(s, labels, annotations),
        "spec": spec(s),
        "status": status,
    })
}

/// The object a create or submit answers with: what the server stored, before the controller
/// has looked at it (no phase, no nodes, no phase labels).
pub(crate) fn unprocessed(s: &Subject) -> Value {
    let mut labels = s.meta.labels.clone();
    let creator = s.world.user(&s.exec.trigger.user);
    who_labels(
        &mut labels,
        [CREATOR, CREATOR_EMAIL, CREATOR_USERNAME],
        creator,
        s.ids,
    );
    json!({
        "metadata": metadata(s, labels, s.meta.annotations.clone()),
        "spec": spec(s),
        "status": {"startedAt": null, "finishedAt": null},
    })
}

fn metadata(
    s: &Subject,
    labels: BTreeMap<String, String>,
    annotations: BTreeMap<String, String>,
) -> Value {
    let mut meta = json!({
        "name": s.name(),
        "namespace": s.meta.namespace,
        "uid": s.meta.uid,
        "generation": s.meta.generation,
        "creationTimestamp": ts(s.exec.start_ms),
        "labels": labels,
    });
    if !annotations.is_empty() {
        meta["annotations"] = json!(annotations);
    }
    if let Some(g) = &s.meta.generate_name {
        meta["generateName"] = json!(g);
    }
    meta
}

/// The spec as submitted, with what actions patched into it: `suspend` while held (removed,
/// not `false`, once resumed) and `shutdown` once stopped or terminated.
fn spec(s: &Subject) -> Value {
    let mut spec = s.meta.spec.clone();
    if !spec.is_object() {
        spec = json!({});
    }
    if s.exec.held {
        spec["suspend"] = json!(true);
    }
    if let Some(strategy) = s.shutdown() {
        spec["shutdown"] = json!(strategy);
    }
    go_spec(&mut spec);
    spec
}

/// For a workflow submitted from a template: the template's spec with the workflow's
/// arguments merged in, its entrypoint, and the reference, as the controller stores it.
fn stored_spec(s: &Subject) -> Option<Value> {
    let mut spec = s.template_spec?.clone();
    let params: Vec<Value> = s
        .exec
        .inputs
        .iter()
        .map(|(name, value)| {
            let declared = spec["arguments"]["parameters"]
                .as_array()
                .and_then(|ps| ps.iter().find(|p| p["name"] == name.as_str()).cloned());
            let mut p = declared.unwrap_or_else(|| json!({"name": name}));
            p["value"] = json!(value);
            p
        })
        .collect();
    spec["arguments"] = json!({"parameters": params});
    spec["entrypoint"] = json!(s.plan.entry);
    if let Some(r) = s.meta.spec.get("workflowTemplateRef") {
        spec["workflowTemplateRef"] = r.clone();
    }
    go_spec(&mut spec);
    Some(spec)
}

fn workflow_phase(status: RunStatus) -> &'static str {
    match status {
        RunStatus::NotStarted => "Pending",
        RunStatus::Running | RunStatus::Waiting => "Running",
        RunStatus::Success | RunStatus::Skipped => "Succeeded",
        RunStatus::Failed | RunStatus::Aborted | RunStatus::Rejected | RunStatus::Expired => {
            "Failed"
        }
    }
}

/// `Stopped with strategy '<X>'` once shut down, else `child '<id>' failed` for a failure.
pub(super) fn workflow_message(s: &Subject, failed: &Option<String>) -> Option<String> {
    if let Some(strategy) = s.shutdown() {
        return Some(format!("Stopped with strategy '{strategy}'"));
    }
    if s.exec.status.is_bad() {
        return failed.as_ref().map(|id| format!("child '{id}' failed"));
    }
    None
}

/// `PodRunning` while a pod runs, `Completed` once done.
fn conditions(completed: bool, pods_running: bool) -> Value {
    let running = if pods_running { "True" } else { "False" };
    let mut c = vec![json!({"type": "PodRunning", "status": running})];
    if completed {
        c.push(json!({"type": "Completed", "status": "True"}));
    }
    Value::Array(c)
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
