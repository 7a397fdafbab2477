//! The start form of an Infraxys entry and the JSON `argument` object built from it.
//!
//! Infraxys hands `argument` to the action as `/tmp/infraxys/system/custom/arguments.json`
//! and never validates it, so whatever shape it has is the module author's contract. The
//! form therefore offers the configured typed fields plus one free JSON editor for the whole
//! object, so a user can send nested values the config does not describe. The typed fields
//! are merged into the free object: a value typed into a field wins over the same key in the
//! JSON, and the JSON wins over a field's default (what was written beats what was assumed).

use serde_json::{Map, Number, Value};

use crate::domain::{BackendError, VarKind, VariableSpec};

/// One field of the JSON `argument` sent on execute; becomes a start-form variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgumentField {
    pub name: String,
    pub field_type: ArgumentType,
    pub required: bool,
    /// The default as text (`"42"`, `"true"`), already checked against `field_type`.
    pub default: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ArgumentType {
    #[default]
    String,
    Number,
    Bool,
}

impl ArgumentType {
    pub const ALL: [ArgumentType; 3] = [
        ArgumentType::String,
        ArgumentType::Number,
        ArgumentType::Bool,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ArgumentType::String => "string",
            ArgumentType::Number => "number",
            ArgumentType::Bool => "bool",
        }
    }
}

/// The start-form variable holding the whole `argument` object as JSON text. Configured
/// argument fields may not use this name (checked when the backend is built).
pub const ARGUMENT_JSON: &str = "argument_json";

/// One start-form variable per configured field, then the free JSON editor.
pub fn variables(fields: &[ArgumentField]) -> Vec<VariableSpec> {
    let mut variables: Vec<VariableSpec> = fields
        .iter()
        .map(|f| VariableSpec {
            name: f.name.clone(),
            kind: match f.field_type {
                ArgumentType::String => VarKind::Text,
                ArgumentType::Number => VarKind::Number,
                ArgumentType::Bool => VarKind::Choice(vec!["true".into(), "false".into()]),
            },
            required: f.required,
            default: f.default.clone(),
            description: Some(format!("argument.{} ({})", f.name, f.field_type.as_str())),
        })
        .collect();
    variables.push(VariableSpec {
        name: ARGUMENT_JSON.to_owned(),
        kind: VarKind::Text,
        required: false,
        default: Some("{}".to_owned()),
        description: Some(
            "the whole argument object as JSON; the fields above are merged into it".to_owned(),
        ),
    });
    variables
}

/// Builds the `argument` object from the submitted values. Blank values count as not given
/// (the form submits every field), so they fall back to the free JSON or the default.
/// Fails, naming the
/// variable, on unknown names, missing required fields, values of the wrong type and free
/// JSON that is not an object: all before any request is sent.
pub fn build(fields: &[ArgumentField], values: &[(String, String)]) -> Result<Value, BackendError> {
    for (name, _) in values {
        if name != ARGUMENT_JSON && !fields.iter().any(|f| &f.name == name) {
            let mut known: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
            known.push(ARGUMENT_JSON);
            return Err(BackendError::BadRequest(format!(
                "unknown variable {name:?}; this pipeline takes {}",
                known.join(", ")
            )));
        }
    }
    let given = |name: &str| {
        values
            .iter()
            .rev()
            .find(|(n, v)| n == name && !v.trim().is_empty())
            .map(|(_, v)| v.as_str())
    };

    let mut argument = match given(ARGUMENT_JSON) {
        None => Map::new(),
        Some(text) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(map)) => map,
            Ok(_) => {
                return Err(BackendError::BadRequest(format!(
                    "{ARGUMENT_JSON} must be a JSON object ({{...}})"
                )));
            }
            Err(e) => {
                return Err(BackendError::BadRequest(format!(
                    "{ARGUMENT_JSON} is not valid JSON: {e}"
                )));
            }
        },
    };

    for field in fields {
        let text = match given(&field.name) {
            Some(text) => text,
            None if argument.contains_key(&field.name) => continue,
            None => match field.default.as_deref() {
                Some(default) => default,
                None if field.required => {
                    return Err(BackendError::BadRequest(format!(
                        "{} is required",
                        field.name
                    )));
                }
                None => continue,
            },
        };
        argument.insert(field.name.clone(), typed(field, text.trim())?);
    }
    Ok(Value::Object(argument))
}

fn typed(field: &ArgumentField, text: &str) -> Result<Value, BackendError> {
    let wrong = |what: &str| {
        BackendError::BadRequest(format!("{} must be {what}, not {text:?}", field.name))
    };
    match field.field_type {
        ArgumentType::String => Ok(Value::String(text.to_owned())),
        ArgumentType::Bool => match text.to_ascii_lowercase().as_str() {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(wrong("true or false")),
        },
        ArgumentType::Number => {
            // Integers stay integers (`4`, not `4.0`): an action reading the file with `jq`
            // or a strict parser should see what the user typed.
            if let Ok(n) = text.parse::<i64>() {
                return Ok(Value::Number(n.into()));
            }
            text.parse::<f64>()
                .ok()
                .and_then(Number::from_f64)
                .map(Value::Number)
                .ok_or_else(|| wrong("a finite number"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn field(
        name: &str,
        field_type: ArgumentType,
        required: bool,
        default: Option<&str>,
    ) -> ArgumentField {
        ArgumentField {
            name: name.into(),
            field_type,
            required,
            default: default.map(str::to_owned),
        }
    }

    fn fields() -> Vec<ArgumentField> {
        vec![
            field("namespace", ArgumentType::String, true, None),
            field("cpu", ArgumentType::Number, false, Some("4")),
            field("dry_run", ArgumentType::Bool, false, Some("false")),
        ]
    }

    fn values(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn form_maps_types_and_adds_the_json_editor() {
        let vars = variables(&fields());
        assert_eq!(vars.len(), 4);
        assert_eq!(vars[0].kind, VarKind::Text);
        assert!(vars[0].required);
        assert_eq!(vars[1].kind, VarKind::Number);
        assert_eq!(vars[1].default.as_deref(), Some("4"));
        assert_eq!(
            vars[2].kind,
            VarKind::Choice(vec!["true".into(), "false".into()])
        );
        assert_eq!(vars[3].name, ARGUMENT_JSON);
        assert_eq!(vars[3].default.as_deref(), Some("{}"));
        assert!(!vars[3].required);
    }

    #[test]
    fn fields_are_typed_defaulted_and_merged_into_the_free_json() {
        let built = build(
            &fields(),
            &values(&[
                ("namespace", " team-a "),
                ("cpu", ""),
                (
                    ARGUMENT_JSON,
                    r#"{"labels":{"tier":"gold"},"namespace":"ignored"}"#,
                ),
            ]),
        )
        .unwrap();
        assert_eq!(
            built,
            json!({"namespace": "team-a", "cpu": 4, "dry_run": false, "labels": {"tier": "gold"}})
        );
        // The JSON beats a default, and satisfies a required field.
        let from_json = build(
            &fields(),
            &values(&[(ARGUMENT_JSON, r#"{"namespace":"n","cpu":"8"}"#)]),
        )
        .unwrap();
        assert_eq!(
            from_json,
            json!({"namespace": "n", "cpu": "8", "dry_run": false})
        );
        let floats = build(
            &fields(),
            &values(&[("namespace", "x"), ("cpu", "0.5"), ("dry_run", "TRUE")]),
        )
        .unwrap();
        assert_eq!(floats["cpu"], json!(0.5));
        assert_eq!(floats["dry_run"], json!(true));
    }

    #[test]
    fn bad_input_is_refused_with_the_variable_named() {
        let err = |pairs: &[(&str, &str)]| match build(&fields(), &values(pairs)) {
            Err(BackendError::BadRequest(m)) => m,
            other => panic!("{other:?}"),
        };
        assert_eq!(err(&[]), "namespace is required");
        assert_eq!(err(&[("namespace", "  ")]), "namespace is required");
        assert!(
            err(&[("namespace", "a"), ("cpu", "many")]).starts_with("cpu must be a finite number")
        );
        assert!(
            err(&[("namespace", "a"), ("dry_run", "yes")])
                .starts_with("dry_run must be true or false")
        );
        assert!(
            err(&[("namespace", "a"), (ARGUMENT_JSON, "{not json")])
                .starts_with("argument_json is not valid JSON")
        );
        assert_eq!(
            err(&[("namespace", "a"), (ARGUMENT_JSON, "[1,2]")]),
            "argument_json must be a JSON object ({...})"
        );
        assert_eq!(
            err(&[("nmespace", "a")]),
            "unknown variable \"nmespace\"; this pipeline takes namespace, cpu, dry_run, argument_json"
        );
    }

    #[test]
    fn no_fields_and_no_json_sends_an_empty_object() {
        assert_eq!(build(&[], &[]).unwrap(), json!({}));
        assert_eq!(
            build(&[], &values(&[(ARGUMENT_JSON, " ")])).unwrap(),
            json!({})
        );
    }
}
