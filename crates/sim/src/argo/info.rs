//! `GET /api/v1/info`, `/version` and `/userinfo` (spec §3).

use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::auth::Caller;
use super::handler::ok;

/// The version the face claims to be (spec §0).
pub(crate) const VERSION: &str = "v4.1.2";

/// The server is cluster-wide (it serves two namespaces), so there is no `managedNamespace`.
pub(crate) async fn info(_caller: Caller) -> Response {
    ok(json!({
        "links": [{
            "name": "Workflow Logs",
            "scope": "workflow",
            "url": "https://logs.example.com/?namespace=${metadata.namespace}&workflowName=${metadata.name}&startedAt=${status.startedAt}&finishedAt=${status.finishedAt}",
            "target": "_blank",
        }],
        "modals": {"feedback": true, "firstTimeUser": true, "newVersion": true},
        "columns": [{"name": "Workflow Completed", "type": "label", "key": "workflows.argoproj.io/completed"}],
    }))
}

pub(crate) async fn version(_caller: Caller) -> Response {
    ok(json!({
        "version": VERSION,
        "buildDate": "2026-08-21T10:00:00Z",
        "gitCommit": "f016ad89eb269d282aec06dc491c29f396a38df4",
        "gitTag": VERSION,
        "gitTreeState": "clean",
        "goVersion": "go1.26.5",
        "compiler": "gc",
        "platform": "linux/amd64",
    }))
}

/// What argo-server in `client` mode answers (spec control-logs-identity.md §3.3): the claims
/// of an unverified decode of the bearer JWT, so a token that is not a JWT (a cloud
/// provider's, say) gives `{}`; the service account's name and namespace come from a
/// `system:serviceaccount:<namespace>:<name>` subject. Every field is `omitempty`.
pub(crate) async fn userinfo(_caller: Caller, headers: HeaderMap) -> Response {
    let claims = bearer(&headers).and_then(claims).unwrap_or_default();
    let text = |key: &str| claims.get(key).and_then(Value::as_str).map(str::to_string);
    let mut out = Map::new();
    let mut put = |key: &str, value: Option<Value>| {
        if let Some(v) = value {
            out.insert(key.to_string(), v);
        }
    };
    let subject = text("sub");
    let account = subject
        .as_deref()
        .and_then(|s| s.strip_prefix("system:serviceaccount:"))
        .and_then(|rest| rest.split_once(':'));
    put("issuer", text("iss").map(Value::from));
    put("subject", subject.clone().map(Value::from));
    put(
        "groups",
        claims
            .get("groups")
            .filter(|g| g.as_array().is_some_and(|a| !a.is_empty()))
            .cloned(),
    );
    put("email", text("email").map(Value::from));
    put(
        "emailVerified",
        claims
            .get("email_verified")
            .and_then(Value::as_bool)
            .filter(|v| *v)
            .map(Value::from),
    );
    put("name", text("name").map(Value::from));
    put(
        "serviceAccountName",
        account.map(|(_, name)| Value::from(name)),
    );
    put(
        "serviceAccountNamespace",
        account.map(|(ns, _)| Value::from(ns)),
    );
    ok(Value::Object(out))
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_string())
}

/// The payload of a JWT, decoded without checking anything else; `None` for anything that
/// is not three dot-separated parts with a JSON object in the middle.
fn claims(token: String) -> Option<Map<String, Value>> {
    use base64::Engine;
    let mut parts = token.split('.');
    let (_, payload, _, None) = (parts.next()?, parts.next()?, parts.next()?, parts.next()) else {
        return None;
    };
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        Value::Object(map) => Some(map),
        _ => None,
    }
}
