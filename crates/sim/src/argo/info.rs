//! `GET /api/v1/info`, `/version` and `/userinfo` (spec §3).

use axum::response::Response;
use serde_json::json;

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

/// The caller's service account, as the server derives it from the token's subject.
pub(crate) async fn userinfo(caller: Caller) -> Response {
    let sa = &caller.0;
    ok(json!({
        "issuer": "kubernetes/serviceaccount",
        "subject": sa.subject(),
        "serviceAccountName": sa.name,
        "serviceAccountNamespace": sa.namespace,
    }))
}
