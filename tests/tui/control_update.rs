//! Execution control in the dashboard: keys in, effects out (`App::update`, no I/O).

use crate::common;

use common::*;
use crossterm::event::KeyCode;
use flightdeck::app::{App, Dialog, Effect, Focus};
use flightdeck::backend::control::RetryStage;
use flightdeck::backend::{Control, ControlOutcome, RetryStages};
use flightdeck::domain::*;
use flightdeck::service::{Command, Payload, Resource};

/// Every control action the effects send: (execution id, action).
fn controls(effects: &[Effect]) -> Vec<(String, Control)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Send {
                command: Command::Control { exec, action, .. },
                ..
            } => Some((exec.id.clone(), action.clone())),
            _ => None,
        })
        .collect()
}

fn audits(effects: &[Effect]) -> Vec<(String, String)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Audit(entry) => Some((entry.action.clone(), entry.result.status.clone())),
            _ => None,
        })
        .collect()
}

fn app_of(kind: BackendKind, production: bool) -> App {
    loaded_app_with(|s| {
        s.backends[0].kind = kind;
        s.backends[0].production = production;
    })
}

fn epoch(app: &App) -> u64 {
    match &app.dialog {
        Some(Dialog::Control(d)) => d.epoch,
        other => panic!("no control dialog: {other:?}"),
    }
}

fn flash(app: &App) -> String {
    app.visible_flash()
        .map(|f| f.text.clone())
        .unwrap_or_default()
}

const ABORT: Control = Control::Abort {
    stage: None,
    terminate: false,
};

fn exec(id: &str) -> ExecRef {
    ExecRef {
        project: "payments".into(),
        id: id.into(),
    }
}

fn answered(id: &str, action: Control, result: Result<ControlOutcome, BackendError>) -> Payload {
    Payload::Controlled {
        exec: exec(id),
        action,
        result,
        after: None,
        request_id: None,
    }
}

#[test]
fn abort_opens_on_cancel_and_sends_once_with_one_audit_entry() {
    let mut app = app_of(BackendKind::Harness, false);
    // The cursor rests on the newest execution: exec-running.
    press(&mut app, [ch('K')]);
    let Some(Dialog::Control(d)) = &app.dialog else {
        panic!("K opens the control dialog")
    };
    assert_eq!(d.form.focus, Focus::Cancel);
    // Enter alone presses the focused Cancel.
    let effects = press(&mut app, [key(KeyCode::Enter)]);
    assert!(app.dialog.is_none());
    assert!(controls(&effects).is_empty());

    press(&mut app, [ch('K')]);
    let epoch = epoch(&app);
    let effects = press(&mut app, [key(KeyCode::Tab), key(KeyCode::Enter)]);
    assert_eq!(controls(&effects), [("exec-running".to_string(), ABORT)]);
    // Sending: keys neither send again nor close it.
    let again = press(&mut app, [key(KeyCode::Enter), key(KeyCode::Esc)]);
    assert!(controls(&again).is_empty());
    assert!(app.dialog.is_some());

    let effects = app.update(
        reply_to(
            epoch,
            answered(
                "exec-running",
                ABORT,
                Ok(ControlOutcome {
                    execution_id: "exec-running".into(),
                    new_run: false,
                    status: None,
                    pending: None,
                }),
            ),
        ),
        at(1),
    );
    assert_eq!(
        audits(&effects),
        [("abort".into(), "abort requested".into())]
    );
    assert!(effects.iter().any(|e| matches!(
        e,
        Effect::Send {
            command: Command::Refresh(Resource::Executions),
            ..
        }
    )));
    assert!(app.dialog.is_none());
    assert_eq!(flash(&app), "exec-running: abort requested");
}

#[test]
fn a_production_backend_needs_the_pipeline_name_typed() {
    let mut app = app_of(BackendKind::Harness, true);
    press(&mut app, [ch('K')]);
    // Cancel -> the typed field -> Abort.
    let effects = press(
        &mut app,
        [key(KeyCode::Tab), key(KeyCode::Tab), key(KeyCode::Enter)],
    );
    assert!(controls(&effects).is_empty(), "nothing typed, nothing sent");
    let Some(Dialog::Control(d)) = &app.dialog else {
        panic!("stays open")
    };
    assert_eq!(d.form.problem.as_deref(), Some("type Build to confirm"));
    press(&mut app, [key(KeyCode::BackTab)]);
    press(&mut app, "Build".chars().map(ch));
    let effects = press(&mut app, [key(KeyCode::Tab), key(KeyCode::Enter)]);
    assert_eq!(controls(&effects), [("exec-running".to_string(), ABORT)]);
}

#[test]
fn an_answer_that_may_have_acted_blocks_the_action_until_the_run_is_read_again() {
    let mut app = app_of(BackendKind::Harness, false);
    press(&mut app, [ch('K')]);
    let epoch = epoch(&app);
    press(&mut app, [key(KeyCode::Tab), key(KeyCode::Enter)]);
    let effects = app.update(
        reply_to(
            epoch,
            Payload::Controlled {
                exec: exec("exec-running"),
                action: ABORT,
                result: Err(BackendError::Timeout(std::time::Duration::from_secs(30))),
                after: Some(Err("HTTP 503".into())),
                request_id: None,
            },
        ),
        at(1),
    );
    assert_eq!(audits(&effects)[0].1, "unknown");
    assert!(flash(&app).contains("outcome unknown"), "{}", flash(&app));
    press(&mut app, [ch('K')]);
    assert!(app.dialog.is_none(), "not offered again while unknown");
    assert!(flash(&app).contains("unknown"), "{}", flash(&app));
    // The first read after the answer may have left before the abort ended: it settles
    // nothing. The next one does.
    app.update(reply(Payload::Executions(Ok(executions()))), at(2));
    press(&mut app, [ch('K')]);
    assert!(app.dialog.is_none());
    app.update(reply(Payload::Executions(Ok(executions()))), at(3));
    press(&mut app, [ch('K')]);
    assert!(matches!(app.dialog, Some(Dialog::Control(_))));
}

#[test]
fn where_the_backend_has_no_api_the_key_says_why_in_one_line() {
    let mut app = app_of(BackendKind::Infraxys, false);
    let effects = press(&mut app, [ch('K')]);
    assert!(app.dialog.is_none());
    assert!(controls(&effects).is_empty());
    let text = flash(&app);
    assert!(text.starts_with("abort: Infraxys has no API"), "{text}");
    assert!(!text.contains('\n'));
    // The footer offers no control key there either.
    assert!(
        app.offers()
            .iter()
            .all(|o| !o.actions.contains(&flightdeck::app::Action::Abort))
    );

    // A run that has ended is not aborted, and a running one is not re-run.
    let mut app = app_of(BackendKind::Harness, false);
    assert!(
        app.offers()
            .iter()
            .any(|o| o.actions.contains(&flightdeck::app::Action::Abort))
    );
    press(&mut app, [ch('E')]);
    assert!(app.dialog.is_none());
    assert!(flash(&app).contains("still running"), "{}", flash(&app));
}

#[test]
fn argo_abort_explains_and_lets_the_user_terminate() {
    let mut app = app_of(BackendKind::Argo, false);
    press(&mut app, [ch('K')]);
    let Some(Dialog::Control(d)) = &app.dialog else {
        panic!("open")
    };
    assert_eq!(d.form.value("how"), Some("stop"));
    // Cancel -> how (→ terminate) -> Abort.
    let effects = press(
        &mut app,
        [
            key(KeyCode::Tab),
            key(KeyCode::Right),
            key(KeyCode::Tab),
            key(KeyCode::Enter),
        ],
    );
    assert_eq!(
        controls(&effects),
        [(
            "exec-running".to_string(),
            Control::Abort {
                stage: None,
                terminate: true
            }
        )]
    );
}

fn stage(id: &str, status: &str) -> RetryStage {
    RetryStage {
        identifier: id.into(),
        name: id.into(),
        status: status.into(),
    }
}

#[test]
fn harness_retry_asks_which_stages_and_shows_a_refusal_verbatim() {
    let mut app = app_of(BackendKind::Harness, false);
    // exec-running, exec-waiting, exec-failed.
    press(&mut app, [ch('j'), ch('j')]);
    let effects = press(&mut app, [ch('R')]);
    let epoch = epoch(&app);
    assert!(effects.iter().any(|e| matches!(
        e,
        Effect::Send {
            command: Command::RetryStages { exec, .. },
            ..
        } if exec.id == "exec-failed"
    )));
    // Cancel -> retry from -> Retry: not before the stages are known.
    let sent = press(
        &mut app,
        [key(KeyCode::Tab), key(KeyCode::Tab), key(KeyCode::Enter)],
    );
    assert!(controls(&sent).is_empty());

    let refusal = "This execution is not the latest of all retried execution. \
                   You can only retry the latest execution.";
    app.update(
        reply_to(
            epoch,
            Payload::RetryStages {
                exec: exec("exec-failed"),
                result: Ok(RetryStages {
                    resumable: false,
                    error: Some(refusal.into()),
                    groups: Vec::new(),
                }),
            },
        ),
        at(1),
    );
    let sent = press(&mut app, [key(KeyCode::Enter)]);
    assert!(controls(&sent).is_empty());
    let Some(Dialog::Control(d)) = &app.dialog else {
        panic!("open")
    };
    assert_eq!(
        d.form.problem.as_deref(),
        Some("Harness refuses this retry (its words above)")
    );
    assert!(matches!(
        &d.stages,
        Some(flightdeck::app::Stages::Loaded(s)) if s.error.as_deref() == Some(refusal)
    ));

    press(&mut app, [key(KeyCode::Esc), ch('R')]);
    let epoch = self::epoch(&app);
    app.update(
        reply_to(
            epoch,
            Payload::RetryStages {
                exec: exec("exec-failed"),
                result: Ok(RetryStages {
                    resumable: true,
                    error: None,
                    groups: vec![
                        vec![stage("build", "Success")],
                        vec![stage("deploy_eu", "Failed"), stage("deploy_us", "Success")],
                    ],
                }),
            },
        ),
        at(1),
    );
    let Some(Dialog::Control(d)) = &app.dialog else {
        panic!("open")
    };
    assert_eq!(
        d.form.value("retry from"),
        Some("deploy_eu (Failed) + deploy_us (Success)")
    );
    // Cancel -> retry from (← build) -> Retry.
    let sent = press(
        &mut app,
        [
            key(KeyCode::Tab),
            key(KeyCode::Left),
            key(KeyCode::Tab),
            key(KeyCode::Enter),
        ],
    );
    assert_eq!(
        controls(&sent),
        [(
            "exec-failed".to_string(),
            Control::Retry {
                stages: vec!["build".into()]
            }
        )]
    );
}

#[test]
fn marked_executions_are_aborted_as_one_batch_and_never_twice_at_once() {
    let mut app = app_of(BackendKind::Argo, false);
    // space marks and moves down: exec-running and exec-waiting.
    press(&mut app, [ch(' '), ch(' ')]);
    assert_eq!(app.runs().marks().len(), 2);
    press(&mut app, [ch('K')]);
    let Some(Dialog::Control(d)) = &app.dialog else {
        panic!("open")
    };
    assert!(d.batch);
    assert_eq!(d.form.focus, Focus::Cancel);
    // Cancel -> how -> type yes -> Abort 2.
    let effects = press(
        &mut app,
        [
            key(KeyCode::Tab),
            key(KeyCode::Tab),
            key(KeyCode::Tab),
            key(KeyCode::Enter),
        ],
    );
    assert!(controls(&effects).is_empty(), "two need a typed yes");
    press(&mut app, [key(KeyCode::BackTab)]);
    press(&mut app, "yes".chars().map(ch));
    let effects = press(&mut app, [key(KeyCode::Tab), key(KeyCode::Enter)]);
    let mut sent: Vec<String> = controls(&effects).into_iter().map(|(id, _)| id).collect();
    sent.sort();
    assert_eq!(sent, ["exec-running", "exec-waiting"]);
    // The results close; the aborts are still in flight: none is sent again.
    press(&mut app, [key(KeyCode::Enter)]);
    let effects = press(&mut app, [ch('K')]);
    assert!(controls(&effects).is_empty());
    assert!(app.dialog.is_none());
    assert!(flash(&app).contains("already in flight"), "{}", flash(&app));
}

#[test]
fn p_suspends_a_running_workflow_and_resumes_a_suspended_one() {
    let mut app = app_of(BackendKind::Argo, false);
    press(&mut app, [ch('p')]);
    let effects = press(&mut app, [key(KeyCode::Tab), key(KeyCode::Enter)]);
    assert_eq!(
        controls(&effects),
        [("exec-running".to_string(), Control::Suspend)]
    );

    let mut app = app_of(BackendKind::Argo, false);
    let mut list = executions();
    list[1].status = Status::new(ExecStatus::Paused, "Suspended");
    app.update(reply(Payload::Executions(Ok(list))), at(1));
    let effects = press(&mut app, [ch('p'), key(KeyCode::Tab), key(KeyCode::Enter)]);
    assert_eq!(
        controls(&effects),
        [("exec-running".to_string(), Control::Resume)]
    );

    // A finished run is neither.
    let mut app = app_of(BackendKind::Argo, false);
    press(&mut app, [ch('j'), ch('j'), ch('p')]);
    assert!(app.dialog.is_none());
    assert!(
        flash(&app).contains("only a running workflow can be suspended"),
        "{}",
        flash(&app)
    );
}

#[test]
fn a_harness_abort_can_stop_one_running_stage_alone() {
    let mut app = app_of(BackendKind::Harness, false);
    press(&mut app, [ch('j')]);
    app.update(
        reply(Payload::Execution(
            exec("exec-waiting"),
            Ok(Box::new(detail())),
        )),
        at(1),
    );
    press(&mut app, [ch('K')]);
    let Some(Dialog::Control(d)) = &app.dialog else {
        panic!("open")
    };
    assert_eq!(d.form.value("abort"), Some("the whole run"));
    // Cancel -> abort (→ the running stage) -> Abort.
    let effects = press(
        &mut app,
        [
            key(KeyCode::Tab),
            key(KeyCode::Right),
            key(KeyCode::Tab),
            key(KeyCode::Enter),
        ],
    );
    assert_eq!(
        controls(&effects),
        [(
            "exec-waiting".to_string(),
            Control::Abort {
                stage: Some("Approve prod".into()),
                terminate: false
            }
        )]
    );
}

/// The start requests the effects send.
fn starts(effects: &[Effect]) -> Vec<StartRequest> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Send {
                command: Command::Start { request, .. },
                ..
            } => Some(request.clone()),
            _ => None,
        })
        .collect()
}

fn start_form_fields(app: &App) -> Vec<(String, String)> {
    let Some(Dialog::Start(d)) = &app.dialog else {
        panic!("no start dialog: {:?}", app.dialog)
    };
    let flightdeck::app::StartPhase::Editing(form) = &d.phase else {
        panic!("the form is not loaded")
    };
    form.fields
        .iter()
        .map(|f| (f.label.clone(), f.input.value().to_string()))
        .collect()
}

/// Tabs to the form's confirm button (each stop may ask for a preview).
fn to_confirm(app: &mut App) {
    for _ in 0..10 {
        if let Some(Dialog::Start(d)) = &app.dialog
            && let flightdeck::app::StartPhase::Editing(form) = &d.phase
            && form.focus == Focus::Confirm
        {
            return;
        }
        press(app, [key(KeyCode::Tab)]);
    }
    panic!("the confirm button is never focused");
}

#[test]
fn a_first_gen_rerun_is_the_start_form_filled_with_what_the_run_ran_with() {
    let mut app = app_of(BackendKind::HarnessFg, false);
    // exec-ok, a finished run of Build.
    press(&mut app, [ch('j'), ch('j'), ch('j')]);
    let effects = press(&mut app, [ch('E')]);
    let sent: Vec<&Command> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::Send { command, .. } => Some(command),
            _ => None,
        })
        .collect();
    let epoch = match sent.as_slice() {
        [
            Command::LoadStartForm {
                epoch, pipeline_id, ..
            },
            Command::RunInputs { exec, .. },
        ] => {
            assert_eq!(pipeline_id, "build");
            assert_eq!(exec.id, "exec-ok");
            *epoch
        }
        other => panic!("E sends the form load and the inputs read: {other:?}"),
    };
    assert!(controls(&effects).is_empty(), "no rerun request exists");

    let variable = |name: &str, kind: VarKind| VariableSpec {
        name: name.into(),
        kind,
        required: false,
        default: Some("default".into()),
        description: None,
    };
    app.update(
        reply_to(
            epoch,
            Payload::StartForm {
                project: "payments".into(),
                pipeline_id: "build".into(),
                result: Ok(StartForm {
                    variables: vec![
                        variable("tag", VarKind::Text),
                        variable("region", VarKind::Text),
                        variable("token", VarKind::Secret),
                    ],
                }),
            },
        ),
        at(1),
    );
    // The form is there, but the run's inputs are not read yet: confirm sends nothing.
    to_confirm(&mut app);
    let effects = press(&mut app, [key(KeyCode::Enter)]);
    assert!(starts(&effects).is_empty());
    let Some(Dialog::Start(d)) = &app.dialog else {
        panic!("the form stays open")
    };
    assert!(
        d.rerun
            .as_ref()
            .unwrap()
            .note()
            .contains("reading the inputs")
    );

    app.update(
        reply_to(
            epoch,
            Payload::RunInputs(Ok(flightdeck::backend::RunInputs {
                project: "payments".into(),
                pipeline_id: "build".into(),
                values: vec![
                    ("tag".into(), "1.4.2".into()),
                    ("token".into(), "s3cr3t".into()),
                    ("gone".into(), "x".into()),
                ],
                source: "as First Gen recorded them",
                status: ExecStatus::Succeeded,
            })),
        ),
        at(2),
    );
    assert_eq!(
        start_form_fields(&app),
        [
            ("tag".to_string(), "1.4.2".to_string()),
            ("region".into(), "default".into()),
            // A secret is never filled from a read-back value.
            ("token".into(), "default".into()),
            ("notes".into(), "re-run of exec-ok".into()),
        ]
    );
    let Some(Dialog::Start(d)) = &app.dialog else {
        panic!("start dialog")
    };
    let note = d.rerun.as_ref().unwrap().note();
    assert!(
        note.contains("1 of 3 inputs filled as First Gen recorded them; check the rest"),
        "{note}"
    );

    to_confirm(&mut app);
    let effects = press(&mut app, [key(KeyCode::Enter)]);
    let sent = starts(&effects);
    assert_eq!(sent.len(), 1, "{effects:?}");
    let request = &sent[0];
    assert_eq!(request.pipeline_id, "build");
    assert!(
        request.values.contains(&("tag".into(), "1.4.2".into())),
        "{request:?}"
    );
    assert_eq!(request.notes.as_deref(), Some("re-run of exec-ok"));
}

#[test]
fn a_rerun_whose_inputs_cannot_be_read_says_so_and_keeps_the_defaults() {
    let mut app = app_of(BackendKind::Infraxys, false);
    press(&mut app, [ch('j'), ch('j'), ch('j')]);
    let effects = press(&mut app, [ch('E')]);
    let epoch = effects
        .iter()
        .find_map(|e| match e {
            Effect::Send {
                command: Command::RunInputs { epoch, .. },
                ..
            } => Some(*epoch),
            _ => None,
        })
        .expect("the inputs are asked for");
    app.update(
        reply_to(
            epoch,
            Payload::RunInputs(Err(BackendError::NotFound(
                "exec-ok was not started by this flightdeck".into(),
            ))),
        ),
        at(1),
    );
    app.update(
        reply_to(
            epoch,
            Payload::StartForm {
                project: "payments".into(),
                pipeline_id: "build".into(),
                result: Ok(StartForm {
                    variables: vec![VariableSpec {
                        name: "tag".into(),
                        kind: VarKind::Text,
                        required: true,
                        default: None,
                        description: None,
                    }],
                }),
            },
        ),
        at(2),
    );
    assert_eq!(
        start_form_fields(&app),
        [
            ("tag".to_string(), String::new()),
            ("notes".into(), "re-run of exec-ok".into())
        ]
    );
    let Some(Dialog::Start(d)) = &app.dialog else {
        panic!("start dialog")
    };
    let note = d.rerun.as_ref().unwrap().note();
    assert!(note.contains("could not be read"), "{note}");
    assert!(note.contains("not started by this flightdeck"), "{note}");
}
