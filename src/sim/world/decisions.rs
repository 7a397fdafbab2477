//! People acting on the world: deciding gates (with the approval arithmetic of spec 3.1),
//! aborting runs, and the test helper that lets a gate expire now.

use rand::RngExt;

use super::{
    AbortError, Action, Activity, Approval, ApprovalStatus, DecideError, Ms, RunStatus, World,
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
        let delay = self.rng.random_range(RESUME_DELAY.0..=RESUME_DELAY.1);
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
        let inputs: Vec<(String, String)> = spec.inputs.clone();
        for _ in 0..needed {
            let Some(pos) =
                (!deciders.is_empty()).then(|| self.rng.random_range(0..deciders.len()))
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
