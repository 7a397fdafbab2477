//! Pure `App::update` tests: keys and replies in, state and effects out. No I/O.

mod common;

use std::time::Duration;

use common::*;
use crossterm::event::KeyCode;
use flightdeck::app::{App, BackendInfo, Dialog, Effect, Health, Pane, StartPhase, View};
use flightdeck::domain::*;
use flightdeck::service::{Command, Intervals, Payload, Reply, Resource};

fn commands(effects: &[Effect]) -> Vec<&Command> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Send { command, .. } => Some(command),
            Effect::Audit(_) | Effect::Clipboard(_) | Effect::Notify(_) => None,
        })
        .collect()
}

fn to_approvals(app: &mut App) {
    press(app, [key(KeyCode::Tab)]);
    assert_eq!(app.pane, Pane::Approvals);
}

#[test]
fn cursor_stays_on_its_item_when_rows_arrive_and_leave() {
    let mut app = loaded_app();
    assert_eq!(app.pane, Pane::Executions);
    press(&mut app, [ch('j'), ch('j')]);
    assert_eq!(app.selected_execution().unwrap().id, "exec-failed");

    let mut fresh = executions();
    fresh.insert(
        0,
        execution(
            "exec-new",
            "build",
            "Build",
            ExecStatus::Running,
            "Running",
            0,
        ),
    );
    app.update(reply(Payload::Executions(Ok(fresh))), at(5));
    assert_eq!(app.selected_execution().unwrap().id, "exec-failed");

    // The selected execution disappears: the cursor lands on its neighbour.
    let mut fewer = executions();
    fewer.retain(|e| e.id != "exec-failed");
    app.update(reply(Payload::Executions(Ok(fewer))), at(10));
    assert_eq!(app.selected_execution().unwrap().id, "exec-ok");
}

#[test]
fn selecting_an_execution_asks_the_service_to_follow_it() {
    let mut app = loaded_app();
    let effects = press(&mut app, [ch('j')]);
    let selects: Vec<_> = commands(&effects)
        .into_iter()
        .filter_map(|c| match c {
            Command::Select(Some(e)) => Some(e.id.clone()),
            _ => None,
        })
        .collect();
    // Newest first: the running build, then the waiting deploy.
    assert_eq!(selects, ["exec-waiting"]);
    // Moving nowhere new sends nothing.
    assert!(press(&mut app, [key(KeyCode::Enter)]).is_empty());
    assert_eq!(app.view, View::Detail);
}

#[test]
fn approving_needs_an_explicit_confirm_and_is_sent_once() {
    let mut app = loaded_app();
    to_approvals(&mut app);
    press(&mut app, [ch('a')]);
    assert!(matches!(app.dialog, Some(Dialog::Decision(_))));
    // Enter alone hits the focused Cancel button.
    let effects = press(&mut app, [key(KeyCode::Enter)]);
    assert!(app.dialog.is_none());
    assert!(
        commands(&effects)
            .iter()
            .all(|c| !matches!(c, Command::Decide { .. }))
    );

    press(&mut app, [ch('a'), key(KeyCode::Tab)]);
    press(&mut app, "lgtm".chars().map(ch));
    // comment -> ticket -> Approve
    let effects = press(
        &mut app,
        [key(KeyCode::Tab), key(KeyCode::Tab), key(KeyCode::Enter)],
    );
    let decide = commands(&effects)
        .into_iter()
        .find_map(|c| match c {
            Command::Decide {
                approval, decision, ..
            } => Some((approval.id.clone(), decision.clone())),
            _ => None,
        })
        .expect("a decision is sent");
    assert_eq!(decide.0, "gate-1");
    assert_eq!(decide.1.action, DecisionAction::Approve);
    assert_eq!(decide.1.comment, "lgtm");
    assert_eq!(
        decide.1.inputs,
        vec![("ticket".to_string(), "OPS-1".to_string())]
    );

    // While in flight, keys cannot send it again, nor can a new dialog open.
    let again = press(&mut app, [key(KeyCode::Enter), key(KeyCode::Esc)]);
    assert!(
        commands(&again)
            .iter()
            .all(|c| !matches!(c, Command::Decide { .. }))
    );
    let Some(Dialog::Decision(d)) = &app.dialog else {
        panic!("dialog stays while sending")
    };
    let epoch = d.epoch;

    let approval = Box::new(approval("gate-1", "exec-waiting"));
    app.update(
        flightdeck::app::Msg::Reply(Reply {
            backend: BACKEND.into(),
            epoch,
            elapsed: Duration::from_millis(30),
            payload: Payload::Decided {
                approval,
                decision: decide.1,
                result: Ok(DecisionOutcome::Approved),
            },
        }),
        at(1),
    );
    assert!(app.dialog.is_none());
    assert!(app.visible_flash().unwrap().text.starts_with("approved"));
    assert!(
        app.decided
            .contains_key(&ItemKey::new(BACKEND, "payments", "gate-1"))
    );
    press(&mut app, [ch('a')]);
    assert!(
        app.dialog.is_none(),
        "a gate decided here cannot be decided again"
    );

    // The backend stops listing the gate: the marker goes with it.
    app.update(reply(Payload::Approvals(Ok(vec![]))), at(2));
    assert!(app.decided.is_empty());
}

#[test]
fn a_late_reply_never_lands_in_a_newer_dialog() {
    let mut app = loaded_app();
    press(&mut app, [key(KeyCode::BackTab)]);
    assert_eq!(app.pane, Pane::Pipelines);
    let first = press(&mut app, [ch('s')]);
    assert!(matches!(
        commands(&first)[..],
        [Command::LoadStartForm { .. }]
    ));
    press(&mut app, [key(KeyCode::Esc), ch('j'), ch('s')]);
    let Some(Dialog::Start(d)) = &app.dialog else {
        panic!("start dialog")
    };
    assert_eq!(d.pipeline.id, "build");
    let current = d.epoch;

    let form = StartForm {
        variables: vec![VariableSpec {
            name: "tag".into(),
            kind: VarKind::Text,
            required: true,
            default: None,
            description: None,
        }],
    };
    let late = Reply {
        backend: BACKEND.into(),
        epoch: current - 1,
        elapsed: Duration::ZERO,
        payload: Payload::StartForm {
            project: "payments".into(),
            pipeline_id: "deploy_api".into(),
            result: Ok(StartForm::default()),
        },
    };
    app.update(flightdeck::app::Msg::Reply(late), t0());
    let Some(Dialog::Start(d)) = &app.dialog else {
        panic!()
    };
    assert!(
        matches!(d.phase, StartPhase::Loading),
        "stale epoch ignored"
    );

    let fresh = Reply {
        backend: BACKEND.into(),
        epoch: current,
        elapsed: Duration::ZERO,
        payload: Payload::StartForm {
            project: "payments".into(),
            pipeline_id: "build".into(),
            result: Ok(form),
        },
    };
    app.update(flightdeck::app::Msg::Reply(fresh), t0());
    // Straight to Start without filling the required tag: refused in the form.
    let effects = press(&mut app, [key(KeyCode::Right), key(KeyCode::Enter)]);
    // Reaching [Start] asks for the exact request; nothing is started.
    assert!(matches!(commands(&effects)[..], [Command::Preview { .. }]));
    let Some(Dialog::Start(d)) = &app.dialog else {
        panic!()
    };
    let StartPhase::Editing(form) = &d.phase else {
        panic!()
    };
    assert_eq!(form.problem.as_deref(), Some("tag is required"));

    // Confirm -> Cancel -> tag
    press(&mut app, [key(KeyCode::Tab), key(KeyCode::Tab)]);
    press(&mut app, "1.4.2".chars().map(ch));
    // tag -> notes -> Start
    let effects = press(
        &mut app,
        [key(KeyCode::Tab), key(KeyCode::Tab), key(KeyCode::Enter)],
    );
    match commands(&effects)[..] {
        [
            Command::Preview {
                request: previewed, ..
            },
            Command::Start { request, .. },
        ] => {
            assert_eq!(previewed, request, "the preview shows what is sent");
            assert_eq!(request.pipeline_id, "build");
            assert_eq!(
                request.values,
                vec![("tag".to_string(), "1.4.2".to_string())]
            );
            assert_eq!(request.notes, None);
        }
        ref other => panic!("expected one start, got {other:?}"),
    }
}

#[test]
fn read_only_blocks_every_mutation() {
    let mut app = App::new(
        vec![BackendInfo {
            name: BACKEND.into(),
            kind: BackendKind::Harness,
            production: false,
            read_only: true,
            insecure: false,
        }],
        Intervals::default(),
        false,
    );
    app.update(reply(Payload::Pipelines(Ok(pipelines()))), t0());
    app.update(
        reply(Payload::Approvals(Ok(vec![approval(
            "gate-1",
            "exec-waiting",
        )]))),
        t0(),
    );
    press(&mut app, [key(KeyCode::BackTab)]);
    let effects = press(&mut app, [ch('s')]);
    assert!(effects.iter().all(|e| !matches!(
        e,
        Effect::Send {
            command: Command::LoadStartForm { .. },
            ..
        }
    )));
    assert!(app.dialog.is_none());
    press(
        &mut app,
        [key(KeyCode::Tab), key(KeyCode::Tab), ch('a'), ch('x')],
    );
    assert_eq!(app.pane, Pane::Approvals);
    assert!(app.dialog.is_none());
    assert!(app.visible_flash().unwrap().text.contains("read-only"));
}

#[test]
fn errors_keep_the_last_good_data_and_mark_it_stale() {
    let mut app = loaded_app();
    app.update(
        reply(Payload::Executions(Err(BackendError::Network(
            "connection refused".into(),
        )))),
        at(5),
    );
    assert_eq!(app.executions.len(), 4);
    let b = app.backend(BACKEND).unwrap();
    assert_eq!(b.health(), Health::Failing);
    assert!(b.is_stale(at(5), app.intervals.lists));
    app.update(reply(Payload::Executions(Ok(executions()))), at(6));
    assert_eq!(app.backend(BACKEND).unwrap().health(), Health::Ok);
}

#[test]
fn freeze_holds_updates_until_released() {
    let mut app = loaded_app();
    press(&mut app, [ch('f')]);
    app.update(reply(Payload::Executions(Ok(vec![]))), at(5));
    assert_eq!(app.executions.len(), 4, "held while frozen");
    press(&mut app, [ch('f')]);
    assert!(app.executions.is_empty(), "applied on release");
}

#[test]
fn refresh_asks_every_list_of_every_backend() {
    let mut app = loaded_app();
    let effects = press(&mut app, [ch('r')]);
    let refreshed: Vec<_> = commands(&effects)
        .into_iter()
        .filter_map(|c| match c {
            Command::Refresh(r) => Some(r.clone()),
            _ => None,
        })
        .collect();
    assert!(refreshed.contains(&Resource::Pipelines));
    assert!(refreshed.contains(&Resource::Executions));
    assert!(refreshed.contains(&Resource::Approvals));
}

fn gates(n: usize) -> Vec<Approval> {
    (0..n)
        .map(|i| {
            let mut a = approval(&format!("gate-{i}"), &format!("exec-{i}"));
            a.created = Some(at(-1000 + i as i64));
            a.pipeline_name = if i % 2 == 0 {
                "Deploy API".into()
            } else {
                "Deploy Web".into()
            };
            a
        })
        .collect()
}

fn app_with_gates(n: usize) -> App {
    let mut app = loaded_app();
    app.update(reply(Payload::Approvals(Ok(gates(n)))), t0());
    to_approvals(&mut app);
    app
}

fn marked(app: &App) -> Vec<String> {
    let mut ids: Vec<String> = app
        .marks
        .iter()
        .map(|k| k.0.rsplit('\u{1f}').next().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

fn decides(effects: &[Effect]) -> Vec<(String, Decision)> {
    commands(effects)
        .into_iter()
        .filter_map(|c| match c {
            Command::Decide {
                approval, decision, ..
            } => Some((approval.id.clone(), decision.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn marks_follow_gates_across_refreshes_and_filters() {
    let mut app = app_with_gates(5);
    press(&mut app, [ch('g'), ch(' '), ch(' ')]);
    assert_eq!(marked(&app), ["gate-0", "gate-1"]);
    // Range from the last mark (gate-1) to the cursor.
    press(&mut app, [ch('j'), ch('V')]);
    assert_eq!(marked(&app), ["gate-0", "gate-1", "gate-2", "gate-3"]);

    // A filter hides some marks but keeps them.
    press(&mut app, [ch('/')]);
    press(&mut app, "web".chars().map(ch));
    press(&mut app, [key(KeyCode::Enter)]);
    assert_eq!(app.view(Pane::Approvals).len(), 2);
    assert_eq!(app.hidden_marks(), 2);
    assert_eq!(marked(&app).len(), 4);

    // Refreshed list without gate-1 (decided elsewhere): its mark goes, loudly.
    let mut fresh = gates(5);
    fresh.remove(1);
    app.update(reply(Payload::Approvals(Ok(fresh))), at(5));
    assert_eq!(marked(&app), ["gate-0", "gate-2", "gate-3"]);
    assert!(
        app.visible_flash()
            .unwrap()
            .text
            .contains("no longer waiting")
    );

    press(&mut app, [ch('/'), key(KeyCode::Esc)]);
    assert_eq!(app.view(Pane::Approvals).len(), 4, "Esc clears the filter");
    press(&mut app, [ch('*')]);
    assert_eq!(marked(&app).len(), 4);
    press(&mut app, [ch('u')]);
    assert!(app.marks.is_empty());
}

#[test]
fn a_batch_lists_hidden_gates_and_needs_a_typed_yes() {
    let mut app = app_with_gates(4);
    press(&mut app, [ch('*'), ch('/')]);
    press(&mut app, "web".chars().map(ch));
    press(&mut app, [key(KeyCode::Enter), ch('A')]);
    let Some(Dialog::Batch(batch)) = &app.dialog else {
        panic!("batch dialog")
    };
    assert_eq!(batch.gates.len(), 4);
    assert_eq!(batch.hidden(), 2, "the gates the filter hides are counted");

    // Enter alone cancels; the confirm button without "yes" refuses.
    let effects = press(&mut app, [key(KeyCode::Enter)]);
    assert!(app.dialog.is_none() && decides(&effects).is_empty());
    press(&mut app, [ch('A')]);
    let effects = press(&mut app, [key(KeyCode::BackTab), key(KeyCode::Enter)]);
    assert!(decides(&effects).is_empty());
    let Some(Dialog::Batch(batch)) = &app.dialog else {
        panic!()
    };
    assert_eq!(batch.form.problem.as_deref(), Some("type yes to confirm"));

    // comment, "yes", confirm.
    press(&mut app, [key(KeyCode::Tab), key(KeyCode::Tab)]);
    press(&mut app, "release".chars().map(ch));
    press(&mut app, [key(KeyCode::Tab)]);
    press(&mut app, "yes".chars().map(ch));
    let effects = press(&mut app, [key(KeyCode::Tab), key(KeyCode::Enter)]);
    let sent = decides(&effects);
    assert_eq!(sent.len(), 4);
    assert!(
        sent.iter()
            .all(|(_, d)| d.comment == "release" && d.action == DecisionAction::Approve)
    );
    assert_eq!(
        sent[0].1.inputs,
        vec![("ticket".to_string(), "OPS-1".to_string())],
        "each gate's own defaults"
    );
    assert_eq!(app.deciding.len(), 4);

    // Nothing can be sent twice while in flight.
    let Some(Dialog::Batch(batch)) = &app.dialog else {
        panic!()
    };
    let epoch = batch.epoch;
    press(&mut app, [key(KeyCode::Esc), ch('A')]);
    let effects = press(&mut app, [key(KeyCode::Tab), key(KeyCode::Tab)]);
    press(&mut app, "yes".chars().map(ch));
    let again = press(&mut app, [key(KeyCode::Tab), key(KeyCode::Enter)]);
    assert!(decides(&effects).is_empty() && decides(&again).is_empty());
    let Some(Dialog::Batch(batch)) = &app.dialog else {
        panic!()
    };
    assert!(matches!(
        &batch.results.as_ref().unwrap()[0],
        flightdeck::app::GateResult::Skipped(_)
    ));
    press(&mut app, [key(KeyCode::Esc)]);
    let _ = epoch;
}

#[test]
fn batch_results_per_gate_and_failed_gates_stay_marked() {
    let mut app = app_with_gates(3);
    press(
        &mut app,
        [ch('*'), ch('X'), key(KeyCode::Tab), key(KeyCode::Tab)],
    );
    press(&mut app, "yes".chars().map(ch));
    let effects = press(&mut app, [key(KeyCode::Tab), key(KeyCode::Enter)]);
    assert_eq!(decides(&effects).len(), 3);
    let Some(Dialog::Batch(batch)) = &app.dialog else {
        panic!()
    };
    let epoch = batch.epoch;
    let results = [
        Ok(DecisionOutcome::Rejected),
        Err(BackendError::Conflict(
            "already decided by someone else: APPROVED".into(),
        )),
        Err(BackendError::Timeout(Duration::from_secs(15))),
    ];
    for (gate, result) in gates(3).into_iter().zip(results) {
        let decision = Decision {
            action: DecisionAction::Reject,
            comment: String::new(),
            inputs: vec![],
        };
        app.update(
            flightdeck::app::Msg::Reply(Reply {
                backend: BACKEND.into(),
                epoch,
                elapsed: Duration::from_millis(5),
                payload: Payload::Decided {
                    approval: Box::new(gate),
                    decision,
                    result,
                },
            }),
            at(1),
        );
    }
    let Some(Dialog::Batch(batch)) = &app.dialog else {
        panic!("results stay until read")
    };
    let labels: Vec<String> = batch
        .results
        .as_ref()
        .unwrap()
        .iter()
        .map(|r| r.label())
        .collect();
    assert_eq!(labels[0], "rejected");
    assert_eq!(labels[1], "already decided by someone else");
    assert!(labels[2].starts_with("failed: timed out"), "{labels:?}");
    assert!(batch.finished());
    assert_eq!(
        marked(&app),
        ["gate-1", "gate-2"],
        "failed gates stay marked"
    );
    assert!(app.visible_flash().unwrap().text.contains("1 of 3"));

    // The timed-out gate may not be retried before a fresh read of the gates.
    press(&mut app, [key(KeyCode::Enter), ch('G'), ch('x')]);
    assert!(app.dialog.is_none());
    assert!(
        app.visible_flash()
            .unwrap()
            .text
            .contains("outcome is unknown")
    );
    app.update(reply(Payload::Approvals(Ok(gates(3)))), at(2));
    assert!(app.unsure.is_empty(), "a fresh read settles it");
    press(&mut app, [ch('x')]);
    assert!(matches!(app.dialog, Some(Dialog::Decision(_))));
}

#[test]
fn list_updates_wait_while_a_dialog_is_open() {
    let mut app = app_with_gates(2);
    press(&mut app, [ch('a')]);
    app.update(reply(Payload::Approvals(Ok(vec![]))), at(1));
    assert_eq!(app.approvals.len(), 2, "held while the dialog is open");
    press(&mut app, [key(KeyCode::Esc)]);
    assert!(app.approvals.is_empty(), "applied when it closes");
}

fn form_of(vars: &[(&str, bool)]) -> StartForm {
    StartForm {
        variables: vars
            .iter()
            .map(|(name, required)| VariableSpec {
                name: name.to_string(),
                kind: VarKind::Text,
                required: *required,
                default: (!required).then(|| "3".to_string()),
                description: None,
            })
            .collect(),
    }
}

#[test]
fn marked_pipelines_start_together_with_shared_inputs() {
    let mut app = loaded_app();
    press(&mut app, [key(KeyCode::BackTab), ch('g'), ch(' '), ch(' ')]);
    assert_eq!(app.pipeline_marks.len(), 2);
    let effects = press(&mut app, [ch('s')]);
    let loads: Vec<(u64, String)> = commands(&effects)
        .into_iter()
        .filter_map(|c| match c {
            Command::LoadStartForm {
                epoch, pipeline_id, ..
            } => Some((*epoch, pipeline_id.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(loads.len(), 2);
    assert_eq!(loads[0].0, loads[1].0, "one dialog, one epoch");
    let epoch = loads[0].0;
    let forms = [
        form_of(&[("tag", true)]),
        form_of(&[("tag", true), ("replicas", false)]),
    ];
    for ((_, id), form) in loads.iter().zip(forms) {
        let project = pipelines()
            .into_iter()
            .find(|p| &p.id == id)
            .unwrap()
            .project;
        app.update(
            flightdeck::app::Msg::Reply(Reply {
                backend: BACKEND.into(),
                epoch,
                elapsed: Duration::ZERO,
                payload: Payload::StartForm {
                    project,
                    pipeline_id: id.clone(),
                    result: Ok(form),
                },
            }),
            t0(),
        );
    }
    let Some(Dialog::BulkStart(bulk)) = &app.dialog else {
        panic!("bulk start dialog")
    };
    let labels: Vec<&str> = bulk
        .form
        .as_ref()
        .unwrap()
        .fields
        .iter()
        .map(|f| f.label.as_str())
        .collect();
    assert_eq!(labels, ["tag", "replicas", "type yes", "notes"]);

    // Cancel -> tag, then the typed yes; reaching [Start 2] previews each request.
    press(&mut app, [key(KeyCode::Tab)]);
    press(&mut app, "1.4.2".chars().map(ch));
    press(&mut app, [key(KeyCode::Tab), key(KeyCode::Tab)]);
    press(&mut app, "yes".chars().map(ch));
    let effects = press(&mut app, [key(KeyCode::Tab), key(KeyCode::Tab)]);
    let previews: Vec<Vec<(String, String)>> = commands(&effects)
        .into_iter()
        .filter_map(|c| match c {
            Command::Preview { request, .. } => Some(request.values.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(previews.len(), 2);
    assert!(
        previews
            .iter()
            .all(|v| v.iter().any(|(n, val)| n == "tag" && val == "1.4.2"))
    );
    assert!(
        previews
            .iter()
            .any(|v| !v.iter().any(|(n, _)| n == "replicas")),
        "a pipeline only gets the inputs it declares"
    );

    let effects = press(&mut app, [key(KeyCode::Enter)]);
    let starts: Vec<StartRequest> = commands(&effects)
        .into_iter()
        .filter_map(|c| match c {
            Command::Start { request, .. } => Some(request.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(starts.len(), 2);
    let results = [
        Ok(StartResult {
            execution_id: "new-1".into(),
            status: Status::new(ExecStatus::Running, "RUNNING"),
        }),
        Err(BackendError::BadRequest("bad tag".into())),
    ];
    for (request, result) in starts.into_iter().zip(results) {
        app.update(
            flightdeck::app::Msg::Reply(Reply {
                backend: BACKEND.into(),
                epoch,
                elapsed: Duration::ZERO,
                payload: Payload::Started { request, result },
            }),
            t0(),
        );
    }
    let Some(Dialog::BulkStart(bulk)) = &app.dialog else {
        panic!()
    };
    assert!(bulk.finished());
    assert_eq!(
        app.pipeline_marks.len(),
        1,
        "the failed pipeline stays marked"
    );
    assert_eq!(app.audit.len(), 2, "both attempts are audited");
    assert!(app.visible_flash().unwrap().text.contains("started 1 of 2"));
}
