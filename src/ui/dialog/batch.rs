//! The batch decision dialog: every marked gate listed before anything is sent, then one
//! result line per gate.

use ratatui::Frame;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::UnicodeWidthStr;

use super::frame::{self, form};
use crate::app::BatchDialog;
use crate::domain::DecisionAction;
use crate::sanitize::clean;
use crate::ui::Screen;
use crate::ui::theme::Theme;

pub fn draw(f: &mut Frame, app: &Screen, theme: &Theme, d: &BatchDialog) {
    let production = d
        .gates
        .iter()
        .any(|(g, _)| app.backend(&g.backend).is_some_and(|b| b.production));
    let verb = match d.action {
        DecisionAction::Approve => "Approve",
        DecisionAction::Reject => "Reject",
    };
    let n = d.gates.len();
    let form_rows = if d.results.is_some() {
        1
    } else {
        d.form.fields.len() as u16 + 3
    };
    let [summary, list, bottom] = frame::marked_list(
        f,
        theme,
        &format!("{verb} {n} marked gate"),
        n,
        form_rows,
        production,
    );

    let hidden = d.hidden();
    let head = match &d.results {
        None if hidden > 0 => Span::styled(
            format!("{hidden} of these {n} are hidden by the current filter"),
            theme.warn(),
        ),
        None => Span::styled("every marked gate:", theme.dim()),
        Some(_) if d.finished() => Span::styled("done — Enter or Esc closes", theme.dim()),
        Some(_) => Span::styled("sending… results arrive per gate", theme.dim()),
    };
    f.render_widget(Paragraph::new(Line::from(head)), summary);

    let rows = usize::from(list.height);
    // Results line up in a column as wide as the longest one shown, not a fixed 32
    // cells: on a narrow screen the gate names after them must survive.
    let pad = d
        .results
        .iter()
        .flatten()
        .map(|r| frame::outcome(theme, r).0.width())
        .max()
        .unwrap_or(0)
        .min(32);
    let mut lines: Vec<Line> = d
        .gates
        .iter()
        .enumerate()
        .take(if n > rows {
            rows.saturating_sub(1)
        } else {
            rows
        })
        .map(|(i, (g, hidden))| {
            let mut spans = Vec::new();
            // First, so it is never cut off on a narrow screen.
            if *hidden {
                spans.push(Span::styled("[hidden] ", theme.warn()));
            }
            spans.push(Span::raw(format!(
                "{} · {} / {} ({} on {})",
                clean(&g.pipeline_name),
                clean(&g.stage),
                clean(&g.step),
                clean(&g.project),
                g.backend
            )));
            if let Some(result) = d.results.as_ref().and_then(|r| r.get(i)) {
                let (label, style) = frame::outcome(theme, result);
                spans.insert(0, Span::styled(format!("{label:<pad$} "), style));
            }
            Line::from(spans)
        })
        .collect();
    if n > rows {
        lines.push(Line::styled(
            format!("… and {} more", n - rows.saturating_sub(1)),
            theme.dim(),
        ));
    }
    f.render_widget(Paragraph::new(lines), list);

    if d.results.is_none()
        && let Some(pos) = form(f, bottom, app, theme, &d.form, false)
    {
        f.set_cursor_position(pos);
    }
}
