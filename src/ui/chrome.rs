//! The frame around the panes: tab header, status bar (backend health, data age, flash) and
//! the key-hint footer generated from the keymap.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::theme::Theme;
use crate::app::{Action, App, Health, Pane, View};
use crate::domain::Compact;
use crate::sanitize::clean;
use crate::service::Feed;

pub fn header(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let mut spans = vec![Span::styled(" flightdeck ", theme.title()), Span::raw(" ")];
    for pane in Pane::ALL {
        let count = match pane {
            Pane::Pipelines => app.pipelines.len(),
            Pane::Executions => app.executions.len(),
            Pane::Approvals => app.approvals.len(),
            Pane::Audit => app.audit.len(),
        };
        let active = pane == app.pane;
        let marker = if active { "▸" } else { " " };
        let marked = match pane {
            Pane::Approvals => app.marks.len(),
            Pane::Pipelines => app.pipeline_marks.len(),
            _ => 0,
        };
        let marks = if marked > 0 {
            format!(" ●{marked}")
        } else {
            String::new()
        };
        spans.push(Span::styled(
            format!("{marker}{} {count}{marks} ", pane.title()),
            theme.tab(active),
        ));
        spans.push(Span::raw(" "));
    }
    if !app.filter_text.is_empty() && app.filter_input.is_none() {
        spans.push(Span::styled(
            format!(" /{} ", clean(&app.filter_text)),
            theme.key(),
        ));
    }
    if app.frozen {
        spans.push(Span::styled(
            " FROZEN ",
            theme.warn().add_modifier(Modifier::REVERSED),
        ));
        spans.push(Span::raw(" "));
    }
    if app.read_only {
        spans.push(Span::styled(" READ-ONLY ", theme.warn()));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

pub fn status_bar(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    if let Some(input) = &app.filter_input {
        // The `/` prompt takes the status line while it is open.
        let hint = "  Enter keeps · Esc clears · backend: project: status: env:";
        let line = Line::from(vec![
            Span::styled("/", theme.key()),
            Span::raw(input.value().to_string()),
            Span::styled(hint, theme.dim()),
        ]);
        f.render_widget(Paragraph::new(line), area);
        let x = area.x + 1 + input.visual_cursor() as u16;
        f.set_cursor_position((x.min(area.right().saturating_sub(1)), area.y));
        return;
    }
    let mut spans = Vec::new();
    for b in &app.backends {
        let health = b.health();
        let stale = b.last_ok.is_some() && b.is_stale(app.now, app.intervals.lists);
        let dot = match health {
            Health::Ok => "●",
            Health::Connecting => "○",
            _ => "▲",
        };
        spans.push(Span::styled(
            format!("{dot} {} {}", b.name, health.label()),
            theme.health(health),
        ));
        match &b.feed {
            Some(Feed::Watching) => spans.push(Span::styled(" live", theme.dim())),
            Some(Feed::Polling { .. }) => spans.push(Span::styled(" polling", theme.warn())),
            None => {}
        }
        if b.insecure {
            spans.push(Span::styled(
                " ⚠ TLS UNVERIFIED",
                theme.warn().add_modifier(Modifier::REVERSED),
            ));
        }
        if let Some(age) = b.age(app.now) {
            let text = format!(" · {} ago", Compact(age));
            spans.push(if stale {
                Span::styled(format!("{text} STALE"), theme.warn())
            } else {
                Span::styled(text, theme.dim())
            });
        }
        spans.push(Span::raw("  "));
    }
    if let Some(flash) = app.visible_flash() {
        spans.push(Span::styled(
            clean(&flash.text).into_owned(),
            theme.flash(flash.level),
        ));
    } else if let Some(err) = app
        .backends
        .iter()
        .find_map(|b| b.error.as_ref().map(|e| (b, e)))
    {
        spans.push(Span::styled(
            format!("{}: {}", err.0.name, clean(&err.1.to_string())),
            theme.flash(crate::app::FlashLevel::Error),
        ));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The actions worth hinting in the current context, most important first.
fn hinted(app: &App) -> Vec<Action> {
    let mut actions = Vec::new();
    if app.view == View::Detail {
        actions.push(Action::Back);
    } else {
        actions.extend([Action::NextPane, Action::Open]);
    }
    let writable = !app.read_only;
    match app.pane {
        Pane::Pipelines if writable => actions.extend([Action::Start, Action::Mark]),
        Pane::Executions if writable => {
            actions.extend([Action::Approve, Action::Reject, Action::Start])
        }
        Pane::Approvals if writable => actions.extend([
            Action::Approve,
            Action::Reject,
            Action::Mark,
            Action::ApproveMarked,
        ]),
        _ => {}
    }
    actions.extend([
        Action::Filter,
        Action::Refresh,
        Action::Freeze,
        Action::Help,
        Action::Quit,
    ]);
    actions
}

pub fn footer(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let mut hints: Vec<(Action, String)> = hinted(app)
        .into_iter()
        .filter_map(|a| app.keymap.key_for(a).map(|k| (a, k.label())))
        .collect();
    // On narrow screens drop the least important hints, never help and quit.
    let width = |h: &[(Action, String)]| -> usize {
        h.iter()
            .map(|(a, k)| k.chars().count() + a.hint().chars().count() + 3)
            .sum()
    };
    for expendable in [
        Action::Freeze,
        Action::Refresh,
        Action::Filter,
        Action::NextPane,
        Action::Start,
        Action::Mark,
        Action::Reject,
        Action::Open,
    ] {
        if width(&hints) <= usize::from(area.width) {
            break;
        }
        hints.retain(|(a, _)| *a != expendable);
    }
    let mut spans = Vec::new();
    for (action, key) in hints {
        spans.push(Span::styled(key, theme.key()));
        spans.push(Span::styled(format!(" {}  ", action.hint()), theme.dim()));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}
