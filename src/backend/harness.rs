//! Harness NextGen backend (spec `harness-api.md` sections 1-3 and 5).
//!
//! # Base URL
//!
//! The configured base URL is used as given, and `/pipeline/api/...` (legacy endpoints,
//! `ResponseDTO` envelope) and `/v1/...` (bare JSON) are appended to it. For Harness SaaS the
//! base is `https://app.harness.io/gateway`; a self-managed install or the simulator may
//! serve the same paths at the root (`https://harness.example.com`).
//!
//! # Authentication
//!
//! Every request carries `x-api-key: <key>` and `Harness-Account: <account>`; legacy
//! endpoints also get `accountIdentifier`/`orgIdentifier`/`projectIdentifier` query
//! parameters. The key is a [`SecretString`]: it is exposed only into a header value marked
//! sensitive, and `Debug` output, previews and errors never contain it. Approving needs a
//! user's personal access token; a service-account key is refused by Harness (see
//! the error table in `harness/errors.rs` for the message it gets).
//!
//! # What each operation sends
//!
//! | operation | requests |
//! |---|---|
//! | `list_pipelines` | `POST /pipeline/api/pipelines/list` per project, all pages |
//! | `start_form` | `POST /pipeline/api/inputSets/template` |
//! | `start` | the template call, then `POST /pipeline/api/pipeline/execute/{id}` (YAML body) |
//! | `list_executions` | `POST /pipeline/api/pipelines/execution/summary` per project, newest 50 |
//! | `execution` | `GET /pipeline/api/pipelines/execution/v2/{id}` with the full graph, then `GET /pipeline/api/approvals/{instance}` per waiting gate |
//! | `waiting_approvals` | the summary list filtered on `ApprovalWaiting` (all pages), then per execution `GET /v1/.../approvals/execution/{id}` and the waiting stage's graph |
//! | `decide` | `POST /pipeline/api/approvals/{instance}/harness/activity` |
//! | `control` | abort, retry, rerun: see `harness/control.rs` |
//! | `logs` | the full graph, then per step section `GET /log-service/blob` or `/stream`: see `harness/logs.rs` |
//! | [`HarnessBackend::decide_by_execution`] | `POST /v1/.../approvals/execution/{id}[?callback_id=]` |

mod control;
mod errors;
mod graph;
mod identity;
mod inputs;
mod logs;
mod status;
mod wire;

use std::path::PathBuf;
use std::time::Duration;

use async_trait::async_trait;
use futures::stream::{self, StreamExt, TryStreamExt};
use reqwest::Method;
use reqwest::header::{HeaderName, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use url::Url;

use crate::backend::capped;
use crate::backend::decoded::Decoded;
use crate::backend::http::{self, Call, HttpClient, HttpOptions, Redactor};
use crate::backend::{Backend, Budget, GateRecord, Result};
use crate::domain::RequestPreview;
use crate::domain::{
    Approval, ApproverInput, BackendError, BackendKind, BackendName, Decision, DecisionAction,
    DecisionOutcome, ExecRef, ExecStatus, Execution, ExecutionDetail, Pipeline, StartForm,
    StartRequest, StartResult, Status,
};

pub use inputs::RuntimeTemplate;

use graph::WaitingGate;
use status::status;
use wire::{
    ApprovalInstance, Envelope, ExecuteResponse, ExecutionSummary, InputSetTemplate, Page,
    PipelineSummary, millis,
};

/// Pipelines per page: few round trips, modest bodies.
const PIPELINE_PAGE_SIZE: u64 = 100;
/// Recent executions per project in the executions list.
const EXECUTION_PAGE_SIZE: u64 = 50;
/// No paged walk goes further than this; a server that never says "last" cannot keep us
/// looping. 100 pages of 100 pipelines is far beyond any real project.
const MAX_PAGES: u64 = 100;
/// Concurrent per-project or per-execution requests of one operation.
const FAN_OUT: usize = 4;

// Lowercase, as HTTP/1.1 sends them on the wire (and as previews show them).
const API_KEY_HEADER: HeaderName = HeaderName::from_static("x-api-key");
const ACCOUNT_HEADER: HeaderName = HeaderName::from_static("harness-account");
const YAML: &str = "application/yaml";

/// Configuration of one Harness NextGen backend.
#[derive(Debug, Clone)]
pub struct HarnessOptions {
    pub name: BackendName,
    /// `https://app.harness.io/gateway` for SaaS; see the module docs.
    pub base_url: Url,
    pub account: String,
    pub org: String,
    pub projects: Vec<String>,
    pub api_key: SecretString,
    pub timeout: Duration,
    pub ca_file: Option<PathBuf>,
    pub insecure_skip_verify: bool,
}

/// A Harness NextGen client for one account, org and set of projects.
#[derive(Debug)]
pub struct HarnessBackend {
    name: BackendName,
    base: Url,
    account: String,
    org: String,
    projects: Vec<String>,
    api_key: SecretString,
    http: HttpClient,
    /// The web UI's root, for links (`backend::links`).
    ui: Url,
    /// Each project's executions list as last read (see [`Decoded`]).
    executions: Decoded<Vec<Execution>>,
    /// The gates of each waiting execution as last read, by execution id, with the
    /// fingerprint of the summary they were read for (see [`HarnessBackend::gates_of`]).
    gates: std::sync::Mutex<GateCache>,
}

/// Gates read for waiting executions, kept while their summaries stay the same.
#[derive(Debug, Default)]
struct GateCache {
    /// Counts reads of the gates; an entry not used by the latest read is dropped.
    read: u64,
    /// Moves when a decision is sent and when its answer (or its failure) comes back: a
    /// read that overlapped a decision may hold the gate as it was before, so it is not kept.
    decisions: u64,
    by_execution: std::collections::HashMap<String, (u64, String, Vec<Approval>)>,
}

/// What of an execution summary changes when a gate opens, is decided or expires: the
/// execution's and each stage's status and times, and the stage counts.
fn gates_fingerprint(summary: &ExecutionSummary) -> String {
    let mut nodes: Vec<String> = summary
        .layout_node_map
        .iter()
        .map(|(key, n)| format!("{key}={:?}/{:?}/{:?}", n.status, n.start_ts, n.end_ts))
        .collect();
    nodes.sort_unstable();
    format!(
        "{:?}|{:?}|{:?}|{:?}|{}",
        summary.status,
        summary.end_ts,
        summary.successful_stages_count,
        summary.failed_stages_count,
        nodes.join(",")
    )
}

impl HarnessBackend {
    /// `GET pipelines/execution/v2/{id}`: an execution's summary and, as `query` asks for
    /// it, its graph (`renderFullBottomGraph`, or one stage's `stageNodeId`).
    pub(crate) async fn execution_v2(
        &self,
        execution_id: &str,
        project: &str,
        query: &[(&str, &str)],
    ) -> Result<wire::ExecutionDetail> {
        let url = self.legacy_url(
            &["pipelines", "execution", "v2", execution_id],
            project,
            query,
        );
        self.legacy(&self.call(Method::GET, url)).await
    }

    pub fn new(options: HarnessOptions) -> Result<Self> {
        let base = options.base_url;
        http::check_base_url(&base, "https://app.harness.io/gateway")?;
        for (what, value) in [("account", &options.account), ("org", &options.org)] {
            if value.trim().is_empty() {
                return Err(BackendError::BadRequest(format!("harness {what} is empty")));
            }
        }
        if options.projects.is_empty() || options.projects.iter().any(|p| p.trim().is_empty()) {
            return Err(BackendError::BadRequest(
                "harness needs at least one non-empty project".to_owned(),
            ));
        }
        if HeaderValue::from_str(options.api_key.expose_secret()).is_err()
            || options.api_key.expose_secret().trim().is_empty()
        {
            // Never echo the key itself: say only what is wrong with it.
            return Err(BackendError::BadRequest(
                "the Harness API key is empty or contains characters not allowed in an HTTP header"
                    .to_owned(),
            ));
        }
        if HeaderValue::from_str(&options.account).is_err() {
            return Err(BackendError::BadRequest(
                "the Harness account contains characters not allowed in an HTTP header".to_owned(),
            ));
        }
        let http = HttpClient::new(
            &HttpOptions {
                ca_file: options.ca_file,
                insecure_skip_verify: options.insecure_skip_verify,
                plain_http: base.scheme() == "http",
                ..HttpOptions::new(options.timeout)
            },
            Redactor::of(Some(&options.api_key)),
        )?;
        Ok(HarnessBackend {
            name: options.name,
            ui: crate::backend::links::harness_ui(&base, None),
            base,
            account: options.account,
            org: options.org,
            projects: options.projects,
            api_key: options.api_key,
            http,
            executions: Decoded::default(),
            gates: Default::default(),
        })
    }

    /// Links to the web UI under `ui_url` (a self-managed install's UI address) instead of
    /// the one derived from the API's base URL.
    pub fn with_ui_url(mut self, ui_url: Option<Url>) -> Self {
        self.ui = crate::backend::links::harness_ui(&self.base, ui_url.as_ref());
        self
    }

    /// The execution's page in the web UI.
    fn execution_url(&self, project: &str, summary: &ExecutionSummary) -> Option<String> {
        let module = summary
            .modules
            .iter()
            .map(String::as_str)
            .find(|m| *m != "pms" && !m.is_empty());
        crate::backend::links::harness_execution(
            &self.ui,
            &crate::backend::links::HarnessExecution {
                account: &self.account,
                org: &self.org,
                project,
                pipeline: summary.pipeline_identifier.as_deref().unwrap_or_default(),
                execution: &summary.plan_execution_id,
                module,
            },
        )
    }

    /// The runtime-input template of a pipeline, parsed. [`Backend::start_form`] is its form;
    /// [`Self::start_request_preview`] fills it.
    pub async fn runtime_template(
        &self,
        project: &str,
        pipeline_id: &str,
    ) -> Result<RuntimeTemplate> {
        let url = self.legacy_url(
            &["inputSets", "template"],
            project,
            &[("pipelineIdentifier", pipeline_id)],
        );
        // An empty stage list asks for the template of the whole pipeline.
        let call = self.json_call(
            Method::POST,
            url,
            serde_json::json!({"stageIdentifiers": []}),
        );
        let template: InputSetTemplate = self.legacy(&call).await?;
        RuntimeTemplate::parse(template.input_set_template_yaml.as_deref())
    }

    /// The exact execute request [`Backend::start`] would send for `request` with this
    /// template: method, URL, headers (the key as `***`) and the YAML body. Pure: nothing is
    /// sent. Fails like `start` would, before any request, on missing or invalid inputs.
    pub fn start_request_preview(
        &self,
        template: &RuntimeTemplate,
        request: &StartRequest,
    ) -> Result<RequestPreview> {
        Ok(self.execute_call(template, request)?.preview())
    }

    /// Approves or rejects the gate waiting in an execution through the v1 API, which finds
    /// the approval instance itself. `callback_id` picks one gate when several are waiting.
    pub async fn decide_by_execution(
        &self,
        project: &str,
        execution_id: &str,
        callback_id: Option<&str>,
        decision: &Decision,
    ) -> Result<DecisionOutcome> {
        self.forget_gates();
        let mut url = self.v1_url(project, &["approvals", "execution", execution_id]);
        if let Some(callback_id) = callback_id {
            url.query_pairs_mut()
                .append_pair("callback_id", callback_id);
        }
        let body = activity_body(decision, "approver_inputs");
        let answer: Result<ApprovalInstance> =
            self.v1(&self.json_call(Method::POST, url, body)).await;
        self.forget_gates();
        decision_outcome(&answer?)
    }

    // ----- URLs and requests -------------------------------------------------------------

    fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        // Checked in `new`: the base can hold path segments.
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    /// `<base>/pipeline/api/<segments>?accountIdentifier&orgIdentifier&projectIdentifier&<extra>`.
    fn legacy_url(&self, segments: &[&str], project: &str, extra: &[(&str, &str)]) -> Url {
        let mut url = self.url(&[&["pipeline", "api"], segments].concat());
        url.query_pairs_mut()
            .append_pair("accountIdentifier", &self.account)
            .append_pair("orgIdentifier", &self.org)
            .append_pair("projectIdentifier", project)
            .extend_pairs(extra);
        url
    }

    /// `<base>/v1/orgs/<org>/projects/<project>/<segments>`.
    fn v1_url(&self, project: &str, segments: &[&str]) -> Url {
        self.url(&[&["v1", "orgs", &self.org, "projects", project], segments].concat())
    }

    /// A call carrying the headers every Harness request needs: the key and the account.
    fn call(&self, method: Method, url: Url) -> Call {
        Call::new(method, url)
            .secret(API_KEY_HEADER, "")
            .header(ACCOUNT_HEADER, self.account.clone())
    }

    /// A call with a JSON body.
    fn json_call(&self, method: Method, url: Url, body: serde_json::Value) -> Call {
        self.call(method, url).json(&body)
    }

    async fn send(&self, call: &Call) -> Result<http::Response> {
        let response = self.http.send_call(call, Some(&self.api_key)).await?;
        identity::note_correlation(&call.method, &response);
        if response.is_success() {
            Ok(response)
        } else {
            Err(errors::map_error(&response))
        }
    }

    /// A legacy endpoint: unwraps the `ResponseDTO` envelope.
    async fn legacy<T: DeserializeOwned>(&self, call: &Call) -> Result<T> {
        legacy_data(&self.send(call).await?)
    }

    /// A v1 endpoint: bare JSON.
    async fn v1<T: DeserializeOwned>(&self, call: &Call) -> Result<T> {
        self.send(call).await?.json()
    }

    // ----- operations ----------------------------------------------------------------------

    fn execute_call(&self, template: &RuntimeTemplate, request: &StartRequest) -> Result<Call> {
        let body = template.fill(&request.values)?;
        let url = self.legacy_url(
            &["pipeline", "execute", &request.pipeline_id],
            &request.project,
            &[
                ("moduleType", "cd"),
                (
                    "notesForPipelineExecution",
                    request.notes.as_deref().unwrap_or_default(),
                ),
            ],
        );
        Ok(self.call(Method::POST, url).body(YAML, body))
    }

    async fn pipelines_of(&self, project: &str) -> Result<Vec<Pipeline>> {
        let body = serde_json::json!({"filterType": "PipelineSetup"});
        let summaries: Vec<PipelineSummary> = self
            .all_pages(PIPELINE_PAGE_SIZE, capped::MAX_PIPELINES, |page, size| {
                let url = self.legacy_url(
                    &["pipelines", "list"],
                    project,
                    &[("page", &page.to_string()), ("size", &size.to_string())],
                );
                self.json_call(Method::POST, url, body.clone())
            })
            .await?;
        Ok(summaries
            .into_iter()
            .map(|p| {
                let info = p.execution_summary_info.as_ref();
                Pipeline {
                    backend: self.name.clone(),
                    project: project.to_owned(),
                    name: p.name.clone().unwrap_or_else(|| p.identifier.clone()),
                    description: p.description.clone().unwrap_or_default(),
                    tags: p.tags,
                    last_status: info
                        .and_then(|i| i.last_execution_status.as_deref())
                        .map(|s| status(Some(s))),
                    last_run: millis(info.and_then(|i| i.last_execution_ts)),
                    stages: p.num_of_stages.and_then(|n| u32::try_from(n).ok()),
                    id: p.identifier,
                }
            })
            .collect())
    }

    fn executions_call(&self, project: &str, page: u64, size: u64, only: Option<&str>) -> Call {
        let (page, size) = (page.to_string(), size.to_string());
        let mut extra = vec![
            ("page", page.as_str()),
            ("size", size.as_str()),
            ("sort", "startTs,DESC"),
        ];
        if let Some(wanted) = only {
            extra.push(("status", wanted));
        }
        let url = self.legacy_url(&["pipelines", "execution", "summary"], project, &extra);
        self.json_call(
            Method::POST,
            url,
            serde_json::json!({"filterType": "PipelineExecution"}),
        )
    }

    /// Every page of a paged legacy list, up to [`MAX_PAGES`] pages and `max` items in all.
    /// A page with more items than the `size` asked for, or a walk past `max` items (pages
    /// that never say `last`), is an error that says so: memory is bounded by items, not only
    /// by the byte cap of each page.
    async fn all_pages<T: DeserializeOwned>(
        &self,
        size: u64,
        max: usize,
        call_for: impl Fn(u64, u64) -> Call,
    ) -> Result<Vec<T>> {
        let mut items = Vec::new();
        for page in 0..MAX_PAGES {
            let result: Page<T> = self.legacy(&call_for(page, size)).await?;
            let got = result.content.len();
            if got as u64 > size {
                return Err(BackendError::Decode(format!(
                    "page {page} holds {got} items, more than the {size} asked for (refused)"
                )));
            }
            if items.len() + got > max {
                return Err(BackendError::Decode(format!(
                    "the list goes past {max} items, flightdeck's limit for one read (refused)"
                )));
            }
            let last = result.is_last(page);
            items.extend(result.content);
            if last {
                return Ok(items);
            }
        }
        tracing::warn!(backend = %self.name, "stopped paging after {MAX_PAGES} pages");
        Ok(items)
    }

    fn execution_of(&self, project: &str, summary: &ExecutionSummary) -> Execution {
        // Stage progress follows the one rule (`domain::stage_progress`) over the layout's
        // stages, the same the detail's stage tree shows; a summary without a layout
        // falls back to its counts of finished stages, failed ones included.
        let layout = graph::ordered_stages(summary);
        let (done, total) = if layout.is_empty() {
            let done = summary
                .successful_stages_count
                .unwrap_or(0)
                .saturating_add(summary.failed_stages_count.unwrap_or(0));
            (done, summary.total_stages_count.unwrap_or(0))
        } else {
            let (done, total) = crate::domain::stage_progress(
                layout
                    .iter()
                    .map(|(_, node)| status(node.status.as_deref()).status),
            );
            (u64::from(done), u64::from(total))
        };
        let message = [&summary.failure_info, &summary.execution_error_info]
            .into_iter()
            .flatten()
            .find_map(|m| m.message.clone().filter(|m| !m.trim().is_empty()));
        Execution {
            backend: self.name.clone(),
            project: project.to_owned(),
            id: summary.plan_execution_id.clone(),
            pipeline_id: summary.pipeline_identifier.clone().unwrap_or_default(),
            pipeline_name: summary
                .name
                .clone()
                .or_else(|| summary.pipeline_identifier.clone())
                .unwrap_or_default(),
            status: status(summary.status.as_deref()),
            started: millis(summary.start_ts),
            ended: millis(summary.end_ts),
            triggered_by: triggered_by(summary),
            run_number: summary.run_sequence,
            stages_done: u32::try_from(done.min(total)).unwrap_or(u32::MAX),
            stages_total: u32::try_from(total).unwrap_or(u32::MAX),
            message,
            url: self.execution_url(project, summary),
        }
    }

    async fn executions_of(&self, project: &str) -> Result<Vec<Execution>> {
        let call = self.executions_call(project, 0, EXECUTION_PAGE_SIZE, None);
        let response = self.send(&call).await?;
        let decode = || {
            let page: Page<ExecutionSummary> = legacy_data(&response)?;
            if page.content.len() as u64 > EXECUTION_PAGE_SIZE {
                return Err(BackendError::Decode(format!(
                    "the executions page holds {} items, more than the {EXECUTION_PAGE_SIZE} asked for (refused)",
                    page.content.len()
                )));
            }
            Ok(page
                .content
                .iter()
                .map(|s| self.execution_of(project, s))
                .collect())
        };
        // Every answer carries a correlationId of its own: only the data is compared.
        match raw_data(&response) {
            Some(data) => self.executions.get(project, data.as_bytes(), decode),
            None => decode(),
        }
    }

    async fn approval_instance(&self, instance_id: &str) -> Result<ApprovalInstance> {
        let mut url = self.url(&["pipeline", "api", "approvals", instance_id]);
        url.query_pairs_mut()
            .append_pair("accountIdentifier", &self.account);
        self.legacy(&self.call(Method::GET, url)).await
    }

    fn approval_of(
        &self,
        project: &str,
        execution: &ExecutionSummary,
        instance: ApprovalInstance,
        gate: Option<&WaitingGate>,
        fallback_stage: (String, Option<String>),
    ) -> Approval {
        let details = instance.details.unwrap_or_default();
        let approvers = details.approvers.as_ref();
        // Prefer the readable group names the server resolved; fall back to identifiers.
        let mut groups: Vec<String> = details
            .validated_approval_user_groups
            .iter()
            .filter_map(|g| g.name.clone().or_else(|| g.identifier.clone()))
            .collect();
        if groups.is_empty() {
            groups = approvers.map(|a| a.user_groups.clone()).unwrap_or_default();
        }
        let (stage, step, stage_env) = match gate {
            Some(g) => (g.stage.clone(), g.step.clone(), g.environment.clone()),
            None => (fallback_stage.0, String::new(), fallback_stage.1),
        };
        Approval {
            backend: self.name.clone(),
            project: project.to_owned(),
            id: instance.id,
            execution_id: execution.plan_execution_id.clone(),
            pipeline_id: execution.pipeline_identifier.clone().unwrap_or_default(),
            pipeline_name: execution
                .name
                .clone()
                .or_else(|| execution.pipeline_identifier.clone())
                .unwrap_or_default(),
            stage,
            step,
            message: details.approval_message.unwrap_or_default(),
            approvers: groups,
            min_count: approvers
                .and_then(|a| a.minimum_count)
                .and_then(|n| u32::try_from(n).ok())
                .unwrap_or(1),
            inputs: details
                .approver_inputs
                .into_iter()
                .map(|i| ApproverInput {
                    name: i.name,
                    default: i.default_value.unwrap_or_default(),
                    options: Vec::new(),
                })
                .collect(),
            created: millis(instance.created_at),
            deadline: millis(instance.deadline),
            triggered_by: triggered_by(execution),
            environment: stage_env.or_else(|| graph::pipeline_environment(execution)),
            callback_id: gate.and_then(|g| g.callback_id.clone()),
            url: self
                .execution_url(project, execution)
                .and_then(|link| match gate {
                    Some(WaitingGate {
                        ui_stage: Some(stage),
                        ui_step,
                        ..
                    }) if !ui_step.is_empty() => crate::backend::links::with_query(
                        &link,
                        &[("stage", stage.as_str()), ("step", ui_step.as_str())],
                    ),
                    _ => Some(link),
                }),
        }
    }

    /// The gates of one execution found by `waiting_approvals`: the v1 instance list plus,
    /// for stage and step names, the graph of each stage waiting for approval.
    /// The gates of one waiting execution. They are read again only when its summary changed
    /// since the last read: a gate opening, decided or expiring changes the status of the
    /// execution or of a stage, and nothing else of a gate flightdeck shows can change
    /// while it waits. So a steady world costs one list page per project, not an approvals
    /// call and a graph per waiting execution.
    async fn gates_of(&self, project: &str, summary: &ExecutionSummary) -> Result<Vec<Approval>> {
        let fingerprint = gates_fingerprint(summary);
        let decisions = {
            let mut cache = self.gates.lock().unwrap_or_else(|e| e.into_inner());
            let read = cache.read;
            if let Some(entry) = cache.by_execution.get_mut(&summary.plan_execution_id)
                && entry.1 == fingerprint
            {
                entry.0 = read;
                return Ok(entry.2.clone());
            }
            cache.decisions
        };
        let gates = self.read_gates_of(project, summary).await?;
        let mut cache = self.gates.lock().unwrap_or_else(|e| e.into_inner());
        if cache.decisions == decisions {
            let read = cache.read;
            cache.by_execution.insert(
                summary.plan_execution_id.clone(),
                (read, fingerprint, gates.clone()),
            );
        }
        Ok(gates)
    }

    /// A decision sent from here may end a gate before its execution's summary shows it
    /// (Harness moves the run on after answering): the next gates read asks afresh, which
    /// settles a decision of unknown outcome. Called as a decision is sent and again when
    /// it ends, so a read that ran alongside it is never kept either.
    fn forget_gates(&self) {
        let mut cache = self.gates.lock().unwrap_or_else(|e| e.into_inner());
        cache.decisions += 1;
        cache.by_execution.clear();
    }

    async fn read_gates_of(
        &self,
        project: &str,
        summary: &ExecutionSummary,
    ) -> Result<Vec<Approval>> {
        let url = {
            let mut url = self.v1_url(
                project,
                &["approvals", "execution", &summary.plan_execution_id],
            );
            url.query_pairs_mut()
                .append_pair("approval_status", "WAITING")
                .append_pair("approval_type", "HarnessApproval");
            url
        };
        let instances: Vec<ApprovalInstance> = match self.v1(&self.call(Method::GET, url)).await {
            Ok(instances) => instances,
            // The execution or its pipeline went away since it was listed: no gates left.
            Err(BackendError::NotFound(_)) => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        if instances.is_empty() {
            return Ok(Vec::new());
        }
        let waiting_stages = graph::approval_waiting_stages(summary);
        let mut gates: Vec<WaitingGate> = Vec::new();
        for (stage_key, _) in &waiting_stages {
            // Names only: a failure here still lists the gate, named by its stage.
            match self
                .stage_graph(project, &summary.plan_execution_id, stage_key)
                .await
            {
                Ok(found) => gates.extend(found),
                Err(e) => tracing::warn!(
                    backend = %self.name, execution = summary.plan_execution_id, error = %e,
                    "cannot read the stage graph; the gate is shown without its step name"
                ),
            }
        }
        // Without a graph match, the stage is known only if exactly one stage waits.
        let fallback = match waiting_stages.as_slice() {
            [(key, env)] => {
                let name = summary
                    .layout_node_map
                    .get(key)
                    .map(|node| graph::stage_name(key, node))
                    .unwrap_or_default();
                (name, env.clone())
            }
            _ => (String::new(), None),
        };
        Ok(instances
            .into_iter()
            .filter(is_waiting_harness_approval)
            .map(|instance| {
                let gate = gates.iter().find(|g| g.instance_id == instance.id);
                self.approval_of(project, summary, instance, gate, fallback.clone())
            })
            .collect())
    }

    async fn stage_graph(
        &self,
        project: &str,
        execution_id: &str,
        stage_key: &str,
    ) -> Result<Vec<WaitingGate>> {
        let detail = self
            .execution_v2(execution_id, project, &[("stageNodeId", stage_key)])
            .await?;
        Ok(graph::build(
            &detail.pipeline_execution_summary,
            detail.execution_graph.as_ref(),
        )
        .gates)
    }

    async fn waiting_in(&self, project: &str) -> Result<Vec<Approval>> {
        let executions: Vec<ExecutionSummary> = self
            .all_pages(EXECUTION_PAGE_SIZE, capped::MAX_EXECUTIONS, |page, size| {
                self.executions_call(project, page, size, Some("ApprovalWaiting"))
            })
            .await?;
        // Futures are built eagerly: a stream mapping borrowed items lazily trips the
        // `Send` check of the boxed trait futures (higher-ranked closure lifetimes).
        let lookups: Vec<_> = executions
            .iter()
            .map(|summary| self.gates_of(project, summary))
            .collect();
        let per_execution: Vec<Vec<Approval>> = stream::iter(lookups)
            .buffer_unordered(FAN_OUT)
            .try_collect()
            .await?;
        Ok(per_execution.into_iter().flatten().collect())
    }

    /// Runs `op` for every configured project, a few at a time, keeping project order.
    async fn per_project<'a, T, F, Fut>(&'a self, op: F) -> Result<Vec<T>>
    where
        F: Fn(&'a str) -> Fut,
        Fut: Future<Output = Result<Vec<T>>>,
    {
        let calls: Vec<_> = self
            .projects
            .iter()
            .map(|project| {
                let fut = op(project);
                let several = self.projects.len() > 1;
                async move {
                    fut.await
                        .map_err(|e| if several { in_project(project, e) } else { e })
                }
            })
            .collect();
        let results: Vec<Vec<T>> = stream::iter(calls).buffered(FAN_OUT).try_collect().await?;
        Ok(results.into_iter().flatten().collect())
    }
}

#[async_trait]
impl Backend for HarnessBackend {
    fn name(&self) -> &BackendName {
        &self.name
    }

    fn pace(&self) -> Option<&std::sync::Arc<super::budget::Pace>> {
        Some(self.http.pace())
    }

    fn kind(&self) -> BackendKind {
        BackendKind::Harness
    }

    /// Harness counts every request per API key, 1000 a minute; a start is two requests
    /// (the runtime template, then the execute call). Polling stays well within it.
    fn budget(&self) -> Budget {
        Budget {
            per_minute: Some(1000),
            per_start: 2,
            min_poll_interval: Duration::ZERO,
        }
    }

    async fn whoami(&self) -> Result<crate::backend::Identity> {
        self.who_am_i().await
    }

    async fn list_pipelines(&self) -> Result<Vec<Pipeline>> {
        self.per_project(|project| self.pipelines_of(project)).await
    }

    async fn start_form(&self, project: &str, pipeline_id: &str) -> Result<StartForm> {
        Ok(self.runtime_template(project, pipeline_id).await?.form())
    }

    async fn start(&self, request: &StartRequest) -> Result<StartResult> {
        let template = self
            .runtime_template(&request.project, &request.pipeline_id)
            .await?;
        // Missing or invalid inputs fail here, before the execute request exists.
        let call = self.execute_call(&template, request)?;
        let response: ExecuteResponse = self.legacy(&call).await?;
        let plan = response.plan_execution;
        Ok(StartResult {
            status: status(plan.status.as_deref()),
            execution_id: plan.uuid,
        })
    }

    async fn list_executions(&self) -> Result<Vec<Execution>> {
        // Unsorted: the display order is `domain::order`'s.
        self.per_project(|project| self.executions_of(project))
            .await
    }

    async fn execution(&self, exec: &ExecRef) -> Result<ExecutionDetail> {
        let detail = self
            .execution_v2(
                &exec.id,
                &exec.project,
                &[("renderFullBottomGraph", "true")],
            )
            .await?;
        let summary = &detail.pipeline_execution_summary;
        let tree = graph::build(summary, detail.execution_graph.as_ref());
        let lookups: Vec<_> = tree
            .gates
            .iter()
            .map(|gate| async move {
                match self.approval_instance(&gate.instance_id).await {
                    Ok(instance) if is_waiting_harness_approval(&instance) => {
                        Ok(Some(self.approval_of(
                            &exec.project,
                            summary,
                            instance,
                            Some(gate),
                            Default::default(),
                        )))
                    }
                    // Decided or gone since the graph was read: no longer a gate.
                    Ok(_) | Err(BackendError::NotFound(_)) => Ok(None),
                    Err(e) => Err(e),
                }
            })
            .collect();
        let approvals: Vec<Option<Approval>> = stream::iter(lookups)
            .buffered(FAN_OUT)
            .try_collect()
            .await?;
        Ok(ExecutionDetail {
            execution: self.execution_of(&exec.project, summary),
            stages: tree.stages,
            approvals: approvals.into_iter().flatten().collect(),
            // ApprovalRejected says it itself.
            rejection: None,
        })
    }

    async fn waiting_approvals(&self) -> Result<Vec<Approval>> {
        let read = {
            let mut cache = self.gates.lock().unwrap_or_else(|e| e.into_inner());
            cache.read += 1;
            cache.read
        };
        let result = self.per_project(|project| self.waiting_in(project)).await;
        if result.is_ok() {
            // Executions no longer waiting leave the cache.
            let mut cache = self.gates.lock().unwrap_or_else(|e| e.into_inner());
            cache.by_execution.retain(|_, (used, ..)| *used == read);
        }
        result
    }

    async fn decide(&self, approval: &Approval, decision: &Decision) -> Result<DecisionOutcome> {
        self.forget_gates();
        let mut url = self.url(&[
            "pipeline",
            "api",
            "approvals",
            &approval.id,
            "harness",
            "activity",
        ]);
        url.query_pairs_mut()
            .append_pair("accountIdentifier", &self.account);
        let body = activity_body(decision, "approverInputs");
        let answer: Result<ApprovalInstance> =
            self.legacy(&self.json_call(Method::POST, url, body)).await;
        self.forget_gates();
        decision_outcome(&answer?)
    }

    async fn start_preview(&self, request: &StartRequest) -> Result<RequestPreview> {
        let template = self
            .runtime_template(&request.project, &request.pipeline_id)
            .await?;
        self.start_request_preview(&template, request)
    }

    /// Every approval of the execution: the graph names each HarnessApproval step (instance
    /// id, callback id, stage and step), and the v1 instance list (spec 3.5) says what each
    /// instance became. The instance's status is the one trusted: a step's `ApprovalWaiting`
    /// changes only after the decision (spec 3.6).
    async fn gate_history(&self, exec: &ExecRef) -> Result<Option<Vec<GateRecord>>> {
        let detail = self
            .execution_v2(
                &exec.id,
                &exec.project,
                &[("renderFullBottomGraph", "true")],
            )
            .await?;
        let tree = graph::build(
            &detail.pipeline_execution_summary,
            detail.execution_graph.as_ref(),
        );
        let mut url = self.v1_url(&exec.project, &["approvals", "execution", &exec.id]);
        url.query_pairs_mut()
            .append_pair("approval_type", "HarnessApproval");
        let instances: Vec<ApprovalInstance> = self.v1(&self.call(Method::GET, url)).await?;
        let mut records: Vec<GateRecord> = tree
            .approval_steps
            .into_iter()
            .map(|a| GateRecord {
                id: a.instance_id,
                callback_id: a.callback_id,
                stage: a.stage,
                step: a.step,
                status: a.status,
            })
            .collect();
        for instance in instances {
            let raw = instance.status.clone().unwrap_or_default();
            let status = Status::new(instance_status(&raw), raw);
            match records.iter_mut().find(|r| r.id == instance.id) {
                Some(record) => record.status = status,
                None => records.push(GateRecord {
                    id: instance.id,
                    callback_id: None,
                    stage: String::new(),
                    step: String::new(),
                    status,
                }),
            }
        }
        Ok(Some(records))
    }

    async fn decide_by_callback(
        &self,
        exec: &ExecRef,
        callback_id: &str,
        decision: &Decision,
    ) -> Result<DecisionOutcome> {
        self.decide_by_execution(&exec.project, &exec.id, Some(callback_id), decision)
            .await
    }

    async fn control(
        &self,
        exec: &ExecRef,
        action: &crate::backend::Control,
    ) -> Result<crate::backend::ControlOutcome> {
        self.control_exec(exec, action).await
    }

    async fn retry_stages(&self, exec: &ExecRef) -> Result<crate::backend::RetryStages> {
        self.retryable(exec).await
    }

    async fn logs(
        &self,
        exec: &ExecRef,
        step: Option<&str>,
        follow: bool,
        lines: &tokio::sync::mpsc::UnboundedSender<crate::domain::LogLine>,
    ) -> Result<()> {
        self.stream_logs(exec, step, follow, lines).await
    }
}

/// The data of a legacy endpoint's answer, out of its `ResponseDTO` envelope.
fn legacy_data<T: DeserializeOwned>(response: &http::Response) -> Result<T> {
    let envelope: Envelope<T> = response.json()?;
    if matches!(envelope.status.as_deref(), Some("ERROR" | "FAILURE")) {
        return Err(errors::map_error(response));
    }
    envelope
        .data
        .ok_or_else(|| BackendError::Decode("the response has no data".to_owned()))
}

/// The data of a legacy endpoint's answer that succeeded, as sent.
fn raw_data(response: &http::Response) -> Option<&str> {
    let envelope: Envelope<&serde_json::value::RawValue> =
        serde_json::from_slice(&response.body).ok()?;
    if matches!(envelope.status.as_deref(), Some("ERROR" | "FAILURE")) {
        return None;
    }
    Some(envelope.data?.get())
}

/// The approve/reject body (spec 3.4, 3.6). The legacy endpoint reads camelCase
/// `approverInputs`, v1 snake_case `approver_inputs`.
fn activity_body(decision: &Decision, inputs_key: &str) -> serde_json::Value {
    let action = match decision.action {
        DecisionAction::Approve => "APPROVE",
        DecisionAction::Reject => "REJECT",
    };
    let inputs: Vec<serde_json::Value> = decision
        .inputs
        .iter()
        .map(|(name, value)| serde_json::json!({"name": name, "value": value}))
        .collect();
    let mut body = serde_json::json!({"action": action, "comments": decision.comment});
    body[inputs_key] = serde_json::Value::Array(inputs);
    body
}

fn decision_outcome(instance: &ApprovalInstance) -> Result<DecisionOutcome> {
    let raw = instance.status.as_deref().unwrap_or_default();
    match raw.to_ascii_uppercase().as_str() {
        "APPROVED" => Ok(DecisionOutcome::Approved),
        "REJECTED" => Ok(DecisionOutcome::Rejected),
        "WAITING" => Ok(DecisionOutcome::StillWaiting),
        "EXPIRED" => Err(BackendError::Expired(
            "the approval expired before the decision was recorded".to_owned(),
        )),
        "ABORTED" | "FAILED" => Err(BackendError::Conflict(format!(
            "the approval ended as {raw} instead of taking the decision"
        ))),
        // A status this client does not know (or none) in a success answer: the decision
        // may well have been recorded, so this must not read as a refusal.
        _ => Err(BackendError::Decode(format!(
            "the approval's status after the decision is {}; re-read it",
            if raw.is_empty() {
                "missing".to_owned()
            } else {
                format!("unknown ({})", http::truncate(raw, 40))
            }
        ))),
    }
}

/// An approval instance's `ApprovalStatus` (spec 3.1) as the step status it leads to.
fn instance_status(raw: &str) -> ExecStatus {
    match raw.to_ascii_uppercase().as_str() {
        "WAITING" => ExecStatus::Waiting,
        "APPROVED" => ExecStatus::Succeeded,
        "REJECTED" => ExecStatus::Rejected,
        "EXPIRED" => ExecStatus::Expired,
        "ABORTED" => ExecStatus::Aborted,
        "FAILED" => ExecStatus::Failed,
        _ => ExecStatus::Unknown,
    }
}

fn is_waiting_harness_approval(instance: &ApprovalInstance) -> bool {
    let waiting = instance
        .status
        .as_deref()
        .is_some_and(|s| s.eq_ignore_ascii_case("WAITING"));
    // An absent type is taken as HarnessApproval: the requests ask for that type only.
    let harness = instance
        .kind
        .as_deref()
        .is_none_or(|k| k.eq_ignore_ascii_case("HarnessApproval"));
    waiting && harness
}

/// Who started an execution: the user's name, else their email, else the trigger.
fn triggered_by(summary: &ExecutionSummary) -> String {
    let Some(info) = &summary.execution_trigger_info else {
        return String::new();
    };
    let by = info.triggered_by.as_ref();
    let nonempty = |s: Option<&str>| s.filter(|s| !s.trim().is_empty()).map(str::to_owned);
    by.and_then(|b| nonempty(b.identifier.as_deref()))
        .or_else(|| by.and_then(|b| nonempty(b.extra_info.get("email").and_then(|v| v.as_str()))))
        .or_else(|| by.and_then(|b| nonempty(b.trigger_name.as_deref())))
        .or_else(|| by.and_then(|b| nonempty(b.trigger_identifier.as_deref())))
        .or_else(|| nonempty(info.trigger_type.as_deref()).map(|t| t.to_ascii_lowercase()))
        .unwrap_or_default()
}

/// Names the project in an error when several are configured: which one failed matters.
fn in_project(project: &str, error: BackendError) -> BackendError {
    use BackendError::*;
    let tag = |m: String| format!("project {project}: {m}");
    match error {
        Unauthenticated(m) => Unauthenticated(tag(m)),
        NotAuthorized(m) => NotAuthorized(tag(m)),
        NotFound(m) => NotFound(tag(m)),
        Conflict(m) => Conflict(tag(m)),
        Expired(m) => Expired(tag(m)),
        BadRequest(m) => BadRequest(tag(m)),
        Network(m) => Network(tag(m)),
        Server { status, message } => Server {
            status,
            message: tag(message),
        },
        Decode(m) => Decode(tag(m)),
        Unsupported(m) => Unsupported(tag(m)),
        other @ (RateLimited { .. } | Timeout(_)) => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backend(base: &str, projects: &[&str]) -> HarnessBackend {
        HarnessBackend::new(HarnessOptions {
            name: "hx".into(),
            base_url: Url::parse(base).unwrap(),
            account: "acc".into(),
            org: "my org".into(),
            projects: projects.iter().map(|p| p.to_string()).collect(),
            api_key: SecretString::from("pat.acc.id.secret"),
            timeout: Duration::from_secs(1),
            ca_file: None,
            insecure_skip_verify: false,
        })
        .unwrap()
    }

    /// The one progress rule over the layout's stages: the summary's own counts leave out
    /// stages that ended otherwise than success or failure, and a running or waiting stage
    /// is never done. Without a layout the counts are all there is.
    #[test]
    fn stage_progress_counts_the_layouts_ended_stages() {
        let summary: ExecutionSummary = serde_json::from_str(
            r#"{"planExecutionId":"p1","status":"ApprovalWaiting","startingNodeId":"a",
            "successfulStagesCount":1,"failedStagesCount":0,"totalStagesCount":4,
            "layoutNodeMap":{
             "a":{"nodeGroup":"STAGE","name":"Build","status":"Success","edgeLayoutList":{"currentNodeChildren":[],"nextIds":["b"]}},
             "b":{"nodeGroup":"STAGE","name":"Lint","status":"Skipped","edgeLayoutList":{"currentNodeChildren":[],"nextIds":["c"]}},
             "c":{"nodeGroup":"STAGE","name":"Approve","status":"ApprovalWaiting","edgeLayoutList":{"currentNodeChildren":[],"nextIds":["d"]}},
             "d":{"nodeGroup":"STAGE","name":"Deploy","status":"NotStarted","edgeLayoutList":{"currentNodeChildren":[],"nextIds":[]}}}}"#,
        )
        .unwrap();
        let b = backend("https://h.example", &["p"]);
        let e = b.execution_of("p", &summary);
        assert_eq!(e.status.status, crate::domain::ExecStatus::Waiting);
        assert_eq!((e.stages_done, e.stages_total), (2, 4));
        let bare: ExecutionSummary = serde_json::from_str(
            r#"{"planExecutionId":"p2","status":"Running","successfulStagesCount":1,"failedStagesCount":1,"totalStagesCount":3}"#,
        )
        .unwrap();
        let e = b.execution_of("p", &bare);
        assert_eq!((e.stages_done, e.stages_total), (2, 3));
    }

    #[test]
    fn urls_append_to_the_base_as_given() {
        for base in ["https://h.example/gateway", "https://h.example/gateway/"] {
            let b = backend(base, &["p"]);
            assert_eq!(
                b.legacy_url(&["pipelines", "list"], "p", &[("page", "0")])
                    .as_str(),
                "https://h.example/gateway/pipeline/api/pipelines/list?accountIdentifier=acc&orgIdentifier=my+org&projectIdentifier=p&page=0"
            );
            assert_eq!(
                b.v1_url("p", &["approvals", "execution", "a/b"]).as_str(),
                "https://h.example/gateway/v1/orgs/my%20org/projects/p/approvals/execution/a%2Fb"
            );
        }
        assert_eq!(
            backend("http://127.0.0.1:8080", &["p"])
                .url(&["x"])
                .as_str(),
            "http://127.0.0.1:8080/x"
        );
    }

    #[test]
    fn only_the_data_of_an_answer_tells_whether_it_changed() {
        let answer = |status: &str, correlation: &str| {
            http::Response::for_test(
                200,
                &format!(
                    r#"{{"status":"{status}","data":{{"content":[]}},"correlationId":"{correlation}"}}"#
                ),
            )
        };
        let (one, two) = (answer("SUCCESS", "c-1"), answer("SUCCESS", "c-2"));
        assert_eq!(raw_data(&one), Some(r#"{"content":[]}"#));
        assert_eq!(raw_data(&one), raw_data(&two));
        assert_eq!(raw_data(&answer("ERROR", "c-3")), None);
    }

    fn instance(status: Option<&str>, kind: Option<&str>) -> ApprovalInstance {
        serde_json::from_value(serde_json::json!({"id": "i", "status": status, "type": kind}))
            .unwrap()
    }

    #[test]
    fn decision_outcomes() {
        let outcome = |s: &str| decision_outcome(&instance(Some(s), None));
        assert_eq!(outcome("APPROVED"), Ok(DecisionOutcome::Approved));
        assert_eq!(outcome("Rejected"), Ok(DecisionOutcome::Rejected));
        assert_eq!(outcome("WAITING"), Ok(DecisionOutcome::StillWaiting));
        assert!(matches!(outcome("EXPIRED"), Err(BackendError::Expired(_))));
        assert_eq!(
            outcome("ABORTED"),
            Err(BackendError::Conflict(
                "the approval ended as ABORTED instead of taking the decision".into()
            ))
        );
        // Not a refusal: the outcome of the decision is unknown.
        for status in [None, Some("FLIGHTDECK_UNKNOWN_VALUE")] {
            let outcome = decision_outcome(&instance(status, None));
            assert!(
                matches!(&outcome, Err(e @ BackendError::Decode(_)) if e.outcome_unknown()),
                "{outcome:?}"
            );
        }
    }

    #[test]
    fn waiting_harness_approvals_only() {
        assert!(is_waiting_harness_approval(&instance(
            Some("WAITING"),
            Some("HarnessApproval")
        )));
        assert!(is_waiting_harness_approval(&instance(
            Some("waiting"),
            None
        )));
        assert!(!is_waiting_harness_approval(&instance(
            Some("APPROVED"),
            Some("HarnessApproval")
        )));
        assert!(!is_waiting_harness_approval(&instance(
            Some("WAITING"),
            Some("JiraApproval")
        )));
    }

    #[test]
    fn who_triggered() {
        let who = |json: serde_json::Value| {
            let mut summary = serde_json::json!({"planExecutionId": "p"});
            summary["executionTriggerInfo"] = json;
            triggered_by(&serde_json::from_value(summary).unwrap())
        };
        assert_eq!(
            who(
                serde_json::json!({"triggeredBy": {"identifier": "Jane", "extraInfo": {"email": "j@x.io"}}})
            ),
            "Jane"
        );
        assert_eq!(
            who(
                serde_json::json!({"triggeredBy": {"identifier": " ", "extraInfo": {"email": "j@x.io"}}})
            ),
            "j@x.io"
        );
        assert_eq!(
            who(
                serde_json::json!({"triggerType": "WEBHOOK", "triggeredBy": {"triggerName": "on push"}})
            ),
            "on push"
        );
        assert_eq!(
            who(serde_json::json!({"triggerType": "SCHEDULER_CRON"})),
            "scheduler_cron"
        );
        assert_eq!(who(serde_json::Value::Null), "");
    }

    #[test]
    fn activity_bodies() {
        let decision = Decision {
            action: DecisionAction::Reject,
            comment: "no".into(),
            inputs: vec![],
        };
        assert_eq!(
            activity_body(&decision, "approverInputs"),
            serde_json::json!({"action": "REJECT", "comments": "no", "approverInputs": []})
        );
    }

    #[test]
    fn project_tags_keep_the_variant() {
        assert_eq!(
            in_project(
                "p",
                BackendError::Server {
                    status: 502,
                    message: "x".into()
                }
            ),
            BackendError::Server {
                status: 502,
                message: "project p: x".into()
            }
        );
        assert_eq!(
            in_project("p", BackendError::Timeout(Duration::from_secs(3))),
            BackendError::Timeout(Duration::from_secs(3))
        );
    }
}
