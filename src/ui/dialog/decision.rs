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
use crate::ui::format::{ago, countdown};
use crate::ui::theme::Theme;

pub fn draw(f: &mut Frame, app: &Screen, theme: &Theme, d: &DecisionDialog) {
    let a = &d.approval;
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
    .map(|(k, v)| {
        Line::from(vec![
            Span::styled(format!("{k:>11}  "), theme.dim()),
            Span::raw(v),
        ])
    })
    .collect();
    let height = info.len() as u16 + d.form.fields.len() as u16 + 6;
    let area = centered(f.area(), 78, height);
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
