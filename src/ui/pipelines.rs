//! The Pipelines pane: everything startable, grouped by backend and project.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Block;

use super::Screen;
use super::chrome::{empty_lines, unknown_notice};
use super::format::{ago, status_text};
use super::table::{Column, ListView};
use super::theme::Theme;
use crate::app::{Pane, Read};
use crate::domain::Pipeline;
use crate::sanitize::clean;

pub fn draw(f: &mut Frame, area: Rect, app: &Screen, theme: &Theme, block: Block) {
    let wide = area.width >= 110;
    let many = app.backends.len() > 1;
    let mut columns = vec![
        // Marked for a bulk start.
        Column::new("", Constraint::Length(1)),
        Column::new("PIPELINE", Constraint::Fill(2)),
        Column::new("PROJECT", Constraint::Fill(1)),
        Column::new("LAST RUN", Constraint::Length(13)),
        Column::new("WHEN", Constraint::Length(11)),
    ];
    if wide {
        if many {
            columns.insert(2, Column::new("BACKEND", Constraint::Fill(1)));
        }
        columns.push(Column::new("STAGES", Constraint::Length(6)));
        columns.push(Column::new("TAGS", Constraint::Fill(2)));
    }
    let list = &app.pipelines;
    let view = app.view(Pane::Pipelines);
    let rows = ListView {
        block,
        columns: &columns,
        len: view.len(),
        selected: app.selected_index(Pane::Pipelines),
        scroll: &app.scroll[Pane::Pipelines.index()],
        empty: empty_lines(app, theme, Read::Pipelines, "no pipelines"),
        notice: unknown_notice(app, theme, Read::Pipelines),
    }
    .render(f, area, theme, |i| {
        row(app, theme, &list[view[i]], wide, many)
    });
    app.drew_rows(rows);
}

fn row<'a>(app: &Screen, theme: &Theme, p: &'a Pipeline, wide: bool, many: bool) -> Vec<Line<'a>> {
    // What the backend reports of the last run; else the newest run in the executions list
    // (Argo, First Gen and Infraxys report none); else nothing is known: "-", never "never
    // run", since the list holds only recent executions.
    let seen = app.last_seen_run(p);
    let (last, when) = match (&p.last_status, seen) {
        (Some(s), _) => (
            Span::styled(status_text(s), theme.status(s.status)),
            ago(&app.clock, p.last_run),
        ),
        (None, Some(e)) => (
            Span::styled(status_text(&e.status), theme.status(e.status.status)),
            ago(&app.clock, e.started),
        ),
        (None, None) => (Span::styled("-", theme.dim()), "-".to_string()),
    };
    let mark = if app.pipeline_marks.contains(&p.key()) {
        "●"
    } else {
        " "
    };
    let mut cells = vec![
        Line::from(Span::styled(mark, theme.key())),
        Line::from(clean(&p.name).into_owned()),
        Line::from(clean(&p.project).into_owned()),
        Line::from(last),
        Line::from(when),
    ];
    if wide {
        if many {
            cells.insert(2, Line::from(p.backend.to_string()));
        }
        cells.push(Line::from(
            p.stages.map(|n| n.to_string()).unwrap_or_default(),
        ));
        let tags: Vec<String> = p
            .tags
            .iter()
            .map(|(k, v)| {
                if v.is_empty() {
                    clean(k).into_owned()
                } else {
                    format!("{}:{}", clean(k), clean(v))
                }
            })
            .collect();
        cells.push(Line::from(tags.join(" ")));
    }
    cells
}
