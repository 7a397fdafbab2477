//! The results file of a bulk start: one JSON line per event of a record, appended as it
//! happens, and read back to resume a run without starting anything twice.
//!
//! Before a record's start is sent, a `sending` line is written; when the answer arrives, a
//! `started`, `failed` or `unknown` line. A record whose last line is `sending` was cut off
//! mid-request (crash, SIGKILL): whether it started is unknown.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

/// What became of one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// About to be sent; superseded by the next line for the same record.
    Sending,
    /// The backend answered with an execution id.
    Started,
    /// Refused before anything started (bad request, rate limit, not authorized...): safe to
    /// send again.
    Failed,
    /// Sent, but the answer never came or could not be read (timeout, network, server
    /// error): it may have started.
    Unknown,
}

/// One line of the results file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    /// The record's line in the records file.
    pub line: usize,
    /// Fingerprint of the record's values (see [`key`]), to notice a changed input on resume.
    pub key: String,
    pub status: Outcome,
    pub execution_id: Option<String>,
    pub error: Option<String>,
}

/// FNV-1a (64 bit) of the pipeline (`backend/project/id`, so a results file cannot resume a
/// run of another pipeline) and the non-secret values, sorted by name. Stable across versions
/// and platforms, unlike std's hasher; secrets are left out so the file holds nothing derived
/// from them.
pub fn key(pipeline: &str, values: &[(String, String)], secrets: &[String]) -> String {
    let mut sorted: Vec<&(String, String)> = values
        .iter()
        .filter(|(name, _)| !secrets.contains(name))
        .collect();
    sorted.sort();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let bytes = pipeline.bytes().chain([0]).chain(
        sorted
            .into_iter()
            .flat_map(|(name, value)| name.bytes().chain([0]).chain(value.bytes()).chain([0])),
    );
    for byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("fnv1a64:{hash:016x}")
}

/// The last line of every record in an existing results file; empty when there is none.
pub fn read(path: &Path) -> Result<BTreeMap<usize, Line>, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(e) => {
            return Err(format!(
                "cannot read the results file {}: {e}",
                path.display()
            ));
        }
    };
    let mut last = BTreeMap::new();
    for (i, raw) in text.lines().enumerate() {
        if raw.trim().is_empty() {
            continue;
        }
        // Ignoring a line could send a record twice: anything unreadable stops the run.
        let entry: Line = serde_json::from_str(raw).map_err(|e| {
            format!(
                "{} line {}: not a result line ({e}); fix or remove it",
                path.display(),
                i + 1
            )
        })?;
        last.insert(entry.line, entry);
    }
    Ok(last)
}

/// Appends result lines; shared by the concurrent sends of one run.
pub struct Writer {
    path: PathBuf,
    file: Mutex<File>,
}

impl Writer {
    pub fn open(path: &Path) -> Result<Writer, String> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| format!("cannot open the results file {}: {e}", path.display()))?;
        Ok(Writer {
            path: path.to_path_buf(),
            file: Mutex::new(file),
        })
    }

    /// One `write` per line (O_APPEND), flushed before returning: a kill loses nothing that
    /// was reported written, and never leaves half a line.
    pub fn write(&self, entry: &Line) -> Result<(), String> {
        let mut text = serde_json::to_string(entry).map_err(|e| e.to_string())?;
        text.push('\n');
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        file.write_all(text.as_bytes())
            .and_then(|()| file.flush())
            .map_err(|e| format!("cannot write the results file {}: {e}", self.path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(a: &str, b: &str) -> (String, String) {
        (a.to_string(), b.to_string())
    }

    #[test]
    fn key_ignores_order_and_secrets() {
        let a = key("h/p/x", &[pair("x", "1"), pair("y", "2")], &[]);
        assert_eq!(a, key("h/p/x", &[pair("y", "2"), pair("x", "1")], &[]));
        assert_ne!(a, key("h/p/x", &[pair("x", "1"), pair("y", "3")], &[]));
        // Name/value boundaries matter: x=12 is not x1=2.
        assert_ne!(
            key("h/p/x", &[pair("x", "12")], &[]),
            key("h/p/x", &[pair("x1", "2")], &[])
        );
        assert_ne!(a, key("h/p/y", &[pair("x", "1"), pair("y", "2")], &[]));
        let secret = vec!["pw".to_string()];
        assert_eq!(
            key("h/p/x", &[pair("x", "1"), pair("pw", "a")], &secret),
            key("h/p/x", &[pair("x", "1"), pair("pw", "b")], &secret)
        );
    }

    #[test]
    fn the_last_line_of_a_record_wins_and_garbage_stops() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.jsonl");
        assert!(read(&path).unwrap().is_empty());
        let w = Writer::open(&path).unwrap();
        let line = |status, id: Option<&str>| Line {
            line: 3,
            key: "k".into(),
            status,
            execution_id: id.map(str::to_string),
            error: None,
        };
        w.write(&line(Outcome::Sending, None)).unwrap();
        w.write(&line(Outcome::Started, Some("e1"))).unwrap();
        let read_back = read(&path).unwrap();
        assert_eq!(read_back[&3].status, Outcome::Started);
        assert_eq!(read_back[&3].execution_id.as_deref(), Some("e1"));
        std::fs::write(&path, "{\"line\": 1\n").unwrap();
        assert!(read(&path).unwrap_err().contains("line 1"));
    }
}
