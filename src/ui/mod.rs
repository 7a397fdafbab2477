//! Drawing. Reads `&App` only; one function per pane or dialog.

mod approvals;
mod audit;
mod batch;
mod bulk_start;
mod chrome;
mod detail;
mod dialogs;
mod executions;
pub mod format;
mod pipelines;
mod table;
pub mod theme;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::text::Span;
use ratatui::widgets::{Block, BorderType, Borders};

use crate::app::{App, Pane, View};
pub use theme::Theme;

pub fn draw(f: &mut Frame, app: &App, theme: &Theme) {
    let [head, body, status, keys] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(f.area());
    chrome::header(f, head, app, theme);
    let production = app.backends.iter().any(|b| b.production);
    let title = match app.view {
        View::List => format!(" {} ", app.pane.title()),
        View::Detail => format!(" {} › detail ", app.pane.title()),
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(if production {
            BorderType::Double
        } else {
            BorderType::Plain
        })
        .border_style(theme.border(production))
        .title(Span::styled(title, theme.title()));
    match (app.view, app.pane) {
        (View::Detail, _) => detail::draw(f, body, app, theme, block),
        (View::List, Pane::Pipelines) => pipelines::draw(f, body, app, theme, block),
        (View::List, Pane::Executions) => executions::draw(f, body, app, theme, block),
        (View::List, Pane::Approvals) => approvals::draw(f, body, app, theme, block),
        (View::List, Pane::Audit) => audit::draw(f, body, app, theme, block),
    }
    chrome::status_bar(f, status, app, theme);
    chrome::footer(f, keys, app, theme);
    dialogs::draw(f, app, theme);
}
