//! `flightdeck start <backend>/<pipeline> --records FILE`: one execution per record of a
//! JSON Lines or CSV file, checked whole before anything is sent, previewable, sent with
//! bounded concurrency under the backend's rate limit, and resumable through a results file
//! without starting any record twice (README, "Bulk starts").

mod records;
mod results;

use crate::out;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures::{StreamExt, future, stream};
use serde::Serialize;
use tokio::sync::watch;
use tokio::time::Instant;

use super::json::StatusJson;
use super::{Failure, Global, failure, start, target, vars};
use crate::backend::Backend;
use crate::backend::budget::{self, Limiter};
use crate::cli::StartArgs;
use crate::domain::{BackendError, ExecRef, StartForm, StartRequest, Status, VarKind};
use crate::write::Writes;
use records::{Format, Record};
use results::{Line, Outcome};

/// More parallel starts than this only trade rate-limit refusals for speed nobody gets.
const MAX_CONCURRENCY: usize = 32;

/// A record ready to send.
struct Job {
    line: usize,
    key: String,
    request: StartRequest,
}

/// One record in the summary.
#[derive(Debug, Serialize)]
struct RowJson {
    line: usize,
    execution_id: Option<String>,
    /// started, failed, unknown (sent, outcome unknown) or not_sent.
    status: &'static str,
    /// Taken from the results file of an earlier run rather than sent now.
    resumed: bool,
    /// With `--wait`: how the execution ended (absent if it had not when the wait stopped).
    final_status: Option<StatusJson>,
    error: Option<String>,
}

#[derive(Debug, Serialize)]
struct BulkJson {
    backend: String,
    project: String,
    pipeline_id: String,
    records: usize,
    started: usize,
    failed: usize,
    unknown: usize,
    not_sent: usize,
    /// Of the records above, those taken from an earlier run's results file (not sent now).
    resumed: usize,
    /// SIGINT/SIGTERM stopped the run before every record was sent.
    interrupted: bool,
    results: Vec<RowJson>,
}

#[derive(Debug, Serialize)]
struct HeaderJson {
    name: String,
    value: String,
}

#[derive(Debug, Serialize)]
struct PreviewJson {
    line: usize,
    method: String,
    url: String,
    headers: Vec<HeaderJson>,
    body: String,
}

fn outcome_word(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Started => "started",
        Outcome::Failed => "failed",
        // A `sending` line with nothing after it: cut off mid-request.
        Outcome::Unknown | Outcome::Sending => "unknown",
    }
}

/// Whether a failed start may still have started something (see
/// [`BackendError::outcome_unknown`]).
fn classify(err: &BackendError) -> Outcome {
    if err.outcome_unknown() {
        Outcome::Unknown
    } else {
        Outcome::Failed
    }
}

/// The first SIGINT or SIGTERM asks the run to stop dispatching (the value names it); a
/// second one exits at once, leaving in-flight records as `sending` (outcome unknown).
fn listen_for_signals() -> Result<watch::Receiver<Option<&'static str>>, Failure> {
    use tokio::signal::unix::{SignalKind, signal};
    let io = |e: std::io::Error| {
        Failure::new(failure::BACKEND, "io", format!("cannot watch signals: {e}"))
    };
    let mut int = signal(SignalKind::interrupt()).map_err(io)?;
    let mut term = signal(SignalKind::terminate()).map_err(io)?;
    let (tx, rx) = watch::channel(None);
    tokio::spawn(async move {
        let first = tokio::select! {
            _ = int.recv() => "SIGINT",
            _ = term.recv() => "SIGTERM",
        };
        out::note(&format!(
            "{first}: sending no more records; waiting for those in flight (again to quit now)"
        ));
        let _ = tx.send(Some(first));
        tokio::select! {
            _ = int.recv() => std::process::exit(130),
            _ = term.recv() => std::process::exit(143),
        }
    });
    Ok(rx)
}

fn read_records(source: &str) -> Result<(Vec<Record>, Vec<records::Malformed>), Failure> {
    let (path, text) = if source == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| Failure::bad_input(format!("cannot read records from stdin: {e}")))?;
        (None, text)
    } else {
        let path = Path::new(source);
        let text = std::fs::read_to_string(path)
            .map_err(|e| Failure::bad_input(format!("cannot read {source}: {e}")))?;
        (Some(path), text)
    };
    Ok(records::parse(Format::detect(path, &text), &text))
}

/// The variables of one record: constants first, then the record's fields (renamed by
/// `--map`, minus `--exclude`) replacing them. A field that is null or empty is not given.
fn values_of(
    record: &Record,
    constants: &[(String, String)],
    maps: &BTreeMap<String, String>,
    excludes: &[String],
) -> Vec<(String, String)> {
    let mut values = constants.to_vec();
    for (field, value) in &record.fields {
        if excludes.contains(field) {
            continue;
        }
        let Some(value) = value else { continue };
        let name = maps.get(field).unwrap_or(field);
        values.retain(|(n, _)| n != name);
        values.push((name.clone(), value.clone()));
    }
    values
}

/// Everything wrong with one record's values against the start form.
fn problems(form: &StartForm, values: &[(String, String)]) -> Vec<String> {
    let mut out = Vec::new();
    for (name, value) in values {
        match form.variables.iter().find(|v| &v.name == name) {
            None => out.push(format!("unknown variable {name:?}")),
            Some(spec) => {
                if let VarKind::Choice(options) = &spec.kind
                    && !options.is_empty()
                    && !options.contains(value)
                {
                    out.push(format!(
                        "{name} {value:?} is not one of {}",
                        options.join(", ")
                    ));
                }
            }
        }
    }
    for spec in &form.variables {
        if spec.required && spec.default.is_none() && !values.iter().any(|(n, _)| n == &spec.name) {
            out.push(format!("missing required variable {}", spec.name));
        }
    }
    out
}

/// Runs a bulk start of the records read from `source` (the value of `--records`).
pub async fn run(global: &Global, args: StartArgs, source: String) -> Result<(), Failure> {
    let loaded = global.load()?;
    let t = target::Target::parse(&args.target, "pipeline")?;
    let p = target::find(&loaded.backends, &t.backend)?;
    let poll = start::duration("poll", &args.poll)?;
    let timeout = args
        .timeout
        .as_deref()
        .map(|t| start::duration("timeout", t))
        .transpose()?;
    let concurrency = match args.bulk.concurrency {
        Some(n) if (1..=MAX_CONCURRENCY).contains(&n) => n,
        Some(n) => {
            return Err(Failure::bad_input(format!(
                "--concurrency {n}: expected 1 to {MAX_CONCURRENCY}"
            )));
        }
        None => p.limits.concurrency.clamp(1, MAX_CONCURRENCY),
    };
    let given = vars::gather(
        &args.vars,
        args.var_file.as_deref(),
        (source == "-").then_some("--records -"),
    )?;
    let mut constants = given.values;
    let read_through_at = given.from_files.clone();
    for (source, build) in target::pairs("artifact", &args.artifacts)? {
        constants.push((format!("artifact:{source}"), build));
    }
    let maps: BTreeMap<String, String> =
        target::pairs("map", &args.bulk.maps)?.into_iter().collect();
    let (records, malformed) = read_records(&source)?;

    let backend = &p.backend;
    let pipeline = target::pipeline(backend, &t).await?;
    let form = backend
        .start_form(&pipeline.project, &pipeline.id)
        .await
        .map_err(|e| Failure::backend(&t.backend, &e))?;
    let secrets: Vec<String> = form
        .variables
        .iter()
        .filter(|v| v.kind == VarKind::Secret)
        .map(|v| v.name.clone())
        .chain(given.from_files)
        .collect();

    // The whole file is checked before anything is sent: a run never stops half-way on a
    // record that could have been refused up front.
    let total = records.len() + malformed.len();
    let mut bad: Vec<(usize, String)> =
        malformed.into_iter().map(|m| (m.line, m.message)).collect();
    let scope = format!("{}/{}/{}", t.backend, pipeline.project, pipeline.id);
    let mut jobs = Vec::new();
    for record in &records {
        let values = values_of(record, &constants, &maps, &args.bulk.excludes);
        let wrong = problems(&form, &values);
        if !wrong.is_empty() {
            bad.push((record.line, wrong.join("; ")));
            continue;
        }
        jobs.push(Job {
            line: record.line,
            key: results::key(&scope, &values, &secrets),
            request: StartRequest {
                project: pipeline.project.clone(),
                pipeline_id: pipeline.id.clone(),
                values,
                notes: args.notes.clone(),
            },
        });
    }
    if !bad.is_empty() {
        bad.sort();
        let known: Vec<&str> = form.variables.iter().map(|v| v.name.as_str()).collect();
        let list: Vec<String> = bad
            .iter()
            .map(|(l, m)| format!("  line {l}: {m}"))
            .collect();
        return Err(Failure::bad_input(format!(
            "{} of {} records cannot be sent; nothing was sent. {} takes: {}\n{}",
            bad.len(),
            total,
            pipeline.id,
            if known.is_empty() {
                "nothing".to_string()
            } else {
                known.join(", ")
            },
            list.join("\n")
        )));
    }
    if jobs.is_empty() {
        return Err(Failure::bad_input(format!("{source}: no records")));
    }

    if let Some(n) = args.bulk.preview {
        return preview(
            global,
            backend,
            &t.backend,
            &jobs[..n.min(jobs.len())],
            &read_through_at,
        )
        .await;
    }
    let writes = global.writable(&loaded, &t.backend).await?;

    // Resume: what an earlier run with this results file did to each record.
    let previous = match &args.bulk.results {
        Some(path) => results::read(path).map_err(Failure::bad_input)?,
        None => BTreeMap::new(),
    };
    for (line, entry) in &previous {
        match jobs.iter().find(|j| j.line == *line) {
            Some(job) if job.key == entry.key => {}
            _ => {
                return Err(Failure::bad_input(format!(
                    "the results file does not match these records (line {line} changed since it \
                     was written: different file, pipeline, values or --var/--map/--exclude); nothing \
                     was sent"
                )));
            }
        }
    }
    let writer = args
        .bulk
        .results
        .as_deref()
        .map(results::Writer::open)
        .transpose()
        .map_err(Failure::bad_input)?;

    let mut rows: BTreeMap<usize, RowJson> = BTreeMap::new();
    let mut to_send = Vec::new();
    for job in &jobs {
        let prior = previous.get(&job.line);
        let resend = match prior.map(|p| p.status) {
            None | Some(Outcome::Failed) => true,
            Some(Outcome::Unknown | Outcome::Sending) => args.bulk.retry_unknown,
            Some(Outcome::Started) => false,
        };
        if resend {
            to_send.push(job);
        } else if let Some(prior) = prior {
            rows.insert(
                job.line,
                RowJson {
                    line: job.line,
                    execution_id: prior.execution_id.clone(),
                    status: outcome_word(prior.status),
                    resumed: true,
                    final_status: None,
                    error: match prior.status {
                        Outcome::Sending => {
                            Some("cut off before the answer arrived (crash or kill)".into())
                        }
                        _ => prior.error.clone(),
                    },
                },
            );
        }
    }
    let held_back = if args.bulk.test_one && to_send.len() > 1 {
        to_send.split_off(1)
    } else {
        Vec::new()
    };

    let stop = listen_for_signals()?;
    let ctx = Ctx {
        global,
        writes: &writes,
        backend,
        backend_name: &t.backend,
        pipeline_name: &pipeline.name,
        secrets: &secrets,
        writer: writer.as_ref(),
        limiter: {
            let budget = backend.budget();
            budget.limiter().map(|l| (l, budget.per_start))
        },
        halt: AtomicBool::new(false),
        stop: stop.clone(),
    };
    if !to_send.is_empty() {
        out::note(&format!(
            "starting {} execution(s) of {}/{}/{}, {concurrency} at a time",
            to_send.len(),
            t.backend,
            pipeline.project,
            pipeline.id
        ));
    }
    let done: Vec<RowJson> = stream::iter(to_send.iter())
        .take_while(|_| future::ready(!ctx.stopping()))
        .map(|job| ctx.send(job))
        .buffer_unordered(concurrency)
        .collect()
        .await;
    for row in done {
        rows.insert(row.line, row);
    }
    for job in to_send.iter().chain(&held_back) {
        rows.entry(job.line).or_insert_with(|| RowJson {
            line: job.line,
            execution_id: None,
            status: "not_sent",
            resumed: false,
            final_status: None,
            error: None,
        });
    }
    if args.bulk.test_one && !to_send.is_empty() {
        out::note(&format!(
            "caution: --test-one started a REAL execution of {}/{}/{} (the first \
             record); the other {} were not sent",
            t.backend,
            pipeline.project,
            pipeline.id,
            held_back.len()
        ));
    }

    let mut wait_timed_out = false;
    if args.wait && !ctx.stopping() {
        wait_timed_out = follow(
            &ctx,
            &pipeline.project,
            &mut rows,
            poll,
            timeout,
            concurrency,
        )
        .await;
    }

    let signal = *stop.borrow();
    let halted = ctx.halt.load(Ordering::SeqCst);
    let rows: Vec<RowJson> = rows.into_values().collect();
    let count = |s: &str| rows.iter().filter(|r| r.status == s).count();
    let summary = BulkJson {
        backend: t.backend.clone(),
        project: pipeline.project.clone(),
        pipeline_id: pipeline.id.clone(),
        records: rows.len(),
        started: count("started"),
        failed: count("failed"),
        unknown: count("unknown"),
        not_sent: count("not_sent"),
        resumed: rows.iter().filter(|r| r.resumed).count(),
        interrupted: signal.is_some() || halted,
        results: rows,
    };
    global.print(&summary, || table(&summary, args.wait));
    out::note(&summary_line(&summary));
    exit_status(&summary, signal, halted, args.wait, wait_timed_out)
}

/// The run in one line; what an earlier run did (read back from `--results`) is told apart
/// from what this one sent.
fn summary_line(s: &BulkJson) -> String {
    let now = |status: &str| {
        s.results
            .iter()
            .filter(|r| r.status == status && !r.resumed)
            .count()
    };
    let mut line = format!(
        "{} records: {} started, {} failed, {} unknown, {} not sent",
        s.records,
        now("started"),
        now("failed"),
        now("unknown"),
        s.not_sent
    );
    if s.resumed > 0 {
        line.push_str(&format!(
            "; {} skipped, as an earlier run (--results) started them or may have",
            s.resumed
        ));
    }
    line
}

/// The exit code, most urgent first: interrupted, a start that failed or may have, the wait
/// timing out, an execution ending badly.
fn exit_status(
    summary: &BulkJson,
    signal: Option<&'static str>,
    halted: bool,
    wait: bool,
    wait_timed_out: bool,
) -> Result<(), Failure> {
    if let Some(signal) = signal {
        let code = if signal == "SIGTERM" { 143 } else { 130 };
        return Err(Failure::new(
            code,
            "interrupted",
            format!(
                "{signal}: stopped with {} record(s) not sent (with --results, running again \
                 sends only those)",
                summary.not_sent
            ),
        ));
    }
    if halted {
        return Err(Failure::new(
            failure::BACKEND,
            "backend",
            "stopped: the results file could not be written; the records not sent are listed",
        ));
    }
    if summary.failed + summary.unknown > 0 {
        let unknown = if summary.unknown > 0 {
            format!(
                "; {} may have started (timeout, network or server error): check them in the \
                 backend, then run again with --retry-unknown to send those that did not",
                summary.unknown
            )
        } else {
            String::new()
        };
        return Err(Failure::new(
            failure::BACKEND,
            "backend",
            format!(
                "{} start(s) failed{unknown}",
                summary.failed + summary.unknown
            ),
        ));
    }
    if wait_timed_out {
        return Err(Failure::new(
            failure::TIMEOUT,
            "timeout",
            "gave up waiting; some executions had not finished",
        ));
    }
    if wait {
        let bad = summary
            .results
            .iter()
            .filter(|r| {
                r.final_status
                    .as_ref()
                    .is_some_and(|s| s.status != "success")
            })
            .count();
        if bad > 0 {
            return Err(Failure::new(
                failure::UNSUCCESSFUL,
                "unsuccessful",
                format!("{bad} execution(s) finished unsuccessfully"),
            ));
        }
    }
    Ok(())
}

fn table(summary: &BulkJson, wait: bool) -> String {
    let mut headers = vec!["LINE", "EXECUTION", "STATUS"];
    if wait {
        headers.push("FINAL");
    }
    headers.push("ERROR");
    let rows: Vec<Vec<String>> = summary
        .results
        .iter()
        .map(|r| {
            let mut row = vec![
                r.line.to_string(),
                r.execution_id.clone().unwrap_or_else(|| "-".into()),
                format!(
                    "{}{}",
                    r.status,
                    if r.resumed { " (earlier run)" } else { "" }
                ),
            ];
            if wait {
                row.push(
                    r.final_status
                        .as_ref()
                        .map_or("-".into(), |s| s.status.replace('_', " ")),
                );
            }
            row.push(r.error.clone().unwrap_or_default());
            row
        })
        .collect();
    super::table::render(&headers, &rows)
}

async fn preview(
    global: &Global,
    backend: &Arc<dyn Backend>,
    name: &str,
    jobs: &[Job],
    hidden: &[String],
) -> Result<(), Failure> {
    let mut out = Vec::new();
    for job in jobs {
        // A value read through `--var name=@FILE` or `@-` is never printed: the request is
        // drawn with it masked.
        let mut request = job.request.clone();
        for (name, value) in &mut request.values {
            if hidden.contains(name) {
                *value = "***".into();
            }
        }
        let p = backend
            .start_preview(&request)
            .await
            .map_err(|e| Failure::backend(name, &e))?;
        out.push(PreviewJson {
            line: job.line,
            method: p.method,
            url: p.url,
            headers: p
                .headers
                .into_iter()
                .map(|(name, value)| HeaderJson { name, value })
                .collect(),
            body: p.body,
        });
    }
    global.print(&out, || {
        // Cleaned line by line: the body's own line breaks are what makes it readable.
        let mut lines = Vec::new();
        for p in &out {
            lines.push(format!("# record on line {}", p.line));
            lines.push(format!("{} {}", p.method, p.url));
            lines.extend(p.headers.iter().map(|h| format!("{}: {}", h.name, h.value)));
            lines.push(String::new());
            lines.extend(p.body.lines().map(str::to_string));
            lines.push(String::new());
        }
        lines
            .iter()
            .map(|l| crate::sanitize::clean(l).into_owned() + "\n")
            .collect()
    });
    out::note("preview only: nothing was sent");
    Ok(())
}

/// What the concurrent sends of one run share.
struct Ctx<'a> {
    global: &'a Global,
    writes: &'a Writes,
    backend: &'a Arc<dyn Backend>,
    backend_name: &'a str,
    pipeline_name: &'a str,
    secrets: &'a [String],
    writer: Option<&'a results::Writer>,
    /// The backend's limiter and the cost of one start in it.
    limiter: Option<(Limiter, usize)>,
    /// The results file failed: sending more would start records nothing remembers.
    halt: AtomicBool,
    stop: watch::Receiver<Option<&'static str>>,
}

impl Ctx<'_> {
    fn stopping(&self) -> bool {
        self.stop.borrow().is_some() || self.halt.load(Ordering::SeqCst)
    }

    fn record(
        &self,
        job: &Job,
        status: Outcome,
        execution_id: Option<String>,
        error: Option<String>,
    ) -> Result<(), String> {
        let Some(writer) = self.writer else {
            return Ok(());
        };
        writer
            .write(&Line {
                line: job.line,
                key: job.key.clone(),
                status,
                execution_id,
                error,
            })
            .inspect_err(|e| {
                out::note(&e.to_string());
                self.halt.store(true, Ordering::SeqCst);
            })
    }

    /// Sends one record's start, retrying it as [`budget::start_retry_delay`] allows (only
    /// a 429: nothing was started then), and records the outcome.
    async fn send(&self, job: &Job) -> RowJson {
        let row = |status, execution_id, error| RowJson {
            line: job.line,
            execution_id,
            status,
            resumed: false,
            final_status: None,
            error,
        };
        // Written ahead, so a crash during the request leaves "outcome unknown", never
        // "not sent".
        if let Err(e) = self.record(job, Outcome::Sending, None, None) {
            return row("not_sent", None, Some(e));
        }
        let mut stop = self.stop.clone();
        let mut attempt = 0;
        let (outcome, id, error) = loop {
            if let Some((limiter, cost)) = &self.limiter {
                limiter.acquire(*cost).await;
            }
            let (result, request_id) =
                crate::backend::identity::capture_request_id(self.backend.start(&job.request))
                    .await;
            self.global.audit(&self.writes.start_entry(
                self.backend_name,
                self.pipeline_name,
                &job.request,
                self.secrets,
                &result,
                request_id,
                jiff::Timestamp::now(),
            ));
            match result {
                Ok(started) => break (Outcome::Started, Some(started.execution_id), None),
                Err(e) => {
                    let Some(delay) = budget::start_retry_delay(&e, attempt) else {
                        break (classify(&e), None, Some(e.to_string()));
                    };
                    out::note(&format!(
                        "line {}: rate limited; trying again in {:.1}s",
                        job.line,
                        delay.as_secs_f64()
                    ));
                    attempt += 1;
                    tokio::select! {
                        () = tokio::time::sleep(delay) => {}
                        _ = stop.wait_for(Option::is_some) => break (
                            Outcome::Failed,
                            None,
                            Some("rate limited, then interrupted: not started".to_string()),
                        ),
                    }
                }
            }
        };
        let status = outcome_word(outcome);
        match self.record(job, outcome, id.clone(), error.clone()) {
            Ok(()) => row(status, id, error),
            // The outcome is still known here: report it even though the file lost it.
            Err(e) => row(
                status,
                id,
                Some(error.map_or(e.clone(), |err| format!("{err}; {e}"))),
            ),
        }
    }
}

/// Polls every started execution until all have finished, the timeout passes or a signal
/// arrives. Returns whether the timeout stopped it.
async fn follow(
    ctx: &Ctx<'_>,
    project: &str,
    rows: &mut BTreeMap<usize, RowJson>,
    poll: Duration,
    timeout: Option<Duration>,
    concurrency: usize,
) -> bool {
    let begun = Instant::now();
    let mut stop = ctx.stop.clone();
    loop {
        let pending: Vec<(usize, ExecRef)> = rows
            .values()
            .filter(|r| r.final_status.is_none() && r.error.is_none())
            .filter_map(|r| {
                r.execution_id.as_ref().map(|id| {
                    (
                        r.line,
                        ExecRef {
                            project: project.to_string(),
                            id: id.clone(),
                        },
                    )
                })
            })
            .collect();
        if pending.is_empty() {
            return false;
        }
        let reads: Vec<(usize, crate::backend::Result<Status>)> = stream::iter(pending)
            .map(|(line, exec)| async move {
                // Polls are one read each; they share the budget with the starts.
                if let Some((limiter, _)) = &ctx.limiter {
                    limiter.acquire(1).await;
                }
                let status = ctx
                    .backend
                    .execution(&exec)
                    .await
                    .map(|d| d.execution.status);
                (line, status)
            })
            .buffer_unordered(concurrency)
            .collect()
            .await;
        for (line, read) in reads {
            let Some(row) = rows.get_mut(&line) else {
                continue;
            };
            match read {
                Ok(status) if status.status.is_terminal() => {
                    out::note(&format!(
                        "line {line}: {} finished: {}",
                        crate::sanitize::clean(row.execution_id.as_deref().unwrap_or_default()),
                        status.said()
                    ));
                    row.final_status = Some(StatusJson::from(&status));
                }
                Ok(_) => {}
                // Reads may fail for a while; keep following.
                Err(e) if e.is_transient() => {}
                Err(e) => row.error = Some(format!("following it: {e}")),
            }
        }
        if timeout.is_some_and(|limit| begun.elapsed() >= limit) {
            return true;
        }
        tokio::select! {
            () = tokio::time::sleep(poll) => {}
            _ = stop.wait_for(Option::is_some) => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::VariableSpec;

    fn spec(name: &str, kind: VarKind, required: bool) -> VariableSpec {
        VariableSpec {
            name: name.into(),
            kind,
            required,
            default: None,
            description: None,
        }
    }

    #[test]
    fn record_values_replace_constants_after_map_and_exclude() {
        let record = Record {
            line: 2,
            fields: vec![
                ("svc".into(), Some("cart".into())),
                ("region".into(), Some("eu".into())),
                ("build".into(), None),
                ("owner".into(), Some("x".into())),
            ],
        };
        let maps = BTreeMap::from([("svc".to_string(), "service".to_string())]);
        let values = values_of(
            &record,
            &[("region".into(), "us".into()), ("build".into(), "7".into())],
            &maps,
            &["owner".to_string()],
        );
        assert_eq!(
            values,
            vec![
                ("build".to_string(), "7".to_string()),
                ("service".to_string(), "cart".to_string()),
                ("region".to_string(), "eu".to_string()),
            ]
        );
    }

    #[test]
    fn problems_lists_every_fault_of_a_record() {
        let form = StartForm {
            variables: vec![
                spec(
                    "env",
                    VarKind::Choice(vec!["dev".into(), "prod".into()]),
                    false,
                ),
                spec("tag", VarKind::Text, true),
            ],
        };
        let found = problems(
            &form,
            &[("env".into(), "qa".into()), ("x".into(), "1".into())],
        );
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(problems(&form, &[("tag".into(), "1".into())]).is_empty());
    }

    #[test]
    fn only_refusals_are_known_not_to_have_started() {
        assert_eq!(
            classify(&BackendError::RateLimited { retry_after: None }),
            Outcome::Failed
        );
        assert_eq!(
            classify(&BackendError::BadRequest("x".into())),
            Outcome::Failed
        );
        assert_eq!(
            classify(&BackendError::Timeout(Duration::from_secs(1))),
            Outcome::Unknown
        );
        assert_eq!(
            classify(&BackendError::Server {
                status: 500,
                message: String::new()
            }),
            Outcome::Unknown
        );
    }
}
