//! Harness First Gen (CG) backend over GraphQL (spec `harness-api.md` sections 4 and 5).
//!
//! # Endpoint and authentication
//!
//! Every call is `POST {base_url}/api/graphql?accountId=<account>` with the header
//! `x-api-key: <key>` and a JSON body `{"query", "variables"}`. For Harness SaaS the base is
//! `https://app.harness.io/gateway`. The key is a [`SecretString`] exposed only into a header
//! value marked sensitive; no error or preview contains it.
//!
//! # Identity and naming conventions
//!
//! - A project is an application **name**; application ids are looked up (and cached).
//! - A pipeline id is `pipeline:<entityId>` or `workflow:<entityId>`, so a start knows which
//!   `executionType` to send; the pipeline also carries the tag `type = pipeline|workflow`.
//! - Start values are name/value pairs. A variable's value is sent as
//!   `variableValue {type: NAME, value}` (entity variables are resolved by name; plain text
//!   variables take NAME too, EXPRESSION being refused for manual starts). An artifact for a
//!   service is the value `artifact:<service>` = `<artifactSourceName>/<buildNumber>` and
//!   becomes a `serviceInputs` entry of type `BUILD_NUMBER`.
//! - A required variable or artifact left empty is refused before any request, from the
//!   variables cached by the last `list_pipelines` (or read once if not cached).
//!
//! # Status
//!
//! A First Gen approval that waits shows as `PAUSED`. In lists a pipeline run is `Waiting`
//! when one of its approval stages is paused; a paused workflow run (no stage data) reads
//! `Paused` until its detail is read, where pending `approvalDetails` make it `Waiting`.
//!
//! # Rate limit
//!
//! First Gen allows about 30 GraphQL calls a minute per account, so the client keeps calls
//! few: one request lists every application with its pipelines and workflows, one lists
//! executions, and approval details are read only for PAUSED executions.
//!
//! # What each operation sends
//!
//! | operation | requests |
//! |---|---|
//! | `list_pipelines` | `applications` with nested `pipelines`/`workflows` (all pages) |
//! | `start_form` | `pipeline`/`workflow` by id, then `executionInputs` for artifacts |
//! | `start` | `startExecution` (the form's requests first if nothing is cached) |
//! | `list_executions` | `executions` of the applications, newest 50 |
//! | `execution` | `execution(executionId)`, then `approvalDetails` if PAUSED |
//! | `waiting_approvals` | `executions` filtered on PAUSED, then `approvalDetails` per execution |
//! | `decide` | `approveOrRejectApprovals` |

mod control;
mod errors;
mod queries;
mod wire;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use reqwest::Method;
use reqwest::header::{HeaderName, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use url::Url;

use crate::backend::http::{self, Call, HttpClient, HttpOptions, Redactor};
use crate::backend::{Backend, Budget, Result};
use crate::domain::{
    Approval, ApproverInput, BackendError, BackendKind, BackendName, Decision, DecisionAction,
    DecisionOutcome, ExecRef, ExecStatus, Execution, ExecutionDetail, Pipeline, RequestPreview,
    Stage, StartForm, StartRequest, StartResult, Status, VarKind, VariableSpec,
};

use wire::{Application, Connection, Entity, millis};

/// What `l` and `flightdeck logs` say on First Gen (`control-logs-identity.md` §2.2).
pub const NO_LOGS: &str =
    "no logs: Harness First Gen has no log API for API keys; read them in the Harness web UI";

/// First Gen caps `limit` at 100.
const PAGE: i64 = 100;
/// Recent executions in the executions list.
const EXECUTIONS: i64 = 50;
/// No paged walk goes further: a server that always says "more" cannot keep us looping.
const MAX_PAGES: i64 = 50;
/// Executions whose gates one call reads: enough for every gate a team has waiting at
/// once, few enough to keep a document well within what a server accepts.
const GATES_PER_CALL: usize = 25;
/// The value prefix naming a service's artifact in [`StartRequest::values`].
pub const ARTIFACT_PREFIX: &str = "artifact:";

const API_KEY_HEADER: HeaderName = HeaderName::from_static("x-api-key");

/// Configuration of one Harness First Gen backend.
#[derive(Debug, Clone)]
pub struct HarnessFgOptions {
    pub name: BackendName,
    /// `https://app.harness.io/gateway` for SaaS; `/api/graphql` is appended.
    pub base_url: Url,
    pub account: String,
    /// Application names to show; empty means every application the key can see.
    pub applications: Vec<String>,
    pub api_key: SecretString,
    pub timeout: Duration,
    pub ca_file: Option<PathBuf>,
    pub insecure_skip_verify: bool,
}

/// Pipeline or workflow: the `executionType` of a start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EntityKind {
    Pipeline,
    Workflow,
}

impl EntityKind {
    fn wire(self) -> &'static str {
        match self {
            EntityKind::Pipeline => "PIPELINE",
            EntityKind::Workflow => "WORKFLOW",
        }
    }

    fn prefix(self) -> &'static str {
        match self {
            EntityKind::Pipeline => "pipeline:",
            EntityKind::Workflow => "workflow:",
        }
    }
}

/// Splits `pipeline:<id>` / `workflow:<id>`.
fn parse_id(id: &str) -> Result<(EntityKind, &str)> {
    [EntityKind::Pipeline, EntityKind::Workflow]
        .into_iter()
        .find_map(|k| id.strip_prefix(k.prefix()).map(|rest| (k, rest)))
        .filter(|(_, rest)| !rest.is_empty())
        .ok_or_else(|| {
            BackendError::BadRequest(format!(
                "{id} is not a First Gen pipeline id (pipeline:<id> or workflow:<id>)"
            ))
        })
}

/// A Harness First Gen client for one account.
#[derive(Debug)]
pub struct HarnessFgBackend {
    name: BackendName,
    url: Url,
    applications: Vec<String>,
    api_key: SecretString,
    http: HttpClient,
    /// Application name → id, from the last listing.
    app_ids: Mutex<HashMap<String, String>>,
    /// Start forms by (application name, pipeline id), from the last listing.
    forms: Mutex<HashMap<(String, String), StartForm>>,
    account: String,
    /// The portal, for the rare execution the server sends without its `executionUrl`:
    /// `base_url` without `/gateway` unless `ui_url` says.
    ui: Url,
}

impl HarnessFgBackend {
    pub fn new(options: HarnessFgOptions) -> Result<Self> {
        let base = options.base_url;
        http::check_base_url(&base, "https://app.harness.io/gateway")?;
        if options.account.trim().is_empty() {
            return Err(BackendError::BadRequest(
                "harness-fg account is empty".into(),
            ));
        }
        let key = options.api_key.expose_secret();
        if key.trim().is_empty() || HeaderValue::from_str(key).is_err() {
            // Never echo the key itself: say only what is wrong with it.
            return Err(BackendError::BadRequest(
                "the First Gen API key is empty or contains characters not allowed in an HTTP header"
                    .into(),
            ));
        }
        let mut ui = base.clone();
        if let Ok(mut path) = ui.path_segments_mut() {
            path.pop_if_empty();
        }
        if ui.path_segments().and_then(|mut s| s.next_back()) == Some("gateway")
            && let Ok(mut path) = ui.path_segments_mut()
        {
            path.pop();
        }
        let mut url = base;
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(["api", "graphql"]);
        }
        url.query_pairs_mut()
            .append_pair("accountId", &options.account);
        let http = HttpClient::new(
            &HttpOptions {
                ca_file: options.ca_file,
                insecure_skip_verify: options.insecure_skip_verify,
                plain_http: url.scheme() == "http",
                ..HttpOptions::new(options.timeout)
            },
            Redactor::of(Some(&options.api_key)),
        )?;
        Ok(HarnessFgBackend {
            name: options.name,
            url,
            applications: options.applications,
            api_key: options.api_key,
            http,
            app_ids: Mutex::default(),
            forms: Mutex::default(),
            account: options.account,
            ui,
        })
    }

    /// Builds links for a portal at `ui_url` when the server sends none of its own.
    pub fn with_ui_url(mut self, ui_url: Option<Url>) -> Self {
        if let Some(ui) = ui_url {
            self.ui = ui;
        }
        self
    }

    /// The server's own link, else (pipelines only) the spec's form under `ui`.
    fn execution_url(&self, e: &wire::Execution, workflow: bool) -> Option<String> {
        match e.execution_url.as_deref().filter(|u| !u.trim().is_empty()) {
            Some(own) => crate::backend::links::safe(own),
            None if workflow => None,
            None => crate::backend::links::harness_fg_execution(
                &self.ui,
                &self.account,
                e.application
                    .as_ref()
                    .and_then(|a| a.id.as_deref())
                    .unwrap_or_default(),
                &e.id,
            ),
        }
    }

    /// Sends one GraphQL operation and returns its `data`, or the mapped error.
    async fn call<T: DeserializeOwned>(&self, query: &str, variables: Value) -> Result<T> {
        self.data(&self.gql_call(query, variables)).await
    }

    /// Sends a GraphQL call and returns its `data`, or the mapped error.
    async fn data<T: DeserializeOwned>(&self, call: &Call) -> Result<T> {
        let (data, errors) = self.send(call).await?;
        if !errors.is_empty() {
            return Err(errors::from_errors(&errors));
        }
        let data = data.ok_or_else(|| BackendError::Decode("the response has no data".into()))?;
        decode(data)
    }

    /// A GraphQL answer as it came: its data (`None` when null) and its errors, which a
    /// document of several fields reads field by field.
    async fn call_fields(
        &self,
        query: &str,
        variables: Value,
    ) -> Result<(Option<Value>, Vec<errors::GqlError>)> {
        self.send(&self.gql_call(query, variables)).await
    }

    /// One GraphQL operation as the request that carries it; every call is this shape.
    fn gql_call(&self, query: &str, variables: Value) -> Call {
        Call::new(Method::POST, self.url.clone())
            .secret(API_KEY_HEADER, "")
            .json(&json!({"query": query, "variables": variables}))
    }

    /// Sends a GraphQL call: its data (`None` when null) and its errors.
    async fn send(&self, call: &Call) -> Result<(Option<Value>, Vec<errors::GqlError>)> {
        let response = self.http.send_call(call, Some(&self.api_key)).await?;
        if !response.is_success() {
            return Err(errors::map_error(&response));
        }
        #[derive(serde::Deserialize)]
        struct Reply {
            #[serde(default)]
            data: Option<Value>,
            #[serde(default)]
            errors: Option<Vec<errors::GqlError>>,
        }
        let reply: Reply = response.json()?;
        Ok((
            reply.data.filter(|d| !d.is_null()),
            reply.errors.unwrap_or_default(),
        ))
    }

    fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
        m.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn wanted(&self, name: &str) -> bool {
        self.applications.is_empty() || self.applications.iter().any(|a| a == name)
    }

    /// Every application (with its first page of pipelines and workflows) the config asks
    /// for; a configured name the server does not know is an error naming it.
    async fn fetch_applications(&self) -> Result<Vec<Application>> {
        #[derive(serde::Deserialize)]
        struct Data {
            applications: Option<Connection<Application>>,
        }
        let query = queries::applications(PAGE);
        let mut apps = Vec::new();
        for page in 0..MAX_PAGES {
            let offset = page * PAGE;
            let data: Data = self
                .call(&query, json!({"limit": PAGE, "offset": offset}))
                .await?;
            let Some(conn) = data.applications else { break };
            let more = conn.has_more(offset);
            apps.extend(conn.nodes);
            if !more {
                break;
            }
        }
        apps.retain(|a| a.name.as_deref().is_some_and(|n| self.wanted(n)));
        if let Some(missing) = self
            .applications
            .iter()
            .find(|n| !apps.iter().any(|a| a.name.as_deref() == Some(n.as_str())))
        {
            return Err(BackendError::NotFound(format!(
                "application {missing} does not exist or the API key cannot see it"
            )));
        }
        let mut ids = Self::lock(&self.app_ids);
        ids.clear();
        for a in &apps {
            ids.insert(a.name.clone().unwrap_or_default(), a.id.clone());
        }
        Ok(apps)
    }

    /// Application ids by name, listing applications once if nothing is cached.
    async fn app_ids(&self) -> Result<HashMap<String, String>> {
        let cached = Self::lock(&self.app_ids).clone();
        if !cached.is_empty() {
            return Ok(cached);
        }
        self.fetch_applications().await?;
        Ok(Self::lock(&self.app_ids).clone())
    }

    async fn app_id(&self, name: &str) -> Result<String> {
        self.app_ids()
            .await?
            .get(name)
            .cloned()
            .ok_or_else(|| BackendError::NotFound(format!("application {name} is not configured")))
    }

    /// The rest of an application's pipelines or workflows after the nested first page.
    async fn remaining(
        &self,
        app: &str,
        kind: EntityKind,
        first: Connection<Entity>,
    ) -> Result<Vec<Entity>> {
        let field = match kind {
            EntityKind::Pipeline => "pipelines",
            EntityKind::Workflow => "workflows",
        };
        let mut more = first.has_more(0);
        let mut items = first.nodes;
        let query = queries::entities(field);
        let mut page = 1;
        while more && page < MAX_PAGES {
            let offset = items.len() as i64;
            let mut data: HashMap<String, Option<Connection<Entity>>> = self
                .call(&query, json!({"app": app, "limit": PAGE, "offset": offset}))
                .await?;
            let Some(conn) = data.remove(field).flatten() else {
                break;
            };
            more = conn.has_more(offset);
            items.extend(conn.nodes);
            page += 1;
        }
        Ok(items)
    }

    fn pipeline_of(&self, app: &str, kind: EntityKind, e: &Entity) -> Pipeline {
        let tag = match kind {
            EntityKind::Pipeline => "pipeline",
            EntityKind::Workflow => "workflow",
        };
        Pipeline {
            backend: self.name.clone(),
            project: app.to_owned(),
            id: format!("{}{}", kind.prefix(), e.id),
            name: e.name.clone().unwrap_or_else(|| e.id.clone()),
            description: e.description.clone().unwrap_or_default(),
            tags: vec![("type".to_owned(), tag.to_owned())],
            last_status: None,
            last_run: None,
            stages: None,
        }
    }

    /// Artifact inputs a start of the entity needs, as form variables.
    async fn artifact_inputs(
        &self,
        app_id: &str,
        kind: EntityKind,
        entity: &str,
    ) -> Result<Vec<VariableSpec>> {
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Inputs {
            #[serde(default)]
            service_inputs: Option<Vec<wire::ServiceNeed>>,
        }
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Data {
            execution_inputs: Option<Inputs>,
        }
        let data: Data = self
            .call(
                queries::EXECUTION_INPUTS,
                json!({"app": app_id, "entity": entity, "type": kind.wire()}),
            )
            .await?;
        Ok(data
            .execution_inputs
            .and_then(|i| i.service_inputs)
            .unwrap_or_default()
            .into_iter()
            .map(|s| {
                let sources: Vec<String> = s
                    .artifact_sources
                    .iter()
                    .filter_map(|a| a.name.clone())
                    .collect();
                let example = sources.first().map_or("source", String::as_str);
                VariableSpec {
                    name: format!("{ARTIFACT_PREFIX}{}", s.name),
                    kind: VarKind::Text,
                    required: true,
                    default: None,
                    description: Some(format!(
                        "artifact of service {} as <source>/<build number>, e.g. {example}/1.0.0",
                        s.name
                    )),
                }
            })
            .collect())
    }

    async fn form(&self, project: &str, pipeline_id: &str) -> Result<StartForm> {
        let (kind, entity) = parse_id(pipeline_id)?;
        let field = match kind {
            EntityKind::Pipeline => "pipeline",
            EntityKind::Workflow => "workflow",
        };
        let mut data: HashMap<String, Option<Entity>> = self
            .call(&queries::entity(field), json!({"id": entity}))
            .await?;
        let found = data.remove(field).flatten().ok_or_else(|| {
            BackendError::NotFound(format!("{field} {entity} in application {project}"))
        })?;
        let app_id = self.app_id(project).await?;
        let mut variables = variable_specs(&found);
        variables.extend(self.artifact_inputs(&app_id, kind, entity).await?);
        let form = StartForm { variables };
        Self::lock(&self.forms).insert((project.to_owned(), pipeline_id.to_owned()), form.clone());
        Ok(form)
    }

    fn execution_of(&self, e: &wire::Execution, project: &str) -> Execution {
        let (entity, kind) = match (&e.pipeline, &e.workflow) {
            (Some(p), _) => (Some(p), EntityKind::Pipeline),
            (None, Some(w)) => (Some(w), EntityKind::Workflow),
            (None, None) => (
                None,
                if e.typename.as_deref() == Some("WorkflowExecution") {
                    EntityKind::Workflow
                } else {
                    EntityKind::Pipeline
                },
            ),
        };
        let stages = &e.pipeline_stage_executions;
        let (done, total) =
            crate::domain::stage_progress(stages.iter().map(|s| stage_status(s).status));
        let st = run_status(e);
        Execution {
            backend: self.name.clone(),
            project: e
                .application
                .as_ref()
                .and_then(|a| a.name.clone())
                .unwrap_or_else(|| project.to_owned()),
            id: e.id.clone(),
            pipeline_id: entity
                .and_then(|n| n.id.as_deref())
                .map(|id| format!("{}{id}", kind.prefix()))
                .unwrap_or_default(),
            pipeline_name: entity.and_then(|n| n.name.clone()).unwrap_or_default(),
            status: st,
            started: millis(e.started_at.or(e.created_at)),
            ended: millis(e.ended_at),
            triggered_by: triggered_by(e.cause.as_ref()),
            run_number: None,
            stages_done: done,
            stages_total: total,
            message: e.failure_details.clone().filter(|m| !m.trim().is_empty()),
            url: self.execution_url(e, kind == EntityKind::Workflow),
        }
    }

    async fn executions(&self, only_paused: bool) -> Result<Vec<wire::Execution>> {
        #[derive(serde::Deserialize)]
        struct Data {
            executions: Option<Connection<wire::Execution>>,
        }
        let mut filters = Vec::new();
        if !self.applications.is_empty() {
            let ids: Vec<String> = self.app_ids().await?.into_values().collect();
            filters.push(json!({"application": {"operator": "IN", "values": ids}}));
        }
        if only_paused {
            filters.push(json!({"status": {"operator": "IN", "values": ["PAUSED"]}}));
        }
        let data: Data = self
            .call(
                &queries::executions(),
                json!({"filters": filters, "limit": EXECUTIONS, "offset": 0}),
            )
            .await?;
        Ok(data.executions.map(|c| c.nodes).unwrap_or_default())
    }

    /// The gates of these executions, each given with its application's id, in as few
    /// calls as [`GATES_PER_CALL`] allows. An execution gone since it was listed has none;
    /// any other error fails the whole read, as a list that silently lost gates would.
    async fn approvals_of(&self, paused: &[(Execution, String)]) -> Result<Vec<Approval>> {
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Payload {
            #[serde(default)]
            approval_details: Option<Vec<wire::ApprovalDetails>>,
        }
        let mut approvals = Vec::new();
        for chunk in paused.chunks(GATES_PER_CALL) {
            let mut variables = serde_json::Map::new();
            for (i, (e, app_id)) in chunk.iter().enumerate() {
                variables.insert(format!("app{i}"), json!(app_id));
                variables.insert(format!("exec{i}"), json!(e.id));
            }
            let (data, errors) = self
                .call_fields(&queries::approval_details(chunk.len()), variables.into())
                .await?;
            let gone: Vec<&str> = errors
                .iter()
                .filter(|e| {
                    let not_found = e.message.as_deref().map(errors::from_message);
                    matches!(not_found, Some(BackendError::NotFound(_)))
                })
                .filter_map(errors::GqlError::field)
                .collect();
            if gone.len() < errors.len() {
                return Err(errors::from_errors(&errors));
            }
            let mut data = data.unwrap_or_default();
            for (i, (e, _)) in chunk.iter().enumerate() {
                let alias = queries::approval_alias(i);
                let field = data.get_mut(&alias).map(Value::take);
                if gone.contains(&alias.as_str()) {
                    continue;
                }
                let Some(field) = field.filter(|f| !f.is_null()) else {
                    continue;
                };
                let payload: Payload = decode(field)?;
                let details = payload.approval_details.unwrap_or_default();
                approvals.extend(details.into_iter().map(|d| self.approval(e, d)));
            }
        }
        Ok(approvals)
    }

    fn approval(&self, e: &Execution, d: wire::ApprovalDetails) -> Approval {
        Approval {
            backend: self.name.clone(),
            project: e.project.clone(),
            id: d.approval_id,
            execution_id: d.execution_id.unwrap_or_else(|| e.id.clone()),
            pipeline_id: e.pipeline_id.clone(),
            pipeline_name: e.pipeline_name.clone(),
            stage: d.stage_name.unwrap_or_default(),
            step: d.step_name.unwrap_or_default(),
            message: d
                .approval_type
                .filter(|t| t != "USER_GROUP")
                .map(|t| format!("{t} approval: decide it in Harness"))
                .unwrap_or_default(),
            approvers: d.approvers,
            min_count: 1,
            inputs: d
                .variables
                .into_iter()
                .map(|v| ApproverInput {
                    name: v.name,
                    default: v.value.unwrap_or_default(),
                    options: Vec::new(),
                })
                .collect(),
            created: millis(d.started_at),
            deadline: millis(d.will_expire_at),
            triggered_by: d
                .triggered_by
                .and_then(|u| u.name.or(u.email))
                .unwrap_or_else(|| e.triggered_by.clone()),
            environment: None,
            callback_id: None,
            url: e.url.clone(),
        }
    }

    /// Refuses a start whose required variables or artifacts are left empty.
    fn check_required(form: &StartForm, request: &StartRequest) -> Result<()> {
        let given = |name: &str| {
            request
                .values
                .iter()
                .any(|(n, v)| n == name && !v.trim().is_empty())
        };
        let missing: Vec<&str> = form
            .variables
            .iter()
            .filter(|v| v.required && v.default.is_none() && !given(&v.name))
            .map(|v| v.name.as_str())
            .collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(BackendError::BadRequest(format!(
                "required input(s) left empty: {}",
                missing.join(", ")
            )))
        }
    }

    /// The `startExecution` call [`Backend::start`] sends for `request`. Reads the form (unless
    /// the last listing cached it) and the application id, and fails like `start` would, before
    /// anything is started, on missing or malformed values.
    async fn start_call(&self, request: &StartRequest) -> Result<Call> {
        let (kind, entity) = parse_id(&request.pipeline_id)?;
        let key = (request.project.clone(), request.pipeline_id.clone());
        let cached = Self::lock(&self.forms).get(&key).cloned();
        let form = match cached {
            Some(form) => form,
            None => self.form(&request.project, &request.pipeline_id).await?,
        };
        // Missing values are refused before the application id could need a request.
        Self::check_required(&form, request)?;
        let app_id = self.app_id(&request.project).await?;
        let input = Self::start_input(&form, kind, &app_id, entity, request)?;
        Ok(self.gql_call(queries::START_EXECUTION, json!({"in": input})))
    }

    /// The exact request [`Backend::start`] would send for `request` (the key as `***`).
    /// Starts nothing, but may read the form and the application id, as `start` does.
    pub async fn start_request_preview(&self, request: &StartRequest) -> Result<RequestPreview> {
        Ok(self.start_call(request).await?.preview())
    }

    /// Builds the `startExecution` input; fails on missing or malformed values.
    fn start_input(
        form: &StartForm,
        kind: EntityKind,
        app_id: &str,
        entity: &str,
        request: &StartRequest,
    ) -> Result<Value> {
        Self::check_required(form, request)?;
        let mut variables = Vec::new();
        let mut services = Vec::new();
        for (name, raw) in &request.values {
            let value = raw.trim();
            if value.is_empty() {
                continue;
            }
            if let Some(service) = name.strip_prefix(ARTIFACT_PREFIX) {
                let (source, build) = value
                    .split_once('/')
                    .filter(|(s, b)| !s.is_empty() && !b.is_empty())
                    .ok_or_else(|| {
                        BackendError::BadRequest(format!(
                            "{name} must be <artifact source>/<build number>, not {value}"
                        ))
                    })?;
                services.push(json!({"name": service, "artifactValueInput": {
                    "valueType": "BUILD_NUMBER",
                    "buildNumber": {"artifactSourceName": source, "buildNumber": build}}}));
            } else {
                variables
                    .push(json!({"name": name, "variableValue": {"type": "NAME", "value": value}}));
            }
        }
        let mut input = json!({
            "applicationId": app_id,
            "entityId": entity,
            "executionType": kind.wire(),
            "variableInputs": variables,
            "serviceInputs": services,
        });
        if let Some(notes) = request.notes.as_deref().filter(|n| !n.trim().is_empty()) {
            input["notes"] = json!(notes);
        }
        Ok(input)
    }
}

/// Variables of a pipeline or workflow as form fields. Fixed variables are not asked for.
fn variable_specs(e: &Entity) -> Vec<VariableSpec> {
    e.pipeline_variables
        .iter()
        .chain(&e.workflow_variables)
        .filter(|v| v.fixed != Some(true) && !v.name.is_empty())
        .map(|v| {
            let kind = match v.kind.as_deref().unwrap_or("Text") {
                "Text" | "" => {
                    if v.allowed_values.is_empty() {
                        VarKind::Text
                    } else {
                        VarKind::Choice(v.allowed_values.clone())
                    }
                }
                entity => VarKind::Entity(entity.to_owned()),
            };
            VariableSpec {
                name: v.name.clone(),
                kind,
                required: v.required.unwrap_or(false),
                default: v.default_value.clone().filter(|d| !d.is_empty()),
                description: None,
            }
        })
        .collect()
}

/// First Gen `ExecutionStatus` to the normalized status (PAUSED is refined by callers that
/// know whether an approval waits).
fn status(raw: Option<&str>) -> Status {
    let raw = raw.unwrap_or_default();
    let s = match raw.to_ascii_uppercase().as_str() {
        "ABORTED" => ExecStatus::Aborted,
        "ERROR" | "FAILED" => ExecStatus::Failed,
        "PAUSED" => ExecStatus::Paused,
        "QUEUED" => ExecStatus::Queued,
        // WAITING is a timed wait step, not a person: the run is still moving.
        "RUNNING" | "RESUMED" | "WAITING" => ExecStatus::Running,
        "SUCCESS" => ExecStatus::Succeeded,
        "SKIPPED" => ExecStatus::Skipped,
        "REJECTED" => ExecStatus::Rejected,
        "EXPIRED" => ExecStatus::Expired,
        _ => ExecStatus::Unknown,
    };
    Status::new(s, raw)
}

/// A run's status: a PAUSED run whose approval stage is paused waits for a person (spec
/// 4.4). Every answer that carries a run (list, detail, start) reads it here.
pub(super) fn run_status(e: &wire::Execution) -> Status {
    let mut st = status(e.status.as_deref());
    if st.status == ExecStatus::Paused
        && e.pipeline_stage_executions
            .iter()
            .any(|s| stage_status(s).status == ExecStatus::Waiting)
    {
        st.status = ExecStatus::Waiting;
    }
    st
}

/// A pipeline stage's status: an approval stage that is PAUSED waits for a person, as the
/// run it stops does (spec 4.4); the raw text stays `PAUSED`.
fn stage_status(stage: &wire::StageExecution) -> Status {
    let mut st = status(stage.status.as_deref());
    if st.status == ExecStatus::Paused
        && stage.typename.as_deref() == Some("ApprovalStageExecution")
    {
        st.status = ExecStatus::Waiting;
    }
    st
}

fn triggered_by(cause: Option<&wire::Cause>) -> String {
    let Some(c) = cause else {
        return String::new();
    };
    let named = |n: &Option<wire::Named>| {
        n.as_ref()
            .and_then(|n| n.name.clone().or(n.email.clone()))
            .filter(|s| !s.trim().is_empty())
    };
    // Bare names, as the NextGen backend shows them: the column is narrow.
    named(&c.user)
        .or_else(|| named(&c.api_key))
        .or_else(|| named(&c.trigger))
        .unwrap_or_default()
}

/// Typed data from an answer's JSON, through bytes so a shape mismatch names its path.
fn decode<T: DeserializeOwned>(data: Value) -> Result<T> {
    http::decode_json(data.to_string().as_bytes())
}

#[async_trait]
impl Backend for HarnessFgBackend {
    fn name(&self) -> &BackendName {
        &self.name
    }

    fn pace(&self) -> Option<&std::sync::Arc<super::budget::Pace>> {
        Some(self.http.pace())
    }

    fn kind(&self) -> BackendKind {
        BackendKind::HarnessFg
    }

    async fn start_preview(&self, request: &StartRequest) -> Result<RequestPreview> {
        self.start_request_preview(request).await
    }

    /// First Gen GraphQL allows 30 calls a minute per account; a start is one call (its
    /// form and application id come from the listing's cache). Polling every 12 s costs at
    /// most 26 calls a minute: the executions (one call), the gates (two: the paused
    /// executions, then all their gates) and the selected execution (two while it waits at a
    /// gate), pipelines once a minute.
    fn budget(&self) -> Budget {
        Budget {
            per_minute: Some(30),
            per_start: 1,
            min_poll_interval: Duration::from_secs(12),
        }
    }

    async fn list_pipelines(&self) -> Result<Vec<Pipeline>> {
        let apps = self.fetch_applications().await?;
        let mut out = Vec::new();
        let mut forms = Vec::new();
        for app in apps {
            let name = app.name.clone().unwrap_or_default();
            for (kind, first) in [
                (EntityKind::Pipeline, app.pipelines),
                (EntityKind::Workflow, app.workflows),
            ] {
                let Some(first) = first else { continue };
                for e in self.remaining(&app.id, kind, first).await? {
                    let p = self.pipeline_of(&name, kind, &e);
                    // Variables only: artifact inputs are asked for when a form is opened.
                    forms.push((
                        (name.clone(), p.id.clone()),
                        StartForm {
                            variables: variable_specs(&e),
                        },
                    ));
                    out.push(p);
                }
            }
        }
        let mut cache = Self::lock(&self.forms);
        for (key, form) in forms {
            // A form already read with its artifact inputs is kept.
            cache.entry(key).or_insert(form);
        }
        Ok(out)
    }

    async fn start_form(&self, project: &str, pipeline_id: &str) -> Result<StartForm> {
        self.form(project, pipeline_id).await
    }

    async fn start(&self, request: &StartRequest) -> Result<StartResult> {
        let call = self.start_call(request).await?;
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Payload {
            execution: Option<wire::Execution>,
            #[serde(default)]
            warning_message: Option<String>,
        }
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Data {
            start_execution: Option<Payload>,
        }
        let data: Data = self.data(&call).await?;
        let payload = data
            .start_execution
            .ok_or_else(|| BackendError::Decode("startExecution returned nothing".into()))?;
        if let Some(w) = payload.warning_message.filter(|w| !w.is_empty()) {
            tracing::warn!(backend = %self.name, warning = %w, "startExecution warning");
        }
        let e = payload
            .execution
            .ok_or_else(|| BackendError::Decode("startExecution returned no execution".into()))?;
        Ok(StartResult {
            status: run_status(&e),
            execution_id: e.id,
        })
    }

    async fn control(
        &self,
        exec: &ExecRef,
        action: &crate::backend::Control,
    ) -> Result<crate::backend::ControlOutcome> {
        self.control_exec(exec, action).await
    }

    async fn run_inputs(&self, exec: &ExecRef) -> Result<crate::backend::RunInputs> {
        self.read_run_inputs(exec).await
    }

    async fn list_executions(&self) -> Result<Vec<Execution>> {
        let nodes = self.executions(false).await?;
        Ok(nodes.iter().map(|e| self.execution_of(e, "")).collect())
    }

    async fn execution(&self, exec: &ExecRef) -> Result<ExecutionDetail> {
        #[derive(serde::Deserialize)]
        struct Data {
            execution: Option<wire::Execution>,
        }
        let data: Data = self
            .call(&queries::execution(), json!({"id": exec.id}))
            .await?;
        let e = data.execution.ok_or_else(|| {
            BackendError::NotFound(format!("execution {} does not exist", exec.id))
        })?;
        let mut execution = self.execution_of(&e, &exec.project);
        let app_id = match e.application.as_ref().and_then(|a| a.id.clone()) {
            Some(id) => id,
            None => self.app_id(&exec.project).await?,
        };
        let approvals = if matches!(
            execution.status.status,
            ExecStatus::Paused | ExecStatus::Waiting
        ) {
            self.approvals_of(&[(execution.clone(), app_id)]).await?
        } else {
            Vec::new()
        };
        // PAUSED with a pending approval is a gate waiting for a person.
        if !approvals.is_empty() {
            execution.status.status = ExecStatus::Waiting;
        }
        let stages = e
            .pipeline_stage_executions
            .iter()
            .map(|s| Stage {
                name: s
                    .pipeline_step_name
                    .clone()
                    .or_else(|| s.pipeline_stage_name.clone())
                    .unwrap_or_default(),
                status: stage_status(s),
                started: None,
                ended: None,
                steps: Vec::new(),
            })
            .collect();
        Ok(ExecutionDetail {
            execution,
            stages,
            approvals,
            rejection: None,
        })
    }

    /// First Gen's public API (GraphQL) has no log field, and the web UI's log routes need a
    /// browser session, not an API key (`control-logs-identity.md` §2.2): nothing is sent.
    async fn logs(
        &self,
        _exec: &ExecRef,
        _step: Option<&str>,
        _follow: bool,
        _lines: &tokio::sync::mpsc::UnboundedSender<crate::domain::LogLine>,
    ) -> Result<()> {
        Err(BackendError::Unsupported(NO_LOGS.to_owned()))
    }

    async fn waiting_approvals(&self) -> Result<Vec<Approval>> {
        let paused: Vec<(Execution, String)> = self
            .executions(true)
            .await?
            .iter()
            .filter_map(|e| {
                let app_id = e.application.as_ref().and_then(|a| a.id.clone())?;
                Some((self.execution_of(e, ""), app_id))
            })
            .collect();
        self.approvals_of(&paused).await
    }

    async fn decide(&self, approval: &Approval, decision: &Decision) -> Result<DecisionOutcome> {
        let app_id = self.app_id(&approval.project).await?;
        let action = match decision.action {
            DecisionAction::Approve => "APPROVE",
            DecisionAction::Reject => "REJECT",
        };
        let inputs: Vec<Value> = decision
            .inputs
            .iter()
            .map(|(n, v)| json!({"name": n, "value": v}))
            .collect();
        let mut input = json!({
            "applicationId": app_id,
            "executionId": approval.execution_id,
            "approvalId": approval.id,
            "action": action,
            "comments": decision.comment,
        });
        if !inputs.is_empty() {
            input["variableInputs"] = Value::Array(inputs);
        }
        #[derive(serde::Deserialize)]
        struct Payload {
            success: Option<bool>,
        }
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Data {
            approve_or_reject_approvals: Option<Payload>,
        }
        let data: Data = self.call(queries::DECIDE, json!({"in": input})).await?;
        match data.approve_or_reject_approvals.and_then(|p| p.success) {
            Some(true) => Ok(match decision.action {
                DecisionAction::Approve => DecisionOutcome::Approved,
                DecisionAction::Reject => DecisionOutcome::Rejected,
            }),
            Some(false) => Err(BackendError::Conflict(
                "the server did not accept the decision".into(),
            )),
            // Answered without saying: the decision may have been taken.
            None => Err(BackendError::Decode(
                "the answer does not say whether the decision was taken; re-read the gate".into(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backend(base: &str) -> HarnessFgBackend {
        HarnessFgBackend::new(HarnessFgOptions {
            name: "fg".into(),
            base_url: Url::parse(base).unwrap(),
            account: "acc id".into(),
            applications: vec![],
            api_key: SecretString::from("k3y"),
            timeout: Duration::from_secs(1),
            ca_file: None,
            insecure_skip_verify: false,
        })
        .unwrap()
    }

    /// The one progress rule over First Gen stage executions, and a paused approval stage
    /// is waiting, in the stage and in the run, the same in lists and the detail.
    #[test]
    fn stage_executions_follow_the_progress_rule_and_a_paused_approval_waits() {
        let e: wire::Execution = serde_json::from_value(json!({
            "__typename": "PipelineExecution", "id": "x", "status": "PAUSED",
            "pipelineStageExecutions": [
                {"__typename": "WorkflowStageExecution", "pipelineStageName": "Build", "status": "SUCCESS"},
                {"__typename": "ApprovalStageExecution", "pipelineStageName": "Approve", "status": "PAUSED"},
                {"__typename": "WorkflowStageExecution", "pipelineStageName": "Deploy", "status": "QUEUED"}
            ]
        }))
        .unwrap();
        let exec = backend("https://app.harness.io/gateway").execution_of(&e, "app");
        assert_eq!(
            (exec.status.status, exec.status.raw.as_str()),
            (ExecStatus::Waiting, "PAUSED")
        );
        assert_eq!((exec.stages_done, exec.stages_total), (1, 3));
        let approval = &e.pipeline_stage_executions[1];
        assert_eq!(stage_status(approval).status, ExecStatus::Waiting);
        // A paused workflow stage is paused, not waiting for a person.
        let paused = wire::StageExecution {
            typename: Some("WorkflowStageExecution".into()),
            status: Some("PAUSED".into()),
            ..wire::StageExecution::default()
        };
        assert_eq!(stage_status(&paused).status, ExecStatus::Paused);
    }

    #[test]
    fn endpoint_appends_to_the_base() {
        for base in [
            "https://app.harness.io/gateway",
            "https://app.harness.io/gateway/",
        ] {
            assert_eq!(
                backend(base).url.as_str(),
                "https://app.harness.io/gateway/api/graphql?accountId=acc+id"
            );
        }
    }

    #[test]
    fn ids_carry_the_entity_type() {
        assert_eq!(
            parse_id("pipeline:abc").unwrap(),
            (EntityKind::Pipeline, "abc")
        );
        assert_eq!(
            parse_id("workflow:x:y").unwrap(),
            (EntityKind::Workflow, "x:y")
        );
        assert!(parse_id("abc").is_err());
        assert!(parse_id("workflow:").is_err());
    }

    #[test]
    fn variables_become_form_fields() {
        let e: Entity = serde_json::from_value(json!({"id": "w", "workflowVariables": [
            {"name": "Environment", "type": "Environment", "required": true},
            {"name": "Infra", "type": "Infrastructure definition", "required": false},
            {"name": "tag", "type": "Text", "required": false, "defaultValue": "1.0", "allowedValues": ["1.0", "2.0"]},
            {"name": "free", "type": "Text"},
            {"name": "pinned", "type": "Text", "fixed": true}
        ]}))
        .unwrap();
        let specs = variable_specs(&e);
        assert_eq!(specs.len(), 4);
        assert_eq!(specs[0].kind, VarKind::Entity("Environment".into()));
        assert!(specs[0].required);
        assert_eq!(
            specs[1].kind,
            VarKind::Entity("Infrastructure definition".into())
        );
        assert_eq!(
            specs[2].kind,
            VarKind::Choice(vec!["1.0".into(), "2.0".into()])
        );
        assert_eq!(specs[2].default.as_deref(), Some("1.0"));
        assert_eq!(specs[3].kind, VarKind::Text);
    }

    #[test]
    fn start_inputs() {
        let form = StartForm {
            variables: vec![
                VariableSpec {
                    name: "Environment".into(),
                    kind: VarKind::Entity("Environment".into()),
                    required: true,
                    default: None,
                    description: None,
                },
                VariableSpec {
                    name: "artifact:cart".into(),
                    kind: VarKind::Text,
                    required: true,
                    default: None,
                    description: None,
                },
            ],
        };
        let mut request = StartRequest {
            project: "Checkout".into(),
            pipeline_id: "workflow:w".into(),
            values: vec![("Environment".into(), " ".into())],
            notes: Some("from tui".into()),
        };
        let err = HarnessFgBackend::start_input(&form, EntityKind::Workflow, "a", "w", &request)
            .unwrap_err();
        assert_eq!(
            err,
            BackendError::BadRequest(
                "required input(s) left empty: Environment, artifact:cart".into()
            )
        );
        request.values = vec![
            ("Environment".into(), "prod".into()),
            ("artifact:cart".into(), "docker_cart/3.9.0".into()),
        ];
        let input =
            HarnessFgBackend::start_input(&form, EntityKind::Workflow, "a", "w", &request).unwrap();
        assert_eq!(
            input,
            json!({"applicationId": "a", "entityId": "w", "executionType": "WORKFLOW", "notes": "from tui",
                "variableInputs": [{"name": "Environment", "variableValue": {"type": "NAME", "value": "prod"}}],
                "serviceInputs": [{"name": "cart", "artifactValueInput": {"valueType": "BUILD_NUMBER",
                    "buildNumber": {"artifactSourceName": "docker_cart", "buildNumber": "3.9.0"}}}]})
        );
        request.values[1].1 = "3.9.0".into();
        assert!(matches!(
            HarnessFgBackend::start_input(&form, EntityKind::Workflow, "a", "w", &request),
            Err(BackendError::BadRequest(m)) if m.contains("<artifact source>/<build number>")
        ));
    }

    #[test]
    fn statuses() {
        assert_eq!(status(Some("PAUSED")).status, ExecStatus::Paused);
        assert_eq!(status(Some("ERROR")).status, ExecStatus::Failed);
        assert_eq!(status(Some("REJECTED")).status, ExecStatus::Rejected);
        assert_eq!(status(Some("what")).status, ExecStatus::Unknown);
        assert_eq!(status(None).raw, "");
    }

    #[test]
    fn key_is_not_in_debug_output() {
        assert!(!format!("{:?}", backend("https://h.example")).contains("k3y"));
    }
}
