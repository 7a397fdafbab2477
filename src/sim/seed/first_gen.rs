//! First Gen content laid over the shared world: which pipelines the First Gen face shows as
//! workflows (the rest are First Gen pipelines), the entity variables those workflows ask for,
//! and the artifact source each deployed service builds from. The world itself stays
//! backend-neutral; this table is read only by the First Gen face.

/// A world pipeline shown as a First Gen workflow.
pub(crate) struct FgWorkflow {
    pub(crate) project: &'static str,
    pub(crate) pipeline: &'static str,
    /// Entity variables before the pipeline's own: (name, display type, required).
    pub(crate) entity_variables: &'static [(&'static str, &'static str, bool)],
}

/// Single-deployment pipelines read naturally as workflows; both deploy one service, so they
/// take an artifact, and one of them has an approval step, which a workflow can have too.
pub(crate) const WORKFLOWS: &[FgWorkflow] = &[
    FgWorkflow {
        project: "checkout",
        pipeline: "cart_service_deploy",
        entity_variables: &[
            ("Environment", "Environment", true),
            ("Service", "Service", false),
        ],
    },
    FgWorkflow {
        project: "platform",
        pipeline: "observability_stack_deploy",
        entity_variables: &[
            ("Environment", "Environment", true),
            ("InfraDefinition", "Infrastructure definition", false),
        ],
    },
];

/// The artifact source a service's builds come from (`docker_<service>`, the naming of the
/// DEVHUB example `docker_hello-world`).
pub(crate) fn artifact_source(service: &str) -> String {
    format!("docker_{service}")
}

pub(crate) fn workflow(project: &str, pipeline: &str) -> Option<&'static FgWorkflow> {
    WORKFLOWS
        .iter()
        .find(|w| w.project == project && w.pipeline == pipeline)
}
