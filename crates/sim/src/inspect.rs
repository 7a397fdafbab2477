//! `GET /_sim/state` on every face: what the face holds and the requests and decisions it
//! received, for tests and demos (the README's "Simulator" section documents the shape).
//!
//! The endpoint sits outside the face's request counting and injected faults, so looking
//! never changes what is counted nor fails on purpose. It needs no credentials and shows none:
//! it is the simulator's window, not part of any vendor API.
//!
//! Statuses are the backend-neutral words flightdeck prints (`running`, `waiting`,
//! `success`, ...); ids are the ones each face's API uses (First Gen applications, pipelines
//! and workflows by their GraphQL ids; Argo templates and workflows by name).

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Router;
use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use serde_json::{Value, json};

use super::Shared;
use super::harness_fg::{app_id, entity_id, is_workflow};
use super::infraxys;
use super::stats::route_of;
use super::world::{ApprovalStatus, Execution, Generation, Ms, RunStatus, World};

/// The path every face answers it on.
pub const STATE_PATH: &str = "/_sim/state";

/// One of the simulator's listeners.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Face {
    /// Harness NextGen and First Gen, on one host.
    Harness,
    Argo,
    Infraxys,
}

impl Face {
    fn name(self) -> &'static str {
        match self {
            Face::Harness => "harness",
            Face::Argo => "argo",
            Face::Infraxys => "infraxys",
        }
    }

    /// Whether the face serves gates of this generation's projects.
    fn shows(self, generation: Generation) -> bool {
        match self {
            Face::Harness => matches!(generation, Generation::NextGen | Generation::FirstGen),
            Face::Argo => generation == Generation::Argo,
            Face::Infraxys => false,
        }
    }
}

/// Counts every request `router` answers under its face, by route template. Layered on the
/// finished router, it runs after routing, so the matched template is known.
pub(crate) fn counted(router: Router, shared: &Arc<Shared>, face: Face) -> Router {
    router.layer(middleware::from_fn_with_state(
        (shared.clone(), face),
        count,
    ))
}

async fn count(State((s, face)): State<(Arc<Shared>, Face)>, req: Request, next: Next) -> Response {
    let route = route_of(&req);
    s.stats()
        .count_face_request(face.name(), req.method().as_str(), &route);
    next.run(req).await
}

/// The `GET /_sim/state` route of one face.
pub(crate) fn route(shared: Arc<Shared>, face: Face) -> Router {
    Router::new()
        .route(
            STATE_PATH,
            get(move |State(s): State<Arc<Shared>>| async move {
                s.sync();
                axum::Json(state(&s, face))
            }),
        )
        .with_state(shared)
}

fn state(s: &Shared, face: Face) -> Value {
    let w = s.world();
    let mut v = json!({
        "face": face.name(),
        "seed": s.seed,
        "now": time(w.now()),
        "requests": requests(s, face),
    });
    match face {
        Face::Harness => {
            v["account"] = json!(s.harness.account);
            v["org"] = json!(s.harness.org);
            v["projects"] = next_gen(&w);
            v["applications"] = first_gen(&w);
            v["decisions"] = decisions(s, &w, face);
        }
        Face::Argo => {
            v["namespaces"] = argo(&w);
            v["decisions"] = decisions(s, &w, face);
        }
        Face::Infraxys => {
            let catalogue = infraxys::demo_catalogue();
            v["branch"] = json!(catalogue.branch);
            v["token_required"] = json!(s.infraxys.token_required.load(Ordering::Relaxed));
            v["workflows"] = catalogue
                .workflows
                .iter()
                .map(|w| {
                    json!({"name": w.name, "environment_id": w.environment_id,
                           "workflow_id": w.workflow_id, "asynchronous": w.asynchronous})
                })
                .collect();
            v["actions"] = catalogue
                .actions
                .iter()
                .map(|a| {
                    json!({"name": a.name, "instance_id": a.instance_id,
                           "filename": a.filename, "asynchronous": a.asynchronous})
                })
                .collect();
            v["aliases"] = catalogue
                .aliases
                .iter()
                .map(|a| json!({"name": a.name, "alias": a.alias, "asynchronous": a.asynchronous}))
                .collect();
            v["runs"] = json!(s.stats().infraxys_starts);
        }
    }
    v
}

/// RFC 3339 UTC, as flightdeck's JSON output writes times.
fn time(ms: Ms) -> Value {
    jiff::Timestamp::from_millisecond(ms).map_or(Value::Null, |t| json!(t.to_string()))
}

fn status(s: RunStatus) -> &'static str {
    match s {
        RunStatus::NotStarted => "not_started",
        RunStatus::Running => "running",
        RunStatus::Waiting => "waiting",
        RunStatus::Success => "success",
        RunStatus::Failed => "failed",
        RunStatus::Aborted => "aborted",
        RunStatus::Rejected => "rejected",
        RunStatus::Expired => "expired",
        RunStatus::Skipped => "skipped",
    }
}

fn gate_status(s: ApprovalStatus) -> &'static str {
    match s {
        ApprovalStatus::Waiting => "waiting",
        ApprovalStatus::Approved => "approved",
        ApprovalStatus::Rejected => "rejected",
        ApprovalStatus::Failed => "failed",
        ApprovalStatus::Aborted => "aborted",
        ApprovalStatus::Expired => "expired",
    }
}

fn requests(s: &Shared, face: Face) -> Value {
    let stats = s.stats();
    let Some(counts) = stats.faces.get(face.name()) else {
        return json!({"total": 0, "by_route": []});
    };
    let by_route: Vec<Value> = counts
        .routes
        .iter()
        .map(|((method, route), n)| json!({"method": method, "route": route, "count": n}))
        .collect();
    json!({"total": counts.total(), "by_route": by_route})
}

/// Accepted decisions on the face's gates: totals and per gate.
fn decisions(s: &Shared, w: &World, face: Face) -> Value {
    let stats = s.stats();
    let (mut approve, mut reject) = (0, 0);
    let mut by_gate = Vec::new();
    for (id, d) in &stats.decisions {
        let generation = w
            .approval(id)
            .and_then(|a| w.project(&a.project))
            .map(|p| p.generation);
        if !generation.is_some_and(|g| face.shows(g)) {
            continue;
        }
        approve += d.approve;
        reject += d.reject;
        by_gate.push(json!({"gate": id, "approve": d.approve, "reject": d.reject}));
    }
    json!({"approve": approve, "reject": reject, "by_gate": by_gate})
}

/// An execution with its gates. `pipeline` is the id the face's API uses for its pipeline.
fn execution(w: &World, e: &Execution, pipeline: &str) -> Value {
    let gates: Vec<Value> = w
        .approvals_of(&e.id)
        .into_iter()
        .map(|a| {
            let stage = w
                .pipeline(&a.project, &a.pipeline)
                .and_then(|p| p.stages.get(a.stage));
            json!({
                "id": a.id,
                "stage": stage.map(|s| s.id.as_str()),
                "step": stage.and_then(|s| s.steps.get(a.step)).map(|s| s.id.as_str()),
                "callback_id": a.spec.callback_id,
                "status": gate_status(a.status),
                "deadline": time(a.deadline_ms),
            })
        })
        .collect();
    json!({
        "id": e.id,
        "pipeline": pipeline,
        "status": status(e.status),
        "started": time(e.start_ms),
        "ended": e.end_ms.map_or(Value::Null, time),
        "triggered_by": w.user(&e.trigger.user).map(|u| u.name.as_str()),
        "gates": gates,
    })
}

fn next_gen(w: &World) -> Value {
    w.projects_of(Generation::NextGen)
        .map(|p| {
            json!({
                "id": p.id,
                "name": p.name,
                "pipelines": w.pipelines_of(&p.id)
                    .map(|d| json!({"id": d.id, "name": d.name}))
                    .collect::<Vec<_>>(),
                "executions": w.executions_of(&p.id)
                    .into_iter()
                    .map(|e| execution(w, e, &e.pipeline))
                    .collect::<Vec<_>>(),
            })
        })
        .collect()
}

/// First Gen applications, by the GraphQL ids their API takes.
fn first_gen(w: &World) -> Value {
    w.projects_of(Generation::FirstGen)
        .map(|p| {
            let entity = |workflows: bool| -> Vec<Value> {
                w.pipelines_of(&p.id)
                    .filter(|d| is_workflow(d) == workflows)
                    .map(|d| json!({"id": entity_id(&p.id, &d.id), "name": d.name}))
                    .collect()
            };
            json!({
                "id": app_id(&p.id),
                "name": p.name,
                "pipelines": entity(false),
                "workflows": entity(true),
                "executions": w.executions_of(&p.id)
                    .into_iter()
                    .map(|e| execution(w, e, &entity_id(&p.id, &e.pipeline)))
                    .collect::<Vec<_>>(),
            })
        })
        .collect()
}

/// Argo namespaces: WorkflowTemplates (`cluster/<name>` for ClusterWorkflowTemplates) and
/// workflows by name.
fn argo(w: &World) -> Value {
    w.projects_of(Generation::Argo)
        .map(|p| {
            json!({
                "name": p.id,
                "templates": w.pipelines_of(&p.id).map(|d| d.id.as_str()).collect::<Vec<_>>(),
                "workflows": w.executions_of(&p.id)
                    .into_iter()
                    .map(|e| execution(w, e, &e.pipeline))
                    .collect::<Vec<_>>(),
            })
        })
        .collect()
}
