//! What the face knows of a workflow besides the world's execution ([`WfMeta`]), who its
//! tokens stand for ([`Identities`]), and [`Subject`]: everything one workflow's rendering
//! reads, shared by `wire.rs` (the Workflow object) and `nodes.rs` (its node tree).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use super::json;
use super::plan::{Origin, Plan};
use crate::world::{Execution, Ms, RunStatus, World};

/// A service account a token stands for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ServiceAccount {
    pub(crate) name: String,
    pub(crate) namespace: String,
    /// The world user whose decisions and starts it makes.
    pub(crate) user: String,
    /// May create and change workflows (the viewer may only read).
    pub(crate) can_write: bool,
}

impl ServiceAccount {
    pub(crate) fn subject(&self) -> String {
        format!("system:serviceaccount:{}:{}", self.namespace, self.name)
    }
}

/// The service accounts the face's tokens stand for.
#[derive(Clone, Debug, Default)]
pub(crate) struct Identities(pub(crate) Vec<ServiceAccount>);

impl Identities {
    pub(crate) fn service_account(&self, user: &str) -> Option<&ServiceAccount> {
        self.0.iter().find(|sa| sa.user == user)
    }
}

/// What the face knows about one workflow beyond the world's execution.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct WfMeta {
    pub(crate) namespace: String,
    pub(crate) uid: String,
    pub(crate) generate_name: Option<String>,
    /// Labels other than phase and completion (which come from the execution's state):
    /// origin, submit options, actor and action.
    pub(crate) labels: BTreeMap<String, String>,
    pub(crate) annotations: BTreeMap<String, String>,
    /// The spec as submitted (arguments, template reference or templates, entrypoint).
    pub(crate) spec: Value,
    pub(crate) generation: u64,
    /// `Stop` or `Terminate`, once asked for.
    pub(crate) shutdown: Option<&'static str>,
    /// Output values `set` on gates not resumed yet, by approval id.
    pub(crate) supplied: BTreeMap<String, Vec<(String, String)>>,
    /// Gates set to `Error` rather than `Failed`, by approval id.
    pub(crate) errored: BTreeSet<String>,
    /// Messages `set` on gates not decided yet, by approval id: the node shows them at once,
    /// as the server writes them into the node (a resume then writes its own).
    pub(crate) noted: BTreeMap<String, String>,
    /// Bumped whenever the face changes this record, so a settled workflow renders again.
    pub(crate) version: u64,
}

impl WfMeta {
    /// The record of a workflow the world started by itself (a schedule, a webhook, a
    /// simulated person): submitted from its template with every parameter given.
    pub(crate) fn default_for(e: &Execution, plan: &Plan) -> WfMeta {
        let mut labels = BTreeMap::new();
        for (k, v) in json::origin_labels(&plan.origin) {
            labels.insert(k, v.as_str().unwrap_or_default().to_string());
        }
        let params: Vec<Value> = e
            .inputs
            .iter()
            .map(|(n, v)| json!({"name": n, "value": v}))
            .collect();
        let mut spec = json!({"arguments": {"parameters": params}});
        match &plan.origin {
            Origin::Template(t) => spec["workflowTemplateRef"] = json!({"name": t}),
            Origin::ClusterTemplate(t) => {
                spec["workflowTemplateRef"] = json!({"name": t, "clusterScope": true});
            }
            Origin::Inline => {}
        }
        let generate_name = match &plan.origin {
            Origin::Template(t) | Origin::ClusterTemplate(t) => Some(format!("{t}-")),
            Origin::Inline => None,
        };
        WfMeta {
            namespace: e.project.clone(),
            uid: json::uid(&format!("{}/{}", e.project, e.id)),
            generate_name,
            labels,
            spec,
            generation: 1,
            ..WfMeta::default()
        }
    }
}

/// Everything one workflow's rendering reads.
pub(crate) struct Subject<'a> {
    pub(crate) world: &'a World,
    pub(crate) exec: &'a Execution,
    pub(crate) plan: &'a Plan,
    pub(crate) meta: &'a WfMeta,
    pub(crate) ids: &'a Identities,
    /// The stored spec of the template the workflow was submitted from, if any.
    pub(crate) template_spec: Option<&'a Value>,
    pub(crate) now: Ms,
}

impl Subject<'_> {
    /// The workflow's name.
    pub(super) fn name(&self) -> &str {
        &self.exec.id
    }

    /// How the workflow was shut down, if it was: the strategy the face recorded, or a
    /// terminate for runs the world aborted by itself.
    pub(crate) fn shutdown(&self) -> Option<&'static str> {
        self.meta
            .shutdown
            .or_else(|| (self.exec.status == RunStatus::Aborted).then_some("Terminate"))
    }
}

/// `Stopped with strategy '<X>'` once shut down, else `child '<id>' failed` for a failure.
pub(super) fn workflow_message(s: &Subject, failed: &Option<String>) -> Option<String> {
    // A shutdown the controller has not acted on yet (see `argo/control.rs`) says nothing.
    if let Some(strategy) = s.shutdown().filter(|_| s.exec.status.is_terminal()) {
        return Some(format!("Stopped with strategy '{strategy}'"));
    }
    if s.exec.status.is_bad() {
        return failed.as_ref().map(|id| format!("child '{id}' failed"));
    }
    None
}
