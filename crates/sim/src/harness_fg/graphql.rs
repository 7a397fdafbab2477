//! A small GraphQL executor: enough of graphql-java's behaviour for the First Gen face.
//!
//! Root fields are resolved by a [`Resolver`] into plain JSON objects that hold every field of
//! their type; this module then projects the query's selection sets onto them (aliases, named
//! and inline fragments with type conditions, `__typename`, variables with defaults). Two
//! markers inside resolved values keep that cheap and cycle-free:
//! - `{"__ref": ...}` is an object resolved only when a selection reaches it;
//! - `{"__conn": [nodes]}` is a connection field, paged here with its `limit`/`offset`
//!   arguments into `{pageInfo, nodes}` (limit capped at 100, negative values refused).
//!
//! Errors take graphql-java's default shapes: syntax and validation errors come without
//! `data`; a failing root field becomes `null` plus an `ExceptionWhileDataFetching` error
//! whose message is prefixed `Exception while fetching data (/path) : `.
//!
//! Not modelled: directives (`@include`/`@skip` are ignored), subscriptions, and validation
//! before execution: a mutation whose selection names an unknown field still runs, and the
//! response then carries only the validation error.

use graphql_parser::Pos;
use graphql_parser::query::{
    Definition, Document, FragmentDefinition, OperationDefinition, Selection, SelectionSet,
    TypeCondition, Value as GValue, VariableDefinition,
};
use serde_json::{Map, Value, json};

/// Server-side cap on `limit` (CORE `AbstractConnectionV2DataFetcher`).
pub(crate) const MAX_LIMIT: i64 = 100;

/// Deepest bracket nesting accepted. The parser recurses per level, so a hostile document of
/// thousands of `{` must be refused before it can exhaust the stack; real queries stay far
/// below this.
const MAX_DEPTH: usize = 64;

/// The deepest nesting of `{`, `[` and `(` outside string literals.
fn depth(source: &str) -> usize {
    let (mut depth, mut deepest, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for c in source.chars() {
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '{' | '[' | '(' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            '}' | ']' | ')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OpKind {
    Query,
    Mutation,
}

impl OpKind {
    fn type_name(self) -> &'static str {
        match self {
            OpKind::Query => "Query",
            OpKind::Mutation => "Mutation",
        }
    }
}

/// The data behind the schema.
pub(crate) trait Resolver {
    /// Whether `name` is a root field of the operation type.
    fn has_root(&self, kind: OpKind, name: &str) -> bool;
    /// Resolves one root field. `Err` is the data fetcher's exception message.
    fn root(
        &mut self,
        kind: OpKind,
        name: &str,
        args: &Map<String, Value>,
    ) -> Result<Value, String>;
    /// Resolves a `{"__ref": ...}` marker.
    fn expand(&mut self, reference: &Value) -> Value;
}

/// Interfaces and unions, with the object types that belong to them.
const ABSTRACT: &[(&str, &[&str])] = &[
    ("Execution", &["PipelineExecution", "WorkflowExecution"]),
    (
        "PipelineStageExecution",
        &["ApprovalStageExecution", "WorkflowStageExecution"],
    ),
    (
        "ApprovalDetails",
        &[
            "UserGroupApprovalDetails",
            "JiraApprovalDetails",
            "SNOWApprovalDetails",
            "ShellScriptDetails",
        ],
    ),
    (
        "Cause",
        &[
            "ExecutedByUser",
            "ExecutedAlongPipeline",
            "ExecutedByTrigger",
            "ExecutedByAPIKey",
        ],
    ),
];

fn type_matches(typename: &str, condition: &str) -> bool {
    typename == condition
        || ABSTRACT
            .iter()
            .any(|(name, members)| *name == condition && members.contains(&typename))
}

fn error(message: String, pos: Option<Pos>, path: Option<&[Value]>, class: &str) -> Value {
    let locations: Vec<Value> = pos
        .map(|p| json!({"line": p.line, "column": p.column}))
        .into_iter()
        .collect();
    let mut e = json!({"message": message, "locations": locations, "extensions": {"classification": class}});
    if let Some(path) = path {
        e["path"] = Value::Array(path.to_vec());
    }
    e
}

/// Runs one request and returns the response body.
pub(crate) fn execute(
    source: &str,
    operation_name: Option<&str>,
    variables: &Map<String, Value>,
    resolver: &mut impl Resolver,
) -> Value {
    if depth(source) > MAX_DEPTH {
        let message = format!("Invalid Syntax : the document nests deeper than {MAX_DEPTH} levels");
        return json!({"errors": [error(message, None, None, "InvalidSyntax")]});
    }
    let doc: Document<&str> = match graphql_parser::parse_query(source) {
        Ok(doc) => doc,
        Err(e) => {
            let text = e.to_string();
            let first = text.lines().next().unwrap_or_default().to_string();
            return json!({"errors": [error(format!("Invalid Syntax : {first}"), None, None, "InvalidSyntax")]});
        }
    };
    let mut fragments = Vec::new();
    let mut operations = Vec::new();
    for def in &doc.definitions {
        match def {
            Definition::Fragment(f) => fragments.push(f),
            Definition::Operation(op) => operations.push(op),
        }
    }
    let chosen = match operation_name.filter(|n| !n.is_empty()) {
        Some(name) => operations
            .iter()
            .find(|op| op_parts(op).is_some_and(|(_, n, _, _)| n == Some(name))),
        None if operations.len() == 1 => operations.first(),
        None => {
            let message = "Must provide operation name if query contains multiple operations";
            return json!({"errors": [error(message.to_string(), None, None, "ValidationError")]});
        }
    };
    let Some((kind, _, var_defs, set)) = chosen.and_then(|op| op_parts(op)) else {
        let message = format!(
            "Unknown operation named '{}'.",
            operation_name.unwrap_or_default()
        );
        return json!({"errors": [error(message, None, None, "ValidationError")]});
    };
    let mut run = Run {
        resolver,
        fragments,
        variables: bind_variables(var_defs, variables),
        validation: Vec::new(),
        errors: Vec::new(),
    };
    let data = run.root(kind, set);
    if !run.validation.is_empty() {
        return json!({"errors": run.validation});
    }
    if run.errors.is_empty() {
        json!({"data": data})
    } else {
        json!({"data": data, "errors": run.errors})
    }
}

type OpParts<'o, 'a> = (
    OpKind,
    Option<&'a str>,
    &'o [VariableDefinition<'a, &'a str>],
    &'o SelectionSet<'a, &'a str>,
);

fn op_parts<'o, 'a>(op: &'o OperationDefinition<'a, &'a str>) -> Option<OpParts<'o, 'a>> {
    match op {
        OperationDefinition::SelectionSet(s) => Some((OpKind::Query, None, &[], s)),
        OperationDefinition::Query(q) => Some((
            OpKind::Query,
            q.name,
            &q.variable_definitions,
            &q.selection_set,
        )),
        OperationDefinition::Mutation(m) => Some((
            OpKind::Mutation,
            m.name,
            &m.variable_definitions,
            &m.selection_set,
        )),
        OperationDefinition::Subscription(_) => None,
    }
}

/// Declared variables take the request's value, else their default.
fn bind_variables<'a>(
    defs: &[VariableDefinition<'a, &'a str>],
    given: &Map<String, Value>,
) -> Map<String, Value> {
    let mut out = Map::new();
    for def in defs {
        let value = match given.get(def.name) {
            Some(v) => v.clone(),
            None => def
                .default_value
                .as_ref()
                .map(|d| to_json(d, &Map::new()))
                .unwrap_or(Value::Null),
        };
        out.insert(def.name.to_string(), value);
    }
    out
}

/// A literal or variable as JSON. Enums become their names, as strings.
pub(crate) fn to_json<'a>(v: &GValue<'a, &'a str>, vars: &Map<String, Value>) -> Value {
    match v {
        GValue::Variable(name) => vars.get(*name).cloned().unwrap_or(Value::Null),
        GValue::Int(n) => json!(n.as_i64()),
        GValue::Float(f) => json!(f),
        GValue::String(s) => json!(s),
        GValue::Boolean(b) => json!(b),
        GValue::Null => Value::Null,
        GValue::Enum(e) => json!(e),
        GValue::List(items) => Value::Array(items.iter().map(|i| to_json(i, vars)).collect()),
        GValue::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(k, v)| (k.to_string(), to_json(v, vars)))
                .collect(),
        ),
    }
}

struct Run<'r, 'd, 'a, R: Resolver> {
    resolver: &'r mut R,
    fragments: Vec<&'d FragmentDefinition<'a, &'a str>>,
    variables: Map<String, Value>,
    validation: Vec<Value>,
    errors: Vec<Value>,
}

/// The fields a selection set asks of an object of type `typename`, fragments flattened.
fn collect<'s, 'a>(
    set: &'s SelectionSet<'a, &'a str>,
    typename: &str,
    fragments: &[&'s FragmentDefinition<'a, &'a str>],
    out: &mut Vec<&'s graphql_parser::query::Field<'a, &'a str>>,
) {
    for item in &set.items {
        match item {
            Selection::Field(f) => out.push(f),
            Selection::InlineFragment(f) => {
                let applies = match &f.type_condition {
                    Some(TypeCondition::On(t)) => type_matches(typename, t),
                    None => true,
                };
                if applies {
                    collect(&f.selection_set, typename, fragments, out);
                }
            }
            Selection::FragmentSpread(s) => {
                if let Some(def) = fragments.iter().find(|d| d.name == s.fragment_name) {
                    let TypeCondition::On(t) = &def.type_condition;
                    if type_matches(typename, t) {
                        collect(&def.selection_set, typename, fragments, out);
                    }
                }
            }
        }
    }
}

impl<'d, 'a, R: Resolver> Run<'_, 'd, 'a, R> {
    fn root(&mut self, kind: OpKind, set: &'d SelectionSet<'a, &'a str>) -> Value {
        let mut fields = Vec::new();
        let fragments = self.fragments.clone();
        collect(set, kind.type_name(), &fragments, &mut fields);
        let mut data = Map::new();
        for field in fields {
            let key = field.alias.unwrap_or(field.name).to_string();
            if field.name == "__typename" {
                data.insert(key, json!(kind.type_name()));
                continue;
            }
            if !self.resolver.has_root(kind, field.name) {
                self.validation.push(error(
                    format!(
                        "Validation error of type FieldUndefined: Field '{}' in type '{}' is undefined @ '{}'",
                        field.name,
                        kind.type_name(),
                        field.name
                    ),
                    Some(field.position),
                    None,
                    "ValidationError",
                ));
                continue;
            }
            let args = self.args(field);
            let path = vec![json!(key)];
            let value = match self.resolver.root(kind, field.name, &args) {
                Ok(v) => self.field_value(v, field, &path),
                Err(message) => {
                    self.errors.push(error(
                        format!("Exception while fetching data (/{key}) : {message}"),
                        Some(field.position),
                        Some(&path),
                        "DataFetchingException",
                    ));
                    Value::Null
                }
            };
            data.insert(key, value);
        }
        Value::Object(data)
    }

    fn args(&self, field: &graphql_parser::query::Field<'a, &'a str>) -> Map<String, Value> {
        field
            .arguments
            .iter()
            .map(|(k, v)| (k.to_string(), to_json(v, &self.variables)))
            .collect()
    }

    /// A field's resolved value, paged if it is a connection, then projected.
    fn field_value(
        &mut self,
        value: Value,
        field: &'d graphql_parser::query::Field<'a, &'a str>,
        path: &[Value],
    ) -> Value {
        let value = match value {
            Value::Object(mut o) if o.contains_key("__conn") => {
                let nodes = match o.remove("__conn") {
                    Some(Value::Array(nodes)) => nodes,
                    _ => Vec::new(),
                };
                match self.page(nodes, field, path) {
                    Some(v) => v,
                    None => return Value::Null,
                }
            }
            other => other,
        };
        self.project(value, &field.selection_set, path)
    }

    fn page(
        &mut self,
        nodes: Vec<Value>,
        field: &graphql_parser::query::Field<'a, &'a str>,
        path: &[Value],
    ) -> Option<Value> {
        let args = self.args(field);
        let Some(limit) = args.get("limit").and_then(Value::as_i64) else {
            self.validation.push(error(
                format!(
                    "Validation error of type MissingFieldArgument: Missing field argument limit @ '{}'",
                    field.name
                ),
                Some(field.position),
                None,
                "ValidationError",
            ));
            return None;
        };
        let offset = args.get("offset").and_then(Value::as_i64).unwrap_or(0);
        if limit < 0 || offset < 0 {
            self.errors.push(error(
                format!(
                    "Exception while fetching data ({}) : Limit and offset must not be negative",
                    path_text(path)
                ),
                Some(field.position),
                Some(path),
                "DataFetchingException",
            ));
            return None;
        }
        let limit = limit.min(MAX_LIMIT);
        let total = nodes.len();
        let skip = usize::try_from(offset).unwrap_or(usize::MAX);
        let take = usize::try_from(limit).unwrap_or(0);
        let page: Vec<Value> = nodes.into_iter().skip(skip).take(take).collect();
        let has_more = skip.saturating_add(page.len()) < total;
        Some(json!({
            "__typename": "Connection",
            "pageInfo": {"__typename": "PageInfo", "hasMore": has_more, "total": total, "offset": offset, "limit": limit},
            "nodes": page,
        }))
    }

    fn project(
        &mut self,
        value: Value,
        set: &'d SelectionSet<'a, &'a str>,
        path: &[Value],
    ) -> Value {
        if set.items.is_empty() {
            return value;
        }
        match value {
            Value::Array(items) => Value::Array(
                items
                    .into_iter()
                    .enumerate()
                    .map(|(i, v)| {
                        let mut p = path.to_vec();
                        p.push(json!(i));
                        self.project(v, set, &p)
                    })
                    .collect(),
            ),
            Value::Object(o) if o.contains_key("__ref") => {
                let expanded = self.resolver.expand(&Value::Object(o));
                self.project(expanded, set, path)
            }
            Value::Object(o) => {
                let typename = o
                    .get("__typename")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                let mut fields = Vec::new();
                let fragments = self.fragments.clone();
                collect(set, &typename, &fragments, &mut fields);
                let mut out = Map::new();
                for field in fields {
                    let key = field.alias.unwrap_or(field.name).to_string();
                    if field.name == "__typename" {
                        out.insert(key, json!(typename));
                        continue;
                    }
                    let Some(raw) = o.get(field.name).cloned() else {
                        self.validation.push(error(
                            format!(
                                "Validation error of type FieldUndefined: Field '{}' in type '{typename}' is undefined @ '{}'",
                                field.name,
                                path_text(path).trim_start_matches('/'),
                            ),
                            Some(field.position),
                            None,
                            "ValidationError",
                        ));
                        continue;
                    };
                    let mut p = path.to_vec();
                    p.push(json!(key));
                    let v = self.field_value(raw, field, &p);
                    out.insert(key, v);
                }
                Value::Object(out)
            }
            other => other,
        }
    }
}

fn path_text(path: &[Value]) -> String {
    path.iter()
        .map(|p| match p {
            Value::String(s) => format!("/{s}"),
            other => format!("[{other}]"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixed;

    impl Resolver for Fixed {
        fn has_root(&self, kind: OpKind, name: &str) -> bool {
            kind == OpKind::Query && matches!(name, "thing" | "broken")
        }
        fn root(
            &mut self,
            _: OpKind,
            name: &str,
            args: &Map<String, Value>,
        ) -> Result<Value, String> {
            if name == "broken" {
                return Err("Execution does not exist or access is denied".into());
            }
            Ok(json!({
                "__typename": "PipelineExecution", "id": args.get("id").cloned().unwrap_or_default(),
                "status": "PAUSED", "createdAt": 5, "pipeline": {"__ref": "p"},
                "items": {"__conn": [{"__typename": "Pipeline", "id": "a"}, {"__typename": "Pipeline", "id": "b"}, {"__typename": "Pipeline", "id": "c"}]},
            }))
        }
        fn expand(&mut self, _: &Value) -> Value {
            json!({"__typename": "Pipeline", "id": "p1", "name": "release"})
        }
    }

    fn run(q: &str, vars: Value) -> Value {
        let Value::Object(vars) = vars else { panic!() };
        execute(q, None, &vars, &mut Fixed)
    }

    #[test]
    fn projects_aliases_fragments_refs_and_connections() {
        let out = run(
            "query($x: String = \"d\") { t: thing(id: $x) { __typename ...F ... on Execution { s: status } \
             pipeline { name } items(limit: 2, offset: 1) { pageInfo { hasMore total } nodes { id } } } } \
             fragment F on PipelineExecution { id createdAt }",
            json!({}),
        );
        assert_eq!(
            out,
            json!({"data": {"t": {"__typename": "PipelineExecution", "id": "d", "createdAt": 5, "s": "PAUSED",
                "pipeline": {"name": "release"},
                "items": {"pageInfo": {"hasMore": false, "total": 3}, "nodes": [{"id": "b"}, {"id": "c"}]}}}})
        );
    }

    #[test]
    fn error_shapes() {
        let out = run("{ broken }", json!({}));
        assert_eq!(out["data"]["broken"], Value::Null);
        assert_eq!(
            out["errors"][0]["message"],
            "Exception while fetching data (/broken) : Execution does not exist or access is denied"
        );
        assert_eq!(out["errors"][0]["path"], json!(["broken"]));
        let out = run("{ thing { nope } }", json!({}));
        assert!(out.get("data").is_none());
        assert_eq!(
            out["errors"][0]["extensions"]["classification"],
            "ValidationError"
        );
        let out = run("{ thing { items { nodes { id } } } }", json!({}));
        assert!(
            out["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("Missing field argument limit")
        );
        let out = run("{ thing( }", json!({}));
        assert!(
            out["errors"][0]["message"]
                .as_str()
                .unwrap()
                .starts_with("Invalid Syntax")
        );
        let deep = format!("{}{}", "{ thing ".repeat(10_000), "}".repeat(10_000));
        let out = run(&deep, json!({}));
        let message = out["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains("deeper than 64"), "{message}");
        // Brackets inside strings do not count.
        assert_eq!(depth(r#"{ a(x: "{{{\"{") { b } }"#), 2);
        let out = run(
            "query A { thing { id } } query B { thing { id } }",
            json!({}),
        );
        assert!(
            out["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("operation name")
        );
    }
}
