//! The NextGen log service (`control-logs-identity.md` §2.1): `GET /gateway/log-service/blob`
//! for a finished unit and `GET /gateway/log-service/stream` for a running one, both with the
//! `accountID` query parameter (capital ID), the `key` taken from the execution graph, and the
//! API key in `x-api-key` as Harness's own CLI sends it.
//!
//! Keys follow the standard grammar: `accountId:<acc>/orgId:<org>/projectId:<proj>/
//! pipelineId:<pipe>/runSequence:<n>/level0:pipeline/level1:stages/[levelN:parallel…/]
//! levelN:<stage>/…:spec/…:execution/…:steps/…:<step>`, a retried step's level suffixed
//! `_<retryIndex>`, a unit's key `<base>-commandUnit:<unit>`. The graph gives each step node
//! its `logBaseKey`, and steps with command units their `logKeys`/`units` in
//! `executableResponses[0].task|taskChain` and their `unitProgresses`.
//!
//! Each unit prints its lines spread over its share of the run (a failed run ends with its
//! failure as an ERROR line); WARN and ERROR lines come wrapped in ANSI colour as the delegate
//! writes them, and some INFO lines carry tool colours. Blob and stream answer NDJSON lines
//! `{"level","pos","out","time","args"}` as the UI fixture shows them.
//!
//! Where the spec is silent or unconfirmed, the choices made here:
//! - The blob of a unit is empty (200, no body) while it runs and for [`BLOB_DELAY_MS`] of
//!   simulated time after it ends (the upload from the stream), then holds every line.
//! - The stream of a running unit sends the lines printed so far, then each new one, and
//!   ends `event: error` / `data: eof` when the unit ends. The stream of a unit that ended
//!   stays readable (whole, then the end marker) until its blob is written, then answers 404.
//! - Errors are `{"error_msg": …}` (the swagger's shape) with texts chosen here: 400
//!   `no account ID in query params`, 400 `key is required`, 401 `unauthorized` (no key, a
//!   key not of that account, an unknown key), 404 `log not found` (a key no step has).
//! - `pos` is 0 on every line, as in the verbatim example.
//! - Answers carry `Date` in simulated time, so a client can tell how long ago a step ended
//!   by the server's clock.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use serde_json::{Value, json};

use super::Params;
use super::auth::token_account;
use crate::Shared;
use crate::world::{Execution, Ms, Pipeline, RunStatus, StepKind, StepRun, World};

/// How long after a unit ends its blob is still empty.
pub(crate) const BLOB_DELAY_MS: Ms = 3_000;
/// How often a stream looks for new lines.
const STREAM_POLL: Duration = Duration::from_millis(200);
/// A comment line every so often keeps proxies from closing a quiet stream.
const KEEPALIVE: Duration = Duration::from_secs(5);

const WARN_COLOUR: &str = "\u{1b}[1;93m\u{1b}[40m";
const ERROR_COLOUR: &str = "\u{1b}[1;91m\u{1b}[40m";
const RESET: &str = "\u{1b}[0m";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Level {
    Info,
    Warn,
    Error,
}

impl Level {
    fn name(self) -> &'static str {
        match self {
            Level::Info => "INFO",
            Level::Warn => "WARN",
            Level::Error => "ERROR",
        }
    }
}

/// One printed line.
#[derive(Clone, Debug, PartialEq)]
struct Line {
    at: Ms,
    level: Level,
    out: String,
}

impl Line {
    fn json(&self) -> String {
        let time = Timestamp::from_millisecond(self.at)
            .map(|t| t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
            .unwrap_or_default();
        let out = match self.level {
            Level::Info => self.out.clone(),
            Level::Warn => format!("{WARN_COLOUR}{}{RESET}", self.out),
            Level::Error => format!("{ERROR_COLOUR}{}{RESET}", self.out),
        };
        // In the writer's field order (serde_json would sort the keys).
        format!(
            "{{\"level\":\"{}\",\"pos\":0,\"out\":{},\"time\":\"{time}\",\"args\":null}}",
            self.level.name(),
            Value::String(out)
        )
    }
}

/// The command units a step kind reports (none: the step logs under its base key).
fn units(kind: &StepKind) -> &'static [&'static str] {
    match kind {
        StepKind::Script | StepKind::HttpCheck => &["Execute"],
        StepKind::Deploy => &["Initialize", "Prepare", "Apply", "Wait for Steady State"],
        StepKind::Build | StepKind::Test | StepKind::Approval(_) => &[],
    }
}

/// Which `executableResponses` entry carries a kind's log keys.
fn executable(kind: &StepKind) -> &'static str {
    match kind {
        StepKind::Deploy => "taskChain",
        StepKind::Approval(_) | StepKind::Build | StepKind::Test => "async",
        StepKind::Script | StepKind::HttpCheck => "task",
    }
}

/// What each unit prints, in order: (level, text). `{step}`, `{pipeline}`, `{run}` and
/// `{image}` are filled in.
fn script(kind: &StepKind, unit: usize) -> Vec<(Level, &'static str)> {
    use Level::{Info as I, Warn as W};
    match (kind, unit) {
        (StepKind::Build, _) => vec![
            (I, "Executing command: make build"),
            (I, "\u{1b}[1;34m+ git rev-parse --short HEAD\u{1b}[0m"),
            (I, "Step 1/6 : FROM rust:1.83-slim AS build"),
            (I, "Step 2/6 : COPY . /src"),
            (
                I,
                "   \u{1b}[32mCompiling\u{1b}[0m {pipeline} v1.{run}.0 (/src)",
            ),
            (W, "warning: 2 dependencies use a deprecated API"),
            (
                I,
                "    \u{1b}[32mFinished\u{1b}[0m release [optimized] target(s) in 84.2s",
            ),
            (I, "Successfully tagged {image}"),
            (I, "Command completed with exit code 0"),
        ],
        (StepKind::Test, _) => vec![
            (I, "Executing command: make test"),
            (I, "running 214 tests"),
            (I, "test api::health ... \u{1b}[32mok\u{1b}[0m"),
            (I, "test api::orders::create ... \u{1b}[32mok\u{1b}[0m"),
            (W, "test api::orders::slow_path took 12.4s (limit 10s)"),
            (I, "test result: ok. 214 passed; 0 failed; 3 ignored"),
            (I, "Command completed with exit code 0"),
        ],
        (StepKind::Script, _) => vec![
            (I, "Executing command ..."),
            (I, "+ ./scripts/{step}.sh"),
            (I, "checking preconditions for run {run}"),
            (W, "retrying connection to the metrics endpoint (1/3)"),
            (I, "preconditions met"),
            (I, "Command completed with exit code 0"),
        ],
        (StepKind::HttpCheck, _) => vec![
            (
                I,
                "Sending GET request to https://{pipeline}.internal/healthz",
            ),
            (I, "Response code: 200"),
            (I, "Assertion <+httpResponseCode> == 200 passed"),
        ],
        (StepKind::Deploy, 0) => vec![
            (I, "Initializing.."),
            (
                I,
                "\u{1b}[1;93m\u{1b}[40mRelease Name: [{pipeline}-{run}]\u{1b}[0m",
            ),
            (I, "Found kubectl version v1.29.3"),
        ],
        (StepKind::Deploy, 1) => vec![
            (I, "Manifests processed. Found following resources:"),
            (I, "Kind                Name"),
            (I, "Deployment          {pipeline}"),
            (I, "Service             {pipeline}-svc"),
        ],
        (StepKind::Deploy, 2) => vec![
            (
                I,
                "kubectl --kubeconfig=config apply --filename=manifests.yaml --record",
            ),
            (I, "deployment.apps/{pipeline} configured"),
            (I, "service/{pipeline}-svc unchanged"),
        ],
        (StepKind::Deploy, _) => vec![
            (
                I,
                "Status : {pipeline}   Waiting for deployment spec update to be observed...",
            ),
            (
                I,
                "Status : {pipeline}   Waiting for rollout to finish: 1 of 3 updated replicas are available...",
            ),
            (
                W,
                "Status : {pipeline}   pod {pipeline}-7d9f8 is not ready yet",
            ),
            (
                I,
                "Status : {pipeline}   deployment \"{pipeline}\" successfully rolled out",
            ),
            (I, "Done."),
        ],
        (StepKind::Approval(_), _) => Vec::new(),
    }
}

fn fill(text: &str, e: &Execution, step: &str) -> String {
    text.replace("{step}", step)
        .replace("{pipeline}", &e.pipeline)
        .replace("{run}", &e.run_seq.to_string())
        .replace(
            "{image}",
            &format!("registry.internal/{}:{}", e.pipeline, e.run_seq),
        )
}

/// One run of a step: its index, when it started, when it ends (in the future while it
/// runs), whether it has ended, and whether it failed.
#[derive(Clone, Copy, Debug)]
struct Attempt {
    index: u32,
    from: Ms,
    to: Ms,
    ended: bool,
    failed: bool,
}

/// The runs of a step that have started by `now`.
fn attempts(step: &StepRun, kind: &StepKind, now: Ms) -> Vec<Attempt> {
    let Some(start) = step.start_ms else {
        return Vec::new();
    };
    if step.status == RunStatus::Skipped {
        return Vec::new();
    }
    let done = step.status.is_terminal();
    if matches!(kind, StepKind::Approval(_)) {
        // A gate runs until decided, however long that takes.
        return vec![Attempt {
            index: 0,
            from: start,
            to: step.end_ms.unwrap_or(Ms::MAX),
            ended: done,
            failed: step.status.is_bad(),
        }];
    }
    let spans = step.run_spans(start, now);
    let count = spans.len();
    spans
        .into_iter()
        .enumerate()
        .map(|(i, (index, from, to, failed))| Attempt {
            index,
            from,
            to,
            ended: i + 1 < count || done,
            failed,
        })
        .collect()
}

/// Where a stage sits in the plan: the levels from `pipeline` to its `steps` section.
fn stage_levels(p: &Pipeline, e: &Execution, si: usize) -> Vec<String> {
    let mut levels = vec!["pipeline".to_string(), "stages".to_string()];
    for (wi, wave) in p.waves().iter().enumerate() {
        if wave.contains(&si) && wave.len() > 1 {
            levels.push(format!(
                "parallel{}",
                e.wave_ids.get(wi).cloned().unwrap_or_default()
            ));
        }
    }
    if let Some(stage) = p.stages.get(si) {
        levels.push(stage.id.clone());
    }
    levels.extend(["spec", "execution", "steps"].map(str::to_string));
    levels
}

/// The log base key of run `attempt` of step `ti` of stage `si`.
fn base_key(
    account: &str,
    org: &str,
    p: &Pipeline,
    e: &Execution,
    si: usize,
    ti: usize,
    attempt: u32,
) -> String {
    let mut levels = stage_levels(p, e, si);
    let step = p.stages[si].steps[ti].id.clone();
    levels.push(if attempt == 0 {
        step
    } else {
        format!("{step}_{attempt}")
    });
    let mut key = format!(
        "accountId:{account}/orgId:{org}/projectId:{}/pipelineId:{}/runSequence:{}",
        e.project, e.pipeline, e.run_seq
    );
    for (i, level) in levels.iter().enumerate() {
        key.push_str(&format!("/level{i}:{level}"));
    }
    key
}

fn unit_key(base: &str, unit: &str) -> String {
    format!("{base}-commandUnit:{unit}")
}

/// One log stream: a unit of a run, or a run without units.
struct Section {
    key: String,
    started: bool,
    /// When it ended, once it has.
    ended: Option<Ms>,
    lines: Vec<Line>,
}

/// Every section of run `a` of step (`si`, `ti`) as it stands at `now`.
fn sections(
    account: &str,
    org: &str,
    p: &Pipeline,
    e: &Execution,
    (si, ti): (usize, usize),
    a: Attempt,
    now: Ms,
) -> Vec<Section> {
    let def = &p.stages[si].steps[ti];
    let base = base_key(account, org, p, e, si, ti, a.index);
    if let StepKind::Approval(spec) = &def.kind {
        let mut lines = vec![
            Line {
                at: a.from,
                level: Level::Info,
                out: format!("Approval message: {}", spec.message),
            },
            Line {
                at: a.from + 1,
                level: Level::Info,
                out: format!(
                    "Waiting for {} approval(s) from user groups: {}",
                    spec.min_count,
                    spec.user_groups.join(", ")
                ),
            },
        ];
        if a.ended {
            let step = &e.stages[si].steps[ti];
            let (level, word) = match step.status {
                RunStatus::Success => (Level::Info, "Approved"),
                RunStatus::Rejected => (Level::Error, "Rejected"),
                RunStatus::Expired => (Level::Error, "Expired"),
                _ => (Level::Warn, "Ended"),
            };
            lines.push(Line {
                at: a.to,
                level,
                out: format!("{word}: the approval step ended"),
            });
        }
        lines.retain(|l| l.at <= now);
        return vec![Section {
            key: base,
            started: true,
            ended: a.ended.then_some(a.to),
            lines,
        }];
    }
    let names = units(&def.kind);
    let count = names.len().max(1);
    let run = e.stages[si].steps[ti].run_ms().max(1);
    let mut out = Vec::new();
    for u in 0..count {
        let planned_from = a.from + run * u as i64 / count as i64;
        let planned_to = a.from + run * (u as i64 + 1) / count as i64;
        let started = u == 0 || (planned_from <= now && (!a.ended || planned_from < a.to));
        let ended = if !started {
            // A unit the run never reached ends, empty, with the run.
            a.ended.then_some(a.to)
        } else if a.ended && a.to <= planned_to {
            Some(a.to)
        } else if planned_to <= now {
            Some(planned_to)
        } else {
            None
        };
        let texts = script(&def.kind, u);
        let n = texts.len() as i64;
        let mut lines: Vec<Line> = texts
            .iter()
            .enumerate()
            .map(|(i, (level, text))| Line {
                at: planned_from + (planned_to - planned_from) * (i as i64 + 1) / (n + 1),
                level: *level,
                out: fill(text, e, &def.id),
            })
            .collect();
        let cut = ended.unwrap_or(now).min(now);
        lines.retain(|l| l.at <= cut);
        // The failure is the last word of the unit the run failed in.
        if started && a.failed && a.ended && ended == Some(a.to) && a.to <= now {
            lines.push(Line {
                at: a.to,
                level: Level::Error,
                out: def.failure.clone(),
            });
        }
        let key = match names.get(u) {
            Some(unit) => unit_key(&base, unit),
            None => base.clone(),
        };
        out.push(Section {
            key,
            started,
            ended,
            lines,
        });
    }
    out
}

/// What the graph says about a step's logs: `logBaseKey`, and `executableResponses` and
/// `unitProgresses` for the latest run, to merge into the step's node.
pub(crate) struct NodeLogs {
    pub(crate) base_key: String,
    pub(crate) executable: &'static str,
    pub(crate) log_keys: Vec<String>,
    pub(crate) units: Vec<&'static str>,
    pub(crate) progresses: Vec<Value>,
}

pub(crate) fn node_logs(
    now: Ms,
    account: &str,
    org: &str,
    p: &Pipeline,
    e: &Execution,
    (si, ti): (usize, usize),
) -> Option<NodeLogs> {
    let def = p.stages.get(si)?.steps.get(ti)?;
    let step = e.stages.get(si)?.steps.get(ti)?;
    let last = *attempts(step, &def.kind, now).last()?;
    let base = base_key(account, org, p, e, si, ti, last.index);
    let names = units(&def.kind);
    let secs = sections(account, org, p, e, (si, ti), last, now);
    let progresses = if names.is_empty() {
        Vec::new()
    } else {
        names
            .iter()
            .zip(&secs)
            .filter(|(_, s)| s.started)
            .map(|(name, s)| {
                let status = match s.ended {
                    None => "RUNNING",
                    Some(_) if last.failed && s.ended == Some(last.to) => "FAILURE",
                    Some(_) => "SUCCESS",
                };
                // Strings, as the UI fixture shows them (protobuf int64).
                let start = s.lines.first().map_or(last.from, |l| l.at);
                json!({
                    "unitName": name,
                    "status": status,
                    "startTime": start.to_string(),
                    "endTime": s.ended.map_or_else(|| "0".to_string(), |t| t.to_string()),
                })
            })
            .collect()
    };
    Some(NodeLogs {
        log_keys: names.iter().map(|u| unit_key(&base, u)).collect(),
        base_key: base,
        executable: executable(&def.kind),
        units: names.to_vec(),
        progresses,
    })
}

/// The section a key names, as it stands now.
fn find(w: &World, account: &str, org: &str, key: &str) -> Option<Section> {
    let field = |name: &str| {
        key.split('/')
            .find_map(|part| part.strip_prefix(name)?.strip_prefix(':'))
    };
    if field("accountId")? != account || field("orgId")? != org {
        return None;
    }
    let (project, pipeline) = (field("projectId")?, field("pipelineId")?);
    let run: u64 = field("runSequence")?.parse().ok()?;
    let p = w.pipeline(project, pipeline)?;
    let e = w
        .executions_of(project)
        .into_iter()
        .find(|e| e.pipeline == pipeline && e.run_seq == run)?;
    let now = w.now();
    for (si, stage) in p.stages.iter().enumerate() {
        for (ti, def) in stage.steps.iter().enumerate() {
            let Some(step) = e.stages.get(si).and_then(|s| s.steps.get(ti)) else {
                continue;
            };
            for a in attempts(step, &def.kind, now) {
                if let Some(found) = sections(account, org, p, e, (si, ti), a, now)
                    .into_iter()
                    .find(|s| s.key == key)
                {
                    return Some(found);
                }
            }
        }
    }
    None
}

fn error(status: StatusCode, message: &str, now: Ms) -> Response {
    dated(
        (status, axum::Json(json!({"error_msg": message}))).into_response(),
        now,
    )
}

/// Sets `Date` to the simulated time.
fn dated(mut response: Response, now: Ms) -> Response {
    if let Ok(t) = Timestamp::from_millisecond(now)
        && let Ok(v) = HeaderValue::from_str(&t.strftime("%a, %d %b %Y %H:%M:%S GMT").to_string())
    {
        response.headers_mut().insert(header::DATE, v);
    }
    response
}

/// The checks both endpoints make, in order: the key asked for, or the status and message of
/// the error answer.
fn checked(
    s: &Shared,
    headers: &HeaderMap,
    params: &Params,
) -> Result<String, (StatusCode, &'static str)> {
    let Some(account) = params.non_empty("accountID") else {
        return Err((StatusCode::BAD_REQUEST, "no account ID in query params"));
    };
    let key = headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|k| !k.is_empty());
    let auth = &s.harness;
    let known = key.is_some_and(|k| {
        token_account(k) == Some(account)
            && account == auth.account
            && auth.tokens.iter().any(|t| t.value == k)
    });
    if !known {
        return Err((StatusCode::UNAUTHORIZED, "unauthorized"));
    }
    match params.non_empty("key") {
        Some(key) => Ok(key.to_string()),
        None => Err((StatusCode::BAD_REQUEST, "key is required")),
    }
}

/// `GET /gateway/log-service/blob?accountID=&key=`: the unit's lines as NDJSON once its
/// blob is written; empty before.
pub(crate) async fn blob(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    params: Params,
) -> Response {
    let key = match checked(&s, &headers, &params) {
        Ok(key) => key,
        Err((status, message)) => return error(status, message, s.clock.now_ms()),
    };
    let w = s.world();
    let now = w.now();
    let Some(section) = find(&w, &s.harness.account, &s.harness.org, &key) else {
        return error(StatusCode::NOT_FOUND, "log not found", now);
    };
    let written = section.ended.is_some_and(|end| now >= end + BLOB_DELAY_MS);
    let body: String = if written {
        section
            .lines
            .iter()
            .map(|l| format!("{}\n", l.json()))
            .collect()
    } else {
        String::new()
    };
    dated(
        ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response(),
        now,
    )
}

/// `GET /gateway/log-service/stream?accountID=&key=`: Server-Sent Events, one `data:` line
/// per log line, ending `event: error` / `data: eof`.
pub(crate) async fn stream(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    params: Params,
) -> Response {
    let key = match checked(&s, &headers, &params) {
        Ok(key) => key,
        Err((status, message)) => return error(status, message, s.clock.now_ms()),
    };
    let now = {
        let w = s.world();
        let now = w.now();
        match find(&w, &s.harness.account, &s.harness.org, &key) {
            // Once the blob is written the stream is gone.
            Some(section) if section.ended.is_none_or(|end| now < end + BLOB_DELAY_MS) => now,
            _ => return error(StatusCode::NOT_FOUND, "log not found", now),
        }
    };
    let follow = Follow {
        s,
        key,
        sent: 0,
        pending: vec![Bytes::from_static(b": connected\n\n")].into(),
        poll: tokio::time::interval(STREAM_POLL),
        keepalive: tokio::time::interval_at(tokio::time::Instant::now() + KEEPALIVE, KEEPALIVE),
        done: false,
    };
    let body = futures::stream::unfold(follow, |mut f| async move {
        let chunk = f.next().await?;
        Some((Ok::<_, std::io::Error>(chunk), f))
    });
    dated(
        (
            [
                (header::CONTENT_TYPE, "text/event-stream"),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            Body::from_stream(body),
        )
            .into_response(),
        now,
    )
}

struct Follow {
    s: Arc<Shared>,
    key: String,
    /// Lines already sent.
    sent: usize,
    pending: std::collections::VecDeque<Bytes>,
    poll: tokio::time::Interval,
    keepalive: tokio::time::Interval,
    done: bool,
}

impl Follow {
    fn refresh(&mut self) {
        self.s.sync();
        let w = self.s.world();
        let Some(section) = find(&w, &self.s.harness.account, &self.s.harness.org, &self.key)
        else {
            // The execution went away: nothing more will come.
            self.pending
                .push_back(Bytes::from_static(b"event: error\ndata: eof\n\n"));
            self.done = true;
            return;
        };
        for line in section.lines.iter().skip(self.sent) {
            self.pending
                .push_back(Bytes::from(format!("data: {}\n\n", line.json())));
        }
        self.sent = self.sent.max(section.lines.len());
        if section.ended.is_some() {
            self.pending
                .push_back(Bytes::from_static(b"event: error\ndata: eof\n\n"));
            self.done = true;
        }
    }

    async fn next(&mut self) -> Option<Bytes> {
        loop {
            if let Some(chunk) = self.pending.pop_front() {
                return Some(chunk);
            }
            if self.done {
                return None;
            }
            tokio::select! {
                _ = self.poll.tick() => self.refresh(),
                _ = self.keepalive.tick() => self.pending.push_back(Bytes::from_static(b":\n\n")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_ndjson_with_colour_for_warnings_and_errors() {
        let line = Line {
            at: 1_643_316_660_079,
            level: Level::Warn,
            out: "careful".into(),
        };
        let v: Value = serde_json::from_str(&line.json()).unwrap();
        assert_eq!(v["level"], "WARN");
        assert_eq!(v["pos"], 0);
        assert_eq!(v["time"], "2022-01-27T20:51:00.079Z");
        assert_eq!(v["out"], "\u{1b}[1;93m\u{1b}[40mcareful\u{1b}[0m");
        assert!(v["args"].is_null());
    }
}
