//! The checkout team: a web deploy with a production gate, a gate-less service deploy, a
//! flaky nightly end-to-end suite and a marketing-approved config publish.

use super::{Def, HOUR, MIN, Meta, add, auto, inputs, manual, runtime, spec, var};
use crate::world::{ApprovalSpec, Ms, StageKind, StepKind, TriggerKind, VarKind, World};

pub(super) fn checkout(w: &mut World, now: Ms) {
    use StageKind::{Approval, Build, Custom};
    use StepKind::{Build as Compile, Deploy, HttpCheck, Script, Test};
    use VarKind::{Number, String as Str};

    let mut d = Def { w };
    let build = vec![
        d.ok("install_deps", "Install dependencies", Script, (10, 25)),
        d.ok("build_bundle", "Build bundle", Compile, (20, 45)),
    ];
    let test = vec![d.step(
        "browser_tests",
        "Browser tests",
        Test,
        (30, 60),
        0.1,
        "Playwright: 2 of 188 tests failed (checkout-flow.spec.ts)",
    )];
    let staging = vec![d.ok("rollout", "Rolling deployment", Deploy, (15, 40))];
    let gate = vec![d.gate(
        "approve",
        "Approve production",
        spec(
            "Ship checkout-web to production?",
            &["_project_all_users"],
            1,
            HOUR,
            None,
        ),
    )];
    let prod = vec![
        d.ok("canary", "Canary", Deploy, (20, 40)),
        d.ok("promote", "Promote", Deploy, (20, 40)),
    ];
    let stages = vec![
        d.stage("build", "Build", Build, build),
        d.stage("test", "Test", Build, test),
        d.deploy(
            "deploy_staging",
            "Deploy staging",
            "staging",
            "checkout-web",
            staging,
        ),
        d.stage("approve_prod", "Approve prod", Approval, gate),
        d.deploy("deploy_prod", "Deploy prod", "prod", "checkout-web", prod),
    ];
    let w = d.w;
    let trigger = auto(
        w,
        TriggerKind::Webhook,
        "on_merge",
        "On merge to main",
        (30, 90),
    );
    add(
        w,
        now,
        Meta {
            project: "checkout",
            id: "checkout_web_deploy",
            name: "Checkout web deploy",
            description: "Builds the checkout web front end, runs browser tests and deploys it.",
            tags: &[("team", "checkout"), ("service", "checkout-web")],
        },
        vec![
            var(
                "git_branch",
                Str,
                "Branch to build",
                runtime(Some("main"), &[]),
                &["main", "release/2026.09"],
            ),
            var(
                "canary_percent",
                Number,
                "Traffic share of the canary",
                runtime(Some("10"), &["5", "10", "25", "50"]),
                &[],
            ),
        ],
        stages,
        trigger,
    );

    let mut d = Def { w };
    let build = vec![
        d.ok("compile", "Compile", Compile, (20, 40)),
        d.step(
            "unit_tests",
            "Unit tests",
            Test,
            (15, 30),
            0.06,
            "CartTotalsTest: expected 42.10, got 42.09",
        ),
    ];
    let staging = vec![
        d.ok("rollout", "Rolling deployment", Deploy, (15, 35)),
        d.ok("smoke", "Smoke test", HttpCheck, (5, 10)),
    ];
    let prod = vec![
        d.ok("rollout", "Rolling deployment", Deploy, (20, 45)),
        d.step(
            "smoke",
            "Smoke test",
            HttpCheck,
            (5, 10),
            0.03,
            "Smoke test failed: POST /cart returned 500",
        ),
    ];
    let stages = vec![
        d.stage("build", "Build", Build, build),
        d.deploy(
            "deploy_staging",
            "Deploy staging",
            "staging",
            "cart",
            staging,
        ),
        d.deploy("deploy_prod", "Deploy prod", "prod", "cart", prod),
    ];
    let w = d.w;
    let trigger = auto(
        w,
        TriggerKind::Webhook,
        "on_tag",
        "On release tag",
        (30, 80),
    );
    add(
        w,
        now,
        Meta {
            project: "checkout",
            id: "cart_service_deploy",
            name: "Cart service deploy",
            description: "Continuous deployment of the cart service, without a manual gate.",
            tags: &[("team", "checkout"), ("service", "cart")],
        },
        vec![var(
            "image_tag",
            Str,
            "Image tag to deploy",
            runtime(None, &[]),
            &["3.8.1", "3.8.2", "3.9.0"],
        )],
        stages,
        trigger,
    );

    let mut d = Def { w };
    let e2e = vec![
        d.ok("provision_env", "Provision environment", Script, (10, 30)),
        d.step(
            "run_suite",
            "Run E2E suite",
            Test,
            (40, 60),
            0.2,
            "E2E suite: payment iframe did not load within 30s",
        ),
        d.ok("teardown", "Tear down", Script, (5, 10)),
    ];
    let stages = vec![d.stage("e2e", "E2E", Build, e2e)];
    let w = d.w;
    let trigger = auto(
        w,
        TriggerKind::Scheduler,
        "nightly",
        "Nightly 02:00",
        (60, 150),
    );
    add(
        w,
        now,
        Meta {
            project: "checkout",
            id: "checkout_e2e_nightly",
            name: "Checkout E2E nightly",
            description: "Runs the full end-to-end checkout suite against a fresh environment.",
            tags: &[("team", "checkout"), ("nightly", "")],
        },
        Vec::new(),
        stages,
        trigger,
    );

    let mut d = Def { w };
    let validate = vec![d.step(
        "lint_config",
        "Lint config",
        Script,
        (5, 15),
        0.05,
        "promo.yaml: discount_percent must be <= 70",
    )];
    let gate = ApprovalSpec {
        inputs: inputs(&[("launch_time", "now")]),
        ..spec(
            "Marketing sign-off for the promotion.",
            &["_project_all_users"],
            1,
            30 * MIN,
            Some("marketing"),
        )
    };
    let approve = vec![d.gate("marketing_signoff", "Marketing sign-off", gate)];
    let publish = vec![
        d.ok("publish_config", "Publish config", Script, (5, 20)),
        d.ok("purge_cdn", "Purge CDN", HttpCheck, (5, 10)),
    ];
    let stages = vec![
        d.stage("validate", "Validate", Custom, validate),
        d.stage(
            "marketing_approval",
            "Marketing approval",
            Approval,
            approve,
        ),
        d.stage("publish", "Publish", Custom, publish),
    ];
    let w = d.w;
    let trigger = manual(w, (60, 200));
    add(
        w,
        now,
        Meta {
            project: "checkout",
            id: "promo_config_publish",
            name: "Promo config publish",
            description: "Publishes promotion configuration for one region after marketing approves it.",
            tags: &[("team", "checkout"), ("marketing", "")],
        },
        vec![
            var(
                "region",
                Str,
                "Region to publish to",
                runtime(None, &["eu", "us", "apac"]),
                &[],
            ),
            var(
                "campaign",
                Str,
                "Campaign name",
                runtime(None, &[]),
                &["spring-sale", "free-shipping"],
            ),
        ],
        stages,
        trigger,
    );
}
