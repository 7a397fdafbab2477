//! Pure `App::update` tests: keys and replies in, state and effects out. No I/O.

use crate::common;

use std::time::Duration;

use common::*;
use crossterm::event::KeyCode;
use flightdeck::app::{
    Action, App, BackendInfo, Dialog, Drawn, Effect, Health, Key, Keymap, Msg, Pane, Section,
    StartPhase, View,
};
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

/// The service reads the execution under the cursor once, and polls it while its detail
/// is open.
#[test]
fn selecting_an_execution_asks_the_service_to_follow_it() {
    let mut app = loaded_app();
    let selects = |app: &mut App, keys: &[KeyCode]| -> Vec<(String, bool)> {
        let effects = press(app, keys.iter().map(|k| key(*k)));
        commands(&effects)
            .into_iter()
            .filter_map(|c| match c {
                Command::Select {
                    exec: Some(e),
                    open,
                } => Some((e.id.clone(), *open)),
                _ => None,
            })
            .collect()
    };
    // Newest first: the running build, then the waiting deploy.
    let waiting = || "exec-waiting".to_owned();
    assert_eq!(
        selects(&mut app, &[KeyCode::Char('j')]),
        [(waiting(), false)]
    );
    assert_eq!(selects(&mut app, &[KeyCode::Enter]), [(waiting(), true)]);
    assert_eq!(app.view, View::Detail);
    // Scrolling the detail changes nothing the service needs to know.
    assert!(press(&mut app, [ch('j')]).is_empty());
    assert_eq!(selects(&mut app, &[KeyCode::Esc]), [(waiting(), false)]);
}

#[test]
fn approving_needs_an_explicit_confirm_and_is_sent_once() {
    let mut app = loaded_app_as("oncall");
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
    let effects = app.update(
        reply_to(
            epoch,
            Payload::Decided {
                approval,
                decision: decide.1,
                result: Ok(DecisionOutcome::Approved),
                request_id: None,
            },
        ),
        at(1),
    );
    // The audit entry names the user the app was built with: nothing is read here.
    let users: Vec<&str> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::Audit(entry) => Some(entry.user.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(users, ["oncall"]);
    assert!(app.dialog.is_none());
    assert!(app.visible_flash().unwrap().text.starts_with("approved"));
    assert!(
        app.gates()
            .decided(&ItemKey::new(BACKEND, "payments", "gate-1"))
            .is_some()
    );
    press(&mut app, [ch('a')]);
    assert!(
        app.dialog.is_none(),
        "a gate decided here cannot be decided again"
    );

    // The backend stops listing the gate: the marker goes with it.
    app.update(reply(Payload::Approvals(Ok(vec![]))), at(2));
    assert_eq!(app.gates().decided_count(), 0);
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

/// Opens the start form of `build` (no inputs), confirms it and answers with `result`.
fn start_answered(result: Result<StartResult, BackendError>) -> App {
    let mut app = loaded_app();
    press(&mut app, [key(KeyCode::BackTab), ch('j'), ch('s')]);
    let Some(Dialog::Start(d)) = &app.dialog else {
        panic!("start dialog")
    };
    let epoch = d.epoch;
    app.update(
        reply_to(
            epoch,
            Payload::StartForm {
                project: "payments".into(),
                pipeline_id: "build".into(),
                result: Ok(StartForm::default()),
            },
        ),
        t0(),
    );
    // Cancel -> notes -> Start
    let effects = press(
        &mut app,
        [key(KeyCode::Tab), key(KeyCode::Tab), key(KeyCode::Enter)],
    );
    let request = commands(&effects)
        .into_iter()
        .find_map(|c| match c {
            Command::Start { request, .. } => Some(request.clone()),
            _ => None,
        })
        .expect("one start");
    app.update(
        reply_to(
            epoch,
            Payload::Started {
                request,
                result,
                request_id: None,
            },
        ),
        at(1),
    );
    app
}

#[test]
fn a_start_that_may_have_happened_is_not_offered_again() {
    for err in [
        BackendError::Timeout(Duration::from_secs(10)),
        BackendError::Network("connection broke while reading the response".into()),
        BackendError::Decode("at data.planExecution: EOF".into()),
        BackendError::Server {
            status: 502,
            message: "HTTP 502".into(),
        },
    ] {
        let app = start_answered(Err(err.clone()));
        assert!(app.dialog.is_none(), "{err}: the form closed");
        let flash = &app.visible_flash().unwrap().text;
        assert!(flash.contains("outcome unknown"), "{flash}");
        assert!(flash.contains("check Executions"), "{flash}");
    }
    // A refusal changed nothing: the form stays, with the reason, for a corrected retry.
    let app = start_answered(Err(BackendError::BadRequest("tag is invalid".into())));
    let Some(Dialog::Start(d)) = &app.dialog else {
        panic!("the form stays open")
    };
    assert!(matches!(d.phase, StartPhase::Editing(_)));
    assert!(d.error.as_deref().unwrap().contains("tag is invalid"));
}

#[test]
fn read_only_blocks_every_mutation() {
    let mut app = App::new(flightdeck::app::Settings {
        backends: vec![BackendInfo {
            name: BACKEND.into(),
            kind: BackendKind::Harness,
            production: false,
            read_only: true,
            insecure: false,
            identity: None,
        }],
        intervals: Intervals::default(),
        read_only: false,
        ..Default::default()
    });
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

/// The same data again asks for no frame, unless what the status bar says of the backend
/// moves: its health (back from failing), or its age once late. New data always does.
#[test]
fn the_same_data_asks_for_a_frame_only_when_the_status_bar_moves() {
    let mut app = loaded_app();
    let asks = |app: &mut App, payload, secs| {
        app.dirty = false;
        app.update(reply(payload), at(secs));
        app.dirty
    };
    let same = || Payload::Executions(Ok(executions()));
    assert!(!asks(&mut app, same(), 0));
    assert!(!asks(&mut app, Payload::Pipelines(Ok(pipelines())), 0));
    let gates = || Payload::Approvals(Ok(vec![approval("gate-1", "exec-waiting")]));
    assert!(!asks(&mut app, gates(), 0));

    let mut fresh = executions();
    fresh[0].status = Status::new(ExecStatus::Succeeded, "Success");
    assert!(asks(&mut app, Payload::Executions(Ok(fresh)), 0));
    assert!(asks(&mut app, same(), 0), "and back");

    let refused = BackendError::Network("connection refused".into());
    assert!(asks(&mut app, Payload::Executions(Err(refused.clone())), 0));
    assert!(!asks(&mut app, Payload::Executions(Err(refused)), 0));
    assert!(asks(&mut app, same(), 0), "failing, then ok");

    // Reads every 10 s are fresh until 20 s, and the data age shows as a bound till then.
    app.update(flightdeck::app::Msg::Tick, at(19));
    assert!(!asks(&mut app, same(), 19));
    app.update(flightdeck::app::Msg::Tick, at(40));
    assert!(
        !asks(&mut app, same(), 40),
        "the gates are still 40 s old: the age shown stays"
    );
    assert!(asks(&mut app, gates(), 40), "late, then read");
}

/// An Argo watch pushes fresh executions while the gates poll fails: the backend stays
/// failing and its data stale until the failing read succeeds again.
#[test]
fn one_good_read_does_not_hide_another_that_fails() {
    let mut app = loaded_app();
    let timeout = || BackendError::Timeout(Duration::from_secs(10));
    app.update(reply(Payload::Approvals(Err(timeout()))), at(5));
    app.update(reply(Payload::Executions(Ok(executions()))), at(6));
    let b = app.backend(BACKEND).unwrap();
    assert_eq!(b.health(), Health::Failing);
    assert!(b.is_stale(at(6), app.intervals.lists));
    assert_eq!(b.error, Some(timeout()));
    app.update(reply(Payload::Approvals(Ok(vec![]))), at(7));
    let b = app.backend(BACKEND).unwrap();
    assert_eq!(b.health(), Health::Ok);
    assert!(!b.is_stale(at(7), app.intervals.lists));

    // The selected execution's detail is read only while selected: its error lasts until
    // the next good read of anything.
    let exec = ExecRef {
        project: "payments".into(),
        id: "gone".into(),
    };
    let missing = Payload::Execution(exec, Err(BackendError::NotFound("gone".into())));
    app.update(reply(missing), at(8));
    assert_eq!(app.backend(BACKEND).unwrap().health(), Health::Failing);
    app.update(reply(Payload::Pipelines(Ok(pipelines()))), at(9));
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
    let mut ids: Vec<String> = app.gates().marks().iter().map(|k| k.id.clone()).collect();
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

/// `V` marks a range on every pane that has marks, from the row last marked there.
#[test]
fn v_marks_a_range_of_executions_and_of_pipelines_too() {
    let mut app = loaded_app();
    assert_eq!(app.pane, Pane::Executions);
    // Mark the first, then go two rows further down and mark the range.
    press(&mut app, [ch('g'), ch(' '), ch('j'), ch('j'), ch('V')]);
    let mut ids: Vec<String> = app.runs().marks().iter().map(|k| k.id.clone()).collect();
    ids.sort();
    let mut want: Vec<String> = app.item_keys(Pane::Executions)[..4]
        .iter()
        .map(|k| k.id.clone())
        .collect();
    want.sort();
    assert_eq!(ids, want);

    // The pipelines' range starts from their own last mark, not the executions'.
    press(&mut app, [key(KeyCode::BackTab), ch('G'), ch('V')]);
    assert_eq!(
        app.pipeline_marks.len(),
        1,
        "no mark here yet: the cursor's row"
    );
    press(&mut app, [ch('g'), ch(' '), ch('j'), ch('V')]);
    assert_eq!(app.pipeline_marks.len(), 4, "{:?}", app.pipeline_marks);
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
    assert!(app.gates().marks().is_empty());
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
    assert_eq!(app.gates().in_flight(), 4);

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
        flightdeck::app::Outcome::Skipped(_)
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
            reply_to(
                epoch,
                Payload::Decided {
                    approval: Box::new(gate),
                    decision,
                    result,
                    request_id: None,
                },
            ),
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
    assert_eq!(app.gates().unknown().count(), 0, "a fresh read settles it");
    press(&mut app, [ch('x')]);
    assert!(matches!(app.dialog, Some(Dialog::Decision(_))));
}

#[test]
fn a_gate_listed_twice_is_sent_once_in_a_batch() {
    // Offset paging can list a gate twice while executions shift under it.
    let mut twice = gates(2);
    twice.push(twice[0].clone());
    let mut app = loaded_app();
    app.update(reply(Payload::Approvals(Ok(twice))), t0());
    to_approvals(&mut app);
    press(
        &mut app,
        [ch('*'), ch('A'), key(KeyCode::Tab), key(KeyCode::Tab)],
    );
    press(&mut app, "yes".chars().map(ch));
    let effects = press(&mut app, [key(KeyCode::Tab), key(KeyCode::Enter)]);
    let mut sent: Vec<String> = decides(&effects).into_iter().map(|(id, _)| id).collect();
    sent.sort();
    assert_eq!(sent, ["gate-0", "gate-1"], "each gate once");
}

/// Approves every gate of `app_with_gates` in one batch; returns the batch's epoch.
fn send_batch(app: &mut App) -> u64 {
    press(
        app,
        [ch('*'), ch('A'), key(KeyCode::Tab), key(KeyCode::Tab)],
    );
    press(app, "yes".chars().map(ch));
    press(app, [key(KeyCode::Tab), key(KeyCode::Enter)]);
    let Some(Dialog::Batch(batch)) = &app.dialog else {
        panic!("batch dialog")
    };
    batch.epoch
}

/// Answers the first gates of a batch, in order.
fn answer_batch(app: &mut App, epoch: u64, results: Vec<Result<DecisionOutcome, BackendError>>) {
    let n = results.len();
    for (gate, result) in gates(n).into_iter().zip(results) {
        app.update(
            reply_to(
                epoch,
                Payload::Decided {
                    approval: Box::new(gate),
                    decision: Decision {
                        action: DecisionAction::Approve,
                        comment: String::new(),
                        inputs: vec![],
                    },
                    result,
                    request_id: None,
                },
            ),
            at(1),
        );
    }
}

#[test]
fn any_answer_that_may_come_after_the_backend_acted_leaves_the_outcome_unknown() {
    let mut app = app_with_gates(5);
    let epoch = send_batch(&mut app);
    answer_batch(
        &mut app,
        epoch,
        vec![
            Err(BackendError::Network("connection reset".into())),
            Err(BackendError::Decode("at data: EOF".into())),
            Err(BackendError::Server {
                status: 502,
                message: "HTTP 502".into(),
            }),
            Err(BackendError::RateLimited { retry_after: None }),
            Err(BackendError::BadRequest("bad comment".into())),
        ],
    );
    let mut unsure: Vec<&str> = app.gates().unknown().map(|k| k.id.as_str()).collect();
    unsure.sort();
    assert_eq!(
        unsure,
        ["gate-0", "gate-1", "gate-2"],
        "refusals are not unsure"
    );
}

#[test]
fn a_gates_read_held_behind_a_dialog_does_not_settle_a_later_unknown_outcome() {
    let mut app = app_with_gates(2);
    let epoch = send_batch(&mut app);
    // A read sent before the decisions ended arrives while the results show: held.
    app.update(reply(Payload::Approvals(Ok(gates(2)))), at(1));
    answer_batch(
        &mut app,
        epoch,
        vec![
            Err(BackendError::Timeout(Duration::from_secs(15))),
            Ok(DecisionOutcome::Approved),
        ],
    );
    press(&mut app, [key(KeyCode::Esc)]);
    assert_eq!(app.approvals.len(), 2);
    assert_eq!(
        app.gates().unknown().count(),
        1,
        "the held read predates the decision"
    );
    // The read the service sends after the decision settles it.
    app.update(reply(Payload::Approvals(Ok(gates(1)))), at(3));
    assert_eq!(app.gates().unknown().count(), 0);
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

/// Marks two pipelines, starts them together with shared inputs (checking what is sent),
/// and answers the two starts with `results`.
fn bulk_start_answered(results: [Result<StartResult, BackendError>; 2]) -> App {
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
            reply_to(
                epoch,
                Payload::StartForm {
                    project,
                    pipeline_id: id.clone(),
                    result: Ok(form),
                },
            ),
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
    for (request, result) in starts.into_iter().zip(results) {
        app.update(
            reply_to(
                epoch,
                Payload::Started {
                    request,
                    result,
                    request_id: None,
                },
            ),
            t0(),
        );
    }
    app
}

#[test]
fn marked_pipelines_start_together_with_shared_inputs() {
    let app = bulk_start_answered([
        Ok(StartResult {
            execution_id: "new-1".into(),
            status: Status::new(ExecStatus::Running, "RUNNING"),
        }),
        Err(BackendError::BadRequest("bad tag".into())),
    ]);
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

#[test]
fn a_bulk_start_that_may_have_happened_leaves_the_marks() {
    let app = bulk_start_answered([
        Err(BackendError::Network("connection reset".into())),
        Err(BackendError::BadRequest("bad tag".into())),
    ]);
    let Some(Dialog::BulkStart(bulk)) = &app.dialog else {
        panic!()
    };
    let labels: Vec<String> = bulk
        .results
        .as_ref()
        .unwrap()
        .iter()
        .map(|r| r.label())
        .collect();
    assert!(
        labels[0].starts_with("unknown, check Executions"),
        "{labels:?}"
    );
    assert!(labels[1].starts_with("failed: bad request"), "{labels:?}");
    assert_eq!(
        app.pipeline_marks.len(),
        1,
        "only the refused pipeline stays marked for another try"
    );
}

// ---- keys, palette, saved filters ------------------------------------------------------

/// The fixture app with the `[keys]` and `[filter.NAME]` of `toml` in force.
fn configured(toml: &str) -> App {
    let config = flightdeck::config::Config::from_toml_str(toml, "test.toml").unwrap();
    let mut app = loaded_app();
    app.keymap = config.keys;
    app.saved_filters = config.filters;
    app
}

fn typed(app: &mut App, text: &str) -> Vec<Effect> {
    press(app, text.chars().map(ch))
}

fn refreshes(effects: &[Effect]) -> usize {
    commands(effects)
        .iter()
        .filter(|c| matches!(c, Command::Refresh(_)))
        .count()
}

#[test]
fn remapped_keys_replace_or_add_and_show_in_help() {
    let mut app = configured("[keys]\napprove = \"c\"\nrefresh = { add = \"F5\" }\n");
    to_approvals(&mut app);
    press(&mut app, [ch('a')]);
    assert!(app.dialog.is_none(), "a no longer approves");
    press(&mut app, [ch('c')]);
    assert!(matches!(app.dialog, Some(Dialog::Decision(_))));
    press(&mut app, [key(KeyCode::Esc)]);

    assert!(refreshes(&press(&mut app, [key(KeyCode::F(5))])) > 0);
    assert!(
        refreshes(&press(&mut app, [ch('r')])) > 0,
        "r still refreshes"
    );

    let help = app.keymap.help();
    let keys_of = |action| {
        help.iter()
            .find(|(a, _)| *a == action)
            .map(|(_, k)| k.clone())
            .unwrap()
    };
    assert_eq!(keys_of(flightdeck::app::Action::Approve), ["c"]);
    assert_eq!(keys_of(flightdeck::app::Action::Refresh), ["r", "F5"]);
}

#[test]
fn the_palette_matches_fuzzily_and_runs_the_choice() {
    let mut app = configured("[keys]\napprove = \"c\"\n");
    press(&mut app, [ch(':')]);
    let palette = app.palette.as_ref().expect("palette open");
    // Every action is offered with the key in force.
    let approve = palette
        .entries
        .iter()
        .find(|e| e.label == "approve gate")
        .unwrap();
    assert_eq!(approve.key.as_deref(), Some("c"));

    typed(&mut app, "rjct");
    let chosen = app.palette.as_ref().unwrap().chosen().unwrap();
    assert_eq!(chosen.label, "reject gate");

    // Narrowing again: a view.
    press(&mut app, (0..4).map(|_| key(KeyCode::Backspace)));
    typed(&mut app, "apvls");
    assert_eq!(
        app.palette.as_ref().unwrap().chosen().unwrap().target,
        flightdeck::app::PaletteTarget::Pane(Pane::Approvals)
    );
    press(&mut app, [key(KeyCode::Enter)]);
    assert!(app.palette.is_none());
    assert_eq!(app.pane, Pane::Approvals);

    // An action runs as its key would.
    press(&mut app, [ch(':')]);
    typed(&mut app, "refresh");
    let effects = press(&mut app, [key(KeyCode::Enter)]);
    assert!(refreshes(&effects) > 0);

    // Down moves the choice; Esc closes without running anything.
    press(&mut app, [ch(':')]);
    typed(&mut app, "approve");
    assert_eq!(
        app.palette.as_ref().unwrap().chosen().unwrap().label,
        "approve gate",
        "equal matches: the shorter first"
    );
    press(&mut app, [key(KeyCode::Down)]);
    assert_eq!(
        app.palette.as_ref().unwrap().chosen().unwrap().label,
        "approve marked gates"
    );
    let effects = press(&mut app, [key(KeyCode::Esc)]);
    assert!(app.palette.is_none() && app.dialog.is_none() && effects.is_empty());

    // Nothing matches: Enter just closes.
    press(&mut app, [ch(':')]);
    typed(&mut app, "zzzz");
    assert!(app.palette.as_ref().unwrap().hits.is_empty());
    press(&mut app, [key(KeyCode::Enter)]);
    assert!(app.palette.is_none());
}

#[test]
fn the_palette_leaves_mutations_out_when_read_only_and_lets_updates_land() {
    let mut app = loaded_app_with(|s| s.read_only = true);
    press(&mut app, [ch(':')]);
    let labels: Vec<&str> = app
        .palette
        .as_ref()
        .unwrap()
        .entries
        .iter()
        .map(|e| e.label.as_str())
        .collect();
    assert!(!labels.contains(&"approve gate") && !labels.contains(&"start pipeline"));
    assert!(labels.contains(&"refresh now"));
    // Unlike a dialog, the palette does not hold list updates back.
    app.update(reply(Payload::Executions(Ok(vec![]))), at(1));
    assert!(app.executions.is_empty());
}

const SAVED: &str = r#"
[filter.failed]
query = "status:failed"
pane = "executions"

[filter.prod-gates]
query = "env:prod status:waiting"
pane = "approvals"
"#;

fn shown_ids(app: &App, pane: Pane) -> Vec<String> {
    app.view(pane)
        .iter()
        .map(|i| match pane {
            Pane::Executions => app.executions[*i].id.clone(),
            Pane::Approvals => app.approvals[*i].id.clone(),
            Pane::Pipelines => app.pipelines[*i].id.clone(),
            Pane::Audit => app.audit[*i].target.name.clone(),
        })
        .collect()
}

#[test]
fn saved_filters_apply_from_the_palette_and_as_at_names() {
    let mut app = configured(SAVED);
    to_approvals(&mut app);
    press(&mut app, [ch(':')]);
    typed(&mut app, "@fail");
    press(&mut app, [key(KeyCode::Enter)]);
    assert_eq!(app.filter_text, "@failed");
    assert_eq!(app.pane, Pane::Executions, "the saved filter's pane");
    assert_eq!(shown_ids(&app, Pane::Executions), ["exec-failed"]);

    // In `/`, combined with more words; the saved filter's pane is not forced.
    press(&mut app, [ch('/')]);
    press(&mut app, (0..7).map(|_| key(KeyCode::Backspace)));
    typed(&mut app, "@prod-gates deploy");
    press(&mut app, [key(KeyCode::Enter)]);
    assert_eq!(app.pane, Pane::Executions);
    assert_eq!(shown_ids(&app, Pane::Approvals), ["gate-1"]);
    assert!(shown_ids(&app, Pane::Executions).is_empty());

    // An unknown name is reported in the prompt and shows nothing.
    press(&mut app, [ch('/')]);
    typed(&mut app, " @nope");
    assert_eq!(app.filter.unknown, ["nope"]);
    assert!(shown_ids(&app, Pane::Approvals).is_empty());
    press(&mut app, [key(KeyCode::Esc)]);
    assert_eq!(shown_ids(&app, Pane::Executions).len(), 4, "Esc clears");

    // The palette offers clearing a filter in force.
    press(&mut app, [ch(':')]);
    typed(&mut app, "@prod");
    press(&mut app, [key(KeyCode::Enter)]);
    assert_eq!(app.pane, Pane::Approvals);
    press(&mut app, [ch(':')]);
    typed(&mut app, "clear filter");
    press(&mut app, [key(KeyCode::Enter)]);
    assert!(app.filter_text.is_empty());
}

#[test]
fn free_words_of_the_filter_are_fuzzy_but_tight() {
    let mut app = loaded_app();
    press(&mut app, [key(KeyCode::BackTab), ch('/')]);
    typed(&mut app, "rotcert");
    assert_eq!(shown_ids(&app, Pane::Pipelines), ["rotate_certs"]);
    press(&mut app, [key(KeyCode::Esc), ch('/')]);
    typed(&mut app, "dapi");
    assert_eq!(shown_ids(&app, Pane::Pipelines), ["deploy_api"]);
}

// ---- notifications ----------------------------------------------------------------------

fn notices(effects: &[Effect]) -> Vec<&flightdeck::alert::Notice> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Notify(n) => Some(n),
            _ => None,
        })
        .collect()
}

/// Two backends, the bell on, and the effects of every backend's first reads.
fn alerting_app() -> (App, Vec<Effect>) {
    let info = |name: &str| BackendInfo {
        name: name.into(),
        kind: BackendKind::Harness,
        production: false,
        read_only: false,
        insecure: false,
        identity: None,
    };
    let mut app = App::new(flightdeck::app::Settings {
        backends: vec![info(BACKEND), info("other")],
        intervals: Intervals::default(),
        read_only: false,
        ..Default::default()
    });
    app.alerts.bell = true;
    let mut effects = Vec::new();
    effects.extend(app.update(reply(Payload::Executions(Ok(executions()))), t0()));
    effects.extend(app.update(
        reply(Payload::Approvals(Ok(vec![approval(
            "gate-1",
            "exec-waiting",
        )]))),
        t0(),
    ));
    (app, effects)
}

fn other_backend(payload: Payload) -> flightdeck::app::Msg {
    flightdeck::app::Msg::Reply(Reply {
        backend: "other".into(),
        epoch: 0,
        elapsed: Duration::from_millis(20),
        payload,
    })
}

#[test]
fn gates_waiting_at_the_first_read_are_not_news() {
    let (mut app, effects) = alerting_app();
    assert!(notices(&effects).is_empty());
    assert!(app.visible_flash().is_none());
    // Another backend's first read is its baseline too.
    let mut theirs = approval("gate-9", "exec-9");
    theirs.backend = "other".into();
    let effects = app.update(other_backend(Payload::Approvals(Ok(vec![theirs]))), at(1));
    assert!(notices(&effects).is_empty());
}

#[test]
fn a_new_gate_notifies_once() {
    let (mut app, _) = alerting_app();
    let mut second = approval("gate-2", "exec-running");
    second.pipeline_name = "Build".into();
    second.stage = "QA sign-off".into();
    let list = vec![approval("gate-1", "exec-waiting"), second];
    let effects = app.update(reply(Payload::Approvals(Ok(list.clone()))), at(10));
    let sent = notices(&effects);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].title, "gate waiting");
    assert_eq!(
        sent[0].body,
        "Build · QA sign-off / Release sign-off (payments)"
    );
    assert!(sent[0].bell);
    let flash = app.visible_flash().unwrap();
    assert_eq!(
        flash.text,
        "gate waiting: Build · QA sign-off / Release sign-off (payments)"
    );
    // The same list again is not news; a gate leaving is, once (`a_gate_that_goes_away_is_told`).
    let again = app.update(reply(Payload::Approvals(Ok(list))), at(20));
    assert!(notices(&again).is_empty());
    let fewer = vec![approval("gate-1", "exec-waiting")];
    let gone = app.update(reply(Payload::Approvals(Ok(fewer.clone()))), at(30));
    assert_eq!(notices(&gone).len(), 1);
    assert!(notices(&app.update(reply(Payload::Approvals(Ok(fewer))), at(40))).is_empty());
}

#[test]
fn several_new_gates_are_one_notification() {
    let (mut app, _) = alerting_app();
    let list: Vec<Approval> = (1..=3)
        .map(|i| approval(&format!("gate-{i}"), "exec-waiting"))
        .collect();
    let effects = app.update(reply(Payload::Approvals(Ok(list))), at(10));
    let sent = notices(&effects);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].title, "2 gates waiting");
    assert!(sent[0].body.ends_with("and 1 more"), "{}", sent[0].body);
}

fn with_status(id: &str, status: ExecStatus, raw: &str) -> Vec<Execution> {
    let mut list = executions();
    let e = list.iter_mut().find(|e| e.id == id).unwrap();
    e.status = Status::new(status, raw);
    list
}

#[test]
fn a_followed_execution_that_fails_notifies_once() {
    let (mut app, _) = alerting_app();
    assert_eq!(app.selected_execution().unwrap().id, "exec-running");
    press(&mut app, [ch('w')]);
    assert!(app.is_followed(app.selected_execution().unwrap()));

    // Still running: nothing.
    let effects = app.update(reply(Payload::Executions(Ok(executions()))), at(5));
    assert!(notices(&effects).is_empty());

    let failed = with_status("exec-running", ExecStatus::Failed, "Failed");
    let effects = app.update(reply(Payload::Executions(Ok(failed.clone()))), at(10));
    let sent = notices(&effects);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].title, "failed");
    assert_eq!(sent[0].body, "Build #52 (payments): failed");
    assert_eq!(
        app.visible_flash().unwrap().level,
        flightdeck::app::FlashLevel::Error
    );
    // Read again: no second notification.
    assert!(notices(&app.update(reply(Payload::Executions(Ok(failed))), at(20))).is_empty());
}

#[test]
fn unfollowed_executions_end_quietly() {
    let (mut app, _) = alerting_app();
    // Follow, then unfollow.
    press(&mut app, [ch('w'), ch('w')]);
    let failed = with_status("exec-running", ExecStatus::Failed, "Failed");
    let effects = app.update(reply(Payload::Executions(Ok(failed))), at(10));
    assert!(notices(&effects).is_empty());
    // An execution that has ended cannot be followed.
    press(&mut app, [ch('j'), ch('j'), ch('w')]);
    assert!(!app.is_followed(app.selected_execution().unwrap()));
}

#[test]
fn an_execution_started_here_is_followed_to_its_end() {
    let (mut app, _) = alerting_app();
    let request = StartRequest {
        project: "payments".into(),
        pipeline_id: "build".into(),
        values: vec![],
        notes: None,
    };
    app.update(
        reply(Payload::Started {
            request,
            result: Ok(StartResult {
                execution_id: "exec-new".into(),
                status: Status::new(ExecStatus::Running, "Running"),
            }),
            request_id: None,
        }),
        at(1),
    );
    let mut list = executions();
    list.insert(
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
    assert!(notices(&app.update(reply(Payload::Executions(Ok(list.clone()))), at(5))).is_empty());
    list[0].status = Status::new(ExecStatus::Succeeded, "Success");
    // The detail poll of the execution sees it first.
    let mut detail = detail();
    detail.execution = list[0].clone();
    let effects = app.update(
        reply(Payload::Execution(
            detail.execution.exec_ref(),
            Ok(Box::new(detail)),
        )),
        at(10),
    );
    let sent = notices(&effects);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].title, "finished");
    assert_eq!(
        app.visible_flash().unwrap().level,
        flightdeck::app::FlashLevel::Success
    );
    assert!(notices(&app.update(reply(Payload::Executions(Ok(list))), at(15))).is_empty());
}

#[test]
fn without_bell_or_desktop_a_notification_is_a_flash_only() {
    let (mut app, _) = alerting_app();
    app.alerts.bell = false;
    let list = vec![
        approval("gate-1", "exec-waiting"),
        approval("gate-2", "exec-waiting"),
    ];
    let effects = app.update(reply(Payload::Approvals(Ok(list))), at(10));
    assert!(notices(&effects).is_empty());
    assert!(
        app.visible_flash()
            .unwrap()
            .text
            .starts_with("gate waiting")
    );
}

fn log_lines(range: std::ops::Range<usize>) -> Vec<LogLine> {
    range
        .map(|i| LogLine {
            source: if i % 2 == 0 { "build" } else { "test" }.into(),
            text: format!("line {i}"),
            ..LogLine::default()
        })
        .collect()
}

#[test]
fn the_log_view_streams_pauses_searches_and_stops_its_stream_on_close() {
    let mut app = loaded_app_with(|s| s.backends[0].kind = BackendKind::Argo);
    let selected = app.selected_execution().unwrap().id.clone();
    let effects = press(&mut app, [ch('l')]);
    assert_eq!(app.view, View::Logs);
    let epoch = match commands(&effects)[..] {
        [
            Command::Logs {
                epoch,
                exec,
                step: None,
                follow: true,
            },
        ] => {
            assert_eq!(exec.id, selected);
            *epoch
        }
        ref other => panic!("{other:?}"),
    };
    app.update(reply_to(epoch, Payload::LogLines(log_lines(0..100))), t0());
    // Lines of an older view are not this view's.
    app.update(
        reply_to(epoch - 1, Payload::LogLines(log_lines(0..5))),
        t0(),
    );
    let view = app.logs.as_ref().unwrap();
    assert_eq!(view.shown_len(), 100);
    assert!(view.follow);

    // Space pauses: new lines do not move the view.
    press(&mut app, [ch(' ')]);
    let top = app.logs.as_ref().unwrap().first_visible(app.page);
    app.update(
        reply_to(epoch, Payload::LogLines(log_lines(100..150))),
        t0(),
    );
    assert_eq!(app.logs.as_ref().unwrap().first_visible(app.page), top);

    // Search moves to the match; `s` narrows to one step.
    press(&mut app, [ch('/')]);
    press(&mut app, "line 7".chars().map(ch));
    press(&mut app, [key(KeyCode::Enter)]);
    assert_eq!(app.logs.as_ref().unwrap().top, 7);
    press(&mut app, [ch('n')]);
    assert_eq!(app.logs.as_ref().unwrap().top, 70);
    press(&mut app, [ch('s')]);
    assert_eq!(app.logs.as_ref().unwrap().step.as_deref(), Some("build"));
    // A new search starts empty: it never appends to the last one.
    press(&mut app, [ch('/')]);
    assert_eq!(app.log_search.as_ref().unwrap().value(), "");
    press(&mut app, "line 8".chars().map(ch));
    press(&mut app, [key(KeyCode::Enter)]);
    let view = app.logs.as_ref().unwrap();
    assert_eq!(view.search.as_deref(), Some("line 8"));
    // `line 8` and `line 80`..`line 89` of step `build` (even lines): 1 + 5.
    assert_eq!(view.matches, 6);
    // Lines arriving later are counted: "no match" is never stale.
    press(&mut app, [ch('/')]);
    press(&mut app, "later".chars().map(ch));
    press(&mut app, [key(KeyCode::Enter)]);
    assert_eq!(app.logs.as_ref().unwrap().matches, 0);
    app.update(
        reply_to(
            epoch,
            Payload::LogLines(vec![LogLine {
                source: "build".into(),
                text: "LATER it matched".into(),
                ..LogLine::default()
            }]),
        ),
        t0(),
    );
    assert_eq!(app.logs.as_ref().unwrap().matches, 1);

    // Keys that act elsewhere do nothing here: `a` does not open a decision.
    press(&mut app, [ch('a')]);
    assert!(app.dialog.is_none());

    app.update(
        reply_to(
            epoch,
            Payload::LogEnded(Err(BackendError::NotFound("gone".into()))),
        ),
        t0(),
    );
    assert!(app.logs.as_ref().unwrap().ended.as_ref().unwrap().is_err());
    let effects = press(&mut app, [key(KeyCode::Esc)]);
    assert!(matches!(commands(&effects)[..], [Command::StopLogs]));
    assert_eq!(app.view, View::List);
    assert!(app.logs.is_none());
}

/// The detail view scrolls with the movement keys within what the last frame said it can
/// show (`Msg::Drawn`), and opening it again starts at the top.
#[test]
fn the_detail_scrolls_within_its_content() {
    let mut app = loaded_app();
    press(&mut app, [ch('j'), key(KeyCode::Enter)]);
    assert_eq!(app.view, View::Detail);
    let drawn = |bottom| {
        Msg::Drawn(Drawn {
            detail_bottom: Some(bottom),
            ..Drawn::default()
        })
    };
    app.update(drawn(4), at(1));
    assert!(!app.dirty, "a frame on screen needs no other");
    press(&mut app, [ch('j'), ch('j'), key(KeyCode::Down)]);
    assert_eq!(app.detail_scroll, 3);
    press(&mut app, [ch('j'), ch('j'), ch('j')]);
    assert_eq!(app.detail_scroll, 4, "clamped to the content");
    press(&mut app, [ch('k')]);
    assert_eq!(app.detail_scroll, 3, "one key back up, not three");
    press(&mut app, [ch('g')]);
    assert_eq!(app.detail_scroll, 0);
    press(&mut app, [ch('G')]);
    assert_eq!(app.detail_scroll, 4);
    press(&mut app, [key(KeyCode::PageUp)]);
    assert_eq!(app.detail_scroll, 0);
    press(&mut app, [key(KeyCode::PageDown)]);
    assert_eq!(app.detail_scroll, 4);
    // The content got shorter (the detail was re-read): the next frame says so.
    app.update(drawn(1), at(2));
    assert_eq!(app.detail_scroll, 1);
    // Scrolling moves nothing in the lists.
    press(&mut app, [key(KeyCode::Esc)]);
    assert_eq!(app.selected_index(Pane::Executions), Some(1));
    press(&mut app, [key(KeyCode::Enter)]);
    assert_eq!(app.detail_scroll, 0, "reopened at the top");
}

/// Rebinding the dialog's keys moves what confirms: the old key does nothing any more.
#[test]
fn a_rebound_confirm_key_confirms_and_the_old_one_does_not() {
    let mut app = loaded_app();
    let mut map = Keymap::default();
    let ctrl_s = Key::new(KeyCode::Char('s'), crossterm::event::KeyModifiers::CONTROL);
    map.replace(Section::Dialog, Action::Confirm, &[ctrl_s]);
    app.keymap = map;
    to_approvals(&mut app);
    press(&mut app, [ch('a'), key(KeyCode::Left)]);
    // Enter is no action in the dialog now: nothing is sent.
    let effects = press(&mut app, [key(KeyCode::Enter)]);
    assert!(commands(&effects).is_empty());
    assert!(matches!(app.dialog, Some(Dialog::Decision(_))));
    let effects = app.update(
        Msg::Key(crossterm::event::KeyEvent::new(
            KeyCode::Char('s'),
            crossterm::event::KeyModifiers::CONTROL,
        )),
        at(1),
    );
    assert!(
        commands(&effects)
            .iter()
            .any(|c| matches!(c, Command::Decide { .. })),
        "C-s on [Approve] confirms"
    );
}
