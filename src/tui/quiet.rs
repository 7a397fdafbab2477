//! A terminal backend that writes nothing for a frame that changes nothing.
//!
//! ratatui already sends only the cells that differ from the previous frame, but it hides
//! or moves the cursor on every frame, and a synchronized update needs its two brackets
//! around each one. Drawing is cheap next to that: the app draws whenever something may
//! have changed (a poll answered, the clock ticked) and this backend makes a frame that
//! changed no cell and left the cursor where it was cost the terminal, and an SSH link,
//! zero bytes. So "redraw only when the screen changes" holds by construction, whatever
//! woke the loop.
//!
//! Cells open a synchronized update, which the frame's flush closes, so a terminal never
//! shows half a frame; cursor moves and visibility changes are sent only when they differ
//! from what the terminal already shows.

use std::io::{self, Write};

use crossterm::queue;
use crossterm::terminal::{BeginSynchronizedUpdate, EndSynchronizedUpdate};
use ratatui::backend::{Backend, ClearType, CrosstermBackend, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Size};

pub struct QuietBackend<W: Write> {
    inner: CrosstermBackend<W>,
    /// Whether the terminal shows the cursor; `None` until flightdeck said so once.
    cursor_shown: Option<bool>,
    /// Where the cursor is; `None` when unknown (drawing cells moves it).
    cursor_at: Option<Position>,
    /// A synchronized update is open: this frame changed cells.
    updating: bool,
    /// This frame wrote anything at all.
    wrote: bool,
}

impl<W: Write> QuietBackend<W> {
    pub fn new(writer: W) -> Self {
        QuietBackend {
            inner: CrosstermBackend::new(writer),
            cursor_shown: None,
            cursor_at: None,
            updating: false,
            wrote: false,
        }
    }

    /// Whether anything was written since the last call: false for a frame that changed
    /// nothing on screen.
    pub fn take_wrote(&mut self) -> bool {
        std::mem::take(&mut self.wrote)
    }

    /// Shows or hides the cursor, unless the terminal already does.
    fn show(&mut self, shown: bool) -> io::Result<()> {
        if self.cursor_shown != Some(shown) {
            if shown {
                self.inner.show_cursor()?;
            } else {
                self.inner.hide_cursor()?;
            }
            self.cursor_shown = Some(shown);
            self.wrote = true;
        }
        Ok(())
    }

    fn begin_update(&mut self) -> io::Result<()> {
        if !self.updating {
            queue!(self.inner, BeginSynchronizedUpdate)?;
            self.updating = true;
        }
        self.wrote = true;
        self.cursor_at = None;
        Ok(())
    }
}

impl<W: Write> Backend for QuietBackend<W> {
    type Error = io::Error;

    fn draw<'a, I>(&mut self, content: I) -> io::Result<()>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        let mut content = content.peekable();
        if content.peek().is_none() {
            return Ok(());
        }
        self.begin_update()?;
        self.inner.draw(content)
    }

    fn hide_cursor(&mut self) -> io::Result<()> {
        self.show(false)
    }

    fn show_cursor(&mut self) -> io::Result<()> {
        self.show(true)
    }

    fn get_cursor_position(&mut self) -> io::Result<Position> {
        self.inner.get_cursor_position()
    }

    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> io::Result<()> {
        let position = position.into();
        if self.cursor_at != Some(position) {
            self.inner.set_cursor_position(position)?;
            self.cursor_at = Some(position);
            self.wrote = true;
        }
        Ok(())
    }

    fn clear(&mut self) -> io::Result<()> {
        self.begin_update()?;
        self.inner.clear()
    }

    fn clear_region(&mut self, clear_type: ClearType) -> io::Result<()> {
        self.begin_update()?;
        self.inner.clear_region(clear_type)
    }

    fn size(&self) -> io::Result<Size> {
        self.inner.size()
    }

    fn window_size(&mut self) -> io::Result<WindowSize> {
        self.inner.window_size()
    }

    fn flush(&mut self) -> io::Result<()> {
        if std::mem::take(&mut self.updating) {
            queue!(self.inner, EndSynchronizedUpdate)?;
        }
        Backend::flush(&mut self.inner)
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::rc::Rc;

    use ratatui::layout::Rect;
    use ratatui::widgets::Paragraph;
    use ratatui::{Terminal, TerminalOptions, Viewport};

    use super::*;

    /// What the terminal received.
    #[derive(Clone, Default)]
    struct Sink(Rc<RefCell<Vec<u8>>>);

    impl Write for Sink {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.borrow_mut().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    struct Screen {
        terminal: Terminal<QuietBackend<Sink>>,
        sink: Sink,
    }

    fn screen() -> Screen {
        let sink = Sink::default();
        let terminal = Terminal::with_options(
            QuietBackend::new(sink.clone()),
            TerminalOptions {
                viewport: Viewport::Fixed(Rect::new(0, 0, 20, 3)),
            },
        )
        .expect("terminal");
        Screen { terminal, sink }
    }

    /// Draws `text` (with the cursor at `cursor`) and returns the bytes the frame wrote.
    fn frame(s: &mut Screen, text: &str, cursor: Option<(u16, u16)>) -> String {
        s.sink.0.borrow_mut().clear();
        s.terminal
            .draw(|f| {
                f.render_widget(Paragraph::new(text.to_owned()), f.area());
                if let Some(at) = cursor {
                    f.set_cursor_position(at);
                }
            })
            .expect("draw");
        let wrote = s.terminal.backend_mut().take_wrote();
        let out = String::from_utf8_lossy(&s.sink.0.borrow()).into_owned();
        assert_eq!(wrote, !out.is_empty(), "take_wrote agrees with the bytes");
        out
    }

    #[test]
    fn an_unchanged_frame_writes_nothing() {
        let mut t = screen();
        let first = frame(&mut t, "deploy ok", None);
        assert!(first.starts_with("\u{1b}[?2026h"), "{first:?}");
        assert!(
            first.contains("deploy") && first.contains("ok"),
            "{first:?}"
        );
        assert!(first.ends_with("\u{1b}[?25l\u{1b}[?2026l"), "{first:?}");
        assert_eq!(frame(&mut t, "deploy ok", None), "");
        assert_eq!(frame(&mut t, "deploy ok", None), "");
    }

    #[test]
    fn a_changed_cell_is_written_inside_a_synchronized_update() {
        let mut t = screen();
        frame(&mut t, "deploy ok", None);
        let out = frame(&mut t, "deploy no", None);
        assert!(out.starts_with("\u{1b}[?2026h"), "{out:?}");
        assert!(out.contains('n'), "{out:?}");
        assert!(out.ends_with("\u{1b}[?2026l"), "{out:?}");
        assert!(!out.contains("deploy"), "only the changed cells: {out:?}");
    }

    #[test]
    fn the_cursor_is_sent_only_when_it_moves_or_cells_moved_it() {
        let mut t = screen();
        frame(&mut t, "/filter", Some((7, 0)));
        assert_eq!(frame(&mut t, "/filter", Some((7, 0))), "");
        // Moving the cursor alone: a move, no cells, no update brackets.
        let moved = frame(&mut t, "/filter", Some((3, 0)));
        assert_eq!(moved, "\u{1b}[1;4H");
        // Cells drawn move the terminal's cursor, so it is put back.
        let typed = frame(&mut t, "/filterx", Some((3, 0)));
        assert!(
            typed.contains('x') && typed.contains("\u{1b}[1;4H"),
            "{typed:?}"
        );
        // Hiding it is a change; keeping it hidden is not.
        assert_eq!(frame(&mut t, "/filterx", None), "\u{1b}[?25l");
        assert_eq!(frame(&mut t, "/filterx", None), "");
    }
}
