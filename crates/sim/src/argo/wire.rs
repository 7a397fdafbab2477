//! The JSON the Argo server sends: Workflow objects built from the world (metadata and
//! labels, spec, status; the node tree is `nodes.rs`, the helpers every part shares are
//! `json.rs`).
//!
//! Go's encoder shapes everything here (spec §1): zero times are `null` rather than omitted,
//! struct-valued fields marked `omitempty` still appear as `{}`, and a few string fields
//! without `omitempty` appear as `""` (`Container.name`). [`go_spec`] adds those to stored
//! specs; `restore_workflow` and `restore_list` put them back after a `fields` projection,
//! as the server's decode-and-re-encode does.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::json::{
    ACTION, ACTOR, ACTOR_EMAIL, ACTOR_USERNAME, COMPLETED, CREATOR, CREATOR_EMAIL,
    CREATOR_USERNAME, PHASE, go_spec, label_value, opt_ts, ts,
};
use super::meta::{Identities, Subject, workflow_message};
use super::nodes;
use crate::world::{PrincipalKind, RunStatus, User};

const POD_NAME_FORMAT: &str = "workflows.argoproj.io/pod-name-format";

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

/// `PodRunning` while a pod runs, `Completed` once done.
fn conditions(completed: bool, pods_running: bool) -> Value {
    let running = if pods_running { "True" } else { "False" };
    let mut c = vec![json!({"type": "PodRunning", "status": running})];
    if completed {
        c.push(json!({"type": "Completed", "status": "True"}));
    }
    Value::Array(c)
}
