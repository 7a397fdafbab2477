//! Modal dialogs: help, start form, decision.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph, Wrap};

use super::Screen;
use super::format::{ago, countdown};
use super::theme::Theme;
use crate::app::{DecisionDialog, Dialog, FieldKind, Focus, Form, StartDialog, StartPhase};
use crate::domain::DecisionAction;
use crate::sanitize::clean;

pub fn draw(f: &mut Frame, app: &Screen, theme: &Theme) {
    match &app.dialog {
        None => {}
        Some(Dialog::Help { scroll }) => help(f, app, theme, *scroll),
        Some(Dialog::Start(d)) => start(f, app, theme, d),
        Some(Dialog::Decision(d)) => decision(f, app, theme, d),
        Some(Dialog::Batch(d)) => super::batch::draw(f, app, theme, d),
        Some(Dialog::BulkStart(d)) => super::bulk_start::draw(f, app, theme, d),
    }
}

/// A centred box of at most `w`x`h`, clipped to the screen.
pub(super) fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

pub(super) fn frame<'a>(theme: &Theme, title: String, loud: bool) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_type(if loud {
            BorderType::Double
        } else {
            BorderType::Rounded
        })
        .border_style(theme.border(loud))
        .title(Span::styled(title, theme.title()))
}

fn help(f: &mut Frame, app: &Screen, theme: &Theme, scroll: u16) {
    let area = centered(f.area(), 68, 29);
    let lines: Vec<Line> = app
        .keymap
        .help()
        .into_iter()
        .map(|(action, keys)| {
            Line::from(vec![
                Span::styled(format!("{:>16}  ", keys.join(" ")), theme.key()),
                Span::raw(action.describe()),
            ])
        })
        .collect();
    let block = frame(theme, " Keys — any other key closes ".into(), false);
    // The keys of the list views only; inside dialogs and prompts the keys are fixed.
    let block = block.title_bottom(Line::styled(
        " in dialogs: Tab moves · Enter on a button · Esc cancels ",
        theme.dim(),
    ));
    f.render_widget(Clear, area);
    f.render_widget(Paragraph::new(lines).scroll((scroll, 0)).block(block), area);
}

/// Renders the form fields and buttons into `area`; returns where the text cursor goes.
pub(super) fn form(
    f: &mut Frame,
    area: Rect,
    theme: &Theme,
    form: &Form,
    busy: bool,
) -> Option<(u16, u16)> {
    let label_w = form
        .fields
        .iter()
        .map(|fl| fl.label.chars().count() + usize::from(fl.required))
        .max()
        .unwrap_or(0)
        .min(24) as u16;
    let mut cursor = None;
    for (y, (i, field)) in (area.y..).zip(form.fields.iter().enumerate()) {
        if y >= area.bottom().saturating_sub(3) {
            break;
        }
        let focused = form.focus == Focus::Field(i) && !busy;
        let label = format!(
            "{}{}",
            clean(&field.label),
            if field.required { "*" } else { "" }
        );
        let value = match &field.kind {
            FieldKind::Secret => "•".repeat(field.value().chars().count()),
            FieldKind::Choice(_) => format!("‹ {} ›", clean(field.value())),
            _ => clean(field.value()).into_owned(),
        };
        let value_style = if focused {
            theme
                .base()
                .add_modifier(Modifier::UNDERLINED | Modifier::BOLD)
        } else {
            theme.base().add_modifier(Modifier::UNDERLINED)
        };
        let marker = if focused { "▶ " } else { "  " };
        let line = Line::from(vec![
            Span::raw(marker),
            Span::styled(format!("{label:>w$}: ", w = label_w as usize), theme.dim()),
            Span::styled(value, value_style),
        ]);
        let row = Rect {
            y,
            height: 1,
            ..area
        };
        f.render_widget(Paragraph::new(line), row);
        if focused && !matches!(field.kind, FieldKind::Choice(_)) {
            let x = area.x + 2 + label_w + 2 + field.input.visual_cursor() as u16;
            cursor = Some((x.min(area.right().saturating_sub(1)), y));
        }
    }
    let focused_help = match form.focus {
        Focus::Field(i) => form.fields.get(i).and_then(|fl| fl.help.clone()),
        _ => None,
    };
    let note = form
        .problem
        .as_ref()
        .map(|p| {
            Span::styled(
                clean(p).into_owned(),
                theme.flash(crate::app::FlashLevel::Error),
            )
        })
        .or_else(|| focused_help.map(|h| Span::styled(clean(&h).into_owned(), theme.dim())));
    let bottom = Rect {
        y: area.bottom().saturating_sub(2),
        height: 1,
        ..area
    };
    if let Some(note) = note {
        f.render_widget(Paragraph::new(Line::from(note)), bottom);
    }
    let button = |label: &str, focus: Focus| {
        let focused = form.focus == focus && !busy;
        // A marker as well as reverse video: the focus must be visible without colour and
        // in a plain-text capture.
        let text = if focused {
            format!("▶[ {label} ]")
        } else {
            format!(" [ {label} ]")
        };
        Span::styled(text, theme.button(focused))
    };
    let buttons = Line::from(vec![
        // Same order as Tab moves: fields, confirm, then Cancel (where the form opens).
        button(&form.confirm_label, Focus::Confirm),
        Span::raw("  "),
        button("Cancel", Focus::Cancel),
        Span::styled(
            if busy {
                "   sending…"
            } else {
                "   Tab/↑↓ move · Enter on a button · Esc cancel"
            },
            theme.dim(),
        ),
    ]);
    let last = Rect {
        y: area.bottom().saturating_sub(1),
        height: 1,
        ..area
    };
    f.render_widget(Paragraph::new(buttons), last);
    cursor
}

fn start(f: &mut Frame, app: &Screen, theme: &Theme, d: &StartDialog) {
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
    let area = centered(f.area(), 90, fields + 9 + preview_rows);
    let title = format!(
        " Start {}{} ",
        clean(&d.pipeline.name),
        if production { " — PRODUCTION" } else { "" }
    );
    let block = frame(theme, title, production);
    let inner = block.inner(area);
    f.render_widget(Clear, area);
    f.render_widget(block, area);
    let [info, body, shown] = Layout::vertical([
        Constraint::Length(2),
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
            if let Some(pos) = form(f, body, theme, fm, false) {
                f.set_cursor_position(pos);
            }
        }
        StartPhase::Sending(fm) => {
            form(f, body, theme, fm, true);
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

fn decision(f: &mut Frame, app: &Screen, theme: &Theme, d: &DecisionDialog) {
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
    if let Some(pos) = form(f, body, theme, &d.form, d.sending)
        && !d.sending
    {
        f.set_cursor_position(pos);
    }
}
