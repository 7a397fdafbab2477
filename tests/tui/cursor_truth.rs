//! Where the cursor rests is the user's choice, never the network's: it starts on the first
//! row in display order whichever backend answers first, follows the item it was put on, keeps
//! the newest audit entry in view, and a detail stays on its execution when its gate goes.

use crate::common::*;
use crossterm::event::KeyCode;
use flightdeck::app::{App, BackendInfo, Effect, Msg, Pane, View};
use flightdeck::domain::*;
use flightdeck::service::{Command, Payload, Reply};

fn from(backend: &str, payload: Payload) -> Msg {
    Msg::Reply(Reply {
        backend: backend.into(),
        epoch: 0,
        elapsed: std::time::Duration::from_millis(20),
        payload,
    })
}

/// The slower backend's runs are newer, so they arrive above the rows already shown.
#[test]
fn the_cursor_starts_on_the_first_row_whichever_backend_answers_first() {
    let info = |name: &str| BackendInfo {
        name: name.into(),
        kind: BackendKind::Harness,
        production: false,
        read_only: false,
        insecure: false,
        identity: None,
    };
    let mut app = App::new(flightdeck::app::Settings {
        backends: vec![info("fast"), info("slow")],
        ..Default::default()
    });
    let runs = |backend: &str, offset: i64| -> Vec<Execution> {
        executions()
            .into_iter()
            .map(|mut e| {
                e.backend = backend.into();
                e.started = e
                    .started
                    .map(|t| t + jiff::SignedDuration::from_secs(offset));
                e
            })
            .collect()
    };
    app.update(
        from("fast", Payload::Executions(Ok(runs("fast", -9000)))),
        t0(),
    );
    assert_eq!(app.selected_execution().unwrap().backend.as_ref(), "fast");
    app.update(
        from("slow", Payload::Executions(Ok(runs("slow", 0)))),
        at(1),
    );
    let first = app.view(Pane::Executions)[0];
    assert_eq!(app.selected_index(Pane::Executions), Some(0));
    assert_eq!(app.selected_execution(), Some(&app.executions[first]));
    assert_eq!(app.selected_execution().unwrap().backend.as_ref(), "slow");
    // Once the user moves, the cursor follows what it was put on.
    press(&mut app, [ch('j')]);
    let chosen = app.selected_execution().unwrap().clone();
    let mut newer = runs("fast", 600);
    newer[0].id = "brand-new".into();
    app.update(from("fast", Payload::Executions(Ok(newer))), at(2));
    assert_eq!(app.selected_execution().unwrap().id, chosen.id);
}

/// `a` on the selected gate, confirmed, answered `outcome`.
fn decide(app: &mut App, outcome: Result<DecisionOutcome, BackendError>) {
    let effects = press(
        app,
        [
            ch('a'),
            key(KeyCode::Tab),
            ch('o'),
            ch('k'),
            key(KeyCode::BackTab),
            key(KeyCode::Right),
            key(KeyCode::Enter),
        ],
    );
    let (epoch, approval, decision) = effects
        .into_iter()
        .find_map(|e| match e {
            Effect::Send {
                command:
                    Command::Decide {
                        epoch,
                        approval,
                        decision,
                    },
                ..
            } => Some((epoch, approval, decision)),
            _ => None,
        })
        .unwrap_or_else(|| {
            panic!(
                "a decision is sent: {:?} {:?} {:?}",
                app.flash,
                app.pane,
                app.dialog.is_some()
            )
        });
    app.update(
        reply_to(
            epoch,
            Payload::Decided {
                approval,
                decision,
                result: outcome,
                request_id: None,
            },
        ),
        t0(),
    );
}

fn two_gates() -> Vec<Approval> {
    let mut second = approval("gate-2", "exec-running");
    second.created = Some(at(-100));
    second.stage = "EU sign-off".into();
    vec![approval("gate-1", "exec-waiting"), second]
}

/// A cursor on the newest audit entry stays on the newest as entries arrive: what was just
/// done is what the user looks for. One put on an older entry stays there.
#[test]
fn the_audit_cursor_keeps_the_newest_entry() {
    let mut app = loaded_app();
    let mut gates = two_gates();
    let mut third = approval("gate-3", "exec-failed");
    third.created = Some(at(-50));
    gates.push(third);
    app.update(reply(Payload::Approvals(Ok(gates))), t0());
    press(&mut app, [key(KeyCode::Tab)]);
    decide(&mut app, Ok(DecisionOutcome::Approved));
    press(&mut app, [key(KeyCode::Tab)]);
    // Moved down and back up: chosen, on the newest entry.
    press(&mut app, [ch('j'), ch('k')]);
    press(&mut app, [key(KeyCode::BackTab), ch('j')]);
    decide(&mut app, Ok(DecisionOutcome::Approved));
    assert_eq!(app.audit.len(), 2);
    assert_eq!(app.selected_audit(), app.audit.last());
    // On an older entry: it stays on it.
    press(&mut app, [key(KeyCode::Tab), ch('j')]);
    let older = app.selected_audit().cloned();
    press(&mut app, [key(KeyCode::BackTab), ch('j')]);
    decide(
        &mut app,
        Err(BackendError::Conflict("already decided".into())),
    );
    assert_eq!(app.audit.len(), 3);
    assert_eq!(app.selected_audit().cloned(), older);
}

/// Approving from the detail view: when the gate leaves the list, the detail stays on its
/// execution instead of jumping to whichever gate took its row.
#[test]
fn the_detail_stays_on_its_execution_after_a_decision() {
    let mut app = loaded_app();
    app.update(reply(Payload::Approvals(Ok(two_gates()))), t0());
    press(&mut app, [key(KeyCode::Tab), key(KeyCode::Enter)]);
    assert_eq!(app.current_exec().unwrap().1.id, "exec-waiting");
    decide(&mut app, Ok(DecisionOutcome::Approved));
    let rest = two_gates().split_off(1);
    app.update(reply(Payload::Approvals(Ok(rest))), at(3));
    assert_eq!(app.view, View::Detail);
    assert_eq!(app.current_exec().unwrap().1.id, "exec-waiting");
    assert_eq!(app.pane, Pane::Executions);
}

/// A gate that leaves the list without a decision from here is told, with the bell when
/// `[ui] bell` is on: it expired, or someone else decided it. A gate decided here is not.
#[test]
fn a_gate_that_goes_away_is_told() {
    let alerts = flightdeck::app::Alerts {
        bell: true,
        desktop: None,
    };
    let mut app = loaded_app_with(|s| s.alerts = alerts);
    let effects = app.update(reply(Payload::Approvals(Ok(vec![]))), at(10));
    let flash = &app.flash.as_ref().unwrap().text;
    assert_eq!(
        flash,
        "gate no longer waiting (decided elsewhere, or its run ended): \
         Deploy API · Approve prod / Release sign-off (payments)"
    );
    assert!(
        effects.iter().any(
            |e| matches!(e, Effect::Notify(n) if n.bell && n.title.starts_with("gate no longer"))
        ),
        "{effects:?}"
    );

    // Past its deadline: it expired.
    let mut app = loaded_app_with(|s| s.alerts = alerts);
    let mut short = approval("gate-1", "exec-waiting");
    short.deadline = Some(at(5));
    app.update(reply(Payload::Approvals(Ok(vec![short]))), at(1));
    app.update(reply(Payload::Approvals(Ok(vec![]))), at(10));
    assert!(
        app.flash
            .as_ref()
            .unwrap()
            .text
            .starts_with("gate expired: Deploy API"),
        "{:?}",
        app.flash
    );

    // Decided here: the decision's own result is the news.
    let mut app = loaded_app();
    press(&mut app, [key(KeyCode::Tab)]);
    decide(&mut app, Ok(DecisionOutcome::Approved));
    app.update(reply(Payload::Approvals(Ok(vec![]))), at(10));
    assert!(
        app.flash.as_ref().unwrap().text.starts_with("approved: "),
        "{:?}",
        app.flash
    );
}

/// `l` on First Gen, which has no log API, says so in a line instead of opening an empty
/// view; on NextGen it opens the view and asks for the log.
#[test]
fn logs_of_a_backend_without_logs_are_a_flash_not_a_view() {
    let mut app = loaded_app_with(|s| s.backends[0].kind = BackendKind::HarnessFg);
    let effects = press(&mut app, [ch('l')]);
    assert_eq!(app.view, View::List);
    assert!(app.logs.is_none());
    assert!(effects.is_empty(), "{effects:?}");
    assert_eq!(
        app.flash.as_ref().unwrap().text,
        "no logs: Harness First Gen has no log API for API keys; read them in the Harness web UI"
    );

    let mut app = loaded_app();
    let effects = press(&mut app, [ch('l')]);
    assert_eq!(app.view, View::Logs);
    assert!(
        matches!(
            effects.as_slice(),
            [Effect::Send {
                command: Command::Logs { follow: true, .. },
                ..
            }]
        ),
        "{effects:?}"
    );
}
