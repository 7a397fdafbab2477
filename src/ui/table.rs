//! A scrolling table that builds only the rows on screen, with the selection shown by a
//! marker and reverse video (readable without colour).

use std::cell::Cell as ScrollCell;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, Wrap};

use super::theme::Theme;

pub struct Column {
    pub title: &'static str,
    pub width: Constraint,
}

impl Column {
    pub const fn new(title: &'static str, width: Constraint) -> Self {
        Column { title, width }
    }
}

/// The first row to show so that `selected` stays visible, moving the window as little as
/// possible from where it was (`scroll`).
pub fn window(
    len: usize,
    height: usize,
    selected: Option<usize>,
    scroll: &ScrollCell<usize>,
) -> usize {
    let mut offset = scroll.get();
    if let Some(sel) = selected {
        if sel < offset {
            offset = sel;
        } else if height > 0 && sel >= offset + height {
            offset = sel + 1 - height;
        }
    }
    offset = offset.min(len.saturating_sub(height));
    scroll.set(offset);
    offset
}

pub struct ListView<'a> {
    pub block: Block<'a>,
    pub columns: &'a [Column],
    pub len: usize,
    pub selected: Option<usize>,
    pub scroll: &'a ScrollCell<usize>,
    /// Shown instead of rows when the list is empty.
    pub empty: Vec<Line<'a>>,
    /// A line above the rows: what the list is missing (backends whose part is unknown).
    pub notice: Option<Line<'a>>,
}

impl ListView<'_> {
    pub fn render<'r>(
        self,
        f: &mut Frame,
        area: Rect,
        theme: &Theme,
        mut cells: impl FnMut(usize) -> Vec<Cell<'r>>,
    ) {
        let mut inner = self.block.inner(area);
        if self.len == 0 {
            let msg = Paragraph::new(self.empty)
                .wrap(Wrap { trim: false })
                .block(self.block);
            f.render_widget(msg, area);
            return;
        }
        f.render_widget(self.block, area);
        if let Some(notice) = self.notice {
            let [top, rest] =
                Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(inner);
            f.render_widget(Paragraph::new(notice), top);
            inner = rest;
        }
        let height = usize::from(inner.height.saturating_sub(1));
        let first = window(self.len, height, self.selected, self.scroll);
        let last = (first + height).min(self.len);
        let rows = (first..last).map(|i| {
            let selected = Some(i) == self.selected;
            let marker = Cell::from(if selected { "▶" } else { " " });
            Row::new(std::iter::once(marker).chain(cells(i))).style(if selected {
                theme.selected()
            } else {
                theme.base()
            })
        });
        let widths = std::iter::once(Constraint::Length(1))
            .chain(self.columns.iter().map(|c| c.width))
            .collect::<Vec<_>>();
        let header = Row::new(std::iter::once("").chain(self.columns.iter().map(|c| c.title)))
            .style(theme.header());
        let table = Table::new(rows, widths).header(header).column_spacing(1);
        f.render_widget(table, inner);
    }
}
