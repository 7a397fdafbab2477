//! Approval endpoints: the legacy instance endpoints (get, authorization, activity) and the v1
//! endpoints keyed by execution id (specs 3.1 to 3.6). Checks run in the server's order, so a
//! request that breaks several rules gets the same error the real server would give.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, State};
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::{Caller, TokenKind};
use super::errors::ApiError;
use super::pipelines::{body, json_body, path};
use super::{Cid, Outcome, Params, Reply, finish};
use crate::Shared;
use crate::world::{Action, Approval, ApprovalStatus, AuthzDenied, DecideError, Generation, World};

fn status_text(s: ApprovalStatus) -> &'static str {
    match s {
        ApprovalStatus::Waiting => "WAITING",
        ApprovalStatus::Approved => "APPROVED",
        ApprovalStatus::Rejected => "REJECTED",
        ApprovalStatus::Failed => "FAILED",
        ApprovalStatus::Aborted => "ABORTED",
        ApprovalStatus::Expired => "EXPIRED",
    }
}

/// A gate instance of a NextGen project: First Gen gates do not exist for this face.
fn approval<'w>(w: &'w World, id: &str) -> Option<&'w Approval> {
    w.approval(id)
        .filter(|a| w.serves(Generation::NextGen, &a.project))
}

fn action_text(a: Action) -> &'static str {
    match a {
        Action::Approve => "APPROVE",
        Action::Reject => "REJECT",
    }
}

/// `validatedApprovalUserGroups`: each referenced group resolved in its scope
/// (`account.x`, `org.x`, or plain for the project).
fn validated_groups(w: &World, account: &str, org: &str, a: &Approval) -> Vec<Value> {
    a.spec
        .user_groups
        .iter()
        .filter_map(|id| {
            let group = w.group(id)?;
            let (o, p, ident) = if let Some(rest) = id.strip_prefix("account.") {
                (None, None, rest)
            } else if let Some(rest) = id.strip_prefix("org.") {
                (Some(org), None, rest)
            } else {
                (Some(org), Some(a.project.as_str()), id.as_str())
            };
            Some(json!({
                "accountIdentifier": account,
                "orgIdentifier": o,
                "projectIdentifier": p,
                "identifier": ident,
                "name": group.name,
            }))
        })
        .collect()
}

/// `HarnessApprovalInstanceDetailsDTO` (camelCase in both API generations).
fn details(w: &World, account: &str, org: &str, a: &Approval) -> Value {
    let activities: Vec<Value> = a
        .activities
        .iter()
        .map(|act| {
            let u = w.user(&act.user);
            json!({
                "user": {
                    "uuid": act.user,
                    "name": u.map_or("", |u| u.name.as_str()),
                    "email": u.map_or("", |u| u.email.as_str()),
                    "externalUserId": null,
                },
                "action": action_text(act.action),
                "approverInputs": act.inputs.iter().map(|(n, v)| json!({"name": n, "value": v})).collect::<Vec<_>>(),
                "comments": act.comments,
                "approvedAt": act.at,
            })
        })
        .collect();
    json!({
        "approvalMessage": a.spec.message,
        "includePipelineExecutionHistory": a.spec.include_history,
        "approvers": {
            "userGroups": a.spec.user_groups,
            "minimumCount": a.spec.min_count,
            "disallowPipelineExecutor": a.spec.disallow_executor,
        },
        "approvalActivities": activities,
        "autoApprovalParams": null,
        "approverInputs": a.spec.inputs.iter().map(|(n, d)| json!({"name": n, "defaultValue": d})).collect::<Vec<_>>(),
        "validatedApprovalUserGroups": validated_groups(w, account, org, a),
        "autoRejectEnabled": a.spec.auto_reject,
    })
}

/// `ApprovalInstanceResponseDTO` (legacy endpoints).
fn legacy_json(s: &Shared, w: &World, a: &Approval) -> Value {
    json!({
        "id": a.id,
        "type": "HarnessApproval",
        "status": status_text(a.status),
        "deadline": a.deadline_ms,
        "createdAt": a.created_ms,
        "lastModifiedAt": a.updated_ms,
        "errorMessage": null,
        "details": details(w, &s.harness.account, &s.harness.org, a),
    })
}

/// `ApprovalInstanceResponseBody` (v1 endpoints: snake_case outside, camelCase details).
fn v1_json(s: &Shared, w: &World, a: &Approval) -> Value {
    json!({
        "id": a.id,
        "type": "HarnessApproval",
        "status": status_text(a.status),
        "deadline": a.deadline_ms,
        "created": a.created_ms,
        "updated": a.updated_ms,
        "error_message": null,
        "details": details(w, &s.harness.account, &s.harness.org, a),
    })
}

fn invalid_harness_id(id: &str) -> ApiError {
    ApiError::Invalid(format!("Invalid harness approval instance id: {id}"))
}

/// Only USER principals may act on Harness approvals.
fn require_user(caller: &Caller) -> Result<(), ApiError> {
    match caller.kind {
        TokenKind::Pat => Ok(()),
        TokenKind::Sat => Err(ApiError::Invalid(format!(
            "{} is not supported for Harness Approval Step yet",
            caller.principal_type()
        ))),
    }
}

/// Authorization, decision and its side effects, shared by both approve endpoints.
fn decide(
    s: &Shared,
    w: &mut World,
    caller: &Caller,
    id: &str,
    d: Decision,
) -> Result<(), ApiError> {
    let a = approval(w, id).ok_or_else(|| invalid_harness_id(id))?;
    if w.authorize(a, &caller.user).is_err() {
        return Err(ApiError::Invalid(
            "User not authorized to approve/reject".to_string(),
        ));
    }
    w.decide(id, &caller.user, d.action, d.comments, d.inputs)
        .map_err(|e| match e {
            DecideError::NotFound => invalid_harness_id(id),
            DecideError::Expired => ApiError::Invalid(
                "Unable to add Harness Approval Activity : Harness approval instance has already expired".to_string(),
            ),
            DecideError::Completed(st) => ApiError::Invalid(format!(
                "Unable to add Harness Approval Activity : Harness approval instance has already completed. Status: {}",
                status_text(st)
            )),
        })?;
    s.stats().count_decision(id, d.action == Action::Approve);
    Ok(())
}

/// `GET /pipeline/api/approvals/{approvalInstanceId}`
pub(crate) async fn get(
    State(s): State<Arc<Shared>>,
    cid: Cid,
    _caller: Caller,
    params: Params,
    id: Result<Path<String>, PathRejection>,
) -> Response {
    let outcome = (|| -> Outcome {
        let id = path(id)?;
        let w = s.world();
        let a = approval(&w, &id)
            .ok_or_else(|| ApiError::Invalid(format!("Invalid approval instance id: {id}")))?;
        if let Some(given) = params.get("accountIdentifier")
            && given != s.harness.account
        {
            return Err(ApiError::Invalid(format!(
                "Account Identifier provided {given} doesn't match with approval instance's account identifier: {}",
                s.harness.account
            )));
        }
        Ok(Reply::Envelope(legacy_json(&s, &w, a)))
    })();
    finish(&cid, outcome)
}

/// `GET /pipeline/api/approvals/{approvalInstanceId}/harness/authorization`
pub(crate) async fn authorization(
    State(s): State<Arc<Shared>>,
    cid: Cid,
    caller: Caller,
    id: Result<Path<String>, PathRejection>,
) -> Response {
    let outcome = (|| -> Outcome {
        let id = path(id)?;
        require_user(&caller)?;
        let w = s.world();
        let a = approval(&w, &id).ok_or_else(|| invalid_harness_id(&id))?;
        let reason = match w.authorize(a, &caller.user) {
            Ok(()) => None,
            Err(AuthzDenied::AlreadyActed) => {
                Some("You have already approved/rejected the pipeline")
            }
            Err(AuthzDenied::ExecutorBlocked) => {
                Some("Pipeline executor is not allowed to approve/reject")
            }
            Err(AuthzDenied::NotApprover) => Some("You are not authorized to approve/reject"),
        };
        Ok(Reply::Envelope(
            json!({"authorized": reason.is_none(), "reason": reason}),
        ))
    })();
    finish(&cid, outcome)
}

#[derive(Deserialize)]
struct InputValue {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    value: Option<Value>,
}

/// Approver inputs as stored: empty names dropped, a null value becomes "".
fn inputs(list: Option<Vec<InputValue>>) -> Vec<(String, String)> {
    list.unwrap_or_default()
        .into_iter()
        .filter_map(|i| {
            let name = i.name.filter(|n| !n.is_empty())?;
            let value = match i.value {
                None | Some(Value::Null) => String::new(),
                Some(Value::String(v)) => v,
                Some(other) => other.to_string(),
            };
            Some((name, value))
        })
        .collect()
}

struct Decision {
    action: Action,
    comments: String,
    inputs: Vec<(String, String)>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LegacyActivity {
    #[serde(default)]
    action: Option<LegacyAction>,
    #[serde(default)]
    comments: Option<String>,
    #[serde(default)]
    approver_inputs: Option<Vec<InputValue>>,
}

#[derive(Deserialize, Clone, Copy)]
enum LegacyAction {
    #[serde(rename = "APPROVE")]
    Approve,
    #[serde(rename = "REJECT")]
    Reject,
}

/// `POST /pipeline/api/approvals/{approvalInstanceId}/harness/activity`
pub(crate) async fn activity(
    State(s): State<Arc<Shared>>,
    cid: Cid,
    caller: Caller,
    id: Result<Path<String>, PathRejection>,
    b: Result<Bytes, BytesRejection>,
) -> Response {
    let outcome = (|| -> Outcome {
        let id = path(id)?;
        let request: Option<LegacyActivity> = json_body(&body(b)?)?;
        let Some(request) = request else {
            return Err(ApiError::Validation(vec![(
                "request".to_string(),
                "must not be null".to_string(),
            )]));
        };
        let Some(action) = request.action else {
            return Err(ApiError::Validation(vec![(
                "action".to_string(),
                "must not be null".to_string(),
            )]));
        };
        let mut w = s.world();
        let a = approval(&w, &id).ok_or_else(|| invalid_harness_id(&id))?;
        caller.require_execute(&w, &s.harness.org, &a.project, Some(&a.pipeline))?;
        require_user(&caller)?;
        let decision = Decision {
            action: match action {
                LegacyAction::Approve => Action::Approve,
                LegacyAction::Reject => Action::Reject,
            },
            comments: request.comments.unwrap_or_default(),
            inputs: inputs(request.approver_inputs),
        };
        decide(&s, &mut w, &caller, &id, decision)?;
        let a = approval(&w, &id).ok_or_else(|| invalid_harness_id(&id))?;
        Ok(Reply::Envelope(legacy_json(&s, &w, a)))
    })();
    finish(&cid, outcome)
}

const APPROVAL_TYPES: [&str; 4] = [
    "HarnessApproval",
    "JiraApproval",
    "CustomApproval",
    "ServiceNowApproval",
];
const APPROVAL_STATUSES: [&str; 6] = [
    "WAITING", "APPROVED", "REJECTED", "FAILED", "ABORTED", "EXPIRED",
];

/// The v1 check that the execution exists in the account, org and project of the request.
fn check_execution(
    s: &Shared,
    w: &World,
    account: &str,
    org: &str,
    project: &str,
    exec: &str,
) -> Result<(), ApiError> {
    let found = w.execution(exec).is_some_and(|e| {
        e.project == project
            && w.serves(Generation::NextGen, project)
            && account == s.harness.account
            && org == s.harness.org
    });
    if found {
        Ok(())
    } else {
        Err(ApiError::Invalid(format!(
            "execution_id param value provided doesn't belong to Account: {account}, Org: {org}, Project: {project} or the pipeline has been deleted"
        )))
    }
}

/// `GET /v1/orgs/{org}/projects/{project}/approvals/execution/{execution-id}`
pub(crate) async fn v1_list(
    State(s): State<Arc<Shared>>,
    cid: Cid,
    caller: Caller,
    params: Params,
    p: Result<Path<(String, String, String)>, PathRejection>,
) -> Response {
    let outcome = (|| -> Outcome {
        let (org, project, exec) = path(p)?;
        let account = caller.require_harness_account()?.to_string();
        let kind = params.get("approval_type");
        if let Some(k) = kind
            && !APPROVAL_TYPES.contains(&k)
        {
            return Err(ApiError::Invalid(format!(
                "approval_type param value should be one of [{}]",
                APPROVAL_TYPES.join(", ")
            )));
        }
        let status = params.get("approval_status");
        if let Some(st) = status
            && !APPROVAL_STATUSES.contains(&st)
        {
            return Err(ApiError::Invalid(format!(
                "approval_status param value should be one of [{}]",
                APPROVAL_STATUSES.join(", ")
            )));
        }
        let w = s.world();
        check_execution(&s, &w, &account, &org, &project, &exec)?;
        let node = params.get("node_execution_id");
        let list: Vec<Value> = w
            .approvals_of(&exec)
            .into_iter()
            .filter(|a| {
                kind.is_none_or(|k| k == "HarnessApproval")
                    && status.is_none_or(|st| st == status_text(a.status))
                    && node.is_none_or(|n| {
                        w.execution(&a.execution)
                            .and_then(|e| e.stages.get(a.stage))
                            .and_then(|st| st.steps.get(a.step))
                            .is_some_and(|step| step.node_id == n)
                    })
            })
            .map(|a| v1_json(&s, &w, a))
            .collect();
        Ok(Reply::Bare(Value::from(list)))
    })();
    finish(&cid, outcome)
}

#[derive(Deserialize)]
struct V1Activity {
    #[serde(default)]
    action: Option<Value>,
    #[serde(default)]
    comments: Option<String>,
    #[serde(default)]
    approver_inputs: Option<Vec<InputValue>>,
    /// The spelling some published examples use; accepted as well.
    #[serde(default, rename = "approverInputs")]
    approver_inputs_camel: Option<Vec<InputValue>>,
}

/// `POST /v1/orgs/{org}/projects/{project}/approvals/execution/{execution-id}[?callback_id=]`
pub(crate) async fn v1_decide(
    State(s): State<Arc<Shared>>,
    cid: Cid,
    caller: Caller,
    params: Params,
    p: Result<Path<(String, String, String)>, PathRejection>,
    b: Result<Bytes, BytesRejection>,
) -> Response {
    let outcome = (|| -> Outcome {
        let (org, project, exec) = path(p)?;
        let request: Option<V1Activity> = json_body(&body(b)?)?;
        let mut w = s.world();
        // 1. RBAC, 2. the account header, then the body's action.
        caller.require_execute(&w, &org, &project, None)?;
        let account = caller.require_harness_account()?.to_string();
        let request = request.unwrap_or(V1Activity {
            action: None,
            comments: None,
            approver_inputs: None,
            approver_inputs_camel: None,
        });
        let action = match request.action.as_ref().and_then(Value::as_str) {
            Some("APPROVE") => Action::Approve,
            Some("REJECT") => Action::Reject,
            _ => {
                return Err(ApiError::Invalid(
                    "action in request body should be one of [APPROVE, REJECT]".to_string(),
                ));
            }
        };
        // 3. The execution must belong to the account, org and project.
        check_execution(&s, &w, &account, &org, &project, &exec)?;
        // 4. Exactly one waiting Harness approval, narrowed by the step's callbackId.
        let callback = params.get("callback_id");
        let waiting: Vec<String> = w
            .approvals_of(&exec)
            .into_iter()
            .filter(|a| {
                a.status == ApprovalStatus::Waiting
                    && callback.is_none_or(|cb| a.spec.callback_id.as_deref() == Some(cb))
            })
            .map(|a| a.id.clone())
            .collect();
        let cb = callback.unwrap_or("null");
        let id = match waiting.as_slice() {
            [] => {
                return Err(ApiError::Invalid(format!(
                    "Found no Harness Approval Instance waiting for pipeline execution id: {exec} and callback id: {cb}"
                )));
            }
            [one] => one.clone(),
            _ => {
                return Err(ApiError::Invalid(format!(
                    "Found more than 1 Harness Approval Instance waiting for pipeline execution id: {exec} and callback id: {cb}"
                )));
            }
        };
        // 5. A USER principal, 6. an allowed approver, 7. still open.
        require_user(&caller)?;
        let decision = Decision {
            action,
            comments: request.comments.unwrap_or_default(),
            inputs: inputs(request.approver_inputs.or(request.approver_inputs_camel)),
        };
        decide(&s, &mut w, &caller, &id, decision)?;
        let a = approval(&w, &id).ok_or_else(|| invalid_harness_id(&id))?;
        Ok(Reply::Bare(v1_json(&s, &w, a)))
    })();
    finish(&cid, outcome)
}
