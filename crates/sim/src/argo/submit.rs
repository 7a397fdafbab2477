//! Starting workflows: `POST /api/v1/workflows/{ns}` with a full manifest (spec §6.1) and
//! `POST /api/v1/workflows/{ns}/submit` from a (Cluster)WorkflowTemplate (§6.2); the events
//! endpoint and resubmit start theirs through [`launch`] too.
//!
//! Both answer with the object as stored, before the controller ran (`wire::unprocessed`).
//! Parameters are checked the way the server's validation does (a value for every parameter
//! without a default, enum membership) with its messages.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::Response;
use serde_json::{Value, json};

use super::auth::Caller;
use super::errors::{Answer, ApiError, Code};
use super::handler::{self, ok};
use super::meta::WfMeta;
use super::plan::{self, Origin};
use super::state::ArgoState;
use super::{json, wire};
use crate::Shared;
use crate::ids;
use crate::world::{Generation, InputProblem, StartOpts, Trigger, TriggerKind, World};

/// A workflow about to be started.
pub(crate) struct Launch {
    pub(crate) namespace: String,
    /// The world pipeline that runs it.
    pub(crate) pipeline: String,
    /// From [`workflow_name`].
    pub(crate) name: String,
    pub(crate) generate_name: Option<String>,
    pub(crate) labels: BTreeMap<String, String>,
    pub(crate) annotations: BTreeMap<String, String>,
    /// The spec as submitted.
    pub(crate) spec: Value,
    /// Parameter values given, checked against the pipeline by [`launch`].
    pub(crate) given: Vec<(String, String)>,
    pub(crate) trigger: TriggerKind,
    pub(crate) dry_run: bool,
}

/// Refuses namespaces the cluster does not have, as Kubernetes does.
pub(crate) fn namespace(w: &World, ns: &str) -> Answer<()> {
    if w.serves(Generation::Argo, ns) {
        Ok(())
    } else {
        Err(ApiError::new(
            Code::NotFound,
            format!("namespaces \"{ns}\" not found"),
        ))
    }
}

/// `name=value` strings, split at the first `=`.
pub(crate) fn parameters(list: &Value) -> Answer<Vec<(String, String)>> {
    let mut out = Vec::new();
    for p in list.as_array().into_iter().flatten() {
        let p = p.as_str().unwrap_or_default();
        let (name, value) = p.split_once('=').ok_or_else(|| {
            ApiError::invalid(format!(
                "expected parameter of the form: NAME=VALUE. Received: {p}"
            ))
        })?;
        out.push((name.to_string(), value.to_string()));
    }
    Ok(out)
}

/// Submit options' `labels`/`annotations`: one comma-separated `k=v,k2=v2` string.
fn pairs(s: &str, what: &str) -> Answer<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for pair in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').ok_or_else(|| {
            ApiError::invalid(format!(
                "expected {what} of the form: NAME=VALUE. Received: {pair}"
            ))
        })?;
        out.insert(k.trim().to_string(), v.trim().to_string());
    }
    Ok(out)
}

fn string_map(v: &Value) -> BTreeMap<String, String> {
    v.as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default()
}

/// Every parameter's value: the given ones (each must be declared and allowed), the rest
/// from their defaults.
fn resolve(
    w: &World,
    ns: &str,
    pipeline: &str,
    given: &[(String, String)],
) -> Answer<Vec<(String, String)>> {
    let def = w
        .pipeline(ns, pipeline)
        .ok_or_else(|| ApiError::internal(format!("no pipeline {pipeline}")))?;
    if let Some((name, _)) = given
        .iter()
        .find(|(n, _)| !def.variables.iter().any(|v| v.name == *n))
    {
        return Err(ApiError::invalid(format!(
            "spec.arguments.{name} is not a parameter of this workflow"
        )));
    }
    let map: BTreeMap<String, Option<String>> = given
        .iter()
        .map(|(n, v)| (n.clone(), Some(v.clone())))
        .collect();
    // Validation stops at the first problem, as the server's does.
    w.resolve_inputs(def, &map).map_err(|problems| {
        let message = match problems.first() {
            Some(InputProblem::Missing { name }) => {
                format!("spec.arguments.{name}.value is required")
            }
            Some(InputProblem::NotAllowed { name, .. } | InputProblem::NotNumber { name, .. }) => {
                format!(
                    "spec.arguments.{name}.value should be present in spec.arguments.{name}.enum list"
                )
            }
            None => "spec.arguments are invalid".to_string(),
        };
        ApiError::invalid(message)
    })
}

/// The world pipeline running template `origin` in `ns` with entry template `entry` (the
/// template's own when `None`), compiled and added on first use.
pub(crate) fn pipeline_for(
    w: &mut World,
    st: &mut ArgoState,
    ns: &str,
    origin: &Origin,
    entry: Option<&str>,
) -> Answer<String> {
    let (base, template) = match origin {
        Origin::Template(t) => (t.clone(), st.template(Some(ns), t)),
        Origin::ClusterTemplate(t) => (format!("cluster/{t}"), st.template(None, t)),
        Origin::Inline => return Err(ApiError::internal("inline workflows have no template")),
    };
    let name = base.trim_start_matches("cluster/").to_string();
    let resource = match origin {
        Origin::ClusterTemplate(_) => "clusterworkflowtemplates",
        _ => "workflowtemplates",
    };
    let spec = template
        .ok_or_else(|| ApiError::not_found(resource, &name))?
        .object["spec"]
        .clone();
    let entry = entry.filter(|e| spec["entrypoint"] != *e);
    let id = match entry {
        Some(e) => format!("{base}@{e}"),
        None => base,
    };
    if let std::collections::btree_map::Entry::Vacant(slot) =
        st.plans.entry((ns.to_string(), id.clone()))
    {
        let compiled = plan::compile(&spec, entry, origin.clone(), &|t| st.timings.of(t))
            .map_err(ApiError::invalid)?;
        let (pipeline, plan) = compiled.into_pipeline(ns, &id, &name, w.now(), None);
        w.pipelines.push(pipeline);
        slot.insert(Arc::new(plan));
    }
    Ok(id)
}

/// The name a new workflow gets: `name`, or `generateName` plus five random characters.
/// Names are unique across namespaces in the simulator (the world keys runs by name).
pub(crate) fn workflow_name(
    w: &mut World,
    name: Option<&str>,
    generate_name: Option<&str>,
) -> Answer<String> {
    let name = match (
        name.filter(|n| !n.is_empty()),
        generate_name.filter(|g| !g.is_empty()),
    ) {
        (Some(n), _) => n.to_string(),
        (None, Some(g)) => loop {
            let n = format!("{g}{}", ids::k8s_suffix(&mut w.argo_rng));
            if w.execution(&n).is_none() {
                break n;
            }
        },
        (None, None) => {
            return Err(ApiError::invalid(
                "Workflow.argoproj.io \"\" is invalid: metadata.name: Required value: name or \
                 generateName is required",
            ));
        }
    };
    if w.execution(&name).is_some() {
        return Err(ApiError::new(
            Code::AlreadyExists,
            format!("workflows.argoproj.io \"{name}\" already exists"),
        ));
    }
    Ok(name)
}

/// Starts a workflow (or, dry, only builds it) and answers with the stored object. A dry run
/// of inline templates has no pipeline: its parameters are not checked beyond compiling.
pub(crate) fn launch(
    s: &Shared,
    w: &mut World,
    st: &mut ArgoState,
    caller: &Caller,
    l: Launch,
) -> Answer<Value> {
    let inputs = if l.dry_run && w.pipeline(&l.namespace, &l.pipeline).is_none() {
        l.given.clone()
    } else {
        resolve(w, &l.namespace, &l.pipeline, &l.given)?
    };
    let name = l.name;
    let mut labels = l.labels;
    if l.dry_run {
        let creator = w.user(&caller.0.user);
        wire::who_labels(
            &mut labels,
            [json::CREATOR, json::CREATOR_EMAIL, json::CREATOR_USERNAME],
            creator,
            &st.ids,
        );
        let mut spec = l.spec;
        json::go_spec(&mut spec);
        let mut meta = json!({"name": name, "namespace": l.namespace, "labels": labels,
                              "creationTimestamp": null});
        if !l.annotations.is_empty() {
            meta["annotations"] = json!(l.annotations);
        }
        return Ok(json!({"metadata": meta, "spec": spec,
                         "status": {"startedAt": null, "finishedAt": null}}));
    }
    let trigger = Trigger {
        kind: l.trigger,
        user: caller.0.user.clone(),
        name: None,
    };
    let opts = StartOpts::default();
    let started = w.start_named(
        Some(name.clone()),
        &l.namespace,
        &l.pipeline,
        trigger,
        inputs,
        None,
        opts,
    );
    if started.is_none() {
        return Err(ApiError::internal(format!("could not start {name}")));
    }
    let now = w.now();
    st.metas.insert(
        name.clone(),
        WfMeta {
            namespace: l.namespace.clone(),
            uid: json::uid(&format!("{}/{name}/{now}", l.namespace)),
            generate_name: l.generate_name.filter(|g| !g.is_empty()),
            labels,
            annotations: l.annotations,
            spec: l.spec,
            generation: 1,
            ..WfMeta::default()
        },
    );
    s.stats().count_start(&l.namespace);
    s.argo.settle(w, st, now);
    let e = w
        .execution(&name)
        .ok_or_else(|| ApiError::not_found("workflows", &name))?;
    let plan = st
        .plan(e)
        .ok_or_else(|| ApiError::not_found("workflows", &name))?;
    let subject = st
        .subject(w, e, &plan, now)
        .ok_or_else(|| ApiError::not_found("workflows", &name))?;
    let mut object = wire::unprocessed(&subject);
    if let Some(stored) = st.object(&name) {
        object["metadata"]["resourceVersion"] = stored["metadata"]["resourceVersion"].clone();
    }
    Ok(object)
}

/// `POST /api/v1/workflows/{ns}` with `{workflow, serverDryRun?, createOptions?}`.
pub(crate) async fn create(
    State(s): State<Arc<Shared>>,
    caller: Caller,
    Path(ns): Path<String>,
    bytes: Bytes,
) -> Answer<Response> {
    let body = handler::body(&bytes)?;
    caller.may("create", "workflows", &ns)?;
    let wf = body
        .get("workflow")
        .filter(|w| w.is_object())
        .ok_or_else(|| ApiError::invalid("workflow body not specified"))?;
    let meta = &wf["metadata"];
    if let Some(other) = meta["namespace"]
        .as_str()
        .filter(|n| !n.is_empty() && *n != ns)
    {
        return Err(ApiError::invalid(format!(
            "the namespace of the provided object ({other}) does not match the namespace sent \
             on the request ({ns})"
        )));
    }
    let (mut w, mut st) = handler::lock(&s);
    namespace(&w, &ns)?;
    let spec = wf["spec"].clone();
    let generate_name = meta["generateName"].as_str().map(str::to_string);
    let name = workflow_name(&mut w, meta["name"].as_str(), generate_name.as_deref())?;
    let dry_run = body["serverDryRun"] == true
        || body["createOptions"]["dryRun"]
            .as_array()
            .is_some_and(|d| !d.is_empty());
    let given: Vec<(String, String)> = spec["arguments"]["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| {
            let value = p["value"].as_str().or(p["default"].as_str())?;
            Some((p["name"].as_str()?.to_string(), value.to_string()))
        })
        .collect();
    let mut labels = string_map(&meta["labels"]);
    let entry = spec["entrypoint"].as_str();
    let pipeline = if let Some(r) = spec["workflowTemplateRef"].as_object() {
        let t = r
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let origin = if r.get("clusterScope").and_then(Value::as_bool) == Some(true) {
            Origin::ClusterTemplate(t)
        } else {
            Origin::Template(t)
        };
        for (k, v) in json::origin_labels(&origin) {
            labels.insert(k, v.as_str().unwrap_or_default().to_string());
        }
        pipeline_for(&mut w, &mut st, &ns, &origin, entry)?
    } else {
        // Inline templates run as a pipeline of their own, named after the workflow.
        let compiled = plan::compile(&spec, None, Origin::Inline, &|t| st.timings.of(t))
            .map_err(ApiError::invalid)?;
        let id = format!("workflow/{name}");
        if !dry_run {
            let (pipeline, plan) = compiled.into_pipeline(&ns, &id, &name, w.now(), None);
            w.pipelines.push(pipeline);
            st.plans.insert((ns.clone(), id.clone()), Arc::new(plan));
        }
        id
    };
    let launched = launch(
        &s,
        &mut w,
        &mut st,
        &caller,
        Launch {
            namespace: ns,
            pipeline,
            name,
            generate_name,
            labels,
            annotations: string_map(&meta["annotations"]),
            spec,
            given,
            trigger: TriggerKind::Manual,
            dry_run,
        },
    )?;
    Ok(ok(launched))
}

/// What `resourceKind` names (spec §6.2).
enum Kind {
    Template,
    ClusterTemplate,
    Cron,
}

fn kind(k: &str) -> Answer<Kind> {
    match k {
        "WorkflowTemplate" | "workflowtemplate" | "workflowtemplates" | "wftmpl" => {
            Ok(Kind::Template)
        }
        "ClusterWorkflowTemplate"
        | "clusterworkflowtemplate"
        | "clusterworkflowtemplates"
        | "cwftmpl" => Ok(Kind::ClusterTemplate),
        "CronWorkflow" | "cronworkflow" | "cronworkflows" | "cronwf" => Ok(Kind::Cron),
        other => Err(ApiError::invalid(format!(
            "Resource kind '{other}' is not supported for submitting"
        ))),
    }
}

/// `POST /api/v1/workflows/{ns}/submit` with `{resourceKind, resourceName, submitOptions}`.
pub(crate) async fn submit(
    State(s): State<Arc<Shared>>,
    caller: Caller,
    Path(ns): Path<String>,
    bytes: Bytes,
) -> Answer<Response> {
    let body = handler::body(&bytes)?;
    caller.may("create", "workflows", &ns)?;
    let name = body["resourceName"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let origin = match kind(body["resourceKind"].as_str().unwrap_or_default())? {
        Kind::Template => Origin::Template(name.clone()),
        Kind::ClusterTemplate => Origin::ClusterTemplate(name.clone()),
        // The simulator keeps no cron workflows.
        Kind::Cron => return Err(ApiError::not_found("cronworkflows", &name)),
    };
    let opts = &body["submitOptions"];
    let given = parameters(&opts["parameters"])?;
    let mut labels = pairs(opts["labels"].as_str().unwrap_or_default(), "label")?;
    let annotations = pairs(
        opts["annotations"].as_str().unwrap_or_default(),
        "annotation",
    )?;
    for (k, v) in json::origin_labels(&origin) {
        labels.insert(k, v.as_str().unwrap_or_default().to_string());
    }
    let (mut w, mut st) = handler::lock(&s);
    namespace(&w, &ns)?;
    let entry = opts["entryPoint"].as_str().filter(|e| !e.is_empty());
    let pipeline = pipeline_for(&mut w, &mut st, &ns, &origin, entry)?;
    let given_names: BTreeSet<&str> = given.iter().map(|(n, _)| n.as_str()).collect();
    let mut spec = json!({
        "arguments": {"parameters": given.iter().map(|(n, v)| json!({"name": n, "value": v})).collect::<Vec<_>>()},
        "workflowTemplateRef": match &origin {
            Origin::ClusterTemplate(t) => json!({"name": t, "clusterScope": true}),
            _ => json!({"name": name}),
        },
    });
    if given_names.is_empty() {
        spec["arguments"] = json!({});
    }
    if let Some(e) = entry {
        spec["entrypoint"] = json!(e);
    }
    let generate_name = opts["generateName"]
        .as_str()
        .filter(|g| !g.is_empty())
        .map_or_else(|| format!("{name}-"), str::to_string);
    let wf_name = workflow_name(&mut w, opts["name"].as_str(), Some(&generate_name))?;
    let launched = launch(
        &s,
        &mut w,
        &mut st,
        &caller,
        Launch {
            namespace: ns,
            pipeline,
            name: wf_name,
            generate_name: Some(generate_name),
            labels,
            annotations,
            spec,
            given,
            trigger: TriggerKind::Manual,
            dry_run: opts["dryRun"] == true || opts["serverDryRun"] == true,
        },
    )?;
    Ok(ok(launched))
}
