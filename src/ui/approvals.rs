//! The Approvals pane: every gate waiting for a person, oldest first, with its deadline.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::Span;
use ratatui::widgets::{Block, Cell};

use super::Screen;
use super::chrome::{empty_lines, unknown_notice};
use super::format::{ago, countdown};
use super::table::{Column, ListView};
use super::theme::Theme;
use crate::app::{Pane, Read};
use crate::domain::{Approval, DecisionOutcome, ExecStatus};
use crate::sanitize::clean;

pub fn draw(f: &mut Frame, area: Rect, app: &Screen, theme: &Theme, block: Block) {
    let wide = area.width >= 110;
    // The message is long prose: it gets a column only when there is room for it, and is
    // always in the detail view and the decision dialog.
    let very_wide = area.width >= 160;
    let mut columns = vec![
        // Marked for a batch: a glyph, so marks show without colour too.
        Column::new("", Constraint::Length(1)),
        Column::new("GATE", Constraint::Length(12)),
        Column::new("PIPELINE", Constraint::Fill(3)),
        Column::new("STAGE / STEP", Constraint::Fill(3)),
        Column::new("DEADLINE", Constraint::Length(13)),
        Column::new("WAITING", Constraint::Length(10)),
    ];
    if wide {
        columns.insert(3, Column::new("PROJECT", Constraint::Length(10)));
        columns.push(Column::new("STARTED BY", Constraint::Length(14)));
    }
    if very_wide {
        columns.push(Column::new("MESSAGE", Constraint::Fill(4)));
    }
    let list = &app.approvals;
    let view = app.view(Pane::Approvals);
    ListView {
        block,
        columns: &columns,
        len: view.len(),
        selected: app.selected_index(Pane::Approvals),
        scroll: &app.scroll[Pane::Approvals.index()],
        empty: empty_lines(app, theme, Read::Approvals, "no gates waiting"),
        notice: unknown_notice(app, theme, Read::Approvals),
    }
    .render(f, area, theme, |i| {
        row(app, theme, &list[view[i]], wide, very_wide)
    });
}

/// What the gate is doing from this session's point of view: waiting, a decision in
/// flight, or decided here (until the backend stops listing it).
pub fn gate_state(app: &Screen, theme: &Theme, a: &Approval) -> (&'static str, Style) {
    let key = a.key();
    if app.gates().is_in_flight(&key) {
        ("… sending", theme.status(ExecStatus::Running))
    } else {
        match app.gates().decided(&key) {
            Some(DecisionOutcome::Rejected) => ("⊘ rejected", theme.status(ExecStatus::Rejected)),
            Some(_) => ("✓ approved", theme.status(ExecStatus::Succeeded)),
            None => ("◆ waiting", theme.status(ExecStatus::Waiting)),
        }
    }
}

fn row<'a>(
    app: &Screen,
    theme: &Theme,
    a: &'a Approval,
    wide: bool,
    very_wide: bool,
) -> Vec<Cell<'a>> {
    let (state, style) = gate_state(app, theme, a);
    let overdue = a.deadline.is_some_and(|d| app.clock.is_past(d));
    let deadline = Span::styled(
        countdown(&app.clock, a.deadline),
        if overdue {
            theme.status(ExecStatus::Failed)
        } else {
            theme.base()
        },
    );
    let mark = if app.gates().is_marked(&a.key()) {
        "●"
    } else {
        " "
    };
    let mut cells = vec![
        Cell::from(Span::styled(mark, theme.key())),
        Cell::from(Span::styled(state, style)),
        Cell::from(clean(&a.pipeline_name).into_owned()),
        Cell::from(format!("{} / {}", clean(&a.stage), clean(&a.step))),
        Cell::from(deadline),
        Cell::from(ago(&app.clock, a.created)),
    ];
    if wide {
        cells.insert(3, Cell::from(clean(&a.project).into_owned()));
        cells.push(Cell::from(clean(&a.triggered_by).into_owned()));
    }
    if very_wide {
        cells.push(Cell::from(clean(&a.message).into_owned()));
    }
    cells
}
