//! Argo Workflows backend (spec `argo-api.md`): the argo-server REST API under `/api/v1`.
//!
//! # Mapping
//!
//! | flightdeck | Argo |
//! |---|---|
//! | project | the configured namespace |
//! | pipeline | a WorkflowTemplate (id = its name), a ClusterWorkflowTemplate (`cluster:NAME`, with `cluster_templates = true`), or a configured event binding (`event:NAME`) |
//! | execution | a Workflow (id = its name) |
//! | gate | a Suspend node in phase Running (id = node id); several parallel ones are separate gates |
//!
//! # Reads
//!
//! Workflow lists always send a `fields=` projection without nodes, templates or managed
//! fields: a list with nodes can be megabytes per workflow (spec §13). Lists are paged with
//! `listOptions.limit`/`continue` (an integer offset). Argo v4 sets `continue` only when
//! the archive reports more rows, so every list also asks `ext.showRemainingItemCount=true`,
//! which makes the server count; and when a full page still comes back without `continue`
//! or a count, the next offset is probed anyway (spec §4.2).
//!
//! An execution's status and stage progress come from its nodes (`map::execution`, the one
//! function for every read): a Running workflow with a waiting Suspend node is `waiting`, a
//! Succeeded one whose gate verdict was set to reject is `rejected`, and stages are counted
//! from the node tree, never from `status.progress` (which counts pods). So
//! `list_executions` keeps `items.status.nodes` in its projection (spec §13: needed to show
//! approval state in a list), and reads the rare workflow whose nodes the server left
//! compressed one by one. Gates need nodes too: `waiting_approvals` lists only Running
//! workflows with their nodes. What every read with nodes found is remembered per workflow
//! ([`map::Facts`]), for the watch, whose events leave nodes out.
//!
//! # Live status
//!
//! [`Backend::watch_executions`] lists once (with nodes), then follows
//! `GET /api/v1/workflow-events/{ns}` from the list's `resourceVersion` with a projection
//! that keeps `result.type` and leaves nodes out (`argo/watch.rs`): the server would send a
//! big workflow's every node on each of its changes. A workflow whose phase moved past the
//! facts last read for it is read once more with its nodes. The service falls back to
//! polling whenever the watch is down.
//!
//! # Writes
//!
//! Start = `POST /api/v1/workflows/{ns}/submit` with `name=value` parameters; an event
//! pipeline posts its JSON payload to `/api/v1/events/{ns}/{discriminator}`. Decisions are
//! described in `argo/decide.rs`. Every request carries `Authorization: Bearer <token>` when
//! a token is configured (servers in `server` auth mode need none); the value is marked
//! sensitive and never appears in previews, logs or errors.

mod control;
mod decide;
mod errors;
mod identity;
mod logs;
mod map;
mod stream;
mod watch;
mod wire;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use futures::{StreamExt, TryStreamExt};
use reqwest::Method;
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use tokio::sync::mpsc;
use url::Url;

use crate::backend::http::{self, Call, HttpClient, HttpOptions, Redactor};
use crate::backend::links;
use crate::backend::{Backend, Budget, Result};
use crate::domain::RequestPreview;
use crate::domain::{
    Approval, BackendError, BackendKind, BackendName, Decision, DecisionAction, DecisionOutcome,
    ExecRef, ExecStatus, Execution, ExecutionDetail, LogLine, Pipeline, StartForm, StartRequest,
    StartResult, Status, VarKind, VariableSpec,
};

pub use decide::RejectMode;
use map::{CLUSTER_PREFIX, EVENT_PREFIX};
use wire::{Workflow, WorkflowList, WorkflowTemplate, WorkflowTemplateList};

/// Page size of workflow and template lists.
const PAGE: usize = 500;
/// Most workflows one list returns, and the watch keeps; the dashboard's budget is 10,000
/// executions. One page past it fails while decoding ([`crate::backend::capped`]).
const MAX_WORKFLOWS: usize = crate::backend::capped::MAX_EXECUTIONS;
/// The server sends a keep-alive every 15 s on streams; three missed mean a dead connection.
const STREAM_IDLE: Duration = Duration::from_secs(45);
/// Compressed-node workflows read one by one at most this many at a time.
const DETAIL_CONCURRENCY: usize = 4;

/// The projection of the watch: what the executions table shows, no nodes. Public for the
/// benchmark that weighs it against an unprojected list.
pub const LIST_FIELDS: &str = "metadata.resourceVersion,metadata.continue,metadata.remainingItemCount,\
items.metadata.name,items.metadata.namespace,items.metadata.uid,items.metadata.resourceVersion,\
items.metadata.creationTimestamp,items.metadata.labels,items.status.phase,items.status.message,\
items.status.startedAt,items.status.finishedAt,items.status.progress,items.spec.suspend,\
items.spec.shutdown,items.spec.workflowTemplateRef";

/// The projection of executions lists: the watch's, plus the nodes their status and stage
/// progress are read from (still no templates or managed fields).
const LIST_NODE_FIELDS: &str = "metadata.resourceVersion,metadata.continue,metadata.remainingItemCount,\
items.metadata.name,items.metadata.namespace,items.metadata.uid,items.metadata.resourceVersion,\
items.metadata.creationTimestamp,items.metadata.labels,items.status.phase,items.status.message,\
items.status.startedAt,items.status.finishedAt,items.status.progress,items.spec.suspend,\
items.spec.shutdown,items.spec.workflowTemplateRef,items.status.nodes,items.status.compressedNodes";

/// One workflow's phase and nodes: what [`map::Facts`] are read from.
const FACT_FIELDS: &str = "metadata.name,metadata.resourceVersion,status.phase,status.nodes";

/// The list projection plus what gates need: nodes and the workflow's arguments.
const GATE_FIELDS: &str = "metadata.resourceVersion,metadata.continue,metadata.remainingItemCount,\
items.metadata.name,items.metadata.namespace,items.metadata.resourceVersion,\
items.metadata.creationTimestamp,items.metadata.labels,items.status.phase,items.spec.arguments,\
items.spec.workflowTemplateRef,items.status.nodes,items.status.compressedNodes";

/// A workflow without what a dashboard never shows and can be megabytes (exclude mode).
const DETAIL_FIELDS: &str = "-metadata.managedFields,spec.templates,status.storedTemplates,\
status.storedWorkflowTemplateSpec";

/// A WorkflowEventBinding to trigger: `POST /api/v1/events/{namespace}/{discriminator}`.
/// Argo cannot list which payloads a binding accepts, so the config names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgoEvent {
    pub name: String,
    pub discriminator: String,
    pub description: String,
    /// The default JSON payload, already checked to be JSON.
    pub payload: String,
}

/// Configuration of one Argo backend.
#[derive(Debug, Clone)]
pub struct ArgoOptions {
    pub name: BackendName,
    /// The argo-server root, e.g. `https://argo.example.com:2746`; `/api/v1/...` is appended.
    pub base_url: Url,
    pub namespace: String,
    pub token: Option<SecretString>,
    /// Also list ClusterWorkflowTemplates.
    pub cluster_templates: bool,
    /// A k8s label selector every workflow list and watch is narrowed by.
    pub label_selector: Option<String>,
    pub reject: RejectMode,
    pub events: Vec<ArgoEvent>,
    pub timeout: Duration,
    pub ca_file: Option<PathBuf>,
    pub insecure_skip_verify: bool,
}

#[derive(Debug)]
pub struct ArgoBackend {
    name: BackendName,
    base: Url,
    namespace: String,
    token: Option<SecretString>,
    cluster_templates: bool,
    label_selector: Option<String>,
    reject: RejectMode,
    events: Vec<ArgoEvent>,
    http: HttpClient,
    facts: Arc<Mutex<HashMap<String, map::Facts>>>,
    /// The web UI's root with its base href, for links: `base_url` unless `ui_url` says.
    ui: Url,
}

impl ArgoBackend {
    pub fn new(options: ArgoOptions) -> Result<Self> {
        let base = options.base_url;
        http::check_base_url(&base, "https://argo.example.com:2746")?;
        if options.namespace.trim().is_empty() {
            return Err(BackendError::BadRequest(
                "argo namespace is empty".to_owned(),
            ));
        }
        if let Some(token) = &options.token
            && (token.expose_secret().trim().is_empty()
                || HeaderValue::from_str(&format!("Bearer {}", token.expose_secret())).is_err())
        {
            // Never echo the token itself: say only what is wrong with it.
            return Err(BackendError::BadRequest(
                "the Argo token is empty or contains characters not allowed in an HTTP header"
                    .to_owned(),
            ));
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
        let ui = base.clone();
        Ok(ArgoBackend {
            name: options.name,
            base,
            namespace: options.namespace,
            token: options.token,
            cluster_templates: options.cluster_templates,
            label_selector: options.label_selector.filter(|s| !s.trim().is_empty()),
            reject: options.reject,
            events: options.events,
            http,
            facts: Arc::default(),
            ui,
        })
    }

    /// Links to the UI at `ui_url` (a UI served apart from the API, or under another base
    /// href) instead of `base_url`.
    pub fn with_ui_url(mut self, ui_url: Option<Url>) -> Self {
        if let Some(ui) = ui_url {
            self.ui = ui;
        }
        self
    }

    /// An execution with its workflow's page.
    fn linked(&self, mut execution: Execution) -> Execution {
        execution.url = links::argo_workflow(&self.ui, &execution.project, &execution.id);
        execution
    }

    /// A gate with its workflow's page, the gate's node selected.
    fn linked_gate(&self, mut gate: Approval) -> Approval {
        gate.url = links::argo_workflow(&self.ui, &gate.project, &gate.execution_id)
            .and_then(|l| links::with_query(&l, &[("tab", "workflow"), ("nodeId", &gate.id)]));
        gate
    }

    // ----- URLs and requests -------------------------------------------------------------

    /// `<base>/api/v1/<segments>` with every segment escaped.
    fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        // Checked in `new`: the base can hold path segments.
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(["api", "v1"]).extend(segments);
        }
        url
    }

    /// A call with the headers every request carries; `accept` picks the framing of
    /// streams (`text/event-stream` gets SSE with keep-alives).
    fn call_accepting(&self, method: Method, url: Url, accept: &str) -> Call {
        let call = Call::new(method, url).header(ACCEPT, accept);
        match self.token {
            Some(_) => call.secret(AUTHORIZATION, "Bearer "),
            None => call,
        }
    }

    /// A JSON call (every request but streams).
    fn json_call(&self, method: Method, url: Url, body: Option<String>) -> Call {
        let call = self.call_accepting(method, url, "application/json");
        match body {
            Some(body) => call.body("application/json", body),
            None => call,
        }
    }

    async fn call<T: DeserializeOwned>(&self, call: &Call) -> Result<T> {
        let response = self.http.send_call(call, self.token.as_ref()).await?;
        if !response.is_success() {
            return Err(errors::error(&response));
        }
        response.json()
    }

    async fn get<T: DeserializeOwned>(&self, url: Url) -> Result<T> {
        self.call(&self.json_call(Method::GET, url, None)).await
    }

    /// Opens a server stream (watch or log) with SSE framing, for its keep-alives.
    async fn open_stream(&self, url: Url) -> Result<stream::Frames<'_>> {
        let call = self.call_accepting(Method::GET, url, "text/event-stream");
        let request = self.http.build(&call, self.token.as_ref())?;
        match self.http.open_stream(request).await? {
            Ok(response) => Ok(stream::Frames::new(&self.http, response, STREAM_IDLE)),
            Err(response) => Err(errors::error(&response)),
        }
    }

    /// One workflow of the namespace, projected by `fields`.
    async fn workflow(&self, name: &str, fields: &str) -> Result<Workflow> {
        let mut url = self.url(&["workflows", &self.namespace, name]);
        url.query_pairs_mut().append_pair("fields", fields);
        self.get(url).await
    }

    fn facts(&self) -> MutexGuard<'_, HashMap<String, map::Facts>> {
        // Every change is applied whole, so a poisoned lock still holds good data.
        self.facts.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Remembers what the nodes of each workflow read with them say.
    fn remember<'a>(&self, workflows: impl IntoIterator<Item = &'a Workflow>) {
        let mut known = self.facts();
        for w in workflows {
            if let Some(f) = map::facts(w) {
                known.insert(w.metadata.name.clone(), f);
            }
        }
    }

    /// Replaces list items whose nodes the server left compressed (lists do not expand
    /// them, spec §4.2) by the workflow read alone, which does.
    async fn expand(&self, workflows: Vec<Workflow>, fields: &str) -> Result<Vec<Workflow>> {
        let (complete, compressed): (Vec<Workflow>, Vec<Workflow>) = workflows
            .into_iter()
            .partition(|w| w.status.nodes.is_some() || w.status.compressed_nodes.is_none());
        let expanded: Vec<Workflow> = futures::stream::iter(compressed)
            .map(|w| async move { self.workflow(&w.metadata.name, fields).await })
            .buffer_unordered(DETAIL_CONCURRENCY)
            .try_collect()
            .await?;
        Ok(complete.into_iter().chain(expanded).collect())
    }

    /// Reads with their nodes the workflows whose phase moved past the facts last read for
    /// them (a workflow started, or ended), so a row never shows facts of another phase for
    /// longer than one read. Pending workflows have no nodes worth reading.
    async fn refresh_facts<'a>(&self, workflows: impl Iterator<Item = &'a Workflow>) -> Result<()> {
        let stale: Vec<String> = {
            let known = self.facts();
            workflows
                .filter(|w| {
                    let phase = w.status.phase.as_deref().unwrap_or("");
                    !matches!(phase, "" | "Pending")
                        && w.status.nodes.is_none()
                        && known.get(&w.metadata.name).is_none_or(|f| f.phase != phase)
                })
                .map(|w| w.metadata.name.clone())
                .collect()
        };
        let read: Vec<Result<Workflow>> = futures::stream::iter(stale)
            .map(|name| async move { self.workflow(&name, FACT_FIELDS).await })
            .buffer_unordered(DETAIL_CONCURRENCY)
            .collect()
            .await;
        for w in read {
            match w {
                Ok(w) => self.remember([&w]),
                // Deleted meanwhile: the next event says so.
                Err(BackendError::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    // ----- workflows ---------------------------------------------------------------------

    /// The workflow list URL for one page, narrowed by the configured and `extra` labels.
    fn list_url(&self, fields: &str, extra_labels: Option<&str>, offset: usize) -> Url {
        let mut url = self.url(&["workflows", &self.namespace]);
        {
            let mut query = url.query_pairs_mut();
            let labels: Vec<&str> = self
                .label_selector
                .as_deref()
                .into_iter()
                .chain(extra_labels)
                .collect();
            if !labels.is_empty() {
                query.append_pair("listOptions.labelSelector", &labels.join(","));
            }
            query
                .append_pair(
                    "listOptions.fieldSelector",
                    "ext.showRemainingItemCount=true",
                )
                .append_pair("listOptions.limit", &PAGE.to_string());
            if offset > 0 {
                query.append_pair("listOptions.continue", &offset.to_string());
            }
            query.append_pair("fields", fields);
        }
        url
    }

    /// Every workflow matching, all pages, up to [`MAX_WORKFLOWS`]; with the list's
    /// `resourceVersion`, where a watch resumes.
    async fn list_workflows(
        &self,
        fields: &str,
        extra_labels: Option<&str>,
    ) -> Result<(Vec<Workflow>, String)> {
        let mut all = Vec::new();
        let mut offset = 0;
        let mut version = String::new();
        loop {
            let page: WorkflowList = self
                .get(self.list_url(fields, extra_labels, offset))
                .await?;
            let items = page.items.unwrap_or_default();
            let got = items.len();
            if version.is_empty() {
                version = page.metadata.resource_version.clone();
            }
            all.extend(items);
            let next = match (&page.metadata.continue_, page.metadata.remaining_item_count) {
                (Some(c), _) if !c.is_empty() => c.parse::<usize>().ok(),
                (_, Some(remaining)) if remaining > 0 => Some(offset + got),
                (_, Some(_)) => None,
                // v4 without an archive never says there is more: probe after a full page.
                (_, None) if got >= PAGE => Some(offset + got),
                _ => None,
            };
            match next {
                Some(n) if n > offset && got > 0 && all.len() < MAX_WORKFLOWS => offset = n,
                _ => break,
            }
        }
        if all.len() > MAX_WORKFLOWS {
            tracing::warn!(backend = %self.name, "more than {MAX_WORKFLOWS} workflows listed; keeping the first {MAX_WORKFLOWS}");
            all.truncate(MAX_WORKFLOWS);
        }
        Ok((all, version))
    }

    /// Executions from workflows with or without their nodes, the latter mapped with the
    /// facts last read for them (unsorted: the display order is `domain::order`'s).
    fn executions_of<'a>(&self, workflows: impl Iterator<Item = &'a Workflow>) -> Vec<Execution> {
        let known = self.facts();
        workflows
            .map(|w| self.linked(map::execution(&self.name, w, known.get(&w.metadata.name))))
            .collect()
    }

    // ----- starts --------------------------------------------------------------------------

    fn event(&self, pipeline_id: &str) -> Option<&ArgoEvent> {
        let name = pipeline_id.strip_prefix(EVENT_PREFIX)?;
        self.events.iter().find(|e| e.name == name)
    }

    fn check_project(&self, project: &str) -> Result<()> {
        if project == self.namespace {
            return Ok(());
        }
        Err(BackendError::NotFound(format!(
            "{} shows namespace {}, not {project:?}",
            self.name, self.namespace
        )))
    }

    async fn template(&self, pipeline_id: &str) -> Result<WorkflowTemplate> {
        let url = match pipeline_id.strip_prefix(CLUSTER_PREFIX) {
            Some(name) => self.url(&["cluster-workflow-templates", name]),
            None => self.url(&["workflow-templates", &self.namespace, pipeline_id]),
        };
        self.get(url).await
    }

    async fn form(&self, project: &str, pipeline_id: &str) -> Result<StartForm> {
        self.check_project(project)?;
        if let Some(event) = self.event(pipeline_id) {
            return Ok(StartForm {
                variables: vec![VariableSpec {
                    name: PAYLOAD.to_owned(),
                    kind: VarKind::Text,
                    required: false,
                    default: Some(event.payload.clone()),
                    description: Some(format!(
                        "JSON payload posted to the {:?} event endpoint",
                        event.discriminator
                    )),
                }],
            });
        }
        let template = self.template(pipeline_id).await?;
        Ok(StartForm {
            variables: template
                .spec
                .arguments
                .parameters
                .iter()
                .map(map::variable)
                .collect(),
        })
    }

    /// The start request, checked against the form before anything is sent.
    fn start_call(&self, form: &StartForm, request: &StartRequest) -> Result<Call> {
        let values = checked_values(form, &request.values)?;
        if let Some(event) = self.event(&request.pipeline_id) {
            let payload = values
                .iter()
                .find(|(n, _)| n == PAYLOAD)
                .map(|(_, v)| v.clone())
                .unwrap_or_else(|| event.payload.clone());
            let json: serde_json::Value = serde_json::from_str(&payload).map_err(|e| {
                BackendError::BadRequest(format!("{PAYLOAD} is not valid JSON: {e}"))
            })?;
            let url = self.url(&["events", &self.namespace, &event.discriminator]);
            return Ok(self.json_call(Method::POST, url, Some(json.to_string())));
        }
        let (kind, name) = match request.pipeline_id.strip_prefix(CLUSTER_PREFIX) {
            Some(name) => ("ClusterWorkflowTemplate", name),
            None => ("WorkflowTemplate", request.pipeline_id.as_str()),
        };
        let body = wire::SubmitRequest {
            namespace: self.namespace.clone(),
            resource_kind: kind,
            resource_name: name.to_owned(),
            submit_options: wire::SubmitOptions {
                parameters: values.iter().map(|(n, v)| format!("{n}={v}")).collect(),
                labels: None,
            },
        };
        let url = self.url(&["workflows", &self.namespace, "submit"]);
        Ok(self.json_call(Method::POST, url, Some(to_json(&body))))
    }

    // ----- decisions -----------------------------------------------------------------------

    fn action_call(&self, workflow: &str, action: &str, body: String) -> Call {
        let url = self.url(&["workflows", &self.namespace, workflow, action]);
        self.json_call(Method::PUT, url, Some(body))
    }

    fn decision_call(&self, approval: &Approval, step: &decide::Call) -> Call {
        let workflow = approval.execution_id.clone();
        let selector = format!("id={}", approval.id);
        let namespace = self.namespace.clone();
        match step {
            decide::Call::Set {
                output_parameters,
                message,
                failed,
            } => {
                let body = wire::SetRequest {
                    namespace,
                    name: workflow.clone(),
                    node_field_selector: selector,
                    phase: failed.then_some("Failed"),
                    message: message.clone(),
                    output_parameters: output_parameters.clone(),
                };
                self.action_call(&workflow, "set", to_json(&body))
            }
            decide::Call::Resume => {
                let body = wire::ResumeRequest {
                    namespace,
                    name: workflow.clone(),
                    node_field_selector: selector,
                };
                self.action_call(&workflow, "resume", to_json(&body))
            }
            decide::Call::Stop { message } => {
                let body = wire::StopRequest {
                    namespace,
                    name: workflow.clone(),
                    node_field_selector: selector,
                    message: Some(message.clone()),
                };
                self.action_call(&workflow, "stop", to_json(&body))
            }
        }
    }
}

/// The verdict parameter a decision on `approval` sets, and its value, when the gate has
/// one (see `decide::plan`): what the audit log records a reject with.
pub fn verdict_sent(approval: &Approval, decision: &Decision) -> Option<(String, String)> {
    let (name, yes, no) = map::verdict(&approval.inputs)?;
    let value = match decision.action {
        DecisionAction::Approve => yes,
        DecisionAction::Reject => no,
    };
    Some((name.to_owned(), value.to_owned()))
}

/// The start-form variable of an event pipeline.
const PAYLOAD: &str = "payload";

fn to_json(value: &impl serde::Serialize) -> String {
    // Plain structs of strings and vectors always serialize.
    serde_json::to_string(value).unwrap_or_default()
}

/// The values to send: blank ones dropped (the server applies defaults), unknown names,
/// missing required values and values outside a choice refused, naming the variable.
fn checked_values(form: &StartForm, values: &[(String, String)]) -> Result<Vec<(String, String)>> {
    for (name, _) in values {
        if !form.variables.iter().any(|v| &v.name == name) {
            let known: Vec<&str> = form.variables.iter().map(|v| v.name.as_str()).collect();
            return Err(BackendError::BadRequest(format!(
                "unknown variable {name:?}; this pipeline takes {}",
                if known.is_empty() {
                    "no variables".to_owned()
                } else {
                    known.join(", ")
                }
            )));
        }
    }
    let mut out = Vec::new();
    for var in &form.variables {
        let value = values
            .iter()
            .rev()
            .find(|(n, v)| n == &var.name && !v.trim().is_empty())
            .map(|(_, v)| v.clone());
        match value {
            Some(v) => {
                if let VarKind::Choice(options) = &var.kind
                    && !options.contains(&v)
                {
                    return Err(BackendError::BadRequest(format!(
                        "{}={v} is not one of {}",
                        var.name,
                        options.join(", ")
                    )));
                }
                out.push((var.name.clone(), v));
            }
            None if var.required => {
                return Err(BackendError::BadRequest(format!(
                    "{} is required (no default)",
                    var.name
                )));
            }
            None => {}
        }
    }
    Ok(out)
}

#[async_trait]
impl Backend for ArgoBackend {
    fn name(&self) -> &BackendName {
        &self.name
    }

    fn pace(&self) -> Option<&std::sync::Arc<super::budget::Pace>> {
        Some(self.http.pace())
    }

    fn kind(&self) -> BackendKind {
        BackendKind::Argo
    }

    /// argo-server documents no request limit; a start reads the template, then submits.
    fn budget(&self) -> Budget {
        Budget {
            per_start: 2,
            ..Budget::UNLIMITED
        }
    }

    async fn whoami(&self) -> Result<crate::backend::Identity> {
        self.who_am_i().await
    }

    async fn list_pipelines(&self) -> Result<Vec<Pipeline>> {
        let mut pipelines = Vec::new();
        let mut sources = vec![(self.url(&["workflow-templates", &self.namespace]), false)];
        if self.cluster_templates {
            sources.push((self.url(&["cluster-workflow-templates"]), true));
        }
        for (base, cluster) in sources {
            let mut token: Option<String> = None;
            loop {
                let mut url = base.clone();
                url.query_pairs_mut()
                    .append_pair("listOptions.limit", &PAGE.to_string());
                if let Some(t) = &token {
                    url.query_pairs_mut().append_pair("listOptions.continue", t);
                }
                let page: WorkflowTemplateList = self.get(url).await?;
                for template in page.items.unwrap_or_default() {
                    let mut p = map::pipeline(&self.name, &template, cluster);
                    // Cluster templates are submitted into the configured namespace.
                    p.project = self.namespace.clone();
                    pipelines.push(p);
                }
                match page.metadata.continue_.filter(|c| !c.is_empty()) {
                    Some(next) if Some(&next) != token.as_ref() => token = Some(next),
                    _ => break,
                }
            }
        }
        for event in &self.events {
            pipelines.push(Pipeline {
                backend: self.name.clone(),
                project: self.namespace.clone(),
                id: format!("{EVENT_PREFIX}{}", event.name),
                name: event.name.clone(),
                description: if event.description.is_empty() {
                    format!("event {}", event.discriminator)
                } else {
                    event.description.clone()
                },
                tags: vec![("event".to_owned(), event.discriminator.clone())],
                last_status: None,
                last_run: None,
                stages: None,
            });
        }
        Ok(pipelines)
    }

    async fn start_form(&self, project: &str, pipeline_id: &str) -> Result<StartForm> {
        self.form(project, pipeline_id).await
    }

    async fn start(&self, request: &StartRequest) -> Result<StartResult> {
        let form = self.form(&request.project, &request.pipeline_id).await?;
        let call = self.start_call(&form, request)?;
        if let Some(event) = self.event(&request.pipeline_id) {
            let _: serde_json::Value = self.call(&call).await?;
            return Ok(StartResult {
                execution_id: format!("{EVENT_PREFIX}{}", event.discriminator),
                status: Status::new(ExecStatus::Unknown, "event accepted"),
            });
        }
        let workflow: Workflow = self.call(&call).await?;
        Ok(StartResult {
            execution_id: workflow.metadata.name.clone(),
            status: map::workflow_status(&workflow, None),
        })
    }

    async fn start_preview(&self, request: &StartRequest) -> Result<RequestPreview> {
        let form = self.form(&request.project, &request.pipeline_id).await?;
        Ok(self.start_call(&form, request)?.preview())
    }

    async fn list_executions(&self) -> Result<Vec<Execution>> {
        let (workflows, _) = self.list_workflows(LIST_NODE_FIELDS, None).await?;
        let workflows = self.expand(workflows, DETAIL_FIELDS).await?;
        self.remember(&workflows);
        Ok(self.executions_of(workflows.iter()))
    }

    async fn execution(&self, exec: &ExecRef) -> Result<ExecutionDetail> {
        self.check_project(&exec.project)?;
        if exec.id.starts_with(EVENT_PREFIX) {
            return Err(BackendError::Unsupported(
                "an event has no execution of its own; the workflows it started carry the label \
                 workflows.argoproj.io/workflow-event-binding"
                    .to_owned(),
            ));
        }
        let workflow = self.workflow(&exec.id, DETAIL_FIELDS).await?;
        self.remember([&workflow]);
        Ok(ExecutionDetail {
            execution: self.linked(map::execution(&self.name, &workflow, None)),
            stages: map::stages(&workflow),
            approvals: map::approvals(&self.name, &workflow)
                .into_iter()
                .map(|g| self.linked_gate(g))
                .collect(),
            rejection: map::rejection(&workflow),
        })
    }

    async fn gate_history(
        &self,
        exec: &ExecRef,
    ) -> Result<Option<Vec<crate::backend::GateRecord>>> {
        self.check_project(&exec.project)?;
        let workflow = self.workflow(&exec.id, DETAIL_FIELDS).await?;
        Ok(Some(map::gate_records(&workflow)))
    }

    async fn waiting_approvals(&self) -> Result<Vec<Approval>> {
        let running = "workflows.argoproj.io/phase=Running";
        let (workflows, _) = self.list_workflows(GATE_FIELDS, Some(running)).await?;
        let workflows = self.expand(workflows, DETAIL_FIELDS).await?;
        self.remember(&workflows);
        Ok(workflows
            .iter()
            .flat_map(|w| map::approvals(&self.name, w))
            .map(|g| self.linked_gate(g))
            .collect())
    }

    async fn decide(&self, approval: &Approval, decision: &Decision) -> Result<DecisionOutcome> {
        self.check_project(&approval.project)?;
        let plan = decide::plan(approval, decision, self.reject)?;
        for step in &plan {
            let _: Workflow = self.call(&self.decision_call(approval, step)).await?;
        }
        if let Some(f) = self.facts().get_mut(&approval.execution_id) {
            f.gates = f.gates.saturating_sub(1);
        }
        Ok(match decision.action {
            DecisionAction::Approve => DecisionOutcome::Approved,
            DecisionAction::Reject => DecisionOutcome::Rejected,
        })
    }

    async fn control(
        &self,
        exec: &ExecRef,
        action: &crate::backend::Control,
    ) -> Result<crate::backend::ControlOutcome> {
        self.control_exec(exec, action).await
    }

    fn can_watch(&self) -> bool {
        true
    }

    async fn logs(
        &self,
        exec: &ExecRef,
        step: Option<&str>,
        follow: bool,
        lines: &mpsc::UnboundedSender<LogLine>,
    ) -> Result<()> {
        self.check_project(&exec.project)?;
        logs::stream(self, exec, step, follow, lines).await
    }

    async fn watch_executions(&self, lists: &mpsc::UnboundedSender<Vec<Execution>>) -> Result<()> {
        watch::run(self, lists).await
    }
}
