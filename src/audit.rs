//! The local audit log: one JSON line per mutating action (start, approve, reject) from the
//! TUI or the CLI, appended to `audit.jsonl` in the XDG state directory.
//!
//! Entries are built from domain values only, after secret-typed inputs have been masked,
//! so no key or secret variable can reach the file.

use std::fs::OpenOptions;
use std::io::{self, BufRead, Write};
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::domain::{Approval, BackendError, Decision, DecisionOutcome, StartRequest, StartResult};

/// `$FLIGHTDECK_AUDIT_LOG`, when set: where the log goes instead of the default.
pub fn path_from_env() -> Option<PathBuf> {
    std::env::var_os("FLIGHTDECK_AUDIT_LOG")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
}

/// Where the log lives: `$FLIGHTDECK_AUDIT_LOG` when set, else
/// `$XDG_STATE_HOME/flightdeck/audit.jsonl` (usually `~/.local/state/flightdeck/audit.jsonl`),
/// or the data dir where there is no state dir.
pub fn path() -> Option<PathBuf> {
    if let Some(p) = path_from_env() {
        return Some(p);
    }
    let dirs = directories::ProjectDirs::from("", "", "flightdeck")?;
    let dir = dirs.state_dir().unwrap_or_else(|| dirs.data_local_dir());
    Some(dir.join("audit.jsonl"))
}

/// Shown instead of a secret-typed input's value.
pub const MASK: &str = "***";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// RFC 3339, UTC.
    pub time: Timestamp,
    /// The local account that ran flightdeck.
    pub user: String,
    /// `tui` or `cli`.
    pub source: String,
    pub backend: String,
    /// Who the backend says we are, when it tells.
    pub identity: Option<String>,
    /// `start`, `approve` or `reject`.
    pub action: String,
    pub target: Target,
    pub inputs: Inputs,
    pub result: Outcome,
    /// The backend's request or correlation id, when it returns one.
    pub request_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Target {
    pub project: String,
    /// Pipeline id for a start; gate id for a decision.
    pub id: String,
    /// Pipeline name for a start; "pipeline · stage / step" for a decision.
    pub name: String,
    /// The execution a decision was about, or the one a start created.
    pub execution: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Value {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Inputs {
    /// Variables or approver inputs, secret-typed ones masked.
    pub values: Vec<Value>,
    pub notes: Option<String>,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    pub ok: bool,
    /// `started`, `approved`, `rejected`, `approved (more approvals needed)`, or the error kind.
    pub status: String,
    pub error: Option<String>,
}

/// The local account: `$USER`/`$LOGNAME`, else the name of the real uid from
/// `/etc/passwd` (cron jobs and containers often have no `$USER`), else `uid:N`. Reads the
/// environment and files: asked once per process (the TUI at startup, a CLI command when
/// it writes), and the answer is handed to whoever builds entries.
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

fn error_outcome(err: &BackendError) -> Outcome {
    Outcome {
        ok: false,
        status: "error".into(),
        error: Some(err.to_string()),
    }
}

impl Entry {
    /// A start, with the names of secret-typed variables whose values must not be logged.
    // Each argument is a fact the entry records; the shared write path replaces this list.
    #[allow(clippy::too_many_arguments)]
    pub fn start(
        source: &str,
        user: &str,
        backend: &str,
        pipeline_name: &str,
        request: &StartRequest,
        secret_names: &[String],
        result: &Result<StartResult, BackendError>,
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
            user: user.into(),
            source: source.into(),
            backend: backend.into(),
            identity: None,
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
                Ok(r) => Outcome {
                    ok: true,
                    status: "started".into(),
                    error: None,
                }
                .with_raw(&r.status.raw),
                Err(e) => error_outcome(e),
            },
            request_id: None,
        }
    }

    pub fn decision(
        source: &str,
        user: &str,
        approval: &Approval,
        decision: &Decision,
        result: &Result<DecisionOutcome, BackendError>,
        now: Timestamp,
    ) -> Entry {
        Entry {
            time: now,
            user: user.into(),
            source: source.into(),
            backend: approval.backend.to_string(),
            identity: None,
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
                values: decision
                    .inputs
                    .iter()
                    .map(|(name, value)| Value {
                        name: name.clone(),
                        value: value.clone(),
                    })
                    .collect(),
                notes: None,
                comment: Some(decision.comment.clone()),
            },
            result: match result {
                Ok(outcome) => Outcome {
                    ok: true,
                    status: outcome.label().into(),
                    error: None,
                },
                Err(e) => error_outcome(e),
            },
            request_id: None,
        }
    }
}

impl Outcome {
    fn with_raw(mut self, raw: &str) -> Self {
        if !raw.is_empty() {
            self.status = format!("started ({raw})");
        }
        self
    }
}

/// Appends one entry as one line. The file is created owner-only (0600): it names who did
/// what, which is nobody else's business on a shared host.
pub fn append(path: &Path, entry: &Entry) -> io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    let mut line = serde_json::to_string(entry).map_err(io::Error::other)?;
    line.push('\n');
    // One write call per line, so concurrent writers (a TUI and a CLI) never interleave.
    file.write_all(line.as_bytes())
}

/// The last `limit` entries, oldest first; unreadable lines are skipped, not fatal.
pub fn read_recent(path: &Path, limit: usize) -> Vec<Entry> {
    let Ok(file) = std::fs::File::open(path) else {
        return Vec::new();
    };
    let mut entries: std::collections::VecDeque<Entry> = std::collections::VecDeque::new();
    for line in io::BufReader::new(file).lines().map_while(Result::ok) {
        if let Ok(entry) = serde_json::from_str(&line) {
            if entries.len() == limit {
                entries.pop_front();
            }
            entries.push_back(entry);
        }
    }
    entries.into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ExecStatus, Status};

    #[test]
    fn start_entries_mask_secret_inputs_and_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state/audit.jsonl");
        let request = StartRequest {
            project: "payments".into(),
            pipeline_id: "deploy".into(),
            values: vec![
                ("tag".into(), "1.2.3".into()),
                ("db_password".into(), "hunter2".into()),
            ],
            notes: Some("release".into()),
        };
        let result = Ok(StartResult {
            execution_id: "exec-1".into(),
            status: Status::new(ExecStatus::Running, "RUNNING"),
        });
        let now: Timestamp = "2026-11-22T10:00:00Z".parse().unwrap();
        let entry = Entry::start(
            "cli",
            "jane",
            "prod",
            "Deploy",
            &request,
            &["db_password".into()],
            &result,
            now,
        );
        append(&path, &entry).unwrap();
        append(&path, &entry).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("hunter2"));
        assert_eq!(text.lines().count(), 2);
        let back = read_recent(&path, 1);
        assert_eq!(back, vec![entry]);
        assert_eq!(back[0].inputs.values[1].value, MASK);
        assert_eq!(back[0].target.execution.as_deref(), Some("exec-1"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "audit log is owner-only");
        }
    }
}
