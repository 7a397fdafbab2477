//! The Audit pane: every start and decision recorded in the local audit log, newest first.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Block;

use super::Screen;
use super::format::ago;
use super::table::{Column, ListView};
use super::theme::Theme;
use crate::app::{FlashLevel, Pane};
use crate::sanitize::clean;

pub fn draw(f: &mut Frame, area: Rect, app: &Screen, theme: &Theme, block: Block) {
    let wide = area.width >= 110;
    let mut columns = vec![
        Column::new("WHEN", Constraint::Length(11)),
        Column::new("ACTION", Constraint::Length(8)),
        Column::new("TARGET", Constraint::Fill(3)),
        Column::new("RESULT", Constraint::Fill(2)),
    ];
    if wide {
        columns.insert(1, Column::new("USER", Constraint::Length(12)));
        columns.insert(2, Column::new("FROM", Constraint::Length(4)));
        columns.insert(4, Column::new("BACKEND", Constraint::Length(14)));
    }
    let rows = ListView {
        block,
        columns: &columns,
        len: app.view(Pane::Audit).len(),
        selected: app.selected_index(Pane::Audit),
        scroll: &app.scroll[Pane::Audit.index()],
        empty: vec![Line::styled(
            "no starts or decisions recorded yet",
            theme.dim(),
        )],
        notice: None,
    }
    .render(f, area, theme, |i| {
        let Some(e) = app.view(Pane::Audit).get(i).and_then(|j| app.audit.get(*j)) else {
            return Vec::new();
        };
        let result_style = theme.flash(if e.result.ok {
            FlashLevel::Success
        } else {
            FlashLevel::Error
        });
        let result = match &e.result.error {
            Some(err) => format!("{}: {}", e.result.status, err),
            None => e.result.status.clone(),
        };
        let mut cells = vec![
            Line::from(ago(&app.clock, Some(e.time))),
            Line::from(e.action.clone()),
            Line::from(clean(&e.target.name).into_owned()),
            Line::from(Span::styled(clean(&result).into_owned(), result_style)),
        ];
        if wide {
            cells.insert(1, Line::from(clean(&e.user).into_owned()));
            cells.insert(2, Line::from(e.source.clone()));
            cells.insert(4, Line::from(clean(&e.backend).into_owned()));
        }
        cells
    });
    app.drew_rows(rows);
}

pub fn detail_lines<'a>(app: &Screen, theme: &Theme) -> Vec<Line<'a>> {
    let Some(e) = app.selected_audit() else {
        return vec![Line::styled("nothing selected", theme.dim())];
    };
    let field = |name: &str, value: String| {
        Line::from(vec![
            Span::styled(format!("{name:>12}  "), theme.dim()),
            Span::raw(clean(&value).into_owned()),
        ])
    };
    let mut lines = vec![
        field("time", e.time.to_string()),
        field("user", format!("{} (via {})", e.user, e.source)),
        field("backend", e.backend.clone()),
    ];
    // Who acted on the backend, and how sure that is; entries written before flightdeck
    // recorded it have none.
    if let Some(identity) = &e.identity {
        lines.push(field("acted as", identity.describe()));
    }
    if let Some(id) = &e.request_id {
        lines.push(field("request id", id.clone()));
    }
    lines.extend([
        field("action", e.action.clone()),
        field(
            "target",
            format!("{} [{}/{}]", e.target.name, e.target.project, e.target.id),
        ),
        field(
            "execution",
            e.target.execution.clone().unwrap_or_else(|| "-".into()),
        ),
        field("result", e.result.status.clone()),
    ]);
    if let Some(err) = &e.result.error {
        lines.push(field("error", err.clone()));
    }
    if let Some(notes) = &e.inputs.notes {
        lines.push(field("notes", notes.clone()));
    }
    if let Some(comment) = &e.inputs.comment {
        lines.push(field("comment", comment.clone()));
    }
    for v in &e.inputs.values {
        lines.push(field("input", format!("{} = {}", v.name, v.value)));
    }
    lines
}
