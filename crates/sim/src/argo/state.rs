//! What the Argo face keeps besides the world: the catalogue (templates, bindings, compiled
//! plans), per-workflow metadata the world has no notion of (uid, labels, the spec as
//! submitted, values set on gates), and the resource versions.
//!
//! Resource versions work like Kubernetes': one counter for the whole face, bumped for every
//! object that changed, each object carrying the version of its last change. [`ArgoState::
//! observe`] finds the changes by comparing each workflow with how it was last rendered, so it
//! also sees changes nobody asked for (the clock moving a step along); each change is kept in
//! a bounded log that watches read and resume from. It runs on every request of every face, so
//! it renders only workflows whose state fingerprint moved.

use std::collections::{BTreeMap, VecDeque};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;

use serde_json::{Value, json};

use super::json;
use super::meta::{Identities, Subject, WfMeta};
use super::plan::{Origin, Plan, Timings};
use super::wire;
use crate::world::{Execution, Generation, Ms, World};

/// How many changes a watch can resume across.
const LOG_CAP: usize = 2048;
/// Where resource versions start, so they look like a live cluster's.
const FIRST_RV: u64 = 4_812_000;

/// A template as the seed defines it.
pub(crate) struct SeedTemplate {
    /// `None` for a ClusterWorkflowTemplate.
    pub(crate) namespace: Option<String>,
    pub(crate) name: String,
    /// The stored object: `metadata` and `spec`.
    pub(crate) object: Value,
}

impl SeedTemplate {
    pub(crate) fn new(
        namespace: Option<&str>,
        name: &str,
        mut spec: Value,
        created: Ms,
    ) -> SeedTemplate {
        json::go_spec(&mut spec);
        SeedTemplate {
            namespace: namespace.map(str::to_string),
            name: name.to_string(),
            object: json::object(namespace, name, created, "spec", spec),
        }
    }
}

/// What the seed gives the face.
#[derive(Default)]
pub(crate) struct ArgoSeed {
    pub(crate) templates: Vec<SeedTemplate>,
    pub(crate) bindings: Vec<Value>,
    /// (namespace, world pipeline id, plan).
    pub(crate) plans: Vec<(String, String, Plan)>,
    /// How each pod template runs, for every workflow compiled later: submitted from a
    /// template or as a whole manifest.
    pub(crate) timings: Timings,
}

/// The last rendering of a workflow.
struct Cached {
    /// As served, with its resource version.
    object: Arc<Value>,
    /// Without the resource version, to compare the next rendering with.
    plain: Value,
    /// Of what the rendering read (see [`fingerprint`]).
    fingerprint: u64,
    /// Rendered after its execution finished, from this version of the face's record: it
    /// changes again only through the face (a retry), so most observations skip it outright.
    settled: bool,
    meta_version: u64,
}

/// Everything a workflow's rendering reads that can change: the execution's state, its
/// gates', the runs of retried steps started by `now` (the one thing time changes without a
/// world event), and the face's record. Equal fingerprints render equal objects.
fn fingerprint(w: &World, e: &Execution, meta_version: u64, now: Ms) -> u64 {
    let mut h = DefaultHasher::new();
    (
        e.status,
        e.end_ms,
        e.held,
        &e.inputs,
        &e.aborted_by,
        meta_version,
    )
        .hash(&mut h);
    for step in e.stages.iter().flat_map(|s| s.steps.iter()) {
        (step.status, step.start_ms, step.end_ms, step.failed_runs).hash(&mut h);
        step.runs_started(now).hash(&mut h);
        if let Some(a) = step.approval.as_ref().and_then(|a| w.approval(a)) {
            (&a.id, a.status, a.updated_ms, a.activities.len()).hash(&mut h);
        }
    }
    h.finish()
}

/// One change, as a watch sends it.
#[derive(Clone, Debug)]
pub(crate) struct Change {
    pub(crate) rv: u64,
    pub(crate) kind: &'static str,
    pub(crate) namespace: String,
    pub(crate) object: Arc<Value>,
}

/// A template the face serves.
pub(crate) struct Template {
    pub(crate) namespace: Option<String>,
    pub(crate) name: String,
    pub(crate) object: Value,
}

pub(crate) struct ArgoState {
    pub(crate) namespaces: Vec<String>,
    pub(crate) templates: Vec<Template>,
    pub(crate) bindings: Vec<Value>,
    /// Compiled plans by (namespace, world pipeline id).
    pub(crate) plans: BTreeMap<(String, String), Arc<Plan>>,
    pub(crate) metas: BTreeMap<String, WfMeta>,
    pub(crate) ids: Identities,
    /// From the seed: how each pod template runs.
    pub(crate) timings: Timings,
    cache: BTreeMap<String, Cached>,
    log: VecDeque<Change>,
    rv: u64,
}

impl ArgoState {
    pub(crate) fn new(namespaces: Vec<String>, seed: ArgoSeed, ids: Identities) -> ArgoState {
        ArgoState {
            namespaces,
            templates: seed
                .templates
                .into_iter()
                .map(|t| Template {
                    namespace: t.namespace,
                    name: t.name,
                    object: t.object,
                })
                .collect(),
            bindings: seed.bindings,
            plans: seed
                .plans
                .into_iter()
                .map(|(ns, id, plan)| ((ns, id), Arc::new(plan)))
                .collect(),
            metas: BTreeMap::new(),
            ids,
            timings: seed.timings,
            cache: BTreeMap::new(),
            log: VecDeque::new(),
            rv: FIRST_RV,
        }
    }

    /// The current resource version.
    pub(crate) fn rv(&self) -> u64 {
        self.rv
    }

    /// A namespaced template (`namespace: Some`) or a cluster one (`None`).
    pub(crate) fn template(&self, namespace: Option<&str>, name: &str) -> Option<&Template> {
        self.templates
            .iter()
            .find(|t| t.namespace.as_deref() == namespace && t.name == name)
    }

    /// Serves a copy of the WorkflowTemplate `from` of `namespace` as `to`, with the plan it
    /// compiles to, so the copy lists and submits like its original. False if there is no
    /// such template or `to` is taken.
    pub(crate) fn copy_template(&mut self, namespace: &str, from: &str, to: &str) -> bool {
        if self.template(Some(namespace), to).is_some() {
            return false;
        }
        let key = |name: &str| (namespace.to_string(), name.to_string());
        let (Some(original), Some(plan)) = (
            self.template(Some(namespace), from),
            self.plans.get(&key(from)),
        ) else {
            return false;
        };
        let mut object = original.object.clone();
        object["metadata"]["name"] = json!(to);
        object["metadata"]["uid"] = json!(json::uid(&format!("{namespace}/{to}")));
        let plan = Plan {
            origin: Origin::Template(to.to_string()),
            ..(**plan).clone()
        };
        self.templates.push(Template {
            namespace: Some(namespace.to_string()),
            name: to.to_string(),
            object,
        });
        self.plans.insert(key(to), Arc::new(plan));
        true
    }

    pub(crate) fn plan(&self, e: &Execution) -> Option<Arc<Plan>> {
        self.plans
            .get(&(e.project.clone(), e.pipeline.clone()))
            .cloned()
    }

    /// Everything needed to render `e`, if the face knows how.
    pub(crate) fn subject<'a>(
        &'a self,
        w: &'a World,
        e: &'a Execution,
        plan: &'a Plan,
        now: Ms,
    ) -> Option<Subject<'a>> {
        let meta = self.metas.get(&e.id)?;
        let template_spec = match &plan.origin {
            Origin::Template(t) => self.template(Some(&e.project), t),
            Origin::ClusterTemplate(t) => self.template(None, t),
            Origin::Inline => None,
        }
        .map(|t| &t.object["spec"]);
        Some(Subject {
            world: w,
            exec: e,
            plan,
            meta,
            ids: &self.ids,
            template_spec,
            now,
        })
    }

    /// Records a change the face made to a workflow's record.
    pub(crate) fn touch(&mut self, name: &str) {
        if let Some(m) = self.metas.get_mut(name) {
            m.version += 1;
        }
    }

    /// Renders every Argo workflow and logs what changed since the last look: new ones as
    /// `ADDED`, changed ones as `MODIFIED` (each with a new resource version), forgotten ones
    /// as `DELETED`. Returns whether anything changed.
    pub(crate) fn observe(&mut self, w: &World, now: Ms) -> bool {
        let before = self.rv;
        for e in w.executions.values() {
            if !w.serves(Generation::Argo, &e.project) {
                continue;
            }
            let version = self.metas.get(&e.id).map(|m| m.version);
            let settled = self.cache.get(&e.id).is_some_and(|c| {
                c.settled && Some(c.meta_version) == version && e.status.is_terminal()
            });
            if settled {
                continue;
            }
            let Some(plan) = self.plan(e) else {
                continue;
            };
            let meta = self
                .metas
                .entry(e.id.clone())
                .or_insert_with(|| WfMeta::default_for(e, &plan));
            let version = meta.version;
            let print = fingerprint(w, e, version, now);
            let settled = e.status.is_terminal();
            if let Some(c) = self.cache.get_mut(&e.id)
                && c.fingerprint == print
            {
                (c.settled, c.meta_version) = (settled, version);
                continue;
            }
            let Some(subject) = self.subject(w, e, &plan, now) else {
                continue;
            };
            let plain = wire::workflow(&subject);
            let cached = self.cache.get(&e.id);
            if cached.is_some_and(|c| c.plain == plain) {
                if let Some(c) = self.cache.get_mut(&e.id) {
                    (c.fingerprint, c.settled, c.meta_version) = (print, settled, version);
                }
                continue;
            }
            let kind = if cached.is_some() {
                "MODIFIED"
            } else {
                "ADDED"
            };
            self.rv += 1;
            let mut object = plain.clone();
            object["metadata"]["resourceVersion"] = json!(self.rv.to_string());
            let object = Arc::new(object);
            self.push(kind, &e.project, object.clone());
            self.cache.insert(
                e.id.clone(),
                Cached {
                    object,
                    plain,
                    fingerprint: print,
                    settled,
                    meta_version: version,
                },
            );
        }
        let gone: Vec<String> = self
            .cache
            .keys()
            .filter(|id| w.execution(id).is_none())
            .cloned()
            .collect();
        for id in gone {
            if let Some(c) = self.cache.remove(&id) {
                self.rv += 1;
                let namespace = c.object["metadata"]["namespace"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                self.push("DELETED", &namespace, c.object);
            }
            self.metas.remove(&id);
        }
        self.rv != before
    }

    fn push(&mut self, kind: &'static str, namespace: &str, object: Arc<Value>) {
        if self.log.len() == LOG_CAP {
            self.log.pop_front();
        }
        self.log.push_back(Change {
            rv: self.rv,
            kind,
            namespace: namespace.to_string(),
            object,
        });
    }

    /// The current object of a workflow, as last observed.
    pub(crate) fn object(&self, name: &str) -> Option<Arc<Value>> {
        self.cache.get(name).map(|c| c.object.clone())
    }

    /// Every current workflow object of a namespace (all namespaces for `None`).
    pub(crate) fn objects(&self, namespace: Option<&str>) -> Vec<Arc<Value>> {
        self.cache
            .values()
            .filter(|c| namespace.is_none_or(|ns| c.object["metadata"]["namespace"] == ns))
            .map(|c| c.object.clone())
            .collect()
    }

    /// The changes after resource version `rv`, oldest first; `None` if the log no longer
    /// reaches back that far.
    pub(crate) fn changes_since(&self, rv: u64) -> Option<Vec<Change>> {
        if rv < self.rv && self.log.front().is_none_or(|c| c.rv > rv + 1) {
            return None;
        }
        Some(self.log.iter().filter(|c| c.rv > rv).cloned().collect())
    }
}
