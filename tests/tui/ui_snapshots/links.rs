//! The web UI link in the detail (drawn as text, made clickable after the frame), the `y` /
//! `Y` copy keys as effects, and who acts on a backend as the backends view and the audit
//! log say it.

use super::*;
use flightdeck::app::{Drawn, Effect};
use flightdeck::backend::{Identity, IdentitySource};
use flightdeck::domain::{Decision, DecisionAction, DecisionOutcome};

const LINK: &str = "https://app.harness.io/ng/account/acc/cd/orgs/default/projects/payments/pipelines/deploy/executions/exec-waiting/pipeline";

fn gate_link() -> String {
    format!("{LINK}?stage=Ap7stage&step=n-step1")
}

fn linked_detail() -> ExecutionDetail {
    let mut d = detail();
    d.execution.url = Some(LINK.into());
    d.approvals[0].url = Some(gate_link());
    d
}

/// The detail of the fixture's execution, read with its links.
fn open_linked(app: &mut App) {
    press(app, [ch('j'), key(KeyCode::Enter)]);
    let d = linked_detail();
    app.update(
        reply(Payload::Execution(d.execution.exec_ref(), Ok(Box::new(d)))),
        at(20),
    );
}

#[test]
fn the_detail_shows_its_link() {
    snapshot("detail_link", open_linked);
}

#[test]
fn the_frame_says_where_the_link_is_drawn_and_keeps_the_whole_url() {
    let mut app = loaded_app();
    app.update(
        Msg::Resize {
            width: 80,
            height: 24,
        },
        t0(),
    );
    open_linked(&mut app);
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let mut found = Drawn::default();
    terminal
        .draw(|f| found = ui::draw(f, &app, &Theme::new(ThemeName::Dark, Depth::Ansi16)))
        .unwrap();
    let link = found.link.clone().expect("the detail drew a link");
    assert_eq!(link.url, LINK, "the hyperlink keeps the whole URL");
    assert!(link.text.ends_with('…') && LINK.starts_with(link.text.trim_end_matches('…')));
    // The text the overlay rewrites is exactly what the frame put in those cells.
    let buffer = terminal.backend().buffer();
    let cells: String = (0..link.text.chars().count() as u16)
        .map(|i| buffer[(link.x + i, link.y)].symbol().to_string())
        .collect();
    assert_eq!(cells, link.text);
    assert!(
        buffer[(link.x, link.y)]
            .modifier
            .contains(Modifier::UNDERLINED)
    );
    // Covered by a dialog: nothing may be written over the dialog.
    app.update(Msg::Drawn(found.clone()), at(21));
    press(&mut app, [ch('?')]);
    terminal
        .draw(|f| found = ui::draw(f, &app, &Theme::new(ThemeName::Dark, Depth::Ansi16)))
        .unwrap();
    assert_eq!(found.link, None, "the help overlay covers the link");
    press(&mut app, [key(KeyCode::Esc)]);
    // Scrolled: the link moves up with its line (and is gone once its line is).
    app.update(Msg::Drawn(found.clone()), at(21));
    press(&mut app, (0..8).map(|_| ch('j')));
    assert_eq!(app.detail_scroll, 2, "the detail's last line");
    terminal
        .draw(|f| found = ui::draw(f, &app, &Theme::new(ThemeName::Dark, Depth::Ansi16)))
        .unwrap();
    assert_eq!(found.link.map(|l| (l.x, l.y)), Some((link.x, link.y - 2)));
}

fn clipboard(effects: &[Effect]) -> Vec<String> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Clipboard(text) => Some(text.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn y_copies_the_link_and_capital_y_the_id_as_effects() {
    let mut app = loaded_app();
    press(&mut app, [ch('j')]);
    let selected = app.selected_execution().unwrap().id.clone();
    let mut listed = executions();
    for e in &mut listed {
        if e.id == selected {
            e.url = Some(LINK.into());
        }
    }
    app.update(reply(Payload::Executions(Ok(listed))), at(1));
    // On the executions list: the selected row's link, then its id.
    assert_eq!(app.selected_execution().unwrap().id, selected);
    assert_eq!(clipboard(&press(&mut app, [ch('y')])), [LINK]);
    assert!(
        app.flash
            .as_ref()
            .unwrap()
            .text
            .contains("copied the execution's link")
    );
    assert_eq!(
        clipboard(&press(&mut app, [ch('Y')])),
        std::slice::from_ref(&selected)
    );
    assert!(app.flash.as_ref().unwrap().text.contains(&selected));
    // A row without a link copies nothing, and says so.
    press(&mut app, [ch('k')]);
    assert!(clipboard(&press(&mut app, [ch('y')])).is_empty());
    assert!(app.flash.as_ref().unwrap().text.contains("no web UI link"));
    // On a gate opened in the detail: the gate's link, the UI's gate selection included.
    let mut app = loaded_app();
    press(&mut app, [key(KeyCode::Tab), key(KeyCode::Enter)]);
    let d = linked_detail();
    app.update(
        reply(Payload::Execution(d.execution.exec_ref(), Ok(Box::new(d)))),
        at(20),
    );
    assert_eq!(clipboard(&press(&mut app, [ch('y')])), [gate_link()]);
    assert_eq!(clipboard(&press(&mut app, [ch('Y')])), ["gate-1"]);
}

#[test]
fn a_link_a_server_made_hostile_is_never_copied_raw() {
    let mut app = loaded_app();
    let with_url = |url: &str| {
        let mut listed = executions();
        for e in &mut listed {
            e.url = Some(url.into());
        }
        reply(Payload::Executions(Ok(listed)))
    };
    app.update(
        with_url("https://e.example/\u{1b}]52;c;cHduZWQ=\u{7}"),
        at(1),
    );
    let copied = clipboard(&press(&mut app, [ch('y')]));
    assert_eq!(copied.len(), 1);
    assert!(
        copied[0].bytes().all(|b| b.is_ascii_graphic()),
        "{copied:?}"
    );
    assert!(copied[0].contains("%1B"), "{copied:?}");
    app.update(with_url("javascript:alert(1)"), at(2));
    assert!(clipboard(&press(&mut app, [ch('y')])).is_empty());
}

#[test]
fn who_acts_is_shown_and_written_into_every_audit_entry() {
    let mut app = loaded_app();
    assert_eq!(app.writes.identity(BACKEND).source, IdentitySource::Unknown);
    app.update(
        reply(Payload::Identity(Identity::verified(
            "Ada Lovelace <ada@example.com>",
            "currentUser: personal access token",
        ))),
        at(1),
    );
    let text = text_of(&drawn(
        80,
        24,
        Theme::new(ThemeName::Dark, Depth::Ansi16),
        &|app: &mut App| {
            app.update(
                reply(Payload::Identity(Identity::verified(
                    "Ada Lovelace <ada@example.com>",
                    "currentUser: personal access token",
                ))),
                at(1),
            );
            press(app, [ch('b')]);
        },
    ));
    assert!(
        text.iter()
            .any(|l| l.contains("acts as Ada Lovelace <ada@example.com> (verified")),
        "{text:#?}"
    );
    let effects = press(&mut app, []);
    assert!(effects.is_empty());
    let gate = approval("gate-1", "exec-waiting");
    let out = {
        let mut out = Vec::new();
        for e in {
            let msg = reply(Payload::Decided {
                approval: Box::new(gate),
                decision: Decision {
                    action: DecisionAction::Reject,
                    comment: "no".into(),
                    inputs: Vec::new(),
                },
                result: Ok(DecisionOutcome::Rejected),
                request_id: Some("9b6c0a1e-corr".into()),
            });
            app.update(msg, at(2))
        } {
            if let Effect::Audit(entry) = e {
                out.push(entry);
            }
        }
        out
    };
    assert_eq!(out.len(), 1);
    let identity = out[0].identity.as_ref().unwrap();
    assert_eq!(
        identity.who.as_deref(),
        Some("Ada Lovelace <ada@example.com>")
    );
    assert_eq!(identity.source, IdentitySource::Verified);
    assert_eq!(out[0].request_id.as_deref(), Some("9b6c0a1e-corr"));
    // The Audit pane's detail says it too.
    let text = text_of(&drawn(
        120,
        40,
        Theme::new(ThemeName::Dark, Depth::Ansi16),
        &|app: &mut App| {
            app.update(
                reply(Payload::Identity(Identity::configured("ops-bot"))),
                at(1),
            );
            app.update(
                reply(Payload::Decided {
                    approval: Box::new(approval("gate-1", "exec-waiting")),
                    decision: Decision {
                        action: DecisionAction::Approve,
                        comment: String::new(),
                        inputs: Vec::new(),
                    },
                    result: Ok(DecisionOutcome::Approved),
                    request_id: Some("c-42".into()),
                }),
                at(2),
            );
            press(
                app,
                [key(KeyCode::Tab), key(KeyCode::Tab), key(KeyCode::Enter)],
            );
        },
    ));
    assert!(
        text.iter()
            .any(|l| l.contains("acted as  ops-bot (configured: the config's `identity`)")),
        "{text:#?}"
    );
    assert!(
        text.iter().any(|l| l.contains("request id  c-42")),
        "{text:#?}"
    );
}
