//! The local audit log: one JSON line per mutating action (start, approve, reject) from the
//! TUI or the CLI, appended to `audit.jsonl` in the XDG state directory.
//!
//! Entries are built by the write path (`crate::write`) from domain values only, after
//! secret-typed inputs have been masked, so no key or secret variable can reach the file;
//! this module keeps the entry's shape and the file.

use std::fs::OpenOptions;
use std::io::{self, BufRead, Write};
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::domain::BackendError;

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
    /// Who acted on the backend, and where that came from: the backend's "who am I"
    /// (`verified`), the config's `identity` (`configured`), or `unknown` and why.
    /// `None` only in entries written before flightdeck recorded it.
    pub identity: Option<crate::backend::Identity>,
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

impl Outcome {
    pub fn ok(status: String) -> Outcome {
        Outcome {
            ok: true,
            status,
            error: None,
        }
    }

    pub fn error(err: &BackendError) -> Outcome {
        Outcome {
            ok: false,
            status: "error".into(),
            error: Some(err.to_string()),
        }
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
    // Inert JSON: a hostile pipeline name is kept exactly, as escapes, not as bytes a
    // terminal acts on when someone `cat`s the log.
    let mut line = crate::sanitize::to_json(entry, false).map_err(io::Error::other)?;
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
    use crate::domain::{ExecStatus, StartRequest, StartResult, Status};
    use crate::write::{Source, Writes};

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
        let entry = Writes::new("alice", Source::Cli, false, Vec::new()).start_entry(
            "prod",
            "Deploy",
            &request,
            &["db_password".into()],
            &result,
            Some("c-1".into()),
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
