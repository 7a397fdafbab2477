//! How a workflow's templates unfold: the nodes it will have and their shape (a Steps template's
//! groups, a DAG's tasks, or one lone container or suspend), and the world pipeline that runs
//! them. Each step or task becomes one world stage holding one step, so the world's clock,
//! gates and failures drive the nodes; a Steps group or a DAG depth level becomes one wave of
//! parallel stages.
//!
//! What is understood (anything else is refused with a 400 naming it):
//! - the entry template is `steps`, `dag`, `container`, `script` or `suspend`;
//! - steps and tasks call `container`/`script` templates (pods, optionally with a
//!   `retryStrategy`) or `suspend` templates (gates) by `template` name;
//! - `when` compares a gate's output parameter with a literal:
//!   `{{steps.<step>.outputs.parameters.<name>}} == <value>` (or `tasks.`);
//! - DAG `dependencies`, or `depends` joined by `&&`. A task waits for its whole depth level,
//!   not only its own dependencies, a simplification of the real scheduler.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::world::{
    ApprovalSpec, AutoTrigger, Guard, Ms, Pipeline, Stage, StageKind, Step, StepKind, VarKind,
    VarValue, Variable,
};

/// A suspend node waits for people; the real controller has no deadline unless the template
/// sets a `duration`, which the simulator does not model.
const SUSPEND_TIMEOUT: Ms = 365 * 24 * 60 * 60 * 1000;
/// A `retryStrategy` without a limit retries forever on a real server; here three times.
const UNLIMITED_RETRIES: u32 = 3;
/// The world group every simulated person belongs to: anyone allowed to resume may decide.
const EVERYONE: &str = "_project_all_users";

/// The shape of the entry template.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shape {
    Steps,
    Dag,
    /// The entry template is itself a pod or a suspend: the workflow is one node.
    Single,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LeafKind {
    Pod,
    Suspend,
}

/// One step or task: a node of the workflow, and a stage of the world pipeline.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Leaf {
    /// The step or task name (the node's display name).
    pub(crate) name: String,
    pub(crate) template: String,
    pub(crate) kind: LeafKind,
    /// Steps: the group index; DAG: the dependency depth.
    pub(crate) group: usize,
    /// DAG: the leaves this task depends on.
    pub(crate) depends: Vec<usize>,
    /// The `when` expression as written, for the skipped node's message.
    pub(crate) when: Option<String>,
    /// Has a `retryStrategy`: a Retry node wraps one pod node per run.
    pub(crate) retry: bool,
    /// The template's `inputs.parameters` and `outputs.parameters` (a gate shows them).
    pub(crate) inputs: Vec<Value>,
    pub(crate) outputs: Vec<Value>,
    /// Log lines a run of this pod prints (`{{workflow.parameters.x}}` is filled in).
    pub(crate) log: Vec<String>,
}

/// Where a workflow's templates come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Origin {
    Template(String),
    ClusterTemplate(String),
    /// Templates inside the workflow's own spec.
    Inline,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Plan {
    pub(crate) entry: String,
    pub(crate) shape: Shape,
    /// In world stage order.
    pub(crate) leaves: Vec<Leaf>,
    pub(crate) origin: Origin,
}

/// How long a pod template runs and how it fails, chosen by whoever compiles.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Timing {
    pub(crate) secs: (i64, i64),
    pub(crate) fail: f64,
    pub(crate) failure: String,
    pub(crate) log: Vec<String>,
}

impl Default for Timing {
    fn default() -> Timing {
        Timing {
            secs: (5, 20),
            fail: 0.0,
            failure: "Error (exit code 1)".to_string(),
            log: Vec::new(),
        }
    }
}

/// The timing of each pod template, by template name; any other template runs with
/// [`Timing::default`].
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Timings(BTreeMap<String, Timing>);

impl Timings {
    pub(crate) fn new(by_name: Vec<(&str, Timing)>) -> Timings {
        Timings(
            by_name
                .into_iter()
                .map(|(name, t)| (name.to_string(), t))
                .collect(),
        )
    }

    /// How the pod template `template` runs.
    pub(crate) fn of(&self, template: &str) -> Timing {
        self.0.get(template).cloned().unwrap_or_default()
    }
}

/// A compiled spec: the plan, and the world stages and variables it runs as.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Compiled {
    pub(crate) plan: Plan,
    pub(crate) stages: Vec<Stage>,
    pub(crate) variables: Vec<Variable>,
}

impl Compiled {
    /// The world pipeline `id` of namespace `ns` that runs this plan; `name` is what the
    /// world names its runs after (`<name>-xxxxx`).
    pub(crate) fn into_pipeline(
        self,
        ns: &str,
        id: &str,
        name: &str,
        created: Ms,
        auto: Option<AutoTrigger>,
    ) -> (Pipeline, Plan) {
        let pipeline = Pipeline {
            project: ns.to_string(),
            id: id.to_string(),
            name: name.to_string(),
            description: String::new(),
            tags: Vec::new(),
            setup_id: format!("{ns}/{id}"),
            created_ms: created,
            updated_ms: created,
            version: 1,
            stages: self.stages,
            variables: self.variables,
            auto,
            next_run: 1,
            next_auto_ms: None,
            runs: Default::default(),
        };
        (pipeline, self.plan)
    }
}

/// Compiles a WorkflowSpec (`entrypoint`, `templates`, `arguments`). `entry` overrides the
/// spec's entrypoint; `timing` gives each pod template's run time.
pub(crate) fn compile(
    spec: &Value,
    entry: Option<&str>,
    origin: Origin,
    timing: &dyn Fn(&str) -> Timing,
) -> Result<Compiled, String> {
    let entry = entry
        .filter(|e| !e.is_empty())
        .or_else(|| spec["entrypoint"].as_str().filter(|e| !e.is_empty()))
        .ok_or("spec.entrypoint is required")?
        .to_string();
    let templates = spec["templates"].as_array().cloned().unwrap_or_default();
    let find = |name: &str| templates.iter().find(|t| t["name"] == name);
    let root = find(&entry).ok_or(format!("spec.entrypoint template '{entry}' undefined"))?;
    let (shape, calls) = if let Some(groups) = root["steps"].as_array() {
        (Shape::Steps, steps_calls(&entry, groups)?)
    } else if root["dag"].is_object() {
        (Shape::Dag, dag_calls(&entry, &root["dag"])?)
    } else {
        let call = Call {
            name: entry.clone(),
            template: entry.clone(),
            group: 0,
            depends: Vec::new(),
            when: None,
        };
        (Shape::Single, vec![call])
    };
    let mut leaves = Vec::with_capacity(calls.len());
    for call in calls {
        let t = find(&call.template).ok_or(format!(
            "templates.{entry}.{} template '{}' undefined",
            call.name, call.template
        ))?;
        let kind = if t["suspend"].is_object() {
            LeafKind::Suspend
        } else if t["container"].is_object() || t["script"].is_object() {
            LeafKind::Pod
        } else {
            return Err(format!(
                "template '{}' is not a container, script or suspend template, the only \
                 kinds a step or task may call in the simulator",
                call.template
            ));
        };
        let params = |key: &str| t[key]["parameters"].as_array().cloned().unwrap_or_default();
        leaves.push(Leaf {
            name: call.name,
            template: call.template.clone(),
            kind,
            group: call.group,
            depends: call.depends,
            when: call.when,
            retry: t["retryStrategy"].is_object(),
            inputs: params("inputs"),
            outputs: params("outputs"),
            log: timing(&call.template).log,
        });
    }
    let mut stages = Vec::with_capacity(leaves.len());
    for (i, leaf) in leaves.iter().enumerate() {
        let t = find(&leaf.template).cloned().unwrap_or_default();
        let parallel = i > 0 && leaves[i - 1].group == leaf.group;
        stages.push(stage(leaf, &t, parallel, &timing(&leaf.template))?);
    }
    Ok(Compiled {
        plan: Plan {
            entry,
            shape,
            leaves,
            origin,
        },
        stages,
        variables: variables(spec),
    })
}

/// A step or task before its template is looked at.
struct Call {
    name: String,
    template: String,
    group: usize,
    depends: Vec<usize>,
    when: Option<String>,
}

fn call_of(entry: &str, where_: &str, s: &Value) -> Result<(String, String), String> {
    let name = s["name"].as_str().unwrap_or_default().to_string();
    if name.is_empty() {
        return Err(format!("templates.{entry}.{where_}.name is required"));
    }
    let template = s["template"].as_str().unwrap_or_default().to_string();
    if template.is_empty() {
        return Err(format!(
            "templates.{entry}.{where_}.{name} must call a template by name (templateRef and \
             inline templates are not simulated)"
        ));
    }
    Ok((name, template))
}

fn when_of(s: &Value) -> Option<String> {
    s["when"]
        .as_str()
        .filter(|w| !w.is_empty())
        .map(str::to_string)
}

fn steps_calls(entry: &str, groups: &[Value]) -> Result<Vec<Call>, String> {
    let mut calls = Vec::new();
    for (g, group) in groups.iter().enumerate() {
        for s in group.as_array().map(Vec::as_slice).unwrap_or_default() {
            let (name, template) = call_of(entry, &format!("steps[{g}]"), s)?;
            calls.push(Call {
                name,
                template,
                group: g,
                depends: Vec::new(),
                when: when_of(s),
            });
        }
    }
    Ok(calls)
}

/// A DAG's tasks in depth order (stable within a depth), with their dependencies resolved.
fn dag_calls(entry: &str, dag: &Value) -> Result<Vec<Call>, String> {
    let tasks = dag["tasks"].as_array().cloned().unwrap_or_default();
    let names: Vec<&str> = tasks
        .iter()
        .map(|t| t["name"].as_str().unwrap_or_default())
        .collect();
    let mut deps: Vec<Vec<usize>> = Vec::with_capacity(tasks.len());
    for (t, name) in tasks.iter().zip(&names) {
        let mut listed: Vec<String> = t["dependencies"]
            .as_array()
            .map(|d| {
                d.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        if let Some(expr) = t["depends"].as_str().filter(|d| !d.trim().is_empty()) {
            for term in expr.split("&&") {
                let term = term.trim().trim_start_matches('(').trim_end_matches(')');
                if term.contains("||") || term.contains('!') {
                    return Err(format!(
                        "templates.{entry}.tasks.{name}.depends '{expr}' is not simulated \
                         (only task names joined by &&)"
                    ));
                }
                let task = term.split('.').next().unwrap_or_default().trim();
                listed.push(task.to_string());
            }
        }
        let mut resolved = Vec::new();
        for d in listed {
            let i = names.iter().position(|n| *n == d).ok_or(format!(
                "templates.{entry}.tasks.{name} dependency '{d}' not defined"
            ))?;
            resolved.push(i);
        }
        deps.push(resolved);
    }
    let mut depth: Vec<Option<usize>> = vec![None; tasks.len()];
    for i in 0..tasks.len() {
        depth_of(i, &deps, &mut depth, &mut Vec::new()).map_err(|cycle| {
            format!(
                "templates.{entry} has a dependency cycle through task '{}'",
                names[cycle]
            )
        })?;
    }
    let mut order: Vec<usize> = (0..tasks.len()).collect();
    order.sort_by_key(|&i| (depth[i], i));
    let position = |i: usize| order.iter().position(|&o| o == i).unwrap_or(0);
    order
        .iter()
        .map(|&i| {
            let (name, template) = call_of(entry, "tasks", &tasks[i])?;
            Ok(Call {
                name,
                template,
                group: depth[i].unwrap_or(0),
                depends: deps[i].iter().map(|&d| position(d)).collect(),
                when: when_of(&tasks[i]),
            })
        })
        .collect()
}

/// Longest dependency chain below task `i`; `Err(i)` when `i` sits on a cycle.
fn depth_of(
    i: usize,
    deps: &[Vec<usize>],
    depth: &mut Vec<Option<usize>>,
    visiting: &mut Vec<usize>,
) -> Result<usize, usize> {
    if let Some(d) = depth[i] {
        return Ok(d);
    }
    if visiting.contains(&i) {
        return Err(i);
    }
    visiting.push(i);
    let mut d = 0;
    for &dep in &deps[i] {
        d = d.max(depth_of(dep, deps, depth, visiting)? + 1);
    }
    visiting.pop();
    depth[i] = Some(d);
    Ok(d)
}

/// `{{steps.approval.outputs.parameters.approve}} == YES` → input `approve` must be `YES`.
fn guard(when: &str) -> Result<Guard, String> {
    let unsupported = || {
        format!(
            "when '{when}' is not simulated (only \
             '{{{{steps.<step>.outputs.parameters.<name>}}}} == <value>')"
        )
    };
    let (lhs, rhs) = when.split_once("==").ok_or_else(unsupported)?;
    let reference = lhs
        .trim()
        .strip_prefix("{{")
        .and_then(|r| r.strip_suffix("}}"))
        .ok_or_else(unsupported)?;
    let parts: Vec<&str> = reference.trim().split('.').collect();
    let [scope, _, "outputs", "parameters", input] = parts.as_slice() else {
        return Err(unsupported());
    };
    if !matches!(*scope, "steps" | "tasks") {
        return Err(unsupported());
    }
    let equals = rhs.trim().trim_matches(|c| c == '\'' || c == '"');
    Ok(Guard {
        input: (*input).to_string(),
        equals: equals.to_string(),
    })
}

fn stage(leaf: &Leaf, template: &Value, parallel: bool, t: &Timing) -> Result<Stage, String> {
    let when = leaf.when.as_deref().map(guard).transpose()?;
    let (kind, stage_kind, secs) = match leaf.kind {
        LeafKind::Suspend => {
            let inputs = leaf
                .inputs
                .iter()
                .map(|p| {
                    let default = p["value"].as_str().or(p["default"].as_str());
                    (
                        p["name"].as_str().unwrap_or_default().to_string(),
                        default.unwrap_or_default().to_string(),
                    )
                })
                .collect();
            let message = leaf.inputs.iter().find_map(|p| p["description"].as_str());
            let spec = ApprovalSpec {
                message: message.unwrap_or_default().to_string(),
                user_groups: vec![EVERYONE.to_string()],
                min_count: 1,
                disallow_executor: false,
                inputs,
                timeout_ms: SUSPEND_TIMEOUT,
                callback_id: Some(leaf.name.clone()),
                auto_reject: false,
                include_history: false,
            };
            (StepKind::Approval(spec), StageKind::Approval, (0, 0))
        }
        LeafKind::Pod => (StepKind::Script, StageKind::Custom, t.secs),
    };
    let retries = match &template["retryStrategy"]["limit"] {
        Value::Number(n) => n.as_u64().map_or(0, |n| n.min(10) as u32),
        Value::String(s) => s.parse::<u32>().map_or(0, |n| n.min(10)),
        _ if leaf.retry => UNLIMITED_RETRIES,
        _ => 0,
    };
    Ok(Stage {
        id: leaf.name.clone(),
        name: leaf.name.clone(),
        kind: stage_kind,
        setup_id: leaf.template.clone(),
        parallel,
        environment: None,
        service: None,
        steps: vec![Step {
            id: leaf.name.clone(),
            name: leaf.name.clone(),
            kind,
            setup_id: leaf.template.clone(),
            duration: (secs.0 * 1000, secs.1 * 1000),
            fail_rate: t.fail,
            failure: t.failure.clone(),
            timeout_ms: SUSPEND_TIMEOUT,
            when,
            retries,
        }],
    })
}

/// The spec's `arguments.parameters` as start-time variables: `value` (or `default`) is the
/// default, `enum` the allowed values.
fn variables(spec: &Value) -> Vec<Variable> {
    let params = spec["arguments"]["parameters"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    params
        .iter()
        .map(|p| {
            let default = p["value"].as_str().or(p["default"].as_str());
            let allowed: Vec<String> = p["enum"]
                .as_array()
                .map(|e| {
                    e.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
            let samples = if allowed.is_empty() {
                default.map(str::to_string).into_iter().collect()
            } else {
                allowed.clone()
            };
            Variable {
                name: p["name"].as_str().unwrap_or_default().to_string(),
                kind: VarKind::String,
                description: p["description"].as_str().unwrap_or_default().to_string(),
                value: VarValue::Runtime {
                    default: default.map(str::to_string),
                    allowed,
                },
                samples,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(name: &str) -> Value {
        json!({"name": name, "container": {"image": "alpine"}})
    }

    #[test]
    fn steps_become_waves_and_guards() {
        let spec = json!({
            "entrypoint": "main",
            "arguments": {"parameters": [{"name": "env", "value": "prod", "enum": ["dev", "prod"]}]},
            "templates": [
                {"name": "main", "steps": [
                    [{"name": "a", "template": "pod"}, {"name": "b", "template": "pod"}],
                    [{"name": "gate", "template": "gate"}],
                    [{"name": "c", "template": "pod",
                      "when": "{{steps.gate.outputs.parameters.ok}} == 'YES'"}]]},
                pod("pod"),
                {"name": "gate", "suspend": {},
                 "inputs": {"parameters": [{"name": "ok", "default": "NO"}]},
                 "outputs": {"parameters": [{"name": "ok", "valueFrom": {"supplied": {}}}]}},
            ]
        });
        let c = compile(&spec, None, Origin::Inline, &|_| Timing::default()).unwrap();
        assert_eq!(c.plan.shape, Shape::Steps);
        let parallel: Vec<bool> = c.stages.iter().map(|s| s.parallel).collect();
        assert_eq!(parallel, [false, true, false, false]);
        let StepKind::Approval(spec) = &c.stages[2].steps[0].kind else {
            panic!("the gate is an approval");
        };
        assert_eq!(spec.inputs, [("ok".to_string(), "NO".to_string())]);
        let guard = c.stages[3].steps[0].when.clone().unwrap();
        assert_eq!((guard.input.as_str(), guard.equals.as_str()), ("ok", "YES"));
        assert_eq!(c.variables[0].name, "env");
    }

    #[test]
    fn dag_tasks_are_ordered_by_depth() {
        let spec = json!({
            "entrypoint": "main",
            "templates": [
                {"name": "main", "dag": {"tasks": [
                    {"name": "last", "template": "pod", "depends": "x && y"},
                    {"name": "x", "template": "pod", "dependencies": ["first"]},
                    {"name": "y", "template": "pod", "dependencies": ["first"]},
                    {"name": "first", "template": "pod"}]}},
                pod("pod"),
            ]
        });
        let c = compile(&spec, None, Origin::Inline, &|_| Timing::default()).unwrap();
        let names: Vec<&str> = c.plan.leaves.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(names, ["first", "x", "y", "last"]);
        assert_eq!(c.plan.leaves[3].depends, [1, 2]);
        assert!(c.stages[2].parallel && !c.stages[3].parallel);
    }

    #[test]
    fn refusals_name_the_problem() {
        let bad = |spec: Value| compile(&spec, None, Origin::Inline, &|_| Timing::default());
        assert_eq!(
            bad(json!({"templates": []})).unwrap_err(),
            "spec.entrypoint is required"
        );
        assert_eq!(
            bad(json!({"entrypoint": "x", "templates": []})).unwrap_err(),
            "spec.entrypoint template 'x' undefined"
        );
        let cycle = json!({"entrypoint": "m", "templates": [
            {"name": "m", "dag": {"tasks": [
                {"name": "a", "template": "p", "dependencies": ["b"]},
                {"name": "b", "template": "p", "dependencies": ["a"]}]}},
            pod("p")]});
        assert!(bad(cycle).unwrap_err().contains("dependency cycle"));
    }
}
