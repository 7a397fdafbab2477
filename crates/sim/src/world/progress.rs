//! How the world changes: starting executions, the clock moving steps along, gates being
//! decided, expiring or aborted.
//!
//! Progression is event-driven: `advance_to(t)` repeatedly takes the earliest pending event
//! (a step finishing, a gate's deadline, a decided gate resuming, an automatic start) and
//! applies it at its own time, so a jump of an hour gives the same history as an hour of small
//! ticks. Events are scanned in a fixed order, which keeps a seeded world deterministic.

use std::collections::BTreeMap;

use rand::RngExt;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;

use super::{
    Action, Approval, ApprovalStatus, Execution, Generation, Guard, HISTORY_CAP, Ms, RunStatus,
    StageRun, StartOpts, Step, StepKind, StepRun, Trigger, TriggerKind, VarValue, Variable, World,
};
use crate::ids;

/// Whether a run of `step` fails, and how many of its runs fail: each failed run is followed
/// by another while retries are left. A step that cannot fail draws nothing, and one without
/// retries draws once, as steps always did.
pub(super) fn draw_runs(rng: &mut StdRng, step: &Step, failures: bool) -> (bool, u32) {
    if !failures || matches!(step.kind, StepKind::Approval(_)) {
        return (false, 0);
    }
    let rate = step.fail_rate.clamp(0.0, 1.0);
    let mut failed_runs = 0;
    let mut fails = rng.random_bool(rate);
    while fails && failed_runs < step.retries {
        failed_runs += 1;
        fails = rng.random_bool(rate);
    }
    (fails, failed_runs + u32::from(fails))
}

/// How much of a long jump automatic starts are replayed for.
const CATCH_UP: Ms = 12 * 60 * 60 * 1000;

/// An automatic start is skipped while the pipeline already has this many unfinished runs.
const MAX_ACTIVE_PER_PIPELINE: usize = 2;

#[derive(Clone, Debug, PartialEq)]
enum Event {
    StepDone {
        exec: String,
        stage: usize,
        step: usize,
    },
    Deadline(String),
    Resume(String),
    BotDecision(String),
    BotAbort(String),
    AutoStart(usize),
    Discontinued(String),
}

impl World {
    /// Applies every event due up to `t`, then sets the world's time to `t` (never backwards).
    pub(crate) fn advance_to(&mut self, t: Ms) {
        while let Some((at, event)) = self.next_event() {
            if at > t {
                break;
            }
            self.now = self.now.max(at);
            // After a long jump, automatic starts resume only for the last stretch of it: runs
            // older than that would be forgotten again under the history cap anyway, and this
            // bounds the work of any jump, however long.
            if let Event::AutoStart(i) = event
                && at < t.saturating_sub(CATCH_UP)
            {
                self.pipelines[i].next_auto_ms = Some(t.saturating_sub(CATCH_UP));
                continue;
            }
            self.apply(event);
        }
        self.now = self.now.max(t);
    }

    fn next_event(&self) -> Option<(Ms, Event)> {
        let mut best: Option<(Ms, Event)> = None;
        let mut offer = |at: Ms, ev: Event| {
            if best.as_ref().is_none_or(|(b, _)| at < *b) {
                best = Some((at, ev));
            }
        };
        for id in &self.active {
            let Some(exec) = self.executions.get(id) else {
                continue;
            };
            if let Some(at) = exec.bot_abort_at {
                offer(at, Event::BotAbort(id.clone()));
            }
            if let Some(d) = &exec.discontinuing {
                offer(d.at, Event::Discontinued(id.clone()));
            }
            for (si, stage) in exec.stages.iter().enumerate() {
                for (ti, step) in stage.steps.iter().enumerate() {
                    if let Some(at) = step.ends_at {
                        offer(
                            at,
                            Event::StepDone {
                                exec: id.clone(),
                                stage: si,
                                step: ti,
                            },
                        );
                    }
                    let Some(approval) = step.approval.as_ref().and_then(|a| self.approvals.get(a))
                    else {
                        continue;
                    };
                    if approval.status == ApprovalStatus::Waiting {
                        offer(approval.deadline_ms, Event::Deadline(approval.id.clone()));
                        if let Some((at, _)) = approval.bot {
                            offer(at, Event::BotDecision(approval.id.clone()));
                        }
                    }
                    if let Some(at) = approval.resume_at {
                        offer(at, Event::Resume(approval.id.clone()));
                    }
                }
            }
        }
        for (i, p) in self.pipelines.iter().enumerate() {
            if let Some(at) = p.next_auto_ms {
                offer(at, Event::AutoStart(i));
            }
        }
        best
    }

    fn apply(&mut self, event: Event) {
        match event {
            Event::StepDone { exec, stage, step } => {
                let fails = self
                    .executions
                    .get(&exec)
                    .is_some_and(|e| e.stages[stage].steps[step].fails);
                let status = if fails {
                    RunStatus::Failed
                } else {
                    RunStatus::Success
                };
                self.finish_step(&exec, stage, step, status);
            }
            Event::Deadline(id) => {
                let Some(a) = self.approvals.get_mut(&id) else {
                    return;
                };
                a.status = ApprovalStatus::Expired;
                a.updated_ms = self.now;
                a.bot = None;
                let (exec, stage, step) = (a.execution.clone(), a.stage, a.step);
                self.finish_step(&exec, stage, step, RunStatus::Expired);
            }
            Event::Resume(id) => {
                let Some(a) = self.approvals.get_mut(&id) else {
                    return;
                };
                a.resume_at = None;
                let status = match a.status {
                    ApprovalStatus::Approved => RunStatus::Success,
                    ApprovalStatus::Rejected => RunStatus::Rejected,
                    ApprovalStatus::Aborted => RunStatus::Aborted,
                    ApprovalStatus::Expired => RunStatus::Expired,
                    ApprovalStatus::Failed | ApprovalStatus::Waiting => RunStatus::Failed,
                };
                let (exec, stage, step) = (a.execution.clone(), a.stage, a.step);
                self.finish_step(&exec, stage, step, status);
            }
            Event::BotDecision(id) => self.bot_decide(&id),
            Event::BotAbort(exec) => {
                let Some(e) = self.executions.get_mut(&exec) else {
                    return;
                };
                e.bot_abort_at = None;
                let project = e.project.clone();
                let humans = self.starters();
                if let Some(user) = humans.choose(self.rng_for(&project)).cloned() {
                    let _ = self.abort(&exec, &user);
                }
            }
            Event::AutoStart(i) => self.auto_start(i),
            Event::Discontinued(exec) => self.discontinued(&exec),
        }
    }

    /// Users who start pipelines by hand in the simulated world.
    fn starters(&self) -> Vec<String> {
        self.users
            .iter()
            .filter(|u| u.starts_pipelines)
            .map(|u| u.id.clone())
            .collect()
    }

    fn auto_start(&mut self, index: usize) {
        let Some(auto) = self.pipelines[index].auto.clone() else {
            return;
        };
        let (project, id) = (
            self.pipelines[index].project.clone(),
            self.pipelines[index].id.clone(),
        );
        let gap = self
            .rng_for(&project)
            .random_range(auto.every.0..=auto.every.1);
        self.pipelines[index].next_auto_ms = Some(self.now.saturating_add(gap));
        let active = self
            .active
            .iter()
            .filter_map(|e| self.executions.get(e))
            .filter(|e| e.project == project && e.pipeline == id)
            .count();
        if active >= MAX_ACTIVE_PER_PIPELINE {
            return;
        }
        let trigger = match auto.kind {
            TriggerKind::Manual => {
                let humans = self.starters();
                let Some(user) = humans.choose(self.rng_for(&project)).cloned() else {
                    return;
                };
                Trigger {
                    kind: TriggerKind::Manual,
                    user,
                    name: None,
                }
            }
            kind => Trigger {
                kind,
                user: auto.user.clone(),
                name: Some(auto.name.clone()),
            },
        };
        let given = self.sample_inputs(index);
        let Ok(inputs) = self.resolve_inputs(&self.pipelines[index], &given) else {
            return;
        };
        self.start_execution(&project, &id, trigger, inputs, None, StartOpts::default());
    }

    /// Values a simulated person would type into the start form, per runtime variable.
    pub(crate) fn sample_inputs(&mut self, index: usize) -> BTreeMap<String, Option<String>> {
        let vars: Vec<Variable> = self.pipelines[index].runtime_variables().cloned().collect();
        let project = self.pipelines[index].project.clone();
        let rng = self.rng_for(&project);
        let mut given = BTreeMap::new();
        for var in vars {
            let VarValue::Runtime { default, allowed } = &var.value else {
                continue;
            };
            let keep_default = default.is_some() && rng.random_bool(0.7);
            let value = if keep_default {
                None
            } else if !var.samples.is_empty() {
                var.samples.choose(rng).cloned()
            } else {
                allowed.choose(rng).cloned()
            };
            given.insert(var.name.clone(), value);
        }
        given
    }

    /// Starts an execution now. `inputs` must come from `resolve_inputs` (or be valid values).
    /// Returns the execution id.
    pub(crate) fn start_execution(
        &mut self,
        project: &str,
        pipeline: &str,
        trigger: Trigger,
        inputs: Vec<(String, String)>,
        notes: Option<String>,
        opts: StartOpts,
    ) -> Option<String> {
        self.start_named(None, project, pipeline, trigger, inputs, notes, opts)
    }

    /// `start_execution` with the execution id chosen by the caller (an Argo workflow's name),
    /// or drawn when `None`. A chosen id must not be in use; `None` if it is.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn start_named(
        &mut self,
        id: Option<String>,
        project: &str,
        pipeline: &str,
        trigger: Trigger,
        inputs: Vec<(String, String)>,
        notes: Option<String>,
        opts: StartOpts,
    ) -> Option<String> {
        let index = self
            .pipelines
            .iter()
            .position(|p| p.project == project && p.id == pipeline)?;
        let def = self.pipelines[index].clone();
        let id = match id {
            Some(id) if self.executions.contains_key(&id) => return None,
            Some(id) => id,
            None => self.execution_id(&def),
        };
        let failures = self.failures && !opts.no_failures;
        let mut stages = Vec::with_capacity(def.stages.len());
        for stage in &def.stages {
            let mut steps = Vec::with_capacity(stage.steps.len());
            for step in &stage.steps {
                let rng = self.rng_for(project);
                let duration =
                    rng.random_range(step.duration.0..=step.duration.1.max(step.duration.0));
                let (fails, failed_runs) = draw_runs(rng, step, failures);
                steps.push(StepRun {
                    node_id: self.new_id_in(project),
                    status: RunStatus::NotStarted,
                    start_ms: None,
                    end_ms: None,
                    approval: None,
                    failed_runs,
                    duration,
                    fails,
                    ends_at: None,
                });
            }
            stages.push(StageRun {
                node_id: self.new_id_in(project),
                section_id: self.new_id_in(project),
                status: RunStatus::NotStarted,
                start_ms: None,
                end_ms: None,
                steps,
            });
        }
        let wave_ids = (0..def.waves().len())
            .map(|_| self.new_id_in(project))
            .collect();
        let now = self.now;
        let bot = self.bot.is_some();
        let rng = self.rng_for(project);
        let bot_abort_at = match bot {
            true if rng.random_bool(0.04) => {
                Some(now.saturating_add(rng.random_range(20_000..=240_000)))
            }
            _ => None,
        };
        let run_seq = def.next_run;
        let exec = Execution {
            id: id.clone(),
            project: project.to_string(),
            pipeline: pipeline.to_string(),
            pipeline_name: def.name.clone(),
            run_seq,
            status: RunStatus::Running,
            trigger,
            start_ms: self.now,
            end_ms: None,
            stages,
            inputs,
            notes,
            aborted_by: None,
            failure: None,
            root_id: self.new_id_in(project),
            stages_id: self.new_id_in(project),
            wave_ids,
            wave: 0,
            bot_abort_at,
            held: false,
            discontinuing: None,
            lineage: Default::default(),
            deferred: Vec::new(),
        };
        self.executions.insert(id.clone(), exec);
        self.active.push(id.clone());
        let p = &mut self.pipelines[index];
        p.next_run += 1;
        p.runs.push_back(id.clone());
        self.forget_old_runs(index);
        self.start_wave(&id, 0);
        Some(id)
    }

    /// Keeps at most `HISTORY_CAP` executions per pipeline by dropping the oldest finished ones.
    fn forget_old_runs(&mut self, index: usize) {
        while self.pipelines[index].runs.len() > HISTORY_CAP {
            let runs = &self.pipelines[index].runs;
            let Some(pos) = runs.iter().position(|id| {
                self.executions
                    .get(id)
                    .is_none_or(|e| e.status.is_terminal())
            }) else {
                return;
            };
            if let Some(old) = self.pipelines[index].runs.remove(pos) {
                self.executions.remove(&old);
                self.approvals.retain(|_, a| a.execution != old);
            }
        }
    }

    fn start_wave(&mut self, exec_id: &str, wave: usize) {
        let Some(stages) = self.wave_stages(exec_id, wave) else {
            return;
        };
        if let Some(e) = self.executions.get_mut(exec_id) {
            e.wave = wave;
        }
        for si in stages {
            if let Some(e) = self.executions.get_mut(exec_id) {
                let stage = &mut e.stages[si];
                stage.status = RunStatus::Running;
                stage.start_ms = Some(self.now);
            }
            self.start_step(exec_id, si, 0);
        }
        self.refresh_status(exec_id);
    }

    /// The stage indexes of one wave of an execution's pipeline.
    fn wave_stages(&self, exec_id: &str, wave: usize) -> Option<Vec<usize>> {
        let e = self.executions.get(exec_id)?;
        let p = self.pipeline(&e.project, &e.pipeline)?;
        p.waves().get(wave).cloned()
    }

    pub(super) fn start_step(&mut self, exec_id: &str, si: usize, ti: usize) {
        let now = self.now;
        match self.executions.get_mut(exec_id) {
            None => return,
            Some(e) if e.held => {
                e.deferred.push((si, ti));
                return;
            }
            Some(_) => {}
        }
        let Some(e) = self.executions.get(exec_id) else {
            return;
        };
        let Some(def) = self
            .pipeline(&e.project, &e.pipeline)
            .and_then(|p| p.stages.get(si))
            .and_then(|s| s.steps.get(ti))
            .cloned()
        else {
            return;
        };
        let (project, pipeline) = (e.project.clone(), e.pipeline.clone());
        if let Some(guard) = &def.when
            && !self.guard_met(exec_id, guard)
        {
            if let Some(e) = self.executions.get_mut(exec_id) {
                let step = &mut e.stages[si].steps[ti];
                step.start_ms = Some(now);
            }
            self.finish_step(exec_id, si, ti, RunStatus::Skipped);
            return;
        }
        if let StepKind::Approval(spec) = def.kind {
            let bot = self.bot;
            let rng = self.rng_for(&project);
            let id = ids::hex_id(rng);
            let bot = match bot {
                Some(bot) if rng.random_bool(0.93) => {
                    let at = now.saturating_add(rng.random_range(60_000..=40 * 60_000));
                    let action = if rng.random_bool(0.15) {
                        Action::Reject
                    } else {
                        Action::Approve
                    };
                    (at < bot.decide_before && at < now.saturating_add(spec.timeout_ms))
                        .then_some((at, action))
                }
                _ => None,
            };
            self.approvals.insert(
                id.clone(),
                Approval {
                    id: id.clone(),
                    execution: exec_id.to_string(),
                    project,
                    pipeline,
                    stage: si,
                    step: ti,
                    status: ApprovalStatus::Waiting,
                    deadline_ms: now.saturating_add(spec.timeout_ms),
                    spec,
                    created_ms: now,
                    updated_ms: now,
                    activities: Vec::new(),
                    resume_at: None,
                    bot,
                },
            );
            if let Some(e) = self.executions.get_mut(exec_id) {
                let stage = &mut e.stages[si];
                stage.status = RunStatus::Waiting;
                let step = &mut stage.steps[ti];
                step.status = RunStatus::Waiting;
                step.start_ms = Some(now);
                step.approval = Some(id);
            }
        } else if let Some(e) = self.executions.get_mut(exec_id) {
            let stage = &mut e.stages[si];
            stage.status = RunStatus::Running;
            let step = &mut stage.steps[ti];
            step.status = RunStatus::Running;
            step.start_ms = Some(now);
            step.ends_at = Some(now.saturating_add(step.total_ms()));
        }
    }

    pub(super) fn finish_step(&mut self, exec_id: &str, si: usize, ti: usize, status: RunStatus) {
        let now = self.now;
        let Some(e) = self.executions.get_mut(exec_id) else {
            return;
        };
        if e.status.is_terminal() {
            return;
        }
        let stage = &mut e.stages[si];
        let step = &mut stage.steps[ti];
        step.status = status;
        step.end_ms = Some(now);
        step.ends_at = None;
        if !status.is_bad() && ti + 1 < stage.steps.len() {
            self.start_step(exec_id, si, ti + 1);
            self.refresh_status(exec_id);
            return;
        }
        stage.status = status;
        stage.end_ms = Some(now);
        let (project, pipeline) = (e.project.clone(), e.pipeline.clone());
        if status == RunStatus::Failed {
            let message = self
                .pipeline(&project, &pipeline)
                .and_then(|p| p.stages.get(si))
                .and_then(|s| s.steps.get(ti))
                .map(|s| s.failure.clone());
            if let (Some(e), Some(message)) = (self.executions.get_mut(exec_id), message) {
                e.failure.get_or_insert(message);
            }
        }
        self.stage_finished(exec_id);
    }

    /// Moves on once every stage of the current wave has finished.
    fn stage_finished(&mut self, exec_id: &str) {
        let Some(e) = self.executions.get(exec_id) else {
            return;
        };
        let wave = e.wave;
        let Some(stages) = self.wave_stages(exec_id, wave) else {
            return;
        };
        if stages.iter().any(|&s| !e.stages[s].status.is_terminal()) {
            self.refresh_status(exec_id);
            return;
        }
        let bad = stages
            .iter()
            .map(|&s| e.stages[s].status)
            .find(|s| s.is_bad());
        let last_wave = self.wave_stages(exec_id, wave + 1).is_none();
        match bad {
            Some(status) => self.end_execution(exec_id, status),
            None if last_wave => self.end_execution(exec_id, RunStatus::Success),
            None => self.start_wave(exec_id, wave + 1),
        }
    }

    /// Whether a guarded step may run: the latest value any gate of the execution was decided
    /// with for the guard's input must equal the expected one.
    fn guard_met(&self, exec_id: &str, guard: &Guard) -> bool {
        self.approvals_of(exec_id)
            .iter()
            .flat_map(|a| a.activities.iter())
            .flat_map(|act| act.inputs.iter())
            .rfind(|(name, _)| *name == guard.input)
            .is_some_and(|(_, value)| *value == guard.equals)
    }

    /// A new execution's id: a Harness-style runtime id, or for an Argo namespace the workflow
    /// name the controller would generate from the pipeline's name (`<name>-<5 characters>`).
    fn execution_id(&mut self, def: &super::Pipeline) -> String {
        if !self.serves(Generation::Argo, &def.project) {
            return self.new_id();
        }
        loop {
            let id = format!("{}-{}", def.name, ids::k8s_suffix(&mut self.argo_rng));
            if !self.executions.contains_key(&id) {
                return id;
            }
        }
    }

    pub(super) fn end_execution(&mut self, exec_id: &str, status: RunStatus) {
        let now = self.now;
        if let Some(e) = self.executions.get_mut(exec_id) {
            e.status = status;
            e.end_ms = Some(now);
            e.bot_abort_at = None;
        }
        self.active.retain(|a| a != exec_id);
    }

    /// Running versus waiting: an execution waits when any of its stages waits on a gate.
    pub(super) fn refresh_status(&mut self, exec_id: &str) {
        if let Some(e) = self.executions.get_mut(exec_id)
            && !e.status.is_terminal()
        {
            let waiting = e.stages.iter().any(|s| s.status == RunStatus::Waiting);
            e.status = if waiting {
                RunStatus::Waiting
            } else {
                RunStatus::Running
            };
        }
    }
}
