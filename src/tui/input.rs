//! Terminal events to messages. Keys pass through as they are; a mouse event is looked up in
//! where the last frame put things ([`Hits`], kept by the event loop, never in the model)
//! and said in the model's words ([`Pointer`]): a row, a tab, a button. Telling a double
//! click from two clicks takes time, so that is decided here too.

use std::time::{Duration, Instant};

use crossterm::event::{Event, MouseButton, MouseEvent, MouseEventKind};

use crate::app::{Msg, Pointer, WHEEL_ROWS};
use crate::ui::{Hits, Spot};

/// The longest gap between the two clicks of a double click.
pub const DOUBLE_CLICK: Duration = Duration::from_millis(500);

/// What the input layer remembers between events: the last click, for double clicks.
#[derive(Debug)]
pub struct Input {
    /// `[ui] mouse`: when off, mouse events are dropped, whatever the terminal sends.
    mouse: bool,
    last_click: Option<(Instant, Spot)>,
}

impl Default for Input {
    fn default() -> Self {
        Input::new(true)
    }
}

impl Input {
    pub fn new(mouse: bool) -> Self {
        Input {
            mouse,
            last_click: None,
        }
    }

    /// The message for `event`, if it means anything here; `now` is when it arrived.
    pub fn translate(&mut self, event: Event, hits: &Hits, now: Instant) -> Option<Msg> {
        match event {
            Event::Key(key) => Some(Msg::Key(key)),
            Event::Resize(width, height) => Some(Msg::Resize { width, height }),
            Event::Mouse(mouse) if self.mouse => self.mouse(mouse, hits, now).map(Msg::Pointer),
            _ => None,
        }
    }

    fn mouse(&mut self, mouse: MouseEvent, hits: &Hits, now: Instant) -> Option<Pointer> {
        match mouse.kind {
            MouseEventKind::ScrollDown => Some(Pointer::Scroll(WHEEL_ROWS)),
            MouseEventKind::ScrollUp => Some(Pointer::Scroll(-WHEEL_ROWS)),
            MouseEventKind::Down(MouseButton::Left) => {
                let spot = hits.at(mouse.column, mouse.row);
                let double = matches!(
                    (self.last_click, spot),
                    (Some((at, last)), Some(here))
                        if last == here && now.saturating_duration_since(at) <= DOUBLE_CLICK
                );
                // A third click starts over: it is not a second double click.
                self.last_click = if double { None } else { spot.map(|s| (now, s)) };
                Some(match spot? {
                    Spot::Row { pane, row } if double => Pointer::Open { pane, row },
                    Spot::Row { pane, row } => Pointer::Select { pane, row },
                    Spot::Tab(pane) => Pointer::Tab(pane),
                    Spot::Button(focus) => Pointer::Button(focus),
                })
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::{Focus, Pane};
    use crate::ui::hits::Hits;
    use crossterm::event::KeyModifiers;
    use ratatui::layout::Rect;

    fn hits() -> Hits {
        Hits {
            tabs: vec![(Rect::new(13, 0, 12, 1), Pane::Pipelines)],
            rows: Some((
                Pane::Approvals,
                crate::ui::Rows {
                    area: Rect::new(1, 3, 78, 5),
                    first: 10,
                },
            )),
            buttons: vec![(Rect::new(30, 3, 11, 1), Focus::Cancel)],
        }
    }

    fn click(x: u16, y: u16) -> Event {
        Event::Mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column: x,
            row: y,
            modifiers: KeyModifiers::NONE,
        })
    }

    fn pointer(msg: Option<Msg>) -> Option<Pointer> {
        match msg {
            Some(Msg::Pointer(p)) => Some(p),
            _ => None,
        }
    }

    #[test]
    fn clicks_name_what_the_last_frame_drew_there() {
        let (mut input, hits, t) = (Input::default(), hits(), Instant::now());
        let at = |input: &mut Input, x, y, after| {
            pointer(input.translate(click(x, y), &hits, t + Duration::from_millis(after)))
        };
        assert_eq!(
            at(&mut input, 14, 0, 0),
            Some(Pointer::Tab(Pane::Pipelines))
        );
        // The screen line under the header's, and the list's scroll, make the row.
        assert_eq!(
            at(&mut input, 5, 5, 1000),
            Some(Pointer::Select {
                pane: Pane::Approvals,
                row: 12
            })
        );
        // A dialog's button is drawn over the list.
        assert_eq!(
            at(&mut input, 31, 3, 2000),
            Some(Pointer::Button(Focus::Cancel))
        );
        assert_eq!(at(&mut input, 5, 20, 3000), None, "below the rows");
        let mut off = Input::new(false);
        assert_eq!(at(&mut off, 14, 0, 4000), None, "[ui] mouse = false");
    }

    #[test]
    fn a_second_click_on_the_same_row_soon_after_opens_it() {
        let (mut input, hits, t) = (Input::default(), hits(), Instant::now());
        let mut at = |y, after| {
            pointer(input.translate(click(5, y), &hits, t + Duration::from_millis(after)))
        };
        let row = |row| Pointer::Select {
            pane: Pane::Approvals,
            row,
        };
        assert_eq!(at(3, 0), Some(row(10)));
        assert_eq!(
            at(3, 300),
            Some(Pointer::Open {
                pane: Pane::Approvals,
                row: 10
            })
        );
        // A third click is a first one again.
        assert_eq!(at(3, 400), Some(row(10)));
        // Too slow, or on another row: two clicks.
        assert_eq!(at(3, 400 + 600), Some(row(10)));
        assert_eq!(at(4, 1100), Some(row(11)));
    }
}
