//! `GET /api/v1/workflows/{ns}` (list, spec §4) and `GET /api/v1/workflows/{ns}/{name}` (get,
//! spec §5).
//!
//! The list behaves like the server's SQLite cache: everything matching is ordered by
//! `startedAt` (newest first), the page is cut at the integer offset in `continue`, and only
//! then is the page sorted (unfinished first by newest creation, then finished by newest
//! finish). Whether `continue` is set follows the v4 behaviour unless told otherwise (see
//! `set_argo_continue_bug`).

use std::cmp::Ordering;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::Response;
use jiff::Timestamp;
use serde_json::{Value, json};

use super::auth::Caller;
use super::errors::{Answer, ApiError, Code};
use super::fields::Fields;
use super::handler::ok;
use super::json;
use super::selectors::{LabelSelector, ListFields};
use super::state::ArgoState;
use crate::Shared;
use crate::harness::Params;

fn when(v: &Value, key: &str) -> Option<Timestamp> {
    v["status"][key]
        .as_str()
        .or_else(|| v["metadata"][key].as_str())
        .and_then(|t| t.parse().ok())
}

fn created(v: &Value) -> Option<Timestamp> {
    when(v, "creationTimestamp")
}

/// `Workflows.Less`: unfinished before finished; unfinished by newest creation, finished by
/// newest finish (by name when equal, to stay deterministic).
fn page_order(a: &Value, b: &Value) -> Ordering {
    let (fa, fb) = (when(a, "finishedAt"), when(b, "finishedAt"));
    let by_name = || {
        a["metadata"]["name"]
            .as_str()
            .cmp(&b["metadata"]["name"].as_str())
    };
    match (fa, fb) {
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (None, None) => created(b).cmp(&created(a)).then_with(by_name),
        (Some(x), Some(y)) => y.cmp(&x).then_with(by_name),
    }
}

fn int_param(params: &Params, key: &str) -> Answer<i64> {
    match params.get(key).filter(|v| !v.is_empty()) {
        None => Ok(0),
        Some(v) => v.parse().map_err(|_| ApiError::bad_int(key, v)),
    }
}

/// Workflows of a namespace (all of them for `""`) that pass the list's selectors and time
/// filters.
fn matching(st: &ArgoState, ns: &str, params: &Params) -> Answer<(Vec<Arc<Value>>, bool)> {
    let labels = LabelSelector::parse(params.get("listOptions.labelSelector"))?;
    let fields = ListFields::parse(
        params.get("listOptions.fieldSelector"),
        params.get("nameFilter"),
    )?;
    fields.check_namespace(ns)?;
    let parse_time = |key: &str| -> Answer<Option<Timestamp>> {
        params
            .get(key)
            .filter(|v| !v.is_empty())
            .map(|v| {
                v.parse::<Timestamp>()
                    .map_err(|_| ApiError::invalid(format!("invalid {key}: {v}")))
            })
            .transpose()
    };
    let created_after = parse_time("createdAfter")?;
    let finished_before = parse_time("finishedBefore")?;
    let items = st
        .objects((!ns.is_empty()).then_some(ns))
        .into_iter()
        .filter(|o| labels.matches_object(o) && fields.matches(o))
        .filter(|o| created_after.is_none_or(|t| created(o).is_some_and(|c| c >= t)))
        .filter(|o| finished_before.is_none_or(|t| when(o, "finishedAt").is_some_and(|f| f <= t)))
        .collect();
    Ok((items, fields.show_remaining))
}

pub(crate) async fn list(
    State(s): State<Arc<Shared>>,
    _caller: Caller,
    Path(ns): Path<String>,
    params: Params,
) -> Answer<Response> {
    list_in(&s, &ns, &params)
}

/// `GET /api/v1/workflows/`: an empty namespace lists every namespace.
pub(crate) async fn list_all(
    State(s): State<Arc<Shared>>,
    _caller: Caller,
    params: Params,
) -> Answer<Response> {
    list_in(&s, "", &params)
}

fn list_in(s: &Shared, ns: &str, params: &Params) -> Answer<Response> {
    let limit = int_param(params, "listOptions.limit")?.max(0) as usize;
    let offset = match params.get("listOptions.continue").filter(|c| !c.is_empty()) {
        None => 0,
        Some(c) => c
            .parse::<i64>()
            .map_err(|_| ApiError::invalid("listOptions.continue must be int"))?
            .max(0) as usize,
    };
    let projection = Fields::parse(params.get("fields"));
    let st = s.argo.state();
    let (mut items, exact) = matching(&st, ns, params)?;
    items.sort_by(|a, b| {
        when(b, "startedAt")
            .cmp(&when(a, "startedAt"))
            .then_with(|| {
                a["metadata"]["name"]
                    .as_str()
                    .cmp(&b["metadata"]["name"].as_str())
            })
    });
    let total = items.len();
    let end = if limit == 0 {
        total
    } else {
        (offset + limit).min(total)
    };
    let mut page: Vec<Value> = items
        .get(offset.min(total)..end)
        .unwrap_or_default()
        .iter()
        .map(|o| o.as_ref().clone())
        .collect();
    page.sort_by(page_order);
    let mut meta = json!({"resourceVersion": st.rv().to_string()});
    let next = offset + page.len();
    // v4 only learns of more rows from the (disabled) archive, so it never pages on unless
    // asked to count (spec §4.2).
    if next < total && (exact || !s.argo.continue_bug()) {
        meta["continue"] = json!(next.to_string());
    }
    if exact {
        meta["remainingItemCount"] = json!(total.saturating_sub(next));
    }
    let items = if page.is_empty() {
        Value::Null
    } else {
        Value::Array(page)
    };
    let mut list = json!({"metadata": meta, "items": items});
    if let Some(f) = projection {
        f.apply(&mut list);
        json::restore_list(&mut list);
    }
    Ok(ok(list))
}

/// The named workflow of a namespace, or with `@latest` the newest one.
pub(crate) fn find(st: &ArgoState, ns: &str, name: &str) -> Answer<Arc<Value>> {
    if name == "@latest" {
        return st
            .objects(Some(ns))
            .into_iter()
            .max_by(|a, b| created(a).cmp(&created(b)).then_with(|| page_order(b, a)))
            .ok_or_else(|| ApiError::new(Code::NotFound, "no workflows found"));
    }
    st.object(name)
        .filter(|o| o["metadata"]["namespace"] == ns)
        .ok_or_else(|| ApiError::not_found("workflows", name))
}

pub(crate) async fn get(
    State(s): State<Arc<Shared>>,
    _caller: Caller,
    Path((ns, name)): Path<(String, String)>,
    params: Params,
) -> Answer<Response> {
    let st = s.argo.state();
    let wf = find(&st, &ns, &name)?;
    // Another object's uid would be looked up in the archive, which is off: not found.
    if let Some(uid) = params.get("uid").filter(|u| !u.is_empty())
        && wf["metadata"]["uid"] != uid
    {
        return Err(ApiError::not_found("workflows", &name));
    }
    let mut wf = wf.as_ref().clone();
    if let Some(f) = Fields::parse(params.get("fields")) {
        f.apply(&mut wf);
        json::restore_workflow(&mut wf);
    }
    Ok(ok(wf))
}
