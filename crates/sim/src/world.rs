//! The backend-neutral world every simulated backend shows a face of: projects, pipelines made
//! of stages and steps, executions moving through those steps on the simulated clock, and
//! approval gates waiting for people.
//!
//! Nothing here knows a wire format. Names follow the domain ("waiting", "rejected"), and each
//! face (Harness NextGen, Harness First Gen, Argo Workflows) maps them to its own enums, ids
//! and JSON. Each project records which product serves it, so a face shows only its own
//! projects. How time moves the world lives in `world/progress.rs`.
//!
//! A few things exist for the Argo face but are stated in domain terms: a step may be guarded
//! by a gate's input (and is then skipped), may be retried, and an execution may be held
//! (nothing new starts) and retried after it ended.

mod control;
mod decisions;
mod progress;

pub use control::{Discontinue, Lineage};

use std::collections::{BTreeMap, VecDeque};

use rand::SeedableRng;
use rand::rngs::StdRng;

use super::ids;

/// Epoch milliseconds of simulated time.
pub type Ms = i64;

/// The status of an execution, a stage or a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RunStatus {
    NotStarted,
    Running,
    /// Blocked on an approval gate.
    Waiting,
    Success,
    Failed,
    Aborted,
    /// An approver rejected a gate.
    Rejected,
    /// A gate's deadline passed with no decision.
    Expired,
    /// Not run because its guard was not met (see [`Guard`]); counts as done, not as a failure.
    Skipped,
}

impl RunStatus {
    pub fn is_terminal(self) -> bool {
        !matches!(
            self,
            RunStatus::NotStarted | RunStatus::Running | RunStatus::Waiting
        )
    }

    /// Terminal and neither a success nor skipped.
    pub fn is_bad(self) -> bool {
        self.is_terminal() && !matches!(self, RunStatus::Success | RunStatus::Skipped)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StageKind {
    Build,
    Deployment,
    Approval,
    Custom,
}

#[derive(Clone, Debug, PartialEq)]
pub enum StepKind {
    Build,
    Test,
    Script,
    Deploy,
    HttpCheck,
    Approval(ApprovalSpec),
}

/// What an approval gate asks of people.
#[derive(Clone, Debug, PartialEq)]
pub struct ApprovalSpec {
    pub message: String,
    /// Group ids whose members may decide.
    pub user_groups: Vec<String>,
    /// Approvals needed; one rejection is always enough to reject.
    pub min_count: u32,
    /// The person who started the execution may not decide.
    pub disallow_executor: bool,
    /// Inputs an approver may fill in: (name, default value).
    pub inputs: Vec<(String, String)>,
    pub timeout_ms: Ms,
    /// An author-chosen id for addressing this gate within an execution.
    pub callback_id: Option<String>,
    /// Approving also rejects this gate in older executions of the same pipeline.
    pub auto_reject: bool,
    pub include_history: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    pub id: String,
    pub name: String,
    pub kind: StepKind,
    /// Stable id of the step's definition (the same in every execution).
    pub setup_id: String,
    /// Shortest and longest run time.
    pub duration: (Ms, Ms),
    /// Chance in [0, 1] that a run of this step fails.
    pub fail_rate: f64,
    /// What a failure reports.
    pub failure: String,
    pub timeout_ms: Ms,
    /// Runs only if an earlier gate of the execution was decided with this input value.
    pub when: Option<Guard>,
    /// How many times a failed run is tried again before the step fails.
    pub retries: u32,
}

/// A step's condition: "the gate input `input` was given the value `equals`". A step whose
/// guard is not met (the input was given another value, or none) is skipped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Guard {
    pub input: String,
    pub equals: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Stage {
    pub id: String,
    pub name: String,
    pub kind: StageKind,
    pub setup_id: String,
    /// Runs alongside the previous stage instead of after it.
    pub parallel: bool,
    pub environment: Option<String>,
    pub service: Option<String>,
    pub steps: Vec<Step>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VarKind {
    String,
    Number,
    Secret,
}

#[derive(Clone, Debug, PartialEq)]
pub enum VarValue {
    Fixed(String),
    /// Asked for at start. An empty `allowed` means any value.
    Runtime {
        default: Option<String>,
        allowed: Vec<String>,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Variable {
    pub name: String,
    pub kind: VarKind,
    pub description: String,
    pub value: VarValue,
    /// Values the simulated people type when they start the pipeline themselves.
    pub samples: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TriggerKind {
    Manual,
    Webhook,
    Scheduler,
}

/// Who or what started an execution.
#[derive(Clone, Debug, PartialEq)]
pub struct Trigger {
    pub kind: TriggerKind,
    /// User id (for webhooks and schedules, the system user standing for them).
    pub user: String,
    /// The trigger's identifier and display name, for webhook and scheduled starts.
    pub name: Option<(String, String)>,
}

/// How the world starts this pipeline by itself, to keep a demo alive.
#[derive(Clone, Debug, PartialEq)]
pub struct AutoTrigger {
    pub kind: TriggerKind,
    /// Identifier and display name of the trigger (unused for `Manual`).
    pub name: (String, String),
    /// The system user standing for the trigger (unused for `Manual`, where a simulated
    /// person starts the run).
    pub user: String,
    /// Shortest and longest gap between two automatic starts.
    pub every: (Ms, Ms),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Pipeline {
    pub project: String,
    pub id: String,
    pub name: String,
    pub description: String,
    /// Key/value tags; a key-only tag has an empty value.
    pub tags: Vec<(String, String)>,
    pub setup_id: String,
    pub created_ms: Ms,
    pub updated_ms: Ms,
    pub version: u64,
    pub stages: Vec<Stage>,
    pub variables: Vec<Variable>,
    pub auto: Option<AutoTrigger>,
    pub(crate) next_run: u64,
    pub(crate) next_auto_ms: Option<Ms>,
    /// Execution ids, oldest first, at most `HISTORY_CAP` of them.
    pub(crate) runs: VecDeque<String>,
}

impl Pipeline {
    /// Stage indexes grouped into waves: the stages of one wave run in parallel, waves in order.
    pub fn waves(&self) -> Vec<Vec<usize>> {
        let mut waves: Vec<Vec<usize>> = Vec::new();
        for (i, stage) in self.stages.iter().enumerate() {
            match waves.last_mut() {
                Some(last) if stage.parallel => last.push(i),
                _ => waves.push(vec![i]),
            }
        }
        waves
    }

    /// Variables whose value is asked for at start.
    pub fn runtime_variables(&self) -> impl Iterator<Item = &Variable> {
        self.variables
            .iter()
            .filter(|v| matches!(v.value, VarValue::Runtime { .. }))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PrincipalKind {
    User,
    ServiceAccount,
    /// Stands for a webhook or a schedule.
    System,
}

#[derive(Clone, Debug, PartialEq)]
pub struct User {
    pub id: String,
    pub name: String,
    pub email: String,
    pub kind: PrincipalKind,
    /// May start executions and decide gates (view is always allowed).
    pub can_execute: bool,
    /// Starts pipelines on their own in the simulated world.
    pub starts_pipelines: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Group {
    pub id: String,
    pub name: String,
    pub members: Vec<String>,
}

/// Which product serves a project. An account migrating from First Gen to NextGen has some of
/// each: a NextGen project is only seen through the NextGen face, a First Gen application only
/// through the First Gen face, so the two never show the same content. Argo namespaces are
/// projects of their own, seen only through the Argo face.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Generation {
    NextGen,
    FirstGen,
    Argo,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Project {
    pub id: String,
    pub name: String,
    /// Which product serves it.
    pub generation: Generation,
}

#[derive(Clone, Debug, PartialEq)]
pub struct StepRun {
    /// Runtime id of this step in this execution.
    pub node_id: String,
    pub status: RunStatus,
    pub start_ms: Option<Ms>,
    pub end_ms: Option<Ms>,
    /// The approval instance, for approval steps that have started.
    pub approval: Option<String>,
    /// How many of its runs failed: the ones retried, and the last one if the step failed.
    pub failed_runs: u32,
    /// How long one run takes (a retried step runs this long once per run).
    pub(crate) duration: Ms,
    pub(crate) fails: bool,
    pub(crate) ends_at: Option<Ms>,
}

impl StepRun {
    /// How many times the step runs: every failed run, plus the one that succeeded.
    pub fn runs(&self) -> u32 {
        (self.failed_runs + u32::from(!self.fails)).max(1)
    }

    /// How long one run takes.
    pub fn run_ms(&self) -> Ms {
        self.duration
    }

    /// How many runs have started by `now`: all of them once the step has ended, however it
    /// ended (an aborted step stops counting at its end).
    pub fn runs_started(&self, now: Ms) -> u32 {
        let Some(start) = self.start_ms else {
            return 0;
        };
        let until = self.end_ms.unwrap_or(now);
        let elapsed = until.saturating_sub(start).max(0);
        let started = u32::try_from(elapsed / self.duration.max(1)).unwrap_or(u32::MAX);
        started.saturating_add(1).min(self.runs())
    }

    /// The runs started by `now` of a step that started at `start`, in order: (index,
    /// start, end, failed). A running run ends in the future; the last run of an ended step
    /// ends when the step did.
    pub fn run_spans(&self, start: Ms, now: Ms) -> Vec<(u32, Ms, Ms, bool)> {
        let run = self.run_ms().max(1);
        let done = self.status.is_terminal();
        let count = self.runs_started(now);
        (0..count)
            .map(|k| {
                let from = start + i64::from(k) * run;
                let last = k + 1 == count;
                let to = if last && done {
                    self.end_ms.unwrap_or(from + run)
                } else {
                    from + run
                };
                let failed = k < self.failed_runs && (!last || self.status == RunStatus::Failed);
                (k, from, to, failed)
            })
            .collect()
    }

    /// How long the step runs in all, retries included.
    pub(crate) fn total_ms(&self) -> Ms {
        self.duration.saturating_mul(i64::from(self.runs()))
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct StageRun {
    pub node_id: String,
    /// Runtime id of the stage's step section.
    pub section_id: String,
    pub status: RunStatus,
    pub start_ms: Option<Ms>,
    pub end_ms: Option<Ms>,
    pub steps: Vec<StepRun>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Execution {
    pub id: String,
    pub project: String,
    pub pipeline: String,
    pub pipeline_name: String,
    pub run_seq: u64,
    pub status: RunStatus,
    pub trigger: Trigger,
    pub start_ms: Ms,
    pub end_ms: Option<Ms>,
    pub stages: Vec<StageRun>,
    /// Resolved variable values (name, value), in the pipeline's order.
    pub inputs: Vec<(String, String)>,
    pub notes: Option<String>,
    /// Who aborted it, and when.
    pub aborted_by: Option<(String, Ms)>,
    /// Why it ended badly, if it did.
    pub failure: Option<String>,
    /// Runtime ids of the structural nodes: the whole run and its list of stages.
    pub root_id: String,
    pub stages_id: String,
    /// Runtime id of each wave's fork node (used when a wave has several stages).
    pub wave_ids: Vec<String>,
    pub(crate) wave: usize,
    pub(crate) bot_abort_at: Option<Ms>,
    /// Held: steps that finish still finish, but nothing new starts until it is released.
    pub held: bool,
    /// Steps whose start was put off while held, (stage, step), in the order they were due.
    pub(crate) deferred: Vec<(usize, usize)>,
    /// An abort accepted but not yet done (Harness's `Discontinuing`; see `world/control.rs`).
    pub discontinuing: Option<Discontinue>,
    /// Retries and reruns this execution is part of (see `world/control.rs`).
    pub lineage: Lineage,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ApprovalStatus {
    Waiting,
    Approved,
    Rejected,
    Failed,
    Aborted,
    Expired,
}

impl ApprovalStatus {
    /// Statuses after which no decision is accepted (expiry is reported separately).
    pub fn is_final(self) -> bool {
        matches!(
            self,
            ApprovalStatus::Approved
                | ApprovalStatus::Rejected
                | ApprovalStatus::Failed
                | ApprovalStatus::Aborted
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Approve,
    Reject,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Activity {
    pub user: String,
    pub action: Action,
    pub inputs: Vec<(String, String)>,
    pub comments: String,
    pub at: Ms,
}

/// One gate instance: an approval step that started in one execution.
#[derive(Clone, Debug, PartialEq)]
pub struct Approval {
    pub id: String,
    pub execution: String,
    pub project: String,
    pub pipeline: String,
    pub stage: usize,
    pub step: usize,
    pub status: ApprovalStatus,
    pub spec: ApprovalSpec,
    pub created_ms: Ms,
    pub updated_ms: Ms,
    pub deadline_ms: Ms,
    pub activities: Vec<Activity>,
    /// When a decided gate lets its step finish: decisions act shortly after, not inside, the call.
    pub(crate) resume_at: Option<Ms>,
    /// A decision the history generator will take by itself.
    pub(crate) bot: Option<(Ms, Action)>,
}

/// Why a person may not decide a gate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthzDenied {
    AlreadyActed,
    ExecutorBlocked,
    NotApprover,
}

/// Why a decision was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecideError {
    NotFound,
    Expired,
    Completed(ApprovalStatus),
}

/// A runtime input that cannot be used.
#[derive(Clone, Debug, PartialEq)]
pub enum InputProblem {
    Missing {
        name: String,
    },
    NotAllowed {
        name: String,
        value: String,
        allowed: Vec<String>,
    },
    NotNumber {
        name: String,
        value: String,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AbortError {
    NotFound,
    Finished,
}

/// Why an execution cannot be retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetryError {
    NotFound,
    /// It has not finished.
    Unfinished,
    /// Every step succeeded and none was asked to run again.
    NothingToRedo,
}

/// Options for one start.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StartOpts {
    /// No step of this run fails (for runs that must reach their gates).
    pub no_failures: bool,
}

/// How many executions each pipeline keeps; older finished ones are forgotten.
pub const HISTORY_CAP: usize = 50;

/// Mixed into the seed for the Argo stream.
const ARGO_STREAM: u64 = 0xA260_57EA_4D00_0001;

/// Behaviour used only while generating history: simulated people decide gates and abort runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Bot {
    /// Gates are decided only if the decision falls before this time.
    pub(crate) decide_before: Ms,
}

pub struct World {
    /// Random draws of the Harness projects (and of building the seed).
    pub(crate) rng: StdRng,
    /// Random draws of the Argo namespaces. Kept apart so that Argo content, and anything done
    /// to it live, never changes the Harness history a seed gives.
    pub(crate) argo_rng: StdRng,
    pub(crate) now: Ms,
    pub projects: Vec<Project>,
    pub users: Vec<User>,
    pub groups: Vec<Group>,
    pub pipelines: Vec<Pipeline>,
    pub(crate) executions: BTreeMap<String, Execution>,
    pub(crate) approvals: BTreeMap<String, Approval>,
    /// Ids of executions that have not finished, in start order.
    pub(crate) active: Vec<String>,
    pub(crate) bot: Option<Bot>,
    /// Whether steps may fail at all (tests switch failures off for predictable runs).
    pub(crate) failures: bool,
}

impl World {
    pub(crate) fn new(seed: u64, now: Ms) -> World {
        World {
            rng: StdRng::seed_from_u64(seed),
            argo_rng: StdRng::seed_from_u64(seed ^ ARGO_STREAM),
            now,
            projects: Vec::new(),
            users: Vec::new(),
            groups: Vec::new(),
            pipelines: Vec::new(),
            executions: BTreeMap::new(),
            approvals: BTreeMap::new(),
            active: Vec::new(),
            bot: None,
            failures: true,
        }
    }

    /// The world's current time (it may lag the clock until the next `advance_to`).
    pub fn now(&self) -> Ms {
        self.now
    }

    pub(crate) fn new_id(&mut self) -> String {
        ids::url_id(&mut self.rng)
    }

    /// The random stream a project draws from (see `argo_rng`).
    pub(crate) fn rng_for(&mut self, project: &str) -> &mut StdRng {
        if self.serves(Generation::Argo, project) {
            &mut self.argo_rng
        } else {
            &mut self.rng
        }
    }

    /// A fresh runtime id, drawn from `project`'s stream.
    pub(crate) fn new_id_in(&mut self, project: &str) -> String {
        ids::url_id(self.rng_for(project))
    }

    pub fn project(&self, id: &str) -> Option<&Project> {
        self.projects.iter().find(|p| p.id == id)
    }

    /// Whether `project` exists and is served by `generation`.
    pub fn serves(&self, generation: Generation, project: &str) -> bool {
        self.project(project)
            .is_some_and(|p| p.generation == generation)
    }

    /// The projects `generation` serves, in the world's order.
    pub fn projects_of(&self, generation: Generation) -> impl Iterator<Item = &Project> {
        self.projects
            .iter()
            .filter(move |p| p.generation == generation)
    }

    pub fn pipeline(&self, project: &str, id: &str) -> Option<&Pipeline> {
        self.pipelines
            .iter()
            .find(|p| p.project == project && p.id == id)
    }

    pub fn pipelines_of(&self, project: &str) -> impl Iterator<Item = &Pipeline> {
        self.pipelines.iter().filter(move |p| p.project == project)
    }

    pub fn user(&self, id: &str) -> Option<&User> {
        self.users.iter().find(|u| u.id == id)
    }

    pub fn group(&self, id: &str) -> Option<&Group> {
        self.groups.iter().find(|g| g.id == id)
    }

    pub fn execution(&self, id: &str) -> Option<&Execution> {
        self.executions.get(id)
    }

    pub fn approval(&self, id: &str) -> Option<&Approval> {
        self.approvals.get(id)
    }

    /// Executions of a project, newest first.
    pub fn executions_of(&self, project: &str) -> Vec<&Execution> {
        let mut v: Vec<&Execution> = self
            .executions
            .values()
            .filter(|e| e.project == project)
            .collect();
        v.sort_by(|a, b| b.start_ms.cmp(&a.start_ms).then(b.run_seq.cmp(&a.run_seq)));
        v
    }

    /// Executions of one pipeline, newest first.
    pub fn runs_of(&self, pipeline: &Pipeline) -> Vec<&Execution> {
        pipeline
            .runs
            .iter()
            .rev()
            .filter_map(|id| self.executions.get(id))
            .collect()
    }

    /// Gate instances of an execution, in the order they appeared.
    pub fn approvals_of(&self, execution: &str) -> Vec<&Approval> {
        let mut v: Vec<&Approval> = self
            .approvals
            .values()
            .filter(|a| a.execution == execution)
            .collect();
        v.sort_by(|a, b| a.created_ms.cmp(&b.created_ms).then(a.id.cmp(&b.id)));
        v
    }

    /// Every gate waiting for a decision, oldest first.
    pub fn waiting_approvals(&self) -> Vec<&Approval> {
        let mut v: Vec<&Approval> = self
            .approvals
            .values()
            .filter(|a| a.status == ApprovalStatus::Waiting)
            .collect();
        v.sort_by(|a, b| a.created_ms.cmp(&b.created_ms).then(a.id.cmp(&b.id)));
        v
    }

    /// Checks the values given for a pipeline's variables and returns every variable's value.
    /// `given` maps a variable name to its value, or to `None` for "use the default".
    pub fn resolve_inputs(
        &self,
        pipeline: &Pipeline,
        given: &BTreeMap<String, Option<String>>,
    ) -> Result<Vec<(String, String)>, Vec<InputProblem>> {
        let mut values = Vec::new();
        let mut problems = Vec::new();
        for var in &pipeline.variables {
            let value = match &var.value {
                VarValue::Fixed(v) => v.clone(),
                VarValue::Runtime { default, allowed } => {
                    // An empty value counts as not given: the default applies, or the
                    // input is missing.
                    let chosen = given
                        .get(&var.name)
                        .cloned()
                        .flatten()
                        .filter(|v| !v.is_empty())
                        .or(default.clone());
                    let Some(value) = chosen else {
                        problems.push(InputProblem::Missing {
                            name: var.name.clone(),
                        });
                        continue;
                    };
                    if !allowed.is_empty() && !allowed.contains(&value) {
                        problems.push(InputProblem::NotAllowed {
                            name: var.name.clone(),
                            value,
                            allowed: allowed.clone(),
                        });
                        continue;
                    }
                    if var.kind == VarKind::Number && value.trim().parse::<f64>().is_err() {
                        problems.push(InputProblem::NotNumber {
                            name: var.name.clone(),
                            value,
                        });
                        continue;
                    }
                    value
                }
            };
            values.push((var.name.clone(), value));
        }
        if problems.is_empty() {
            Ok(values)
        } else {
            Err(problems)
        }
    }

    /// Whether `user` may decide the gate now (the checks and their order follow what approval
    /// servers do: an earlier decision, then the executor rule, then group membership).
    pub fn authorize(&self, approval: &Approval, user: &str) -> Result<(), AuthzDenied> {
        if approval.activities.iter().any(|a| a.user == user) {
            return Err(AuthzDenied::AlreadyActed);
        }
        if approval.spec.disallow_executor
            && self
                .executions
                .get(&approval.execution)
                .is_some_and(|e| e.trigger.user == user)
        {
            return Err(AuthzDenied::ExecutorBlocked);
        }
        let member = approval.spec.user_groups.iter().any(|g| {
            self.group(g)
                .is_some_and(|g| g.members.iter().any(|m| m == user))
        });
        if member {
            Ok(())
        } else {
            Err(AuthzDenied::NotApprover)
        }
    }
}
