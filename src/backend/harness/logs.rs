//! Step logs from the NextGen log service (`control-logs-identity.md` §2.1).
//!
//! The keys come from the execution graph, never built here: a step node's
//! `executableResponses[0].<kind>` has parallel `logKeys`/`units` arrays, one section per unit
//! (a key without a unit name is "Section N", as Harness's CLI labels it); a step with no
//! `logKeys` logs under its `logBaseKey`, as the UI reads it.
//!
//! | section | request |
//! |---|---|
//! | finished | `GET <base>/log-service/blob?accountID=<acc>&key=<key>` |
//! | running | `GET <base>/log-service/stream?accountID=<acc>&key=<key>`, `Accept: text/event-stream` |
//!
//! Both carry `x-api-key` (Harness's CLI reads logs with the API key alone, never asking for a
//! log token). With the SaaS base `https://app.harness.io/gateway` the path is
//! `/gateway/log-service/...`. A section is streamed while its unit (or, without a unit
//! progress, its step) is running-like and not waiting for an intervention, as the UI
//! decides; otherwise its blob is read.
//!
//! - The blob is NDJSON, one `{"level","pos","out","time","args"}` per line. It can be empty
//!   right after the unit ended: like Harness's CLI, an empty blob of a unit that ended less
//!   than a minute ago (by the server's `Date`) is asked for again, three times, two seconds
//!   apart.
//! - The stream is Server-Sent Events: each `data:` line is one JSON log line, lines starting
//!   `:` are comments, and `event: error` with `data: eof` ends it. A stream that is gone
//!   (404: the unit ended and its blob was written meanwhile) falls back to the blob.
//! - Lines already sent for a key are counted, so a stream read again or a blob read after a
//!   stream never repeats them.
//!
//! `out` carries raw ANSI SGR colour (the writer colours WARN and ERROR lines). Every
//! escape sequence is dropped and every other control character replaced
//! ([`crate::sanitize::clean`]) before a line leaves this module; the level the line came
//! with is kept, and the log view styles WARN and ERROR lines from it. An `out` holding
//! several lines becomes several lines.
//!
//! Following (`follow`) reads the graph again every few seconds and goes on until the
//! execution (or the step asked for) has ended and every section was read.

use std::collections::{HashMap, HashSet};

use futures::stream::{FuturesUnordered, StreamExt};
use std::time::Duration;

use jiff::Timestamp;
use reqwest::Method;
use reqwest::header::{ACCEPT, DATE};
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::mpsc;
use url::Url;

use super::HarnessBackend;
use super::graph;
use super::status::exec_status;
use super::wire::{self, GraphNode};
use crate::backend::Result;
use crate::backend::http::{self, MAX_SERVER_TEXT, truncate};
use crate::domain::{BackendError, ExecRef, ExecStatus, LogLine};

/// Empty blobs of a unit that ended less than this long ago are asked for again.
const RECENT: Duration = Duration::from_secs(60);
/// How often, and how far apart, as Harness's CLI does (`FetchAndPrintLogWithRetry`).
const EMPTY_BLOB_RETRIES: u32 = 3;
const EMPTY_BLOB_PAUSE: Duration = Duration::from_secs(2);
/// How often a followed execution's graph is read again.
const FOLLOW_POLL: Duration = Duration::from_secs(2);
/// Without `follow`, a running section's stream is read until it is quiet this long: what
/// was printed so far has arrived by then.
const QUIET: Duration = Duration::from_millis(1500);
/// A followed stream that sends nothing at all (not even a comment) this long is dropped and
/// read again from the graph.
const STREAM_IDLE: Duration = Duration::from_secs(300);
/// A blob that sends nothing this long is given up (its body has no overall time limit, as a
/// 25 MB log may take a while).
const BLOB_IDLE: Duration = Duration::from_secs(60);
/// A line longer than this is cut, so a server that never sends a newline cannot make the
/// reader buffer without bound.
const MAX_LINE: usize = 1024 * 1024;

/// One log section of a step: a unit, or the whole step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Section {
    /// The step's name, and the unit's when the step has several: what lines are labelled.
    pub source: String,
    /// The step's name and identifier, which a `step` filter matches.
    pub step: (String, String),
    pub key: String,
    pub state: State,
    /// When its unit (or step) ended, in epoch milliseconds.
    pub ended: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum State {
    NotStarted,
    Running,
    Finished,
}

/// The sections of every step of the graph, in document order.
pub(super) fn sections(
    summary: &wire::ExecutionSummary,
    graph: &wire::ExecutionGraph,
) -> Vec<Section> {
    graph::step_nodes(summary, graph)
        .into_iter()
        .flat_map(|(_, node)| sections_of(node))
        .collect()
}

fn sections_of(node: &GraphNode) -> Vec<Section> {
    let name = node
        .name
        .clone()
        .or_else(|| node.identifier.clone())
        .unwrap_or_default();
    let step = (name.clone(), node.identifier.clone().unwrap_or_default());
    let entry = node
        .executable_responses
        .first()
        .and_then(Value::as_object)
        .and_then(|o| o.values().next());
    let strings = |field: &str| -> Vec<String> {
        entry
            .and_then(|e| e.get(field))
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    };
    let keys: Vec<String> = strings("logKeys")
        .into_iter()
        .filter(|k| !k.is_empty())
        .collect();
    let units = strings("units");
    let node_state = node_state(node);
    let node_end = node.end_ts.and_then(|t| i64::try_from(t).ok());
    if keys.is_empty() {
        return node
            .log_base_key
            .clone()
            .filter(|k| !k.is_empty())
            .map(|key| Section {
                source: name.clone(),
                step: step.clone(),
                key,
                state: node_state,
                ended: node_end,
            })
            .into_iter()
            .collect();
    }
    let several = keys.len() > 1;
    keys.into_iter()
        .enumerate()
        .map(|(i, key)| {
            let unit = units
                .get(i)
                .filter(|u| !u.is_empty())
                .cloned()
                .unwrap_or_else(|| format!("Section {}", i + 1));
            let progress = node
                .unit_progresses
                .iter()
                .find(|p| p.get("unitName").and_then(Value::as_str) == Some(unit.as_str()));
            let (state, ended) = match progress {
                Some(p) => unit_state(p, node_state, node_end),
                // No progress yet: a unit of a running step has not started; a unit of a
                // finished step is read from its blob.
                None if node_state == State::Finished => (State::Finished, node_end),
                None => (State::NotStarted, None),
            };
            Section {
                source: if several {
                    format!("{name} · {unit}")
                } else {
                    name.clone()
                },
                step: step.clone(),
                key,
                state,
                ended,
            }
        })
        .collect()
}

/// A step's state from its status: running-like and not waiting for an intervention means
/// its log is still being written.
fn node_state(node: &GraphNode) -> State {
    let raw = node.status.as_deref().unwrap_or_default();
    let intervention = raw
        .chars()
        .filter(|c| *c != '_')
        .map(|c| c.to_ascii_lowercase())
        .eq("interventionwaiting".chars());
    match exec_status(raw) {
        ExecStatus::Running | ExecStatus::Waiting if !intervention => State::Running,
        ExecStatus::NotStarted | ExecStatus::Queued => State::NotStarted,
        // A step the graph lists but whose status is unknown has started: its blob is read.
        _ => State::Finished,
    }
}

/// A unit progress `{unitName, status, startTime, endTime}` (times as strings).
fn unit_state(progress: &Value, step: State, step_end: Option<i64>) -> (State, Option<i64>) {
    let status = progress
        .get("status")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_ascii_uppercase();
    let end = progress
        .get("endTime")
        .and_then(|t| match t {
            Value::String(s) => s.parse::<i64>().ok(),
            other => other.as_i64(),
        })
        .filter(|t| *t > 0)
        .or(step_end);
    match status.as_str() {
        "RUNNING" => (State::Running, None),
        "QUEUED" | "NOTSTARTED" | "NOT_STARTED" => (State::NotStarted, None),
        // A unit whose status this client does not know, of a step still running: its
        // stream says when it is done.
        "" if step == State::Running => (State::Running, None),
        _ => (State::Finished, end),
    }
}

/// One line as the log service writes it; every field may be missing.
#[derive(Debug, Default, Deserialize)]
struct WireLine {
    #[serde(default)]
    level: Option<String>,
    #[serde(default)]
    out: Option<String>,
    #[serde(default)]
    time: Option<String>,
}

/// The lines one NDJSON line of the service stands for: `out` split at line breaks, each
/// cleaned, with the level and time. A line that is not JSON is shown as its text.
fn parse_line(raw: &str, source: &str) -> Vec<LogLine> {
    let raw = raw.trim_end_matches(['\r', '\n']);
    if raw.trim().is_empty() {
        return Vec::new();
    }
    let wire: WireLine = serde_json::from_str(raw).unwrap_or_else(|_| WireLine {
        out: Some(raw.to_owned()),
        ..WireLine::default()
    });
    let time = wire
        .time
        .as_deref()
        .and_then(|t| t.parse::<Timestamp>().ok());
    let level = wire
        .level
        .map(|l| crate::sanitize::clean(l.trim()).to_ascii_uppercase())
        .filter(|l| !l.is_empty());
    let out = wire.out.unwrap_or_default();
    let out = out.strip_suffix('\n').unwrap_or(&out);
    out.split('\n')
        .map(|text| LogLine {
            source: source.to_owned(),
            // Escape sequences (the writer's colours among them) go here, whole.
            text: crate::sanitize::clean(text).into_owned(),
            time,
            level: level.clone(),
        })
        .collect()
}

/// A running section being streamed: the section, how the read ended, and the service lines
/// of its key sent by then.
type Reading<'a> =
    std::pin::Pin<Box<dyn Future<Output = (Section, Result<Read>, usize)> + Send + 'a>>;

/// How reading one section ended.
enum Read {
    /// Every line was read (the stream's end marker, or a blob).
    Whole,
    /// What there was so far (a stream read without `follow`, or one that broke off).
    Partial,
    /// The stream is gone: read the blob instead.
    Gone,
}

impl HarnessBackend {
    fn log_url(&self, what: &str, key: &str) -> Url {
        let mut url = self.url(&["log-service", what]);
        url.query_pairs_mut()
            .append_pair("accountID", &self.account)
            .append_pair("key", key);
        url
    }

    /// Sends the lines of `exec` (of the steps named `step`, or of all) to `lines`; with
    /// `follow`, until the execution or the step has ended. Running sections are streamed
    /// side by side (parallel stages, a gate waiting for hours beside a running stage), and
    /// the graph is read again every [`FOLLOW_POLL`] for sections that started or ended.
    pub(super) async fn stream_logs(
        &self,
        exec: &ExecRef,
        step: Option<&str>,
        follow: bool,
        lines: &mpsc::UnboundedSender<LogLine>,
    ) -> Result<()> {
        // Service lines sent per key, so no read sends a line twice.
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut done: HashSet<String> = HashSet::new();
        let mut streaming: HashSet<String> = HashSet::new();
        let mut active: FuturesUnordered<Reading<'_>> = FuturesUnordered::new();
        loop {
            if lines.is_closed() {
                // Nobody reads any more: the log view was closed.
                return Ok(());
            }
            let detail = self
                .execution_v2(
                    &exec.id,
                    &exec.project,
                    &[("renderFullBottomGraph", "true")],
                )
                .await?;
            let summary = &detail.pipeline_execution_summary;
            let ended = exec_status(summary.status.as_deref().unwrap_or_default()).is_terminal();
            let wanted: Vec<Section> = detail
                .execution_graph
                .as_ref()
                .map(|g| sections(summary, g))
                .unwrap_or_default()
                .into_iter()
                .filter(|s| step.is_none_or(|name| s.step.0 == name || s.step.1 == name))
                .collect();
            if let Some(name) = step
                && wanted.is_empty()
                && (ended || !follow)
            {
                return Err(BackendError::NotFound(format!(
                    "execution {} has no step {name:?} with a log{}",
                    exec.id,
                    if ended { "" } else { " yet" }
                )));
            }
            for section in &wanted {
                if done.contains(&section.key) || streaming.contains(&section.key) {
                    continue;
                }
                match section.state {
                    State::NotStarted => {}
                    State::Running => {
                        streaming.insert(section.key.clone());
                        let mut count = seen.get(&section.key).copied().unwrap_or(0);
                        let section = section.clone();
                        active.push(Box::pin(async move {
                            let read = self.read_stream(&section, follow, &mut count, lines).await;
                            (section, read, count)
                        }));
                    }
                    State::Finished => {
                        let count = seen.entry(section.key.clone()).or_default();
                        self.read_blob(section, count, lines).await?;
                        done.insert(section.key.clone());
                    }
                }
                if lines.is_closed() {
                    // Nobody reads any more: the log view was closed.
                    return Ok(());
                }
            }
            if !follow {
                // What the running sections printed so far, each until it went quiet.
                while let Some((section, read, count)) = active.next().await {
                    seen.insert(section.key.clone(), count);
                    if matches!(read?, Read::Gone) {
                        let count = seen.entry(section.key.clone()).or_default();
                        self.read_blob(&section, count, lines).await?;
                    }
                }
                return Ok(());
            }
            let settled = wanted
                .iter()
                .all(|s| done.contains(&s.key) || s.state == State::NotStarted);
            let step_over = step.is_some()
                && !wanted.is_empty()
                && wanted.iter().all(|s| done.contains(&s.key));
            if active.is_empty() && ((ended && settled) || step_over) {
                return Ok(());
            }
            tokio::select! {
                Some((section, read, count)) = active.next(), if !active.is_empty() => {
                    streaming.remove(&section.key);
                    seen.insert(section.key.clone(), count);
                    match read? {
                        Read::Whole => {
                            done.insert(section.key.clone());
                        }
                        Read::Gone => {
                            let count = seen.entry(section.key.clone()).or_default();
                            self.read_blob(&section, count, lines).await?;
                            done.insert(section.key.clone());
                        }
                        // Broke off: the next graph read streams it again, or reads its blob
                        // once it has ended; the lines already sent are not sent again.
                        Read::Partial => {}
                    }
                    if lines.is_closed() {
                        return Ok(());
                    }
                }
                () = tokio::time::sleep(FOLLOW_POLL) => {}
            }
        }
    }

    /// Reads a finished section's blob, asking again for an empty one right after its end.
    async fn read_blob(
        &self,
        section: &Section,
        seen: &mut usize,
        lines: &mpsc::UnboundedSender<LogLine>,
    ) -> Result<Read> {
        let mut attempt = 0;
        loop {
            let call = self.call(Method::GET, self.log_url("blob", &section.key));
            let request = self.http.build(&call, Some(&self.api_key))?;
            let (read, server_now) = match self.http.open_stream(request).await? {
                Ok(response) => {
                    let server_now = server_time(response.headers());
                    let mut position = 0;
                    let mut reader = LineReader::default();
                    let mut response = response;
                    let mut buf = Vec::new();
                    while tokio::time::timeout(
                        BLOB_IDLE,
                        self.http.next_chunk(&mut response, &mut buf),
                    )
                    .await
                    .map_err(|_| BackendError::Timeout(BLOB_IDLE))??
                    {
                        for raw in reader.push(&std::mem::take(&mut buf)) {
                            self.deliver(section, &raw, &mut position, seen, lines);
                        }
                    }
                    if let Some(raw) = reader.finish() {
                        self.deliver(section, &raw, &mut position, seen, lines);
                    }
                    (position, server_now)
                }
                // Not there (yet): like an empty blob.
                Err(response) if response.status.as_u16() == 404 => {
                    (0, server_time(&response.headers))
                }
                Err(response) => return Err(log_error(&response)),
            };
            let recent = section.ended.is_none_or(|end| {
                let ago = server_now.as_millisecond().saturating_sub(end);
                ago < i64::try_from(RECENT.as_millis()).unwrap_or(i64::MAX)
            });
            if read > 0 || attempt >= EMPTY_BLOB_RETRIES || !recent {
                return Ok(Read::Whole);
            }
            attempt += 1;
            tracing::debug!(backend = %self.name, attempt, "empty log blob right after the step ended; asking again");
            tokio::time::sleep(EMPTY_BLOB_PAUSE).await;
        }
    }

    /// Reads a running section's stream: to its end marker with `follow`, else until quiet.
    async fn read_stream(
        &self,
        section: &Section,
        follow: bool,
        seen: &mut usize,
        lines: &mpsc::UnboundedSender<LogLine>,
    ) -> Result<Read> {
        let call = self
            .call(Method::GET, self.log_url("stream", &section.key))
            .header(ACCEPT, "text/event-stream");
        let request = self.http.build(&call, Some(&self.api_key))?;
        let mut response = match self.http.open_stream(request).await? {
            Ok(response) => response,
            Err(response) if response.status.as_u16() == 404 => return Ok(Read::Gone),
            Err(response) => return Err(log_error(&response)),
        };
        let mut events = Events::default();
        let mut position = 0;
        let mut buf = Vec::new();
        let limit = if follow { STREAM_IDLE } else { QUIET };
        // Without follow, comments do not count as news: only lines do.
        let mut quiet_since = tokio::time::Instant::now();
        loop {
            let wait = if follow {
                limit
            } else {
                limit.saturating_sub(quiet_since.elapsed())
            };
            let more =
                match tokio::time::timeout(wait, self.http.next_chunk(&mut response, &mut buf))
                    .await
                {
                    Err(_) => return Ok(Read::Partial),
                    Ok(more) => more?,
                };
            if !more {
                // Closed without the end marker: whatever comes next is read again.
                return Ok(Read::Partial);
            }
            for event in events.push(&std::mem::take(&mut buf)) {
                match event {
                    Event::Line(raw) => {
                        if self.deliver(section, &raw, &mut position, seen, lines) > 0 {
                            quiet_since = tokio::time::Instant::now();
                        }
                        if lines.is_closed() {
                            return Ok(Read::Partial);
                        }
                    }
                    Event::End => return Ok(Read::Whole),
                    Event::Error(message) => {
                        return Err(BackendError::Server {
                            status: 200,
                            message: format!(
                                "the log stream failed: {}",
                                truncate(&message, MAX_SERVER_TEXT)
                            ),
                        });
                    }
                }
            }
        }
    }

    /// Sends the lines of one service line, unless an earlier read of the same key sent it
    /// (`seen` counts the service lines of the key sent so far); how many new service lines
    /// it was (0 or 1). `position` counts the service lines of this read: every read (a
    /// stream opened again, the blob after a stream) starts from the first line.
    fn deliver(
        &self,
        section: &Section,
        raw: &str,
        position: &mut usize,
        seen: &mut usize,
        lines: &mpsc::UnboundedSender<LogLine>,
    ) -> usize {
        if raw.trim().is_empty() {
            return 0;
        }
        *position += 1;
        if *position <= *seen {
            return 0;
        }
        *seen = *position;
        let text = self.http.redactor().text(raw.to_owned());
        for line in parse_line(&text, &section.source) {
            if lines.send(line).is_err() {
                break;
            }
        }
        1
    }
}

/// The server's clock from `Date`, else this machine's.
fn server_time(headers: &reqwest::header::HeaderMap) -> Timestamp {
    headers
        .get(DATE)
        .and_then(|v| v.to_str().ok())
        .and_then(http::parse_http_date)
        .unwrap_or_else(Timestamp::now)
}

/// A log-service error: `{"error_msg": "…"}` with the HTTP status.
fn log_error(response: &http::Response) -> BackendError {
    #[derive(Deserialize)]
    struct Body {
        error_msg: Option<String>,
    }
    let message = serde_json::from_slice::<Body>(&response.body)
        .ok()
        .and_then(|b| b.error_msg)
        .map(|m| truncate(&m, MAX_SERVER_TEXT));
    let Some(message) = message else {
        return http::status_error(response);
    };
    let text = format!("log service: {message}");
    match response.status.as_u16() {
        401 => BackendError::Unauthenticated(text),
        403 => BackendError::NotAuthorized(text),
        404 => BackendError::NotFound(text),
        429 => BackendError::RateLimited {
            retry_after: response.retry_after(),
        },
        status @ 500..=599 => BackendError::Server {
            status,
            message: text,
        },
        _ => BackendError::BadRequest(text),
    }
}

/// Splits bytes into complete lines, keeping a partial last line for the next chunk.
#[derive(Debug, Default)]
struct LineReader {
    pending: Vec<u8>,
    /// The line being read is past [`MAX_LINE`]: its rest is dropped up to the next break.
    skipping: bool,
}

impl LineReader {
    fn push(&mut self, chunk: &[u8]) -> Vec<String> {
        let mut out = Vec::new();
        for b in chunk {
            if *b == b'\n' {
                if !self.skipping {
                    out.push(String::from_utf8_lossy(&self.pending).into_owned());
                }
                self.pending.clear();
                self.skipping = false;
            } else if self.pending.len() < MAX_LINE {
                self.pending.push(*b);
            } else if !self.skipping {
                // Cut: what was read is kept, the rest of the line is not.
                out.push(String::from_utf8_lossy(&self.pending).into_owned());
                self.pending.clear();
                self.skipping = true;
            }
        }
        out
    }

    fn finish(&mut self) -> Option<String> {
        let last = std::mem::take(&mut self.pending);
        (!last.is_empty() && !self.skipping).then(|| String::from_utf8_lossy(&last).into_owned())
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Event {
    /// A `data:` payload: one JSON log line.
    Line(String),
    /// `event: error` / `data: eof`.
    End,
    /// `event: error` with anything else.
    Error(String),
}

/// Server-Sent Events, as far as the log stream uses them.
#[derive(Debug, Default)]
struct Events {
    lines: LineReader,
    event: Option<String>,
}

impl Events {
    fn push(&mut self, chunk: &[u8]) -> Vec<Event> {
        let mut out = Vec::new();
        for line in self.lines.push(chunk) {
            let line = line.strip_suffix('\r').unwrap_or(&line);
            if line.is_empty() {
                self.event = None;
                continue;
            }
            if line.starts_with(':') {
                continue;
            }
            let (field, value) = line.split_once(':').unwrap_or((line, ""));
            let value = value.strip_prefix(' ').unwrap_or(value);
            match field {
                "event" => self.event = Some(value.to_owned()),
                "data" if self.event.as_deref() == Some("error") => {
                    out.push(if value.trim() == "eof" {
                        Event::End
                    } else {
                        Event::Error(value.to_owned())
                    });
                }
                "data" => out.push(Event::Line(value.to_owned())),
                _ => {}
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(json: &str) -> GraphNode {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn the_ui_fixtures_line_is_read_with_level_and_time_and_without_its_colour() {
        let raw = r#"{"level":"INFO","pos":0,"out":"\u001b[1;93m\u001b[40mRelease Name: [event-gen-smoke-test]\u001b[0m","time":"2022-01-27T20:51:00.079Z","args":null}"#;
        let lines = parse_line(raw, "Rollout");
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].text, "Release Name: [event-gen-smoke-test]");
        assert_eq!(lines[0].level.as_deref(), Some("INFO"));
        assert_eq!(
            lines[0].time,
            Some("2022-01-27T20:51:00.079Z".parse().unwrap())
        );
        // Several lines in one `out`; a line that is not JSON is its own text.
        let two = parse_line(r#"{"level":"warn","out":"a\nb\u0007\n"}"#, "s");
        assert_eq!(
            two.iter().map(|l| l.text.as_str()).collect::<Vec<_>>(),
            ["a", "b\u{fffd}"]
        );
        assert_eq!(two[0].level.as_deref(), Some("WARN"));
        assert_eq!(
            parse_line("plain \u{1b}]0;x\u{7}text", "s")[0].text,
            "plain text"
        );
        assert!(parse_line("  \r\n", "s").is_empty());
    }

    #[test]
    fn sections_come_from_log_keys_and_units_else_from_the_base_key() {
        let units = node(
            r#"{"name":"Rollout","identifier":"rollout","status":"Running",
                "executableResponses":[{"taskChain":{"logKeys":["k-commandUnit:Init","k-commandUnit:Apply","k3"],"units":["Init","Apply"]}}],
                "unitProgresses":[{"unitName":"Init","status":"SUCCESS","startTime":"1","endTime":"1700000000000"},
                                  {"unitName":"Apply","status":"RUNNING","startTime":"2","endTime":"0"}],
                "logBaseKey":"k"}"#,
        );
        let s = sections_of(&units);
        assert_eq!(
            s.iter()
                .map(|s| (s.source.as_str(), s.key.as_str(), s.state))
                .collect::<Vec<_>>(),
            [
                ("Rollout · Init", "k-commandUnit:Init", State::Finished),
                ("Rollout · Apply", "k-commandUnit:Apply", State::Running),
                // A key with no unit name: labelled as Harness's CLI does; not started yet.
                ("Rollout · Section 3", "k3", State::NotStarted),
            ]
        );
        assert_eq!(s[0].ended, Some(1_700_000_000_000));
        assert_eq!(s[0].step, ("Rollout".to_owned(), "rollout".to_owned()));

        let ci = node(
            r#"{"name":"Run tests","status":"Success","endTs":5,
                "executableResponses":[{"async":{"callbackIds":[],"logKeys":[],"units":[]}}],
                "logBaseKey":"base"}"#,
        );
        let s = sections_of(&ci);
        assert_eq!(s.len(), 1);
        assert_eq!(
            (s[0].key.as_str(), s[0].state, s[0].ended),
            ("base", State::Finished, Some(5))
        );
        assert!(sections_of(&node(r#"{"name":"x","status":"Success"}"#)).is_empty());
    }

    #[test]
    fn intervention_waiting_reads_the_blob_and_other_waits_stream() {
        let state = |status: &str| node_state(&node(&format!(r#"{{"status":"{status}"}}"#)));
        assert_eq!(state("InterventionWaiting"), State::Finished);
        assert_eq!(state("INTERVENTION_WAITING"), State::Finished);
        assert_eq!(state("ApprovalWaiting"), State::Running);
        assert_eq!(state("AsyncWaiting"), State::Running);
        assert_eq!(state("Queued"), State::NotStarted);
        assert_eq!(state("Failed"), State::Finished);
    }

    #[test]
    fn server_sent_events_end_at_the_eof_error_event() {
        let mut events = Events::default();
        assert_eq!(
            events.push(b": connected\n\ndata: {\"out\":\"a\"}\n\nda"),
            [Event::Line(r#"{"out":"a"}"#.into())]
        );
        assert_eq!(
            events.push(b"ta:{\"out\":\"b\"}\r\n\r\n:\n\n"),
            [Event::Line(r#"{"out":"b"}"#.into())]
        );
        assert_eq!(events.push(b"event: error\ndata: eof\n\n"), [Event::End]);
        assert_eq!(
            events.push(b"event: error\ndata: stream closed\n\n"),
            [Event::Error("stream closed".into())]
        );
        // The event name lasts one event only.
        assert_eq!(events.push(b"data: eof\n\n"), [Event::Line("eof".into())]);
    }

    #[test]
    fn an_endless_line_is_cut_not_buffered() {
        let mut reader = LineReader::default();
        let long = vec![b'x'; MAX_LINE + 10];
        let got = reader.push(&long);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].len(), MAX_LINE);
        assert!(reader.push(b"rest of it\nnext\n") == ["next"]);
        assert_eq!(reader.finish(), None);
    }

    #[test]
    fn log_service_errors_keep_the_services_words() {
        let e = log_error(&http::Response::for_test(
            404,
            r#"{"error_msg":"log not found"}"#,
        ));
        assert!(
            matches!(e, BackendError::NotFound(ref m) if m == "log service: log not found"),
            "{e:?}"
        );
        let e = log_error(&http::Response::for_test(
            401,
            r#"{"error_msg":"unauthorized"}"#,
        ));
        assert!(matches!(e, BackendError::Unauthenticated(_)), "{e:?}");
        let e = log_error(&http::Response::for_test(502, "<html>bad gateway</html>"));
        assert!(
            matches!(e, BackendError::Server { status: 502, .. }),
            "{e:?}"
        );
    }
}
