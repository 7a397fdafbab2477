//! Terminal lifecycle and the event loop.
//!
//! One `select!` over keys, service replies, a coarse tick and termination signals. Every
//! message goes through `App::update`; the screen is drawn only when the app is dirty, at
//! most ~30 times a second, and a frame reaches the terminal only when it changed something
//! there ([`quiet`]). The terminal is restored on quit, error, panic, SIGTERM and SIGHUP.
//!
//! After the loop ends nothing new is sent, but starts and decisions already in flight are
//! waited for (briefly) so what the backend did lands in the audit log. A terminal that went
//! away (a dropped SSH session) is a hangup: restoring it fails quietly, because reporting
//! the failure on that same terminal would panic.

use std::io::{self, Write};
use std::path::PathBuf;
use std::time::Duration;

use crossterm::event::{DisableMouseCapture, EnableMouseCapture, EventStream};
use futures::StreamExt;
use jiff::Timestamp;
use ratatui::Terminal;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;
use tokio::time::{Instant, MissedTickBehavior};

use crate::app::{App, Drawn, Effect, Msg, TICK};
use crate::audit;
use crate::service::{Command, Payload, Reply, Service};
use crate::ui::{self, Hits, Theme};

mod hyperlink;
mod input;
mod quiet;
pub use input::{DOUBLE_CLICK, Input};
pub use quiet::QuietBackend;

type Screen = Terminal<QuietBackend<io::Stdout>>;

/// Minimum time between two frames (~30 per second).
const FRAME: Duration = Duration::from_millis(33);
/// How long an exit waits for the answers of starts and decisions in flight.
const SETTLE: Duration = Duration::from_secs(5);

/// Why the loop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Quit,
    Signal(&'static str),
}

/// What effects act on.
pub struct Outside {
    pub service: Service,
    /// The audit log; `None` when no state dir could be found (entries stay on screen only).
    pub audit: Option<PathBuf>,
}

/// How the terminal is used, from `[ui]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Capture the mouse (`[ui] mouse`): clicks, double clicks and the wheel act.
    pub mouse: bool,
}

pub async fn run(
    mut app: App,
    outside: Outside,
    mut replies: mpsc::UnboundedReceiver<Reply>,
    theme: Theme,
    options: Options,
) -> io::Result<Exit> {
    // ratatui::init enters raw mode and the alternate screen and chains a panic hook that
    // restores the terminal before the panic message prints. Its terminal, on the plain
    // backend, has drawn nothing; ours draws on the quiet one.
    drop(ratatui::init());
    if options.mouse {
        // A terminal left capturing the mouse turns every later click into escape codes in
        // the shell: released on every way out, panics included (this hook runs before
        // ratatui's, which restores the rest).
        let restore = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let _ = crossterm::execute!(io::stdout(), DisableMouseCapture);
            restore(info);
        }));
        if let Err(e) = crossterm::execute!(io::stdout(), EnableMouseCapture) {
            let _ = ratatui::try_restore();
            return Err(e);
        }
    }
    let mut terminal = match Terminal::new(QuietBackend::new(io::stdout())) {
        Ok(terminal) => terminal,
        Err(e) => {
            release_mouse(options);
            let _ = ratatui::try_restore();
            return Err(e);
        }
    };
    let mut writes = 0;
    let result = event_loop(
        &mut terminal,
        &mut app,
        &outside,
        &mut replies,
        theme,
        options.mouse,
        &mut writes,
    )
    .await;
    release_mouse(options);
    let restored = ratatui::try_restore().is_ok() && terminal.show_cursor().is_ok();
    if !restored {
        // The terminal is gone. Dropping `Terminal` would show the cursor once more and
        // report the failure on stderr, that same terminal, which panics.
        std::mem::forget(terminal);
    }
    settle(&mut app, &outside, &mut replies, writes).await;
    result
}

/// Stops capturing the mouse, if it was captured; quietly, as the terminal may be gone.
fn release_mouse(options: Options) {
    if options.mouse {
        let _ = crossterm::execute!(io::stdout(), DisableMouseCapture);
    }
}

/// Waits up to [`SETTLE`] for the answers of the `writes` starts and decisions in flight and
/// writes them to the audit log; sends nothing new and draws nothing.
async fn settle(
    app: &mut App,
    outside: &Outside,
    replies: &mut mpsc::UnboundedReceiver<Reply>,
    mut writes: usize,
) {
    if writes == 0 {
        return;
    }
    // Said where it can be: the terminal may be gone, and printing must not panic then.
    let _ = writeln!(
        io::stderr(),
        "flightdeck: waiting for {writes} start(s) or decision(s) in flight…"
    );
    let deadline = Instant::now() + SETTLE;
    while writes > 0 {
        let Ok(Some(reply)) = tokio::time::timeout_at(deadline, replies.recv()).await else {
            tracing::warn!(writes, "exiting with starts or decisions unanswered");
            return;
        };
        writes -= usize::from(is_write_answer(&reply));
        for effect in app.update(Msg::Reply(reply), Timestamp::now()) {
            if let (Effect::Audit(entry), Some(path)) = (effect, &outside.audit)
                && let Err(e) = audit::append(path, &entry)
            {
                tracing::warn!(error = %e, "could not write the audit log");
            }
        }
    }
}

fn is_write_answer(reply: &Reply) -> bool {
    matches!(
        reply.payload,
        Payload::Started { .. } | Payload::Decided { .. }
    )
}

async fn event_loop(
    terminal: &mut Screen,
    app: &mut App,
    outside: &Outside,
    replies: &mut mpsc::UnboundedReceiver<Reply>,
    theme: Theme,
    mouse: bool,
    writes: &mut usize,
) -> io::Result<Exit> {
    let mut events = EventStream::new();
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut term = signal(SignalKind::terminate())?;
    let mut hup = signal(SignalKind::hangup())?;
    let mut last_draw: Option<Instant> = None;
    // Where the last frame put things, for the mouse: the loop's, not the model's.
    let mut hits = Hits::default();
    let mut input = Input::new(mouse);
    // The hyperlink last written over a frame.
    let mut shown_link: Option<crate::app::Hyperlink> = None;
    let size = terminal.size()?;
    dispatch(
        app,
        outside,
        writes,
        Msg::Resize {
            width: size.width,
            height: size.height,
        },
    );

    loop {
        if app.should_quit {
            return Ok(Exit::Quit);
        }
        let draw_at = last_draw.map_or_else(Instant::now, |t| t + FRAME);
        if app.dirty && (app.draw_now || Instant::now() >= draw_at) {
            match draw(terminal, app, &theme, &mut shown_link) {
                Ok((drawn, drew)) => {
                    hits = drew;
                    dispatch(app, outside, writes, Msg::Drawn(drawn));
                }
                // Nothing to draw on: the terminal hung up.
                Err(_) => return Ok(Exit::Signal("SIGHUP")),
            }
            last_draw = Some(Instant::now());
        }
        tokio::select! {
            event = events.next() => match event {
                Some(Ok(event)) => {
                    if let Some(msg) = input.translate(event, &hits, std::time::Instant::now()) {
                        dispatch(app, outside, writes, msg);
                    }
                }
                // The terminal is gone (closed pty, dropped SSH session): a hangup, whether
                // or not SIGHUP arrives first.
                Some(Err(_)) | None => return Ok(Exit::Signal("SIGHUP")),
            },
            Some(reply) = replies.recv() => {
                dispatch(app, outside, writes, Msg::Reply(reply));
                // Drain whatever else arrived so a burst costs one frame.
                while let Ok(reply) = replies.try_recv() {
                    dispatch(app, outside, writes, Msg::Reply(reply));
                }
            }
            _ = tick.tick() => dispatch(app, outside, writes, Msg::Tick),
            _ = term.recv() => return Ok(Exit::Signal("SIGTERM")),
            _ = hup.recv() => return Ok(Exit::Signal("SIGHUP")),
            _ = tokio::time::sleep_until(draw_at), if app.dirty => {}
        }
    }
}

/// Runs one message through the app and its effects; `writes` counts the starts and
/// decisions sent and not yet answered.
fn dispatch(app: &mut App, outside: &Outside, writes: &mut usize, msg: Msg) {
    if let Msg::Reply(reply) = &msg {
        *writes = writes.saturating_sub(usize::from(is_write_answer(reply)));
    }
    let mut failed = Vec::new();
    for effect in app.update(msg, Timestamp::now()) {
        match effect {
            Effect::Send { backend, command } => {
                if matches!(command, Command::Start { .. } | Command::Decide { .. }) {
                    *writes += 1;
                }
                outside.service.send(&backend, command);
            }
            Effect::Clipboard(text) => {
                failed.extend(write_between_frames(&crate::clipboard::osc52(&text)));
            }
            Effect::Notify(notice) => {
                failed.extend(write_between_frames(&crate::alert::sequence(&notice)));
            }
            Effect::Audit(entry) => {
                if let Some(path) = &outside.audit
                    && let Err(e) = audit::append(path, &entry)
                {
                    failed.push(format!(
                        "could not write the audit log {}: {e}",
                        path.display()
                    ));
                }
            }
        }
    }
    // Told to the app like anything else that happens; such a message has no effects.
    for text in failed {
        dispatch(app, outside, writes, Msg::EffectFailed(text));
    }
}

/// Escape sequences that move no cursor and draw nothing (OSC 52 clipboard, bell, OSC 9/777
/// notifications), written straight to the terminal between two frames; says what failed.
fn write_between_frames(sequence: &str) -> Option<String> {
    let mut out = io::stdout();
    out.write_all(sequence.as_bytes())
        .and_then(|()| out.flush())
        .err()
        .map(|_| "could not write to the terminal".to_string())
}

/// Draws a frame, then makes its web UI link clickable (see [`hyperlink`]); returns what
/// the frame found out, for `Msg::Drawn`, and where it put things, for the mouse.
fn draw(
    terminal: &mut Screen,
    app: &App,
    theme: &Theme,
    shown_link: &mut Option<crate::app::Hyperlink>,
) -> io::Result<(Drawn, Hits)> {
    let mut drawn = (Drawn::default(), Hits::default());
    let frame = terminal
        .draw(|f| drawn = ui::draw_with_hits(f, app, theme))?
        .count;
    let (mut drawn, hits) = drawn;
    // With `--log`, how often frames reach the terminal and how often drawing found nothing
    // changed (benches/terminal.rs counts both).
    let wrote = terminal.backend_mut().take_wrote();
    if wrote {
        tracing::debug!(frame, "frame drawn");
    } else {
        tracing::debug!(frame, "frame unchanged");
    }
    if drawn.link != *shown_link {
        if shown_link.is_some() {
            // Cells keep a hyperlink until rewritten, and ratatui rewrites only the cells
            // it changed: the next frame repaints all, so no stray cell stays clickable.
            terminal.clear()?;
            app_needs_frame(&mut drawn);
        }
        *shown_link = None;
    }
    if let Some(link) = &drawn.link
        && (wrote || shown_link.is_none())
        && let Some(sequence) = hyperlink::overlay(link)
    {
        // A terminal that refuses the write is found out by the next frame.
        let _ = write_between_frames(&sequence);
        *shown_link = Some(link.clone());
    }
    Ok((drawn, hits))
}

/// After a clear, the screen is blank until the next frame: ask for it now.
fn app_needs_frame(drawn: &mut Drawn) {
    drawn.repaint = true;
}
