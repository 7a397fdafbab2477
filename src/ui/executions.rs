//! The Executions pane: live, newest first.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Block;

use super::Screen;
use super::chrome::{empty_lines, unknown_notice};
use super::format::{ago, duration, status_text};
use super::table::{Column, ListView};
use super::theme::Theme;
use crate::app::{Pane, Read};
use crate::domain::Execution;
use crate::sanitize::clean;

pub fn draw(f: &mut Frame, area: Rect, app: &Screen, theme: &Theme, block: Block) {
    let wide = area.width >= 110;
    let many = app.backends.len() > 1;
    let mut columns = vec![
        Column::new("STATUS", Constraint::Length(13)),
        Column::new("PIPELINE", Constraint::Fill(2)),
        Column::new("RUN", Constraint::Length(5)),
        Column::new("STAGES", Constraint::Length(6)),
        Column::new("TIME", Constraint::Length(7)),
        Column::new("STARTED", Constraint::Length(10)),
    ];
    if wide {
        columns.insert(2, Column::new("PROJECT", Constraint::Fill(1)));
        columns.push(Column::new("BY", Constraint::Fill(1)));
        if many {
            columns.insert(2, Column::new("BACKEND", Constraint::Fill(1)));
        }
    }
    let list = &app.executions;
    let view = app.view(Pane::Executions);
    let rows = ListView {
        block,
        columns: &columns,
        len: view.len(),
        selected: app.selected_index(Pane::Executions),
        scroll: &app.scroll[Pane::Executions.index()],
        empty: empty_lines(app, theme, Read::Executions, "no executions"),
        notice: unknown_notice(app, theme, Read::Executions),
    }
    .render(f, area, theme, |i| {
        row(app, theme, &list[view[i]], wide, many)
    });
    app.drew_rows(rows);
}

fn row<'a>(app: &Screen, theme: &Theme, e: &'a Execution, wide: bool, many: bool) -> Vec<Line<'a>> {
    let s = e.status.status;
    let status = Span::styled(status_text(&e.status), theme.status(s));
    let mut cells = vec![
        Line::from(status),
        // A followed execution (`w`, or started here) is flagged: its end will be notified.
        // Marked for a batch (`space`): a glyph, so marks show without colour too.
        Line::from(format!(
            "{}{}{}",
            if app.runs().is_marked(&e.key()) {
                "● "
            } else {
                ""
            },
            if app.is_followed(e) { "⚑ " } else { "" },
            clean(&e.pipeline_name)
        )),
        Line::from(e.run_number.map(|n| format!("#{n}")).unwrap_or_default()),
        Line::from(if e.stages_total > 0 {
            format!("{}/{}", e.stages_done, e.stages_total)
        } else {
            String::new()
        }),
        Line::from(duration(&app.clock, e.started, e.ended)),
        Line::from(ago(&app.clock, e.started)),
    ];
    if wide {
        cells.insert(2, Line::from(clean(&e.project).into_owned()));
        cells.push(Line::from(clean(&e.triggered_by).into_owned()));
        if many {
            cells.insert(2, Line::from(e.backend.to_string()));
        }
    }
    cells
}
