//! Test and demo helpers that put the world into known states at once: a gate waiting right
//! now, two gates waiting in one execution, a gate past its deadline. Everything here goes
//! through the same world operations the simulated backends use.
//!
//! The plain helpers (`waiting_gate`, `two_waiting_gates`, `waiting_gates`) are about NextGen
//! projects, the ones NextGen clients are configured with; the `first_gen_*` ones about the
//! First Gen applications, the `argo_*` ones about the Argo namespaces. `start`, `gates_of`
//! and the rest take any project or execution (for Argo: a namespace and a world pipeline id,
//! which is the template's name, or `cluster/<name>` for a cluster template; executions are
//! workflow names).

use std::sync::Arc;

use super::Shared;
use super::world::{
    ApprovalStatus, Generation, Pipeline, RunStatus, StartOpts, Trigger, TriggerKind, World,
};

/// A gate instance and where it sits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gate {
    /// The world's project id (for a First Gen gate, its application's project id, not the
    /// application name).
    pub project: String,
    pub pipeline: String,
    pub execution: String,
    /// The approval instance id (what Harness puts in the step's `callbackIds[0]`).
    pub approval: String,
    /// The step's author-chosen `callbackId`, used by the v1 approve-by-execution call.
    pub callback_id: Option<String>,
    /// Stage and step identifiers.
    pub stage: String,
    pub step: String,
}

/// A handle on the world of a running simulator.
#[derive(Clone)]
pub struct SimWorld {
    shared: Arc<Shared>,
}

/// Waiting gates, oldest first, of one execution and/or of one generation's projects.
fn gates(w: &World, execution: Option<&str>, generation: Option<Generation>) -> Vec<Gate> {
    w.waiting_approvals()
        .into_iter()
        .filter(|a| execution.is_none_or(|e| a.execution == e))
        .filter(|a| generation.is_none_or(|g| w.serves(g, &a.project)))
        .filter_map(|a| {
            let stage = w.pipeline(&a.project, &a.pipeline)?.stages.get(a.stage)?;
            Some(Gate {
                project: a.project.clone(),
                pipeline: a.pipeline.clone(),
                execution: a.execution.clone(),
                approval: a.id.clone(),
                callback_id: a.spec.callback_id.clone(),
                stage: stage.id.clone(),
                step: stage.steps.get(a.step)?.id.clone(),
            })
        })
        .collect()
}

impl SimWorld {
    pub(crate) fn new(shared: Arc<Shared>) -> SimWorld {
        SimWorld { shared }
    }

    /// Starts `project/pipeline` now, as a simulated person using default or sample inputs.
    /// Returns the execution id, or `None` if there is no such pipeline.
    pub fn start(&self, project: &str, pipeline: &str) -> Option<String> {
        self.shared.sync();
        let mut w = self.shared.world();
        let index = w
            .pipelines
            .iter()
            .position(|p| p.project == project && p.id == pipeline)?;
        let user = w.users.iter().find(|u| u.starts_pipelines)?.id.clone();
        let given = w.sample_inputs(index);
        let values = w.resolve_inputs(&w.pipelines[index], &given).ok()?;
        let trigger = Trigger {
            kind: TriggerKind::Manual,
            user,
            name: None,
        };
        w.start_execution(
            project,
            pipeline,
            trigger,
            values,
            None,
            StartOpts::default(),
        )
    }

    /// Adds a copy of `project/pipeline` named `id` (as id and name), with no automatic starts
    /// and no runs yet: a world of many pipelines for benchmarks, each of which lists, starts
    /// and runs like the original. In an Argo namespace the copy is a WorkflowTemplate of its
    /// own (ClusterWorkflowTemplates are not copied). False if there is no such pipeline or
    /// `id` is taken.
    pub fn copy_pipeline(&self, project: &str, pipeline: &str, id: &str) -> bool {
        let mut w = self.shared.world();
        let Some(original) = w.pipeline(project, pipeline) else {
            return false;
        };
        if w.pipeline(project, id).is_some() {
            return false;
        }
        let mut copy = Pipeline {
            id: id.to_string(),
            name: id.to_string(),
            auto: None,
            next_auto_ms: None,
            next_run: 1,
            runs: Default::default(),
            ..original.clone()
        };
        if w.serves(Generation::Argo, project) {
            if !self
                .shared
                .argo
                .state()
                .copy_template(project, pipeline, id)
            {
                return false;
            }
            // As the seed names an Argo pipeline's setup: after its template.
            copy.setup_id = format!("{project}/{id}");
        }
        w.pipelines.push(copy);
        true
    }

    /// Starts `platform/rotate_certificates`, whose first step is an approval, and returns its
    /// gate, already waiting. The gate is open to `_project_all_users`, needs one approval, has
    /// the callback id `cert_change` and blocks the executor (who is a simulated person, so every
    /// token user may decide it).
    pub fn waiting_gate(&self) -> Option<Gate> {
        let execution = self.start("platform", "rotate_certificates")?;
        self.gates_of(&execution).into_iter().next()
    }

    /// Starts `payments/payments_release_train`, whose first stages are two parallel sign-offs,
    /// and returns the execution id with both waiting gates (callback ids `eu_signoff` and
    /// `us_signoff`).
    pub fn two_waiting_gates(&self) -> Option<(String, Vec<Gate>)> {
        let execution = self.start("payments", "payments_release_train")?;
        let gates = self.gates_of(&execution);
        Some((execution, gates))
    }

    /// Every waiting gate of the NextGen projects, oldest first.
    pub fn waiting_gates(&self) -> Vec<Gate> {
        gates(&self.shared.world(), None, Some(Generation::NextGen))
    }

    /// Starts `legacy_billing/invoice_batch_rerun` (First Gen application "Legacy Billing"),
    /// whose first step is an approval, and returns its gate, already waiting. The gate is open
    /// to `_project_all_users`, needs one approval, has the callback id `invoice_rerun`, takes
    /// the input `ticket` and blocks the executor (a simulated person, so every key's user
    /// that may decide can decide it).
    pub fn first_gen_waiting_gate(&self) -> Option<Gate> {
        let execution = self.start("legacy_billing", "invoice_batch_rerun")?;
        self.gates_of(&execution).into_iter().next()
    }

    /// Starts `storefront_classic/storefront_release` (First Gen application "Storefront
    /// Classic"), whose first stages are two parallel sign-offs, and returns the execution id
    /// with both waiting gates (callback ids `ops_signoff` and `merch_signoff`).
    pub fn first_gen_two_waiting_gates(&self) -> Option<(String, Vec<Gate>)> {
        let execution = self.start("storefront_classic", "storefront_release")?;
        let gates = self.gates_of(&execution);
        Some((execution, gates))
    }

    /// Every waiting gate of the First Gen applications, oldest first.
    pub fn first_gen_waiting_gates(&self) -> Vec<Gate> {
        gates(&self.shared.world(), None, Some(Generation::FirstGen))
    }

    /// Every waiting gate of the Argo namespaces, oldest first: Running Suspend nodes, with
    /// `execution` the workflow's name and `stage`/`step` the step or task name.
    pub fn argo_waiting_gates(&self) -> Vec<Gate> {
        gates(&self.shared.world(), None, Some(Generation::Argo))
    }

    /// The waiting gates of one execution (of any generation).
    pub fn gates_of(&self, execution: &str) -> Vec<Gate> {
        gates(&self.shared.world(), Some(execution), None)
    }

    /// Moves a waiting gate's deadline to now, so it expires (and its execution with it).
    /// Returns false if the gate is not waiting.
    pub fn expire(&self, approval: &str) -> bool {
        self.shared.sync();
        self.shared.world().expire(approval)
    }

    pub fn execution_status(&self, execution: &str) -> Option<RunStatus> {
        self.shared.world().execution(execution).map(|e| e.status)
    }

    /// The values a run was started with (name, value), in its pipeline's order.
    pub fn execution_inputs(&self, execution: &str) -> Option<Vec<(String, String)>> {
        self.shared
            .world()
            .execution(execution)
            .map(|e| e.inputs.clone())
    }

    pub fn approval_status(&self, approval: &str) -> Option<ApprovalStatus> {
        self.shared.world().approval(approval).map(|a| a.status)
    }

    /// Switches random step failures on or off for runs started from now on (on by default).
    pub fn set_failures(&self, enabled: bool) {
        self.shared.world().failures = enabled;
    }
}

#[cfg(test)]
mod tests {
    use crate::{ClockMode, SimHandle, SimOptions};

    #[tokio::test]
    async fn a_copied_pipeline_lists_and_runs_like_its_original() {
        let sim = SimHandle::start(SimOptions {
            clock: ClockMode::Manual,
            ..SimOptions::default()
        })
        .await
        .unwrap();
        let world = sim.world();
        assert!(world.copy_pipeline("platform", "rotate_certificates", "rotate_2"));
        assert!(world.copy_pipeline("argo", "canary", "canary-2"));
        // Taken ids, unknown originals and cluster templates are refused.
        assert!(!world.copy_pipeline("platform", "rotate_certificates", "rotate_2"));
        assert!(!world.copy_pipeline("platform", "no_such_pipeline", "x"));
        assert!(!world.copy_pipeline("argo", "cluster/ci-build", "ci-2"));
        {
            let w = sim.shared.world();
            let copy = w.pipeline("platform", "rotate_2").unwrap();
            assert_eq!(copy.name, "rotate_2");
            assert!(copy.auto.is_none() && copy.runs.is_empty());
            let st = sim.shared.argo.state();
            let template = st.template(Some("argo"), "canary-2").unwrap();
            assert_eq!(template.object["metadata"]["name"], "canary-2");
            assert_ne!(
                template.object["metadata"]["uid"],
                st.template(Some("argo"), "canary").unwrap().object["metadata"]["uid"]
            );
        }
        // The copy's gate waits as the original's does, and the Argo copy is a workflow of
        // its own template.
        let run = world.start("platform", "rotate_2").unwrap();
        assert_eq!(world.gates_of(&run).len(), 1);
        let workflow = world.start("argo", "canary-2").unwrap();
        sim.shared.sync();
        let object = sim.shared.argo.state().object(&workflow).unwrap();
        assert_eq!(object["spec"]["workflowTemplateRef"]["name"], "canary-2");
    }
}
