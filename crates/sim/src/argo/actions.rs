//! The lifecycle `PUT`s of spec §7: suspend, resume, stop, terminate, set, retry, resubmit.
//!
//! Gates are Running Suspend nodes. Resume, node stop and `set` with a phase decide them in the
//! world (approve, reject), so the step behind each finishes as the clock moves; values `set`
//! on a gate's supplied outputs wait in the workflow's record until the gate is resumed, and
//! are then the decision's inputs (what guarded steps read).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::Response;
use serde_json::{Value, json};

use super::auth::Caller;
use super::errors::{Answer, ApiError};
use super::handler::{self, ok};
use super::plan::LeafKind;
use super::selectors::{FieldSelector, node_fields};
use super::state::ArgoState;
use super::submit::{self, Launch};
use super::{json, nodes, wire, workflows};
use crate::Shared;
use crate::world::{Action, RetryError, TriggerKind, World};

/// The workflow an action addresses, after the caller may change it.
struct Target {
    name: String,
    ns: String,
    /// The object as it was before the action.
    before: Arc<Value>,
}

fn target(st: &ArgoState, caller: &Caller, ns: &str, name: &str) -> Answer<Target> {
    let before = workflows::find(st, ns, name)?;
    caller.may("update", "workflows", ns)?;
    let name = before["metadata"]["name"]
        .as_str()
        .unwrap_or(name)
        .to_string();
    Ok(Target {
        name,
        ns: ns.to_string(),
        before,
    })
}

/// A gate the selector picked: its node and the world approval.
struct Gate {
    node: Value,
    approval: String,
}

/// The workflow's Running Suspend nodes that `selector` matches (all of them for `None`).
fn gates(w: &World, st: &ArgoState, t: &Target, selector: Option<&FieldSelector>) -> Vec<Gate> {
    let Some(e) = w.execution(&t.name) else {
        return Vec::new();
    };
    let Some(plan) = st.plan(e) else {
        return Vec::new();
    };
    let nodes = &t.before["status"]["nodes"];
    plan.leaves
        .iter()
        .enumerate()
        .filter(|(_, leaf)| leaf.kind == LeafKind::Suspend)
        .filter_map(|(i, leaf)| {
            let id = nodes::node_id(&t.name, &nodes::leaf_node_name(&plan, &t.name, leaf));
            let node = nodes.get(&id)?;
            let waiting = node["type"] == "Suspend" && node["phase"] == "Running";
            let picked = selector.is_none_or(|s| s.matches(&node_fields(node)));
            let approval = e.stages.get(i)?.steps.first()?.approval.clone()?;
            (waiting && picked).then(|| Gate {
                node: node.clone(),
                approval,
            })
        })
        .collect()
}

/// The selector of a request body, if one is given.
fn selector(body: &Value) -> Answer<Option<(String, FieldSelector)>> {
    match body["nodeFieldSelector"].as_str().filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => Ok(Some((s.to_string(), FieldSelector::parse(Some(s))?))),
    }
}

fn no_suspend_nodes(selector: &str) -> ApiError {
    ApiError::internal(format!(
        "currently, set only targets suspend nodes: no suspend nodes matching nodeFieldSelector: {selector}"
    ))
}

/// Records who acted and how on the workflow (`actor` labels and `action`).
fn label_actor(w: &World, st: &mut ArgoState, caller: &Caller, name: &str, action: &str) {
    let user = w.user(&caller.0.user).cloned();
    let ids = st.ids.clone();
    if let Some(meta) = st.metas.get_mut(name) {
        for key in [json::ACTOR, json::ACTOR_EMAIL, json::ACTOR_USERNAME] {
            meta.labels.remove(key);
        }
        wire::who_labels(
            &mut meta.labels,
            [json::ACTOR, json::ACTOR_EMAIL, json::ACTOR_USERNAME],
            user.as_ref(),
            &ids,
        );
        meta.labels
            .insert(json::ACTION.to_string(), action.to_string());
    }
    st.touch(name);
}

/// Changes to the spec bump `metadata.generation`, as Kubernetes does.
fn bump_generation(st: &mut ArgoState, name: &str) {
    if let Some(meta) = st.metas.get_mut(name) {
        meta.generation += 1;
    }
    st.touch(name);
}

/// Records the changes and answers with the workflow as it is now.
fn answer(s: &Shared, w: &World, st: &mut ArgoState, name: &str) -> Answer<Response> {
    s.argo.settle(w, st, w.now());
    let wf = st
        .object(name)
        .ok_or_else(|| ApiError::not_found("workflows", name))?;
    Ok(ok(wf.as_ref().clone()))
}

/// Decides one gate and counts the decision.
fn decide(
    s: &Shared,
    w: &mut World,
    gate: &Gate,
    user: &str,
    action: Action,
    comment: String,
    inputs: Vec<(String, String)>,
) -> Answer<()> {
    w.decide(&gate.approval, user, action, comment, inputs)
        .map_err(|e| {
            ApiError::internal(format!("cannot update node {}: {e:?}", gate.node["id"]))
        })?;
    s.stats()
        .count_decision(&gate.approval, action == Action::Approve);
    Ok(())
}

fn resumed_by(caller: &Caller) -> String {
    format!("Resumed by: map[User:{}]", caller.0.subject())
}

pub(crate) async fn suspend(
    State(s): State<Arc<Shared>>,
    caller: Caller,
    Path((ns, name)): Path<(String, String)>,
    bytes: Bytes,
) -> Answer<Response> {
    handler::body(&bytes)?;
    let (mut w, mut st) = handler::lock(&s);
    let t = target(&st, &caller, &ns, &name)?;
    if !w.hold(&t.name) {
        return Err(ApiError::invalid("cannot suspend completed workflows"));
    }
    bump_generation(&mut st, &t.name);
    s.stats().count_control("argo", "Suspend");
    label_actor(&w, &mut st, &caller, &t.name, "Suspend");
    answer(&s, &w, &mut st, &t.name)
}

pub(crate) async fn resume(
    State(s): State<Arc<Shared>>,
    caller: Caller,
    Path((ns, name)): Path<(String, String)>,
    bytes: Bytes,
) -> Answer<Response> {
    let body = handler::body(&bytes)?;
    let selector = selector(&body)?;
    let (mut w, mut st) = handler::lock(&s);
    let t = target(&st, &caller, &ns, &name)?;
    let picked = gates(&w, &st, &t, selector.as_ref().map(|(_, f)| f));
    let supplied = |st: &ArgoState, g: &Gate| {
        st.metas
            .get(&t.name)
            .and_then(|m| m.supplied.get(&g.approval))
            .cloned()
            .unwrap_or_default()
    };
    let mut decisions = Vec::new();
    match &selector {
        Some((text, _)) if picked.is_empty() => return Err(no_suspend_nodes(text)),
        // A selected gate keeps its outputs as they are.
        Some(_) => {
            for g in picked {
                let inputs = supplied(&st, &g);
                decisions.push((g, inputs));
            }
        }
        // Without one, every gate resumes, and a supplied output not set takes its default.
        None => {
            for g in picked {
                let mut inputs = supplied(&st, &g);
                for p in g.node["outputs"]["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                {
                    let Some(from) = p.get("valueFrom").filter(|v| v["supplied"].is_object())
                    else {
                        continue;
                    };
                    let name = p["name"].as_str().unwrap_or_default();
                    let default = from["default"].as_str().ok_or_else(|| {
                        ApiError::internal(format!(
                            "raw output parameter '{name}' has not been set and does not have a default value"
                        ))
                    })?;
                    inputs.push((name.to_string(), default.to_string()));
                }
                decisions.push((g, inputs));
            }
            if w.execution(&t.name).is_some_and(|e| e.held) {
                w.release(&t.name);
                bump_generation(&mut st, &t.name);
            }
        }
    }
    for (g, inputs) in decisions {
        decide(
            &s,
            &mut w,
            &g,
            &caller.0.user,
            Action::Approve,
            resumed_by(&caller),
            inputs,
        )?;
        if let Some(m) = st.metas.get_mut(&t.name) {
            m.supplied.remove(&g.approval);
        }
    }
    let shutdown = st.metas.get(&t.name).and_then(|m| m.shutdown);
    super::control::shutdown_after_resume(&mut w, &t.name, shutdown, &caller.0.user);
    s.stats().count_control("argo", "Resume");
    label_actor(&w, &mut st, &caller, &t.name, "Resume");
    answer(&s, &w, &mut st, &t.name)
}

/// Stop or terminate the whole workflow: the spec gets `shutdown`, the world stops the run.
/// The answer is the patched spec over the status as it was (the controller has not reacted).
fn shut_down(
    s: &Shared,
    caller: &Caller,
    ns: &str,
    name: &str,
    strategy: &'static str,
) -> Answer<Response> {
    let (mut w, mut st) = handler::lock(s);
    let t = target(&st, caller, ns, name)?;
    if w.execution(&t.name).is_none_or(|e| e.status.is_terminal()) {
        return Err(ApiError::internal(format!(
            "cannot shutdown a completed workflow: workflow: \"{}\", namespace: \"{}\"",
            t.name, t.ns
        )));
    }
    if let Some(meta) = st.metas.get_mut(&t.name) {
        meta.shutdown = Some(strategy);
    }
    bump_generation(&mut st, &t.name);
    label_actor(&w, &mut st, caller, &t.name, strategy);
    s.stats().count_control("argo", strategy);
    if !super::control::shutdown_ignored(s, &w, &t.name) {
        let _ = w.abort(&t.name, &caller.0.user);
    }
    s.argo.settle(&w, &mut st, w.now());
    let now = st
        .object(&t.name)
        .ok_or_else(|| ApiError::not_found("workflows", &t.name))?;
    let mut patched = t.before.as_ref().clone();
    patched["spec"] = now["spec"].clone();
    for key in ["resourceVersion", "generation"] {
        patched["metadata"][key] = now["metadata"][key].clone();
    }
    for key in [
        json::ACTOR,
        json::ACTOR_EMAIL,
        json::ACTOR_USERNAME,
        json::ACTION,
    ] {
        if let Some(v) = now["metadata"]["labels"].get(key) {
            patched["metadata"]["labels"][key] = v.clone();
        }
    }
    Ok(ok(patched))
}

pub(crate) async fn stop(
    State(s): State<Arc<Shared>>,
    caller: Caller,
    Path((ns, name)): Path<(String, String)>,
    bytes: Bytes,
) -> Answer<Response> {
    let body = handler::body(&bytes)?;
    let Some((text, sel)) = selector(&body)? else {
        return shut_down(&s, &caller, &ns, &name, "Stop");
    };
    // With a selector, the matching gates fail with the message: a hard rejection.
    let (mut w, mut st) = handler::lock(&s);
    let t = target(&st, &caller, &ns, &name)?;
    let picked = gates(&w, &st, &t, Some(&sel));
    if picked.is_empty() {
        return Err(no_suspend_nodes(&text));
    }
    let message = body["message"].as_str().unwrap_or_default().to_string();
    for g in &picked {
        decide(
            &s,
            &mut w,
            g,
            &caller.0.user,
            Action::Reject,
            message.clone(),
            Vec::new(),
        )?;
    }
    label_actor(&w, &mut st, &caller, &t.name, "Stop");
    answer(&s, &w, &mut st, &t.name)
}

pub(crate) async fn terminate(
    State(s): State<Arc<Shared>>,
    caller: Caller,
    Path((ns, name)): Path<(String, String)>,
    bytes: Bytes,
) -> Answer<Response> {
    handler::body(&bytes)?;
    shut_down(&s, &caller, &ns, &name, "Terminate")
}

pub(crate) async fn set(
    State(s): State<Arc<Shared>>,
    caller: Caller,
    Path((ns, name)): Path<(String, String)>,
    bytes: Bytes,
) -> Answer<Response> {
    let body = handler::body(&bytes)?;
    let phase = body["phase"].as_str().unwrap_or_default().to_string();
    if !matches!(phase.as_str(), "" | "Succeeded" | "Failed" | "Error") {
        return Err(ApiError::invalid(format!(
            "{phase} is an invalid phase to set to"
        )));
    }
    let outputs: BTreeMap<String, String> = match body["outputParameters"].as_str() {
        None | Some("") => BTreeMap::new(),
        Some(text) => serde_json::from_str(text).map_err(|e| ApiError::invalid(e.to_string()))?,
    };
    let Some((text, sel)) = selector(&body)? else {
        return Err(ApiError::internal(
            "'set' currently only targets suspend nodes, use a node field selector to target them",
        ));
    };
    let (mut w, mut st) = handler::lock(&s);
    let t = target(&st, &caller, &ns, &name)?;
    let picked = gates(&w, &st, &t, Some(&sel));
    if picked.is_empty() {
        return Err(no_suspend_nodes(&text));
    }
    // Every value must be a supplied output of every selected gate that has not been set.
    for g in &picked {
        let already = st
            .metas
            .get(&t.name)
            .and_then(|m| m.supplied.get(&g.approval))
            .cloned()
            .unwrap_or_default();
        let declared = g.node["outputs"]["parameters"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for key in outputs.keys() {
            let p = declared
                .iter()
                .find(|p| p["name"] == key.as_str())
                .ok_or_else(|| {
                    ApiError::internal(format!("node is not expecting output parameter '{key}'"))
                })?;
            let open =
                p["valueFrom"]["supplied"].is_object() && !already.iter().any(|(n, _)| n == key);
            if !open {
                return Err(ApiError::internal(format!(
                    "cannot set output parameter '{key}' because it does not use valueFrom.raw or it was already set"
                )));
            }
        }
    }
    let message = body["message"].as_str().unwrap_or_default().to_string();
    for g in &picked {
        let values = {
            let Some(meta) = st.metas.get_mut(&t.name) else {
                continue;
            };
            let set = meta.supplied.entry(g.approval.clone()).or_default();
            set.extend(outputs.iter().map(|(k, v)| (k.clone(), v.clone())));
            if phase == "Error" {
                meta.errored.insert(g.approval.clone());
            }
            let set = set.clone();
            if !message.is_empty() {
                meta.noted.insert(g.approval.clone(), message.clone());
            }
            set
        };
        let user = &caller.0.user;
        match phase.as_str() {
            "Succeeded" => decide(
                &s,
                &mut w,
                g,
                user,
                Action::Approve,
                message.clone(),
                values,
            )?,
            "Failed" | "Error" => {
                decide(&s, &mut w, g, user, Action::Reject, message.clone(), values)?
            }
            _ => {}
        }
    }
    st.touch(&t.name);
    answer(&s, &w, &mut st, &t.name)
}

pub(crate) async fn retry(
    State(s): State<Arc<Shared>>,
    caller: Caller,
    Path((ns, name)): Path<(String, String)>,
    bytes: Bytes,
) -> Answer<Response> {
    let body = handler::body(&bytes)?;
    let given = submit::parameters(&body["parameters"])?;
    let selector = selector(&body)?;
    let restart_successful = body["restartSuccessful"] == true;
    let (mut w, mut st) = handler::lock(&s);
    let t = target(&st, &caller, &ns, &name)?;
    let phase = t.before["status"]["phase"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let allowed = match phase.as_str() {
        "Failed" | "Error" => true,
        "Succeeded" => restart_successful && selector.is_some(),
        _ => false,
    };
    if !allowed {
        return Err(ApiError::invalid(format!(
            "Cannot retry a workflow in phase {phase}"
        )));
    }
    let Some(e) = w.execution(&t.name).cloned() else {
        return Err(ApiError::not_found("workflows", &t.name));
    };
    let plan = st
        .plan(&e)
        .ok_or_else(|| ApiError::not_found("workflows", &t.name))?;
    let restart: Vec<usize> = match (&selector, restart_successful) {
        (Some((_, sel)), true) => plan
            .leaves
            .iter()
            .enumerate()
            .filter(|(_, leaf)| {
                let id = nodes::node_id(&t.name, &nodes::leaf_node_name(&plan, &t.name, leaf));
                t.before["status"]["nodes"]
                    .get(&id)
                    .is_some_and(|n| sel.matches(&node_fields(n)))
            })
            .map(|(i, _)| i)
            .collect(),
        _ => Vec::new(),
    };
    let inputs = if given.is_empty() {
        None
    } else {
        let mut merged = e.inputs.clone();
        for (n, v) in &given {
            match merged.iter_mut().find(|(m, _)| m == n) {
                Some(slot) => slot.1 = v.clone(),
                None => merged.push((n.clone(), v.clone())),
            }
        }
        Some(merged)
    };
    w.retry(&t.name, &restart, inputs.clone())
        .map_err(|err| match err {
            RetryError::NotFound => ApiError::not_found("workflows", &t.name),
            RetryError::Unfinished | RetryError::NothingToRedo => {
                ApiError::invalid(format!("Cannot retry a workflow in phase {phase}"))
            }
        })?;
    if let Some(meta) = st.metas.get_mut(&t.name) {
        meta.shutdown = None;
        if let Some(inputs) = &inputs {
            let params: Vec<Value> = inputs
                .iter()
                .map(|(n, v)| json!({"name": n, "value": v}))
                .collect();
            meta.spec["arguments"] = json!({"parameters": params});
        }
    }
    bump_generation(&mut st, &t.name);
    s.stats().count_control("argo", "Retry");
    label_actor(&w, &mut st, &caller, &t.name, "Retry");
    answer(&s, &w, &mut st, &t.name)
}

pub(crate) async fn resubmit(
    State(s): State<Arc<Shared>>,
    caller: Caller,
    Path((ns, name)): Path<(String, String)>,
    bytes: Bytes,
) -> Answer<Response> {
    let body = handler::body(&bytes)?;
    let given = submit::parameters(&body["parameters"])?;
    let (mut w, mut st) = handler::lock(&s);
    let t = target(&st, &caller, &ns, &name)?;
    caller.may("create", "workflows", &ns)?;
    if body["memoized"] == true
        && !matches!(
            t.before["status"]["phase"].as_str(),
            Some("Failed" | "Error")
        )
    {
        return Err(ApiError::invalid(
            "workflow must be Failed/Error to resubmit in memoized mode",
        ));
    }
    let Some(e) = w.execution(&t.name).cloned() else {
        return Err(ApiError::not_found("workflows", &t.name));
    };
    let Some(meta) = st.metas.get(&t.name).cloned() else {
        return Err(ApiError::not_found("workflows", &t.name));
    };
    let mut inputs = e.inputs.clone();
    for (n, v) in &given {
        match inputs.iter_mut().find(|(m, _)| m == n) {
            Some(slot) => slot.1 = v.clone(),
            None => inputs.push((n.clone(), v.clone())),
        }
    }
    // The new workflow keeps the user's labels, not who acted on the old one.
    let mut labels = meta.labels.clone();
    for key in [
        json::ACTOR,
        json::ACTOR_EMAIL,
        json::ACTOR_USERNAME,
        json::ACTION,
    ] {
        labels.remove(key);
    }
    labels.insert(json::RESUBMITTED_FROM.to_string(), t.name.clone());
    let generate_name = meta
        .generate_name
        .clone()
        .unwrap_or_else(|| format!("{}-", t.name));
    let new_name = submit::workflow_name(&mut w, None, Some(&generate_name))?;
    let mut spec = meta.spec.clone();
    if !given.is_empty() {
        let params: Vec<Value> = inputs
            .iter()
            .map(|(n, v)| json!({"name": n, "value": v}))
            .collect();
        spec["arguments"] = json!({"parameters": params});
    }
    let launched = submit::launch(
        &s,
        &mut w,
        &mut st,
        &caller,
        Launch {
            namespace: ns,
            pipeline: e.pipeline.clone(),
            name: new_name,
            generate_name: Some(generate_name),
            labels,
            annotations: meta.annotations.clone(),
            spec,
            given: inputs,
            trigger: TriggerKind::Manual,
            dry_run: false,
        },
    )?;
    s.stats().count_control("argo", "Resubmit");
    Ok(ok(launched))
}
