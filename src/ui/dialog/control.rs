//! The control dialog (`app/dialog/control.rs`): one execution with what the action does on
//! its backend, or every marked execution with one result line each.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use unicode_width::UnicodeWidthStr;

use super::frame::{self, centered, form};
use crate::app::{ControlDialog, ControlRun, Stages, Verb};
use crate::domain::{BackendKind, ExecStatus};
use crate::sanitize::clean;
use crate::ui::Screen;
use crate::ui::format::wrap;
use crate::ui::theme::Theme;

/// What the action will do on this backend, in the words the user decides on.
fn explain(d: &ControlDialog, run: &ControlRun) -> Vec<String> {
    match (d.verb, run.kind) {
        (Verb::Abort, BackendKind::Argo) => vec![
            "stop: the workflow's exit handlers still run (clean-up, notifications).".into(),
            "terminate: ends it at once; exit handlers do not run.".into(),
        ],
        (Verb::Abort, _) => {
            let mut lines = vec![
                "Harness aborts asynchronously: the run reads Discontinuing, then Aborted.".into(),
            ];
            if d.form.value(crate::app::ABORT_WHAT).is_some() {
                lines.push(
                    "A running stage can be aborted alone; the rest of the run goes on.".into(),
                );
            }
            lines
        }
        (Verb::Retry, BackendKind::Argo) => {
            vec!["Argo retries the failed nodes of this same workflow.".into()]
        }
        (Verb::Retry, BackendKind::HarnessFg) => vec![
            "First Gen resumes the pipeline as a new execution from its first stage that did \
             not succeed."
                .into(),
        ],
        (Verb::Retry, _) => match &d.stages {
            None => vec!["A new run in the same retry chain, from the failed stages.".into()],
            Some(Stages::Loading) => vec!["reading which stages can be retried…".into()],
            Some(Stages::Failed(why)) => vec![format!("cannot list the stages: {why}")],
            Some(Stages::Loaded(info)) if !info.resumable => vec![format!(
                "Harness refuses: {}",
                info.error.as_deref().unwrap_or("not resumable")
            )],
            Some(Stages::Loaded(_)) => {
                vec!["A new run in the same retry chain, from the stages chosen below.".into()]
            }
        },
        (Verb::Rerun, BackendKind::Argo) => {
            vec!["Argo resubmits: a new workflow with the same parameters.".into()]
        }
        (Verb::Rerun, _) => vec!["A new run with the original run's input set.".into()],
        (Verb::SuspendResume, _) if run.status.status == ExecStatus::Paused => {
            vec!["Resume: the suspended workflow goes on.".into()]
        }
        (Verb::SuspendResume, _) => {
            vec!["Suspend: nothing new starts; pods already running go on. Resume with p.".into()]
        }
    }
}

pub fn draw(f: &mut Frame, app: &Screen, theme: &Theme, d: &ControlDialog) {
    if d.batch {
        return draw_batch(f, app, theme, d);
    }
    let run = &d.runs[0];
    let width = f.area().width.min(78);
    let production = app.backend(&run.backend).is_some_and(|b| b.production);
    let mut info: Vec<Line> = [
        (
            "pipeline",
            format!(
                "{}  ({} on {})",
                clean(&run.pipeline_name),
                clean(&run.exec.project),
                run.backend
            ),
        ),
        ("execution", clean(&run.exec.id).into_owned()),
        // The one status word, with the vendor's own beside it as the detail shows it.
        (
            "status",
            if run.status.raw_says_more() {
                format!(
                    "{}  (raw: {})",
                    run.status.status.label(),
                    clean(&run.status.raw)
                )
            } else {
                run.status.status.label().to_string()
            },
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
    info.push(Line::raw(""));
    for text in explain(d, run) {
        for part in wrap(&clean(&text), usize::from(width.saturating_sub(6))) {
            info.push(Line::raw(format!("  {part}")));
        }
    }
    let form_rows = d.form.fields.len() as u16 + 3;
    let height = (info.len() as u16 + form_rows + 3).min(f.area().height);
    let area = centered(f.area(), width, height);
    let title = format!(
        " {} execution{} ",
        d.verb.title_for(run),
        if production { " — PRODUCTION" } else { "" }
    );
    let block = frame::frame(theme, title, production);
    let inner = block.inner(area);
    f.render_widget(Clear, area);
    f.render_widget(block, area);
    let [top, body] =
        Layout::vertical([Constraint::Fill(1), Constraint::Length(form_rows)]).areas(inner);
    f.render_widget(Paragraph::new(info), top);
    if let Some(pos) = form(f, body, app, theme, &d.form, d.sending)
        && !d.sending
    {
        f.set_cursor_position(pos);
    }
}

fn draw_batch(f: &mut Frame, app: &Screen, theme: &Theme, d: &ControlDialog) {
    let production = d
        .runs
        .iter()
        .any(|r| app.backend(&r.backend).is_some_and(|b| b.production));
    let n = d.runs.len();
    let form_rows = if d.results.is_some() {
        1
    } else {
        d.form.fields.len() as u16 + 3
    };
    let argo = d.verb == Verb::Abort && d.runs.iter().any(|r| r.kind == BackendKind::Argo);
    let [summary, list, bottom] = frame::marked_list(
        f,
        theme,
        &format!("{} {n} marked execution", d.verb.title()),
        n + usize::from(argo) * 2,
        form_rows,
        production,
    );
    let hidden = d.hidden();
    let head = match &d.results {
        None if hidden > 0 => Span::styled(
            format!("{hidden} of these {n} are hidden by the current filter"),
            theme.warn(),
        ),
        None => Span::styled("every marked execution:", theme.dim()),
        Some(_) if d.finished() => Span::styled("done — Enter or Esc closes", theme.dim()),
        Some(_) => Span::styled("sending… results arrive per execution", theme.dim()),
    };
    f.render_widget(Paragraph::new(Line::from(head)), summary);

    let mut rows = usize::from(list.height);
    let mut lines: Vec<Line> = Vec::new();
    if argo && d.results.is_none() {
        // The choice below applies to the Argo workflows of the batch.
        for text in [
            "Argo — stop: exit handlers still run; terminate: ends at once, none run.",
            "",
        ] {
            lines.push(Line::styled(text, theme.dim()));
        }
        rows = rows.saturating_sub(2);
    }
    let pad = d
        .results
        .iter()
        .flatten()
        .map(|r| frame::outcome(theme, r).0.width())
        .max()
        .unwrap_or(0)
        .min(32);
    lines.extend(
        d.runs
            .iter()
            .enumerate()
            .take(if n > rows {
                rows.saturating_sub(1)
            } else {
                rows
            })
            .map(|(i, r)| {
                let mut spans = Vec::new();
                if r.hidden {
                    spans.push(Span::styled("[hidden] ", theme.warn()));
                }
                spans.push(Span::raw(format!(
                    "{} · {} · {} ({} on {})",
                    clean(&r.pipeline_name),
                    clean(&r.exec.id),
                    r.status.status.label(),
                    clean(&r.exec.project),
                    r.backend
                )));
                if let Some(result) = d.results.as_ref().and_then(|res| res.get(i)) {
                    let (label, style) = frame::outcome(theme, result);
                    spans.insert(0, Span::styled(format!("{label:<pad$} "), style));
                }
                Line::from(spans)
            }),
    );
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
