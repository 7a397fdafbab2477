//! The frame around the panes: tab header, status bar (backend health, data age, flash) and
//! the key-hint footer generated from the keymap.

use super::Screen;
use std::time::Duration;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::format::{Age, age_of_data, data_age};
use super::theme::Theme;
use crate::app::{Action, BackendState, Health, Known, Pane, Read, Section, is_late, reason};
use crate::sanitize::clean;
use crate::service::Feed;

pub fn header(f: &mut Frame, area: Rect, app: &Screen, theme: &Theme) {
    let mut spans = vec![Span::styled(" flightdeck ", theme.title()), Span::raw(" ")];
    for pane in Pane::ALL {
        let total = match pane {
            Pane::Pipelines => app.pipelines.len(),
            Pane::Executions => app.executions.len(),
            Pane::Approvals => app.approvals.len(),
            Pane::Audit => app.audit.len(),
        };
        // While the filter hides rows, the count says so: `3/297`.
        let shown = app.view(pane).len();
        let count = if shown < total {
            format!("{shown}/{total}")
        } else {
            total.to_string()
        };
        let active = pane == app.pane;
        let marker = if active { "▸" } else { " " };
        let marked = match pane {
            Pane::Approvals => app.gates().marks().len(),
            Pane::Pipelines => app.pipeline_marks.len(),
            Pane::Executions => app.runs().marks().len(),
            Pane::Audit => 0,
        };
        let marks = if marked > 0 {
            format!(" ●{marked}")
        } else {
            String::new()
        };
        let tab = Span::styled(
            format!("{marker}{} {count}{marks} ", pane.title()),
            theme.tab(active),
        );
        // Where the tab lands, for a click on it: after everything before it on the line.
        let x = spans.iter().map(|s| s.width()).sum::<usize>() as u16;
        let left = area.x.saturating_add(x).min(area.right());
        let width = (tab.width() as u16).min(area.right() - left);
        app.drew_tab(
            Rect {
                x: left,
                width,
                ..area
            },
            pane,
        );
        spans.push(tab);
        spans.push(Span::raw(" "));
    }
    if app.frozen {
        spans.push(Span::styled(
            " FROZEN ",
            theme.warn().add_modifier(Modifier::REVERSED),
        ));
        spans.push(Span::raw(" "));
    }
    if app.writes.all_read_only() {
        spans.push(Span::styled(" READ-ONLY ", theme.warn()));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

pub fn status_bar(f: &mut Frame, area: Rect, app: &Screen, theme: &Theme) {
    // The age of the data is always shown, at the right, whatever else the line holds.
    let age = updated(app, theme);
    let age_width = age.width() as u16;
    let [left, right] =
        Layout::horizontal([Constraint::Fill(1), Constraint::Length(age_width)]).areas(area);
    f.render_widget(Paragraph::new(age), right);
    if let Some(input) = &app.filter_input {
        // The `/` prompt takes the rest of the status line while it is open.
        let hint = match app.filter.unknown.first() {
            Some(name) => format!("  no saved filter @{}", clean(name)),
            None => "  Enter keeps · Esc clears · backend: project: status: env: @saved".into(),
        };
        let hint_style = if app.filter.unknown.is_empty() {
            theme.dim()
        } else {
            theme.flash(crate::app::FlashLevel::Error)
        };
        let line = Line::from(vec![
            Span::styled("/", theme.key()),
            Span::raw(input.value().to_string()),
            Span::styled(hint, hint_style),
        ]);
        f.render_widget(Paragraph::new(line), left);
        let x = left.x + 1 + input.visual_cursor() as u16;
        f.set_cursor_position((x.min(left.right().saturating_sub(1)), left.y));
        return;
    }
    // A flash (a result, a notification) takes the line for a few seconds; backend health
    // is the status line's resting state.
    if let Some(flash) = app.visible_flash() {
        let line = Line::styled(clean(&flash.text).into_owned(), theme.flash(flash.level));
        f.render_widget(Paragraph::new(line), left);
        return;
    }
    let room = usize::from(left.width);
    let mut line = backends_line(app, theme, Detail::Full);
    for detail in [Detail::NoAges, Detail::Compact] {
        if line.width() <= room {
            break;
        }
        line = backends_line(app, theme, detail);
    }
    // The reason in a few words, and where the whole error is: the server's text rarely
    // fits beside the backends.
    if let Some((b, err)) = app
        .backends
        .iter()
        .find_map(|b| b.error.as_ref().map(|e| (b, e)))
    {
        line.spans.push(Span::styled(
            format!("{}: {}{}", b.name, reason(err), backends_hint(app)),
            theme.flash(crate::app::FlashLevel::Error),
        ));
    } else if let Some((b, why)) = app
        .backends
        .iter()
        .find_map(|b| b.holding_back.as_ref().map(|w| (b, w)))
    {
        line.spans.push(Span::styled(
            format!("{} holding back {}", b.name, clean(why)),
            theme.warn(),
        ));
    }
    f.render_widget(Paragraph::new(line), left);
}

/// How much each backend's entry says, tightened until the line fits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Detail {
    /// `● prod ok · 25s ago` (ages only where reads are late)
    Full,
    /// `● prod ok` (ages only where stale)
    NoAges,
    /// `● prod` for healthy backends; trouble keeps its word
    Compact,
}

fn backends_line<'a>(app: &Screen, theme: &Theme, detail: Detail) -> Line<'a> {
    let mut spans = Vec::new();
    for b in &app.backends {
        let health = b.health();
        let stale = b.last_ok.is_some() && b.is_stale(app.clock.now(), app.intervals.lists);
        let dot = match health {
            Health::Ok => "●",
            Health::Connecting => "○",
            _ => "▲",
        };
        let text = if detail == Detail::Compact && health == Health::Ok {
            format!("{dot} {}", b.name)
        } else {
            format!("{dot} {} {}", b.name, health.label())
        };
        spans.push(Span::styled(text, theme.health(health)));
        if b.production {
            spans.push(Span::styled(" PROD", theme.production()));
        }
        match &b.feed {
            // Live is the normal state: said only where there is room.
            Some(Feed::Watching) if detail != Detail::Compact => {
                spans.push(Span::styled(" live", theme.dim()))
            }
            Some(Feed::Polling { .. }) => spans.push(Span::styled(" polling", theme.warn())),
            _ => {}
        }
        if b.holding_back.is_some() {
            spans.push(Span::styled(" holding back", theme.warn()));
        }
        if b.insecure {
            spans.push(Span::styled(
                " ⚠ TLS UNVERIFIED",
                theme.warn().add_modifier(Modifier::REVERSED),
            ));
        }
        if let Some(age) = data_age_of(app, b) {
            let text = format!(" · {} ago", Age(age));
            if stale {
                spans.push(Span::styled(format!("{text} STALE"), theme.warn()));
            } else if detail == Detail::Full && is_late(age, app.intervals.lists) {
                spans.push(Span::styled(text, theme.dim()));
            }
        }
        spans.push(Span::raw(if detail == Detail::Compact {
            " "
        } else {
            "  "
        }));
    }
    Line::from(spans)
}

/// How old a backend's data is, once it answered (see [`age_of_data`]).
fn data_age_of(app: &Screen, b: &BackendState) -> Option<Duration> {
    b.data_read()
        .map(|read| age_of_data(&app.clock, read, app.intervals.lists))
}

/// `updated <20s ago`: the age of the oldest data on screen, so it is never fresher than
/// what it describes. Only backends whose every list was read count: one with a list never
/// read has no age to claim, and is counted apart, as unknown (its reads failed: `2 of 5
/// unknown · others updated <20s ago`) or connecting (not answered yet).
fn updated<'a>(app: &Screen, theme: &Theme) -> Line<'a> {
    let (mut unknown, mut connecting, mut oldest) = (0, 0, None::<Duration>);
    for b in &app.backends {
        let known = Read::LISTS.map(|r| b.known(r));
        if known.iter().any(|k| matches!(k, Known::Failed(_))) {
            unknown += 1;
        } else if known.iter().any(|k| matches!(k, Known::Loading)) {
            connecting += 1;
        } else if let Some(age) = data_age_of(app, b) {
            oldest = oldest.max(Some(age));
        }
    }
    let all = app.backends.len();
    let style = if app.frozen {
        theme.warn()
    } else {
        theme.dim()
    };
    let mut parts: Vec<Span> = Vec::new();
    if unknown > 0 {
        parts.push(Span::styled(
            format!("{unknown} of {all} unknown"),
            theme.flash(crate::app::FlashLevel::Error),
        ));
    }
    if connecting > 0 && (unknown > 0 || oldest.is_some()) {
        parts.push(Span::styled(
            format!("{connecting} of {all} connecting"),
            style,
        ));
    }
    match oldest {
        Some(age) => {
            let others = if unknown + connecting > 0 {
                "others "
            } else {
                ""
            };
            parts.push(Span::styled(
                format!("{others}updated {} ago", data_age(age, app.intervals.lists)),
                style,
            ));
        }
        None if parts.is_empty() => parts.push(Span::styled("connecting…", theme.dim())),
        None => {}
    }
    let frozen = if app.frozen { "frozen · " } else { "" };
    let mut spans = vec![Span::styled(format!(" {frozen}"), style)];
    for (i, part) in parts.into_iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(" · ", style));
        }
        spans.push(part);
    }
    Line::from(spans)
}

pub fn footer(f: &mut Frame, area: Rect, app: &Screen, theme: &Theme) {
    // What the layer offers now, each with its keys as bound (`n/N` for two actions).
    let mut hints: Vec<(Action, String, &str)> = app
        .offers()
        .into_iter()
        .filter(|o| o.enabled)
        .filter_map(|o| {
            let keys: Vec<String> = o
                .actions
                .iter()
                .filter_map(|a| app.keymap.key_in(o.section, *a).map(|k| k.label()))
                .collect();
            (!keys.is_empty()).then(|| (o.actions[0], keys.join("/"), o.hint))
        })
        .collect();
    // On narrow screens drop the least important hints, never help and quit. Each hint is
    // "key hint" and two spaces before the next.
    let width = |h: &[(Action, String, &str)]| -> usize {
        h.iter()
            .map(|(_, k, hint)| k.chars().count() + hint.chars().count() + 3)
            .sum::<usize>()
            .saturating_sub(2)
    };
    for expendable in [
        Action::Freeze,
        Action::Refresh,
        Action::Follow,
        Action::Filter,
        Action::Palette,
        Action::NextPane,
        Action::Start,
        Action::Mark,
        Action::Reject,
        Action::Open,
    ] {
        if width(&hints) <= usize::from(area.width) {
            break;
        }
        hints.retain(|(a, _, _)| *a != expendable);
    }
    let mut spans = Vec::new();
    for (_, key, hint) in hints {
        spans.push(Span::styled(key, theme.key()));
        spans.push(Span::styled(format!(" {hint}  "), theme.dim()));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// ` · b backends`: where the whole story is, with the key as bound (nothing when unbound).
pub fn backends_hint(app: &Screen) -> String {
    app.keymap
        .key_in(Section::Panes, Action::Backends)
        .map(|k| format!(" · {} backends", k.label()))
        .unwrap_or_default()
}

/// The line a pane shows above its rows while some backends' part of its list is unknown:
/// their reads failed before any succeeded. Those rows are not "none".
pub fn unknown_notice<'a>(app: &Screen, theme: &Theme, read: Read) -> Option<Line<'a>> {
    let unknown = app.unknown(read);
    if unknown.failed.is_empty() {
        return None;
    }
    Some(Line::styled(
        format!(
            "⚠ {} unknown — {}{}",
            read.noun(),
            unknown.by_reason(),
            backends_hint(app)
        ),
        theme.flash(crate::app::FlashLevel::Error),
    ))
}

/// What an empty pane says: "none" only when every backend's part was read; which
/// backends are unknown (and why) or still loading otherwise.
pub fn empty_lines<'a>(app: &Screen, theme: &Theme, read: Read, none: &str) -> Vec<Line<'a>> {
    let unknown = app.unknown(read);
    let mut lines: Vec<Line> = unknown_notice(app, theme, read).into_iter().collect();
    let loading: Vec<&str> = unknown.loading.iter().map(|n| n.as_ref()).collect();
    let text = match (unknown.read, loading.is_empty(), lines.is_empty()) {
        (0, true, _) => None,
        (0, false, true) => Some("loading…".to_string()),
        (0, false, false) => Some(format!("still reading {}", loading.join(", "))),
        (_, true, true) => Some(none.to_string()),
        (_, true, false) => Some(format!("{none} on the other backends")),
        (_, false, _) => Some(format!(
            "{none} so far; still reading {}",
            loading.join(", ")
        )),
    };
    lines.extend(text.map(|t| Line::styled(t, theme.dim())));
    lines
}
