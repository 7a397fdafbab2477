//! The start dialog (`app/dialog/start.rs`): the form, then the exact request.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

use super::frame::{centered, form, frame};
use crate::app::{StartDialog, StartPhase};
use crate::sanitize::clean;
use crate::ui::Screen;
use crate::ui::format::wrap;
use crate::ui::theme::Theme;

const WIDTH: u16 = 90;

pub fn draw(f: &mut Frame, app: &Screen, theme: &Theme, d: &StartDialog) {
    let production = app
        .backend(&d.pipeline.backend)
        .is_some_and(|b| b.production);
    let (fields, preview) = match &d.phase {
        StartPhase::Editing(form) | StartPhase::Sending(form) => {
            (form.fields.len() as u16, d.current_preview(form))
        }
        _ => (1, None),
    };
    let preview_lines = preview_lines(theme, preview);
    let preview_rows = preview_lines.len() as u16;
    // The dialog's inner width, known before its height: a re-run's note wraps to it.
    let inner_width = f.area().width.min(WIDTH).saturating_sub(2);
    let note = d
        .rerun
        .as_ref()
        .map(|r| wrap(&r.note(), usize::from(inner_width)))
        .unwrap_or_default();
    let info_rows = 2 + note.len() as u16;
    let area = centered(f.area(), WIDTH, fields + 7 + info_rows + preview_rows);
    let title = format!(
        " {} {}{} ",
        if d.rerun.is_some() { "Re-run" } else { "Start" },
        clean(&d.pipeline.name),
        if production { " — PRODUCTION" } else { "" }
    );
    let block = frame(theme, title, production);
    let inner = block.inner(area);
    f.render_widget(Clear, area);
    f.render_widget(block, area);
    let [info, body, shown] = Layout::vertical([
        Constraint::Length(info_rows),
        Constraint::Fill(1),
        Constraint::Length(preview_rows),
    ])
    .areas(inner);
    f.render_widget(Paragraph::new(preview_lines), shown);
    let mut lines = vec![Line::from(vec![
        Span::styled("project ", theme.dim()),
        Span::raw(format!(
            "{} on {}",
            clean(&d.pipeline.project),
            d.pipeline.backend
        )),
    ])];
    lines.extend(note.into_iter().map(|l| Line::styled(l, theme.dim())));
    if let Some(err) = &d.error {
        lines.push(Line::styled(
            format!("start failed: {}", clean(err)),
            theme.flash(crate::app::FlashLevel::Error),
        ));
    }
    f.render_widget(Paragraph::new(lines), info);
    match &d.phase {
        StartPhase::Loading => f.render_widget(
            Paragraph::new(Line::styled("loading inputs…", theme.dim())),
            body,
        ),
        StartPhase::LoadFailed(err) => f.render_widget(
            Paragraph::new(vec![
                Line::styled(
                    format!("could not load inputs: {}", clean(err)),
                    theme.flash(crate::app::FlashLevel::Error),
                ),
                Line::styled("Esc closes", theme.dim()),
            ])
            .wrap(Wrap { trim: false }),
            body,
        ),
        StartPhase::Editing(fm) => {
            if let Some(pos) = form(f, body, app, theme, fm, false) {
                f.set_cursor_position(pos);
            }
        }
        StartPhase::Sending(fm) => {
            form(f, body, app, theme, fm, true);
        }
    }
}

/// The exact request, as the backend will send it, under the start form.
fn preview_lines<'a>(
    theme: &Theme,
    preview: Option<&Result<crate::domain::RequestPreview, String>>,
) -> Vec<Line<'a>> {
    const BODY_LINES: usize = 8;
    match preview {
        None => Vec::new(),
        Some(Err(e)) => vec![Line::styled(
            format!("no preview: {}", clean(e)),
            theme.dim(),
        )],
        Some(Ok(p)) => {
            let mut lines = vec![Line::from(vec![
                Span::styled("request  ", theme.dim()),
                Span::styled(format!("{} {}", p.method, clean(&p.url)), theme.key()),
            ])];
            for (name, value) in &p.headers {
                lines.push(Line::styled(
                    format!("         {}: {}", clean(name), clean(value)),
                    theme.dim(),
                ));
            }
            let body: Vec<&str> = p.body.lines().collect();
            for line in body.iter().take(BODY_LINES) {
                lines.push(Line::raw(format!("         {}", clean(line))));
            }
            if body.len() > BODY_LINES {
                lines.push(Line::styled(
                    format!("         … {} more lines", body.len() - BODY_LINES),
                    theme.dim(),
                ));
            }
            lines.push(Line::styled(
                "         C-y copies it as curl (OSC 52)",
                theme.dim(),
            ));
            lines
        }
    }
}
