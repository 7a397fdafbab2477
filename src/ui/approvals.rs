//! The Approvals pane: every gate waiting for a person, the most urgent first (see
//! `domain::order::approvals`), with where it runs and how long is left.

use std::time::Duration;

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Block;
use unicode_width::UnicodeWidthStr;

use super::Screen;
use super::chrome::{empty_lines, unknown_notice};
use super::format::{ago, countdown};
use super::table::{Column, ListView};
use super::theme::Theme;
use crate::app::{Pane, Read};
use crate::domain::{Approval, DecisionOutcome, ExecStatus};
use crate::sanitize::clean;

/// A deadline closer than this is urgent: marked with [`URGENT`] and styled so.
pub const URGENT_WITHIN: Duration = Duration::from_secs(5 * 60);
/// The mark of an urgent deadline: the urgency reads without colour too.
pub const URGENT: &str = "⚠";
/// The badge of a row on a `production = true` backend.
pub const PROD: &str = "PROD";

pub fn draw(f: &mut Frame, area: Rect, app: &Screen, theme: &Theme, block: Block) {
    let wide = area.width >= 110;
    let very_wide = area.width >= 160;
    let list = &app.approvals;
    let view = app.view(Pane::Approvals);
    let production = app.backends.iter().any(|b| b.production);
    // Backend and environment names are short and few: their columns are as wide as the
    // longest shown, within bounds, and the rest goes to the names and the message.
    let widest = |width: fn(&Approval) -> usize, min: usize, max: usize| {
        view.iter()
            .map(|i| width(&list[*i]))
            .max()
            .unwrap_or(0)
            .clamp(min, max) as u16
    };
    let backend_w = widest(|a| a.backend.width(), 7, 14);
    let env_w = widest(
        |a| a.environment.as_deref().map_or(0, |e| clean(e).width()),
        3,
        12,
    );
    let mut columns = vec![
        // Marked for a batch: a glyph, so marks show without colour too.
        Column::new("", Constraint::Length(1)),
        // What this session did to the gate, as a glyph (see `gate_state`).
        Column::new("", Constraint::Length(1)),
    ];
    if production {
        columns.push(Column::new("", Constraint::Length(PROD.len() as u16)));
    }
    columns.extend([
        Column::new("PIPELINE", Constraint::Fill(4)),
        Column::new("STAGE/STEP", Constraint::Fill(3)),
        Column::new("BACKEND", Constraint::Length(backend_w)),
        Column::new("ENV", Constraint::Length(env_w)),
        Column::new("DEADLINE", Constraint::Length(12)),
        Column::new("WAITING", Constraint::Length(7)),
    ]);
    // The message is long prose: it gets a column where there is room for it, and is always
    // in the detail view and the decision dialog.
    if wide {
        columns.push(Column::new("STARTED BY", Constraint::Length(12)));
        columns.push(Column::new("MESSAGE", Constraint::Fill(4)));
    }
    if very_wide {
        columns.insert(
            columns.len() - 2,
            Column::new("PROJECT", Constraint::Length(12)),
        );
    }
    let rows = ListView {
        block,
        columns: &columns,
        len: view.len(),
        selected: app.selected_index(Pane::Approvals),
        scroll: &app.scroll[Pane::Approvals.index()],
        empty: empty_lines(app, theme, Read::Approvals, "no gates waiting"),
        notice: unknown_notice(app, theme, Read::Approvals),
    }
    .render(f, area, theme, |i| {
        row(app, theme, &list[view[i]], production, wide, very_wide)
    });
    app.drew_rows(rows);
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

/// The deadline as the DEADLINE column shows it: the countdown, urgent (marked and styled)
/// once less than [`URGENT_WITHIN`] is left or the deadline has passed.
fn deadline<'a>(app: &Screen, theme: &Theme, a: &Approval) -> Span<'a> {
    let text = countdown(&app.clock, a.deadline);
    let urgent = a
        .deadline
        .is_some_and(|d| app.clock.is_past(d - URGENT_WITHIN));
    if urgent {
        Span::styled(format!("{URGENT} {text}"), theme.urgent())
    } else {
        Span::styled(text, theme.base())
    }
}

fn row<'a>(
    app: &Screen,
    theme: &Theme,
    a: &'a Approval,
    production: bool,
    wide: bool,
    very_wide: bool,
) -> Vec<Line<'a>> {
    let (state, style) = gate_state(app, theme, a);
    // The glyph alone: the word is the same on nearly every row.
    let glyph = state.split(' ').next().unwrap_or(state);
    let mark = if app.gates().is_marked(&a.key()) {
        "●"
    } else {
        " "
    };
    let mut cells = vec![
        Line::from(Span::styled(mark, theme.key())),
        Line::from(Span::styled(glyph, style)),
    ];
    if production {
        let prod = app.backend(&a.backend).is_some_and(|b| b.production);
        cells.push(if prod {
            Line::from(Span::styled(PROD, theme.production()))
        } else {
            Line::default()
        });
    }
    cells.extend([
        Line::from(clean(&a.pipeline_name).into_owned()),
        Line::from(format!("{} / {}", clean(&a.stage), clean(&a.step))),
        Line::from(a.backend.to_string()),
        Line::from(
            a.environment
                .as_deref()
                .map_or_else(|| "-".to_string(), |e| clean(e).into_owned()),
        ),
        Line::from(deadline(app, theme, a)),
        // How long it has waited: the header says "waiting", so no "ago".
        Line::from(
            ago(&app.clock, a.created)
                .trim_end_matches(" ago")
                .to_string(),
        ),
    ]);
    if wide {
        cells.push(Line::from(clean(&a.triggered_by).into_owned()));
        cells.push(Line::from(clean(&a.message).into_owned()));
    }
    if very_wide {
        cells.insert(cells.len() - 2, Line::from(clean(&a.project).into_owned()));
    }
    cells
}
