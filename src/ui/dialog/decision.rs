//! The decision dialog (`app/dialog/decision.rs`).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::frame::{centered, form, frame};
use crate::app::DecisionDialog;
use crate::domain::DecisionAction;
use crate::sanitize::clean;
use crate::ui::Screen;
use crate::ui::format::{ago, countdown, fit, wrap};
use crate::ui::theme::Theme;

pub fn draw(f: &mut Frame, app: &Screen, theme: &Theme, d: &DecisionDialog) {
    let a = &d.approval;
    let width = f.area().width.min(78);
    let production = app.backend(&a.backend).is_some_and(|b| b.production);
    let verb = match d.action {
        DecisionAction::Approve => "Approve",
        DecisionAction::Reject => "Reject",
    };
    let info: Vec<Line> = [
        (
            "pipeline",
            format!(
                "{}  ({} on {})",
                clean(&a.pipeline_name),
                clean(&a.project),
                a.backend
            ),
        ),
        ("execution", clean(&a.execution_id).into_owned()),
        (
            "stage/step",
            format!("{} / {}", clean(&a.stage), clean(&a.step)),
        ),
        (
            "environment",
            a.environment
                .as_deref()
                .map(|e| clean(e).into_owned())
                .unwrap_or_else(|| "-".into()),
        ),
        ("started by", clean(&a.triggered_by).into_owned()),
        ("message", clean(&a.message).into_owned()),
        (
            "approvers",
            format!(
                "{} (needs {})",
                a.approvers
                    .iter()
                    .map(|s| clean(s).into_owned())
                    .collect::<Vec<_>>()
                    .join(", "),
                a.min_count.max(1)
            ),
        ),
        (
            "deadline",
            format!(
                "{}  (opened {})",
                countdown(&app.clock, a.deadline),
                ago(&app.clock, a.created)
            ),
        ),
    ]
    .into_iter()
    // The message is what the gate asks: it wraps under its column, in as many lines as
    // the screen has beside the other fields and the form (which always stay in view);
    // the other values take a line each.
    .flat_map(|(k, v)| {
        let value_width = usize::from(width.saturating_sub(2 + 13));
        let parts = if k == "message" {
            let room = usize::from(f.area().height)
                .saturating_sub(8 + 6 + d.form.fields.len())
                .max(1);
            let mut parts = wrap(&v, value_width);
            if parts.len() > room {
                parts.truncate(room);
                let last = parts.pop().unwrap_or_default();
                parts.push(fit(&format!("{last} …"), value_width).into_owned());
            }
            parts
        } else {
            vec![v]
        };
        parts.into_iter().enumerate().map(move |(i, part)| {
            let label = if i == 0 { k } else { "" };
            Line::from(vec![
                Span::styled(format!("{label:>11}  "), theme.dim()),
                Span::raw(part),
            ])
        })
    })
    .collect();
    let height = info.len() as u16 + d.form.fields.len() as u16 + 6;
    let area = centered(f.area(), width, height);
    let title = format!(
        " {verb} gate{} ",
        if production { " — PRODUCTION" } else { "" }
    );
    let block = frame(theme, title, production);
    let inner = block.inner(area);
    f.render_widget(Clear, area);
    f.render_widget(block, area);
    let [top, body] = Layout::vertical([
        Constraint::Length(info.len() as u16 + 1),
        Constraint::Fill(1),
    ])
    .areas(inner);
    f.render_widget(Paragraph::new(info), top);
    if let Some(pos) = form(f, body, app, theme, &d.form, d.sending)
        && !d.sending
    {
        f.set_cursor_position(pos);
    }
}
