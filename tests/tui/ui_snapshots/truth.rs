//! What the screen says is true: data never read is unknown, never "none"; the detail opened
//! from a gate shows the gate; statuses read the same at every width; text that matters is
//! not cut away at 80x24.

use super::*;
use flightdeck::app::BackendInfo;
use flightdeck::domain::{BackendError, BackendKind};
use flightdeck::service::Reply;

fn info(name: &str, kind: BackendKind) -> BackendInfo {
    BackendInfo {
        name: name.into(),
        kind,
        production: false,
        read_only: false,
        insecure: false,
        identity: None,
    }
}

fn from(backend: &str, payload: Payload) -> Msg {
    Msg::Reply(Reply {
        backend: backend.into(),
        epoch: 0,
        elapsed: std::time::Duration::from_millis(20),
        payload,
    })
}

/// The refusal a wrong token gets, long enough that only a view of its own shows it all.
fn refused() -> BackendError {
    BackendError::Unauthenticated(
        "Unauthorized: the bearer token was refused by the Argo server (token has expired); \
         check the service account token and the namespace's RBAC"
            .into(),
    )
}

/// `payments` read as usual; `argo` refusing every read since the start; `argo-data`
/// with its pipelines read and its gates unreachable since.
fn failing_world(app: &mut App) {
    *app = App::new(flightdeck::app::Settings {
        backends: vec![
            info(BACKEND, BackendKind::Harness),
            info("argo", BackendKind::Argo),
            info("argo-data", BackendKind::Argo),
        ],
        ..Default::default()
    });
    app.update(reply(Payload::Pipelines(Ok(pipelines()))), t0());
    app.update(reply(Payload::Executions(Ok(executions()))), t0());
    app.update(
        reply(Payload::Approvals(Ok(vec![approval(
            "gate-1",
            "exec-waiting",
        )]))),
        t0(),
    );
    for payload in [
        Payload::Pipelines(Err(refused())),
        Payload::Executions(Err(refused())),
        Payload::Approvals(Err(refused())),
    ] {
        app.update(from("argo", payload), t0());
    }
    app.update(from("argo-data", Payload::Pipelines(Ok(vec![]))), t0());
    app.update(from("argo-data", Payload::Executions(Ok(vec![]))), t0());
    app.update(
        from(
            "argo-data",
            Payload::Approvals(Err(BackendError::Network(
                "connection refused (os error 111)".into(),
            ))),
        ),
        at(5),
    );
}

/// Every backend refusing the token from the start: nothing was ever read.
fn all_failing(app: &mut App) {
    *app = App::new(flightdeck::app::Settings {
        backends: vec![
            info(BACKEND, BackendKind::Harness),
            info("argo", BackendKind::Argo),
        ],
        ..Default::default()
    });
    for backend in [BACKEND, "argo"] {
        for payload in [
            Payload::Pipelines(Err(refused())),
            Payload::Executions(Err(refused())),
            Payload::Approvals(Err(refused())),
        ] {
            app.update(from(backend, payload), t0());
        }
    }
}

/// A failing backend never reads as an empty inbox, and the status bar claims no age for
/// data it never read.
#[test]
fn gates_never_read_are_unknown_not_none() {
    let theme = Theme::new(ThemeName::Dark, Depth::Ansi16);
    for (w, h) in SIZES {
        let lines = text_of(&drawn(w, h, theme, &|app: &mut App| {
            all_failing(app);
            press(app, [key(KeyCode::Tab)]);
        }));
        let screen = lines.join("\n");
        assert!(!screen.contains("no gates waiting"), "{screen}");
        assert!(
            screen.contains("gates unknown — payments, argo: authentication failed"),
            "{screen}"
        );
        let status = &lines[usize::from(h) - 2];
        assert!(!status.contains("updated"), "{status}");
        assert!(status.contains("2 of 2 unknown"), "{status}");
    }
    snapshot("approvals_all_failing", |app| {
        all_failing(app);
        press(app, [key(KeyCode::Tab)]);
    });
}

/// Some backends read, some not: the rows that were read are shown, and a line above them
/// says whose are unknown and why.
#[test]
fn a_pane_names_the_backends_it_could_not_read() {
    snapshot("approvals_partly_unknown", |app| {
        failing_world(app);
        press(app, [key(KeyCode::Tab)]);
    });
    let theme = Theme::new(ThemeName::Dark, Depth::Ansi16);
    let lines = text_of(&drawn(80, 24, theme, &|app: &mut App| {
        failing_world(app);
        press(app, [key(KeyCode::Tab)]);
    }));
    assert!(
        lines[2].contains("⚠ gates unknown — argo: authentication failed; argo-data: unreach"),
        "{}",
        lines[2]
    );
    assert!(
        lines[22].contains("2 of 3 unknown · others updated"),
        "{}",
        lines[22]
    );
}

fn backends_view(app: &mut App) {
    failing_world(app);
    press(app, [ch('b')]);
}

/// `b`: each backend's kind, health, when each list was last read, and its whole last
/// error, wrapped.
#[test]
fn the_backends_view_shows_every_error_in_full() {
    snapshot("backends", backends_view);
    snapshot_no_color("backends_no_color", backends_view);
    let theme = Theme::new(ThemeName::Dark, Depth::Ansi16);
    let screen = text_of(&drawn(120, 40, theme, &backends_view))
        .iter()
        .map(|l| l.trim_matches(|c| c == '│' || c == ' ').to_string())
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        screen.contains("check the service account token and the namespace's RBAC"),
        "{screen}"
    );
}

/// The view is in the palette and in help.
#[test]
fn the_backends_view_is_in_the_palette_and_help() {
    let theme = Theme::new(ThemeName::Dark, Depth::Ansi16);
    let palette = text_of(&drawn(80, 24, theme, &|app: &mut App| {
        failing_world(app);
        press(app, [ch(':')]);
        press(app, "backends".chars().map(ch));
        press(app, [key(KeyCode::Enter)]);
    }))
    .join("\n");
    assert!(
        palette.contains("Backends — any other key closes"),
        "{palette}"
    );
    let help = text_of(&drawn(120, 40, theme, &|app: &mut App| {
        press(app, [ch('?')]);
    }))
    .join("\n");
    assert!(
        help.contains("backends: health, data ages, full errors"),
        "{help}"
    );
}

/// Enter on a gate with a long stage tree above it: the gate comes first.
fn detail_from_gate(app: &mut App) {
    press(app, [key(KeyCode::Tab), key(KeyCode::Enter)]);
    let d = long_detail();
    app.update(
        reply(Payload::Execution(d.execution.exec_ref(), Ok(Box::new(d)))),
        at(20),
    );
}

/// At 80x24 the gate's message, approvers and deadline are in view, and the border says
/// that more lies below.
#[test]
fn the_detail_opened_from_a_gate_shows_the_gate() {
    snapshot("detail_from_gate", detail_from_gate);
    let theme = Theme::new(ThemeName::Dark, Depth::Ansi16);
    let lines = text_of(&drawn(80, 24, theme, &detail_from_gate));
    let screen = lines.join("\n");
    for seen in [
        "Ship payments-api 1.4.2 to production?",
        "approvers  release-managers  (needs 1)",
        "deadline  in 23h55m",
    ] {
        assert!(screen.contains(seen), "{seen}: {screen}");
    }
    assert!(lines[21].contains("↓"), "{}", lines[21]);
}

/// The STATUS column says the one normalized word at every width; the backend's own word
/// is only in the detail, labelled raw.
#[test]
fn statuses_read_the_same_at_every_width() {
    let theme = Theme::new(ThemeName::Dark, Depth::Ansi16);
    for (w, h) in SIZES {
        let screen = text_of(&drawn(w, h, theme, &|_: &mut App| {})).join("\n");
        for word in ["◆ waiting", "↻ running", "✗ failed", "✓ success"] {
            assert!(screen.contains(word), "{word} at {w}x{h}: {screen}");
        }
        assert!(!screen.contains("ApprovalWaiting"), "{w}x{h}: {screen}");
    }
    let detail = text_of(&drawn(80, 24, theme, &|app: &mut App| {
        press(app, [ch('j'), key(KeyCode::Enter)]);
    }))
    .join("\n");
    assert!(
        detail.contains("status  ◆ waiting  (raw: ApprovalWaiting)"),
        "{detail}"
    );
}

/// An execution that has not ended never "took" anything.
#[test]
fn a_running_execution_did_not_take_its_time_yet() {
    let theme = Theme::new(ThemeName::Dark, Depth::Ansi16);
    let open = |rows: usize| {
        move |app: &mut App| {
            press(app, (0..rows).map(|_| ch('j')));
            press(app, [key(KeyCode::Enter)]);
        }
    };
    let running = text_of(&drawn(80, 24, theme, &open(0))).join("\n");
    assert!(running.contains("·  1m30s so far"), "{running}");
    assert!(!running.contains("took"), "{running}");
    let ended = text_of(&drawn(80, 24, theme, &open(2))).join("\n");
    assert!(ended.contains("·  took 1m35s"), "{ended}");
}

/// A pipeline whose backend does not report its last run shows the newest run in the
/// executions list, or "-": never "never run", which nobody knows.
#[test]
fn the_last_run_is_what_was_seen_or_nothing() {
    let theme = Theme::new(ThemeName::Dark, Depth::Ansi16);
    let unreported = |app: &mut App| {
        let mut list = pipelines();
        for p in &mut list {
            p.last_status = None;
            p.last_run = None;
        }
        app.update(reply(Payload::Pipelines(Ok(list))), t0());
        press(app, [key(KeyCode::BackTab)]);
    };
    for (w, h) in SIZES {
        let lines = text_of(&drawn(w, h, theme, &unreported));
        let screen = lines.join("\n");
        assert!(!screen.contains("never run"), "{screen}");
        let row = |name: &str| lines.iter().find(|l| l.contains(name)).unwrap().clone();
        // Build's newest listed run is the one running, started a minute and a half ago.
        assert!(
            row("Build").contains("↻ running     1m ago"),
            "{}",
            row("Build")
        );
        assert!(
            row("Deploy API").contains("◆ waiting"),
            "{}",
            row("Deploy API")
        );
        // Its runs are in another project: nothing seen.
        let web = row("Deploy Web");
        assert!(web.contains(" -  ") && !web.contains("ago"), "{web}");
        let rotate = row("Rotate Certificates");
        assert!(!rotate.contains("ago"), "{rotate}");
    }
    // `status:` sees the same word.
    let filtered = text_of(&drawn(80, 24, theme, &|app: &mut App| {
        unreported(app);
        press(app, [ch('/')]);
        press(app, "status:running".chars().map(ch));
        press(app, [key(KeyCode::Enter)]);
    }))
    .join("\n");
    assert!(filtered.contains("Build"), "{filtered}");
    assert!(!filtered.contains("Deploy API"), "{filtered}");
}

/// At 80x24: a long gate message wraps in the decision dialog; the filter in force is shown
/// whole; tab counts say how many rows the filter leaves of how many.
#[test]
fn nothing_that_matters_is_cut_at_80x24() {
    let theme = Theme::new(ThemeName::Dark, Depth::Ansi16);
    let long_message = |app: &mut App| {
        let mut gate = approval("gate-1", "exec-waiting");
        gate.message = "Promote payments-api to production? Check the staging dashboard \
                        for error rates and the canary's latency first"
            .into();
        app.update(reply(Payload::Approvals(Ok(vec![gate]))), t0());
        press(app, [key(KeyCode::Tab), ch('a')]);
    };
    snapshot("decision_long_message", long_message);
    let screen = text_of(&drawn(80, 24, theme, &long_message)).join("\n");
    assert!(screen.contains("canary's latency first"), "{screen}");

    let filtered = text_of(&drawn(80, 24, theme, &|app: &mut App| {
        press(app, [ch('/')]);
        press(app, "status:waiting".chars().map(ch));
        press(app, [key(KeyCode::Enter)]);
    }));
    assert!(
        filtered[0].contains("Pipelines 1/4  ▸Executions 1/4   Approvals 1   Audit 0"),
        "{}",
        filtered[0]
    );
    assert!(
        filtered[1].contains("Executions  /status:waiting "),
        "{}",
        filtered[1]
    );
}

/// A failed decision says why first, so a narrow status line keeps the reason.
#[test]
fn a_failed_decision_says_why() {
    let mut app = loaded_app();
    press(
        &mut app,
        [key(KeyCode::Tab), ch('a'), key(KeyCode::Tab), ch('o')],
    );
    let effects = press(
        &mut app,
        [
            key(KeyCode::BackTab),
            key(KeyCode::Right),
            key(KeyCode::Enter),
        ],
    );
    let Some(flightdeck::service::Command::Decide {
        epoch,
        approval,
        decision,
    }) = effects.into_iter().find_map(|e| match e {
        flightdeck::app::Effect::Send { command, .. } => Some(command),
        _ => None,
    })
    else {
        panic!("a decision is sent")
    };
    app.update(
        reply_to(
            epoch,
            Payload::Decided {
                approval,
                decision,
                result: Err(BackendError::Conflict("Approval already completed".into())),
                request_id: None,
            },
        ),
        t0(),
    );
    let flash = &app.flash.as_ref().unwrap().text;
    assert!(
        flash.starts_with("approve failed (already decided by someone else): Deploy API"),
        "{flash}"
    );
}

/// A backend that has not answered yet has no age either: it is counted as connecting.
#[test]
fn a_backend_not_read_yet_is_not_counted_as_updated() {
    let theme = Theme::new(ThemeName::Dark, Depth::Ansi16);
    let lines = text_of(&drawn(80, 24, theme, &|app: &mut App| {
        *app = App::new(flightdeck::app::Settings {
            backends: vec![
                info(BACKEND, BackendKind::Harness),
                info("argo", BackendKind::Argo),
            ],
            ..Default::default()
        });
        app.update(reply(Payload::Pipelines(Ok(pipelines()))), t0());
        app.update(reply(Payload::Executions(Ok(executions()))), t0());
        app.update(reply(Payload::Approvals(Ok(vec![]))), t0());
        press(app, [key(KeyCode::Tab)]);
    }));
    assert!(
        lines[22].ends_with("1 of 2 connecting · others updated 30s ago"),
        "{}",
        lines[22]
    );
    assert!(
        lines[2].contains("no gates waiting so far; still reading argo"),
        "{}",
        lines[2]
    );
}
