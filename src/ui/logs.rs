//! The log view: one execution's log as it streams, with the step each line came from, the
//! search term highlighted, and where the stream stands on the last line.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use unicode_width::UnicodeWidthStr;

use super::Screen;
use super::theme::Theme;
use crate::app::LogView;
use crate::domain::ExecStatus;
use crate::sanitize::clean;

/// Widest step column; longer step names are cut.
const MAX_SOURCE: usize = 18;

pub fn draw(f: &mut Frame, area: Rect, app: &Screen, theme: &Theme, block: Block) {
    let Some(view) = &app.logs else {
        return;
    };
    let inner = block.inner(area);
    f.render_widget(block, area);
    let [text, status] =
        Layout::vertical([Constraint::Fill(1), Constraint::Length(1)]).areas(inner);
    let height = usize::from(text.height);
    let first = view.first_visible(height);
    let visible: Vec<_> = view.shown().skip(first).take(height).collect();
    let source_width = visible
        .iter()
        .map(|l| l.source.width().min(MAX_SOURCE))
        .max()
        .unwrap_or(0);
    let needle = view.search.as_deref().map(str::to_lowercase);
    let lines: Vec<Line> = visible
        .into_iter()
        .map(|line| {
            let source = clean(&line.source);
            let mut spans = vec![Span::styled(
                format!("{:<source_width$} ", cut(&source, source_width)),
                theme.dim(),
            )];
            let style = level_style(line.level.as_deref(), theme);
            spans.extend(highlighted(
                &clean(&line.text),
                needle.as_deref(),
                style,
                theme,
            ));
            Line::from(spans)
        })
        .collect();
    f.render_widget(Paragraph::new(lines), text);
    f.render_widget(Paragraph::new(status_line(view, app, theme)), status);
}

fn status_line<'a>(view: &LogView, app: &Screen, theme: &Theme) -> Line<'a> {
    if let Some(input) = &app.log_search {
        return Line::from(vec![
            Span::styled("search: ", theme.key()),
            Span::raw(input.value().to_owned()),
        ]);
    }
    let mut parts = vec![if view.follow {
        "following".to_owned()
    } else {
        "paused (space follows)".to_owned()
    }];
    parts.push(format!("{} lines", view.shown_len()));
    if view.dropped > 0 {
        parts.push(format!("{} older dropped", view.dropped));
    }
    if let Some(step) = &view.step {
        parts.push(format!("step {}", clean(step)));
    }
    if let Some(search) = &view.search {
        parts.push(match view.matches {
            0 => format!("/{}: no match", clean(search)),
            1 => format!("/{}: 1 match", clean(search)),
            n => format!("/{}: {n} matches", clean(search)),
        });
    }
    let (ended, style) = match &view.ended {
        None => (None, theme.dim()),
        Some(Ok(())) => (Some("log ended".to_owned()), theme.dim()),
        Some(Err(e)) => (Some(format!("log failed: {}", clean(e))), theme.warn()),
    };
    parts.extend(ended);
    Line::styled(parts.join(" · "), style)
}

/// How a line of a level looks: the server's colour codes are dropped with every other
/// escape sequence, and the level they stood for (Harness colours exactly its WARN and ERROR
/// lines) is drawn in the theme's own styles instead.
fn level_style(level: Option<&str>, theme: &Theme) -> Style {
    match level {
        Some("ERROR" | "FATAL") => theme.status(ExecStatus::Failed),
        Some("WARN" | "WARNING") => theme.warn(),
        _ => Style::default(),
    }
}

/// `text` in `style`, with every case-insensitive occurrence of `needle` styled as a match.
fn highlighted<'a>(text: &str, needle: Option<&str>, style: Style, theme: &Theme) -> Vec<Span<'a>> {
    let Some(needle) = needle.filter(|n| !n.is_empty()) else {
        return vec![Span::styled(text.to_owned(), style)];
    };
    let lower = text.to_lowercase();
    // Lower-casing can change byte lengths (e.g. some Unicode letters); then the offsets
    // would not line up, and the line is shown without highlights rather than cut wrongly.
    if lower.len() != text.len() {
        return vec![Span::styled(text.to_owned(), style)];
    }
    let mut spans = Vec::new();
    let mut at = 0;
    for (start, _) in lower.match_indices(needle) {
        if start < at {
            continue;
        }
        spans.push(Span::styled(text[at..start].to_owned(), style));
        let end = start + needle.len();
        spans.push(Span::styled(text[start..end].to_owned(), theme.selected()));
        at = end;
    }
    spans.push(Span::styled(text[at..].to_owned(), style));
    spans
}

fn cut(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_owned();
    }
    // `step · unit` (a Harness step's command unit): the step gives way first, so units of
    // one step stay told apart.
    if let Some((step, unit)) = text.rsplit_once(" · ") {
        let room = width.saturating_sub(unit.width() + 3);
        if room >= 4 {
            return format!("{} · {unit}", cut(step, room));
        }
        return cut(unit, width);
    }
    let mut out = String::new();
    for c in text.chars() {
        if out.width() + unicode_width::UnicodeWidthChar::width(c).unwrap_or(0) + 1 > width {
            break;
        }
        out.push(c);
    }
    out.push('…');
    out
}
