//! The `:` command palette: a query line over the best matches, matched letters emphasised,
//! each entry with its kind and the key that does the same.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use unicode_width::UnicodeWidthStr;

use super::Screen;
use super::dialog::frame::frame;
use super::format::fit;
use super::theme::Theme;
use crate::app::Palette;

/// Most entries shown at once; the list scrolls to keep the choice in view.
const ROWS: usize = 12;

pub fn draw(f: &mut Frame, app: &Screen, theme: &Theme) {
    let Some(palette) = &app.palette else {
        return;
    };
    let screen = f.area();
    let rows = palette.hits.len().clamp(1, ROWS);
    let width = screen.width.min(72);
    let height = (rows as u16 + 3).min(screen.height);
    // Near the top, where the eye already is after pressing `:`, and clear of the footer.
    let area = Rect {
        x: screen.x + (screen.width - width) / 2,
        y: screen.y + 1.min(screen.height - height),
        width,
        height,
    };
    let block = frame(theme, " Commands ".into(), false).title_bottom(Line::styled(
        " ↑↓ choose · Enter runs · Esc closes ",
        theme.dim(),
    ));
    let inner = block.inner(area);
    f.render_widget(Clear, area);
    f.render_widget(block, area);
    let prompt = Line::from(vec![
        Span::styled(": ", theme.key()),
        Span::raw(palette.input.value().to_string()),
    ]);
    f.render_widget(Paragraph::new(prompt), Rect { height: 1, ..inner });
    let cursor_x = inner.x + 2 + palette.input.visual_cursor() as u16;
    f.set_cursor_position((cursor_x.min(inner.right().saturating_sub(1)), inner.y));
    let list = Rect {
        y: inner.y + 1,
        height: inner.height.saturating_sub(1),
        ..inner
    };
    f.render_widget(Paragraph::new(lines(palette, theme, list)), list);
}

fn lines<'a>(palette: &'a Palette, theme: &Theme, area: Rect) -> Vec<Line<'a>> {
    if palette.hits.is_empty() {
        return vec![Line::styled("  no match", theme.dim())];
    }
    let rows = usize::from(area.height).max(1);
    let first = palette.selected.saturating_sub(rows - 1);
    let width = usize::from(area.width);
    palette
        .hits
        .iter()
        .enumerate()
        .skip(first)
        .take(rows)
        .map(|(i, hit)| {
            let entry = &palette.entries[hit.entry];
            let selected = i == palette.selected;
            let tail = format!(
                " {:>6} {:>5} ",
                entry.kind,
                entry.key.as_deref().unwrap_or("")
            );
            let label_width = width.saturating_sub(2 + tail.width());
            let label = fit(&entry.label, label_width);
            let mut spans = vec![Span::raw(if selected { "▶ " } else { "  " })];
            // Matched letters bold and underlined: visible without colour too.
            let matched = theme.key().add_modifier(Modifier::UNDERLINED);
            for (j, c) in label.chars().enumerate() {
                let style = if hit.positions.contains(&j) {
                    matched
                } else {
                    theme.base()
                };
                spans.push(Span::styled(c.to_string(), style));
            }
            let used = 2 + label.width();
            spans.push(Span::raw(
                " ".repeat(width.saturating_sub(used + tail.width())),
            ));
            spans.push(Span::styled(tail, theme.dim()));
            let line = Line::from(spans);
            if selected {
                line.style(theme.selected())
            } else {
                line
            }
        })
        .collect()
}
