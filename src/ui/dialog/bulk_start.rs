//! The bulk start dialog: every marked pipeline listed with the exact request it will get,
//! one shared form, then one result line per pipeline.

use ratatui::Frame;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::frame::{self, form};
use crate::app::{BulkStartDialog, FlashLevel};
use crate::sanitize::clean;
use crate::ui::Screen;
use crate::ui::theme::Theme;

pub fn draw(f: &mut Frame, app: &Screen, theme: &Theme, d: &BulkStartDialog) {
    let n = d.pipelines.len();
    let production = d
        .pipelines
        .iter()
        .any(|p| app.backend(&p.backend).is_some_and(|b| b.production));
    let form_rows = match (&d.form, &d.results) {
        (Some(form), None) => form.fields.len() as u16 + 3,
        _ => 1,
    };
    let [summary, list, bottom] = frame::marked_list(
        f,
        theme,
        &format!("Start {n} marked pipeline"),
        n,
        form_rows,
        production,
    );

    let head = match (&d.form, &d.results) {
        (None, _) => format!("loading the inputs of {} of {n} pipelines…", d.loading()),
        (_, Some(_)) if d.finished() => "done — Enter or Esc closes".into(),
        (_, Some(_)) => "starting… results arrive per pipeline".into(),
        (Some(_), None) => {
            "one set of inputs for every pipeline; each gets the ones it declares".into()
        }
    };
    f.render_widget(Paragraph::new(Line::styled(head, theme.dim())), summary);

    let rows = usize::from(list.height);
    let lines: Vec<Line> = d
        .pipelines
        .iter()
        .enumerate()
        .take(rows)
        .map(|(i, p)| {
            let name = format!(
                "{} ({} on {})",
                clean(&p.name),
                clean(&p.project),
                p.backend
            );
            let status = match (&d.results, &d.previews[i], &d.forms[i]) {
                (Some(results), _, _) => {
                    let (label, style) = frame::outcome(theme, &results[i]);
                    Span::styled(format!("  {label}"), style)
                }
                (None, _, Some(Err(e))) => Span::styled(
                    format!("  inputs did not load: {}", clean(e)),
                    theme.flash(FlashLevel::Error),
                ),
                (None, Some(Ok(preview)), _) => Span::styled(
                    format!("  {} {}", preview.method, clean(&preview.url)),
                    theme.dim(),
                ),
                (None, Some(Err(e)), _) => {
                    Span::styled(format!("  no preview: {}", clean(e)), theme.dim())
                }
                (None, None, _) => Span::raw(""),
            };
            Line::from(vec![Span::raw(name), status])
        })
        .collect();
    f.render_widget(Paragraph::new(lines), list);

    if let (Some(fm), None) = (&d.form, &d.results)
        && let Some(pos) = form(f, bottom, app, theme, fm, false)
    {
        f.set_cursor_position(pos);
    }
}
