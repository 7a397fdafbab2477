//! `production = true` asks for typing before any write, as config.example.toml promises:
//! the pipeline's name for one gate, `yes` for a batch that touches a production backend.

use crate::common;

use common::*;
use crossterm::event::KeyCode;
use flightdeck::app::{App, Dialog, Effect, Pane};
use flightdeck::domain::Decision;
use flightdeck::service::Command;

fn production_app() -> App {
    let mut app = loaded_app_with(|s| s.backends[0].production = true);
    press(&mut app, [key(KeyCode::Tab)]);
    assert_eq!(app.pane, Pane::Approvals);
    app
}

fn decisions(effects: &[Effect]) -> Vec<Decision> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Send {
                command: Command::Decide { decision, .. },
                ..
            } => Some(decision.clone()),
            _ => None,
        })
        .collect()
}

fn problem(app: &App) -> Option<String> {
    match &app.dialog {
        Some(Dialog::Decision(d)) => d.form.problem.clone(),
        Some(Dialog::Batch(b)) => b.form.problem.clone(),
        _ => None,
    }
}

#[test]
fn deciding_one_production_gate_needs_the_pipeline_name_typed() {
    let mut app = production_app();
    press(&mut app, [ch('a')]);
    // The fields: comment, ticket, the typed confirmation, then the buttons; BackTab
    // from Cancel reaches [Approve] without typing anything.
    let effects = press(&mut app, [key(KeyCode::BackTab), key(KeyCode::Enter)]);
    assert!(decisions(&effects).is_empty(), "nothing is sent untyped");
    assert_eq!(problem(&app).as_deref(), Some("type Deploy API to confirm"));

    // A near miss is refused too.
    press(&mut app, [key(KeyCode::BackTab)]);
    press(&mut app, "Deploy AP".chars().map(ch));
    let effects = press(&mut app, [key(KeyCode::Tab), key(KeyCode::Enter)]);
    assert!(decisions(&effects).is_empty());

    press(&mut app, [key(KeyCode::BackTab), ch('I')]);
    let effects = press(&mut app, [key(KeyCode::Tab), key(KeyCode::Enter)]);
    let sent = decisions(&effects);
    assert_eq!(sent.len(), 1, "typed, it is sent once");
    assert_eq!(
        sent[0].inputs,
        vec![("ticket".to_string(), "OPS-1".to_string())],
        "the typed confirmation is not sent as an approver input"
    );
}

#[test]
fn a_batch_of_one_production_gate_needs_yes() {
    let mut app = production_app();
    press(&mut app, [ch(' '), ch('A')]);
    let effects = press(&mut app, [key(KeyCode::BackTab), key(KeyCode::Enter)]);
    assert!(decisions(&effects).is_empty());
    assert_eq!(problem(&app).as_deref(), Some("type yes to confirm"));
    press(&mut app, [key(KeyCode::BackTab)]);
    press(&mut app, "yes".chars().map(ch));
    let effects = press(&mut app, [key(KeyCode::Tab), key(KeyCode::Enter)]);
    assert_eq!(decisions(&effects).len(), 1);
}

#[test]
fn elsewhere_one_gate_confirms_on_its_button() {
    let mut app = loaded_app();
    press(&mut app, [key(KeyCode::Tab), ch('a')]);
    let effects = press(&mut app, [key(KeyCode::BackTab), key(KeyCode::Enter)]);
    assert_eq!(decisions(&effects).len(), 1);
}
