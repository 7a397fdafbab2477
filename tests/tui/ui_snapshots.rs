//! Rendering snapshots: every pane and dialog at 80x24 and 120x40, drawn from the fixture
//! world through the real update path. Text-only snapshots pin the layout; the NO_COLOR
//! checks pin that nothing depends on colour.

use crate::common;
#[path = "ui_snapshots/hostile.rs"]
mod hostile;
#[path = "ui_snapshots/links.rs"]
mod links;
#[path = "ui_snapshots/truth.rs"]
mod truth;

use common::*;
use crossterm::event::KeyCode;
use flightdeck::app::{App, Msg};
use flightdeck::config::Theme as ThemeName;
use flightdeck::domain::{ExecStatus, ExecutionDetail, LogLine, Status, Step};
use flightdeck::service::Payload;
use flightdeck::ui::depth::Depth;
use flightdeck::ui::{self, Theme};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::{Color, Modifier};

const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];

fn render(app: &App, w: u16, h: u16, theme: Theme) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal
        .draw(|f| {
            ui::draw(f, app, &theme);
        })
        .unwrap();
    terminal
}

/// Builds the state with `setup`, then snapshots it at both sizes.
fn snapshot(name: &str, setup: impl Fn(&mut App)) {
    snapshot_in(name, Theme::new(ThemeName::Dark, Depth::Ansi16), setup);
}

/// The state `setup` builds, drawn at `w`x`h`.
fn drawn(w: u16, h: u16, theme: Theme, setup: &impl Fn(&mut App)) -> Terminal<TestBackend> {
    let mut app = loaded_app();
    app.update(
        Msg::Resize {
            width: w,
            height: h,
        },
        t0(),
    );
    setup(&mut app);
    app.update(Msg::Tick, at(30));
    render(&app, w, h, theme)
}

/// Under NO_COLOR: snapshots at both sizes, and checks that not one cell has a colour.
fn snapshot_no_color(name: &str, setup: impl Fn(&mut App)) {
    for (w, h) in SIZES {
        let terminal = drawn(w, h, Theme::new(ThemeName::Dark, Depth::None), &setup);
        for cell in terminal.backend().buffer().content() {
            assert_eq!((cell.fg, cell.bg), (Color::Reset, Color::Reset));
        }
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), terminal.backend());
    }
}

fn snapshot_in(name: &str, theme: Theme, setup: impl Fn(&mut App)) {
    for (w, h) in SIZES {
        let mut app = loaded_app();
        app.update(
            Msg::Resize {
                width: w,
                height: h,
            },
            t0(),
        );
        setup(&mut app);
        app.update(Msg::Tick, at(30));
        let terminal = render(&app, w, h, theme);
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), terminal.backend());
    }
}

#[test]
fn executions_pane() {
    snapshot("executions", |_| {});
}

#[test]
fn pipelines_pane() {
    snapshot("pipelines", |app| {
        press(app, [key(KeyCode::BackTab)]);
    });
}

#[test]
fn approvals_pane() {
    snapshot("approvals", |app| {
        press(app, [key(KeyCode::Tab)]);
    });
}

#[test]
fn execution_detail() {
    snapshot("detail", |app| {
        press(app, [ch('j'), key(KeyCode::Enter)]);
        app.update(
            reply(Payload::Execution(
                detail().execution.exec_ref(),
                Ok(Box::new(detail())),
            )),
            at(20),
        );
    });
}

/// A detail longer than the screen: twelve deploy stages of two steps each above the gate.
fn long_detail() -> ExecutionDetail {
    let mut d = detail();
    let deploy = d.stages.pop().unwrap();
    for region in 1..=12 {
        let mut stage = deploy.clone();
        stage.name = format!("Deploy region {region:02}");
        stage.steps = ["Rollout", "Verify"]
            .iter()
            .map(|name| Step {
                name: (*name).into(),
                kind: "K8sRollingDeploy".into(),
                status: Status::new(ExecStatus::NotStarted, "NotStarted"),
                started: None,
                ended: None,
                message: None,
            })
            .collect();
        d.stages.push(stage);
    }
    d
}

/// The long detail opened, drawn once as the event loop does (the frame says how far the
/// detail can scroll), then scrolled down five lines with `j`.
fn open_scrolled_detail(app: &mut App) {
    press(app, [ch('j'), key(KeyCode::Enter)]);
    let d = long_detail();
    app.update(
        reply(Payload::Execution(d.execution.exec_ref(), Ok(Box::new(d)))),
        at(20),
    );
    // The size the app was told (`Msg::Resize` sets its page to the height less 6).
    let (w, h) = SIZES
        .into_iter()
        .find(|(_, h)| usize::from(*h) == app.page + 6)
        .unwrap();
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    let theme = Theme::new(ThemeName::Dark, Depth::Ansi16);
    let mut drawn = flightdeck::app::Drawn::default();
    terminal.draw(|f| drawn = ui::draw(f, app, &theme)).unwrap();
    app.update(Msg::Drawn(drawn), at(20));
    press(app, (0..5).map(|_| ch('j')));
}

/// Scrolled: the lines above and below are counted in the border, so a long stage tree
/// and the gate under it can be read on a small screen.
#[test]
fn execution_detail_scrolled() {
    snapshot("detail_scrolled", open_scrolled_detail);
    snapshot_no_color("detail_scrolled_no_color", open_scrolled_detail);
}

#[test]
fn decision_dialog() {
    snapshot("decision", |app| {
        press(app, [key(KeyCode::Tab), ch('a'), key(KeyCode::Tab)]);
        press(app, "lgtm".chars().map(ch));
    });
}

#[test]
fn start_dialog() {
    snapshot("start", |app| {
        load_start_form(app);
        press(app, [key(KeyCode::Tab)]);
    });
}

/// The start form on a production backend, at its confirm button with the request shown.
#[test]
fn start_dialog_with_preview_on_production() {
    snapshot("start_preview", |app| {
        *app = production_app();
        load_start_form(app);
        press(app, [key(KeyCode::Tab)]);
        press(app, "1.4.2".chars().map(ch));
        let effects = press(app, [key(KeyCode::BackTab), key(KeyCode::BackTab)]);
        let request = effects
            .iter()
            .find_map(|e| match e {
                flightdeck::app::Effect::Send {
                    command: flightdeck::service::Command::Preview { request, .. },
                    ..
                } => Some(request.clone()),
                _ => None,
            })
            .expect("reaching [Start] asks for a preview");
        let Some(flightdeck::app::Dialog::Start(d)) = &app.dialog else {
            panic!()
        };
        let preview = flightdeck::domain::RequestPreview {
            method: "POST".into(),
            url: "https://app.harness.io/gateway/pipeline/api/pipeline/execute/deploy_api?accountIdentifier=acc&orgIdentifier=default&projectIdentifier=payments&moduleType=cd".into(),
            headers: vec![("x-api-key".into(), "***".into()), ("Content-Type".into(), "application/yaml".into())],
            body: "pipeline:\n  identifier: deploy_api\n  variables:\n    - name: tag\n      type: String\n      value: 1.4.2\n".into(),
        };
        let epoch = d.epoch;
        app.update(
            Msg::Reply(flightdeck::service::Reply {
                backend: BACKEND.into(),
                epoch,
                elapsed: std::time::Duration::ZERO,
                payload: Payload::Preview {
                    request,
                    result: Ok(Box::new(preview)),
                },
            }),
            t0(),
        );
    });
}

fn production_app() -> App {
    let mut app = App::new(flightdeck::app::Settings {
        backends: vec![flightdeck::app::BackendInfo {
            name: BACKEND.into(),
            kind: flightdeck::domain::BackendKind::Harness,
            production: true,
            read_only: false,
            insecure: false,
            identity: None,
        }],
        intervals: flightdeck::service::Intervals::default(),
        read_only: false,
        ..Default::default()
    });
    app.update(reply(Payload::Pipelines(Ok(pipelines()))), t0());
    app.update(reply(Payload::Executions(Ok(executions()))), t0());
    app.update(reply(Payload::Approvals(Ok(vec![]))), t0());
    app
}

fn load_start_form(app: &mut App) {
    press(app, [key(KeyCode::BackTab), ch('s')]);
    let Some(flightdeck::app::Dialog::Start(d)) = &app.dialog else {
        panic!("start dialog")
    };
    let epoch = d.epoch;
    let form = flightdeck::domain::StartForm {
        variables: vec![
            var("tag", flightdeck::domain::VarKind::Text, true, None),
            var(
                "replicas",
                flightdeck::domain::VarKind::Number,
                false,
                Some("3"),
            ),
            var(
                "region",
                flightdeck::domain::VarKind::Choice(vec!["eu-west-1".into(), "us-east-1".into()]),
                false,
                Some("eu-west-1"),
            ),
            var(
                "db_password",
                flightdeck::domain::VarKind::Secret,
                false,
                Some("hunter2"),
            ),
        ],
    };
    app.update(
        Msg::Reply(flightdeck::service::Reply {
            backend: BACKEND.into(),
            epoch,
            elapsed: std::time::Duration::ZERO,
            payload: Payload::StartForm {
                project: "payments".into(),
                pipeline_id: "deploy_api".into(),
                result: Ok(form),
            },
        }),
        t0(),
    );
}

fn var(
    name: &str,
    kind: flightdeck::domain::VarKind,
    required: bool,
    default: Option<&str>,
) -> flightdeck::domain::VariableSpec {
    flightdeck::domain::VariableSpec {
        name: name.into(),
        kind,
        required,
        default: default.map(Into::into),
        description: None,
    }
}

#[test]
fn help_overlay() {
    snapshot("help", |app| {
        press(app, [ch('?')]);
    });
}

#[test]
fn no_color_has_no_colour_and_still_shows_the_selection() {
    for (w, h) in SIZES {
        let mut app = loaded_app();
        app.update(Msg::Tick, at(30));
        let terminal = render(&app, w, h, Theme::new(ThemeName::Dark, Depth::None));
        let buffer = terminal.backend().buffer();
        for cell in buffer.content() {
            assert_eq!(cell.fg, Color::Reset, "no foreground colour under NO_COLOR");
            assert_eq!(cell.bg, Color::Reset, "no background colour under NO_COLOR");
        }
        // The selected row (first data row, under the border and header) is reversed and marked.
        let row_y = 3;
        assert_eq!(buffer[(1, row_y)].symbol(), "▶");
        assert!(buffer[(2, row_y)].modifier.contains(Modifier::REVERSED));
        insta::assert_snapshot!(format!("no_color_{w}x{h}"), terminal.backend());
    }
}

#[test]
fn hostile_server_text_never_reaches_the_terminal_raw() {
    let mut app = loaded_app();
    let mut list = executions();
    list[0].pipeline_name = "evil\u{1b}]52;c;cm0gLXJmIH4=\u{7}\u{1b}[2J\u{202e}name".into();
    list[0].triggered_by = "a\nb\tc\u{9b}31m".into();
    app.update(reply(Payload::Executions(Ok(list))), t0());
    let terminal = render(&app, 120, 40, Theme::new(ThemeName::Dark, Depth::Ansi16));
    for cell in terminal.backend().buffer().content() {
        assert!(
            !cell
                .symbol()
                .chars()
                .any(|c| c.is_control() || ('\u{202a}'..='\u{202e}').contains(&c)),
            "control character {:?} reached the buffer",
            cell.symbol()
        );
    }
}

fn many_gates(app: &mut App) {
    let gates: Vec<_> = (0..3)
        .map(|i| {
            let mut a = approval(&format!("gate-{i}"), &format!("exec-{i}"));
            a.created = Some(at(-900 + i));
            a.stage = ["Approve prod", "EU sign-off", "US sign-off"][i as usize].into();
            a
        })
        .collect();
    app.update(reply(Payload::Approvals(Ok(gates))), t0());
}

#[test]
fn batch_dialog() {
    snapshot("batch_confirm", |app| {
        many_gates(app);
        press(app, [key(KeyCode::Tab), ch('g'), ch(' '), ch('*'), ch('/')]);
        press(app, "eu".chars().map(ch));
        press(app, [key(KeyCode::Enter), ch('A'), key(KeyCode::Tab)]);
        press(app, "release 42".chars().map(ch));
    });
}

#[test]
fn batch_results() {
    snapshot("batch_results", |app| {
        many_gates(app);
        press(
            app,
            [
                key(KeyCode::Tab),
                ch('*'),
                ch('X'),
                key(KeyCode::Tab),
                key(KeyCode::Tab),
            ],
        );
        press(app, "yes".chars().map(ch));
        press(app, [key(KeyCode::Tab), key(KeyCode::Enter)]);
        let Some(flightdeck::app::Dialog::Batch(b)) = &app.dialog else {
            panic!("batch")
        };
        let epoch = b.epoch;
        let gate = b.gates[1].0.clone();
        app.update(
            Msg::Reply(flightdeck::service::Reply {
                backend: BACKEND.into(),
                epoch,
                elapsed: std::time::Duration::ZERO,
                payload: Payload::Decided {
                    approval: Box::new(gate),
                    decision: flightdeck::domain::Decision {
                        action: flightdeck::domain::DecisionAction::Reject,
                        comment: String::new(),
                        inputs: vec![],
                    },
                    result: Err(flightdeck::domain::BackendError::NotAuthorized("no".into())),
                    request_id: None,
                },
            }),
            t0(),
        );
    });
}

#[test]
fn bulk_start_dialog() {
    snapshot("bulk_start", |app| {
        press(
            app,
            [key(KeyCode::BackTab), ch('g'), ch(' '), ch(' '), ch('s')],
        );
        let Some(flightdeck::app::Dialog::BulkStart(d)) = &app.dialog else {
            panic!("bulk start")
        };
        let epoch = d.epoch;
        let targets: Vec<(String, String)> = d
            .pipelines
            .iter()
            .map(|p| (p.project.clone(), p.id.clone()))
            .collect();
        for (project, pipeline_id) in targets {
            let form = flightdeck::domain::StartForm {
                variables: vec![var(
                    "image_tag",
                    flightdeck::domain::VarKind::Text,
                    true,
                    None,
                )],
            };
            app.update(
                Msg::Reply(flightdeck::service::Reply {
                    backend: BACKEND.into(),
                    epoch,
                    elapsed: std::time::Duration::ZERO,
                    payload: Payload::StartForm {
                        project,
                        pipeline_id,
                        result: Ok(form),
                    },
                }),
                t0(),
            );
        }
        press(app, [key(KeyCode::Tab)]);
        press(app, "2026.11.22".chars().map(ch));
    });
}

/// The fixture app with the `[keys]` and `[filter.NAME]` of `toml` in force.
fn configure(app: &mut App, toml: &str) {
    let config = flightdeck::config::Config::from_toml_str(toml, "test.toml").unwrap();
    app.keymap = config.keys;
    app.saved_filters = config.filters;
}

const SAVED: &str = r#"
[filter.prod-gates]
query = "env:prod status:waiting"
pane = "approvals"
"#;

fn open_palette(app: &mut App) {
    configure(app, SAVED);
    press(app, [ch(':')]);
    press(app, "ap".chars().map(ch));
}

#[test]
fn command_palette() {
    snapshot("palette", open_palette);
}

#[test]
fn command_palette_without_colour() {
    snapshot_no_color("palette_no_color", open_palette);
    let terminal = drawn(
        80,
        24,
        Theme::new(ThemeName::Dark, Depth::None),
        &open_palette,
    );
    let buffer = terminal.backend().buffer();
    // The choice is marked and reversed; matched letters are underlined.
    let row = (0..24)
        .find(|y| buffer[(5, *y)].symbol() == "▶")
        .expect("a marked choice");
    assert!(buffer[(7, row)].modifier.contains(Modifier::REVERSED));
    assert!(buffer[(7, row)].modifier.contains(Modifier::UNDERLINED));
}

fn production_gates(app: &mut App) {
    *app = production_app();
    app.update(
        reply(Payload::Approvals(Ok(vec![approval(
            "gate-1",
            "exec-waiting",
        )]))),
        t0(),
    );
    press(app, [key(KeyCode::Tab)]);
}

#[test]
fn production_backend_is_loud() {
    snapshot("production", production_gates);
}

#[test]
fn production_backend_is_loud_without_colour() {
    snapshot_no_color("production_no_color", production_gates);
    let terminal = drawn(
        80,
        24,
        Theme::new(ThemeName::Dark, Depth::None),
        &production_gates,
    );
    let buffer = terminal.backend().buffer();
    let title: String = (0..80).map(|x| buffer[(x, 1)].symbol()).collect();
    let at = title.find("PRODUCTION").expect("a production title");
    let x = title[..at].chars().count() as u16;
    assert!(buffer[(x, 1)].modifier.contains(Modifier::REVERSED));
    assert_eq!(buffer[(0, 1)].symbol(), "╔", "a double border");
}

fn text_of(terminal: &Terminal<TestBackend>) -> Vec<String> {
    let buffer = terminal.backend().buffer();
    let area = buffer.area;
    (0..area.height)
        .map(|y| (0..area.width).map(|x| buffer[(x, y)].symbol()).collect())
        .collect()
}

#[test]
fn remapped_keys_show_in_the_footer_help_and_palette() {
    let theme = Theme::new(ThemeName::Dark, Depth::Ansi16);
    let remap = |app: &mut App| {
        configure(app, "[keys]\napprove = \"c\"\npalette = \"C-p\"\n");
        press(app, [key(KeyCode::Tab)]);
    };
    let lines = text_of(&drawn(120, 40, theme, &remap));
    let footer = &lines[39];
    assert!(
        footer.contains("c approve") && !footer.contains("a approve"),
        "{footer}"
    );
    assert!(footer.contains("C-p commands"), "{footer}");

    let help = text_of(&drawn(120, 40, theme, &|app: &mut App| {
        remap(app);
        press(app, [ch('?')]);
    }));
    assert!(help.iter().any(|l| l.contains("c  approve gate")));
    assert!(help.iter().any(|l| l.contains("C-p  command palette")));
}

/// A dialog key rebound in `[keys.dialog]` acts in the dialog, and help says so.
#[test]
fn a_rebound_dialog_key_works_and_help_shows_it() {
    let theme = Theme::new(ThemeName::Dark, Depth::Ansi16);
    let remap = |app: &mut App| {
        configure(
            app,
            "[keys.dialog]\nfocus_next = \"ctrl-j\"\ncancel = \"ctrl-g\"\n",
        );
    };
    let help = text_of(&drawn(120, 40, theme, &|app: &mut App| {
        remap(app);
        press(app, [ch('?')]);
    }));
    assert!(
        help.iter()
            .any(|l| l.contains("in dialogs: C-j moves · Enter on a button · C-g cancels")),
        "{help:#?}"
    );
    let dialog = text_of(&drawn(120, 40, theme, &|app: &mut App| {
        remap(app);
        press(app, [key(KeyCode::Tab), ch('a')]);
        // Tab no longer moves (it is typed, and a comment field ignores it); C-j does.
        let ctrl_j = Msg::Key(crossterm::event::KeyEvent::new(
            KeyCode::Char('j'),
            crossterm::event::KeyModifiers::CONTROL,
        ));
        press(app, [key(KeyCode::Esc), ctrl_j]);
        press(app, "ok".chars().map(ch));
    }));
    assert!(
        dialog.iter().any(|l| l.contains("comment: ok")),
        "Esc does not cancel any more and C-j moved to the comment: {dialog:#?}"
    );
    assert!(
        dialog
            .iter()
            .any(|l| l.contains("C-j move · Enter on a button · C-g cancel")),
        "the line beside the buttons names the keys as bound: {dialog:#?}"
    );
}

#[test]
fn the_data_age_stays_in_view_at_80_columns() {
    let theme = Theme::new(ThemeName::Dark, Depth::Ansi16);
    let crowded = |app: &mut App| {
        let info = |name: &str| flightdeck::app::BackendInfo {
            name: name.into(),
            kind: flightdeck::domain::BackendKind::Harness,
            production: false,
            read_only: false,
            insecure: false,
            identity: None,
        };
        *app = App::new(flightdeck::app::Settings {
            backends: vec![
                info("payments-prod"),
                info("checkout-staging"),
                info(BACKEND),
            ],
            intervals: flightdeck::service::Intervals::default(),
            read_only: false,
            ..Default::default()
        });
        for name in ["payments-prod", "checkout-staging", BACKEND] {
            for payload in [
                Payload::Pipelines(Ok(vec![])),
                Payload::Executions(Ok(executions())),
                Payload::Approvals(Ok(vec![])),
            ] {
                app.update(
                    Msg::Reply(flightdeck::service::Reply {
                        backend: name.into(),
                        epoch: 0,
                        elapsed: std::time::Duration::ZERO,
                        payload,
                    }),
                    t0(),
                );
            }
        }
    };
    let lines = text_of(&drawn(80, 24, theme, &crowded));
    assert_eq!(
        lines[22],
        "● payments-prod ok  ● checkout-staging ok  ● payments ok         updated 30s ago"
    );
    // A flash takes the line; the age stays.
    let lines = text_of(&drawn(80, 24, theme, &|app: &mut App| {
        crowded(app);
        // Pressed just before the frame, so the flash is still showing.
        app.update(ch('f'), at(28));
    }));
    assert!(
        lines[22].starts_with("updates frozen (f to resume)"),
        "{}",
        lines[22]
    );
    assert!(
        lines[22].ends_with("frozen · updated 30s ago"),
        "{}",
        lines[22]
    );
}

#[test]
fn the_status_bar_says_when_a_backend_holds_back_and_why() {
    let theme = Theme::new(ThemeName::Dark, Depth::Ansi16);
    let pace = |why: Option<&str>| {
        Msg::Reply(flightdeck::service::Reply {
            backend: BACKEND.into(),
            epoch: 0,
            elapsed: std::time::Duration::ZERO,
            payload: Payload::Pace(why.map(str::to_owned)),
        })
    };
    let why = "after a 429, 50/min of 100";
    let lines = text_of(&drawn(120, 40, theme, &|app: &mut App| {
        app.update(pace(Some(why)), at(20));
    }));
    assert!(
        lines[38].starts_with(&format!(
            "● payments ok holding back · 30s ago  payments holding back {why}"
        )),
        "{}",
        lines[38]
    );
    assert!(lines[38].ends_with("updated 30s ago"), "{}", lines[38]);
    // Back to its budget: the words go.
    let lines = text_of(&drawn(120, 40, theme, &|app: &mut App| {
        app.update(pace(Some(why)), at(20));
        app.update(pace(None), at(25));
    }));
    assert!(!lines[38].contains("holding back"), "{}", lines[38]);
}

#[test]
fn followed_executions_are_flagged() {
    let theme = Theme::new(ThemeName::Dark, Depth::Ansi16);
    let lines = text_of(&drawn(80, 24, theme, &|app: &mut App| {
        press(app, [ch('w')]);
    }));
    assert!(lines[3].contains("⚑ Build"), "{}", lines[3]);
    assert!(!lines[4].contains('⚑'), "{}", lines[4]);
}

/// The log view with a step column, a search hit, a paused position and server text full
/// of escape sequences, bidi overrides and wide characters.
fn log_view(app: &mut App) {
    // An Argo workflow's log: lines with neither time nor level.
    app.backends[0].kind = flightdeck::domain::BackendKind::Argo;
    press(app, [ch('l')]);
    let epoch = app.logs.as_ref().unwrap().epoch;
    let mut lines: Vec<LogLine> = (0..60)
        .map(|i| LogLine {
            source: ["build", "unit-tests", "a-very-long-step-name-indeed"][i % 3].into(),
            text: format!("step output line {i}"),
            ..LogLine::default()
        })
        .collect();
    lines[40].text =
        "\u{1b}[2J\u{1b}]52;c;cm0gLXJmIH4=\u{7}evil \u{202e}txet\u{202c} 漢字 ok".into();
    lines[41].text = "x".repeat(500);
    app.update(reply_to(epoch, Payload::LogLines(lines)), t0());
    press(app, [ch('/')]);
    press(app, "EVIL".chars().map(ch));
    press(app, [key(KeyCode::Enter)]);
}

#[test]
fn logs_view() {
    snapshot("logs", log_view);
    snapshot_in(
        "logs_no_color",
        Theme::new(ThemeName::Dark, Depth::None),
        log_view,
    );
}

/// The log view of a Harness NextGen execution, as the log-service client hands it over:
/// one source per command unit of a deployment step, levels and times on every line, the
/// writer's colour codes already gone (and any left would be dropped when drawn).
fn harness_log_view(app: &mut App) {
    press(app, [ch('l')]);
    let epoch = app.logs.as_ref().unwrap().epoch;
    let line = |source: &str, level: &str, text: &str| LogLine {
        source: source.into(),
        text: text.into(),
        time: Some("2026-03-02T09:31:00.079Z".parse().unwrap()),
        level: Some(level.into()),
    };
    let lines = vec![
        line("Checkout", "INFO", "Executing command ..."),
        line("Checkout", "INFO", "+ ./scripts/checkout.sh"),
        line(
            "Checkout",
            "WARN",
            "retrying connection to the metrics endpoint (1/3)",
        ),
        line("Checkout", "INFO", "Command completed with exit code 0"),
        line("Rolling deployment · Initialize", "INFO", "Initializing.."),
        line(
            "Rolling deployment · Initialize",
            "INFO",
            "Release Name: [payments_api_deploy-7]",
        ),
        line(
            "Rolling deployment · Apply",
            "INFO",
            "deployment.apps/payments_api_deploy configured",
        ),
        line(
            "Rolling deployment · Wait for Steady State",
            "WARN",
            "Status : payments_api_deploy   pod payments_api_deploy-7d9f8 is not ready yet",
        ),
        line(
            "Smoke test",
            "ERROR",
            "Smoke test failed: GET /healthz returned 503 \u{1b}[0m",
        ),
    ];
    app.update(reply_to(epoch, Payload::LogLines(lines)), t0());
    app.update(reply_to(epoch, Payload::LogEnded(Ok(()))), t0());
}

#[test]
fn logs_view_of_a_harness_execution() {
    snapshot("logs_harness", harness_log_view);
    snapshot_no_color("logs_harness_no_color", harness_log_view);
    // WARN and ERROR lines take the theme's styles; the step column stays dim.
    let theme = Theme::new(ThemeName::Dark, Depth::Ansi16);
    let terminal = drawn(80, 24, theme, &harness_log_view);
    let buffer = terminal.backend().buffer();
    let row_of = |needle: &str| {
        (0..buffer.area.height)
            .find(|y| {
                (0..buffer.area.width)
                    .map(|x| buffer[(x, *y)].symbol())
                    .collect::<String>()
                    .contains(needle)
            })
            .unwrap_or_else(|| panic!("{needle} drawn"))
    };
    let fg_at = |needle: &str, col: u16| buffer[(col, row_of(needle))].fg;
    let text_col = 1 + 19 + 1;
    assert_eq!(
        fg_at("retrying connection", text_col),
        theme.warn().fg.unwrap_or(Color::Reset)
    );
    assert_eq!(
        fg_at("Smoke test failed", text_col),
        theme
            .status(flightdeck::domain::ExecStatus::Failed)
            .fg
            .unwrap_or(Color::Reset)
    );
    assert_eq!(fg_at("Initializing", text_col), Color::Reset);
}
