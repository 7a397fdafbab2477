//! Pipeline endpoints: list (legacy POST and v1 GET), get one (legacy, summary, v1) and the
//! runtime-input template (specs 2.1 to 2.4).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, State};
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::Caller;
use super::errors::{self, ApiError};
use super::render::{modules, pipeline_summary, tags_map, v1_pipeline};
use super::yaml::{pipeline_yaml, template_yaml};
use super::{Cid, Outcome, Params, Reply, finish, page_json, slice};
use crate::Shared;
use crate::world::{Generation, Pipeline, World};

pub(crate) const LEGACY_SCOPE: [&str; 3] =
    ["accountIdentifier", "orgIdentifier", "projectIdentifier"];

/// The request body, or the error the server gives when it cannot be read.
pub(crate) fn body(b: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    b.map_err(|r| ApiError::Body(r.status(), r.body_text()))
}

/// A JSON body, `None` when empty. Unparseable JSON gets Dropwizard's answer.
pub(crate) fn json_body<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<Option<T>, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    serde_json::from_slice(bytes)
        .map(Some)
        .map_err(|e| ApiError::BadJson(e.to_string()))
}

/// A polymorphic filter body must name its `filterType`, as Jackson's type resolution demands.
pub(crate) fn check_filter_type(v: &Value, expected: &str) -> Result<(), ApiError> {
    const BASE: &str = "[simple type, class io.harness.filter.dto.FilterPropertiesDTO]";
    match v.get("filterType") {
        Some(Value::String(t)) if t == expected => Ok(()),
        Some(Value::String(t)) => Err(ApiError::BadJson(format!(
            "Could not resolve type id '{t}' as a subtype of {BASE}"
        ))),
        _ => Err(ApiError::BadJson(format!(
            "Missing type id when trying to resolve subtype of {BASE}: missing type id property 'filterType'"
        ))),
    }
}

/// A path parameter that could not be decoded means no resource matched.
pub(crate) fn path<T>(p: Result<Path<T>, PathRejection>) -> Result<T, ApiError> {
    p.map(|Path(v)| v)
        .map_err(|_| ApiError::NoRoute(errors::NOT_FOUND))
}

/// Whether (account, org, project) names something in the simulated installation.
pub(crate) fn in_scope(s: &Shared, w: &World, account: &str, org: &str, project: &str) -> bool {
    account == s.harness.account && org == s.harness.org && w.serves(Generation::NextGen, project)
}

pub(crate) fn crud_not_found(id: &str, org: &str, project: &str) -> ApiError {
    ApiError::NotFound(format!(
        "Pipeline [{id}] under Project[{project}], Organization [{org}] doesn't exist or has been deleted."
    ))
}

fn by_id_not_found(id: &str) -> ApiError {
    ApiError::NotFound(format!(
        "Pipeline with the given ID: {id} does not exist or has been deleted."
    ))
}

pub(crate) fn contains(hay: &str, needle: &str) -> bool {
    hay.to_lowercase().contains(&needle.to_lowercase())
}

fn matches_search(p: &Pipeline, term: &str) -> bool {
    contains(&p.name, term)
        || contains(&p.id, term)
        || p.tags
            .iter()
            .any(|(k, v)| contains(k, term) || contains(v, term))
}

pub(crate) fn has_tag(p: &Pipeline, key: &str, value: Option<&str>) -> bool {
    p.tags
        .iter()
        .any(|(k, v)| k == key && value.is_none_or(|want| want.is_empty() || want == v))
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct PipelineFilter {
    pipeline_identifiers: Option<Vec<String>>,
    name: Option<String>,
    description: Option<String>,
    pipeline_tags: Option<Vec<TagFilter>>,
}

#[derive(Deserialize)]
pub(crate) struct TagFilter {
    pub(crate) key: String,
    #[serde(default)]
    pub(crate) value: Option<String>,
}

impl PipelineFilter {
    fn keeps(&self, p: &Pipeline) -> bool {
        self.pipeline_identifiers
            .as_ref()
            .is_none_or(|ids| ids.is_empty() || ids.contains(&p.id))
            && self.name.as_deref().is_none_or(|n| contains(&p.name, n))
            && self
                .description
                .as_deref()
                .is_none_or(|d| contains(&p.description, d))
            && self
                .pipeline_tags
                .as_ref()
                .is_none_or(|tags| tags.iter().all(|t| has_tag(p, &t.key, t.value.as_deref())))
    }
}

/// `sort=field,DIR` (repeatable; the first wins). Default `lastUpdatedAt,DESC`.
fn sort_pipelines(items: &mut [&Pipeline], sort: Option<&str>) {
    let (field, dir) = match sort {
        Some(s) => {
            let mut parts = s.split(',');
            let field = parts.next().unwrap_or("").trim().to_string();
            let desc = parts
                .next()
                .is_some_and(|d| d.trim().eq_ignore_ascii_case("desc"));
            (field, desc)
        }
        None => ("lastUpdatedAt".to_string(), true),
    };
    items.sort_by(|a, b| {
        let o = match field.as_str() {
            "name" => a.name.cmp(&b.name),
            "identifier" => a.id.cmp(&b.id),
            "createdAt" => a.created_ms.cmp(&b.created_ms),
            _ => a.updated_ms.cmp(&b.updated_ms),
        };
        if dir { o.reverse() } else { o }
    });
}

/// `POST /pipeline/api/pipelines/list`
pub(crate) async fn list(
    State(s): State<Arc<Shared>>,
    cid: Cid,
    _caller: Caller,
    params: Params,
    b: Result<Bytes, BytesRejection>,
) -> Response {
    finish(&cid, list_inner(&s, &params, b))
}

fn list_inner(s: &Shared, params: &Params, b: Result<Bytes, BytesRejection>) -> Outcome {
    let [account, org, project] = params.required(LEGACY_SCOPE)?;
    let page = params.int("page", 0)?;
    let size = params.int("size", 25)?;
    let raw: Option<Value> = json_body(&body(b)?)?;
    let filter = match raw {
        Some(v) => {
            check_filter_type(&v, "PipelineSetup")?;
            serde_json::from_value::<PipelineFilter>(v)
                .map_err(|e| ApiError::BadJson(e.to_string()))?
        }
        None => PipelineFilter::default(),
    };
    if page < 0 || size < 1 {
        // Spring's PageRequest throws, and the generic mapper turns that into a 500.
        return Err(ApiError::Unknown);
    }
    let w = s.world();
    let term = params.non_empty("searchTerm");
    let mut items: Vec<&Pipeline> = if in_scope(s, &w, &account, &org, &project) {
        w.pipelines_of(&project)
            .filter(|p| filter.keeps(p) && term.is_none_or(|t| matches_search(p, t)))
            .collect()
    } else {
        Vec::new()
    };
    sort_pipelines(&mut items, params.get("sort"));
    let total = items.len();
    let content = slice(items, page, size)
        .into_iter()
        .map(|p| pipeline_summary(&w, p))
        .collect();
    Ok(Reply::Envelope(page_json(content, total, page, size)))
}

/// `GET /pipeline/api/pipelines/summary/{pipelineIdentifier}`
pub(crate) async fn summary(
    State(s): State<Arc<Shared>>,
    cid: Cid,
    _caller: Caller,
    params: Params,
    id: Result<Path<String>, PathRejection>,
) -> Response {
    let outcome = (|| -> Outcome {
        let id = path(id)?;
        let [account, org, project] = params.required(LEGACY_SCOPE)?;
        let w = s.world();
        let p = w
            .pipeline(&project, &id)
            .filter(|_| in_scope(&s, &w, &account, &org, &project))
            .ok_or_else(|| by_id_not_found(&id))?;
        Ok(Reply::Envelope(pipeline_summary(&w, p)))
    })();
    finish(&cid, outcome)
}

/// `GET /pipeline/api/pipelines/{pipelineIdentifier}`
pub(crate) async fn get(
    State(s): State<Arc<Shared>>,
    cid: Cid,
    _caller: Caller,
    params: Params,
    id: Result<Path<String>, PathRejection>,
) -> Response {
    let outcome = (|| -> Outcome {
        let id = path(id)?;
        let [account, org, project] = params.required(LEGACY_SCOPE)?;
        let w = s.world();
        let p = w
            .pipeline(&project, &id)
            .filter(|_| in_scope(&s, &w, &account, &org, &project))
            .ok_or_else(|| by_id_not_found(&id))?;
        Ok(Reply::Envelope(json!({
            "yamlPipeline": pipeline_yaml(p, &org),
            "gitDetails": {
                "objectId": null, "branch": null, "repoIdentifier": null, "rootFolder": null,
                "filePath": null, "repoName": null, "commitId": null, "fileUrl": null,
                "repoUrl": null, "parentEntityConnectorRef": null, "parentEntityRepoName": null,
                "isHarnessCodeRepo": null,
            },
            "entityValidityDetails": {"valid": true, "invalidYaml": null},
            "modules": modules(p),
            "storeType": "INLINE",
        })))
    })();
    finish(&cid, outcome)
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct TemplateRequest {
    stage_identifiers: Option<Vec<String>>,
}

/// `POST /pipeline/api/inputSets/template`
pub(crate) async fn template(
    State(s): State<Arc<Shared>>,
    cid: Cid,
    _caller: Caller,
    params: Params,
    b: Result<Bytes, BytesRejection>,
) -> Response {
    let outcome = (|| -> Outcome {
        let [account, org, project, id] = params.required([
            "accountIdentifier",
            "orgIdentifier",
            "projectIdentifier",
            "pipelineIdentifier",
        ])?;
        // Stage selection cannot change the template: runtime inputs here are pipeline
        // variables, which every stage subset includes. The body is still validated.
        let _: Option<TemplateRequest> = json_body(&body(b)?)?;
        let w = s.world();
        let p = w
            .pipeline(&project, &id)
            .filter(|_| in_scope(&s, &w, &account, &org, &project))
            .ok_or_else(|| crud_not_found(&id, &org, &project))?;
        Ok(Reply::Envelope(json!({
            "inputSetTemplateYaml": template_yaml(p),
            "replacedExpressions": [],
            "modules": modules(p),
            "hasInputSets": false,
        })))
    })();
    finish(&cid, outcome)
}

/// Paging of the v1 lists: `page` (from 0) and `limit` (1 to 100), checked like the generated
/// API's bean validation.
pub(crate) fn v1_paging(params: &Params) -> Result<(i64, i64), ApiError> {
    let page = params.int("page", 0)?;
    let limit = params.int("limit", 30)?;
    let mut errors = Vec::new();
    if page < 0 {
        errors.push((
            "page".to_string(),
            "must be greater than or equal to 0".to_string(),
        ));
    }
    if limit < 1 {
        errors.push((
            "limit".to_string(),
            "must be greater than or equal to 1".to_string(),
        ));
    }
    if limit > 100 {
        errors.push((
            "limit".to_string(),
            "must be less than or equal to 100".to_string(),
        ));
    }
    if errors.is_empty() {
        Ok((page, limit))
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// `GET /v1/orgs/{org}/projects/{project}/pipelines`
pub(crate) async fn v1_list(
    State(s): State<Arc<Shared>>,
    cid: Cid,
    caller: Caller,
    params: Params,
    p: Result<Path<(String, String)>, PathRejection>,
) -> Response {
    let outcome = (|| -> Outcome {
        let (org, project) = path(p)?;
        let account = caller.require_harness_account()?.to_string();
        let (page, limit) = v1_paging(&params)?;
        let sort = params.non_empty("sort");
        let order = params.non_empty("order");
        if sort.is_none() && order.is_some() {
            return Err(ApiError::Invalid(
                "Order of sorting provided without Sort field.".to_string(),
            ));
        }
        if let Some(s) = sort
            && !matches!(s, "name" | "updated")
        {
            return Err(ApiError::Invalid(format!(
                "Field provided for sorting is not valid: {s}. Sort should be one of [name, updated]"
            )));
        }
        let desc = match order {
            None => true,
            Some(o) if o.eq_ignore_ascii_case("desc") => true,
            Some(o) if o.eq_ignore_ascii_case("asc") => false,
            Some(o) => {
                return Err(ApiError::Invalid(format!(
                    "Order provided for sorting is not valid: {o}. Order should be one of [ASC, DESC]"
                )));
            }
        };
        let w = s.world();
        let ids = params.all("pipeline_identifiers");
        let tags = params.all("tags");
        let term = params.non_empty("search_term");
        let name = params.non_empty("name");
        let description = params.non_empty("description");
        let mut items: Vec<&Pipeline> = if in_scope(&s, &w, &account, &org, &project) {
            w.pipelines_of(&project)
                .filter(|p| {
                    (ids.is_empty() || ids.contains(&p.id.as_str()))
                        && term.is_none_or(|t| matches_search(p, t))
                        && name.is_none_or(|n| contains(&p.name, n))
                        && description.is_none_or(|d| contains(&p.description, d))
                        && tags.iter().all(|t| match t.split_once(':') {
                            Some((k, v)) => has_tag(p, k, Some(v)),
                            None => has_tag(p, t, None),
                        })
                })
                .collect()
        } else {
            Vec::new()
        };
        items.sort_by(|a, b| {
            let o = match sort {
                Some("name") => a.name.cmp(&b.name),
                _ => a.updated_ms.cmp(&b.updated_ms),
            };
            if desc { o.reverse() } else { o }
        });
        let total = items.len();
        let list: Vec<Value> = slice(items, page, limit)
            .into_iter()
            .map(|p| v1_pipeline(&w, p))
            .collect();
        Ok(Reply::Paged {
            items: Value::from(list),
            total,
            page,
            size: limit,
        })
    })();
    finish(&cid, outcome)
}

/// `GET /v1/orgs/{org}/projects/{project}/pipelines/{pipeline}`
pub(crate) async fn v1_get(
    State(s): State<Arc<Shared>>,
    cid: Cid,
    caller: Caller,
    p: Result<Path<(String, String, String)>, PathRejection>,
) -> Response {
    let outcome = (|| -> Outcome {
        let (org, project, id) = path(p)?;
        let account = caller.require_harness_account()?.to_string();
        let w = s.world();
        let p = w
            .pipeline(&project, &id)
            .filter(|_| in_scope(&s, &w, &account, &org, &project))
            .ok_or_else(|| crud_not_found(&id, &org, &project))?;
        Ok(Reply::Bare(json!({
            "pipeline_yaml": pipeline_yaml(p, &org),
            "template_applied_pipeline_yaml": null,
            "identifier": p.id,
            "name": p.name,
            "org": org,
            "project": project,
            "description": p.description,
            "tags": tags_map(&p.tags),
            "modules": modules(p),
            "git_details": null,
            "valid": true,
            "yaml_error_wrapper": null,
            "cache_response_metadata": null,
            "created": p.created_ms,
            "updated": p.updated_ms,
            "validation_uuid": null,
        })))
    })();
    finish(&cid, outcome)
}
