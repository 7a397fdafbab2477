//! Turns an execution's `layoutNodeMap` and `executionGraph` (spec 2.7, 2.9) into ordered
//! stages with their steps, and finds the approval steps that wait for a person.
//!
//! Stages come from the layout: start at `startingNodeId` and follow `nextIds`; a parallel
//! node (`nodeType: parallel`) or a strategy node (`nodeGroup: STRATEGY`, `nodeType`
//! MATRIX/LOOP/FOR/PARALLELISM) is not a stage itself, its `currentNodeChildren` are.
//!
//! Steps come from the graph: walk from `rootNodeId` through `children` (nesting) and
//! `nextIds` (sequence) in document order. Wrapper nodes (stages, execution sections, step
//! groups, forks, strategies: anything with children or a known structural `stepType`) are
//! not steps; the leaves are. A step belongs to the nearest enclosing stage node (a graph
//! node whose id or `setupId` matches a layout stage), else to the stage named in its
//! `baseFqn` (`pipeline.stages.<stage>.…`).
//!
//! Both walks are iterative with a visited set and a node budget: a server sending a cycle
//! or an absurdly deep chain gets a truncated tree, never a hang or a stack overflow.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use super::status::{is_approval_waiting, status};
use super::wire::{ExecutionGraph, ExecutionSummary, GraphNode, LayoutNode, millis};
use crate::domain::{Stage, Step};

/// More nodes than any real pipeline has; a walk stops here.
const NODE_BUDGET: usize = 20_000;

/// Structural step types that can appear without children (the UI's `NodeType` list plus
/// strategy and rollback wrappers). Compared case-insensitively.
const STRUCTURAL_STEP_TYPES: &[&str] = &[
    "NG_EXECUTION",
    "NG_SECTION",
    "NG_SECTION_WITH_ROLLBACK_INFO",
    "NG_FORK",
    "NG_STAGES_STEP",
    "STAGES_STEP",
    "PIPELINE_SECTION",
    "GENERIC_SECTION",
    "SERVICE_SECTION",
    "INFRASTRUCTURE_SECTION",
    "STEP_GROUP",
    "StepGroupNode",
    "ROLLBACK_OPTIONAL_CHILD_CHAIN",
    "ROLLBACK_OPTIONAL_CHILDREN",
    "STRATEGY",
    "MATRIX",
    "LOOP",
    "FOR",
    "PARALLELISM",
];

/// A HarnessApproval step in `ApprovalWaiting`, located in its stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitingGate {
    /// The approval instance id (`executableResponses[0].async.callbackIds[0]`).
    pub instance_id: String,
    pub stage: String,
    pub step: String,
    pub environment: Option<String>,
    /// The step's `spec.callbackId`, when its author gave one.
    pub callback_id: Option<String>,
    /// The stage's `layoutNodeMap` key and the step's node id: what the web UI's `stage`
    /// and `step` query parameters select (control-logs-identity.md §4.1).
    pub ui_stage: Option<String>,
    pub ui_step: String,
}

/// A HarnessApproval step in any state (waiting, approved, rejected, expired), so a decision
/// can tell a gate decided or expired from an id that names none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalStep {
    pub instance_id: String,
    pub callback_id: Option<String>,
    pub stage: String,
    pub step: String,
    pub status: crate::domain::Status,
}

/// Stages in pipeline order with their steps, plus the gates waiting among them.
#[derive(Debug, Clone, PartialEq)]
pub struct Tree {
    pub stages: Vec<Stage>,
    pub gates: Vec<WaitingGate>,
    /// Every approval step with an instance, the waiting ones included.
    pub approval_steps: Vec<ApprovalStep>,
}

/// The layout stages in pipeline order, as (layout key, node).
pub fn ordered_stages(summary: &ExecutionSummary) -> Vec<(&str, &LayoutNode)> {
    let map = &summary.layout_node_map;
    let start = summary
        .starting_node_id
        .as_deref()
        .filter(|id| map.contains_key(*id));
    let Some(start) = start else {
        // No usable entry point: every real stage, by start time, then name, so the order
        // is at least stable.
        let mut stages: Vec<(&str, &LayoutNode)> = map
            .iter()
            .filter(|(_, node)| !is_layout_wrapper(node))
            .map(|(key, node)| (key.as_str(), node))
            .collect();
        stages
            .sort_by_key(|(key, node)| (node.start_ts.unwrap_or(u64::MAX), stage_name(key, node)));
        return stages;
    };

    let mut out = Vec::new();
    let mut seen: HashSet<&str> = HashSet::new();
    let mut stack: Vec<&str> = vec![start];
    while let Some(key) = stack.pop() {
        if seen.len() >= NODE_BUDGET {
            tracing::warn!("harness layoutNodeMap walk stopped at {NODE_BUDGET} nodes");
            break;
        }
        let Some((key, node)) = map.get_key_value(key) else {
            continue;
        };
        if !seen.insert(key.as_str()) {
            continue;
        }
        // Stack order: children first, then the node's successors.
        if let Some(edges) = &node.edge_layout_list {
            stack.extend(edges.next_ids.iter().rev().map(String::as_str));
            if is_layout_wrapper(node) {
                stack.extend(edges.current_node_children.iter().rev().map(String::as_str));
            }
        }
        if !is_layout_wrapper(node) {
            out.push((key.as_str(), node));
        }
    }
    out
}

/// The stage tree of an execution. Without a graph, stages have no steps.
pub fn build(summary: &ExecutionSummary, graph: Option<&ExecutionGraph>) -> Tree {
    let layout = ordered_stages(summary);
    let mut stages: Vec<Stage> = layout
        .iter()
        .map(|(key, node)| Stage {
            name: stage_name(key, node),
            status: status(node.status.as_deref()),
            started: millis(node.start_ts),
            ended: millis(node.end_ts),
            steps: Vec::new(),
        })
        .collect();
    let environments: Vec<Option<String>> = layout
        .iter()
        .map(|(_, node)| stage_environment(node))
        .collect();
    let mut gates = Vec::new();
    let mut approval_steps = Vec::new();

    if let Some(graph) = graph {
        let index = StageIndex::new(&layout);
        for (node_id, node, stage) in leaf_steps(graph, &index) {
            let stage = stage.or_else(|| index.by_fqn(node.base_fqn.as_deref()));
            let step = Step {
                name: node
                    .name
                    .clone()
                    .or_else(|| node.identifier.clone())
                    .unwrap_or_default(),
                kind: node.step_type.clone().unwrap_or_default(),
                status: status(node.status.as_deref()),
                started: millis(node.start_ts),
                ended: millis(node.end_ts),
                message: node
                    .failure_info
                    .as_ref()
                    .and_then(|f| f.message.clone())
                    .filter(|m| !m.is_empty()),
            };
            let approval = node
                .step_type
                .as_deref()
                .is_some_and(|t| t.eq_ignore_ascii_case("HarnessApproval"));
            if approval && let Some(instance_id) = node.callback_id() {
                let stage_name = stage.map(|i| stages[i].name.clone()).unwrap_or_default();
                let callback_id = node.spec_callback_id().map(str::to_owned);
                if is_approval_waiting(node.status.as_deref()) {
                    gates.push(WaitingGate {
                        instance_id: instance_id.to_owned(),
                        stage: stage_name.clone(),
                        step: step.name.clone(),
                        environment: stage.and_then(|i| environments[i].clone()),
                        callback_id: callback_id.clone(),
                        ui_stage: stage.map(|i| layout[i].0.to_owned()),
                        ui_step: node_id.to_owned(),
                    });
                }
                approval_steps.push(ApprovalStep {
                    instance_id: instance_id.to_owned(),
                    callback_id,
                    stage: stage_name,
                    step: step.name.clone(),
                    status: step.status.clone(),
                });
            }
            match stage {
                Some(i) => stages[i].steps.push(step),
                None => tracing::debug!(step = step.name, "harness step outside any known stage"),
            }
        }
    }
    Tree {
        stages,
        gates,
        approval_steps,
    }
}

/// The leaf step nodes of the graph in document order, each with its stage's name (empty
/// when the step sits in no known stage).
pub fn step_nodes<'g>(
    summary: &ExecutionSummary,
    graph: &'g ExecutionGraph,
) -> Vec<(String, &'g GraphNode)> {
    let layout = ordered_stages(summary);
    let index = StageIndex::new(&layout);
    leaf_steps(graph, &index)
        .into_iter()
        .map(|(_, node, stage)| {
            let stage = stage.or_else(|| index.by_fqn(node.base_fqn.as_deref()));
            let name = stage
                .and_then(|i| layout.get(i))
                .map(|(key, node)| stage_name(key, node))
                .unwrap_or_default();
            (name, node)
        })
        .collect()
}

/// Names of the stages waiting for an approval, for gates whose step is not known.
pub fn approval_waiting_stages(summary: &ExecutionSummary) -> Vec<(String, Option<String>)> {
    ordered_stages(summary)
        .into_iter()
        .filter(|(_, node)| is_approval_waiting(node.status.as_deref()))
        .map(|(key, node)| (key.to_owned(), stage_environment(node)))
        .collect()
}

/// Display name of a layout stage.
pub fn stage_name(key: &str, node: &LayoutNode) -> String {
    node.name
        .clone()
        .or_else(|| node.node_identifier.clone())
        .unwrap_or_else(|| key.to_owned())
}

/// The environment a stage deploys to (`moduleInfo.cd.infraExecutionSummary`).
pub fn stage_environment(node: &LayoutNode) -> Option<String> {
    let infra = node
        .module_info
        .as_ref()?
        .get("cd")?
        .get("infraExecutionSummary")?;
    ["name", "identifier"]
        .iter()
        .find_map(|k| infra.get(*k)?.as_str().filter(|s| !s.is_empty()))
        .map(str::to_owned)
}

/// Environments the whole execution touches (`moduleInfo.cd.envIdentifiers`), joined.
pub fn pipeline_environment(summary: &ExecutionSummary) -> Option<String> {
    let ids = summary
        .module_info
        .as_ref()?
        .get("cd")?
        .get("envIdentifiers")?
        .as_array()?;
    let ids: Vec<&str> = ids.iter().filter_map(Value::as_str).collect();
    (!ids.is_empty()).then(|| ids.join(", "))
}

fn is_layout_wrapper(node: &LayoutNode) -> bool {
    let is = |field: &Option<String>, names: &[&str]| {
        field
            .as_deref()
            .is_some_and(|v| names.iter().any(|n| v.eq_ignore_ascii_case(n)))
    };
    is(
        &node.node_type,
        &["parallel", "MATRIX", "LOOP", "FOR", "PARALLELISM"],
    ) || is(&node.node_group, &["STRATEGY"])
}

/// Finds the layout stage of a graph node.
struct StageIndex<'a> {
    by_execution_id: HashMap<&'a str, usize>,
    by_setup_id: HashMap<&'a str, usize>,
    by_identifier: HashMap<&'a str, usize>,
}

impl<'a> StageIndex<'a> {
    fn new(layout: &[(&'a str, &'a LayoutNode)]) -> Self {
        let mut index = StageIndex {
            by_execution_id: HashMap::new(),
            by_setup_id: HashMap::new(),
            by_identifier: HashMap::new(),
        };
        for (i, (key, node)) in layout.iter().enumerate() {
            index.by_setup_id.entry(key).or_insert(i);
            if let Some(id) = node.node_execution_id.as_deref() {
                index.by_execution_id.entry(id).or_insert(i);
            }
            if let Some(id) = node.node_identifier.as_deref() {
                index.by_identifier.entry(id).or_insert(i);
            }
        }
        index
    }

    /// The stage a graph node *is* (not the one it is in). Matrix instances share a setup
    /// id, so the runtime id is tried first.
    fn of_node(&self, id: &str, node: &GraphNode) -> Option<usize> {
        self.by_execution_id.get(id).copied().or_else(|| {
            node.setup_id
                .as_deref()
                .and_then(|s| self.by_setup_id.get(s).copied())
        })
    }

    fn by_fqn(&self, fqn: Option<&str>) -> Option<usize> {
        let rest = fqn?.strip_prefix("pipeline.stages.")?;
        let id = rest.split('.').next()?;
        self.by_identifier.get(id).copied()
    }
}

/// The leaf steps of the graph in document order, each with the stage it is nested in.
fn leaf_steps<'g>(
    graph: &'g ExecutionGraph,
    index: &StageIndex<'_>,
) -> Vec<(&'g str, &'g GraphNode, Option<usize>)> {
    let Some(root) = graph.root_node_id.as_deref() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut seen: HashSet<&str> = HashSet::new();
    let mut stack: Vec<(&str, Option<usize>)> = vec![(root, None)];
    while let Some((id, enclosing)) = stack.pop() {
        if seen.len() >= NODE_BUDGET {
            tracing::warn!("harness execution graph walk stopped at {NODE_BUDGET} nodes");
            break;
        }
        if !seen.insert(id) {
            continue;
        }
        let node = graph.node_map.get(id);
        let stage = node.and_then(|n| index.of_node(id, n)).or(enclosing);
        let adjacency = graph.node_adjacency_list_map.get(id);
        let children = adjacency.map(|a| a.children.as_slice()).unwrap_or_default();
        // Successors share the enclosing stage; children inherit this node's stage.
        if let Some(a) = adjacency {
            stack.extend(a.next_ids.iter().rev().map(|n| (n.as_str(), enclosing)));
        }
        stack.extend(children.iter().rev().map(|c| (c.as_str(), stage)));

        if let Some(node) = node
            && id != root
            && children.is_empty()
            && !is_structural(node, index)
        {
            out.push((id, node, stage));
        }
    }
    out
}

fn is_structural(node: &GraphNode, index: &StageIndex<'_>) -> bool {
    let Some(kind) = node.step_type.as_deref() else {
        return true;
    };
    let upper = kind.to_ascii_uppercase();
    STRUCTURAL_STEP_TYPES
        .iter()
        .any(|t| t.eq_ignore_ascii_case(kind))
        || upper.ends_with("_STAGE")
        || upper.ends_with("_STAGE_STEP")
        || upper.ends_with("_SECTION")
        || node
            .setup_id
            .as_deref()
            .is_some_and(|s| index.by_setup_id.contains_key(s))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::harness::wire::{Envelope, ExecutionDetail};
    use crate::backend::http::decode_json;
    use crate::domain::ExecStatus;

    fn spec_detail() -> ExecutionDetail {
        let body = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/harness/execution_detail.json"
        ))
        .unwrap();
        let env: Envelope<ExecutionDetail> = decode_json(&body).unwrap();
        env.data.unwrap()
    }

    fn summary(json: &str) -> ExecutionSummary {
        serde_json::from_str(json).unwrap()
    }

    fn names(tree: &Tree) -> Vec<(String, Vec<String>)> {
        tree.stages
            .iter()
            .map(|s| {
                (
                    s.name.clone(),
                    s.steps.iter().map(|st| st.name.clone()).collect(),
                )
            })
            .collect()
    }

    #[test]
    fn spec_example_gives_three_stages_and_one_gate() {
        let d = spec_detail();
        let tree = build(&d.pipeline_execution_summary, d.execution_graph.as_ref());
        assert_eq!(
            names(&tree),
            vec![
                ("Build".to_owned(), vec![]),
                ("Approve".to_owned(), vec!["Approval".to_owned()]),
                ("Deploy".to_owned(), vec![]),
            ]
        );
        assert_eq!(tree.stages[1].status.status, ExecStatus::Waiting);
        assert_eq!(tree.stages[1].steps[0].kind, "HarnessApproval");
        assert_eq!(tree.stages[2].status.raw, "NotStarted");
        assert_eq!(
            tree.gates,
            vec![WaitingGate {
                instance_id: "6571f0c2e1b2a34d5c6e7f80".into(),
                stage: "Approve".into(),
                step: "Approval".into(),
                environment: None,
                callback_id: None,
                ui_stage: Some("Ap7stage2uuid".into()),
                ui_step: "n-step1".into(),
            }]
        );
    }

    #[test]
    fn without_a_graph_stages_have_no_steps() {
        let d = spec_detail();
        let tree = build(&d.pipeline_execution_summary, None);
        assert_eq!(tree.stages.len(), 3);
        assert!(tree.gates.is_empty());
    }

    const PARALLEL: &str = r#"{
      "planExecutionId":"p1","startingNodeId":"s-build",
      "layoutNodeMap":{
        "s-build":{"nodeType":"CI","nodeGroup":"STAGE","nodeIdentifier":"build","name":"Build","status":"Success",
                   "edgeLayoutList":{"currentNodeChildren":[],"nextIds":["par-1"]}},
        "par-1":{"nodeType":"parallel","nodeGroup":"STAGE","nodeIdentifier":"parallel","name":"parallel",
                 "edgeLayoutList":{"currentNodeChildren":["s-eu","s-us"],"nextIds":["s-verify"]}},
        "s-eu":{"nodeType":"Deployment","nodeGroup":"STAGE","nodeIdentifier":"deploy_eu","name":"Deploy EU",
                "status":"Running","nodeExecutionId":"g-eu",
                "moduleInfo":{"cd":{"infraExecutionSummary":{"identifier":"prod_eu","name":"Prod EU"}}},
                "edgeLayoutList":{"currentNodeChildren":[],"nextIds":[]}},
        "s-us":{"nodeType":"Deployment","nodeGroup":"STAGE","nodeIdentifier":"deploy_us","name":"Deploy US",
                "status":"ApprovalWaiting",
                "moduleInfo":{"cd":{"infraExecutionSummary":{"identifier":"prod_us"}}},
                "edgeLayoutList":{"currentNodeChildren":[],"nextIds":[]}},
        "s-verify":{"nodeType":"Custom","nodeGroup":"STAGE","nodeIdentifier":"verify","name":"Verify",
                    "status":"NotStarted","edgeLayoutList":{"currentNodeChildren":[],"nextIds":[]}}
      }}"#;

    #[test]
    fn parallel_stages_are_listed_in_order() {
        let s = summary(PARALLEL);
        let order: Vec<&str> = ordered_stages(&s).iter().map(|(k, _)| *k).collect();
        assert_eq!(order, vec!["s-build", "s-eu", "s-us", "s-verify"]);
        assert_eq!(
            approval_waiting_stages(&s),
            vec![("s-us".to_owned(), Some("prod_us".to_owned()))]
        );
    }

    #[test]
    fn parallel_graph_maps_steps_by_nesting_and_fqn() {
        let s = summary(PARALLEL);
        let graph: ExecutionGraph = serde_json::from_str(
            r#"{"rootNodeId":"g-pipeline",
              "nodeMap":{
                "g-pipeline":{"name":"pipeline","stepType":"PIPELINE_SECTION"},
                "g-fork":{"name":"parallel","stepType":"NG_FORK"},
                "g-eu":{"setupId":"ignored-because-id-matches","name":"Deploy EU","stepType":"DEPLOYMENT_STAGE_STEP"},
                "g-eu-exec":{"name":"Execution","stepType":"NG_EXECUTION"},
                "g-eu-group":{"name":"canary","stepType":"STEP_GROUP"},
                "g-eu-1":{"name":"Rollout","stepType":"K8sRollingDeploy","status":"Running","startTs":1700000000000},
                "g-eu-2":{"name":"Smoke","stepType":"ShellScript","status":"NotStarted"},
                "g-us":{"setupId":"s-us","name":"Deploy US","stepType":"DEPLOYMENT_STAGE_STEP"},
                "g-us-exec":{"name":"Execution","stepType":"NG_EXECUTION"},
                "g-us-1":{"name":"Prod gate","stepType":"HarnessApproval","status":"ApprovalWaiting",
                          "executableResponses":[{"async":{"callbackIds":["inst-us"]}}]},
                "g-orphan":{"name":"Loose","stepType":"ShellScript","status":"Success",
                            "baseFqn":"pipeline.stages.verify.spec.execution.steps.Loose",
                            "failureInfo":{"message":"boom"}}
              },
              "nodeAdjacencyListMap":{
                "g-pipeline":{"children":["g-fork"],"nextIds":[]},
                "g-fork":{"children":["g-eu","g-us"],"nextIds":["g-orphan"]},
                "g-eu":{"children":["g-eu-exec"],"nextIds":[]},
                "g-eu-exec":{"children":["g-eu-group"],"nextIds":[]},
                "g-eu-group":{"children":["g-eu-1"],"nextIds":[]},
                "g-eu-1":{"children":[],"nextIds":["g-eu-2"]},
                "g-us":{"children":["g-us-exec"],"nextIds":[]},
                "g-us-exec":{"children":["g-us-1"],"nextIds":[]},
                "g-missing":{"children":[],"nextIds":[]}
              }}"#,
        )
        .unwrap();
        let tree = build(&s, Some(&graph));
        assert_eq!(
            names(&tree),
            vec![
                ("Build".to_owned(), vec![]),
                (
                    "Deploy EU".to_owned(),
                    vec!["Rollout".to_owned(), "Smoke".to_owned()]
                ),
                ("Deploy US".to_owned(), vec!["Prod gate".to_owned()]),
                ("Verify".to_owned(), vec!["Loose".to_owned()]),
            ]
        );
        assert_eq!(tree.stages[3].steps[0].message.as_deref(), Some("boom"));
        assert!(tree.stages[1].steps[0].started.is_some());
        assert_eq!(
            tree.gates,
            vec![WaitingGate {
                instance_id: "inst-us".into(),
                stage: "Deploy US".into(),
                step: "Prod gate".into(),
                environment: Some("prod_us".into()),
                callback_id: None,
                ui_stage: Some("s-us".into()),
                ui_step: "g-us-1".into(),
            }]
        );
    }

    #[test]
    fn strategy_children_are_stages() {
        let s = summary(
            r#"{"planExecutionId":"p","startingNodeId":"m",
              "layoutNodeMap":{
                "m":{"nodeType":"MATRIX","nodeGroup":"STRATEGY","name":"deploy",
                     "edgeLayoutList":{"currentNodeChildren":["m0","m1"],"nextIds":[]}},
                "m0":{"nodeType":"Deployment","nodeGroup":"STAGE","name":"deploy_0","edgeLayoutList":{}},
                "m1":{"nodeType":"Deployment","nodeGroup":"STAGE","name":"deploy_1"}}}"#,
        );
        let names: Vec<String> = build(&s, None).stages.into_iter().map(|s| s.name).collect();
        assert_eq!(names, vec!["deploy_0", "deploy_1"]);
    }

    #[test]
    fn cycles_and_dangling_ids_terminate() {
        let s = summary(
            r#"{"planExecutionId":"p","startingNodeId":"a",
              "layoutNodeMap":{
                "a":{"name":"A","edgeLayoutList":{"nextIds":["b","nowhere"]}},
                "b":{"name":"B","edgeLayoutList":{"nextIds":["a"]}}}}"#,
        );
        let graph: ExecutionGraph = serde_json::from_str(
            r#"{"rootNodeId":"x","nodeMap":{"y":{"name":"Y","stepType":"Http","baseFqn":"pipeline.stages.a"}},
                "nodeAdjacencyListMap":{"x":{"children":["y"]},"y":{"nextIds":["x","y","ghost"]}}}"#,
        )
        .unwrap();
        let tree = build(&s, Some(&graph));
        assert_eq!(tree.stages.len(), 2);
        // "y" has no stage by nesting and its fqn names an identifier no stage has.
        assert!(tree.stages.iter().all(|s| s.steps.is_empty()));
    }

    #[test]
    fn long_chains_do_not_overflow_the_stack() {
        let n = 50_000;
        let mut nodes = serde_json::Map::new();
        for i in 0..n {
            nodes.insert(
                format!("s{i}"),
                serde_json::json!({"name": format!("S{i}"), "edgeLayoutList": {"nextIds": [format!("s{}", i + 1)]}}),
            );
        }
        let s: ExecutionSummary = serde_json::from_value(serde_json::json!({
            "planExecutionId": "p", "startingNodeId": "s0", "layoutNodeMap": nodes
        }))
        .unwrap();
        assert_eq!(ordered_stages(&s).len(), NODE_BUDGET);
    }

    #[test]
    fn without_a_starting_node_stages_sort_by_start_time() {
        let s = summary(
            r#"{"planExecutionId":"p","layoutNodeMap":{
                "b":{"name":"Second","startTs":2},
                "a":{"name":"First","startTs":1},
                "p":{"nodeType":"parallel"},
                "c":{"name":"Pending"}}}"#,
        );
        let names: Vec<String> = build(&s, None).stages.into_iter().map(|s| s.name).collect();
        assert_eq!(names, vec!["First", "Second", "Pending"]);
    }

    #[test]
    fn pipeline_environment_reads_env_identifiers() {
        let s = summary(
            r#"{"planExecutionId":"p","moduleInfo":{"cd":{"envIdentifiers":["prod","dr"]}}}"#,
        );
        assert_eq!(pipeline_environment(&s).as_deref(), Some("prod, dr"));
        let s = summary(r#"{"planExecutionId":"p","moduleInfo":{"cd":{}}}"#);
        assert_eq!(pipeline_environment(&s), None);
    }
}
