//! A workflow's `status.nodes`: the node tree the controller builds, from the world's steps.
//!
//! Steps templates give `wf` (Steps) → `wf[i]` (StepGroup) → `wf[i].step` nodes, each step
//! (its outbound node) linked to the next group; DAGs give `wf` (DAG) → `wf.task`, linked
//! along their dependencies; a retried pod is a Retry node over one Pod node per run
//! (`name(0)`, `name(1)`, …). Node ids are `<wf>-<fnv32a(node name)>`, the root's the
//! workflow's name (spec §5.1). A node exists once its step has started.

use serde_json::{Value, json};

use super::json::{opt_ts, ts};
use super::meta::{Subject, workflow_message};
use super::plan::{Leaf, LeafKind, Plan, Shape};
use crate::ids;
use crate::world::{ApprovalStatus, Ms, RunStatus, StepRun};

/// A node's id: the workflow's name for the root, else `<workflow>-<fnv32a(node name)>`.
pub(crate) fn node_id(wf: &str, node_name: &str) -> String {
    if node_name == wf {
        wf.to_string()
    } else {
        format!("{wf}-{}", ids::fnv32a(node_name))
    }
}

/// A pod's name in the default `v2` format: `<workflow>-<template>-<fnv32a(node name)>`, or
/// the workflow's name for a pod that is the workflow's root node.
pub(crate) fn pod_name(wf: &str, template: &str, node_name: &str) -> String {
    if node_name == wf {
        wf.to_string()
    } else {
        format!("{wf}-{template}-{}", ids::fnv32a(node_name))
    }
}

/// The node name of a step or task: `wf[<group>].<step>` in a Steps template, `wf.<task>` in
/// a DAG, the workflow's own name when the entry template is the pod or gate itself.
pub(crate) fn leaf_node_name(plan: &Plan, wf: &str, leaf: &Leaf) -> String {
    match plan.shape {
        Shape::Single => wf.to_string(),
        Shape::Steps => format!("{wf}[{}].{}", leaf.group, leaf.name),
        Shape::Dag => format!("{wf}.{}", leaf.name),
    }
}

/// A node's phase (`NodePhase`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Running,
    Succeeded,
    Skipped,
    Failed,
    Error,
}

impl Phase {
    fn name(self) -> &'static str {
        match self {
            Phase::Running => "Running",
            Phase::Succeeded => "Succeeded",
            Phase::Skipped => "Skipped",
            Phase::Failed => "Failed",
            Phase::Error => "Error",
        }
    }

    fn done(self) -> bool {
        self != Phase::Running
    }

    fn ok(self) -> bool {
        matches!(self, Phase::Succeeded | Phase::Skipped)
    }
}

/// The rendered nodes of one step or task: its own node (the Retry node for retried pods),
/// any attempt nodes, and the ids later nodes hang from.
struct LeafNodes {
    id: String,
    phase: Phase,
    start: Ms,
    end: Option<Ms>,
    nodes: Vec<(String, Value)>,
    outbound: Vec<String>,
    pods: (u32, u32),
}

/// The node map and what the workflow-level status reads from it.
pub(super) struct Tree {
    /// (id, node), leaves first.
    pub(super) nodes: Vec<(String, Value)>,
    /// Pods finished, pods started: the `progress` "N/M".
    pub(super) pods: (u32, u32),
    pub(super) pods_running: bool,
    /// CPU seconds of the finished pods, for `resourcesDuration`.
    pub(super) cpu_secs: i64,
    /// The first node that failed, for the workflow's message.
    pub(super) failed: Option<String>,
}

/// The fields every node has.
fn base_node(
    s: &Subject,
    name: &str,
    display: &str,
    kind: &str,
    phase: Phase,
    start: Ms,
    end: Option<Ms>,
) -> Value {
    json!({
        "id": node_id(s.name(), name),
        "name": name,
        "displayName": display,
        "type": kind,
        "templateScope": format!("local/{}", s.name()),
        "phase": phase.name(),
        "startedAt": ts(start),
        "finishedAt": opt_ts(end),
    })
}

/// Every node of the workflow, keyed by id, with the counts the status reads.
pub(super) fn tree(s: &Subject) -> Tree {
    let wf = s.name().to_string();
    let mut tree = Tree {
        nodes: Vec::new(),
        pods: (0, 0),
        pods_running: false,
        cpu_secs: 0,
        failed: None,
    };
    let mut rendered: Vec<Option<LeafNodes>> = Vec::with_capacity(s.plan.leaves.len());
    for (i, leaf) in s.plan.leaves.iter().enumerate() {
        let name = leaf_node_name(s.plan, &wf, leaf);
        let boundary = (s.plan.shape != Shape::Single).then_some(wf.as_str());
        rendered.push(leaf_nodes(s, i, leaf, &name, boundary));
    }
    for r in rendered.iter().flatten() {
        tree.pods.0 += r.pods.0;
        tree.pods.1 += r.pods.1;
        tree.pods_running |= r.phase == Phase::Running && r.pods.1 > r.pods.0;
        if tree.failed.is_none() && matches!(r.phase, Phase::Failed | Phase::Error) {
            tree.failed = Some(r.id.clone());
        }
    }
    // The leaves' nodes go in first: the structure built next links them.
    for r in rendered.iter_mut().flatten() {
        tree.nodes.append(&mut r.nodes);
    }
    tree.cpu_secs = tree
        .nodes
        .iter()
        .filter(|(_, n)| n["type"] == "Pod")
        .filter_map(|(_, n)| n["resourcesDuration"]["cpu"].as_i64())
        .sum();
    match s.plan.shape {
        Shape::Single => {}
        Shape::Steps => steps_tree(s, &rendered, &mut tree),
        Shape::Dag => dag_tree(s, &rendered, &mut tree),
    }
    tree
}

fn root_phase(s: &Subject) -> Phase {
    match s.exec.status {
        RunStatus::NotStarted | RunStatus::Running | RunStatus::Waiting => Phase::Running,
        RunStatus::Success | RunStatus::Skipped => Phase::Succeeded,
        _ => Phase::Failed,
    }
}

fn steps_tree(s: &Subject, rendered: &[Option<LeafNodes>], tree: &mut Tree) {
    let wf = s.name().to_string();
    let groups = s
        .plan
        .leaves
        .iter()
        .map(|l| l.group)
        .max()
        .map_or(0, |g| g + 1);
    let mut group_ids = Vec::new();
    let mut group_nodes = Vec::new();
    for g in 0..groups {
        let members: Vec<&LeafNodes> = s
            .plan
            .leaves
            .iter()
            .zip(rendered)
            .filter(|(l, _)| l.group == g)
            .filter_map(|(_, r)| r.as_ref())
            .collect();
        if members.is_empty() {
            break;
        }
        let phase = if members.iter().any(|m| !m.phase.done()) {
            Phase::Running
        } else if members.iter().all(|m| m.phase.ok()) {
            Phase::Succeeded
        } else {
            Phase::Failed
        };
        let start = members
            .iter()
            .map(|m| m.start)
            .min()
            .unwrap_or(s.exec.start_ms);
        let end = phase
            .done()
            .then(|| members.iter().filter_map(|m| m.end).max())
            .flatten();
        let name = format!("{wf}[{g}]");
        let mut node = base_node(s, &name, &format!("[{g}]"), "StepGroup", phase, start, end);
        node["boundaryID"] = json!(wf);
        node["children"] = json!(members.iter().map(|m| m.id.clone()).collect::<Vec<_>>());
        group_ids.push(node_id(&wf, &name));
        group_nodes.push((
            members
                .iter()
                .flat_map(|m| m.outbound.clone())
                .collect::<Vec<_>>(),
            node,
        ));
    }
    // Each group's leaves (their outbound nodes) lead to the next group.
    let mut links: Vec<(String, String)> = Vec::new();
    for (g, (outbound, _)) in group_nodes.iter().enumerate() {
        if let Some(next) = group_ids.get(g + 1) {
            links.extend(outbound.iter().map(|o| (o.clone(), next.clone())));
        }
    }
    let outbound = group_nodes
        .last()
        .map(|(o, _)| o.clone())
        .unwrap_or_default();
    for (_, node) in group_nodes {
        let id = node["id"].as_str().unwrap_or_default().to_string();
        tree.nodes.push((id, node));
    }
    let mut root = root_node(s, "Steps", tree);
    root["children"] = json!(
        group_ids
            .first()
            .map(|f| vec![f.clone()])
            .unwrap_or_default()
    );
    if !outbound.is_empty() {
        root["outboundNodes"] = json!(outbound);
    }
    tree.nodes.push((wf.clone(), root));
    link(tree, &links);
}

fn dag_tree(s: &Subject, rendered: &[Option<LeafNodes>], tree: &mut Tree) {
    let wf = s.name().to_string();
    let leaves = &s.plan.leaves;
    let id_of = |i: usize| rendered[i].as_ref().map(|r| r.id.clone());
    let roots: Vec<String> = (0..leaves.len())
        .filter(|&i| leaves[i].depends.is_empty())
        .filter_map(id_of)
        .collect();
    let mut links = Vec::new();
    for (i, leaf) in leaves.iter().enumerate() {
        let Some(child) = id_of(i) else {
            continue;
        };
        for &d in &leaf.depends {
            if let Some(parent) = &rendered[d] {
                links.extend(parent.outbound.iter().map(|o| (o.clone(), child.clone())));
            }
        }
    }
    let outbound: Vec<String> = (0..leaves.len())
        .filter(|&i| !leaves.iter().any(|l| l.depends.contains(&i)))
        .filter_map(|i| rendered[i].as_ref().map(|r| r.outbound.clone()))
        .flatten()
        .collect();
    let mut root = root_node(s, "DAG", tree);
    root["children"] = json!(roots);
    if !outbound.is_empty() {
        root["outboundNodes"] = json!(outbound);
    }
    tree.nodes.push((wf, root));
    link(tree, &links);
}

fn root_node(s: &Subject, kind: &str, tree: &Tree) -> Value {
    let wf = s.name();
    let phase = root_phase(s);
    let mut root = base_node(s, wf, wf, kind, phase, s.exec.start_ms, s.exec.end_ms);
    root["templateName"] = json!(s.plan.entry);
    root["progress"] = json!(format!("{}/{}", tree.pods.0, tree.pods.1));
    if let Some(message) = workflow_message(s, &tree.failed) {
        root["message"] = json!(message);
    }
    root
}

/// Adds graph edges (`children`) from nodes already rendered to later ones.
fn link(tree: &mut Tree, links: &[(String, String)]) {
    for (from, to) in links {
        if let Some((_, node)) = tree.nodes.iter_mut().find(|(id, _)| id == from) {
            push_child(node, to);
        }
    }
}

fn push_child(node: &mut Value, child: &str) {
    let children = node
        .as_object_mut()
        .map(|o| o.entry("children").or_insert_with(|| json!([])));
    if let Some(Value::Array(c)) = children
        && !c.iter().any(|x| x == child)
    {
        c.push(json!(child));
    }
}

/// The phase and times of a step, with a decided gate counting as done from its decision on
/// (the server patches the node at once; the world lets the step finish a moment later).
fn leaf_state(s: &Subject, step: &StepRun) -> Option<(Phase, Ms, Option<Ms>, Option<String>)> {
    let start = step.start_ms?;
    let approval = step.approval.as_ref().and_then(|a| s.world.approval(a));
    let strategy = s.shutdown().unwrap_or("Terminate");
    let stopped = || Some(format!("Stopped with strategy '{strategy}'"));
    let noted = approval
        .and_then(|a| a.activities.last())
        .map(|a| a.comments.clone());
    let errored = approval.is_some_and(|a| s.meta.errored.contains(&a.id));
    Some(match step.status {
        RunStatus::NotStarted => return None,
        RunStatus::Running => (Phase::Running, start, None, None),
        RunStatus::Waiting => match approval.map(|a| (a.status, a.updated_ms)) {
            Some((ApprovalStatus::Approved, at)) => (Phase::Succeeded, start, Some(at), noted),
            Some((ApprovalStatus::Rejected, at)) if errored => {
                (Phase::Error, start, Some(at), noted)
            }
            Some((ApprovalStatus::Rejected, at)) => (Phase::Failed, start, Some(at), noted),
            // A message `set` on a gate still waiting is on its node at once.
            _ => (
                Phase::Running,
                start,
                None,
                approval.and_then(|a| s.meta.noted.get(&a.id).cloned()),
            ),
        },
        RunStatus::Success => (
            Phase::Succeeded,
            start,
            step.end_ms,
            noted.filter(|_| approval.is_some()),
        ),
        RunStatus::Skipped => (Phase::Skipped, start, step.end_ms, None),
        RunStatus::Rejected if errored => (Phase::Error, start, step.end_ms, noted),
        RunStatus::Rejected => (Phase::Failed, start, step.end_ms, noted),
        RunStatus::Aborted => (Phase::Failed, start, step.end_ms, stopped()),
        RunStatus::Failed | RunStatus::Expired => (Phase::Failed, start, step.end_ms, None),
    })
}

fn leaf_nodes(
    s: &Subject,
    i: usize,
    leaf: &Leaf,
    name: &str,
    boundary: Option<&str>,
) -> Option<LeafNodes> {
    let step = s.exec.stages.get(i)?.steps.first()?;
    let (phase, start, end, message) = leaf_state(s, step)?;
    let wf = s.name();
    let id = node_id(wf, name);
    let display = if name == wf { wf } else { leaf.name.as_str() };
    let decorate = |node: &mut Value| {
        node["templateName"] = json!(leaf.template);
        if let Some(b) = boundary {
            node["boundaryID"] = json!(b);
        }
    };
    if phase == Phase::Skipped {
        let mut node = base_node(s, name, display, "Skipped", phase, start, end);
        decorate(&mut node);
        let when = leaf.when.as_deref().unwrap_or_default();
        node["message"] = json!(format!("when '{}' evaluated false", resolve_when(s, when)));
        return Some(LeafNodes {
            id: id.clone(),
            phase,
            start,
            end,
            nodes: vec![(id.clone(), node)],
            outbound: vec![id],
            pods: (0, 0),
        });
    }
    if leaf.kind == LeafKind::Suspend {
        let mut node = base_node(s, name, display, "Suspend", phase, start, end);
        decorate(&mut node);
        if let Some(m) = message.filter(|m| !m.is_empty()) {
            node["message"] = json!(m);
        }
        if !leaf.inputs.is_empty() {
            node["inputs"] = json!({"parameters": leaf.inputs});
        }
        if !leaf.outputs.is_empty() {
            node["outputs"] = json!({"parameters": gate_outputs(s, leaf, step)});
        }
        return Some(LeafNodes {
            id: id.clone(),
            phase,
            start,
            end,
            nodes: vec![(id.clone(), node)],
            outbound: vec![id],
            pods: (0, 0),
        });
    }
    if !leaf.retry {
        let mut node = pod_node(s, name, display, phase, start, end, message, step.run_ms());
        decorate(&mut node);
        let done = u32::from(phase.done());
        return Some(LeafNodes {
            id: id.clone(),
            phase,
            start,
            end,
            nodes: vec![(id.clone(), node)],
            outbound: vec![id],
            pods: (done, 1),
        });
    }
    // A retried pod: one attempt node per run so far under a Retry node.
    let run = step.run_ms().max(1);
    let runs = step.runs_started(s.now);
    let mut nodes = Vec::new();
    let mut ids = Vec::new();
    for k in 0..runs {
        let attempt_start = start + i64::from(k) * run;
        let last = k + 1 == runs;
        let (attempt_phase, attempt_end, attempt_message) = if !last {
            (
                Phase::Failed,
                Some(attempt_start + run),
                Some(leaf_failure(s, i)),
            )
        } else if phase == Phase::Failed && message.is_none() {
            (Phase::Failed, end, Some(leaf_failure(s, i)))
        } else {
            (phase, end, message.clone())
        };
        let attempt = format!("{name}({k})");
        let mut node = pod_node(
            s,
            &attempt,
            &format!("{}({k})", leaf.name),
            attempt_phase,
            attempt_start,
            attempt_end,
            attempt_message,
            run,
        );
        decorate(&mut node);
        node["nodeFlag"] = json!({"retried": true});
        let attempt_id = node_id(wf, &attempt);
        ids.push(attempt_id.clone());
        nodes.push((attempt_id, node));
    }
    let mut retry = base_node(s, name, display, "Retry", phase, start, end);
    decorate(&mut retry);
    retry["children"] = json!(ids);
    if phase == Phase::Failed && message.is_none() {
        retry["message"] = json!("No more retries left");
    }
    let done = nodes
        .iter()
        .filter(|(_, n)| n["phase"] != "Running")
        .count() as u32;
    retry["progress"] = json!(format!("{done}/{runs}"));
    nodes.insert(0, (id.clone(), retry));
    Some(LeafNodes {
        id,
        phase,
        start,
        end,
        nodes,
        outbound: ids.last().cloned().into_iter().collect(),
        pods: (done, runs),
    })
}

/// What a failed run of leaf `i` reports.
fn leaf_failure(s: &Subject, i: usize) -> String {
    s.world
        .pipeline(&s.exec.project, &s.exec.pipeline)
        .and_then(|p| p.stages.get(i))
        .and_then(|st| st.steps.first())
        .map(|st| st.failure.clone())
        .filter(|f| !f.is_empty())
        .unwrap_or_else(|| "Error (exit code 1)".to_string())
}

#[allow(clippy::too_many_arguments)]
fn pod_node(
    s: &Subject,
    name: &str,
    display: &str,
    phase: Phase,
    start: Ms,
    end: Option<Ms>,
    message: Option<String>,
    run: Ms,
) -> Value {
    let mut node = base_node(s, name, display, "Pod", phase, start, end);
    let done = phase.done();
    node["progress"] = json!(if done { "1/1" } else { "0/1" });
    if let Some(m) = message {
        node["message"] = json!(m);
    }
    if done {
        let code = if phase == Phase::Succeeded { "0" } else { "1" };
        node["outputs"] = json!({"exitCode": code});
        let secs = (end.unwrap_or(start + run) - start).max(1000) / 1000;
        node["resourcesDuration"] = json!({"cpu": secs, "memory": secs * 4});
    }
    node
}

/// A gate's output parameters: the values decided (or set and not yet resumed), else
/// `valueFrom.supplied` still waiting for a value.
fn gate_outputs(s: &Subject, leaf: &Leaf, step: &StepRun) -> Vec<Value> {
    let approval = step.approval.as_ref().and_then(|a| s.world.approval(a));
    let decided: Vec<(String, String)> = approval
        .map(|a| a.activities.iter().flat_map(|x| x.inputs.clone()).collect())
        .unwrap_or_default();
    let supplied = approval
        .and_then(|a| s.meta.supplied.get(&a.id))
        .cloned()
        .unwrap_or_default();
    leaf.outputs
        .iter()
        .map(|p| {
            let name = p["name"].as_str().unwrap_or_default();
            let value = decided
                .iter()
                .chain(&supplied)
                .rev()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone());
            match value {
                Some(v) => {
                    let mut out = p.clone();
                    if let Some(o) = out.as_object_mut() {
                        o.remove("valueFrom");
                    }
                    out["value"] = json!(v);
                    out
                }
                None => p.clone(),
            }
        })
        .collect()
}

/// A `when` expression with the gate output it reads filled in, as the skipped node's message
/// shows it (`when 'NO == YES' evaluated false`).
fn resolve_when(s: &Subject, when: &str) -> String {
    let Some(start) = when.find("{{") else {
        return when.to_string();
    };
    let Some(len) = when[start..].find("}}") else {
        return when.to_string();
    };
    let reference = &when[start + 2..start + len];
    let input = reference.rsplit('.').next().unwrap_or_default().trim();
    let value = s
        .world
        .approvals_of(&s.exec.id)
        .iter()
        .flat_map(|a| a.activities.iter().flat_map(|x| x.inputs.iter()))
        .rfind(|(n, _)| n == input)
        .map_or(String::new(), |(_, v)| v.clone());
    format!("{}{}{}", &when[..start], value, &when[start + len + 2..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_pod_names_follow_argo() {
        assert_eq!(node_id("wf", "wf"), "wf");
        assert_eq!(
            node_id("wf", "wf[0]"),
            format!("wf-{}", ids::fnv32a("wf[0]"))
        );
        assert_eq!(pod_name("wf", "build", "wf"), "wf");
        assert!(pod_name("wf", "build", "wf[0].build").starts_with("wf-build-"));
    }
}
