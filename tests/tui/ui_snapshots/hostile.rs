//! Hostile server text in every field the dashboard shows: escape sequences (CSI, OSC 52,
//! DCS), C0 and C1 controls, bidi overrides, invisible characters, emoji joined or varied
//! (whose width terminals disagree on), stacked accents, wide characters and very long lines.
//! In every pane, detail, dialog and the log view, at both sizes: nothing of it reaches the
//! screen raw, and the frame stays where it is with plain text.

use super::*;
use flightdeck::app::Effect;
use flightdeck::domain::RequestPreview;
use flightdeck::domain::*;
use flightdeck::service::{Command, Reply};
use ratatui::buffer::Buffer;

/// Server text at its worst, tagged so each field is recognisable in the snapshots.
fn evil(tag: &str) -> String {
    format!(
        "{tag}\u{1b}[2J\u{1b}[31m\u{1b}]52;c;cm0gLXJmIH4=\u{7}\u{1b}]0;pwned\u{1b}\\\u{9b}1;1H\
         \u{1b}P+q\u{1b}\\\u{0}\u{8}\u{7f}\u{85}\u{202e}desrever\u{202c}\u{2067}\u{200b}z\u{200d}w\
         \u{feff}\u{e0041}\u{e0042}\u{3164} 漢字 👨\u{200d}👩\u{200d}👧 ❤\u{fe0f} e\u{301}\u{301}\
         \u{301}\u{301}\u{301}\u{301}\u{301}\u{301} {}\ttab\r\nnewline",
        "long".repeat(60)
    )
}

/// The same world with plain text of similar length and the same lines (a request body
/// keeps its line breaks), to compare the frame with.
fn plain(tag: &str) -> String {
    format!("{tag} plain text {}\ttab\nnewline", "long".repeat(60))
}

fn world(
    text: &dyn Fn(&str) -> String,
) -> (
    Vec<Pipeline>,
    Vec<Execution>,
    Vec<Approval>,
    ExecutionDetail,
) {
    let mut pipelines = pipelines();
    for p in &mut pipelines {
        p.name = text("pipeline");
        p.description = text("description");
        p.tags = vec![(text("tagkey"), text("tagvalue"))];
        p.last_status = Some(Status::new(ExecStatus::Unknown, text("rawstatus")));
    }
    let mut executions = executions();
    for e in &mut executions {
        e.pipeline_name = text("execpipeline");
        e.triggered_by = text("trigger");
        e.status.raw = text("raw");
        e.message = Some(text("message"));
    }
    let mut gate = approval("gate-1", "exec-waiting");
    gate.pipeline_name = text("gatepipeline");
    gate.stage = text("stage");
    gate.step = text("step");
    gate.message = text("gatemessage");
    gate.approvers = vec![text("approver")];
    gate.triggered_by = text("gatetrigger");
    gate.environment = Some(text("env"));
    gate.inputs = vec![ApproverInput {
        name: text("input"),
        default: text("default"),
        options: vec![],
    }];
    let mut detail = detail();
    detail.execution = executions[0].clone();
    for stage in &mut detail.stages {
        stage.name = text("stagename");
        for step in &mut stage.steps {
            step.name = text("stepname");
            step.kind = text("kind");
            step.message = Some(text("stepmessage"));
        }
    }
    detail.approvals = vec![gate.clone()];
    (pipelines, executions, vec![gate], detail)
}

fn loaded(text: &dyn Fn(&str) -> String, w: u16, h: u16) -> App {
    let (pipelines, executions, gates, detail) = world(text);
    let mut app = App::new(flightdeck::app::Settings {
        backends: vec![flightdeck::app::BackendInfo {
            name: BACKEND.into(),
            kind: BackendKind::Harness,
            production: false,
            read_only: false,
            insecure: false,
            identity: None,
        }],
        intervals: flightdeck::service::Intervals::default(),
        read_only: false,
        ..Default::default()
    });
    app.update(
        Msg::Resize {
            width: w,
            height: h,
        },
        t0(),
    );
    app.update(reply(Payload::Pipelines(Ok(pipelines))), t0());
    app.update(reply(Payload::Executions(Ok(executions))), t0());
    app.update(reply(Payload::Approvals(Ok(gates))), t0());
    let exec = detail.execution.exec_ref();
    app.update(reply(Payload::Execution(exec, Ok(Box::new(detail)))), t0());
    // A later read fails with the server's own words.
    app.update(
        reply(Payload::Approvals(Err(BackendError::Server {
            status: 500,
            message: text("servererror"),
        }))),
        t0(),
    );
    app
}

fn sent(effects: &[Effect]) -> Vec<Command> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Send { command, .. } => Some(command.clone()),
            _ => None,
        })
        .collect()
}

fn answer(app: &mut App, epoch: u64, payload: Payload) {
    app.update(
        Msg::Reply(Reply {
            backend: BACKEND.into(),
            epoch,
            elapsed: std::time::Duration::ZERO,
            payload,
        }),
        t0(),
    );
}

/// Every screen worth drawing, by name.
const SCREENS: [&str; 11] = [
    "executions",
    "backends",
    "execution_detail",
    "pipelines",
    "pipeline_detail",
    "approvals",
    "decision",
    "decision_failed",
    "audit_detail",
    "start_preview",
    "logs",
];

/// Screen `name` of the world whose server text is `text`.
fn screen(name: &str, text: &dyn Fn(&str) -> String, w: u16, h: u16) -> App {
    let mut app = loaded(text, w, h);
    match name {
        "executions" => {}
        // The failing read's whole error, which only this view shows.
        "backends" => {
            press(&mut app, [ch('b')]);
        }
        "execution_detail" => {
            press(&mut app, [key(KeyCode::Enter)]);
        }
        "pipelines" => {
            press(&mut app, [key(KeyCode::BackTab)]);
        }
        "pipeline_detail" => {
            press(&mut app, [key(KeyCode::BackTab), key(KeyCode::Enter)]);
        }
        "approvals" => {
            press(&mut app, [key(KeyCode::Tab)]);
        }
        "decision" | "decision_failed" | "audit_detail" => {
            press(&mut app, [key(KeyCode::Tab), ch('a'), key(KeyCode::Tab)]);
            press(&mut app, "ok".chars().map(ch));
            if name == "decision" {
                return app;
            }
            // Back to Cancel, over to Approve.
            let effects = press(
                &mut app,
                [
                    key(KeyCode::BackTab),
                    key(KeyCode::Right),
                    key(KeyCode::Enter),
                ],
            );
            let Some(Command::Decide {
                epoch,
                approval,
                decision,
            }) = sent(&effects)
                .into_iter()
                .find(|c| matches!(c, Command::Decide { .. }))
            else {
                panic!("a decision is sent")
            };
            answer(
                &mut app,
                epoch,
                Payload::Decided {
                    approval,
                    decision,
                    result: Err(BackendError::Conflict(text("conflict"))),
                    request_id: None,
                },
            );
            if name == "audit_detail" {
                press(&mut app, [key(KeyCode::Tab), key(KeyCode::Enter)]);
            }
        }
        "start_preview" => start_preview(&mut app, text),
        "logs" => {
            // Logs are Argo's.
            app.backends[0].kind = BackendKind::Argo;
            press(&mut app, [ch('l')]);
            let epoch = app.logs.as_ref().expect("the log view").epoch;
            let lines = (0..30)
                .map(|i| LogLine {
                    source: text(&format!("source{i}")),
                    text: text(&format!("line{i}")),
                    ..LogLine::default()
                })
                .collect();
            answer(&mut app, epoch, Payload::LogLines(lines));
        }
        other => panic!("no screen {other}"),
    }
    app
}

/// The start form with variables named, described and defaulted by the server, at its
/// confirm button with the request it would send.
fn start_preview(app: &mut App, text: &dyn Fn(&str) -> String) {
    let effects = press(app, [key(KeyCode::BackTab), ch('s')]);
    let Some(Command::LoadStartForm {
        epoch,
        project,
        pipeline_id,
    }) = sent(&effects)
        .into_iter()
        .find(|c| matches!(c, Command::LoadStartForm { .. }))
    else {
        panic!("the form is asked for")
    };
    let form = StartForm {
        variables: vec![
            VariableSpec {
                name: text("var"),
                kind: VarKind::Choice(vec![text("choice1"), text("choice2")]),
                required: true,
                default: None,
                description: Some(text("vardescription")),
            },
            VariableSpec {
                name: text("text"),
                kind: VarKind::Text,
                required: false,
                default: Some(text("vardefault")),
                description: None,
            },
        ],
    };
    answer(
        app,
        epoch,
        Payload::StartForm {
            project,
            pipeline_id,
            result: Ok(form),
        },
    );
    let effects = press(app, [key(KeyCode::Right)]);
    let request = sent(&effects)
        .into_iter()
        .find_map(|c| match c {
            Command::Preview { request, .. } => Some(request),
            _ => None,
        })
        .expect("a preview is asked for");
    let preview = RequestPreview {
        method: "POST".into(),
        url: text("https://example.invalid/url"),
        headers: vec![(text("header"), "***".into())],
        body: text("body"),
    };
    answer(
        app,
        epoch,
        Payload::Preview {
            request,
            result: Ok(Box::new(preview)),
        },
    );
}

/// What a terminal may never be sent: controls, bidi and invisible format characters, and
/// the joiners and selectors that make terminals disagree on a character's width.
fn forbidden(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{206f}'
            | '\u{fe00}'..='\u{fe0f}' | '\u{feff}' | '\u{3164}' | '\u{e0000}'..='\u{e0fff}')
}

fn check_clean(name: &str, buffer: &Buffer) {
    for cell in buffer.content() {
        let symbol = cell.symbol();
        assert!(
            !symbol.chars().any(forbidden),
            "{name}: {symbol:?} reached the screen"
        );
        // Accents stack on one character at most a few deep.
        assert!(symbol.chars().count() <= 4, "{name}: cell {symbol:?}");
    }
}

/// The frame: for every row, which of the first and last columns hold a border.
fn frame(buffer: &Buffer) -> Vec<(bool, bool)> {
    let border = |x: u16, y: u16| "│║┃┌┐└┘╔╗╚╝─═├┤".contains(buffer[(x, y)].symbol());
    let right = buffer.area.width - 1;
    (0..buffer.area.height)
        .map(|y| (border(0, y), border(right, y)))
        .collect()
}

#[test]
fn hostile_server_text_in_every_view() {
    let theme = Theme::new(ThemeName::Dark, Depth::Ansi16);
    for (w, h) in SIZES {
        for name in SCREENS {
            let draw = |text: &dyn Fn(&str) -> String| {
                let mut app = screen(name, text, w, h);
                app.update(Msg::Tick, at(30));
                render(&app, w, h, theme)
            };
            let terminal = draw(&evil);
            let buffer = terminal.backend().buffer();
            check_clean(name, buffer);
            assert_eq!(
                frame(buffer),
                frame(draw(&plain).backend().buffer()),
                "{name} at {w}x{h}: the frame moved"
            );
            if matches!(
                name,
                "executions" | "execution_detail" | "decision" | "start_preview" | "logs"
            ) {
                // Beside the other screens' snapshots.
                insta::with_settings!({ snapshot_path => "../snapshots" }, {
                    insta::assert_snapshot!(format!("{name}_{w}x{h}"), terminal.backend());
                });
            }
        }
    }
}
