//! The one write path. Every start and decision, from the TUI or the CLI, passes the same
//! rules, kept here and nowhere else:
//! - the read-only rule: `--read-only`, `[ui] read_only` or a backend's `read_only = true`
//!   refuses every mutating action before anything is sent ([`Writes::check`]);
//! - the confirmation rule: what a person must type before a dialog confirms
//!   ([`Writes::confirmation`], which the start, batch and bulk-start dialogs build their
//!   confirmation field from; scripts confirm by running the command);
//! - who acts on each backend ([`Writes::identity`]): what its "who am I" answered, else the
//!   config's `identity`, recorded with where it came from;
//! - the audit entry: who did what, with which inputs (secrets masked), and how it ended
//!   ([`Writes::start_entry`], [`Writes::decision_entry`]); the outcome words are the
//!   domain's ([`DecisionOutcome::label`]).
//!
//! The local user is read once, when the `Writes` is made (see [`local_user`]), so building
//! an entry does no I/O and the TUI's `update` stays pure.

use jiff::Timestamp;

use crate::audit::{Entry, Inputs, MASK, Outcome, Target, Value};
use crate::backend::Identity;
use crate::domain::{
    Approval, BackendError, BackendName, Decision, DecisionOutcome, StartRequest, StartResult,
};

/// Where an action came from, as the audit log says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Tui,
    Cli,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Tui => "tui",
            Source::Cli => "cli",
        }
    }
}

/// What the write rules need to know of one configured backend.
#[derive(Debug, Clone)]
pub struct Guard {
    pub name: BackendName,
    pub kind: crate::domain::BackendKind,
    pub read_only: bool,
    pub production: bool,
    /// The config's `identity`: who acts, where the backend cannot say.
    pub identity: Option<String>,
}

/// A mutating action refused by the read-only rule; nothing was sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{backend} is read-only")]
pub struct ReadOnly {
    pub backend: String,
}

/// What confirms a dialog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirm {
    /// Reaching the confirm button and pressing Enter.
    Button,
    /// Typing `text` exactly into a field labelled `label`, then the button.
    Type { label: &'static str, text: String },
}

/// The action a dialog confirms.
#[derive(Debug, Clone, Copy)]
pub enum Confirming<'a> {
    /// One pipeline started from the start form.
    Start {
        backend: &'a str,
        pipeline_name: &'a str,
    },
    /// One gate decided from the decision dialog.
    Decision {
        backend: &'a str,
        pipeline_name: &'a str,
    },
    /// Marked gates decided as one batch, `production` of them on production backends.
    Batch { gates: usize, production: usize },
    /// Marked pipelines started as one batch.
    BulkStart { pipelines: usize },
    /// One control action (abort, retry, rerun, suspend, resume) on one execution.
    Control {
        backend: &'a str,
        pipeline_name: &'a str,
    },
    /// One control action on marked executions, `production` of them on production backends.
    ControlBatch {
        executions: usize,
        production: usize,
    },
}

/// The write rules for one process: who acts, from where, and each backend's guard.
#[derive(Debug, Clone)]
pub struct Writes {
    user: String,
    source: Source,
    /// `--read-only` or `[ui] read_only`: every backend is read-only.
    read_only: bool,
    backends: Vec<Guard>,
    /// What each backend's "who am I" answered, once it did.
    learned: Vec<(BackendName, Identity)>,
}

impl Writes {
    pub fn new(
        user: impl Into<String>,
        source: Source,
        read_only: bool,
        backends: Vec<Guard>,
    ) -> Writes {
        Writes {
            user: user.into(),
            source,
            read_only,
            backends,
            learned: Vec::new(),
        }
    }

    /// Records what `backend`'s "who am I" answered (or why it could not).
    pub fn learn(&mut self, backend: &str, identity: Identity) {
        self.learned.retain(|(name, _)| &**name != backend);
        self.learned.push((backend.into(), identity));
    }

    /// Who acts on `backend`, as every audit entry records it: what its API said, else the
    /// config's `identity` (recorded as configured), else unknown and why.
    pub fn identity(&self, backend: &str) -> Identity {
        let learned = self
            .learned
            .iter()
            .find(|(name, _)| &**name == backend)
            .map(|(_, identity)| identity.clone())
            .unwrap_or_else(|| Identity::unknown("not asked yet"));
        learned.or_configured(self.guard(backend).and_then(|g| g.identity.as_deref()))
    }

    /// The local account actions are recorded under.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// Every mutating action is off (`--read-only`, `[ui] read_only`).
    pub fn all_read_only(&self) -> bool {
        self.read_only
    }

    fn guard(&self, backend: &str) -> Option<&Guard> {
        self.backends.iter().find(|g| &*g.name == backend)
    }

    /// Whether a mutating action on `backend` may be sent. A backend that is not
    /// configured is read-only: nothing is ever sent to what the user did not configure.
    pub fn check(&self, backend: &str) -> Result<(), ReadOnly> {
        if self.read_only || self.guard(backend).is_none_or(|g| g.read_only) {
            return Err(ReadOnly {
                backend: backend.into(),
            });
        }
        Ok(())
    }

    pub fn is_read_only(&self, backend: &str) -> bool {
        self.check(backend).is_err()
    }

    /// `production = true` on this backend.
    pub fn is_production(&self, backend: &str) -> bool {
        self.guard(backend).is_some_and(|g| g.production)
    }

    /// What a person must do to confirm: a start or a decision on a production backend
    /// needs the pipeline's name typed, and a batch of more than one, or one that touches a
    /// production backend, needs `yes`, so that none of these is ever one keystroke away;
    /// anything else confirms on its button.
    pub fn confirmation(&self, what: Confirming<'_>) -> Confirm {
        let yes = || Confirm::Type {
            label: "type yes",
            text: "yes".into(),
        };
        match what {
            Confirming::Start {
                backend,
                pipeline_name,
            }
            | Confirming::Decision {
                backend,
                pipeline_name,
            }
            | Confirming::Control {
                backend,
                pipeline_name,
            } if self.is_production(backend) => Confirm::Type {
                label: "type the pipeline name",
                text: pipeline_name.into(),
            },
            Confirming::Batch { gates, production }
            | Confirming::ControlBatch {
                executions: gates,
                production,
            } if gates > 1 || production > 0 => yes(),
            Confirming::BulkStart { pipelines } if pipelines > 1 => yes(),
            _ => Confirm::Button,
        }
    }

    /// The audit entry of a start. `secret_names` are the secret-typed variables, whose
    /// values are masked.
    #[allow(clippy::too_many_arguments)]
    pub fn start_entry(
        &self,
        backend: &str,
        pipeline_name: &str,
        request: &StartRequest,
        secret_names: &[String],
        result: &Result<StartResult, BackendError>,
        request_id: Option<String>,
        now: Timestamp,
    ) -> Entry {
        let values = request
            .values
            .iter()
            .map(|(name, value)| Value {
                name: name.clone(),
                value: if secret_names.contains(name) {
                    MASK.into()
                } else {
                    value.clone()
                },
            })
            .collect();
        Entry {
            time: now,
            user: self.user.clone(),
            source: self.source.as_str().into(),
            backend: backend.into(),
            identity: Some(self.identity(backend)),
            action: "start".into(),
            target: Target {
                project: request.project.clone(),
                id: request.pipeline_id.clone(),
                name: pipeline_name.into(),
                execution: result.as_ref().ok().map(|r| r.execution_id.clone()),
            },
            inputs: Inputs {
                values,
                notes: request.notes.clone(),
                comment: None,
            },
            result: match result {
                Ok(r) if r.status.raw.is_empty() => Outcome::ok("started".into()),
                Ok(r) => Outcome::ok(format!("started ({})", r.status.raw)),
                Err(e) => Outcome::error(e),
            },
            request_id,
        }
    }

    /// The values a decision sent: the approver inputs given, and on an Argo gate with a
    /// verdict parameter (`approve: YES|NO`) the value the action set when none was given,
    /// so a reject's entry says `approve=NO` like the gate does.
    fn decision_values(&self, approval: &Approval, decision: &Decision) -> Vec<Value> {
        let mut values: Vec<Value> = decision
            .inputs
            .iter()
            .map(|(name, value)| Value {
                name: name.clone(),
                value: value.clone(),
            })
            .collect();
        let argo = self
            .guard(&approval.backend)
            .is_some_and(|g| g.kind == crate::domain::BackendKind::Argo);
        if argo
            && let Some((name, value)) = crate::backend::argo::verdict_sent(approval, decision)
            && !values.iter().any(|v| v.name == name)
        {
            values.push(Value { name, value });
        }
        values
    }

    /// The audit entry of a decision on one gate.
    pub fn decision_entry(
        &self,
        approval: &Approval,
        decision: &Decision,
        result: &Result<DecisionOutcome, BackendError>,
        request_id: Option<String>,
        now: Timestamp,
    ) -> Entry {
        Entry {
            time: now,
            user: self.user.clone(),
            source: self.source.as_str().into(),
            backend: approval.backend.to_string(),
            identity: Some(self.identity(&approval.backend)),
            action: decision.action.verb().into(),
            target: Target {
                project: approval.project.clone(),
                id: approval.id.clone(),
                name: format!(
                    "{} · {} / {}",
                    approval.pipeline_name, approval.stage, approval.step
                ),
                execution: Some(approval.execution_id.clone()),
            },
            inputs: Inputs {
                values: self.decision_values(approval, decision),
                notes: None,
                comment: Some(decision.comment.clone()),
            },
            result: match result {
                Ok(outcome) => Outcome::ok(outcome.label().into()),
                Err(e) => Outcome::error(e),
            },
            request_id,
        }
    }
}

impl Writes {
    /// The audit entry of a control action (abort, retry, rerun, suspend, resume) on one
    /// execution. A result that may have acted although it failed (timeout, 5xx) says so,
    /// with what the run read afterwards (`after`), if it could be read.
    #[allow(clippy::too_many_arguments)]
    pub fn control_entry(
        &self,
        backend: &str,
        exec: &crate::domain::ExecRef,
        pipeline_name: &str,
        action: &crate::backend::Control,
        result: &Result<crate::backend::ControlOutcome, BackendError>,
        after: Option<&str>,
        request_id: Option<String>,
        now: Timestamp,
    ) -> Entry {
        use crate::backend::Control;
        let values = match action {
            Control::Abort { stage: Some(s), .. } => vec![Value {
                name: "stage".into(),
                value: s.clone(),
            }],
            Control::Retry { stages } => stages
                .iter()
                .map(|s| Value {
                    name: "stage".into(),
                    value: s.clone(),
                })
                .collect(),
            _ => Vec::new(),
        };
        Entry {
            time: now,
            user: self.user.clone(),
            source: self.source.as_str().into(),
            backend: backend.into(),
            identity: Some(self.identity(backend)),
            action: action.verb().into(),
            target: Target {
                project: exec.project.clone(),
                id: exec.id.clone(),
                name: pipeline_name.into(),
                execution: Some(match result {
                    Ok(o) => o.execution_id.clone(),
                    Err(_) => exec.id.clone(),
                }),
            },
            inputs: Inputs {
                values,
                notes: None,
                comment: None,
            },
            result: match result {
                Ok(o) => Outcome::ok(control_label(action, o)),
                Err(e) if e.outcome_unknown() => Outcome {
                    ok: false,
                    status: "unknown".into(),
                    error: Some(format!(
                        "{e}; the run read again: {}",
                        after.unwrap_or("could not be read")
                    )),
                },
                Err(e) => Outcome::error(e),
            },
            request_id,
        }
    }
}

/// What a control action that the backend accepted did, in words for the audit log, the
/// CLI and the TUI.
pub fn control_label(
    action: &crate::backend::Control,
    outcome: &crate::backend::ControlOutcome,
) -> String {
    use crate::backend::Control;
    if outcome.pending.is_some() {
        return format!("{} recorded, not acted on", action.verb());
    }
    let status = outcome
        .status
        .as_ref()
        .map(|s| format!(" ({})", s.raw))
        .unwrap_or_default();
    match action {
        Control::Abort { .. } => format!("{} requested{status}", action.verb()),
        Control::Rerun => format!("re-run as {}{status}", outcome.execution_id),
        Control::Retry { .. } if outcome.new_run => {
            format!("retried as {}{status}", outcome.execution_id)
        }
        Control::Retry { .. } => format!("retried{status}"),
        Control::Suspend => format!("suspended{status}"),
        Control::Resume => format!("resumed{status}"),
    }
}

/// The local account: `$USER`/`$LOGNAME`, else the name of the real uid from
/// `/etc/passwd` (cron jobs and containers often have no `$USER`), else `uid:N`. Read once
/// per process, by whoever makes its [`Writes`].
pub fn local_user() -> String {
    if let Some(user) = ["USER", "LOGNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|u| !u.is_empty()))
    {
        return user;
    }
    let uid = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .and_then(|rest| rest.split_whitespace().next().map(str::to_string))
        });
    let Some(uid) = uid else {
        return "unknown".into();
    };
    std::fs::read_to_string("/etc/passwd")
        .ok()
        .and_then(|passwd| {
            passwd.lines().find_map(|line| {
                let mut fields = line.split(':');
                let name = fields.next()?;
                (fields.nth(1)? == uid).then(|| name.to_string())
            })
        })
        .unwrap_or_else(|| format!("uid:{uid}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{DecisionAction, ExecStatus, Status};

    fn writes(read_only: bool) -> Writes {
        Writes::new(
            "alice",
            Source::Cli,
            read_only,
            vec![
                Guard {
                    name: "prod".into(),
                    read_only: false,
                    production: true,
                    kind: crate::domain::BackendKind::Harness,
                    identity: None,
                },
                Guard {
                    name: "frozen".into(),
                    read_only: true,
                    production: false,
                    kind: crate::domain::BackendKind::Harness,
                    identity: None,
                },
                Guard {
                    name: "dev".into(),
                    read_only: false,
                    production: false,
                    kind: crate::domain::BackendKind::Harness,
                    identity: None,
                },
            ],
        )
    }

    #[test]
    fn read_only_is_global_per_backend_and_for_the_unconfigured() {
        let w = writes(false);
        assert_eq!(w.check("prod"), Ok(()));
        assert_eq!(w.check("dev"), Ok(()));
        assert_eq!(
            w.check("frozen").unwrap_err().to_string(),
            "frozen is read-only"
        );
        assert!(w.is_read_only("nowhere"));
        let all = writes(true);
        assert!(
            ["prod", "dev", "frozen"]
                .iter()
                .all(|b| all.is_read_only(b))
        );
        assert!(all.all_read_only() && !w.all_read_only());
    }

    #[test]
    fn production_starts_decisions_and_batches_need_typing() {
        let w = writes(false);
        let start = |backend| Confirming::Start {
            backend,
            pipeline_name: "Deploy API",
        };
        assert_eq!(
            w.confirmation(start("prod")),
            Confirm::Type {
                label: "type the pipeline name",
                text: "Deploy API".into()
            }
        );
        assert_eq!(w.confirmation(start("dev")), Confirm::Button);
        let yes = Confirm::Type {
            label: "type yes",
            text: "yes".into(),
        };
        assert_eq!(
            w.confirmation(Confirming::Batch {
                gates: 2,
                production: 0
            }),
            yes
        );
        assert_eq!(
            w.confirmation(Confirming::Batch {
                gates: 1,
                production: 1
            }),
            yes
        );
        assert_eq!(w.confirmation(Confirming::BulkStart { pipelines: 3 }), yes);
        assert_eq!(
            w.confirmation(Confirming::Batch {
                gates: 1,
                production: 0
            }),
            Confirm::Button
        );
        assert_eq!(
            w.confirmation(Confirming::BulkStart { pipelines: 1 }),
            Confirm::Button
        );
        let decide = |backend| Confirming::Decision {
            backend,
            pipeline_name: "Deploy API",
        };
        assert_eq!(w.confirmation(decide("dev")), Confirm::Button);
        assert_eq!(
            w.confirmation(decide("prod")),
            Confirm::Type {
                label: "type the pipeline name",
                text: "Deploy API".into()
            }
        );
    }

    #[test]
    fn entries_carry_the_user_and_source_mask_secrets_and_use_the_outcome_words() {
        let w = writes(false);
        let now: Timestamp = "2026-11-22T10:00:00Z".parse().unwrap();
        let request = StartRequest {
            project: "payments".into(),
            pipeline_id: "deploy".into(),
            values: vec![
                ("tag".into(), "1.2.3".into()),
                ("db_password".into(), "hunter2".into()),
            ],
            notes: Some("release".into()),
        };
        let started = Ok(StartResult {
            execution_id: "exec-1".into(),
            status: Status::new(ExecStatus::Running, "RUNNING"),
        });
        let entry = w.start_entry(
            "prod",
            "Deploy",
            &request,
            &["db_password".into()],
            &started,
            None,
            now,
        );
        assert_eq!(
            (entry.user.as_str(), entry.source.as_str()),
            ("alice", "cli")
        );
        assert_eq!(entry.inputs.values[1].value, MASK);
        assert_eq!(entry.result.status, "started (RUNNING)");
        assert_eq!(entry.target.execution.as_deref(), Some("exec-1"));

        let gate = Approval {
            backend: "prod".into(),
            project: "payments".into(),
            id: "g1".into(),
            execution_id: "exec-1".into(),
            pipeline_id: "deploy".into(),
            pipeline_name: "Deploy".into(),
            stage: "prod".into(),
            step: "ok?".into(),
            message: String::new(),
            approvers: Vec::new(),
            min_count: 2,
            inputs: Vec::new(),
            created: None,
            deadline: None,
            triggered_by: String::new(),
            environment: None,
            callback_id: None,
            url: None,
        };
        let decision = Decision {
            action: DecisionAction::Approve,
            comment: "lgtm".into(),
            inputs: Vec::new(),
        };
        let more = w.decision_entry(
            &gate,
            &decision,
            &Ok(DecisionOutcome::StillWaiting),
            None,
            now,
        );
        assert_eq!(more.result.status, DecisionOutcome::StillWaiting.label());
        assert_eq!(more.target.name, "Deploy · prod / ok?");
        let failed = w.decision_entry(
            &gate,
            &decision,
            &Err(BackendError::Conflict("already decided".into())),
            None,
            now,
        );
        assert!(!failed.result.ok);
        assert_eq!(failed.action, "approve");
    }

    #[test]
    fn control_actions_confirm_as_decisions_and_are_audited_with_their_outcome() {
        use crate::backend::{Control, ControlOutcome};
        use crate::domain::ExecRef;
        let w = writes(false);
        let one = |backend| Confirming::Control {
            backend,
            pipeline_name: "Deploy API",
        };
        assert_eq!(w.confirmation(one("dev")), Confirm::Button);
        assert_eq!(
            w.confirmation(one("prod")),
            Confirm::Type {
                label: "type the pipeline name",
                text: "Deploy API".into()
            }
        );
        let batch = |executions, production| Confirming::ControlBatch {
            executions,
            production,
        };
        let yes = Confirm::Type {
            label: "type yes",
            text: "yes".into(),
        };
        assert_eq!(w.confirmation(batch(2, 0)), yes);
        assert_eq!(w.confirmation(batch(1, 1)), yes);
        assert_eq!(w.confirmation(batch(1, 0)), Confirm::Button);

        let now: Timestamp = "2026-11-22T10:00:00Z".parse().unwrap();
        let exec = ExecRef {
            project: "payments".into(),
            id: "exec-1".into(),
        };
        let retry = Control::Retry {
            stages: vec!["deploy".into()],
        };
        let ok = Ok(ControlOutcome {
            execution_id: "exec-2".into(),
            new_run: true,
            status: Some(Status::new(ExecStatus::Running, "Running")),
            pending: None,
        });
        let entry = w.control_entry("dev", &exec, "Deploy", &retry, &ok, None, None, now);
        assert_eq!(entry.action, "retry");
        assert_eq!(entry.result.status, "retried as exec-2 (Running)");
        assert_eq!(entry.target.execution.as_deref(), Some("exec-2"));
        assert_eq!(entry.inputs.values[0].value, "deploy");
        let lost = Err(BackendError::Timeout(std::time::Duration::from_secs(30)));
        let abort = Control::Abort {
            stage: None,
            terminate: false,
        };
        let entry = w.control_entry(
            "dev",
            &exec,
            "Deploy",
            &abort,
            &lost,
            Some("Discontinuing"),
            None,
            now,
        );
        assert_eq!(entry.result.status, "unknown");
        assert!(entry.result.error.unwrap().contains("Discontinuing"));
        let refused = Err(BackendError::Conflict("already finished".into()));
        let entry = w.control_entry("dev", &exec, "Deploy", &abort, &refused, None, None, now);
        assert!(!entry.result.ok);
        assert_eq!(entry.result.status, "error");
    }
}
