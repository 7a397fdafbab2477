//! The platform team: certificate rotation (its very first step is a gate), cluster
//! upgrades, Terraform with auto-reject, image rebuilds, DNS sync and the observability stack.

use super::{Def, HOUR, Meta, add, auto, fixed, inputs, manual, runtime, spec, var};
use crate::world::{ApprovalSpec, Ms, StageKind, StepKind, TriggerKind, VarKind, World};

pub(super) fn platform(w: &mut World, now: Ms) {
    use StageKind::{Approval, Build, Custom};
    use StepKind::{Build as Compile, Deploy, HttpCheck, Script, Test};
    use VarKind::{Secret, String as Str};

    let mut d = Def { w };
    let gate = ApprovalSpec {
        disallow_executor: true,
        inputs: inputs(&[("change_ticket", "CHG-0000")]),
        ..spec(
            "Approve the certificate rotation change.",
            &["_project_all_users"],
            1,
            HOUR,
            Some("cert_change"),
        )
    };
    let approve = vec![d.gate("approve_change", "Approve change", gate)];
    let rotate = vec![
        d.ok("issue_certs", "Issue certificates", Script, (10, 30)),
        d.step(
            "reload_proxies",
            "Reload proxies",
            Script,
            (10, 20),
            0.05,
            "envoy reload failed on edge-3",
        ),
    ];
    let verify = vec![d.ok("check_expiry", "Check expiry dates", HttpCheck, (5, 10))];
    let stages = vec![
        d.stage("change_approval", "Change approval", Approval, approve),
        d.stage("rotate", "Rotate", Custom, rotate),
        d.stage("verify", "Verify", Custom, verify),
    ];
    let w = d.w;
    let trigger = manual(w, (180, 360));
    add(
        w,
        now,
        Meta {
            project: "platform",
            id: "rotate_certificates",
            name: "Rotate TLS certificates",
            description: "Rotates TLS certificates for the chosen scope; nothing happens before a change approval.",
            tags: &[("team", "platform"), ("security", "")],
        },
        vec![var(
            "scope",
            Str,
            "Which certificates",
            runtime(Some("edge"), &["edge", "internal", "all"]),
            &[],
        )],
        stages,
        trigger,
    );

    let mut d = Def { w };
    let preflight = vec![
        d.ok("check_pdbs", "Check disruption budgets", Script, (10, 20)),
        d.step(
            "check_capacity",
            "Check spare capacity",
            Script,
            (10, 20),
            0.08,
            "Not enough spare capacity to drain a node pool",
        ),
    ];
    let gate = ApprovalSpec {
        inputs: inputs(&[("rollback_plan", "revert node image")]),
        ..spec(
            "SRE go/no-go for the cluster upgrade.",
            &["account.sre_oncall"],
            1,
            4 * HOUR,
            Some("sre_go"),
        )
    };
    let approve = vec![d.gate("sre_go", "SRE go/no-go", gate)];
    let upgrade = vec![
        d.ok(
            "upgrade_control_plane",
            "Upgrade control plane",
            Script,
            (40, 60),
        ),
        d.ok("upgrade_pools", "Upgrade node pools", Script, (50, 60)),
        d.ok("verify", "Verify workloads", HttpCheck, (10, 20)),
    ];
    let stages = vec![
        d.stage("preflight", "Preflight", Custom, preflight),
        d.stage("sre_approval", "SRE approval", Approval, approve),
        d.stage("upgrade", "Upgrade", Custom, upgrade),
    ];
    let w = d.w;
    let trigger = manual(w, (240, 480));
    add(
        w,
        now,
        Meta {
            project: "platform",
            id: "k8s_cluster_upgrade",
            name: "Kubernetes cluster upgrade",
            description: "Upgrades one Kubernetes cluster, control plane first, then node pool by node pool.",
            tags: &[("team", "platform"), ("kubernetes", "")],
        },
        vec![
            var(
                "cluster",
                Str,
                "Cluster to upgrade",
                runtime(None, &["prod-eu-1", "prod-us-1", "staging-1"]),
                &[],
            ),
            var(
                "k8s_version",
                Str,
                "Target version",
                runtime(Some("1.31"), &[]),
                &["1.31", "1.32"],
            ),
        ],
        stages,
        trigger,
    );

    let mut d = Def { w };
    let plan = vec![d.step(
        "terraform_plan",
        "terraform plan",
        Script,
        (20, 50),
        0.05,
        "Error: Provider produced inconsistent final plan",
    )];
    let gate = ApprovalSpec {
        auto_reject: true,
        ..spec(
            "Apply the network plan?",
            &["account.sre_oncall"],
            1,
            2 * HOUR,
            Some("tf_apply"),
        )
    };
    let approve = vec![d.gate("approve", "Approve apply", gate)];
    let apply = vec![d.step(
        "terraform_apply",
        "terraform apply",
        Script,
        (30, 60),
        0.05,
        "Error: creating route: RouteAlreadyExists",
    )];
    let stages = vec![
        d.stage("plan", "Plan", Custom, plan),
        d.stage("approve_apply", "Approve apply", Approval, approve),
        d.stage("apply", "Apply", Custom, apply),
    ];
    let w = d.w;
    let trigger = auto(
        w,
        TriggerKind::Webhook,
        "on_pr_merge",
        "On PR merge",
        (90, 240),
    );
    add(
        w,
        now,
        Meta {
            project: "platform",
            id: "terraform_apply_network",
            name: "Terraform apply: network",
            description: "Plans and applies the shared network Terraform workspace.",
            tags: &[("team", "platform"), ("terraform", "")],
        },
        vec![
            var(
                "workspace",
                Str,
                "Terraform workspace",
                runtime(Some("prod"), &["prod", "staging"]),
                &[],
            ),
            var(
                "tf_token",
                Secret,
                "Terraform Cloud token",
                fixed("account.tf_cloud_token"),
                &[],
            ),
        ],
        stages,
        trigger,
    );

    let mut d = Def { w };
    let build = vec![
        d.ok("build_images", "Build images", Compile, (40, 60)),
        d.step(
            "scan",
            "Vulnerability scan",
            Test,
            (20, 40),
            0.1,
            "Trivy: 2 CRITICAL vulnerabilities in openssl",
        ),
    ];
    let publish = vec![d.ok("push", "Push images", Script, (10, 30))];
    let stages = vec![
        d.stage("build", "Build", Build, build),
        d.stage("publish", "Publish", Custom, publish),
    ];
    let w = d.w;
    let trigger = auto(
        w,
        TriggerKind::Scheduler,
        "weekly",
        "Weekly rebuild",
        (60, 180),
    );
    add(
        w,
        now,
        Meta {
            project: "platform",
            id: "base_image_rebuild",
            name: "Base image rebuild",
            description: "Rebuilds and scans the base container images.",
            tags: &[("team", "platform"), ("images", "")],
        },
        Vec::new(),
        stages,
        trigger,
    );

    let mut d = Def { w };
    let sync = vec![
        d.ok("diff", "Diff zones", Script, (5, 10)),
        d.step(
            "apply",
            "Apply records",
            Script,
            (5, 15),
            0.03,
            "Route53 throttled: Rate exceeded",
        ),
    ];
    let stages = vec![d.stage("sync", "Sync", Custom, sync)];
    let w = d.w;
    let trigger = auto(
        w,
        TriggerKind::Webhook,
        "on_zone_change",
        "On zone file change",
        (45, 120),
    );
    add(
        w,
        now,
        Meta {
            project: "platform",
            id: "dns_record_sync",
            name: "DNS record sync",
            description: "Applies the DNS zone files from the repository.",
            tags: &[("team", "platform"), ("dns", "")],
        },
        Vec::new(),
        stages,
        trigger,
    );

    let mut d = Def { w };
    let staging = vec![
        d.ok("helm_upgrade", "Helm upgrade", Deploy, (30, 60)),
        d.ok("check_targets", "Check scrape targets", HttpCheck, (5, 15)),
    ];
    let gate = vec![d.gate(
        "approve",
        "Approve prod",
        spec(
            "Roll the observability stack to production?",
            &["account.sre_oncall", "account.release_managers"],
            1,
            2 * HOUR,
            None,
        ),
    )];
    let prod = vec![
        d.ok("helm_upgrade", "Helm upgrade", Deploy, (30, 60)),
        d.step(
            "check_targets",
            "Check scrape targets",
            HttpCheck,
            (5, 15),
            0.05,
            "Alertmanager not ready after 60s",
        ),
    ];
    let stages = vec![
        d.deploy(
            "deploy_staging",
            "Deploy staging",
            "staging",
            "prometheus-stack",
            staging,
        ),
        d.stage("prod_approval", "Prod approval", Approval, gate),
        d.deploy(
            "deploy_prod",
            "Deploy prod",
            "prod",
            "prometheus-stack",
            prod,
        ),
    ];
    let w = d.w;
    let trigger = manual(w, (180, 420));
    add(
        w,
        now,
        Meta {
            project: "platform",
            id: "observability_stack_deploy",
            name: "Observability stack deploy",
            description: "Deploys the Prometheus and Grafana stack with Helm.",
            tags: &[("team", "platform"), ("observability", "")],
        },
        vec![
            var(
                "chart_version",
                Str,
                "kube-prometheus-stack chart version",
                runtime(None, &[]),
                &["58.2.1", "58.3.0"],
            ),
            var(
                "values_file",
                Str,
                "Helm values file",
                runtime(Some("values/prod.yaml"), &[]),
                &[],
            ),
        ],
        stages,
        trigger,
    );
}
