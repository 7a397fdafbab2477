//! A scrolling table that builds only the rows on screen, with the selection shown by a
//! marker and reverse video (readable without colour).

use std::cell::Cell as ScrollCell;

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, Wrap};
use unicode_width::UnicodeWidthChar;

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
    /// Draws the rows on screen; `cells` gives row `i`'s cells, one line per column. A cell
    /// wider than its column is cut with `…`, so a cut name never reads as a whole one.
    /// Returns where the rows went, for the mouse (see [`Rows`]).
    pub fn render<'r>(
        self,
        f: &mut Frame,
        area: Rect,
        theme: &Theme,
        mut cells: impl FnMut(usize) -> Vec<Line<'r>>,
    ) -> Option<Rows> {
        let mut inner = self.block.inner(area);
        if self.len == 0 {
            let msg = Paragraph::new(self.empty)
                .wrap(Wrap { trim: false })
                .block(self.block);
            f.render_widget(msg, area);
            return None;
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
        // The widths the table would give each column, computed here so every cell can be
        // fitted to its own.
        let constraints = std::iter::once(Constraint::Length(1))
            .chain(self.columns.iter().map(|c| c.width))
            .collect::<Vec<_>>();
        let widths: Vec<u16> = Layout::horizontal(constraints)
            .flex(Flex::Start)
            .spacing(SPACING)
            .split(Rect::new(0, 0, inner.width, 1))
            .iter()
            .map(|r| r.width)
            .collect();
        let rows = (first..last).map(|i| {
            let selected = Some(i) == self.selected;
            let marker = Cell::from(if selected { "▶" } else { " " });
            let fitted = cells(i)
                .into_iter()
                .zip(widths.iter().skip(1))
                .map(|(line, w)| Cell::from(fit_line(line, usize::from(*w))));
            Row::new(std::iter::once(marker).chain(fitted)).style(if selected {
                theme.selected()
            } else {
                theme.base()
            })
        });
        let header = Row::new(std::iter::once("").chain(self.columns.iter().map(|c| c.title)))
            .style(theme.header());
        let table = Table::new(rows, widths.iter().map(|w| Constraint::Length(*w)))
            .header(header)
            .column_spacing(SPACING);
        f.render_widget(table, inner);
        Some(Rows {
            area: Rect {
                y: inner.y + 1,
                height: (last - first) as u16,
                ..inner
            },
            first,
        })
    }
}

const SPACING: u16 = 1;

/// Where a list's rows were drawn: `area` holds one screen line per row, the top one being
/// row `first` of the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rows {
    pub area: Rect,
    pub first: usize,
}

/// `line` cut to `width` display cells, ending in `…` (in the style of the text it cuts)
/// when it did not fit.
pub fn fit_line(line: Line<'_>, width: usize) -> Line<'_> {
    if line.width() <= width {
        return line;
    }
    let mut spans: Vec<Span> = Vec::new();
    let mut used = 0;
    let mut last_style = line.style;
    'outer: for span in line.spans {
        let mut text = String::new();
        for c in span.content.chars() {
            let w = c.width().unwrap_or(0);
            if used + w + 1 > width {
                if !text.is_empty() {
                    spans.push(Span::styled(text, span.style));
                }
                last_style = span.style;
                break 'outer;
            }
            text.push(c);
            used += w;
        }
        last_style = span.style;
        spans.push(Span::styled(text, span.style));
    }
    if width > 0 {
        spans.push(Span::styled("…", last_style));
    }
    Line::from(spans).style(line.style)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::style::{Modifier, Style};

    #[test]
    fn a_cut_cell_ends_in_an_ellipsis_in_the_style_it_cuts() {
        let bold = Style::default().add_modifier(Modifier::BOLD);
        let line = Line::from(vec![
            Span::raw("Deploy "),
            Span::styled("API gateway", bold),
        ]);
        let cut = fit_line(line.clone(), 10);
        assert_eq!(cut.to_string(), "Deploy AP…");
        assert_eq!(cut.spans.last().unwrap().style, bold);
        assert_eq!(fit_line(line.clone(), 18).to_string(), "Deploy API gateway");
        assert_eq!(fit_line(Line::from("漢字漢字"), 5).to_string(), "漢字…");
        assert_eq!(fit_line(line, 0).to_string(), "");
    }
}
