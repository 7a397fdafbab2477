//! People acting on the world: deciding gates (with the approval arithmetic of spec 3.1),
//! aborting, holding and retrying runs, and the test helper that lets a gate expire now.

use rand::RngExt;

use super::progress::draw_runs;
use super::{
    AbortError, Action, Activity, Approval, ApprovalStatus, DecideError, Ms, RetryError, RunStatus,
    World,
};

/// A decided gate lets its step finish this long after the decision (shortest, longest).
const RESUME_DELAY: (Ms, Ms) = (1_500, 4_000);

impl World {
    /// Records a decision. The gate's status changes at once; its step finishes a moment later.
    pub(crate) fn decide(
        &mut self,
        approval_id: &str,
        user: &str,
        action: Action,
        comments: String,
        inputs: Vec<(String, String)>,
    ) -> Result<(), DecideError> {
        let now = self.now;
        // Drawn before the gate is looked up, as it always was: a refused decision on a Harness
        // gate still moves the Harness stream the same way.
        let project = self.approvals.get(approval_id).map(|a| a.project.clone());
        let rng = match &project {
            Some(p) => self.rng_for(p),
            None => &mut self.rng,
        };
        let delay = rng.random_range(RESUME_DELAY.0..=RESUME_DELAY.1);
        let a = self
            .approvals
            .get_mut(approval_id)
            .ok_or(DecideError::NotFound)?;
        if a.status == ApprovalStatus::Expired
            || (a.status == ApprovalStatus::Waiting && a.deadline_ms <= now)
        {
            return Err(DecideError::Expired);
        }
        if a.status.is_final() {
            return Err(DecideError::Completed(a.status));
        }
        a.activities.push(Activity {
            user: user.to_string(),
            action,
            inputs: inputs.into_iter().filter(|(n, _)| !n.is_empty()).collect(),
            comments,
            at: now,
        });
        a.updated_ms = now;
        let approvals = a
            .activities
            .iter()
            .filter(|x| x.action == Action::Approve)
            .count();
        let decided = match action {
            Action::Reject => Some(ApprovalStatus::Rejected),
            Action::Approve if approvals >= a.spec.min_count.max(1) as usize => {
                Some(ApprovalStatus::Approved)
            }
            Action::Approve => None,
        };
        if let Some(status) = decided {
            a.status = status;
            a.bot = None;
            a.resume_at = Some(now.saturating_add(delay));
        }
        let auto_reject = action == Action::Approve && a.spec.auto_reject;
        if auto_reject {
            let a = a.clone();
            self.reject_older_gates(&a, user);
        }
        Ok(())
    }

    /// Approving a gate with auto-reject rejects the same gate in older runs of the pipeline.
    fn reject_older_gates(&mut self, approved: &Approval, user: &str) {
        let older: Vec<String> = self
            .approvals
            .values()
            .filter(|o| {
                o.status == ApprovalStatus::Waiting
                    && o.project == approved.project
                    && o.pipeline == approved.pipeline
                    && o.stage == approved.stage
                    && o.step == approved.step
                    && o.created_ms < approved.created_ms
            })
            .map(|o| o.id.clone())
            .collect();
        for id in older {
            let _ = self.decide(
                &id,
                user,
                Action::Reject,
                "Auto-rejected: a newer execution was approved".to_string(),
                Vec::new(),
            );
        }
    }

    pub(super) fn bot_decide(&mut self, approval_id: &str) {
        let Some(a) = self.approvals.get_mut(approval_id) else {
            return;
        };
        let Some((_, action)) = a.bot.take() else {
            return;
        };
        let spec = a.spec.clone();
        let project = a.project.clone();
        let mut deciders: Vec<String> = spec
            .user_groups
            .iter()
            .filter_map(|g| self.group(g))
            .flat_map(|g| g.members.iter().cloned())
            .filter(|m| self.user(m).is_some_and(|u| u.starts_pipelines))
            .collect();
        deciders.sort();
        deciders.dedup();
        let needed = match action {
            Action::Reject => 1,
            Action::Approve => spec.min_count.max(1) as usize,
        };
        let inputs = match action {
            Action::Approve => self.approving_inputs(approval_id),
            Action::Reject => spec.inputs.clone(),
        };
        for _ in 0..needed {
            let Some(pos) = (!deciders.is_empty())
                .then(|| self.rng_for(&project).random_range(0..deciders.len()))
            else {
                return;
            };
            let user = deciders.swap_remove(pos);
            let Some(a) = self.approvals.get(approval_id) else {
                return;
            };
            if self.authorize(a, &user).is_err() {
                continue;
            }
            let comment = match action {
                Action::Approve => "Looks good",
                Action::Reject => "Not today: freeze window",
            };
            if self
                .decide(
                    approval_id,
                    &user,
                    action,
                    comment.to_string(),
                    inputs.clone(),
                )
                .is_err()
            {
                return;
            }
        }
    }

    /// The inputs a simulated approver gives when approving: each input's default, except
    /// that an input some later step is guarded on gets the value that lets that step run
    /// (approving "deploy to production?" means YES even if the form defaults to NO).
    fn approving_inputs(&self, approval_id: &str) -> Vec<(String, String)> {
        let Some(a) = self.approvals.get(approval_id) else {
            return Vec::new();
        };
        let guards: Vec<_> = self
            .pipeline(&a.project, &a.pipeline)
            .into_iter()
            .flat_map(|p| p.stages.iter().flat_map(|s| s.steps.iter()))
            .filter_map(|s| s.when.as_ref())
            .collect();
        a.spec
            .inputs
            .iter()
            .map(|(name, default)| {
                let value = guards
                    .iter()
                    .find(|g| g.input == *name)
                    .map_or(default, |g| &g.equals);
                (name.clone(), value.clone())
            })
            .collect()
    }

    /// Holds an unfinished execution: running steps go on, but no step starts until
    /// `release`. Returns false if it has finished.
    pub(crate) fn hold(&mut self, exec_id: &str) -> bool {
        match self.executions.get_mut(exec_id) {
            Some(e) if !e.status.is_terminal() => {
                e.held = true;
                true
            }
            _ => false,
        }
    }

    /// Lets a held execution go on: the steps that were due start now.
    pub(crate) fn release(&mut self, exec_id: &str) {
        let Some(e) = self.executions.get_mut(exec_id) else {
            return;
        };
        e.held = false;
        let due = std::mem::take(&mut e.deferred);
        for (si, ti) in due {
            self.start_step(exec_id, si, ti);
        }
        self.refresh_status(exec_id);
    }

    /// Runs a finished execution again from where it went wrong: every step that did not
    /// succeed (and, with `restart`, the listed stages and every stage after them) starts over,
    /// from the earliest wave that has such a step. `inputs` replaces the execution's inputs.
    /// Failures are drawn anew, so a flaky step may pass this time.
    pub(crate) fn retry(
        &mut self,
        exec_id: &str,
        restart: &[usize],
        inputs: Option<Vec<(String, String)>>,
    ) -> Result<(), RetryError> {
        let e = self.executions.get(exec_id).ok_or(RetryError::NotFound)?;
        if !e.status.is_terminal() {
            return Err(RetryError::Unfinished);
        }
        let (project, pipeline) = (e.project.clone(), e.pipeline.clone());
        let Some(def) = self.pipeline(&project, &pipeline).cloned() else {
            return Err(RetryError::NotFound);
        };
        let waves = def.waves();
        let wave_of = |si: usize| waves.iter().position(|w| w.contains(&si)).unwrap_or(0);
        let from_restart = restart.iter().map(|&si| wave_of(si)).min();
        let failures = self.failures;
        let mut redo = Vec::new();
        for (si, stage) in e.stages.iter().enumerate() {
            let again = from_restart.is_some_and(|w| wave_of(si) > w) || restart.contains(&si);
            for (ti, step) in stage.steps.iter().enumerate() {
                if again || step.status.is_bad() || step.status == RunStatus::NotStarted {
                    redo.push((si, ti));
                }
            }
        }
        let Some(first_wave) = redo.iter().map(|&(si, _)| wave_of(si)).min() else {
            return Err(RetryError::NothingToRedo);
        };
        for &(si, ti) in &redo {
            let (fails, failed_runs) =
                draw_runs(self.rng_for(&project), &def.stages[si].steps[ti], failures);
            let Some(e) = self.executions.get_mut(exec_id) else {
                return Err(RetryError::NotFound);
            };
            let stage = &mut e.stages[si];
            stage.status = RunStatus::NotStarted;
            stage.start_ms = None;
            stage.end_ms = None;
            let step = &mut stage.steps[ti];
            step.status = RunStatus::NotStarted;
            step.start_ms = None;
            step.end_ms = None;
            step.approval = None;
            step.ends_at = None;
            step.failed_runs = failed_runs;
            step.fails = fails;
        }
        let Some(e) = self.executions.get_mut(exec_id) else {
            return Err(RetryError::NotFound);
        };
        e.status = RunStatus::Running;
        e.end_ms = None;
        e.failure = None;
        e.aborted_by = None;
        e.held = false;
        e.deferred.clear();
        if let Some(inputs) = inputs {
            e.inputs = inputs;
        }
        self.active.push(exec_id.to_string());
        // The stages of the first wave that still have something to do start at their first
        // such step; the stages there that succeeded stay as they are.
        let now = self.now;
        for si in waves[first_wave].clone() {
            let Some(ti) = redo.iter().find(|&&(s, _)| s == si).map(|&(_, t)| t) else {
                continue;
            };
            if let Some(e) = self.executions.get_mut(exec_id) {
                e.wave = first_wave;
                let stage = &mut e.stages[si];
                stage.status = RunStatus::Running;
                stage.start_ms = Some(now);
            }
            self.start_step(exec_id, si, ti);
        }
        self.refresh_status(exec_id);
        Ok(())
    }

    /// Aborts an unfinished execution: running steps stop, waiting gates close.
    pub(crate) fn abort(&mut self, exec_id: &str, user: &str) -> Result<(), AbortError> {
        let now = self.now;
        let e = self
            .executions
            .get_mut(exec_id)
            .ok_or(AbortError::NotFound)?;
        if e.status.is_terminal() {
            return Err(AbortError::Finished);
        }
        let mut gates = Vec::new();
        for stage in &mut e.stages {
            if matches!(stage.status, RunStatus::Running | RunStatus::Waiting) {
                stage.status = RunStatus::Aborted;
                stage.end_ms = Some(now);
            }
            for step in &mut stage.steps {
                if matches!(step.status, RunStatus::Running | RunStatus::Waiting) {
                    step.status = RunStatus::Aborted;
                    step.end_ms = Some(now);
                    step.ends_at = None;
                    gates.extend(step.approval.clone());
                }
            }
        }
        e.aborted_by = Some((user.to_string(), now));
        for id in gates {
            if let Some(a) = self.approvals.get_mut(&id) {
                if a.status == ApprovalStatus::Waiting {
                    a.status = ApprovalStatus::Aborted;
                    a.updated_ms = now;
                }
                a.resume_at = None;
                a.bot = None;
            }
        }
        self.end_execution(exec_id, RunStatus::Aborted);
        Ok(())
    }

    /// Moves a waiting gate's deadline to now and lets it expire.
    pub(crate) fn expire(&mut self, approval_id: &str) -> bool {
        let now = self.now;
        match self.approvals.get_mut(approval_id) {
            Some(a) if a.status == ApprovalStatus::Waiting => {
                a.deadline_ms = now;
                self.advance_to(now);
                true
            }
            _ => false,
        }
    }
}
