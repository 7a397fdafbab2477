//! `flightdeck approve|reject <backend>/<execution> [--gate ID | --callback-id X]`.

use super::json::DecisionJson;
use super::{Failure, Global, target};
use crate::audit::Entry;
use crate::cli::DecideArgs;
use crate::domain::{Approval, Decision, DecisionAction, ExecutionDetail};

/// The gate to decide: the one named, or the only one waiting.
fn choose(detail: &ExecutionDetail, gate: Option<&str>) -> Result<Approval, Failure> {
    let e = &detail.execution;
    let gates = &detail.approvals;
    match gate {
        Some(id) => gates.iter().find(|g| g.id == id).cloned().ok_or_else(|| {
            Failure::not_found(format!("no gate {id:?} waiting in execution {}", e.id))
        }),
        None => match gates.as_slice() {
            [one] => Ok(one.clone()),
            [] => Err(Failure::not_found(format!(
                "no gate waiting in execution {} (status {})",
                e.id, e.status.raw
            ))),
            several => {
                let ids: Vec<String> = several
                    .iter()
                    .map(|g| format!("{} ({} / {})", g.id, g.stage, g.step))
                    .collect();
                Err(Failure::conflict(format!(
                    "{} gates wait in execution {}: pick one with --gate: {}",
                    several.len(),
                    e.id,
                    ids.join(", ")
                )))
            }
        },
    }
}

/// Approver inputs as given, checked against the gate, defaults filled in for the rest.
fn inputs(gate: &Approval, given: Vec<(String, String)>) -> Result<Vec<(String, String)>, Failure> {
    if let Some((name, _)) = given
        .iter()
        .find(|(n, _)| !gate.inputs.iter().any(|i| &i.name == n))
    {
        let known: Vec<&str> = gate.inputs.iter().map(|i| i.name.as_str()).collect();
        return Err(Failure::bad_input(format!(
            "the gate has no input {name:?}; it takes: {}",
            if known.is_empty() {
                "nothing".to_string()
            } else {
                known.join(", ")
            }
        )));
    }
    Ok(gate
        .inputs
        .iter()
        .map(|i| {
            let value = given
                .iter()
                .find(|(n, _)| n == &i.name)
                .map_or_else(|| i.default.clone(), |(_, v)| v.clone());
            (i.name.clone(), value)
        })
        .collect())
}

pub async fn run(global: &Global, action: DecisionAction, args: DecideArgs) -> Result<(), Failure> {
    let loaded = global.load()?;
    let t = target::Target::parse(&args.target, "execution")?;
    let p = target::find(&loaded.backends, &t.backend)?;
    global.writable(&loaded, &t.backend)?;
    let given = target::pairs("input", &args.inputs)?;
    let backend = &p.backend;
    let exec = target::execution(backend, &t).await?;
    let detail = backend
        .execution(&exec)
        .await
        .map_err(|e| Failure::backend(&t.backend, &e))?;

    let (gate, result, decision) = match &args.callback_id {
        // The backend picks the gate by its step's callback id; record what we know of it.
        Some(callback) => {
            let decision = Decision {
                action,
                comment: args.comment.clone(),
                inputs: given,
            };
            let result = backend.decide_by_callback(&exec, callback, &decision).await;
            let gate = Approval {
                backend: backend.name().clone(),
                project: exec.project.clone(),
                id: format!("callback:{callback}"),
                execution_id: exec.id.clone(),
                pipeline_id: detail.execution.pipeline_id.clone(),
                pipeline_name: detail.execution.pipeline_name.clone(),
                stage: String::new(),
                step: String::new(),
                message: String::new(),
                approvers: Vec::new(),
                min_count: 0,
                inputs: Vec::new(),
                created: None,
                deadline: None,
                triggered_by: detail.execution.triggered_by.clone(),
                environment: None,
            };
            (gate, result, decision)
        }
        None => {
            let gate = choose(&detail, args.gate.as_deref())?;
            let inputs = match action {
                DecisionAction::Approve => inputs(&gate, given)?,
                DecisionAction::Reject => given,
            };
            let decision = Decision {
                action,
                comment: args.comment.clone(),
                inputs,
            };
            let result = backend.decide(&gate, &decision).await;
            (gate, result, decision)
        }
    };
    global.audit(&Entry::decision(
        "cli",
        &crate::audit::local_user(),
        &gate,
        &decision,
        &result,
        jiff::Timestamp::now(),
    ));
    let outcome = result.map_err(|e| Failure::backend(&t.backend, &e))?;
    let out = DecisionJson {
        backend: t.backend.clone(),
        gate: args.callback_id.is_none().then(|| gate.id.clone()),
        execution_id: exec.id.clone(),
        action: action.verb().into(),
        outcome: outcome.code().into(),
    };
    global.print(&out, || {
        format!(
            "{}: {} / {} in {}/{}/{}\n",
            outcome.label(),
            gate.stage,
            gate.step,
            t.backend,
            exec.project,
            exec.id
        )
    });
    Ok(())
}
