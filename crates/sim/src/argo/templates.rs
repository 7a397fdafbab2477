//! WorkflowTemplates, ClusterWorkflowTemplates (spec §6.4) and WorkflowEventBindings (§9),
//! read-only. Unlike the workflow list, template lists page with real Kubernetes `continue`
//! tokens (base64 JSON naming the key to start from) and filter by `namePattern`.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE;
use serde_json::{Value, json};

use super::auth::Caller;
use super::errors::{Answer, ApiError};
use super::handler::ok;
use super::selectors::LabelSelector;
use crate::Shared;
use crate::harness::Params;

/// A Kubernetes list of `objects` (already in name order) after selectors and paging.
fn page(objects: Vec<Value>, rv: u64, params: &Params) -> Answer<Value> {
    let labels = LabelSelector::parse(params.get("listOptions.labelSelector"))?;
    let pattern = params.get("namePattern").unwrap_or("");
    let start = match params.get("listOptions.continue").filter(|c| !c.is_empty()) {
        None => String::new(),
        Some(token) => {
            let bad = || ApiError::invalid(format!("continue key is not valid: {token}"));
            let raw = URL_SAFE.decode(token).map_err(|_| bad())?;
            let v: Value = serde_json::from_slice(&raw).map_err(|_| bad())?;
            v["start"].as_str().ok_or_else(bad)?.to_string()
        }
    };
    let limit = match params.get("listOptions.limit").filter(|l| !l.is_empty()) {
        None => 0,
        Some(l) => l
            .parse::<usize>()
            .map_err(|_| ApiError::bad_int("listOptions.limit", l))?,
    };
    let mut items: Vec<Value> = objects
        .into_iter()
        .filter(|o| labels.matches_object(o))
        .filter(|o| {
            o["metadata"]["name"]
                .as_str()
                .is_some_and(|n| n.contains(pattern))
        })
        .filter(|o| {
            o["metadata"]["name"]
                .as_str()
                .is_some_and(|n| n >= start.as_str())
        })
        .collect();
    let mut meta = json!({"resourceVersion": rv.to_string()});
    if limit > 0 && items.len() > limit {
        let next = items[limit]["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let token = json!({"v": "meta.k8s.io/v1", "rv": rv, "start": next});
        meta["continue"] = json!(URL_SAFE.encode(token.to_string()));
        meta["remainingItemCount"] = json!(items.len() - limit);
        items.truncate(limit);
    }
    let items = if items.is_empty() {
        Value::Null
    } else {
        Value::Array(items)
    };
    Ok(json!({"metadata": meta, "items": items}))
}

fn templates_of(s: &Shared, namespace: Option<&str>) -> (Vec<Value>, u64) {
    let st = s.argo.state();
    let mut objects: Vec<&super::state::Template> = st
        .templates
        .iter()
        .filter(|t| t.namespace.as_deref() == namespace)
        .collect();
    objects.sort_by(|a, b| a.name.cmp(&b.name));
    (objects.iter().map(|t| t.object.clone()).collect(), st.rv())
}

pub(crate) async fn list(
    State(s): State<Arc<Shared>>,
    _caller: Caller,
    Path(ns): Path<String>,
    params: Params,
) -> Answer<Response> {
    let (objects, rv) = templates_of(&s, Some(&ns));
    Ok(ok(page(objects, rv, &params)?))
}

pub(crate) async fn get(
    State(s): State<Arc<Shared>>,
    _caller: Caller,
    Path((ns, name)): Path<(String, String)>,
) -> Answer<Response> {
    let st = s.argo.state();
    let t = st
        .template(Some(&ns), &name)
        .ok_or_else(|| ApiError::not_found("workflowtemplates", &name))?;
    Ok(ok(t.object.clone()))
}

pub(crate) async fn cluster_list(
    State(s): State<Arc<Shared>>,
    _caller: Caller,
    params: Params,
) -> Answer<Response> {
    let (objects, rv) = templates_of(&s, None);
    Ok(ok(page(objects, rv, &params)?))
}

pub(crate) async fn cluster_get(
    State(s): State<Arc<Shared>>,
    _caller: Caller,
    Path(name): Path<String>,
) -> Answer<Response> {
    let st = s.argo.state();
    let t = st
        .template(None, &name)
        .ok_or_else(|| ApiError::not_found("clusterworkflowtemplates", &name))?;
    Ok(ok(t.object.clone()))
}

pub(crate) async fn bindings(
    State(s): State<Arc<Shared>>,
    _caller: Caller,
    Path(ns): Path<String>,
    params: Params,
) -> Answer<Response> {
    let (objects, rv) = {
        let st = s.argo.state();
        let objects = st
            .bindings
            .iter()
            .filter(|b| b["metadata"]["namespace"] == ns)
            .cloned()
            .collect();
        (objects, st.rv())
    };
    Ok(ok(page(objects, rv, &params)?))
}
