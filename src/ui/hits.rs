//! Where the last frame put what a mouse can point at: the tabs, the rows of the list on
//! screen, the buttons of an open dialog. Drawing collects it on the frame's `Screen` and
//! hands it to the event loop, which keeps it apart from the model and gives it to the
//! input layer (`tui::input`) to turn a click into a message. The model never sees screen
//! positions.

use ratatui::layout::{Position, Rect};

use super::table::Rows;
use crate::app::{Focus, Pane};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hits {
    /// Each pane's tab in the header.
    pub tabs: Vec<(Rect, Pane)>,
    /// The list drawn, and where its rows went.
    pub rows: Option<(Pane, Rows)>,
    /// The buttons of the dialog drawn, while it takes input.
    pub buttons: Vec<(Rect, Focus)>,
}

/// What is at a cell of the screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spot {
    Tab(Pane),
    /// Row `row` of `pane`'s shown rows.
    Row {
        pane: Pane,
        row: usize,
    },
    Button(Focus),
}

impl Hits {
    /// What the last frame drew at column `x`, line `y`; a dialog's buttons first, as they
    /// are drawn over everything else.
    pub fn at(&self, x: u16, y: u16) -> Option<Spot> {
        let p = Position { x, y };
        if let Some((_, focus)) = self.buttons.iter().find(|(r, _)| r.contains(p)) {
            return Some(Spot::Button(*focus));
        }
        if let Some((_, pane)) = self.tabs.iter().find(|(r, _)| r.contains(p)) {
            return Some(Spot::Tab(*pane));
        }
        let (pane, rows) = self.rows?;
        rows.area.contains(p).then(|| Spot::Row {
            pane,
            row: rows.first + usize::from(y - rows.area.y),
        })
    }
}
