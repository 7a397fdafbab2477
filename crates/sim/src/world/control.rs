//! Aborts that take time, as Harness NextGen's do: the interrupt is registered at once, the
//! execution reads `Discontinuing` while the current tasks finish (nothing new starts), and
//! it becomes `Aborted` a moment later. A stage abort ends that stage only; the run then
//! ends as its other stages of the same wave finish, as any stage failure does.

use super::{AbortError, ApprovalStatus, Ms, RetryError, RunStatus, World};

/// How long a registered abort takes to land: the running task's wind-down.
pub const DISCONTINUE_MS: Ms = 3_000;

/// An abort accepted but not yet done.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Discontinue {
    /// Who asked.
    pub user: String,
    /// When it lands.
    pub at: Ms,
    /// The stage asked for (its index); `None`: the whole execution.
    pub stage: Option<usize>,
}

/// Where an execution sits among retries and reruns (Harness NextGen's `retryInfo`,
/// `rerunInfo`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Lineage {
    /// A retry: the execution it retries, and the first of its retry chain.
    pub retry_of: Option<(String, String)>,
    /// Retried since: no longer the latest of its chain, so it cannot be retried again.
    pub retried_by: Option<String>,
    /// A rerun: the execution whose inputs it started with.
    pub rerun_of: Option<String>,
}

impl World {
    /// Retries a finished execution as a new one, as Harness NextGen does: the new run keeps
    /// what succeeded before the stages in `restart`, and runs those stages (and everything
    /// after them, and whatever failed) again. The old one is then no longer the latest.
    pub(crate) fn retry_as_new(
        &mut self,
        exec_id: &str,
        restart: &[usize],
        user: &str,
    ) -> Result<String, RetryError> {
        let old = self.executions.get(exec_id).ok_or(RetryError::NotFound)?;
        if !old.status.is_terminal() {
            return Err(RetryError::Unfinished);
        }
        let mut copy = old.clone();
        let root = old
            .lineage
            .retry_of
            .as_ref()
            .map_or_else(|| old.id.clone(), |(_, root)| root.clone());
        let index = self
            .pipelines
            .iter()
            .position(|p| p.project == copy.project && p.id == copy.pipeline)
            .ok_or(RetryError::NotFound)?;
        let id = self.new_id_in(&copy.project.clone());
        copy.id = id.clone();
        copy.run_seq = self.pipelines[index].next_run;
        copy.trigger.user = user.to_string();
        copy.trigger.name = None;
        copy.start_ms = self.now;
        copy.lineage = Lineage {
            retry_of: Some((exec_id.to_string(), root)),
            ..Lineage::default()
        };
        copy.discontinuing = None;
        copy.bot_abort_at = None;
        self.executions.insert(id.clone(), copy);
        if let Err(e) = self.retry(&id, restart, None) {
            self.executions.remove(&id);
            return Err(e);
        }
        let p = &mut self.pipelines[index];
        p.next_run += 1;
        p.runs.push_back(id.clone());
        if let Some(old) = self.executions.get_mut(exec_id) {
            old.lineage.retried_by = Some(id.clone());
        }
        Ok(id)
    }

    /// Registers an abort of `exec_id` (of one stage with `stage`). Refused when the run has
    /// finished; `Ok(false)` when an abort is already under way (nothing changes).
    pub(crate) fn discontinue(
        &mut self,
        exec_id: &str,
        user: &str,
        stage: Option<usize>,
    ) -> Result<bool, AbortError> {
        let at = self.now + DISCONTINUE_MS;
        let e = self
            .executions
            .get_mut(exec_id)
            .ok_or(AbortError::NotFound)?;
        if e.status.is_terminal() {
            return Err(AbortError::Finished);
        }
        if e.discontinuing.is_some() {
            return Ok(false);
        }
        // Nothing new starts in the run while the abort winds down.
        e.held = true;
        e.discontinuing = Some(Discontinue {
            user: user.to_string(),
            at,
            stage,
        });
        Ok(true)
    }

    /// The registered abort lands.
    pub(super) fn discontinued(&mut self, exec_id: &str) {
        let Some(e) = self.executions.get_mut(exec_id) else {
            return;
        };
        let Some(d) = e.discontinuing.take() else {
            return;
        };
        let Some(si) = d.stage else {
            let _ = self.abort(exec_id, &d.user);
            return;
        };
        e.aborted_by = Some((d.user.clone(), self.now));
        let live: Vec<(usize, Option<String>)> = e
            .stages
            .get(si)
            .map(|stage| {
                stage
                    .steps
                    .iter()
                    .enumerate()
                    .filter(|(_, t)| {
                        matches!(
                            t.status,
                            RunStatus::Running | RunStatus::Waiting | RunStatus::NotStarted
                        )
                    })
                    .map(|(ti, t)| (ti, t.approval.clone()))
                    .collect()
            })
            .unwrap_or_default();
        let now = self.now;
        for (_, gate) in &live {
            if let Some(a) = gate.as_ref().and_then(|g| self.approvals.get_mut(g)) {
                if a.status == ApprovalStatus::Waiting {
                    a.status = ApprovalStatus::Aborted;
                    a.updated_ms = now;
                }
                a.resume_at = None;
                a.bot = None;
            }
        }
        // The stage's first unfinished step ends it as Aborted; the rest never run.
        if let Some(&(ti, _)) = live.first() {
            self.finish_step(exec_id, si, ti, RunStatus::Aborted);
        }
        if self
            .executions
            .get(exec_id)
            .is_some_and(|e| !e.status.is_terminal())
        {
            self.release(exec_id);
        }
    }
}
