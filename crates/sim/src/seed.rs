//! The demo world's content: three teams' NextGen projects, two First Gen applications not
//! yet migrated (`first_gen.rs`), their pipelines, the people and groups around them, and a
//! few days of generated history.
//!
//! History is not invented row by row: the world is created three days in the past and run
//! forward on the same engine that runs it live, with simulated people deciding gates and now
//! and then aborting a run. That keeps every past execution consistent (stage statuses,
//! timestamps, gate activities). The last hour before "now" is left undecided, and a few
//! hand-picked runs are started in it, so the world opens with gates waiting and runs moving.

use std::collections::BTreeMap;

use rand::RngExt;

pub(crate) mod argo;
mod checkout;
pub(crate) mod first_gen;
mod payments;
mod platform;

use super::world::{
    ApprovalSpec, AutoTrigger, Bot, Generation, Group, Ms, Pipeline, PrincipalKind, Project, Stage,
    StageKind, StartOpts, Step, StepKind, Trigger, TriggerKind, User, VarKind, VarValue, Variable,
    World,
};

const SEC: Ms = 1_000;
const MIN: Ms = 60 * SEC;
const HOUR: Ms = 60 * MIN;
const DAY: Ms = 24 * HOUR;

/// Ids of the people the simulator hands out tokens for.
pub(crate) struct Cast {
    /// Full permissions, member of every approver group.
    pub(crate) admin: String,
    /// Full permissions, a second approver for gates that need two.
    pub(crate) second: String,
    /// May view but not execute or decide.
    pub(crate) viewer: String,
    /// A service account with execute permission.
    pub(crate) service: String,
}

/// Builds the seeded world as it stands at `now`, and what the Argo face serves over it.
pub(crate) fn build(seed: u64, now: Ms) -> (World, Cast, crate::argo::ArgoSeed) {
    let mut w = World::new(seed, now - 3 * DAY);
    let cast = people(&mut w);
    w.projects = vec![
        project("payments", "Payments", Generation::NextGen),
        project("checkout", "Checkout", Generation::NextGen),
        project("platform", "Platform", Generation::NextGen),
    ];
    w.projects.extend(
        first_gen::APPLICATIONS
            .iter()
            .map(|(id, name)| project(id, name, Generation::FirstGen)),
    );
    w.projects.extend(argo::projects());
    pipelines(&mut w, now);
    let argo_seed = argo::argo(&mut w, now);
    history(&mut w, now);
    (w, cast, argo_seed)
}

fn project(id: &str, name: &str, generation: Generation) -> Project {
    Project {
        id: id.to_string(),
        name: name.to_string(),
        generation,
    }
}

fn user(
    w: &mut World,
    name: &str,
    email: &str,
    kind: PrincipalKind,
    execute: bool,
    starts: bool,
) -> String {
    let id = w.new_id();
    w.users.push(User {
        id: id.clone(),
        name: name.to_string(),
        email: email.to_string(),
        kind,
        can_execute: execute,
        starts_pipelines: starts,
    });
    id
}

fn people(w: &mut World) -> Cast {
    use PrincipalKind::{ServiceAccount, System, User as Person};
    let admin = user(
        w,
        "Demo Admin",
        "demo.admin@example.com",
        Person,
        true,
        false,
    );
    let second = user(
        w,
        "Priya Natarajan",
        "priya.natarajan@example.com",
        Person,
        true,
        false,
    );
    let viewer = user(
        w,
        "Sam Viewer",
        "sam.viewer@example.com",
        Person,
        false,
        false,
    );
    let service = user(
        w,
        "deploy-bot",
        "deploy-bot@serviceaccount.example.com",
        ServiceAccount,
        true,
        false,
    );
    let jane = user(w, "Jane Doe", "jane.doe@example.com", Person, true, true);
    let marco = user(
        w,
        "Marco Rossi",
        "marco.rossi@example.com",
        Person,
        true,
        true,
    );
    let aiko = user(
        w,
        "Aiko Tanaka",
        "aiko.tanaka@example.com",
        Person,
        true,
        true,
    );
    let ravi = user(
        w,
        "Ravi Kumar",
        "ravi.kumar@example.com",
        Person,
        true,
        true,
    );
    let lena = user(
        w,
        "Lena Fischer",
        "lena.fischer@example.com",
        Person,
        true,
        true,
    );
    user(
        w,
        "Scheduler",
        "scheduler@triggers.example.com",
        System,
        true,
        false,
    );
    user(
        w,
        "Webhook",
        "webhook@triggers.example.com",
        System,
        true,
        false,
    );
    let group = |id: &str, name: &str, members: &[&String]| Group {
        id: id.to_string(),
        name: name.to_string(),
        members: members.iter().map(|m| (*m).clone()).collect(),
    };
    w.groups = vec![
        group(
            "_project_all_users",
            "All Project Users",
            &[&admin, &second, &viewer, &jane, &marco, &aiko, &ravi, &lena],
        ),
        group(
            "account.release_managers",
            "Release Managers",
            &[&admin, &second, &jane, &lena],
        ),
        group(
            "account.sre_oncall",
            "SRE On-call",
            &[&admin, &second, &marco, &aiko],
        ),
        // The second token's user is deliberately not a DBA: deciding the ledger migration
        // gate with it is the "not in the approver groups" case.
        group("dba", "Database Admins", &[&admin, &ravi]),
    ];
    Cast {
        admin,
        second,
        viewer,
        service,
    }
}

/// Builds steps and stages with fresh setup ids.
struct Def<'a> {
    w: &'a mut World,
}

impl Def<'_> {
    fn step(
        &mut self,
        id: &str,
        name: &str,
        kind: StepKind,
        secs: (i64, i64),
        fail: f64,
        failure: &str,
    ) -> Step {
        Step {
            id: id.to_string(),
            name: name.to_string(),
            kind,
            setup_id: self.w.new_id(),
            duration: (secs.0 * SEC, secs.1 * SEC),
            fail_rate: fail,
            failure: failure.to_string(),
            timeout_ms: 10 * MIN,
            when: None,
            retries: 0,
        }
    }

    fn ok(&mut self, id: &str, name: &str, kind: StepKind, secs: (i64, i64)) -> Step {
        self.step(id, name, kind, secs, 0.0, "")
    }

    fn gate(&mut self, id: &str, name: &str, spec: ApprovalSpec) -> Step {
        let timeout = spec.timeout_ms;
        Step {
            timeout_ms: timeout,
            ..self.ok(id, name, StepKind::Approval(spec), (0, 0))
        }
    }

    fn stage(&mut self, id: &str, name: &str, kind: StageKind, steps: Vec<Step>) -> Stage {
        Stage {
            id: id.to_string(),
            name: name.to_string(),
            kind,
            setup_id: self.w.new_id(),
            parallel: false,
            environment: None,
            service: None,
            steps,
        }
    }

    fn deploy(
        &mut self,
        id: &str,
        name: &str,
        env: &str,
        service: &str,
        steps: Vec<Step>,
    ) -> Stage {
        Stage {
            environment: Some(env.to_string()),
            service: Some(service.to_string()),
            ..self.stage(id, name, StageKind::Deployment, steps)
        }
    }
}

fn spec(
    message: &str,
    groups: &[&str],
    min: u32,
    timeout: Ms,
    callback: Option<&str>,
) -> ApprovalSpec {
    ApprovalSpec {
        message: message.to_string(),
        user_groups: groups.iter().map(|g| g.to_string()).collect(),
        min_count: min,
        disallow_executor: false,
        inputs: Vec::new(),
        timeout_ms: timeout,
        callback_id: callback.map(str::to_string),
        auto_reject: false,
        include_history: true,
    }
}

fn inputs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

fn var(
    name: &str,
    kind: VarKind,
    description: &str,
    value: VarValue,
    samples: &[&str],
) -> Variable {
    Variable {
        name: name.to_string(),
        kind,
        description: description.to_string(),
        value,
        samples: samples.iter().map(|s| s.to_string()).collect(),
    }
}

fn runtime(default: Option<&str>, allowed: &[&str]) -> VarValue {
    VarValue::Runtime {
        default: default.map(str::to_string),
        allowed: allowed.iter().map(|s| s.to_string()).collect(),
    }
}

fn fixed(v: &str) -> VarValue {
    VarValue::Fixed(v.to_string())
}

struct Meta<'a> {
    project: &'a str,
    id: &'a str,
    name: &'a str,
    description: &'a str,
    tags: &'a [(&'a str, &'a str)],
}

fn add(
    w: &mut World,
    now: Ms,
    m: Meta,
    variables: Vec<Variable>,
    stages: Vec<Stage>,
    auto: AutoTrigger,
) {
    let created = now - w.rng.random_range(30..400) * DAY;
    let updated = now - w.rng.random_range(HOUR..25 * DAY);
    let version = w.rng.random_range(1..25);
    let next_run = w.rng.random_range(1..180);
    let first_auto = w.now + w.rng.random_range(0..=auto.every.1);
    let setup_id = w.new_id();
    w.pipelines.push(Pipeline {
        project: m.project.to_string(),
        id: m.id.to_string(),
        name: m.name.to_string(),
        description: m.description.to_string(),
        tags: m
            .tags
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        setup_id,
        created_ms: created,
        updated_ms: updated,
        version,
        stages,
        variables,
        auto: Some(auto),
        next_run,
        next_auto_ms: Some(first_auto),
        runs: Default::default(),
    });
}

fn auto(w: &World, kind: TriggerKind, id: &str, name: &str, minutes: (i64, i64)) -> AutoTrigger {
    let system = match kind {
        TriggerKind::Scheduler => "Scheduler",
        _ => "Webhook",
    };
    AutoTrigger {
        kind,
        name: (id.to_string(), name.to_string()),
        user: w
            .users
            .iter()
            .find(|u| u.name == system)
            .map(|u| u.id.clone())
            .unwrap_or_default(),
        every: (minutes.0 * MIN, minutes.1 * MIN),
    }
}

fn manual(w: &World, minutes: (i64, i64)) -> AutoTrigger {
    auto(w, TriggerKind::Manual, "", "", minutes)
}

fn pipelines(w: &mut World, now: Ms) {
    payments::payments(w, now);
    checkout::checkout(w, now);
    platform::platform(w, now);
    // After the NextGen content, so its definitions stay as they were.
    first_gen::first_gen(w, now);
}

/// A run started by hand shortly before "now": how long ago, project, pipeline, who, inputs.
pub(super) struct Pick(
    Ms,
    &'static str,
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

/// Runs the world from three days ago up to `now`, then starts a few hand-picked runs in the
/// last hour so gates are waiting and runs are moving when the simulator opens.
fn history(w: &mut World, now: Ms) {
    w.bot = Some(Bot {
        decide_before: now - HOUR,
    });
    // In hourly steps: a single long jump would skip automatic starts (see `advance_to`).
    let mut t = w.now();
    while t < now - 45 * MIN {
        t = (t + HOUR).min(now - 45 * MIN);
        w.advance_to(t);
    }
    w.bot = None;
    let harness_picks = [
        Pick(
            45 * MIN,
            "payments",
            "payments_api_deploy",
            "Jane Doe",
            &[("image_tag", "1.43.0")],
        ),
        // First Gen: a rerun waiting for its approval.
        Pick(
            40 * MIN,
            "legacy_billing",
            "invoice_batch_rerun",
            "Lena Fischer",
            &[("billing_period", "2026-10")],
        ),
        Pick(
            30 * MIN,
            "platform",
            "rotate_certificates",
            "Marco Rossi",
            &[],
        ),
        Pick(
            20 * MIN,
            "payments",
            "payments_release_train",
            "Lena Fischer",
            &[("release", "2026.10")],
        ),
        // First Gen: a release with both sign-offs waiting.
        Pick(
            16 * MIN,
            "storefront_classic",
            "storefront_release",
            "Aiko Tanaka",
            &[("release", "2026.10.2")],
        ),
        Pick(
            12 * MIN,
            "checkout",
            "checkout_web_deploy",
            "Aiko Tanaka",
            &[],
        ),
        // First Gen: a release past QA, waiting for finance.
        Pick(
            8 * MIN,
            "legacy_billing",
            "billing_release",
            "Jane Doe",
            &[("release_version", "7.15.0")],
        ),
        // These are still running at "now": each takes longer than its head start.
        Pick(45 * SEC, "platform", "base_image_rebuild", "Jane Doe", &[]),
        Pick(
            40 * SEC,
            "storefront_classic",
            "storefront_web_deploy",
            "Ravi Kumar",
            &[("image_tag", "5.2.0")],
        ),
        Pick(
            30 * SEC,
            "checkout",
            "cart_service_deploy",
            "Ravi Kumar",
            &[("image_tag", "3.9.0")],
        ),
        Pick(
            25 * SEC,
            "legacy_billing",
            "billing_api_deploy",
            "Lena Fischer",
            &[("image_tag", "7.15.0")],
        ),
        Pick(
            20 * SEC,
            "payments",
            "fraud_model_refresh",
            "Marco Rossi",
            &[],
        ),
    ];
    // The Argo picks draw from their own stream, so where they fall among these changes no
    // Harness run; a stable sort keeps the Harness order for equal times.
    let mut picks: Vec<&Pick> = harness_picks.iter().chain(argo::PICKS).collect();
    picks.sort_by_key(|p| std::cmp::Reverse(p.0));
    for &Pick(ago, project, pipeline, person, values) in picks {
        w.advance_to(now - ago);
        let Some(user) = w
            .users
            .iter()
            .find(|u| u.name == person)
            .map(|u| u.id.clone())
        else {
            continue;
        };
        let given: BTreeMap<String, Option<String>> = values
            .iter()
            .map(|(k, v)| (k.to_string(), Some(v.to_string())))
            .collect();
        let Some(def) = w.pipeline(project, pipeline) else {
            continue;
        };
        let Ok(values) = w.resolve_inputs(def, &given) else {
            continue;
        };
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
            StartOpts { no_failures: true },
        );
    }
    w.advance_to(now);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::MANUAL_EPOCH_MS;
    use crate::world::{ApprovalStatus, RunStatus};

    #[test]
    fn seeded_world_has_what_the_demo_needs() {
        let (w, _, _) = build(42, MANUAL_EPOCH_MS);
        assert_eq!(w.projects_of(Generation::NextGen).count(), 3);
        assert_eq!(w.projects_of(Generation::FirstGen).count(), 2);
        assert!(w.pipelines.len() >= 12);
        let running = w
            .executions
            .values()
            .filter(|e| e.status == RunStatus::Running)
            .count();
        assert!(running >= 3, "running: {running}");
        assert!(
            w.waiting_approvals().len() >= 3,
            "waiting: {}",
            w.waiting_approvals().len()
        );
        let statuses: Vec<RunStatus> = w.executions.values().map(|e| e.status).collect();
        for s in [
            RunStatus::Success,
            RunStatus::Failed,
            RunStatus::Aborted,
            RunStatus::Rejected,
            RunStatus::Expired,
            RunStatus::Running,
        ] {
            assert!(statuses.contains(&s), "no execution is {s:?}");
        }
        assert!(
            w.approvals
                .values()
                .any(|a| a.status == ApprovalStatus::Approved)
        );
        for p in &w.pipelines {
            assert!(p.runs.len() <= crate::world::HISTORY_CAP);
        }
    }

    #[test]
    fn first_gen_applications_have_their_own_live_content() {
        let (w, _, _) = build(42, MANUAL_EPOCH_MS);
        let first_gen = |project: &str| w.serves(Generation::FirstGen, project);
        let names: Vec<&str> = w
            .projects_of(Generation::FirstGen)
            .map(|p| p.name.as_str())
            .collect();
        assert_eq!(names, ["Legacy Billing", "Storefront Classic"]);
        for app in ["legacy_billing", "storefront_classic"] {
            assert_eq!(w.pipelines_of(app).count(), 4, "{app}");
            let workflows = w
                .pipelines_of(app)
                .filter(|p| first_gen::workflow(app, &p.id).is_some())
                .count();
            assert_eq!(workflows, 2, "{app}");
        }
        // Every workflow the table names exists.
        for wf in first_gen::WORKFLOWS {
            assert!(w.pipeline(wf.project, wf.pipeline).is_some());
        }
        let waiting = w
            .waiting_approvals()
            .into_iter()
            .filter(|a| first_gen(&a.project))
            .count();
        assert!(waiting >= 2, "First Gen gates waiting: {waiting}");
        let running = w
            .executions
            .values()
            .filter(|e| first_gen(&e.project) && e.status == RunStatus::Running)
            .count();
        assert!(running >= 2, "First Gen runs running: {running}");
        let finished = w
            .executions
            .values()
            .filter(|e| first_gen(&e.project) && e.status.is_terminal())
            .count();
        assert!(finished >= 20, "First Gen history: {finished}");
    }

    #[test]
    fn same_seed_same_world() {
        let (a, _, _) = build(7, MANUAL_EPOCH_MS);
        let (b, _, _) = build(7, MANUAL_EPOCH_MS);
        assert_eq!(a.executions, b.executions);
        assert_eq!(a.approvals, b.approvals);
    }
}
