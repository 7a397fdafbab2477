//! The control dialogs drawn: a single abort (Argo's stop or terminate, a production
//! backend's typed name), a Harness retry asking which stages (and refused), and a batch
//! abort of marked executions, and the re-run form of a First Gen run (a start filled with
//! what the run ran with); at 80x24 and 120x40, one under NO_COLOR.

use crate::common;

use common::*;
use crossterm::event::KeyCode;
use flightdeck::app::{App, Dialog, Msg};
use flightdeck::backend::RetryStages;
use flightdeck::backend::control::RetryStage;
use flightdeck::config::Theme as ThemeName;
use flightdeck::domain::{BackendKind, ExecRef, StartForm, VarKind, VariableSpec};
use flightdeck::service::Payload;
use flightdeck::ui::depth::Depth;
use flightdeck::ui::{self, Theme};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Color;

const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];

fn snapshot(
    name: &str,
    kind: BackendKind,
    production: bool,
    depth: Depth,
    setup: impl Fn(&mut App),
) {
    for (w, h) in SIZES {
        let mut app = loaded_app_with(|s| {
            s.backends[0].kind = kind;
            s.backends[0].production = production;
        });
        app.update(
            Msg::Resize {
                width: w,
                height: h,
            },
            t0(),
        );
        setup(&mut app);
        assert!(
            matches!(app.dialog, Some(Dialog::Control(_) | Dialog::Start(_))),
            "{name}"
        );
        app.update(Msg::Tick, at(30));
        let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
        terminal
            .draw(|f| {
                ui::draw(f, &app, &Theme::new(ThemeName::Dark, depth));
            })
            .unwrap();
        if depth == Depth::None {
            for cell in terminal.backend().buffer().content() {
                assert_eq!((cell.fg, cell.bg), (Color::Reset, Color::Reset));
            }
        }
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), terminal.backend());
    }
}

#[test]
fn argo_abort_offers_stop_or_terminate_with_cancel_focused() {
    snapshot(
        "control_abort_argo",
        BackendKind::Argo,
        false,
        Depth::Ansi16,
        |app| {
            press(app, [ch('K')]);
        },
    );
}

#[test]
fn a_production_abort_asks_for_the_pipeline_name() {
    snapshot(
        "control_abort_production_no_color",
        BackendKind::Harness,
        true,
        Depth::None,
        |app| {
            press(app, [ch('K')]);
        },
    );
}

fn retry_stages(app: &mut App, result: RetryStages) {
    press(app, [ch('j'), ch('j'), ch('R')]);
    let epoch = match &app.dialog {
        Some(Dialog::Control(d)) => d.epoch,
        _ => panic!("retry dialog"),
    };
    let stage = |id: &str, status: &str| RetryStage {
        identifier: id.into(),
        name: id.into(),
        status: status.into(),
    };
    let result = RetryStages {
        groups: if result.resumable {
            vec![
                vec![stage("build", "Success")],
                vec![stage("deploy_eu", "Failed"), stage("deploy_us", "Success")],
            ]
        } else {
            Vec::new()
        },
        ..result
    };
    app.update(
        reply_to(
            epoch,
            Payload::RetryStages {
                exec: ExecRef {
                    project: "payments".into(),
                    id: "exec-failed".into(),
                },
                result: Ok(result),
            },
        ),
        at(1),
    );
}

#[test]
fn harness_retry_asks_from_which_stages() {
    snapshot(
        "control_retry_stages",
        BackendKind::Harness,
        false,
        Depth::Ansi16,
        |app| {
            retry_stages(
                app,
                RetryStages {
                    resumable: true,
                    error: None,
                    groups: Vec::new(),
                },
            );
            press(app, [key(KeyCode::Tab)]);
        },
    );
}

#[test]
fn harness_retry_refused_shows_the_reason_verbatim() {
    snapshot(
        "control_retry_refused",
        BackendKind::Harness,
        false,
        Depth::Ansi16,
        |app| {
            retry_stages(
                app,
                RetryStages {
                    resumable: false,
                    error: Some(
                        "This execution is not the latest of all retried execution. You can \
                         only retry the latest execution."
                            .into(),
                    ),
                    groups: Vec::new(),
                },
            );
            press(
                app,
                [key(KeyCode::Tab), key(KeyCode::Tab), key(KeyCode::Enter)],
            );
        },
    );
}

#[test]
fn a_batch_abort_lists_every_marked_execution() {
    snapshot(
        "control_batch_abort",
        BackendKind::Argo,
        false,
        Depth::Ansi16,
        |app| {
            press(app, [ch(' '), ch(' '), ch('K')]);
        },
    );
}

#[test]
fn help_says_which_control_keys_a_backend_does_not_offer_and_why() {
    let mut app = loaded_app_with(|s| s.backends[0].kind = BackendKind::Infraxys);
    app.dialog = Some(Dialog::Help {
        scroll: 30,
        section: flightdeck::app::Section::Panes,
    });
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    terminal
        .draw(|f| {
            ui::draw(f, &app, &Theme::new(ThemeName::Dark, Depth::None));
        })
        .unwrap();
    let text: String = terminal
        .backend()
        .buffer()
        .content()
        .iter()
        .map(|c| c.symbol())
        .collect();
    assert!(text.contains("not offered:"), "{text}");
    assert!(
        text.contains("infraxys abort: Infraxys has no API to abort a run"),
        "{text}"
    );
    assert!(text.contains("infraxys suspend:"), "{text}");
}

#[test]
fn a_first_gen_rerun_is_a_start_form_that_says_where_its_values_come_from() {
    snapshot(
        "control_rerun_first_gen",
        BackendKind::HarnessFg,
        false,
        Depth::Ansi16,
        |app| {
            // exec-ok, a finished run of Build.
            let effects = press(app, [ch('j'), ch('j'), ch('j'), ch('E')]);
            let epoch = effects
                .iter()
                .find_map(|e| match e {
                    flightdeck::app::Effect::Send {
                        command: flightdeck::service::Command::RunInputs { epoch, .. },
                        ..
                    } => Some(*epoch),
                    _ => None,
                })
                .expect("E reads the run's inputs");
            let variable = |name: &str, kind, default: Option<&str>| VariableSpec {
                name: name.into(),
                kind,
                required: default.is_none(),
                default: default.map(Into::into),
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
                                variable("tag", VarKind::Text, None),
                                variable("region", VarKind::Text, Some("eu-west-1")),
                                variable("token", VarKind::Secret, None),
                            ],
                        }),
                    },
                ),
                at(1),
            );
            app.update(
                reply_to(
                    epoch,
                    Payload::RunInputs(Ok(flightdeck::backend::RunInputs {
                        project: "payments".into(),
                        pipeline_id: "build".into(),
                        values: vec![
                            ("tag".into(), "1.4.2".into()),
                            ("region".into(), "us-east-1".into()),
                        ],
                        source: "as First Gen recorded them",
                        status: flightdeck::domain::ExecStatus::Succeeded,
                    })),
                ),
                at(2),
            );
        },
    );
}
