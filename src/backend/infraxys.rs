//! Infraxys backend (spec `infraxys-nexla.md`, part A).
//!
//! # What is a pipeline
//!
//! Infraxys has no API that lists what can be run (spec A.6), so the pipelines are exactly
//! the entries of the config, grouped into three projects by how they are started:
//!
//! | project | config | execute request |
//! |---|---|---|
//! | `workflows` | `[[backend.workflow]]` | `POST /api/v1/environment/{branch}/{environment_id}/workflow/{workflow_id}/execute` |
//! | `actions` | `[[backend.action]]` | `POST /api/v1/instance/{branch}/{instance_id}/files/{filename}/execute` |
//! | `aliases` | `[[backend.alias]]` | `POST /api/v1/actions/start/{alias}` |
//!
//! The pipeline id is the entry's name, which the config keeps unique across the three kinds,
//! so `backend/name` addresses one entry.
//!
//! # Starting
//!
//! The body is `{"asynchronous": <as configured>, "argument": {...}}`; alias calls also carry
//! `timeoutSeconds` (the backend's timeout) and `returnLog` (for synchronous calls), the keys
//! the reference JS client sends to that endpoint. The workflow and instance endpoints get
//! only the documented keys: an unknown key could make a strict JSON reader refuse the call.
//! The start form and the argument are described in `infraxys/argument.rs`.
//!
//! A synchronous call is one HTTP request bounded by the backend's timeout; the service runs
//! it off the UI. Its answer (message, log, or the raw body when the shape is unknown) is kept
//! and shown as the run's single step. An asynchronous call records the run ids returned.
//!
//! # Executions
//!
//! Infraxys has no API that lists or reads runs either, so `list_executions` returns the runs
//! this backend started in this process, newest first, and `execution` reads them from
//! memory. An asynchronous run that returned a run id and action runner ids is followed
//! through the `stream2` progress stream of each runner in turn (`infraxys/stream.rs`): it is
//! `running` meanwhile, its status messages become the run's message and its output the
//! step's log. `logs` gives a run's answer, output and status messages line by line
//! (`infraxys/runlog.rs`). The stream reports no outcome, so a run whose streams ended is `unknown`
//! ("ended"), never guessed succeeded or failed. Without runner ids, or when the stream cannot
//! be read, the run stays `unknown` ("submitted").
//!
//! A run that answered `{"status":"FAILED",...}` inside a 200 ran on the server, so it is
//! listed as failed (its message and log stay readable) *and* `start` returns the failure as
//! an error. A synchronous call that timed out is listed as unknown: the server may still be
//! running it, and the user must not start it again blindly.
//!
//! # Authentication
//!
//! `Authorization: token <PAT>` when a token is configured; none otherwise (Infraxys
//! Developer accepts unauthenticated calls). The token is exposed only into a header value
//! marked sensitive and never appears in errors.

mod argument;
mod response;
mod runlog;
mod stream;

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use jiff::Timestamp;
use reqwest::Method;
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use url::Url;

use crate::backend::control::{Control, ControlOutcome, RunInputs, not_offered, rerun_as_start};
use crate::backend::http::{Call, HttpClient, HttpOptions, Redactor};
use crate::backend::{Backend, Budget, Probe, Result};
use crate::domain::{
    Approval, BackendError, BackendKind, BackendName, Decision, DecisionOutcome, ExecRef,
    ExecStatus, Execution, ExecutionDetail, Pipeline, RequestPreview, Stage, StartForm,
    StartRequest, StartResult, Status, Step,
};

pub use argument::{ARGUMENT_JSON, ArgumentField, ArgumentType};
use response::Answer;

/// The run and runner id `probe` asks the progress stream for: a GUID no run has.
const PROBE_RUN: &str = "00000000-0000-0000-0000-000000000000";

/// What approving or rejecting on Infraxys gets.
pub const NO_GATES: &str = "Infraxys has no approval gates: there is nothing to approve or reject";

/// Runs kept in memory; the oldest are forgotten beyond this.
const MAX_RUNS: usize = 200;

/// The project each kind of entry is listed under.
pub const WORKFLOWS: &str = "workflows";
pub const ACTIONS: &str = "actions";
pub const ALIASES: &str = "aliases";

/// `POST /api/v1/environment/{branch}/{environment_id}/workflow/{workflow_id}/execute`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InfraxysWorkflow {
    pub name: String,
    pub environment_id: String,
    pub workflow_id: String,
    pub asynchronous: bool,
    pub argument_fields: Vec<ArgumentField>,
}

/// `POST /api/v1/instance/{branch}/{instance_id}/files/{filename}/execute`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InfraxysAction {
    pub name: String,
    pub instance_id: String,
    pub filename: String,
    pub asynchronous: bool,
    pub argument_fields: Vec<ArgumentField>,
}

/// `POST /api/v1/actions/start/{alias}`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InfraxysAlias {
    pub name: String,
    pub alias: String,
    pub asynchronous: bool,
    pub argument_fields: Vec<ArgumentField>,
}

/// Configuration of one Infraxys backend.
#[derive(Debug, Clone)]
pub struct InfraxysOptions {
    pub name: BackendName,
    /// The server root, e.g. `https://infraxys.example.com:8444`; `/api/v1/...` is appended.
    pub base_url: Url,
    /// The Git branch of the module holding the workflows and instances.
    pub branch: String,
    /// `None` for an Infraxys Developer edition, which needs no token.
    pub token: Option<SecretString>,
    /// Bounds each request, including a synchronous run.
    pub timeout: Duration,
    pub ca_file: Option<PathBuf>,
    pub insecure_skip_verify: bool,
    pub workflows: Vec<InfraxysWorkflow>,
    pub actions: Vec<InfraxysAction>,
    pub aliases: Vec<InfraxysAlias>,
}

/// An Infraxys client for the configured workflows, actions and aliases.
#[derive(Debug)]
pub struct InfraxysBackend {
    name: BackendName,
    base: Url,
    branch: String,
    token: Option<SecretString>,
    timeout: Duration,
    entries: Vec<Entry>,
    http: HttpClient,
    runs: Arc<Mutex<Runs>>,
}

/// One configured startable thing.
#[derive(Debug, Clone)]
struct Entry {
    name: String,
    target: Target,
    asynchronous: bool,
    fields: Vec<ArgumentField>,
}

#[derive(Debug, Clone)]
enum Target {
    Workflow {
        environment_id: String,
        workflow_id: String,
    },
    Action {
        instance_id: String,
        filename: String,
    },
    Alias {
        alias: String,
    },
}

/// The runs started by this process, newest first.
#[derive(Debug, Default)]
struct Runs {
    list: VecDeque<Run>,
}

impl Runs {
    /// The run `exec` names, while it is kept.
    fn get(&self, exec: &ExecRef) -> Option<&Run> {
        self.list
            .iter()
            .find(|r| r.id == exec.id && r.project == exec.project)
    }
}

#[derive(Debug, Clone)]
struct Run {
    id: String,
    project: &'static str,
    entry: String,
    /// `workflow`, `action` or `alias`: the step type shown in the detail.
    kind: &'static str,
    status: Status,
    started: Timestamp,
    ended: Option<Timestamp>,
    /// One line on the run: the action's message, the failure, or what was submitted.
    message: Option<String>,
    /// The step's text when there is more than the message: the log or the raw body.
    detail: Option<String>,
    /// The values it was started with (Infraxys has no secret inputs): a re-run sends them
    /// again, as the server cannot give them back.
    values: Vec<(String, String)>,
    /// What the server said about it, line by line, for the log view (`infraxys/runlog.rs`).
    log: runlog::RunLog,
}

impl InfraxysBackend {
    pub fn new(options: InfraxysOptions) -> Result<Self> {
        let base = options.base_url;
        crate::backend::http::check_base_url(&base, "https://infraxys.example.com:8444")?;
        if options.branch.trim().is_empty() {
            return Err(BackendError::BadRequest(
                "infraxys branch is empty".to_owned(),
            ));
        }
        if let Some(token) = &options.token
            && (token.expose_secret().trim().is_empty()
                || HeaderValue::from_str(&format!("token {}", token.expose_secret())).is_err())
        {
            // Never echo the token itself: say only what is wrong with it.
            return Err(BackendError::BadRequest(
                "the Infraxys token is empty or contains characters not allowed in an HTTP header"
                    .to_owned(),
            ));
        }
        let entries = entries(options.workflows, options.actions, options.aliases);
        for entry in &entries {
            if entry.fields.iter().any(|f| f.name == ARGUMENT_JSON) {
                return Err(BackendError::BadRequest(format!(
                    "{}: the argument field name {ARGUMENT_JSON} is reserved for the free JSON argument",
                    entry.name
                )));
            }
        }
        let http = HttpClient::new(
            &HttpOptions {
                ca_file: options.ca_file,
                insecure_skip_verify: options.insecure_skip_verify,
                plain_http: base.scheme() == "http",
                ..HttpOptions::new(options.timeout)
            },
            Redactor::of(options.token.as_ref()),
        )?;
        Ok(InfraxysBackend {
            name: options.name,
            base,
            branch: options.branch,
            token: options.token,
            timeout: options.timeout,
            entries,
            http,
            runs: Arc::default(),
        })
    }

    fn entry(&self, project: &str, pipeline_id: &str) -> Result<&Entry> {
        self.entries
            .iter()
            .find(|e| e.project() == project && e.name == pipeline_id)
            .ok_or_else(|| {
                BackendError::NotFound(format!(
                    "no {project} entry named {pipeline_id:?} in the config of {}",
                    self.name
                ))
            })
    }

    /// The execute URL of an entry, with every segment escaped.
    fn url(&self, target: &Target) -> Url {
        let branch = self.branch.as_str();
        let segments: Vec<&str> = match target {
            Target::Workflow {
                environment_id,
                workflow_id,
            } => vec![
                "environment",
                branch,
                environment_id,
                "workflow",
                workflow_id,
                "execute",
            ],
            Target::Action {
                instance_id,
                filename,
            } => vec![
                "instance",
                branch,
                instance_id,
                "files",
                filename,
                "execute",
            ],
            Target::Alias { alias } => vec!["actions", "start", alias],
        };
        let mut url = self.base.clone();
        // Checked in `new`: the base can hold path segments.
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(["api", "v1"]).extend(segments);
        }
        url
    }

    fn body(&self, entry: &Entry, argument: serde_json::Value) -> serde_json::Value {
        match entry.target {
            Target::Alias { .. } => json!({
                "asynchronous": entry.asynchronous,
                "timeoutSeconds": self.timeout.as_secs().max(1),
                "returnLog": !entry.asynchronous,
                "argument": argument,
            }),
            _ => json!({"asynchronous": entry.asynchronous, "argument": argument}),
        }
    }

    /// The execute call [`Backend::start`] sends for `request`; fails on bad input.
    fn start_call(&self, entry: &Entry, request: &StartRequest) -> Result<Call> {
        let argument = argument::build(&entry.fields, &request.values)?;
        let call = Call::new(Method::POST, self.url(&entry.target))
            .json(&self.body(entry, argument))
            .header(ACCEPT, "application/json");
        Ok(authorized(call, self.token.as_ref()))
    }

    /// The exact request [`Backend::start`] would send for `request` (the token as
    /// `token ***`). Pure: nothing is sent. Fails like `start` would on bad input.
    pub fn start_request_preview(&self, request: &StartRequest) -> Result<RequestPreview> {
        let entry = self.entry(&request.project, &request.pipeline_id)?;
        Ok(self.start_call(entry, request)?.preview())
    }

    fn runs(&self) -> MutexGuard<'_, Runs> {
        lock(&self.runs)
    }

    /// Records a run the server has seen (or may have seen) and returns its id.
    fn record(
        &self,
        request: &StartRequest,
        entry: &Entry,
        started: Timestamp,
        status: Status,
        texts: RunTexts,
    ) -> String {
        let mut runs = self.runs();
        let id = run_id(started);
        let ended = status.status.is_terminal().then(Timestamp::now);
        let mut log = runlog::RunLog::default();
        if let Some(message) = &texts.message {
            log.status(message);
        }
        if let Some(detail) = &texts.detail {
            log.output(detail);
            log.flush();
        }
        runs.list.push_front(Run {
            id: id.clone(),
            project: entry.project(),
            entry: entry.name.clone(),
            kind: entry.kind(),
            status,
            started,
            ended,
            message: texts.message,
            detail: texts.detail,
            values: request.values.clone(),
            log,
        });
        runs.list.truncate(MAX_RUNS);
        id
    }

    fn execution_of(&self, run: &Run) -> Execution {
        Execution {
            backend: self.name.clone(),
            project: run.project.to_owned(),
            id: run.id.clone(),
            pipeline_id: run.entry.clone(),
            pipeline_name: run.entry.clone(),
            status: run.status.clone(),
            started: Some(run.started),
            ended: run.ended,
            // Runs are started with the token owner's identity, which the API does not name.
            triggered_by: "flightdeck".to_owned(),
            // A per-process count would repeat across processes; the id names the run.
            run_number: None,
            // The one step is done once the run ended, even when its outcome is unknown.
            stages_done: u32::from(run.ended.is_some()),
            stages_total: 1,
            message: run.message.clone(),
            url: None,
        }
    }
}

/// Infraxys cannot read a run back: only the process that started one knows it.
fn not_started_here(exec: &ExecRef) -> BackendError {
    BackendError::NotFound(format!(
        "run {} was not started by this flightdeck process, and Infraxys has no API to read past runs: \
         only the process that started a run can follow it (the dashboard, or `start --wait`)",
        exec.id
    ))
}

/// A run id no other flightdeck process will also give: the second it started and 32 random
/// bits (`run-20260301T120005-9f3a61c2`). Infraxys has no id of its own for a synchronous
/// call, and an asynchronous run's GUID is kept in its message.
fn run_id(started: Timestamp) -> String {
    format!(
        "run-{}-{:08x}",
        started.strftime("%Y%m%dT%H%M%S"),
        rand::random::<u32>()
    )
}

/// What is shown about a run.
struct RunTexts {
    message: Option<String>,
    detail: Option<String>,
}

impl RunTexts {
    fn of(answer: &Answer, asynchronous: bool) -> RunTexts {
        let mut message = answer.message.clone();
        if asynchronous && let Some((run, runners)) = answer.run_ids.split_first() {
            let mut submitted = format!("submitted as run {run}");
            if !runners.is_empty() {
                submitted.push_str(&format!(" (action runners {})", runners.join(", ")));
            }
            submitted.push_str("; Infraxys reports no outcome for asynchronous runs");
            message = Some(match message {
                Some(m) => format!("{m} — {submitted}"),
                None => submitted,
            });
        }
        let detail = answer
            .log
            .clone()
            .or_else(|| answer.raw.as_ref().map(|raw| format!("response: {raw}")));
        RunTexts { message, detail }
    }
}

impl Entry {
    fn project(&self) -> &'static str {
        match self.target {
            Target::Workflow { .. } => WORKFLOWS,
            Target::Action { .. } => ACTIONS,
            Target::Alias { .. } => ALIASES,
        }
    }

    /// What was addressed, for messages: `workflow 456 in environment 123`.
    fn describe(&self) -> String {
        match &self.target {
            Target::Workflow {
                environment_id,
                workflow_id,
            } => format!("workflow {workflow_id} in environment {environment_id}"),
            Target::Action {
                instance_id,
                filename,
            } => format!("action {filename} of instance {instance_id}"),
            Target::Alias { alias } => format!("action alias {alias}"),
        }
    }

    fn kind(&self) -> &'static str {
        match self.target {
            Target::Workflow { .. } => "workflow",
            Target::Action { .. } => "action",
            Target::Alias { .. } => "alias",
        }
    }
}

fn entries(
    workflows: Vec<InfraxysWorkflow>,
    actions: Vec<InfraxysAction>,
    aliases: Vec<InfraxysAlias>,
) -> Vec<Entry> {
    let workflows = workflows.into_iter().map(|w| Entry {
        name: w.name,
        target: Target::Workflow {
            environment_id: w.environment_id,
            workflow_id: w.workflow_id,
        },
        asynchronous: w.asynchronous,
        fields: w.argument_fields,
    });
    let actions = actions.into_iter().map(|a| Entry {
        name: a.name,
        target: Target::Action {
            instance_id: a.instance_id,
            filename: a.filename,
        },
        asynchronous: a.asynchronous,
        fields: a.argument_fields,
    });
    let aliases = aliases.into_iter().map(|a| Entry {
        name: a.name,
        target: Target::Alias { alias: a.alias },
        asynchronous: a.asynchronous,
        fields: a.argument_fields,
    });
    workflows.chain(actions).chain(aliases).collect()
}

fn lock(runs: &Mutex<Runs>) -> MutexGuard<'_, Runs> {
    // Every change to the list is applied whole, so a poisoned lock still holds good data.
    runs.lock().unwrap_or_else(|e| e.into_inner())
}

/// Adds `Authorization: token <PAT>` when a token is configured; only the sender exposes it
/// (marked sensitive, so request `Debug` output never shows it).
fn authorized(call: Call, token: Option<&SecretString>) -> Call {
    match token {
        Some(_) => call.secret(AUTHORIZATION, "token "),
        None => call,
    }
}

#[async_trait]
impl Backend for InfraxysBackend {
    fn name(&self) -> &BackendName {
        &self.name
    }

    fn pace(&self) -> Option<&std::sync::Arc<super::budget::Pace>> {
        Some(self.http.pace())
    }

    fn kind(&self) -> BackendKind {
        BackendKind::Infraxys
    }

    async fn start_preview(&self, request: &StartRequest) -> Result<RequestPreview> {
        self.start_request_preview(request)
    }

    /// Infraxys documents no request limit; a start is one execute request.
    fn budget(&self) -> Budget {
        Budget::UNLIMITED
    }

    async fn list_pipelines(&self) -> Result<Vec<Pipeline>> {
        let runs = self.runs();
        Ok(self
            .entries
            .iter()
            .map(|entry| {
                let last = runs
                    .list
                    .iter()
                    .find(|r| r.project == entry.project() && r.entry == entry.name);
                let mode = if entry.asynchronous { "async" } else { "sync" };
                Pipeline {
                    backend: self.name.clone(),
                    project: entry.project().to_owned(),
                    id: entry.name.clone(),
                    name: entry.name.clone(),
                    description: format!("{} ({mode}, branch {})", entry.describe(), self.branch),
                    tags: vec![
                        ("kind".to_owned(), entry.kind().to_owned()),
                        ("mode".to_owned(), mode.to_owned()),
                    ],
                    last_status: last.map(|r| r.status.clone()),
                    last_run: last.map(|r| r.started),
                    stages: Some(1),
                }
            })
            .collect())
    }

    async fn start_form(&self, project: &str, pipeline_id: &str) -> Result<StartForm> {
        let entry = self.entry(project, pipeline_id)?;
        Ok(StartForm {
            variables: argument::variables(&entry.fields),
        })
    }

    async fn start(&self, request: &StartRequest) -> Result<StartResult> {
        let entry = self.entry(&request.project, &request.pipeline_id)?;
        // Bad input fails here, before anything is sent.
        let call = self.start_call(entry, request)?;
        let started = Timestamp::now();
        let response = match self.http.send_call(&call, self.token.as_ref()).await {
            Ok(response) => response,
            Err(BackendError::Timeout(limit)) if !entry.asynchronous => {
                let message = format!(
                    "no answer within {}s; the run may still be going on the server",
                    limit.as_secs()
                );
                self.record(
                    request,
                    entry,
                    started,
                    Status::new(ExecStatus::Unknown, "no answer"),
                    RunTexts {
                        message: Some(message),
                        detail: None,
                    },
                );
                return Err(BackendError::Timeout(limit));
            }
            Err(e) => return Err(e),
        };
        if !response.is_success() {
            return Err(response::map_error(
                &response,
                &entry.describe(),
                self.token.is_some(),
            ));
        }
        let answer = Answer::parse(&response.body);
        let failure = answer.failure();
        // A run id plus runner ids is what the progress stream is addressed by.
        let follow = match answer.run_ids.split_first() {
            Some((run, runners))
                if entry.asynchronous && failure.is_none() && !runners.is_empty() =>
            {
                Some((run.clone(), runners.to_vec()))
            }
            _ => None,
        };
        let status = match follow {
            Some(_) => Status::new(ExecStatus::Running, "running"),
            None => answer.run_status(entry.asynchronous),
        };
        let id = self.record(
            request,
            entry,
            started,
            status.clone(),
            RunTexts::of(&answer, entry.asynchronous),
        );
        if let Some((run, runners)) = follow {
            // Open before the follower starts, so a log read at once waits for its lines.
            if let Some(r) = self.runs().list.iter_mut().find(|r| r.id == id) {
                r.log.open = true;
            }
            let follower = stream::Follower {
                http: self.http.clone(),
                base: self.base.clone(),
                token: self.token.clone(),
                runs: Arc::downgrade(&self.runs),
                id: id.clone(),
                run,
                runners,
            };
            tokio::spawn(follower.follow_all());
        }
        match failure {
            Some(error) => Err(error),
            None => Ok(StartResult {
                execution_id: id,
                status,
            }),
        }
    }

    async fn list_executions(&self) -> Result<Vec<Execution>> {
        let runs = self.runs();
        Ok(runs.list.iter().map(|r| self.execution_of(r)).collect())
    }

    async fn execution(&self, exec: &ExecRef) -> Result<ExecutionDetail> {
        let runs = self.runs();
        let run = runs.get(exec).ok_or_else(|| not_started_here(exec))?;
        Ok(ExecutionDetail {
            execution: self.execution_of(run),
            stages: vec![Stage {
                name: "execute".to_owned(),
                status: run.status.clone(),
                started: Some(run.started),
                ended: run.ended,
                steps: vec![Step {
                    name: run.entry.clone(),
                    kind: run.kind.to_owned(),
                    status: run.status.clone(),
                    started: Some(run.started),
                    ended: run.ended,
                    message: run.detail.clone().or_else(|| run.message.clone()),
                }],
            }],
            approvals: Vec::new(),
            rejection: None,
        })
    }

    async fn run_inputs(&self, exec: &ExecRef) -> Result<RunInputs> {
        let runs = self.runs();
        let run = runs.get(exec).ok_or_else(|| not_started_here(exec))?;
        Ok(RunInputs {
            project: run.project.to_owned(),
            pipeline_id: run.entry.clone(),
            values: run.values.clone(),
            source: "as this flightdeck sent them (Infraxys cannot read a run back)",
            status: run.status.status,
        })
    }

    /// Infraxys has no control endpoint; a re-run is the same start again.
    async fn control(&self, exec: &ExecRef, action: &Control) -> Result<ControlOutcome> {
        if *action != Control::Rerun {
            return Err(BackendError::Unsupported(not_offered(self.kind(), action)));
        }
        let inputs = self.run_inputs(exec).await?;
        rerun_as_start(self, exec, inputs).await
    }

    /// Infraxys has no read API, so nothing lists the configured entries back. What can be
    /// checked without starting anything: the progress stream of a run that does not exist
    /// must answer 404 (server reached, token not refused), not 401/403 or a network error.
    async fn probe(&self) -> Result<Probe> {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty()
                .extend(["api", "v1", "actions", "stream2", PROBE_RUN, PROBE_RUN]);
        }
        let call = authorized(Call::new(Method::GET, url), self.token.as_ref());
        let response = self.http.send_call(&call, self.token.as_ref()).await?;
        if response.is_success() || response.status.as_u16() == 404 {
            let token = if self.token.is_some() {
                "the token was not refused"
            } else {
                "no token is configured"
            };
            Ok(Probe {
                pipelines: self.entries.len(),
                checked: format!(
                    "reached the server ({token}: GET of a run that does not exist answered {}); \
                     Infraxys cannot list entries, so the configured ids are not checked",
                    response.status.as_u16()
                ),
            })
        } else {
            Err(response::map_error(
                &response,
                "the progress stream",
                self.token.is_some(),
            ))
        }
    }

    async fn waiting_approvals(&self) -> Result<Vec<Approval>> {
        Ok(Vec::new())
    }

    /// The run's answer and, for an asynchronous run, its progress stream's output and status
    /// messages as they came (`infraxys/runlog.rs`).
    async fn logs(
        &self,
        exec: &ExecRef,
        step: Option<&str>,
        follow: bool,
        lines: &tokio::sync::mpsc::UnboundedSender<crate::domain::LogLine>,
    ) -> Result<()> {
        runlog::stream(&self.runs, exec, step, follow, lines, || {
            not_started_here(exec)
        })
        .await
    }

    async fn decide(&self, _approval: &Approval, _decision: &Decision) -> Result<DecisionOutcome> {
        Err(BackendError::Unsupported(NO_GATES.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::ArgumentType;
    use super::*;

    fn backend(base: &str) -> InfraxysBackend {
        InfraxysBackend::new(InfraxysOptions {
            name: "ix".into(),
            base_url: Url::parse(base).unwrap(),
            branch: "feature/x".into(),
            token: None,
            timeout: Duration::from_secs(30),
            ca_file: None,
            insecure_skip_verify: false,
            workflows: vec![InfraxysWorkflow {
                name: "Provision".into(),
                environment_id: "env 1".into(),
                workflow_id: "wf".into(),
                asynchronous: false,
                argument_fields: vec![],
            }],
            actions: vec![InfraxysAction {
                name: "Restart".into(),
                instance_id: "i-1".into(),
                filename: "restart ingress.sh".into(),
                asynchronous: true,
                argument_fields: vec![],
            }],
            aliases: vec![InfraxysAlias {
                name: "Flush".into(),
                alias: "flush-cdn".into(),
                asynchronous: false,
                argument_fields: vec![],
            }],
        })
        .unwrap()
    }

    #[test]
    fn urls_escape_every_segment_and_keep_the_base_path() {
        let b = backend("https://ix.example:8444/root/");
        let url = |project, name| b.url(&b.entry(project, name).unwrap().target).to_string();
        assert_eq!(
            url(WORKFLOWS, "Provision"),
            "https://ix.example:8444/root/api/v1/environment/feature%2Fx/env%201/workflow/wf/execute"
        );
        assert_eq!(
            url(ACTIONS, "Restart"),
            "https://ix.example:8444/root/api/v1/instance/feature%2Fx/i-1/files/restart%20ingress.sh/execute"
        );
        assert_eq!(
            url(ALIASES, "Flush"),
            "https://ix.example:8444/root/api/v1/actions/start/flush-cdn"
        );
    }

    #[test]
    fn bodies_send_only_the_keys_each_endpoint_is_known_to_take() {
        let b = backend("http://127.0.0.1:1");
        let workflow = b.entry(WORKFLOWS, "Provision").unwrap();
        assert_eq!(
            b.body(workflow, json!({"a": 1})),
            json!({"asynchronous": false, "argument": {"a": 1}})
        );
        let alias = b.entry(ALIASES, "Flush").unwrap();
        assert_eq!(
            b.body(alias, json!({})),
            json!({"asynchronous": false, "timeoutSeconds": 30, "returnLog": true, "argument": {}})
        );
    }

    #[test]
    fn entries_are_found_by_project_and_name() {
        let b = backend("http://127.0.0.1:1");
        assert!(b.entry(WORKFLOWS, "Restart").is_err());
        assert!(matches!(
            b.entry(ALIASES, "nope"),
            Err(BackendError::NotFound(m)) if m == "no aliases entry named \"nope\" in the config of ix"
        ));
    }

    #[test]
    fn construction_refuses_bad_settings_without_echoing_the_token() {
        let options = |base: &str, token: Option<&str>, field: &str| InfraxysOptions {
            name: "ix".into(),
            base_url: Url::parse(base).unwrap(),
            branch: "master".into(),
            token: token.map(SecretString::from),
            timeout: Duration::from_secs(5),
            ca_file: None,
            insecure_skip_verify: false,
            workflows: vec![],
            actions: vec![],
            aliases: vec![InfraxysAlias {
                name: "a".into(),
                alias: "a".into(),
                asynchronous: false,
                argument_fields: vec![ArgumentField {
                    name: field.into(),
                    field_type: ArgumentType::String,
                    required: false,
                    default: None,
                }],
            }],
        };
        let err = |o| InfraxysBackend::new(o).unwrap_err().to_string();
        assert!(err(options("ftp://x", None, "f")).contains("base_url"));
        assert!(err(options("http://x/?q=1", None, "f")).contains("base_url"));
        let bad_token = err(options("http://x", Some("sec\nret"), "f"));
        assert!(
            bad_token.contains("token") && !bad_token.contains("sec"),
            "{bad_token}"
        );
        assert!(err(options("http://x", None, ARGUMENT_JSON)).contains("reserved"));
        assert!(InfraxysBackend::new(options("http://x", Some("pat"), "f")).is_ok());
    }

    #[test]
    fn async_texts_name_the_run_ids() {
        let answer = Answer {
            run_ids: vec!["r".into(), "a1".into(), "a2".into()],
            ..Answer::default()
        };
        let texts = RunTexts::of(&answer, true);
        assert_eq!(
            texts.message.as_deref(),
            Some(
                "submitted as run r (action runners a1, a2); Infraxys reports no outcome for asynchronous runs"
            )
        );
        assert_eq!(texts.detail, None);
    }
}
