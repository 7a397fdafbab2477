//! `POST /api/v1/events/{ns}/{discriminator}` (spec §9): the raw payload is matched against
//! each WorkflowEventBinding of the namespace, and every match submits its template, with
//! parameters taken from the event. Dispatch is synchronous, as the server's default: a
//! binding that cannot submit makes the call fail (500).
//!
//! Selectors and `valueFrom.event` are expr-lang expressions on the real server; the
//! simulator evaluates the subset its bindings use: `&&`-joined `==`/`!=` comparisons of
//! paths (`discriminator`, `payload.a.b`, `metadata["x-h"]`) with string literals.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{Value, json};

use super::auth::Caller;
use super::errors::{Answer, ApiError};
use super::handler::{self, ok};
use super::json;
use super::plan::Origin;
use super::submit::{self, Launch};
use crate::Shared;
use crate::world::TriggerKind;

/// What an expression can read.
struct Env<'a> {
    payload: &'a Value,
    discriminator: &'a str,
    /// Headers starting `x-`, lower-cased, each a list of values.
    metadata: Value,
}

impl Env<'_> {
    fn lookup(&self, path: &str) -> Option<Value> {
        let path = path.trim();
        if path == "discriminator" {
            return Some(json!(self.discriminator));
        }
        if let Some(header) = path
            .strip_prefix("metadata[")
            .and_then(|r| r.strip_suffix(']'))
        {
            let key = header.trim().trim_matches(|c| c == '"' || c == '\'');
            return self.metadata.get(key).cloned();
        }
        let rest = path.strip_prefix("payload")?;
        let mut v = self.payload;
        for key in rest.split('.').filter(|k| !k.is_empty()) {
            v = v.get(key)?;
        }
        Some(v.clone())
    }

    fn operand(&self, s: &str) -> Option<Value> {
        let s = s.trim();
        let quoted = s.len() >= 2
            && ((s.starts_with('"') && s.ends_with('"'))
                || (s.starts_with('\'') && s.ends_with('\'')));
        if quoted {
            return Some(json!(&s[1..s.len() - 1]));
        }
        self.lookup(s)
    }

    /// Evaluates a selector; `Err` names what the simulator cannot evaluate.
    fn matches(&self, expr: &str) -> Result<bool, String> {
        for term in expr.split("&&") {
            let (lhs, rhs, equal) = if let Some((l, r)) = term.split_once("!=") {
                (l, r, false)
            } else if let Some((l, r)) = term.split_once("==") {
                (l, r, true)
            } else {
                return Err(format!("unsupported expression '{}'", term.trim()));
            };
            if (self.operand(lhs) == self.operand(rhs)) != equal {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// A parameter value from `valueFrom.event`: a string as is, anything else as JSON.
    fn value(&self, path: &str) -> String {
        match self.lookup(path) {
            Some(Value::String(s)) => s,
            Some(Value::Null) | None => String::new(),
            Some(v) => v.to_string(),
        }
    }
}

fn headers_metadata(headers: &HeaderMap) -> Value {
    let mut m: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in headers {
        let k = k.as_str().to_lowercase();
        if k.starts_with("x-") {
            m.entry(k)
                .or_default()
                .push(v.to_str().unwrap_or_default().to_string());
        }
    }
    json!(m)
}

pub(crate) async fn receive(
    State(s): State<Arc<Shared>>,
    caller: Caller,
    Path((ns, discriminator)): Path<(String, String)>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Answer<Response> {
    dispatch(&s, &caller, &ns, &discriminator, &headers, &bytes)
}

/// The same with an empty discriminator (`/api/v1/events/{ns}/`).
pub(crate) async fn receive_plain(
    State(s): State<Arc<Shared>>,
    caller: Caller,
    Path(ns): Path<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Answer<Response> {
    dispatch(&s, &caller, &ns, "", &headers, &bytes)
}

fn dispatch(
    s: &Shared,
    caller: &Caller,
    ns: &str,
    discriminator: &str,
    headers: &HeaderMap,
    bytes: &Bytes,
) -> Answer<Response> {
    let payload: Value = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(bytes).map_err(|e| ApiError::invalid(e.to_string()))?
    };
    caller.may("create", "workflows", ns)?;
    let env = Env {
        payload: &payload,
        discriminator,
        metadata: headers_metadata(headers),
    };
    let (mut w, mut st) = handler::lock(s);
    let bindings: Vec<Value> = st
        .bindings
        .iter()
        .filter(|b| b["metadata"]["namespace"] == ns)
        .cloned()
        .collect();
    for b in bindings {
        let binding = b["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let selector = b["spec"]["event"]["selector"].as_str().unwrap_or_default();
        let hit = env.matches(selector).map_err(|e| {
            ApiError::internal(format!(
                "failed to evaluate workflow template expression: {e}"
            ))
        })?;
        if !hit {
            continue;
        }
        let submit = &b["spec"]["submit"];
        let r = &submit["workflowTemplateRef"];
        let template = r["name"].as_str().unwrap_or_default().to_string();
        let origin = if r["clusterScope"] == true {
            Origin::ClusterTemplate(template.clone())
        } else {
            Origin::Template(template.clone())
        };
        let given: Vec<(String, String)> = submit["arguments"]["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| {
                let name = p["name"].as_str().unwrap_or_default().to_string();
                let value = match p["valueFrom"]["event"].as_str() {
                    Some(path) => env.value(path),
                    None => p["value"].as_str().unwrap_or_default().to_string(),
                };
                (name, value)
            })
            .collect();
        let pipeline = submit::pipeline_for(&mut w, &mut st, ns, &origin, None)
            .map_err(|e| ApiError::internal(e.message))?;
        let mut labels: BTreeMap<String, String> = json::origin_labels(&origin)
            .into_iter()
            .map(|(k, v)| (k, v.as_str().unwrap_or_default().to_string()))
            .collect();
        labels.insert(json::EVENT_BINDING.to_string(), binding);
        let generate_name = format!("{template}-");
        let name = submit::workflow_name(&mut w, None, Some(&generate_name))?;
        let params: Vec<Value> = given
            .iter()
            .map(|(n, v)| json!({"name": n, "value": v}))
            .collect();
        let mut spec = json!({"arguments": {"parameters": params}, "workflowTemplateRef": r});
        if params_empty(&spec) {
            spec["arguments"] = json!({});
        }
        submit::launch(
            s,
            &mut w,
            &mut st,
            caller,
            Launch {
                namespace: ns.to_string(),
                pipeline,
                name,
                generate_name: Some(generate_name),
                labels,
                annotations: BTreeMap::new(),
                spec,
                given,
                trigger: TriggerKind::Webhook,
                dry_run: false,
            },
        )
        .map_err(|e| ApiError::internal(e.message))?;
    }
    Ok(ok(json!({})))
}

fn params_empty(spec: &Value) -> bool {
    spec["arguments"]["parameters"]
        .as_array()
        .is_none_or(Vec::is_empty)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_and_values() {
        let payload = json!({"ref": "refs/heads/main", "repository": {"full_name": "a/b"}, "n": 3});
        let env = Env {
            payload: &payload,
            discriminator: "github",
            metadata: json!({"x-e2e": ["true"]}),
        };
        assert_eq!(
            env.matches("discriminator == \"github\" && payload.ref == \"refs/heads/main\""),
            Ok(true)
        );
        assert_eq!(env.matches("payload.ref != 'refs/heads/main'"), Ok(false));
        assert_eq!(env.matches("metadata[\"x-e2e\"] == \"true\""), Ok(false));
        assert!(env.matches("payload.n > 2").is_err());
        assert_eq!(env.value("payload.repository.full_name"), "a/b");
        assert_eq!(env.value("payload.n"), "3");
        assert_eq!(env.value("payload.missing"), "");
    }
}
