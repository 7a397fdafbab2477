//! `flightdeck approve|reject <backend>/<execution> [--gate ID | --callback-id X]`.
//!
//! The gates are read before anything is sent, so the exit code says what happened: a gate
//! that is not waiting is looked up among the execution's past gates (where the backend
//! reports them) and reads as already decided (5), expired (8), or not found (4) — a mistyped
//! id never reads as "someone else already approved".

use super::json::DecisionJson;
use super::{Failure, Global, failure, target};
use crate::backend::{Backend, GateRecord};
use crate::cli::DecideArgs;
use crate::domain::{Approval, Decision, DecisionAction, ExecRef, ExecStatus, ExecutionDetail};
use crate::sanitize::clean;

/// How the gate was asked for.
enum Pick<'a> {
    Only,
    Id(&'a str),
    Callback(&'a str),
}

/// The gate to decide: the one named, or the only one waiting. `Ok(None)`: no waiting gate
/// matches, and the past gates must say why.
fn choose(detail: &ExecutionDetail, pick: &Pick<'_>) -> Result<Option<Approval>, Failure> {
    let e = &detail.execution;
    let gates = &detail.approvals;
    let found: Vec<&Approval> = match pick {
        Pick::Id(id) => gates.iter().filter(|g| g.id == *id).collect(),
        Pick::Callback(cb) => gates
            .iter()
            .filter(|g| g.callback_id.as_deref() == Some(*cb))
            .collect(),
        Pick::Only => gates.iter().collect(),
    };
    match found.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some((*one).clone())),
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
    }
}

fn named(g: &GateRecord) -> String {
    format!("gate {} ({} / {})", g.id, g.stage, g.step)
}

/// Why no waiting gate matched: the execution's past gates tell a decided gate (5) or an
/// expired one (8) from an id that names none (4).
async fn explain(
    backend: &dyn Backend,
    name: &str,
    exec: &ExecRef,
    detail: &ExecutionDetail,
    pick: &Pick<'_>,
) -> Failure {
    let e = &detail.execution;
    let history = match backend.gate_history(exec).await {
        Ok(history) => history,
        Err(err) => return Failure::backend(name, &err),
    };
    let what = match pick {
        Pick::Id(id) => format!("no gate {id:?}"),
        Pick::Callback(cb) => format!("no gate with callback id {cb:?}"),
        Pick::Only => "no gate".to_owned(),
    };
    let Some(history) = history else {
        return Failure::not_found(format!(
            "{name}: {what} waiting in execution {} (status {})",
            e.id,
            e.status.said()
        ));
    };
    let matching: Vec<&GateRecord> = history
        .iter()
        .filter(|g| match pick {
            Pick::Id(id) => g.id == *id,
            Pick::Callback(cb) => g.callback_id.as_deref() == Some(*cb),
            Pick::Only => g.status.status != ExecStatus::Waiting,
        })
        .collect();
    let decided = matching.iter().find(|g| {
        matches!(
            g.status.status,
            ExecStatus::Succeeded | ExecStatus::Rejected
        )
    });
    let expired = matching
        .iter()
        .find(|g| g.status.status == ExecStatus::Expired);
    if let Some(g) = decided {
        return Failure::conflict(format!(
            "{name}: {} in execution {} was already decided ({})",
            named(g),
            e.id,
            g.status.said()
        ));
    }
    if let Some(g) = expired {
        return Failure::new(
            failure::EXPIRED,
            "expired",
            format!(
                "{name}: {} in execution {} expired before the decision",
                named(g),
                e.id
            ),
        );
    }
    if let (Some(g), Pick::Id(_) | Pick::Callback(_)) = (matching.first(), pick) {
        // Named, but neither waiting nor decided: not started yet, aborted, failed...
        return Failure::conflict(format!(
            "{name}: {} in execution {} is not waiting (status {})",
            named(g),
            e.id,
            g.status.said()
        ));
    }
    let known: Vec<String> = history
        .iter()
        .map(|g| match pick {
            Pick::Callback(_) => format!(
                "{} ({} / {})",
                g.callback_id.as_deref().unwrap_or("no callback id"),
                g.stage,
                g.step
            ),
            _ => format!("{} ({} / {}, {})", g.id, g.stage, g.step, g.status.said()),
        })
        .collect();
    Failure::not_found(format!(
        "{name}: {what} {} execution {} (status {}){}",
        if matches!(pick, Pick::Only) {
            "waiting in"
        } else {
            "in"
        },
        e.id,
        e.status.said(),
        if known.is_empty() || matches!(pick, Pick::Only) {
            String::new()
        } else {
            format!("; its gates: {}", known.join(", "))
        }
    ))
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
    let writes = global.writable(&loaded, &t.backend).await?;
    let backend = &p.backend;
    if backend.kind() == crate::domain::BackendKind::Infraxys {
        return Err(Failure::new(
            failure::BAD_INPUT,
            "unsupported",
            format!("{}: {}", t.backend, crate::backend::infraxys::NO_GATES),
        ));
    }
    if args.callback_id.is_some() && backend.kind() != crate::domain::BackendKind::Harness {
        return Err(Failure::new(
            failure::BAD_INPUT,
            "unsupported",
            format!(
                "{}: {} backends have no callback ids; pick the gate with --gate",
                t.backend,
                backend.kind().as_str()
            ),
        ));
    }
    let given = target::pairs("input", &args.inputs)?;
    let exec = target::execution(backend, &t).await?;
    let detail = backend
        .execution(&exec)
        .await
        .map_err(|e| Failure::backend(&t.backend, &e))?;
    let pick = match (&args.gate, &args.callback_id) {
        (Some(id), _) => Pick::Id(id),
        (None, Some(cb)) => Pick::Callback(cb),
        (None, None) => Pick::Only,
    };
    let gate = match choose(&detail, &pick)? {
        Some(gate) => gate,
        None => return Err(explain(&**backend, &t.backend, &exec, &detail, &pick).await),
    };
    let inputs = match action {
        DecisionAction::Approve => inputs(&gate, given)?,
        DecisionAction::Reject => given,
    };
    let decision = Decision {
        action,
        comment: args.comment.clone(),
        inputs,
    };
    let (result, request_id) = crate::backend::identity::capture_request_id(async {
        match &args.callback_id {
            // Sent the way it was asked for: by the step's callback id (Harness's v1 call).
            Some(callback) => backend.decide_by_callback(&exec, callback, &decision).await,
            None => backend.decide(&gate, &decision).await,
        }
    })
    .await;
    global.audit(&writes.decision_entry(
        &gate,
        &decision,
        &result,
        request_id,
        jiff::Timestamp::now(),
    ));
    let outcome = result.map_err(|e| Failure::backend(&t.backend, &e))?;
    let out = DecisionJson {
        backend: t.backend.clone(),
        gate: Some(gate.id.clone()),
        callback_id: gate.callback_id.clone(),
        execution_id: exec.id.clone(),
        action: action.verb().into(),
        outcome: outcome.code().into(),
    };
    global.print(&out, || {
        format!(
            "{}: {} / {} in {}/{}/{}\n",
            outcome.label(),
            clean(&gate.stage),
            clean(&gate.step),
            t.backend,
            exec.project,
            exec.id
        )
    });
    Ok(())
}
