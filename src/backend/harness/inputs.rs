//! Runtime inputs of a Harness pipeline (spec 2.4): read `inputSetTemplateYaml`, describe
//! every `<+input>` field as a typed [`VariableSpec`], and write the filled template back as
//! the YAML body of an execute request (spec 2.5).
//!
//! # Names
//!
//! A start request names its values, so every input gets a stable, readable name:
//!
//! * A pipeline variable (`pipeline.variables[]`) is named by its `name`: `tag`.
//! * Any other input is named by its dotted path below `pipeline`, where
//!   - a mapping key adds itself, except `spec`, which appears at every level and says
//!     nothing;
//!   - a list item that is a mapping with exactly one key holding a mapping or a list
//!     (`- stage: {...}`, `- step: {...}`, `- parallel: [...]`) is a wrapper: the key is
//!     dropped and the item is named by what it wraps;
//!   - a list item is named by its `identifier`, else its `name`, else its position;
//!   - an entry of any other `variables` list is named by its `name`, without `.value`.
//!
//!   So `pipeline.stages[0].stage{identifier: deploy}.spec.service.serviceRef` is
//!   `stages.deploy.service.serviceRef`, a step timeout is
//!   `stages.deploy.execution.steps.rollout.timeout`, and a stage variable is
//!   `stages.deploy.variables.replicas`.
//! * If two inputs would get the same name, the later ones (in template order) get `#2`,
//!   `#3`, ... appended.
//!
//! Pipeline variables come first in the form, then the other inputs in template order.
//!
//! # Runtime input syntax
//!
//! `<+input>` optionally followed by `.default(x)`, `.allowedValues(a,b,c)`, `.regex(re)`
//! and `.executionInput()`, in any order. Arguments may be quoted with `"` or `'`.
//! `allowedValues(jexl(...))` cannot be evaluated here and leaves the input free text.
//! Anything else (a newer function, unbalanced parentheses) makes the input plain text
//! with the raw expression in its description, so a new server feature degrades a field
//! instead of breaking the form.
//!
//! # Filling
//!
//! An empty value counts as not given. A value not given takes the default; without a
//! default the input is required, except `.executionInput()` inputs, which are left as
//! they are so Harness asks for them while the execution runs. Values are written as YAML
//! strings, except `Number` variables (written as numbers) and the CI codebase `build`
//! input (written as the `{type, spec}` object Harness expects).

use serde_norway::{Mapping, Value};

use crate::domain::{BackendError, StartForm, VarKind, VariableSpec};

const INPUT: &str = "<+input>";

/// A parsed runtime-input template: the YAML tree plus where its inputs are.
#[derive(Debug, Clone, PartialEq)]
pub struct RuntimeTemplate {
    /// `None` when the pipeline has no runtime inputs (null or empty template).
    tree: Option<Value>,
    inputs: Vec<Input>,
}

#[derive(Debug, Clone, PartialEq)]
struct Input {
    spec: VariableSpec,
    /// Where the `<+input>` sits in the template tree.
    path: Vec<Seg>,
    /// Left unfilled, the expression stays in the body and Harness asks at run time.
    execution_input: bool,
    shape: Shape,
}

/// How a value is written into the YAML.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Text,
    Number,
    GitBuild,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Seg {
    Key(String),
    Index(usize),
}

/// What a `<+input>...` expression says.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Expr {
    default: Option<String>,
    allowed: Option<Vec<String>>,
    jexl: Option<String>,
    regex: Option<String>,
    execution_input: bool,
    /// Syntax this parser does not know; the raw text goes into the description.
    unknown: bool,
}

impl RuntimeTemplate {
    /// Parses `inputSetTemplateYaml`; null, empty or blank means "no runtime inputs".
    pub fn parse(yaml: Option<&str>) -> Result<Self, BackendError> {
        let yaml = yaml.unwrap_or_default();
        if yaml.trim().is_empty() {
            return Ok(Self::empty());
        }
        let tree: Value = serde_norway::from_str(yaml).map_err(|e| {
            BackendError::Decode(format!("runtime input template is not valid YAML: {e}"))
        })?;
        if tree.is_null() {
            return Ok(Self::empty());
        }
        let mut found = Vec::new();
        walk(&tree, &mut Vec::new(), &mut Vec::new(), &mut found);
        let mut inputs = Vec::with_capacity(found.len());
        // Pipeline variables first, then the rest, each in template order.
        let (variables, others): (Vec<Input>, Vec<Input>) =
            found.into_iter().partition(is_pipeline_variable);
        for mut input in variables.into_iter().chain(others) {
            input.spec.name = unique_name(&inputs, &input.spec.name);
            inputs.push(input);
        }
        Ok(RuntimeTemplate {
            tree: Some(tree),
            inputs,
        })
    }

    fn empty() -> Self {
        RuntimeTemplate {
            tree: None,
            inputs: Vec::new(),
        }
    }

    /// The start form: one variable per runtime input.
    pub fn form(&self) -> StartForm {
        StartForm {
            variables: self.inputs.iter().map(|i| i.spec.clone()).collect(),
        }
    }

    /// The execute body: the template with every value filled in. Fails, naming the
    /// inputs, when a value is missing, invalid or names no input.
    pub fn fill(&self, values: &[(String, String)]) -> Result<String, BackendError> {
        let unknown: Vec<&str> = values
            .iter()
            .map(|(name, _)| name.as_str())
            .filter(|name| !self.inputs.iter().any(|i| i.spec.name == *name))
            .collect();
        if !unknown.is_empty() {
            let known: Vec<&str> = self.inputs.iter().map(|i| i.spec.name.as_str()).collect();
            let known = if known.is_empty() {
                "this pipeline has no runtime inputs".to_owned()
            } else {
                format!("its inputs are: {}", known.join(", "))
            };
            return Err(BackendError::BadRequest(format!(
                "unknown input(s): {}; {known}",
                unknown.join(", ")
            )));
        }
        let Some(tree) = &self.tree else {
            return Ok(String::new());
        };

        let mut tree = tree.clone();
        let mut missing = Vec::new();
        let mut invalid = Vec::new();
        for input in &self.inputs {
            // The last value given for a name wins, like repeated `--var` flags.
            let given = values
                .iter()
                .rev()
                .find(|(name, _)| *name == input.spec.name)
                .map(|(_, v)| v.as_str())
                .filter(|v| !v.trim().is_empty());
            let value = match (given, &input.spec.default) {
                (Some(v), _) => {
                    if let Err(problem) = validate(input, v) {
                        invalid.push(format!("{}: {problem}", input.spec.name));
                        continue;
                    }
                    v
                }
                (None, Some(default)) => default.as_str(),
                (None, None) if input.execution_input => continue,
                (None, None) => {
                    missing.push(input.spec.name.as_str());
                    continue;
                }
            };
            if let Some(slot) = slot_mut(&mut tree, &input.path) {
                *slot = yaml_value(input.shape, value);
            }
        }
        if !missing.is_empty() {
            return Err(BackendError::BadRequest(format!(
                "missing required input(s): {}",
                missing.join(", ")
            )));
        }
        if !invalid.is_empty() {
            return Err(BackendError::BadRequest(invalid.join("; ")));
        }
        serde_norway::to_string(&tree).map_err(|e| {
            BackendError::BadRequest(format!("cannot write the runtime input YAML: {e}"))
        })
    }
}

fn is_pipeline_variable(input: &Input) -> bool {
    matches!(
        input.path.as_slice(),
        [Seg::Key(p), Seg::Key(v), Seg::Index(_), Seg::Key(value)]
            if p == "pipeline" && v == "variables" && value == "value"
    )
}

fn unique_name(taken: &[Input], name: &str) -> String {
    let clash = |candidate: &str| taken.iter().any(|i| i.spec.name == candidate);
    if !clash(name) {
        return name.to_owned();
    }
    (2..)
        .map(|n| format!("{name}#{n}"))
        .find(|candidate| !clash(candidate))
        .unwrap_or_else(|| name.to_owned())
}

/// Collects every runtime input below `value`. `path` addresses the node in the tree;
/// `name` holds the readable name parts (see the module docs).
fn walk(value: &Value, path: &mut Vec<Seg>, name: &mut Vec<String>, out: &mut Vec<Input>) {
    match value {
        Value::Mapping(map) => {
            for (key, child) in map {
                let Some(key) = key.as_str() else {
                    continue;
                };
                let named = key != "spec" && !(path.is_empty() && key == "pipeline");
                path.push(Seg::Key(key.to_owned()));
                if named {
                    name.push(key.to_owned());
                }
                match child {
                    Value::Sequence(items) if key == "variables" => {
                        walk_variables(items, path, name, out)
                    }
                    _ => walk(child, path, name, out),
                }
                if named {
                    name.pop();
                }
                path.pop();
            }
        }
        Value::Sequence(items) => {
            for (index, item) in items.iter().enumerate() {
                walk_item(item, index, path, name, out);
            }
        }
        Value::String(text) => {
            if let Some(expr) = parse_expr(text) {
                out.push(field_input(text, expr, path, name));
            }
        }
        _ => {}
    }
}

fn walk_item(
    item: &Value,
    index: usize,
    path: &mut Vec<Seg>,
    name: &mut Vec<String>,
    out: &mut Vec<Input>,
) {
    path.push(Seg::Index(index));
    match wrapper(item) {
        Some((key, inner)) => {
            path.push(Seg::Key(key.to_owned()));
            let label = inner.as_mapping().map(|m| item_label(m, index));
            if let Some(label) = &label {
                name.push(label.clone());
            }
            walk(inner, path, name, out);
            if label.is_some() {
                name.pop();
            }
            path.pop();
        }
        None => {
            name.push(
                item.as_mapping()
                    .map(|m| item_label(m, index))
                    .unwrap_or_else(|| index.to_string()),
            );
            walk(item, path, name, out);
            name.pop();
        }
    }
    path.pop();
}

/// Entries of a `variables` list: `{name, type, value: <+input>...}`.
fn walk_variables(
    items: &[Value],
    path: &mut Vec<Seg>,
    name: &mut Vec<String>,
    out: &mut Vec<Input>,
) {
    for (index, item) in items.iter().enumerate() {
        let entry = item.as_mapping().and_then(|m| {
            let var_name = m.get("name")?.as_str()?;
            let raw = m.get("value")?.as_str()?;
            Some((m, var_name, raw, parse_expr(raw)?))
        });
        let Some((map, var_name, raw, expr)) = entry else {
            walk_item(item, index, path, name, out);
            continue;
        };
        path.push(Seg::Index(index));
        path.push(Seg::Key("value".to_owned()));
        let pipeline_level =
            matches!(path.as_slice(), [Seg::Key(p), ..] if p == "pipeline") && path.len() == 4;
        let full_name = if pipeline_level {
            var_name.to_owned()
        } else {
            name.iter()
                .map(String::as_str)
                .chain([var_name])
                .collect::<Vec<_>>()
                .join(".")
        };
        out.push(variable_input(map, full_name, raw, expr, path));
        path.pop();
        path.pop();
    }
}

/// `- stage: {...}` / `- parallel: [...]`: a single-key mapping holding a mapping or list.
fn wrapper(item: &Value) -> Option<(&str, &Value)> {
    let map = item.as_mapping()?;
    if map.len() != 1 {
        return None;
    }
    let (key, inner) = map.iter().next()?;
    (inner.is_mapping() || inner.is_sequence()).then_some((key.as_str()?, inner))
}

fn item_label(map: &Mapping, index: usize) -> String {
    ["identifier", "name"]
        .iter()
        .find_map(|k| scalar_text(map.get(*k)?))
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| index.to_string())
}

fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// What the surroundings of an input say about it, before its expression is read.
struct Field {
    name: String,
    kind: VarKind,
    shape: Shape,
    default: Option<String>,
    description: Option<String>,
}

fn variable_input(map: &Mapping, name: String, raw: &str, expr: Expr, path: &[Seg]) -> Input {
    let declared = map.get("type").and_then(Value::as_str).unwrap_or("String");
    let (kind, shape) = match declared.to_ascii_lowercase().as_str() {
        "number" => (VarKind::Number, Shape::Number),
        "secret" => (VarKind::Secret, Shape::Text),
        _ => (VarKind::Text, Shape::Text),
    };
    // Older pipelines keep the default beside the value instead of in `.default(...)`.
    let default = expr
        .default
        .clone()
        .or_else(|| map.get("default").and_then(scalar_text));
    let mut description = map
        .get("description")
        .and_then(Value::as_str)
        .filter(|d| !d.trim().is_empty())
        .map(str::to_owned);
    if kind == VarKind::Secret {
        // Say so, or someone pastes a password into the form (and the audit log).
        let note =
            "the identifier of a Harness secret (e.g. account.db_password), not the secret itself";
        description = Some(match description {
            Some(d) => format!("{d}; {note}"),
            None => note.to_owned(),
        });
    }
    let field = Field {
        name,
        kind,
        shape,
        default,
        description,
    };
    build_input(field, raw, expr, path)
}

fn field_input(raw: &str, expr: Expr, path: &[Seg], name: &[String]) -> Input {
    let key = match path.last() {
        Some(Seg::Key(k)) => k.as_str(),
        _ => "",
    };
    let parent = match path.iter().rev().nth(1) {
        Some(Seg::Key(k)) => k.as_str(),
        _ => "",
    };
    let (kind, shape, description) = if key == "build" && parent == "codebase" {
        let hint =
            "git build: a branch name, or branch:<name>, tag:<tag>, pr:<number>, commit:<sha>";
        (VarKind::Text, Shape::GitBuild, Some(hint.to_owned()))
    } else if let Some(entity) = key.strip_suffix("Ref").filter(|e| !e.is_empty()) {
        (VarKind::Entity(entity.to_owned()), Shape::Text, None)
    } else {
        (VarKind::Text, Shape::Text, None)
    };
    let field = Field {
        name: name.join("."),
        kind,
        shape,
        default: expr.default.clone(),
        description,
    };
    build_input(field, raw, expr, path)
}

fn build_input(field: Field, raw: &str, expr: Expr, path: &[Seg]) -> Input {
    let mut notes: Vec<String> = field.description.into_iter().collect();
    let kind = match (&expr.allowed, expr.unknown) {
        (_, true) => {
            notes.push(format!(
                "runtime input flightdeck cannot interpret: {}",
                raw.trim()
            ));
            VarKind::Text
        }
        (Some(allowed), false) if !allowed.is_empty() => VarKind::Choice(allowed.clone()),
        _ => field.kind,
    };
    if let Some(jexl) = &expr.jexl {
        notes.push(format!("allowed values are computed by Harness: {jexl}"));
    }
    if let Some(regex) = &expr.regex {
        notes.push(format!("must match {regex}"));
    }
    if expr.execution_input {
        notes.push("if left empty, Harness asks for it while the execution runs".to_owned());
    }
    Input {
        spec: VariableSpec {
            name: field.name,
            kind,
            required: field.default.is_none() && !expr.execution_input,
            default: field.default,
            description: (!notes.is_empty()).then(|| notes.join("; ")),
        },
        path: path.to_vec(),
        execution_input: expr.execution_input,
        shape: if expr.unknown {
            Shape::Text
        } else {
            field.shape
        },
    }
}

/// Parses `<+input>` and its chained functions; `None` when the text is not a runtime input.
fn parse_expr(raw: &str) -> Option<Expr> {
    let mut rest = raw.trim().strip_prefix(INPUT)?;
    let mut expr = Expr::default();
    while !rest.is_empty() {
        let Some((function, args, after)) = next_call(rest) else {
            expr.unknown = true;
            break;
        };
        match function {
            "default" => expr.default = Some(unquote(args.trim()).to_owned()),
            "allowedValues" => match args
                .trim()
                .strip_prefix("jexl(")
                .and_then(|a| a.strip_suffix(')'))
            {
                Some(jexl) => expr.jexl = Some(jexl.to_owned()),
                None => {
                    expr.allowed = Some(
                        split_top_level(args)
                            .into_iter()
                            .map(|v| unquote(v.trim()).to_owned())
                            .filter(|v| !v.is_empty())
                            .collect(),
                    )
                }
            },
            "regex" => expr.regex = Some(unquote(args.trim()).to_owned()),
            "executionInput" if args.trim().is_empty() => expr.execution_input = true,
            _ => expr.unknown = true,
        }
        rest = after;
    }
    Some(expr)
}

/// Splits `.name(args)rest`; arguments may nest parentheses and hold quoted text.
fn next_call(text: &str) -> Option<(&str, &str, &str)> {
    let text = text.strip_prefix('.')?;
    let open = text.find('(')?;
    let function = &text[..open];
    if function.is_empty() || !function.chars().all(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    let body = &text[open + 1..];
    let close = matching_paren(body)?;
    Some((function, &body[..close], &body[close + 1..]))
}

/// Byte offset of the `)` closing an argument list. A quote only opens at the start of an
/// argument, so a regex such as `^it's$` is not mistaken for a string.
fn matching_paren(body: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut at_arg_start = true;
    for (i, c) in body.char_indices() {
        if let Some(q) = quote {
            if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '"' | '\'' if at_arg_start => quote = Some(c),
            '(' => depth += 1,
            ')' if depth == 0 => return Some(i),
            ')' => depth -= 1,
            _ => {}
        }
        at_arg_start = (c == ',' && depth == 0) || (at_arg_start && c.is_whitespace());
    }
    None
}

/// Splits at commas outside parentheses and quotes.
fn split_top_level(args: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut at_arg_start = true;
    let mut start = 0;
    for (i, c) in args.char_indices() {
        if let Some(q) = quote {
            if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '"' | '\'' if at_arg_start => quote = Some(c),
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(&args[start..i]);
                start = i + 1;
            }
            _ => {}
        }
        at_arg_start = (c == ',' && depth == 0) || (at_arg_start && c.is_whitespace());
    }
    parts.push(&args[start..]);
    parts
}

fn unquote(text: &str) -> &str {
    for q in ['"', '\''] {
        if let Some(inner) = text.strip_prefix(q).and_then(|t| t.strip_suffix(q)) {
            return inner;
        }
    }
    text
}

fn validate(input: &Input, value: &str) -> Result<(), String> {
    if let VarKind::Choice(options) = &input.spec.kind
        && !options.iter().any(|o| o == value)
    {
        return Err(format!("{value:?} is not one of {}", options.join(", ")));
    }
    match input.shape {
        Shape::Number if !is_expression(value) && number(value).is_none() => {
            Err(format!("{value:?} is not a number"))
        }
        Shape::GitBuild => git_build(value).map(|_| ()),
        _ => Ok(()),
    }
}

fn is_expression(value: &str) -> bool {
    value.trim_start().starts_with("<+")
}

fn number(value: &str) -> Option<Value> {
    let value = value.trim();
    if let Ok(i) = value.parse::<i64>() {
        return Some(Value::Number(i.into()));
    }
    value
        .parse::<f64>()
        .ok()
        .filter(|f| f.is_finite())
        .map(|f| Value::Number(f.into()))
}

fn yaml_value(shape: Shape, value: &str) -> Value {
    match shape {
        Shape::Number => number(value).unwrap_or_else(|| Value::String(value.to_owned())),
        // A default that is not a build spec (an expression) goes in as written.
        Shape::GitBuild => git_build(value).unwrap_or_else(|_| Value::String(value.to_owned())),
        Shape::Text => Value::String(value.to_owned()),
    }
}

/// `main`, `branch:main`, `tag:v1`, `pr:12`, `commit:abc` to the codebase build object.
fn git_build(value: &str) -> Result<Value, String> {
    let value = value.trim();
    if is_expression(value) {
        return Ok(Value::String(value.to_owned()));
    }
    let (kind, field, arg) = match value.split_once(':') {
        Some((prefix, arg)) => match prefix.to_ascii_lowercase().as_str() {
            "branch" => ("branch", "branch", arg),
            "tag" => ("tag", "tag", arg),
            "pr" => ("PR", "number", arg),
            "commit" | "commitsha" => ("commitSha", "commitSha", arg),
            _ => ("branch", "branch", value),
        },
        None => ("branch", "branch", value),
    };
    let arg = arg.trim();
    if arg.is_empty() {
        return Err(format!("{value:?} names no {field}"));
    }
    let arg_value = if kind == "PR" {
        number(arg)
            .filter(Value::is_u64)
            .ok_or_else(|| format!("{arg:?} is not a pull request number"))?
    } else {
        Value::String(arg.to_owned())
    };
    let mut spec = Mapping::new();
    spec.insert(field.into(), arg_value);
    let mut build = Mapping::new();
    build.insert("type".into(), kind.into());
    build.insert("spec".into(), Value::Mapping(spec));
    Ok(Value::Mapping(build))
}

fn slot_mut<'a>(tree: &'a mut Value, path: &[Seg]) -> Option<&'a mut Value> {
    path.iter().try_fold(tree, |node, seg| match seg {
        Seg::Key(k) => node.as_mapping_mut()?.get_mut(k.as_str()),
        Seg::Index(i) => node.as_sequence_mut()?.get_mut(*i),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(name: &str, kind: VarKind, required: bool, default: Option<&str>) -> VariableSpec {
        VariableSpec {
            name: name.to_owned(),
            kind,
            required,
            default: default.map(str::to_owned),
            description: None,
        }
    }

    fn form(yaml: &str) -> Vec<VariableSpec> {
        RuntimeTemplate::parse(Some(yaml)).unwrap().form().variables
    }

    #[test]
    fn spec_example_template() {
        let body = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/harness/input_set_template.json"
        ))
        .unwrap();
        let env: crate::backend::harness::wire::Envelope<
            crate::backend::harness::wire::InputSetTemplate,
        > = crate::backend::http::decode_json(&body).unwrap();
        let yaml = env.data.unwrap().input_set_template_yaml;
        let t = RuntimeTemplate::parse(yaml.as_deref()).unwrap();
        assert_eq!(
            t.form().variables,
            vec![spec("tag", VarKind::Text, true, None)]
        );
        assert_eq!(
            t.fill(&[("tag".into(), "1.4.2".into())]).unwrap(),
            "pipeline:\n  identifier: deploy\n  variables:\n  - name: tag\n    type: String\n    value: 1.4.2\n"
        );
    }

    #[test]
    fn no_inputs() {
        for yaml in [None, Some(""), Some("  \n"), Some("~"), Some("null")] {
            let t = RuntimeTemplate::parse(yaml).unwrap();
            assert!(t.form().variables.is_empty(), "{yaml:?}");
            assert_eq!(t.fill(&[]).unwrap(), "", "{yaml:?}");
            let err = t.fill(&[("x".into(), "1".into())]).unwrap_err();
            assert_eq!(
                err,
                BackendError::BadRequest(
                    "unknown input(s): x; this pipeline has no runtime inputs".into()
                )
            );
        }
        // A template with structure but no `<+input>` left still has no inputs.
        let t = RuntimeTemplate::parse(Some("pipeline:\n  identifier: deploy\n")).unwrap();
        assert!(t.form().variables.is_empty());
        assert_eq!(t.fill(&[]).unwrap(), "pipeline:\n  identifier: deploy\n");
    }

    #[test]
    fn invalid_yaml_is_a_decode_error() {
        let err = RuntimeTemplate::parse(Some("pipeline: [unclosed")).unwrap_err();
        assert!(
            matches!(err, BackendError::Decode(m) if m.starts_with("runtime input template is not valid YAML"))
        );
    }

    const FULL: &str = r#"
pipeline:
  identifier: deploy
  properties:
    ci:
      codebase:
        build: <+input>
  stages:
    - stage:
        identifier: deploy
        type: Deployment
        spec:
          service:
            serviceRef: <+input>.allowedValues(api,web)
          environment:
            environmentRef: <+input>
          execution:
            steps:
              - step:
                  identifier: rollout
                  type: K8sRollingDeploy
                  timeout: <+input>.default(10m)
              - parallel:
                  - step:
                      identifier: smoke
                      type: ShellScript
                      spec:
                        delegateSelectors:
                          - <+input>
        variables:
          - name: replicas
            type: Number
            value: <+input>.default(2)
  variables:
    - name: tag
      type: String
      description: image tag to deploy
      value: <+input>
    - name: region
      type: String
      value: <+input>.default(eu).allowedValues(eu, us, 'ap,south')
    - name: db_password
      type: Secret
      value: <+input>.executionInput()
    - name: count
      type: Number
      value: <+input>.regex(^[0-9]+$)
"#;

    #[test]
    fn names_kinds_defaults_and_order() {
        let vars = form(FULL);
        let names: Vec<&str> = vars.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(
            names,
            vec![
                "tag",
                "region",
                "db_password",
                "count",
                "properties.ci.codebase.build",
                "stages.deploy.service.serviceRef",
                "stages.deploy.environment.environmentRef",
                "stages.deploy.execution.steps.rollout.timeout",
                "stages.deploy.execution.steps.smoke.delegateSelectors.0",
                "stages.deploy.variables.replicas",
            ]
        );
        let by = |n: &str| vars.iter().find(|v| v.name == n).unwrap();
        assert_eq!(
            by("tag"),
            &VariableSpec {
                description: Some("image tag to deploy".into()),
                ..spec("tag", VarKind::Text, true, None)
            }
        );
        assert_eq!(
            by("region").kind,
            VarKind::Choice(vec!["eu".into(), "us".into(), "ap,south".into()])
        );
        assert_eq!(by("region").default.as_deref(), Some("eu"));
        assert!(!by("region").required);
        let secret = by("db_password");
        assert_eq!(secret.kind, VarKind::Secret);
        assert!(
            secret
                .description
                .as_deref()
                .unwrap()
                .starts_with("the identifier of a Harness secret")
        );
        assert!(!secret.required, "execution inputs can be left for later");
        assert!(
            secret
                .description
                .as_deref()
                .unwrap()
                .contains("while the execution runs")
        );
        assert_eq!(by("count").kind, VarKind::Number);
        assert_eq!(
            by("count").description.as_deref(),
            Some("must match ^[0-9]+$")
        );
        assert_eq!(
            by("stages.deploy.service.serviceRef").kind,
            VarKind::Choice(vec!["api".into(), "web".into()])
        );
        assert_eq!(
            by("stages.deploy.environment.environmentRef").kind,
            VarKind::Entity("environment".into())
        );
        assert_eq!(
            by("stages.deploy.execution.steps.rollout.timeout")
                .default
                .as_deref(),
            Some("10m")
        );
        assert_eq!(by("stages.deploy.variables.replicas").kind, VarKind::Number);
        assert!(
            by("properties.ci.codebase.build")
                .description
                .as_deref()
                .unwrap()
                .starts_with("git build")
        );
    }

    fn values(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn fill_writes_values_defaults_and_keeps_execution_inputs() {
        let t = RuntimeTemplate::parse(Some(FULL)).unwrap();
        let yaml = t
            .fill(&values(&[
                ("tag", "1.10"),
                ("count", "3"),
                ("properties.ci.codebase.build", "pr:42"),
                ("stages.deploy.service.serviceRef", "api"),
                ("stages.deploy.environment.environmentRef", "prod"),
                (
                    "stages.deploy.execution.steps.smoke.delegateSelectors.0",
                    "k8s",
                ),
                ("db_password", ""),
            ]))
            .unwrap();
        let filled: Value = serde_norway::from_str(&yaml).unwrap();
        let p = &filled["pipeline"];
        // A string that looks like a number stays a string.
        assert_eq!(p["variables"][0]["value"], Value::String("1.10".into()));
        assert_eq!(p["variables"][1]["value"], Value::String("eu".into()));
        assert_eq!(
            p["variables"][2]["value"],
            Value::String("<+input>.executionInput()".into())
        );
        assert_eq!(p["variables"][3]["value"], Value::Number(3.into()));
        assert_eq!(p["properties"]["ci"]["codebase"]["build"]["type"], "PR");
        assert_eq!(
            p["properties"]["ci"]["codebase"]["build"]["spec"]["number"],
            Value::Number(42.into())
        );
        let stage = &p["stages"][0]["stage"];
        assert_eq!(stage["spec"]["service"]["serviceRef"], "api");
        assert_eq!(stage["spec"]["environment"]["environmentRef"], "prod");
        let steps = &stage["spec"]["execution"]["steps"];
        assert_eq!(steps[0]["step"]["timeout"], "10m");
        assert_eq!(
            steps[1]["parallel"][0]["step"]["spec"]["delegateSelectors"][0],
            "k8s"
        );
        assert_eq!(stage["variables"][0]["value"], Value::Number(2.into()));
        assert!(
            yaml.contains("'1.10'") || yaml.contains("\"1.10\""),
            "{yaml}"
        );
    }

    #[test]
    fn missing_required_inputs_are_named() {
        let t = RuntimeTemplate::parse(Some(FULL)).unwrap();
        let err = t.fill(&values(&[("tag", "  ")])).unwrap_err();
        assert_eq!(
            err,
            BackendError::BadRequest(
                "missing required input(s): tag, count, properties.ci.codebase.build, \
                 stages.deploy.service.serviceRef, stages.deploy.environment.environmentRef, \
                 stages.deploy.execution.steps.smoke.delegateSelectors.0"
                    .into()
            )
        );
    }

    #[test]
    fn invalid_values_and_unknown_names_are_refused() {
        let t = RuntimeTemplate::parse(Some(FULL)).unwrap();
        let all = |extra: &[(&str, &str)]| {
            let mut v = values(&[
                ("tag", "1"),
                ("count", "3"),
                ("properties.ci.codebase.build", "main"),
                ("stages.deploy.service.serviceRef", "api"),
                ("stages.deploy.environment.environmentRef", "prod"),
                (
                    "stages.deploy.execution.steps.smoke.delegateSelectors.0",
                    "k8s",
                ),
            ]);
            v.extend(values(extra));
            t.fill(&v)
        };
        assert!(all(&[]).is_ok());
        assert_eq!(
            all(&[("region", "mars"), ("count", "many")]).unwrap_err(),
            BackendError::BadRequest(
                "region: \"mars\" is not one of eu, us, ap,south; count: \"many\" is not a number"
                    .into()
            )
        );
        assert!(all(&[("count", "<+pipeline.variables.x>")]).is_ok());
        assert_eq!(
            all(&[("properties.ci.codebase.build", "pr:abc")]).unwrap_err(),
            BackendError::BadRequest(
                "properties.ci.codebase.build: \"abc\" is not a pull request number".into()
            )
        );
        let err = all(&[("tga", "x")]).unwrap_err();
        assert!(
            matches!(&err, BackendError::BadRequest(m) if m.starts_with("unknown input(s): tga; its inputs are: tag, region,")),
            "{err:?}"
        );
    }

    #[test]
    fn git_build_forms() {
        let b = |v: &str| serde_norway::to_string(&git_build(v).unwrap()).unwrap();
        assert_eq!(b("main"), "type: branch\nspec:\n  branch: main\n");
        assert_eq!(
            b("branch:release/1.2"),
            "type: branch\nspec:\n  branch: release/1.2\n"
        );
        assert_eq!(b("tag:v1.0"), "type: tag\nspec:\n  tag: v1.0\n");
        assert_eq!(
            b("commit:abc123"),
            "type: commitSha\nspec:\n  commitSha: abc123\n"
        );
        assert_eq!(b("<+trigger.branch>"), "<+trigger.branch>\n");
        assert!(git_build("tag:").is_err());
    }

    #[test]
    fn expression_syntax() {
        let p = |s: &str| parse_expr(s).unwrap();
        assert_eq!(p("<+input>"), Expr::default());
        assert_eq!(parse_expr("<+pipeline.foo>"), None);
        assert_eq!(parse_expr("prefix <+input>"), None);
        assert_eq!(p(" <+input>.default(a) ").default.as_deref(), Some("a"));
        assert_eq!(
            p("<+input>.default(\"a b\")").default.as_deref(),
            Some("a b")
        );
        assert_eq!(
            p("<+input>.default(<+artifact.image>)").default.as_deref(),
            Some("<+artifact.image>")
        );
        let e = p("<+input>.allowedValues(1,2,3).default(2).executionInput()");
        assert_eq!(e.allowed, Some(vec!["1".into(), "2".into(), "3".into()]));
        assert_eq!(e.default.as_deref(), Some("2"));
        assert!(e.execution_input);
        let e = p("<+input>.executionInput().regex(^(abc)+$)");
        assert_eq!(e.regex.as_deref(), Some("^(abc)+$"));
        assert!(e.execution_input && !e.unknown);
        assert_eq!(p("<+input>.regex(^it's$)").regex.as_deref(), Some("^it's$"));
        let e = p("<+input>.allowedValues(jexl(${env.type} == \"prod\" ? aws1, aws2 : aws3))");
        assert_eq!(e.allowed, None);
        assert_eq!(
            e.jexl.as_deref(),
            Some("${env.type} == \"prod\" ? aws1, aws2 : aws3")
        );
        assert!(p("<+input>.selectOneFrom(a,b)").unknown);
        assert!(p("<+input>.default(a").unknown);
        assert!(p("<+input>junk").unknown);
        assert!(p("<+input>.executionInput(x)").unknown);
    }

    #[test]
    fn unknown_syntax_degrades_to_text() {
        let vars = form(
            "pipeline:\n  variables:\n    - name: env\n      type: Number\n      value: <+input>.default(qa).selectOneFrom(qa,prod)\n",
        );
        assert_eq!(
            vars,
            vec![VariableSpec {
                description: Some(
                    "runtime input flightdeck cannot interpret: <+input>.default(qa).selectOneFrom(qa,prod)"
                        .into()
                ),
                ..spec("env", VarKind::Text, false, Some("qa"))
            }]
        );
    }

    #[test]
    fn jexl_allowed_values_leave_free_text() {
        let vars = form(
            "pipeline:\n  variables:\n    - name: acct\n      type: String\n      value: \"<+input>.allowedValues(jexl(<+env.type> == 'Prod' ? 'a' : 'b'))\"\n",
        );
        assert_eq!(vars[0].kind, VarKind::Text);
        assert!(vars[0].required);
        assert_eq!(
            vars[0].description.as_deref(),
            Some("allowed values are computed by Harness: <+env.type> == 'Prod' ? 'a' : 'b'")
        );
    }

    #[test]
    fn legacy_default_key_and_duplicate_names() {
        let vars = form(
            r#"
pipeline:
  variables:
    - name: tag
      type: String
      default: latest
      value: <+input>
  stages:
    - stage:
        identifier: a
        spec:
          timeout: <+input>
        timeout: <+input>
"#,
        );
        assert_eq!(vars[0], spec("tag", VarKind::Text, false, Some("latest")));
        assert_eq!(vars[1].name, "stages.a.timeout");
        assert_eq!(vars[2].name, "stages.a.timeout#2");
    }

    #[test]
    fn list_items_without_identifier_use_name_or_position() {
        let vars = form(
            r#"
pipeline:
  stages:
    - stage:
        spec:
          hosts:
            - name: first
              port: <+input>
            - port: <+input>
"#,
        );
        let names: Vec<&str> = vars.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(
            names,
            vec!["stages.0.hosts.first.port", "stages.0.hosts.1.port"]
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config {
            failure_persistence: None,
            ..Default::default()
        })]

        /// Any runtime-input template the server sends is read or refused, and filling it
        /// with any values gives a body or an error: no panic.
        #[test]
        fn any_template_is_read_and_filled(
            yaml in proptest::prop_oneof![
                proptest::prelude::any::<String>(),
                // Shaped like a template: keys, lists, `<+input>` expressions.
                "(( {0,6}(- )?[a-zA-Z_]{1,8}: ?(<\\+input>(\\.(default|allowedValues|regex)\\([a-z0-9,.*]{0,12}\\))*|[a-z0-9\"']{0,8})?\n){0,12})",
            ],
            values in proptest::collection::vec(("[a-zA-Z_.]{0,10}", proptest::prelude::any::<String>()), 0..4),
        ) {
            if let Ok(template) = RuntimeTemplate::parse(Some(&yaml)) {
                let form = template.form();
                let mut values = values;
                values.extend(form.variables.iter().map(|v| (v.name.clone(), "x".to_owned())));
                let _ = template.fill(&values);
            }
        }
    }
}
