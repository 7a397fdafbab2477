//! Conformance of JSON bodies with the official Argo Workflows swagger
//! (`specs/argo-workflows-swagger.json` beside `DESIGN.md`), for simulator and client tests.
//!
//! The swagger leaves every object open, so a misspelt field would pass a lenient check; this
//! one is strict: a property the schema does not declare is an error. Otherwise it follows
//! the schema: `$ref`s, types, `required`, `enum`, array `items` and maps
//! (`additionalProperties`). `null` is accepted where Go's encoder writes it for an empty
//! value: arrays (nil slices), maps (nil maps) and `date-time` strings (zero `metav1.Time`).
//!
//! A `fields` projection on a stream removes properties without putting required ones back
//! (list and get re-encode, streams do not), so the `projected` forms skip `required`.
//!
//! ```ignore
//! let body: Value = response.json().await?;
//! swagger::check_response("GET", "/api/v1/workflows/argo", &body);
//! ```
//!
//! Self-contained: only `serde_json` and `jiff`.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::OnceLock;

use serde_json::{Map, Value};

/// Definitions whose content is free-form JSON although the swagger says `object`.
const FREE_FORM: [&str; 2] = [
    "io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1",
    "io.argoproj.workflow.v1alpha1.Item",
];
/// Declared as a string, sent as a number or a string.
const INT_OR_STRING: &str = "io.k8s.apimachinery.pkg.util.intstr.IntOrString";
/// The error body: the swagger's shape without `error`, which grpc-gateway does not send
/// with the server's error handler (spec §2.1).
const ERROR: &str = "grpc.gateway.runtime.Error";

/// Where the swagger lives: a copy of argo-workflows' `api/openapi-spec/swagger.json`
/// (byte-identical at v4.1.0, v4.1.2 and main at the time), kept with the tests so a fresh
/// clone checks against it.
pub fn swagger_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/argo/swagger.json")
}

/// The parsed swagger. Panics (failing the test) if the file is missing or unreadable: a
/// conformance test that cannot see its spec must not pass.
pub fn swagger() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| {
        let path = swagger_path();
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "the Argo swagger is needed for conformance checks but cannot be read at {}: {e}",
                path.display()
            )
        });
        serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
    })
}

/// Validates `value` against definition `name` (e.g.
/// `io.argoproj.workflow.v1alpha1.Workflow`); every problem is listed with its JSON path.
pub fn validate(name: &str, value: &Value) -> Result<(), Vec<String>> {
    let schema = serde_json::json!({ "$ref": format!("#/definitions/{name}") });
    validate_schema(&schema, value)
}

/// Validates `value` against an inline schema (as found in `paths`).
pub fn validate_schema(schema: &Value, value: &Value) -> Result<(), Vec<String>> {
    run(schema, value, Mode { required: true })
}

/// How strict a check is.
#[derive(Clone, Copy)]
struct Mode {
    /// Whether `required` properties must be present.
    required: bool,
}

fn run(schema: &Value, value: &Value, mode: Mode) -> Result<(), Vec<String>> {
    let mut errors = Vec::new();
    check(schema, value, "$", mode, &mut errors);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// The path template (`/api/v1/workflows/{namespace}`) a concrete path (query ignored) falls
/// under for `method`, preferring templates with more literal segments.
pub fn template_for(method: &str, path: &str) -> Option<String> {
    let path = path.split('?').next().unwrap_or(path);
    let method = method.to_lowercase();
    let want: Vec<&str> = path.split('/').collect();
    let paths = swagger()["paths"].as_object()?;
    paths
        .iter()
        .filter(|(_, ops)| ops.get(&method).is_some())
        .filter_map(|(template, _)| {
            let have: Vec<&str> = template.split('/').collect();
            if have.len() != want.len() {
                return None;
            }
            let mut literal = 0;
            for (h, w) in have.iter().zip(&want) {
                if h.starts_with('{') && h.ends_with('}') {
                    continue;
                }
                if h != w {
                    return None;
                }
                literal += 1;
            }
            Some((literal, template.clone()))
        })
        .max_by_key(|(literal, _)| *literal)
        .map(|(_, t)| t)
}

/// Whether the swagger documents `method` on path template `template`.
pub fn has_route(method: &str, template: &str) -> bool {
    swagger()["paths"][template]
        .get(method.to_lowercase())
        .is_some()
}

/// The schema of a successful answer to `method path` (a `$ref` or, for streams, the inline
/// `{"result":…,"error":…}` object).
pub fn response_schema(method: &str, path: &str) -> Option<Value> {
    let template = template_for(method, path)?;
    let op = &swagger()["paths"][template.as_str()][method.to_lowercase()];
    op["responses"]["200"]["schema"]
        .as_object()
        .cloned()
        .map(Value::Object)
}

/// The name of the definition a successful answer to `method path` is, if it is one.
pub fn response_definition(method: &str, path: &str) -> Option<String> {
    let schema = response_schema(method, path)?;
    schema["$ref"]
        .as_str()
        .and_then(|r| r.strip_prefix("#/definitions/"))
        .map(str::to_string)
}

/// The schema of the request body of `method path`, if it takes one.
pub fn request_schema(method: &str, path: &str) -> Option<Value> {
    let template = template_for(method, path)?;
    let op = &swagger()["paths"][template.as_str()][method.to_lowercase()];
    op["parameters"]
        .as_array()?
        .iter()
        .find(|p| p["in"] == "body")
        .map(|p| p["schema"].clone())
}

/// Validates a successful answer (a whole body, or one stream message) to `method path`.
pub fn validate_response(method: &str, path: &str, value: &Value) -> Result<(), Vec<String>> {
    let schema = response_schema(method, path)
        .ok_or_else(|| vec![format!("the swagger has no 200 answer for {method} {path}")])?;
    validate_schema(&schema, value)
}

/// Validates a stream message of `method path` sent with a `fields` projection: as
/// [`validate_response`], except that projected-away required properties may be missing.
pub fn validate_projected(method: &str, path: &str, value: &Value) -> Result<(), Vec<String>> {
    let schema = response_schema(method, path)
        .ok_or_else(|| vec![format!("the swagger has no 200 answer for {method} {path}")])?;
    run(&schema, value, Mode { required: false })
}

/// Validates a request body sent as `method path`.
pub fn validate_request(method: &str, path: &str, value: &Value) -> Result<(), Vec<String>> {
    let schema = request_schema(method, path).ok_or_else(|| {
        vec![format!(
            "the swagger has no request body for {method} {path}"
        )]
    })?;
    validate_schema(&schema, value)
}

/// Validates an error body: `{code, message}` as grpc-gateway sends it, both required, and
/// no `error` field.
pub fn validate_error(value: &Value) -> Result<(), Vec<String>> {
    let mut errors = validate(ERROR, value).err().unwrap_or_default();
    for key in ["code", "message"] {
        if value.get(key).is_none() {
            errors.push(format!("$: missing required property '{key}'"));
        }
    }
    if value.get("error").is_some() {
        errors.push("$.error: not sent by the server's error handler".to_string());
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// Panicking forms for tests.
pub fn check_response(method: &str, path: &str, value: &Value) {
    if let Err(e) = validate_response(method, path, value) {
        panic!(
            "{method} {path} answer does not conform:\n  {}\n{value:#}",
            e.join("\n  ")
        );
    }
}

pub fn check_projected(method: &str, path: &str, value: &Value) {
    if let Err(e) = validate_projected(method, path, value) {
        panic!(
            "{method} {path} message does not conform:\n  {}\n{value:#}",
            e.join("\n  ")
        );
    }
}

pub fn check_definition(name: &str, value: &Value) {
    if let Err(e) = validate(name, value) {
        panic!("not a {name}:\n  {}\n{value:#}", e.join("\n  "));
    }
}

pub fn check_error(value: &Value) {
    if let Err(e) = validate_error(value) {
        panic!(
            "error body does not conform:\n  {}\n{value:#}",
            e.join("\n  ")
        );
    }
}

fn definition(reference: &str) -> Option<(&'static str, &'static Value)> {
    let name = reference.strip_prefix("#/definitions/")?;
    let (key, schema) = swagger()["definitions"].as_object()?.get_key_value(name)?;
    Some((key.as_str(), schema))
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn check(schema: &Value, value: &Value, at: &str, mode: Mode, errors: &mut Vec<String>) {
    if let Some(reference) = schema["$ref"].as_str() {
        let Some((name, target)) = definition(reference) else {
            errors.push(format!("{at}: unknown reference {reference}"));
            return;
        };
        if FREE_FORM.contains(&name) {
            return;
        }
        if name == INT_OR_STRING {
            if !(value.is_string() || value.is_i64() || value.is_u64()) {
                errors.push(format!(
                    "{at}: expected an integer or a string, got {}",
                    type_name(value)
                ));
            }
            return;
        }
        check(target, value, at, mode, errors);
        return;
    }
    let ty = schema["type"].as_str();
    if value.is_null() {
        let nullable = matches!(ty, Some("array"))
            || schema.get("additionalProperties").is_some()
            || schema["format"] == "date-time";
        if !nullable {
            errors.push(format!(
                "{at}: null where {} is expected",
                ty.unwrap_or("a value")
            ));
        }
        return;
    }
    if let Some(choices) = schema["enum"].as_array()
        && !choices.contains(value)
    {
        errors.push(format!(
            "{at}: {value} is not one of {}",
            Value::Array(choices.clone())
        ));
    }
    match ty {
        None => {}
        Some("object") => check_object(schema, value, at, mode, errors),
        Some("array") => match value.as_array() {
            Some(items) => {
                for (i, item) in items.iter().enumerate() {
                    check(&schema["items"], item, &format!("{at}[{i}]"), mode, errors);
                }
            }
            None => errors.push(format!("{at}: expected array, got {}", type_name(value))),
        },
        Some("string") => match value.as_str() {
            Some(s) if schema["format"] == "date-time" => {
                if s.parse::<jiff::Timestamp>().is_err() {
                    errors.push(format!("{at}: {s:?} is not an RFC 3339 time"));
                }
            }
            Some(_) => {}
            None => errors.push(format!("{at}: expected string, got {}", type_name(value))),
        },
        Some(scalar @ ("integer" | "number" | "boolean")) => {
            let fits = match scalar {
                "integer" => value.is_i64() || value.is_u64(),
                "number" => value.is_number(),
                _ => value.is_boolean(),
            };
            if !fits {
                errors.push(format!("{at}: expected {scalar}, got {}", type_name(value)));
            }
        }
        Some(other) => errors.push(format!("{at}: the schema has an unknown type {other}")),
    }
}

fn check_object(schema: &Value, value: &Value, at: &str, mode: Mode, errors: &mut Vec<String>) {
    let Some(object) = value.as_object() else {
        errors.push(format!("{at}: expected object, got {}", type_name(value)));
        return;
    };
    let empty = Map::new();
    let properties = schema["properties"].as_object().unwrap_or(&empty);
    let required = schema["required"].as_array().filter(|_| mode.required);
    for required in required.into_iter().flatten() {
        if let Some(key) = required.as_str()
            && !object.contains_key(key)
        {
            errors.push(format!("{at}: missing required property '{key}'"));
        }
    }
    let map = schema.get("additionalProperties").filter(|a| a.is_object());
    for (key, child) in object {
        let child_at = format!("{at}.{key}");
        match (properties.get(key), map) {
            (Some(p), _) => check(p, child, &child_at, mode, errors),
            (None, Some(values)) => check(values, child, &child_at, mode, errors),
            (None, None) => errors.push(format!("{child_at}: not a property of the schema")),
        }
    }
}
