//! The Argo Workflows side: two namespaces of a team running Argo next to Harness.
//!
//! - `argo`: `release` (Steps: build pod, an `approval` suspend asking `approve` YES/NO with
//!   NO as default, then `deploy` only when the answer is YES) and `canary` (a suspend gate
//!   without parameters between the canary and the full rollout).
//! - `data`: `db-migrate` (a DAG whose `dba-approval` and `sre-approval` gates wait in
//!   parallel, the first asking for a change ticket) and `nightly-etl` (no gate, its transform
//!   fails now and then).
//! - The ClusterWorkflowTemplate `ci-build`, whose unit tests are retried (a Retry node),
//!   started by pushes through the WorkflowEventBinding `github-push` in `argo`.
//!
//! Templates are written as the JSON a server would store (then normalised the way Go
//! re-encodes them) and compiled into world pipelines; run times, failure rates and log lines
//! live in [`timing`], outside the templates, as a real cluster keeps them in its images.
//! Everything random here draws from the Argo stream.

use rand::RngExt;
use serde_json::{Value, json};

use super::{DAY, HOUR, MIN, Pick};
use crate::argo::plan::{self, Origin, Timing, Timings};
use crate::argo::{ArgoSeed, SeedTemplate, json};
use crate::world::{AutoTrigger, Generation, Ms, Project, TriggerKind, World};

/// The namespaces, in the order the face lists them.
pub(crate) const NAMESPACES: [&str; 2] = ["argo", "data"];

/// The cluster template's world pipelines are per namespace; the triggers run it in `argo`.
const CLUSTER_TEMPLATE: &str = "ci-build";

pub(super) fn projects() -> Vec<Project> {
    NAMESPACES
        .iter()
        .map(|ns| Project {
            id: ns.to_string(),
            name: ns.to_string(),
            generation: Generation::Argo,
        })
        .collect()
}

fn param(name: &str, value: &str, choices: &[&str], description: &str) -> Value {
    let mut p = json!({"name": name, "value": value, "description": description});
    if !choices.is_empty() {
        p["enum"] = json!(choices);
    }
    p
}

fn container(name: &str, image: &str, script: &str) -> Value {
    json!({"name": name, "container": {"image": image, "command": ["sh", "-c"], "args": [script]}})
}

/// A suspend template with intermediate parameters: each asked for as an input (with its
/// default, choices and description) and handed on as a supplied output.
fn gate(name: &str, inputs: &[Value]) -> Value {
    let outputs: Vec<Value> = inputs
        .iter()
        .map(|p| json!({"name": p["name"], "valueFrom": {"supplied": {}}}))
        .collect();
    let mut t = json!({"name": name, "suspend": {}});
    if !inputs.is_empty() {
        t["inputs"] = json!({"parameters": inputs});
        t["outputs"] = json!({"parameters": outputs});
    }
    t
}

fn step(name: &str, template: &str) -> Value {
    json!({"name": name, "template": template})
}

fn release() -> Value {
    json!({
        "entrypoint": "release",
        "arguments": {"parameters": [
            param("service", "payments-api", &["payments-api", "checkout-web", "ledger-service"],
                  "Service to release"),
            param("version", "1.43.0", &[], "Image tag to deploy"),
            param("environment", "production", &["staging", "production"], "Where to deploy"),
        ]},
        "templates": [
            {"name": "release", "steps": [
                [step("build", "build")],
                [step("approval", "approval")],
                [{"name": "deploy", "template": "deploy",
                  "when": "{{steps.approval.outputs.parameters.approve}} == YES"}],
            ]},
            container("build", "golang:1.26", "make image TAG={{workflow.parameters.version}}"),
            gate("approval", &[json!({"name": "approve", "default": "NO", "enum": ["YES", "NO"],
                                      "description": "Deploy to production?"})]),
            container("deploy", "bitnami/kubectl:1.34",
                      "kubectl set image deploy/{{workflow.parameters.service}} app={{workflow.parameters.version}}"),
        ]
    })
}

fn canary() -> Value {
    json!({
        "entrypoint": "canary",
        "arguments": {"parameters": [
            param("service", "checkout-web", &["payments-api", "checkout-web"], "Service to roll out"),
            param("weight", "10", &[], "Percent of traffic the canary gets"),
        ]},
        "templates": [
            {"name": "canary", "steps": [
                [step("deploy-canary", "deploy-canary")],
                [step("promote", "promote")],
                [step("promote-all", "promote-all")],
            ]},
            container("deploy-canary", "argoproj/kubectl-argo-rollouts:1.8",
                      "rollout canary {{workflow.parameters.service}} --weight {{workflow.parameters.weight}}"),
            gate("promote", &[]),
            container("promote-all", "argoproj/kubectl-argo-rollouts:1.8",
                      "rollout promote {{workflow.parameters.service}}"),
        ]
    })
}

fn db_migrate() -> Value {
    json!({
        "entrypoint": "migrate",
        "arguments": {"parameters": [
            param("database", "ledger", &["ledger", "orders", "analytics"], "Database to migrate"),
            param("migration", "V42__add_invoice_index", &[], "Migration to apply"),
        ]},
        "templates": [
            {"name": "migrate", "dag": {"tasks": [
                step("backup", "backup"),
                {"name": "dba-approval", "template": "dba-approval", "dependencies": ["backup"]},
                {"name": "sre-approval", "template": "sre-approval", "dependencies": ["backup"]},
                {"name": "apply", "template": "apply", "depends": "dba-approval && sre-approval"},
                {"name": "verify", "template": "verify", "dependencies": ["apply"]},
            ]}},
            container("backup", "postgres:18", "pg_dump {{workflow.parameters.database}} > /backup/dump.sql"),
            gate("dba-approval", &[json!({"name": "ticket", "default": "CHG-0000",
                                          "description": "Change ticket approving the migration"})]),
            gate("sre-approval", &[]),
            container("apply", "flyway/flyway:11", "flyway migrate -target={{workflow.parameters.migration}}"),
            container("verify", "postgres:18", "psql -c 'select 1'"),
        ]
    })
}

fn nightly_etl() -> Value {
    json!({
        "entrypoint": "etl",
        "arguments": {"parameters": [
            param("date", "yesterday", &[], "Day to load"),
        ]},
        "templates": [
            {"name": "etl", "steps": [
                [step("extract", "extract")],
                [step("transform", "transform")],
                [step("load", "load")],
            ]},
            container("extract", "python:3.14", "python extract.py --date {{workflow.parameters.date}}"),
            container("transform", "python:3.14", "python transform.py"),
            container("load", "python:3.14", "python load.py"),
        ]
    })
}

fn ci_build() -> Value {
    json!({
        "entrypoint": "ci",
        "arguments": {"parameters": [
            param("repo", "example/payments-api", &[], "Repository to build"),
            param("revision", "main", &[], "Commit or branch"),
        ]},
        "templates": [
            {"name": "ci", "steps": [
                [step("checkout", "checkout")],
                [step("build", "compile")],
                [step("unit-tests", "unit-tests")],
                [step("publish", "publish")],
            ]},
            container("checkout", "alpine/git:2.47",
                      "git clone https://github.com/{{workflow.parameters.repo}} && git checkout {{workflow.parameters.revision}}"),
            container("compile", "golang:1.26", "go build ./..."),
            {"name": "unit-tests", "retryStrategy": {"limit": 2},
             "container": {"image": "golang:1.26", "command": ["go"], "args": ["test", "./..."]}},
            container("publish", "gcr.io/kaniko-project/executor:v1.24", "executor --destination registry.example.com/{{workflow.parameters.repo}}:{{workflow.parameters.revision}}"),
        ]
    })
}

/// Run times, failures and log lines of each pod template (by template name, so a workflow
/// created from a manifest that calls its templates `build` or `deploy` runs like these).
/// The face keeps them ([`ArgoSeed::timings`]); any other template runs with
/// `Timing::default()`.
fn timings() -> Timings {
    let t = |secs: (i64, i64), fail: f64, failure: &str, log: &[&str]| Timing {
        secs,
        fail,
        failure: failure.to_string(),
        log: log.iter().map(|l| l.to_string()).collect(),
    };
    Timings::new(vec![
        (
            "build",
            t(
                (40, 90),
                0.0,
                "",
                &[
                    "Building {{workflow.parameters.service}} at {{workflow.parameters.version}}",
                    "go: downloading modules",
                    "Step 7/9 : RUN go build -o /app ./cmd/server",
                    "Successfully built image tag {{workflow.parameters.version}}",
                ],
            ),
        ),
        (
            "compile",
            t(
                (40, 90),
                0.0,
                "",
                &[
                    "go: downloading modules",
                    "go build ./... ({{workflow.parameters.repo}} at {{workflow.parameters.revision}})",
                ],
            ),
        ),
        (
            "deploy",
            t(
                (20, 45),
                0.0,
                "",
                &[
                    "deployment.apps/{{workflow.parameters.service}} image updated",
                    "Waiting for rollout to finish: 1 of 3 updated replicas are available...",
                    "deployment \"{{workflow.parameters.service}}\" successfully rolled out",
                ],
            ),
        ),
        (
            "deploy-canary",
            t(
                (15, 30),
                0.0,
                "",
                &[
                    "Canary {{workflow.parameters.service}} at {{workflow.parameters.weight}}% of traffic",
                    "Analysis run started: success-rate",
                ],
            ),
        ),
        (
            "promote-all",
            t(
                (20, 40),
                0.0,
                "",
                &[
                    "Promoting {{workflow.parameters.service}} to 100%",
                    "rollout '{{workflow.parameters.service}}' promoted",
                ],
            ),
        ),
        (
            "backup",
            t(
                (30, 60),
                0.0,
                "",
                &[
                    "pg_dump: dumping {{workflow.parameters.database}}",
                    "pg_dump: wrote 1.8 GB to /backup/dump.sql",
                ],
            ),
        ),
        (
            "apply",
            t(
                (20, 50),
                0.0,
                "",
                &[
                    "Flyway: migrating schema to version {{workflow.parameters.migration}}",
                    "Successfully applied 1 migration",
                ],
            ),
        ),
        ("verify", t((5, 15), 0.0, "", &["?column? 1", "(1 row)"])),
        (
            "extract",
            t(
                (30, 60),
                0.0,
                "",
                &[
                    "extracting orders for {{workflow.parameters.date}}",
                    "extracted 182340 rows",
                ],
            ),
        ),
        (
            "transform",
            t(
                (40, 80),
                0.3,
                "transform: 3 rows failed validation (exit code 1)",
                &["normalising currencies", "validating 182340 rows"],
            ),
        ),
        (
            "load",
            t(
                (20, 40),
                0.0,
                "",
                &["loading into warehouse.orders_daily", "load complete"],
            ),
        ),
        (
            "checkout",
            t(
                (5, 15),
                0.0,
                "",
                &[
                    "Cloning into '{{workflow.parameters.repo}}'...",
                    "HEAD is now at {{workflow.parameters.revision}}",
                ],
            ),
        ),
        (
            "unit-tests",
            t(
                (20, 40),
                0.35,
                "2 tests failed (exit code 1)",
                &[
                    "=== RUN   TestLedger",
                    "--- PASS: TestLedger (0.02s)",
                    "ok  \tgithub.com/{{workflow.parameters.repo}}/internal\t1.204s",
                ],
            ),
        ),
        (
            "publish",
            t(
                (15, 30),
                0.0,
                "",
                &[
                    "Pushing image to registry.example.com/{{workflow.parameters.repo}}",
                    "Pushed {{workflow.parameters.revision}}",
                ],
            ),
        ),
    ])
}

/// How often each template starts by itself during history and live.
fn triggers(w: &World, template: &str) -> Option<AutoTrigger> {
    let system = |name: &str| {
        w.users
            .iter()
            .find(|u| u.name == name)
            .map(|u| u.id.clone())
            .unwrap_or_default()
    };
    let (kind, user, every) = match template {
        "release" => (TriggerKind::Manual, String::new(), (3 * HOUR, 6 * HOUR)),
        "canary" => (TriggerKind::Manual, String::new(), (4 * HOUR, 8 * HOUR)),
        "db-migrate" => (TriggerKind::Manual, String::new(), (6 * HOUR, 12 * HOUR)),
        "nightly-etl" => (
            TriggerKind::Scheduler,
            system("Scheduler"),
            (6 * HOUR, 10 * HOUR),
        ),
        CLUSTER_TEMPLATE => (
            TriggerKind::Webhook,
            system("Webhook"),
            (45 * MIN, 2 * HOUR),
        ),
        _ => return None,
    };
    Some(AutoTrigger {
        kind,
        name: (template.to_string(), template.to_string()),
        user,
        every,
    })
}

/// Adds the namespaces' world pipelines and returns what the Argo face serves.
pub(super) fn argo(w: &mut World, now: Ms) -> ArgoSeed {
    let namespaced = [
        ("argo", "release", release()),
        ("argo", "canary", canary()),
        ("data", "db-migrate", db_migrate()),
        ("data", "nightly-etl", nightly_etl()),
    ];
    let mut seed = ArgoSeed {
        timings: timings(),
        ..ArgoSeed::default()
    };
    for (ns, name, spec) in namespaced {
        let created = now - w.argo_rng.random_range(20..200) * DAY;
        seed.templates
            .push(SeedTemplate::new(Some(ns), name, spec.clone(), created));
        let origin = Origin::Template(name.to_string());
        add(w, &mut seed, ns, name, name, &spec, origin, created, true);
    }
    let spec = ci_build();
    let created = now - w.argo_rng.random_range(20..200) * DAY;
    seed.templates.push(SeedTemplate::new(
        None,
        CLUSTER_TEMPLATE,
        spec.clone(),
        created,
    ));
    for ns in NAMESPACES {
        let origin = Origin::ClusterTemplate(CLUSTER_TEMPLATE.to_string());
        let id = format!("cluster/{CLUSTER_TEMPLATE}");
        add(
            w,
            &mut seed,
            ns,
            &id,
            CLUSTER_TEMPLATE,
            &spec,
            origin,
            created,
            ns == "argo",
        );
    }
    let created = now - w.argo_rng.random_range(5..60) * DAY;
    seed.bindings.push(json::object(
        Some("argo"),
        "github-push",
        created,
        "spec",
        json!({
            "event": {"selector": "discriminator == \"github\" && payload.ref == \"refs/heads/main\""},
            "submit": {
                "workflowTemplateRef": {"name": CLUSTER_TEMPLATE, "clusterScope": true},
                "arguments": {"parameters": [
                    {"name": "repo", "valueFrom": {"event": "payload.repository.full_name"}},
                    {"name": "revision", "valueFrom": {"event": "payload.after"}},
                ]},
            },
        }),
    ));
    seed
}

/// Compiles a template into a world pipeline of `ns` (with its automatic trigger if `auto`).
#[allow(clippy::too_many_arguments)]
fn add(
    w: &mut World,
    seed: &mut ArgoSeed,
    ns: &str,
    id: &str,
    name: &str,
    spec: &Value,
    origin: Origin,
    created: Ms,
    auto: bool,
) {
    let compiled = plan::compile(spec, None, origin, &|t| seed.timings.of(t))
        .expect("the seeded templates compile");
    let auto = auto.then(|| triggers(w, name)).flatten();
    let first_auto = auto
        .as_ref()
        .map(|a| w.now() + w.argo_rng.random_range(0..=a.every.1));
    let (mut pipeline, plan) = compiled.into_pipeline(ns, id, name, created, auto);
    pipeline.next_auto_ms = first_auto;
    w.pipelines.push(pipeline);
    seed.plans.push((ns.to_string(), id.to_string(), plan));
}

/// Hand-picked runs in the last hour, so gates wait when the simulator opens.
pub(super) const PICKS: &[Pick] = &[
    Pick(
        35 * MIN,
        "argo",
        "release",
        "Jane Doe",
        &[("version", "1.43.0")],
    ),
    Pick(25 * MIN, "argo", "canary", "Marco Rossi", &[]),
    Pick(
        15 * MIN,
        "data",
        "db-migrate",
        "Ravi Kumar",
        &[("database", "orders")],
    ),
    Pick(50 * super::SEC, "data", "nightly-etl", "Aiko Tanaka", &[]),
    Pick(
        35 * super::SEC,
        "argo",
        "cluster/ci-build",
        "Lena Fischer",
        &[],
    ),
];
