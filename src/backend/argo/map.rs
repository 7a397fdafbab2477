//! From Argo objects to the domain: workflow and node phases, the stage/step tree of a
//! workflow, and its waiting Suspend nodes as gates.

use std::collections::{HashMap, HashSet};

use jiff::Timestamp;

use super::wire::{Node, Parameter, Workflow, WorkflowTemplate};
use crate::domain::{
    Approval, ApproverInput, BackendName, ExecStatus, Execution, Pipeline, Rejection, Stage,
    Status, Step, VarKind, VariableSpec,
};

pub const LABEL_TEMPLATE: &str = "workflows.argoproj.io/workflow-template";
pub const LABEL_CLUSTER_TEMPLATE: &str = "workflows.argoproj.io/cluster-workflow-template";
const LABEL_CREATOR: &[&str] = &[
    "workflows.argoproj.io/creator-preferred-username",
    "workflows.argoproj.io/creator-email",
    "workflows.argoproj.io/creator",
];
const ANNOTATION_TITLE: &str = "workflows.argoproj.io/title";
const ANNOTATION_DESCRIPTION: &str = "workflows.argoproj.io/description";

/// Pipeline ids of ClusterWorkflowTemplates carry this prefix: `:` cannot occur in a k8s
/// name, so a cluster template never clashes with a namespaced one of the same name.
pub const CLUSTER_PREFIX: &str = "cluster:";
/// Pipeline ids of configured WorkflowEventBindings.
pub const EVENT_PREFIX: &str = "event:";

pub fn timestamp(text: Option<&str>) -> Option<Timestamp> {
    text.and_then(|t| t.parse().ok())
}

/// What a workflow's nodes say beyond its phase, kept per workflow so that reads without
/// nodes (the watch, which leaves them out because the server would send every node of a
/// big workflow on every change) map exactly as reads with them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    /// The phase the nodes were read at: facts of another phase no longer hold.
    pub phase: String,
    /// Gates waiting (Running Suspend nodes).
    pub gates: usize,
    pub stages_done: u32,
    pub stages_total: u32,
    /// A gate's verdict was set to its reject value.
    pub rejected: bool,
}

/// The facts of a workflow read with its nodes; `None` without them (a projection, a
/// list item whose nodes the server left compressed, an archived item).
pub fn facts(workflow: &Workflow) -> Option<Facts> {
    let nodes = workflow.status.nodes.as_ref()?;
    let (stages_done, stages_total) =
        crate::domain::stage_progress(stages(workflow).iter().map(|s| s.status.status));
    Some(Facts {
        phase: workflow.status.phase.clone().unwrap_or_default(),
        gates: nodes.values().filter(|n| is_gate(n)).count(),
        stages_done,
        stages_total,
        rejected: nodes.values().any(is_rejected_gate),
    })
}

/// A workflow's phase, refined by what the phase alone does not say: a Running workflow
/// may be waiting for a person (a Running Suspend node) or suspended as a whole, a
/// Succeeded one may have gone on past a gate whose verdict was "no" (rejected: the phase
/// stays the raw status), and a Failed one may have been stopped by someone. The one
/// function that decides an Argo execution's status, for lists, the watch and the detail.
pub fn workflow_status(workflow: &Workflow, facts: Option<&Facts>) -> Status {
    let phase = workflow.status.phase.as_deref().unwrap_or("");
    let gates = facts.map_or(0, |f| f.gates);
    let rejected = facts.is_some_and(|f| f.rejected);
    let status = match phase {
        "" => return Status::new(ExecStatus::Queued, "Pending"),
        "Pending" => ExecStatus::Queued,
        "Running" if gates > 0 => return Status::new(ExecStatus::Waiting, "Suspended"),
        "Running" if workflow.spec.suspend == Some(true) => {
            return Status::new(ExecStatus::Paused, "Suspended");
        }
        "Running" => ExecStatus::Running,
        "Succeeded" if rejected => ExecStatus::Rejected,
        "Succeeded" => ExecStatus::Succeeded,
        "Failed" | "Error" if workflow.spec.shutdown.is_some() => ExecStatus::Aborted,
        "Failed" | "Error" => ExecStatus::Failed,
        _ => ExecStatus::Unknown,
    };
    Status::new(status, phase)
}

pub fn node_status(node: &Node) -> Status {
    let phase = node.phase.as_deref().unwrap_or("Pending");
    let status = match phase {
        "Pending" => ExecStatus::Queued,
        "Running" if node.type_ == "Suspend" => ExecStatus::Waiting,
        "Running" => ExecStatus::Running,
        "Succeeded" if is_rejected_gate(node) => ExecStatus::Rejected,
        "Succeeded" => ExecStatus::Succeeded,
        "Skipped" | "Omitted" => ExecStatus::Skipped,
        "Failed" | "Error" => ExecStatus::Failed,
        _ => ExecStatus::Unknown,
    };
    Status::new(status, phase)
}

const APPROVE_WORDS: &[&str] = &[
    "yes", "y", "approve", "approved", "true", "ok", "go", "proceed", "allow", "accept",
];
const REJECT_WORDS: &[&str] = &[
    "no", "n", "reject", "rejected", "false", "deny", "denied", "abort", "stop", "cancel",
];

fn find_word<'a>(options: &'a [String], words: &[&str]) -> Option<&'a String> {
    options
        .iter()
        .find(|o| words.iter().any(|w| o.eq_ignore_ascii_case(w)))
}

/// A verdict parameter's (approve, reject) values: an enum offering an approve-like and a
/// reject-like value, such as `YES|NO`. Deciding such a gate sets it from the action, and a
/// decided gate whose value is the reject one was rejected.
pub fn verdict_values(options: &[String]) -> Option<(&str, &str)> {
    let yes = find_word(options, APPROVE_WORDS)?;
    let no = find_word(options, REJECT_WORDS)?;
    Some((yes.as_str(), no.as_str()))
}

/// A gate's verdict input and its (approve, reject) values.
pub fn verdict(inputs: &[ApproverInput]) -> Option<(&str, &str, &str)> {
    inputs.iter().find_map(|input| {
        let (yes, no) = verdict_values(&input.options)?;
        Some((input.name.as_str(), yes, no))
    })
}

/// A Suspend node that was resumed with a verdict output set to its reject value (the
/// "soft" reject of spec §8: the workflow goes on, and its `when:` skips the guarded steps).
pub fn is_rejected_gate(node: &Node) -> bool {
    rejected_verdict(node).is_some()
}

fn rejected_verdict(node: &Node) -> Option<&str> {
    if node.type_ != "Suspend" || node.phase.as_deref() != Some("Succeeded") {
        return None;
    }
    let inputs = node.inputs.as_ref().map(|i| i.parameters.as_slice())?;
    node.outputs
        .iter()
        .flat_map(|o| &o.parameters)
        .find_map(|out| {
            let value = out.value.as_deref()?;
            let input = inputs.iter().find(|i| i.name == out.name)?;
            let (_, no) = verdict_values(&input.enum_)?;
            (value == no).then_some(out.name.as_str())
        })
}

/// Who resumed a node, from the message argo-server writes when the request carried user
/// claims: `Resumed by: map[Email:… PreferredUsername:… User:…]` (Go's map formatting,
/// keys sorted). A server in `server` auth mode writes none; then nobody can tell.
pub fn resumed_by(message: &str) -> Option<String> {
    let start = message.rfind("Resumed by: map[")? + "Resumed by: map[".len();
    let body = &message[start..];
    let body = &body[..body.find(']')?];
    let mut fields: Vec<(&str, &str)> = Vec::new();
    // Keys are known words, so a value runs up to the next ` Key:`.
    let keys = ["Email:", "PreferredUsername:", "User:"];
    let mut rest = body;
    while let Some(key) = keys.iter().find(|k| rest.starts_with(**k)) {
        rest = &rest[key.len()..];
        let end = keys
            .iter()
            .filter_map(|k| rest.find(&format!(" {k}")))
            .min()
            .unwrap_or(rest.len());
        fields.push((key.trim_end_matches(':'), &rest[..end]));
        rest = rest[end..].trim_start();
    }
    ["PreferredUsername", "Email", "User"]
        .iter()
        .find_map(|k| fields.iter().find(|(key, v)| key == k && !v.is_empty()))
        .map(|(_, v)| (*v).to_owned())
}

/// The first gate of a workflow whose verdict was set to reject, with what its node says
/// of who did it.
pub fn rejection(workflow: &Workflow) -> Option<Rejection> {
    let nodes = workflow.status.nodes.as_ref()?;
    let mut rejected: Vec<&Node> = nodes.values().filter(|n| is_rejected_gate(n)).collect();
    rejected.sort_by(|a, b| (&a.started_at, &a.id).cmp(&(&b.started_at, &b.id)));
    let node = rejected.first()?;
    let message = node.message.clone().filter(|m| !m.is_empty());
    Some(Rejection {
        gate: node.id.clone(),
        stage: enclosing(nodes, node),
        step: node.display_name.clone(),
        by: message.as_deref().and_then(resumed_by),
        message,
    })
}

/// The enclosing Steps/DAG template of a node: its node's display name is the workflow's
/// own name at the top level, which says nothing a row does not.
fn enclosing(nodes: &HashMap<String, Node>, node: &Node) -> String {
    node.boundary_id
        .as_ref()
        .and_then(|b| nodes.get(b))
        .map(|b| {
            b.template_name
                .clone()
                .unwrap_or_else(|| b.display_name.clone())
        })
        .unwrap_or_default()
}

/// A gate: a Suspend node in phase Running (the server's `IsActiveSuspendNode`).
pub fn is_gate(node: &Node) -> bool {
    node.type_ == "Suspend" && node.phase.as_deref() == Some("Running")
}

/// `("release", "release")` for a workflow from a template, `("cluster:ci", "ci")` for a
/// cluster template, the workflow's own name otherwise.
pub fn pipeline_of(workflow: &Workflow) -> (String, String) {
    let labels = &workflow.metadata.labels;
    if let Some(name) = labels.get(LABEL_TEMPLATE) {
        return (name.clone(), name.clone());
    }
    if let Some(name) = labels.get(LABEL_CLUSTER_TEMPLATE) {
        return (format!("{CLUSTER_PREFIX}{name}"), name.clone());
    }
    match &workflow.spec.workflow_template_ref {
        Some(r) if r.cluster_scope => (format!("{CLUSTER_PREFIX}{}", r.name), r.name.clone()),
        Some(r) if !r.name.is_empty() => (r.name.clone(), r.name.clone()),
        _ => (String::new(), workflow.metadata.name.clone()),
    }
}

fn creator(workflow: &Workflow) -> String {
    LABEL_CREATOR
        .iter()
        .find_map(|key| workflow.metadata.labels.get(*key))
        .cloned()
        .unwrap_or_default()
}

/// A workflow as an execution: its status and stage progress from its own nodes when it
/// carries them, else from `known` (the facts last read with nodes) while they are of the
/// same phase, else from the phase alone with the progress unknown (0/0). `status.progress`
/// is never read: it counts pods, not stages.
pub fn execution(backend: &BackendName, workflow: &Workflow, known: Option<&Facts>) -> Execution {
    let (pipeline_id, pipeline_name) = pipeline_of(workflow);
    let own = facts(workflow);
    let phase = workflow.status.phase.as_deref().unwrap_or("");
    let facts = own
        .as_ref()
        .or(known.filter(|f| f.phase == phase && !phase.is_empty()));
    let (stages_done, stages_total) = facts.map_or((0, 0), |f| (f.stages_done, f.stages_total));
    Execution {
        backend: backend.clone(),
        project: workflow.metadata.namespace.clone(),
        id: workflow.metadata.name.clone(),
        pipeline_id,
        pipeline_name,
        status: workflow_status(workflow, facts),
        started: timestamp(workflow.status.started_at.as_deref())
            .or_else(|| timestamp(workflow.metadata.creation_timestamp.as_deref())),
        ended: timestamp(workflow.status.finished_at.as_deref()),
        triggered_by: creator(workflow),
        run_number: None,
        stages_done,
        stages_total,
        message: workflow.status.message.clone().filter(|m| !m.is_empty()),
        url: None,
    }
}

pub fn pipeline(backend: &BackendName, template: &WorkflowTemplate, cluster: bool) -> Pipeline {
    let meta = &template.metadata;
    let id = if cluster {
        format!("{CLUSTER_PREFIX}{}", meta.name)
    } else {
        meta.name.clone()
    };
    let mut tags: Vec<(String, String)> = meta
        .labels
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if cluster {
        tags.push(("scope".to_owned(), "cluster".to_owned()));
    }
    Pipeline {
        backend: backend.clone(),
        project: meta.namespace.clone(),
        id,
        name: meta
            .annotations
            .get(ANNOTATION_TITLE)
            .cloned()
            .unwrap_or_else(|| meta.name.clone()),
        description: meta
            .annotations
            .get(ANNOTATION_DESCRIPTION)
            .cloned()
            .unwrap_or_default(),
        tags,
        last_status: None,
        last_run: None,
        stages: None,
    }
}

/// A workflow argument as a start-form variable: the template's `value` is its default, an
/// `enum` makes it a choice, and one with neither must be given.
pub fn variable(parameter: &Parameter) -> VariableSpec {
    let default = parameter
        .value
        .clone()
        .or_else(|| parameter.default.clone());
    VariableSpec {
        name: parameter.name.clone(),
        kind: if parameter.enum_.is_empty() {
            VarKind::Text
        } else {
            VarKind::Choice(parameter.enum_.clone())
        },
        required: default.is_none(),
        default,
        description: parameter.description.clone(),
    }
}

/// The stage/step tree of a workflow with its nodes. Steps workflows get a stage per
/// top-level step group (`[0]`, `[1]`...), DAG and single-template workflows one stage; steps
/// are the leaf nodes (pods, suspends, HTTP...) reached from each, in start order.
///
/// Argo's node graph chains a Steps template as root → `[0]` → its steps → `[1]` → ...,
/// and a DAG as root → first tasks → their dependents, so leaves are found by following
/// `children` everywhere, stopping only at the next top-level group, which is a stage of
/// its own.
pub fn stages(workflow: &Workflow) -> Vec<Stage> {
    let Some(nodes) = &workflow.status.nodes else {
        return Vec::new();
    };
    let Some(root) = nodes.get(&workflow.metadata.name) else {
        return Vec::new();
    };
    let top_group = |n: &Node| {
        root.type_ == "Steps"
            && n.type_ == "StepGroup"
            && n.boundary_id.as_deref() == Some(root.id.as_str())
    };
    let mut groups: Vec<&Node> = nodes.values().filter(|n| top_group(n)).collect();
    if groups.is_empty() {
        groups.push(root);
    }
    groups.sort_by_key(|g| group_index(g));
    let stage_ids: HashSet<&str> = groups.iter().map(|g| g.id.as_str()).collect();
    groups
        .into_iter()
        .map(|group| {
            let mut leaves = Vec::new();
            let mut seen: HashSet<&str> = stage_ids.clone();
            seen.remove(group.id.as_str());
            collect_leaves(nodes, group, &mut leaves, &mut seen);
            leaves.sort_by(|a, b| {
                (a.started_at.is_none(), &a.started_at)
                    .cmp(&(b.started_at.is_none(), &b.started_at))
            });
            let steps: Vec<Step> = leaves.iter().map(|n| step(n)).collect();
            let name = if group.type_ == "StepGroup" {
                let names: Vec<&str> = steps.iter().map(|s| s.name.as_str()).collect();
                format!("{} {}", group.display_name, names.join(", "))
            } else {
                group
                    .template_name
                    .clone()
                    .unwrap_or_else(|| group.display_name.clone())
            };
            Stage {
                name,
                status: stage_status(group, &steps),
                started: timestamp(group.started_at.as_deref()),
                ended: timestamp(group.finished_at.as_deref()),
                steps,
            }
        })
        .collect()
}

/// A stage's status is its group node's, except that a stage holding a waiting gate waits
/// and one holding a rejected gate was rejected, as Harness reports its approval stages;
/// the raw text stays the node's phase.
fn stage_status(group: &Node, steps: &[Step]) -> Status {
    let own = node_status(group);
    let has = |s: ExecStatus| steps.iter().any(|step| step.status.status == s);
    match own.status {
        ExecStatus::Running if has(ExecStatus::Waiting) => {
            Status::new(ExecStatus::Waiting, own.raw)
        }
        ExecStatus::Succeeded if has(ExecStatus::Rejected) => {
            Status::new(ExecStatus::Rejected, own.raw)
        }
        _ => own,
    }
}

/// `[3]` → 3; groups without an index sort last, in a stable order.
fn group_index(group: &Node) -> (usize, &str) {
    let index = group
        .display_name
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .and_then(|i| i.parse().ok())
        .unwrap_or(usize::MAX);
    (index, group.id.as_str())
}

/// Collects the leaf nodes reachable from `node`, each once. `seen` starts with the other
/// stages' groups (so they are not walked into) and makes a malformed (cyclic or shared)
/// graph from the server cost one visit per node, never a loop.
fn collect_leaves<'a>(
    nodes: &'a HashMap<String, Node>,
    node: &'a Node,
    out: &mut Vec<&'a Node>,
    seen: &mut HashSet<&'a str>,
) {
    if !seen.insert(node.id.as_str()) {
        return;
    }
    let container = matches!(
        node.type_.as_str(),
        "Steps" | "StepGroup" | "DAG" | "TaskGroup" | "Retry"
    );
    if !container {
        out.push(node);
    }
    for child in node.children.iter().filter_map(|id| nodes.get(id)) {
        collect_leaves(nodes, child, out, seen);
    }
}

fn step(node: &Node) -> Step {
    Step {
        name: node.display_name.clone(),
        kind: node.type_.clone(),
        status: node_status(node),
        started: timestamp(node.started_at.as_deref()),
        ended: timestamp(node.finished_at.as_deref()),
        message: node.message.clone().filter(|m| !m.is_empty()),
    }
}

/// Every waiting Suspend node of a workflow as a gate, oldest first.
pub fn approvals(backend: &BackendName, workflow: &Workflow) -> Vec<Approval> {
    let Some(nodes) = &workflow.status.nodes else {
        return Vec::new();
    };
    let (pipeline_id, pipeline_name) = pipeline_of(workflow);
    let environment = workflow
        .spec
        .arguments
        .parameters
        .iter()
        .find(|p| matches!(p.name.as_str(), "env" | "environment"))
        .and_then(|p| p.value.clone());
    nodes
        .values()
        .filter(|n| is_gate(n))
        .map(|node| {
            let stage = enclosing(nodes, node);
            Approval {
                backend: backend.clone(),
                project: workflow.metadata.namespace.clone(),
                id: node.id.clone(),
                execution_id: workflow.metadata.name.clone(),
                pipeline_id: pipeline_id.clone(),
                pipeline_name: pipeline_name.clone(),
                stage,
                step: node.display_name.clone(),
                message: gate_message(node),
                approvers: Vec::new(),
                min_count: 1,
                inputs: supplied_inputs(node),
                created: timestamp(node.started_at.as_deref()),
                deadline: None,
                triggered_by: creator(workflow),
                environment: environment.clone(),
                callback_id: None,
                url: None,
            }
        })
        .collect()
}

/// Every Suspend node of a workflow, waiting or resumed, with its node status: a resumed
/// gate (`Succeeded`) was decided.
pub fn gate_records(workflow: &Workflow) -> Vec<crate::backend::GateRecord> {
    let Some(nodes) = &workflow.status.nodes else {
        return Vec::new();
    };
    let mut records: Vec<crate::backend::GateRecord> = nodes
        .values()
        .filter(|n| n.type_ == "Suspend")
        .map(|node| crate::backend::GateRecord {
            id: node.id.clone(),
            callback_id: None,
            stage: node
                .boundary_id
                .as_ref()
                .and_then(|b| nodes.get(b))
                .map(|b| {
                    b.template_name
                        .clone()
                        .unwrap_or_else(|| b.display_name.clone())
                })
                .unwrap_or_default(),
            step: node.display_name.clone(),
            status: node_status(node),
        })
        .collect();
    records.sort_by(|a, b| a.id.cmp(&b.id));
    records
}

/// What the gate asks: its parameters' descriptions, else its message, else its template.
fn gate_message(node: &Node) -> String {
    let descriptions: Vec<&str> = node
        .inputs
        .iter()
        .flat_map(|i| &i.parameters)
        .filter_map(|p| p.description.as_deref())
        .filter(|d| !d.is_empty())
        .collect();
    if !descriptions.is_empty() {
        return descriptions.join(" ");
    }
    node.message
        .clone()
        .filter(|m| !m.is_empty())
        .or_else(|| node.template_name.clone())
        .unwrap_or_else(|| node.display_name.clone())
}

/// The values a person supplies: output parameters with `valueFrom.supplied`, described by
/// the input parameter of the same name (its enum and default), as the Argo UI builds its
/// resume form. A verdict parameter's default is its approve value: the action decides a
/// verdict (`decide.rs`), and approving is what sends a default, so a decision built from
/// these defaults holds exactly what is sent (the audit log records it).
pub fn supplied_inputs(node: &Node) -> Vec<ApproverInput> {
    let inputs = node.inputs.as_ref().map(|i| i.parameters.as_slice());
    node.outputs
        .iter()
        .flat_map(|o| &o.parameters)
        .filter(|p| p.value_from.as_ref().is_some_and(|v| v.supplied.is_some()))
        .map(|output| {
            let input = inputs
                .unwrap_or_default()
                .iter()
                .find(|i| i.name == output.name);
            let options = input.map(|i| i.enum_.clone()).unwrap_or_default();
            let default = match verdict_values(&options) {
                Some((yes, _)) => yes.to_owned(),
                None => input
                    .and_then(|i| i.value.clone().or_else(|| i.default.clone()))
                    .unwrap_or_default(),
            };
            ApproverInput {
                name: output.name.clone(),
                default,
                options,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The steps workflow waiting for approval of spec §5.2, plus a second, parallel gate
    /// without parameters and a finished pod.
    const WAITING: &str = r#"{"metadata":{"name":"release-kgfn7","namespace":"argo","resourceVersion":"4812399","creationTimestamp":"2026-08-20T18:01:55Z",
      "labels":{"workflows.argoproj.io/phase":"Running","workflows.argoproj.io/completed":"false","workflows.argoproj.io/workflow-template":"release","workflows.argoproj.io/creator-preferred-username":"alice"}},
     "spec":{"entrypoint":"release","arguments":{"parameters":[{"name":"env","value":"prod"}]}},
     "status":{"phase":"Running","startedAt":"2026-08-20T18:01:56Z","finishedAt":null,"progress":"1/2",
      "nodes":{
       "release-kgfn7":{"id":"release-kgfn7","name":"release-kgfn7","displayName":"release-kgfn7","type":"Steps","templateName":"release","phase":"Running","startedAt":"2026-08-20T18:01:56Z","finishedAt":null,"children":["release-kgfn7-1"]},
       "release-kgfn7-1":{"id":"release-kgfn7-1","name":"release-kgfn7[0]","displayName":"[0]","type":"StepGroup","phase":"Succeeded","boundaryID":"release-kgfn7","startedAt":"2026-08-20T18:01:56Z","finishedAt":"2026-08-20T18:02:30Z","children":["release-kgfn7-3"]},
       "release-kgfn7-3":{"id":"release-kgfn7-3","name":"release-kgfn7[0].build","displayName":"build","type":"Pod","templateName":"build","phase":"Succeeded","boundaryID":"release-kgfn7","startedAt":"2026-08-20T18:01:56Z","finishedAt":"2026-08-20T18:02:30Z","children":["release-kgfn7-2"]},
       "release-kgfn7-2":{"id":"release-kgfn7-2","name":"release-kgfn7[1]","displayName":"[1]","type":"StepGroup","phase":"Running","boundaryID":"release-kgfn7","startedAt":"2026-08-20T18:02:31Z","finishedAt":null,"children":["release-kgfn7-4","release-kgfn7-5"]},
       "release-kgfn7-4":{"id":"release-kgfn7-4","name":"release-kgfn7[1].approval","displayName":"approval","type":"Suspend","templateName":"approval","phase":"Running","boundaryID":"release-kgfn7","startedAt":"2026-08-20T18:02:31Z","finishedAt":null,
         "inputs":{"parameters":[{"name":"approve","default":"NO","enum":["YES","NO"],"description":"Deploy to prod?"}]},
         "outputs":{"parameters":[{"name":"approve","valueFrom":{"supplied":{}}}]}},
       "release-kgfn7-5":{"id":"release-kgfn7-5","name":"release-kgfn7[1].sre","displayName":"sre","type":"Suspend","templateName":"sre-ok","phase":"Running","boundaryID":"release-kgfn7","startedAt":"2026-08-20T18:02:32Z","finishedAt":null}}}}"#;

    fn waiting() -> Workflow {
        serde_json::from_str(WAITING).unwrap()
    }

    #[test]
    fn parallel_suspend_nodes_are_separate_gates() {
        let mut gates = approvals(&"argo".into(), &waiting());
        crate::domain::order::approvals(&mut gates);
        assert_eq!(gates.len(), 2);
        let first = &gates[0];
        assert_eq!(first.id, "release-kgfn7-4");
        assert_eq!(first.execution_id, "release-kgfn7");
        assert_eq!(first.pipeline_id, "release");
        assert_eq!(first.stage, "release");
        assert_eq!(first.step, "approval");
        assert_eq!(first.message, "Deploy to prod?");
        assert_eq!(first.triggered_by, "alice");
        assert_eq!(first.environment.as_deref(), Some("prod"));
        assert_eq!(
            first.inputs,
            vec![ApproverInput {
                name: "approve".into(),
                // The verdict's default is what approving sends, not the template's NO.
                default: "YES".into(),
                options: vec!["YES".into(), "NO".into()],
            }]
        );
        // No parameters: nothing to supply, and the template names the gate.
        assert_eq!(gates[1].id, "release-kgfn7-5");
        assert!(gates[1].inputs.is_empty());
        assert_eq!(gates[1].message, "sre-ok");
    }

    #[test]
    fn a_running_workflow_with_gates_is_waiting() {
        let w = waiting();
        let e = execution(&"argo".into(), &w, None);
        assert_eq!(e.status.status, ExecStatus::Waiting);
        assert_eq!(e.pipeline_name, "release");
        // Without its nodes (the watch), the facts last read decide, while they hold.
        let known = facts(&w).unwrap();
        let mut bare = w.clone();
        bare.status.nodes = None;
        let from_facts = execution(&"argo".into(), &bare, Some(&known));
        assert_eq!(
            from_facts, e,
            "one function, with or without the nodes at hand"
        );
        let unknown = execution(&"argo".into(), &bare, None);
        assert_eq!(unknown.status.status, ExecStatus::Running);
        assert_eq!((unknown.stages_done, unknown.stages_total), (0, 0));
        bare.status.phase = Some("Succeeded".into());
        let moved_on = execution(&"argo".into(), &bare, Some(&known));
        assert_eq!(moved_on.status.status, ExecStatus::Succeeded);
        assert_eq!((moved_on.stages_done, moved_on.stages_total), (0, 0));
    }

    /// The audit's case: `status.progress` says "1/1" (one pod, done) while the approval
    /// stage still runs. Stages come from the nodes: [0] done, [1] waiting.
    #[test]
    fn stage_progress_counts_stages_not_pods() {
        let mut w = waiting();
        w.status.progress = Some("1/1".into());
        let e = execution(&"argo".into(), &w, None);
        assert_eq!((e.stages_done, e.stages_total), (1, 2));
        let stages = stages(&w);
        assert_eq!(stages[1].status.status, ExecStatus::Waiting);
        assert_eq!(stages[1].status.raw, "Running");
    }

    /// A DAG (or a single template) is one stage: not done while a task runs.
    #[test]
    fn a_dag_is_one_stage() {
        let dag = r#"{"metadata":{"name":"m"},"status":{"phase":"Running","progress":"1/1","nodes":{
          "m":{"id":"m","name":"m","displayName":"m","type":"DAG","templateName":"migrate","phase":"Running","children":["m-1"]},
          "m-1":{"id":"m-1","name":"m.backup","displayName":"backup","type":"Pod","phase":"Succeeded","boundaryID":"m","children":["m-2"]},
          "m-2":{"id":"m-2","name":"m.dba","displayName":"dba","type":"Suspend","phase":"Running","boundaryID":"m"}}}}"#;
        let mut w: Workflow = serde_json::from_str(dag).unwrap();
        let e = execution(&"argo".into(), &w, None);
        assert_eq!(e.status.status, ExecStatus::Waiting);
        assert_eq!((e.stages_done, e.stages_total), (0, 1));
        let nodes = w.status.nodes.as_mut().unwrap();
        for n in nodes.values_mut() {
            n.phase = Some("Succeeded".into());
        }
        w.status.phase = Some("Succeeded".into());
        let e = execution(&"argo".into(), &w, None);
        assert_eq!(e.status.status, ExecStatus::Succeeded);
        assert_eq!((e.stages_done, e.stages_total), (1, 1));
    }

    /// The release of spec §8 rejected the "soft" way: the verdict output is NO, the
    /// workflow went on, skipped its deploy and Succeeded. Argo's phase stays the raw text.
    fn soft_rejected(message: &str) -> Workflow {
        let mut w = waiting();
        w.status.phase = Some("Succeeded".into());
        let nodes = w.status.nodes.as_mut().unwrap();
        nodes.remove("release-kgfn7-5");
        let gate = nodes.get_mut("release-kgfn7-4").unwrap();
        gate.phase = Some("Succeeded".into());
        gate.message = Some(message.into());
        gate.outputs = Some(super::super::wire::Parameters {
            parameters: vec![Parameter {
                name: "approve".into(),
                value: Some("NO".into()),
                ..Parameter::default()
            }],
        });
        for id in ["release-kgfn7", "release-kgfn7-2"] {
            nodes.get_mut(id).unwrap().phase = Some("Succeeded".into());
        }
        nodes.get_mut("release-kgfn7-2").unwrap().children = vec!["release-kgfn7-4".into()];
        nodes.get_mut("release-kgfn7-4").unwrap().children = vec!["release-kgfn7-6".into()];
        nodes.insert(
            "release-kgfn7-6".into(),
            serde_json::from_str(r#"{"id":"release-kgfn7-6","name":"release-kgfn7[2]","displayName":"[2]","type":"StepGroup","phase":"Succeeded","boundaryID":"release-kgfn7","children":["release-kgfn7-7"]}"#).unwrap(),
        );
        nodes.insert(
            "release-kgfn7-7".into(),
            serde_json::from_str(r#"{"id":"release-kgfn7-7","name":"release-kgfn7[2].deploy","displayName":"deploy","type":"Skipped","phase":"Skipped","boundaryID":"release-kgfn7","message":"when 'NO == YES' evaluated false"}"#).unwrap(),
        );
        w
    }

    #[test]
    fn a_verdict_set_to_reject_makes_the_run_rejected() {
        let w = soft_rejected("Resumed by: map[User:system:serviceaccount:argo:jenkins]");
        let e = execution(&"argo".into(), &w, None);
        assert_eq!(
            (e.status.status, e.status.raw.as_str()),
            (ExecStatus::Rejected, "Succeeded")
        );
        assert_eq!((e.stages_done, e.stages_total), (3, 3));
        let stages = stages(&w);
        assert_eq!(stages[1].status.status, ExecStatus::Rejected);
        assert_eq!(stages[1].steps[0].status.raw, "Succeeded");
        assert_eq!(stages[2].steps[0].status.status, ExecStatus::Skipped);
        let r = rejection(&w).unwrap();
        assert_eq!(
            (r.gate.as_str(), r.stage.as_str(), r.step.as_str()),
            ("release-kgfn7-4", "release", "approval")
        );
        assert_eq!(r.by.as_deref(), Some("system:serviceaccount:argo:jenkins"));
        // A server without user claims (auth mode `server`) records nobody: nobody is named.
        let anonymous = rejection(&soft_rejected("not today")).unwrap();
        assert_eq!(anonymous.by, None);
        assert_eq!(anonymous.message.as_deref(), Some("not today"));
        // Approved (YES) is a success, with no rejection.
        let mut approved = soft_rejected("");
        let gate = approved
            .status
            .nodes
            .as_mut()
            .unwrap()
            .get_mut("release-kgfn7-4")
            .unwrap();
        gate.outputs.as_mut().unwrap().parameters[0].value = Some("YES".into());
        assert_eq!(
            execution(&"argo".into(), &approved, None).status.status,
            ExecStatus::Succeeded
        );
        assert_eq!(rejection(&approved), None);
    }

    #[test]
    fn who_resumed_comes_from_the_servers_message() {
        let by = |m: &str| resumed_by(m);
        assert_eq!(
            by("Resumed by: map[Email:alice@example.com PreferredUsername:alice User:C1]"),
            Some("alice".into())
        );
        assert_eq!(
            by("Resumed by: map[Email:alice@example.com User:C1]"),
            Some("alice@example.com".into())
        );
        assert_eq!(
            by("waiting; Resumed by: map[User:system:serviceaccount:argo:ci]"),
            Some("system:serviceaccount:argo:ci".into())
        );
        assert_eq!(by("Resumed by: map[]"), None);
        assert_eq!(by("looks good"), None);
    }

    #[test]
    fn step_groups_become_stages_of_their_leaves() {
        let stages = stages(&waiting());
        let names: Vec<&str> = stages.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["[0] build", "[1] approval, sre"]);
        assert_eq!(stages[0].status.status, ExecStatus::Succeeded);
        assert_eq!(stages[1].steps[0].status.status, ExecStatus::Waiting);
        assert_eq!(stages[1].steps[0].kind, "Suspend");
    }

    #[test]
    fn phases_map_with_a_fallback() {
        let with = |phase: &str, shutdown: Option<&str>| {
            let mut w = Workflow::default();
            w.status.phase = Some(phase.to_owned());
            w.spec.shutdown = shutdown.map(str::to_owned);
            workflow_status(&w, None)
        };
        assert_eq!(with("", None).status, ExecStatus::Queued);
        assert_eq!(with("Succeeded", None).status, ExecStatus::Succeeded);
        assert_eq!(with("Error", None).status, ExecStatus::Failed);
        assert_eq!(
            with("Failed", Some("Terminate")).status,
            ExecStatus::Aborted
        );
        let odd = with("Hibernating", None);
        assert_eq!(
            (odd.status, odd.raw.as_str()),
            (ExecStatus::Unknown, "Hibernating")
        );
    }

    #[test]
    fn cyclic_node_graphs_terminate() {
        let mut w = waiting();
        let nodes = w.status.nodes.as_mut().unwrap();
        nodes
            .get_mut("release-kgfn7-2")
            .unwrap()
            .children
            .extend(["release-kgfn7-2".into(), "release-kgfn7".into()]);
        assert_eq!(stages(&w).len(), 2);
    }
}
