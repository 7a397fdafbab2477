//! What an idle dashboard writes to the terminal. The real `App::update` and `ui::draw`
//! run through the quiet backend the event loop uses, beside a plain test terminal that
//! shows whether the screen changed: for three simulated minutes of clock ticks and polls
//! answering the same data between them (50 running executions, 20 waiting gates), a
//! frame reaches the terminal exactly when the screen changed, never after a poll, and on
//! panes whose times move once a minute not at all between minutes. And the app asks for
//! a frame (the event loop draws only then) exactly when the screen would change: a poll
//! that brought the same data, or a tick that moved no time on screen, draws nothing.

use crate::common;

use std::cell::Cell;
use std::io::{self, Write};
use std::rc::Rc;

use common::*;
use flightdeck::app::{App, Drawn, Msg, Pane};
use flightdeck::config::Theme as ThemeName;
use flightdeck::domain::*;
use flightdeck::service::Payload;
use flightdeck::tui::QuietBackend;
use flightdeck::ui::depth::Depth;
use flightdeck::ui::{self, Theme};
use jiff::SignedDuration;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};

const SECONDS: i64 = 180;

/// Counts the bytes the terminal received.
#[derive(Clone, Default)]
struct Bytes(Rc<Cell<usize>>);

impl Write for Bytes {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.set(self.0.get() + buf.len());
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

struct Screens {
    quiet: Terminal<QuietBackend<Bytes>>,
    bytes: Bytes,
    plain: Terminal<TestBackend>,
    last: Buffer,
    theme: Theme,
}

impl Screens {
    fn new(width: u16, height: u16) -> Self {
        let bytes = Bytes::default();
        let quiet = Terminal::with_options(
            QuietBackend::new(bytes.clone()),
            TerminalOptions {
                viewport: Viewport::Fixed(Rect::new(0, 0, width, height)),
            },
        )
        .unwrap();
        Screens {
            quiet,
            bytes,
            plain: Terminal::new(TestBackend::new(width, height)).unwrap(),
            last: Buffer::empty(Rect::new(0, 0, width, height)),
            theme: Theme::new(ThemeName::Dark, Depth::TrueColor),
        }
    }

    /// Draws a frame on both terminals: the bytes the quiet one wrote, whether the
    /// screen differs from the previous frame, and what the frame found out (for
    /// `Msg::Drawn`, as the event loop hands it back).
    fn frame(&mut self, app: &App) -> (usize, bool, Drawn) {
        let theme = self.theme;
        self.bytes.0.set(0);
        let mut drawn = Drawn::default();
        self.quiet
            .draw(|f| drawn = ui::draw(f, app, &theme))
            .unwrap();
        self.plain
            .draw(|f| drawn = ui::draw(f, app, &theme))
            .unwrap();
        let now = self.plain.backend().buffer().clone();
        let changed = now != self.last;
        self.last = now;
        (self.bytes.0.get(), changed, drawn)
    }
}

/// Times on whole minutes before t0, so every age moves at the same instant each minute.
fn minutes_ago(m: i64) -> i64 {
    -60 * m
}

/// Started a few hundredths of a second after whole minutes, as runs start at any instant:
/// their durations turn between a tick and the poll 170 ms after it, and their minutes a
/// second after the gates' (at the tick after 60 s, 120 s…).
fn running() -> Vec<Execution> {
    (0..50)
        .map(|i| Execution {
            started: Some(at(minutes_ago(5 + i)) + SignedDuration::from_millis(10 * (i % 10) + 5)),
            ..execution(
                &format!("exec-{i:02}"),
                "build",
                &format!("Service {i:02}"),
                ExecStatus::Running,
                "Running",
                0,
            )
        })
        .collect()
}

fn gates() -> Vec<Approval> {
    (0..20)
        .map(|i| Approval {
            created: Some(at(minutes_ago(3 + i))),
            // 59 s past the minute: the countdown turns with the ages.
            deadline: Some(at(minutes_ago(-(60 + i)) + 59)),
            ..approval(&format!("gate-{i:02}"), &format!("exec-{i:02}"))
        })
        .collect()
}

/// One frame drawn in [`idle`].
struct Frame {
    /// Seconds after t0 of the tick before it.
    second: i64,
    /// Drawn after a poll's answer rather than a tick.
    poll: bool,
    /// The app asked for this frame (`App::dirty`); the event loop draws only then.
    asked: bool,
    bytes: usize,
    changed: bool,
}

/// Three minutes of one-second ticks, and between them (170 ms after a tick, as replies
/// land in no step with the clock) the executions list answered every 3 s and the gates
/// and pipelines every 10 s, always with the same data; a frame after each.
fn idle(pane: Pane, width: u16, height: u16) -> Vec<Frame> {
    let mut app = loaded_app();
    app.update(Msg::Resize { width, height }, t0());
    app.update(reply(Payload::Executions(Ok(running()))), t0());
    app.update(reply(Payload::Approvals(Ok(gates()))), t0());
    while app.pane != pane {
        app.update(key(crossterm::event::KeyCode::Tab), t0());
    }
    let mut screens = Screens::new(width, height);
    let (_, _, drawn) = screens.frame(&app);
    app.update(Msg::Drawn(drawn), t0());
    let mut frames = Vec::new();
    // Draws whether asked or not, to see what a frame would have shown.
    let mut frame = |app: &mut App, second, poll, now| {
        let (bytes, changed, drawn) = screens.frame(app);
        let asked = app.dirty;
        app.update(Msg::Drawn(drawn), now);
        frames.push(Frame {
            second,
            poll,
            asked,
            bytes,
            changed,
        });
    };
    for second in 1..=SECONDS {
        app.update(Msg::Tick, at(second));
        frame(&mut app, second, false, at(second));
        let answered = at(second) + SignedDuration::from_millis(170);
        if second % 3 == 0 {
            app.update(reply(Payload::Executions(Ok(running()))), answered);
        }
        if second % 10 == 0 {
            app.update(reply(Payload::Approvals(Ok(gates()))), answered);
            app.update(reply(Payload::Pipelines(Ok(pipelines()))), answered);
        }
        if second % 3 == 0 || second % 10 == 0 {
            frame(&mut app, second, true, answered);
        }
    }
    frames
}

fn check_written_exactly_when_changed(frames: &[Frame]) {
    for f in frames {
        assert_eq!(
            f.bytes > 0,
            f.changed,
            "at {}s (poll: {}): {} bytes written, screen changed: {}",
            f.second,
            f.poll,
            f.bytes,
            f.changed
        );
    }
}

/// An answer that brought the same data writes nothing, though time passed since the tick.
fn check_polls_write_nothing(frames: &[Frame]) {
    let polls: Vec<&Frame> = frames.iter().filter(|f| f.poll).collect();
    assert!(polls.len() > 60);
    for f in polls {
        assert_eq!(f.bytes, 0, "the poll after {}s", f.second);
    }
}

/// The app asks for a frame exactly when the screen would change: never for a poll that
/// brought the same data, nor for a tick that moves no time on screen, and always when a
/// time it shows moved.
fn check_asked_exactly_when_changed(frames: &[Frame]) {
    for f in frames {
        assert_eq!(
            f.asked, f.changed,
            "at {}s (poll: {}): asked for a frame: {}, screen changed: {}",
            f.second, f.poll, f.asked, f.changed
        );
    }
}

#[test]
fn panes_with_minute_clocks_write_only_when_a_minute_turns() {
    for pane in [Pane::Approvals, Pane::Pipelines] {
        for (width, height) in [(80, 24), (120, 40)] {
            let frames = idle(pane, width, height);
            check_written_exactly_when_changed(&frames);
            check_polls_write_nothing(&frames);
            check_asked_exactly_when_changed(&frames);
            let written: Vec<i64> = frames
                .iter()
                .filter(|f| f.bytes > 0)
                .map(|f| f.second)
                .collect();
            // 8: the flash announcing the new gates ends.
            assert_eq!(
                written,
                [8, 60, 120, 180],
                "{pane:?} at {width}x{height}: frames written at these seconds"
            );
        }
    }
}

#[test]
fn running_durations_tick_and_each_tick_costs_only_its_cells() {
    for (width, height) in [(80, 24), (120, 40)] {
        let frames = idle(Pane::Executions, width, height);
        check_written_exactly_when_changed(&frames);
        check_polls_write_nothing(&frames);
        check_asked_exactly_when_changed(&frames);
        // Every running row's TIME moves each second: a frame a second, a few cells per row
        // (a cursor move and a digit or two; about 11 bytes a row when measured).
        let ticks: Vec<&Frame> = frames.iter().filter(|f| !f.poll).collect();
        assert!(ticks.iter().all(|f| f.bytes > 0));
        let rows = usize::from(height) - 6;
        let bytes_at = |s| ticks.iter().find(|f| f.second == s).unwrap().bytes;
        let (minute, second) = (bytes_at(61), bytes_at(62));
        assert!(
            second < rows * 16,
            "{width}x{height}: a second's tick wrote {second} bytes for {rows} rows"
        );
        assert!(minute > second, "a turning minute also moves STARTED");
    }
}
