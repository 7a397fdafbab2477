//! The on-call inbox: Approvals ordered by urgency, sorting any list by a column (`o`, `O`),
//! and the mouse as messages (`Msg::Pointer`), through the real `App::update` path; plus
//! the input layer turning a click where a real frame drew something into that message.

use crate::common;

use common::*;
use crossterm::event::{Event, KeyCode, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use flightdeck::app::{
    App, BackendInfo, Dialog, Drawn, Effect, Focus, Msg, Pane, Pointer, View, WHEEL_ROWS,
};
use flightdeck::config::Theme as ThemeName;
use flightdeck::domain::*;
use flightdeck::service::{Command, Payload, Reply};
use flightdeck::tui::Input;
use flightdeck::ui::depth::Depth;
use flightdeck::ui::{self, Hits, Theme};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::{Color, Modifier};

/// The production backend beside the fixture's `payments`.
pub const PROD: &str = "prod-eu";

fn gate(backend: &str, id: &str, created: i64, deadline: Option<i64>) -> Approval {
    let mut a = approval(id, "exec-waiting");
    a.backend = backend.into();
    a.created = Some(at(created));
    a.deadline = deadline.map(at);
    a
}

/// Gates on two backends, one of them `production = true`, listed in no useful order: one
/// due in under five minutes (at the screen's time, 30 s after t0), one in twenty, one
/// tomorrow, and two without a deadline.
pub fn inbox_app() -> App {
    let mut app = loaded_app_with(|s| {
        s.backends.push(BackendInfo {
            name: PROD.into(),
            kind: BackendKind::Argo,
            production: true,
            read_only: false,
            insecure: false,
            identity: None,
        })
    });
    let mut tomorrow = gate(BACKEND, "gate-1", -240, Some(86_160));
    tomorrow.pipeline_name = "Deploy API".into();
    let mut undated = gate(BACKEND, "gate-undated", -900, None);
    undated.pipeline_name = "Nightly data warehouse schema migration".into();
    undated.environment = None;
    let mut urgent = gate(BACKEND, "gate-urgent", -60, Some(230));
    urgent.pipeline_name = "Hotfix checkout".into();
    urgent.environment = Some("staging".into());
    let mut prod = gate(PROD, "gate-prod", -120, Some(1_230));
    prod.pipeline_name = "Kubernetes cluster upgrade".into();
    prod.stage = "release".into();
    prod.step = "approval".into();
    prod.environment = Some("production".into());
    let mut prod_undated = gate(PROD, "gate-prod-undated", -30, None);
    prod_undated.pipeline_name = "Legacy Billing export".into();
    prod_undated.environment = None;
    app.update(
        reply(Payload::Approvals(Ok(vec![tomorrow, undated, urgent]))),
        t0(),
    );
    let from_prod = |payload| {
        Msg::Reply(Reply {
            backend: PROD.into(),
            epoch: 0,
            elapsed: std::time::Duration::from_millis(20),
            payload,
        })
    };
    app.update(from_prod(Payload::Pipelines(Ok(Vec::new()))), t0());
    app.update(from_prod(Payload::Executions(Ok(Vec::new()))), t0());
    app.update(
        from_prod(Payload::Approvals(Ok(vec![prod_undated, prod]))),
        t0(),
    );
    press(&mut app, [key(KeyCode::Tab)]);
    assert_eq!(app.pane, Pane::Approvals);
    app
}

fn gate_ids(app: &App) -> Vec<String> {
    app.item_keys(Pane::Approvals)
        .into_iter()
        .map(|k| k.id.to_string())
        .collect()
}

fn ids(app: &App, pane: Pane) -> Vec<String> {
    app.item_keys(pane)
        .into_iter()
        .map(|k| k.id.to_string())
        .collect()
}

#[test]
fn approvals_come_soonest_deadline_first_then_undated_oldest_first() {
    let app = inbox_app();
    assert_eq!(
        gate_ids(&app),
        [
            "gate-urgent",
            "gate-prod",
            "gate-1",
            "gate-undated",
            "gate-prod-undated"
        ]
    );
    assert_eq!(app.sort_label(Pane::Approvals), None, "the default order");
    // The cursor rests on the first row: the most urgent gate.
    assert_eq!(app.selected_approval().unwrap().id, "gate-urgent");
}

#[test]
fn o_cycles_the_sort_column_and_back_to_the_default_and_o_reverses() {
    let mut app = inbox_app();
    press(&mut app, [ch('o')]);
    assert_eq!(
        app.sort_label(Pane::Approvals).as_deref(),
        Some("sort: waiting")
    );
    // Longest waiting first.
    assert_eq!(
        gate_ids(&app),
        [
            "gate-undated",
            "gate-1",
            "gate-prod",
            "gate-urgent",
            "gate-prod-undated"
        ]
    );
    press(&mut app, [ch('O')]);
    assert_eq!(
        app.sort_label(Pane::Approvals).as_deref(),
        Some("sort: waiting reversed")
    );
    assert_eq!(
        gate_ids(&app),
        [
            "gate-prod-undated",
            "gate-urgent",
            "gate-prod",
            "gate-1",
            "gate-undated"
        ]
    );
    // By pipeline name, case aside; a new column starts unreversed.
    press(&mut app, [ch('o')]);
    assert_eq!(
        app.sort_label(Pane::Approvals).as_deref(),
        Some("sort: pipeline")
    );
    assert_eq!(
        gate_ids(&app),
        [
            "gate-1",
            "gate-urgent",
            "gate-prod",
            "gate-prod-undated",
            "gate-undated"
        ]
    );
    // Backend: ties keep the default (deadline) order.
    press(&mut app, [ch('o'), ch('o')]);
    assert_eq!(
        app.sort_label(Pane::Approvals).as_deref(),
        Some("sort: backend")
    );
    assert_eq!(
        gate_ids(&app),
        [
            "gate-urgent",
            "gate-1",
            "gate-undated",
            "gate-prod",
            "gate-prod-undated"
        ]
    );
    // Environment: named ones first, by name.
    press(&mut app, [ch('o')]);
    assert_eq!(
        app.sort_label(Pane::Approvals).as_deref(),
        Some("sort: env")
    );
    assert_eq!(
        gate_ids(&app),
        [
            "gate-1",
            "gate-prod",
            "gate-urgent",
            "gate-undated",
            "gate-prod-undated"
        ]
    );
    // Project, started by, then the default again.
    press(&mut app, [ch('o'), ch('o'), ch('o')]);
    assert_eq!(app.sort_label(Pane::Approvals), None);
    assert_eq!(gate_ids(&app)[0], "gate-urgent");
    // The default reversed: no deadline first, the most urgent last.
    press(&mut app, [ch('O')]);
    assert_eq!(
        app.sort_label(Pane::Approvals).as_deref(),
        Some("sort: deadline reversed")
    );
    assert_eq!(gate_ids(&app).last().unwrap(), "gate-urgent");
}

#[test]
fn the_cursor_stays_on_its_gate_when_the_sort_moves_it() {
    let mut app = inbox_app();
    press(&mut app, [ch('j'), ch('j')]);
    assert_eq!(app.selected_approval().unwrap().id, "gate-1");
    press(&mut app, [ch('o')]);
    assert_eq!(app.selected_approval().unwrap().id, "gate-1");
    assert_eq!(app.selected_index(Pane::Approvals), Some(1));
    // And when fresh rows arrive under a sort.
    let mut fresh = gate(BACKEND, "gate-new", -2_000, None);
    fresh.pipeline_name = "Zeta".into();
    let mut list = vec![fresh];
    list.extend(
        app.approvals
            .iter()
            .filter(|a| &*a.backend == BACKEND)
            .cloned(),
    );
    app.update(reply(Payload::Approvals(Ok(list))), at(5));
    assert_eq!(app.selected_approval().unwrap().id, "gate-1");
    assert_eq!(gate_ids(&app)[0], "gate-new", "the longest waiting on top");
}

#[test]
fn the_same_sort_keys_act_on_executions_and_pipelines_each_on_its_own() {
    let mut app = loaded_app();
    assert_eq!(app.pane, Pane::Executions);
    assert_eq!(
        ids(&app, Pane::Executions),
        ["exec-running", "exec-waiting", "exec-failed", "exec-ok"]
    );
    press(&mut app, [ch('o')]);
    assert_eq!(
        app.sort_label(Pane::Executions).as_deref(),
        Some("sort: status")
    );
    // What asks for a person first: waiting, failed, running, then success.
    assert_eq!(
        ids(&app, Pane::Executions),
        ["exec-waiting", "exec-failed", "exec-running", "exec-ok"]
    );
    press(&mut app, [ch('O')]);
    assert_eq!(
        ids(&app, Pane::Executions),
        ["exec-ok", "exec-running", "exec-failed", "exec-waiting"]
    );

    press(&mut app, [key(KeyCode::BackTab)]);
    assert_eq!(app.pane, Pane::Pipelines);
    assert_eq!(app.sort_label(Pane::Pipelines), None, "sorts are per pane");
    press(&mut app, [ch('o')]);
    assert_eq!(
        app.sort_label(Pane::Pipelines).as_deref(),
        Some("sort: pipeline")
    );
    assert_eq!(
        ids(&app, Pane::Pipelines),
        ["build", "deploy_api", "deploy_web", "rotate_certs"]
    );
    // Last run: waiting, failed, success, then never run (as far as is known).
    press(&mut app, [ch('o'), ch('o')]);
    assert_eq!(
        app.sort_label(Pane::Pipelines).as_deref(),
        Some("sort: last run")
    );
    assert_eq!(
        ids(&app, Pane::Pipelines),
        ["deploy_api", "deploy_web", "build", "rotate_certs"]
    );
    // Executions kept their own sort.
    assert_eq!(
        app.sort_label(Pane::Executions).as_deref(),
        Some("sort: status reversed")
    );
}

#[test]
fn a_sort_applies_to_the_rows_the_filter_leaves() {
    let mut app = inbox_app();
    press(&mut app, [ch('/')]);
    press(&mut app, "backend:payments".chars().map(ch));
    press(&mut app, [key(KeyCode::Enter), ch('o')]);
    assert_eq!(gate_ids(&app), ["gate-undated", "gate-1", "gate-urgent"]);
}

#[test]
fn the_audit_pane_has_one_order_and_says_so() {
    let mut app = loaded_app();
    press(&mut app, [key(KeyCode::BackTab), key(KeyCode::BackTab)]);
    assert_eq!(app.pane, Pane::Audit);
    press(&mut app, [ch('o')]);
    assert_eq!(app.sort_label(Pane::Audit), None);
    assert_eq!(
        app.visible_flash().unwrap().text,
        "the audit log is shown newest first"
    );
}

fn pointer(app: &mut App, p: Pointer) -> Vec<Effect> {
    app.update(Msg::Pointer(p), t0())
}

fn decisions(effects: &[Effect]) -> usize {
    effects
        .iter()
        .filter(|e| {
            matches!(
                e,
                Effect::Send {
                    command: Command::Decide { .. },
                    ..
                }
            )
        })
        .count()
}

#[test]
fn a_click_selects_a_row_and_a_double_click_opens_it() {
    let mut app = inbox_app();
    pointer(
        &mut app,
        Pointer::Select {
            pane: Pane::Approvals,
            row: 3,
        },
    );
    assert_eq!(app.selected_approval().unwrap().id, "gate-undated");
    assert_eq!(app.view, View::List);
    // A row of another pane (from a frame drawn before a pane switch) selects nothing.
    pointer(
        &mut app,
        Pointer::Select {
            pane: Pane::Executions,
            row: 2,
        },
    );
    assert_eq!(app.selected_approval().unwrap().id, "gate-undated");
    assert_eq!(app.selected_index(Pane::Executions), Some(0));
    // Past the last row: nothing moves.
    pointer(
        &mut app,
        Pointer::Open {
            pane: Pane::Approvals,
            row: 40,
        },
    );
    assert_eq!(app.view, View::List);
    pointer(
        &mut app,
        Pointer::Open {
            pane: Pane::Approvals,
            row: 1,
        },
    );
    assert_eq!(app.selected_approval().unwrap().id, "gate-prod");
    assert_eq!(app.view, View::Detail, "opened as Enter opens it");
}

#[test]
fn the_wheel_moves_the_selection_and_scrolls_the_detail() {
    let mut app = inbox_app();
    pointer(&mut app, Pointer::Scroll(WHEEL_ROWS));
    assert_eq!(app.selected_index(Pane::Approvals), Some(3));
    pointer(&mut app, Pointer::Scroll(WHEEL_ROWS));
    assert_eq!(app.selected_index(Pane::Approvals), Some(4), "clamped");
    pointer(&mut app, Pointer::Scroll(-WHEEL_ROWS));
    assert_eq!(app.selected_index(Pane::Approvals), Some(1));

    press(&mut app, [key(KeyCode::Enter)]);
    assert_eq!(app.view, View::Detail);
    app.update(
        Msg::Drawn(Drawn {
            detail_bottom: Some(10),
            ..Drawn::default()
        }),
        t0(),
    );
    pointer(&mut app, Pointer::Scroll(WHEEL_ROWS));
    assert_eq!(app.detail_scroll, 3);
    assert_eq!(
        app.selected_index(Pane::Approvals),
        Some(1),
        "the detail scrolls, the cursor stays"
    );
}

#[test]
fn the_wheel_scrolls_the_help_and_the_backends_view() {
    let mut app = inbox_app();
    press(&mut app, [ch('?')]);
    pointer(&mut app, Pointer::Scroll(WHEEL_ROWS));
    pointer(&mut app, Pointer::Scroll(WHEEL_ROWS));
    pointer(&mut app, Pointer::Scroll(-WHEEL_ROWS));
    assert!(matches!(app.dialog, Some(Dialog::Help { scroll: 3, .. })));
    press(&mut app, [key(KeyCode::Esc), ch('b')]);
    pointer(&mut app, Pointer::Scroll(-WHEEL_ROWS));
    pointer(&mut app, Pointer::Scroll(WHEEL_ROWS));
    assert!(matches!(app.dialog, Some(Dialog::Backends { scroll: 3 })));
    assert_eq!(
        app.selected_index(Pane::Approvals),
        Some(0),
        "the list under it stays"
    );
}

#[test]
fn a_click_on_a_tab_switches_pane_but_not_under_a_dialog() {
    let mut app = inbox_app();
    pointer(&mut app, Pointer::Tab(Pane::Pipelines));
    assert_eq!(app.pane, Pane::Pipelines);
    pointer(&mut app, Pointer::Tab(Pane::Approvals));
    press(&mut app, [ch('a')]);
    assert!(matches!(app.dialog, Some(Dialog::Decision(_))));
    pointer(&mut app, Pointer::Tab(Pane::Audit));
    pointer(
        &mut app,
        Pointer::Select {
            pane: Pane::Approvals,
            row: 2,
        },
    );
    assert_eq!(app.pane, Pane::Approvals, "the dialog keeps the clicks");
    assert_eq!(app.selected_approval().unwrap().id, "gate-urgent");
    assert!(app.dialog.is_some());
}

#[test]
fn a_click_on_a_button_focuses_it_and_never_presses_it() {
    let mut app = loaded_app();
    press(&mut app, [key(KeyCode::Tab), ch('a')]);
    let focus = |app: &App| match &app.dialog {
        Some(Dialog::Decision(d)) => d.form.focus,
        other => panic!("no decision dialog: {other:?}"),
    };
    assert_eq!(focus(&app), Focus::Cancel);
    // From a field too: type in the comment first.
    press(&mut app, [key(KeyCode::Tab)]);
    assert_eq!(focus(&app), Focus::Field(0));
    let effects = pointer(&mut app, Pointer::Button(Focus::Confirm));
    assert_eq!(focus(&app), Focus::Confirm);
    assert_eq!(decisions(&effects), 0, "a click sends nothing");
    let effects = pointer(&mut app, Pointer::Button(Focus::Confirm));
    assert_eq!(decisions(&effects), 0, "nor does a second click");
    assert!(app.dialog.is_some());
    pointer(&mut app, Pointer::Button(Focus::Cancel));
    assert_eq!(focus(&app), Focus::Cancel);
    assert!(app.dialog.is_some(), "Cancel focused, not pressed");
    pointer(&mut app, Pointer::Button(Focus::Confirm));
    // Enter presses the focused button: one decision.
    let effects = press(&mut app, [key(KeyCode::Enter)]);
    assert_eq!(decisions(&effects), 1);
}

#[test]
fn clicking_start_asks_for_the_request_preview_as_tab_does() {
    let mut app = loaded_app();
    press(&mut app, [key(KeyCode::BackTab), ch('s')]);
    let epoch = match &app.dialog {
        Some(Dialog::Start(d)) => d.epoch,
        other => panic!("no start dialog: {other:?}"),
    };
    app.update(
        reply_to(
            epoch,
            Payload::StartForm {
                project: "payments".into(),
                pipeline_id: "build".into(),
                result: Ok(StartForm {
                    variables: Vec::new(),
                }),
            },
        ),
        t0(),
    );
    let effects = pointer(&mut app, Pointer::Button(Focus::Confirm));
    assert!(
        effects.iter().any(|e| matches!(
            e,
            Effect::Send {
                command: Command::Preview { .. },
                ..
            }
        )),
        "{effects:?}"
    );
    assert!(
        !effects.iter().any(|e| matches!(
            e,
            Effect::Send {
                command: Command::Start { .. },
                ..
            }
        )),
        "nothing started"
    );
}

#[test]
fn the_wheel_scrolls_the_log_view() {
    let mut app = loaded_app_with(|s| s.backends[0].kind = BackendKind::Argo);
    press(&mut app, [ch('l')]);
    assert_eq!(app.view, View::Logs);
    let epoch = app.logs.as_ref().unwrap().epoch;
    let lines = (0..100)
        .map(|i| LogLine {
            source: "build".into(),
            text: format!("line {i}"),
            ..LogLine::default()
        })
        .collect();
    app.update(reply_to(epoch, Payload::LogLines(lines)), t0());
    let height = app.page;
    assert_eq!(
        app.logs.as_ref().unwrap().first_visible(height),
        100 - height
    );
    pointer(&mut app, Pointer::Scroll(-WHEEL_ROWS));
    let view = app.logs.as_ref().unwrap();
    assert!(!view.follow, "scrolling up pauses, as the keys do");
    assert_eq!(view.first_visible(height), 100 - height - 3);
    assert_eq!(app.view, View::Logs);
}

fn render(app: &App, w: u16, h: u16) -> (Terminal<TestBackend>, Hits) {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    let mut hits = Hits::default();
    terminal
        .draw(|f| {
            hits = ui::draw_with_hits(f, app, &Theme::new(ThemeName::Dark, Depth::Ansi16)).1;
        })
        .unwrap();
    (terminal, hits)
}

fn click(x: u16, y: u16) -> Event {
    Event::Mouse(MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column: x,
        row: y,
        modifiers: KeyModifiers::NONE,
    })
}

/// Where `text` is on the screen: column and line.
fn find(terminal: &Terminal<TestBackend>, text: &str) -> (u16, u16) {
    let buffer = terminal.backend().buffer();
    for y in 0..buffer.area.height {
        let line: String = (0..buffer.area.width)
            .map(|x| buffer[(x, y)].symbol().to_string())
            .collect();
        if let Some(i) = line.find(text) {
            return (line[..i].chars().count() as u16, y);
        }
    }
    panic!("{text:?} is not on the screen");
}

#[test]
fn a_click_where_the_frame_drew_a_row_or_a_tab_reaches_that_item() {
    let mut app = inbox_app();
    app.update(Msg::Tick, at(30));
    let mut input = Input::default();
    let now = std::time::Instant::now();
    for (w, h) in [(80, 24), (120, 40)] {
        let (terminal, hits) = render(&app, w, h);
        let (x, y) = find(&terminal, "Legacy Bil");
        let msg = input.translate(click(x, y), &hits, now).unwrap();
        app.update(msg, at(30));
        assert_eq!(app.selected_approval().unwrap().id, "gate-prod-undated");
        // Back to the first row for the next size.
        press(&mut app, [key(KeyCode::Home)]);
    }
    let (terminal, hits) = render(&app, 80, 24);
    let (x, y) = find(&terminal, "Pipelines 4");
    let msg = input.translate(click(x + 2, y), &hits, now).unwrap();
    app.update(msg, at(30));
    assert_eq!(app.pane, Pane::Pipelines);
}

#[test]
fn a_click_on_a_drawn_dialog_button_focuses_it() {
    let mut app = loaded_app();
    press(&mut app, [key(KeyCode::Tab), ch('a')]);
    let mut input = Input::default();
    let (terminal, hits) = render(&app, 80, 24);
    let (x, y) = find(&terminal, "[ Approve ]");
    let msg = input
        .translate(click(x + 3, y), &hits, std::time::Instant::now())
        .unwrap();
    let effects = app.update(msg, t0());
    assert_eq!(decisions(&effects), 0);
    match &app.dialog {
        Some(Dialog::Decision(d)) => assert_eq!(d.form.focus, Focus::Confirm),
        other => panic!("no decision dialog: {other:?}"),
    }
    let (terminal, _) = render(&app, 80, 24);
    find(&terminal, "▶[ Approve ]");
}

const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];

/// The inbox at the screen's time, 30 s after t0.
fn drawn_inbox(w: u16, h: u16, theme: Theme) -> Terminal<TestBackend> {
    let mut app = inbox_app();
    app.update(
        Msg::Resize {
            width: w,
            height: h,
        },
        t0(),
    );
    app.update(Msg::Tick, at(30));
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal
        .draw(|f| {
            ui::draw(f, &app, &theme);
        })
        .unwrap();
    terminal
}

/// The cells of the first `text` on screen.
fn cells_of<'a>(terminal: &'a Terminal<TestBackend>, text: &str) -> Vec<&'a ratatui::buffer::Cell> {
    let (x, y) = find(terminal, text);
    let buffer = terminal.backend().buffer();
    (x..x + text.chars().count() as u16)
        .map(|x| &buffer[(x, y)])
        .collect()
}

#[test]
fn urgent_deadlines_and_production_rows_are_marked_in_colour() {
    for (w, h) in SIZES {
        let terminal = drawn_inbox(w, h, Theme::new(ThemeName::Dark, Depth::Ansi16));
        insta::assert_snapshot!(format!("inbox_approvals_{w}x{h}"), terminal.backend());
        // The gate due in 3m20s: glyph and countdown in the failure colour, bold.
        for cell in cells_of(&terminal, "⚠ in 3m") {
            assert_eq!(cell.fg, Color::Red);
            assert!(cell.modifier.contains(Modifier::BOLD));
        }
        // Twenty minutes left is not urgent.
        for cell in cells_of(&terminal, "in 20m") {
            assert_eq!(cell.fg, Color::Reset);
        }
        // PROD on both production rows, loud.
        let screen = terminal.backend().to_string();
        assert_eq!(screen.matches("◆ PROD ").count(), 2, "{screen}");
        assert!(
            cells_of(&terminal, "PROD")[0]
                .modifier
                .contains(Modifier::REVERSED)
        );
    }
}

#[test]
fn urgent_deadlines_and_production_rows_are_marked_without_colour() {
    for (w, h) in SIZES {
        let terminal = drawn_inbox(w, h, Theme::new(ThemeName::Dark, Depth::None));
        for cell in terminal.backend().buffer().content() {
            assert_eq!((cell.fg, cell.bg), (Color::Reset, Color::Reset));
        }
        insta::assert_snapshot!(
            format!("inbox_approvals_no_color_{w}x{h}"),
            terminal.backend()
        );
        // The glyph carries the urgency; bold backs it.
        for cell in cells_of(&terminal, "⚠ in 3m") {
            assert!(cell.modifier.contains(Modifier::BOLD));
        }
        assert!(
            cells_of(&terminal, "PROD")[0]
                .modifier
                .contains(Modifier::REVERSED)
        );
    }
}

#[test]
fn the_sort_in_force_is_in_the_pane_title() {
    let mut app = inbox_app();
    press(&mut app, [ch('o'), ch('o'), ch('O')]);
    app.update(Msg::Tick, at(30));
    let (terminal, _) = render(&app, 80, 24);
    let title: String = terminal
        .backend()
        .to_string()
        .lines()
        .nth(1)
        .unwrap()
        .into();
    assert!(
        title.contains("Approvals  sort: pipeline reversed"),
        "{title}"
    );
}
