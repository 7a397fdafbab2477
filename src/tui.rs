//! Terminal lifecycle and the event loop.
//!
//! One `select!` over keys, service replies, a coarse tick and termination signals. Every
//! message goes through `App::update`; the screen is drawn only when the app is dirty, at
//! most ~30 times a second, inside a synchronized update so terminals never show half a
//! frame. The terminal is restored on quit, error, panic, SIGTERM and SIGHUP.

use std::io::{self, Write};
use std::path::PathBuf;
use std::time::Duration;

use crossterm::event::{Event, EventStream};
use crossterm::terminal::{BeginSynchronizedUpdate, EndSynchronizedUpdate};
use futures::StreamExt;
use jiff::Timestamp;
use ratatui::DefaultTerminal;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;
use tokio::time::{Instant, MissedTickBehavior};

use crate::app::{App, Effect, FlashLevel, Msg};
use crate::audit;
use crate::service::{Reply, Service};
use crate::ui::{self, Theme};

/// Minimum time between two frames (~30 per second).
const FRAME: Duration = Duration::from_millis(33);
/// The clock behind ages, durations and countdowns.
const TICK: Duration = Duration::from_secs(1);

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

pub async fn run(
    mut app: App,
    outside: Outside,
    mut replies: mpsc::UnboundedReceiver<Reply>,
    theme: Theme,
) -> io::Result<Exit> {
    // ratatui::init enters raw mode and the alternate screen and chains a panic hook that
    // restores the terminal before the panic message prints.
    let mut terminal = ratatui::init();
    let result = event_loop(&mut terminal, &mut app, &outside, &mut replies, theme).await;
    ratatui::restore();
    result
}

async fn event_loop(
    terminal: &mut DefaultTerminal,
    app: &mut App,
    outside: &Outside,
    replies: &mut mpsc::UnboundedReceiver<Reply>,
    theme: Theme,
) -> io::Result<Exit> {
    let mut events = EventStream::new();
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut term = signal(SignalKind::terminate())?;
    let mut hup = signal(SignalKind::hangup())?;
    let mut last_draw: Option<Instant> = None;
    let size = terminal.size()?;
    dispatch(
        app,
        outside,
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
        if app.dirty && Instant::now() >= draw_at {
            draw(terminal, app, &theme)?;
            last_draw = Some(Instant::now());
        }
        tokio::select! {
            event = events.next() => match event {
                Some(Ok(Event::Key(key))) => dispatch(app, outside, Msg::Key(key)),
                Some(Ok(Event::Resize(width, height))) => {
                    dispatch(app, outside, Msg::Resize { width, height });
                }
                Some(Ok(_)) => {}
                // The terminal is gone (closed pty, dropped SSH session): nothing left to draw on.
                Some(Err(_)) | None => return Ok(Exit::Signal("terminal closed")),
            },
            Some(reply) = replies.recv() => {
                dispatch(app, outside, Msg::Reply(reply));
                // Drain whatever else arrived so a burst costs one frame.
                while let Ok(reply) = replies.try_recv() {
                    dispatch(app, outside, Msg::Reply(reply));
                }
            }
            _ = tick.tick() => dispatch(app, outside, Msg::Tick),
            _ = term.recv() => return Ok(Exit::Signal("SIGTERM")),
            _ = hup.recv() => return Ok(Exit::Signal("SIGHUP")),
            _ = tokio::time::sleep_until(draw_at), if app.dirty => {}
        }
    }
}

fn dispatch(app: &mut App, outside: &Outside, msg: Msg) {
    for effect in app.update(msg, Timestamp::now()) {
        match effect {
            Effect::Send { backend, command } => outside.service.send(&backend, command),
            Effect::Clipboard(text) => write_between_frames(app, &crate::clipboard::osc52(&text)),
            Effect::Notify(notice) => write_between_frames(app, &crate::alert::sequence(&notice)),
            Effect::Audit(entry) => {
                if let Some(path) = &outside.audit
                    && let Err(e) = audit::append(path, &entry)
                {
                    app.flash(
                        FlashLevel::Error,
                        format!("could not write the audit log {}: {e}", path.display()),
                    );
                }
            }
        }
    }
}

/// Escape sequences that move no cursor and draw nothing (OSC 52 clipboard, bell, OSC 9/777
/// notifications), written straight to the terminal between two frames.
fn write_between_frames(app: &mut App, sequence: &str) {
    let mut out = io::stdout();
    if out
        .write_all(sequence.as_bytes())
        .and_then(|()| out.flush())
        .is_err()
    {
        app.flash(FlashLevel::Error, "could not write to the terminal");
    }
}

fn draw(terminal: &mut DefaultTerminal, app: &mut App, theme: &Theme) -> io::Result<()> {
    crossterm::queue!(terminal.backend_mut(), BeginSynchronizedUpdate)?;
    let frame = terminal.draw(|f| ui::draw(f, app, theme))?.count;
    // With `--log`, how often and when frames are drawn (benches/terminal.rs reads this).
    tracing::debug!(frame, "frame drawn");
    crossterm::queue!(terminal.backend_mut(), EndSynchronizedUpdate)?;
    terminal.backend_mut().flush()?;
    app.dirty = false;
    Ok(())
}
