//! The orchestration graph of one execution (`executionGraph`, spec 2.9): a node per node
//! execution that has started, `children` for nesting (pipeline, stages, stage, step section,
//! steps) and `nextIds` for sequence. Approval steps carry their approval instance id in
//! `executableResponses[0].async.callbackIds[0]`, which is where clients look for it.

use serde_json::{Map, Value, json};

use super::render::{combined, status_name};
use super::yaml::{approval_spec_yaml, duration_text, step_type};
use crate::world::{Execution, Ms, Pipeline, RunStatus, StageKind, StepKind, World};

/// The fields of an ExecutionNode; the DTO has no NON_NULL, so absent values are nulls.
struct Node<'a> {
    uuid: &'a str,
    setup_id: &'a str,
    name: &'a str,
    identifier: &'a str,
    base_fqn: String,
    step_type: &'a str,
    status: RunStatus,
    start: Option<Ms>,
    end: Option<Ms>,
}

impl Node<'_> {
    fn json(&self) -> Value {
        json!({
            "uuid": self.uuid,
            "setupId": self.setup_id,
            "name": self.name,
            "identifier": self.identifier,
            "baseFqn": self.base_fqn,
            "outcomes": {},
            "stepParameters": {},
            "startTs": self.start,
            "endTs": self.end,
            "stepType": self.step_type,
            "status": status_name(self.status),
            "failureInfo": {"message": "", "failureTypeList": [], "responseMessages": []},
            "skipInfo": null,
            "nodeRunInfo": null,
            "executableResponses": [],
            "unitProgresses": [],
            "progressData": null,
            "delegateInfoList": [],
            "interruptHistories": [],
            "stepDetails": null,
            "strategyMetadata": null,
            "executionInputConfigured": false,
            "logBaseKey": null,
        })
    }
}

fn stage_step_type(kind: StageKind) -> &'static str {
    match kind {
        StageKind::Build => "IntegrationStageStepPMS",
        StageKind::Deployment => "DEPLOYMENT_STAGE_STEP",
        StageKind::Approval => "APPROVAL_STAGE",
        StageKind::Custom => "CUSTOM_STAGE",
    }
}

#[derive(Default)]
struct Graph {
    nodes: Map<String, Value>,
    edges: Map<String, Value>,
    /// For the steps' log keys (`logs.rs`): account, org and the time the graph shows.
    account: String,
    org: String,
    now: Ms,
}

impl Graph {
    fn add(&mut self, id: &str, node: Value, children: Vec<String>, next: Vec<String>) {
        self.nodes.insert(id.to_string(), node);
        self.edges.insert(
            id.to_string(),
            json!({"children": children, "nextIds": next}),
        );
    }

    /// A stage with its step section and the steps that have started. Returns false if the
    /// stage has not started (it then has no node execution yet).
    fn stage(&mut self, p: &Pipeline, e: &Execution, si: usize, next: Vec<String>) -> bool {
        let (Some(def), Some(run)) = (p.stages.get(si), e.stages.get(si)) else {
            return false;
        };
        if run.start_ms.is_none() {
            return false;
        }
        let fqn = format!("pipeline.stages.{}", def.id);
        let stage = Node {
            uuid: &run.node_id,
            setup_id: &def.setup_id,
            name: &def.name,
            identifier: &def.id,
            base_fqn: fqn.clone(),
            step_type: stage_step_type(def.kind),
            status: run.status,
            start: run.start_ms,
            end: run.end_ms,
        };
        self.add(
            &run.node_id,
            stage.json(),
            vec![run.section_id.clone()],
            next,
        );
        let started: Vec<usize> = (0..run.steps.len())
            .filter(|&i| run.steps[i].start_ms.is_some())
            .collect();
        let section = Node {
            uuid: &run.section_id,
            setup_id: &run.section_id,
            name: "Execution",
            identifier: "execution",
            base_fqn: format!("{fqn}.spec.execution"),
            step_type: "NG_EXECUTION",
            status: run.status,
            start: run.start_ms,
            end: run.end_ms,
        };
        let first = started.first().map(|&i| run.steps[i].node_id.clone());
        self.add(
            &run.section_id,
            section.json(),
            first.into_iter().collect(),
            Vec::new(),
        );
        for (k, &ti) in started.iter().enumerate() {
            let (step_def, step) = (&def.steps[ti], &run.steps[ti]);
            let mut node = Node {
                uuid: &step.node_id,
                setup_id: &step_def.setup_id,
                name: &step_def.name,
                identifier: &step_def.id,
                base_fqn: format!("{fqn}.spec.execution.steps.{}", step_def.id),
                step_type: step_type(&step_def.kind),
                status: step.status,
                start: step.start_ms,
                end: step.end_ms,
            }
            .json();
            let mut params = json!({
                "identifier": step_def.id,
                "name": step_def.name,
                "timeout": duration_text(step_def.timeout_ms),
                "type": step_type(&step_def.kind),
            });
            if let StepKind::Approval(spec) = &step_def.kind {
                params["spec"] =
                    serde_json::to_value(approval_spec_yaml(spec)).unwrap_or(Value::Null);
                if let Some(id) = &step.approval {
                    node["executableResponses"] = json!([{
                        "async": {"callbackIds": [id], "logKeys": [], "units": [], "timeout": 0}
                    }]);
                }
            }
            if let Some(logs) =
                super::logs::node_logs(self.now, &self.account, &self.org, p, e, (si, ti))
            {
                node["logBaseKey"] = json!(logs.base_key);
                node["unitProgresses"] = json!(logs.progresses);
                match node["executableResponses"]
                    .get_mut(0)
                    .and_then(|r| r.get_mut("async"))
                {
                    // An approval's entry already holds its callback id.
                    Some(entry) => entry["logKeys"] = json!(logs.log_keys),
                    None => {
                        node["executableResponses"] = json!([{
                            logs.executable: {
                                "logKeys": logs.log_keys,
                                "units": logs.units,
                            }
                        }]);
                    }
                }
            }
            if step.status == RunStatus::Failed {
                node["failureInfo"] = json!({
                    "message": step_def.failure,
                    "failureTypeList": ["APPLICATION_FAILURE"],
                    "responseMessages": [{
                        "code": "GENERAL_ERROR", "level": "ERROR", "message": step_def.failure,
                        "exception": null, "failureTypes": ["APPLICATION_FAILURE"],
                    }],
                });
            }
            node["stepParameters"] = params;
            let next = started.get(k + 1).map(|&i| run.steps[i].node_id.clone());
            self.add(&step.node_id, node, Vec::new(), next.into_iter().collect());
        }
        true
    }
}

/// Which part of an execution a graph shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scope {
    Whole,
    /// One stage, by index. A stage that has not started has no nodes yet.
    Stage(usize),
    /// A stage node id that matches no stage: an empty graph.
    Nothing,
}

pub(crate) fn execution_graph(
    w: &World,
    account: &str,
    org: &str,
    e: &Execution,
    scope: Scope,
) -> Value {
    let mut g = Graph {
        account: account.to_string(),
        org: org.to_string(),
        now: w.now(),
        ..Graph::default()
    };
    let root = match (w.pipeline(&e.project, &e.pipeline), scope) {
        (Some(p), Scope::Stage(si)) => g
            .stage(p, e, si, Vec::new())
            .then(|| e.stages[si].node_id.clone()),
        (Some(p), Scope::Whole) => {
            whole(&mut g, p, e);
            Some(e.root_id.clone())
        }
        _ => None,
    };
    json!({
        "rootNodeId": root,
        "representationStrategy": "camelCase",
        "executionMetadata": {
            "accountId": account,
            "orgIdentifier": org,
            "projectIdentifier": e.project,
            "planExecutionId": e.id,
        },
        "nodeMap": g.nodes,
        "nodeAdjacencyListMap": g.edges,
    })
}

fn whole(g: &mut Graph, p: &Pipeline, e: &Execution) {
    let waves = p.waves();
    // Each started wave and the node standing for it: the stage itself, or a fork for parallel
    // stages.
    let started: Vec<(usize, String)> = waves
        .iter()
        .enumerate()
        .filter(|(_, wave)| {
            wave.iter()
                .any(|&i| e.stages.get(i).is_some_and(|s| s.start_ms.is_some()))
        })
        .map(|(wi, wave)| match wave.as_slice() {
            [single] => (wi, e.stages[*single].node_id.clone()),
            _ => (wi, e.wave_ids.get(wi).cloned().unwrap_or_default()),
        })
        .collect();
    let pipeline = Node {
        uuid: &e.root_id,
        setup_id: &p.setup_id,
        name: &p.name,
        identifier: &p.id,
        base_fqn: "pipeline".to_string(),
        step_type: "PIPELINE_SECTION",
        status: e.status,
        start: Some(e.start_ms),
        end: e.end_ms,
    };
    g.add(
        &e.root_id,
        pipeline.json(),
        vec![e.stages_id.clone()],
        Vec::new(),
    );
    let stages = Node {
        uuid: &e.stages_id,
        setup_id: &e.stages_id,
        name: "stages",
        identifier: "stages",
        base_fqn: "pipeline.stages".to_string(),
        step_type: "STAGES_STEP",
        status: e.status,
        start: Some(e.start_ms),
        end: e.end_ms,
    };
    let first = started.first().map(|(_, head)| head.clone());
    g.add(
        &e.stages_id,
        stages.json(),
        first.into_iter().collect(),
        Vec::new(),
    );
    for (k, (wi, head)) in started.iter().enumerate() {
        let next: Vec<String> = started
            .get(k + 1)
            .map(|(_, h)| h.clone())
            .into_iter()
            .collect();
        let wave = &waves[*wi];
        if let [single] = wave.as_slice() {
            g.stage(p, e, *single, next);
            continue;
        }
        let mut children = Vec::new();
        for &si in wave {
            if g.stage(p, e, si, Vec::new()) {
                children.push(e.stages[si].node_id.clone());
            }
        }
        let statuses: Vec<RunStatus> = wave.iter().map(|&i| e.stages[i].status).collect();
        let status = combined(&statuses);
        let start = wave.iter().filter_map(|&i| e.stages[i].start_ms).min();
        let end = statuses
            .iter()
            .all(|s| s.is_terminal())
            .then(|| wave.iter().filter_map(|&i| e.stages[i].end_ms).max())
            .flatten();
        let fork = Node {
            uuid: head,
            setup_id: head,
            name: "parallel",
            identifier: &format!("parallel{head}"),
            base_fqn: "pipeline.stages".to_string(),
            step_type: "NG_FORK",
            status,
            start,
            end,
        }
        .json();
        g.add(head, fork, children, next);
    }
}
