//! Pipeline YAML as Harness stores it, the runtime-input template derived from it, and the
//! runtime-input YAML a client sends back to execute.
//!
//! Runtime inputs use Harness's expression syntax: `<+input>`, optionally followed by
//! `.default(x)` and `.allowedValues(a,b,c)`.

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};

use serde_norway::{Mapping, Value as Y};

use super::errors::ApiError;
use crate::world::{
    ApprovalSpec, Ms, Pipeline, Stage, StageKind, Step, StepKind, VarKind, VarValue, Variable,
};

const INPUT: &str = "<+input>";

fn map(pairs: Vec<(&str, Y)>) -> Y {
    let mut m = Mapping::new();
    for (k, v) in pairs {
        m.insert(Y::String(k.to_string()), v);
    }
    Y::Mapping(m)
}

fn s(v: &str) -> Y {
    Y::String(v.to_string())
}

fn seq(items: Vec<Y>) -> Y {
    Y::Sequence(items)
}

/// `<+input>`, `<+input>.default(x)`, `<+input>.allowedValues(a,b)` or both.
pub(crate) fn runtime_expr(default: Option<&str>, allowed: &[String]) -> String {
    let mut e = INPUT.to_string();
    if let Some(d) = default {
        e.push_str(&format!(".default({d})"));
    }
    if !allowed.is_empty() {
        e.push_str(&format!(".allowedValues({})", allowed.join(",")));
    }
    e
}

/// If `text` is a runtime-input expression, the default it carries (if any).
fn expr_default(text: &str) -> Option<Option<String>> {
    let rest = text.trim().strip_prefix(INPUT)?;
    let default = rest.find(".default(").and_then(|i| {
        let after = &rest[i + ".default(".len()..];
        after.find(')').map(|end| after[..end].to_string())
    });
    Some(default)
}

/// Harness timeouts: `30m`, `4h`, `1d`.
pub(crate) fn duration_text(ms: Ms) -> String {
    const MIN: Ms = 60_000;
    match ms {
        _ if ms > 0 && ms % (24 * 60 * MIN) == 0 => format!("{}d", ms / (24 * 60 * MIN)),
        _ if ms > 0 && ms % (60 * MIN) == 0 => format!("{}h", ms / (60 * MIN)),
        _ if ms > 0 && ms % MIN == 0 => format!("{}m", ms / MIN),
        _ => format!("{}s", ms / 1000),
    }
}

pub(crate) fn stage_type(kind: StageKind) -> &'static str {
    match kind {
        StageKind::Build => "CI",
        StageKind::Deployment => "Deployment",
        StageKind::Approval => "Approval",
        StageKind::Custom => "Custom",
    }
}

pub(crate) fn step_type(kind: &StepKind) -> &'static str {
    match kind {
        StepKind::Build | StepKind::Test => "Run",
        StepKind::Script => "ShellScript",
        StepKind::Deploy => "K8sRollingDeploy",
        StepKind::HttpCheck => "Http",
        StepKind::Approval(_) => "HarnessApproval",
    }
}

fn var_type(kind: VarKind) -> &'static str {
    match kind {
        VarKind::String => "String",
        VarKind::Number => "Number",
        VarKind::Secret => "Secret",
    }
}

pub(crate) fn approval_spec_yaml(a: &ApprovalSpec) -> Y {
    let mut pairs = vec![
        ("approvalMessage", s(&a.message)),
        (
            "includePipelineExecutionHistory",
            Y::Bool(a.include_history),
        ),
        (
            "approvers",
            map(vec![
                (
                    "userGroups",
                    seq(a.user_groups.iter().map(|g| s(g)).collect()),
                ),
                ("minimumCount", Y::Number(a.min_count.into())),
                ("disallowPipelineExecutor", Y::Bool(a.disallow_executor)),
            ]),
        ),
        (
            "approverInputs",
            seq(a
                .inputs
                .iter()
                .map(|(n, d)| map(vec![("name", s(n)), ("defaultValue", s(d))]))
                .collect()),
        ),
        ("isAutoRejectEnabled", Y::Bool(a.auto_reject)),
    ];
    if let Some(cb) = &a.callback_id {
        pairs.push(("callbackId", s(cb)));
    }
    map(pairs)
}

fn step_spec(step: &Step, stage: &Stage) -> Y {
    let host = stage
        .service
        .clone()
        .unwrap_or_else(|| step.id.replace('_', "-"));
    match &step.kind {
        StepKind::Build | StepKind::Test => map(vec![
            ("connectorRef", s("account.dockerhub")),
            ("image", s("cimg/base:2026.01")),
            ("shell", s("Sh")),
            ("command", s(&format!("./ci/{}.sh", step.id))),
        ]),
        StepKind::Script => map(vec![
            ("shell", s("Bash")),
            ("onDelegate", Y::Bool(true)),
            (
                "source",
                map(vec![
                    ("type", s("Inline")),
                    (
                        "spec",
                        map(vec![("script", s(&format!("./scripts/{}.sh", step.id)))]),
                    ),
                ]),
            ),
            ("environmentVariables", seq(Vec::new())),
            ("outputVariables", seq(Vec::new())),
        ]),
        StepKind::Deploy => map(vec![
            ("skipDryRun", Y::Bool(false)),
            ("pruningEnabled", Y::Bool(false)),
        ]),
        StepKind::HttpCheck => map(vec![
            (
                "url",
                s(&format!("https://{host}.internal.example.com/healthz")),
            ),
            ("method", s("GET")),
            ("headers", seq(Vec::new())),
            ("outputVariables", seq(Vec::new())),
            ("assertion", s("<+httpResponseCode> == 200")),
        ]),
        StepKind::Approval(a) => approval_spec_yaml(a),
    }
}

fn stage_yaml(stage: &Stage) -> Y {
    let steps = seq(stage
        .steps
        .iter()
        .map(|step| {
            map(vec![(
                "step",
                map(vec![
                    ("type", s(step_type(&step.kind))),
                    ("name", s(&step.name)),
                    ("identifier", s(&step.id)),
                    ("spec", step_spec(step, stage)),
                    ("timeout", s(&duration_text(step.timeout_ms))),
                ]),
            )])
        })
        .collect());
    let spec = match stage.kind {
        StageKind::Build => map(vec![
            ("cloneCodebase", Y::Bool(false)),
            (
                "platform",
                map(vec![("os", s("Linux")), ("arch", s("Amd64"))]),
            ),
            (
                "runtime",
                map(vec![("type", s("Cloud")), ("spec", map(Vec::new()))]),
            ),
            ("execution", map(vec![("steps", steps)])),
        ]),
        StageKind::Deployment => {
            let env = stage.environment.as_deref().unwrap_or("prod");
            map(vec![
                ("deploymentType", s("Kubernetes")),
                (
                    "service",
                    map(vec![(
                        "serviceRef",
                        s(stage.service.as_deref().unwrap_or("service")),
                    )]),
                ),
                (
                    "environment",
                    map(vec![
                        ("environmentRef", s(env)),
                        ("deployToAll", Y::Bool(false)),
                        (
                            "infrastructureDefinitions",
                            seq(vec![map(vec![("identifier", s(&format!("k8s_{env}")))])]),
                        ),
                    ]),
                ),
                (
                    "execution",
                    map(vec![("steps", steps), ("rollbackSteps", seq(Vec::new()))]),
                ),
            ])
        }
        StageKind::Approval | StageKind::Custom => {
            map(vec![("execution", map(vec![("steps", steps)]))])
        }
    };
    map(vec![(
        "stage",
        map(vec![
            ("name", s(&stage.name)),
            ("identifier", s(&stage.id)),
            ("type", s(stage_type(stage.kind))),
            ("spec", spec),
        ]),
    )])
}

fn variable_yaml(v: &Variable, runtime_only: bool) -> Y {
    let value = match &v.value {
        VarValue::Fixed(x) => x.clone(),
        VarValue::Runtime { default, allowed } => runtime_expr(default.as_deref(), allowed),
    };
    let mut pairs = vec![("name", s(&v.name)), ("type", s(var_type(v.kind)))];
    if !runtime_only {
        pairs.push(("description", s(&v.description)));
        pairs.push((
            "required",
            Y::Bool(matches!(&v.value, VarValue::Runtime { default: None, .. })),
        ));
    }
    pairs.push(("value", s(&value)));
    map(pairs)
}

fn to_text(y: &Y) -> String {
    serde_norway::to_string(y).unwrap_or_default()
}

/// The pipeline's YAML, as `yamlPipeline` / `pipeline_yaml` return it.
pub(crate) fn pipeline_yaml(p: &Pipeline, org: &str) -> String {
    let mut stages = Vec::new();
    for wave in p.waves() {
        let mut items: Vec<Y> = wave.iter().map(|&i| stage_yaml(&p.stages[i])).collect();
        if items.len() == 1 {
            stages.append(&mut items);
        } else {
            stages.push(map(vec![("parallel", seq(items))]));
        }
    }
    let tags = Y::Mapping(
        p.tags
            .iter()
            .map(|(k, v)| (s(k), s(v)))
            .collect::<Mapping>(),
    );
    let mut pairs = vec![
        ("name", s(&p.name)),
        ("identifier", s(&p.id)),
        ("projectIdentifier", s(&p.project)),
        ("orgIdentifier", s(org)),
        ("description", s(&p.description)),
        ("tags", tags),
        ("stages", seq(stages)),
    ];
    if !p.variables.is_empty() {
        pairs.push((
            "variables",
            seq(p
                .variables
                .iter()
                .map(|v| variable_yaml(v, false))
                .collect()),
        ));
    }
    to_text(&map(vec![("pipeline", map(pairs))]))
}

/// The runtime-input template: the pipeline reduced to its `<+input>` fields. A pipeline with
/// no runtime inputs gets an empty string.
pub(crate) fn template_yaml(p: &Pipeline) -> String {
    let vars: Vec<Y> = p
        .runtime_variables()
        .map(|v| variable_yaml(v, true))
        .collect();
    if vars.is_empty() {
        return String::new();
    }
    to_text(&map(vec![(
        "pipeline",
        map(vec![("identifier", s(&p.id)), ("variables", seq(vars))]),
    )]))
}

/// Reads the runtime-input YAML of an execute call: variable name to its value, or to `None`
/// where the value is left as a runtime input (its `.default(...)` counts as a value).
pub(crate) fn parse_inputs(
    body: &[u8],
    p: &Pipeline,
) -> Result<BTreeMap<String, Option<String>>, ApiError> {
    let invalid = |m: String| ApiError::Invalid(format!("Invalid yaml: {m}"));
    let text =
        std::str::from_utf8(body).map_err(|_| invalid("the body is not UTF-8 text".to_string()))?;
    if text.trim().is_empty() {
        return Ok(BTreeMap::new());
    }
    // The parser guards against deep nesting and alias bombs; the unwind guard is a last line
    // of defence so no request body can take the server task down.
    let parsed = catch_unwind(AssertUnwindSafe(|| serde_norway::from_str::<Y>(text)))
        .map_err(|_| invalid("the document could not be parsed".to_string()))?
        .map_err(|e| invalid(e.to_string()))?;
    if parsed.is_null() {
        return Ok(BTreeMap::new());
    }
    let Some(root) = parsed.get("pipeline").filter(|r| r.is_mapping()) else {
        return Err(invalid(
            "the runtime input yaml must have a top-level 'pipeline' field".to_string(),
        ));
    };
    if let Some(id) = root.get("identifier").and_then(Y::as_str)
        && id != p.id
    {
        return Err(ApiError::Invalid(format!(
            "Pipeline identifier [{id}] in the runtime input yaml does not match the pipeline being executed [{}]",
            p.id
        )));
    }
    let mut given = BTreeMap::new();
    let items = match root.get("variables") {
        None | Some(Y::Null) => return Ok(given),
        Some(Y::Sequence(items)) => items,
        Some(_) => return Err(invalid("pipeline.variables must be a list".to_string())),
    };
    for item in items {
        let Some(name) = item.get("name").and_then(Y::as_str) else {
            return Err(invalid(
                "every entry of pipeline.variables needs a name".to_string(),
            ));
        };
        let value = match item.get("value") {
            None | Some(Y::Null) => None,
            Some(Y::String(v)) => match expr_default(v) {
                Some(default) => default,
                None => Some(v.clone()),
            },
            Some(Y::Number(n)) => Some(n.to_string()),
            Some(Y::Bool(b)) => Some(b.to_string()),
            Some(_) => {
                return Err(invalid(format!(
                    "the value of pipeline.variables.{name} must be a string or a number"
                )));
            }
        };
        given.insert(name.to_string(), value);
    }
    Ok(given)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressions() {
        assert_eq!(runtime_expr(None, &[]), "<+input>");
        let allowed = vec!["a".to_string(), "b".to_string()];
        assert_eq!(
            runtime_expr(Some("a"), &allowed),
            "<+input>.default(a).allowedValues(a,b)"
        );
        assert_eq!(expr_default("<+input>"), Some(None));
        assert_eq!(
            expr_default("<+input>.default(x).allowedValues(x,y)"),
            Some(Some("x".to_string()))
        );
        assert_eq!(expr_default("1.2.3"), None);
        assert_eq!(duration_text(3_600_000), "1h");
        assert_eq!(duration_text(30 * 60_000), "30m");
        assert_eq!(duration_text(86_400_000), "1d");
    }
}
