//! Drawing. Reads `&App` only; one function per pane or dialog.

mod approvals;
mod audit;
mod batch;
mod bulk_start;
mod chrome;
pub mod depth;
mod detail;
mod dialogs;
mod executions;
pub mod format;
mod logs;
mod palette;
mod pipelines;
mod table;
pub mod theme;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders};

use crate::app::{App, Pane, View};
use crate::sanitize::clean;
pub use theme::Theme;

pub fn draw(f: &mut Frame, app: &App, theme: &Theme) {
    // What this frame draws says again when its times move (see `app::Clock`).
    app.clock.forget();
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
    dialogs::draw(f, app, theme);
}
