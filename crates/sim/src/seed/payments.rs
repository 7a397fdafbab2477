//! The payments team: API deploys with a two-person production gate, DBA-reviewed ledger
//! migrations, a scheduled model refresh, and a release train whose two regions sign off in
//! parallel (the case where one execution has two gates waiting).

use super::{Def, HOUR, Meta, add, auto, fixed, inputs, manual, runtime, spec, var};
use crate::world::{ApprovalSpec, Ms, StageKind, StepKind, TriggerKind, VarKind, World};

pub(super) fn payments(w: &mut World, now: Ms) {
    use StageKind::{Approval, Build, Custom};
    use StepKind::{Build as Compile, Deploy, HttpCheck, Script, Test};
    use VarKind::{Number, Secret, String as Str};

    let mut d = Def { w };
    let build = vec![
        d.ok("checkout", "Checkout", Script, (5, 10)),
        d.step(
            "unit_tests",
            "Unit tests",
            Test,
            (20, 50),
            0.08,
            "Unit tests failed: 3 of 412 tests failed in LedgerServiceTest",
        ),
        d.ok("build_image", "Build and push image", Compile, (30, 60)),
    ];
    let staging = vec![
        d.ok("rollout", "Rolling deployment", Deploy, (20, 45)),
        d.step(
            "smoke_test",
            "Smoke test",
            HttpCheck,
            (5, 15),
            0.05,
            "Smoke test failed: GET /healthz returned 503",
        ),
    ];
    let gate = ApprovalSpec {
        inputs: inputs(&[("change_ticket", "CHG-0000")]),
        ..spec(
            "Promote payments-api to production? Check the staging dashboards first.",
            &["account.release_managers"],
            2,
            4 * HOUR,
            Some("prod_gate"),
        )
    };
    let approve = vec![d.gate("approve_prod", "Production sign-off", gate)];
    let prod = vec![
        d.ok("canary", "Canary 10%", Deploy, (30, 60)),
        d.step(
            "verify",
            "Verify canary",
            HttpCheck,
            (10, 20),
            0.04,
            "Canary error rate 2.3% above threshold 1%",
        ),
        d.ok("rollout", "Full rollout", Deploy, (30, 60)),
    ];
    let stages = vec![
        d.stage("build", "Build", Build, build),
        d.deploy(
            "deploy_staging",
            "Deploy staging",
            "staging",
            "payments-api",
            staging,
        ),
        d.stage("prod_approval", "Prod approval", Approval, approve),
        d.deploy("deploy_prod", "Deploy prod", "prod", "payments-api", prod),
    ];
    let w = d.w;
    let trigger = auto(
        w,
        TriggerKind::Webhook,
        "on_main_push",
        "On push to main",
        (40, 120),
    );
    add(
        w,
        now,
        Meta {
            project: "payments",
            id: "payments_api_deploy",
            name: "Payments API deploy",
            description: "Builds the payments API image and rolls it out to staging, then to production after two release managers sign off.",
            tags: &[
                ("team", "payments"),
                ("service", "payments-api"),
                ("tier", "critical"),
            ],
        },
        vec![
            var(
                "image_tag",
                Str,
                "Image tag to deploy",
                runtime(None, &[]),
                &["1.42.0", "1.42.1", "1.43.0"],
            ),
            var(
                "skip_smoke_tests",
                Str,
                "Skip the staging smoke test",
                runtime(Some("false"), &["true", "false"]),
                &[],
            ),
            var("service_name", Str, "", fixed("payments-api"), &[]),
        ],
        stages,
        trigger,
    );

    let mut d = Def { w };
    let plan = vec![d.ok("render_plan", "Render migration plan", Script, (10, 30))];
    let review = ApprovalSpec {
        disallow_executor: true,
        inputs: inputs(&[("maintenance_window", "tonight 22:00 UTC")]),
        ..spec(
            "Review the migration plan before it touches the ledger.",
            &["dba"],
            1,
            2 * HOUR,
            Some("dba_review"),
        )
    };
    let gate = vec![d.gate("dba_review", "DBA review", review)];
    let apply = vec![
        d.step(
            "apply_migrations",
            "Apply migrations",
            Script,
            (20, 60),
            0.1,
            "Migration 20260301_add_ledger_index failed: lock timeout",
        ),
        d.ok("verify_schema", "Verify schema", Script, (5, 15)),
    ];
    let stages = vec![
        d.stage("plan", "Plan", Custom, plan),
        d.stage("dba_approval", "DBA approval", Approval, gate),
        d.stage("apply", "Apply", Custom, apply),
    ];
    let w = d.w;
    let trigger = manual(w, (90, 240));
    add(
        w,
        now,
        Meta {
            project: "payments",
            id: "ledger_migrations",
            name: "Ledger DB migrations",
            description: "Runs schema migrations against the ledger database after a DBA approves the plan.",
            tags: &[("team", "payments"), ("database", "")],
        },
        vec![
            var(
                "migration_version",
                Number,
                "Target migration version",
                runtime(None, &[]),
                &["20260301", "20260302"],
            ),
            var(
                "dry_run",
                Str,
                "Only print the SQL",
                runtime(Some("true"), &["true", "false"]),
                &[],
            ),
            var(
                "db_admin_password",
                Secret,
                "Ledger admin password secret",
                runtime(None, &[]),
                &["account.ledger_db_admin"],
            ),
        ],
        stages,
        trigger,
    );

    let mut d = Def { w };
    let train = vec![
        d.ok("fetch_features", "Fetch features", Script, (10, 30)),
        d.ok("train_model", "Train model", Compile, (40, 60)),
        d.step(
            "evaluate",
            "Evaluate",
            Test,
            (15, 30),
            0.15,
            "Model AUC 0.871 below threshold 0.900",
        ),
    ];
    let publish = vec![d.ok("publish_model", "Publish model", Deploy, (10, 30))];
    let stages = vec![
        d.stage("train", "Train", Build, train),
        d.deploy("publish", "Publish", "prod", "fraud-scorer", publish),
    ];
    let w = d.w;
    let trigger = auto(
        w,
        TriggerKind::Scheduler,
        "nightly_retrain",
        "Nightly retrain",
        (60, 180),
    );
    add(
        w,
        now,
        Meta {
            project: "payments",
            id: "fraud_model_refresh",
            name: "Fraud model refresh",
            description: "Retrains the fraud scoring model and publishes it when it beats the current one.",
            tags: &[("team", "payments"), ("ml", "")],
        },
        Vec::new(),
        stages,
        trigger,
    );

    let mut d = Def { w };
    let eu = ApprovalSpec {
        inputs: inputs(&[("eu_change", "CHG-EU-")]),
        ..spec(
            "Sign off the EU release window.",
            &["account.release_managers"],
            1,
            3 * HOUR,
            Some("eu_signoff"),
        )
    };
    let us = ApprovalSpec {
        inputs: inputs(&[("us_change", "CHG-US-")]),
        ..spec(
            "Sign off the US release window.",
            &["account.release_managers"],
            1,
            3 * HOUR,
            Some("us_signoff"),
        )
    };
    let eu_gate = vec![d.gate("eu_approval", "EU sign-off", eu)];
    let us_gate = vec![d.gate("us_approval", "US sign-off", us)];
    let eu_deploy = vec![d.ok("rollout_eu", "Roll out EU", Deploy, (30, 60))];
    let us_deploy = vec![d.ok("rollout_us", "Roll out US", Deploy, (30, 60))];
    let checks = vec![d.step(
        "post_release_checks",
        "Post-release checks",
        HttpCheck,
        (10, 20),
        0.05,
        "Settlement reconciliation check failed for 2 merchants",
    )];
    let mut us_stage = d.stage("us_signoff", "US sign-off", Approval, us_gate);
    us_stage.parallel = true;
    let mut us_deploy_stage = d.deploy("deploy_us", "Deploy US", "prod-us", "payments", us_deploy);
    us_deploy_stage.parallel = true;
    let stages = vec![
        d.stage("eu_signoff", "EU sign-off", Approval, eu_gate),
        us_stage,
        d.deploy("deploy_eu", "Deploy EU", "prod-eu", "payments", eu_deploy),
        us_deploy_stage,
        d.stage("verify", "Verify", Custom, checks),
    ];
    let w = d.w;
    let trigger = manual(w, (120, 300));
    add(
        w,
        now,
        Meta {
            project: "payments",
            id: "payments_release_train",
            name: "Payments release train",
            description: "Coordinated release of payment services to both regions; each region signs off separately.",
            tags: &[("team", "payments"), ("release", "")],
        },
        vec![
            var(
                "release",
                Str,
                "Release name",
                runtime(None, &[]),
                &["2026.09", "2026.10"],
            ),
            var("notify_channel", Str, "", fixed("#payments-releases"), &[]),
        ],
        stages,
        trigger,
    );
}
