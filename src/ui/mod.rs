//! Drawing. Reads `&App` only; one function per pane or dialog. What a frame finds out
//! while it is drawn (when its times next change, where each list's window sits, how far
//! the detail can scroll) is collected on the frame's [`Screen`] and returned as
//! [`Drawn`], which the event loop hands back to the app as `Msg::Drawn`.

mod approvals;
mod audit;
mod chrome;
pub mod depth;
mod detail;
mod dialog;
mod executions;
pub mod format;
pub mod hits;
mod logs;
mod palette;
mod pipelines;
mod table;
pub mod theme;

use std::cell::{Cell, RefCell};
use std::ops::Deref;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders};

use crate::app::{App, Drawn, FLASH_FOR, Flash, Pane, View};
use crate::sanitize::clean;
pub use hits::{Hits, Spot};
pub use table::Rows;
pub use theme::Theme;

/// One frame being drawn: the app, read only, and what the frame finds out. It reads as
/// the app (`Deref`), so drawing code writes `app.pipelines`; `clock` and `scroll` are the
/// frame's own.
pub struct Screen<'a> {
    app: &'a App,
    /// The time texts are drawn against; notes when one next changes.
    pub clock: format::Times,
    /// Each list's first visible row, starting from where the last frame left it.
    pub scroll: [Cell<usize>; 4],
    /// The last line the detail view can scroll to, once drawn.
    pub detail_bottom: Cell<Option<u16>>,
    /// Where the frame put what the mouse can point at; not part of [`Drawn`]: the model
    /// never sees screen positions.
    hits: RefCell<Hits>,
    /// The web UI link the detail drew, and where.
    pub link: Cell<Option<crate::app::Hyperlink>>,
}

impl<'a> Screen<'a> {
    fn new(app: &'a App) -> Self {
        Screen {
            app,
            clock: format::Times::new(app.clock.now()),
            scroll: app.scroll.map(Cell::new),
            detail_bottom: Cell::new(None),
            hits: RefCell::default(),
            link: Cell::new(None),
        }
    }

    fn drawn(self) -> (Drawn, Hits) {
        let drawn = Drawn {
            next_change: self.clock.next(),
            scroll: self.scroll.map(Cell::into_inner),
            detail_bottom: self.detail_bottom.into_inner(),
            link: self.link.into_inner(),
            repaint: false,
        };
        (drawn, self.hits.into_inner())
    }

    /// The current pane's list was drawn with its rows there.
    pub fn drew_rows(&self, rows: Option<table::Rows>) {
        self.hits.borrow_mut().rows = rows.map(|r| (self.app.pane, r));
    }

    /// A pane's tab was drawn there.
    pub fn drew_tab(&self, area: Rect, pane: Pane) {
        self.hits.borrow_mut().tabs.push((area, pane));
    }

    /// A dialog's button was drawn there, taking clicks.
    pub fn drew_button(&self, area: Rect, focus: crate::app::Focus) {
        self.hits.borrow_mut().buttons.push((area, focus));
    }

    /// The flash message, while it is recent; the frame changes when it goes.
    pub fn visible_flash(&self) -> Option<&'a Flash> {
        let flash = self.app.visible_flash()?;
        self.clock.changes_at(flash.at + FLASH_FOR);
        Some(flash)
    }
}

impl Deref for Screen<'_> {
    type Target = App;

    fn deref(&self) -> &App {
        self.app
    }
}

/// Draws the whole screen; returns what the frame found out, for `Msg::Drawn`.
pub fn draw(f: &mut Frame, app: &App, theme: &Theme) -> Drawn {
    draw_with_hits(f, app, theme).0
}

/// [`draw`], and where the frame put what the mouse can point at, for the input layer.
pub fn draw_with_hits(f: &mut Frame, app: &App, theme: &Theme) -> (Drawn, Hits) {
    let screen = Screen::new(app);
    draw_screen(f, &screen, theme);
    // The link is made clickable by writing its text again over it after the frame: only
    // if nothing drawn later (a dialog, the palette) covers any of its cells.
    if let Some(link) = screen.link.take() {
        let buffer = f.buffer_mut();
        let intact = link.text.chars().enumerate().all(|(i, c)| {
            u16::try_from(i)
                .ok()
                .and_then(|i| buffer.cell((link.x.saturating_add(i), link.y)))
                .is_some_and(|cell| {
                    cell.symbol().chars().eq(std::iter::once(c))
                        && cell.modifier.contains(ratatui::style::Modifier::UNDERLINED)
                })
        });
        if intact {
            screen.link.set(Some(link));
        }
    }
    screen.drawn()
}

fn draw_screen(f: &mut Frame, app: &Screen, theme: &Theme) {
    let [head, body, status, keys] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(f.area());
    chrome::header(f, head, app, theme);
    // Loud when the selected row belongs to a production backend: the frame says where an
    // approve or start would land before the dialog does.
    let production = app.current_production();
    let title = match app.view {
        View::List => format!(" {} ", app.pane.title()),
        View::Detail => format!(" {} › detail ", app.pane.title()),
        View::Logs => match &app.logs {
            Some(view) => format!(" {} › logs of {} ", app.pane.title(), clean(&view.exec.id)),
            None => format!(" {} › logs ", app.pane.title()),
        },
    };
    let mut title = vec![Span::styled(title, theme.title())];
    // The filter in force, whole, in the pane's own title, where there is room for it (the
    // header's tabs left it a few cells at 80 columns).
    if !app.filter_text.is_empty() && app.filter_input.is_none() && app.view != View::Logs {
        title.push(Span::styled(
            format!(" /{} ", clean(&app.filter_text)),
            theme.key(),
        ));
    }
    if app.view == View::List
        && let Some(sort) = app.sort_label(app.pane)
    {
        title.push(Span::styled(format!(" {sort} "), theme.key()));
    }
    if let Some(backend) = production {
        title.push(Span::styled(
            format!(" PRODUCTION: {backend} "),
            theme.production(),
        ));
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(if production.is_some() {
            BorderType::Double
        } else {
            BorderType::Plain
        })
        .border_style(theme.border(production.is_some()))
        .title(Line::from(title));
    match (app.view, app.pane) {
        (View::Detail, _) => detail::draw(f, body, app, theme, block),
        (View::Logs, _) => logs::draw(f, body, app, theme, block),
        (View::List, Pane::Pipelines) => pipelines::draw(f, body, app, theme, block),
        (View::List, Pane::Executions) => executions::draw(f, body, app, theme, block),
        (View::List, Pane::Approvals) => approvals::draw(f, body, app, theme, block),
        (View::List, Pane::Audit) => audit::draw(f, body, app, theme, block),
    }
    chrome::status_bar(f, status, app, theme);
    chrome::footer(f, keys, app, theme);
    palette::draw(f, app, theme);
    dialog::draw(f, app, theme);
}
