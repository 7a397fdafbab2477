//! How a decision on an Argo gate (a Running Suspend node) becomes requests (spec §8).
//!
//! Approve: `set` the supplied output parameters (and the comment as the node's message)
//! when there are any, then `resume` that node only (`nodeFieldSelector=id=<node>`).
//! Reject: when the gate has a verdict parameter (an enum offering an approve-like and a
//! reject-like value, e.g. `approve: YES|NO`; the action decides its value, and a value
//! given for it that says the opposite is refused), `set` it to the reject value and
//! resume, so
//! the workflow's `when:` conditions skip the guarded steps ("soft" reject, as the Argo docs
//! do it). Without one, the node is failed as configured: `stop` with a message, or `set`
//! with `phase=Failed`.

use serde_json::{Map, Value};

use super::map;
use crate::domain::{Approval, BackendError, Decision, DecisionAction};

/// What rejecting a gate without a verdict parameter does (`reject = "stop" | "fail"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RejectMode {
    /// `PUT …/stop` with the node selector: the node fails with the message.
    #[default]
    Stop,
    /// `PUT …/set` with `phase=Failed`.
    Fail,
}

/// The requests of one decision, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    Set {
        output_parameters: Option<String>,
        message: Option<String>,
        failed: bool,
    },
    Resume,
    Stop {
        message: String,
    },
}

pub fn plan(
    approval: &Approval,
    decision: &Decision,
    reject_mode: RejectMode,
) -> Result<Vec<Call>, BackendError> {
    for (name, _) in &decision.inputs {
        if !approval.inputs.iter().any(|i| &i.name == name) {
            let known: Vec<&str> = approval.inputs.iter().map(|i| i.name.as_str()).collect();
            return Err(BackendError::BadRequest(format!(
                "unknown input {name:?}; this gate takes {}",
                if known.is_empty() {
                    "no inputs".to_owned()
                } else {
                    known.join(", ")
                }
            )));
        }
    }
    let verdict = map::verdict(&approval.inputs);
    let comment = Some(decision.comment.trim().to_owned()).filter(|c| !c.is_empty());
    let rejecting = decision.action == DecisionAction::Reject;
    if rejecting && verdict.is_none() {
        let message = comment.unwrap_or_else(|| "rejected".to_owned());
        return Ok(match reject_mode {
            RejectMode::Stop => vec![Call::Stop { message }],
            RejectMode::Fail => vec![Call::Set {
                output_parameters: None,
                message: Some(message),
                failed: true,
            }],
        });
    }
    let mut outputs = Map::new();
    for input in &approval.inputs {
        let given = decision
            .inputs
            .iter()
            .find(|(n, _)| n == &input.name)
            .map(|(_, v)| v.clone());
        let value = match verdict {
            // The action is the verdict. A value given for it that says the opposite
            // (`approve` with approve=NO) is refused: sending either would make the record
            // of the decision say something other than what the gate got.
            Some((name, yes, no)) if name == input.name => {
                let sent = if rejecting { no } else { yes };
                if let Some(other) = given.filter(|g| g != sent) {
                    let doing = if rejecting { "rejecting" } else { "approving" };
                    return Err(BackendError::BadRequest(format!(
                        "{name}={other} contradicts {doing}; the action sets {name}={sent}"
                    )));
                }
                sent.to_owned()
            }
            _ => given.unwrap_or_else(|| input.default.clone()),
        };
        if !input.options.is_empty() && !input.options.contains(&value) {
            return Err(BackendError::BadRequest(format!(
                "{}={value} is not one of {}",
                input.name,
                input.options.join(", ")
            )));
        }
        outputs.insert(input.name.clone(), Value::String(value));
    }
    let mut calls = Vec::new();
    if !outputs.is_empty() || comment.is_some() {
        calls.push(Call::Set {
            output_parameters: (!outputs.is_empty()).then(|| Value::Object(outputs).to_string()),
            message: comment,
            failed: false,
        });
    }
    calls.push(Call::Resume);
    Ok(calls)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ApproverInput;

    fn gate(inputs: Vec<ApproverInput>) -> Approval {
        Approval {
            backend: "argo".into(),
            project: "argo".into(),
            id: "wf-123".into(),
            execution_id: "wf".into(),
            pipeline_id: "release".into(),
            pipeline_name: "release".into(),
            stage: String::new(),
            step: "approval".into(),
            message: String::new(),
            approvers: vec![],
            min_count: 1,
            inputs,
            created: None,
            deadline: None,
            triggered_by: String::new(),
            environment: None,
            callback_id: None,
            url: None,
        }
    }

    fn verdict_input() -> ApproverInput {
        ApproverInput {
            name: "approve".into(),
            default: "YES".into(),
            options: vec!["YES".into(), "NO".into()],
        }
    }

    fn decision(action: DecisionAction, comment: &str, inputs: &[(&str, &str)]) -> Decision {
        Decision {
            action,
            comment: comment.into(),
            inputs: inputs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn approve_sets_the_verdict_then_resumes() {
        let calls = plan(
            &gate(vec![verdict_input()]),
            &decision(DecisionAction::Approve, "", &[]),
            RejectMode::Stop,
        )
        .unwrap();
        assert_eq!(
            calls,
            vec![
                Call::Set {
                    output_parameters: Some(r#"{"approve":"YES"}"#.into()),
                    message: None,
                    failed: false
                },
                Call::Resume
            ]
        );
    }

    #[test]
    fn soft_reject_sets_the_reject_value() {
        let calls = plan(
            &gate(vec![verdict_input()]),
            &decision(DecisionAction::Reject, "not today", &[]),
            RejectMode::Stop,
        )
        .unwrap();
        assert_eq!(
            calls[0],
            Call::Set {
                output_parameters: Some(r#"{"approve":"NO"}"#.into()),
                message: Some("not today".into()),
                failed: false
            }
        );
        assert_eq!(calls[1], Call::Resume);
    }

    #[test]
    fn hard_reject_follows_the_configured_mode() {
        let g = gate(vec![]);
        let d = decision(DecisionAction::Reject, "", &[]);
        assert_eq!(
            plan(&g, &d, RejectMode::Stop).unwrap(),
            vec![Call::Stop {
                message: "rejected".into()
            }]
        );
        assert_eq!(
            plan(&g, &d, RejectMode::Fail).unwrap(),
            vec![Call::Set {
                output_parameters: None,
                message: Some("rejected".into()),
                failed: true
            }]
        );
    }

    #[test]
    fn approve_without_inputs_is_one_resume() {
        let calls = plan(
            &gate(vec![]),
            &decision(DecisionAction::Approve, "  ", &[]),
            RejectMode::Stop,
        )
        .unwrap();
        assert_eq!(calls, vec![Call::Resume]);
    }

    #[test]
    fn inputs_are_checked_before_anything_is_sent() {
        let g = gate(vec![
            verdict_input(),
            ApproverInput {
                name: "region".into(),
                default: "eu".into(),
                options: vec!["eu".into(), "us".into()],
            },
        ]);
        let bad = [
            decision(DecisionAction::Approve, "", &[("nope", "1")]),
            decision(DecisionAction::Approve, "", &[("region", "mars")]),
        ];
        for d in bad {
            assert!(matches!(
                plan(&g, &d, RejectMode::Stop),
                Err(BackendError::BadRequest(_))
            ));
        }
        // A verdict that contradicts the action is refused, nothing is sent; the one that
        // agrees is sent as given.
        for (action, value) in [
            (DecisionAction::Approve, "NO"),
            (DecisionAction::Reject, "YES"),
        ] {
            let err = plan(
                &g,
                &decision(action, "", &[("approve", value)]),
                RejectMode::Stop,
            )
            .unwrap_err();
            assert!(err.to_string().contains("contradicts"), "{err}");
        }
        let ok = plan(
            &g,
            &decision(
                DecisionAction::Approve,
                "",
                &[("approve", "YES"), ("region", "us")],
            ),
            RejectMode::Stop,
        )
        .unwrap();
        assert_eq!(
            ok[0],
            Call::Set {
                output_parameters: Some(r#"{"approve":"YES","region":"us"}"#.into()),
                message: None,
                failed: false
            }
        );
    }
}
