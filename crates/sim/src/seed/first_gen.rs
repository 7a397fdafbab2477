//! The First Gen side of the account: two legacy applications still served by Harness First
//! Gen while the teams of the NextGen projects have moved on, as in an account half-way
//! through its migration.
//!
//! - Legacy Billing: a release pipeline with a finance sign-off, an invoice batch rerun whose
//!   very first step is a gate, and two workflows (one with an approval step).
//! - Storefront Classic: a release pipeline whose two sign-offs wait in parallel (one execution
//!   with two gates), a flaky nightly catalog reindex, and two service workflows.
//!
//! Besides the content, the table of which of those pipelines the First Gen face shows as
//! workflows (the rest are First Gen pipelines), the entity variables those workflows ask for,
//! and the artifact source each deployed service builds from. The world stays backend-neutral:
//! only the First Gen face reads the table.

use super::{Def, HOUR, Meta, add, auto, inputs, manual, runtime, spec, var};
use crate::world::{ApprovalSpec, Ms, StageKind, StepKind, TriggerKind, VarKind, World};

/// Project ids and names (the names are the First Gen application names).
pub(crate) const APPLICATIONS: &[(&str, &str)] = &[
    ("legacy_billing", "Legacy Billing"),
    ("storefront_classic", "Storefront Classic"),
];

/// A world pipeline shown as a First Gen workflow.
pub(crate) struct FgWorkflow {
    pub(crate) project: &'static str,
    pub(crate) pipeline: &'static str,
    /// Entity variables before the pipeline's own: (name, display type, required).
    pub(crate) entity_variables: &'static [(&'static str, &'static str, bool)],
}

const ENV_SERVICE: &[(&str, &str, bool)] = &[
    ("Environment", "Environment", true),
    ("Service", "Service", false),
];

const ENV_INFRA: &[(&str, &str, bool)] = &[
    ("Environment", "Environment", true),
    ("InfraDefinition", "Infrastructure definition", false),
];

/// Single-service deployments read naturally as workflows; each deploys one service, so it
/// takes an artifact, and one of them has an approval step, which a workflow can have too.
pub(crate) const WORKFLOWS: &[FgWorkflow] = &[
    FgWorkflow {
        project: "legacy_billing",
        pipeline: "billing_api_deploy",
        entity_variables: ENV_SERVICE,
    },
    FgWorkflow {
        project: "legacy_billing",
        pipeline: "ledger_export_deploy",
        entity_variables: ENV_INFRA,
    },
    FgWorkflow {
        project: "storefront_classic",
        pipeline: "storefront_web_deploy",
        entity_variables: ENV_SERVICE,
    },
    FgWorkflow {
        project: "storefront_classic",
        pipeline: "search_api_deploy",
        entity_variables: ENV_INFRA,
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

/// Adds both applications' pipelines and workflows.
pub(super) fn first_gen(w: &mut World, now: Ms) {
    legacy_billing(w, now);
    storefront_classic(w, now);
}

fn image_tag(samples: &[&str]) -> crate::world::Variable {
    var(
        "image_tag",
        VarKind::String,
        "Build of the artifact to deploy",
        runtime(None, &[]),
        samples,
    )
}

fn legacy_billing(w: &mut World, now: Ms) {
    use StageKind::{Approval, Build, Custom};
    use StepKind::{Build as Compile, Deploy, HttpCheck, Script, Test};
    use VarKind::String as Str;

    // A release pipeline: QA, then finance signs off, then production.
    let mut d = Def { w };
    let qa = vec![
        d.ok("rollout", "Rolling deployment", Deploy, (20, 40)),
        d.step(
            "smoke",
            "Smoke test",
            HttpCheck,
            (5, 10),
            0.05,
            "Smoke test failed: GET /invoices/health returned 503",
        ),
    ];
    let gate = vec![d.gate(
        "finance_approval",
        "Finance approval",
        spec(
            "Release billing to production? Finance confirms no invoice run is in progress.",
            &["account.release_managers"],
            1,
            2 * HOUR,
            Some("finance_signoff"),
        ),
    )];
    let prod = vec![
        d.ok("rollout", "Rolling deployment", Deploy, (30, 60)),
        d.ok("verify", "Verify invoices endpoint", HttpCheck, (5, 10)),
    ];
    let stages = vec![
        d.deploy(
            "billing_api_qa",
            "Billing API to QA",
            "qa",
            "billing-api",
            qa,
        ),
        d.stage("finance_signoff", "Finance sign-off", Approval, gate),
        d.deploy(
            "billing_api_prod",
            "Billing API to production",
            "production",
            "billing-api",
            prod,
        ),
    ];
    let w = d.w;
    let trigger = manual(w, (120, 300));
    add(
        w,
        now,
        Meta {
            project: "legacy_billing",
            id: "billing_release",
            name: "Billing release",
            description: "Promotes a billing release from QA to production after finance signs off.",
            tags: &[("team", "billing"), ("legacy", "")],
        },
        vec![
            var(
                "release_version",
                Str,
                "Billing release to promote",
                runtime(None, &[]),
                &["7.14.2", "7.15.0", "7.15.1"],
            ),
            var(
                "notify_finance",
                Str,
                "Mail the finance list when done",
                runtime(Some("true"), &["true", "false"]),
                &[],
            ),
        ],
        stages,
        trigger,
    );

    // An invoice batch rerun: nothing happens before someone approves it.
    let mut d = Def { w };
    let gate = ApprovalSpec {
        disallow_executor: true,
        inputs: inputs(&[("ticket", "FIN-0000")]),
        ..spec(
            "Re-run the invoice batch for this billing period?",
            &["_project_all_users"],
            1,
            HOUR,
            Some("invoice_rerun"),
        )
    };
    let approve = vec![d.gate("approve_rerun", "Approve rerun", gate)];
    let rerun = vec![
        d.ok("lock_period", "Lock billing period", Script, (5, 15)),
        d.step(
            "rerun_batch",
            "Re-run invoice batch",
            Script,
            (30, 60),
            0.08,
            "Invoice batch aborted: 3 accounts have no tax region",
        ),
    ];
    let verify = vec![d.ok("reconcile", "Reconcile totals", Test, (10, 20))];
    let stages = vec![
        d.stage("rerun_approval", "Rerun approval", Approval, approve),
        d.stage("rerun", "Rerun", Custom, rerun),
        d.stage("verify", "Verify", Custom, verify),
    ];
    let w = d.w;
    let trigger = manual(w, (200, 420));
    add(
        w,
        now,
        Meta {
            project: "legacy_billing",
            id: "invoice_batch_rerun",
            name: "Invoice batch rerun",
            description: "Re-runs the invoice batch of one billing period once someone approves it.",
            tags: &[("team", "billing"), ("legacy", "")],
        },
        vec![var(
            "billing_period",
            Str,
            "Billing period (YYYY-MM)",
            runtime(None, &[]),
            &["2026-09", "2026-10"],
        )],
        stages,
        trigger,
    );

    // The billing API workflow: continuous deployment from the artifact server.
    let mut d = Def { w };
    let prepare = vec![
        d.ok("fetch_artifact", "Fetch artifact", Script, (5, 15)),
        d.ok("render_config", "Render config", Compile, (5, 15)),
    ];
    let qa = vec![
        d.ok("rollout", "Rolling deployment", Deploy, (20, 40)),
        d.ok("smoke", "Smoke test", HttpCheck, (5, 10)),
    ];
    let prod = vec![
        d.ok("rollout", "Rolling deployment", Deploy, (30, 60)),
        d.step(
            "smoke",
            "Smoke test",
            HttpCheck,
            (5, 10),
            0.04,
            "Smoke test failed: POST /invoices returned 500",
        ),
    ];
    let stages = vec![
        d.stage("prepare", "Prepare", Build, prepare),
        d.deploy("deploy_qa", "Deploy QA", "qa", "billing-api", qa),
        d.deploy(
            "deploy_production",
            "Deploy production",
            "production",
            "billing-api",
            prod,
        ),
    ];
    let w = d.w;
    let trigger = auto(
        w,
        TriggerKind::Webhook,
        "on_new_artifact",
        "On new billing-api artifact",
        (40, 100),
    );
    add(
        w,
        now,
        Meta {
            project: "legacy_billing",
            id: "billing_api_deploy",
            name: "Billing API deploy",
            description: "Deploys the billing API to QA and production, without a manual gate.",
            tags: &[("team", "billing"), ("service", "billing-api")],
        },
        vec![image_tag(&["7.14.2", "7.15.0", "7.15.1"])],
        stages,
        trigger,
    );

    // The ledger export workflow, with an approval step before production.
    let mut d = Def { w };
    let staging = vec![d.ok("rollout", "Rolling deployment", Deploy, (15, 35))];
    let gate = vec![d.gate(
        "approve_prod",
        "Approve production",
        spec(
            "Deploy ledger-export to production?",
            &["account.release_managers"],
            1,
            HOUR,
            None,
        ),
    )];
    let prod = vec![
        d.ok("rollout", "Rolling deployment", Deploy, (20, 45)),
        d.step(
            "export_check",
            "Test export",
            Test,
            (10, 20),
            0.06,
            "Test export failed: ledger_2026_10.csv has 14 unbalanced rows",
        ),
    ];
    let stages = vec![
        d.deploy(
            "deploy_staging",
            "Deploy staging",
            "staging",
            "ledger-export",
            staging,
        ),
        d.stage("approval", "Approval", Approval, gate),
        d.deploy(
            "deploy_production",
            "Deploy production",
            "production",
            "ledger-export",
            prod,
        ),
    ];
    let w = d.w;
    let trigger = manual(w, (150, 320));
    add(
        w,
        now,
        Meta {
            project: "legacy_billing",
            id: "ledger_export_deploy",
            name: "Ledger export deploy",
            description: "Deploys the nightly ledger export job; production needs an approval.",
            tags: &[("team", "billing"), ("service", "ledger-export")],
        },
        vec![image_tag(&["2.3.0", "2.3.1"])],
        stages,
        trigger,
    );
}

fn storefront_classic(w: &mut World, now: Ms) {
    use StageKind::{Approval, Build, Custom};
    use StepKind::{Build as Compile, Deploy, HttpCheck, Script};
    use VarKind::String as Str;

    // A release whose operations and merchandising sign-offs wait side by side.
    let mut d = Def { w };
    let ops_gate = vec![d.gate(
        "ops_approval",
        "Operations approval",
        spec(
            "Operations: is the storefront ready for this release?",
            &["account.sre_oncall"],
            1,
            2 * HOUR,
            Some("ops_signoff"),
        ),
    )];
    let merch = ApprovalSpec {
        inputs: inputs(&[("banner_copy", "approved")]),
        ..spec(
            "Merchandising: are the banners and prices of this release right?",
            &["_project_all_users"],
            1,
            2 * HOUR,
            Some("merch_signoff"),
        )
    };
    let merch_gate = vec![d.gate("merch_approval", "Merchandising approval", merch)];
    let web = vec![
        d.ok("rollout", "Rolling deployment", Deploy, (30, 60)),
        d.step(
            "smoke",
            "Smoke test",
            HttpCheck,
            (5, 10),
            0.04,
            "Smoke test failed: GET /cart returned 502",
        ),
    ];
    let search = vec![d.ok("rollout", "Rolling deployment", Deploy, (20, 40))];
    let mut merch_stage = d.stage(
        "merch_signoff",
        "Merchandising sign-off",
        Approval,
        merch_gate,
    );
    merch_stage.parallel = true;
    let mut search_stage = d.deploy(
        "search_api_prod",
        "Search API to production",
        "production",
        "search-api",
        search,
    );
    search_stage.parallel = true;
    let stages = vec![
        d.stage("ops_signoff", "Operations sign-off", Approval, ops_gate),
        merch_stage,
        d.deploy(
            "storefront_web_prod",
            "Storefront web to production",
            "production",
            "storefront-web",
            web,
        ),
        search_stage,
    ];
    let w = d.w;
    let trigger = manual(w, (150, 300));
    add(
        w,
        now,
        Meta {
            project: "storefront_classic",
            id: "storefront_release",
            name: "Storefront release",
            description: "Ships a storefront release once operations and merchandising both sign off.",
            tags: &[("team", "storefront"), ("legacy", "")],
        },
        vec![var(
            "release",
            Str,
            "Storefront release",
            runtime(None, &[]),
            &["2026.10.1", "2026.10.2"],
        )],
        stages,
        trigger,
    );

    // A nightly catalog reindex that now and then runs out of disk.
    let mut d = Def { w };
    let reindex = vec![
        d.ok("snapshot", "Snapshot index", Script, (10, 20)),
        d.step(
            "rebuild",
            "Rebuild index",
            Script,
            (40, 70),
            0.12,
            "Reindex failed: core catalog_v2 is out of disk",
        ),
        d.ok("swap_alias", "Swap alias", Script, (5, 10)),
    ];
    let stages = vec![d.stage("reindex", "Reindex", Custom, reindex)];
    let w = d.w;
    let trigger = auto(
        w,
        TriggerKind::Scheduler,
        "nightly_reindex",
        "Nightly 01:30",
        (60, 150),
    );
    add(
        w,
        now,
        Meta {
            project: "storefront_classic",
            id: "catalog_reindex",
            name: "Catalog reindex",
            description: "Rebuilds the product catalog search index and swaps it in.",
            tags: &[("team", "storefront"), ("nightly", "")],
        },
        vec![var(
            "full_rebuild",
            Str,
            "Rebuild from scratch instead of incrementally",
            runtime(Some("false"), &["true", "false"]),
            &[],
        )],
        stages,
        trigger,
    );

    // The storefront web workflow: staging, then production.
    let mut d = Def { w };
    let prepare = vec![
        d.ok("fetch_artifact", "Fetch artifact", Script, (5, 15)),
        d.ok("build_assets", "Build static assets", Compile, (15, 30)),
    ];
    let staging = vec![
        d.ok("rollout", "Rolling deployment", Deploy, (15, 35)),
        d.step(
            "smoke",
            "Smoke test",
            HttpCheck,
            (5, 10),
            0.04,
            "Smoke test failed: GET / returned 500",
        ),
    ];
    let prod = vec![d.ok("rollout", "Rolling deployment", Deploy, (30, 60))];
    let stages = vec![
        d.stage("prepare", "Prepare", Build, prepare),
        d.deploy(
            "deploy_staging",
            "Deploy staging",
            "staging",
            "storefront-web",
            staging,
        ),
        d.deploy(
            "deploy_production",
            "Deploy production",
            "production",
            "storefront-web",
            prod,
        ),
    ];
    let w = d.w;
    let trigger = auto(
        w,
        TriggerKind::Webhook,
        "on_new_artifact",
        "On new storefront-web artifact",
        (40, 120),
    );
    add(
        w,
        now,
        Meta {
            project: "storefront_classic",
            id: "storefront_web_deploy",
            name: "Storefront web deploy",
            description: "Deploys the classic storefront web app to staging and production.",
            tags: &[("team", "storefront"), ("service", "storefront-web")],
        },
        vec![image_tag(&["5.1.9", "5.2.0"])],
        stages,
        trigger,
    );

    // The search API workflow, deployed by hand.
    let mut d = Def { w };
    let staging = vec![d.ok("rollout", "Rolling deployment", Deploy, (15, 30))];
    let prod = vec![
        d.ok("rollout", "Rolling deployment", Deploy, (20, 40)),
        d.step(
            "warm_cache",
            "Warm query cache",
            Script,
            (10, 20),
            0.05,
            "Cache warm-up timed out after 120s",
        ),
    ];
    let stages = vec![
        d.deploy(
            "deploy_staging",
            "Deploy staging",
            "staging",
            "search-api",
            staging,
        ),
        d.deploy(
            "deploy_production",
            "Deploy production",
            "production",
            "search-api",
            prod,
        ),
    ];
    let w = d.w;
    let trigger = manual(w, (120, 260));
    add(
        w,
        now,
        Meta {
            project: "storefront_classic",
            id: "search_api_deploy",
            name: "Search API deploy",
            description: "Deploys the storefront search API; run by hand after index changes.",
            tags: &[("team", "storefront"), ("service", "search-api")],
        },
        vec![image_tag(&["4.0.3", "4.1.0"])],
        stages,
        trigger,
    );
}
